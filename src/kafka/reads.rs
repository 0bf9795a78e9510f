//! Reads about the cluster and its topics: metadata, offsets (watermarks, offsets for a time),
//! configs. Every answer is complete or names what it lacks: a partition whose leader did not
//! answer is a [`Missing`] entry naming the partition and its leader, never an offset that
//! looks right.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rdkafka::metadata::Metadata;
use rdkafka::types::RDKafkaErrorCode;

use super::{api, is_internal_topic, native, unknown_topic, Call, OffsetSpec};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    Broker, ClusterInfo, ConfigValue, Gaps, Listing, Missing, PartitionInfo, PartitionOffsets,
    Subject, TopicDetail, TopicPartition, TopicSummary, Watermarks,
};

/// Partition -> leader (`None`: the metadata says it has none), from metadata.
pub(super) type Leaders = HashMap<TopicPartition, Option<i32>>;

pub(super) fn leaders_of(md: &Metadata) -> Leaders {
    md.topics()
        .iter()
        .flat_map(|t| {
            t.partitions().iter().map(|p| {
                (
                    (t.name().to_string(), p.id()),
                    (p.leader() >= 0).then_some(p.leader()),
                )
            })
        })
        .collect()
}

impl Call<'_> {
    pub(super) fn cluster(&self) -> Result<ClusterInfo> {
        let md = self.metadata(None)?;
        let mut brokers: Vec<Broker> = md
            .brokers()
            .iter()
            .map(|b| Broker {
                id: b.id(),
                host: b.host().to_string(),
                port: u16::try_from(b.port()).unwrap_or(0),
                rack: None,
            })
            .collect();
        brokers.sort_by_key(|b| b.id);
        let mut gaps = Gaps::default();
        // DescribeCluster adds the cluster id and racks; older brokers and the librdkafka mock
        // lack it, so fall back to what metadata gives.
        let described = self
            .require(api::DESCRIBE_CLUSTER)
            .and_then(|_| native::describe_cluster(self.raw(), self.timeout()));
        let (cluster_id, controller) = match described {
            Ok(desc) => {
                for b in &mut brokers {
                    if let Some(n) = desc.nodes.iter().find(|n| n.id == b.id) {
                        b.rack = n.rack.clone();
                    }
                }
                (desc.cluster_id, desc.controller.map(|c| c.id))
            }
            Err(e) => {
                if !matches!(e, Error::Unsupported { .. }) {
                    gaps.push(Missing::new(Subject::Cluster, &e));
                }
                tracing::info!("DescribeCluster unavailable, using metadata: {e}");
                (
                    self.client().fetch_cluster_id(self.timeout()),
                    native::controller_id(self.raw(), self.timeout()),
                )
            }
        };
        // In KRaft mode (brokers that forward DescribeQuorum) the "controller" in Metadata and
        // DescribeCluster answers is a broker picked per answer, not the active controller:
        // show none rather than one that changes from call to call.
        let kraft = self.supports(api::DESCRIBE_QUORUM) == Some(true);
        let controller_id = controller
            .filter(|_| !kraft)
            .filter(|c| brokers.iter().any(|b| b.id == *c));
        let mut info = ClusterInfo {
            cluster_id,
            controller_id,
            kraft,
            brokers,
            topic_count: md.topics().len(),
            partition_count: 0,
            under_replicated_partitions: 0,
            offline_partitions: 0,
            gaps,
        };
        for t in md.topics() {
            for p in t.partitions() {
                info.partition_count += 1;
                if p.leader() < 0 {
                    info.offline_partitions += 1;
                }
                if p.isr().len() < p.replicas().len() {
                    info.under_replicated_partitions += 1;
                }
            }
        }
        Ok(info)
    }

    /// Log start and end of each partition, both asked at once. `leaders` (from metadata the
    /// caller already has) names the leader of a partition that did not answer; without it,
    /// metadata is asked only if something is missing.
    pub(super) fn watermarks(
        &self,
        partitions: &[TopicPartition],
        leaders: Option<&Leaders>,
    ) -> Result<PartitionOffsets<Watermarks>> {
        self.watermarks_within(partitions, leaders, 1.0)
    }

    /// As [`Self::watermarks`], within a share of what is left of the budget.
    pub(super) fn watermarks_within(
        &self,
        partitions: &[TopicPartition],
        leaders: Option<&Leaders>,
        share: f64,
    ) -> Result<PartitionOffsets<Watermarks>> {
        let fetched;
        let leaders = match leaders {
            Some(l) => Some(l),
            None => {
                fetched = self.leaders_for(partitions);
                fetched.as_ref()
            }
        };
        let Some(left) = self.time_for(partitions, "log start and end") else {
            return Ok(not_asked(partitions, "log start and end"));
        };
        let (low, high, _) = native::watermarks_grouped(
            self.raw(),
            &by_leader(partitions, leaders),
            native::LIST_OFFSETS_CHUNK,
            left.mul_f64(share.clamp(0.05, 1.0)),
        )?;
        let mut out = PartitionOffsets::default();
        let mut failed: BTreeMap<TopicPartition, Failure> = BTreeMap::new();
        for (results, start) in [(low, true), (high, false)] {
            for r in results {
                let tp = (r.topic, r.partition);
                match r.error {
                    None if r.offset >= 0 => {
                        let w: &mut Watermarks = out.values.entry(tp).or_default();
                        if start {
                            w.low = Some(r.offset);
                        } else {
                            w.high = Some(r.offset);
                        }
                    }
                    None => {}
                    Some((code, msg)) => {
                        let f = failed.entry(tp).or_insert(Failure {
                            code,
                            message: msg,
                            what: if start { "log start" } else { "log end" },
                        });
                        if start != (f.what == "log start") {
                            f.what = "log start and end";
                        }
                    }
                }
            }
        }
        for tp in failed.keys() {
            out.values.remove(tp);
        }
        self.name_failures(&mut out.missing, failed, leaders);
        Ok(out)
    }

    /// ListOffsets with one spec for all partitions; -1 means "no record at or after the time".
    pub(super) fn offsets(
        &self,
        partitions: &[TopicPartition],
        spec: OffsetSpec,
    ) -> Result<PartitionOffsets<i64>> {
        self.offsets_led(partitions, spec, None)
    }

    /// As [`Self::offsets`], with the leaders (from metadata the caller has) to name one that
    /// does not answer.
    pub(super) fn offsets_led(
        &self,
        partitions: &[TopicPartition],
        spec: OffsetSpec,
        leaders: Option<&Leaders>,
    ) -> Result<PartitionOffsets<i64>> {
        let what = match spec {
            OffsetSpec::Earliest => "log start",
            OffsetSpec::Latest => "log end",
            OffsetSpec::Timestamp(_) => "offset for the time",
        };
        let fetched;
        let leaders = match leaders {
            Some(l) => Some(l),
            None => {
                fetched = self.leaders_for(partitions);
                fetched.as_ref()
            }
        };
        let Some(left) = self.time_for(partitions, what) else {
            return Ok(not_asked(partitions, what));
        };
        let req: Vec<Vec<(String, i32, OffsetSpec)>> = by_leader(partitions, leaders)
            .into_iter()
            .map(|g| g.into_iter().map(|(t, p)| (t, p, spec)).collect())
            .collect();
        let (res, _) =
            native::list_offsets_grouped(self.raw(), &req, native::LIST_OFFSETS_CHUNK, left)?;
        let mut out = PartitionOffsets::default();
        let mut failed = BTreeMap::new();
        for r in res {
            let tp = (r.topic, r.partition);
            match r.error {
                None => {
                    out.values.insert(tp, r.offset);
                }
                Some((code, message)) => {
                    failed.insert(
                        tp,
                        Failure {
                            code,
                            message,
                            what,
                        },
                    );
                }
            }
        }
        self.name_failures(&mut out.missing, failed, leaders);
        Ok(out)
    }

    /// The partitions' leaders, from one metadata request (for their one topic, or all), or
    /// `None` if it fails: offsets are then asked in one group and a failure names no leader.
    fn leaders_for(&self, partitions: &[TopicPartition]) -> Option<Leaders> {
        let first = partitions.first().map(|(t, _)| t.as_str())?;
        let one_topic = partitions.iter().all(|(t, _)| t == first);
        self.metadata(one_topic.then_some(first))
            .ok()
            .map(|md| leaders_of(&md))
    }

    /// What is left of the budget for offsets, or `None` when nothing is: the partitions are
    /// then missing (not asked), and the answer still carries what the earlier steps read.
    fn time_for(&self, partitions: &[TopicPartition], what: &str) -> Option<Duration> {
        match self.left("ListOffsets") {
            Ok(d) => Some(d),
            Err(_) => {
                tracing::info!(
                    "no time left to ask the {what} of {} partition(s)",
                    partitions.len()
                );
                None
            }
        }
    }

    /// Turns per-partition failures into [`Missing`] entries that name the partition's leader:
    /// `log end of orders/2 unknown: leader 1 did not answer`.
    fn name_failures(
        &self,
        missing: &mut BTreeMap<TopicPartition, Missing>,
        failed: BTreeMap<TopicPartition, Failure>,
        leaders: Option<&Leaders>,
    ) {
        if failed.is_empty() {
            return;
        }
        let fetched;
        let leaders = match leaders {
            Some(l) => Some(l),
            None => {
                fetched = self.metadata(None).ok().map(|md| leaders_of(&md));
                fetched.as_ref()
            }
        };
        for (tp, f) in failed {
            // Some(None): the metadata says there is no leader; None: the metadata is unknown.
            let known = leaders.and_then(|l| l.get(&tp)).copied();
            let leader = known.flatten();
            let reason = native::map_code(f.code, &f.message, "ListOffsets").kind();
            let cause = match (known, reason) {
                (Some(None), _) => "the partition has no leader (offline)".to_string(),
                (Some(Some(l)), ErrorKind::TimedOut | ErrorKind::Unavailable) => {
                    format!("leader {l} did not answer")
                }
                (Some(Some(l)), _) => format!("leader {l} said: {}", short(&f.message)),
                (None, ErrorKind::TimedOut) => {
                    "no answer in time (its leader could not be looked up)".to_string()
                }
                (None, _) => format!("{} (its leader could not be looked up)", short(&f.message)),
            };
            missing.insert(
                tp.clone(),
                Missing::partition(&tp.0, tp.1, leader, f.what, reason, cause),
            );
        }
    }

    pub(super) fn partitions_of(md: &Metadata, include_internal: bool) -> Vec<TopicPartition> {
        md.topics()
            .iter()
            .filter(|t| include_internal || !is_internal_topic(t.name()))
            .flat_map(|t| {
                t.partitions()
                    .iter()
                    .map(|p| (t.name().to_string(), p.id()))
            })
            .collect()
    }

    pub(super) fn topics(&self, include_internal: bool) -> Result<Listing<TopicSummary>> {
        let md = self.metadata(None)?;
        let leaders = leaders_of(&md);
        let wm = self.watermarks(&Self::partitions_of(&md, include_internal), Some(&leaders))?;
        let mut out: Vec<TopicSummary> = md
            .topics()
            .iter()
            .filter(|t| include_internal || !is_internal_topic(t.name()))
            .map(|t| {
                let name = t.name();
                let parts = t.partitions();
                let mut gaps = Gaps::default();
                if let Some(err) = t.error() {
                    gaps.push(Missing::new(
                        Subject::Topic {
                            topic: name.to_string(),
                        },
                        &topic_error(name, RDKafkaErrorCode::from(err)),
                    ));
                }
                gaps.extend(
                    parts
                        .iter()
                        .filter_map(|p| wm.missing.get(&(name.to_string(), p.id())).cloned()),
                );
                let known = |p: i32| wm.values.get(&(name.to_string(), p));
                let messages = parts.iter().try_fold(0i64, |acc, p| {
                    let w = known(p.id())?;
                    Some(acc + (w.high? - w.low?).max(0))
                });
                let log_end_offsets = parts
                    .iter()
                    .try_fold(0i64, |acc, p| Some(acc + known(p.id())?.high?));
                TopicSummary {
                    name: name.to_string(),
                    internal: is_internal_topic(name),
                    partitions: parts.len(),
                    replication_factor: parts.iter().map(|p| p.replicas().len()).max().unwrap_or(0),
                    under_replicated_partitions: parts
                        .iter()
                        .filter(|p| p.isr().len() < p.replicas().len())
                        .count(),
                    offline_partitions: parts.iter().filter(|p| p.leader() < 0).count(),
                    messages,
                    log_end_offsets,
                    gaps,
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Listing {
            items: out,
            gaps: Gaps::default(),
        })
    }

    pub(super) fn topic(&self, name: &str) -> Result<TopicDetail> {
        let md = self.metadata(Some(name))?;
        let t = md
            .topics()
            .iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| unknown_topic(name))?;
        let tps: Vec<TopicPartition> = t
            .partitions()
            .iter()
            .map(|p| (name.to_string(), p.id()))
            .collect();
        let leaders = leaders_of(&md);
        let wm = self.watermarks_within(&tps, Some(&leaders), 0.5)?;
        let mut gaps = Gaps::default();
        let mut partitions: Vec<PartitionInfo> = t
            .partitions()
            .iter()
            .map(|p| {
                let tp = (name.to_string(), p.id());
                let w = wm.values.get(&tp).copied().unwrap_or_default();
                let missing = wm.missing.get(&tp);
                if let Some(m) = missing {
                    gaps.push(m.clone());
                }
                PartitionInfo {
                    partition: p.id(),
                    leader: (p.leader() >= 0).then_some(p.leader()),
                    replicas: p.replicas().to_vec(),
                    isr: p.isr().to_vec(),
                    under_replicated: p.isr().len() < p.replicas().len(),
                    low_watermark: w.low,
                    high_watermark: w.high,
                    messages: match (w.low, w.high) {
                        (Some(l), Some(h)) if h >= l => Some(h - l),
                        _ => None,
                    },
                    error: p
                        .error()
                        .map(|e| RDKafkaErrorCode::from(e).to_string())
                        .or_else(|| missing.map(|m| m.message.clone())),
                }
            })
            .collect();
        partitions.sort_by_key(|p| p.partition);

        // Configs come from one broker, the readers from the group coordinators: asked at once.
        let (configs, readers) = std::thread::scope(|sc| {
            let configs = sc.spawn(|| self.topic_configs(name));
            let readers = self.groups_reading(name, &tps);
            let configs = configs
                .join()
                .unwrap_or_else(|_| Err(Error::kafka("DescribeConfigs: internal error")));
            (configs, readers)
        });
        let (configs, configs_error) = match configs {
            Ok(c) => (c, None),
            Err(e) => {
                if !matches!(e, Error::Unsupported { .. }) {
                    gaps.push(Missing::new(
                        Subject::TopicConfigs {
                            topic: name.to_string(),
                        },
                        &e,
                    ));
                }
                (Vec::new(), Some(e.to_string()))
            }
        };
        let (groups, groups_error) = match readers {
            Ok((g, missing)) => {
                gaps.extend(missing);
                (g, None)
            }
            Err(e) => {
                if !matches!(e, Error::Unsupported { .. }) {
                    gaps.push(Missing::new(
                        Subject::TopicGroups {
                            topic: name.to_string(),
                        },
                        &e,
                    ));
                }
                (Vec::new(), Some(e.to_string()))
            }
        };
        Ok(TopicDetail {
            name: name.to_string(),
            internal: is_internal_topic(name),
            partitions,
            configs,
            configs_error,
            groups,
            groups_error,
            gaps,
        })
    }

    fn topic_configs(&self, name: &str) -> Result<Vec<ConfigValue>> {
        self.require(api::DESCRIBE_CONFIGS)?;
        let mut configs: Vec<ConfigValue> =
            native::describe_topic_configs(self.raw(), name, self.left("DescribeConfigs")?)?
                .into_iter()
                .map(|e| ConfigValue {
                    name: e.name,
                    value: e.value,
                    source: e.source.to_string(),
                    sensitive: e.sensitive,
                })
                .collect();
        configs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(configs)
    }
}

/// A topic-level metadata error, in words.
pub(super) fn topic_error(name: &str, code: RDKafkaErrorCode) -> Error {
    match code {
        RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic => {
            unknown_topic(name)
        }
        RDKafkaErrorCode::TopicAuthorizationFailed => {
            Error::NotAuthorized(format!("not authorized to describe topic '{name}'"))
        }
        RDKafkaErrorCode::LeaderNotAvailable => {
            Error::Unavailable(format!("topic '{name}': leader not available"))
        }
        other => Error::kafka(format!("topic '{name}': {other}")),
    }
}

/// Partitions in groups by leader (those without a known leader in one more), so that no
/// request waits for a leader other than its own.
fn by_leader(partitions: &[TopicPartition], leaders: Option<&Leaders>) -> Vec<Vec<TopicPartition>> {
    let Some(leaders) = leaders else {
        return vec![partitions.to_vec()];
    };
    let mut groups: BTreeMap<Option<i32>, Vec<TopicPartition>> = BTreeMap::new();
    for tp in partitions {
        let leader = leaders.get(tp).copied().flatten();
        groups.entry(leader).or_default().push(tp.clone());
    }
    groups.into_values().collect()
}

/// Every partition missing: the budget was spent before they could be asked.
fn not_asked<T>(partitions: &[TopicPartition], what: &str) -> PartitionOffsets<T> {
    let mut out = PartitionOffsets::default();
    for (t, p) in partitions {
        out.missing.insert(
            (t.clone(), *p),
            Missing::partition(
                t,
                *p,
                None,
                what,
                ErrorKind::TimedOut,
                "not asked: the earlier requests used up the budget".into(),
            ),
        );
    }
    out
}

/// One partition's failed offset request.
struct Failure {
    code: RDKafkaErrorCode,
    message: String,
    what: &'static str,
}

/// librdkafka's message without its `Local: ` or `Broker: ` prefix.
fn short(msg: &str) -> &str {
    msg.trim_start_matches("Local: ")
        .trim_start_matches("Broker: ")
}
