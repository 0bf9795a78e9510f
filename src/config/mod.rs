//! Configuration: the file as written (`raw`), resolved once into what each part takes:
//! connection settings (`resolve`), the console's settings and keys (`console`, `keys`),
//! metrics settings and alert rules (`alerts`), alert notification targets (`notify`). Nothing here talks to a broker or draws.

mod alerts;
mod console;
mod java;
mod keys;
mod notify;
mod raw;
mod redact;
mod resolve;
mod secret;
mod token;

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
pub use alerts::{alert_rules, metrics_config, RawAlert, RawMetrics};
pub use console::{ConsoleConfig, ConsoleOptions};
pub use java::java_properties_to_librdkafka;
pub use keys::KeySpec;
pub use notify::{notify_targets, NotifyKind, NotifyTarget, RawNotify, RawUrl};
pub use raw::{
    load_config, parse_config, RawConfig, RawConsole, RawContext, RawRegistry, RedactedMap,
    RedactedProperties,
};
pub use resolve::{
    parse_command_config, parse_property, resolve, resolve_context, resolve_with_env,
    CarriedOptions, ConnectOptions, ConnectionSettings, RegistrySettings,
};
pub use secret::{is_sensitive_key, Secret, SecretSource};
pub use token::{
    CommandSettings, MskIamSettings, OidcSettings, TokenSource, DEFAULT_TOKEN_TIMEOUT,
};

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

#[cfg(test)]
mod tests;
