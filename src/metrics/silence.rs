//! Silences: one alert (a rule on one resource, on one cluster) muted until a time. The
//! console sets them (`a` on an alert) and `kscope watch` honours them, from the same file in
//! the data dir (written by `crate::silences`): a silenced alert is still evaluated and shown,
//! marked as silenced, but counts toward no exit code.
//!
//! Pure: the file's text in and out, and the time as a parameter.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::time::{rfc3339, Millis, MAX_DURATION};

/// One muted alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silence {
    /// The cluster: the context's name, or the bootstrap servers of an ad-hoc connection
    /// ([`scope`]).
    pub scope: String,
    /// The rule's name.
    pub rule: String,
    /// The group or topic.
    pub resource: String,
    /// Until when it holds (RFC 3339 in the file).
    #[serde(serialize_with = "ts", deserialize_with = "parse_ts")]
    pub until: Millis,
    /// When it was set.
    #[serde(serialize_with = "ts", deserialize_with = "parse_ts")]
    pub created: Millis,
}

impl Silence {
    fn is(&self, scope: &str, rule: &str, resource: &str) -> bool {
        self.scope == scope && self.rule == rule && self.resource == resource
    }
}

/// The silences of every cluster, as the file holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Silences {
    pub silences: Vec<Silence>,
}

/// What a cluster's silences are keyed by: the context's name, else the bootstrap servers.
pub fn scope(context: Option<&str>, bootstrap: &str) -> String {
    match context {
        Some(c) => c.to_string(),
        None => bootstrap.to_string(),
    }
}

fn ts<S: Serializer>(ms: &Millis, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*ms))
}

fn parse_ts<'de, D: Deserializer<'de>>(d: D) -> Result<Millis, D::Error> {
    let text = String::deserialize(d)?;
    chrono::DateTime::parse_from_rfc3339(&text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| serde::de::Error::custom(format!("'{text}' is not an RFC 3339 time: {e}")))
}

/// The longest a silence may be set for (30 days): a forgotten silence must end.
pub const MAX_SILENCE: Millis = 30 * 24 * 3_600_000;

/// A silence's duration as typed at the prompt: empty for the default (1h), else `30m`, `2h`,
/// `1d`... up to [`MAX_SILENCE`]; `0` lifts the silence (`Ok(None)`).
pub fn parse_for(text: &str) -> Result<Option<Millis>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(Some(DEFAULT_FOR));
    }
    if t == "0" || t.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    match super::time::parse_duration(t) {
        Some(0) => Ok(None),
        Some(ms) if ms <= MAX_SILENCE.min(MAX_DURATION) => Ok(Some(ms)),
        Some(_) => Err(format!("'{t}' is longer than 30 days")),
        None => Err(format!("'{t}' is not a duration: try 30m, 2h or 1d")),
    }
}

/// What the prompt takes when nothing is typed.
pub const DEFAULT_FOR: Millis = 3_600_000;

impl Silences {
    /// The file's text; an empty text is no silences.
    pub fn parse(text: &str) -> Result<Silences, String> {
        if text.trim().is_empty() {
            return Ok(Silences::default());
        }
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The file's text: pretty JSON with a final newline.
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }

    /// The silence that holds at `now` for this alert, if any.
    pub fn active(&self, scope: &str, rule: &str, resource: &str, now: Millis) -> Option<&Silence> {
        self.silences
            .iter()
            .filter(|s| s.is(scope, rule, resource) && s.until > now)
            .max_by_key(|s| s.until)
    }

    /// Sets a silence (replacing one for the same alert).
    pub fn set(&mut self, silence: Silence) {
        self.lift(&silence.scope, &silence.rule, &silence.resource);
        self.silences.push(silence);
    }

    /// Lifts the silence of an alert, if it has one.
    pub fn lift(&mut self, scope: &str, rule: &str, resource: &str) {
        self.silences.retain(|s| !s.is(scope, rule, resource));
    }

    /// Forgets the silences that ended by `now`.
    pub fn prune(&mut self, now: Millis) {
        self.silences.retain(|s| s.until > now);
    }

    /// Applies a change: set or lift.
    pub fn apply(&mut self, change: &SilenceChange) {
        match change {
            SilenceChange::Set(s) => self.set(s.clone()),
            SilenceChange::Lift {
                scope,
                rule,
                resource,
            } => self.lift(scope, rule, resource),
        }
    }
}

/// A change the console asks to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SilenceChange {
    Set(Silence),
    Lift {
        scope: String,
        rule: String,
        resource: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(rule: &str, resource: &str, until: Millis) -> Silence {
        Silence {
            scope: "prod".into(),
            rule: rule.into(),
            resource: resource.into(),
            until,
            created: 0,
        }
    }

    #[test]
    fn a_silence_holds_until_it_ends_for_its_alert_on_its_cluster_only() {
        let mut all = Silences::default();
        all.set(s("lag-seconds", "billing", 10_000));
        assert!(all
            .active("prod", "lag-seconds", "billing", 9_999)
            .is_some());
        assert!(all
            .active("prod", "lag-seconds", "billing", 10_000)
            .is_none());
        assert!(all.active("staging", "lag-seconds", "billing", 0).is_none());
        assert!(all.active("prod", "group-status", "billing", 0).is_none());
        assert!(all.active("prod", "lag-seconds", "billing-2", 0).is_none());
        // Setting again replaces; lifting removes.
        all.set(s("lag-seconds", "billing", 20_000));
        assert_eq!(all.silences.len(), 1);
        assert_eq!(
            all.active("prod", "lag-seconds", "billing", 15_000)
                .unwrap()
                .until,
            20_000
        );
        all.apply(&SilenceChange::Lift {
            scope: "prod".into(),
            rule: "lag-seconds".into(),
            resource: "billing".into(),
        });
        assert!(all.silences.is_empty());
        all.set(s("a", "x", 5));
        all.set(s("b", "x", 50));
        all.prune(5);
        assert_eq!(all.silences, vec![s("b", "x", 50)]);
        assert_eq!(scope(Some("prod"), "h:9092"), "prod");
        assert_eq!(scope(None, "h:9092"), "h:9092");
    }

    #[test]
    fn the_file_round_trips_with_readable_times_and_refuses_what_it_cannot_read() {
        let mut all = Silences::default();
        all.set(Silence {
            created: 1_700_000_000_000,
            ..s("lag-seconds", "billing", 1_700_003_600_000)
        });
        let text = all.to_text();
        assert!(
            text.contains("\"until\": \"2023-11-14T23:13:20.000Z\""),
            "{text}"
        );
        assert_eq!(Silences::parse(&text).unwrap(), all);
        assert_eq!(Silences::parse("").unwrap(), Silences::default());
        assert!(Silences::parse("{\"silences\": [{\"rule\": 1}]}").is_err());
        let bad_time = text.replace("2023-11-14T23:13:20.000Z", "tomorrow");
        assert!(Silences::parse(&bad_time)
            .unwrap_err()
            .contains("'tomorrow' is not an RFC 3339 time"));
    }

    #[test]
    fn the_prompt_takes_durations_with_a_default_and_zero_lifts() {
        assert_eq!(parse_for(""), Ok(Some(3_600_000)));
        assert_eq!(parse_for(" 30m "), Ok(Some(1_800_000)));
        assert_eq!(parse_for("2h"), Ok(Some(7_200_000)));
        assert_eq!(parse_for("1d"), Ok(Some(86_400_000)));
        assert_eq!(parse_for("0"), Ok(None));
        assert_eq!(parse_for("off"), Ok(None));
        assert!(parse_for("31d")
            .unwrap_err()
            .contains("longer than 30 days"));
        assert!(parse_for("soon").unwrap_err().contains("not a duration"));
    }
}
