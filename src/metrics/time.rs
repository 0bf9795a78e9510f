//! Time as the engine sees it: plain milliseconds since the Unix epoch (UTC), always passed in.

use serde::Serializer;

/// Milliseconds since the Unix epoch (UTC). Every engine timestamp is one of these, and every
/// function that depends on the current time takes it as a parameter.
pub type Millis = i64;

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;

/// Milliseconds as seconds.
pub fn secs(ms: Millis) -> f64 {
    ms as f64 / 1000.0
}

/// The longest duration a config or rule may give (100 years): windows, intervals and `for`
/// clauses are added to and multiplied with times, which must never overflow.
pub const MAX_DURATION: Millis = 100 * 365 * 24 * 60 * MINUTE;

/// Parses "10s", "500ms", "5m", "1h30m" into milliseconds; `None` past [`MAX_DURATION`].
pub fn parse_duration(s: &str) -> Option<Millis> {
    let d = humantime::parse_duration(s.trim()).ok()?;
    Millis::try_from(d.as_millis())
        .ok()
        .filter(|ms| *ms <= MAX_DURATION)
}

/// A short duration for labels: "10s", "1m", "1m30s", "250ms".
pub fn format_duration(ms: Millis) -> String {
    if ms <= 0 {
        return "0s".into();
    }
    if ms % SECOND != 0 {
        return format!("{ms}ms");
    }
    let total = ms / SECOND;
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// Seconds for people: "0.4s", "12s", "3m5s", "2h10m" (rounded to what matters).
pub fn format_secs(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "-".into();
    }
    if seconds < 10.0 {
        return format!("{:.1}s", seconds);
    }
    let s = seconds.round() as i64;
    if s >= 3600 {
        return format_duration((s - s % 60) * SECOND);
    }
    format_duration(s * SECOND)
}

/// RFC 3339 with milliseconds, UTC: "2025-01-31T12:00:00.000Z".
pub fn rfc3339(ms: Millis) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        None => ms.to_string(),
    }
}

/// Serializes a timestamp as RFC 3339 (for `#[serde(serialize_with)]`).
pub fn serialize_ts<S: Serializer>(ms: &Millis, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*ms))
}

/// Serializes an optional timestamp as RFC 3339 or null.
pub fn serialize_opt_ts<S: Serializer>(ms: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&rfc3339(*ms)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip() {
        assert_eq!(parse_duration("10s"), Some(10_000));
        assert_eq!(parse_duration("5m"), Some(300_000));
        assert_eq!(parse_duration("500ms"), Some(500));
        assert_eq!(parse_duration("1h30m"), Some(5_400_000));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("100y"), None);
        assert_eq!(parse_duration("99999999999y"), None);
        assert_eq!(parse_duration("36500d"), Some(MAX_DURATION));
        assert_eq!(format_duration(10_000), "10s");
        assert_eq!(format_duration(60_000), "1m");
        assert_eq!(format_duration(90_000), "1m30s");
        assert_eq!(format_duration(3_600_000), "1h");
        assert_eq!(format_duration(250), "250ms");
    }

    #[test]
    fn seconds_for_people() {
        assert_eq!(format_secs(0.44), "0.4s");
        assert_eq!(format_secs(12.2), "12s");
        assert_eq!(format_secs(185.0), "3m5s");
        assert_eq!(format_secs(7_830.0), "2h10m");
        assert_eq!(format_secs(f64::NAN), "-");
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_500), "1970-01-01T00:00:01.500Z");
    }
}
