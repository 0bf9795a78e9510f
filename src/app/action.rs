//! What goes into `update` (actions) and what comes out (effects). Plain data: no terminal or
//! broker types, so flow tests can drive the console with keys and canned results.

use std::time::Instant;

use crate::metrics::Sample;
use crate::model::{ClusterInfo, GroupDetail, GroupSummary, Listing, TopicDetail, TopicSummary};
use crate::offsets::{ApplyReport, ResetPlan, ResetRequest};
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
        result: Result<Payload, String>,
    },
    /// Records from the live tail of session `session`.
    TailRecords {
        session: u64,
        records: Vec<OwnedRecord>,
    },
    /// The tail of session `session` stopped with an error.
    TailFailed {
        session: u64,
        error: String,
    },
    /// The tail planned its start: per-partition notes such as a clamped offset.
    TailStarted {
        session: u64,
        notes: Vec<String>,
    },
    /// An offset reset was planned (nothing changed yet).
    ResetPlanned {
        req: u64,
        result: Result<Box<ResetPlan>, String>,
    },
    /// An offset reset was applied (or refused, changing nothing).
    ResetApplied {
        req: u64,
        result: Result<Box<ApplyReport>, String>,
    },
    /// A metrics sample (log-end and committed offsets of everything) finished.
    Sampled {
        req: u64,
        at: Instant,
        result: Result<Box<Sample>, String>,
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
    /// Reconnect to another context from the config.
    SwitchContext(String),
    Quit,
}
