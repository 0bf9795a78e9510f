//! Schema Registry subjects as the console's `:subjects` screen shows them.

use serde::Serialize;

/// Most subjects whose versions the `:subjects` screen reads; the rest are listed by name.
pub const SUBJECTS_READ: usize = 500;

/// One version of a subject's schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectSchema {
    pub version: i32,
    pub id: u32,
    /// `AVRO`, `PROTOBUF` or `JSON`.
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
    /// The subjects and versions it references, as `NAME -> SUBJECT:VERSION`.
    pub references: Vec<String>,
}

/// A subject: its versions and its latest schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistrySubject {
    pub subject: String,
    /// Empty when they could not be read (`error` says why).
    pub versions: Vec<i32>,
    pub latest: Option<SubjectSchema>,
    pub error: Option<String>,
}

/// The registry's subjects, and how many of them could not be read in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectListing {
    /// The registry's URL, without credentials.
    pub registry: String,
    pub subjects: Vec<RegistrySubject>,
    /// Subjects listed without their versions: the time ran out, or there were too many.
    pub not_loaded: usize,
}

/// Most versions of one subject the versions screen reads (the newest); older ones are listed
/// by number.
pub const VERSIONS_READ: usize = 100;

/// One version of a subject on the versions screen: its schema, or why it is not there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectVersionRow {
    pub version: i32,
    /// `None` when it was not read (`error` says why, or the time ran out).
    pub schema: Option<SubjectSchema>,
    pub error: Option<String>,
}

/// Every version of one subject, as the console's versions screen shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectVersions {
    /// The registry's URL, without credentials.
    pub registry: String,
    pub subject: String,
    pub versions: Vec<SubjectVersionRow>,
    /// Versions listed without their schema: the time ran out, or there were too many.
    pub not_loaded: usize,
}
