//! The console's tables as data: each table is its columns (title, width, cell, sort key), what
//! the filter matches, and what it says when empty. The same definition sorts the rows here and
//! draws them in ui/ (which only maps a cell's [`Role`] to the theme's colours). The order is
//! computed when data, filter or sort change, so drawing a frame only touches the rows on
//! screen, however many there are.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::fmt::{self, num, opt_num};
use super::state::{State, Table, TopicTab, View};
use crate::metrics::status::Measuring;
use crate::metrics::{GroupPartitionMetrics, Status};
use crate::model::{
    Broker, ConfigValue, GroupDetail, GroupSummary, PartitionInfo, PartitionLag, PartitionRef,
    Severity, TopicDetail, TopicSummary,
};

/// How wide a column is: a fixed number of cells, or a share of what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    Fixed(u16),
    Fill(u16),
}

/// What a cell's text means, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Plain,
    Muted,
    Accent,
    Sparkline,
    Severity(Severity),
}

/// One cell: its text (escaped when drawn) and how it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub role: Role,
    /// The colour covers the text only, not the whole cell.
    pub text_only: bool,
}

impl Cell {
    pub fn plain(text: impl Into<String>) -> Cell {
        Cell::with(text, Role::Plain)
    }

    pub fn with(text: impl Into<String>, role: Role) -> Cell {
        Cell {
            text: text.into(),
            role,
            text_only: false,
        }
    }

    fn severity(text: impl Into<String>, s: Severity) -> Cell {
        Cell::with(text, Role::Severity(s))
    }
}

/// A cell of a row of `T`.
pub type CellFn<T, X> = fn(&T, &State, &X) -> Cell;
/// The order of two rows of `T`.
pub type SortFn<T, X> = fn(&T, &T, &State, &X) -> Ordering;

/// A column of a table of `T`; `X` is what the table computes once for all its rows (rates per
/// partition, a group's partition metrics).
pub struct Column<T, X = ()> {
    pub title: &'static str,
    pub width: Width,
    pub cell: CellFn<T, X>,
    /// `None`: not sortable (such columns come after the sortable ones).
    pub sort: Option<SortFn<T, X>>,
}

/// A table of `T`.
pub struct TableDef<T: 'static, X: 'static = ()> {
    pub columns: &'static [Column<T, X>],
    /// What the filter matches against.
    pub filter_text: fn(&T) -> String,
    /// What the table says when it has no rows.
    pub empty: &'static str,
    /// A colour for a whole row.
    pub row: Option<fn(&T) -> Role>,
}

impl<T, X> TableDef<T, X> {
    /// How many columns the sort key cycles through.
    pub fn sortable(&self) -> usize {
        self.columns.iter().take_while(|c| c.sort.is_some()).count()
    }

    /// Row order after the filter and sort of `table` (ties keep the broker's order).
    pub fn order(&self, items: &[T], table: &Table, state: &State, x: &X) -> Vec<usize> {
        let cmp = self
            .columns
            .get(table.sort)
            .and_then(|c| c.sort)
            .or_else(|| self.columns.first().and_then(|c| c.sort));
        let mut idx: Vec<usize> = (0..items.len())
            .filter(|i| matches(table, &(self.filter_text)(&items[*i])))
            .collect();
        idx.sort_by(|a, b| {
            let o = cmp.map_or(Ordering::Equal, |f| f(&items[*a], &items[*b], state, x));
            let o = if table.descending { o.reverse() } else { o };
            o.then(a.cmp(b))
        });
        idx
    }
}

fn matches(table: &Table, text: &str) -> bool {
    table.filter.is_empty()
        || (text.to_lowercase().contains(&table.filter.to_lowercase()) != table.invert)
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

/// A status; while it is being measured, how far (`2/13`: samples in of samples needed).
fn status_cell(s: Option<Status>, measuring: Option<Measuring>) -> Cell {
    let mut c = match (s, measuring) {
        (Some(s), _) => Cell::severity(s.to_string(), s.severity()),
        (None, Some(m)) => Cell::with(format!("{}/{}", m.have, m.need), Role::Muted),
        (None, None) => Cell::with("-", Role::Muted),
    };
    c.text_only = true;
    c
}

fn lag_cell(text: String, lag: Option<i64>, state: &State) -> Cell {
    Cell::severity(text, fmt::lag_severity(lag, &state.options))
}

fn seconds(s: f64) -> String {
    fmt::duration(std::time::Duration::from_secs_f64(s.max(0.0)))
}

use Width::{Fill, Fixed};

#[rustfmt::skip]
pub const TOPICS: TableDef<TopicSummary> = TableDef {
    columns: &[
        Column { title: "TOPIC", width: Fill(3),
            cell: |t, _, _| Cell::plain(&t.name),
            sort: Some(|a, b, _, _| a.name.cmp(&b.name)) },
        Column { title: "PARTITIONS", width: Fixed(11),
            cell: |t, _, _| Cell::plain(t.partitions.to_string()),
            sort: Some(|a, b, _, _| a.partitions.cmp(&b.partitions)) },
        Column { title: "RF", width: Fixed(4),
            cell: |t, _, _| Cell::plain(t.replication_factor.to_string()),
            sort: Some(|a, b, _, _| a.replication_factor.cmp(&b.replication_factor)) },
        Column { title: "MESSAGES", width: Fixed(14),
            cell: |t, _, _| Cell::plain(opt_num(t.messages)),
            sort: Some(|a, b, _, _| opt_cmp(a.messages, b.messages)) },
        Column { title: "RATE/S", width: Fixed(10),
            cell: |t, s, _| Cell::plain(fmt::rate(s.metrics_view.topic_rate(&t.name))),
            sort: Some(|a, b, s, _| {
                opt_cmp(s.metrics_view.topic_rate(&a.name), s.metrics_view.topic_rate(&b.name))
            }) },
        Column { title: "URP", width: Fixed(5),
            cell: |t, _, _| {
                if t.under_replicated_partitions + t.offline_partitions > 0 {
                    Cell::severity(t.under_replicated_partitions.to_string(), Severity::Crit)
                } else {
                    Cell::plain("0")
                }
            },
            sort: Some(|a, b, _, _| {
                a.under_replicated_partitions.cmp(&b.under_replicated_partitions)
            }) },
    ],
    filter_text: |t| t.name.clone(),
    empty: "no topics",
    row: None,
};

#[rustfmt::skip]
pub const GROUPS: TableDef<GroupSummary> = TableDef {
    columns: &[
        Column { title: "GROUP", width: Fill(3),
            cell: |g, _, _| Cell::plain(&g.group),
            sort: Some(|a, b, _, _| a.group.cmp(&b.group)) },
        Column { title: "STATE", width: Fixed(20),
            cell: |g, _, _| {
                let role = match g.state.as_str() {
                    "Stable" => Role::Plain,
                    "Empty" | "Unknown" => Role::Muted,
                    _ => Role::Severity(Severity::Warn),
                };
                Cell::with(&g.state, role)
            },
            sort: Some(|a, b, _, _| a.state.cmp(&b.state)) },
        Column { title: "STATUS", width: Fixed(8),
            cell: |g, s, _| {
                let m = s.metrics_view.group(&g.group);
                if m.is_some_and(|m| m.inactive) {
                    let mut c = Cell::with("inactive", Role::Muted);
                    c.text_only = true;
                    return c;
                }
                status_cell(m.and_then(|m| m.status), m.and_then(|m| m.measuring))
            },
            sort: Some(|a, b, s, _| group_status(s, a).cmp(&group_status(s, b))) },
        Column { title: "MEMBERS", width: Fixed(8),
            cell: |g, _, _| Cell::plain(g.members.to_string()),
            sort: Some(|a, b, _, _| a.members.cmp(&b.members)) },
        Column { title: "LAG", width: Fixed(14),
            cell: |g, s, _| {
                lag_cell(fmt::at_least(g.total_lag, g.gaps.is_complete()), g.total_lag, s)
            },
            sort: Some(|a, b, _, _| opt_cmp(a.total_lag, b.total_lag)) },
        Column { title: "TREND", width: Fixed(22),
            cell: |g, s, _| {
                let trend = s.metrics_view.lag_trend.get(&g.group).map(|t| fmt::spark(t, 20));
                Cell::with(trend.unwrap_or_default(), Role::Sparkline)
            },
            sort: None },
    ],
    filter_text: |g| format!("{} {}", g.group, g.state),
    empty: "no consumer groups",
    row: None,
};

fn group_status(s: &State, g: &GroupSummary) -> Option<Status> {
    s.metrics_view.group(&g.group).and_then(|m| m.status)
}

/// The brokers' table; its rows know the controller's id.
#[rustfmt::skip]
pub const BROKERS: TableDef<Broker, Option<i32>> = TableDef {
    columns: &[
        Column { title: "ID", width: Fixed(6),
            cell: |b, _, _| Cell::plain(b.id.to_string()),
            sort: Some(|a, b, _, _| a.id.cmp(&b.id)) },
        Column { title: "HOST", width: Fill(2),
            cell: |b, _, _| Cell::plain(&b.host),
            sort: Some(|a, b, _, _| a.host.cmp(&b.host)) },
        Column { title: "PORT", width: Fixed(7),
            cell: |b, _, _| Cell::plain(b.port.to_string()),
            sort: Some(|a, b, _, _| a.port.cmp(&b.port)) },
        Column { title: "RACK", width: Fill(1),
            cell: |b, _, _| Cell::plain(b.rack.as_deref().unwrap_or("-")),
            sort: Some(|a, b, _, _| a.rack.cmp(&b.rack)) },
        Column { title: "ROLE", width: Fixed(12),
            cell: |b, _, controller| {
                Cell::plain(if Some(b.id) == *controller { "controller" } else { "" })
            },
            sort: None },
    ],
    filter_text: |b| format!("{} {}:{} {}", b.id, b.host, b.port, b.rack.clone().unwrap_or_default()),
    empty: "no brokers",
    row: None,
};

/// The ACLs' table, sorted by principal first.
#[rustfmt::skip]
pub const ACLS: TableDef<crate::model::Acl, ()> = TableDef {
    columns: &[
        Column { title: "PRINCIPAL", width: Fill(3),
            cell: |a, _, _| Cell::plain(&a.principal),
            sort: Some(|a, b, _, _| a.principal.cmp(&b.principal)) },
        Column { title: "PERMISSION", width: Fixed(10),
            cell: |a, _, _| Cell::plain(&a.permission),
            sort: Some(|a, b, _, _| a.permission.cmp(&b.permission)) },
        Column { title: "OPERATION", width: Fixed(17),
            cell: |a, _, _| Cell::plain(&a.operation),
            sort: Some(|a, b, _, _| a.operation.cmp(&b.operation)) },
        Column { title: "TYPE", width: Fixed(17),
            cell: |a, _, _| Cell::plain(&a.resource_type),
            sort: Some(|a, b, _, _| a.resource_type.cmp(&b.resource_type)) },
        Column { title: "PATTERN", width: Fixed(9),
            cell: |a, _, _| Cell::plain(&a.pattern_type),
            sort: Some(|a, b, _, _| a.pattern_type.cmp(&b.pattern_type)) },
        Column { title: "RESOURCE", width: Fill(3),
            cell: |a, _, _| Cell::plain(&a.resource_name),
            sort: Some(|a, b, _, _| a.resource_name.cmp(&b.resource_name)) },
        Column { title: "HOST", width: Fill(1),
            cell: |a, _, _| Cell::plain(&a.host),
            sort: None },
    ],
    filter_text: |a| format!(
        "{} {} {} {} {} {} {}",
        a.principal, a.permission, a.operation, a.resource_type, a.pattern_type,
        a.resource_name, a.host
    ),
    empty: "no ACLs",
    row: None,
};

/// Produce rate per partition of the topic on screen.
pub type PartitionRates = HashMap<i32, f64>;

fn ids(v: &[i32]) -> String {
    v.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[rustfmt::skip]
pub const PARTITIONS: TableDef<PartitionInfo, PartitionRates> = TableDef {
    columns: &[
        Column { title: "PARTITION", width: Fixed(10),
            cell: |p, _, _| Cell::plain(p.partition.to_string()),
            sort: Some(|a, b, _, _| a.partition.cmp(&b.partition)) },
        Column { title: "LEADER", width: Fixed(7),
            cell: |p, _, _| match p.leader {
                None => Cell::severity("offline", Severity::Crit),
                Some(l) => Cell::plain(l.to_string()),
            },
            sort: Some(|a, b, _, _| a.leader.cmp(&b.leader)) },
        Column { title: "REPLICAS", width: Fill(1),
            cell: |p, _, _| Cell::plain(ids(&p.replicas)),
            sort: Some(|a, b, _, _| a.replicas.cmp(&b.replicas)) },
        Column { title: "ISR", width: Fill(1),
            cell: |p, _, _| Cell::plain(ids(&p.isr)),
            sort: Some(|a, b, _, _| a.isr.len().cmp(&b.isr.len())) },
        Column { title: "LOW", width: Fixed(12),
            cell: |p, _, _| Cell::plain(opt_num(p.low_watermark)),
            sort: Some(|a, b, _, _| opt_cmp(a.low_watermark, b.low_watermark)) },
        Column { title: "HIGH", width: Fixed(12),
            cell: |p, _, _| Cell::plain(opt_num(p.high_watermark)),
            sort: Some(|a, b, _, _| opt_cmp(a.high_watermark, b.high_watermark)) },
        Column { title: "MESSAGES", width: Fixed(12),
            cell: |p, _, _| Cell::plain(opt_num(p.messages)),
            sort: Some(|a, b, _, _| opt_cmp(a.messages, b.messages)) },
        Column { title: "RATE/S", width: Fixed(8),
            cell: |p, _, rates| Cell::plain(fmt::rate(rates.get(&p.partition).copied())),
            sort: Some(|a, b, _, rates| opt_cmp(rates.get(&a.partition), rates.get(&b.partition))) },
        Column { title: "URP", width: Fixed(4),
            cell: |p, _, _| match (p.leader, p.under_replicated) {
                (None, _) => Cell::plain("yes"),
                (Some(_), true) => Cell::severity("yes", Severity::Crit),
                (Some(_), false) => Cell::plain("no"),
            },
            sort: Some(|a, b, _, _| a.under_replicated.cmp(&b.under_replicated)) },
    ],
    filter_text: |p| p.partition.to_string(),
    empty: "no partitions",
    row: None,
};

#[rustfmt::skip]
pub const CONFIGS: TableDef<ConfigValue> = TableDef {
    columns: &[
        Column { title: "NAME", width: Fill(2),
            cell: |c, _, _| Cell::plain(&c.name),
            sort: Some(|a, b, _, _| a.name.cmp(&b.name)) },
        Column { title: "VALUE", width: Fill(2),
            cell: |c, _, _| {
                if c.sensitive {
                    Cell::plain("<sensitive>")
                } else {
                    Cell::plain(c.value.as_deref().unwrap_or("-"))
                }
            },
            sort: Some(|a, b, _, _| a.value.cmp(&b.value)) },
        Column { title: "SOURCE", width: Fixed(15),
            cell: |c, _, _| Cell::plain(&c.source),
            sort: Some(|a, b, _, _| a.source.cmp(&b.source)) },
    ],
    filter_text: |c| format!("{} {}", c.name, c.value.clone().unwrap_or_default()),
    empty: "no configs",
    // Values set on the topic itself stand out from inherited ones.
    row: Some(|c| if c.source == "topic" { Role::Accent } else { Role::Plain }),
};

#[rustfmt::skip]
pub const TOPIC_GROUPS: TableDef<String> = TableDef {
    columns: &[Column { title: "GROUP", width: Fill(1),
        cell: |g, _, _| Cell::plain(g),
        sort: Some(|a, b, _, _| a.cmp(b)) }],
    filter_text: |g| g.clone(),
    empty: "no group reads this topic",
    row: None,
};

/// Metrics of each partition of the group on screen.
pub type GroupPartitions = HashMap<PartitionRef, GroupPartitionMetrics>;

fn metrics_of<'a>(x: &'a GroupPartitions, p: &PartitionLag) -> Option<&'a GroupPartitionMetrics> {
    x.get(&PartitionRef::new(&p.topic, p.partition))
}

#[rustfmt::skip]
pub const GROUP_PARTITIONS: TableDef<PartitionLag, GroupPartitions> = TableDef {
    columns: &[
        Column { title: "TOPIC", width: Fill(1),
            cell: |p, _, _| Cell::plain(&p.topic),
            sort: Some(|a, b, _, _| {
                (a.topic.as_str(), a.partition).cmp(&(b.topic.as_str(), b.partition))
            }) },
        Column { title: "PARTITION", width: Fixed(9),
            cell: |p, _, _| Cell::plain(p.partition.to_string()),
            sort: Some(|a, b, _, _| a.partition.cmp(&b.partition)) },
        Column { title: "COMMITTED", width: Fixed(11),
            cell: |p, _, _| match p.committed {
                Some(c) => Cell::plain(num(c)),
                None => Cell::with("none", Role::Muted),
            },
            sort: Some(|a, b, _, _| opt_cmp(a.committed, b.committed)) },
        Column { title: "LOG-END", width: Fixed(11),
            cell: |p, _, _| Cell::plain(opt_num(p.log_end)),
            sort: Some(|a, b, _, _| opt_cmp(a.log_end, b.log_end)) },
        Column { title: "LAG", width: Fixed(10),
            cell: |p, s, _| lag_cell(opt_num(p.lag), p.lag, s),
            sort: Some(|a, b, _, _| opt_cmp(a.lag, b.lag)) },
        Column { title: "TIME-LAG", width: Fixed(9),
            cell: |p, _, x| {
                let m = metrics_of(x, p);
                Cell::plain(m.and_then(|m| m.lag_seconds).map_or("-".to_string(), |s| {
                    // `~` an estimate, `>` a lower bound; exact ones unmarked.
                    let mark = m.and_then(|m| m.time_lag_method).map_or("", |t| t.mark());
                    format!("{mark}{}", seconds(s))
                }))
            },
            sort: Some(|a, b, _, x| {
                opt_cmp(
                    metrics_of(x, a).and_then(|m| m.lag_seconds),
                    metrics_of(x, b).and_then(|m| m.lag_seconds),
                )
            }) },
        Column { title: "STATUS", width: Fixed(6),
            cell: |p, _, x| {
                let m = metrics_of(x, p);
                status_cell(m.and_then(|m| m.status), m.and_then(|m| m.measuring))
            },
            sort: Some(|a, b, _, x| {
                metrics_of(x, a).and_then(|m| m.status).cmp(&metrics_of(x, b).and_then(|m| m.status))
            }) },
        Column { title: "CLIENT-ID", width: Fill(1),
            cell: |p, _, _| Cell::plain(p.client_id.as_deref().unwrap_or("-")),
            sort: None },
        Column { title: "HOST", width: Fill(1),
            cell: |p, _, _| Cell::plain(p.host.as_deref().unwrap_or("-")),
            sort: None },
    ],
    filter_text: |p| format!("{} {} {}", p.topic, p.partition, p.client_id.clone().unwrap_or_default()),
    empty: "no committed offsets or assignments",
    row: None,
};

/// Produce rate per partition of a topic over the metrics' rate window.
pub fn partition_rates(state: &State, topic: &str) -> PartitionRates {
    super::metrics::partition_rates(&state.metrics, topic, state.now_ms())
}

/// The metrics of each partition of a group, evaluated at the last sample's time: the same
/// evaluation as the group's header (the snapshot), so rows and header never disagree.
pub fn group_partitions(state: &State, group: &str) -> GroupPartitions {
    let at = state
        .metrics
        .latest()
        .map_or_else(|| state.now_ms(), |s| s.at);
    state
        .metrics
        .group_partitions(group, at)
        .into_iter()
        .map(|p| (PartitionRef::new(&p.topic, p.partition), p))
        .collect()
}

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
        View::Topics(_) => TOPICS.sortable(),
        View::Groups(_) => GROUPS.sortable(),
        View::Brokers(_) => BROKERS.sortable(),
        View::Acls(_) => ACLS.sortable(),
        View::Topic { tab, .. } => match tab {
            TopicTab::Partitions => PARTITIONS.sortable(),
            TopicTab::Configs => CONFIGS.sortable(),
            TopicTab::Groups => TOPIC_GROUPS.sortable(),
        },
        View::Group { .. } => GROUP_PARTITIONS.sortable(),
        _ => 0,
    }
}

/// The row order of the table on screen, from its panel's data (`None` without data or table).
pub fn order(state: &State) -> Option<Vec<usize>> {
    match state.view() {
        View::Topics(t) => Some(TOPICS.order(state.topics.data.as_ref()?, t, state, &())),
        View::Groups(t) => Some(GROUPS.order(state.groups.data.as_ref()?, t, state, &())),
        View::Acls(t) => Some(ACLS.order(state.acls.data.as_ref()?, t, state, &())),
        View::Brokers(t) => {
            let c = state.cluster.data.as_ref()?;
            Some(BROKERS.order(&c.brokers, t, state, &c.controller_id))
        }
        View::Topic { tab, table, .. } => {
            let d: &TopicDetail = state.topic.data.as_ref()?;
            Some(match tab {
                TopicTab::Partitions => {
                    let rates = partition_rates(state, &d.name);
                    PARTITIONS.order(&d.partitions, table, state, &rates)
                }
                TopicTab::Configs => CONFIGS.order(&d.configs, table, state, &()),
                TopicTab::Groups => TOPIC_GROUPS.order(&d.groups, table, state, &()),
            })
        }
        View::Group { table, .. } => {
            let d: &GroupDetail = state.group.data.as_ref()?;
            let x = group_partitions(state, &d.group);
            Some(GROUP_PARTITIONS.order(&d.partitions, table, state, &x))
        }
        _ => None,
    }
}
