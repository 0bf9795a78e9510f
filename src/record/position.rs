//! Where a tail starts: `beginning`, `end`, an offset, the last N records, or a time.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartPosition {
    Beginning,
    End,
    /// The same absolute offset in every partition.
    Offset(i64),
    /// The last N records of each partition.
    Last(i64),
    /// The first record at or after this time (milliseconds since the epoch).
    Time(i64),
    /// The first record at or after this long ago; resolved against `now` when the tail starts.
    Ago(Duration),
}

impl StartPosition {
    /// The timestamp this position stands for, if it is a time.
    pub fn timestamp_ms(&self, now: DateTime<Utc>) -> Option<i64> {
        match self {
            StartPosition::Time(ms) => Some(*ms),
            StartPosition::Ago(d) => {
                let ago = chrono::Duration::from_std(*d).ok()?;
                Some((now - ago).timestamp_millis())
            }
            _ => None,
        }
    }
}

const HELP: &str = "expected beginning, end, OFFSET, -N (last N), @RFC3339 time, @EPOCH_MS or @-DURATION (e.g. @-15m)";

impl FromStr for StartPosition {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::usage(format!("invalid start position '{s}': {HELP}"));
        let t = s.trim();
        match t {
            "beginning" | "earliest" | "start" => return Ok(StartPosition::Beginning),
            "end" | "latest" => return Ok(StartPosition::End),
            _ => {}
        }
        if let Some(when) = t.strip_prefix('@') {
            if let Some(ago) = when.strip_prefix('-') {
                let d = humantime::parse_duration(ago).map_err(|_| bad())?;
                return Ok(StartPosition::Ago(d));
            }
            if !when.is_empty() && when.bytes().all(|b| b.is_ascii_digit()) {
                return when.parse().map(StartPosition::Time).map_err(|_| bad());
            }
            let dt = DateTime::parse_from_rfc3339(when).map_err(|_| bad())?;
            return Ok(StartPosition::Time(dt.timestamp_millis()));
        }
        if let Some(n) = t.strip_prefix('-') {
            let n: i64 = n.parse().map_err(|_| bad())?;
            if n <= 0 {
                return Err(bad());
            }
            return Ok(StartPosition::Last(n));
        }
        let o: i64 = t.parse().map_err(|_| bad())?;
        if o < 0 {
            return Err(bad());
        }
        Ok(StartPosition::Offset(o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> StartPosition {
        s.parse().unwrap()
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(p("beginning"), StartPosition::Beginning);
        assert_eq!(p("end"), StartPosition::End);
        assert_eq!(p("42"), StartPosition::Offset(42));
        assert_eq!(p("-10"), StartPosition::Last(10));
        assert_eq!(p("@1700000000000"), StartPosition::Time(1_700_000_000_000));
        assert_eq!(
            p("@2024-01-02T03:04:05Z"),
            StartPosition::Time(1_704_164_645_000)
        );
        assert_eq!(
            p("@2024-01-02T04:04:05.5+01:00"),
            StartPosition::Time(1_704_164_645_500)
        );
        assert_eq!(p("@-15m"), StartPosition::Ago(Duration::from_secs(900)));
        assert_eq!(p("@-1h 30m"), StartPosition::Ago(Duration::from_secs(5400)));
    }

    #[test]
    fn rejects_garbage_with_the_value_quoted() {
        for bad in [
            "",
            "begin",
            "-0",
            "--5",
            "@",
            "@yesterday",
            "@-",
            "1.5",
            "x10",
        ] {
            let e = bad.parse::<StartPosition>().unwrap_err().to_string();
            assert!(e.contains(&format!("'{bad}'")), "{e}");
        }
    }

    #[test]
    fn ago_resolves_against_now() {
        let now = DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(p("@-5s").timestamp_ms(now), Some(1_704_164_645_000 - 5_000));
        assert_eq!(p("end").timestamp_ms(now), None);
    }
}
