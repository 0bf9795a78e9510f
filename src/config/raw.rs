//! The file as written: `config.toml` parsed into structs that mirror it (all optional, unknown
//! keys rejected), read once. Errors name the file, line and column, and never quote a secret.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::keys::KeySpec;
use super::{
    default_config_path, is_sensitive_key, redact, RawAlert, RawMetrics, RawNotify, Secret,
    SecretSource,
};
use crate::error::{Error, Result};

/// The whole `config.toml`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub default_context: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, RawContext>,
    /// Settings of the interactive console.
    #[serde(default)]
    pub console: RawConsole,
    /// Key bindings: command name -> key or list of keys (see `kscope` help, `?`).
    #[serde(default)]
    pub keys: BTreeMap<String, KeySpec>,
    /// Alert rules for every context (`[[alerts]]`), layered over the compiled-in defaults.
    #[serde(default)]
    pub alerts: Vec<RawAlert>,
    /// How metrics are sampled and windowed (`[metrics]`).
    pub metrics: Option<RawMetrics>,
    /// The Prometheus exporter of `watch --listen` (`[exporter]`).
    #[serde(default)]
    pub exporter: RawExporter,
    /// Where `kscope watch` sends alert events (`[notify.NAME]`).
    #[serde(default)]
    pub notify: BTreeMap<String, RawNotify>,
}

/// `[exporter]` in config.toml.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExporter {
    /// Export per-partition series too (default true); false keeps only per-group series.
    pub per_partition: Option<bool>,
}

/// `[console]` in config.toml.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConsole {
    /// How often live panels refresh, e.g. "5s".
    pub refresh: Option<String>,
    /// Records the tail keeps.
    pub tail_buffer: Option<usize>,
    /// Group lag at or above which it shows as a warning, and as critical.
    pub lag_warn: Option<i64>,
    pub lag_crit: Option<i64>,
    /// The theme when the context names none.
    pub theme: Option<String>,
    /// Event-time windows of the tail: window size, how far the watermark trails the newest
    /// record, how long late records still count, and the gap that ends a key's session.
    pub tail_window: Option<String>,
    pub tail_max_delay: Option<String>,
    pub tail_lateness: Option<String>,
    pub tail_session_gap: Option<String>,
}

/// One named cluster in `config.toml`. `Debug` hides the values of sensitive properties.
#[derive(Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawContext {
    pub bootstrap: Option<String>,
    #[serde(default)]
    pub read_only: bool,
    /// librdkafka properties, as `-X` takes them.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// A Java client `.properties` file, as Kafka's own tools take it.
    pub command_config: Option<PathBuf>,
    /// Where `sasl.password` comes from: `{ env = "VAR" }`, `{ command = "..." }` or `{ value = "..." }`.
    pub password: Option<SecretSource>,
    /// The OIDC client id and secret (`sasl.oauthbearer.client.id` and `.client.secret`), from
    /// the same sources as `password`.
    pub client_id: Option<SecretSource>,
    pub client_secret: Option<SecretSource>,
    /// A shell command whose standard output is the OAUTHBEARER token (never logged).
    pub token_command: Option<String>,
    /// How long `token_command` may run (default 30s).
    pub token_timeout: Option<String>,
    /// The SASL mechanism: `AWS_MSK_IAM` signs tokens for Amazon MSK; any other is
    /// librdkafka's `sasl.mechanisms`.
    pub sasl_mechanism: Option<String>,
    /// AWS MSK IAM: the cluster's region, and optionally the profile and the role to assume.
    pub aws_region: Option<String>,
    pub aws_profile: Option<String>,
    pub aws_role_arn: Option<String>,
    pub aws_session_name: Option<String>,
    /// Groups to show on brokers that cannot list groups (or when ACLs forbid listing them).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Request timeout, e.g. "5s".
    pub timeout: Option<String>,
    /// Console theme for this context (used by the console).
    pub theme: Option<String>,
    /// Alert rules of this context: they override rules of the same name or add new ones.
    #[serde(default)]
    pub alerts: Vec<RawAlert>,
    /// Metrics settings of this context, over the top-level `[metrics]`.
    pub metrics: Option<RawMetrics>,
    /// The Schema Registry of this cluster (Confluent REST API), for Avro, Protobuf and JSON
    /// Schema records.
    pub schema_registry: Option<RawRegistry>,
}

/// `schema_registry = { url = "...", username = "...", password = { env = "VAR" }, token = {
/// command = "..." }, ca = "ca.pem" }` in a context.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegistry {
    pub url: String,
    pub username: Option<String>,
    pub password: Option<SecretSource>,
    /// A bearer token (sent instead of username and password).
    pub token: Option<SecretSource>,
    /// PEM file with the CA certificates to trust for an https URL.
    pub ca: Option<PathBuf>,
}

impl std::fmt::Debug for RawRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRegistry")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("token", &self.token)
            .field("ca", &self.ca)
            .finish()
    }
}

impl std::fmt::Debug for RawContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawContext")
            .field("bootstrap", &self.bootstrap)
            .field("read_only", &self.read_only)
            .field("properties", &RedactedMap(&self.properties))
            .field("command_config", &self.command_config)
            .field("password", &self.password)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field(
                "token_command",
                &self.token_command.as_ref().map(|_| "<redacted>"),
            )
            .field("token_timeout", &self.token_timeout)
            .field("sasl_mechanism", &self.sasl_mechanism)
            .field("aws_region", &self.aws_region)
            .field("aws_profile", &self.aws_profile)
            .field("aws_role_arn", &self.aws_role_arn)
            .field("aws_session_name", &self.aws_session_name)
            .field("groups", &self.groups)
            .field("timeout", &self.timeout)
            .field("theme", &self.theme)
            .field("alerts", &self.alerts)
            .field("metrics", &self.metrics)
            .field("schema_registry", &self.schema_registry)
            .finish()
    }
}

/// A property map in `Debug` with sensitive values hidden.
pub struct RedactedMap<'a>(pub &'a BTreeMap<String, String>);

impl std::fmt::Debug for RedactedMap<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k, Secret::new(k, v.clone()))))
            .finish()
    }
}

/// `-X key=value` arguments in `Debug` with sensitive values hidden.
pub struct RedactedProperties<'a>(pub &'a [String]);

impl std::fmt::Debug for RedactedProperties<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|kv| match kv.split_once('=') {
                Some((k, v)) => format!("{k}={}", Secret::new(k, v.to_string()).shown()),
                None if is_sensitive_key(kv) => "<redacted>".to_string(),
                None => kv.clone(),
            }))
            .finish()
    }
}

/// Reads and parses a config file. A missing file at the default path is an empty config;
/// a missing file the user named is an error.
pub fn load_config(path: Option<&Path>) -> Result<(RawConfig, Option<PathBuf>)> {
    let (path, explicit) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => match default_config_path() {
            Some(p) => (p, false),
            None => return Ok((RawConfig::default(), None)),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_config(&text, &path).map(|c| (c, Some(path))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            Ok((RawConfig::default(), None))
        }
        Err(e) => Err(Error::config(format!(
            "cannot read config file {}: {e}",
            path.display()
        ))),
    }
}

/// Parses config text; errors name the file, line and column in one line.
pub fn parse_config(text: &str, path: &Path) -> Result<RawConfig> {
    toml::from_str(text).map_err(|e| {
        let position = e
            .span()
            .map(|span| {
                let (line, col) = line_col(text, span.start);
                format!(":{line}:{col}")
            })
            .unwrap_or_default();
        // The parser quotes what it could not read, which may be a password.
        let message = redact::redact_parse_message(text, e.message().trim());
        Error::config(format!(
            "invalid config file {}{position}: {}",
            path.display(),
            message.replace('\n', " ")
        ))
    })
}

pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    // The offset comes from the parser; never slice inside a character because of it.
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
