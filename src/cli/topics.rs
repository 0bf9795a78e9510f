//! `kscope topics`, `kscope topic NAME|create|delete`

use clap::{Args, Subcommand};

use super::output::{
    fields, opt, print_gapped, print_listing_noted, print_one, say, table, ListingNote,
};
use super::{ensure_writable, GlobalArgs};
use crate::config::parse_property;
use crate::error::{exit, Error, Result};
use crate::kafka::KEY_TOPIC_CONFIGS;
use crate::model::TopicDetail;

#[derive(Debug, Args)]
pub struct TopicsArgs {
    /// Show only topics whose name contains this text (or matches it, with * and ? wildcards)
    pub filter: Option<String>,
    /// Also show internal topics such as __consumer_offsets
    #[arg(long)]
    pub internal: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct TopicArgs {
    #[command(subcommand)]
    pub action: Option<TopicAction>,
    /// The topic to describe
    #[arg(required = true)]
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TopicAction {
    /// Describe a topic (the same as `kscope topic NAME`)
    Describe { name: String },
    /// Create a topic
    Create {
        name: String,
        /// Number of partitions
        #[arg(short, long, default_value_t = 1)]
        partitions: i32,
        /// Replication factor [default: the broker's default.replication.factor]
        #[arg(short, long)]
        replication_factor: Option<i32>,
        /// A topic config, e.g. --config retention.ms=3600000 (repeatable)
        #[arg(short, long, value_name = "KEY=VALUE")]
        config: Vec<String>,
    },
    /// Delete a topic and all its records
    Delete {
        name: String,
        /// Confirm the deletion (without it, kscope only says what it would delete)
        #[arg(long)]
        yes: bool,
    },
    /// Change a topic's configs: plan and broker validation first, --execute applies, verifies
    /// and writes an undo file
    Config(super::topic_config::ConfigArgs),
    /// Add partitions to a topic: plan and broker validation first; --execute --yes applies
    /// (irreversible)
    Partitions(super::topic_partitions::PartitionsArgs),
    /// Delete records before an offset, a time or a group's committed offsets, for every
    /// reader: plan first; --execute --yes applies (irreversible)
    Truncate(super::topic_truncate::TruncateArgs),
    /// Move each partition's leadership back to its preferred replica (ElectLeaders): plan
    /// first; --execute elects and verifies
    ElectLeaders(super::leaders::ElectArgs),
}

/// `*` and `?` wildcards when present, otherwise a substring.
pub fn name_matches(filter: &str, name: &str) -> bool {
    if filter.contains(['*', '?']) {
        wildcard(filter.as_bytes(), name.as_bytes())
    } else {
        name.contains(filter)
    }
}

fn wildcard(p: &[u8], s: &[u8]) -> bool {
    // Iterative matcher with backtracking to the last star.
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

pub async fn run_list(g: &GlobalArgs, a: TopicsArgs) -> Result<i32> {
    let client = g.client()?;
    let mut topics = client.topics(a.internal).await?;
    if let Some(f) = &a.filter {
        topics.items.retain(|t| name_matches(f, &t.name));
    }
    // Kafka leaves out of its metadata the topics the principal may not describe: with an
    // authorizer, the list may be shorter than the cluster's, and says so.
    let note = (client.has_authorizer().await == Some(true)).then(|| ListingNote {
        key: "limited_by_authorization",
        text: "the cluster has an authorizer: only the topics this principal may describe are \
               listed (Kafka leaves the others out of its answer)"
            .to_string(),
    });
    print_listing_noted(
        g.output,
        "topics",
        &topics,
        note,
        |t| (format!("topic {}", t.name), &t.gaps),
        || {
            table(
                &[
                    "TOPIC",
                    "PARTITIONS",
                    "RF",
                    "MESSAGES",
                    "UNDER-REPLICATED",
                    "OFFLINE",
                ],
                topics
                    .items
                    .iter()
                    .map(|t| {
                        vec![
                            t.name.clone(),
                            t.partitions.to_string(),
                            t.replication_factor.to_string(),
                            opt(t.messages),
                            t.under_replicated_partitions.to_string(),
                            t.offline_partitions.to_string(),
                        ]
                    })
                    .collect(),
            )
        },
    )
}

pub async fn run(g: &GlobalArgs, a: TopicArgs) -> Result<i32> {
    match (a.action, a.name) {
        (Some(TopicAction::Describe { name }), _) | (None, Some(name)) => describe(g, &name).await,
        (
            Some(TopicAction::Create {
                name,
                partitions,
                replication_factor,
                config,
            }),
            _,
        ) => {
            let settings = g.settings()?;
            ensure_writable(&settings, &format!("create topic '{name}'"))?;
            if partitions < 1 {
                return Err(Error::usage(format!(
                    "invalid --partitions {partitions}: must be at least 1"
                )));
            }
            let configs = config
                .iter()
                .map(|c| parse_property(c))
                .collect::<Result<Vec<_>>>()?;
            let client = super::budget_client(settings)?;
            client
                .create_topic(&name, partitions, replication_factor, configs)
                .await?;
            let result = serde_json::json!({
                "created": name,
                "partitions": partitions,
                "replication_factor": replication_factor,
            });
            print_one(g.output, &result, || {
                format!(
                    "created topic '{name}' with {partitions} partition(s), replication factor {}\n",
                    replication_factor.map_or("(broker default)".to_string(), |r| r.to_string())
                )
            })?;
            Ok(exit::OK)
        }
        (Some(TopicAction::Config(c)), _) => super::topic_config::run(g, c).await,
        (Some(TopicAction::Partitions(p)), _) => super::topic_partitions::run(g, p).await,
        (Some(TopicAction::Truncate(t)), _) => super::topic_truncate::run(g, t).await,
        (Some(TopicAction::ElectLeaders(e)), _) => super::leaders::run_elect(g, e).await,
        (Some(TopicAction::Delete { name, yes }), _) => {
            let settings = g.settings()?;
            ensure_writable(&settings, &format!("delete topic '{name}'"))?;
            let client = super::budget_client(settings)?;
            let detail = client.topic(&name).await?;
            let messages: i64 = detail.partitions.iter().filter_map(|p| p.messages).sum();
            if !yes {
                say(format_args!(
                    "would delete topic '{name}' ({} partitions, {messages} messages{}); add --yes to delete it",
                    detail.partitions.len(),
                    if detail.groups.is_empty() {
                        String::new()
                    } else {
                        format!(", read by groups: {}", detail.groups.join(", "))
                    }
                ));
                return Ok(exit::USAGE);
            }
            client.delete_topic(&name).await?;
            let result = serde_json::json!({ "deleted": name, "partitions": detail.partitions.len(), "messages": messages });
            print_one(g.output, &result, || {
                format!(
                    "deleted topic '{name}' ({} partitions, {messages} messages)\n",
                    detail.partitions.len()
                )
            })?;
            Ok(exit::OK)
        }
        (None, None) => Err(Error::usage("name a topic: kscope topic NAME")),
    }
}

async fn describe(g: &GlobalArgs, name: &str) -> Result<i32> {
    let client = g.client()?;
    let detail = client.topic(name).await?;
    print_gapped(
        g.output,
        &detail,
        &format!("topic {}", detail.name),
        &detail.gaps,
        || describe_table(&detail),
    )
}

fn describe_table(d: &TopicDetail) -> String {
    let messages: Option<i64> = d.partitions.iter().map(|p| p.messages).sum();
    let mut s = fields(&[
        ("Topic", d.name.clone()),
        ("Partitions", d.partitions.len().to_string()),
        (
            "Replication",
            d.partitions
                .iter()
                .map(|p| p.replicas.len())
                .max()
                .unwrap_or(0)
                .to_string(),
        ),
        ("Messages", opt(messages)),
        (
            "Under-replicated",
            d.partitions
                .iter()
                .filter(|p| p.under_replicated)
                .count()
                .to_string(),
        ),
        (
            "Offline",
            d.partitions
                .iter()
                .filter(|p| p.is_offline())
                .count()
                .to_string(),
        ),
    ]);
    s.push('\n');
    let ids = |v: &[i32]| {
        v.iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    s.push_str(&table(
        &[
            "PARTITION",
            "LEADER",
            "REPLICAS",
            "ISR",
            "UNDER-REPLICATED",
            "LOW",
            "HIGH",
            "MESSAGES",
        ],
        d.partitions
            .iter()
            .map(|p| {
                vec![
                    p.partition.to_string(),
                    opt(p.leader),
                    ids(&p.replicas),
                    ids(&p.isr),
                    if p.under_replicated {
                        "yes".into()
                    } else {
                        "no".into()
                    },
                    opt(p.low_watermark),
                    opt(p.high_watermark),
                    opt(p.messages),
                ]
            })
            .collect(),
    ));
    let not_preferred: Vec<String> = d
        .partitions
        .iter()
        .filter(|p| p.leader.is_some() && p.leader != p.replicas.first().copied())
        .map(|p| p.partition.to_string())
        .collect();
    if !not_preferred.is_empty() {
        s.push_str(&format!(
            "\nNot led by their preferred replica: partition(s) {} (kscope topic elect-leaders {})\n",
            not_preferred.join(","),
            crate::offsets::shell_quote(&d.name)
        ));
    }
    s.push_str("\nConfigs:\n");
    match &d.configs_error {
        Some(e) => s.push_str(&format!("  unavailable: {e}\n")),
        None => {
            let shown: Vec<Vec<String>> = d
                .configs
                .iter()
                .filter(|c| KEY_TOPIC_CONFIGS.contains(&c.name.as_str()) || c.source == "topic")
                .map(|c| {
                    vec![
                        c.name.clone(),
                        if c.sensitive {
                            "<sensitive>".into()
                        } else {
                            opt(c.value.as_ref())
                        },
                        c.source.clone(),
                    ]
                })
                .collect();
            s.push_str(&table(&["NAME", "VALUE", "SOURCE"], shown));
        }
    }
    s.push_str("\nGroups:\n");
    match &d.groups_error {
        Some(e) => s.push_str(&format!("  unavailable: {e}\n")),
        None if d.groups.is_empty() => s.push_str("  none\n"),
        None => {
            for gname in &d.groups {
                s.push_str(&format!(
                    "  {}\n",
                    crate::record::sanitize::escape_text(gname)
                ));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert!(name_matches("ord", "orders"));
        assert!(!name_matches("x", "orders"));
        assert!(name_matches("ord*", "orders"));
        assert!(name_matches("*ers", "orders"));
        assert!(name_matches("o?ders", "orders"));
        assert!(!name_matches("ord", "payments"));
        assert!(!name_matches("*x*", "orders"));
        assert!(name_matches("*", ""));
    }
}
