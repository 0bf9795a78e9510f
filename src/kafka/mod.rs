//! The only code that talks to brokers. `KafkaClient` is an async facade: every librdkafka call
//! blocks, so each runs on tokio's blocking pool and never on an executor thread. Requests over
//! many partitions are batched (one ListOffsets per leader, one OffsetFetch per group).

mod context;
pub mod native;
pub mod produce;
pub mod sampler;
pub mod tail;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::client::Client;
use rdkafka::config::{FromClientConfigAndContext, NativeClientConfig, RDKafkaLogLevel};
use rdkafka::error::KafkaError;
use rdkafka::metadata::Metadata;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;
use tokio::sync::watch;

use crate::config::{is_sensitive_key, ConnectionSettings};
use crate::error::{Error, Result};
use crate::model::{
    self, Broker, ClusterInfo, ConfigValue, GroupDetail, GroupSummary, Member, PartitionInfo,
    PartitionLag, TopicDetail, TopicPartitions, TopicSummary,
};
pub use context::{clean_reason, KscopeContext, RequestsSent};
pub use native::OffsetSpec;
pub use sampler::SampleFilter;

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

/// Builds a librdkafka config from resolved settings plus per-client extras.
pub fn client_config(settings: &ConnectionSettings, extra: &[(&str, &str)]) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &settings.bootstrap);
    // Never create a topic by asking about it (librdkafka's producer default is to allow it).
    cfg.set("allow.auto.create.topics", "false");
    cfg.set("client.id", "kscope");
    let ms = settings.timeout.as_millis().to_string();
    cfg.set("socket.timeout.ms", &ms);
    for (k, v) in extra {
        cfg.set(*k, *v);
    }
    for (k, v) in &settings.properties {
        cfg.set(k, v.expose());
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
pub fn create_client<T>(settings: &ConnectionSettings, extra: &[(&str, &str)]) -> Result<T>
where
    T: FromClientConfigAndContext<KscopeContext>,
{
    client_config(settings, extra)
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

/// Watermarks of one partition; `None` where the broker gave no offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Watermarks {
    pub low: Option<i64>,
    pub high: Option<i64>,
}

pub type TopicPartition = (String, i32);

/// A cheap, cloneable handle to one cluster connection.
#[derive(Clone)]
pub struct KafkaClient {
    inner: Arc<Inner>,
}

struct Inner {
    /// Declared first so it stops before the client below is destroyed.
    _events: native::MainQueuePump,
    client: Client<KscopeContext>,
    settings: ConnectionSettings,
    fatal: watch::Receiver<Option<String>>,
}

impl KafkaClient {
    /// Creates the client. librdkafka connects in the background; the first request tells
    /// whether the cluster is reachable.
    pub fn new(settings: ConnectionSettings) -> Result<Self> {
        // A producer-type handle, as an admin client is: it never has a consumer group, so
        // no `group.id` (not even a user's `-X group.id`, which librdkafka ignores on a
        // producer) can make it join, commit or coordinate anything. The vendored librdkafka
        // makes a group-less handle safe when an OffsetFetch is answered NOT_COORDINATOR
        // (vendor/rdkafka-sys/PATCHES.md, 0003).
        let config = client_config(&settings, &[]);
        let native: NativeClientConfig = config.create_native_config().map_err(config_error)?;
        let client = Client::new(
            &config,
            native,
            rdkafka::types::RDKafkaType::RD_KAFKA_PRODUCER,
            KscopeContext::new(),
        )
        .map_err(config_error)?;
        let fatal = client.context().fatal();
        let events = native::MainQueuePump::start(&client)?;
        Ok(KafkaClient {
            inner: Arc::new(Inner {
                _events: events,
                client,
                settings,
                fatal,
            }),
        })
    }

    pub fn settings(&self) -> &ConnectionSettings {
        &self.inner.settings
    }

    /// Runs a blocking call on the blocking pool; returns early if the connection fails for
    /// good (bad password, TLS error) instead of waiting out the timeout.
    async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        let mut fatal = self.inner.fatal.clone();
        let bootstrap = self.inner.settings.bootstrap.clone();
        let task = tokio::task::spawn_blocking(move || f(&inner));
        tokio::select! {
            r = task => r.map_err(|e| Error::kafka(format!("internal task failed: {e}")))?,
            msg = wait_fatal(&mut fatal) => Err(Error::Connect(format!("cannot connect to {bootstrap}: {msg}"))),
        }
    }

    pub async fn cluster(&self) -> Result<ClusterInfo> {
        self.call(|i| i.cluster()).await
    }

    pub async fn topics(&self, include_internal: bool) -> Result<Vec<TopicSummary>> {
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

    pub async fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: Option<i32>,
        configs: Vec<(String, String)>,
    ) -> Result<()> {
        let name = name.to_string();
        self.call(move |i| i.create_topic(&name, partitions, replication_factor, &configs))
            .await
    }

    pub async fn delete_topic(&self, name: &str) -> Result<()> {
        let name = name.to_string();
        self.call(move |i| i.delete_topic(&name)).await
    }

    pub async fn watermarks(
        &self,
        partitions: Vec<TopicPartition>,
    ) -> Result<HashMap<TopicPartition, Watermarks>> {
        self.call(move |i| i.watermarks(&partitions)).await
    }

    /// ListOffsets with one spec for all partitions; -1 means "no such offset".
    pub async fn list_offsets(
        &self,
        partitions: Vec<TopicPartition>,
        spec: OffsetSpec,
    ) -> Result<HashMap<TopicPartition, i64>> {
        self.call(move |i| i.list_offsets(&partitions, spec)).await
    }

    pub async fn groups(&self) -> Result<Vec<GroupSummary>> {
        self.call(|i| i.groups()).await
    }

    pub async fn group(&self, group: &str, topic: Option<String>) -> Result<GroupDetail> {
        let group = group.to_string();
        self.call(move |i| i.group(&group, topic.as_deref())).await
    }

    /// Commits offsets for a group from outside it (the group must have no active members).
    pub async fn alter_group_offsets(
        &self,
        group: &str,
        offsets: Vec<(String, i32, i64)>,
    ) -> Result<Vec<native::TpResult>> {
        let group = group.to_string();
        self.call(move |i| native::alter_group_offsets(i.raw(), &group, &offsets, i.timeout()))
            .await
    }

    /// Committed offsets of a group; `partitions = None` asks for all it has committed.
    pub async fn committed_offsets(
        &self,
        group: &str,
        partitions: Option<Vec<TopicPartition>>,
    ) -> Result<HashMap<TopicPartition, i64>> {
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

    fn timeout(&self) -> Duration {
        self.settings.timeout
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
                    humantime::format_duration(self.timeout())
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
                    let code = RDKafkaErrorCode::from(err);
                    return Err(match code {
                        RDKafkaErrorCode::UnknownTopicOrPartition
                        | RDKafkaErrorCode::UnknownTopic => unknown_topic(name),
                        RDKafkaErrorCode::TopicAuthorizationFailed => {
                            Error::kafka(format!("not authorized to describe topic '{name}'"))
                        }
                        other => Error::kafka(format!("topic '{name}': {other}")),
                    });
                }
            } else {
                return Err(unknown_topic(name));
            }
        }
        Ok(md)
    }

    fn cluster(&self) -> Result<ClusterInfo> {
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
        // DescribeCluster adds the cluster id, the controller and racks; older brokers and the
        // librdkafka mock lack it, so fall back to what metadata gives.
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
                tracing::info!("DescribeCluster unavailable, using metadata: {e}");
                (
                    self.client().fetch_cluster_id(self.timeout()),
                    native::controller_id(self.raw(), self.timeout()),
                )
            }
        };
        brokers.sort_by_key(|b| b.id);
        let controller_id = controller.filter(|c| brokers.iter().any(|b| b.id == *c));
        let mut info = ClusterInfo {
            cluster_id,
            controller_id,
            brokers,
            topic_count: md.topics().len(),
            partition_count: 0,
            under_replicated_partitions: 0,
            offline_partitions: 0,
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

    fn watermarks(
        &self,
        partitions: &[TopicPartition],
    ) -> Result<HashMap<TopicPartition, Watermarks>> {
        let low = self.list_offsets(partitions, OffsetSpec::Earliest)?;
        let high = self.list_offsets(partitions, OffsetSpec::Latest)?;
        Ok(partitions
            .iter()
            .map(|tp| {
                let w = Watermarks {
                    low: low.get(tp).copied().filter(|o| *o >= 0),
                    high: high.get(tp).copied().filter(|o| *o >= 0),
                };
                (tp.clone(), w)
            })
            .collect())
    }

    fn list_offsets(
        &self,
        partitions: &[TopicPartition],
        spec: OffsetSpec,
    ) -> Result<HashMap<TopicPartition, i64>> {
        let req: Vec<(String, i32, OffsetSpec)> = partitions
            .iter()
            .map(|(t, p)| (t.clone(), *p, spec))
            .collect();
        let (res, _) = native::list_offsets_batched(
            self.raw(),
            &req,
            native::LIST_OFFSETS_CHUNK,
            self.timeout(),
        )?;
        Ok(res
            .into_iter()
            .filter(|r| r.error.is_none())
            .map(|r| ((r.topic, r.partition), r.offset))
            .collect())
    }

    fn partitions_of(md: &Metadata, include_internal: bool) -> Vec<TopicPartition> {
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

    fn topics(&self, include_internal: bool) -> Result<Vec<TopicSummary>> {
        let md = self.metadata(None)?;
        let wm = self.watermarks(&Self::partitions_of(&md, include_internal))?;
        let mut out: Vec<TopicSummary> = md
            .topics()
            .iter()
            .filter(|t| include_internal || !is_internal_topic(t.name()))
            .map(|t| {
                let parts = t.partitions();
                let messages = parts.iter().try_fold(0i64, |acc, p| {
                    let w = wm.get(&(t.name().to_string(), p.id()))?;
                    Some(acc + (w.high? - w.low?).max(0))
                });
                let log_end_offsets = parts.iter().try_fold(0i64, |acc, p| {
                    Some(acc + wm.get(&(t.name().to_string(), p.id()))?.high?)
                });
                TopicSummary {
                    name: t.name().to_string(),
                    internal: is_internal_topic(t.name()),
                    partitions: parts.len(),
                    replication_factor: parts.iter().map(|p| p.replicas().len()).max().unwrap_or(0),
                    under_replicated_partitions: parts
                        .iter()
                        .filter(|p| p.isr().len() < p.replicas().len())
                        .count(),
                    offline_partitions: parts.iter().filter(|p| p.leader() < 0).count(),
                    messages,
                    log_end_offsets,
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn topic(&self, name: &str) -> Result<TopicDetail> {
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
        let wm = self.watermarks(&tps)?;
        let mut partitions: Vec<PartitionInfo> = t
            .partitions()
            .iter()
            .map(|p| {
                let w = wm
                    .get(&(name.to_string(), p.id()))
                    .copied()
                    .unwrap_or_default();
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
                    error: p.error().map(|e| RDKafkaErrorCode::from(e).to_string()),
                }
            })
            .collect();
        partitions.sort_by_key(|p| p.partition);

        let (configs, configs_error) = match self.topic_configs(name) {
            Ok(c) => (c, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        let (groups, groups_error) = match self.groups_reading(name, &tps) {
            Ok(g) => (g, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        Ok(TopicDetail {
            name: name.to_string(),
            internal: is_internal_topic(name),
            partitions,
            configs,
            configs_error,
            groups,
            groups_error,
        })
    }

    fn topic_configs(&self, name: &str) -> Result<Vec<ConfigValue>> {
        self.require(api::DESCRIBE_CONFIGS)?;
        let mut configs: Vec<ConfigValue> =
            native::describe_topic_configs(self.raw(), name, self.timeout())?
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

    fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: Option<i32>,
        configs: &[(String, String)],
    ) -> Result<()> {
        self.connected()?;
        self.require(api::CREATE_TOPICS)?;
        // -1 lets the broker apply its default.replication.factor.
        native::create_topic(
            self.raw(),
            name,
            partitions,
            replication_factor.unwrap_or(-1),
            configs,
            self.timeout(),
        )?;
        // The controller has the topic; the broker that answers metadata may learn of it a
        // moment later. Return when it is usable, so `create` then `produce` just works.
        let deadline = std::time::Instant::now() + self.timeout();
        loop {
            match self.metadata(Some(name)) {
                Ok(md)
                    if md.topics().iter().any(|t| {
                        t.name() == name && t.partitions().len() == partitions as usize
                    }) =>
                {
                    return Ok(())
                }
                Ok(_) | Err(Error::NotFound(_)) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Ok(_) | Err(Error::NotFound(_)) => {
                    return Err(Error::kafka(format!(
                        "topic '{name}' was created but is not in the metadata after {}",
                        humantime::format_duration(self.timeout())
                    )))
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn delete_topic(&self, name: &str) -> Result<()> {
        // Fails with NotFound before asking the controller.
        self.metadata(Some(name))?;
        self.require(api::DELETE_TOPICS)?;
        native::delete_topic(self.raw(), name, self.timeout())
    }

    /// Names of all groups: ListGroups, or the context's `groups` where the broker lacks it.
    fn group_names(&self) -> Result<Vec<String>> {
        self.connected()?;
        let listed = self
            .require(api::LIST_GROUPS)
            .and_then(|_| native::list_groups(self.raw(), self.timeout()));
        match listed {
            Ok((groups, errors)) => {
                for e in errors {
                    tracing::warn!("ListGroups partly failed: {e}");
                }
                let mut names: Vec<String> = groups.into_iter().map(|g| g.group).collect();
                names.sort();
                Ok(names)
            }
            Err(Error::Unsupported { api, .. }) if !self.settings.known_groups.is_empty() => {
                tracing::info!("{api} unsupported: using the context's groups");
                Ok(self.settings.known_groups.clone())
            }
            Err(Error::Unsupported { api, .. }) => Err(Error::unsupported(
                api,
                Some(
                    "name the groups in the context's `groups` list or use `kscope group NAME`"
                        .into(),
                ),
            )),
            Err(e) => Err(e),
        }
    }

    /// Committed offsets of one group (`None` = all it has committed).
    fn committed(
        &self,
        group: &str,
        partitions: Option<Vec<TopicPartition>>,
    ) -> Result<HashMap<TopicPartition, i64>> {
        let res = native::list_group_offsets(
            self.raw(),
            &[(group.to_string(), partitions)],
            self.timeout(),
        )?;
        let (_, offsets) = res
            .into_iter()
            .next()
            .ok_or_else(|| Error::kafka("OffsetFetch returned nothing"))?;
        Ok(committed_map(offsets?))
    }

    /// Committed offsets for many groups in one round of requests. Brokers that cannot list a
    /// group's offsets by itself (the librdkafka mock) are asked for `fallback` partitions.
    fn committed_many(
        &self,
        groups: &[String],
        fallback: impl Fn() -> Result<Vec<TopicPartition>>,
    ) -> Result<HashMap<String, Result<HashMap<TopicPartition, i64>>>> {
        let req: Vec<(String, Option<Vec<TopicPartition>>)> =
            groups.iter().map(|g| (g.clone(), None)).collect();
        let mut out: HashMap<String, Result<HashMap<TopicPartition, i64>>> =
            native::list_group_offsets(self.raw(), &req, self.timeout())?
                .into_iter()
                .map(|(g, r)| (g, r.map(committed_map)))
                .collect();
        let empty: Vec<String> = out
            .iter()
            .filter(|(_, r)| matches!(r, Ok(m) if m.is_empty()))
            .map(|(g, _)| g.clone())
            .collect();
        if !empty.is_empty() && !self.settings.known_groups.is_empty() {
            let parts = fallback()?;
            if !parts.is_empty() {
                let req: Vec<(String, Option<Vec<TopicPartition>>)> = empty
                    .iter()
                    .map(|g| (g.clone(), Some(parts.clone())))
                    .collect();
                for (g, r) in native::list_group_offsets(self.raw(), &req, self.timeout())? {
                    out.insert(g, r.map(committed_map));
                }
            }
        }
        Ok(out)
    }

    fn groups_reading(&self, topic: &str, tps: &[TopicPartition]) -> Result<Vec<String>> {
        let names = self.group_names()?;
        let committed = self.committed_many(&names, || Ok(tps.to_vec()))?;
        let mut readers: BTreeSet<String> = committed
            .into_iter()
            .filter(|(_, r)| matches!(r, Ok(m) if m.keys().any(|(t, _)| t == topic)))
            .map(|(g, _)| g)
            .collect();
        if let Ok(descs) = self.describe_groups(&names) {
            for d in descs {
                if d.members
                    .iter()
                    .any(|m| m.assignment.iter().any(|(t, _)| t == topic))
                {
                    readers.insert(d.group);
                }
            }
        }
        Ok(readers.into_iter().collect())
    }

    fn describe_groups(&self, names: &[String]) -> Result<Vec<native::GroupDescription>> {
        self.require(api::DESCRIBE_GROUPS)?;
        native::describe_groups(self.raw(), names, self.timeout())
    }

    fn groups(&self) -> Result<Vec<GroupSummary>> {
        let names = self.group_names()?;
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let descs: HashMap<String, native::GroupDescription> = match self.describe_groups(&names) {
            Ok(d) => d.into_iter().map(|d| (d.group.clone(), d)).collect(),
            Err(e) => {
                tracing::info!("DescribeGroups unavailable: {e}");
                HashMap::new()
            }
        };
        let committed = self.committed_many(&names, || {
            Ok(Self::partitions_of(&self.metadata(None)?, false))
        })?;
        let all: Vec<TopicPartition> = committed
            .values()
            .filter_map(|r| r.as_ref().ok())
            .flat_map(|m| m.keys().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let ends = self.list_offsets(&all, OffsetSpec::Latest)?;
        Ok(names
            .iter()
            .map(|g| {
                let desc = descs.get(g);
                let (total_lag, error) = match committed.get(g) {
                    Some(Ok(m)) => (
                        m.iter()
                            .filter_map(|(tp, c)| model::lag(Some(*c), ends.get(tp).copied()))
                            .fold(None, |acc: Option<i64>, l| Some(acc.unwrap_or(0) + l)),
                        None,
                    ),
                    Some(Err(e)) => (None, Some(e.to_string())),
                    None => (None, None),
                };
                GroupSummary {
                    group: g.clone(),
                    state: desc.map_or("Unknown".into(), |d| d.state.clone()),
                    protocol: desc.map_or(String::new(), |d| d.protocol.clone()),
                    kind: desc.and_then(|d| d.kind.clone()),
                    members: desc.map_or(0, |d| d.members.len()),
                    total_lag,
                    error: error.or_else(|| desc.and_then(|d| d.error.clone())),
                }
            })
            .collect())
    }

    fn group(&self, group: &str, topic: Option<&str>) -> Result<GroupDetail> {
        if let Some(t) = topic {
            self.metadata(Some(t))?;
        }
        self.connected()?;
        let (desc, describe_error) = match self.describe_groups(&[group.to_string()]) {
            Ok(mut d) if !d.is_empty() => (Some(d.remove(0)), None),
            Ok(_) => (None, None),
            Err(e @ Error::Unsupported { .. }) => (None, Some(e.to_string())),
            Err(e) => return Err(e),
        };
        let mut committed = self.committed(group, None)?;
        if committed.is_empty() && (desc.is_none() || describe_error.is_some()) {
            // Brokers without group listing (the librdkafka mock) only answer when asked about
            // named partitions.
            let md = self.metadata(topic)?;
            let parts: Vec<TopicPartition> = Self::partitions_of(&md, false)
                .into_iter()
                .filter(|(t, _)| topic.is_none_or(|f| f == t))
                .collect();
            if !parts.is_empty() {
                committed = self.committed(group, Some(parts))?;
            }
        }
        if let Some(d) = &desc {
            if let Some(err) = &d.error {
                if committed.is_empty() {
                    return Err(Error::NotFound(format!("group '{group}': {err}")));
                }
            }
        }
        let members: Vec<Member> = desc
            .as_ref()
            .map(|d| {
                d.members
                    .iter()
                    .map(|m| Member {
                        member_id: m.member_id.clone(),
                        client_id: m.client_id.clone(),
                        host: m.host.clone(),
                        instance_id: m.instance_id.clone(),
                        assignment: group_by_topic(
                            m.assignment
                                .iter()
                                .filter(|(t, _)| topic.is_none_or(|f| f == t))
                                .cloned(),
                        ),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let state = desc
            .as_ref()
            .map_or("Unknown".to_string(), |d| d.state.clone());
        let exists = !committed.is_empty() || !members.is_empty();
        if !exists && (state == "Dead" || desc.is_none()) && describe_error.is_none() {
            return Err(Error::NotFound(format!("unknown group '{group}'")));
        }

        // Every partition the group has committed or has assigned.
        let mut owner: BTreeMap<TopicPartition, &Member> = BTreeMap::new();
        for m in &members {
            for tp in &m.assignment {
                for p in &tp.partitions {
                    owner.insert((tp.topic.clone(), *p), m);
                }
            }
        }
        let all: BTreeSet<TopicPartition> = committed
            .keys()
            .filter(|(t, _)| topic.is_none_or(|f| f == t))
            .cloned()
            .chain(owner.keys().cloned())
            .collect();
        let all: Vec<TopicPartition> = all.into_iter().collect();
        let wm = self.watermarks(&all)?;
        let partitions: Vec<PartitionLag> = all
            .iter()
            .map(|tp| {
                let w = wm.get(tp).copied().unwrap_or_default();
                let c = committed.get(tp).copied();
                let m = owner.get(tp);
                PartitionLag {
                    topic: tp.0.clone(),
                    partition: tp.1,
                    committed: c,
                    log_start: w.low,
                    log_end: w.high,
                    lag: model::lag(c, w.high),
                    member_id: m.map(|m| m.member_id.clone()),
                    client_id: m.map(|m| m.client_id.clone()),
                    host: m.map(|m| m.host.clone()),
                }
            })
            .collect();
        let total_lag = model::total_lag(&partitions);
        Ok(GroupDetail {
            group: group.to_string(),
            state,
            protocol: desc.as_ref().map_or(String::new(), |d| d.protocol.clone()),
            kind: desc.as_ref().and_then(|d| d.kind.clone()),
            coordinator: desc
                .as_ref()
                .and_then(|d| d.coordinator.as_ref())
                .map(|n| Broker {
                    id: n.id,
                    host: n.host.clone(),
                    port: n.port,
                    rack: n.rack.clone(),
                }),
            members,
            partitions,
            total_lag,
            describe_error,
        })
    }
}

/// Offsets as librdkafka reports them, without partitions that have no committed offset.
fn committed_map(results: Vec<native::TpResult>) -> HashMap<TopicPartition, i64> {
    results
        .into_iter()
        .filter(|r| r.error.is_none() && r.offset >= 0)
        .map(|r| ((r.topic, r.partition), r.offset))
        .collect()
}

fn group_by_topic(tps: impl Iterator<Item = TopicPartition>) -> Vec<TopicPartitions> {
    let mut map: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for (t, p) in tps {
        map.entry(t).or_default().push(p);
    }
    map.into_iter()
        .map(|(topic, mut partitions)| {
            partitions.sort_unstable();
            TopicPartitions { topic, partitions }
        })
        .collect()
}
