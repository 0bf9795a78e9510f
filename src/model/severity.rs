//! How bad something is, from fine to critical: one scale for alert rules, lag thresholds,
//! partition and group status on screen, and `watch --once` exit codes.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// `Ok` is nothing wrong (a healthy number); `Info`, `Warn` and `Crit` are what an alert rule
/// can say (`watch --once` exits 1 for warn and 2 for crit). Ordered from fine to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    Info,
    Warn,
    Crit,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Crit => "crit",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule's severity as written in config.toml: `ok` is not one a rule can have.
impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "warn" | "warning" => Ok(Severity::Warn),
            "crit" | "critical" => Ok(Severity::Crit),
            _ => Err(format!(
                "unknown severity '{s}': expected info, warn or crit"
            )),
        }
    }
}
