//! Keys and values decoded through a schema (see `crate::schema`): compact JSON text and the
//! schema it was read with, or why it could not be read. Plain data for the record writers.

use serde::Serialize;

/// A schema's type as the registry names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SchemaKind {
    #[serde(rename = "AVRO")]
    Avro,
    #[serde(rename = "PROTOBUF")]
    Protobuf,
    #[serde(rename = "JSON")]
    JsonSchema,
}

impl SchemaKind {
    /// The name `--key-as`/`--value-as` and `*_encoding` in JSON output use.
    pub fn encoding_name(self) -> &'static str {
        match self {
            SchemaKind::Avro => "avro",
            SchemaKind::Protobuf => "protobuf",
            SchemaKind::JsonSchema => "json-schema",
        }
    }

    pub fn registry_name(self) -> &'static str {
        match self {
            SchemaKind::Avro => "AVRO",
            SchemaKind::Protobuf => "PROTOBUF",
            SchemaKind::JsonSchema => "JSON",
        }
    }
}

/// Where a decoded key or value's schema came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaMeta {
    /// The registry's id (none for a local schema file).
    pub id: Option<u32>,
    pub subject: Option<String>,
    pub version: Option<i32>,
    #[serde(rename = "type")]
    pub kind: SchemaKind,
    /// The Protobuf message read (full name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The local schema file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// One field's decoding, as the writers see it.
#[derive(Debug, Clone, Copy, Default)]
pub enum Decoded<'a> {
    /// No schema applies: shown with the plain encoding.
    #[default]
    Plain,
    /// Compact JSON text, and its schema.
    Json(&'a [u8], &'a SchemaMeta),
    /// A schema should apply but the bytes could not be read: shown raw, with the reason.
    Failed(&'a str),
}

/// The key's and the value's decoding of one record.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecodedRecord<'a> {
    pub key: Decoded<'a>,
    pub value: Decoded<'a>,
    /// Schema decoding is on for this tail: JSON output carries the schema fields.
    pub active: bool,
}
