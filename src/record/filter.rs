//! Record filters: `key=TEXT`, `value~REGEX`, `header.NAME=TEXT`, negated with `!=` / `!~`.
//! `=` compares the whole field exactly; `~` searches it with a regular expression over bytes,
//! so binary values can be matched too. Several filters must all match.

use regex::bytes::Regex;

use super::RecordRef;
use crate::error::Error;

#[derive(Debug, Clone)]
enum Field {
    Key,
    Value,
    Header(String),
}

#[derive(Debug, Clone)]
enum Test {
    Equals(Vec<u8>),
    Matches(Regex),
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
            .find(['=', '~'])
            .ok_or_else(|| bad("expected =, ~, != or !~"))?;
        let (mut lhs, op, rhs) = (&s[..pos], &s[pos..pos + 1], &s[pos + 1..]);
        let negate = lhs.ends_with('!');
        if negate {
            lhs = &lhs[..lhs.len() - 1];
        }
        let field = match lhs.trim() {
            "key" => Field::Key,
            "value" => Field::Value,
            h => match h.strip_prefix("header.") {
                Some(name) if !name.is_empty() => Field::Header(name.to_string()),
                _ => return Err(bad("the field must be key, value or header.NAME")),
            },
        };
        let test = if op == "=" {
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
        let hit = match &self.field {
            Field::Key => self.test_bytes(r.key),
            Field::Value => self.test_bytes(r.value),
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
        }
    }
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
    fn bad_filters_say_why() {
        for s in ["nothing", "body=1", "header.=x", "value~("] {
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
