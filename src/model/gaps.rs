//! What an answer lacks: each missing piece named ([`Missing`], [`Subject`]), gathered per answer
//! ([`Gaps`]) and per list ([`Listing`]).

use serde::Serialize;

use crate::error::ErrorKind;

/// What an answer lacks: one thing kscope asked a broker for and could not get, named (which
/// partition, group or broker), with what is missing, the kind of failure and its cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    #[serde(flatten)]
    pub subject: Subject,
    /// What of the subject is missing: `log end`, `log start and end`, `committed offset`,
    /// ... (empty: the subject as a whole).
    pub what: String,
    /// The kind of failure (`unavailable`, `timed_out`, `not_authorized`, ...).
    pub reason: ErrorKind,
    /// Why, naming who did not answer: `leader 2 did not answer`.
    pub cause: String,
    /// The whole sentence: `log end of orders/2 unknown: leader 2 did not answer`.
    pub message: String,
}

/// What a [`Missing`] entry is about. In JSON, `kind` says which and the other fields name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// A partition's offsets (log start, log end or an offset for a time), from its leader.
    Partition {
        topic: String,
        partition: i32,
        /// The partition's leader as the metadata said, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        leader: Option<i32>,
    },
    /// A group's committed offsets (OffsetFetch, from its coordinator).
    GroupOffsets { group: String },
    /// A group's state and members (DescribeGroups, from its coordinator).
    GroupMembers { group: String },
    /// A topic (its metadata).
    Topic { topic: String },
    /// A topic's configs (DescribeConfigs).
    TopicConfigs { topic: String },
    /// The groups reading a topic.
    TopicGroups { topic: String },
    /// One broker's list of groups (ListGroups is asked of every broker).
    GroupListing {
        #[serde(skip_serializing_if = "Option::is_none")]
        broker: Option<i32>,
    },
    /// A broker the answer needed.
    Broker { broker: i32 },
    /// Cluster-wide facts (DescribeCluster).
    Cluster,
}

impl Missing {
    /// The subject as a whole could not be read, for the reason `error` gives.
    pub fn new(subject: Subject, error: &crate::error::Error) -> Missing {
        let cause = error.to_string();
        Missing {
            message: format!("{subject}: {cause}"),
            subject,
            what: String::new(),
            reason: error.kind(),
            cause,
        }
    }

    /// Some offsets of one partition are unknown (`what`: `log end`, ...).
    pub fn partition(
        topic: &str,
        partition: i32,
        leader: Option<i32>,
        what: &str,
        reason: ErrorKind,
        cause: String,
    ) -> Missing {
        Missing {
            message: format!("{what} of {topic}/{partition} unknown: {cause}"),
            subject: Subject::Partition {
                topic: topic.to_string(),
                partition,
                leader,
            },
            what: what.to_string(),
            reason,
            cause,
        }
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Partition {
                topic, partition, ..
            } => write!(f, "{topic}/{partition}"),
            Subject::GroupOffsets { group } => write!(f, "offsets of group '{group}'"),
            Subject::GroupMembers { group } => write!(f, "members of group '{group}'"),
            Subject::Topic { topic } => write!(f, "topic '{topic}'"),
            Subject::TopicConfigs { topic } => write!(f, "configs of topic '{topic}'"),
            Subject::TopicGroups { topic } => write!(f, "groups reading topic '{topic}'"),
            Subject::GroupListing { broker: Some(b) } => write!(f, "groups listed by broker {b}"),
            Subject::GroupListing { broker: None } => write!(f, "the group listing"),
            Subject::Broker { broker } => write!(f, "broker {broker}"),
            Subject::Cluster => write!(f, "the cluster description"),
        }
    }
}

/// What is missing from an answer, as `complete` and `missing` fields (flattened into the
/// answer's JSON object). Empty means complete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gaps(pub Vec<Missing>);

impl Gaps {
    pub fn is_complete(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, m: Missing) {
        if !self.0.contains(&m) {
            self.0.push(m);
        }
    }

    pub fn extend(&mut self, ms: impl IntoIterator<Item = Missing>) {
        for m in ms {
            self.push(m);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Missing> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Partitions among the missing entries.
    pub fn partitions(&self) -> usize {
        self.0
            .iter()
            .filter(|m| matches!(m.subject, Subject::Partition { .. }))
            .count()
    }

    /// One line for a person: what is missing and why, grouped by reason, e.g.
    /// `log end unknown for orders/2, orders/5: leader 1 unavailable`. Empty when complete.
    pub fn summary(&self) -> String {
        summarize(&self.0)
    }
}

impl Serialize for Gaps {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("complete", &self.is_complete())?;
        m.serialize_entry("missing", &self.0)?;
        m.end()
    }
}

/// One line: entries with the same missing part and cause are listed together, up to a few
/// subjects each: `log end unknown for orders/2, orders/5: leader 1 did not answer`.
pub fn summarize(missing: &[Missing]) -> String {
    const SHOWN: usize = 4;
    let mut groups: Vec<((&str, &str), Vec<String>)> = Vec::new();
    for m in missing {
        let key = (m.what.as_str(), m.cause.as_str());
        let subject = m.subject.to_string();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, subjects)) => subjects.push(subject),
            None => groups.push((key, vec![subject])),
        }
    }
    groups
        .into_iter()
        .map(|((what, cause), subjects)| {
            let n = subjects.len();
            let mut shown: Vec<String> = subjects.into_iter().take(SHOWN).collect();
            if n > SHOWN {
                shown.push(format!("and {} more", n - SHOWN));
            }
            if what.is_empty() {
                format!("{}: {cause}", shown.join(", "))
            } else {
                format!("{what} unknown for {}: {cause}", shown.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A list of items and what the list itself lacks (items it could not learn about); each item
/// says what it lacks itself. In JSON: `{"complete": .., "missing": [..], "<items>": [..]}`.
#[derive(Debug, Clone, Default)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub gaps: Gaps,
}

impl<T> From<Vec<T>> for Listing<T> {
    /// A complete list.
    fn from(items: Vec<T>) -> Self {
        Listing {
            items,
            gaps: Gaps::default(),
        }
    }
}

impl<T> Listing<T> {
    /// Whether the list and every item in it are complete.
    pub fn is_complete(&self, item_gaps: impl Fn(&T) -> &Gaps) -> bool {
        self.gaps.is_complete() && self.items.iter().all(|i| item_gaps(i).is_complete())
    }
}
