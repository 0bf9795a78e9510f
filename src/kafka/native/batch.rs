//! A tail's records read in batches: every assigned partition's fetch queue is forwarded to one
//! queue of the tail's own, which `rd_kafka_consume_batch_queue` serves many records a call.
//! Polling the consumer one record at a time costs a queue lock, two clock reads and an event
//! allocation per record; a batch pays them once. The consumer's own queue keeps what is not a
//! record (errors, logs, statistics), and the tail still polls it for those.
//!
//! Safety: the queue and every message pointer come from librdkafka and stay valid until this
//! owner destroys them, which it does before the consumer they belong to is dropped (the owner
//! is declared before the consumer in `Tail`). Slices handed out borrow from `&self`, and a new
//! batch (which destroys the previous messages) needs `&mut self`.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString};
use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaErrorCode;

use crate::error::{Error, Result};
use crate::record::{RecordRef, TimestampKind};

/// The forwarded queue and the messages of the last batch.
pub struct MessageQueue {
    queue: *mut rd::rd_kafka_queue_t,
    /// The consumer's own queue, for how many events wait there.
    events: *mut rd::rd_kafka_queue_t,
    batch: Vec<*mut rd::rd_kafka_message_t>,
    filled: usize,
}

// librdkafka queues and messages may be used from any thread; the owner is moved to the tail's
// reader thread and used there only.
unsafe impl Send for MessageQueue {}

impl MessageQueue {
    /// Forwards `partitions` of `topic` to a new queue. Call before the partitions are assigned,
    /// so that no record goes to the consumer's queue first.
    pub fn new<C: rdkafka::consumer::ConsumerContext>(
        consumer: &rdkafka::consumer::BaseConsumer<C>,
        topic: &str,
        partitions: impl Iterator<Item = i32>,
        capacity: usize,
    ) -> Result<MessageQueue> {
        use rdkafka::consumer::Consumer as _;
        let client = consumer.client().native_ptr();
        let name = CString::new(topic)
            .map_err(|_| Error::usage(format!("invalid topic name '{topic}'")))?;
        // SAFETY: `client` is the handle of the consumer borrowed here; `name` outlives each call; the
        // partition queues are released right after forwarding (the forward keeps its own
        // reference to the destination).
        unsafe {
            let queue = rd::rd_kafka_queue_new(client);
            if queue.is_null() {
                return Err(Error::kafka("cannot create the tail's queue"));
            }
            let events = rd::rd_kafka_queue_get_consumer(client);
            if events.is_null() {
                rd::rd_kafka_queue_destroy(queue);
                return Err(Error::kafka("the tail's consumer has no queue"));
            }
            let owner = MessageQueue {
                queue,
                events,
                batch: vec![std::ptr::null_mut(); capacity.max(1)],
                filled: 0,
            };
            for p in partitions {
                let pq = rd::rd_kafka_queue_get_partition(client, name.as_ptr(), p);
                if pq.is_null() {
                    return Err(Error::kafka(format!(
                        "cannot read partition {p} of '{topic}': no queue"
                    )));
                }
                rd::rd_kafka_queue_forward(pq, queue);
                rd::rd_kafka_queue_destroy(pq);
            }
            Ok(owner)
        }
    }

    /// Frees the previous batch and reads the next: what is there now, up to `max` (and the
    /// capacity), or, when nothing is, the first message to arrive within `wait` and what
    /// came with it.
    pub fn fill(&mut self, wait: Duration, max: usize) -> usize {
        self.release();
        let cap = self.batch.len().min(max);
        if cap == 0 {
            return 0;
        }
        let ms = i32::try_from(wait.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: `batch` has room for `cap` pointers from index 0, and for `cap - 1` from 1.
        let mut n = unsafe { self.consume(0, 0, cap) };
        if n == 0 && ms > 0 {
            n = unsafe { self.consume(0, ms, 1) };
            if n == 1 && cap > 1 {
                n += unsafe { self.consume(1, 0, cap - 1) };
            }
        }
        self.filled = n;
        n
    }

    /// # Safety
    /// `from + size` must not exceed the batch's length.
    unsafe fn consume(&mut self, from: usize, timeout_ms: i32, size: usize) -> usize {
        let got = rd::rd_kafka_consume_batch_queue(
            self.queue,
            timeout_ms,
            self.batch.as_mut_ptr().add(from),
            size,
        );
        usize::try_from(got).unwrap_or(0).min(size)
    }

    /// Events (errors, log lines) waiting on the consumer's own queue.
    pub fn pending_events(&self) -> usize {
        // SAFETY: a queue handle this owner holds.
        unsafe { rd::rd_kafka_queue_length(self.events) }
    }

    /// The messages of the last batch.
    pub fn messages(&self) -> impl Iterator<Item = Message<'_>> {
        self.batch[..self.filled].iter().filter_map(|m| {
            // SAFETY: the first `filled` pointers are live messages until the next `fill`.
            unsafe { m.as_ref() }.map(|raw| Message { raw })
        })
    }

    fn release(&mut self) {
        for m in &mut self.batch[..self.filled] {
            if !m.is_null() {
                // SAFETY: each message of the batch is destroyed once, then forgotten.
                unsafe { rd::rd_kafka_message_destroy(*m) };
                *m = std::ptr::null_mut();
            }
        }
        self.filled = 0;
    }
}

impl Drop for MessageQueue {
    fn drop(&mut self) {
        self.release();
        // SAFETY: both handles were taken by `new` and are released once.
        unsafe {
            rd::rd_kafka_queue_destroy(self.queue);
            rd::rd_kafka_queue_destroy(self.events);
        }
    }
}

/// librdkafka's text for an error code, as its log lines end: `(Broker: Unknown topic or
/// partition)`.
pub fn error_text(code: RDKafkaErrorCode) -> String {
    let Ok(err) = rd::rd_kafka_resp_err_t::try_from(code as i32) else {
        return String::new();
    };
    // SAFETY: librdkafka returns a static NUL-terminated string for every code.
    unsafe { CStr::from_ptr(rd::rd_kafka_err2str(err)) }
        .to_string_lossy()
        .into_owned()
}

/// One message of a batch: a record, or a partition's error (end of partition included).
pub struct Message<'a> {
    raw: &'a rd::rd_kafka_message_t,
}

impl<'a> Message<'a> {
    pub fn partition(&self) -> i32 {
        self.raw.partition
    }

    pub fn offset(&self) -> i64 {
        self.raw.offset
    }

    /// `None` for a record; the error's code and text otherwise.
    pub fn error(&self) -> Option<(RDKafkaErrorCode, String)> {
        if self.raw.err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return None;
        }
        // SAFETY: the error string is the message's own, NUL-terminated, or the static name.
        let text = unsafe {
            let s = rd::rd_kafka_message_errstr(self.raw);
            if s.is_null() {
                String::new()
            } else {
                CStr::from_ptr(s).to_string_lossy().into_owned()
            }
        };
        Some((RDKafkaErrorCode::from(self.raw.err), text))
    }

    fn bytes(ptr: *mut std::ffi::c_void, len: usize) -> Option<&'a [u8]> {
        if ptr.is_null() {
            None
        } else {
            // SAFETY: librdkafka's pointer and length of the message's key or payload.
            Some(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
        }
    }

    /// The record, named as `topic` (every message of a tail's queue is of its topic).
    pub fn record(&self, topic: &'a str, with_headers: bool) -> RecordRef<'a> {
        let mut kind = rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        // SAFETY: a live message; `kind` is written by the call.
        let ts = unsafe { rd::rd_kafka_message_timestamp(self.raw, &mut kind) };
        let timestamp = match kind {
            rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_CREATE_TIME => {
                Some((ts, TimestampKind::Create))
            }
            rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME => {
                Some((ts, TimestampKind::LogAppend))
            }
            _ => None,
        };
        RecordRef {
            topic,
            partition: self.raw.partition,
            offset: self.raw.offset,
            timestamp,
            key: Self::bytes(self.raw.key, self.raw.key_len),
            value: Self::bytes(self.raw.payload, self.raw.len),
            headers: if with_headers {
                // SAFETY: the headers belong to the message and live as long as it does.
                unsafe { super::super::tail::raw_headers(self.raw) }
            } else {
                Vec::new()
            },
        }
    }
}
