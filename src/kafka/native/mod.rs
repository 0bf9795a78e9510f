//! A small safe layer over librdkafka admin calls that rust-rdkafka does not wrap, by area:
//! [`offsets`] (ListOffsets), [`groups`] (ListConsumerGroups, DescribeConsumerGroups,
//! ListConsumerGroupOffsets, AlterConsumerGroupOffsets), [`cluster`] (DescribeCluster),
//! [`topics`] (CreateTopics, DeleteTopics, DescribeConfigs) and [`pump`] (the main queue's
//! log lines and errors). This file holds what they share: owners of librdkafka's objects,
//! error mapping, and sending a request and waiting for its result.
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
use crate::model::PartitionRef;

mod acls;
pub mod batch;
mod cluster;
mod groups;
mod offsets;
mod pump;
mod topics;

pub use acls::{acl_names, authorizer_present, check_acl, create_acls, delete_acls, describe_acls};
pub use cluster::{controller_id, describe_cluster, elect_preferred_leaders, ClusterDescription};
pub use groups::{
    alter_group_offsets, delete_group, delete_group_offsets, describe_groups, list_group_offsets,
    list_groups, GroupDescription, GroupListing, GroupOffsets, MemberDescription,
};
pub use offsets::{
    list_offsets_batched, list_offsets_grouped, watermarks_batched, watermarks_grouped, OffsetSpec,
    LIST_OFFSETS_CHUNK,
};
pub use pump::{MainQueuePump, SharedClient};
pub use topics::{
    alter_configs, create_partitions, create_topic, delete_records, delete_topic, describe_configs,
    describe_topic_configs, ConfigChange, ConfigEntry, ConfigResource,
};

/// A live librdkafka handle; the borrow keeps it alive for the whole call.
pub type Handle<'a> = &'a rdkafka::client::Client<super::KscopeContext>;

type RawClient = *mut rd::rd_kafka_t;

/// Committed offsets asked of one group: all of them (`None`) or these partitions.
pub type GroupOffsetsRequest = (String, Option<Vec<PartitionRef>>);

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

/// Kafka's name for an error code, as operators look it up (`POLICY_VIOLATION`; librdkafka's
/// own, local errors start with `_`, e.g. `_TIMED_OUT`).
pub fn error_name(code: RDKafkaErrorCode) -> Option<String> {
    let err = rd::rd_kafka_resp_err_t::try_from(code as i32).ok()?;
    // SAFETY: rd_kafka_err2name returns a static string for every code (a placeholder for
    // codes it does not know), never NULL.
    let name = unsafe { CStr::from_ptr(rd::rd_kafka_err2name(err)) }.to_string_lossy();
    (!name.is_empty() && !name.starts_with("ERR_")).then(|| name.into_owned())
}

/// A per-partition or per-resource error in the words operators search for: Kafka's name, then
/// librdkafka's description without its `Broker: ` prefix (`POLICY_VIOLATION: Policy
/// violation`).
pub fn named(code: RDKafkaErrorCode, message: &str) -> String {
    let words = message
        .trim_start_matches("Broker: ")
        .trim_start_matches("Local: ");
    match error_name(code) {
        Some(name) if words.is_empty() => name,
        Some(name) if !words.contains(&name) => format!("{name}: {words}"),
        _ => words.to_string(),
    }
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
        C::GroupAuthorizationFailed => Error::NotAuthorized(format!(
            "{api}: not authorized (GROUP_AUTHORIZATION_FAILED): {message}"
        )),
        C::TopicAuthorizationFailed => Error::NotAuthorized(format!(
            "{api}: not authorized (TOPIC_AUTHORIZATION_FAILED): {message}"
        )),
        C::ClusterAuthorizationFailed => Error::NotAuthorized(format!(
            "{api}: not authorized (CLUSTER_AUTHORIZATION_FAILED): {message}"
        )),
        C::TransactionalIdAuthorizationFailed => Error::NotAuthorized(format!(
            "{api}: not authorized (TRANSACTIONAL_ID_AUTHORIZATION_FAILED): {message}"
        )),
        c if is_unavailable(c) => Error::Unavailable(format!("{api}: {message}")),
        _ => Error::kafka(format!("{api} failed: {}", named(code, &message))),
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

pub(super) unsafe fn read_partition_list(
    list: *const rd::rd_kafka_topic_partition_list_t,
) -> Vec<TpResult> {
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
            let code = RDKafkaErrorCode::from(tp.err);
            (
                code,
                named(
                    code,
                    &string(rd::rd_kafka_err2str(tp.err)).unwrap_or_default(),
                ),
            )
        }),
    }
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

fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_errors_are_named_as_kafka_names_them() {
        assert_eq!(
            named(
                RDKafkaErrorCode::PolicyViolation,
                "Broker: Policy violation"
            ),
            "POLICY_VIOLATION: Policy violation"
        );
        assert_eq!(
            named(RDKafkaErrorCode::OperationTimedOut, "Local: Timed out"),
            "_TIMED_OUT: Timed out"
        );
        // Said once when the words already name it; the name alone without words.
        assert_eq!(
            named(RDKafkaErrorCode::InvalidRequest, "INVALID_REQUEST: bad"),
            "INVALID_REQUEST: bad"
        );
        assert_eq!(
            named(RDKafkaErrorCode::InvalidRequest, ""),
            "INVALID_REQUEST"
        );
        let e = map_code(
            RDKafkaErrorCode::InvalidRequest,
            "The only valid name for the CLUSTER resource is kafka-cluster",
            "CreateAcls",
        )
        .to_string();
        assert!(
            e.contains("CreateAcls failed: INVALID_REQUEST: The only valid name"),
            "{e}"
        );
    }
}
