//! `kscope groups`, `kscope group GROUP`

use clap::Args;

use super::output::{fields, opt, print_list, print_one, table};
use super::GlobalArgs;
use crate::error::{exit, Result};
use crate::model::GroupDetail;

#[derive(Debug, Args)]
pub struct GroupArgs {
    pub group: String,
    /// Only partitions of this topic
    #[arg(short, long)]
    pub topic: Option<String>,
}

pub async fn run_list(g: &GlobalArgs) -> Result<i32> {
    let client = g.client()?;
    let groups = client.groups().await?;
    print_list(g.output, &groups, || {
        table(
            &["GROUP", "STATE", "PROTOCOL", "MEMBERS", "LAG"],
            groups
                .iter()
                .map(|s| {
                    vec![
                        s.group.clone(),
                        s.state.clone(),
                        if s.protocol.is_empty() {
                            "-".into()
                        } else {
                            s.protocol.clone()
                        },
                        s.members.to_string(),
                        opt(s.total_lag),
                    ]
                })
                .collect(),
        )
    })?;
    Ok(exit::OK)
}

pub async fn run(g: &GlobalArgs, a: GroupArgs) -> Result<i32> {
    let client = g.client()?;
    let detail = client.group(&a.group, a.topic).await?;
    print_one(g.output, &detail, || describe_table(&detail))?;
    Ok(exit::OK)
}

fn describe_table(d: &GroupDetail) -> String {
    let mut s = fields(&[
        ("Group", d.group.clone()),
        ("State", d.state.clone()),
        (
            "Protocol",
            if d.protocol.is_empty() {
                "-".into()
            } else {
                d.protocol.clone()
            },
        ),
        (
            "Coordinator",
            d.coordinator
                .as_ref()
                .map_or("-".into(), |c| format!("{} ({})", c.id, c.address())),
        ),
        ("Members", d.members.len().to_string()),
        ("Total lag", opt(d.total_lag)),
    ]);
    if let Some(e) = &d.describe_error {
        s.push_str(&format!("Note:        members unavailable: {e}\n"));
    }
    s.push('\n');
    s.push_str(&table(
        &[
            "TOPIC",
            "PARTITION",
            "COMMITTED",
            "LOG-START",
            "LOG-END",
            "LAG",
            "CLIENT-ID",
            "HOST",
        ],
        d.partitions
            .iter()
            .map(|p| {
                vec![
                    p.topic.clone(),
                    p.partition.to_string(),
                    opt(p.committed),
                    opt(p.log_start),
                    opt(p.log_end),
                    opt(p.lag),
                    opt(p.client_id.as_ref()),
                    opt(p.host.as_ref()),
                ]
            })
            .collect(),
    ));
    if !d.members.is_empty() {
        s.push('\n');
        s.push_str(&table(
            &["MEMBER", "CLIENT-ID", "HOST", "ASSIGNMENT"],
            d.members
                .iter()
                .map(|m| {
                    vec![
                        m.member_id.clone(),
                        m.client_id.clone(),
                        m.host.clone(),
                        m.assignment
                            .iter()
                            .map(|tp| {
                                let ps: Vec<String> =
                                    tp.partitions.iter().map(|p| p.to_string()).collect();
                                format!("{}:{}", tp.topic, ps.join(","))
                            })
                            .collect::<Vec<_>>()
                            .join(" "),
                    ]
                })
                .collect(),
        ));
    }
    s
}
