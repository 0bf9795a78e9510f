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

/// A C array of pointers librdkafka returned with its length; empty when the array itself is
/// NULL. Elements may still be NULL: callers skip those.
unsafe fn array<'a, T>(ptr: *const *const T, n: usize) -> &'a [*const T] {
    if ptr.is_null() || n == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, n)
    }
}

fn cstring(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::usage(format!("{what} '{s}' contains a NUL byte")))
}

/// Turns a librdkafka error code into our error, naming the API that failed. The variant is the
/// error's kind (unavailable, not authorized, ...), so callers decide on it, not on the text.
pub fn map_error(code: rd::rd_kafka_resp_err_t, message: &str, api: &str) -> Error {
    map_code(RDKafkaErrorCode::from(code), message, api)
}

/// As [`map_error`], for a code rust-rdkafka already converted.
pub fn map_code(code: RDKafkaErrorCode, message: &str, api: &str) -> Error {
    use RDKafkaErrorCode as C;
    let message = if message.is_empty() {
        code.to_string()
    } else {
        message.to_string()
    };
    match code {
        C::UnsupportedFeature | C::UnsupportedVersion => Error::unsupported(api, None),
        C::OperationTimedOut | C::RequestTimedOut => Error::Timeout {
            what: format!("{api} ({message})"),
            after: Duration::ZERO,
        },
        C::GroupIdNotFound | C::UnknownTopicOrPartition | C::UnknownTopic => {
            Error::NotFound(format!("{api}: {message}"))
        }
        C::GroupAuthorizationFailed
        | C::TopicAuthorizationFailed
        | C::ClusterAuthorizationFailed
        | C::TransactionalIdAuthorizationFailed => {
            Error::NotAuthorized(format!("{api}: not authorized: {message}"))
        }
        c if is_unavailable(c) => Error::Unavailable(format!("{api}: {message}")),
        _ => Error::kafka(format!("{api} failed: {message}")),
    }
}

/// Errors that say a broker, leader or coordinator is away or moving: asking again later works.
pub fn is_unavailable(code: RDKafkaErrorCode) -> bool {
    use RDKafkaErrorCode as C;
    matches!(
        code,
        C::NotCoordinator
            | C::CoordinatorLoadInProgress
            | C::CoordinatorNotAvailable
            | C::NotLeaderForPartition
            | C::LeaderNotAvailable
            | C::BrokerNotAvailable
            | C::ReplicaNotAvailable
            | C::NetworkException
            | C::BrokerTransportFailure
            | C::AllBrokersDown
            | C::NotEnoughReplicas
            | C::FencedLeaderEpoch
            | C::UnknownLeaderEpoch
            | C::OffsetNotAvailable
            | C::PreferredLeaderNotAvailable
            | C::BrokerDestroy
            | C::DestroyBroker
            | C::WaitingForCoordinator
            | C::NodeUpdate
            | C::UnknownBroker
            | C::TimedOutQueue
    )
}

/// Group-coordinator errors worth asking again within the budget (the coordinator is loading
/// or moved).
fn coordinator_retriable(code: RDKafkaErrorCode) -> bool {
    use RDKafkaErrorCode as C;
    matches!(
        code,
        C::NotCoordinator
            | C::CoordinatorLoadInProgress
            | C::CoordinatorNotAvailable
            | C::WaitingForCoordinator
            | C::BrokerTransportFailure
            | C::AllBrokersDown
    )
}

unsafe fn error_of(err: *const rd::rd_kafka_error_t, api: &str) -> Error {
    error_code_of(err, api).1
}

/// The error and its librdkafka code (for deciding whether to ask again).
unsafe fn error_code_of(err: *const rd::rd_kafka_error_t, api: &str) -> (RDKafkaErrorCode, Error) {
    let code = rd::rd_kafka_error_code(err);
    let msg = string(rd::rd_kafka_error_string(err)).unwrap_or_default();
    (RDKafkaErrorCode::from(code), map_error(code, &msg, api))
}

fn timeout_ms(d: Duration) -> i32 {
    d.as_millis().min(i32::MAX as u128) as i32
}

unsafe fn options(
    rk: RawClient,
    op: rd::rd_kafka_admin_op_t,
    timeout: Duration,
) -> Result<Options> {
    let raw = rd::rd_kafka_AdminOptions_new(rk, op);
    if raw.is_null() {
        return Err(Error::kafka("cannot create admin options"));
    }
    let opts = Options(raw);
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

/// The next result on `queue`, or `None` once `deadline` has passed. librdkafka enforces each
/// request's own timeout; the deadline here only guards against a result that never comes.
unsafe fn poll_event(queue: &Queue, deadline: Instant) -> Option<Event> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = rd::rd_kafka_queue_poll(queue.0, timeout_ms(left.min(Duration::from_millis(200))));
        if !ev.is_null() {
            return Some(Event(ev));
        }
        if left.is_zero() {
            return None;
        }
    }
}

/// The event's own error (a whole request failed), with its code.
unsafe fn event_error(ev: &Event, api: &str) -> Option<(RDKafkaErrorCode, Error)> {
    let code = rd::rd_kafka_event_error(ev.0);
    if code == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return None;
    }
    let msg = string(rd::rd_kafka_event_error_string(ev.0)).unwrap_or_default();
    Some((RDKafkaErrorCode::from(code), map_error(code, &msg, api)))
}

/// Waits for the one result of a request sent at `started` with `timeout`.
unsafe fn wait(queue: &Queue, started: Instant, timeout: Duration, api: &str) -> Result<Event> {
    let Some(ev) = poll_event(queue, started + timeout + GRACE) else {
        return Err(Error::Timeout {
            what: api.to_string(),
            after: started.elapsed(),
        });
    };
    match event_error(&ev, api) {
        Some((_, e)) => Err(with_wait(e, started)),
        None => Ok(ev),
    }
}

/// How long past a request's own timeout kscope waits for librdkafka to report it.
const GRACE: Duration = Duration::from_millis(500);

/// A timeout reports how long kscope waited, not librdkafka's overshoot.
fn with_wait(e: Error, started: Instant) -> Error {
    match e {
        Error::Timeout { what, .. } => Error::Timeout {
            what,
            after: started.elapsed(),
        },
        e => e,
    }
}

/// Tags a request so its result event says which one it answers.
unsafe fn tag(opts: &Options, index: usize) {
    // The opaque is a plain index, never dereferenced.
    rd::rd_kafka_AdminOptions_set_opaque(opts.0, index as *mut std::ffi::c_void);
}

unsafe fn tag_of(ev: &Event) -> usize {
    rd::rd_kafka_event_opaque(ev.0) as usize
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
    let started = Instant::now();
    submit(opts.0, queue.0);
    wait(&queue, started, timeout, api)
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
///
/// Never fails as a whole once the requests are sent: every partition comes back with its
/// offset or its own error. Returns the results and the number of calls made.
pub fn list_offsets_batched(
    client: Handle<'_>,
    partitions: &[(String, i32, OffsetSpec)],
    chunk: usize,
    timeout: Duration,
) -> Result<(Vec<TpResult>, usize)> {
    let lists: Vec<&[(String, i32, OffsetSpec)]> = partitions.chunks(chunk.max(1)).collect();
    let calls = lists.len();
    let results = list_offsets_requests(client, &lists, timeout)?;
    Ok((results.into_iter().flatten().collect(), calls))
}

/// Earliest and latest offsets of many partitions, all requests in flight at once (a
/// partition may appear only once per request, so each spec has requests of its own).
/// Returns (earliest, latest) results and the number of calls made.
pub fn watermarks_batched(
    client: Handle<'_>,
    partitions: &[(String, i32)],
    chunk: usize,
    timeout: Duration,
) -> Result<(Vec<TpResult>, Vec<TpResult>, usize)> {
    watermarks_grouped(client, &[partitions.to_vec()], chunk, timeout)
}

/// As [`watermarks_batched`], with the partitions in groups that never share a request: one
/// group per partition leader, so that a leader that does not answer cannot hold up (or time
/// out) the answers of the others.
pub fn watermarks_grouped(
    client: Handle<'_>,
    groups: &[Vec<(String, i32)>],
    chunk: usize,
    timeout: Duration,
) -> Result<(Vec<TpResult>, Vec<TpResult>, usize)> {
    let with = |spec: OffsetSpec| -> Vec<Vec<(String, i32, OffsetSpec)>> {
        groups
            .iter()
            .map(|g| g.iter().map(|(t, p)| (t.clone(), *p, spec)).collect())
            .collect()
    };
    let (low, high) = (with(OffsetSpec::Earliest), with(OffsetSpec::Latest));
    let low_lists: Vec<&[(String, i32, OffsetSpec)]> =
        low.iter().flat_map(|g| g.chunks(chunk.max(1))).collect();
    let n_low = low_lists.len();
    let mut lists = low_lists;
    lists.extend(high.iter().flat_map(|g| g.chunks(chunk.max(1))));
    let calls = lists.len();
    let mut results = list_offsets_requests(client, &lists, timeout)?;
    let high_results = results.split_off(n_low.min(results.len()));
    Ok((
        results.into_iter().flatten().collect(),
        high_results.into_iter().flatten().collect(),
        calls,
    ))
}

/// ListOffsets in groups that never share a request (one per partition leader), each group in
/// requests of at most `chunk` partitions, all in flight at once.
pub fn list_offsets_grouped(
    client: Handle<'_>,
    groups: &[Vec<(String, i32, OffsetSpec)>],
    chunk: usize,
    timeout: Duration,
) -> Result<(Vec<TpResult>, usize)> {
    let lists: Vec<&[(String, i32, OffsetSpec)]> =
        groups.iter().flat_map(|g| g.chunks(chunk.max(1))).collect();
    let calls = lists.len();
    let results = list_offsets_requests(client, &lists, timeout)?;
    Ok((results.into_iter().flatten().collect(), calls))
}

/// Sends one ListOffsets request per list, all at once on one queue, each tagged with its
/// index; returns each request's partitions with their offset or their own error (a request
/// that failed or did not answer in time gives each of its partitions that error).
fn list_offsets_requests(
    client: Handle<'_>,
    lists: &[&[(String, i32, OffsetSpec)]],
    timeout: Duration,
) -> Result<Vec<Vec<TpResult>>> {
    let rk = client.native_ptr();
    const API: &str = "ListOffsets";
    let mut out: Vec<Vec<TpResult>> = lists.iter().map(|_| Vec::new()).collect();
    if lists.iter().all(|l| l.is_empty()) {
        return Ok(out);
    }
    let mut tpls = Vec::with_capacity(lists.len());
    for part in lists {
        let mut tpl = TopicPartitionList::with_capacity(part.len());
        for (topic, partition, spec) in *part {
            tpl.add_partition(topic, *partition)
                .set_offset(spec.as_offset())
                .map_err(|e| Error::kafka(format!("{API}: {e}")))?;
        }
        tpls.push(tpl);
    }
    let queue = new_queue(rk)?;
    let started = Instant::now();
    let deadline = started + timeout + GRACE;
    let mut answered: Vec<bool> = lists.iter().map(|l| l.is_empty()).collect();
    unsafe {
        // librdkafka copies the list and the options when a request is submitted.
        for (i, tpl) in tpls.iter().enumerate() {
            if answered[i] {
                continue;
            }
            let opts = options(
                rk,
                rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTOFFSETS,
                timeout,
            )?;
            tag(&opts, i);
            rd::rd_kafka_ListOffsets(rk, tpl.ptr(), opts.0, queue.0);
        }
        while answered.iter().any(|a| !a) {
            let Some(ev) = poll_event(&queue, deadline) else {
                break;
            };
            let i = tag_of(&ev);
            match answered.get_mut(i) {
                Some(slot) if !*slot => *slot = true,
                _ => continue,
            }
            if let Some((code, e)) = event_error(&ev, API) {
                let msg = with_wait(e, started).to_string();
                out[i].extend(
                    lists[i]
                        .iter()
                        .map(|(t, p, _)| TpResult::failed(t, *p, code, &msg)),
                );
                continue;
            }
            let result = rd::rd_kafka_event_ListOffsets_result(ev.0);
            let mut got = Vec::new();
            if !result.is_null() {
                let mut n = 0usize;
                let infos = array(rd::rd_kafka_ListOffsets_result_infos(result, &mut n), n);
                for &info in infos.iter().filter(|i| !i.is_null()) {
                    let tp = rd::rd_kafka_ListOffsetsResultInfo_topic_partition(info);
                    if !tp.is_null() {
                        got.push(list_offsets_result(&*tp));
                    }
                }
            }
            // A partition the answer left out was not answered for.
            for (t, p, _) in lists[i] {
                if !got.iter().any(|r| r.partition == *p && r.topic == *t) {
                    got.push(TpResult::failed(
                        t,
                        *p,
                        RDKafkaErrorCode::LeaderNotAvailable,
                        "the partition's leader did not answer",
                    ));
                }
            }
            out[i] = got;
        }
    }
    for (i, done) in answered.iter().enumerate() {
        if !done {
            let msg = format!(
                "no answer within {}",
                humantime::format_duration(round_ms(started.elapsed()))
            );
            out[i] = lists[i]
                .iter()
                .map(|(t, p, _)| TpResult::failed(t, *p, RDKafkaErrorCode::OperationTimedOut, &msg))
                .collect();
        }
    }
    Ok(out)
}

/// A ListOffsets partition result. librdkafka reports a partition whose leader did not answer
/// as offset -1001 (OFFSET_INVALID) without an error (its ListOffsets merge drops the failed
/// sub-request's error); that is an error here, never an offset. -1 alone means "no record at
/// or after the time".
unsafe fn list_offsets_result(tp: &rd::rd_kafka_topic_partition_t) -> TpResult {
    let mut r = tp_result(tp);
    if r.error.is_none() && r.offset < -1 {
        r.error = Some((
            RDKafkaErrorCode::LeaderNotAvailable,
            "the partition's leader did not answer".into(),
        ));
    }
    r
}

fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl TpResult {
    fn failed(topic: &str, partition: i32, code: RDKafkaErrorCode, message: &str) -> TpResult {
        TpResult {
            topic: topic.to_string(),
            partition,
            offset: -1001,
            error: Some((code, message.to_string())),
        }
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
    pub error_kind: Option<crate::error::ErrorKind>,
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
            out.push((
                GroupDescription {
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
                    error_kind,
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
            for (t, p) in ps {
                tpl.add_partition(t, *p);
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
        let nodes = array(rd::rd_kafka_DescribeCluster_result_nodes(result, &mut n), n);
        Ok(ClusterDescription {
            cluster_id: string(rd::rd_kafka_DescribeCluster_result_cluster_id(result)),
            controller: node(rd::rd_kafka_DescribeCluster_result_controller(result)),
            nodes: nodes.iter().filter_map(|&n| node(n)).collect(),
        })
    }
}

/// Reads the per-topic results of CreateTopics or DeleteTopics.
unsafe fn topic_results(
    results: *mut *const rd::rd_kafka_topic_result_t,
    n: usize,
    api: &str,
) -> Result<()> {
    let results = array(results, n);
    if results.is_empty() {
        return Err(Error::kafka(format!("{api}: empty result")));
    }
    for &r in results.iter().filter(|r| !r.is_null()) {
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
        if result.is_null() {
            return Err(Error::kafka("CreateTopics: unexpected result event"));
        }
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
        if result.is_null() {
            return Err(Error::kafka("DeleteTopics: unexpected result event"));
        }
        let mut n = 0usize;
        topic_results(
            rd::rd_kafka_DeleteTopics_result_topics(result, &mut n),
            n,
            API,
        )
    }
}

/// The broker-side operation timeout for a request timeout: 80 %, and at least 500 ms less.
fn operation_timeout(request: Duration) -> Duration {
    let margin = (request / 5).max(Duration::from_millis(500));
    request
        .saturating_sub(margin)
        .max(Duration::from_millis(100))
}

/// Waits for the controller to finish creating or deleting, not just to accept the request. The
/// broker's part of the budget ends well before the request's own timeout, so that a create
/// the controller finished in time is reported as done, not as "timed out" because its answer
/// arrived after the request deadline.
unsafe fn set_operation_timeout(opts: *const rd::rd_kafka_AdminOptions_t, timeout: Duration) {
    let mut errbuf = [0 as c_char; 256];
    rd::rd_kafka_AdminOptions_set_operation_timeout(
        opts as *mut _,
        timeout_ms(operation_timeout(timeout)),
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
        if res.is_null() {
            return Err(Error::kafka(format!(
                "{API}: cannot describe topic '{name}'"
            )));
        }
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
        if result.is_null() {
            return Err(Error::kafka("DescribeConfigs: unexpected result event"));
        }
        let mut n = 0usize;
        let resources = array(
            rd::rd_kafka_DescribeConfigs_result_resources(result, &mut n),
            n,
        );
        let Some(&r) = resources.first().filter(|r| !r.is_null()) else {
            return Err(Error::kafka("DescribeConfigs returned nothing"));
        };
        let code = rd::rd_kafka_ConfigResource_error(r);
        if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            let msg = string(rd::rd_kafka_ConfigResource_error_string(r)).unwrap_or_default();
            return Err(map_error(code, &msg, API));
        }
        let mut m = 0usize;
        let entries = array(rd::rd_kafka_ConfigResource_configs(r, &mut m), m);
        Ok(entries
            .iter()
            .filter(|e| !e.is_null())
            .map(|&e| {
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

/// The librdkafka client a pump reads from, shared so that it cannot be destroyed while the
/// pump still holds its main queue.
pub type SharedClient = std::sync::Arc<rdkafka::client::Client<super::KscopeContext>>;

/// Pumps a client's main queue on a thread of its own, handing log lines, errors and
/// statistics to the context. rust-rdkafka's admin client never polls that queue, so without
/// this the events would pile up unseen. The pump holds the client: the queue is released and
/// the thread stopped (on drop) before the client can go away, whatever order owners drop in.
pub struct MainQueuePump {
    queue: Option<std::sync::Arc<MainQueue>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Dropped last (see `Drop`).
    _client: SharedClient,
}

impl MainQueuePump {
    pub fn start(client: &SharedClient) -> Result<MainQueuePump> {
        use rdkafka::client::ClientContext;
        use std::sync::atomic::{AtomicBool, Ordering};
        let rk = client.native_ptr();
        let context = client.context().clone();

        let raw = unsafe { rd::rd_kafka_queue_get_main(rk) };
        if raw.is_null() {
            return Err(Error::kafka("cannot get the client's main queue"));
        }
        let queue = std::sync::Arc::new(MainQueue(Queue(raw)));
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
            queue: Some(queue),
            stop,
            thread: Some(thread),
            _client: client.clone(),
        })
    }
}

impl Drop for MainQueuePump {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(queue) = &self.queue {
            // Wake the poll at once rather than waiting out its timeout.
            unsafe { rd::rd_kafka_queue_yield(queue.0 .0) };
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // The thread is gone: this is the last reference to the queue, destroyed here while
        // `_client` still keeps the client alive.
        self.queue = None;
    }
}
