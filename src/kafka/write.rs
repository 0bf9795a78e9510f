//! Every request that changes a cluster. They are methods of [`Writer`], which only
//! [`KafkaClient::writer`] makes, after the one read-only check ([`check_writable`]); a
//! read-only client cannot get one, so it cannot create or delete a topic, commit offsets or
//! produce, whoever calls it. A new mutation belongs here, taking the same path.

use std::time::Duration;

use super::call::Call;
use super::produce::{Acks, Producer};
use super::safety::{check_writable, WriteAccess};
use super::{api, native, KafkaClient};
use crate::error::{Error, Result};

/// A client that may change the cluster.
pub struct Writer {
    client: KafkaClient,
    access: WriteAccess,
}

impl KafkaClient {
    /// Has the broker check config changes of a topic or broker without applying them
    /// (validate-only): it changes nothing, so a read-only client may ask.
    pub async fn validate_configs(
        &self,
        resource: native::ConfigResource,
        changes: Vec<native::ConfigChange>,
    ) -> Result<()> {
        self.call(move |i| {
            i.connected()?;
            i.require(api::INCREMENTAL_ALTER_CONFIGS)?;
            native::alter_configs(i.raw(), &resource, &changes, true, i.timeout())
        })
        .await
    }

    /// The configs of a topic or broker, each with its source and whether it is read-only
    /// (DescribeConfigs), sorted by name.
    pub async fn configs(
        &self,
        resource: native::ConfigResource,
    ) -> Result<Vec<crate::model::DescribedConfig>> {
        self.call(move |i| {
            i.connected()?;
            i.require(api::DESCRIBE_CONFIGS)?;
            let mut out: Vec<crate::model::DescribedConfig> =
                native::describe_configs(i.raw(), &resource, i.timeout())?
                    .into_iter()
                    .map(|e| crate::model::DescribedConfig {
                        name: e.name,
                        value: e.value,
                        source: e.source.to_string(),
                        sensitive: e.sensitive,
                        read_only: e.read_only,
                    })
                    .collect();
            out.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(out)
        })
        .await
    }

    /// Has the broker check a CreatePartitions request without applying it (validate-only).
    pub async fn validate_partitions(&self, name: &str, total: usize) -> Result<()> {
        let name = name.to_string();
        self.call(move |i| native::create_partitions(i.raw(), &name, total, true, i.timeout()))
            .await
    }

    /// The client's writing half, or `Error::ReadOnly` (exit 4) in a read-only context.
    /// `action` names the change for the refusal ("create topic 'x'").
    pub fn writer(&self, action: &str) -> Result<Writer> {
        let access = check_writable(&self.inner.settings, action)?;
        Ok(Writer {
            client: self.clone(),
            access,
        })
    }

    /// Whether this client refuses every change (fixed when it was made).
    pub fn read_only(&self) -> bool {
        self.inner.settings.read_only
    }
}

impl Writer {
    /// The client this writer writes through.
    pub(super) fn client(&self) -> &KafkaClient {
        &self.client
    }

    pub async fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: Option<i32>,
        configs: Vec<(String, String)>,
    ) -> Result<()> {
        let name = name.to_string();
        self.client
            .call(move |i| create_topic(i, &name, partitions, replication_factor, &configs))
            .await
    }

    pub async fn delete_topic(&self, name: &str) -> Result<()> {
        let name = name.to_string();
        self.client.call(move |i| delete_topic(i, &name)).await
    }

    /// Commits offsets for a group from outside it (the group must have no active members).
    pub async fn alter_group_offsets(
        &self,
        group: &str,
        offsets: Vec<(String, i32, i64)>,
    ) -> Result<Vec<native::TpResult>> {
        let group = group.to_string();
        self.client
            .call(move |i| native::alter_group_offsets(i.raw(), &group, &offsets, i.timeout()))
            .await
    }

    /// Changes a topic's or broker's configs (IncrementalAlterConfigs); only the keys named
    /// change.
    pub async fn alter_configs(
        &self,
        resource: native::ConfigResource,
        changes: Vec<native::ConfigChange>,
    ) -> Result<()> {
        self.client
            .call(move |i| {
                i.require(api::INCREMENTAL_ALTER_CONFIGS)?;
                native::alter_configs(i.raw(), &resource, &changes, false, i.timeout())
            })
            .await
    }

    /// Grows a topic to `total` partitions (CreatePartitions). Irreversible.
    pub async fn create_partitions(&self, name: &str, total: usize) -> Result<()> {
        let name = name.to_string();
        self.client
            .call(move |i| native::create_partitions(i.raw(), &name, total, false, i.timeout()))
            .await
    }

    /// Deletes a consumer group (DeleteGroups): its committed offsets go with it.
    pub async fn delete_group(&self, group: &str) -> Result<()> {
        let group = group.to_string();
        self.client
            .call(move |i| native::delete_group(i.raw(), &group, i.timeout()))
            .await
    }

    /// Deletes a group's committed offsets of some partitions (OffsetDelete). Each partition
    /// comes back with its own error (a topic the group's members subscribe to is refused).
    pub async fn delete_group_offsets(
        &self,
        group: &str,
        partitions: Vec<(String, i32)>,
    ) -> Result<Vec<native::TpResult>> {
        let group = group.to_string();
        self.client
            .call(move |i| {
                i.require(api::OFFSET_DELETE)?;
                native::delete_group_offsets(i.raw(), &group, &partitions, i.timeout())
            })
            .await
    }

    /// Moves the leadership of each partition to its preferred replica (ElectLeaders,
    /// preferred). Each partition comes back with its own result.
    pub async fn elect_preferred_leaders(
        &self,
        partitions: Vec<(String, i32)>,
    ) -> Result<Vec<native::TpResult>> {
        self.client
            .call(move |i| {
                i.connected()?;
                i.require(api::ELECT_LEADERS)?;
                native::elect_preferred_leaders(i.raw(), Some(&partitions), i.timeout())
            })
            .await
    }

    /// Deletes the records before each offset (DeleteRecords); irreversible. Each partition
    /// comes back with its new log start or its own error.
    pub async fn delete_records(
        &self,
        targets: Vec<(String, i32, i64)>,
    ) -> Result<Vec<native::TpResult>> {
        self.client
            .call(move |i| {
                i.require(api::DELETE_RECORDS)?;
                native::delete_records(i.raw(), &targets, i.timeout())
            })
            .await
    }

    /// A producer on the same connection settings.
    pub fn producer(&self, acks: Acks) -> Result<Producer> {
        Producer::new(&self.access, &self.client.inner.settings, acks)
    }
}

fn create_topic(
    i: &Call<'_>,
    name: &str,
    partitions: i32,
    replication_factor: Option<i32>,
    configs: &[(String, String)],
) -> Result<()> {
    i.connected()?;
    i.require(api::CREATE_TOPICS)?;
    // -1 lets the broker apply its default.replication.factor.
    native::create_topic(
        i.raw(),
        name,
        partitions,
        replication_factor.unwrap_or(-1),
        configs,
        i.timeout(),
    )?;
    // The controller has the topic; the brokers that answer metadata learn of it a moment
    // later, each in its own time. Return when it is usable, so `create` then `produce` or
    // `describe` just works: every partition led, in several answers in a row (each metadata
    // request goes to whichever broker librdkafka picks, so one answer speaks for one broker).
    const IN_A_ROW: u32 = 3;
    let deadline = std::time::Instant::now() + i.timeout();
    let mut seen = 0;
    loop {
        match i.metadata(Some(name)) {
            Ok(md)
                if md.topics().iter().any(|t| {
                    t.name() == name
                        && t.partitions().len() == partitions as usize
                        && t.partitions().iter().all(|p| p.leader() >= 0)
                }) =>
            {
                seen += 1;
                if seen >= IN_A_ROW {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(20))
            }
            Ok(_) | Err(Error::NotFound(_))
                if seen > 0 && std::time::Instant::now() >= deadline =>
            {
                // Listed, led, but not yet by every broker asked: created all the same.
                return Ok(());
            }
            Ok(_) | Err(Error::NotFound(_)) if std::time::Instant::now() < deadline => {
                seen = 0;
                std::thread::sleep(Duration::from_millis(100))
            }
            Ok(_) | Err(Error::NotFound(_)) => {
                return Err(Error::kafka(format!(
                    "topic '{name}' was created but is not in the metadata after {}",
                    humantime::format_duration(i.timeout())
                )))
            }
            Err(e) => return Err(e),
        }
    }
}

fn delete_topic(i: &Call<'_>, name: &str) -> Result<()> {
    // Fails with NotFound before asking the controller.
    i.metadata(Some(name))?;
    i.require(api::DELETE_TOPICS)?;
    native::delete_topic(i.raw(), name, i.timeout())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::ops::ControlFlow;
    use std::sync::atomic::AtomicBool;

    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _};
    use rdkafka::{Offset, TopicPartitionList};

    use super::*;
    use crate::config::ConnectionSettings;
    use crate::error::exit;
    use crate::kafka::tail::{StopAt, Tail, TailPlan};
    use crate::model::PartitionRef;

    fn mock_with_records(
        topic: &str,
        partitions: i32,
        per_partition: i32,
    ) -> MockCluster<'static, rdkafka::producer::DefaultProducerContext> {
        let cluster = MockCluster::new(1).expect("mock cluster");
        cluster.create_topic(topic, partitions, 1).expect("topic");
        let producer: BaseProducer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", cluster.bootstrap_servers())
            .create()
            .expect("producer");
        for p in 0..partitions {
            for _ in 0..per_partition {
                producer
                    .send(BaseRecord::<(), str>::to(topic).partition(p).payload("x"))
                    .expect("send");
            }
        }
        producer.flush(Duration::from_secs(10)).expect("flush");
        cluster
    }

    fn settings(
        cluster: &MockCluster<'_, rdkafka::producer::DefaultProducerContext>,
        read_only: bool,
    ) -> ConnectionSettings {
        let mut s = ConnectionSettings::plain(cluster.bootstrap_servers());
        s.timeout = Duration::from_secs(5);
        s.read_only = read_only;
        s
    }

    fn assert_read_only<T: std::fmt::Debug>(r: Result<T>, what: &str) {
        match r {
            Err(e @ Error::ReadOnly(_)) => assert_eq!(e.exit_code(), exit::READ_ONLY),
            other => panic!("{what}: expected a read-only refusal, got {other:?}"),
        }
    }

    /// A read-only client refuses every change itself, before anything reaches the broker; the
    /// same calls on a writable client do change the mock cluster.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_read_only_client_refuses_every_change() {
        let cluster = mock_with_records("t", 2, 3);
        let ro = KafkaClient::new(settings(&cluster, true)).expect("client");
        assert!(ro.read_only());
        assert_read_only(ro.writer("anything").map(|_| ()), "writer");
        assert_read_only(
            ro.create_topic("new-topic", 1, None, Vec::new()).await,
            "create_topic",
        );
        assert_read_only(ro.delete_topic("t").await, "delete_topic");
        assert_read_only(
            ro.alter_group_offsets("g", vec![("t".into(), 0, 2), ("t".into(), 1, 1)])
                .await,
            "alter_group_offsets",
        );
        let e = ro.writer("produce to 't'").map(|_| ()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "refused: produce to 't': '{}' is read-only",
                cluster.bootstrap_servers()
            )
        );

        // Nothing happened: the topic is still there, no new one, no offsets for the group.
        assert_eq!(ro.partitions("t").await.expect("partitions"), vec![0, 1]);
        assert!(matches!(
            ro.partitions("new-topic").await,
            Err(Error::NotFound(_))
        ));
        let parts = vec![PartitionRef::new("t", 0), PartitionRef::new("t", 1)];
        let committed = ro
            .committed_offsets("g", Some(parts.clone()))
            .await
            .expect("committed");
        assert!(committed.values.is_empty(), "{committed:?}");

        // The same commit from a writable client goes through, so the refusal above was
        // kscope's, not the broker's.
        let rw = KafkaClient::new(settings(&cluster, false)).expect("client");
        let results = rw
            .alter_group_offsets("g", vec![("t".into(), 0, 2), ("t".into(), 1, 1)])
            .await
            .expect("commit");
        assert!(results.iter().all(|r| r.error.is_none()), "{results:?}");
        let committed = rw
            .committed_offsets("g", Some(parts))
            .await
            .expect("committed");
        assert_eq!(committed.values.len(), 2, "{committed:?}");
        assert!(rw
            .writer("produce")
            .and_then(|w| w.producer(Acks::All))
            .is_ok());
    }

    /// `allow.auto.create.topics=true` from the user cannot make a Metadata request create a
    /// topic, although the mock (like a broker with `auto.create.topics.enable=true`) would.
    #[tokio::test(flavor = "multi_thread")]
    async fn user_properties_cannot_create_topics() {
        let cluster = mock_with_records("t", 1, 1);
        let mut s = settings(&cluster, true);
        s.set("allow.auto.create.topics", "true");
        let client = KafkaClient::new(s.clone()).expect("client");
        assert!(matches!(
            client.partitions("typo").await,
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            client.topic("typo").await,
            Err(Error::NotFound(_))
        ));
        let names: Vec<String> = client
            .topics(true)
            .await
            .expect("topics")
            .items
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, vec!["t".to_string()]);

        // The control: a client that honours the property does create it here.
        let plain: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", cluster.bootstrap_servers())
            .set("allow.auto.create.topics", "true")
            .create()
            .expect("consumer");
        let _ = plain.fetch_metadata(Some("typo-control"), Duration::from_secs(5));
        let names: Vec<String> = client
            .topics(true)
            .await
            .expect("topics")
            .items
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert!(names.contains(&"typo-control".to_string()), "{names:?}");
    }

    /// An application's group settings given to a (read-only) tail change nothing: it reads
    /// every record and the group has no committed offsets afterwards. The same settings on a
    /// plain consumer do commit.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_tail_never_commits_for_a_user_group() {
        let cluster = mock_with_records("t", 2, 5);
        let mut s = settings(&cluster, true);
        for (k, v) in [
            ("group.id", "app-group"),
            ("enable.auto.commit", "true"),
            ("enable.auto.offset.store", "true"),
            ("auto.commit.interval.ms", "50"),
            ("enable.partition.eof", "false"),
        ] {
            s.set(k, v);
        }
        let plan = TailPlan {
            topic: "t".into(),
            starts: BTreeMap::from([(0, 0), (1, 0)]),
            ends: BTreeMap::from([(0, 5), (1, 5)]),
            warnings: Vec::new(),
        };
        let stop = AtomicBool::new(false);
        let read = tokio::task::spawn_blocking(move || {
            let mut tail = Tail::start(&s, plan, true).expect("tail");
            let summary = tail.run(
                &stop,
                StopAt {
                    until_end: true,
                    max: None,
                },
                false,
                |_| ControlFlow::Continue(true),
            );
            // Longer than the auto-commit interval the user asked for.
            std::thread::sleep(Duration::from_millis(300));
            summary
        })
        .await
        .expect("tail thread")
        .expect("tail");
        assert_eq!(read.consumed, 10);

        let admin = KafkaClient::new(settings(&cluster, false)).expect("client");
        let parts = vec![PartitionRef::new("t", 0), PartitionRef::new("t", 1)];
        let committed = admin
            .committed_offsets("app-group", Some(parts.clone()))
            .await
            .expect("committed");
        assert!(
            committed.values.is_empty(),
            "the tail committed: {committed:?}"
        );

        // The control: a plain consumer with those settings commits what it read.
        let plain: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", cluster.bootstrap_servers())
            .set("group.id", "control-group")
            .set("enable.auto.commit", "true")
            .set("enable.auto.offset.store", "true")
            .set("auto.commit.interval.ms", "50")
            .create()
            .expect("consumer");
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset("t", 0, Offset::Beginning)
            .expect("tpl");
        plain.assign(&tpl).expect("assign");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut n = 0;
        while n < 5 && std::time::Instant::now() < deadline {
            if let Some(Ok(_)) = plain.poll(Duration::from_millis(100)) {
                n += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(300));
        let _ = plain.poll(Duration::from_millis(100));
        drop(plain);
        let committed = admin
            .committed_offsets("control-group", Some(parts))
            .await
            .expect("committed");
        assert_eq!(
            committed.get(&PartitionRef::new("t", 0)),
            Some(5),
            "{committed:?}"
        );
    }
}
