//! One error type for the whole crate. Each kind maps to a documented exit code, so the CLI and
//! the console can tell "you typed something wrong" from "the broker said no".

/// Exit codes shared by every subcommand (documented in README.md).
pub mod exit {
    pub const OK: i32 = 0;
    /// The broker, the network or the local system failed.
    pub const RUNTIME: i32 = 1;
    /// Bad arguments or a bad config file.
    pub const USAGE: i32 = 2;
    /// A named topic, partition or group does not exist.
    pub const NOT_FOUND: i32 = 3;
    /// A mutating command was refused because the context is read-only.
    pub const READ_ONLY: i32 = 4;
    /// The broker does not implement the API the command needs.
    pub const UNSUPPORTED: i32 = 5;
    /// An offset reset was refused because the group has active members.
    pub const GROUP_ACTIVE: i32 = 6;
    /// An offset reset was applied to some partitions but not to others.
    pub const PARTIALLY_APPLIED: i32 = 7;
    /// The answer is incomplete: some partitions, groups or brokers could not be read. What is
    /// missing is named on stderr and in the output (`"complete": false`, `"missing": [...]`).
    pub const INCOMPLETE: i32 = 8;
    /// The broker refused the principal (TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED,
    /// CLUSTER_AUTHORIZATION_FAILED, ...): the message names what it may not do.
    pub const NOT_AUTHORIZED: i32 = 9;
}

/// What kind of failure an error is, as plain data: the CLI, the console and the metrics
/// engine decide on the kind, never on the message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Usage,
    Config,
    NotFound,
    ReadOnly,
    GroupActive,
    PartiallyApplied,
    Unsupported,
    /// The cluster could not be reached or refused the login.
    Connect,
    TimedOut,
    /// A broker, partition leader or group coordinator is not available right now (it did not
    /// answer, or answered that it is moving or loading); asking again later may work.
    Unavailable,
    NotAuthorized,
    /// Some of what was asked could not be read.
    Incomplete,
    /// Anything else a broker or the client library reported.
    Broker,
    Io,
    /// A bug in kscope: a task panicked.
    Internal,
}

impl ErrorKind {
    /// Worth asking again within the same budget (the leader or coordinator may be moving).
    pub fn is_retriable(self) -> bool {
        matches!(self, ErrorKind::Unavailable | ErrorKind::TimedOut)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad command-line input (a malformed `--from`, a bad `--header`, ...).
    #[error("{0}")]
    Usage(String),
    /// A config file or property that cannot be used.
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    NotFound(String),
    #[error("refused: {0}")]
    ReadOnly(String),
    /// A change to a consumer group was refused because the group has active members.
    #[error("refused: {0}")]
    GroupActive(String),
    /// Some partitions were changed and some were not; the message says which and how to undo.
    #[error("partially applied: {0}")]
    PartiallyApplied(String),
    /// The broker lacks an API (for example the librdkafka mock cluster has no ListGroups).
    #[error("{api} is not supported by this broker{}", hint.as_deref().map(|h| format!(": {h}")).unwrap_or_default())]
    Unsupported { api: String, hint: Option<String> },
    /// kscope's client library cannot do what was asked (the broker may well support it).
    #[error("{0}")]
    ClientUnsupported(String),
    /// Could not reach or authenticate with the cluster in time.
    #[error("{0}")]
    Connect(String),
    /// A broker, partition leader or group coordinator is not available right now.
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    NotAuthorized(String),
    /// Some of what was asked could not be read; the message says what.
    #[error("incomplete: {0}")]
    Incomplete(String),
    #[error("{}", timeout_text(what, after))]
    Timeout {
        what: String,
        after: std::time::Duration,
    },
    /// Anything else a broker or librdkafka reported.
    #[error("{0}")]
    Kafka(String),
    #[error("{0}")]
    Io(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Config(_) => exit::USAGE,
            Error::NotFound(_) => exit::NOT_FOUND,
            Error::ReadOnly(_) => exit::READ_ONLY,
            Error::GroupActive(_) => exit::GROUP_ACTIVE,
            Error::PartiallyApplied(_) => exit::PARTIALLY_APPLIED,
            Error::Unsupported { .. } | Error::ClientUnsupported(_) => exit::UNSUPPORTED,
            Error::Incomplete(_) => exit::INCOMPLETE,
            Error::NotAuthorized(_) => exit::NOT_AUTHORIZED,
            Error::Connect(_)
            | Error::Unavailable(_)
            | Error::Timeout { .. }
            | Error::Kafka(_)
            | Error::Io(_) => exit::RUNTIME,
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Usage(_) => ErrorKind::Usage,
            Error::Config(_) => ErrorKind::Config,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::ReadOnly(_) => ErrorKind::ReadOnly,
            Error::GroupActive(_) => ErrorKind::GroupActive,
            Error::PartiallyApplied(_) => ErrorKind::PartiallyApplied,
            Error::Unsupported { .. } | Error::ClientUnsupported(_) => ErrorKind::Unsupported,
            Error::Connect(_) => ErrorKind::Connect,
            Error::Unavailable(_) => ErrorKind::Unavailable,
            Error::NotAuthorized(_) => ErrorKind::NotAuthorized,
            Error::Incomplete(_) => ErrorKind::Incomplete,
            Error::Timeout { .. } => ErrorKind::TimedOut,
            Error::Kafka(_) => ErrorKind::Broker,
            Error::Io(_) => ErrorKind::Io,
        }
    }

    pub fn usage(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }

    pub fn config(msg: impl Into<String>) -> Self {
        Error::Config(msg.into())
    }

    pub fn kafka(msg: impl Into<String>) -> Self {
        Error::Kafka(msg.into())
    }

    pub fn unsupported(api: impl Into<String>, hint: Option<String>) -> Self {
        Error::Unsupported {
            api: api.into(),
            hint,
        }
    }
}

/// `timed out after 5s waiting for X`; without a duration when it is not known.
fn timeout_text(what: &str, after: &std::time::Duration) -> String {
    // Tenths of a second: a budget of 5s that started a few microseconds late is still 5s.
    let tenths = u64::try_from(after.as_millis().div_ceil(100)).unwrap_or(u64::MAX);
    if tenths == 0 {
        format!("timed out waiting for {what}")
    } else {
        let (secs, tenth) = (tenths / 10, tenths % 10);
        if tenth == 0 {
            format!("timed out after {secs}s waiting for {what}")
        } else {
            format!("timed out after {secs}.{tenth}s waiting for {what}")
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
