//! Offsets of partitions: log start and end (watermarks) and offsets for a time (ListOffsets,
//! batched per leader). Every answer is complete or names what it lacks: a partition whose
//! leader did not answer is a [`Missing`] entry naming the partition and its leader, never an
//! offset that looks right.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rdkafka::metadata::Metadata;
use rdkafka::types::RDKafkaErrorCode;

use super::call::Call;
use super::{native, OffsetSpec};
use crate::error::{ErrorKind, Result};
use crate::model::{Missing, PartitionOffsets, PartitionRef, Watermarks};

/// Partition -> leader (`None`: the metadata says it has none), from metadata.
pub(super) type Leaders = HashMap<PartitionRef, Option<i32>>;

pub(super) fn leaders_of(md: &Metadata) -> Leaders {
    md.topics()
        .iter()
        .flat_map(|t| {
            t.partitions().iter().map(|p| {
                (
                    PartitionRef::new(t.name(), p.id()),
                    (p.leader() >= 0).then_some(p.leader()),
                )
            })
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
        let leaders = self.leaders_or_ask(partitions, leaders);
        let leaders = leaders.as_deref();
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
        self.offsets_led(partitions, spec, None)
    }

    /// As [`Self::offsets`], with the leaders (from metadata the caller has) to name one that
    /// does not answer.
    pub(super) fn offsets_led(
        &self,
        partitions: &[PartitionRef],
        spec: OffsetSpec,
        leaders: Option<&Leaders>,
    ) -> Result<PartitionOffsets<i64>> {
        let what = match spec {
            OffsetSpec::Earliest => "log start",
            OffsetSpec::Latest => "log end",
            OffsetSpec::Timestamp(_) => "offset for the time",
        };
        let leaders = self.leaders_or_ask(partitions, leaders);
        let leaders = leaders.as_deref();
        let Some(left) = self.time_for(partitions, what) else {
            return Ok(not_asked(partitions, what));
        };
        let req: Vec<Vec<(String, i32, OffsetSpec)>> = by_leader(partitions, leaders)
            .into_iter()
            .map(|g| {
                g.into_iter()
                    .map(|tp| (tp.topic, tp.partition, spec))
                    .collect()
            })
            .collect();
        let (res, _) =
            native::list_offsets_grouped(self.raw(), &req, native::LIST_OFFSETS_CHUNK, left)?;
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
        self.name_failures(&mut out.missing, failed, leaders);
        Ok(out)
    }

    /// The leaders the caller has, or else those [`Self::leaders_for`] finds.
    fn leaders_or_ask<'a>(
        &self,
        partitions: &[PartitionRef],
        known: Option<&'a Leaders>,
    ) -> Option<Cow<'a, Leaders>> {
        match known {
            Some(l) => Some(Cow::Borrowed(l)),
            None => self.leaders_for(partitions).map(Cow::Owned),
        }
    }

    /// The partitions' leaders, from one metadata request (for their one topic, or all), or
    /// `None` if it fails: offsets are then asked in one group and a failure names no leader.
    fn leaders_for(&self, partitions: &[PartitionRef]) -> Option<Leaders> {
        let first = partitions.first().map(|tp| tp.topic.as_str())?;
        let one_topic = partitions.iter().all(|tp| tp.topic == first);
        self.metadata(one_topic.then_some(first))
            .ok()
            .map(|md| leaders_of(&md))
    }

    /// What is left of the budget for offsets, or `None` when nothing is: the partitions are
    /// then missing (not asked), and the answer still carries what the earlier steps read.
    fn time_for(&self, partitions: &[PartitionRef], what: &str) -> Option<Duration> {
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
            let m = Missing::partition(&tp.topic, tp.partition, leader, f.what, reason, cause);
            missing.insert(tp, m);
        }
    }
}

/// Partitions in groups by leader (those without a known leader in one more), so that no
/// request waits for a leader other than its own.
fn by_leader(partitions: &[PartitionRef], leaders: Option<&Leaders>) -> Vec<Vec<PartitionRef>> {
    let Some(leaders) = leaders else {
        return vec![partitions.to_vec()];
    };
    let mut groups: BTreeMap<Option<i32>, Vec<PartitionRef>> = BTreeMap::new();
    for tp in partitions {
        let leader = leaders.get(tp).copied().flatten();
        groups.entry(leader).or_default().push(tp.clone());
    }
    groups.into_values().collect()
}

/// Every partition missing: the budget was spent before they could be asked.
fn not_asked<T>(partitions: &[PartitionRef], what: &str) -> PartitionOffsets<T> {
    let mut out = PartitionOffsets::default();
    for tp in partitions {
        out.missing.insert(
            tp.clone(),
            Missing::partition(
                &tp.topic,
                tp.partition,
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
