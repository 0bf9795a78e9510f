//! What goes into `update` (actions) and what comes out (effects). Plain data: no terminal or
//! broker types, so flow tests can drive the console with keys and canned results. A failed
//! request comes back as a [`Failure`]: its kind and its message.

use std::time::Instant;

use crate::metrics::Sample;
use crate::model::{
    ClusterInfo, Failure, GroupDetail, GroupSummary, Listing, SubjectListing, SubjectVersions,
    TopicDetail, TopicSummary,
};
use crate::offsets::engine::{ApplyReport, ResetPlan, ResetRequest};
use crate::record::StartPosition;

use super::tail::OwnedRecord;

/// A key press, independent of the terminal library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
        }
    }

    pub const fn char(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
            alt: false,
        }
    }

    /// The character this key types into a text field: a printable key without ctrl or alt.
    pub fn typed(self) -> Option<char> {
        match self.code {
            KeyCode::Char(c) if !self.ctrl && !self.alt => Some(c),
            _ => None,
        }
    }
}

/// Which piece of cluster data a request fills.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PanelKey {
    Cluster,
    Topics,
    Topic(String),
    Groups,
    Group(String),
    /// The Schema Registry's subjects (`:subjects`).
    Subjects,
    /// One subject's versions, each with its schema (Enter on `:subjects`).
    SubjectVersions(String),
    Acls,
    /// One broker's configs.
    BrokerConfigs(i32),
}

impl PanelKey {
    /// The panel's name, as the status line and the log call it.
    pub fn name(&self) -> &'static str {
        match self {
            PanelKey::Cluster => "cluster",
            PanelKey::Topics => "topics",
            PanelKey::Topic(_) => "topic",
            PanelKey::Groups => "groups",
            PanelKey::Group(_) => "group",
            PanelKey::Subjects => "subjects",
            PanelKey::SubjectVersions(_) => "subject versions",
            PanelKey::Acls => "acls",
            PanelKey::BrokerConfigs(_) => "broker configs",
        }
    }
}

/// A broker answer for a panel.
#[derive(Debug, Clone)]
pub enum Payload {
    Cluster(ClusterInfo),
    Topics(Listing<TopicSummary>),
    Topic(Box<TopicDetail>),
    Groups(Listing<GroupSummary>),
    Group(Box<GroupDetail>),
    Subjects(Box<SubjectListing>),
    SubjectVersions(Box<SubjectVersions>),
    Acls(Vec<crate::model::Acl>),
    /// A broker's id and its configs not at Kafka's default.
    BrokerConfigs(Box<(i32, Vec<crate::model::DescribedConfig>)>),
}

#[derive(Debug, Clone)]
pub enum Action {
    /// Time passes: refreshes fall due, ages grow.
    Tick(Instant),
    Key(Key),
    /// The terminal's size in cells.
    Resize(u16, u16),
    /// A request finished. `req` tells a current answer from a stale one.
    Loaded {
        key: PanelKey,
        req: u64,
        at: Instant,
        result: Result<Payload, Failure>,
    },
    /// Records from the live tail of session `session`.
    TailRecords {
        session: u64,
        records: Vec<OwnedRecord>,
    },
    /// The tail of session `session` stopped with an error.
    TailFailed {
        session: u64,
        error: Failure,
    },
    /// The tail planned its start: per-partition notes such as a clamped offset.
    TailStarted {
        session: u64,
        notes: Vec<String>,
    },
    /// An offset reset was planned (nothing changed yet).
    ResetPlanned {
        req: u64,
        result: Result<Box<ResetPlan>, Failure>,
    },
    /// An offset reset was applied (or refused, changing nothing).
    /// A group deletion finished.
    GroupDeleted {
        req: u64,
        result: Result<super::group_delete::DeletedGroup, Failure>,
    },
    ResetApplied {
        req: u64,
        result: Result<Box<ApplyReport>, Failure>,
    },
    /// A cluster change was planned (nothing changed yet).
    ChangePlanned {
        req: u64,
        result: Result<Box<super::change::ChangePlan>, Failure>,
    },
    /// A cluster change was applied (or refused, changing nothing).
    ChangeApplied {
        req: u64,
        result: Result<Box<super::change::ChangeOutcome>, Failure>,
    },
    /// A metrics sample (log-end and committed offsets of everything) finished.
    Sampled {
        req: u64,
        at: Instant,
        result: Result<Box<Sample>, Failure>,
    },
    /// The silences file was changed (`Effect::Silence`): every silence it now holds.
    SilencesSaved {
        result: Result<crate::metrics::Silences, Failure>,
    },
    /// The silences file as read by `Effect::LoadSilences { generation }`.
    SilencesLoaded {
        generation: u64,
        result: Result<crate::metrics::Silences, Failure>,
    },
    /// A background task panicked (a bug): `task` says which, `message` what the panic said.
    /// The panic is in the log with a backtrace; the screen shows it on the status line.
    TaskPanicked {
        task: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Load a panel; answer with `Action::Loaded { key, req, .. }`.
    Fetch {
        key: PanelKey,
        req: u64,
    },
    /// Plan an offset reset; answer with `Action::ResetPlanned`.
    PlanReset {
        req: u64,
        request: Box<ResetRequest>,
    },
    /// Apply a planned reset; answer with `Action::ResetApplied`.
    ApplyReset {
        req: u64,
        plan: Box<ResetPlan>,
    },
    /// Delete a group with no members, its committed offsets (as planned) kept in an undo
    /// file; answer with `Action::GroupDeleted`.
    /// With `topic`, only the group's offsets of that topic go (OffsetDelete).
    DeleteGroup {
        req: u64,
        group: String,
        topic: Option<String>,
        committed: Vec<(String, i32, i64)>,
    },
    /// Plan a cluster change (the broker validates it, nothing changes); answer with
    /// `Action::ChangePlanned`.
    PlanChange {
        req: u64,
        request: Box<super::change::ChangeRequest>,
    },
    /// Apply a planned cluster change; answer with `Action::ChangeApplied`.
    ApplyChange {
        req: u64,
        plan: Box<super::change::ChangePlan>,
    },
    /// Take a metrics sample; answer with `Action::Sampled { req, .. }`.
    Sample {
        req: u64,
    },
    /// Start reading a topic; answer with `TailStarted`, `TailRecords`, `TailFailed`.
    /// The reader sends at most `limit` records in all (see `LimitTail`).
    StartTail {
        session: u64,
        topic: String,
        from: StartPosition,
        partitions: Vec<i32>,
        limit: Option<u64>,
    },
    StopTail {
        session: u64,
    },
    /// How many records the reader of `session` may send in all, counted from its start
    /// (`None`: no limit). The console stops reading while paused and before records on
    /// screen would be pushed out of the buffer; the broker keeps the rest.
    LimitTail {
        session: u64,
        limit: Option<u64>,
    },
    /// Set or lift a silence in the silences file; answer with `Action::SilencesSaved`.
    Silence(crate::metrics::SilenceChange),
    /// Read the silences file again (another console or a cron job may have changed it);
    /// answer with `Action::SilencesLoaded` carrying `generation`.
    LoadSilences {
        generation: u64,
    },
    /// Reconnect to another context from the config.
    SwitchContext(String),
    Quit,
}
