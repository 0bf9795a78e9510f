//! Protobuf: `.proto` sources are compiled in process by `protox` (no `protoc`), descriptor
//! sets and the base64 `FileDescriptorProto`s some serializers register are read as they are;
//! messages are decoded and encoded by `prost-reflect`, whose JSON mapping shows the
//! well-known types readably (Timestamp as RFC 3339, Duration as "1.5s", wrappers as plain
//! values) and 64-bit integers as strings, so nothing is rounded.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, FileDescriptor, MessageDescriptor};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

/// A compiled Protobuf schema: its file, and for local schemas the one message to read.
#[derive(Debug, Clone)]
pub struct Proto {
    file: FileDescriptor,
    /// Set for local schemas (`--proto-message`); registry records name theirs by index.
    message: Option<MessageDescriptor>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoError(pub String);

impl std::fmt::Display for ProtoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name a registry schema's own source is compiled under.
const MAIN: &str = "kscope-registry-schema.proto";

/// A registry schema's text as a file: `.proto` source, or a base64 `FileDescriptorProto`.
fn as_file(name: &str, text: &str) -> Result<File, protox::Error> {
    let t = text.trim();
    if !t.contains(char::is_whitespace) {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(t) {
            if let Ok(mut fd) = prost_types::FileDescriptorProto::decode(bytes.as_slice()) {
                if !fd.message_type.is_empty() || fd.name.is_some() {
                    fd.name = Some(name.to_string());
                    return Ok(File::from_file_descriptor_proto(fd));
                }
            }
        }
    }
    File::from_source(name, text)
}

struct InMemory(HashMap<String, String>);

impl FileResolver for InMemory {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.0.get(name) {
            Some(text) => as_file(name, text),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

fn first_line(e: impl std::fmt::Display) -> String {
    let s = e.to_string();
    s.lines().next().unwrap_or("").trim().to_string()
}

impl Proto {
    /// A registry schema with its references (import path -> schema text).
    pub fn from_registry(
        text: &str,
        references: HashMap<String, String>,
    ) -> Result<Proto, ProtoError> {
        let mut files = references;
        files.insert(MAIN.to_string(), text.to_string());
        let mut chain = ChainFileResolver::new();
        chain.add(InMemory(files));
        chain.add(GoogleFileResolver::new());
        let mut c = protox::Compiler::with_file_resolver(chain);
        c.include_imports(true);
        c.open_file(MAIN)
            .map_err(|e| ProtoError(format!("invalid Protobuf schema: {}", first_line(e))))?;
        let pool = c.descriptor_pool();
        let file = pool
            .get_file_by_name(MAIN)
            .ok_or_else(|| ProtoError("invalid Protobuf schema: no file".into()))?;
        Ok(Proto {
            file,
            message: None,
        })
    }

    /// A local `.proto` file (imports found beside it and in `includes`) or a binary
    /// descriptor set (`protoc -o`, `buf build -o`), with the message to read.
    pub fn from_local(
        path: &Path,
        includes: &[std::path::PathBuf],
        message: &str,
    ) -> Result<Proto, ProtoError> {
        let bytes = std::fs::read(path)
            .map_err(|e| ProtoError(format!("cannot read {}: {e}", path.display())))?;
        let is_source = path.extension().is_some_and(|e| e == "proto");
        let pool = if is_source {
            let mut dirs: Vec<std::path::PathBuf> = includes.to_vec();
            dirs.push(path.parent().map_or_else(|| ".".into(), Path::to_path_buf));
            let mut chain = ChainFileResolver::new();
            for d in &dirs {
                chain.add(protox::file::IncludeFileResolver::new(d.clone()));
            }
            chain.add(GoogleFileResolver::new());
            let mut c = protox::Compiler::with_file_resolver(chain);
            c.include_imports(true);
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            c.open_file(&name).map_err(|e| {
                ProtoError(format!(
                    "cannot compile {}: {}",
                    path.display(),
                    first_line(e)
                ))
            })?;
            c.descriptor_pool()
        } else {
            DescriptorPool::decode(bytes.as_slice()).map_err(|e| {
                ProtoError(format!(
                    "{} is neither a .proto file nor a descriptor set: {}",
                    path.display(),
                    first_line(e)
                ))
            })?
        };
        let msg = pool
            .get_message_by_name(message.trim_start_matches('.'))
            .ok_or_else(|| {
                let known: Vec<String> = pool
                    .all_messages()
                    .map(|m| m.full_name().to_string())
                    .filter(|n| !n.starts_with("google.protobuf."))
                    .take(20)
                    .collect();
                ProtoError(format!(
                    "no message '{message}' in {} (messages: {})",
                    path.display(),
                    known.join(", ")
                ))
            })?;
        Ok(Proto {
            file: msg.parent_file(),
            message: Some(msg),
        })
    }

    /// The message a record's index path names (empty: the first message of the file).
    pub fn message_at(&self, indexes: &[i32]) -> Result<MessageDescriptor, ProtoError> {
        let mut it = indexes.iter();
        let first = it.next().copied().unwrap_or(0);
        let mut msg = usize::try_from(first)
            .ok()
            .and_then(|i| self.file.messages().nth(i))
            .ok_or_else(|| ProtoError(format!("message index {first} is not in the schema")))?;
        for i in it {
            msg = usize::try_from(*i)
                .ok()
                .and_then(|i| msg.child_messages().nth(i))
                .ok_or_else(|| {
                    ProtoError(format!(
                        "nested message index {i} is not in {}",
                        msg.full_name()
                    ))
                })?;
        }
        Ok(msg)
    }

    /// The local schema's message, if one was named.
    pub fn local_message(&self) -> Option<&MessageDescriptor> {
        self.message.as_ref()
    }

    /// A message by its full name, in this schema's file or what it imports.
    pub fn message_named(&self, name: &str) -> Option<MessageDescriptor> {
        self.file
            .parent_pool()
            .get_message_by_name(name.trim_start_matches('.'))
    }

    /// The first message of the file (what a record without indexes means).
    pub fn first_message(&self) -> Option<MessageDescriptor> {
        self.file.messages().next()
    }

    /// Decodes a message into compact JSON, appended to `out`.
    pub fn decode(
        msg: &MessageDescriptor,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), ProtoError> {
        let m = DynamicMessage::decode(msg.clone(), payload).map_err(|e| {
            ProtoError(format!(
                "the payload is not a valid {}: {}",
                msg.full_name(),
                first_line(e)
            ))
        })?;
        let opts = prost_reflect::SerializeOptions::new()
            .use_proto_field_name(true)
            .skip_default_fields(false);
        let start = out.len();
        let mut ser = serde_json::Serializer::new(&mut *out);
        if let Err(e) = m.serialize_with_options(&mut ser, &opts) {
            out.truncate(start);
            return Err(ProtoError(format!(
                "cannot show {} as JSON: {e}",
                msg.full_name()
            )));
        }
        Ok(())
    }

    /// Encodes a JSON value (proto or JSON field names) as a message.
    pub fn encode(msg: &MessageDescriptor, v: &serde_json::Value) -> Result<Vec<u8>, ProtoError> {
        let opts = prost_reflect::DeserializeOptions::new().deny_unknown_fields(true);
        let m = DynamicMessage::deserialize_with_options(msg.clone(), v, &opts).map_err(|e| {
            ProtoError(format!(
                "does not fit {}: {}",
                msg.full_name(),
                first_line(e)
            ))
        })?;
        Ok(m.encode_to_vec())
    }

    /// The index path of a message in its file, as the wire format writes it.
    pub fn indexes_of(msg: &MessageDescriptor) -> Vec<i32> {
        // The descriptor path alternates field numbers (4 message_type, 3 nested_type) and
        // indexes.
        msg.path().iter().skip(1).step_by(2).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"
syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
message Order {
  int64 id = 1;
  google.protobuf.Timestamp at = 2;
  google.protobuf.StringValue note = 3;
  message Line { string sku = 1; int32 qty = 2; }
  repeated Line lines = 4;
  oneof pay { string card = 5; string cash = 6; }
  map<string, int32> attrs = 7;
}
message Other { string x = 1; }
"#;

    #[test]
    fn decode_and_encode_with_well_known_types() {
        let p = Proto::from_registry(SRC, HashMap::new()).unwrap();
        let order = p.message_at(&[]).unwrap();
        assert_eq!(order.full_name(), "shop.Order");
        assert_eq!(p.message_at(&[1]).unwrap().full_name(), "shop.Other");
        assert_eq!(
            p.message_at(&[0, 0]).unwrap().full_name(),
            "shop.Order.Line"
        );
        assert!(p.message_at(&[5]).is_err());
        let line = p.message_at(&[0, 0]).unwrap();
        assert_eq!(Proto::indexes_of(&line), vec![0, 0]);
        assert_eq!(Proto::indexes_of(&p.message_at(&[1]).unwrap()), vec![1]);
        let v = serde_json::json!({"id": "9007199254740993", "at": "2024-01-31T12:00:00.123Z",
            "note": "hi", "lines": [{"sku": "a", "qty": 2}], "card": "visa", "attrs": {"k": 1}});
        let bytes = Proto::encode(&order, &v).unwrap();
        let mut out = Vec::new();
        Proto::decode(&order, &bytes, &mut out).unwrap();
        let back: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(back["id"], "9007199254740993");
        assert_eq!(back["at"], "2024-01-31T12:00:00.123Z");
        assert_eq!(back["note"], "hi");
        assert_eq!(back["card"], "visa");
        assert_eq!(back["lines"][0]["qty"], 2);
        let e = Proto::encode(&order, &serde_json::json!({"nope": 1})).unwrap_err();
        assert!(e.0.contains("nope"), "{e}");
        assert!(Proto::decode(&order, &[0xff, 0xff], &mut Vec::new()).is_err());
    }

    #[test]
    fn references_and_descriptors() {
        let money = "syntax = \"proto3\"; package m; message Money { int64 cents = 1; }";
        let main = "syntax = \"proto3\"; import \"money.proto\"; message Pay { m.Money m = 1; }";
        let p = Proto::from_registry(
            main,
            HashMap::from([("money.proto".to_string(), money.to_string())]),
        )
        .unwrap();
        assert_eq!(p.message_at(&[]).unwrap().full_name(), "Pay");
        assert!(Proto::from_registry(main, HashMap::new()).is_err());
        // The base64 FileDescriptorProto form some serializers register.
        let c = {
            let mut c = protox::Compiler::with_file_resolver(InMemory(HashMap::from([(
                "x.proto".to_string(),
                "syntax = \"proto3\"; message X { string s = 1; }".to_string(),
            )])));
            c.open_file("x.proto").unwrap();
            c.file_descriptor_set()
        };
        let b64 = base64::engine::general_purpose::STANDARD.encode(c.file[0].encode_to_vec());
        let p = Proto::from_registry(&b64, HashMap::new()).unwrap();
        assert_eq!(p.message_at(&[]).unwrap().full_name(), "X");
    }
}
