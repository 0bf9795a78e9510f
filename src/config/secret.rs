//! Secrets (passwords) kept out of `Debug` output, logs and error messages.

use std::fmt;
use std::process::Command;

use serde::Deserialize;

use crate::error::{Error, Result};

/// Property names whose values are never printed.
pub fn is_sensitive_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password")
        || k.contains("secret")
        || k.contains("jaas")
        || k.ends_with(".pem")
        || k.contains("token")
}

/// A property value that knows whether it may be shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    value: String,
    sensitive: bool,
}

impl Secret {
    pub fn new(key: &str, value: String) -> Self {
        Secret {
            sensitive: is_sensitive_key(key),
            value,
        }
    }

    /// The real value, for handing to librdkafka only.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// What may be shown to a user.
    pub fn shown(&self) -> &str {
        if self.sensitive {
            "<redacted>"
        } else {
            &self.value
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.shown())
    }
}

/// Where a password comes from in `config.toml`. `Debug` shows the variable's name but not
/// the value or the command (which may hold the password itself, `echo ...`).
#[derive(Clone, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum SecretSource {
    /// Read from an environment variable.
    Env(String),
    /// The trimmed standard output of a shell command (e.g. `pass show kafka/prod`).
    Command(String),
    /// Written in the file itself.
    Value(String),
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env(var) => f.debug_tuple("Env").field(var).finish(),
            SecretSource::Command(_) => f.debug_tuple("Command").field(&"<redacted>").finish(),
            SecretSource::Value(_) => f.debug_tuple("Value").field(&"<redacted>").finish(),
        }
    }
}

impl SecretSource {
    pub fn resolve(&self, context: &str) -> Result<String> {
        self.resolve_as(context, "password")
    }

    /// The secret, named `what` in messages (`password`, `client_secret`, ...).
    pub fn resolve_as(&self, context: &str, what: &str) -> Result<String> {
        match self {
            SecretSource::Value(v) => Ok(v.clone()),
            SecretSource::Env(var) => std::env::var(var).map_err(|_| {
                Error::config(format!(
                    "context '{context}': {what} variable {var} is not set"
                ))
            }),
            SecretSource::Command(cmd) => {
                let out = Command::new("sh")
                    .arg("-c")
                    .arg(cmd)
                    .output()
                    .map_err(|e| {
                        Error::config(format!(
                            "context '{context}': cannot run {what} command: {e}"
                        ))
                    })?;
                if !out.status.success() {
                    // The command's output may hold the secret: report only its status.
                    return Err(Error::config(format!(
                        "context '{context}': {what} command failed ({})",
                        out.status
                    )));
                }
                let text = String::from_utf8(out.stdout).map_err(|_| {
                    Error::config(format!(
                        "context '{context}': {what} command printed invalid UTF-8"
                    ))
                })?;
                Ok(text.trim_end_matches(['\n', '\r']).to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_source_is_trimmed() {
        let s = SecretSource::Command("printf 's3cret\\n'".into());
        assert_eq!(s.resolve("t").unwrap(), "s3cret");
        let e = SecretSource::Command("echo s3cret; exit 3".into())
            .resolve("t")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("s3cret"), "{e}");
    }

    #[test]
    fn sensitive_keys() {
        assert!(is_sensitive_key("sasl.password"));
        assert!(is_sensitive_key("ssl.key.password"));
        assert!(is_sensitive_key("sasl.jaas.config"));
        assert!(is_sensitive_key("sasl.oauthbearer.client.secret"));
        assert!(!is_sensitive_key("sasl.username"));
    }
}
