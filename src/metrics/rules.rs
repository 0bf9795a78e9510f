//! Alert rules: a small grammar, parsed once from the config.
//!
//! ```text
//! rule      = metric [ "(" selector ")" ] comparison [ "for" duration ]
//! metric    = lag | lag_seconds | lag_growth | rate | consume_rate
//!           | under_replicated | offline | status
//! selector  = a group name (lag, lag_seconds, lag_growth, consume_rate, status) or a topic name
//!             (rate, under_replicated, offline); `*` and `?` are wildcards; none = all
//! comparison= (">" | ">=" | "<" | "<=" | "==" | "!=") value
//!           | "in" "[" STATUS { "," STATUS } "]"        (status only; also == and !=)
//! value     = number with an optional k / M / G suffix (10k = 10000)
//!             rates: "/s", "/m" or "/h" may follow (60/m = 1/s; plain numbers are per second)
//!             lag_seconds: a duration (5m, 300s) or a number of seconds
//! duration  = 30s, 2m, 1h, 1h30m, 500ms
//! STATUS    = OK | WARN | REWIND | STALL | STOP
//! ```
//!
//! Examples: `lag > 10000 for 2m`, `lag_seconds(billing) > 5m`, `rate(orders) < 1/s for 5m`,
//! `under_replicated > 0`, `status in [STALL, STOP]`, `lag_growth(ana*) > 50/s for 1m`.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use super::status::Status;
use super::time::{format_duration, parse_duration, Millis};
use crate::model::Severity;

/// What a rule measures, and of which kind of resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Records a group has yet to read (sum over its partitions).
    Lag,
    /// How far behind a group is in time (its worst partition), in seconds.
    LagSeconds,
    /// How fast a group's lag grows, records per second (negative: catching up).
    LagGrowth,
    /// Records produced to a topic per second.
    Rate,
    /// Records a group commits per second.
    ConsumeRate,
    /// Partitions of a topic with fewer in-sync replicas than replicas.
    UnderReplicated,
    /// Partitions of a topic without a leader.
    Offline,
    /// A group's status (OK, WARN, REWIND, STALL, STOP).
    Status,
}

impl Metric {
    pub const ALL: [Metric; 8] = [
        Metric::Lag,
        Metric::LagSeconds,
        Metric::LagGrowth,
        Metric::Rate,
        Metric::ConsumeRate,
        Metric::UnderReplicated,
        Metric::Offline,
        Metric::Status,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Metric::Lag => "lag",
            Metric::LagSeconds => "lag_seconds",
            Metric::LagGrowth => "lag_growth",
            Metric::Rate => "rate",
            Metric::ConsumeRate => "consume_rate",
            Metric::UnderReplicated => "under_replicated",
            Metric::Offline => "offline",
            Metric::Status => "status",
        }
    }

    /// Whether the resources are topics (otherwise groups).
    pub fn of_topics(&self) -> bool {
        matches!(
            self,
            Metric::Rate | Metric::UnderReplicated | Metric::Offline
        )
    }

    fn is_rate(&self) -> bool {
        matches!(self, Metric::Rate | Metric::ConsumeRate | Metric::LagGrowth)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
    In,
}

impl Op {
    pub fn symbol(&self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::In => "in",
        }
    }
}

/// What a metric is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Threshold {
    Number(f64),
    Statuses(Vec<Status>),
}

impl Serialize for Threshold {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Threshold::Number(n) => s.serialize_f64(*n),
            Threshold::Statuses(v) => v.serialize(s),
        }
    }
}

/// A metric's value for one resource.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Number(f64),
    Status(Status),
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Number(n) => s.serialize_f64(*n),
            Value::Status(st) => st.serialize(s),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(f, "{}", *n as i64),
            Value::Number(n) => write!(f, "{n:.2}"),
            Value::Status(s) => write!(f, "{s}"),
        }
    }
}

/// A parsed rule: `metric(selector) op threshold for duration`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub metric: Metric,
    /// A glob over group or topic names; `None` = all.
    pub selector: Option<String>,
    pub op: Op,
    pub threshold: Threshold,
    /// How long the comparison must hold before the alert fires.
    pub hold: Millis,
}

impl Condition {
    /// Whether `value` meets the condition.
    pub fn holds(&self, value: Value) -> bool {
        match (value, &self.threshold) {
            (Value::Number(v), Threshold::Number(t)) => match self.op {
                Op::Gt => v > *t,
                Op::Ge => v >= *t,
                Op::Lt => v < *t,
                Op::Le => v <= *t,
                Op::Eq => v == *t,
                Op::Ne => v != *t,
                Op::In => false,
            },
            (Value::Status(s), Threshold::Statuses(set)) => match self.op {
                Op::In | Op::Eq => set.contains(&s),
                Op::Ne => !set.contains(&s),
                _ => false,
            },
            _ => false,
        }
    }
}

impl FromStr for Condition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse(s)
    }
}

/// A named rule with its severity, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    pub name: String,
    /// The rule as written.
    pub expr: String,
    pub condition: Condition,
    pub severity: Severity,
    /// How long the condition must be false before a firing alert resolves (default: its
    /// `for` duration).
    pub resolve_after: Option<Millis>,
}

impl AlertRule {
    pub fn new(name: &str, expr: &str, severity: Severity) -> Result<AlertRule, String> {
        Ok(AlertRule {
            name: name.to_string(),
            expr: expr.trim().to_string(),
            condition: parse(expr)?,
            severity,
            resolve_after: None,
        })
    }

    pub fn resolve_after(&self) -> Millis {
        self.resolve_after.unwrap_or(self.condition.hold)
    }
}

/// The rules that apply when the config names none: lag in time, stuck groups, and partitions
/// at risk.
pub fn default_rules() -> Vec<AlertRule> {
    [
        ("lag-seconds", "lag_seconds > 300", Severity::Crit),
        ("group-status", "status in [STALL, STOP]", Severity::Warn),
        ("under-replicated", "under_replicated > 0", Severity::Crit),
        ("offline", "offline > 0", Severity::Crit),
    ]
    .into_iter()
    .filter_map(|(name, expr, sev)| AlertRule::new(name, expr, sev).ok())
    .collect()
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Op(Op),
    Open,
    Close,
    OpenList,
    CloseList,
    Comma,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(w) => f.write_str(w),
            Token::Op(op) => f.write_str(op.symbol()),
            Token::Open => f.write_str("("),
            Token::Close => f.write_str(")"),
            Token::OpenList => f.write_str("["),
            Token::CloseList => f.write_str("]"),
            Token::Comma => f.write_str(","),
        }
    }
}

fn tokenize(s: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            '[' => {
                out.push(Token::OpenList);
                i += 1;
            }
            ']' => {
                out.push(Token::CloseList);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '>' | '<' | '=' | '!' => {
                let (op, len) = match (c, next) {
                    ('>', Some('=')) => (Op::Ge, 2),
                    ('<', Some('=')) => (Op::Le, 2),
                    ('=', Some('=')) => (Op::Eq, 2),
                    ('!', Some('=')) => (Op::Ne, 2),
                    ('>', _) => (Op::Gt, 1),
                    ('<', _) => (Op::Lt, 1),
                    ('=', _) => (Op::Eq, 1),
                    _ => return Err(format!("unexpected '{c}'")),
                };
                out.push(Token::Op(op));
                i += len;
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !matches!(
                        chars[i],
                        '(' | ')' | '[' | ']' | ',' | '>' | '<' | '=' | '!'
                    )
                {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

/// Parses a rule; the error says what was expected where.
pub fn parse(text: &str) -> Result<Condition, String> {
    let tokens = tokenize(text)?;
    let mut p = Parser { tokens, pos: 0 };
    p.condition()
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn found(&self) -> String {
        match self.tokens.get(self.pos.saturating_sub(1)) {
            Some(t) if self.pos > 0 && self.pos <= self.tokens.len() => format!("'{t}'"),
            _ => "the end".into(),
        }
    }

    fn condition(&mut self) -> Result<Condition, String> {
        let metric = match self.next() {
            Some(Token::Word(w)) => Metric::ALL
                .into_iter()
                .find(|m| m.name() == w.to_ascii_lowercase())
                .ok_or_else(|| {
                    format!(
                        "unknown metric '{w}': expected one of {}",
                        Metric::ALL.map(|m| m.name()).join(", ")
                    )
                })?,
            _ => {
                return Err(format!(
                    "expected a metric ({}) at the start",
                    Metric::ALL.map(|m| m.name()).join(", ")
                ))
            }
        };
        let selector = if self.peek() == Some(&Token::Open) {
            self.pos += 1;
            let sel = match self.next() {
                Some(Token::Word(w)) => w,
                _ => {
                    return Err(format!(
                        "expected a {} name or pattern inside {metric}( ), found {}",
                        if metric.of_topics() { "topic" } else { "group" },
                        self.found()
                    ))
                }
            };
            if self.next() != Some(Token::Close) {
                return Err(format!(
                    "expected ')' after {metric}({sel}, found {}",
                    self.found()
                ));
            }
            Some(sel)
        } else {
            None
        };
        let op = match self.next() {
            Some(Token::Op(op)) => op,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("in") => Op::In,
            _ => {
                return Err(format!(
                    "expected a comparison (>, >=, <, <=, ==, !={}) after '{metric}', found {}",
                    if metric == Metric::Status { ", in" } else { "" },
                    self.found()
                ))
            }
        };
        let threshold = if metric == Metric::Status {
            self.statuses(op)?
        } else {
            if op == Op::In {
                return Err(format!(
                    "'in [..]' compares a status; {metric} takes >, >=, <, <=, == or !="
                ));
            }
            Threshold::Number(self.number(metric)?)
        };
        let hold = match self.next() {
            None => 0,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("for") => match self.next() {
                Some(Token::Word(d)) => parse_duration(&d).ok_or_else(|| {
                    format!("invalid duration '{d}' after 'for': expected e.g. 30s, 2m or 1h")
                })?,
                _ => {
                    return Err(format!(
                        "expected a duration after 'for' (e.g. 2m), found {}",
                        self.found()
                    ))
                }
            },
            Some(t) => {
                return Err(format!(
                    "unexpected '{t}' after the comparison: expected 'for DURATION' or the end"
                ))
            }
        };
        if let Some(t) = self.next() {
            return Err(format!("unexpected '{t}' after the 'for' duration"));
        }
        Ok(Condition {
            metric,
            selector,
            op,
            threshold,
            hold,
        })
    }

    fn statuses(&mut self, op: Op) -> Result<Threshold, String> {
        let expected = "expected a status (OK, WARN, REWIND, STALL, STOP)";
        match op {
            Op::Eq | Op::Ne => match self.next() {
                Some(Token::Word(w)) => Ok(Threshold::Statuses(vec![w.parse()?])),
                _ => Err(format!(
                    "{expected} after '{}', found {}",
                    op.symbol(),
                    self.found()
                )),
            },
            Op::In => {
                if self.next() != Some(Token::OpenList) {
                    return Err(format!(
                        "expected '[' after 'in' (e.g. status in [STALL, STOP]), found {}",
                        self.found()
                    ));
                }
                let mut set = Vec::new();
                loop {
                    match self.next() {
                        Some(Token::Word(w)) => set.push(w.parse::<Status>()?),
                        _ => return Err(format!("{expected} in the list, found {}", self.found())),
                    }
                    match self.next() {
                        Some(Token::Comma) => continue,
                        Some(Token::CloseList) => break,
                        _ => {
                            return Err(format!(
                                "expected ',' or ']' in the status list, found {}",
                                self.found()
                            ))
                        }
                    }
                }
                Ok(Threshold::Statuses(set))
            }
            _ => Err(format!(
                "status compares with ==, != or 'in [..]', not '{}'",
                op.symbol()
            )),
        }
    }

    fn number(&mut self, metric: Metric) -> Result<f64, String> {
        let word = match self.next() {
            Some(Token::Word(w)) => w,
            _ => {
                return Err(format!(
                    "expected a number after the comparison, found {}",
                    self.found()
                ))
            }
        };
        let bad = |why: &str| format!("invalid value '{word}' for {metric}: {why}");
        if metric == Metric::LagSeconds {
            if let Ok(n) = word.parse::<f64>() {
                return finite(n).ok_or_else(|| bad("expected seconds or a duration"));
            }
            return parse_duration(&word)
                .map(|ms| ms as f64 / 1000.0)
                .ok_or_else(|| bad("expected a duration (e.g. 5m, 300s) or seconds"));
        }
        let (amount, per) = match word.split_once('/') {
            Some((a, unit)) => {
                if !metric.is_rate() {
                    return Err(bad("only rates take a unit like /s"));
                }
                let per = match unit {
                    "s" | "sec" => 1.0,
                    "m" | "min" => 60.0,
                    "h" => 3600.0,
                    _ => return Err(bad("expected /s, /m or /h")),
                };
                (a, per)
            }
            None => (word.as_str(), 1.0),
        };
        let (digits, scale) = match amount.char_indices().last() {
            Some((i, 'k')) | Some((i, 'K')) => (&amount[..i], 1e3),
            Some((i, 'M')) => (&amount[..i], 1e6),
            Some((i, 'G')) => (&amount[..i], 1e9),
            _ => (amount, 1.0),
        };
        let n: f64 = digits.replace('_', "").parse().map_err(|_| {
            bad(if metric.is_rate() {
                "expected a number such as 100, 10k, 1/s or 60/m"
            } else {
                "expected a number such as 100 or 10k"
            })
        })?;
        finite(n * scale / per).ok_or_else(|| bad("not a finite number"))
    }
}

fn finite(n: f64) -> Option<f64> {
    n.is_finite().then_some(n)
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.metric)?;
        if let Some(s) = &self.selector {
            write!(f, "({s})")?;
        }
        match &self.threshold {
            Threshold::Number(n) => write!(f, " {} {}", self.op.symbol(), Value::Number(*n))?,
            Threshold::Statuses(v) => {
                let list: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
                write!(f, " in [{}]", list.join(", "))?
            }
        }
        if self.hold > 0 {
            write!(f, " for {}", format_duration(self.hold))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Condition {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn the_examples_parse() {
        let c = ok("lag > 10000 for 2m");
        assert_eq!(c.metric, Metric::Lag);
        assert_eq!(c.selector, None);
        assert_eq!(c.op, Op::Gt);
        assert_eq!(c.threshold, Threshold::Number(10000.0));
        assert_eq!(c.hold, 120_000);

        let c = ok("lag_seconds > 300");
        assert_eq!(c.threshold, Threshold::Number(300.0));
        assert_eq!(ok("lag_seconds>5m").threshold, Threshold::Number(300.0));

        let c = ok("rate(orders) < 1/s for 5m");
        assert_eq!(c.metric, Metric::Rate);
        assert_eq!(c.selector.as_deref(), Some("orders"));
        assert_eq!(c.threshold, Threshold::Number(1.0));
        assert_eq!(c.hold, 300_000);
        assert_eq!(ok("rate(x) < 60/m").threshold, Threshold::Number(1.0));
        assert_eq!(ok("rate(x) >= 1.5k/s").threshold, Threshold::Number(1500.0));
        assert_eq!(
            ok("lag_growth(ana*) > -5/s").threshold,
            Threshold::Number(-5.0)
        );

        assert_eq!(ok("under_replicated > 0").metric, Metric::UnderReplicated);
        assert_eq!(ok("offline>0").op, Op::Gt);
        assert_eq!(ok("lag > 10k").threshold, Threshold::Number(10_000.0));
        assert_eq!(ok("lag >= 1_000").threshold, Threshold::Number(1000.0));

        let c = ok("status in [STALL, STOP]");
        assert_eq!(c.op, Op::In);
        assert_eq!(
            c.threshold,
            Threshold::Statuses(vec![Status::Stall, Status::Stop])
        );
        let c = ok("status(billing) == stop for 30s");
        assert_eq!(c.threshold, Threshold::Statuses(vec![Status::Stop]));
        assert_eq!(c.hold, 30_000);
    }

    #[test]
    fn rules_print_back_in_canonical_form() {
        for (text, shown) in [
            ("lag>10k for 2m", "lag > 10000 for 2m"),
            ("rate(orders) < 60/m", "rate(orders) < 1"),
            ("status in [stall,stop]", "status in [STALL, STOP]"),
        ] {
            assert_eq!(ok(text).to_string(), shown);
        }
    }

    #[test]
    fn bad_rules_say_what_was_expected() {
        for (text, expect) in [
            ("", "expected a metric"),
            ("latency > 5", "unknown metric 'latency'"),
            ("lag", "expected a comparison"),
            (
                "lag >> 5",
                "expected a number after the comparison, found '>'",
            ),
            ("lag > lots", "invalid value 'lots' for lag"),
            ("lag > 5/s", "only rates take a unit"),
            ("rate > 5/d", "expected /s, /m or /h"),
            ("lag > 5 for ever", "invalid duration 'ever'"),
            ("lag > 5 for", "expected a duration after 'for'"),
            ("lag > 5 when", "unexpected 'when'"),
            ("lag > 5 for 1m now", "unexpected 'now'"),
            ("lag( > 5", "expected a group name"),
            ("rate(a b) > 5", "expected ')'"),
            ("status > OK", "status compares with"),
            ("status in STALL", "expected '['"),
            ("status in [STALL STOP]", "expected ',' or ']'"),
            ("status in [STUCK]", "unknown status 'STUCK'"),
            ("lag in [STALL]", "'in [..]' compares a status"),
            ("lag_seconds > soon", "expected a duration"),
            ("lag ! 5", "unexpected '!'"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(expect), "{text:?}: {e}");
        }
    }

    #[test]
    fn conditions_compare() {
        let c = ok("lag > 10");
        assert!(c.holds(Value::Number(11.0)));
        assert!(!c.holds(Value::Number(10.0)));
        assert!(!c.holds(Value::Status(Status::Stop)));
        let c = ok("status in [STALL, STOP]");
        assert!(c.holds(Value::Status(Status::Stop)));
        assert!(!c.holds(Value::Status(Status::Warn)));
        let c = ok("status != OK");
        assert!(c.holds(Value::Status(Status::Warn)));
        assert!(!c.holds(Value::Status(Status::Ok)));
    }

    #[test]
    fn severities_and_defaults() {
        assert_eq!("warning".parse::<Severity>(), Ok(Severity::Warn));
        assert_eq!("CRIT".parse::<Severity>(), Ok(Severity::Crit));
        assert!("fatal".parse::<Severity>().unwrap_err().contains("'fatal'"));
        let d = default_rules();
        assert_eq!(d.len(), 4, "every default rule parses");
        assert!(d
            .iter()
            .any(|r| r.name == "lag-seconds" && r.severity == Severity::Crit));
    }
}
