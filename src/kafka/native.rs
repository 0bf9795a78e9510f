//! A small safe layer over librdkafka admin calls that rust-rdkafka does not wrap: ListOffsets,
//! ListConsumerGroups, DescribeConsumerGroups, ListConsumerGroupOffsets,
//! AlterConsumerGroupOffsets and DescribeCluster.
//!
//! Every call here blocks (it polls a private result queue), so callers run it on a blocking
//! thread. Each librdkafka call batches by itself: ListOffsets sends one request per partition
//! leader, ListConsumerGroupOffsets one OffsetFetch per group.
//!
//! Safety: all pointers handed to librdkafka come from live owners (`Queue`, `Options`,
//! `TopicPartitionList`, `CString`) that outlive the call, and every pointer read back belongs
//! to an `Event` that is alive while we copy out of it.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::TopicPartitionList;

use crate::error::{Error, Result};

/// A live librdkafka handle; the borrow keeps it alive for the whole call.
pub type Handle<'a> = &'a rdkafka::client::Client<super::KscopeContext>;

type RawClient = *mut rd::rd_kafka_t;

/// Committed offsets asked of one group: all of them (`None`) or these partitions.
pub type GroupOffsetsRequest = (String, Option<Vec<(String, i32)>>);

struct Queue(*mut rd::rd_kafka_queue_t);
impl Drop for Queue {
    fn drop(&mut self) {
        unsafe { rd::rd_kafka_queue_destroy(self.0) }
    }
}

struct Options(*mut rd::rd_kafka_AdminOptions_t);
impl Drop for Options {
    fn drop(&mut self) {
        unsafe { rd::rd_kafka_AdminOptions_destroy(self.0) }
    }
}

struct Event(*mut rd::rd_kafka_event_t);
impl Drop for Event {
    fn drop(&mut self) {
        unsafe { rd::rd_kafka_event_destroy(self.0) }
    }
}

unsafe fn string(ptr: *const c_char) -> Option<String> {
    if ptr.is_null() {
        None
    } else {
        Some(CStr::from_ptr(ptr).to_string_lossy().into_owned())
    }
}

fn cstring(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::usage(format!("{what} '{s}' contains a NUL byte")))
}

/// Turns a librdkafka error code into our error, naming the API that failed.
pub fn map_error(code: rd::rd_kafka_resp_err_t, message: &str, api: &str) -> Error {
    let code = RDKafkaErrorCode::from(code);
    match code {
        RDKafkaErrorCode::UnsupportedFeature | RDKafkaErrorCode::UnsupportedVersion => {
            Error::unsupported(api, None)
        }
        RDKafkaErrorCode::OperationTimedOut | RDKafkaErrorCode::RequestTimedOut => {
            Error::kafka(format!("{api} timed out: {message}"))
        }
        RDKafkaErrorCode::GroupIdNotFound => Error::NotFound(format!("{api}: {message}")),
        RDKafkaErrorCode::UnknownTopicOrPartition => Error::NotFound(format!("{api}: {message}")),
        RDKafkaErrorCode::GroupAuthorizationFailed
        | RDKafkaErrorCode::TopicAuthorizationFailed
        | RDKafkaErrorCode::ClusterAuthorizationFailed => {
            Error::kafka(format!("{api}: not authorized: {message}"))
        }
        _ => Error::kafka(format!("{api} failed: {message}")),
    }
}

unsafe fn error_of(err: *const rd::rd_kafka_error_t, api: &str) -> Error {
    let code = rd::rd_kafka_error_code(err);
    let msg = string(rd::rd_kafka_error_string(err)).unwrap_or_default();
    map_error(code, &msg, api)
}

fn timeout_ms(d: Duration) -> i32 {
    d.as_millis().min(i32::MAX as u128) as i32
}

unsafe fn options(
    rk: RawClient,
    op: rd::rd_kafka_admin_op_t,
    timeout: Duration,
) -> Result<Options> {
    let opts = Options(rd::rd_kafka_AdminOptions_new(rk, op));
    if opts.0.is_null() {
        return Err(Error::kafka("cannot create admin options"));
    }
    let mut errbuf = [0 as c_char; 256];
    let err = rd::rd_kafka_AdminOptions_set_request_timeout(
        opts.0,
        timeout_ms(timeout),
        errbuf.as_mut_ptr(),
        errbuf.len(),
    );
    if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Err(Error::kafka(
            string(errbuf.as_ptr()).unwrap_or_else(|| "invalid admin timeout".into()),
        ));
    }
    Ok(opts)
}

/// Waits for the next result on `queue`; the request timeout is enforced by librdkafka, the
/// extra second here only guards against a result that never comes.
unsafe fn wait(queue: &Queue, deadline: Instant, api: &str) -> Result<Event> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = rd::rd_kafka_queue_poll(queue.0, timeout_ms(left.min(Duration::from_millis(200))));
        if !ev.is_null() {
            let ev = Event(ev);
            let code = rd::rd_kafka_event_error(ev.0);
            if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                let msg = string(rd::rd_kafka_event_error_string(ev.0)).unwrap_or_default();
                return Err(map_error(code, &msg, api));
            }
            return Ok(ev);
        }
        if left.is_zero() {
            return Err(Error::Timeout {
                what: api.to_string(),
                after: deadline.elapsed(),
            });
        }
    }
}

fn new_queue(rk: RawClient) -> Result<Queue> {
    let q = unsafe { rd::rd_kafka_queue_new(rk) };
    if q.is_null() {
        Err(Error::kafka("cannot create a librdkafka queue"))
    } else {
        Ok(Queue(q))
    }
}

/// Sends one admin request on a private queue and waits for its result event.
unsafe fn call(
    rk: RawClient,
    op: rd::rd_kafka_admin_op_t,
    timeout: Duration,
    api: &str,
    submit: impl FnOnce(*const rd::rd_kafka_AdminOptions_t, *mut rd::rd_kafka_queue_t),
) -> Result<Event> {
    let queue = new_queue(rk)?;
    let opts = options(rk, op, timeout)?;
    submit(opts.0, queue.0);
    wait(
        &queue,
        Instant::now() + timeout + Duration::from_secs(1),
        api,
    )
}

/// One partition as librdkafka returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TpResult {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The per-partition error, as `(code, description)`.
    pub error: Option<(RDKafkaErrorCode, String)>,
}

unsafe fn read_partition_list(list: *const rd::rd_kafka_topic_partition_list_t) -> Vec<TpResult> {
    if list.is_null() {
        return Vec::new();
    }
    let list = &*list;
    let count = usize::try_from(list.cnt).unwrap_or(0);
    if count == 0 || list.elems.is_null() {
        return Vec::new();
    }
    std::slice::from_raw_parts(list.elems, count)
        .iter()
        .map(|tp| tp_result(tp))
        .collect()
}

unsafe fn tp_result(tp: &rd::rd_kafka_topic_partition_t) -> TpResult {
    TpResult {
        topic: string(tp.topic).unwrap_or_default(),
        partition: tp.partition,
        offset: tp.offset,
        error: (tp.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR).then(|| {
            (
                RDKafkaErrorCode::from(tp.err),
                string(rd::rd_kafka_err2str(tp.err)).unwrap_or_default(),
            )
        }),
    }
}

/// What to ask ListOffsets for, per partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    Earliest,
    Latest,
    /// The first offset whose timestamp is at or after this many milliseconds since the epoch.
    Timestamp(i64),
}

impl OffsetSpec {
    /// rust-rdkafka's raw offsets line up with librdkafka's OffsetSpec: Beginning is -2
    /// (earliest), End is -1 (latest), and a plain offset carries the timestamp.
    fn as_offset(self) -> rdkafka::Offset {
        match self {
            OffsetSpec::Earliest => rdkafka::Offset::Beginning,
            OffsetSpec::Latest => rdkafka::Offset::End,
            OffsetSpec::Timestamp(ms) => rdkafka::Offset::Offset(ms),
        }
    }
}

/// Partitions per ListOffsets call: librdkafka's cost per call grows with the square of its
/// size, so thousands of partitions go out as several calls at once.
pub const LIST_OFFSETS_CHUNK: usize = 1000;

/// ListOffsets for many partitions as several requests of at most `chunk` partitions each,
/// all in flight at once on one queue. For thousands of partitions this is much cheaper than
/// one call: librdkafka matches every partition of a leader's answer against every partition
/// of the call (quadratic), and building the list here avoids a lookup per partition added.
/// Returns the results and the number of calls made.
pub fn list_offsets_batched(
    client: Handle<'_>,
    partitions: &[(String, i32, OffsetSpec)],
    chunk: usize,
    timeout: Duration,
) -> Result<(Vec<TpResult>, usize)> {
    let rk = client.native_ptr();
    const API: &str = "ListOffsets";
    if partitions.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let mut lists = Vec::new();
    for part in partitions.chunks(chunk.max(1)) {
        let mut tpl = TopicPartitionList::with_capacity(part.len());
        for (topic, partition, spec) in part {
            tpl.add_partition(topic, *partition)
                .set_offset(spec.as_offset())
                .map_err(|e| Error::kafka(format!("{API}: {e}")))?;
        }
        lists.push(tpl);
    }
    let queue = new_queue(rk)?;
    let deadline = Instant::now() + timeout + Duration::from_secs(1);
    unsafe {
        // librdkafka copies the list and the options when a request is submitted.
        for tpl in &lists {
            let opts = options(
                rk,
                rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTOFFSETS,
                timeout,
            )?;
            rd::rd_kafka_ListOffsets(rk, tpl.ptr(), opts.0, queue.0);
        }
        let mut out = Vec::with_capacity(partitions.len());
        for _ in &lists {
            let ev = wait(&queue, deadline, API)?;
            let result = rd::rd_kafka_event_ListOffsets_result(ev.0);
            if result.is_null() {
                return Err(Error::kafka("ListOffsets: unexpected result event"));
            }
            let mut n = 0usize;
            let infos = rd::rd_kafka_ListOffsets_result_infos(result, &mut n);
            for i in 0..n {
                let tp = rd::rd_kafka_ListOffsetsResultInfo_topic_partition(*infos.add(i));
                if !tp.is_null() {
                    out.push(tp_result(&*tp));
                }
            }
        }
        Ok((out, lists.len()))
    }
}

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
        let valid = rd::rd_kafka_ListConsumerGroups_result_valid(result, &mut n);
        let mut groups = Vec::with_capacity(n);
        for i in 0..n {
            let g = *valid.add(i);
            groups.push(GroupListing {
                group: string(rd::rd_kafka_ConsumerGroupListing_group_id(g)).unwrap_or_default(),
                state: state_name(rd::rd_kafka_ConsumerGroupListing_state(g)),
                simple: rd::rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g) != 0,
                kind: type_name(rd::rd_kafka_ConsumerGroupListing_type(g)),
            });
        }
        let mut m = 0usize;
        let errs = rd::rd_kafka_ListConsumerGroups_result_errors(result, &mut m);
        let errors = (0..m).map(|i| error_of(*errs.add(i), API)).collect();
        Ok((groups, errors))
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    pub id: i32,
    pub host: String,
    pub port: u16,
    pub rack: Option<String>,
}

unsafe fn node(n: *const rd::rd_kafka_Node_t) -> Option<Node> {
    if n.is_null() {
        return None;
    }
    Some(Node {
        id: rd::rd_kafka_Node_id(n),
        host: string(rd::rd_kafka_Node_host(n)).unwrap_or_default(),
        port: rd::rd_kafka_Node_port(n),
        rack: string(rd::rd_kafka_Node_rack(n)).filter(|r| !r.is_empty()),
    })
}

#[derive(Debug, Clone)]
pub struct MemberDescription {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    pub instance_id: Option<String>,
    pub assignment: Vec<(String, i32)>,
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
}

/// DescribeConsumerGroups for several groups in one call.
pub fn describe_groups(
    client: Handle<'_>,
    groups: &[String],
    timeout: Duration,
) -> Result<Vec<GroupDescription>> {
    let rk = client.native_ptr();
    const API: &str = "DescribeGroups";
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<CString> = groups
        .iter()
        .map(|g| cstring(g, "group"))
        .collect::<Result<_>>()?;
    let mut ptrs: Vec<*const c_char> = names.iter().map(|c| c.as_ptr()).collect();
    unsafe {
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
            timeout,
            API,
            |o, q| rd::rd_kafka_DescribeConsumerGroups(rk, ptrs.as_mut_ptr(), ptrs.len(), o, q),
        )?;
        let result = rd::rd_kafka_event_DescribeConsumerGroups_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka("DescribeGroups: unexpected result event"));
        }
        let mut n = 0usize;
        let descs = rd::rd_kafka_DescribeConsumerGroups_result_groups(result, &mut n);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let d = *descs.add(i);
            let err = rd::rd_kafka_ConsumerGroupDescription_error(d);
            let error = if err.is_null() {
                None
            } else {
                let e = error_of(err, API);
                if let Error::Unsupported { .. } = e {
                    return Err(e);
                }
                Some(e.to_string())
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
                        .map(|tp| (tp.topic, tp.partition))
                        .collect()
                };
                members.push(MemberDescription {
                    member_id: string(rd::rd_kafka_MemberDescription_consumer_id(md))
                        .unwrap_or_default(),
                    client_id: string(rd::rd_kafka_MemberDescription_client_id(md))
                        .unwrap_or_default(),
                    host: string(rd::rd_kafka_MemberDescription_host(md)).unwrap_or_default(),
                    instance_id: string(rd::rd_kafka_MemberDescription_group_instance_id(md)),
                    assignment: parts,
                });
            }
            out.push(GroupDescription {
                group: string(rd::rd_kafka_ConsumerGroupDescription_group_id(d))
                    .unwrap_or_default(),
                state: state_name(rd::rd_kafka_ConsumerGroupDescription_state(d)),
                protocol: string(rd::rd_kafka_ConsumerGroupDescription_partition_assignor(d))
                    .unwrap_or_default(),
                simple: rd::rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d) != 0,
                kind: type_name(rd::rd_kafka_ConsumerGroupDescription_type(d)),
                coordinator: node(rd::rd_kafka_ConsumerGroupDescription_coordinator(d)),
                members,
                error,
            });
        }
        Ok(out)
    }
}

/// The committed offsets of one group, or why they could not be read.
pub type GroupOffsets = (String, Result<Vec<TpResult>>);

/// OffsetFetch for several groups. librdkafka takes one group per call, so the calls are all
/// sent at once on one queue and their results collected as they arrive.
/// `partitions` = `None` asks for every partition the group has committed.
pub fn list_group_offsets(
    client: Handle<'_>,
    requests: &[GroupOffsetsRequest],
    timeout: Duration,
) -> Result<Vec<GroupOffsets>> {
    let rk = client.native_ptr();
    const API: &str = "OffsetFetch";
    let queue = new_queue(rk)?;
    let deadline = Instant::now() + timeout + Duration::from_secs(1);
    unsafe {
        for (group, partitions) in requests {
            let name = cstring(group, "group")?;
            let tpl = partitions.as_ref().map(|ps| {
                let mut tpl = TopicPartitionList::with_capacity(ps.len());
                for (t, p) in ps {
                    tpl.add_partition(t, *p);
                }
                tpl
            });
            let mut req = rd::rd_kafka_ListConsumerGroupOffsets_new(
                name.as_ptr(),
                tpl.as_ref().map_or(std::ptr::null(), |t| t.ptr()),
            );
            let opts = options(
                rk,
                rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
                timeout,
            )?;
            rd::rd_kafka_ListConsumerGroupOffsets(rk, &mut req, 1, opts.0, queue.0);
            rd::rd_kafka_ListConsumerGroupOffsets_destroy(req);
        }
        let mut out = Vec::with_capacity(requests.len());
        for _ in requests {
            let ev = wait(&queue, deadline, API)?;
            let result = rd::rd_kafka_event_ListConsumerGroupOffsets_result(ev.0);
            if result.is_null() {
                return Err(Error::kafka("OffsetFetch: unexpected result event"));
            }
            let mut n = 0usize;
            let groups = rd::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &mut n);
            for i in 0..n {
                let g = *groups.add(i);
                let name = string(rd::rd_kafka_group_result_name(g)).unwrap_or_default();
                let err = rd::rd_kafka_group_result_error(g);
                let offsets = if err.is_null() {
                    Ok(read_partition_list(rd::rd_kafka_group_result_partitions(g)))
                } else {
                    Err(error_of(err, API))
                };
                out.push((name, offsets));
            }
        }
        Ok(out)
    }
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
        let groups = rd::rd_kafka_AlterConsumerGroupOffsets_result_groups(result, &mut n);
        if n == 0 {
            return Err(Error::kafka("OffsetCommit: empty result"));
        }
        let g = *groups;
        let err = rd::rd_kafka_group_result_error(g);
        if !err.is_null() {
            return Err(error_of(err, API));
        }
        Ok(read_partition_list(rd::rd_kafka_group_result_partitions(g)))
    }
}

#[derive(Debug, Clone)]
pub struct ClusterDescription {
    pub cluster_id: Option<String>,
    pub controller: Option<Node>,
    pub nodes: Vec<Node>,
}

/// DescribeCluster: cluster id, controller and brokers with their racks.
pub fn describe_cluster(client: Handle<'_>, timeout: Duration) -> Result<ClusterDescription> {
    let rk = client.native_ptr();
    const API: &str = "DescribeCluster";
    unsafe {
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER,
            timeout,
            API,
            |o, q| rd::rd_kafka_DescribeCluster(rk, o, q),
        )?;
        let result = rd::rd_kafka_event_DescribeCluster_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka("DescribeCluster: unexpected result event"));
        }
        let mut n = 0usize;
        let nodes = rd::rd_kafka_DescribeCluster_result_nodes(result, &mut n);
        Ok(ClusterDescription {
            cluster_id: string(rd::rd_kafka_DescribeCluster_result_cluster_id(result)),
            controller: node(rd::rd_kafka_DescribeCluster_result_controller(result)),
            nodes: (0..n).filter_map(|i| node(*nodes.add(i))).collect(),
        })
    }
}

/// Reads the per-topic results of CreateTopics or DeleteTopics.
unsafe fn topic_results(
    results: *mut *const rd::rd_kafka_topic_result_t,
    n: usize,
    api: &str,
) -> Result<()> {
    for i in 0..n {
        let r = *results.add(i);
        let code = rd::rd_kafka_topic_result_error(r);
        if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            let name = string(rd::rd_kafka_topic_result_name(r)).unwrap_or_default();
            let msg = string(rd::rd_kafka_topic_result_error_string(r)).unwrap_or_default();
            return Err(match RDKafkaErrorCode::from(code) {
                RDKafkaErrorCode::TopicAlreadyExists => {
                    Error::kafka(format!("topic '{name}' already exists"))
                }
                RDKafkaErrorCode::UnknownTopicOrPartition => {
                    Error::NotFound(format!("unknown topic '{name}'"))
                }
                RDKafkaErrorCode::InvalidReplicationFactor
                | RDKafkaErrorCode::InvalidPartitions
                | RDKafkaErrorCode::InvalidConfig
                | RDKafkaErrorCode::InvalidTopic
                | RDKafkaErrorCode::PolicyViolation => {
                    Error::usage(format!("{api} '{name}' refused: {msg}"))
                }
                _ => map_error(code, &format!("'{name}': {msg}"), api),
            });
        }
    }
    Ok(())
}

/// CreateTopics for one topic; `replication_factor` -1 takes the broker's default.
pub fn create_topic(
    client: Handle<'_>,
    name: &str,
    partitions: i32,
    replication_factor: i32,
    configs: &[(String, String)],
    timeout: Duration,
) -> Result<()> {
    let rk = client.native_ptr();
    const API: &str = "CreateTopics";
    let cname = cstring(name, "topic")?;
    let configs: Vec<(CString, CString)> = configs
        .iter()
        .map(|(k, v)| Ok((cstring(k, "config")?, cstring(v, "config value")?)))
        .collect::<Result<_>>()?;
    unsafe {
        let mut errbuf = [0 as c_char; 512];
        let mut topic = rd::rd_kafka_NewTopic_new(
            cname.as_ptr(),
            partitions,
            replication_factor,
            errbuf.as_mut_ptr(),
            errbuf.len(),
        );
        if topic.is_null() {
            return Err(Error::usage(format!(
                "cannot create topic '{name}': {}",
                string(errbuf.as_ptr()).unwrap_or_default()
            )));
        }
        for (k, v) in &configs {
            rd::rd_kafka_NewTopic_set_config(topic, k.as_ptr(), v.as_ptr());
        }
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATETOPICS,
            timeout,
            API,
            |o, q| {
                set_operation_timeout(o, timeout);
                rd::rd_kafka_CreateTopics(rk, &mut topic, 1, o, q);
            },
        );
        rd::rd_kafka_NewTopic_destroy(topic);
        let ev = ev?;
        let result = rd::rd_kafka_event_CreateTopics_result(ev.0);
        let mut n = 0usize;
        topic_results(
            rd::rd_kafka_CreateTopics_result_topics(result, &mut n),
            n,
            API,
        )
    }
}

/// DeleteTopics for one topic.
pub fn delete_topic(client: Handle<'_>, name: &str, timeout: Duration) -> Result<()> {
    let rk = client.native_ptr();
    const API: &str = "DeleteTopics";
    let cname = cstring(name, "topic")?;
    unsafe {
        let mut topic = rd::rd_kafka_DeleteTopic_new(cname.as_ptr());
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETETOPICS,
            timeout,
            API,
            |o, q| {
                set_operation_timeout(o, timeout);
                rd::rd_kafka_DeleteTopics(rk, &mut topic, 1, o, q);
            },
        );
        rd::rd_kafka_DeleteTopic_destroy(topic);
        let ev = ev?;
        let result = rd::rd_kafka_event_DeleteTopics_result(ev.0);
        let mut n = 0usize;
        topic_results(
            rd::rd_kafka_DeleteTopics_result_topics(result, &mut n),
            n,
            API,
        )
    }
}

/// Waits for the controller to finish creating or deleting, not just to accept the request.
unsafe fn set_operation_timeout(opts: *const rd::rd_kafka_AdminOptions_t, timeout: Duration) {
    let mut errbuf = [0 as c_char; 256];
    rd::rd_kafka_AdminOptions_set_operation_timeout(
        opts as *mut _,
        timeout_ms(timeout),
        errbuf.as_mut_ptr(),
        errbuf.len(),
    );
}

#[derive(Debug, Clone)]
pub struct ConfigEntry {
    pub name: String,
    pub value: Option<String>,
    pub source: &'static str,
    pub sensitive: bool,
}

fn source_name(source: rd::rd_kafka_ConfigSource_t) -> &'static str {
    use rd::rd_kafka_ConfigSource_t as S;
    match source {
        S::RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG => "topic",
        S::RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG => "broker",
        S::RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG => "broker-default",
        S::RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG => "static-broker",
        S::RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG => "default",
        S::RD_KAFKA_CONFIG_SOURCE_GROUP_CONFIG => "group",
        _ => "unknown",
    }
}

/// DescribeConfigs for one topic.
pub fn describe_topic_configs(
    client: Handle<'_>,
    name: &str,
    timeout: Duration,
) -> Result<Vec<ConfigEntry>> {
    let rk = client.native_ptr();
    const API: &str = "DescribeConfigs";
    let cname = cstring(name, "topic")?;
    unsafe {
        let mut res = rd::rd_kafka_ConfigResource_new(
            rd::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC,
            cname.as_ptr(),
        );
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
            timeout,
            API,
            |o, q| rd::rd_kafka_DescribeConfigs(rk, &mut res, 1, o, q),
        );
        rd::rd_kafka_ConfigResource_destroy(res);
        let ev = ev?;
        let result = rd::rd_kafka_event_DescribeConfigs_result(ev.0);
        let mut n = 0usize;
        let resources = rd::rd_kafka_DescribeConfigs_result_resources(result, &mut n);
        if n == 0 {
            return Err(Error::kafka("DescribeConfigs returned nothing"));
        }
        let r = *resources;
        let code = rd::rd_kafka_ConfigResource_error(r);
        if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            let msg = string(rd::rd_kafka_ConfigResource_error_string(r)).unwrap_or_default();
            return Err(map_error(code, &msg, API));
        }
        let mut m = 0usize;
        let entries = rd::rd_kafka_ConfigResource_configs(r, &mut m);
        Ok((0..m)
            .map(|i| {
                let e = *entries.add(i);
                let sensitive = rd::rd_kafka_ConfigEntry_is_sensitive(e) != 0;
                ConfigEntry {
                    name: string(rd::rd_kafka_ConfigEntry_name(e)).unwrap_or_default(),
                    value: if sensitive {
                        None
                    } else {
                        string(rd::rd_kafka_ConfigEntry_value(e))
                    },
                    source: source_name(rd::rd_kafka_ConfigEntry_source(e)),
                    sensitive,
                }
            })
            .collect())
    }
}

/// The controller id from the last metadata, or `None` (librdkafka returns -1 when unknown).
pub fn controller_id(client: Handle<'_>, timeout: Duration) -> Option<i32> {
    let rk = client.native_ptr();
    let id = unsafe { rd::rd_kafka_controllerid(rk, timeout_ms(timeout)) };
    (id >= 0).then_some(id)
}

/// syslog levels, as librdkafka uses them.
fn log_level(level: i32) -> rdkafka::config::RDKafkaLogLevel {
    use rdkafka::config::RDKafkaLogLevel as L;
    match level {
        0 => L::Emerg,
        1 => L::Alert,
        2 => L::Critical,
        3 => L::Error,
        4 => L::Warning,
        5 => L::Notice,
        6 => L::Info,
        _ => L::Debug,
    }
}

/// The client's main queue, which carries librdkafka's log lines and error events.
struct MainQueue(Queue);
// librdkafka queues may be polled and woken from any thread.
unsafe impl Send for MainQueue {}
unsafe impl Sync for MainQueue {}

/// Pumps a client's main queue on a thread of its own, handing log lines, errors and
/// statistics to the context. rust-rdkafka's admin client never polls that queue, so without this the events
/// would pile up unseen. Dropping the handle stops the thread before the client goes away.
pub struct MainQueuePump {
    queue: std::sync::Arc<MainQueue>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MainQueuePump {
    pub fn start(client: Handle<'_>) -> Result<MainQueuePump> {
        use rdkafka::client::ClientContext;
        let rk = client.native_ptr();
        let context = client.context().clone();
        use std::sync::atomic::{AtomicBool, Ordering};

        let queue =
            std::sync::Arc::new(MainQueue(Queue(unsafe { rd::rd_kafka_queue_get_main(rk) })));
        if queue.0 .0.is_null() {
            return Err(Error::kafka("cannot get the client's main queue"));
        }
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let polled = queue.clone();
        let thread = std::thread::Builder::new()
            .name("kscope-events".into())
            .spawn(move || {
                let queue = polled;
                while !stopping.load(Ordering::Relaxed) {
                    let ev = unsafe { rd::rd_kafka_queue_poll(queue.0 .0, 100) };
                    if ev.is_null() {
                        continue;
                    }
                    let ev = Event(ev);
                    unsafe {
                        match rd::rd_kafka_event_type(ev.0) {
                            rd::RD_KAFKA_EVENT_LOG => {
                                let (mut fac, mut msg, mut level) =
                                    (std::ptr::null(), std::ptr::null(), 0);
                                if rd::rd_kafka_event_log(ev.0, &mut fac, &mut msg, &mut level) == 0
                                {
                                    context.log(
                                        log_level(level),
                                        &string(fac).unwrap_or_default(),
                                        &string(msg).unwrap_or_default(),
                                    );
                                }
                            }
                            rd::RD_KAFKA_EVENT_STATS => {
                                let json = rd::rd_kafka_event_stats(ev.0);
                                if !json.is_null() {
                                    context.stats_raw(CStr::from_ptr(json).to_bytes());
                                }
                            }
                            rd::RD_KAFKA_EVENT_ERROR => {
                                let code = rd::rd_kafka_event_error(ev.0);
                                let reason = string(rd::rd_kafka_event_error_string(ev.0))
                                    .unwrap_or_default();
                                context.error(
                                    rdkafka::error::KafkaError::Global(code.into()),
                                    &reason,
                                );
                            }
                            _ => {}
                        }
                    }
                }
            })
            .map_err(|e| Error::Io(format!("cannot start the event thread: {e}")))?;
        Ok(MainQueuePump {
            queue,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for MainQueuePump {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // Wake the poll at once rather than waiting out its timeout.
        unsafe { rd::rd_kafka_queue_yield(self.queue.0 .0) };
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
