//! Schema-aware keys and values: the Confluent wire format, a Schema Registry client with a
//! by-id cache, and Avro, Protobuf and JSON Schema decoding to JSON (and encoding for
//! `produce`). Local schema files work without a registry.
//!
//! Bad input is per record: [`Decoder::decode`] never fails the tail, it says why a record
//! could not be read, and the record is shown raw.

pub mod avro;
pub mod cache;
pub mod json_schema;
pub mod protobuf;
pub mod records;
pub mod registry;
pub mod wire;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::record::Encoding;
pub use crate::record::{SchemaKind, SchemaMeta};
use avro::Avro;
use cache::{CachedSchema, SchemaCache};
use json_schema::JsonSchema;
use protobuf::Proto;
use registry::{Reference, Registry, RegistryError};

/// A compiled schema of one of the three types.
#[derive(Debug)]
pub enum Compiled {
    Avro(Avro),
    Protobuf(Proto),
    Json(JsonSchema),
}

/// A compiled schema and where it came from.
#[derive(Debug)]
pub struct Schema {
    pub compiled: Compiled,
    pub meta: SchemaMeta,
    /// The schema text, for the console and `-o json` consumers who ask.
    pub text: String,
}

impl Schema {
    pub fn compile(
        kind: SchemaKind,
        text: &str,
        references: Vec<(String, String)>,
        meta: SchemaMeta,
    ) -> std::result::Result<Schema, String> {
        let compiled = match kind {
            SchemaKind::Avro => {
                let texts: Vec<String> = references.into_iter().map(|(_, t)| t).collect();
                Compiled::Avro(Avro::parse(text, &texts).map_err(|e| e.0)?)
            }
            SchemaKind::Protobuf => Compiled::Protobuf(
                Proto::from_registry(text, references.into_iter().collect()).map_err(|e| e.0)?,
            ),
            SchemaKind::JsonSchema => Compiled::Json(
                JsonSchema::parse(text, references.into_iter().collect()).map_err(|e| e.0)?,
            ),
        };
        Ok(Schema {
            compiled,
            meta,
            text: text.to_string(),
        })
    }

    /// Encodes one JSON value into the wire format (registry schemas) or the plain payload
    /// (local schemas); the error is the schema's complaint.
    pub fn encode(&self, v: &serde_json::Value) -> std::result::Result<Vec<u8>, String> {
        self.encode_message(v, None)
    }

    /// Like `encode`; for a Protobuf schema with several messages, `message` names the one
    /// to write (by default the local schema's, else the first of the file).
    pub fn encode_message(
        &self,
        v: &serde_json::Value,
        message: Option<&str>,
    ) -> std::result::Result<Vec<u8>, String> {
        let (mut out, payload) = match &self.compiled {
            Compiled::Avro(a) => (
                self.meta.id.map(|id| wire::header(id, None)),
                a.encode(v).map_err(|e| e.0)?,
            ),
            Compiled::Protobuf(p) => {
                let msg = match (p.local_message(), message) {
                    (Some(m), _) => m.clone(),
                    (None, Some(name)) => p
                        .message_named(name)
                        .ok_or_else(|| format!("no message '{name}' in the schema"))?,
                    (None, None) => p
                        .first_message()
                        .ok_or_else(|| "the schema has no message".to_string())?,
                };
                (
                    self.meta
                        .id
                        .map(|id| wire::header(id, Some(&Proto::indexes_of(&msg)))),
                    Proto::encode(&msg, v).map_err(|e| e.0)?,
                )
            }
            Compiled::Json(s) => {
                s.check(v).map_err(|e| e.0)?;
                (
                    self.meta.id.map(|id| wire::header(id, None)),
                    serde_json::to_vec(v).map_err(|e| e.to_string())?,
                )
            }
        };
        Ok(match out.as_mut() {
            Some(h) => {
                h.extend_from_slice(&payload);
                std::mem::take(h)
            }
            None => payload,
        })
    }
}

/// How a key or value is read: `--key-as`/`--value-as`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldAs {
    /// Bytes shown as they are (utf8, json, hex, base64, raw).
    Plain(Encoding),
    /// Through a schema of this type (`None`: `auto`, any type the registry names, and
    /// records not in the wire format shown as utf8).
    Schema(Option<SchemaKind>),
}

impl FromStr for FieldAs {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "avro" => Ok(FieldAs::Schema(Some(SchemaKind::Avro))),
            "protobuf" | "proto" => Ok(FieldAs::Schema(Some(SchemaKind::Protobuf))),
            "json-schema" | "jsonschema" => Ok(FieldAs::Schema(Some(SchemaKind::JsonSchema))),
            "auto" => Ok(FieldAs::Schema(None)),
            _ => s.parse::<Encoding>().map(FieldAs::Plain).map_err(|_| {
                Error::usage(format!(
                    "invalid encoding '{s}': expected utf8, json, hex, base64, raw, avro, protobuf, json-schema or auto"
                ))
            }),
        }
    }
}

impl FieldAs {
    /// The plain encoding for bytes no schema applies to (and for records shown raw).
    pub fn fallback(self) -> Encoding {
        match self {
            FieldAs::Plain(e) => e,
            FieldAs::Schema(_) => Encoding::Utf8,
        }
    }
}

/// Which part of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Key,
    Value,
}

impl Part {
    pub fn name(self) -> &'static str {
        match self {
            Part::Key => "key",
            Part::Value => "value",
        }
    }
}

/// What became of one field.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// No schema applies: show the bytes with the plain encoding.
    Plain,
    /// JSON was appended to the output buffer.
    Decoded(Arc<Schema>),
    /// Could not be read; the reason is short and names no secret.
    Failed(Arc<str>),
}

/// How long a registry that did not answer is left alone before it is asked again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

enum Entry {
    Ready(Arc<Schema>),
    Failed {
        reason: Arc<str>,
        retry_at: Option<Instant>,
    },
}

/// Schemas by id, fetched once per process from the registry (and, with a disk cache, read
/// from there when the registry does not answer).
pub struct Schemas {
    registry: Option<Registry>,
    by_id: HashMap<u32, Entry>,
    disk: Option<SchemaCache>,
}

impl Schemas {
    pub fn new(registry: Option<Registry>) -> Self {
        Schemas {
            registry,
            by_id: HashMap::new(),
            disk: None,
        }
    }

    /// Keeps every schema read on disk under `root` (`<data dir>/schema-cache`), for when the
    /// registry is down.
    pub fn with_disk_cache(mut self, root: Option<PathBuf>) -> Self {
        self.disk = match (&self.registry, root) {
            (Some(r), Some(root)) => Some(SchemaCache::new(root, r.url())),
            _ => None,
        };
        self
    }

    pub fn registry(&self) -> Option<&Registry> {
        self.registry.as_ref()
    }

    /// A schema already fetched (the per-record fast path).
    pub fn ready(&self, id: u32) -> Option<Arc<Schema>> {
        match self.by_id.get(&id) {
            Some(Entry::Ready(s)) => Some(s.clone()),
            _ => None,
        }
    }

    /// The schema with this id; `subject_hint` (`TOPIC-value`) picks the subject shown when
    /// several use the same schema.
    pub fn by_id(
        &mut self,
        id: u32,
        subject_hint: &str,
    ) -> std::result::Result<Arc<Schema>, Arc<str>> {
        if let Some(e) = self.by_id.get(&id) {
            match e {
                Entry::Ready(s) => return Ok(s.clone()),
                Entry::Failed { reason, retry_at } => match retry_at {
                    Some(at) if Instant::now() >= *at => {}
                    _ => return Err(reason.clone()),
                },
            }
        }
        let entry = match self.fetch(id, subject_hint) {
            Ok(s) => Entry::Ready(Arc::new(s)),
            Err((reason, transient)) => Entry::Failed {
                reason: reason.into(),
                retry_at: transient.then(|| Instant::now() + RETRY_AFTER),
            },
        };
        let r = match &entry {
            Entry::Ready(s) => Ok(s.clone()),
            Entry::Failed { reason, .. } => Err(reason.clone()),
        };
        self.by_id.insert(id, entry);
        r
    }

    fn fetch(&self, id: u32, subject_hint: &str) -> std::result::Result<Schema, (String, bool)> {
        let Some(reg) = &self.registry else {
            return Err((
                format!("schema id {id}: no schema registry configured (--schema-registry URL or schema_registry in the context)"),
                false,
            ));
        };
        let online = (|| {
            let raw = reg.schema_by_id(id)?;
            let references = self.references(&raw.references, 0)?;
            // Which subject and version this is: best effort (older registries cannot say).
            let (subject, version) = match reg.versions_of_id(id) {
                Ok(list) => list
                    .iter()
                    .find(|(s, _)| s == subject_hint)
                    .or_else(|| list.first())
                    .map_or((None, None), |(s, v)| (Some(s.clone()), Some(*v))),
                Err(_) => (None, None),
            };
            Ok::<_, RegistryError>(CachedSchema {
                id,
                kind: raw.kind.registry_name().to_string(),
                schema: raw.text,
                references,
                subject,
                version,
            })
        })();
        let found = match online {
            Ok(c) => {
                if let Some(disk) = &self.disk {
                    disk.put(&c);
                }
                c
            }
            Err(e) => match self.disk.as_ref().filter(|_| e.is_transient()) {
                Some(disk) => match disk.get(id) {
                    Some(c) => {
                        tracing::warn!("{e}: schema id {id} read from the on-disk cache");
                        c
                    }
                    None => return Err((e.to_string(), true)),
                },
                None => {
                    let t = e.is_transient();
                    return Err((e.to_string(), t));
                }
            },
        };
        let kind = found.kind().ok_or_else(|| {
            (
                format!("schema id {id}: unknown type {}", found.kind),
                false,
            )
        })?;
        let meta = SchemaMeta {
            id: Some(id),
            subject: found.subject,
            version: found.version,
            kind,
            message: None,
            file: None,
        };
        Schema::compile(kind, &found.schema, found.references, meta)
            .map_err(|e| (format!("schema id {id}: {e}"), false))
    }

    /// Every schema `refs` name, transitively: (name, text), dependencies first.
    fn references(
        &self,
        refs: &[Reference],
        depth: usize,
    ) -> std::result::Result<Vec<(String, String)>, RegistryError> {
        let Some(reg) = &self.registry else {
            return Ok(Vec::new());
        };
        if depth > 32 {
            return Err(RegistryError::Bad(
                "schema references nest more than 32 levels deep".into(),
            ));
        }
        let mut out: Vec<(String, String)> = Vec::new();
        let mut seen = HashSet::new();
        for r in refs {
            let v = reg.version(&r.subject, Some(r.version))?;
            for (n, t) in self.references(&v.schema.references, depth + 1)? {
                if seen.insert(n.clone()) {
                    out.push((n, t));
                }
            }
            if seen.insert(r.name.clone()) {
                out.push((r.name.clone(), v.schema.text));
            }
        }
        Ok(out)
    }

    /// A subject's version (`None`: latest), for `produce --value-schema SUBJECT[:VERSION]`.
    pub fn by_subject(&mut self, subject: &str, version: Option<i32>) -> Result<Arc<Schema>> {
        let reg = self.registry.as_ref().ok_or_else(|| {
            Error::usage(format!(
                "'{subject}' is not a schema file and no schema registry is configured (--schema-registry URL or schema_registry in the context)"
            ))
        })?;
        let v = reg
            .version(subject, version)
            .map_err(RegistryError::into_error)?;
        let references = self
            .references(&v.schema.references, 0)
            .map_err(RegistryError::into_error)?;
        let meta = SchemaMeta {
            id: Some(v.id),
            subject: Some(v.subject.clone()),
            version: Some(v.version),
            kind: v.schema.kind,
            message: None,
            file: None,
        };
        let s = Schema::compile(v.schema.kind, &v.schema.text, references, meta)
            .map_err(|e| Error::config(format!("subject '{subject}': {e}")))?;
        let s = Arc::new(s);
        self.by_id.insert(v.id, Entry::Ready(s.clone()));
        Ok(s)
    }
}

/// A local schema file: `.avsc` (Avro), `.json` (JSON Schema when it looks like one, Avro
/// otherwise), `.proto` or a descriptor set (with the message).
pub fn local_schema(
    path: &Path,
    proto_message: Option<&str>,
    includes: &[PathBuf],
) -> Result<Schema> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let file = Some(path.display().to_string());
    let bad = |e: String| Error::usage(format!("schema file {}: {e}", path.display()));
    if ext == "proto" || proto_message.is_some() && ext != "avsc" && ext != "json" {
        let msg = proto_message.ok_or_else(|| {
            Error::usage(format!(
                "{} is a Protobuf schema: name the message with --proto-message PKG.MESSAGE",
                path.display()
            ))
        })?;
        let p = Proto::from_local(path, includes, msg).map_err(|e| Error::usage(e.0))?;
        let message = p.local_message().map(|m| m.full_name().to_string());
        return Ok(Schema {
            compiled: Compiled::Protobuf(p),
            meta: SchemaMeta {
                id: None,
                subject: None,
                version: None,
                kind: SchemaKind::Protobuf,
                message,
                file,
            },
            text: String::new(),
        });
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("cannot read schema file {}: {e}", path.display())))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let is_json_schema = ext == "json"
        && (json.get("$schema").is_some()
            || json.get("properties").is_some()
            || json.get("$ref").is_some()
            || json.get("type").and_then(|t| t.as_str()) == Some("object"));
    let kind = if is_json_schema {
        SchemaKind::JsonSchema
    } else {
        SchemaKind::Avro
    };
    let meta = SchemaMeta {
        id: None,
        subject: None,
        version: None,
        kind,
        message: None,
        file,
    };
    Schema::compile(kind, &text, Vec::new(), meta).map_err(bad)
}

/// How one field is decoded in a tail.
#[derive(Debug, Clone)]
pub enum FieldDecoder {
    Plain,
    Registry(Option<SchemaKind>),
    Local(Arc<Schema>),
}

/// The decoders of one tail: key and value, and the schemas they share.
pub struct Decoder {
    pub schemas: Schemas,
    key: FieldDecoder,
    value: FieldDecoder,
    key_subject: String,
    value_subject: String,
}

impl Decoder {
    pub fn new(schemas: Schemas, topic: &str, key: FieldDecoder, value: FieldDecoder) -> Self {
        Decoder {
            schemas,
            key,
            value,
            key_subject: format!("{topic}-key"),
            value_subject: format!("{topic}-value"),
        }
    }

    /// Whether any field goes through a schema.
    pub fn is_active(&self) -> bool {
        !matches!(
            (&self.key, &self.value),
            (FieldDecoder::Plain, FieldDecoder::Plain)
        )
    }

    /// Decodes `bytes` as the key or the value, appending JSON to `out` when it can.
    pub fn decode(&mut self, part: Part, bytes: &[u8], out: &mut Vec<u8>) -> Outcome {
        let (mode, hint) = match part {
            Part::Key => (&self.key, &self.key_subject),
            Part::Value => (&self.value, &self.value_subject),
        };
        match mode {
            FieldDecoder::Plain => Outcome::Plain,
            FieldDecoder::Local(s) => {
                let s = s.clone();
                match decode_local(&s, bytes, out) {
                    Ok(()) => Outcome::Decoded(s),
                    Err(e) => Outcome::Failed(e.into()),
                }
            }
            FieldDecoder::Registry(want) => {
                let want = *want;
                // `auto`: text never starts with a NUL byte, so a record that does is taken for
                // the wire format (and a short one is reported as truncated).
                if want.is_none() && bytes.first() != Some(&wire::MAGIC) {
                    return Outcome::Plain;
                }
                let framed = match wire::parse(bytes) {
                    Ok(f) => f,
                    Err(e) => return Outcome::Failed(e.to_string().into()),
                };
                let schema = match self.schemas.ready(framed.id) {
                    Some(s) => s,
                    None => {
                        let hint = hint.clone();
                        match self.schemas.by_id(framed.id, &hint) {
                            Ok(s) => s,
                            Err(reason) => return Outcome::Failed(reason),
                        }
                    }
                };
                if let Some(w) = want {
                    if w != schema.meta.kind {
                        return Outcome::Failed(
                            format!(
                                "schema id {} is {}, not {} (--{}-as {})",
                                framed.id,
                                schema.meta.kind.registry_name(),
                                w.registry_name(),
                                part.name(),
                                w.encoding_name()
                            )
                            .into(),
                        );
                    }
                }
                match decode_framed(&schema, framed.rest, out) {
                    Ok(()) => Outcome::Decoded(schema),
                    Err(e) => Outcome::Failed(format!("schema id {}: {e}", framed.id).into()),
                }
            }
        }
    }
}

/// Decodes what follows the id in a framed record.
fn decode_framed(s: &Schema, rest: &[u8], out: &mut Vec<u8>) -> std::result::Result<(), String> {
    match &s.compiled {
        Compiled::Avro(a) => a.decode(rest, out).map_err(|e| e.0),
        Compiled::Protobuf(p) => {
            let (ix, payload) = wire::protobuf_indexes(rest).map_err(|e| e.to_string())?;
            let msg = p.message_at(&ix).map_err(|e| e.0)?;
            Proto::decode(&msg, payload, out).map_err(|e| e.0)
        }
        Compiled::Json(_) => JsonSchema::decode(rest, out).map_err(|e| e.0),
    }
}

/// A local schema reads the plain payload; a record in the wire format is read past its
/// header (producers that use a registry for some topics and not others).
fn decode_local(s: &Schema, bytes: &[u8], out: &mut Vec<u8>) -> std::result::Result<(), String> {
    match &s.compiled {
        Compiled::Avro(a) => match a.decode(bytes, out) {
            Ok(()) => Ok(()),
            Err(first) => match wire::parse(bytes) {
                Ok(f) => a.decode(f.rest, out).map_err(|_| first.0),
                Err(_) => Err(first.0),
            },
        },
        Compiled::Protobuf(p) => {
            let msg = p
                .local_message()
                .ok_or_else(|| "no message named".to_string())?;
            // A valid Protobuf message never starts with byte 0 (field number 0 is invalid).
            let payload = match wire::parse(bytes) {
                Ok(f) => wire::protobuf_indexes(f.rest)
                    .map(|(_, p)| p)
                    .map_err(|e| e.to_string())?,
                Err(_) => bytes,
            };
            Proto::decode(msg, payload, out).map_err(|e| e.0)
        }
        Compiled::Json(_) => {
            let payload = match wire::parse(bytes) {
                Ok(f) => f.rest,
                Err(_) => bytes,
            };
            JsonSchema::decode(payload, out).map_err(|e| e.0)
        }
    }
}

/// `SUBJECT[:VERSION]` (a version number or `latest`).
pub fn parse_subject_version(s: &str) -> Result<(String, Option<i32>)> {
    match s.rsplit_once(':') {
        Some((subject, "latest")) if !subject.is_empty() => Ok((subject.to_string(), None)),
        Some((subject, v))
            if !subject.is_empty() && v.chars().all(|c| c.is_ascii_digit()) && !v.is_empty() =>
        {
            let v = v.parse::<i32>().map_err(|_| {
                Error::usage(format!(
                    "invalid schema version in '{s}': expected a number or 'latest'"
                ))
            })?;
            Ok((subject.to_string(), Some(v)))
        }
        _ if s.is_empty() => Err(Error::usage(
            "empty schema: expected SUBJECT[:VERSION] or a schema file",
        )),
        _ => Ok((s.to_string(), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_as_parses() {
        assert_eq!(
            "avro".parse::<FieldAs>().unwrap(),
            FieldAs::Schema(Some(SchemaKind::Avro))
        );
        assert_eq!("auto".parse::<FieldAs>().unwrap(), FieldAs::Schema(None));
        assert_eq!(
            "hex".parse::<FieldAs>().unwrap(),
            FieldAs::Plain(Encoding::Hex)
        );
        let e = "xml".parse::<FieldAs>().unwrap_err().to_string();
        assert!(e.contains("'xml'") && e.contains("avro"), "{e}");
    }

    #[test]
    fn subject_versions() {
        assert_eq!(
            parse_subject_version("orders-value").unwrap(),
            ("orders-value".into(), None)
        );
        assert_eq!(
            parse_subject_version("orders-value:3").unwrap(),
            ("orders-value".into(), Some(3))
        );
        assert_eq!(
            parse_subject_version("orders-value:latest").unwrap(),
            ("orders-value".into(), None)
        );
        assert_eq!(parse_subject_version("a:b").unwrap(), ("a:b".into(), None));
        assert!(parse_subject_version("").is_err());
    }

    #[test]
    fn without_a_registry_every_framed_record_says_why() {
        let mut d = Decoder::new(
            Schemas::new(None),
            "t",
            FieldDecoder::Plain,
            FieldDecoder::Registry(None),
        );
        let mut out = Vec::new();
        assert!(matches!(
            d.decode(Part::Value, b"plain", &mut out),
            Outcome::Plain
        ));
        assert!(matches!(
            d.decode(Part::Key, &[0, 0, 0, 0, 1, 2], &mut out),
            Outcome::Plain
        ));
        match d.decode(Part::Value, &[0, 0, 0, 0, 1, 2], &mut out) {
            Outcome::Failed(r) => assert!(r.contains("no schema registry"), "{r}"),
            o => panic!("{o:?}"),
        }
        let mut d = Decoder::new(
            Schemas::new(None),
            "t",
            FieldDecoder::Plain,
            FieldDecoder::Registry(Some(SchemaKind::Avro)),
        );
        match d.decode(Part::Value, b"{}", &mut out) {
            Outcome::Failed(r) => assert!(r.contains("wire format"), "{r}"),
            o => panic!("{o:?}"),
        }
        assert!(out.is_empty());
    }
}
