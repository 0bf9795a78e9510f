//! `kscope groups`, `kscope group GROUP`

use clap::Args;

use super::output::{at_least, fields, opt, print_gapped, print_listing_noted, table, ListingNote};
use super::GlobalArgs;
use crate::error::Result;
use crate::metrics::time::format_secs;
use crate::model::{GroupDetail, TimeLagMethod};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct GroupArgs {
    #[command(subcommand)]
    pub action: Option<GroupAction>,
    /// The group to describe
    #[arg(required = true)]
    pub group: Option<String>,
    /// Only partitions of this topic
    #[arg(short, long)]
    pub topic: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum GroupAction {
    /// Describe a group (the same as `kscope group NAME`)
    Describe {
        group: String,
        /// Only partitions of this topic
        #[arg(short, long)]
        topic: Option<String>,
    },
    /// Delete a group with no members: plan first; --execute writes its committed offsets to
    /// an undo file (for `offsets reset --from-file`), deletes, verifies and audits
    Delete(super::group_delete::DeleteArgs),
    /// Delete a group's committed offsets of some topics (the group must have no members):
    /// plan first; --execute writes them to an undo file (for `offsets reset --from-file`),
    /// deletes, verifies and audits
    DeleteOffsets(super::group_offsets_delete::DeleteOffsetsArgs),
}

pub async fn run_list(g: &GlobalArgs) -> Result<i32> {
    let client = g.client()?;
    let groups = client.groups().await?;
    // ListGroups answers only the groups the principal may describe.
    let note = (client.has_authorizer().await == Some(true)).then(|| ListingNote {
        key: "limited_by_authorization",
        text: "the cluster has an authorizer: only the groups this principal may describe are \
               listed (Kafka leaves the others out of its answer)"
            .to_string(),
    });
    print_listing_noted(
        g.output,
        "groups",
        &groups,
        note,
        |s| (format!("group {}", s.group), &s.gaps),
        || {
            let mut text = table(
                &[
                    "GROUP", "STATE", "TYPE", "PROTOCOL", "MEMBERS", "LAG", "TIME-LAG",
                ],
                groups
                    .items
                    .iter()
                    .map(|s| {
                        vec![
                            s.group.clone(),
                            s.state.clone(),
                            opt(s.kind.as_ref()),
                            if s.protocol.is_empty() {
                                "-".into()
                            } else {
                                s.protocol.clone()
                            },
                            s.members.to_string(),
                            at_least(s.total_lag, s.gaps.is_complete()),
                            time_lag(s.time_lag_ms, s.time_lag_method, false),
                        ]
                    })
                    .collect(),
            );
            if groups
                .items
                .iter()
                .any(|s| s.kind.as_deref() == Some("share"))
            {
                text.push_str(&format!("note: {}\n", crate::kafka::SHARE_GROUPS));
            }
            text
        },
    )
}

pub async fn run(g: &GlobalArgs, a: GroupArgs) -> Result<i32> {
    let (group, topic) = match (a.action, a.group) {
        (Some(GroupAction::Delete(d)), _) => return super::group_delete::run(g, d).await,
        (Some(GroupAction::DeleteOffsets(d)), _) => {
            return super::group_offsets_delete::run(g, d).await
        }
        (Some(GroupAction::Describe { group, topic }), _) => (group, topic),
        (None, Some(group)) => (group, a.topic),
        (None, None) => {
            return Err(crate::error::Error::usage(
                "a group name is needed: kscope group NAME",
            ))
        }
    };
    let client = g.client()?;
    let detail = client.group(&group, topic).await?;
    print_gapped(
        g.output,
        &detail,
        &format!("group {}", detail.group),
        &detail.gaps,
        || describe_table(&detail),
    )
}

fn describe_table(d: &GroupDetail) -> String {
    let mut pairs = vec![
        ("Group", d.group.clone()),
        ("State", d.state.clone()),
        ("Type", opt(d.kind.as_ref())),
        (
            if d.kind.as_deref() == Some("consumer") {
                "Assignor"
            } else {
                "Protocol"
            },
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
        ("Total lag", at_least(d.total_lag, d.gaps.is_complete())),
        (
            "Time lag",
            time_lag(d.time_lag_ms, d.time_lag_method, false),
        ),
    ];
    // KIP-848 groups: the group epoch and the epoch of the coordinator's target assignment.
    if d.group_epoch.is_some() || d.assignment_epoch.is_some() {
        pairs.insert(
            6,
            (
                "Epochs",
                format!(
                    "group {}, target assignment {}",
                    opt(d.group_epoch),
                    opt(d.assignment_epoch)
                ),
            ),
        );
    }
    let mut s = fields(&pairs);
    if d.partitions.iter().any(|p| p.time_lag_from_log_start) {
        s.push_str(
            "Note:        * committed below the log start: time lag of the first record kept\n",
        );
    }
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
            "TIME-LAG",
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
                    time_lag(p.time_lag_ms, p.time_lag_method, p.time_lag_from_log_start),
                    opt(p.client_id.as_ref()),
                    opt(p.host.as_ref()),
                ]
            })
            .collect(),
    ));
    if !d.members.is_empty() {
        let assignment = |a: &[crate::model::TopicPartitions]| {
            a.iter()
                .map(|tp| {
                    let ps: Vec<String> = tp.partitions.iter().map(|p| p.to_string()).collect();
                    format!("{}:{}", tp.topic, ps.join(","))
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        // KIP-848 groups: the coordinator's target next to what each member owns now.
        let targets = d.members.iter().any(|m| m.target_assignment.is_some());
        let epochs = d.members.iter().any(|m| m.member_epoch.is_some());
        let mut headers = vec!["MEMBER", "CLIENT-ID", "HOST"];
        if epochs {
            headers.push("EPOCH");
        }
        headers.push("ASSIGNMENT");
        if targets {
            headers.push("TARGET");
        }
        s.push('\n');
        s.push_str(&table(
            &headers,
            d.members
                .iter()
                .map(|m| {
                    let mut row = vec![m.member_id.clone(), m.client_id.clone(), m.host.clone()];
                    if epochs {
                        row.push(member_epoch(m, d.assignment_epoch));
                    }
                    row.push(assignment(&m.assignment));
                    if targets {
                        row.push(match &m.target_assignment {
                            Some(t) if *t == m.assignment => "(= assignment)".to_string(),
                            Some(t) => assignment(t),
                            None => "-".to_string(),
                        });
                    }
                    row
                })
                .collect(),
        ));
        if d.members.iter().any(|m| m.reconciling(d.assignment_epoch)) {
            s.push_str(
                "Note: EPOCH (< N): below the target assignment epoch N, the member is still \
                 moving to its target assignment\n",
            );
        }
    }
    s
}

/// A KIP-848 member's epoch as the member table shows it: `5 (< 7)` while it is below the
/// target assignment epoch 7, `-2 (away)` for a static member that left for a while, `-` in
/// classic groups.
fn member_epoch(m: &crate::model::Member, assignment_epoch: Option<i32>) -> String {
    match m.member_epoch {
        None => "-".to_string(),
        Some(e) if m.away() => format!("{e} (away)"),
        Some(e) if m.reconciling(assignment_epoch) => {
            format!("{e} (< {})", opt(assignment_epoch))
        }
        Some(e) => e.to_string(),
    }
}

/// A time lag as a table shows it: `>` before a lower bound, `*` after the first kept
/// record's (the committed offset is below the log start), `-` when unknown.
fn time_lag(ms: Option<i64>, method: Option<TimeLagMethod>, from_log_start: bool) -> String {
    match ms {
        Some(ms) => format!(
            "{}{}{}",
            method.map_or("", |m| m.mark()),
            format_secs(ms as f64 / 1000.0),
            if from_log_start { "*" } else { "" }
        ),
        None => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Member, TopicPartitions};

    fn member(name: &str, epoch: Option<i32>) -> Member {
        let tp = vec![TopicPartitions {
            topic: "t".into(),
            partitions: vec![0],
        }];
        Member {
            member_id: format!("{name}-id"),
            client_id: name.into(),
            host: "/10.0.0.1".into(),
            instance_id: None,
            assignment: tp.clone(),
            target_assignment: epoch.map(|_| tp),
            member_epoch: epoch,
        }
    }

    fn detail(kind: &str, epochs: Option<(i32, i32)>, members: Vec<Member>) -> GroupDetail {
        GroupDetail {
            group: "g".into(),
            state: "Stable".into(),
            protocol: "uniform".into(),
            kind: Some(kind.into()),
            coordinator: None,
            group_epoch: epochs.map(|e| e.0),
            assignment_epoch: epochs.map(|e| e.1),
            members,
            partitions: Vec::new(),
            total_lag: Some(0),
            time_lag_ms: None,
            time_lag_method: None,
            describe_error: None,
            gaps: Default::default(),
        }
    }

    #[test]
    fn kip848_epochs_are_shown_and_a_member_below_the_target_epoch_is_marked() {
        let text = describe_table(&detail(
            "consumer",
            Some((9, 8)),
            vec![
                member("done", Some(8)),
                member("behind", Some(7)),
                member("static", Some(-2)),
            ],
        ));
        assert!(
            text.contains("Epochs:      group 9, target assignment 8"),
            "{text}"
        );
        let row = |name: &str| {
            text.lines()
                .find(|l| l.starts_with(&format!("{name}-id")))
                .unwrap_or_else(|| panic!("{name}: {text}"))
                .to_string()
        };
        assert!(row("done").contains(" 8 "), "{text}");
        assert!(row("behind").contains(" 7 (< 8) "), "{text}");
        assert!(row("static").contains(" -2 (away) "), "{text}");
        assert!(text.contains("Note: EPOCH (< N)"), "{text}");

        // All at the target epoch: no note.
        let text = describe_table(&detail(
            "consumer",
            Some((8, 8)),
            vec![member("done", Some(8))],
        ));
        assert!(
            text.contains("EPOCH") && !text.contains("Note: EPOCH"),
            "{text}"
        );
    }

    #[test]
    fn classic_groups_show_no_epochs() {
        let text = describe_table(&detail("classic", None, vec![member("c", None)]));
        assert!(
            !text.contains("EPOCH") && !text.contains("Epochs:"),
            "{text}"
        );
    }
}
