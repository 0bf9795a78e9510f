//! Numbers, ages and sparklines as short text for the console.

use std::time::Duration;

use super::state::Options;

use crate::model::Severity;

/// 1234567 -> "1,234,567".
pub fn num(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn opt_num(n: Option<i64>) -> String {
    n.map_or_else(|| "-".to_string(), num)
}

/// A rate per second: "0", "4.2", "1,234".
pub fn rate(r: Option<f64>) -> String {
    match r {
        None => "-".into(),
        Some(r) if r.abs() < 0.05 => "0".into(),
        Some(r) if r.abs() < 100.0 => format!("{r:.1}"),
        Some(r) => num(r.round() as i64),
    }
}

/// "5s", "3m", "2h", "4d".
pub fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// "45s", "12m 30s", "3h 5m".
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// Bytes: "512 B", "1.5 MiB".
pub fn bytes(n: usize) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// An inline sparkline of the last `width` values: "▁▂▄█".
pub fn spark(values: &[u64], width: usize) -> String {
    const BARS: &[char] = &['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail.iter().copied().max().unwrap_or(0);
    tail.iter()
        .map(|v| {
            if max == 0 {
                BARS[0]
            } else {
                BARS[((*v as f64 / max as f64) * (BARS.len() - 1) as f64).round() as usize]
            }
        })
        .collect()
}

/// Lag severity by the console's thresholds.
pub fn lag_severity(lag: Option<i64>, opts: &Options) -> Severity {
    match lag {
        Some(l) if l >= opts.lag_crit => Severity::Crit,
        Some(l) if l >= opts.lag_warn => Severity::Warn,
        _ => Severity::Ok,
    }
}

/// Cuts text to `width` characters, marking the cut with "…".
pub fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else if width == 0 {
        String::new()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

/// A count that is a lower bound when the answer is incomplete: `≥1,234`.
pub fn at_least(v: Option<i64>, complete: bool) -> String {
    match v {
        Some(_) if !complete => format!("≥{}", opt_num(v)),
        _ => opt_num(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(num(0), "0");
        assert_eq!(num(999), "999");
        assert_eq!(num(1000), "1,000");
        assert_eq!(num(-1234567), "-1,234,567");
        assert_eq!(rate(Some(0.01)), "0");
        assert_eq!(rate(Some(12.34)), "12.3");
        assert_eq!(rate(Some(1234.6)), "1,235");
        assert_eq!(bytes(2048), "2.0 KiB");
    }

    #[test]
    fn times() {
        assert_eq!(age(Duration::from_secs(75)), "1m");
        assert_eq!(duration(Duration::from_secs(75)), "1m 15s");
        assert_eq!(duration(Duration::from_secs(7300)), "2h 1m");
    }

    #[test]
    fn sparkline_scales_to_max() {
        assert_eq!(spark(&[0, 4, 8], 10), "▁▅█");
        assert_eq!(spark(&[0, 0], 10), "▁▁");
        assert_eq!(spark(&[1, 2, 3, 4], 2), "▆█");
    }

    #[test]
    fn cutting() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
