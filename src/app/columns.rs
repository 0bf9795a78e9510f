//! The console's tables as data: each table is its columns (title, width, cell, sort key), what
//! the filter matches, and what it says when empty. The same definition sorts the rows here and
//! draws them in ui/ (which only maps a cell's [`Role`] to the theme's colours). The order is
//! computed when data, filter or sort change, so drawing a frame only touches the rows on
//! screen, however many there are.

use std::cmp::Ordering;
use std::collections::HashMap;

pub use super::config_columns::{BROKER_CONFIGS, CONFIGS};
use super::fmt::{self, num, opt_num};
use super::state::{State, Table, TopicTab, View};
use crate::metrics::status::Measuring;
use crate::metrics::{GroupPartitionMetrics, Status};
use crate::model::{
    Broker, GroupDetail, GroupSummary, PartitionInfo, PartitionLag, PartitionRef, RegistrySubject,
    Severity, SubjectVersionRow, TopicDetail, TopicSummary,
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
    /// Column titles by priority, lowest first: when the table is too narrow for every
    /// column (each `Fill` one needing `min_fill` cells), these are hidden in this order
    /// before names are cut short.
    pub hide_first: &'static [&'static str],
    /// The fewest cells a `Fill` column (a name) should get before other columns are hidden.
    pub min_fill: u16,
}

/// `min_fill` of tables whose `Fill` columns are names.
pub const MIN_FILL: u16 = 12;

impl<T, X> TableDef<T, X> {
    /// How many columns the sort key cycles through.
    pub fn sortable(&self) -> usize {
        self.columns.iter().take_while(|c| c.sort.is_some()).count()
    }

    /// The columns shown in `width` cells with `spacing` between columns: all of them, or
    /// without the lowest-priority ones ([`TableDef::hide_first`]) until the rest fit.
    pub fn visible(&self, width: u16, spacing: u16) -> Vec<usize> {
        let mut shown = vec![true; self.columns.len()];
        let need = |shown: &[bool]| -> u32 {
            let cols = self.columns.iter().zip(shown).filter(|(_, s)| **s);
            let (n, cells) = cols.fold((0u32, 0u32), |(n, cells), (c, _)| {
                let w = match c.width {
                    Width::Fixed(w) => w,
                    Width::Fill(_) => self.min_fill,
                };
                (n + 1, cells + u32::from(w))
            });
            cells + n.saturating_sub(1) * u32::from(spacing)
        };
        for title in self.hide_first {
            if need(&shown) <= u32::from(width) {
                break;
            }
            if let Some(i) = self.columns.iter().position(|c| c.title == *title) {
                shown[i] = false;
            }
        }
        (0..self.columns.len()).filter(|i| shown[*i]).collect()
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
    hide_first: &["RF", "RATE/S", "MESSAGES"],
    min_fill: MIN_FILL,
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
    hide_first: &["TREND", "MEMBERS", "STATE"],
    min_fill: MIN_FILL,
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
    hide_first: &["RACK", "PORT"],
    min_fill: MIN_FILL,
};

/// The registry's subjects: versions, and the latest one's id and type.
#[rustfmt::skip]
pub const SUBJECTS: TableDef<RegistrySubject> = TableDef {
    columns: &[
        Column { title: "SUBJECT", width: Fill(3),
            cell: |s, _, _| Cell::plain(&s.subject),
            sort: Some(|a, b, _, _| a.subject.cmp(&b.subject)) },
        Column { title: "TYPE", width: Fixed(9),
            cell: |s, _, _| match &s.latest {
                Some(l) => Cell::plain(&l.kind),
                None => Cell::with("-", Role::Muted),
            },
            sort: Some(|a, b, _, _| {
                a.latest.as_ref().map(|l| &l.kind).cmp(&b.latest.as_ref().map(|l| &l.kind))
            }) },
        Column { title: "LATEST", width: Fixed(7),
            cell: |s, _, _| Cell::plain(s.latest.as_ref().map_or("-".into(), |l| l.version.to_string())),
            sort: Some(|a, b, _, _| {
                a.latest.as_ref().map(|l| l.version).cmp(&b.latest.as_ref().map(|l| l.version))
            }) },
        Column { title: "ID", width: Fixed(7),
            cell: |s, _, _| Cell::plain(s.latest.as_ref().map_or("-".into(), |l| l.id.to_string())),
            sort: Some(|a, b, _, _| {
                a.latest.as_ref().map(|l| l.id).cmp(&b.latest.as_ref().map(|l| l.id))
            }) },
        Column { title: "VERSIONS", width: Fill(1),
            cell: |s, _, _| match (&s.error, s.versions.is_empty()) {
                (Some(_), _) => Cell::severity("failed", Severity::Warn),
                (None, true) => Cell::with("not read", Role::Muted),
                (None, false) => Cell::plain(ids(&s.versions)),
            },
            sort: None },
    ],
    filter_text: |s| format!("{} {}", s.subject, s.latest.as_ref().map_or("", |l| l.kind.as_str())),
    empty: "no subjects in the registry",
    row: None,
    hide_first: &["ID", "LATEST"],
    min_fill: MIN_FILL,
};

/// One subject's versions: each one's id and type.
#[rustfmt::skip]
pub const SUBJECT_VERSIONS: TableDef<SubjectVersionRow> = TableDef {
    columns: &[
        Column { title: "VERSION", width: Fixed(8),
            cell: |v, _, _| Cell::plain(v.version.to_string()),
            sort: Some(|a, b, _, _| a.version.cmp(&b.version)) },
        Column { title: "ID", width: Fixed(8),
            cell: |v, _, _| match (&v.schema, &v.error) {
                (Some(s), _) => Cell::plain(s.id.to_string()),
                (None, Some(_)) => Cell::severity("failed", Severity::Warn),
                (None, None) => Cell::with("not read", Role::Muted),
            },
            sort: Some(|a, b, _, _| {
                a.schema.as_ref().map(|s| s.id).cmp(&b.schema.as_ref().map(|s| s.id))
            }) },
        Column { title: "TYPE", width: Fill(1),
            cell: |v, _, _| match &v.schema {
                Some(s) => Cell::plain(&s.kind),
                None => Cell::with("-", Role::Muted),
            },
            sort: Some(|a, b, _, _| {
                a.schema.as_ref().map(|s| &s.kind).cmp(&b.schema.as_ref().map(|s| &s.kind))
            }) },
    ],
    filter_text: |v| format!("{} {}", v.version, v.schema.as_ref().map_or("", |s| s.kind.as_str())),
    empty: "the subject has no versions",
    row: None,
    hide_first: &[],
    min_fill: MIN_FILL,
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
    hide_first: &["HOST", "PATTERN"],
    min_fill: MIN_FILL,
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
    hide_first: &["MESSAGES", "LOW", "REPLICAS", "RATE/S", "ISR"],
    // Replicas and ISR are short lists of broker ids.
    min_fill: 8,
};

#[rustfmt::skip]
pub const TOPIC_GROUPS: TableDef<String> = TableDef {
    columns: &[Column { title: "GROUP", width: Fill(1),
        cell: |g, _, _| Cell::plain(g),
        sort: Some(|a, b, _, _| a.cmp(b)) }],
    filter_text: |g| g.clone(),
    empty: "no group reads this topic",
    row: None,
    hide_first: &[],
    min_fill: MIN_FILL,
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
    hide_first: &["HOST", "CLIENT-ID", "LOG-END", "COMMITTED", "TIME-LAG"],
    min_fill: MIN_FILL,
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

pub fn subjects_table() -> Table {
    Table::sorted_by(0, false)
}

/// A subject's versions open newest first.
pub fn subject_versions_table() -> Table {
    Table::sorted_by(0, true)
}

pub fn topics_table() -> Table {
    Table::sorted_by(0, false)
}

/// Groups open sorted by lag, largest first: the ones in trouble on top.
pub fn groups_table() -> Table {
    Table::sorted_by(4, true)
}

/// Configs sorted by name.
pub fn config_table() -> Table {
    Table::sorted_by(0, false)
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
        View::Subjects(_) => SUBJECTS.sortable(),
        View::SubjectVersions { .. } => SUBJECT_VERSIONS.sortable(),
        View::BrokerConfigs { .. } => BROKER_CONFIGS.sortable(),
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
        View::Subjects(t) => {
            let d = state.subjects.data.as_ref()?;
            Some(SUBJECTS.order(&d.subjects, t, state, &()))
        }
        View::SubjectVersions { subject, table } => {
            let d = state.subject_versions.data.as_ref()?;
            (&d.subject == subject).then(|| SUBJECT_VERSIONS.order(&d.versions, table, state, &()))
        }
        View::BrokerConfigs { id, table } => {
            let (of, configs) = state.broker_configs.data.as_ref()?;
            (of == id).then(|| BROKER_CONFIGS.order(configs, table, state, &()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles<T, X>(def: &TableDef<T, X>, width: u16) -> Vec<&'static str> {
        def.visible(width, 2)
            .into_iter()
            .map(|i| def.columns[i].title)
            .collect()
    }

    #[test]
    fn narrow_tables_hide_low_priority_columns_before_cutting_names() {
        assert_eq!(
            titles(&GROUP_PARTITIONS, 200).len(),
            GROUP_PARTITIONS.columns.len()
        );
        // 80 columns less the borders.
        assert_eq!(
            titles(&GROUP_PARTITIONS, 78),
            [
                "TOPIC",
                "PARTITION",
                "COMMITTED",
                "LAG",
                "TIME-LAG",
                "STATUS"
            ]
        );
        assert_eq!(
            titles(&GROUPS, 78),
            ["GROUP", "STATE", "STATUS", "MEMBERS", "LAG"]
        );
        assert_eq!(titles(&TOPICS, 78).len(), TOPICS.columns.len());
        // Whatever is hidden, what is left fits, or nothing more can go.
        for w in [40u16, 60, 78, 100] {
            let v = GROUP_PARTITIONS.visible(w, 2);
            assert!(v.contains(&0), "the name always stays");
        }
        // Every title named is a column of its table.
        for (names, cols) in [
            (
                TOPICS.hide_first,
                TOPICS.columns.iter().map(|c| c.title).collect::<Vec<_>>(),
            ),
            (
                GROUPS.hide_first,
                GROUPS.columns.iter().map(|c| c.title).collect(),
            ),
            (
                BROKERS.hide_first,
                BROKERS.columns.iter().map(|c| c.title).collect(),
            ),
            (
                PARTITIONS.hide_first,
                PARTITIONS.columns.iter().map(|c| c.title).collect(),
            ),
            (
                CONFIGS.hide_first,
                CONFIGS.columns.iter().map(|c| c.title).collect(),
            ),
            (
                GROUP_PARTITIONS.hide_first,
                GROUP_PARTITIONS.columns.iter().map(|c| c.title).collect(),
            ),
        ] {
            for n in names {
                assert!(cols.contains(n), "{n}");
            }
        }
    }
}
