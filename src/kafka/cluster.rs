//! The cluster as a whole: its id, controller, brokers and partition health (Metadata and
//! DescribeCluster).

use super::call::Call;
use super::{api, native};
use crate::error::{Error, Result};
use crate::model::{Broker, ClusterInfo, Gaps, Missing, Subject};

impl Call<'_> {
    pub(super) fn cluster(&self) -> Result<ClusterInfo> {
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
        brokers.sort_by_key(|b| b.id);
        let mut gaps = Gaps::default();
        // DescribeCluster adds the cluster id and racks; older brokers and the librdkafka mock
        // lack it, so fall back to what metadata gives.
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
                if !matches!(e, Error::Unsupported { .. }) {
                    gaps.push(Missing::new(Subject::Cluster, &e));
                }
                tracing::info!("DescribeCluster unavailable, using metadata: {e}");
                (
                    self.client().fetch_cluster_id(self.timeout()),
                    native::controller_id(self.raw(), self.timeout()),
                )
            }
        };
        // In KRaft mode (brokers that forward DescribeQuorum) the "controller" in Metadata and
        // DescribeCluster answers is a broker picked per answer, not the active controller:
        // show none rather than one that changes from call to call.
        let kraft = self.supports(api::DESCRIBE_QUORUM) == Some(true);
        let controller_id = controller
            .filter(|_| !kraft)
            .filter(|c| brokers.iter().any(|b| b.id == *c));
        let mut info = ClusterInfo {
            cluster_id,
            controller_id,
            kraft,
            brokers,
            topic_count: md.topics().len(),
            partition_count: 0,
            under_replicated_partitions: 0,
            offline_partitions: 0,
            gaps,
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
}
