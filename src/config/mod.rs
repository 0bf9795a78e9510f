//! Where a connection's settings come from, resolved in one place.
//!
//! Precedence, lowest first: the context in `config.toml` (with its `command_config` file), the
//! `--command-config` file, `KSCOPE_SASL_*` environment variables, `-X key=value`, and `-b`.
//! The raw file structs mirror the TOML (unknown keys rejected); `ConnectionSettings` is the
//! resolved result the client layer takes.

mod alerts;
mod java;
mod redact;
mod secret;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};
pub use alerts::{alert_rules, metrics_config, RawAlert, RawMetrics};
pub use java::java_properties_to_librdkafka;
pub use secret::{is_sensitive_key, Secret, SecretSource};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The request timeouts librdkafka takes (its `socket.timeout.ms` range).
pub const TIMEOUT_RANGE: (Duration, Duration) =
    (Duration::from_millis(10), Duration::from_secs(300));

/// A timeout within [`TIMEOUT_RANGE`], or why not.
pub fn check_timeout(d: Duration) -> std::result::Result<Duration, String> {
    if (TIMEOUT_RANGE.0..=TIMEOUT_RANGE.1).contains(&d) {
        Ok(d)
    } else {
        Err("is outside the timeouts kscope can use: expected 10ms to 5m".to_string())
    }
}

/// The whole `config.toml`.
#[derive(Debug, Default, Deserialize)]
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
    pub keys: BTreeMap<String, crate::app::keymap::KeySpec>,
    /// Alert rules for every context (`[[alerts]]`), layered over the compiled-in defaults.
    #[serde(default)]
    pub alerts: Vec<RawAlert>,
    /// How metrics are sampled and windowed (`[metrics]`).
    pub metrics: Option<RawMetrics>,
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

/// A resolved Schema Registry connection; secrets are redacted in `Debug`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrySettings {
    pub url: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub token: Option<Secret>,
    pub ca: Option<PathBuf>,
}

impl RegistrySettings {
    /// A registry named on the command line: the URL alone, no credentials from any context.
    pub fn url(url: impl Into<String>) -> Self {
        RegistrySettings {
            url: url.into(),
            ..Default::default()
        }
    }
}

impl RawRegistry {
    fn resolve(&self, context: &str) -> Result<RegistrySettings> {
        Ok(RegistrySettings {
            url: self.url.clone(),
            username: self.username.clone(),
            password: match &self.password {
                Some(s) => Some(Secret::new("password", s.resolve(context)?)),
                None => None,
            },
            token: match &self.token {
                Some(s) => Some(Secret::new("token", s.resolve(context)?)),
                None => None,
            },
            ca: self.ca.clone(),
        })
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

/// Connection options from the command line (and their `KSCOPE_*` environment variables).
/// `Debug` hides the values of sensitive `-X` properties.
#[derive(Default, Clone)]
pub struct ConnectOptions {
    pub bootstrap: Option<String>,
    pub context: Option<String>,
    pub config_file: Option<PathBuf>,
    pub properties: Vec<String>,
    pub command_config: Option<PathBuf>,
    pub read_only: bool,
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("bootstrap", &self.bootstrap)
            .field("context", &self.context)
            .field("config_file", &self.config_file)
            .field("properties", &RedactedProperties(&self.properties))
            .field("command_config", &self.command_config)
            .field("read_only", &self.read_only)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Everything the client layer needs to connect, with secrets kept out of `Debug`.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// The context's name, or `None` for an ad-hoc `-b` connection.
    pub context: Option<String>,
    pub bootstrap: String,
    /// librdkafka properties other than `bootstrap.servers`; sensitive values are redacted in Debug.
    pub properties: BTreeMap<String, Secret>,
    pub read_only: bool,
    pub timeout: Duration,
    pub known_groups: Vec<String>,
    pub theme: Option<String>,
    /// The context's Schema Registry, if it names one.
    pub schema_registry: Option<RegistrySettings>,
}

impl ConnectionSettings {
    /// Settings for a plain, unauthenticated bootstrap (tests, the demo).
    pub fn plain(bootstrap: impl Into<String>) -> Self {
        ConnectionSettings {
            context: None,
            bootstrap: bootstrap.into(),
            properties: BTreeMap::new(),
            read_only: false,
            timeout: DEFAULT_TIMEOUT,
            known_groups: Vec::new(),
            theme: None,
            schema_registry: None,
        }
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.properties
            .insert(key.to_string(), Secret::new(key, value.into()));
    }

    /// A short description for messages: the context name or the bootstrap list.
    pub fn describe(&self) -> String {
        match &self.context {
            Some(c) => format!("context '{c}' ({})", self.bootstrap),
            None => format!("'{}'", self.bootstrap),
        }
    }
}

/// Platform paths: `~/.config/kscope`, `~/.local/share/kscope` on Linux.
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "kscope")
}

pub fn default_config_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// Where undo files, the audit log and the console log go. `KSCOPE_DATA_DIR` overrides it.
pub fn data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("KSCOPE_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    project_dirs()
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| {
            Error::config("cannot find a home directory for kscope's data; set KSCOPE_DATA_DIR")
        })
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

fn line_col(text: &str, offset: usize) -> (usize, usize) {
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

/// Resolves command-line options, the environment and the config file into connection
/// settings.
pub fn resolve(opts: &ConnectOptions, config: &RawConfig) -> Result<ConnectionSettings> {
    resolve_with_env(opts, config, &|k| std::env::var(k).ok())
}

/// [`resolve`] with the environment as a lookup (tests give their own).
pub fn resolve_with_env(
    opts: &ConnectOptions,
    config: &RawConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ConnectionSettings> {
    let context_name = opts.context.clone().or_else(|| match opts.bootstrap {
        // An explicit -b means an ad-hoc connection, unless a context is also named.
        Some(_) => None,
        None => config.default_context.clone(),
    });
    let context = match &context_name {
        Some(name) => find_context(config, name)?,
        None => RawContext::default(),
    };
    let (mut bootstrap, mut props) = context_connection(context_name.as_deref(), &context)?;

    // What the command line and the environment add belongs to the cluster named there only
    // (`:ctx` in the console does not carry it to another context: see `resolve_context`).
    if let Some(file) = &opts.command_config {
        let (file_bootstrap, file_props) = read_command_config(file)?;
        if file_bootstrap.is_some() {
            bootstrap = file_bootstrap;
        }
        props.extend(file_props);
    }
    if let Some(user) = env("KSCOPE_SASL_USERNAME") {
        props.insert("sasl.username".into(), user);
    }
    if let Some(password) = env("KSCOPE_SASL_PASSWORD") {
        props.insert("sasl.password".into(), password);
    }
    for kv in &opts.properties {
        let (k, v) = parse_property(kv)?;
        props.insert(k, v);
    }
    if let Some(b) = props.remove("bootstrap.servers") {
        bootstrap = Some(b);
    }
    if let Some(b) = &opts.bootstrap {
        bootstrap = Some(b.clone());
    }
    let carried = CarriedOptions {
        read_only: opts.read_only,
        timeout: opts.timeout,
    };
    settings(context_name, &context, bootstrap, props, carried)
}

/// What switching context in the console (`:ctx NAME`) keeps from the command line: only what
/// neither says where to connect nor how to authenticate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CarriedOptions {
    /// `--read-only` only ever takes rights away, so it stays.
    pub read_only: bool,
    pub timeout: Option<Duration>,
}

impl ConnectOptions {
    pub fn carried(&self) -> CarriedOptions {
        CarriedOptions {
            read_only: self.read_only,
            timeout: self.timeout,
        }
    }
}

/// Resolves a context from the config file alone, plus `carried`: no `-b`, `-X`,
/// `--command-config` or `KSCOPE_SASL_*`, which were given for another cluster.
pub fn resolve_context(
    name: &str,
    carried: CarriedOptions,
    config: &RawConfig,
) -> Result<ConnectionSettings> {
    let context = find_context(config, name)?;
    let (bootstrap, props) = context_connection(Some(name), &context)?;
    settings(Some(name.to_string()), &context, bootstrap, props, carried)
}

fn find_context(config: &RawConfig, name: &str) -> Result<RawContext> {
    config.contexts.get(name).cloned().ok_or_else(|| {
        let known: Vec<&str> = config.contexts.keys().map(String::as_str).collect();
        Error::config(format!(
            "unknown context '{name}'; known contexts: {}",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ))
    })
}

/// A context's own bootstrap and properties: its `properties`, its `command_config` file, then
/// its `password`.
fn context_connection(
    name: Option<&str>,
    context: &RawContext,
) -> Result<(Option<String>, BTreeMap<String, String>)> {
    let mut bootstrap = context.bootstrap.clone();
    let mut props = context.properties.clone();
    if let Some(file) = &context.command_config {
        let (file_bootstrap, file_props) = read_command_config(file)?;
        if file_bootstrap.is_some() {
            bootstrap = file_bootstrap;
        }
        props.extend(file_props);
    }
    if let Some(source) = &context.password {
        props.insert("sasl.password".into(), source.resolve(name.unwrap_or("?"))?);
    }
    Ok((bootstrap, props))
}

fn settings(
    context_name: Option<String>,
    context: &RawContext,
    bootstrap: Option<String>,
    props: BTreeMap<String, String>,
    carried: CarriedOptions,
) -> Result<ConnectionSettings> {
    let bootstrap = bootstrap.filter(|b| !b.trim().is_empty()).ok_or_else(|| {
        Error::config(
            "no bootstrap servers: pass -b HOST:PORT, --context NAME, or set default_context in config.toml"
                .to_string(),
        )
    })?;

    let timeout = match (&carried.timeout, &context.timeout) {
        (Some(t), _) => *t,
        (None, Some(t)) => humantime::parse_duration(t)
            .map_err(|e| e.to_string())
            .and_then(check_timeout)
            .map_err(|e| {
                Error::config(format!(
                    "invalid timeout '{t}' in context: {e} (e.g. \"5s\")"
                ))
            })?,
        (None, None) => DEFAULT_TIMEOUT,
    };

    let schema_registry = match &context.schema_registry {
        Some(r) => Some(r.resolve(context_name.as_deref().unwrap_or("?"))?),
        None => None,
    };
    Ok(ConnectionSettings {
        context: context_name,
        bootstrap,
        properties: props
            .into_iter()
            .map(|(k, v)| {
                let s = Secret::new(&k, v);
                (k, s)
            })
            .collect(),
        read_only: carried.read_only || context.read_only,
        timeout,
        known_groups: context.groups.clone(),
        theme: context.theme.clone(),
        schema_registry,
    })
}

/// Parses one `-X key=value`.
pub fn parse_property(kv: &str) -> Result<(String, String)> {
    match kv.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(Error::usage(format!(
            "invalid property '{}': expected key=value, e.g. -X security.protocol=SSL",
            if is_sensitive_key(kv) {
                "<redacted>"
            } else {
                kv
            }
        ))),
    }
}

fn read_command_config(path: &Path) -> Result<(Option<String>, BTreeMap<String, String>)> {
    let file = std::fs::File::open(path).map_err(|e| {
        Error::config(format!(
            "cannot read command config {}: {e}",
            path.display()
        ))
    })?;
    parse_command_config(std::io::BufReader::new(file), path)
}

/// Parses a Java `.properties` file (named `path` in messages) into the bootstrap servers and
/// librdkafka properties.
pub fn parse_command_config(
    reader: impl std::io::Read,
    path: &Path,
) -> Result<(Option<String>, BTreeMap<String, String>)> {
    let java = java_properties::read(reader)
        .map_err(|e| Error::config(format!("invalid properties file {}: {e}", path.display())))?;
    java_properties_to_librdkafka(java)
        .map_err(|e| Error::config(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> RawConfig {
        parse_config(text, Path::new("config.toml")).expect("valid config")
    }

    #[test]
    fn schema_registry_in_a_context_keeps_its_secrets() {
        let c = cfg("[contexts.p]\nbootstrap = \"p:1\"\n[contexts.p.schema_registry]\nurl = \"https://reg:8081\"\nusername = \"ops\"\npassword = { value = \"s3cret\" }\ntoken = { command = \"printf t0ken\" }\nca = \"/ca.pem\"\n");
        let opts = ConnectOptions {
            context: Some("p".into()),
            ..Default::default()
        };
        let s = resolve(&opts, &c).unwrap();
        let r = s.schema_registry.clone().unwrap();
        assert_eq!(r.url, "https://reg:8081");
        assert_eq!(r.username.as_deref(), Some("ops"));
        assert_eq!(r.password.as_ref().unwrap().expose(), "s3cret");
        assert_eq!(r.token.as_ref().unwrap().expose(), "t0ken");
        assert_eq!(r.ca.as_deref(), Some(Path::new("/ca.pem")));
        let shown = format!("{s:?} {:?}", c.contexts["p"]);
        assert!(
            !shown.contains("s3cret") && !shown.contains("t0ken") && !shown.contains("printf"),
            "{shown}"
        );
        let e = parse_config(
            "[contexts.p.schema_registry]\nurl = \"x\"\npasword = 1\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("pasword"), "{e}");
    }

    #[test]
    fn bootstrap_flag_wins_over_default_context() {
        let c = cfg("default_context = \"prod\"\n[contexts.prod]\nbootstrap = \"prod:9092\"\nread_only = true\n");
        let opts = ConnectOptions {
            bootstrap: Some("localhost:9092".into()),
            ..Default::default()
        };
        let s = resolve(&opts, &c).unwrap();
        assert_eq!(s.bootstrap, "localhost:9092");
        assert!(
            !s.read_only,
            "an ad-hoc -b does not inherit the default context"
        );

        let s = resolve(&ConnectOptions::default(), &c).unwrap();
        assert_eq!(s.bootstrap, "prod:9092");
        assert!(s.read_only);
        assert_eq!(s.context.as_deref(), Some("prod"));
    }

    #[test]
    fn x_properties_override_context_properties() {
        let c = cfg("[contexts.a]\nbootstrap = \"a:1\"\ntimeout = \"3s\"\ngroups = [\"g1\"]\n[contexts.a.properties]\n\"security.protocol\" = \"SSL\"\n\"client.id\" = \"ctx\"\n");
        let opts = ConnectOptions {
            context: Some("a".into()),
            properties: vec!["client.id=cli".into()],
            ..Default::default()
        };
        let s = resolve(&opts, &c).unwrap();
        assert_eq!(s.properties["client.id"].expose(), "cli");
        assert_eq!(s.properties["security.protocol"].expose(), "SSL");
        assert_eq!(s.timeout, Duration::from_secs(3));
        assert_eq!(s.known_groups, vec!["g1".to_string()]);
    }

    #[test]
    fn unknown_context_names_the_known_ones() {
        let c = cfg("[contexts.a]\nbootstrap = \"a:1\"\n");
        let opts = ConnectOptions {
            context: Some("b".into()),
            ..Default::default()
        };
        let e = resolve(&opts, &c).unwrap_err().to_string();
        assert_eq!(e, "unknown context 'b'; known contexts: a");
    }

    #[test]
    fn missing_bootstrap_is_a_config_error() {
        let e = resolve(&ConnectOptions::default(), &RawConfig::default()).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
    }

    #[test]
    fn config_errors_name_file_and_line() {
        let e = parse_config("[contexts.a]\nbootstrap = 1\n", Path::new("/x/config.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid config file /x/config.toml:2:"),
            "{e}"
        );
        assert!(!e.contains('\n'));
        let e = parse_config("[contexts.a]\nbootstrapp = \"x\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bootstrapp"), "{e}");
    }

    #[test]
    fn property_needs_key_and_value() {
        assert_eq!(
            parse_property("a.b=c=d").unwrap(),
            ("a.b".to_string(), "c=d".to_string())
        );
        assert!(parse_property("novalue").is_err());
        assert!(parse_property("=x").is_err());
    }

    /// Whatever shape the mistake has, a parse error never quotes a password, and still names
    /// the file and line.
    #[test]
    fn parse_errors_never_show_a_secret() {
        let cases: &[(&str, usize)] = &[
            // A bare string where a source is expected: toml says "unknown variant `hunter2`".
            ("[contexts.a]\npassword = \"hunter2\"\n", 2),
            // Bad type.
            ("[contexts.a]\npassword = { value = 1234567890 }\n", 2),
            ("[contexts.a.properties]\n\"sasl.password\" = 1234567890\n", 2),
            ("[contexts.a.password]\nvalue = 1234567890\n", 2),
            ("[contexts.a]\npassword = [\"hunter2\"]\n", 2),
            // Duplicate key.
            (
                "[contexts.a]\npassword = { value = \"hunter2\" }\npassword = { value = \"hunter2\" }\n",
                3,
            ),
            (
                "[contexts.a.properties]\n\"sasl.password\" = \"hunter2\"\n\"sasl.password\" = \"hunter2\"\n",
                3,
            ),
            // Unterminated strings on the password line.
            ("[contexts.a]\npassword = { value = \"hunter2 }\n", 2),
            ("[contexts.a.properties]\n\"sasl.password\" = 'hunter2\n", 2),
            ("[contexts.a.properties]\n\"ssl.key.password\" = \"\"\"hunter2\nhunter2b\n", 4),
            // Unquoted, and a bad escape inside it.
            ("[contexts.a.properties]\n\"sasl.password\" = hunter2\n", 2),
            ("[contexts.a]\npassword = { value = \"hunt\\qer2\" }\n", 2),
            // The wrong source name, and two sources.
            ("[contexts.a]\npassword = { vaule = \"hunter2\" }\n", 2),
            ("[contexts.a]\npassword = { value = \"hunter2\", env = \"X\" }\n", 2),
            (
                "[contexts.a]\npassword = { command = \"echo hunter2\", value = \"hunter2\" }\n",
                2,
            ),
        ];
        for (text, line) in cases {
            let e = parse_config(text, Path::new("/x/config.toml"))
                .unwrap_err()
                .to_string();
            for secret in ["hunter", "unt", "1234567890", "qer2"] {
                assert!(!e.contains(secret), "{text:?} gave: {e}");
            }
            assert!(
                e.starts_with(&format!("invalid config file /x/config.toml:{line}:")),
                "{text:?} gave: {e}"
            );
        }
        // Mistakes elsewhere keep the parser's words.
        let e = parse_config(
            "[contexts.a]\npassword = { env = \"PW\" }\ntimeout = 5\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("invalid type: integer `5`, expected a string"),
            "{e}"
        );
    }

    #[test]
    fn debug_of_config_types_hides_secrets() {
        let c = cfg("[contexts.a]\nbootstrap = \"a:1\"\npassword = { value = \"hunter2\" }\n\
                     [contexts.a.properties]\n\"sasl.password\" = \"hunter3\"\n\"sasl.jaas.config\" = \"x password=hunter4\"\n\"client.id\" = \"me\"\n\
                     [contexts.b]\npassword = { command = \"echo hunter5\" }\n\
                     [contexts.c]\npassword = { env = \"KAFKA_PW\" }\n");
        let dbg = format!("{c:?} {:?} {:?}", c.contexts["a"], c.contexts["b"].password);
        assert!(!dbg.contains("hunter"), "{dbg}");
        assert!(dbg.contains("\"client.id\": \"me\""), "{dbg}");
        assert!(dbg.contains("KAFKA_PW"), "{dbg}");

        let opts = ConnectOptions {
            context: Some("a".into()),
            properties: vec!["sasl.password=hunter6".into()],
            ..Default::default()
        };
        let s = resolve_with_env(&opts, &c, &|_| None).unwrap();
        let typo = ConnectOptions {
            properties: vec!["ssl.key.password:hunter7".into()],
            ..Default::default()
        };
        let dbg = format!("{opts:?} {typo:?} {s:?} {:?}", s.properties);
        assert!(!dbg.contains("hunter"), "{dbg}");
        assert!(dbg.contains("a:1") && dbg.contains("me"), "{dbg}");
        assert_eq!(s.properties["sasl.password"].expose(), "hunter6");
    }

    #[test]
    fn sensitive_values_are_redacted_in_debug() {
        let mut s = ConnectionSettings::plain("b:1");
        s.set("sasl.password", "hunter2");
        s.set("client.id", "me");
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains("me"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// A `.properties` file as `java.util.Properties.store` writes it (the writer of
        /// java-properties 2.0 writes `\\u0` for NUL, which no reader takes).
        fn java_store(props: &std::collections::HashMap<String, String>) -> String {
            let escape = |s: &str, key: bool| {
                let mut out = String::new();
                for (i, c) in s.chars().enumerate() {
                    match c {
                        ' ' if key || i == 0 => out.push_str("\\ "),
                        '\\' | '=' | ':' | '#' | '!' => {
                            out.push('\\');
                            out.push(c);
                        }
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\u{c}' => out.push_str("\\f"),
                        c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                            out.push_str(&format!("\\u{:04x}", c as u32))
                        }
                        c => out.push(c),
                    }
                }
                out
            };
            props
                .iter()
                .map(|(k, v)| format!("{}={}\n", escape(k, true), escape(v, false)))
                .collect()
        }

        /// Keys the mapping to librdkafka changes or drops.
        fn special(k: &str) -> bool {
            k.starts_with("ssl.")
                || k.starts_with("sasl.")
                || k.contains("serializer")
                || [
                    "bootstrap.servers",
                    "client.dns.lookup",
                    "default.api.timeout.ms",
                ]
                .contains(&k)
        }

        proptest! {
            /// What Java writes to a `.properties` file is read back: every ordinary key with
            /// its value (trimmed), the bootstrap servers apart.
            #[test]
            fn command_config_files_read_back(
                // Characters above U+FFFF are left out: java-properties 2.0 cannot read the
                // surrogate pairs Java writes for them.
                props in prop::collection::btree_map(
                    "[a-z][a-z0-9._-]{0,20}|[^\\p{C}\\u{10000}-\\u{10ffff}]{1,8}",
                    "[^\\u{10000}-\\u{10ffff}]{0,20}",
                    0..10,
                ),
                bootstrap in proptest::option::of("[a-z0-9.:,-]{1,30}"),
            ) {
                let mut java: std::collections::HashMap<String, String> = props
                    .iter()
                    .filter(|(k, _)| !special(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if let Some(b) = &bootstrap {
                    java.insert("bootstrap.servers".into(), b.clone());
                }
                let file = java_store(&java);
                let (b, got) = parse_command_config(file.as_bytes(), Path::new("client.properties"))
                    .map_err(|e| TestCaseError::fail(format!("{e}: {file:?}")))?;
                prop_assert_eq!(b, bootstrap);
                java.remove("bootstrap.servers");
                let want: BTreeMap<String, String> =
                    java.into_iter().map(|(k, v)| (k, v.trim().to_string())).collect();
                prop_assert_eq!(got, want);
            }

            /// `-X key=value`: the key trimmed, the value exactly as given (it may hold '=').
            #[test]
            fn x_properties_split_at_the_first_equals(key in "[^=]*", value in ".*") {
                let kv = format!("{key}={value}");
                match parse_property(&kv) {
                    Ok((k, v)) => {
                        prop_assert_eq!(k, key.trim());
                        prop_assert_eq!(v, value);
                    }
                    Err(e) => {
                        prop_assert!(key.trim().is_empty());
                        prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE);
                    }
                }
            }

            #[test]
            fn any_properties_file_is_read_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
                if let Err(e) = parse_command_config(bytes.as_slice(), Path::new("c.properties")) {
                    prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE);
                }
            }

            /// Any config text is a config or one usage-error line naming the file, with a line
            /// and column that exist.
            #[test]
            fn any_config_text_is_a_config_or_one_error_line(text in ".*|(\\[contexts\\.[a-zé]{1,3}\\]\n([a-z_]{1,10} = (\"[^\"\n]{0,5}\"|[0-9]{1,3}|true))?\n){0,3}") {
                if let Err(e) = parse_config(&text, Path::new("config.toml")) {
                    prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE);
                    let msg = e.to_string();
                    prop_assert!(msg.starts_with("invalid config file config.toml"), "{}", msg);
                    prop_assert!(!msg.contains('\n'), "{}", msg);
                    if let Some(pos) = msg.strip_prefix("invalid config file config.toml:") {
                        let mut it = pos.split(|c: char| !c.is_ascii_digit());
                        let line: usize = it.next().unwrap().parse().unwrap();
                        prop_assert!(line >= 1 && line <= text.split('\n').count(), "{}", msg);
                    }
                }
            }

            /// Contexts written as TOML (names, bootstraps and properties with any characters)
            /// read back exactly.
            #[test]
            fn contexts_read_back(
                contexts in prop::collection::btree_map(
                    "\\PC{1,10}",
                    ("\\PC{0,20}", any::<bool>(), prop::collection::btree_map("[a-z.]{1,12}", "\\PC{0,12}", 0..4), proptest::option::of(1u64..3600)),
                    1..4,
                ),
            ) {
                let mut table = toml::Table::new();
                let default = contexts.keys().next().unwrap().clone();
                table.insert("default_context".into(), toml::Value::String(default.clone()));
                let mut ctxs = toml::Table::new();
                for (name, (bootstrap, read_only, props, timeout)) in &contexts {
                    let mut c = toml::Table::new();
                    c.insert("bootstrap".into(), toml::Value::String(bootstrap.clone()));
                    c.insert("read_only".into(), toml::Value::Boolean(*read_only));
                    let p: toml::Table = props.iter().map(|(k, v)| (k.clone(), toml::Value::String(v.clone()))).collect();
                    c.insert("properties".into(), toml::Value::Table(p));
                    if let Some(t) = timeout {
                        c.insert("timeout".into(), toml::Value::String(format!("{t}s")));
                    }
                    ctxs.insert(name.clone(), toml::Value::Table(c));
                }
                table.insert("contexts".into(), toml::Value::Table(ctxs));
                let text = toml::to_string(&table).unwrap();
                let cfg = parse_config(&text, Path::new("config.toml"))
                    .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
                prop_assert_eq!(cfg.default_context.as_deref(), Some(default.as_str()));
                prop_assert_eq!(cfg.contexts.len(), contexts.len());
                for (name, (bootstrap, read_only, props, _)) in &contexts {
                    let c = &cfg.contexts[name];
                    prop_assert_eq!(c.bootstrap.as_deref(), Some(bootstrap.as_str()));
                    prop_assert_eq!(c.read_only, *read_only);
                    prop_assert_eq!(&c.properties, props);
                }
            }
        }
    }

    #[test]
    fn error_positions_never_split_a_character() {
        assert_eq!(line_col("é\nü", 1), (1, 1));
        assert_eq!(line_col("é\nü", 4), (2, 1));
        assert_eq!(line_col("ab", 99), (1, 3));
    }
}
