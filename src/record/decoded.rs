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

/// A key or value decoded before it reached the console (on the tail's reader thread): the
/// compact JSON and its schema, or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldDecoding {
    Json {
        text: String,
        schema: std::sync::Arc<SchemaMeta>,
    },
    Failed(std::sync::Arc<str>),
}

impl FieldDecoding {
    pub fn as_decoded(&self) -> Decoded<'_> {
        match self {
            FieldDecoding::Json { text, schema } => Decoded::Json(text.as_bytes(), schema),
            FieldDecoding::Failed(why) => Decoded::Failed(why),
        }
    }

    /// The compact JSON, when it was decoded.
    pub fn json(&self) -> Option<&str> {
        match self {
            FieldDecoding::Json { text, .. } => Some(text),
            FieldDecoding::Failed(_) => None,
        }
    }
}

/// The key's and the value's decoding of an owned record (`None`: no schema applied).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordDecoding {
    pub key: Option<FieldDecoding>,
    pub value: Option<FieldDecoding>,
}

impl RecordDecoding {
    pub fn as_decoded(&self) -> DecodedRecord<'_> {
        fn f(d: &Option<FieldDecoding>) -> Decoded<'_> {
            d.as_ref().map_or(Decoded::Plain, FieldDecoding::as_decoded)
        }
        DecodedRecord {
            key: f(&self.key),
            value: f(&self.value),
            active: true,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.key.is_none() && self.value.is_none()
    }
}

/// A decode failure without the numbers that vary from record to record (lengths, offsets),
/// keeping `schema id N`: the first record of each class is reported, the rest counted.
pub fn problem_class(why: &str) -> String {
    let (head, rest) = match why.strip_prefix("schema id ") {
        Some(r) => {
            let n = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            (format!("schema id {}", &r[..n]), &r[n..])
        }
        None => (String::new(), why),
    };
    let mut out = head;
    let mut in_digits = false;
    for c in rest.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    out
}

/// Valid JSON (compact or not) re-indented by two spaces, keeping the order of its fields (a decoded
/// record's fields come in its schema's order, which `serde_json::Value` would sort).
pub fn pretty_json(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = compact.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    out.push(close);
                    chars.next();
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_keeps_the_field_order() {
        assert_eq!(
            pretty_json(r#"{"z":1,"a":[1,{"b":"x,\"}y"}],"e":{},"f":[]}"#),
            "{\n  \"z\": 1,\n  \"a\": [\n    1,\n    {\n      \"b\": \"x,\\\"}y\"\n    }\n  ],\n  \"e\": {},\n  \"f\": []\n}"
        );
        assert_eq!(pretty_json("\"s\""), "\"s\"");
    }

    #[test]
    fn problem_classes_keep_the_schema_id() {
        assert_eq!(
            problem_class("schema id 12: truncated: 30 bytes needed, 2 left"),
            "schema id 12: truncated: # bytes needed, # left"
        );
        assert_eq!(problem_class("truncated: 3 bytes"), "truncated: # bytes");
    }
}
