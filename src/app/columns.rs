//! Columns of the console's tables: which can be sorted and how rows are filtered. The order
//! is computed when data, filter or sort change, so drawing a frame only touches the rows on
//! screen, however many there are.

use std::cmp::Ordering;

use crate::model::{Broker, GroupDetail, GroupSummary, TopicDetail, TopicSummary};

use super::metrics::MetricsView;
use super::state::{Table, TopicTab, View};
use crate::metrics::{MetricsState, Millis};

pub const TOPIC_COLUMNS: &[&str] = &["TOPIC", "PARTITIONS", "RF", "MESSAGES", "RATE/S", "URP"];
pub const GROUP_COLUMNS: &[&str] = &["GROUP", "STATE", "STATUS", "MEMBERS", "LAG", "TREND"];
pub const BROKER_COLUMNS: &[&str] = &["ID", "HOST", "PORT", "RACK", "ROLE"];
pub const PARTITION_COLUMNS: &[&str] = &[
    "PARTITION",
    "LEADER",
    "REPLICAS",
    "ISR",
    "LOW",
    "HIGH",
    "MESSAGES",
    "RATE/S",
    "URP",
];
pub const CONFIG_COLUMNS: &[&str] = &["NAME", "VALUE", "SOURCE"];
pub const GROUP_PARTITION_COLUMNS: &[&str] = &[
    "TOPIC",
    "PARTITION",
    "COMMITTED",
    "LOG-END",
    "LAG",
    "TIME-LAG",
    "STATUS",
    "CLIENT-ID",
    "HOST",
];

pub fn topics_table() -> Table {
    Table::sorted_by(0, false)
}

/// Groups open sorted by lag, largest first: the ones in trouble on top.
pub fn groups_table() -> Table {
    Table::sorted_by(4, true)
}

pub fn group_table() -> Table {
    Table::sorted_by(0, false)
}

/// How many columns the sort key cycles through in a view.
pub fn sortable_columns(view: &View) -> usize {
    match view {
        View::Topics(_) => TOPIC_COLUMNS.len(),
        View::Groups(_) => GROUP_COLUMNS.len() - 1,
        View::Brokers(_) => 4,
        View::Topic {
            tab: TopicTab::Partitions,
            ..
        } => PARTITION_COLUMNS.len(),
        View::Topic {
            tab: TopicTab::Configs,
            ..
        } => CONFIG_COLUMNS.len(),
        View::Topic {
            tab: TopicTab::Groups,
            ..
        } => 1,
        View::Group { .. } => 7,
        _ => 0,
    }
}

fn matches(table: &Table, text: &str) -> bool {
    table.filter.is_empty()
        || (text.to_lowercase().contains(&table.filter.to_lowercase()) != table.invert)
}

/// Filters by `text_of`, sorts by `cmp` (ties broken by the original order).
fn order<T>(
    items: &[T],
    table: &Table,
    text_of: impl Fn(&T) -> String,
    cmp: impl Fn(&T, &T) -> Ordering,
) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..items.len())
        .filter(|i| matches(table, &text_of(&items[*i])))
        .collect();
    idx.sort_by(|a, b| {
        let o = cmp(&items[*a], &items[*b]);
        let o = if table.descending { o.reverse() } else { o };
        o.then(a.cmp(b))
    });
    idx
}

/// `None` sorts before any number, whichever the direction.
fn opt_cmp<T: PartialOrd>(a: Option<T>, b: Option<T>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

pub fn order_topics(topics: &[TopicSummary], table: &Table, metrics: &MetricsView) -> Vec<usize> {
    order(
        topics,
        table,
        |t| t.name.clone(),
        |a, b| match table.sort {
            1 => a.partitions.cmp(&b.partitions),
            2 => a.replication_factor.cmp(&b.replication_factor),
            3 => opt_cmp(a.messages, b.messages),
            4 => opt_cmp(metrics.topic_rate(&a.name), metrics.topic_rate(&b.name)),
            5 => a
                .under_replicated_partitions
                .cmp(&b.under_replicated_partitions),
            _ => a.name.cmp(&b.name),
        },
    )
}

pub fn order_groups(groups: &[GroupSummary], table: &Table, metrics: &MetricsView) -> Vec<usize> {
    let status = |g: &GroupSummary| metrics.group(&g.group).and_then(|m| m.status);
    order(
        groups,
        table,
        |g| format!("{} {}", g.group, g.state),
        |a, b| match table.sort {
            1 => a.state.cmp(&b.state),
            2 => status(a).cmp(&status(b)),
            3 => a.members.cmp(&b.members),
            4 => opt_cmp(a.total_lag, b.total_lag),
            _ => a.group.cmp(&b.group),
        },
    )
}

pub fn order_brokers(brokers: &[Broker], table: &Table) -> Vec<usize> {
    order(
        brokers,
        table,
        |b| {
            format!(
                "{} {}:{} {}",
                b.id,
                b.host,
                b.port,
                b.rack.clone().unwrap_or_default()
            )
        },
        |a, b| match table.sort {
            1 => a.host.cmp(&b.host),
            2 => a.port.cmp(&b.port),
            3 => a.rack.cmp(&b.rack),
            _ => a.id.cmp(&b.id),
        },
    )
}

pub fn order_topic(
    detail: &TopicDetail,
    tab: TopicTab,
    table: &Table,
    metrics: &MetricsState,
    now: Millis,
) -> Vec<usize> {
    let rates = if tab == TopicTab::Partitions && table.sort == 7 {
        super::metrics::partition_rates(metrics, &detail.name, now)
    } else {
        Default::default()
    };
    match tab {
        TopicTab::Partitions => order(
            &detail.partitions,
            table,
            |p| p.partition.to_string(),
            |a, b| match table.sort {
                1 => a.leader.cmp(&b.leader),
                2 => a.replicas.cmp(&b.replicas),
                3 => a.isr.len().cmp(&b.isr.len()),
                4 => opt_cmp(a.low_watermark, b.low_watermark),
                5 => opt_cmp(a.high_watermark, b.high_watermark),
                6 => opt_cmp(a.messages, b.messages),
                7 => opt_cmp(rates.get(&a.partition), rates.get(&b.partition)),
                8 => a.under_replicated.cmp(&b.under_replicated),
                _ => a.partition.cmp(&b.partition),
            },
        ),
        TopicTab::Configs => order(
            &detail.configs,
            table,
            |c| format!("{} {}", c.name, c.value.clone().unwrap_or_default()),
            |a, b| match table.sort {
                1 => a.value.cmp(&b.value),
                2 => a.source.cmp(&b.source),
                _ => a.name.cmp(&b.name),
            },
        ),
        TopicTab::Groups => order(&detail.groups, table, |g| g.clone(), |a, b| a.cmp(b)),
    }
}

pub fn order_group(
    detail: &GroupDetail,
    table: &Table,
    metrics: &MetricsState,
    now: Millis,
) -> Vec<usize> {
    let by_partition: std::collections::HashMap<
        (String, i32),
        crate::metrics::GroupPartitionMetrics,
    > = if matches!(table.sort, 5 | 6) {
        metrics
            .group_partitions(&detail.group, now)
            .into_iter()
            .map(|p| ((p.topic.clone(), p.partition), p))
            .collect()
    } else {
        Default::default()
    };
    let get = |p: &crate::model::PartitionLag| by_partition.get(&(p.topic.clone(), p.partition));
    order(
        &detail.partitions,
        table,
        |p| {
            format!(
                "{} {} {}",
                p.topic,
                p.partition,
                p.client_id.clone().unwrap_or_default()
            )
        },
        |a, b| match table.sort {
            1 => a.partition.cmp(&b.partition),
            2 => opt_cmp(a.committed, b.committed),
            3 => opt_cmp(a.log_end, b.log_end),
            4 => opt_cmp(a.lag, b.lag),
            5 => opt_cmp(
                get(a).and_then(|m| m.lag_seconds),
                get(b).and_then(|m| m.lag_seconds),
            ),
            6 => get(a)
                .and_then(|m| m.status)
                .cmp(&get(b).and_then(|m| m.status)),
            _ => (a.topic.as_str(), a.partition).cmp(&(b.topic.as_str(), b.partition)),
        },
    )
}
