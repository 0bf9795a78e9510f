//! Reads about consumer groups: names (ListGroups), states and members (DescribeGroups, from
//! each group's coordinator), committed offsets (OffsetFetch) and lag. One group's coordinator
//! being away never hides another group's answer; what could not be read is named.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::call::Call;
use super::offsets::leaders_of;
use super::record_times::Wanted;
use super::{api, native, OffsetSpec};
use crate::error::{Error, Result};
use crate::model::{
    self, Broker, Failure, Gaps, GroupDetail, GroupSummary, Listing, Member, Missing, PartitionLag,
    PartitionOffsets, PartitionRef, RecordTime, Subject, TopicPartitions,
};

/// What kscope says of a KIP-932 share group: librdkafka lists it (vendored patch 0008) but
/// has no API to describe it.
pub const SHARE_GROUPS: &str = "share groups: not describable with this client";

/// A share group as listed: its name and state.
pub(super) type ShareGroup = (String, String);

/// Committed offsets of a group, with the partitions whose offset could not be read.
pub(super) type Committed = PartitionOffsets<i64>;

impl Call<'_> {
    /// Names of all groups: ListGroups, or the context's `groups` where the broker lacks it.
    /// A broker whose listing failed is named: the groups it coordinates may be missing.
    pub(super) fn group_names(&self) -> Result<(Vec<String>, Gaps)> {
        self.group_names_and_shares()
            .map(|(names, _, gaps)| (names, gaps))
    }

    /// [`group_names`](Self::group_names), and apart from them the KIP-932 share groups
    /// (name and state): this client cannot describe them or read their offsets.
    pub(super) fn group_names_and_shares(&self) -> Result<(Vec<String>, Vec<ShareGroup>, Gaps)> {
        self.connected()?;
        // Every broker is asked; one that does not answer must leave time for the offsets.
        let listed = self
            .require(api::LIST_GROUPS)
            .and_then(|_| native::list_groups(self.raw(), self.part("ListGroups", 0.3)?));
        match listed {
            Ok((groups, errors)) => {
                let mut gaps = Gaps::default();
                for e in errors {
                    tracing::warn!("ListGroups partly failed: {e}");
                    gaps.push(Missing::new(Subject::GroupListing { broker: None }, &e));
                }
                let (shares, groups): (Vec<_>, Vec<_>) = groups
                    .into_iter()
                    .partition(|g| g.kind.as_deref() == Some("share"));
                let mut names: BTreeSet<String> = groups.into_iter().map(|g| g.group).collect();
                // Groups the context names are asked about even if a listing missed them.
                names.extend(self.settings.known_groups.iter().cloned());
                let shares: Vec<(String, String)> = shares
                    .into_iter()
                    .filter(|s| !names.contains(&s.group))
                    .map(|s| (s.group, s.state))
                    .collect();
                Ok((names.into_iter().collect(), shares, gaps))
            }
            Err(Error::Unsupported { api, .. }) if !self.settings.known_groups.is_empty() => {
                tracing::info!("{api} unsupported: using the context's groups");
                Ok((
                    self.settings.known_groups.clone(),
                    Vec::new(),
                    Gaps::default(),
                ))
            }
            Err(Error::Unsupported { api, .. }) => Err(Error::unsupported(
                api,
                Some(
                    "name the groups in the context's `groups` list or use `kscope group NAME`"
                        .into(),
                ),
            )),
            Err(e) => Err(e),
        }
    }

    /// Committed offsets of one group (`None` = all it has committed). The group's own
    /// failure is an error; a partition whose offset the coordinator could not give is missing.
    pub(super) fn committed(
        &self,
        group: &str,
        partitions: Option<Vec<PartitionRef>>,
    ) -> Result<Committed> {
        let res = native::list_group_offsets(
            self.raw(),
            &[(group.to_string(), partitions)],
            self.part("OffsetFetch", 0.6)?,
        )?;
        let (_, offsets) = res
            .into_iter()
            .next()
            .ok_or_else(|| Error::kafka("OffsetFetch returned nothing"))?;
        Ok(committed_of(
            group,
            offsets.map_err(|e| coordinator_error(group, e))?,
        ))
    }

    /// Committed offsets for many groups in one round of requests, each group's own result.
    /// Brokers that cannot list a group's offsets by itself (the librdkafka mock) are asked for
    /// `fallback` partitions.
    pub(super) fn committed_many(
        &self,
        groups: &[String],
        fallback: impl Fn() -> Result<Vec<PartitionRef>>,
    ) -> Result<HashMap<String, Result<Committed>>> {
        let req: Vec<(String, Option<Vec<PartitionRef>>)> =
            groups.iter().map(|g| (g.clone(), None)).collect();
        let mut out: HashMap<String, Result<Committed>> =
            native::list_group_offsets(self.raw(), &req, self.part("OffsetFetch", 0.6)?)?
                .into_iter()
                .map(|(g, r)| {
                    let r = r
                        .map(|list| committed_of(&g, list))
                        .map_err(|e| coordinator_error(&g, e));
                    (g, r)
                })
                .collect();
        let empty: Vec<String> = out
            .iter()
            .filter(|(_, r)| matches!(r, Ok(m) if m.values.is_empty() && m.missing.is_empty()))
            .map(|(g, _)| g.clone())
            .collect();
        if !empty.is_empty() && !self.settings.known_groups.is_empty() {
            let parts = fallback()?;
            if !parts.is_empty() {
                let req: Vec<(String, Option<Vec<PartitionRef>>)> = empty
                    .iter()
                    .map(|g| (g.clone(), Some(parts.clone())))
                    .collect();
                for (g, r) in
                    native::list_group_offsets(self.raw(), &req, self.left("OffsetFetch")?)?
                {
                    let r = r
                        .map(|list| committed_of(&g, list))
                        .map_err(|e| coordinator_error(&g, e));
                    out.insert(g, r);
                }
            }
        }
        Ok(out)
    }

    /// Groups with committed offsets on `topic` or members assigned to it, and what could not
    /// be asked (groups whose offsets or members could not be read may be readers too).
    pub(super) fn groups_reading(
        &self,
        topic: &str,
        tps: &[PartitionRef],
    ) -> Result<(Vec<String>, Vec<Missing>)> {
        let (names, gaps) = self.group_names()?;
        let mut missing: Vec<Missing> = gaps.0;
        let committed = self.committed_many(&names, || Ok(tps.to_vec()))?;
        let mut readers: BTreeSet<String> = BTreeSet::new();
        for (g, r) in committed {
            match r {
                Ok(m) if m.values.keys().any(|tp| tp.topic == topic) => {
                    readers.insert(g);
                }
                Ok(_) => {}
                Err(e) => missing.push(Missing::new(Subject::GroupOffsets { group: g }, &e)),
            }
        }
        match self.describe_groups(&names) {
            Ok(descs) => {
                for d in descs {
                    if d.members
                        .iter()
                        .any(|m| m.assignment.iter().any(|tp| tp.topic == topic))
                    {
                        readers.insert(d.group);
                    }
                }
            }
            Err(Error::Unsupported { .. }) => {}
            Err(e) => missing.push(Missing::new(
                Subject::TopicGroups {
                    topic: topic.to_string(),
                },
                &e,
            )),
        }
        missing.sort_by(|a, b| a.subject.cmp(&b.subject));
        Ok((readers.into_iter().collect(), missing))
    }

    pub(super) fn describe_groups(
        &self,
        names: &[String],
    ) -> Result<Vec<native::GroupDescription>> {
        self.require(api::DESCRIBE_GROUPS)?;
        native::describe_groups(self.raw(), names, self.left("DescribeGroups")?)
    }

    pub(super) fn groups(&self) -> Result<Listing<GroupSummary>> {
        let (names, shares, listing_gaps) = self.group_names_and_shares()?;
        let mut listing = self.consumer_groups(names, listing_gaps)?;
        // Share groups are listed with their type, never hidden, and say what is not known.
        listing
            .items
            .extend(shares.into_iter().map(|(group, state)| GroupSummary {
                group,
                state,
                protocol: String::new(),
                kind: Some("share".into()),
                members: 0,
                total_lag: None,
                time_lag_ms: None,
                time_lag_method: None,
                error: Some(SHARE_GROUPS.to_string()),
                gaps: Gaps::default(),
            }));
        listing.items.sort_by(|a, b| a.group.cmp(&b.group));
        Ok(listing)
    }

    fn consumer_groups(
        &self,
        names: Vec<String>,
        listing_gaps: Gaps,
    ) -> Result<Listing<GroupSummary>> {
        if names.is_empty() {
            return Ok(Listing {
                items: Vec::new(),
                gaps: listing_gaps,
            });
        }
        // States and committed offsets come from the same coordinators, asked at once.
        let (descs, committed) = std::thread::scope(|s| {
            let descs = s.spawn(|| self.describe_groups(&names));
            let committed = self.committed_many(&names, || {
                Ok(Self::partitions_of(&self.metadata(None)?, false))
            });
            let descs = descs
                .join()
                .unwrap_or_else(|_| Err(Error::kafka("DescribeGroups: internal error")));
            (descs, committed)
        });
        let committed = committed?;
        let (descs, describe_failed): (HashMap<String, native::GroupDescription>, Option<Error>) =
            match descs {
                Ok(d) => (d.into_iter().map(|d| (d.group.clone(), d)).collect(), None),
                Err(e @ Error::Unsupported { .. }) => {
                    tracing::info!("DescribeGroups unavailable: {e}");
                    (HashMap::new(), None)
                }
                Err(e) => (HashMap::new(), Some(e)),
            };
        let all: Vec<PartitionRef> = committed
            .values()
            .filter_map(|r| r.as_ref().ok())
            .flat_map(|m| m.values.keys().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let ends = if all.is_empty() {
            PartitionOffsets::default()
        } else {
            // The leaders, to name one that does not answer (asked before: once ListOffsets
            // has waited for a dead leader, no time may be left to look it up).
            let leaders = self
                .part("Metadata", 0.2)
                .ok()
                .and_then(|_| self.metadata(None).ok())
                .map(|md| leaders_of(&md));
            self.offsets_led(&all, OffsetSpec::Latest, leaders.as_ref())?
        };
        // The records at the committed offsets of every lagging partition, in one round.
        let mut wanted = Vec::new();
        for m in committed.values().filter_map(|r| r.as_ref().ok()) {
            for (tp, c) in &m.values {
                if ends.values.get(tp).is_some_and(|end| c < end) {
                    wanted.push(Wanted {
                        tp: tp.clone(),
                        committed: *c,
                        log_start: None,
                    });
                }
            }
        }
        let times = self.time_lags(&wanted);
        let items = names
            .iter()
            .map(|g| {
                let desc = descs.get(g);
                let mut gaps = Gaps::default();
                if let Some(e) = &describe_failed {
                    gaps.push(Missing::new(Subject::GroupMembers { group: g.clone() }, e));
                }
                if let Some(d) = desc {
                    if let (Some(msg), Some(kind)) = (&d.error, d.error_kind) {
                        if kind.is_retriable() {
                            gaps.push(Missing {
                                subject: Subject::GroupMembers { group: g.clone() },
                                what: String::new(),
                                reason: kind,
                                cause: msg.clone(),
                                message: format!("members of group '{g}': {msg}"),
                            });
                        }
                    }
                }
                let mut part_lags = Vec::new();
                let (total_lag, error) = match committed.get(g) {
                    Some(Ok(m)) => {
                        gaps.extend(m.missing.values().cloned());
                        let mut total: Option<i64> = None;
                        for (tp, c) in &m.values {
                            match ends.values.get(tp) {
                                Some(end) => {
                                    let lag = model::lag(Some(*c), Some(*end));
                                    part_lags.push((lag, time_lag_of(&times, tp, *c, lag).0));
                                    if let Some(l) = lag {
                                        *total.get_or_insert(0) += l;
                                    }
                                }
                                None => {
                                    if let Some(miss) = ends.missing.get(tp) {
                                        gaps.push(miss.clone());
                                    }
                                }
                            }
                        }
                        (total, None)
                    }
                    Some(Err(e)) => {
                        gaps.push(Missing::new(Subject::GroupOffsets { group: g.clone() }, e));
                        (None, Some(e.to_string()))
                    }
                    None => (None, None),
                };
                let (time_lag_ms, time_lag_method) = model::worst_time_lag(part_lags);
                GroupSummary {
                    group: g.clone(),
                    state: desc.map_or("Unknown".into(), |d| d.state.clone()),
                    protocol: desc.map_or(String::new(), |d| d.protocol.clone()),
                    kind: desc.and_then(|d| d.kind.clone()),
                    members: desc.map_or(0, |d| d.members.len()),
                    total_lag,
                    time_lag_ms,
                    time_lag_method,
                    error: error.or_else(|| desc.and_then(|d| d.error.clone())),
                    gaps,
                }
            })
            .collect();
        Ok(Listing {
            items,
            gaps: listing_gaps,
        })
    }

    pub(super) fn group(&self, group: &str, topic: Option<&str>) -> Result<GroupDetail> {
        if let Some(t) = topic {
            self.metadata(Some(t))?;
        }
        self.connected()?;
        // The description and the committed offsets come from the same coordinator, asked at
        // once.
        let names = [group.to_string()];
        let (described, committed) = std::thread::scope(|s| {
            let described = s.spawn(|| self.describe_groups(&names));
            let committed = self.committed(group, None);
            let described = described
                .join()
                .unwrap_or_else(|_| Err(Error::kafka("DescribeGroups: internal error")));
            (described, committed)
        });
        let mut gaps = Gaps::default();
        let (desc, describe_error) = match described {
            Ok(mut d) if !d.is_empty() => {
                let d = d.remove(0);
                if let (Some(msg), Some(kind)) = (&d.error, d.error_kind) {
                    if kind.is_retriable() {
                        gaps.push(Missing {
                            subject: Subject::GroupMembers {
                                group: group.to_string(),
                            },
                            what: String::new(),
                            reason: kind,
                            cause: msg.clone(),
                            message: format!("members of group '{group}': {msg}"),
                        });
                    }
                }
                (Some(d), None)
            }
            Ok(_) => (None, None),
            Err(e @ Error::Unsupported { .. }) => (None, Some(Failure::from(e))),
            Err(e) => {
                gaps.push(Missing::new(
                    Subject::GroupMembers {
                        group: group.to_string(),
                    },
                    &e,
                ));
                (None, Some(Failure::from(e)))
            }
        };
        let coordinator = desc
            .as_ref()
            .and_then(|d| d.coordinator.as_ref())
            .map(|n| n.id);
        let mut committed = committed.map_err(|e| match coordinator {
            Some(c) => prefix_error(e, &format!("coordinator {c}: ")),
            None => e,
        })?;
        if committed.values.is_empty() && (desc.is_none() || describe_error.is_some()) {
            // Brokers without group listing (the librdkafka mock) only answer when asked about
            // named partitions.
            let md = self.metadata(topic)?;
            let parts: Vec<PartitionRef> = Self::partitions_of(&md, false)
                .into_iter()
                .filter(|tp| topic.is_none_or(|f| f == tp.topic))
                .collect();
            if !parts.is_empty() {
                committed = self.committed(group, Some(parts))?;
            }
        }
        if let Some(err) = desc.as_ref().and_then(|d| d.error.as_ref()) {
            if gaps.is_complete() && committed.values.is_empty() {
                return Err(Error::NotFound(format!("group '{group}': {err}")));
            }
        }
        let members: Vec<Member> = desc
            .as_ref()
            .map(|d| {
                d.members
                    .iter()
                    .map(|m| Member {
                        member_id: m.member_id.clone(),
                        client_id: m.client_id.clone(),
                        host: m.host.clone(),
                        instance_id: m.instance_id.clone(),
                        assignment: group_by_topic(
                            m.assignment
                                .iter()
                                .filter(|tp| topic.is_none_or(|f| f == tp.topic))
                                .cloned(),
                        ),
                        target_assignment: m.target_assignment.as_ref().map(|t| {
                            group_by_topic(
                                t.iter()
                                    .filter(|tp| topic.is_none_or(|f| f == tp.topic))
                                    .cloned(),
                            )
                        }),
                        member_epoch: m.member_epoch,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let state = desc
            .as_ref()
            .map_or("Unknown".to_string(), |d| d.state.clone());
        let exists = !committed.values.is_empty() || !members.is_empty();
        if !exists
            && (state == "Dead" || desc.is_none())
            && describe_error.is_none()
            && gaps.is_complete()
        {
            // A share group is not a consumer group: say so rather than "unknown".
            if let Ok((_, shares, _)) = self.group_names_and_shares() {
                if shares.iter().any(|(g, _)| g == group) {
                    return Err(Error::ClientUnsupported(format!(
                        "group '{group}' is a share group (KIP-932); {SHARE_GROUPS}"
                    )));
                }
            }
            return Err(Error::NotFound(format!("unknown group '{group}'")));
        }

        // Every partition the group has committed or has assigned.
        let mut owner: BTreeMap<PartitionRef, &Member> = BTreeMap::new();
        for m in &members {
            for tp in &m.assignment {
                for p in &tp.partitions {
                    owner.insert(PartitionRef::new(&tp.topic, *p), m);
                }
            }
        }
        let in_scope = |t: &str| topic.is_none_or(|f| f == t);
        gaps.extend(
            committed
                .missing
                .iter()
                .filter(|(tp, _)| in_scope(&tp.topic))
                .map(|(_, m)| m.clone()),
        );
        let all: BTreeSet<PartitionRef> = committed
            .values
            .keys()
            .chain(committed.missing.keys())
            .filter(|tp| in_scope(&tp.topic))
            .cloned()
            .chain(owner.keys().cloned())
            .collect();
        let all: Vec<PartitionRef> = all.into_iter().collect();
        let wm = if all.is_empty() {
            PartitionOffsets::default()
        } else {
            let topics: BTreeSet<&str> = all.iter().map(|tp| tp.topic.as_str()).collect();
            // The leaders name a partition that does not answer; one metadata request for the
            // group's topics.
            let leaders = match topics.len() {
                1 => self.metadata(topics.first().copied()).ok(),
                _ => self.metadata(None).ok(),
            }
            .map(|md| leaders_of(&md));
            self.watermarks(&all, leaders.as_ref())?
        };
        let wanted: Vec<Wanted> = all
            .iter()
            .filter_map(|tp| {
                let c = *committed.values.get(tp)?;
                let w = wm.values.get(tp)?;
                (c < w.high?).then(|| Wanted {
                    tp: tp.clone(),
                    committed: c,
                    log_start: w.low,
                })
            })
            .collect();
        let times = self.time_lags(&wanted);
        let partitions: Vec<PartitionLag> = all
            .iter()
            .map(|tp| {
                let w = wm.values.get(tp).copied().unwrap_or_default();
                if let Some(m) = wm.missing.get(tp) {
                    gaps.push(m.clone());
                }
                let c = committed.values.get(tp).copied();
                let m = owner.get(tp);
                let lag = model::lag(c, w.high);
                let (time_lag_ms, from_log_start) = match c {
                    Some(c) => time_lag_of(&times, tp, c, lag),
                    None => (None, false),
                };
                PartitionLag {
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    committed: c,
                    log_start: w.low,
                    log_end: w.high,
                    lag,
                    time_lag_ms,
                    time_lag_method: time_lag_ms.map(|_| model::TimeLagMethod::Exact),
                    time_lag_from_log_start: from_log_start,
                    member_id: m.map(|m| m.member_id.clone()),
                    client_id: m.map(|m| m.client_id.clone()),
                    host: m.map(|m| m.host.clone()),
                }
            })
            .collect();
        let total_lag = model::total_lag(&partitions);
        let (time_lag_ms, time_lag_method) =
            model::worst_time_lag(partitions.iter().map(|p| (p.lag, p.time_lag_ms)));
        Ok(GroupDetail {
            group: group.to_string(),
            state,
            protocol: desc.as_ref().map_or(String::new(), |d| d.protocol.clone()),
            kind: desc.as_ref().and_then(|d| d.kind.clone()),
            coordinator: desc
                .as_ref()
                .and_then(|d| d.coordinator.as_ref())
                .map(|n| Broker {
                    id: n.id,
                    host: n.host.clone(),
                    port: n.port,
                    rack: n.rack.clone(),
                }),
            group_epoch: desc.as_ref().and_then(|d| d.group_epoch),
            assignment_epoch: desc.as_ref().and_then(|d| d.assignment_epoch),
            members,
            partitions,
            total_lag,
            time_lag_ms,
            time_lag_method,
            describe_error,
            gaps,
        })
    }
}

impl Call<'_> {
    /// The records at the wanted offsets, with at most half of what is left of the budget;
    /// what cannot be read in time has no time lag (never a guess).
    fn time_lags(&self, wanted: &[Wanted]) -> HashMap<(PartitionRef, i64), RecordTime> {
        if wanted.is_empty() {
            return HashMap::new();
        }
        let found = self
            .part("Fetch", 0.5)
            .and_then(|budget| self.record_times(wanted, budget));
        match found {
            Ok(found) => found
                .times
                .into_iter()
                .map(|t| ((PartitionRef::new(&t.topic, t.partition), t.offset), t))
                .collect(),
            Err(e) => {
                tracing::warn!("time lag: records not read: {e}");
                HashMap::new()
            }
        }
    }
}

/// One partition's exact time lag in milliseconds at this moment (0 with nothing to read),
/// and whether it is the first kept record's.
fn time_lag_of(
    times: &HashMap<(PartitionRef, i64), RecordTime>,
    tp: &PartitionRef,
    committed: i64,
    lag: Option<i64>,
) -> (Option<i64>, bool) {
    if lag == Some(0) {
        return (Some(0), false);
    }
    match times.get(&(tp.clone(), committed)) {
        Some(t) => (
            Some(model::time_lag_ms(
                chrono::Utc::now().timestamp_millis(),
                t.timestamp,
            )),
            t.from_log_start,
        ),
        None => (None, false),
    }
}

/// Offsets as librdkafka reports them: partitions with a committed offset, and partitions the
/// coordinator gave an error for (missing). A partition without a commit (-1001) is neither.
fn committed_of(group: &str, results: Vec<native::TpResult>) -> Committed {
    let mut out = Committed::default();
    for r in results {
        let tp = PartitionRef::new(r.topic, r.partition);
        match r.error {
            None if r.offset >= 0 => {
                out.values.insert(tp, r.offset);
            }
            None => {}
            Some((code, msg)) => {
                let e = native::map_code(code, &msg, "OffsetFetch");
                let cause = format!("the coordinator of group '{group}' said: {e}");
                let missing = Missing::partition(
                    &tp.topic,
                    tp.partition,
                    None,
                    "committed offset",
                    e.kind(),
                    cause,
                );
                out.missing.insert(tp, missing);
            }
        }
    }
    out
}

/// Names the group in a coordinator-side failure.
fn coordinator_error(group: &str, e: Error) -> Error {
    prefix_error(e, &format!("group '{group}': "))
}

/// The same error with `prefix` before its message, keeping its kind.
pub(super) fn prefix_error(e: Error, prefix: &str) -> Error {
    match e {
        Error::Unavailable(m) => Error::Unavailable(format!("{prefix}{m}")),
        Error::NotAuthorized(m) => Error::NotAuthorized(format!("{prefix}{m}")),
        Error::NotFound(m) => Error::NotFound(format!("{prefix}{m}")),
        Error::Kafka(m) => Error::Kafka(format!("{prefix}{m}")),
        Error::Timeout { what, after } => Error::Timeout {
            what: format!("{prefix}{what}"),
            after,
        },
        e => e,
    }
}

fn group_by_topic(tps: impl Iterator<Item = PartitionRef>) -> Vec<TopicPartitions> {
    let mut map: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for tp in tps {
        map.entry(tp.topic).or_default().push(tp.partition);
    }
    map.into_iter()
        .map(|(topic, mut partitions)| {
            partitions.sort_unstable();
            TopicPartitions { topic, partitions }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use rdkafka::mocking::{MockCluster, MockCoordinator};

    use crate::config::ConnectionSettings;
    use crate::error::ErrorKind;
    use crate::kafka::KafkaClient;
    use crate::model::{PartitionRef, Subject};

    /// librdkafka's mock cluster stands in for the wire here: these tests check how the client
    /// layer keeps each group's and each partition's answer apart, not what a broker decides
    /// (the fault tests do that against Apache Kafka).
    #[tokio::test(flavor = "multi_thread")]
    async fn one_broker_down_leaves_every_other_answer_and_names_what_is_missing() {
        let cluster = MockCluster::new(3).expect("mock cluster");
        cluster.create_topic("t", 3, 1).expect("topic");
        for p in 0..3 {
            cluster
                .partition_leader("t", p, Some(p + 1))
                .expect("leader");
        }
        cluster
            .coordinator(MockCoordinator::Group("g1".into()), 1)
            .expect("coordinator");
        cluster
            .coordinator(MockCoordinator::Group("g2".into()), 2)
            .expect("coordinator");
        let mut settings = ConnectionSettings::plain(cluster.bootstrap_servers());
        settings.timeout = Duration::from_secs(4);
        settings.known_groups = vec!["g1".into(), "g2".into()];
        let client = KafkaClient::new(settings).expect("client");
        let offsets: Vec<(String, i32, i64)> = (0..3).map(|p| ("t".to_string(), p, 0)).collect();
        for g in ["g1", "g2"] {
            client
                .alter_group_offsets(g, offsets.clone())
                .await
                .expect("commit");
        }

        cluster.broker_down(2).expect("broker down");
        let started = Instant::now();
        let many = client
            .committed_offsets_many(vec!["g1".into(), "g2".into()])
            .await
            .expect("one round of OffsetFetch");
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{:?}",
            started.elapsed()
        );
        let g1 = many["g1"].as_ref().expect("g1's coordinator answers");
        assert_eq!(g1.values.len(), 3, "{g1:?}");
        let g2 = many["g2"].as_ref().expect_err("g2's coordinator is down");
        assert!(
            matches!(g2.kind(), ErrorKind::Unavailable | ErrorKind::TimedOut),
            "{g2}"
        );
        assert!(g2.to_string().contains("g2"), "the group is named: {g2}");

        let tps: Vec<PartitionRef> = (0..3).map(|p| PartitionRef::new("t", p)).collect();
        let wm = client.watermarks(tps).await.expect("ListOffsets");
        assert_eq!(wm.values.len(), 2, "{wm:?}");
        let m = &wm.missing[&PartitionRef::new("t", 1)];
        assert_eq!(
            m.subject,
            Subject::Partition {
                topic: "t".into(),
                partition: 1,
                leader: Some(2)
            }
        );
        assert!(m.message.contains("leader 2"), "{}", m.message);
    }
}
