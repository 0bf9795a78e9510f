//! The only code that talks to brokers. `KafkaClient` is an async facade: every librdkafka call
//! blocks, so each runs on tokio's blocking pool and never on an executor thread. Requests over
//! many partitions are batched (one ListOffsets per leader, one OffsetFetch per group).

mod context;
mod groups;
pub mod native;
pub mod produce;
mod reads;
pub mod safety;
pub mod sampler;
pub mod tail;
mod write;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::client::Client;
use rdkafka::config::{FromClientConfigAndContext, NativeClientConfig, RDKafkaLogLevel};
use rdkafka::error::KafkaError;
use rdkafka::metadata::Metadata;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;
use tokio::sync::{watch, Semaphore};

use crate::config::{is_sensitive_key, ConnectionSettings};
use crate::error::{Error, Result};
use crate::model::{ClusterInfo, GroupDetail, GroupSummary, Listing, TopicDetail, TopicSummary};
pub use context::{clean_reason, KscopeContext, RequestsSent};
pub use native::OffsetSpec;
pub use safety::{check_writable, ClientRole, WriteAccess};
pub use sampler::SampleFilter;
pub use write::Writer;

/// Topics whose names start with `__` are the broker's own (`__consumer_offsets`, ...).
pub fn is_internal_topic(name: &str) -> bool {
    name.starts_with("__")
}

/// Kafka protocol ApiKeys that some brokers lack.
pub mod api {
    pub const LIST_OFFSETS: i16 = 2;
    pub const OFFSET_FETCH: i16 = 9;
    pub const DESCRIBE_GROUPS: i16 = 15;
    pub const LIST_GROUPS: i16 = 16;
    pub const CREATE_TOPICS: i16 = 19;
    pub const DELETE_TOPICS: i16 = 20;
    pub const DELETE_RECORDS: i16 = 21;
    pub const DESCRIBE_CONFIGS: i16 = 32;
    pub const DESCRIBE_QUORUM: i16 = 55;
    pub const DESCRIBE_CLUSTER: i16 = 60;

    pub fn name(key: i16) -> &'static str {
        match key {
            LIST_OFFSETS => "ListOffsets",
            OFFSET_FETCH => "OffsetFetch",
            DESCRIBE_GROUPS => "DescribeGroups",
            LIST_GROUPS => "ListGroups",
            CREATE_TOPICS => "CreateTopics",
            DELETE_TOPICS => "DeleteTopics",
            DELETE_RECORDS => "DeleteRecords",
            DESCRIBE_CONFIGS => "DescribeConfigs",
            DESCRIBE_QUORUM => "DescribeQuorum",
            DESCRIBE_CLUSTER => "DescribeCluster",
            _ => "this API",
        }
    }
}

/// The configs `kscope topic` always shows.
pub const KEY_TOPIC_CONFIGS: &[&str] = &[
    "retention.ms",
    "retention.bytes",
    "cleanup.policy",
    "min.insync.replicas",
];

/// Builds a librdkafka config from resolved settings and the client's own properties (`own`).
///
/// Order, last wins: kscope's defaults, `own` properties that are not reserved for the role,
/// the user's properties (minus the reserved ones), then the reserved ones: `own` values for
/// them and what [`safety::forced`] says. So a user's property can tune a client but never
/// make it create a topic, join or commit for a group (see `safety`).
pub fn client_config(
    settings: &ConnectionSettings,
    role: ClientRole,
    own: &[(&str, &str)],
) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &settings.bootstrap);
    cfg.set("client.id", "kscope");
    let ms = settings.timeout.as_millis().to_string();
    cfg.set("socket.timeout.ms", &ms);
    // A broker that comes back is seen within 2 s (librdkafka's default cap is 10 s; an
    // operator watching a restart should not wait that long). Connect attempts to a broker
    // that stays away still back off: 100 ms doubling to 2 s.
    cfg.set("reconnect.backoff.max.ms", "2000");
    for (k, v) in own {
        if !safety::is_reserved(role, k) {
            cfg.set(*k, *v);
        }
    }
    for (k, v) in &settings.properties {
        if safety::is_reserved(role, k) {
            tracing::warn!("ignoring client property '{k}': kscope sets it itself");
        } else {
            cfg.set(k, v.expose());
        }
    }
    for (k, v) in own {
        if safety::is_reserved(role, k) {
            cfg.set(*k, *v);
        }
    }
    for (k, v) in safety::forced(role) {
        cfg.set(k, v);
    }
    // The `feature` debug context logs each broker's ApiVersions, which is how kscope learns
    // which APIs a broker lacks (the context parses those lines; they are not shown).
    let debug = match settings.properties.get("debug") {
        Some(d) if !d.expose().is_empty() => format!("{},feature", d.expose()),
        _ => "feature".to_string(),
    };
    cfg.set("debug", debug);
    cfg.set_log_level(RDKafkaLogLevel::Debug);
    cfg
}

/// Creates any rdkafka client with our context, turning config errors into one clear line
/// that never shows a secret.
pub fn create_client<T>(
    settings: &ConnectionSettings,
    role: ClientRole,
    own: &[(&str, &str)],
) -> Result<T>
where
    T: FromClientConfigAndContext<KscopeContext>,
{
    client_config(settings, role, own)
        .create_with_context(KscopeContext::new())
        .map_err(config_error)
}

fn config_error(e: KafkaError) -> Error {
    match e {
        KafkaError::ClientConfig(_, desc, key, _value) => {
            if is_sensitive_key(&key) {
                Error::config(format!("invalid value for client property '{key}'"))
            } else if desc.is_empty() {
                Error::config(format!("invalid client property '{key}'"))
            } else {
                Error::config(format!("invalid client property '{key}': {desc}"))
            }
        }
        KafkaError::ClientCreation(msg) => Error::config(format!("cannot create client: {msg}")),
        other => Error::kafka(other.to_string()),
    }
}

pub use crate::model::{PartitionOffsets, TopicPartition, Watermarks};

/// A cheap, cloneable handle to one cluster connection.
#[derive(Clone)]
pub struct KafkaClient {
    inner: Arc<Inner>,
    /// When set, every call ends by then (a command's whole `--timeout`), however many
    /// requests it takes; otherwise each call has the settings' timeout of its own.
    deadline: Option<Instant>,
}

struct Inner {
    _events: native::MainQueuePump,
    client: native::SharedClient,
    settings: ConnectionSettings,
    fatal: watch::Receiver<Option<String>>,
    /// Blocking calls under way. A permit lives as long as its blocking job, not as long as
    /// the caller waits: a caller that gives up on a dead broker does not free room for yet
    /// another stuck thread.
    permits: Arc<Semaphore>,
}

/// At most this many blocking broker calls at once per client.
const MAX_BLOCKING_CALLS: usize = 8;

/// One call on the blocking pool: the client and the time it may take, all requests included.
struct Call<'a> {
    inner: &'a Inner,
    deadline: Instant,
    /// The whole budget the call started with (for messages).
    budget: Duration,
}

impl std::ops::Deref for Call<'_> {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        self.inner
    }
}

impl KafkaClient {
    /// Creates the client. librdkafka connects in the background; the first request tells
    /// whether the cluster is reachable.
    pub fn new(settings: ConnectionSettings) -> Result<Self> {
        // A producer-type handle, as an admin client is: it never has a consumer group, so
        // no `group.id` (a user's is dropped, and librdkafka ignores one on a producer) can
        // make it join, commit or coordinate anything. The vendored librdkafka makes a
        // group-less handle safe when an OffsetFetch is answered NOT_COORDINATOR
        // (vendor/rdkafka-sys/PATCHES.md, 0003).
        let config = client_config(&settings, ClientRole::Admin, &[]);
        let native: NativeClientConfig = config.create_native_config().map_err(config_error)?;
        let client = Client::new(
            &config,
            native,
            rdkafka::types::RDKafkaType::RD_KAFKA_PRODUCER,
            KscopeContext::new(),
        )
        .map_err(config_error)?;
        let client = Arc::new(client);
        let fatal = client.context().fatal();
        let events = native::MainQueuePump::start(&client)?;
        Ok(KafkaClient {
            inner: Arc::new(Inner {
                _events: events,
                client,
                settings,
                fatal,
                permits: Arc::new(Semaphore::new(MAX_BLOCKING_CALLS)),
            }),
            deadline: None,
        })
    }

    pub fn settings(&self) -> &ConnectionSettings {
        &self.inner.settings
    }

    /// The same connection, with every call ending by `deadline`: a command's `--timeout` is
    /// one budget for all the requests it makes.
    pub fn with_deadline(&self, deadline: Instant) -> KafkaClient {
        KafkaClient {
            inner: self.inner.clone(),
            deadline: Some(deadline),
        }
    }

    /// The deadline of a call starting now.
    pub fn call_deadline(&self) -> Instant {
        let own = Instant::now() + self.inner.settings.timeout;
        self.deadline.map_or(own, |d| d.min(own))
    }

    /// What is left of the budget for a call starting now.
    pub fn budget_left(&self) -> Duration {
        self.call_deadline()
            .saturating_duration_since(Instant::now())
    }

    /// Runs a blocking call on the blocking pool; returns early if the connection fails for
    /// good (bad password, TLS error) or the budget runs out, instead of waiting it out.
    async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Call) -> Result<T> + Send + 'static,
    {
        let deadline = self.call_deadline();
        let inner = self.inner.clone();
        let mut fatal = self.inner.fatal.clone();
        let bootstrap = self.inner.settings.bootstrap.clone();
        let permits = self.inner.permits.clone();
        let limit = deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(1);
        let work = async move {
            let permit = permits
                .acquire_owned()
                .await
                .map_err(|_| Error::kafka("the client is shutting down"))?;
            let task = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                f(&Call {
                    inner: &inner,
                    deadline,
                    budget: deadline.saturating_duration_since(Instant::now()),
                })
            });
            match task.await {
                Ok(r) => r,
                Err(e) if e.is_panic() => Err(Error::kafka(format!(
                    "internal error: a broker call panicked: {}",
                    panic_message(e.into_panic())
                ))),
                Err(e) => Err(Error::kafka(format!("internal task failed: {e}"))),
            }
        };
        tokio::select! {
            r = tokio::time::timeout(limit, work) => r.unwrap_or_else(|_| Err(Error::Timeout {
                what: "an answer from the cluster".into(),
                after: limit,
            })),
            msg = wait_fatal(&mut fatal) => Err(Error::Connect(format!("cannot connect to {bootstrap}: {msg}"))),
        }
    }

    pub async fn cluster(&self) -> Result<ClusterInfo> {
        self.call(|i| i.cluster()).await
    }

    pub async fn topics(&self, include_internal: bool) -> Result<Listing<TopicSummary>> {
        self.call(move |i| i.topics(include_internal)).await
    }

    pub async fn topic(&self, name: &str) -> Result<TopicDetail> {
        let name = name.to_string();
        self.call(move |i| i.topic(&name)).await
    }

    /// Partition ids of a topic, or `NotFound`.
    pub async fn partitions(&self, topic: &str) -> Result<Vec<i32>> {
        let topic = topic.to_string();
        self.call(move |i| {
            let md = i.metadata(Some(&topic))?;
            let t = md
                .topics()
                .iter()
                .find(|t| t.name() == topic)
                .ok_or_else(|| unknown_topic(&topic))?;
            let mut ids: Vec<i32> = t.partitions().iter().map(|p| p.id()).collect();
            ids.sort_unstable();
            Ok(ids)
        })
        .await
    }

    /// Creates a topic; refused (`Error::ReadOnly`) by a read-only client. See [`Writer`].
    pub async fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: Option<i32>,
        configs: Vec<(String, String)>,
    ) -> Result<()> {
        self.writer(&format!("create topic '{name}'"))?
            .create_topic(name, partitions, replication_factor, configs)
            .await
    }

    /// Deletes a topic; refused (`Error::ReadOnly`) by a read-only client. See [`Writer`].
    pub async fn delete_topic(&self, name: &str) -> Result<()> {
        self.writer(&format!("delete topic '{name}'"))?
            .delete_topic(name)
            .await
    }

    /// Log start and end of each partition; a partition whose leader did not answer is
    /// missing, with its leader named.
    pub async fn watermarks(
        &self,
        partitions: Vec<TopicPartition>,
    ) -> Result<PartitionOffsets<Watermarks>> {
        self.call(move |i| i.watermarks(&partitions, None)).await
    }

    /// ListOffsets with one spec for all partitions; -1 means "no record at or after the time".
    pub async fn list_offsets(
        &self,
        partitions: Vec<TopicPartition>,
        spec: OffsetSpec,
    ) -> Result<PartitionOffsets<i64>> {
        self.call(move |i| i.offsets(&partitions, spec)).await
    }

    pub async fn groups(&self) -> Result<Listing<GroupSummary>> {
        self.call(|i| i.groups()).await
    }

    pub async fn group(&self, group: &str, topic: Option<String>) -> Result<GroupDetail> {
        let group = group.to_string();
        self.call(move |i| i.group(&group, topic.as_deref())).await
    }

    /// Commits offsets for a group from outside it (the group must have no active members);
    /// refused (`Error::ReadOnly`) by a read-only client. See [`Writer`].
    pub async fn alter_group_offsets(
        &self,
        group: &str,
        offsets: Vec<(String, i32, i64)>,
    ) -> Result<Vec<native::TpResult>> {
        self.writer(&format!("commit offsets of group '{group}'"))?
            .alter_group_offsets(group, offsets)
            .await
    }

    /// Committed offsets of a group; `partitions = None` asks for all it has committed.
    pub async fn committed_offsets(
        &self,
        group: &str,
        partitions: Option<Vec<TopicPartition>>,
    ) -> Result<PartitionOffsets<i64>> {
        let group = group.to_string();
        self.call(move |i| i.committed(&group, partitions)).await
    }
}

async fn wait_fatal(rx: &mut watch::Receiver<Option<String>>) -> String {
    loop {
        if let Some(msg) = rx.borrow_and_update().clone() {
            return msg;
        }
        if rx.changed().await.is_err() {
            // The client is gone; nothing more will come.
            std::future::pending::<()>().await;
        }
    }
}

/// The text of a panic payload.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

fn unknown_topic(topic: &str) -> Error {
    Error::NotFound(format!("unknown topic '{topic}'"))
}

impl Inner {
    fn client(&self) -> &Client<KscopeContext> {
        &self.client
    }

    fn raw(&self) -> native::Handle<'_> {
        &self.client
    }
}

impl Call<'_> {
    /// What is left of this call's budget (at least a millisecond, so a request still gets
    /// its answer or its timeout from librdkafka).
    fn timeout(&self) -> Duration {
        self.deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    }

    /// What is left of the budget for `what`, or a timeout naming it once nothing is left.
    fn left(&self, what: &str) -> Result<Duration> {
        self.part(what, 1.0)
    }

    /// A share of what is left, for a step that others follow: a broker that does not answer
    /// one step must leave time for the steps that can still be answered.
    fn part(&self, what: &str, share: f64) -> Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left < Duration::from_millis(10) {
            Err(Error::Timeout {
                what: format!("{what} (nothing was left of the budget)"),
                after: self.budget,
            })
        } else {
            Ok(left.mul_f64(share.clamp(0.05, 1.0)))
        }
    }

    /// Whether the brokers said they support `api_key` (`None` before any answered).
    fn supports(&self, api_key: i16) -> Option<bool> {
        self.client().context().supports(api_key, Duration::ZERO)
    }

    /// Explains a failed request: a connection problem if librdkafka reported one.
    fn connect_error(&self, what: &str, code: RDKafkaErrorCode) -> Error {
        let ctx = self.client().context();
        if let Some(fatal) = ctx.fatal_error() {
            return Error::Connect(format!(
                "cannot connect to {}: {fatal}",
                self.settings.bootstrap
            ));
        }
        match code {
            RDKafkaErrorCode::OperationTimedOut
            | RDKafkaErrorCode::BrokerTransportFailure
            | RDKafkaErrorCode::AllBrokersDown
            | RDKafkaErrorCode::RequestTimedOut => {
                let why = ctx
                    .last_error()
                    .map(|e| format!(": {}", clean_reason(&e)))
                    .unwrap_or_default();
                Error::Connect(format!(
                    "cannot reach {} within {}{why}",
                    self.settings.bootstrap,
                    humantime::format_duration(self.settings.timeout)
                ))
            }
            other => Error::kafka(format!("{what} failed: {other}")),
        }
    }

    fn metadata(&self, topic: Option<&str>) -> Result<Metadata> {
        let md = self
            .client()
            .fetch_metadata(topic, self.timeout())
            .map_err(|e| match e {
                KafkaError::MetadataFetch(code) => self.connect_error("Metadata", code),
                other => Error::kafka(other.to_string()),
            })?;
        if let Some(name) = topic {
            if let Some(t) = md.topics().iter().find(|t| t.name() == name) {
                if let Some(err) = t.error() {
                    return Err(reads::topic_error(name, RDKafkaErrorCode::from(err)));
                }
            } else {
                return Err(unknown_topic(name));
            }
        }
        Ok(md)
    }

    /// Fails fast with `Unsupported` when the brokers said they lack `api_key`, instead of
    /// letting librdkafka wait out the timeout. Call after a request that connected.
    fn require(&self, api_key: i16) -> Result<()> {
        match self
            .client()
            .context()
            .supports(api_key, Duration::from_secs(2))
        {
            Some(false) => Err(Error::unsupported(api::name(api_key), None)),
            _ => Ok(()),
        }
    }

    /// Makes sure a broker has answered, so that `require` knows what it supports.
    fn connected(&self) -> Result<()> {
        if self
            .client()
            .context()
            .supports(api::LIST_OFFSETS, Duration::ZERO)
            .is_none()
        {
            self.metadata(None)?;
        }
        Ok(())
    }
}
