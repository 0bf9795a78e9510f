//! Record filters: `key=TEXT`, `value~REGEX`, `header.NAME=TEXT`, negated with `!=` / `!~`.
//! `=` compares the whole field exactly; `~` searches it with a regular expression over bytes,
//! so binary values can be matched too. Several filters must all match.
//!
//! A key or value decoded through a schema is matched as its compact JSON text, and a path
//! form reads one field of a JSON key or value: `value.amount>100`, `value.customer.id=7`,
//! `value.lines.0.sku~^A` (numbers index arrays), with `=`, `!=`, `~`, `!~`, `>`, `>=`, `<`,
//! `<=`. Numbers (and strings holding numbers, as decimals and 64-bit integers are shown)
//! compare as numbers, other strings as text; a field that is not there matches nothing
//! (so `!=` and `!~` match it).

use regex::bytes::Regex;

use super::{Decoded, DecodedRecord, RecordRef};
use crate::error::Error;

#[derive(Debug, Clone)]
enum Field {
    Key,
    Value,
    Header(String),
    /// A path into the JSON of the key (`false`) or the value (`true`).
    Path(bool, Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Greater,
    GreaterEq,
    Less,
    LessEq,
}

#[derive(Debug, Clone)]
enum Test {
    Equals(Vec<u8>),
    Matches(Regex),
    Compare(Order, String),
}

#[derive(Debug, Clone)]
pub struct Filter {
    field: Field,
    test: Test,
    negate: bool,
}

impl Filter {
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Error::usage(format!(
                "invalid filter '{s}': {why} (e.g. key=order-1, value~\"status\":\"failed\", header.source!=web)"
            ))
        };
        let pos = s
            .find(['=', '~', '<', '>'])
            .ok_or_else(|| bad("expected =, ~, !=, !~, >, >=, < or <="))?;
        let mut op = &s[pos..pos + 1];
        let mut rhs = &s[pos + 1..];
        if (op == "<" || op == ">") && rhs.starts_with('=') {
            op = &s[pos..pos + 2];
            rhs = &s[pos + 2..];
        }
        let mut lhs = &s[..pos];
        let negate = lhs.ends_with('!') && (op == "=" || op == "~");
        if negate {
            lhs = &lhs[..lhs.len() - 1];
        }
        let path = |rest: &str| -> Result<Vec<String>, Error> {
            let parts: Vec<String> = rest.split('.').map(str::to_string).collect();
            if parts.iter().any(String::is_empty) {
                return Err(bad("a field path has an empty part"));
            }
            Ok(parts)
        };
        let field = match lhs.trim() {
            "key" => Field::Key,
            "value" => Field::Value,
            h => match (
                h.strip_prefix("header."),
                h.strip_prefix("key."),
                h.strip_prefix("value."),
            ) {
                (Some(name), _, _) if !name.is_empty() => Field::Header(name.to_string()),
                (_, Some(rest), _) => Field::Path(false, path(rest)?),
                (_, _, Some(rest)) => Field::Path(true, path(rest)?),
                _ => {
                    return Err(bad(
                        "the field must be key, value, header.NAME, key.PATH or value.PATH",
                    ))
                }
            },
        };
        let order = match op {
            ">" => Some(Order::Greater),
            ">=" => Some(Order::GreaterEq),
            "<" => Some(Order::Less),
            "<=" => Some(Order::LessEq),
            _ => None,
        };
        if order.is_some() && !matches!(field, Field::Path(..)) {
            return Err(bad(
                "> >= < <= compare a field of a JSON key or value: key.PATH or value.PATH",
            ));
        }
        let test = if let Some(o) = order {
            Test::Compare(o, rhs.trim().to_string())
        } else if op == "=" {
            Test::Equals(rhs.as_bytes().to_vec())
        } else {
            Test::Matches(Regex::new(rhs).map_err(|e| {
                bad(&format!(
                    "bad regular expression: {}",
                    first_line(&e.to_string())
                ))
            })?)
        };
        Ok(Filter {
            field,
            test,
            negate,
        })
    }

    pub fn needs_headers(&self) -> bool {
        matches!(self.field, Field::Header(_))
    }

    pub fn matches(&self, r: &RecordRef<'_>) -> bool {
        self.matches_decoded(r, &DecodedRecord::default())
    }

    /// Matches a record whose key or value may have been decoded through a schema.
    pub fn matches_decoded(&self, r: &RecordRef<'_>, d: &DecodedRecord<'_>) -> bool {
        let text = |bytes: Option<&[u8]>, d: &Decoded<'_>| -> Option<Vec<u8>> {
            match d {
                Decoded::Json(t, _) => Some(t.to_vec()),
                _ => bytes.map(<[u8]>::to_vec),
            }
        };
        let hit = match &self.field {
            Field::Key => match d.key {
                Decoded::Json(t, _) => self.test_bytes(Some(t)),
                _ => self.test_bytes(r.key),
            },
            Field::Value => match d.value {
                Decoded::Json(t, _) => self.test_bytes(Some(t)),
                _ => self.test_bytes(r.value),
            },
            Field::Path(is_value, path) => {
                let json = if *is_value {
                    text(r.value, &d.value)
                } else {
                    text(r.key, &d.key)
                };
                json.and_then(|j| serde_json::from_slice::<serde_json::Value>(&j).ok())
                    .and_then(|v| lookup(&v, path).map(|x| self.test_json(x)))
                    .unwrap_or(false)
            }
            // Any header of that name may match (headers can repeat).
            Field::Header(name) => r
                .headers
                .iter()
                .filter(|(k, _)| *k == name.as_bytes())
                .any(|(_, v)| self.test_bytes(*v)),
        };
        hit != self.negate
    }

    fn test_bytes(&self, b: Option<&[u8]>) -> bool {
        let Some(b) = b else { return false };
        match &self.test {
            Test::Equals(want) => b == want.as_slice(),
            Test::Matches(re) => re.is_match(b),
            Test::Compare(..) => false,
        }
    }

    fn test_json(&self, v: &serde_json::Value) -> bool {
        use serde_json::Value;
        let as_text = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let number = |v: &Value| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
            _ => None,
        };
        match &self.test {
            Test::Equals(want) => {
                let want = String::from_utf8_lossy(want);
                match (number(v), want.trim().parse::<f64>()) {
                    (Some(a), Ok(b)) if !matches!(v, Value::String(_)) => a == b,
                    _ => as_text == want,
                }
            }
            Test::Matches(re) => re.is_match(as_text.as_bytes()),
            Test::Compare(o, rhs) => {
                let ord = match (number(v), rhs.parse::<f64>()) {
                    (Some(a), Ok(b)) => a.partial_cmp(&b),
                    _ if matches!(v, Value::String(_)) => Some(as_text.as_str().cmp(rhs.as_str())),
                    _ => None,
                };
                let Some(ord) = ord else { return false };
                match o {
                    Order::Greater => ord.is_gt(),
                    Order::GreaterEq => ord.is_ge(),
                    Order::Less => ord.is_lt(),
                    Order::LessEq => ord.is_le(),
                }
            }
        }
    }

    fn needs_json(&self) -> bool {
        matches!(self.field, Field::Path(..))
    }
}

/// The value at a dotted path: object keys, or array indexes.
fn lookup<'v>(v: &'v serde_json::Value, path: &[String]) -> Option<&'v serde_json::Value> {
    path.iter().try_fold(v, |v, p| match v {
        serde_json::Value::Object(m) => m.get(p),
        serde_json::Value::Array(a) => p.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

fn first_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

/// All filters of a tail; an empty set lets everything through.
#[derive(Debug, Clone, Default)]
pub struct FilterSet(Vec<Filter>);

impl FilterSet {
    pub fn parse(specs: &[String]) -> Result<Self, Error> {
        specs
            .iter()
            .map(|s| Filter::parse(s))
            .collect::<Result<_, _>>()
            .map(FilterSet)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn needs_headers(&self) -> bool {
        self.0.iter().any(Filter::needs_headers)
    }

    pub fn matches(&self, r: &RecordRef<'_>) -> bool {
        self.0.iter().all(|f| f.matches(r))
    }

    pub fn matches_decoded(&self, r: &RecordRef<'_>, d: &DecodedRecord<'_>) -> bool {
        self.0.iter().all(|f| f.matches_decoded(r, d))
    }

    /// Whether a filter reads a field inside a JSON key or value.
    pub fn needs_json(&self) -> bool {
        self.0.iter().any(Filter::needs_json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec<'a>(key: Option<&'a [u8]>, value: &'a [u8]) -> RecordRef<'a> {
        RecordRef {
            topic: "t",
            partition: 0,
            offset: 0,
            timestamp: None,
            key,
            value: Some(value),
            headers: vec![(b"source", Some(b"web")), (b"source", Some(b"app"))],
        }
    }

    #[test]
    fn fields_and_operators() {
        let r = rec(Some(b"order-1"), b"{\"status\":\"failed\"}");
        assert!(Filter::parse("key=order-1").unwrap().matches(&r));
        assert!(!Filter::parse("key=order").unwrap().matches(&r));
        assert!(Filter::parse("key~^order-\\d$").unwrap().matches(&r));
        assert!(Filter::parse("value~failed").unwrap().matches(&r));
        assert!(Filter::parse("value!~ok").unwrap().matches(&r));
        assert!(Filter::parse("header.source=app").unwrap().matches(&r));
        assert!(!Filter::parse("header.source!=app").unwrap().matches(&r));
        assert!(!Filter::parse("header.missing~.").unwrap().matches(&r));
        assert!(!Filter::parse("key=x").unwrap().matches(&rec(None, b"")));
    }

    #[test]
    fn paths_into_json() {
        let r = rec(None, br#"{"amount":"120.50","n":7,"c":{"id":"x"},"l":[{"s":"A1"}],"t":"2024-01-02T00:00:00Z"}"#);
        for (f, want) in [
            ("value.amount>100", true),
            ("value.amount<=100", false),
            ("value.n=7", true),
            ("value.n>=7.5", false),
            ("value.c.id=x", true),
            ("value.c.id!=x", false),
            ("value.l.0.s~^A", true),
            ("value.missing=1", false),
            ("value.missing!=1", true),
            ("value.t>2024-01-01", true),
        ] {
            assert_eq!(Filter::parse(f).unwrap().matches(&r), want, "{f}");
        }
        let meta = super::super::SchemaMeta {
            id: Some(1),
            subject: None,
            version: None,
            kind: super::super::SchemaKind::Avro,
            message: None,
            file: None,
        };
        let d = DecodedRecord {
            key: Decoded::Plain,
            value: Decoded::Json(br#"{"status":"PAID","amount":"5.00"}"#, &meta),
            active: true,
        };
        let raw = rec(None, b"\x00\x00\x00\x00\x01binary");
        assert!(Filter::parse("value~PAID")
            .unwrap()
            .matches_decoded(&raw, &d));
        assert!(Filter::parse("value.amount<10")
            .unwrap()
            .matches_decoded(&raw, &d));
        assert!(!Filter::parse("value.amount<10").unwrap().matches(&raw));
    }

    #[test]
    fn bad_filters_say_why() {
        for s in [
            "nothing",
            "body=1",
            "header.=x",
            "value~(",
            "key>3",
            "value..a=1",
        ] {
            let e = Filter::parse(s).unwrap_err().to_string();
            assert!(e.contains(&format!("'{s}'")), "{e}");
        }
    }

    #[test]
    fn a_set_needs_all() {
        let r = rec(Some(b"a"), b"b");
        assert!(FilterSet::parse(&[]).unwrap().matches(&r));
        assert!(FilterSet::parse(&["key=a".into(), "value=b".into()])
            .unwrap()
            .matches(&r));
        assert!(!FilterSet::parse(&["key=a".into(), "value=c".into()])
            .unwrap()
            .matches(&r));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn record<'a>(
            key: Option<&'a [u8]>,
            value: Option<&'a [u8]>,
            header: &'a [u8],
        ) -> RecordRef<'a> {
            RecordRef {
                topic: "t",
                partition: 0,
                offset: 0,
                timestamp: None,
                key,
                value,
                headers: vec![(&b"h"[..], Some(header))],
            }
        }

        proptest! {
            #[test]
            fn any_filter_parses_or_is_a_usage_error(s in ".*|(key|value|header\\.[a-z]{0,3})!?[=~].*") {
                if let Err(e) = Filter::parse(&s) {
                    prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE);
                    prop_assert!(e.to_string().contains(&format!("'{s}'")), "{}", e);
                }
            }

            /// `=` is byte equality of the whole field and `!=` its opposite, for any text.
            #[test]
            fn equals_compares_whole_fields(want in ".*", have in prop_oneof![".*".prop_map(String::into_bytes), prop::collection::vec(any::<u8>(), 0..8)]) {
                let r = record(Some(&have), Some(&have), &have);
                for field in ["key", "value", "header.h"] {
                    let eq = Filter::parse(&format!("{field}={want}")).unwrap().matches(&r);
                    prop_assert_eq!(eq, have == want.as_bytes(), "{}={:?} on {:?}", field, want, have);
                    let ne = Filter::parse(&format!("{field}!={want}")).unwrap().matches(&r);
                    prop_assert_eq!(ne, !eq);
                }
            }

            /// `~` with an escaped pattern finds the text anywhere in the field.
            #[test]
            fn matches_search_the_field(needle in ".{0,6}", before in ".{0,6}", after in ".{0,6}", absent in any::<bool>()) {
                let hay = if absent { before.clone() } else { format!("{before}{needle}{after}") };
                let r = record(None, Some(hay.as_bytes()), b"");
                let f = Filter::parse(&format!("value~{}", regex::escape(&needle))).unwrap();
                prop_assert_eq!(f.matches(&r), hay.contains(needle.as_str()));
            }
        }
    }
}
