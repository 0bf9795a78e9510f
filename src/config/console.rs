//! The console's own settings, resolved with the rest of the config: `[console]` checked once,
//! before the terminal is taken, and what the console needs later (a context's metrics
//! settings and alert rules on `:ctx`) answered from the same parsed file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{alert_rules, metrics_config, RawConfig};
use crate::error::{Error, Result};
use crate::metrics::{AlertRule, EventTimeConfig, MetricsConfig};

/// Settings of the console itself (`[console]` in config.toml).
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    /// How often live panels refresh.
    pub refresh: Duration,
    /// Records kept by the tail.
    pub tail_capacity: usize,
    /// Lag at or above which a group shows as a warning / as critical.
    pub lag_warn: i64,
    pub lag_crit: i64,
    /// Event-time windows of the tail.
    pub tail_windows: EventTimeConfig,
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        ConsoleOptions {
            refresh: Duration::from_secs(5),
            tail_capacity: 10_000,
            lag_warn: 1_000,
            lag_crit: 100_000,
            tail_windows: EventTimeConfig {
                // A quiet topic's windows still close on screen.
                idle_timeout: Some(5_000),
                ..EventTimeConfig::default()
            },
        }
    }
}

impl ConsoleOptions {
    /// `[console]` over the defaults, or the one line that says what is wrong.
    pub fn from_config(file: &RawConfig) -> Result<ConsoleOptions> {
        let mut o = ConsoleOptions::default();
        let c = &file.console;
        if let Some(r) = &c.refresh {
            let d = humantime::parse_duration(r).map_err(|e| {
                Error::config(format!(
                    "invalid [console] refresh '{r}': {e} (e.g. \"5s\")"
                ))
            })?;
            if d < Duration::from_millis(500) {
                return Err(Error::config(format!(
                    "[console] refresh '{r}' is too short: at least 500ms"
                )));
            }
            o.refresh = d;
        }
        if let Some(n) = c.tail_buffer {
            if n == 0 {
                return Err(Error::config("[console] tail_buffer must be at least 1"));
            }
            o.tail_capacity = n;
        }
        if let Some(w) = c.lag_warn {
            o.lag_warn = w;
        }
        if let Some(w) = c.lag_crit {
            o.lag_crit = w;
        }
        let ms = |key: &str, value: &Option<String>, default: i64| -> Result<i64> {
            match value {
                None => Ok(default),
                Some(v) => crate::metrics::time::parse_duration(v).ok_or_else(|| {
                    Error::config(format!(
                        "invalid [console] {key} '{v}': expected a duration up to 100 years (e.g. \"10s\")"
                    ))
                }),
            }
        };
        let w = &mut o.tail_windows;
        w.size = ms("tail_window", &c.tail_window, w.size)?.max(1);
        w.max_delay = ms("tail_max_delay", &c.tail_max_delay, w.max_delay)?;
        w.allowed_lateness = ms("tail_lateness", &c.tail_lateness, w.allowed_lateness)?;
        w.session_gap = ms("tail_session_gap", &c.tail_session_gap, w.session_gap)?.max(1);
        if o.lag_warn > o.lag_crit {
            return Err(Error::config(format!(
                "[console] lag_warn ({}) is above lag_crit ({})",
                o.lag_warn, o.lag_crit
            )));
        }
        Ok(o)
    }
}

/// Everything the console takes from the config file, read once.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    pub options: ConsoleOptions,
    /// The parsed file, shared with `:ctx` (which resolves other contexts from it).
    pub file: Arc<RawConfig>,
    pub path: Option<PathBuf>,
}

impl ConsoleConfig {
    /// Checks `[console]`; [`ConsoleConfig::metrics`] checks a context's metrics settings and
    /// alert rules.
    pub fn resolve(file: RawConfig, path: Option<PathBuf>) -> Result<ConsoleConfig> {
        Ok(ConsoleConfig {
            options: ConsoleOptions::from_config(&file)?,
            file: Arc::new(file),
            path,
        })
    }

    /// The metrics settings and alert rules of a context (`None`: an ad-hoc connection).
    pub fn metrics(&self, context: Option<&str>) -> Result<(MetricsConfig, Vec<AlertRule>)> {
        let path: Option<&Path> = self.path.as_deref();
        let rules = alert_rules(&self.file, context, path)?;
        Ok((metrics_config(&self.file, context, path)?, rules))
    }

    /// The names of the contexts in the file, for `:ctx`.
    pub fn contexts(&self) -> Vec<String> {
        self.file.contexts.keys().cloned().collect()
    }
}
