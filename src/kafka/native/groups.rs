//! Consumer groups: listing, describing, and their committed offsets (read and commit).
#![allow(unsafe_code)]

use super::*;

#[derive(Debug, Clone)]
pub struct GroupListing {
    pub group: String,
    pub state: String,
    pub simple: bool,
    pub kind: Option<String>,
}

fn state_name(state: rd::rd_kafka_consumer_group_state_t) -> String {
    use rd::rd_kafka_consumer_group_state_t as S;
    match state {
        S::RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE => "PreparingRebalance",
        S::RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE => "CompletingRebalance",
        S::RD_KAFKA_CONSUMER_GROUP_STATE_STABLE => "Stable",
        S::RD_KAFKA_CONSUMER_GROUP_STATE_DEAD => "Dead",
        S::RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY => "Empty",
        _ => "Unknown",
    }
    .to_string()
}

fn type_name(kind: rd::rd_kafka_consumer_group_type_t) -> Option<String> {
    use rd::rd_kafka_consumer_group_type_t as T;
    match kind {
        T::RD_KAFKA_CONSUMER_GROUP_TYPE_CLASSIC => Some("classic".into()),
        T::RD_KAFKA_CONSUMER_GROUP_TYPE_CONSUMER => Some("consumer".into()),
        T::RD_KAFKA_CONSUMER_GROUP_TYPE_SHARE => Some("share".into()),
        _ => None,
    }
}

/// ListConsumerGroups (ListGroups on every broker). Partial failures (a broker that did not
/// answer) come back as the second element so the caller can show them.
pub fn list_groups(
    client: Handle<'_>,
    timeout: Duration,
) -> Result<(Vec<GroupListing>, Vec<Error>)> {
    let rk = client.native_ptr();
    const API: &str = "ListGroups";
    unsafe {
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
            timeout,
            API,
            |o, q| rd::rd_kafka_ListConsumerGroups(rk, o, q),
        )?;
        let result = rd::rd_kafka_event_ListConsumerGroups_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka("ListGroups: unexpected result event"));
        }
        let mut n = 0usize;
        let valid = array(
            rd::rd_kafka_ListConsumerGroups_result_valid(result, &mut n),
            n,
        );
        let mut groups = Vec::with_capacity(n);
        for &g in valid.iter().filter(|g| !g.is_null()) {
            groups.push(GroupListing {
                group: string(rd::rd_kafka_ConsumerGroupListing_group_id(g)).unwrap_or_default(),
                state: state_name(rd::rd_kafka_ConsumerGroupListing_state(g)),
                simple: rd::rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g) != 0,
                kind: type_name(rd::rd_kafka_ConsumerGroupListing_type(g)),
            });
        }
        let mut m = 0usize;
        let errs = array(
            rd::rd_kafka_ListConsumerGroups_result_errors(result, &mut m),
            m,
        );
        let errors = errs
            .iter()
            .filter(|e| !e.is_null())
            .map(|&e| error_of(e, API))
            .collect();
        Ok((groups, errors))
    }
}

#[derive(Debug, Clone)]
pub struct MemberDescription {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    pub instance_id: Option<String>,
    pub assignment: Vec<PartitionRef>,
    /// KIP-848 consumer groups: what the group coordinator's assignor wants this member to own
    /// (its current assignment converges to it); `None` for classic groups.
    pub target_assignment: Option<Vec<PartitionRef>>,
    /// KIP-848 consumer groups: the member's epoch (the target assignment epoch it has
    /// reconciled to; -2 for a static member away for a while); `None` for classic groups.
    pub member_epoch: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct GroupDescription {
    pub group: String,
    pub state: String,
    pub protocol: String,
    pub simple: bool,
    pub kind: Option<String>,
    pub coordinator: Option<Node>,
    pub members: Vec<MemberDescription>,
    pub error: Option<String>,
    pub error_kind: Option<crate::error::ErrorKind>,
    /// KIP-848 consumer groups: the group epoch and the epoch of its target assignment;
    /// `None` for classic groups.
    pub group_epoch: Option<i32>,
    pub assignment_epoch: Option<i32>,
}

/// DescribeConsumerGroups for several groups in one call. A group whose coordinator is loading,
/// moving or away is asked again with backoff until `timeout` is spent; every group named comes
/// back, with its own error if it could not be described.
pub fn describe_groups(
    client: Handle<'_>,
    groups: &[String],
    timeout: Duration,
) -> Result<Vec<GroupDescription>> {
    let started = Instant::now();
    let deadline = started + timeout;
    let mut done: Vec<GroupDescription> = Vec::with_capacity(groups.len());
    let mut pending: Vec<String> = groups.to_vec();
    let mut pause = Duration::from_millis(100);
    while !pending.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        let answer = describe_groups_once(client, &pending, left);
        let retry_soon = Instant::now() + pause + MIN_ATTEMPT < deadline;
        match answer {
            Ok(descs) => {
                let mut again = Vec::new();
                for (d, retriable) in descs {
                    if retriable && retry_soon {
                        again.push(d.group.clone());
                    } else {
                        done.push(d);
                    }
                }
                // Groups the answer left out (should not happen) are asked again, once.
                for g in &pending {
                    if !done.iter().any(|d| &d.group == g) && !again.contains(g) && retry_soon {
                        again.push(g.clone());
                    }
                }
                pending = again;
            }
            Err((code, e)) => {
                if !(coordinator_retriable(code) && retry_soon) {
                    if done.is_empty() {
                        return Err(with_wait(e, started));
                    }
                    let msg = with_wait(e, started).to_string();
                    for g in pending.drain(..) {
                        done.push(GroupDescription::failed(g, &msg));
                    }
                }
            }
        }
        if !pending.is_empty() {
            tracing::info!(
                "group coordinator busy, describing {} group(s) again",
                pending.len()
            );
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }
    let mut out = Vec::with_capacity(done.len());
    for g in groups {
        if let Some(i) = done.iter().position(|d| &d.group == g) {
            out.push(done.swap_remove(i));
        }
    }
    Ok(out)
}

/// Shortest time worth sending a request for.
const MIN_ATTEMPT: Duration = Duration::from_millis(200);

impl GroupDescription {
    fn failed(group: String, message: &str) -> GroupDescription {
        GroupDescription {
            group,
            state: "Unknown".into(),
            protocol: String::new(),
            simple: false,
            kind: None,
            coordinator: None,
            members: Vec::new(),
            error: Some(message.to_string()),
            error_kind: Some(crate::error::ErrorKind::Unavailable),
            group_epoch: None,
            assignment_epoch: None,
        }
    }
}

/// One DescribeConsumerGroups call: each group with whether its error is worth asking again.
fn describe_groups_once(
    client: Handle<'_>,
    groups: &[String],
    timeout: Duration,
) -> std::result::Result<Vec<(GroupDescription, bool)>, (RDKafkaErrorCode, Error)> {
    let rk = client.native_ptr();
    const API: &str = "DescribeGroups";
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let other = |e: Error| (RDKafkaErrorCode::Fail, e);
    let names: Vec<CString> = groups
        .iter()
        .map(|g| cstring(g, "group"))
        .collect::<Result<_>>()
        .map_err(other)?;
    let mut ptrs: Vec<*const c_char> = names.iter().map(|c| c.as_ptr()).collect();
    unsafe {
        let queue = new_queue(rk).map_err(other)?;
        let opts = options(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
            timeout,
        )
        .map_err(other)?;
        let started = Instant::now();
        rd::rd_kafka_DescribeConsumerGroups(rk, ptrs.as_mut_ptr(), ptrs.len(), opts.0, queue.0);
        let Some(ev) = poll_event(&queue, started + timeout + GRACE) else {
            return Err((
                RDKafkaErrorCode::OperationTimedOut,
                Error::Timeout {
                    what: API.into(),
                    after: started.elapsed(),
                },
            ));
        };
        if let Some(err) = event_error(&ev, API) {
            return Err(err);
        }
        let result = rd::rd_kafka_event_DescribeConsumerGroups_result(ev.0);
        if result.is_null() {
            return Err(other(Error::kafka(
                "DescribeGroups: unexpected result event",
            )));
        }
        let mut n = 0usize;
        let descs = rd::rd_kafka_DescribeConsumerGroups_result_groups(result, &mut n);
        if descs.is_null() {
            n = 0;
        }
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let d = *descs.add(i);
            if d.is_null() {
                continue;
            }
            let err = rd::rd_kafka_ConsumerGroupDescription_error(d);
            let (error, error_kind, retriable) = if err.is_null() {
                (None, None, false)
            } else {
                let (code, e) = error_code_of(err, API);
                if let Error::Unsupported { .. } = e {
                    return Err((code, e));
                }
                (
                    Some(e.to_string()),
                    Some(e.kind()),
                    coordinator_retriable(code),
                )
            };
            let kind = rd::rd_kafka_ConsumerGroupDescription_type(d);
            // Epochs exist only in KIP-848 groups (librdkafka answers -1 for classic ones;
            // a consumer group's member may be at -2, a static member away for a while).
            let epoch = |e: i32| {
                (kind == rd::rd_kafka_consumer_group_type_t::RD_KAFKA_CONSUMER_GROUP_TYPE_CONSUMER)
                    .then_some(e)
            };
            let mut members = Vec::new();
            for m in 0..rd::rd_kafka_ConsumerGroupDescription_member_count(d) {
                let md = rd::rd_kafka_ConsumerGroupDescription_member(d, m);
                if md.is_null() {
                    continue;
                }
                let assignment = rd::rd_kafka_MemberDescription_assignment(md);
                let parts = if assignment.is_null() {
                    Vec::new()
                } else {
                    read_partition_list(rd::rd_kafka_MemberAssignment_partitions(assignment))
                        .into_iter()
                        .map(|tp| PartitionRef::new(tp.topic, tp.partition))
                        .collect()
                };
                let target = rd::rd_kafka_MemberDescription_target_assignment(md);
                let target_assignment = (!target.is_null()).then(|| {
                    read_partition_list(rd::rd_kafka_MemberAssignment_partitions(target))
                        .into_iter()
                        .map(|tp| PartitionRef::new(tp.topic, tp.partition))
                        .collect()
                });
                members.push(MemberDescription {
                    target_assignment,
                    member_epoch: epoch(rd::rd_kafka_MemberDescription_member_epoch(md)),
                    member_id: string(rd::rd_kafka_MemberDescription_consumer_id(md))
                        .unwrap_or_default(),
                    client_id: string(rd::rd_kafka_MemberDescription_client_id(md))
                        .unwrap_or_default(),
                    host: string(rd::rd_kafka_MemberDescription_host(md)).unwrap_or_default(),
                    instance_id: string(rd::rd_kafka_MemberDescription_group_instance_id(md)),
                    assignment: parts,
                });
            }
            out.push((
                GroupDescription {
                    group: string(rd::rd_kafka_ConsumerGroupDescription_group_id(d))
                        .unwrap_or_default(),
                    state: state_name(rd::rd_kafka_ConsumerGroupDescription_state(d)),
                    protocol: string(rd::rd_kafka_ConsumerGroupDescription_partition_assignor(d))
                        .unwrap_or_default(),
                    simple: rd::rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d) != 0,
                    kind: type_name(kind),
                    coordinator: node(rd::rd_kafka_ConsumerGroupDescription_coordinator(d)),
                    members,
                    error,
                    error_kind,
                    group_epoch: epoch(rd::rd_kafka_ConsumerGroupDescription_group_epoch(d)),
                    assignment_epoch: epoch(
                        rd::rd_kafka_ConsumerGroupDescription_assignment_epoch(d),
                    ),
                },
                retriable,
            ));
        }
        Ok(out)
    }
}

/// The committed offsets of one group, or why they could not be read.
pub type GroupOffsets = (String, Result<Vec<TpResult>>);

/// OffsetFetch for several groups. librdkafka takes one group per call, so the calls are all
/// sent at once on one queue, each tagged with its index, and their results collected as they
/// arrive. A group whose coordinator is loading, moving or away is asked again with backoff
/// while the budget lasts; one group's failure never drops another's answer. Every request
/// comes back, in order, with its offsets or its own error.
/// `partitions` = `None` asks for every partition the group has committed.
pub fn list_group_offsets(
    client: Handle<'_>,
    requests: &[GroupOffsetsRequest],
    timeout: Duration,
) -> Result<Vec<GroupOffsets>> {
    let rk = client.native_ptr();
    const API: &str = "OffsetFetch";
    let queue = new_queue(rk)?;
    let started = Instant::now();
    let deadline = started + timeout;
    let n = requests.len();
    let mut results: Vec<Option<Result<Vec<TpResult>>>> = (0..n).map(|_| None).collect();
    let mut retry_at: Vec<Option<Instant>> = vec![None; n];
    let mut pause: Vec<Duration> = vec![Duration::from_millis(100); n];
    let mut in_flight = 0usize;
    let submit = |i: usize, left: Duration| -> Result<()> {
        let (group, partitions) = &requests[i];
        let name = cstring(group, "group")?;
        let tpl = partitions.as_ref().map(|ps| {
            let mut tpl = TopicPartitionList::with_capacity(ps.len());
            for tp in ps {
                tpl.add_partition(&tp.topic, tp.partition);
            }
            tpl
        });
        unsafe {
            let opts = options(
                rk,
                rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
                left,
            )?;
            tag(&opts, i);
            let mut req = rd::rd_kafka_ListConsumerGroupOffsets_new(
                name.as_ptr(),
                tpl.as_ref().map_or(std::ptr::null(), |t| t.ptr()),
            );
            if req.is_null() {
                return Err(Error::kafka("OffsetFetch: cannot build the request"));
            }
            rd::rd_kafka_ListConsumerGroupOffsets(rk, &mut req, 1, opts.0, queue.0);
            rd::rd_kafka_ListConsumerGroupOffsets_destroy(req);
        }
        Ok(())
    };
    for (i, slot) in results.iter_mut().enumerate() {
        match submit(i, timeout) {
            Ok(()) => in_flight += 1,
            Err(e) => *slot = Some(Err(e)),
        }
    }
    loop {
        if results.iter().all(Option::is_some) {
            break;
        }
        let now = Instant::now();
        for i in 0..n {
            if retry_at[i].is_some_and(|t| t <= now) {
                retry_at[i] = None;
                match submit(i, deadline.saturating_duration_since(now)) {
                    Ok(()) => in_flight += 1,
                    Err(e) => results[i] = Some(Err(e)),
                }
            }
        }
        let next_retry = retry_at.iter().flatten().min().copied();
        if in_flight == 0 {
            match next_retry {
                Some(t) => {
                    std::thread::sleep(t.saturating_duration_since(Instant::now()));
                    continue;
                }
                None => break,
            }
        }
        let until = next_retry.map_or(deadline + GRACE, |t| t.min(deadline + GRACE));
        let Some(ev) = (unsafe { poll_event(&queue, until) }) else {
            if Instant::now() >= deadline + GRACE {
                break;
            }
            continue;
        };
        in_flight = in_flight.saturating_sub(1);
        let i = unsafe { tag_of(&ev) };
        if i >= n || results[i].is_some() {
            continue;
        }
        let answer = unsafe { read_group_offsets(&ev, API) };
        match answer {
            Err((code, e)) => {
                let now = Instant::now();
                if coordinator_retriable(code) && now + pause[i] + MIN_ATTEMPT < deadline {
                    tracing::info!(
                        "group coordinator busy for '{}', asking again: {e}",
                        requests[i].0
                    );
                    retry_at[i] = Some(now + pause[i]);
                    pause[i] = (pause[i] * 2).min(Duration::from_secs(1));
                } else {
                    results[i] = Some(Err(with_wait(e, started)));
                }
            }
            Ok(parts) => results[i] = Some(Ok(parts)),
        }
    }
    Ok(requests
        .iter()
        .zip(results)
        .map(|((group, _), r)| {
            let r = r.unwrap_or_else(|| {
                Err(Error::Timeout {
                    what: format!("OffsetFetch for group '{group}'"),
                    after: started.elapsed(),
                })
            });
            (group.clone(), r)
        })
        .collect())
}

/// One OffsetFetch result event: the group's partitions, or the error with its code.
unsafe fn read_group_offsets(
    ev: &Event,
    api: &str,
) -> std::result::Result<Vec<TpResult>, (RDKafkaErrorCode, Error)> {
    if let Some(err) = event_error(ev, api) {
        return Err(err);
    }
    let result = rd::rd_kafka_event_ListConsumerGroupOffsets_result(ev.0);
    if result.is_null() {
        return Err((
            RDKafkaErrorCode::Fail,
            Error::kafka("OffsetFetch: unexpected result event"),
        ));
    }
    let mut n = 0usize;
    let groups = rd::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &mut n);
    if groups.is_null() || n == 0 {
        return Err((
            RDKafkaErrorCode::Fail,
            Error::kafka("OffsetFetch: empty result"),
        ));
    }
    let g = *groups;
    if g.is_null() {
        return Err((
            RDKafkaErrorCode::Fail,
            Error::kafka("OffsetFetch: empty result"),
        ));
    }
    let err = rd::rd_kafka_group_result_error(g);
    if !err.is_null() {
        return Err(error_code_of(err, api));
    }
    Ok(read_partition_list(rd::rd_kafka_group_result_partitions(g)))
}

/// OffsetCommit from outside the group (the group must be empty). Returns each partition's
/// result as the broker gave it.
pub fn alter_group_offsets(
    client: Handle<'_>,
    group: &str,
    offsets: &[(String, i32, i64)],
    timeout: Duration,
) -> Result<Vec<TpResult>> {
    let rk = client.native_ptr();
    const API: &str = "OffsetCommit";
    let name = cstring(group, "group")?;
    let mut tpl = TopicPartitionList::with_capacity(offsets.len());
    for (t, p, o) in offsets {
        tpl.add_partition_offset(t, *p, rdkafka::Offset::Offset(*o))
            .map_err(|e| Error::kafka(format!("{API}: {e}")))?;
    }
    unsafe {
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS,
            timeout,
            API,
            |o, q| {
                let mut req = rd::rd_kafka_AlterConsumerGroupOffsets_new(name.as_ptr(), tpl.ptr());
                rd::rd_kafka_AlterConsumerGroupOffsets(rk, &mut req, 1, o, q);
                rd::rd_kafka_AlterConsumerGroupOffsets_destroy(req);
            },
        )?;
        let result = rd::rd_kafka_event_AlterConsumerGroupOffsets_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka("OffsetCommit: unexpected result event"));
        }
        let mut n = 0usize;
        let groups = array(
            rd::rd_kafka_AlterConsumerGroupOffsets_result_groups(result, &mut n),
            n,
        );
        let Some(&g) = groups.first().filter(|g| !g.is_null()) else {
            return Err(Error::kafka("OffsetCommit: empty result"));
        };
        let err = rd::rd_kafka_group_result_error(g);
        if !err.is_null() {
            return Err(error_of(err, API));
        }
        Ok(read_partition_list(rd::rd_kafka_group_result_partitions(g)))
    }
}

/// DeleteGroups for one group: its committed offsets and its metadata go. The coordinator
/// refuses a group with members (NON_EMPTY_GROUP).
pub fn delete_group(client: Handle<'_>, group: &str, timeout: Duration) -> Result<()> {
    let rk = client.native_ptr();
    const API: &str = "DeleteGroups";
    let cgroup = cstring(group, "group")?;
    unsafe {
        let mut del = rd::rd_kafka_DeleteGroup_new(cgroup.as_ptr());
        if del.is_null() {
            return Err(Error::kafka(format!(
                "{API}: cannot delete group '{group}'"
            )));
        }
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETEGROUPS,
            timeout,
            API,
            |o, q| rd::rd_kafka_DeleteGroups(rk, &mut del, 1, o, q),
        );
        rd::rd_kafka_DeleteGroup_destroy(del);
        let ev = ev?;
        let result = rd::rd_kafka_event_DeleteGroups_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka(format!("{API}: unexpected result event")));
        }
        let mut n = 0usize;
        let groups = array(rd::rd_kafka_DeleteGroups_result_groups(result, &mut n), n);
        let Some(&r) = groups.first().filter(|r| !r.is_null()) else {
            return Err(Error::kafka(format!("{API} returned nothing")));
        };
        let err = rd::rd_kafka_group_result_error(r);
        if err.is_null() {
            return Ok(());
        }
        let code = RDKafkaErrorCode::from(rd::rd_kafka_error_code(err));
        let msg = string(rd::rd_kafka_error_string(err)).unwrap_or_default();
        Err(match code {
            RDKafkaErrorCode::NonEmptyGroup => Error::GroupActive(format!(
                "group '{group}' has active members: stop its consumers first ({msg})"
            )),
            RDKafkaErrorCode::GroupIdNotFound => {
                Error::NotFound(format!("unknown group '{group}'"))
            }
            _ => map_code(code, &format!("group '{group}': {msg}"), API),
        })
    }
}

/// DeleteConsumerGroupOffsets (OffsetDelete) for some partitions of one group. The coordinator
/// refuses partitions of topics the group's members are subscribed to
/// (GROUP_SUBSCRIBED_TO_TOPIC, per partition). Each partition comes back with its own error.
pub fn delete_group_offsets(
    client: Handle<'_>,
    group: &str,
    partitions: &[(String, i32)],
    timeout: Duration,
) -> Result<Vec<TpResult>> {
    let rk = client.native_ptr();
    const API: &str = "OffsetDelete";
    let cgroup = cstring(group, "group")?;
    let mut tpl = TopicPartitionList::with_capacity(partitions.len());
    for (t, p) in partitions {
        tpl.add_partition(t, *p);
    }
    unsafe {
        let mut del = rd::rd_kafka_DeleteConsumerGroupOffsets_new(cgroup.as_ptr(), tpl.ptr());
        if del.is_null() {
            return Err(Error::kafka(format!("{API}: cannot build the request")));
        }
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS,
            timeout,
            API,
            |o, q| rd::rd_kafka_DeleteConsumerGroupOffsets(rk, &mut del, 1, o, q),
        );
        rd::rd_kafka_DeleteConsumerGroupOffsets_destroy(del);
        let ev = ev?;
        let result = rd::rd_kafka_event_DeleteConsumerGroupOffsets_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka(format!("{API}: unexpected result event")));
        }
        let mut n = 0usize;
        let groups = array(
            rd::rd_kafka_DeleteConsumerGroupOffsets_result_groups(result, &mut n),
            n,
        );
        let Some(&g) = groups.first().filter(|g| !g.is_null()) else {
            return Err(Error::kafka(format!("{API} returned nothing")));
        };
        let err = rd::rd_kafka_group_result_error(g);
        if !err.is_null() {
            let code = RDKafkaErrorCode::from(rd::rd_kafka_error_code(err));
            let msg = string(rd::rd_kafka_error_string(err)).unwrap_or_default();
            return Err(match code {
                RDKafkaErrorCode::NonEmptyGroup => Error::GroupActive(format!(
                    "group '{group}' has active members: stop its consumers first ({msg})"
                )),
                RDKafkaErrorCode::GroupIdNotFound => {
                    Error::NotFound(format!("unknown group '{group}'"))
                }
                _ => map_code(code, &format!("group '{group}': {msg}"), API),
            });
        }
        Ok(read_partition_list(rd::rd_kafka_group_result_partitions(g)))
    }
}
