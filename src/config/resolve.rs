//! Where a connection's settings come from, resolved in one place.
//!
//! Precedence, lowest first: the context in `config.toml` (with its `command_config` file), the
//! `--command-config` file, `KSCOPE_SASL_*` environment variables, `-X key=value`, and `-b`.
//! `ConnectionSettings` is the resolved result the client layer takes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::raw::{RawConfig, RawContext, RawRegistry, RedactedProperties};
use super::token::{take_token_source, TokenSource};
use super::{
    check_timeout, is_sensitive_key, java_properties_to_librdkafka, Secret, DEFAULT_TIMEOUT,
};
use crate::error::{Error, Result};

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
    /// Where OAUTHBEARER tokens come from when kscope makes them (OIDC, AWS MSK IAM, a
    /// command); `None` leaves authentication to librdkafka.
    pub token: Option<TokenSource>,
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
            token: None,
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
    let who = name.unwrap_or("?");
    if let Some(source) = &context.password {
        props.insert("sasl.password".into(), source.resolve(who)?);
    }
    if let Some(source) = &context.client_id {
        props.insert(
            "sasl.oauthbearer.client.id".into(),
            source.resolve_as(who, "client_id")?,
        );
    }
    if let Some(source) = &context.client_secret {
        props.insert(
            "sasl.oauthbearer.client.secret".into(),
            source.resolve_as(who, "client_secret")?,
        );
    }
    Ok((bootstrap, props))
}

fn settings(
    context_name: Option<String>,
    context: &RawContext,
    bootstrap: Option<String>,
    mut props: BTreeMap<String, String>,
    carried: CarriedOptions,
) -> Result<ConnectionSettings> {
    let token = take_token_source(
        context_name.as_deref().unwrap_or("(command line)"),
        context,
        bootstrap.as_deref(),
        &mut props,
    )?;
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
        token,
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
