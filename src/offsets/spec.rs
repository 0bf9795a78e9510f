//! What an operator types: `--topic T:0,2,5`, `--to-datetime`, `--by-duration 15m|PT15M`.
//! Every parser names the bad value in a one-line usage error.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime};

use crate::error::{Error, Result};
use crate::record::position::{checked_time, TIME_RANGE};

/// One `--topic` argument: a whole topic, or some of its partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    pub topic: String,
    /// `None` = every partition of the topic.
    pub partitions: Option<Vec<i32>>,
}

impl TopicSpec {
    pub fn whole(topic: impl Into<String>) -> Self {
        TopicSpec {
            topic: topic.into(),
            partitions: None,
        }
    }
}

/// `T` or `T:0,2,5`, as Kafka's tool takes it (topic names cannot contain ':').
pub fn parse_topic_spec(s: &str) -> Result<TopicSpec> {
    let bad = |why: &str| {
        Error::usage(format!(
            "invalid topic '{s}': {why} (expected TOPIC or TOPIC:0,2,5)"
        ))
    };
    let s_trim = s.trim();
    let (topic, parts) = match s_trim.split_once(':') {
        None => (s_trim, None),
        Some((t, p)) => (t, Some(p)),
    };
    if topic.is_empty() {
        return Err(bad("no topic name"));
    }
    let partitions = match parts {
        None => None,
        Some(p) => {
            if p.trim().is_empty() {
                return Err(bad("no partitions after ':'"));
            }
            let mut ids = Vec::new();
            for item in p.split(',') {
                let item = item.trim();
                let id: i32 = item
                    .parse()
                    .map_err(|_| bad(&format!("'{item}' is not a partition number")))?;
                if id < 0 {
                    return Err(bad(&format!("'{item}' is not a partition number")));
                }
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            ids.sort_unstable();
            Some(ids)
        }
    };
    Ok(TopicSpec {
        topic: topic.to_string(),
        partitions,
    })
}

/// A point in time for `--to-datetime`: RFC 3339 with a zone (`2024-05-01T03:00:00Z`,
/// `2024-05-01T05:00:00.250+02:00`, Kafka's `+0200` form too) or milliseconds since the epoch.
/// A time without a zone is refused rather than guessed: at 3 a.m. "local" and "UTC" are easy
/// to confuse.
pub fn parse_datetime(s: &str) -> Result<i64> {
    let t = s.trim();
    let in_range = |ms: i64| {
        checked_time(ms).ok_or_else(|| {
            Error::usage(format!(
                "invalid time '{s}': expected a time from {TIME_RANGE}"
            ))
        })
    };
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return in_range(t.parse().unwrap_or(i64::MAX));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return in_range(dt.timestamp_millis());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
            return in_range(dt.timestamp_millis());
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if NaiveDateTime::parse_from_str(t, fmt).is_ok() {
            return Err(Error::usage(format!(
                "invalid time '{s}': it has no time zone; add Z for UTC (e.g. {t}Z) or an offset such as +02:00"
            )));
        }
    }
    Err(Error::usage(format!(
        "invalid time '{s}': expected RFC 3339 such as 2024-05-01T03:00:00Z, or milliseconds since the epoch"
    )))
}

/// A duration for `--by-duration`: `15m`, `1h 30m`, `2d` (humantime), or ISO 8601 as Kafka's
/// tool takes it (`PT15M`, `P1DT2H`, `PT0.5S`).
pub fn parse_duration(s: &str) -> Result<Duration> {
    let t = s.trim();
    let bad = || {
        Error::usage(format!(
            "invalid duration '{s}': expected e.g. 15m, 1h30m, 2d or ISO 8601 such as PT15M, P1DT2H"
        ))
    };
    if t.is_empty() || t.starts_with('-') {
        return Err(bad());
    }
    let d = if t.starts_with(['P', 'p']) {
        parse_iso_duration(t).ok_or_else(bad)?
    } else {
        humantime::parse_duration(t).map_err(|_| bad())?
    };
    if d.is_zero() {
        return Err(Error::usage(format!(
            "invalid duration '{s}': it must be longer than zero"
        )));
    }
    Ok(d)
}

/// `PnDTnHnMn.nS` (the form java.time.Duration parses; a leading '+' is allowed).
fn parse_iso_duration(s: &str) -> Option<Duration> {
    let s = s.to_ascii_uppercase();
    let body = s.strip_prefix('P')?;
    let (date, time) = match body.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return None;
            }
            (d, Some(t))
        }
        None => (body, None),
    };
    if date.is_empty() && time.is_none() {
        return None;
    }
    let mut total_ms: u128 = 0;
    // Date part: only days (java.time.Duration has no years or months).
    if !date.is_empty() {
        let n = date.strip_suffix('D')?;
        total_ms = number(n)?.checked_mul(86_400_000)?;
    }
    if let Some(mut rest) = time {
        let mut seen = String::new();
        while !rest.is_empty() {
            let end = rest.find(|c: char| c.is_ascii_alphabetic())?;
            let (num, unit) = (&rest[..end], &rest[end..=end]);
            if num.is_empty() || seen.contains(unit) {
                return None;
            }
            let order = "HMS";
            // Units in order H, M, S.
            if let Some(last) = seen.chars().last() {
                if order.find(unit)? <= order.find(last)? {
                    return None;
                }
            }
            seen.push_str(unit);
            let ms: u128 = match unit {
                "H" => number(num)?.checked_mul(3_600_000)?,
                "M" => number(num)?.checked_mul(60_000)?,
                "S" => {
                    let (whole, frac) = match num.split_once('.') {
                        Some((w, f)) => (w, f),
                        None => (num, ""),
                    };
                    if whole.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    let mut frac_ms = format!("{frac:0<3}");
                    frac_ms.truncate(3);
                    number(whole)?
                        .checked_mul(1000)?
                        .checked_add(number(&frac_ms)?)?
                }
                _ => return None,
            };
            total_ms = total_ms.checked_add(ms)?;
            rest = &rest[end + 1..];
        }
    }
    u64::try_from(total_ms).ok().map(Duration::from_millis)
}

/// A whole number of a duration's unit: digits, with an optional `+` as java.time takes it.
fn number(s: &str) -> Option<u128> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `--shift-by ±N`.
pub fn parse_shift(s: &str) -> Result<i64> {
    s.trim().parse::<i64>().map_err(|_| {
        Error::usage(format!(
            "invalid shift '{s}': expected a whole number such as -100 or +50"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_specs() {
        assert_eq!(
            parse_topic_spec("orders").unwrap(),
            TopicSpec::whole("orders")
        );
        assert_eq!(
            parse_topic_spec("orders:5,0,2,2").unwrap(),
            TopicSpec {
                topic: "orders".into(),
                partitions: Some(vec![0, 2, 5])
            }
        );
        for bad in ["", ":1", "t:", "t:a", "t:1,,2", "t:-1", "t:1:2"] {
            let e = parse_topic_spec(bad).unwrap_err();
            assert!(e.to_string().contains(&format!("'{bad}'")), "{e}");
            assert_eq!(e.exit_code(), crate::error::exit::USAGE);
        }
    }

    #[test]
    fn datetimes() {
        assert_eq!(
            parse_datetime("2024-01-02T03:04:05Z").unwrap(),
            1_704_164_645_000
        );
        assert_eq!(
            parse_datetime("2024-01-02T04:04:05.250+01:00").unwrap(),
            1_704_164_645_250
        );
        // Kafka's tool writes zones as +0100 too.
        assert_eq!(
            parse_datetime("2024-01-02T04:04:05.000+0100").unwrap(),
            1_704_164_645_000
        );
        assert_eq!(parse_datetime("1704164645000").unwrap(), 1_704_164_645_000);
        let e = parse_datetime("2024-01-02T03:04:05.000")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no time zone"), "{e}");
        let e = parse_datetime("yesterday").unwrap_err().to_string();
        assert!(e.contains("'yesterday'"), "{e}");
        for bad in [
            "1960-01-01T00:00:00Z",
            "99999999999999999999",
            "253402300800000",
            "0000-01-01T00:00:00+0100",
        ] {
            let e = parse_datetime(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("'{bad}'")) && e.contains("1970"), "{e}");
        }
        assert_eq!(parse_datetime("0").unwrap(), 0);
    }

    #[test]
    fn durations() {
        let d = |s: &str| parse_duration(s).unwrap();
        assert_eq!(d("15m"), Duration::from_secs(900));
        assert_eq!(d("1h 30m"), Duration::from_secs(5400));
        assert_eq!(d("PT15M"), Duration::from_secs(900));
        assert_eq!(d("pt15m"), Duration::from_secs(900));
        assert_eq!(d("P1DT2H"), Duration::from_secs(93_600));
        assert_eq!(d("P2D"), Duration::from_secs(172_800));
        assert_eq!(d("PT1H0.5S"), Duration::from_millis(3_600_500));
        assert_eq!(d("PT1M30S"), Duration::from_secs(90));
        for bad in [
            "",
            "-5m",
            "0s",
            "PT",
            "P",
            "PT15",
            "PT5S5M",
            "P1Y",
            "PTM",
            "PT1H1H",
            "abc",
            // Overflow: refused, never wrapped.
            "P99999999999999999999999999999999D",
            "PT99999999999999999999999999999999999999H",
            "PT340282366920938463463374607431768211455S",
            "P9999999999999999D",
            "99999999999999999999y",
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert_eq!(e.exit_code(), crate::error::exit::USAGE, "{bad}");
            assert!(e.to_string().contains(&format!("'{bad}'")), "{e}");
        }
    }

    #[test]
    fn shifts() {
        assert_eq!(parse_shift("-5").unwrap(), -5);
        assert_eq!(parse_shift("+5").unwrap(), 5);
        assert!(parse_shift("5x").is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_duration_input_is_a_duration_or_a_usage_error(s in ".*|P[0-9DTHMS.+]{0,40}|[0-9]{0,40}[a-z]{0,3}") {
                match parse_duration(&s) {
                    Ok(d) => prop_assert!(!d.is_zero()),
                    Err(e) => {
                        prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE);
                        prop_assert!(e.to_string().contains(&format!("'{s}'")), "{}", e);
                    }
                }
            }

            /// ISO 8601 durations add up exactly, and one too long for milliseconds in a u64 is
            /// refused rather than wrapped.
            #[test]
            fn iso_durations_add_up_or_are_refused(
                d in prop_oneof![0u128..1000, any::<u64>().prop_map(u128::from), any::<u128>()],
                h in prop_oneof![0u128..100, any::<u64>().prop_map(u128::from)],
                m in 0u128..100_000,
                s in prop_oneof![0u128..100, any::<u128>()],
                ms in 0u128..1000,
            ) {
                let text = format!("P{d}DT{h}H{m}M{s}.{ms:03}S");
                let want = d
                    .checked_mul(86_400_000)
                    .and_then(|t| t.checked_add(h.checked_mul(3_600_000)?))
                    .and_then(|t| t.checked_add(m * 60_000))
                    .and_then(|t| t.checked_add(s.checked_mul(1000)?))
                    .and_then(|t| t.checked_add(ms))
                    .and_then(|t| u64::try_from(t).ok())
                    .filter(|t| *t > 0);
                match (parse_duration(&text), want) {
                    (Ok(got), Some(want)) => prop_assert_eq!(got, Duration::from_millis(want)),
                    (Err(e), None) => prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE),
                    (got, want) => prop_assert!(false, "{}: {:?}, want {:?}", text, got, want),
                }
            }

            #[test]
            fn humantime_durations_read_back(ms in 1u64..=u64::MAX / 1000) {
                let d = Duration::from_millis(ms);
                let text = humantime::format_duration(d).to_string();
                prop_assert_eq!(parse_duration(&text).unwrap(), d);
            }

            #[test]
            fn partition_lists_read_back(
                topic in "[a-zA-Z0-9._-]{1,249}",
                parts in prop::collection::vec(0i32..=i32::MAX, 1..20),
            ) {
                let list: Vec<String> = parts.iter().map(i32::to_string).collect();
                let spec = parse_topic_spec(&format!("{topic}:{}", list.join(" , "))).unwrap();
                let mut want = parts.clone();
                want.sort_unstable();
                want.dedup();
                prop_assert_eq!(spec, TopicSpec { topic: topic.clone(), partitions: Some(want) });
                prop_assert_eq!(parse_topic_spec(&topic).unwrap(), TopicSpec::whole(topic));
            }

            #[test]
            fn any_topic_input_is_a_spec_or_a_usage_error(s in ".*|[a-z]{1,5}:[0-9, -]{0,30}") {
                if let Err(e) = parse_topic_spec(&s) {
                    prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE);
                    prop_assert!(e.to_string().contains(&format!("'{s}'")), "{}", e);
                }
            }

            #[test]
            fn any_time_input_is_a_time_or_a_usage_error(s in ".*|[0-9]{1,25}|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{8,12}(Z|[+-][0-9]{2}:?[0-9]{2})?") {
                match parse_datetime(&s) {
                    Ok(ms) => prop_assert!(checked_time(ms).is_some(), "{} -> {}", s, ms),
                    Err(e) => {
                        prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE);
                        prop_assert!(e.to_string().contains(&format!("'{s}'")), "{}", e);
                    }
                }
            }

            #[test]
            fn shifts_read_back(n in any::<i64>()) {
                prop_assert_eq!(parse_shift(&format!("{n:+}")).unwrap(), n);
                prop_assert_eq!(parse_shift(&n.to_string()).unwrap(), n);
            }
        }
    }
}
