//! Reading a topic: plan where each partition starts (and, for `--until end`, where it stops),
//! then consume with an assigned consumer (no group, nothing committed).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, Timestamp, TopicPartitionList};

use super::{create_client, ClientRole, KafkaClient, KscopeContext, OffsetSpec};
use crate::config::ConnectionSettings;
use crate::error::{Error, Result};
use crate::model::PartitionRef;
use crate::record::merge::TimeMerge;
use crate::record::{OwnedRecord, RecordRef, StartPosition, TimestampKind};

/// Where each partition starts and where the log ended when the tail began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailPlan {
    pub topic: String,
    /// Partition -> first offset to read.
    pub starts: BTreeMap<i32, i64>,
    /// Partition -> high watermark when planned (`--until end` stops there).
    pub ends: BTreeMap<i32, i64>,
    /// Per-partition notes, e.g. an offset clamped into the log's range.
    pub warnings: Vec<String>,
}

/// Resolves a start position against the log: one ListOffsets round for watermarks, one more
/// for a time.
pub async fn plan(
    client: &KafkaClient,
    topic: &str,
    partitions: &[i32],
    from: StartPosition,
    now: DateTime<Utc>,
) -> Result<TailPlan> {
    let all = client.partitions(topic).await?;
    let chosen: Vec<i32> = if partitions.is_empty() {
        all.clone()
    } else {
        let missing: Vec<String> = partitions
            .iter()
            .filter(|p| !all.contains(p))
            .map(|p| p.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(Error::NotFound(format!(
                "topic '{topic}' has no partition {} (it has {} partitions: 0-{})",
                missing.join(", "),
                all.len(),
                all.len().saturating_sub(1)
            )));
        }
        partitions
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let tps: Vec<PartitionRef> = chosen
        .iter()
        .map(|p| PartitionRef::new(topic, *p))
        .collect();
    let wm = client.watermarks(tps.clone()).await?;
    let at_time = match from.timestamp_ms(now)? {
        Some(ms) => Some(
            client
                .list_offsets(tps.clone(), OffsetSpec::Timestamp(ms))
                .await?,
        ),
        None => None,
    };
    let mut plan = TailPlan {
        topic: topic.to_string(),
        starts: BTreeMap::new(),
        ends: BTreeMap::new(),
        warnings: Vec::new(),
    };
    let mut out_of_range = 0;
    for tp in &tps {
        let p = tp.partition;
        let w = wm.get(tp).unwrap_or_default();
        let (low, high) = match (w.low, w.high) {
            (Some(l), Some(h)) => (l, h),
            _ => {
                return Err(match wm.missing.get(tp) {
                    Some(m) => Error::Unavailable(format!("cannot plan the tail: {}", m.message)),
                    None => Error::kafka(format!(
                        "no offsets for {topic}/{p}: the partition may be offline"
                    )),
                })
            }
        };
        let start = match from {
            StartPosition::Beginning => low,
            StartPosition::End => high,
            StartPosition::Last(n) => (high - n).max(low),
            StartPosition::Offset(o) => {
                if o < low || o > high {
                    out_of_range += 1;
                    let clamped = o.clamp(low, high);
                    plan.warnings.push(format!(
                        "offset {o} is outside partition {p}'s range [{low}, {high}]: starting at {clamped}"
                    ));
                    clamped
                } else {
                    o
                }
            }
            StartPosition::Time(_) | StartPosition::Ago(_) => {
                let at = at_time.as_ref();
                if let Some(m) = at.and_then(|a| a.missing.get(tp)) {
                    return Err(Error::Unavailable(format!(
                        "cannot plan the tail: {}",
                        m.message
                    )));
                }
                // -1: no record at or after that time, so start at the end.
                match at.and_then(|a| a.get(tp)) {
                    Some(o) if o >= 0 => o.clamp(low, high),
                    _ => high,
                }
            }
        };
        plan.starts.insert(p, start);
        plan.ends.insert(p, high);
    }
    if let StartPosition::Offset(o) = from {
        if out_of_range == tps.len() {
            let ranges: Vec<String> = tps
                .iter()
                .map(|tp| {
                    let w = wm.get(tp).unwrap_or_default();
                    format!(
                        "{}:[{}, {}]",
                        tp.partition,
                        w.low.unwrap_or(-1),
                        w.high.unwrap_or(-1)
                    )
                })
                .collect();
            return Err(Error::usage(format!(
                "offset {o} is outside every selected partition of '{topic}' (partition:[low, high] {})",
                ranges.join(" ")
            )));
        }
    }
    Ok(plan)
}

/// When to stop reading.
#[derive(Debug, Clone, Copy, Default)]
pub struct StopAt {
    /// Stop when every partition reaches the end it had when planned.
    pub until_end: bool,
    /// Stop after this many records (after filtering, counted by the caller).
    pub max: Option<u64>,
}

/// An assigned consumer over one topic's partitions.
pub struct Tail {
    consumer: BaseConsumer<KscopeContext>,
    plan: TailPlan,
    bootstrap: String,
    /// The console's reader: records of all partitions merged in timestamp order.
    merge: Option<TimeMerge>,
}

/// How long a partition that neither sends nor reports its end may hold back the others.
const MERGE_WAIT: Duration = Duration::from_millis(300);
/// Most records the merge holds (then it lets them out whatever holds them back).
const MERGE_HELD: usize = 50_000;

/// What a tail did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TailSummary {
    pub consumed: u64,
}

impl Tail {
    pub fn start(settings: &ConnectionSettings, plan: TailPlan, until_end: bool) -> Result<Tail> {
        Tail::open(settings, plan, until_end)
    }

    /// The console's reader: [`Tail::next_merged`] hands out the records of all partitions
    /// merged in timestamp order, as they are read (each partition's order kept).
    pub fn start_merged(settings: &ConnectionSettings, plan: TailPlan) -> Result<Tail> {
        let mut tail = Tail::open(settings, plan, true)?;
        let at_end: Vec<(i32, bool)> = tail
            .plan
            .starts
            .iter()
            .map(|(p, start)| (*p, tail.plan.ends.get(p).is_some_and(|end| start >= end)))
            .collect();
        tail.merge = Some(TimeMerge::new(at_end, MERGE_WAIT, MERGE_HELD));
        Ok(tail)
    }

    /// `eof`: librdkafka reports each partition reaching its end.
    fn open(settings: &ConnectionSettings, plan: TailPlan, eof: bool) -> Result<Tail> {
        // The group settings are kscope's whatever the user's properties say (see `safety`).
        let consumer: BaseConsumer<KscopeContext> = create_client(
            settings,
            ClientRole::Tail,
            &[
                // librdkafka's assign() needs a group id; nothing joins or commits under it.
                ("group.id", "kscope-tail"),
                ("enable.auto.commit", "false"),
                ("enable.auto.offset.store", "false"),
                ("enable.partition.eof", if eof { "true" } else { "false" }),
                // A clamped or expired start offset falls back to the oldest record kept.
                ("auto.offset.reset", "earliest"),
                ("fetch.wait.max.ms", "100"),
                // When the local queue is full librdkafka pauses fetching for this long; the
                // default (1 s) leaves a fast reader idle most of the time.
                ("fetch.queue.backoff.ms", "10"),
                ("check.crcs", "false"),
            ],
        )?;
        let mut tpl = TopicPartitionList::with_capacity(plan.starts.len());
        for (p, o) in &plan.starts {
            tpl.add_partition_offset(&plan.topic, *p, Offset::Offset(*o))
                .map_err(|e| Error::kafka(format!("cannot assign partition {p}: {e}")))?;
        }
        consumer
            .assign(&tpl)
            .map_err(|e| Error::kafka(format!("cannot assign partitions: {e}")))?;
        Ok(Tail {
            consumer,
            plan,
            bootstrap: settings.bootstrap.clone(),
            merge: None,
        })
    }

    pub fn plan(&self) -> &TailPlan {
        &self.plan
    }

    /// Reads until `stop` is set, `on_record` breaks, or `stop_at` is reached. Blocking: run it
    /// on a thread of its own. `on_record` gets each record (`Some`), returning whether it
    /// counted towards `max`, and `None` each time the reader has caught up (nothing more to
    /// read right now): the moment to flush buffered output, so a follower sees records as
    /// they arrive rather than a buffer at a time.
    pub fn run<F>(
        &mut self,
        stop: &AtomicBool,
        stop_at: StopAt,
        mut on_record: F,
    ) -> Result<TailSummary>
    where
        F: FnMut(Option<&BorrowedMessage<'_>>) -> ControlFlow<Result<()>, bool>,
    {
        let mut summary = TailSummary::default();
        let mut counted = 0u64;
        // Partitions still to read for `--until end`.
        let mut open: BTreeSet<i32> = self
            .plan
            .starts
            .iter()
            .filter(|(p, start)| **start < self.plan.ends[*p])
            .map(|(p, _)| *p)
            .collect();
        if stop_at.max == Some(0) || (stop_at.until_end && open.is_empty()) {
            return Ok(summary);
        }
        let mut caught_up = true;
        while !stop.load(Ordering::Relaxed) {
            let mut polled = self.consumer.poll(Duration::ZERO);
            if polled.is_none() {
                if !caught_up {
                    caught_up = true;
                    if let ControlFlow::Break(r) = on_record(None) {
                        r?;
                        break;
                    }
                }
                polled = self.consumer.poll(Duration::from_millis(100));
            }
            let Some(result) = polled else {
                continue;
            };
            caught_up = false;
            match result {
                Ok(m) => {
                    let p = m.partition();
                    if stop_at.until_end {
                        let end = self.plan.ends.get(&p).copied().unwrap_or(i64::MAX);
                        if m.offset() >= end {
                            open.remove(&p);
                            if open.is_empty() {
                                break;
                            }
                            continue;
                        }
                        if m.offset() + 1 >= end {
                            open.remove(&p);
                        }
                    }
                    summary.consumed += 1;
                    match on_record(Some(&m)) {
                        ControlFlow::Continue(true) => counted += 1,
                        ControlFlow::Continue(false) => {}
                        ControlFlow::Break(r) => {
                            r?;
                            break;
                        }
                    }
                    if stop_at.max.is_some_and(|max| counted >= max)
                        || (stop_at.until_end && open.is_empty())
                    {
                        break;
                    }
                }
                Err(KafkaError::PartitionEOF(p)) => {
                    // Transaction markers or compaction can leave the last offsets unseen.
                    if stop_at.until_end {
                        open.remove(&p);
                        if open.is_empty() {
                            break;
                        }
                    }
                }
                Err(e) => match e.rdkafka_error_code() {
                    Some(
                        RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic,
                    ) => {
                        return Err(Error::NotFound(format!(
                            "topic '{}' no longer exists",
                            self.plan.topic
                        )))
                    }
                    _ => {
                        if let Some(fatal) = self.consumer.context().fatal_error() {
                            return Err(Error::Connect(format!(
                                "cannot connect to {}: {fatal}",
                                self.bootstrap
                            )));
                        }
                        tracing::warn!("tail: {e}");
                    }
                },
            }
        }
        Ok(summary)
    }
}

impl Tail {
    /// Up to `max` records, waiting at most `wait` for the first ones: for the console, which
    /// reads in batches and must be able to stop or pause between them.
    pub fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Vec<OwnedRecord>> {
        let deadline = Instant::now() + wait;
        let mut out = Vec::new();
        while out.len() < max {
            let left = deadline.saturating_duration_since(Instant::now());
            let timeout = if out.is_empty() { left } else { Duration::ZERO };
            match self.consumer.poll(timeout) {
                None => break,
                Some(Ok(m)) => out.push(OwnedRecord::from_ref(&record_of(&m, true))),
                Some(Err(KafkaError::PartitionEOF(_))) => {}
                Some(Err(e)) => self.read_error(e)?,
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        Ok(out)
    }

    /// Up to `max` records of all partitions in timestamp order (see [`TimeMerge`]), waiting at
    /// most `wait` for the first ones. Records read beyond `max` stay held for the next call.
    /// Without a merge (a tail not started with [`Tail::start_merged`]), as `next_batch`.
    pub fn next_merged(&mut self, max: usize, wait: Duration) -> Result<Vec<OwnedRecord>> {
        if self.merge.is_none() {
            return self.next_batch(max, wait);
        }
        let deadline = Instant::now() + wait;
        let mut out = Vec::new();
        loop {
            let now = Instant::now();
            if let Some(merge) = self.merge.as_mut() {
                while out.len() < max {
                    match merge.pop(now) {
                        Some(r) => out.push(r),
                        None => break,
                    }
                }
            }
            if out.len() >= max {
                break;
            }
            // (A full merge lets records out above, so here it has room to read into.)
            let due = self.merge.as_ref().and_then(TimeMerge::due);
            // Nothing to let out yet: wait for a record, an end, or a partition's wait to
            // run out, but not past the deadline.
            let timeout = if out.is_empty() {
                let until = due.map_or(deadline, |d| d.min(deadline));
                until
                    .saturating_duration_since(now)
                    .min(Duration::from_millis(50))
            } else {
                Duration::ZERO
            };
            match self.consumer.poll(timeout) {
                None => {
                    if !out.is_empty() || Instant::now() >= deadline {
                        break;
                    }
                }
                Some(Ok(m)) => {
                    let r = OwnedRecord::from_ref(&record_of(&m, true));
                    if let Some(merge) = self.merge.as_mut() {
                        merge.push(r);
                    }
                }
                Some(Err(KafkaError::PartitionEOF(p))) => {
                    if let Some(merge) = self.merge.as_mut() {
                        merge.at_end(p);
                    }
                }
                Some(Err(e)) => self.read_error(e)?,
            }
        }
        Ok(out)
    }

    /// A read error: the end of the tail when the cluster is gone for good or the topic was
    /// deleted, else logged (librdkafka retries).
    fn read_error(&self, e: KafkaError) -> Result<()> {
        if let Some(fatal) = self.consumer.context().fatal_error() {
            return Err(Error::Connect(format!(
                "cannot connect to {}: {fatal}",
                self.bootstrap
            )));
        }
        match e.rdkafka_error_code() {
            Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic) => {
                Err(Error::NotFound(format!(
                    "topic '{}' no longer exists",
                    self.plan.topic
                )))
            }
            _ => {
                tracing::warn!("tail: {e}");
                Ok(())
            }
        }
    }
}

/// A borrowed rdkafka message as a record (headers only when asked for: they cost a Vec).
pub fn record_of<'a>(m: &'a BorrowedMessage<'a>, with_headers: bool) -> RecordRef<'a> {
    let timestamp = match m.timestamp() {
        Timestamp::CreateTime(t) => Some((t, TimestampKind::Create)),
        Timestamp::LogAppendTime(t) => Some((t, TimestampKind::LogAppend)),
        Timestamp::NotAvailable => None,
    };
    let headers = if with_headers {
        headers_of(m)
    } else {
        Vec::new()
    };
    RecordRef {
        topic: m.topic(),
        partition: m.partition(),
        offset: m.offset(),
        timestamp,
        key: m.key(),
        value: m.payload(),
        headers,
    }
}

/// A record's headers as bytes, read with librdkafka's own header API.
///
/// Header names come from the producer, and Kafka does not check that they are UTF-8.
/// rust-rdkafka's `Headers::get`/`iter` turn each name into a `&str` with an `unwrap()`, so a
/// record with a non-UTF-8 header name panics the reader (clippy.toml forbids those methods).
/// librdkafka hands out the name as a C string: a name is read up to its first NUL byte.
#[allow(unsafe_code)]
pub fn headers_of<'a>(m: &'a BorrowedMessage<'a>) -> Vec<(&'a [u8], Option<&'a [u8]>)> {
    use rdkafka::bindings as rd;
    let mut hdrs: *mut rd::rd_kafka_headers_t = std::ptr::null_mut();
    // SAFETY: `m.ptr()` is the live message `m` borrows; the headers belong to the message and
    // live as long as it does, so every slice below borrows from `m`.
    unsafe {
        if rd::rd_kafka_message_headers(m.ptr(), &mut hdrs)
            != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
            || hdrs.is_null()
        {
            return Vec::new();
        }
        let count = rd::rd_kafka_header_cnt(hdrs);
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            let mut name: *const std::os::raw::c_char = std::ptr::null();
            let mut value: *const std::ffi::c_void = std::ptr::null();
            let mut size: usize = 0;
            if rd::rd_kafka_header_get_all(hdrs, i, &mut name, &mut value, &mut size)
                != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
                || name.is_null()
            {
                continue;
            }
            let name: &'a [u8] = std::ffi::CStr::from_ptr(name).to_bytes();
            let value: Option<&'a [u8]> = if value.is_null() {
                None
            } else if size == 0 {
                Some(&[])
            } else {
                Some(std::slice::from_raw_parts(value.cast::<u8>(), size))
            };
            out.push((name, value));
        }
        out
    }
}
