//! What goes into `update` (actions) and what comes out (effects). Plain data: no terminal or
//! broker types, so flow tests can drive the console with keys and canned results. A failed
//! request comes back as a [`Failure`]: its kind and its message.

use std::time::Instant;

use crate::metrics::Sample;
use crate::model::{
    ClusterInfo, Failure, GroupDetail, GroupSummary, Listing, TopicDetail, TopicSummary,
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
    ResetApplied {
        req: u64,
        result: Result<Box<ApplyReport>, Failure>,
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
    /// Take a metrics sample; answer with `Action::Sampled { req, .. }`.
    Sample {
        req: u64,
    },
    /// Start reading a topic; answer with `TailStarted`, `TailRecords`, `TailFailed`.
    StartTail {
        session: u64,
        topic: String,
        from: StartPosition,
        partitions: Vec<i32>,
    },
    StopTail {
        session: u64,
    },
    /// Stop or resume reading (the consumer stops fetching while paused).
    PauseTail {
        session: u64,
        paused: bool,
    },
    /// Set or lift a silence in the silences file; answer with `Action::SilencesSaved`.
    Silence(crate::metrics::SilenceChange),
    /// Reconnect to another context from the config.
    SwitchContext(String),
    Quit,
}
