//! Options shared by `tail` and `produce` for schema-aware keys and values.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use crate::config::{ConnectionSettings, RegistrySettings};
use crate::error::{Error, Result};
use crate::schema::registry::Registry;
use crate::schema::{
    local_schema, parse_subject_version, Decoder, FieldAs, FieldDecoder, Schema, Schemas,
};

#[derive(Debug, Clone, Default, Args)]
pub struct SchemaArgs {
    /// Schema Registry URL (Confluent REST API), instead of the context's schema_registry (no credentials are sent to it)
    #[arg(long, env = "KSCOPE_SCHEMA_REGISTRY", value_name = "URL")]
    pub schema_registry: Option<String>,
    /// The value's schema: a file (.avsc, .json, .proto, descriptor set) or a registry SUBJECT[:VERSION]
    #[arg(long, value_name = "SCHEMA")]
    pub value_schema: Option<String>,
    /// The key's schema: a file (.avsc, .json, .proto, descriptor set) or a registry SUBJECT[:VERSION]
    #[arg(long, value_name = "SCHEMA")]
    pub key_schema: Option<String>,
    /// A Protobuf .proto file or descriptor set for the value (same as --value-schema FILE)
    #[arg(long, value_name = "FILE", conflicts_with = "value_schema")]
    pub proto: Option<PathBuf>,
    /// The Protobuf message of a local .proto file or descriptor set, e.g. shop.Order
    #[arg(long, value_name = "PKG.MESSAGE")]
    pub proto_message: Option<String>,
    /// Where imports of a local .proto file are found (repeatable; its own folder is searched too)
    #[arg(long = "proto-include", value_name = "DIR")]
    pub proto_include: Vec<PathBuf>,
}

impl SchemaArgs {
    /// The registry to use: the command line's, else the context's.
    pub fn registry(&self, settings: &ConnectionSettings) -> Result<Option<Registry>> {
        let s = match &self.schema_registry {
            Some(url) => Some(RegistrySettings::url(url.clone())),
            None => settings.schema_registry.clone(),
        };
        let timeout = settings.timeout.min(std::time::Duration::from_secs(10));
        s.map(|s| Registry::new(&s, timeout)).transpose()
    }

    fn value_spec(&self) -> Option<String> {
        self.value_schema
            .clone()
            .or_else(|| self.proto.as_ref().map(|p| p.display().to_string()))
    }

    /// A schema named by `--key-schema`/`--value-schema`: a file if one exists there,
    /// otherwise a registry subject.
    pub fn resolve(&self, spec: &str, schemas: &mut Schemas) -> Result<Arc<Schema>> {
        let path = Path::new(spec);
        let looks_like_file = path.exists()
            || ["avsc", "proto", "json", "desc", "pb", "binpb"]
                .iter()
                .any(|e| path.extension().is_some_and(|x| x == *e));
        if looks_like_file {
            return local_schema(path, self.proto_message.as_deref(), &self.proto_include)
                .map(Arc::new);
        }
        let (subject, version) = parse_subject_version(spec)?;
        schemas.by_subject(&subject, version)
    }

    /// The decoders of a tail of `topic`, and how each field is shown where no schema applies.
    pub fn decoder(
        &self,
        settings: &ConnectionSettings,
        topic: &str,
        key_as: Option<FieldAs>,
        value_as: Option<FieldAs>,
    ) -> Result<(FieldAs, FieldAs, Option<Decoder>)> {
        let registry = self.registry(settings)?;
        let has_registry = registry.is_some();
        let mut schemas = Schemas::new(registry).with_disk_cache(
            crate::config::data_dir()
                .ok()
                .map(|d| d.join(crate::schema::cache::FOLDER)),
        );
        let default = if has_registry {
            FieldAs::Schema(None)
        } else {
            FieldAs::Plain(crate::record::Encoding::Utf8)
        };
        let mut field = |what: &str,
                         spec: Option<String>,
                         chosen: Option<FieldAs>|
         -> Result<(FieldAs, FieldDecoder)> {
            if let Some(spec) = spec {
                if let Some(FieldAs::Plain(_)) = chosen {
                    return Err(Error::usage(format!(
                        "--{what}-schema reads the {what} through a schema; drop --{what}-as or set it to auto"
                    )));
                }
                let s = self.resolve(&spec, &mut schemas)?;
                return Ok((FieldAs::Schema(Some(s.meta.kind)), FieldDecoder::Local(s)));
            }
            let chosen = chosen.unwrap_or(default);
            match chosen {
                FieldAs::Plain(_) => Ok((chosen, FieldDecoder::Plain)),
                FieldAs::Schema(kind) if has_registry => Ok((chosen, FieldDecoder::Registry(kind))),
                FieldAs::Schema(_) => Err(Error::usage(format!(
                    "--{what}-as {} needs a schema registry (--schema-registry URL, or schema_registry in the context) or a schema file (--{what}-schema FILE)",
                    match chosen {
                        FieldAs::Schema(Some(k)) => k.encoding_name(),
                        _ => "auto",
                    }
                ))),
            }
        };
        let (key_as, key) = field("key", self.key_schema.clone(), key_as)?;
        let (value_as, value) = field("value", self.value_spec(), value_as)?;
        let decoder = Decoder::new(schemas, topic, key, value);
        Ok((key_as, value_as, decoder.is_active().then_some(decoder)))
    }
}
