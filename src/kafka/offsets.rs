//! Offsets of partitions: log start and end (watermarks) and offsets for a time (ListOffsets,
//! batched per leader). Every answer is complete or names what it lacks: a partition whose
//! leader did not answer is a [`Missing`] entry naming the partition and its leader, never an
//! offset that looks right.

use std::collections::{BTreeMap, HashMap};

use rdkafka::metadata::Metadata;
use rdkafka::types::RDKafkaErrorCode;

use super::call::Call;
use super::{native, OffsetSpec};
use crate::error::{ErrorKind, Result};
use crate::model::{Missing, PartitionOffsets, PartitionRef, Watermarks};

/// Partition -> leader, from metadata.
pub(super) type Leaders = HashMap<PartitionRef, i32>;

pub(super) fn leaders_of(md: &Metadata) -> Leaders {
    md.topics()
        .iter()
        .flat_map(|t| {
            t.partitions()
                .iter()
                .filter(|p| p.leader() >= 0)
                .map(|p| (PartitionRef::new(t.name(), p.id()), p.leader()))
        })
        .collect()
}

impl Call<'_> {
    /// Log start and end of each partition, both asked at once. `leaders` (from metadata the
    /// caller already has) names the leader of a partition that did not answer; without it,
    /// metadata is asked only if something is missing.
    pub(super) fn watermarks(
        &self,
        partitions: &[PartitionRef],
        leaders: Option<&Leaders>,
    ) -> Result<PartitionOffsets<Watermarks>> {
        self.watermarks_within(partitions, leaders, 1.0)
    }

    /// As [`Self::watermarks`], within a share of what is left of the budget.
    pub(super) fn watermarks_within(
        &self,
        partitions: &[PartitionRef],
        leaders: Option<&Leaders>,
        share: f64,
    ) -> Result<PartitionOffsets<Watermarks>> {
        let (low, high, _) = native::watermarks_batched(
            self.raw(),
            partitions,
            native::LIST_OFFSETS_CHUNK,
            self.part("ListOffsets", share)?,
        )?;
        let mut out = PartitionOffsets::default();
        let mut failed: BTreeMap<PartitionRef, FailedOffset> = BTreeMap::new();
        for (results, start) in [(low, true), (high, false)] {
            for r in results {
                let tp = PartitionRef::new(r.topic, r.partition);
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
                        let f = failed.entry(tp).or_insert(FailedOffset {
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
        partitions: &[PartitionRef],
        spec: OffsetSpec,
    ) -> Result<PartitionOffsets<i64>> {
        let req: Vec<(String, i32, OffsetSpec)> = partitions
            .iter()
            .map(|tp| (tp.topic.clone(), tp.partition, spec))
            .collect();
        let (res, _) = native::list_offsets_batched(
            self.raw(),
            &req,
            native::LIST_OFFSETS_CHUNK,
            self.left("ListOffsets")?,
        )?;
        let what = match spec {
            OffsetSpec::Earliest => "log start",
            OffsetSpec::Latest => "log end",
            OffsetSpec::Timestamp(_) => "offset for the time",
        };
        let mut out = PartitionOffsets::default();
        let mut failed = BTreeMap::new();
        for r in res {
            let tp = PartitionRef::new(r.topic, r.partition);
            match r.error {
                None => {
                    out.values.insert(tp, r.offset);
                }
                Some((code, message)) => {
                    failed.insert(
                        tp,
                        FailedOffset {
                            code,
                            message,
                            what,
                        },
                    );
                }
            }
        }
        self.name_failures(&mut out.missing, failed, None);
        Ok(out)
    }

    /// Turns per-partition failures into [`Missing`] entries that name the partition's leader:
    /// `log end of orders/2 unknown: leader 1 did not answer`.
    fn name_failures(
        &self,
        missing: &mut BTreeMap<PartitionRef, Missing>,
        failed: BTreeMap<PartitionRef, FailedOffset>,
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
            let leader = leaders.and_then(|l| l.get(&tp)).copied();
            let reason = native::map_code(f.code, &f.message, "ListOffsets").kind();
            let cause = match (leader, reason) {
                (None, _) => "the partition has no leader (offline)".to_string(),
                (Some(l), ErrorKind::TimedOut | ErrorKind::Unavailable) => {
                    format!("leader {l} did not answer")
                }
                (Some(l), _) => format!("leader {l} said: {}", short(&f.message)),
            };
            let m = Missing::partition(&tp.topic, tp.partition, leader, f.what, reason, cause);
            missing.insert(tp, m);
        }
    }
}

/// One partition's failed offset request.
struct FailedOffset {
    code: RDKafkaErrorCode,
    message: String,
    what: &'static str,
}

/// librdkafka's message without its `Local: ` or `Broker: ` prefix.
fn short(msg: &str) -> &str {
    msg.trim_start_matches("Local: ")
        .trim_start_matches("Broker: ")
}
