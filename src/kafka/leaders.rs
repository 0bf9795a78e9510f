//! Partition leadership: which partitions are not led by their preferred replica (Metadata),
//! and the preferred leader election that moves them back (ElectLeaders, in `write`).

use super::call::{unknown_topic, Call};
use super::{is_internal_topic, KafkaClient};
use crate::error::Result;
use crate::model::PartitionLeader;

impl Call<'_> {
    /// Every partition of `topic` (or of all topics, internal ones with `include_internal`)
    /// with its leader and preferred replica, sorted by topic and partition.
    pub(super) fn leadership(
        &self,
        topic: Option<&str>,
        include_internal: bool,
    ) -> Result<Vec<PartitionLeader>> {
        let md = self.metadata(topic)?;
        let mut out: Vec<PartitionLeader> = md
            .topics()
            .iter()
            .filter(|t| topic.is_some() || include_internal || !is_internal_topic(t.name()))
            .flat_map(|t| {
                t.partitions().iter().map(|p| PartitionLeader {
                    topic: t.name().to_string(),
                    partition: p.id(),
                    leader: (p.leader() >= 0).then_some(p.leader()),
                    preferred: p.replicas().first().copied(),
                    replicas: p.replicas().to_vec(),
                    isr: p.isr().to_vec(),
                })
            })
            .collect();
        if let Some(t) = topic {
            if !out.iter().any(|p| p.topic == t) {
                return Err(unknown_topic(t));
            }
        }
        out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        Ok(out)
    }
}

impl KafkaClient {
    /// Each partition's leader against its preferred replica (Metadata).
    pub async fn leadership(
        &self,
        topic: Option<&str>,
        include_internal: bool,
    ) -> Result<Vec<PartitionLeader>> {
        let topic = topic.map(str::to_string);
        self.call(move |i| i.leadership(topic.as_deref(), include_internal))
            .await
    }
}
