//! `[keys]` as written: a command name and the key or keys that run it. The console's keymap
//! (app/keymap.rs) checks the names and parses the keys.

use serde::Deserialize;

/// One key or several, as written in config.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum KeySpec {
    One(String),
    Many(Vec<String>),
}

impl KeySpec {
    pub fn keys(&self) -> Vec<&str> {
        match self {
            KeySpec::One(k) => vec![k.as_str()],
            KeySpec::Many(ks) => ks.iter().map(String::as_str).collect(),
        }
    }
}
