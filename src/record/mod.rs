//! Records as kscope shows them: decoding keys and values, kcat-style format templates,
//! filters, JSON output and terminal-safe escaping. Pure code: no broker, no clock.

mod decoded;
mod filter;
mod json_line;
pub mod merge;
pub mod position;
pub mod sanitize;
mod template;

use std::borrow::Cow;
use std::io::{self, Write};
use std::str::FromStr;

use base64::Engine as _;
use serde::Serialize;

use crate::error::Error;
pub use decoded::{
    pretty_json, problem_class, Decoded, DecodedRecord, FieldDecoding, RecordDecoding, SchemaKind,
    SchemaMeta,
};
pub use filter::{Filter, FilterSet};
pub use position::StartPosition;
pub use template::Template;

/// How the timestamp of a record was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampKind {
    Create,
    LogAppend,
}

/// A record borrowed from the consumer (or owned by the console's buffer).
#[derive(Debug, Clone)]
pub struct RecordRef<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<(i64, TimestampKind)>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    /// Header names and values as the producer sent them: Kafka does not require names to be
    /// UTF-8, so they are bytes too (shown escaped, base64 in JSON when not UTF-8).
    pub headers: Vec<(&'a [u8], Option<&'a [u8]>)>,
}

/// A record copied out of the consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedRecord {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<(i64, TimestampKind)>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// The key and value read through a schema (the console's tail decodes on its reader
    /// thread); `None` when no schema applies.
    pub decoded: Option<Box<RecordDecoding>>,
}

impl OwnedRecord {
    pub fn from_ref(r: &RecordRef<'_>) -> Self {
        OwnedRecord {
            partition: r.partition,
            offset: r.offset,
            timestamp: r.timestamp,
            key: r.key.map(<[u8]>::to_vec),
            value: r.value.map(<[u8]>::to_vec),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
                .collect(),
            decoded: None,
        }
    }

    pub fn as_ref<'a>(&'a self, topic: &'a str) -> RecordRef<'a> {
        RecordRef {
            topic,
            partition: self.partition,
            offset: self.offset,
            timestamp: self.timestamp,
            key: self.key.as_deref(),
            value: self.value.as_deref(),
            headers: self
                .headers
                .iter()
                .map(|(k, v)| (k.as_slice(), v.as_deref()))
                .collect(),
        }
    }

    /// Approximate heap size, for the memory figure in the status line.
    pub fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.key.as_ref().map_or(0, Vec::len)
            + self.value.as_ref().map_or(0, Vec::len)
            + self
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len) + 48)
                .sum::<usize>()
            + self.decoded.as_ref().map_or(0, |d| {
                let f = |f: &Option<FieldDecoding>| match f {
                    Some(FieldDecoding::Json { text, .. }) => text.len() + 32,
                    Some(FieldDecoding::Failed(why)) => why.len() + 32,
                    None => 0,
                };
                std::mem::size_of::<RecordDecoding>() + f(&d.key) + f(&d.value)
            })
    }
}

/// How to show keys and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// Text; invalid UTF-8 bytes are shown as `\xNN` (or as base64 in JSON output).
    #[default]
    Utf8,
    /// JSON: compact in text output, embedded as JSON in JSON output; falls back to utf8.
    Json,
    Hex,
    Base64,
    /// The exact bytes into a pipe (escaped on a terminal; base64 in JSON output).
    Raw,
}

impl FromStr for Encoding {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "utf8" | "utf-8" | "string" => Ok(Encoding::Utf8),
            "json" => Ok(Encoding::Json),
            "hex" => Ok(Encoding::Hex),
            "base64" => Ok(Encoding::Base64),
            "raw" | "bytes" => Ok(Encoding::Raw),
            _ => Err(Error::usage(format!(
                "invalid encoding '{s}': expected utf8, json, hex, base64 or raw"
            ))),
        }
    }
}

/// Bytes as text for a line of output. On a terminal (`escape`), nothing dangerous survives.
pub fn show_bytes(bytes: &[u8], enc: Encoding, escape: bool) -> Cow<'_, [u8]> {
    match enc {
        Encoding::Hex => Cow::Owned(hex::encode(bytes).into_bytes()),
        Encoding::Base64 => Cow::Owned(
            base64::engine::general_purpose::STANDARD
                .encode(bytes)
                .into_bytes(),
        ),
        Encoding::Json => match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(v) => {
                let compact = v.to_string();
                if escape {
                    Cow::Owned(
                        sanitize::escape_json_for_terminal(&compact)
                            .into_owned()
                            .into_bytes(),
                    )
                } else {
                    Cow::Owned(compact.into_bytes())
                }
            }
            Err(_) => show_bytes(bytes, Encoding::Utf8, escape),
        },
        Encoding::Utf8 if escape => cow_str_bytes(sanitize::escape_bytes(bytes)),
        Encoding::Utf8 => cow_str_bytes(sanitize::utf8_or_escaped(bytes)),
        Encoding::Raw if escape => cow_str_bytes(sanitize::escape_bytes(bytes)),
        Encoding::Raw => Cow::Borrowed(bytes),
    }
}

fn cow_str_bytes(s: Cow<'_, str>) -> Cow<'_, [u8]> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.as_bytes()),
        Cow::Owned(o) => Cow::Owned(o.into_bytes()),
    }
}

/// A key, value or header in JSON output: the value and the encoding actually used, so that
/// nothing is lost when bytes are not what the chosen encoding expects.
pub fn json_bytes(
    bytes: Option<&[u8]>,
    enc: Encoding,
) -> (serde_json::Value, Option<&'static str>) {
    use serde_json::Value;
    let Some(bytes) = bytes else {
        return (Value::Null, None);
    };
    let b64 = |b: &[u8]| {
        (
            Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
            Some("base64"),
        )
    };
    match enc {
        Encoding::Hex => (Value::String(hex::encode(bytes)), Some("hex")),
        Encoding::Base64 | Encoding::Raw => b64(bytes),
        Encoding::Json => match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => (v, Some("json")),
            Err(_) => json_bytes(Some(bytes), Encoding::Utf8),
        },
        Encoding::Utf8 => match std::str::from_utf8(bytes) {
            Ok(s) => (Value::String(s.to_string()), Some("utf8")),
            Err(_) => b64(bytes),
        },
    }
}

/// One record in JSON output. Field names are documented in README.md.
pub fn record_json(r: &RecordRef<'_>, key_enc: Encoding, value_enc: Encoding) -> serde_json::Value {
    let (key, key_encoding) = json_bytes(r.key, key_enc);
    let (value, value_encoding) = json_bytes(r.value, value_enc);
    let headers: Vec<serde_json::Value> = r
        .headers
        .iter()
        .map(|(k, v)| {
            let (key, key_encoding) = json_bytes(Some(k), Encoding::Utf8);
            let (value, encoding) = json_bytes(*v, Encoding::Utf8);
            serde_json::json!({
                "key": key,
                "key_encoding": key_encoding,
                "value": value,
                "encoding": encoding,
            })
        })
        .collect();
    serde_json::json!({
        "topic": r.topic,
        "partition": r.partition,
        "offset": r.offset,
        "timestamp": r.timestamp.map(|t| t.0),
        "timestamp_type": r.timestamp.map(|t| t.1),
        "key": key,
        "key_encoding": key_encoding,
        "value": value,
        "value_encoding": value_encoding,
        "headers": headers,
    })
}

/// How records are written.
pub enum RecordWriter {
    Template(Template),
    Json { first: bool },
    JsonLines,
}

pub struct WriterOptions {
    pub key: Encoding,
    pub value: Encoding,
    /// Output goes to a terminal: escape everything dangerous.
    pub escape: bool,
}

impl RecordWriter {
    pub fn needs_headers(&self) -> bool {
        match self {
            RecordWriter::Template(t) => t.needs_headers(),
            _ => true,
        }
    }

    pub fn begin(&mut self, out: &mut impl Write) -> io::Result<()> {
        if let RecordWriter::Json { .. } = self {
            out.write_all(b"[")?;
        }
        Ok(())
    }

    pub fn write(
        &mut self,
        out: &mut impl Write,
        r: &RecordRef<'_>,
        opts: &WriterOptions,
    ) -> io::Result<()> {
        self.write_decoded(out, r, &DecodedRecord::default(), opts)
    }

    /// Writes a record whose key or value may have been decoded through a schema.
    pub fn write_decoded(
        &mut self,
        out: &mut impl Write,
        r: &RecordRef<'_>,
        d: &DecodedRecord<'_>,
        opts: &WriterOptions,
    ) -> io::Result<()> {
        match self {
            RecordWriter::Template(t) => t.write_decoded(out, r, d, opts),
            RecordWriter::Json { first } => {
                if !*first {
                    out.write_all(b",")?;
                }
                *first = false;
                out.write_all(b"\n")?;
                write_json(out, r, d, opts)
            }
            RecordWriter::JsonLines => {
                write_json(out, r, d, opts)?;
                out.write_all(b"\n")
            }
        }
    }

    pub fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        if let RecordWriter::Json { first } = self {
            out.write_all(if *first { b"]\n" } else { b"\n]\n" })?;
        }
        Ok(())
    }
}

thread_local! {
    /// The line being built, reused from record to record.
    static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn write_json(
    out: &mut impl Write,
    r: &RecordRef<'_>,
    d: &DecodedRecord<'_>,
    opts: &WriterOptions,
) -> io::Result<()> {
    LINE.with_borrow_mut(|line| {
        line.clear();
        json_line::write_record(line, r, d, opts.key, opts.value);
        if opts.escape {
            // Everything in the line came through serde_json or base64: valid UTF-8.
            let text = String::from_utf8_lossy(line);
            out.write_all(sanitize::escape_json_for_terminal(&text).as_bytes())
        } else {
            out.write_all(line)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec<'a>(value: &'a [u8]) -> RecordRef<'a> {
        RecordRef {
            topic: "t",
            partition: 1,
            offset: 7,
            timestamp: Some((1_700_000_000_123, TimestampKind::Create)),
            key: Some(b"k1"),
            value: Some(value),
            headers: vec![(b"h", Some(b"v")), (b"n", None), (b"\xff\xfe", Some(b""))],
        }
    }

    #[test]
    fn raw_into_a_pipe_is_exact() {
        let bytes = b"\x00\x1b[31m\xff";
        assert_eq!(&*show_bytes(bytes, Encoding::Raw, false), bytes);
        assert_eq!(
            &*show_bytes(bytes, Encoding::Raw, true),
            b"\\x00\\x1b[31m\\xff"
        );
    }

    #[test]
    fn encodings() {
        assert_eq!(&*show_bytes(b"\x01\xab", Encoding::Hex, false), b"01ab");
        assert_eq!(&*show_bytes(b"hi", Encoding::Base64, false), b"aGk=");
        assert_eq!(
            &*show_bytes(b"{ \"a\" : 1 }", Encoding::Json, false),
            b"{\"a\":1}"
        );
        assert_eq!(
            &*show_bytes(b"not json", Encoding::Json, false),
            b"not json"
        );
        assert!("nope".parse::<Encoding>().is_err());
    }

    #[test]
    fn json_output_never_loses_bytes() {
        let v = record_json(&rec(b"\xff\x00"), Encoding::Utf8, Encoding::Utf8);
        assert_eq!(v["value"], "/wA=");
        assert_eq!(v["value_encoding"], "base64");
        assert_eq!(v["key"], "k1");
        assert_eq!(v["timestamp_type"], "create");
        assert_eq!(v["headers"][1]["value"], serde_json::Value::Null);
        assert_eq!(v["headers"][0]["key"], "h");
        assert_eq!(v["headers"][0]["key_encoding"], "utf8");
        // A header name that is not UTF-8 survives, as base64.
        assert_eq!(v["headers"][2]["key"], "//4=");
        assert_eq!(v["headers"][2]["key_encoding"], "base64");
        assert_eq!(v["headers"][2]["value"], "");
        let v = record_json(&rec(b"{\"a\":[1,2]}"), Encoding::Utf8, Encoding::Json);
        assert_eq!(v["value"]["a"][1], 2);
        assert_eq!(v["value_encoding"], "json");
    }

    #[test]
    fn json_array_writer() {
        let opts = WriterOptions {
            key: Encoding::Utf8,
            value: Encoding::Utf8,
            escape: false,
        };
        let mut w = RecordWriter::Json { first: true };
        let mut out = Vec::new();
        w.begin(&mut out).unwrap();
        w.write(&mut out, &rec(b"a"), &opts).unwrap();
        w.write(&mut out, &rec(b"b"), &opts).unwrap();
        w.finish(&mut out).unwrap();
        let parsed: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
        assert_eq!(parsed.len(), 2);
        let mut empty = Vec::new();
        let mut w = RecordWriter::Json { first: true };
        w.begin(&mut empty).unwrap();
        w.finish(&mut empty).unwrap();
        assert_eq!(
            serde_json::from_slice::<Vec<serde_json::Value>>(&empty)
                .unwrap()
                .len(),
            0
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// The streaming JSON writer says exactly what `record_json` says.
            #[test]
            fn streaming_json_equals_the_value_form(
                key in proptest::option::of(prop::collection::vec(any::<u8>(), 0..12)),
                value in proptest::option::of(prop_oneof![
                    prop::collection::vec(any::<u8>(), 0..24),
                    "\\PC{0,12}".prop_map(String::into_bytes),
                    Just(b"{\"a\": [1, 2.5, \"x\"]}".to_vec()),
                ]),
                header in "\\PC{0,6}",
                header_value in proptest::option::of(prop::collection::vec(any::<u8>(), 0..8)),
                ts in proptest::option::of(any::<i64>()),
                enc in prop::sample::select(vec![Encoding::Utf8, Encoding::Json, Encoding::Hex, Encoding::Base64, Encoding::Raw]),
            ) {
                let r = RecordRef {
                    topic: "t\u{1b}",
                    partition: 3,
                    offset: -1,
                    timestamp: ts.map(|t| (t, TimestampKind::LogAppend)),
                    key: key.as_deref(),
                    value: value.as_deref(),
                    headers: vec![(header.as_bytes(), header_value.as_deref())],
                };
                let opts = WriterOptions { key: enc, value: enc, escape: false };
                let mut out = Vec::new();
                RecordWriter::JsonLines.write(&mut out, &r, &opts).unwrap();
                prop_assert_eq!(out.last(), Some(&b'\n'));
                let streamed: serde_json::Value = serde_json::from_slice(&out).unwrap();
                prop_assert_eq!(streamed, record_json(&r, enc, enc));
            }
        }
    }
}
