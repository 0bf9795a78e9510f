//! One record as a JSON object, written straight into a byte buffer: the same fields and
//! values as [`super::record_json`], without building a `serde_json::Value` per record
//! (the `-o json/jsonl` hot path). A property test checks both agree.

use base64::Engine as _;

use super::{Decoded, DecodedRecord, Encoding, RecordRef};

fn string(buf: &mut Vec<u8>, s: &str) {
    // Most keys and values need no escape: one pass the compiler vectorizes (no early exit)
    // says so, and the bytes are copied as they are.
    let plain = !s.bytes().fold(false, |needs, b| {
        needs | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        buf.reserve(s.len() + 2);
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    } else {
        // serde_json's string escaping; writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *buf, s);
    }
}

fn base64(buf: &mut Vec<u8>, b: &[u8]) {
    buf.push(b'"');
    let start = buf.len();
    buf.resize(start + base64::encoded_len(b.len(), true).unwrap_or(0), 0);
    let n = base64::engine::general_purpose::STANDARD
        .encode_slice(b, &mut buf[start..])
        .unwrap_or(0);
    buf.truncate(start + n);
    buf.push(b'"');
}

/// Writes `bytes` as `enc` says and returns the encoding actually used.
pub(super) fn plain(buf: &mut Vec<u8>, bytes: Option<&[u8]>, enc: Encoding) -> &'static str {
    let Some(bytes) = bytes else {
        buf.extend_from_slice(b"null");
        return "";
    };
    match enc {
        Encoding::Hex => {
            buf.push(b'"');
            buf.extend_from_slice(hex::encode(bytes).as_bytes());
            buf.push(b'"');
            "hex"
        }
        Encoding::Base64 | Encoding::Raw => {
            base64(buf, bytes);
            "base64"
        }
        Encoding::Json => match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(v) => {
                let _ = serde_json::to_writer(&mut *buf, &v);
                "json"
            }
            Err(_) => plain(buf, Some(bytes), Encoding::Utf8),
        },
        Encoding::Utf8 => match std::str::from_utf8(bytes) {
            Ok(s) => {
                string(buf, s);
                "utf8"
            }
            Err(_) => {
                base64(buf, bytes);
                "base64"
            }
        },
    }
}

fn field(buf: &mut Vec<u8>, name: &str, bytes: Option<&[u8]>, enc: Encoding, d: &Decoded<'_>) {
    buf.push(b'"');
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\":");
    let used = match d {
        Decoded::Json(text, meta) if bytes.is_some() => {
            buf.extend_from_slice(text);
            meta.kind.encoding_name()
        }
        _ => plain(buf, bytes, enc),
    };
    buf.extend_from_slice(b",\"");
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"_encoding\":");
    if used.is_empty() {
        buf.extend_from_slice(b"null");
    } else {
        buf.push(b'"');
        buf.extend_from_slice(used.as_bytes());
        buf.push(b'"');
    }
}

fn schema_of(buf: &mut Vec<u8>, d: &Decoded<'_>) {
    match d {
        Decoded::Json(_, meta) => {
            let _ = serde_json::to_writer(&mut *buf, meta);
        }
        _ => buf.extend_from_slice(b"null"),
    }
}

/// Appends the record's JSON object (no line break) to `buf`.
pub fn write_record(
    buf: &mut Vec<u8>,
    r: &RecordRef<'_>,
    d: &DecodedRecord<'_>,
    key_enc: Encoding,
    value_enc: Encoding,
) {
    buf.extend_from_slice(b"{\"topic\":");
    string(buf, r.topic);
    let mut num = itoa::Buffer::new();
    buf.extend_from_slice(b",\"partition\":");
    buf.extend_from_slice(num.format(r.partition).as_bytes());
    buf.extend_from_slice(b",\"offset\":");
    buf.extend_from_slice(num.format(r.offset).as_bytes());
    match r.timestamp {
        Some((ms, kind)) => {
            buf.extend_from_slice(b",\"timestamp\":");
            buf.extend_from_slice(num.format(ms).as_bytes());
            buf.extend_from_slice(match kind {
                super::TimestampKind::Create => b",\"timestamp_type\":\"create\"",
                super::TimestampKind::LogAppend => b",\"timestamp_type\":\"log_append\"",
            });
        }
        None => buf.extend_from_slice(b",\"timestamp\":null,\"timestamp_type\":null"),
    }
    buf.push(b',');
    field(buf, "key", r.key, key_enc, &d.key);
    buf.push(b',');
    field(buf, "value", r.value, value_enc, &d.value);
    buf.extend_from_slice(b",\"headers\":[");
    for (i, (k, v)) in r.headers.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"key\":");
        let key_used = plain(buf, Some(k), Encoding::Utf8);
        buf.extend_from_slice(b",\"key_encoding\":");
        string(buf, key_used);
        buf.extend_from_slice(b",\"value\":");
        let used = plain(buf, *v, Encoding::Utf8);
        buf.extend_from_slice(b",\"encoding\":");
        if used.is_empty() {
            buf.extend_from_slice(b"null");
        } else {
            string(buf, used);
        }
        buf.push(b'}');
    }
    buf.push(b']');
    if d.active {
        buf.extend_from_slice(b",\"key_schema\":");
        schema_of(buf, &d.key);
        buf.extend_from_slice(b",\"value_schema\":");
        schema_of(buf, &d.value);
        buf.extend_from_slice(b",\"decode_error\":");
        let failed = |d: &Decoded<'_>| match d {
            Decoded::Failed(why) => Some(why.to_string()),
            _ => None,
        };
        match (failed(&d.key), failed(&d.value)) {
            (None, None) => buf.extend_from_slice(b"null"),
            (k, v) => {
                buf.push(b'{');
                if let Some(k) = &k {
                    buf.extend_from_slice(b"\"key\":");
                    string(buf, k);
                }
                if let Some(v) = &v {
                    if k.is_some() {
                        buf.push(b',');
                    }
                    buf.extend_from_slice(b"\"value\":");
                    string(buf, v);
                }
                buf.push(b'}');
            }
        }
    }
    buf.push(b'}');
}
