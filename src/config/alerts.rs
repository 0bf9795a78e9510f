//! Alert rules and metrics settings from `config.toml`, layered: the compiled-in default rules,
//! then the top-level `[[alerts]]`, then the context's `[[contexts.NAME.alerts]]`. An entry
//! whose name matches an earlier one overrides the fields it sets (`enabled = false` turns a
//! rule off); a new name adds a rule.

use std::path::Path;

use serde::Deserialize;

use super::RawConfig;
use crate::error::{Error, Result};
use crate::metrics::rules::{default_rules, AlertRule};
use crate::metrics::time::{parse_duration, Millis};
use crate::metrics::{MetricsConfig, WindowSpec};
use crate::model::Severity;

/// One `[[alerts]]` table.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlert {
    pub name: String,
    /// The rule, e.g. "lag > 10000 for 2m"; may be left out when overriding a rule.
    pub rule: Option<String>,
    /// info, warn or crit (default warn).
    pub severity: Option<String>,
    /// How long the condition must be false before the alert resolves (default: its `for`).
    pub resolve_after: Option<String>,
    /// `false` turns off a rule of this name defined before (e.g. a default rule).
    pub enabled: Option<bool>,
}

/// The `[metrics]` table (top level or per context).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMetrics {
    /// How often `kscope watch` and the console sample, e.g. "10s".
    pub interval: Option<String>,
    /// Windows rates and trends are shown over, e.g. ["10s tumbling", "1m sliding", "5m sliding"].
    pub windows: Option<Vec<String>>,
    /// The sliding window behind rate, consume_rate and lag_growth in rules (default 1m).
    pub rate_window: Option<String>,
    /// The window group status is judged over (default 2m).
    pub status_window: Option<String>,
    /// When the first status verdict comes, judged over the samples so far (default 1m).
    pub first_verdict: Option<String>,
    /// How long history is kept for time lag and lag trends (default 15m).
    pub history: Option<String>,
    /// Entries per leaderboard (default 10).
    pub top: Option<usize>,
    /// Whether the compiled-in rules apply (default true).
    pub default_alerts: Option<bool>,
    /// A group with no members that has read nothing written for this long is inactive
    /// (default 24h): left out of rules that do not name it and of the leaderboards.
    pub inactive_after: Option<String>,
    /// Group globs the metrics engine leaves out entirely (no status, rules or leaderboards).
    pub ignore_groups: Option<Vec<String>>,
    /// Topic globs the metrics engine leaves out entirely.
    pub ignore_topics: Option<Vec<String>>,
}

impl RawMetrics {
    /// `over`'s fields where it sets them, else ours.
    fn layered(&self, over: Option<&RawMetrics>) -> RawMetrics {
        let Some(o) = over else {
            return self.clone();
        };
        RawMetrics {
            interval: o.interval.clone().or_else(|| self.interval.clone()),
            windows: o.windows.clone().or_else(|| self.windows.clone()),
            rate_window: o.rate_window.clone().or_else(|| self.rate_window.clone()),
            status_window: o
                .status_window
                .clone()
                .or_else(|| self.status_window.clone()),
            first_verdict: o
                .first_verdict
                .clone()
                .or_else(|| self.first_verdict.clone()),
            history: o.history.clone().or_else(|| self.history.clone()),
            top: o.top.or(self.top),
            default_alerts: o.default_alerts.or(self.default_alerts),
            inactive_after: o
                .inactive_after
                .clone()
                .or_else(|| self.inactive_after.clone()),
            ignore_groups: o
                .ignore_groups
                .clone()
                .or_else(|| self.ignore_groups.clone()),
            ignore_topics: o
                .ignore_topics
                .clone()
                .or_else(|| self.ignore_topics.clone()),
        }
    }
}

fn where_(path: Option<&Path>, context: Option<&str>) -> String {
    let file = path.map_or("config".to_string(), |p| p.display().to_string());
    match context {
        Some(c) => format!("{file}, context '{c}'"),
        None => file,
    }
}

fn raw_metrics(config: &RawConfig, context: Option<&str>) -> RawMetrics {
    let top = config.metrics.clone().unwrap_or_default();
    let ctx = context
        .and_then(|c| config.contexts.get(c))
        .and_then(|c| c.metrics.as_ref());
    top.layered(ctx)
}

/// The metrics settings for a context (`None`: an ad-hoc `-b` connection).
pub fn metrics_config(
    config: &RawConfig,
    context: Option<&str>,
    path: Option<&Path>,
) -> Result<MetricsConfig> {
    let raw = raw_metrics(config, context);
    let mut out = MetricsConfig::default();
    let duration = |key: &str, value: &Option<String>, default: Millis| -> Result<Millis> {
        match value {
            None => Ok(default),
            Some(v) => match parse_duration(v) {
                Some(ms) if ms > 0 => Ok(ms),
                _ => Err(Error::config(format!(
                    "invalid [metrics] {key} '{v}' in {}: expected a duration such as 10s or 2m",
                    where_(path, context)
                ))),
            },
        }
    };
    out.interval = duration("interval", &raw.interval, out.interval)?;
    out.rate_window = duration("rate_window", &raw.rate_window, out.rate_window)?;
    out.status_window = duration("status_window", &raw.status_window, out.status_window)?;
    out.first_verdict = duration("first_verdict", &raw.first_verdict, out.first_verdict)?;
    out.history = duration("history", &raw.history, out.history)?;
    out.inactive_after = duration("inactive_after", &raw.inactive_after, out.inactive_after)?;
    if let Some(g) = &raw.ignore_groups {
        out.ignore_groups = g.clone();
    }
    if let Some(t) = &raw.ignore_topics {
        out.ignore_topics = t.clone();
    }
    if let Some(top) = raw.top {
        out.top = top;
    }
    if let Some(windows) = &raw.windows {
        out.windows = windows
            .iter()
            .map(|w| {
                w.parse::<WindowSpec>()
                    .map_err(|e| Error::config(format!("{e} in {}", where_(path, context))))
            })
            .collect::<Result<_>>()?;
        if out.windows.is_empty() {
            return Err(Error::config(format!(
                "[metrics] windows is empty in {}: name at least one, e.g. [\"1m sliding\"]",
                where_(path, context)
            )));
        }
    }
    Ok(out)
}

struct Entry {
    name: String,
    rule: Option<String>,
    severity: Option<String>,
    resolve_after: Option<String>,
    enabled: bool,
    /// Where it was last set, for messages.
    origin: String,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn layer(entries: &mut Vec<Entry>, alerts: &[RawAlert], origin: &str) -> Result<()> {
    let mut names = std::collections::BTreeSet::new();
    for a in alerts {
        if !valid_name(&a.name) {
            return Err(Error::config(format!(
                "invalid alert name '{}' in {origin}: use letters, digits, '-', '_' and '.'",
                a.name
            )));
        }
        if !names.insert(a.name.as_str()) {
            return Err(Error::config(format!(
                "alert '{}' is defined twice in {origin}",
                a.name
            )));
        }
        match entries.iter_mut().find(|e| e.name == a.name) {
            Some(e) => {
                if a.rule.is_some() {
                    e.rule = a.rule.clone();
                }
                if a.severity.is_some() {
                    e.severity = a.severity.clone();
                }
                if a.resolve_after.is_some() {
                    e.resolve_after = a.resolve_after.clone();
                }
                if let Some(en) = a.enabled {
                    e.enabled = en;
                }
                e.origin = origin.to_string();
            }
            None => entries.push(Entry {
                name: a.name.clone(),
                rule: a.rule.clone(),
                severity: a.severity.clone(),
                resolve_after: a.resolve_after.clone(),
                enabled: a.enabled.unwrap_or(true),
                origin: origin.to_string(),
            }),
        }
    }
    Ok(())
}

/// The alert rules for a context (`None`: an ad-hoc `-b` connection). A rule that does not
/// parse is a config error that quotes it and says what was expected.
pub fn alert_rules(
    config: &RawConfig,
    context: Option<&str>,
    path: Option<&Path>,
) -> Result<Vec<AlertRule>> {
    let mut entries: Vec<Entry> = Vec::new();
    if raw_metrics(config, context).default_alerts.unwrap_or(true) {
        for r in default_rules() {
            entries.push(Entry {
                name: r.name,
                rule: Some(r.expr),
                severity: Some(r.severity.to_string()),
                resolve_after: None,
                enabled: true,
                origin: "the default rules".into(),
            });
        }
    }
    layer(&mut entries, &config.alerts, &where_(path, None))?;
    if let Some(ctx) = context.and_then(|c| config.contexts.get(c)) {
        layer(&mut entries, &ctx.alerts, &where_(path, context))?;
    }
    entries
        .into_iter()
        .filter(|e| e.enabled)
        .map(|e| {
            let rule = e.rule.as_deref().ok_or_else(|| {
                Error::config(format!(
                    "alert '{}' in {} has no rule (it overrides no rule of that name); add rule = \"...\"",
                    e.name, e.origin
                ))
            })?;
            let severity = match &e.severity {
                None => Severity::Warn,
                Some(s) => s.parse().map_err(|msg| {
                    Error::config(format!("alert '{}' in {}: {msg}", e.name, e.origin))
                })?,
            };
            let mut parsed = AlertRule::new(&e.name, rule, severity).map_err(|msg| {
                Error::config(format!(
                    "invalid alert rule '{}' in {}: '{}': {msg}",
                    e.name,
                    e.origin,
                    rule.trim()
                ))
            })?;
            if let Some(r) = &e.resolve_after {
                parsed.resolve_after = Some(parse_duration(r).ok_or_else(|| {
                    Error::config(format!(
                        "alert '{}' in {}: invalid resolve_after '{r}': expected a duration such as 1m",
                        e.name, e.origin
                    ))
                })?);
            }
            Ok(parsed)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_config;

    fn cfg(text: &str) -> RawConfig {
        parse_config(text, Path::new("config.toml")).expect("valid config")
    }

    fn names(rules: &[AlertRule]) -> Vec<&str> {
        rules.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn defaults_apply_without_config() {
        let rules = alert_rules(&RawConfig::default(), None, None).unwrap();
        assert_eq!(
            names(&rules),
            ["lag-seconds", "group-status", "under-replicated", "offline"]
        );
        assert_eq!(
            metrics_config(&RawConfig::default(), None, None).unwrap(),
            MetricsConfig::default()
        );
    }

    #[test]
    fn top_level_and_context_rules_layer_by_name() {
        let c = cfg(r#"
[[alerts]]
name = "lag-high"
rule = "lag > 10000 for 2m"
severity = "warn"

[[alerts]]
name = "lag-seconds"
rule = "lag_seconds > 10m"

[contexts.prod]
bootstrap = "p:9092"

[[contexts.prod.alerts]]
name = "lag-high"
rule = "lag > 50000 for 5m"
severity = "crit"
resolve_after = "1m"

[[contexts.prod.alerts]]
name = "group-status"
enabled = false

[[contexts.prod.alerts]]
name = "orders-quiet"
rule = "rate(orders) < 1/s for 5m"
"#);
        let global = alert_rules(&c, None, None).unwrap();
        assert_eq!(
            names(&global),
            [
                "lag-seconds",
                "group-status",
                "under-replicated",
                "offline",
                "lag-high"
            ]
        );
        let ls = &global[0];
        assert_eq!(ls.expr, "lag_seconds > 10m");
        assert_eq!(
            ls.severity,
            Severity::Crit,
            "severity kept from the default"
        );

        let prod = alert_rules(&c, Some("prod"), None).unwrap();
        assert_eq!(
            names(&prod),
            [
                "lag-seconds",
                "under-replicated",
                "offline",
                "lag-high",
                "orders-quiet"
            ]
        );
        let lh = prod.iter().find(|r| r.name == "lag-high").unwrap();
        assert_eq!(lh.expr, "lag > 50000 for 5m");
        assert_eq!(lh.severity, Severity::Crit);
        assert_eq!(lh.resolve_after, Some(60_000));
        let q = prod.iter().find(|r| r.name == "orders-quiet").unwrap();
        assert_eq!(q.severity, Severity::Warn, "warn by default");
    }

    #[test]
    fn default_rules_can_be_turned_off() {
        let c = cfg(
            "[metrics]\ndefault_alerts = false\n[[alerts]]\nname = \"a\"\nrule = \"offline > 0\"\n",
        );
        assert_eq!(names(&alert_rules(&c, None, None).unwrap()), ["a"]);
    }

    #[test]
    fn bad_rules_are_config_errors_that_quote_the_rule() {
        let c = cfg("[[alerts]]\nname = \"lag-high\"\nrule = \"lag >> 10000\"\n");
        let e = alert_rules(&c, None, Some(Path::new("/etc/k.toml"))).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
        assert_eq!(
            e.to_string(),
            "invalid alert rule 'lag-high' in /etc/k.toml: 'lag >> 10000': expected a number after the comparison, found '>'"
        );
        for (text, expect) in [
            ("[[alerts]]\nname = \"x\"\nseverity = \"crit\"\n", "alert 'x' in config has no rule"),
            ("[[alerts]]\nname = \"x\"\nrule = \"lag > 1\"\nseverity = \"fatal\"\n", "unknown severity 'fatal'"),
            ("[[alerts]]\nname = \"x\"\nrule = \"lag > 1\"\nresolve_after = \"later\"\n", "invalid resolve_after 'later'"),
            ("[[alerts]]\nname = \"a/b\"\nrule = \"lag > 1\"\n", "invalid alert name 'a/b'"),
            ("[[alerts]]\nname = \"x\"\nrule = \"lag > 1\"\n[[alerts]]\nname = \"x\"\nrule = \"lag > 2\"\n", "defined twice"),
            ("[contexts.p]\n[[contexts.p.alerts]]\nname = \"x\"\nrule = \"lag <\"\n", "in config, context 'p': 'lag <'"),
        ] {
            let e = alert_rules(&cfg(text), Some("p"), None).unwrap_err().to_string();
            assert!(e.contains(expect), "{text}: {e}");
        }
    }

    #[test]
    fn unknown_alert_fields_are_rejected() {
        let e = parse_config(
            "[[alerts]]\nname = \"x\"\nrul = \"lag > 1\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("rul"), "{e}");
    }

    #[test]
    fn metrics_settings_layer_per_context() {
        let c = cfg(r#"
[metrics]
interval = "5s"
windows = ["10s tumbling", "1m sliding", "6 samples"]
status_window = "1m"

ignore_groups = ["tmp-*"]

[contexts.fast]
[contexts.fast.metrics]
interval = "1s"
top = 3
inactive_after = "2h"
ignore_topics = ["scratch*"]
"#);
        let m = metrics_config(&c, None, None).unwrap();
        assert_eq!(m.inactive_after, 24 * 3_600_000);
        assert_eq!(m.ignore_groups, ["tmp-*"]);
        let f = metrics_config(&c, Some("fast"), None).unwrap();
        assert_eq!(f.inactive_after, 2 * 3_600_000);
        assert_eq!((f.ignore_groups.len(), f.ignore_topics.len()), (1, 1));
        assert!(
            metrics_config(&cfg("[metrics]\ninactive_after = \"never\"\n"), None, None)
                .unwrap_err()
                .to_string()
                .contains("invalid [metrics] inactive_after 'never'")
        );
        assert_eq!(m.interval, 5_000);
        assert_eq!(m.status_window, 60_000);
        assert_eq!(m.windows[2], WindowSpec::Count(6));
        let f = metrics_config(&c, Some("fast"), None).unwrap();
        assert_eq!((f.interval, f.status_window, f.top), (1_000, 60_000, 3));

        for (text, expect) in [
            (
                "[metrics]\ninterval = \"often\"\n",
                "invalid [metrics] interval 'often'",
            ),
            (
                "[metrics]\nwindows = [\"1m rolling\"]\n",
                "invalid window '1m rolling'",
            ),
            ("[metrics]\nwindows = []\n", "windows is empty"),
            (
                "[metrics]\nhistory = \"0s\"\n",
                "invalid [metrics] history '0s'",
            ),
        ] {
            let e = metrics_config(&cfg(text), None, None)
                .unwrap_err()
                .to_string();
            assert!(e.contains(expect), "{text}: {e}");
        }
    }
}
