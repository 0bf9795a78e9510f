//! The async facade: `KafkaClient`, a cheap handle to one connection. Every librdkafka call
//! blocks, so each runs on tokio's blocking pool (never on an executor thread) within the
//! call's budget, and ends early when the connection fails for good.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::client::Client;
use rdkafka::config::NativeClientConfig;
use tokio::sync::{watch, Semaphore};

use super::call::{unknown_topic, Call};
use super::config::{client_config, config_error};
use super::safety::ClientRole;
use super::{native, KscopeContext, OffsetSpec};
use crate::config::ConnectionSettings;
use crate::error::{Error, Result};
use crate::model::{
    ClusterInfo, GroupDetail, GroupSummary, Listing, PartitionOffsets, PartitionRef, TopicDetail,
    TopicSummary, Watermarks,
};

/// A cheap, cloneable handle to one cluster connection.
#[derive(Clone)]
pub struct KafkaClient {
    pub(super) inner: Arc<Inner>,
    /// When set, every call ends by then (a command's whole `--timeout`), however many
    /// requests it takes; otherwise each call has the settings' timeout of its own.
    deadline: Option<Instant>,
}

pub(super) struct Inner {
    _events: native::MainQueuePump,
    pub(super) client: native::SharedClient,
    pub(super) settings: ConnectionSettings,
    fatal: watch::Receiver<Option<String>>,
    /// Blocking calls under way. A permit lives as long as its blocking job, not as long as
    /// the caller waits: a caller that gives up on a dead broker does not free room for yet
    /// another stuck thread.
    permits: Arc<Semaphore>,
    /// Reads the records at committed offsets, for exact time lag.
    pub(super) record_reader: super::record_times::SharedReader,
}

/// At most this many blocking broker calls at once per client.
const MAX_BLOCKING_CALLS: usize = 8;

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
            KscopeContext::for_settings(&settings)?,
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
                record_reader: Default::default(),
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
    pub(super) async fn call<T, F>(&self, f: F) -> Result<T>
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
        partitions: Vec<PartitionRef>,
    ) -> Result<PartitionOffsets<Watermarks>> {
        self.call(move |i| i.watermarks(&partitions, None)).await
    }

    /// ListOffsets with one spec for all partitions; -1 means "no record at or after the time".
    pub async fn list_offsets(
        &self,
        partitions: Vec<PartitionRef>,
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
        partitions: Option<Vec<PartitionRef>>,
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

impl Inner {
    pub(super) fn client(&self) -> &Client<KscopeContext> {
        &self.client
    }

    pub(super) fn raw(&self) -> native::Handle<'_> {
        &self.client
    }
}
