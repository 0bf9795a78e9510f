//! `kscope cluster`

use super::output::{fields, opt, print_gapped, table};
use super::GlobalArgs;
use crate::error::Result;

pub async fn run(g: &GlobalArgs) -> Result<i32> {
    let client = g.client()?;
    let info = client.cluster().await?;
    print_gapped(g.output, &info, "cluster", &info.gaps, || {
        let controller = match info.controller_id {
            Some(c) => c.to_string(),
            // Brokers in KRaft mode name a broker picked per answer, not the active controller.
            None if info.kraft => {
                "- (KRaft: the active controller is not visible to clients)".into()
            }
            None => "-".into(),
        };
        let mut s = fields(&[
            ("Cluster id", opt(info.cluster_id.as_ref())),
            ("Controller", controller),
            ("Brokers", info.brokers.len().to_string()),
            ("Topics", info.topic_count.to_string()),
            ("Partitions", info.partition_count.to_string()),
            (
                "Under-replicated",
                info.under_replicated_partitions.to_string(),
            ),
            ("Offline", info.offline_partitions.to_string()),
        ]);
        s.push('\n');
        s.push_str(&table(
            &["ID", "HOST", "PORT", "RACK", "CONTROLLER"],
            info.brokers
                .iter()
                .map(|b| {
                    vec![
                        b.id.to_string(),
                        b.host.clone(),
                        b.port.to_string(),
                        opt(b.rack.as_ref()),
                        if Some(b.id) == info.controller_id {
                            "yes".into()
                        } else {
                            String::new()
                        },
                    ]
                })
                .collect(),
        ));
        s
    })
}
