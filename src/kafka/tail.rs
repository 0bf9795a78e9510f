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

use super::native::batch::{error_text, MessageQueue};
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

/// An assigned consumer over one topic's partitions, its records read in batches.
pub struct Tail {
    // Declared before the consumer: its messages are freed before the consumer goes.
    queue: MessageQueue,
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

/// Records read per batch.
const BATCH: usize = 1024;
/// Most events served at once from the consumer's own queue.
const MAX_EVENTS: usize = 10_000;
/// How often the consumer's own queue (errors, logs) is served while records flow.
const EVENTS_EVERY: Duration = Duration::from_millis(100);

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
        // Before the assignment, so that every record goes to the tail's queue.
        let queue = MessageQueue::new(&consumer, &plan.topic, plan.starts.keys().copied(), BATCH)?;
        let mut tpl = TopicPartitionList::with_capacity(plan.starts.len());
        for (p, o) in &plan.starts {
            tpl.add_partition_offset(&plan.topic, *p, Offset::Offset(*o))
                .map_err(|e| Error::kafka(format!("cannot assign partition {p}: {e}")))?;
        }
        consumer
            .assign(&tpl)
            .map_err(|e| Error::kafka(format!("cannot assign partitions: {e}")))?;
        Ok(Tail {
            queue,
            consumer,
            plan,
            bootstrap: settings.bootstrap.clone(),
            merge: None,
        })
    }

    pub fn plan(&self) -> &TailPlan {
        &self.plan
    }

    /// An error of the tail's partitions or of the client: the end of the tail when the
    /// topic is gone or the client cannot go on, a warning otherwise.
    fn check(&self, code: Option<RDKafkaErrorCode>, text: &str) -> Result<()> {
        if let Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic) =
            code
        {
            return Err(Error::NotFound(format!(
                "topic '{}' no longer exists",
                self.plan.topic
            )));
        }
        if let Some(fatal) = self.consumer.context().fatal_error() {
            return Err(Error::Connect(format!(
                "cannot connect to {}: {fatal}",
                self.bootstrap
            )));
        }
        tracing::warn!("tail: {text}");
        Ok(())
    }

    /// Serves the consumer's own queue: errors (and log lines) reach the context. Returns the
    /// partitions that reported their end there.
    fn serve_events(&self) -> Result<Vec<i32>> {
        let mut ends = Vec::new();
        // A poll that served a log line returns nothing, like one that found nothing: the
        // queue's length says when it is empty (bounded, should events keep coming).
        for _ in 0..MAX_EVENTS {
            if self.queue.pending_events() == 0 {
                break;
            }
            let Some(r) = self.consumer.poll(Duration::ZERO) else {
                continue;
            };
            match r {
                Ok(m) => {
                    // Every assigned partition is forwarded to the tail's queue.
                    return Err(Error::kafka(format!(
                        "internal error: record {}/{} offset {} arrived outside the tail's queue",
                        self.plan.topic,
                        m.partition(),
                        m.offset()
                    )));
                }
                Err(KafkaError::PartitionEOF(p)) => ends.push(p),
                Err(e) => self.check(e.rdkafka_error_code(), &e.to_string())?,
            }
        }
        // A partition's errors (its topic deleted, say) come inside a batch, where librdkafka
        // logs them instead of returning them: "TOPIC [P]: REASON (ERROR TEXT)".
        for line in self.consumer.context().take_logged_errors() {
            let gone = [
                RDKafkaErrorCode::UnknownTopicOrPartition,
                RDKafkaErrorCode::UnknownTopic,
                RDKafkaErrorCode::UnknownPartition,
            ]
            .into_iter()
            .find(|code| {
                line.trim_end()
                    .ends_with(&format!("({})", error_text(*code)))
            });
            self.check(
                gone.map(|_| RDKafkaErrorCode::UnknownTopicOrPartition),
                &line,
            )?;
        }
        Ok(ends)
    }

    /// Reads until `stop` is set, `on_record` breaks, or `stop_at` is reached. Blocking: run it
    /// on a thread of its own. `on_record` gets each record (`Some`; with its headers when
    /// `with_headers`), returning whether it counted towards `max`, and `None` each time the
    /// reader has caught up (nothing more to read right now): the moment to flush buffered
    /// output, so a follower sees records as they arrive rather than a buffer at a time.
    pub fn run<F>(
        &mut self,
        stop: &AtomicBool,
        stop_at: StopAt,
        with_headers: bool,
        mut on_record: F,
    ) -> Result<TailSummary>
    where
        F: FnMut(Option<&RecordRef<'_>>) -> ControlFlow<Result<()>, bool>,
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
        let mut served = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            if served.elapsed() >= EVENTS_EVERY {
                served = Instant::now();
                for p in self.serve_events()? {
                    open.remove(&p);
                }
                if stop_at.until_end && open.is_empty() {
                    break;
                }
            }
            let mut n = self.queue.fill(Duration::ZERO, BATCH);
            if n == 0 {
                if !caught_up {
                    caught_up = true;
                    if let ControlFlow::Break(r) = on_record(None) {
                        r?;
                        break;
                    }
                }
                n = self.queue.fill(Duration::from_millis(100), BATCH);
            }
            if n == 0 {
                continue;
            }
            caught_up = false;
            let topic = self.plan.topic.as_str();
            for m in self.queue.messages() {
                let p = m.partition();
                if let Some((code, text)) = m.error() {
                    // Transaction markers or compaction can leave the last offsets unseen.
                    if code == RDKafkaErrorCode::PartitionEOF {
                        if stop_at.until_end {
                            open.remove(&p);
                            if open.is_empty() {
                                return Ok(summary);
                            }
                        }
                    } else {
                        self.check(Some(code), &text)?;
                    }
                    continue;
                }
                if stop_at.until_end {
                    let end = self.plan.ends.get(&p).copied().unwrap_or(i64::MAX);
                    if m.offset() >= end {
                        open.remove(&p);
                        if open.is_empty() {
                            return Ok(summary);
                        }
                        continue;
                    }
                    if m.offset() + 1 >= end {
                        open.remove(&p);
                    }
                }
                summary.consumed += 1;
                match on_record(Some(&m.record(topic, with_headers))) {
                    ControlFlow::Continue(true) => counted += 1,
                    ControlFlow::Continue(false) => {}
                    ControlFlow::Break(r) => {
                        r?;
                        return Ok(summary);
                    }
                }
                if stop_at.max.is_some_and(|max| counted >= max)
                    || (stop_at.until_end && open.is_empty())
                {
                    return Ok(summary);
                }
            }
        }
        Ok(summary)
    }

    /// Up to `max` records, waiting at most `wait` for the first ones: for the console, which
    /// reads in batches and must be able to stop or pause between them.
    pub fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Vec<OwnedRecord>> {
        self.serve_events()?;
        let deadline = Instant::now() + wait;
        let mut out = Vec::new();
        while out.len() < max {
            let left = deadline.saturating_duration_since(Instant::now());
            let timeout = if out.is_empty() { left } else { Duration::ZERO };
            if self.queue.fill(timeout, max - out.len()) == 0 {
                break;
            }
            let topic = self.plan.topic.as_str();
            for m in self.queue.messages() {
                match m.error() {
                    None => out.push(OwnedRecord::from_ref(&m.record(topic, true))),
                    Some((RDKafkaErrorCode::PartitionEOF, _)) => {}
                    Some((code, text)) => self.check(Some(code), &text)?,
                }
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
            for p in self.serve_events()? {
                if let Some(merge) = self.merge.as_mut() {
                    merge.at_end(p);
                }
            }
            if self.queue.fill(timeout, BATCH) == 0 {
                if !out.is_empty() || Instant::now() >= deadline {
                    break;
                }
                continue;
            }
            let topic = self.plan.topic.as_str();
            let mut failure = None;
            for m in self.queue.messages() {
                match m.error() {
                    None => {
                        if let Some(merge) = self.merge.as_mut() {
                            merge.push(OwnedRecord::from_ref(&m.record(topic, true)));
                        }
                    }
                    Some((RDKafkaErrorCode::PartitionEOF, _)) => {
                        if let Some(merge) = self.merge.as_mut() {
                            merge.at_end(m.partition());
                        }
                    }
                    Some((code, text)) => failure = failure.or(Some((code, text))),
                }
            }
            if let Some((code, text)) = failure {
                self.check(Some(code), &text)?;
            }
        }
        Ok(out)
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
    // SAFETY: `m.ptr()` is the live message `m` borrows.
    unsafe { raw_headers(&*m.ptr()) }
}

/// The headers of a raw message (see [`headers_of`]).
///
/// # Safety
/// `m` must be a live librdkafka message; the slices borrow from it.
#[allow(unsafe_code)]
pub unsafe fn raw_headers(
    m: &rdkafka::bindings::rd_kafka_message_t,
) -> Vec<(&[u8], Option<&[u8]>)> {
    use rdkafka::bindings as rd;
    let mut hdrs: *mut rd::rd_kafka_headers_t = std::ptr::null_mut();
    // SAFETY: the headers belong to the message and live as long as it does, so every slice
    // below borrows from `m`.
    unsafe {
        if rd::rd_kafka_message_headers(m, &mut hdrs)
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
            let name: &[u8] = std::ffi::CStr::from_ptr(name).to_bytes();
            let value: Option<&[u8]> = if value.is_null() {
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
