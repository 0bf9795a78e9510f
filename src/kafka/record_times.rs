//! The timestamps of the records consumers read next: the exact time lag of a partition is
//! now minus the timestamp of the record at the group's committed offset.
//!
//! One consumer per client, assigned only to the partitions asked about, each at the offset
//! asked for, reads one record per partition: librdkafka sends one Fetch per partition leader
//! for all of them, with small `max.partition.fetch.bytes` and `fetch.max.bytes` (a batch
//! larger than that is still read: librdkafka grows the size for that partition); what it
//! prefetches beyond the first record is bounded by `queued.max.messages.kbytes` and dropped
//! when the round ends. Answers are
//! cached per partition and offset, so a group that does not move costs nothing on the next
//! sample. A partition whose offset is wanted at several offsets (groups at different places)
//! is read once per offset, in rounds.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Message, Timestamp};
use rdkafka::{Offset, TopicPartitionList};

use super::call::Call;
use super::config::{client_config, config_error};
use super::safety::ClientRole;
use super::KscopeContext;
use crate::error::{Error, Result};
use crate::model::{PartitionRef, RecordTime};

/// One wanted record: the partition, the committed offset and the log start if known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub tp: PartitionRef,
    pub committed: i64,
    pub log_start: Option<i64>,
}

/// What one round of reading found, and what it cost.
#[derive(Debug, Default)]
pub struct Found {
    pub times: Vec<RecordTime>,
    /// Wanted records not read in time (their time lag falls back to an estimate).
    pub unread: Vec<PartitionRef>,
    /// Fetch rounds times the partition leaders they went to (0 when all came from cache).
    pub fetches: u32,
    pub cached: usize,
}

/// At most this many rounds per call (a partition wanted at more offsets than this gets an
/// estimate for the rest).
const MAX_ROUNDS: usize = 4;
/// Cached answers not used for this long are forgotten.
const CACHE_TTL: Duration = Duration::from_secs(15 * 60);

/// The client's reader: its consumer (made on first use) and its cache.
#[derive(Default)]
pub(super) struct RecordReader {
    consumer: Option<BaseConsumer<KscopeContext>>,
    cache: HashMap<(PartitionRef, i64), (RecordTime, Instant)>,
}

pub(super) type SharedReader = Mutex<RecordReader>;

impl Call<'_> {
    /// The timestamps of the records at the wanted offsets, within `budget`; what could not
    /// be read in time is named in `unread`, never guessed.
    pub(super) fn record_times(&self, wanted: &[Wanted], budget: Duration) -> Result<Found> {
        let mut found = Found::default();
        if wanted.is_empty() {
            return Ok(found);
        }
        let deadline = Instant::now() + budget;
        let mut reader = self
            .inner
            .record_reader
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        reader
            .cache
            .retain(|_, (_, used)| now.duration_since(*used) < CACHE_TTL);
        let mut todo: BTreeMap<PartitionRef, BTreeSet<(i64, i64)>> = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for w in wanted {
            if !seen.insert((w.tp.clone(), w.committed)) {
                continue;
            }
            if let Some((t, used)) = reader.cache.get_mut(&(w.tp.clone(), w.committed)) {
                *used = now;
                found.times.push(t.clone());
                found.cached += 1;
                continue;
            }
            // Below the log start the group will read the first record kept.
            let from = w.log_start.map_or(w.committed, |s| s.max(w.committed));
            todo.entry(w.tp.clone())
                .or_default()
                .insert((w.committed, from));
        }
        if todo.is_empty() {
            return Ok(found);
        }
        if reader.consumer.is_none() {
            reader.consumer = Some(self.record_consumer()?);
        }
        let RecordReader { consumer, cache } = &mut *reader;
        let Some(consumer) = consumer.as_ref() else {
            return Ok(found);
        };
        let leaders = self.leaders_now();
        let rounds: Vec<Vec<(PartitionRef, i64, i64)>> = (0..MAX_ROUNDS)
            .map(|i| {
                todo.iter()
                    .filter_map(|(tp, offs)| {
                        offs.iter().nth(i).map(|(c, from)| (tp.clone(), *c, *from))
                    })
                    .collect::<Vec<_>>()
            })
            .take_while(|r| !r.is_empty())
            .collect();
        for (i, round) in rounds.iter().enumerate() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                found
                    .unread
                    .extend(round.iter().map(|(tp, _, _)| tp.clone()));
                continue;
            }
            let share = left / (rounds.len() - i) as u32;
            let by_leader: BTreeSet<Option<i32>> = round
                .iter()
                .map(|(tp, _, _)| leaders.get(tp).copied())
                .collect();
            found.fetches += by_leader.len() as u32;
            let (times, unread) = read_round(consumer, round, share)?;
            for t in times {
                cache.insert(
                    (PartitionRef::new(&t.topic, t.partition), t.offset),
                    (t.clone(), Instant::now()),
                );
                found.times.push(t);
            }
            found.unread.extend(unread);
        }
        let _ = consumer.unassign();
        Ok(found)
    }

    fn leaders_now(&self) -> HashMap<PartitionRef, i32> {
        // Cached metadata; no request is sent for it.
        let md = self.client().fetch_metadata(None, Duration::ZERO);
        let mut out = HashMap::new();
        if let Ok(md) = md {
            for t in md.topics() {
                for p in t.partitions() {
                    out.insert(PartitionRef::new(t.name(), p.id()), p.leader());
                }
            }
        }
        out
    }

    fn record_consumer(&self) -> Result<BaseConsumer<KscopeContext>> {
        let mut cfg = client_config(
            &self.settings,
            ClientRole::Tail,
            &[
                // assign() needs a group id; nothing joins or commits under it.
                ("group.id", "kscope-time-lag"),
                ("enable.auto.commit", "false"),
                ("enable.auto.offset.store", "false"),
                ("enable.partition.eof", "false"),
                // A log start that moved past the offset since it was sampled: the first kept.
                ("auto.offset.reset", "earliest"),
                // About one record batch of each partition, no more.
                ("max.partition.fetch.bytes", "65536"),
                // One response can hold a batch of each of 10,000 partitions, and what is
                // queued ahead of the reader (all of it) stays under 8 MiB.
                ("fetch.max.bytes", "4194304"),
                ("message.max.bytes", "1048576"),
                ("queued.min.messages", "1"),
                ("queued.max.messages.kbytes", "8192"),
                // The default (1 s) would idle between the fetches of a round.
                ("fetch.queue.backoff.ms", "0"),
                ("fetch.wait.max.ms", "50"),
                ("fetch.error.backoff.ms", "50"),
                // Records of open transactions have timestamps too.
                ("isolation.level", "read_uncommitted"),
                ("check.crcs", "false"),
            ],
        );
        // Never statistics, whatever the context sets: with them librdkafka keeps a timer per
        // assigned partition, rescheduled in a sorted list (quadratic in the partitions of a
        // round; most of a cold cycle's CPU at 10,000 partitions).
        cfg.set("statistics.interval.ms", "0");
        cfg.create_with_context(KscopeContext::new())
            .map_err(config_error)
    }
}

/// Assigns every partition of `round` at its offset and reads the first record of each.
fn read_round(
    consumer: &BaseConsumer<KscopeContext>,
    round: &[(PartitionRef, i64, i64)],
    budget: Duration,
) -> Result<(Vec<RecordTime>, Vec<PartitionRef>)> {
    let deadline = Instant::now() + budget;
    let mut tpl = TopicPartitionList::with_capacity(round.len());
    let mut pending: HashMap<(String, i32), (i64, i64)> = HashMap::with_capacity(round.len());
    for (tp, committed, from) in round {
        // Set on the element just added: `add_partition_offset` looks the partition up in
        // the whole list again, which is quadratic in the partitions of a round.
        tpl.add_partition(&tp.topic, tp.partition)
            .set_offset(Offset::Offset(*from))
            .map_err(|e| Error::kafka(format!("cannot assign {tp}: {e}")))?;
        pending.insert((tp.topic.clone(), tp.partition), (*committed, *from));
    }
    consumer
        .assign(&tpl)
        .map_err(|e| Error::kafka(format!("cannot assign partitions: {e}")))?;
    let mut times = Vec::new();
    while !pending.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match consumer.poll(left.min(Duration::from_millis(100))) {
            None => {}
            Some(Ok(m)) => {
                let key = (m.topic().to_string(), m.partition());
                let Some(&(committed, from)) = pending.get(&key) else {
                    continue;
                };
                if m.offset() < from {
                    continue;
                }
                let timestamp = match m.timestamp() {
                    Timestamp::CreateTime(t) | Timestamp::LogAppendTime(t) if t >= 0 => Some(t),
                    _ => None,
                };
                pending.remove(&key);
                if let Some(timestamp) = timestamp {
                    times.push(RecordTime {
                        topic: key.0,
                        partition: key.1,
                        offset: committed,
                        record_offset: m.offset(),
                        timestamp,
                        from_log_start: from > committed,
                    });
                }
            }
            Some(Err(e)) => tracing::debug!("time lag: {e}"),
        }
    }
    let unread = pending
        .into_keys()
        .map(|(t, p)| PartitionRef::new(t, p))
        .collect();
    Ok((times, unread))
}
