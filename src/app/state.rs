//! The console's state: what is on screen and what we know about the cluster. Views render
//! from `&State`; only `update` changes it.

use std::time::Instant;

use crate::model::{
    ClusterInfo, GroupDetail, GroupSummary, SubjectListing, SubjectVersions, TopicDetail,
    TopicSummary,
};

use super::commands::Command;
use super::keymap::Keymap;
use super::metrics::MetricsView;
use super::panels::Panel;
use super::tail::TailState;
use crate::metrics::{MetricsState, Millis};

/// Settings of the console itself, resolved from `[console]` with the rest of the config.
pub use crate::config::ConsoleOptions as Options;

/// Selection, scroll, filter and sort of one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub selected: usize,
    pub offset: usize,
    pub filter: String,
    pub invert: bool,
    pub sort: usize,
    pub descending: bool,
    /// Row order after filter and sort: indices into the panel's data.
    pub order: Vec<usize>,
}

impl Table {
    pub fn sorted_by(column: usize, descending: bool) -> Self {
        Table {
            sort: column,
            descending,
            ..Table::default()
        }
    }

    pub fn selected_index(&self) -> Option<usize> {
        self.order.get(self.selected).copied()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TopicTab {
    #[default]
    Partitions,
    Configs,
    Groups,
}

impl TopicTab {
    pub fn next(self) -> Self {
        match self {
            TopicTab::Partitions => TopicTab::Configs,
            TopicTab::Configs => TopicTab::Groups,
            TopicTab::Groups => TopicTab::Partitions,
        }
    }
}

/// A screen. The console keeps a stack of them: Esc goes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// The table is the alert list's selection; its filter applies to every list on screen.
    Overview(Table),
    Brokers(Table),
    Topics(Table),
    Topic {
        name: String,
        tab: TopicTab,
        table: Table,
    },
    Tail,
    Groups(Table),
    Group {
        name: String,
        table: Table,
    },
    Reset {
        group: String,
    },
    /// The Schema Registry's subjects, with the selected one's schema.
    Subjects(Table),
    /// One subject's versions (Enter on a subject), with the selected version's schema.
    SubjectVersions {
        subject: String,
        table: Table,
    },
    /// The cluster's ACLs (`c` creates, `x` deletes).
    Acls(Table),
    /// One broker's configs that are not at Kafka's default (Enter on the brokers screen).
    BrokerConfigs {
        id: i32,
        table: Table,
    },
    /// Deleting a group: the plan, the typed confirmation, the result.
    DeleteGroup {
        group: String,
    },
    /// A cluster change (a topic's configs, ...): what to change, the plan, the result.
    Change {
        title: String,
    },
}

impl View {
    pub fn title(&self) -> String {
        match self {
            View::Overview(_) => "overview".into(),
            View::Brokers(_) => "brokers".into(),
            View::Topics(_) => "topics".into(),
            View::Topic { name, .. } => format!("topic {name}"),
            View::Tail => "tail".into(),
            View::Groups(_) => "groups".into(),
            View::Group { name, .. } => format!("group {name}"),
            View::Reset { group } => format!("reset {group}"),
            View::Subjects(_) => "subjects".into(),
            View::SubjectVersions { subject, .. } => format!("subject {subject}"),
            View::Acls(_) => "acls".into(),
            View::DeleteGroup { group } => format!("delete {group}"),
            View::Change { title } => title.clone(),
            View::BrokerConfigs { id, .. } => format!("broker {id} configs"),
        }
    }

    /// The commands the footer offers on this screen, in order.
    pub fn hints(&self) -> Vec<Command> {
        use Command as C;
        let own: &[Command] = match self {
            View::Topics(_) => &[C::Open, C::TailSelected, C::SortNext],
            View::Topic { .. } => &[
                C::NextTab,
                C::TailSelected,
                C::EditConfig,
                C::AddPartitions,
                C::TruncateTopic,
            ],
            View::Groups(_) => &[C::Open, C::ResetSelected, C::SortNext],
            View::Group { .. } => &[
                C::ResetSelected,
                C::DeleteGroupSelected,
                C::DeleteOffsetsSelected,
                C::Back,
            ],
            View::Tail => &[C::Pause, C::Follow, C::Detail, C::Windows, C::Back],
            View::Overview(_) => &[C::Silence, C::Topics, C::Groups, C::Brokers],
            View::Subjects(_) => &[C::Open, C::SortNext, C::Refresh, C::Back],
            View::SubjectVersions { .. } => &[C::SortNext, C::Refresh, C::Back],
            View::Acls(_) => &[C::CreateAcl, C::DeleteAcl, C::SortNext, C::Back],
            View::Brokers(_) => &[C::Open, C::ElectLeaders, C::Back],
            View::BrokerConfigs { .. } => &[C::EditConfig, C::SortNext, C::Back],
            View::Reset { .. } | View::DeleteGroup { .. } | View::Change { .. } => &[C::Back],
        };
        [C::CommandMode, C::Filter, C::Help]
            .into_iter()
            .chain(own.iter().copied())
            .chain([C::Freeze, C::Quit])
            .collect()
    }

    pub fn table(&self) -> Option<&Table> {
        match self {
            View::Overview(t)
            | View::Brokers(t)
            | View::Topics(t)
            | View::Groups(t)
            | View::Subjects(t)
            | View::Acls(t) => Some(t),
            View::Topic { table, .. }
            | View::Group { table, .. }
            | View::SubjectVersions { table, .. }
            | View::BrokerConfigs { table, .. } => Some(table),
            _ => None,
        }
    }

    pub fn table_mut(&mut self) -> Option<&mut Table> {
        match self {
            View::Overview(t)
            | View::Brokers(t)
            | View::Topics(t)
            | View::Groups(t)
            | View::Subjects(t)
            | View::Acls(t) => Some(t),
            View::Topic { table, .. }
            | View::Group { table, .. }
            | View::SubjectVersions { table, .. }
            | View::BrokerConfigs { table, .. } => Some(table),
            _ => None,
        }
    }
}

/// What the keyboard is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// `:` was pressed; `input` is what follows it.
    Command {
        input: String,
    },
    /// `/` was pressed; the filter applies as it is typed.
    Filter {
        input: String,
    },
    Help {
        scroll: usize,
    },
    /// `a` on an alert: how long to silence it for (`input`; empty is the default).
    Silence {
        rule: String,
        resource: String,
        input: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// A one-line message in the status line, cleared after a while.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub level: Level,
    pub at: Instant,
}

pub struct State {
    pub context: String,
    pub bootstrap: String,
    pub read_only: bool,
    /// Names of the contexts in the config, for `:ctx`.
    pub contexts: Vec<String>,
    pub theme: String,
    pub options: Options,
    pub keymap: Keymap,
    pub now: Instant,
    pub started: Instant,
    /// Wall-clock milliseconds at `started`: the metrics engine and alert ages use wall time.
    pub started_ms: Millis,
    pub size: (u16, u16),
    pub stack: Vec<View>,
    pub mode: Mode,
    pub frozen: bool,
    pub cluster: Panel<ClusterInfo>,
    pub topics: Panel<Vec<TopicSummary>>,
    pub topic: Panel<TopicDetail>,
    pub groups: Panel<Vec<GroupSummary>>,
    pub group: Panel<GroupDetail>,
    /// The Schema Registry's subjects, while `:subjects` is open.
    pub subjects: Panel<SubjectListing>,
    /// One subject's versions, while its screen is open.
    pub subject_versions: Panel<SubjectVersions>,
    /// The ACLs, asked only while the `:acls` screen is shown.
    pub acls: Panel<Vec<crate::model::Acl>>,
    /// The configs of one broker (which, and its configs not at Kafka's default).
    pub broker_configs: Panel<(i32, Vec<crate::model::DescribedConfig>)>,
    pub tail: Option<TailState>,
    /// The group deletion in progress (the DeleteGroup view).
    pub delete_group: Option<super::group_delete::DeleteGroupFlow>,
    /// The cluster change in progress (the Change view).
    pub change: Option<super::change::ChangeFlow>,
    /// The offset reset in progress (the Reset view).
    pub reset: Option<super::reset::ResetFlow>,
    /// Rates, lag trends, group status and alerts, from periodic samples.
    pub metrics: MetricsState,
    /// When samples are due, whether one is out, the last failure.
    pub sampling: Panel<()>,
    /// What the screens read from `metrics`, indexed once per sample.
    pub metrics_view: MetricsView,
    /// Muted alerts, as the silences file holds them (loaded at start, written on `a`).
    pub silences: crate::metrics::Silences,
    /// Which cluster's silences apply: the context's name, or the bootstrap servers.
    pub silence_scope: String,
    /// Re-reading the silences file while the console runs.
    pub silences_sync: super::alerts::SilencesSync,
    pub flash: Option<Flash>,
    pub quit: bool,
    pub(super) next_request: u64,
    pub(super) next_session: u64,
}

impl State {
    pub fn new(
        context: &str,
        bootstrap: &str,
        read_only: bool,
        options: Options,
        now: Instant,
        now_ms: Millis,
    ) -> State {
        State {
            context: context.to_string(),
            bootstrap: bootstrap.to_string(),
            read_only,
            contexts: Vec::new(),
            theme: "default".into(),
            options,
            keymap: Keymap::default(),
            now,
            started: now,
            started_ms: now_ms,
            size: (80, 24),
            stack: vec![View::Overview(Table::default())],
            mode: Mode::Normal,
            frozen: false,
            cluster: Panel::default(),
            topics: Panel::default(),
            topic: Panel::default(),
            groups: Panel::default(),
            group: Panel::default(),
            subjects: Panel::default(),
            subject_versions: Panel::default(),
            acls: Panel::default(),
            broker_configs: Panel::default(),
            delete_group: None,
            change: None,
            tail: None,
            reset: None,
            metrics: MetricsState::new(
                crate::metrics::MetricsConfig::default(),
                crate::metrics::default_rules(),
            ),
            sampling: Panel::default(),
            metrics_view: MetricsView::default(),
            silences: crate::metrics::Silences::default(),
            silence_scope: context.to_string(),
            silences_sync: Default::default(),
            flash: None,
            quit: false,
            next_request: 1,
            next_session: 1,
        }
    }

    /// Wall-clock milliseconds now.
    pub fn now_ms(&self) -> Millis {
        self.started_ms + self.now.saturating_duration_since(self.started).as_millis() as Millis
    }

    pub fn view(&self) -> &View {
        // The stack is never empty: `back` keeps the root.
        self.stack.last().unwrap_or(&OVERVIEW)
    }

    pub fn view_mut(&mut self) -> &mut View {
        if self.stack.is_empty() {
            self.stack.push(View::Overview(Table::default()));
        }
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    /// Rows a table can show: the terminal minus header, hints, status, borders and the
    /// table's own header row.
    pub fn page_rows(&self) -> usize {
        let extra = match self.view() {
            View::Topic { .. } => 1,
            View::Group { .. } => GROUP_INFO_ROWS,
            View::Overview(_) => OVERVIEW_ROWS_ABOVE_ALERTS,
            // Narrow, the schema takes the lower part of the screen.
            View::Subjects(_) | View::SubjectVersions { .. } if self.size.0 < SCHEMA_BESIDE => {
                let body = self.size.1.saturating_sub(BODY_CHROME);
                return usize::from(list_above_schema(body).saturating_sub(TABLE_CHROME)).max(1);
            }
            _ => 0,
        };
        usize::from(self.size.1)
            .saturating_sub(CHROME_ROWS + extra)
            .max(1)
    }
}

/// Lines around a table: header bar, status line, key hints, two borders and the column header.
pub const CHROME_ROWS: usize = 6;
/// Lines around the body: header bar, status line, key hints.
const BODY_CHROME: u16 = 3;
/// Lines of a table's own: two borders and the column header.
const TABLE_CHROME: u16 = 3;
/// From this width on, the subject screens show the schema beside the list; narrower, below it.
pub const SCHEMA_BESIDE: u16 = 110;

/// The height of a subject screen's list when the schema is below it, in a body `body` lines
/// high: the upper half.
pub fn list_above_schema(body: u16) -> u16 {
    body / 2
}
/// Lines of the overview above its alert list (cluster and rate, leaderboards), less the
/// column header the alert list does not have.
pub const OVERVIEW_ROWS_ABOVE_ALERTS: usize = 14 - 1;
/// The overview when the stack is (never) empty.
static OVERVIEW: View = View::Overview(Table {
    selected: 0,
    offset: 0,
    filter: String::new(),
    invert: false,
    sort: 0,
    descending: false,
    order: Vec::new(),
});
/// Lines of group information above the group's table.
pub const GROUP_INFO_ROWS: usize = 4;
