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

/// The latest time kscope takes: the end of year 9999, the last that RFC 3339 can write.
pub const MAX_TIME_MS: i64 = 253_402_300_799_999;

/// The range of times a record can be looked up for, for messages.
pub const TIME_RANGE: &str = "1970-01-01T00:00:00Z (0) to 9999-12-31T23:59:59.999Z";

/// A time given as milliseconds since the epoch, if it is one kscope can look up: record
/// timestamps start at the epoch (Kafka reads negative times as "latest" or "earliest"), and
/// RFC 3339 ends with year 9999.
pub fn checked_time(ms: i64) -> Option<i64> {
    (0..=MAX_TIME_MS).contains(&ms).then_some(ms)
}

/// `now` minus `ago`, if that is a time kscope can look up (not before the epoch).
pub fn time_ago(ago: Duration, now: DateTime<Utc>) -> Option<i64> {
    let ago = chrono::Duration::from_std(ago).ok()?;
    now.checked_sub_signed(ago)
        .map(|t| t.timestamp_millis())
        .and_then(checked_time)
}

/// The usage error for a duration that reaches back before the epoch; `what` names the input
/// with its value, e.g. `start position '@-300000y'`.
pub fn too_long_ago(what: &str, now: Option<DateTime<Utc>>) -> Error {
    let limit = match now {
        Some(now) => {
            let secs = now.timestamp_millis().max(0).unsigned_abs() / 1000;
            format!(
                "at most {}",
                humantime::format_duration(Duration::from_secs(secs))
            )
        }
        None => "a shorter duration".to_string(),
    };
    Error::usage(format!(
        "invalid {what}: it reaches back before 1970-01-01T00:00:00Z, the earliest time a record can have; \
         use {limit}, or start from the beginning"
    ))
}

impl StartPosition {
    /// The timestamp this position stands for, if it is a time. A duration that reaches back
    /// before the epoch is a usage error.
    pub fn timestamp_ms(&self, now: DateTime<Utc>) -> Result<Option<i64>, Error> {
        match self {
            StartPosition::Time(ms) => Ok(Some(*ms)),
            StartPosition::Ago(d) => time_ago(*d, now).map(Some).ok_or_else(|| {
                let shown = format!("start position '@-{}'", humantime::format_duration(*d));
                too_long_ago(&shown, Some(now))
            }),
            _ => Ok(None),
        }
    }

    /// Checks that the position can be resolved at `now` (the command line checks at once, so
    /// that a bad `--from` is a usage error before anything is asked of a broker).
    pub fn check(self, now: DateTime<Utc>) -> Result<Self, Error> {
        self.timestamp_ms(now).map(|_| self)
    }
}

const HELP: &str = "expected beginning, end, OFFSET, -N (last N), @RFC3339 time, @EPOCH_MS or @-DURATION (e.g. @-15m)";

impl FromStr for StartPosition {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::usage(format!("invalid start position '{s}': {HELP}"));
        let out_of_range = || {
            Error::usage(format!(
                "invalid start position '{s}': the time must be from {TIME_RANGE}"
            ))
        };
        let t = s.trim();
        match t {
            "beginning" | "earliest" | "start" => return Ok(StartPosition::Beginning),
            "end" | "latest" => return Ok(StartPosition::End),
            _ => {}
        }
        if let Some(when) = t.strip_prefix('@') {
            if let Some(ago) = when.strip_prefix('-') {
                let d = humantime::parse_duration(ago).map_err(|_| bad())?;
                // Beyond what any clock can subtract; nearer durations are checked against
                // the clock when the tail starts.
                if d.as_millis() > MAX_TIME_MS.unsigned_abs().into() {
                    return Err(too_long_ago(&format!("start position '{s}'"), None));
                }
                return Ok(StartPosition::Ago(d));
            }
            if !when.is_empty() && when.bytes().all(|b| b.is_ascii_digit()) {
                let ms: i64 = when.parse().map_err(|_| out_of_range())?;
                return checked_time(ms)
                    .map(StartPosition::Time)
                    .ok_or_else(out_of_range);
            }
            let dt = DateTime::parse_from_rfc3339(when).map_err(|_| bad())?;
            return checked_time(dt.timestamp_millis())
                .map(StartPosition::Time)
                .ok_or_else(out_of_range);
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
            "@-300000y",
            "@-99999999999999999999y",
            "@99999999999999999999",
            "@253402300800000",
            "@1960-01-01T00:00:00Z",
            "-99999999999999999999",
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
        assert_eq!(
            p("@-5s").timestamp_ms(now).unwrap(),
            Some(1_704_164_645_000 - 5_000)
        );
        assert_eq!(p("end").timestamp_ms(now).unwrap(), None);
        // Fifty-five years back from 2024 is before the epoch: a usage error, not a panic.
        let e = p("@-55y").timestamp_ms(now).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
        assert!(e.to_string().contains("before 1970"), "{e}");
        assert!(p("@-53y").check(now).is_ok());
    }

    mod properties {
        use super::*;
        use chrono::TimeZone;
        use proptest::prelude::*;

        /// Inputs shaped like start positions, with numbers of every size.
        fn position_like() -> impl Strategy<Value = String> {
            let unit = prop::sample::select(vec![
                "ns", "us", "ms", "s", "m", "h", "d", "w", "M", "y", "years", "",
            ]);
            prop_oneof![
                (any::<u64>(), unit.clone()).prop_map(|(n, u)| format!("@-{n}{u}")),
                (0u64..400_000, unit).prop_map(|(n, u)| format!("@-{n}{u}")),
                any::<u64>().prop_map(|n| format!("@{n}")),
                any::<i64>().prop_map(|n| format!("{n}")),
                any::<u128>().prop_map(|n| format!("-{n}")),
                (0i32..=9999, 1u32..=12, 1u32..=28, -23i32..=23).prop_map(|(y, mo, d, z)| {
                    format!("@{y:04}-{mo:02}-{d:02}T00:00:00{z:+03}:00")
                }),
                ".*",
            ]
        }

        fn any_now() -> impl Strategy<Value = DateTime<Utc>> {
            (0i64..=MAX_TIME_MS).prop_map(|ms| Utc.timestamp_millis_opt(ms).unwrap())
        }

        proptest! {
            /// Whatever is typed, parsing and resolving end in a position or a usage error
            /// that quotes the input; never a panic, never a time Kafka would misread.
            #[test]
            fn any_input_is_a_position_or_a_usage_error(s in position_like(), now in any_now()) {
                match s.parse::<StartPosition>() {
                    Err(e) => {
                        prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE);
                        prop_assert!(e.to_string().contains(&format!("'{s}'")), "{}", e);
                    }
                    Ok(p) => match p.timestamp_ms(now) {
                        Ok(Some(ms)) => prop_assert!((0..=MAX_TIME_MS).contains(&ms), "{:?} -> {}", p, ms),
                        Ok(None) => prop_assert!(!matches!(p, StartPosition::Time(_) | StartPosition::Ago(_))),
                        Err(e) => {
                            prop_assert!(matches!(p, StartPosition::Ago(_)));
                            prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE);
                        }
                    },
                }
            }

            #[test]
            fn times_read_back(ms in 0i64..=MAX_TIME_MS) {
                prop_assert_eq!(format!("@{ms}").parse::<StartPosition>().unwrap(), StartPosition::Time(ms));
                let dt = Utc.timestamp_millis_opt(ms).unwrap();
                let text = format!("@{}", dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
                prop_assert_eq!(text.parse::<StartPosition>().unwrap(), StartPosition::Time(ms));
            }

            #[test]
            fn offsets_and_counts_read_back(n in 1i64..=i64::MAX) {
                prop_assert_eq!(format!("{n}").parse::<StartPosition>().unwrap(), StartPosition::Offset(n));
                prop_assert_eq!(format!("-{n}").parse::<StartPosition>().unwrap(), StartPosition::Last(n));
            }

            /// A duration resolves to exactly `now` minus it, or is refused when that is before
            /// the epoch.
            #[test]
            fn durations_resolve_against_now(secs in any::<u64>(), now in any_now()) {
                let text = format!("@-{secs}s");
                match text.parse::<StartPosition>() {
                    Ok(p) => {
                        prop_assert_eq!(p, StartPosition::Ago(Duration::from_secs(secs)));
                        let want = now.timestamp_millis() - i64::try_from(secs).unwrap() * 1000;
                        match p.timestamp_ms(now) {
                            Ok(got) => prop_assert_eq!(got, Some(want)),
                            Err(_) => prop_assert!(want < 0, "refused {} at {}", text, now),
                        }
                    }
                    Err(_) => prop_assert!(u128::from(secs) * 1000 > MAX_TIME_MS as u128),
                }
            }
        }
    }
}
