//! Reset plans as CSV, in the form Kafka's `kafka-consumer-groups --reset-offsets --export` writes,
//! so that plans move between kscope and Kafka's tool:
//!
//! ```text
//! orders,0,1200
//! orders,1,1187
//! ```
//!
//! One `topic,partition,offset` line per partition, no header. Kafka's tool writes
//! `group,topic,partition,offset` when it resets several groups at once; those files are read
//! too, keeping the lines of the group being reset. Blank lines and whitespace around fields are
//! tolerated; anything else is refused with its line number.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::model::PartitionRef;

/// One line of a plan file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// 1-based line number in the file, for messages.
    pub line: usize,
}

/// Splits one CSV line into fields; double-quoted fields may hold commas and `""`.
fn fields(line: &str) -> std::result::Result<Vec<String>, &'static str> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        // Skip leading whitespace of a field.
        while matches!(chars.peek(), Some(' ' | '\t')) {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("unterminated quote"),
                }
            }
            while matches!(chars.peek(), Some(' ' | '\t')) {
                chars.next();
            }
            match chars.next() {
                None => {
                    out.push(field);
                    return Ok(out);
                }
                Some(',') => out.push(field),
                Some(_) => return Err("text after a closing quote"),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        out.push(field.trim().to_string());
                        return Ok(out);
                    }
                    Some(',') => {
                        out.push(field.trim().to_string());
                        break;
                    }
                    Some(c) => field.push(c),
                }
            }
        }
    }
}

/// Parses a plan file for `group`. `source` names the file in messages.
pub fn parse(text: &str, group: &str, source: &str) -> Result<Vec<CsvRow>> {
    let bad = |line: usize, why: String| Error::usage(format!("{source}:{line}: {why}"));
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut seen: HashMap<PartitionRef, usize> = HashMap::new();
    let mut width: Option<usize> = None;
    let mut other_groups = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        let f = fields(raw).map_err(|why| bad(line, format!("{why} in '{}'", raw.trim())))?;
        match width {
            None if f.len() == 3 || f.len() == 4 => width = Some(f.len()),
            None => {
                return Err(bad(
                    line,
                    format!(
                        "expected topic,partition,offset but found {} field(s) in '{}'",
                        f.len(),
                        raw.trim()
                    ),
                ))
            }
            Some(w) if w != f.len() => {
                return Err(bad(
                    line,
                    format!(
                        "expected {w} fields like the lines before it, found {} in '{}'",
                        f.len(),
                        raw.trim()
                    ),
                ))
            }
            Some(_) => {}
        }
        let (row_group, rest) = if f.len() == 4 {
            (Some(f[0].as_str()), &f[1..])
        } else {
            (None, &f[..])
        };
        let topic = rest[0].clone();
        if topic.is_empty() {
            return Err(bad(line, "empty topic name".into()));
        }
        let partition: i32 = rest[1]
            .parse()
            .ok()
            .filter(|p: &i32| *p >= 0)
            .ok_or_else(|| bad(line, format!("'{}' is not a partition number", rest[1])))?;
        let offset: i64 = rest[2]
            .parse()
            .ok()
            .filter(|o: &i64| *o >= 0)
            .ok_or_else(|| bad(line, format!("'{}' is not an offset", rest[2])))?;
        if row_group.is_some_and(|g| g != group) {
            other_groups += 1;
            continue;
        }
        if let Some(first) = seen.insert(PartitionRef::new(&topic, partition), line) {
            return Err(bad(
                line,
                format!("{topic}:{partition} appears again (first on line {first})"),
            ));
        }
        rows.push(CsvRow {
            topic,
            partition,
            offset,
            line,
        });
    }
    if rows.is_empty() {
        return Err(Error::usage(if other_groups > 0 {
            format!(
                "{source}: no lines for group '{group}' (the file has lines for other groups only)"
            )
        } else {
            format!("{source}: no offsets in the file")
        }));
    }
    Ok(rows)
}

/// Writes `topic,partition,offset` lines, exactly as Kafka's tool exports them.
pub fn write<'a>(rows: impl IntoIterator<Item = (&'a str, i32, i64)>) -> String {
    let mut out = String::new();
    for (topic, partition, offset) in rows {
        out.push_str(&format!("{topic},{partition},{offset}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<(String, i32, i64)> {
        parse(text, "g", "plan.csv")
            .unwrap()
            .into_iter()
            .map(|r| (r.topic, r.partition, r.offset))
            .collect()
    }

    #[test]
    fn reads_what_kafka_writes() {
        // Kafka's tool prints the CSV with println, so the file ends with an empty line.
        assert_eq!(
            rows("orders,0,12\norders,1,7\n\n"),
            vec![("orders".into(), 0, 12), ("orders".into(), 1, 7)]
        );
        assert_eq!(
            rows(" orders , 0 , 12 \r\n"),
            vec![("orders".into(), 0, 12)]
        );
        assert_eq!(rows("orders,0,12"), vec![("orders".into(), 0, 12)]);
    }

    #[test]
    fn reads_the_group_form_keeping_this_group() {
        assert_eq!(
            rows("g,orders,0,12\nother,orders,0,99\n\"g\",orders,1,3\n"),
            vec![("orders".into(), 0, 12), ("orders".into(), 1, 3)]
        );
        let e = parse("other,orders,0,99\n", "g", "f.csv").unwrap_err();
        assert!(e.to_string().contains("other groups only"), "{e}");
        // Quoted group names may hold commas and quotes.
        let r = parse("\"a,\"\"b\",t,0,1\n", "a,\"b", "f").unwrap();
        assert_eq!(r[0].topic, "t");
    }

    #[test]
    fn refuses_garbage_with_a_line_number() {
        let cases = [
            ("orders,0\n", "f.csv:1:", "2 field(s)"),
            (
                "orders,0,1\norders,x,1\n",
                "f.csv:2:",
                "'x' is not a partition number",
            ),
            ("orders,0,-5\n", "f.csv:1:", "'-5' is not an offset"),
            ("\norders,0,1\norders,0,2\n", "f.csv:3:", "first on line 2"),
            (
                "orders,0,1\ng,orders,1,1\n",
                "f.csv:2:",
                "expected 3 fields",
            ),
            (",0,1\n", "f.csv:1:", "empty topic"),
            ("\"orders,0,1\n", "f.csv:1:", "unterminated quote"),
            ("TOPIC,PARTITION,NEW-OFFSET\n", "f.csv:1:", "'PARTITION'"),
            ("", "f.csv", "no offsets"),
            ("\n \n", "f.csv", "no offsets"),
        ];
        for (text, at, why) in cases {
            let e = parse(text, "g", "f.csv").unwrap_err();
            let msg = e.to_string();
            assert!(msg.starts_with(at) && msg.contains(why), "{text:?}: {msg}");
            assert_eq!(e.exit_code(), crate::error::exit::USAGE);
            assert_eq!(msg.lines().count(), 1);
        }
    }

    #[test]
    fn writes_kafkas_form_and_reads_it_back() {
        let text = write([("orders", 0, 12), ("orders", 1, 7)]);
        assert_eq!(text, "orders,0,12\norders,1,7\n");
        assert_eq!(rows(&text).len(), 2);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Distinct partitions of Kafka-named topics with any offsets.
        fn plan_rows() -> impl Strategy<Value = Vec<(String, i32, i64)>> {
            prop::collection::btree_map(
                ("[a-zA-Z0-9._-]{1,40}", 0i32..=i32::MAX),
                0i64..=i64::MAX,
                1..30,
            )
            .prop_map(|m| m.into_iter().map(|((t, p), o)| (t, p, o)).collect())
        }

        /// A CSV field as Kafka's tool (and any spreadsheet) may quote it.
        fn quoted(s: &str) -> String {
            format!("\"{}\"", s.replace('"', "\"\""))
        }

        proptest! {
            #[test]
            fn written_plans_read_back(rows in plan_rows(), crlf in any::<bool>()) {
                let mut text = write(rows.iter().map(|(t, p, o)| (t.as_str(), *p, *o)));
                if crlf {
                    text = text.replace('\n', "\r\n");
                }
                let back: Vec<(String, i32, i64)> = parse(&text, "g", "plan.csv")
                    .unwrap()
                    .into_iter()
                    .map(|r| (r.topic, r.partition, r.offset))
                    .collect();
                prop_assert_eq!(back, rows);
            }

            /// The group form keeps exactly the lines of the group being reset, whatever its
            /// name holds (commas, quotes, spaces, escapes).
            #[test]
            fn group_lines_are_picked_by_exact_name(
                rows in plan_rows(),
                group in "[^\r\n]{1,12}".prop_map(|g| g.trim().to_string()).prop_filter("a name", |g| !g.is_empty()),
                other in "[^\r\n]{1,12}",
            ) {
                // Another group: any name but this one (a prefix or suffix of it included).
                let other = if other == group { format!("{other}x") } else { other };
                let mut text = String::new();
                for (i, (t, p, o)) in rows.iter().enumerate() {
                    let g = if i % 2 == 0 { &group } else { &other };
                    text.push_str(&format!("{},{t},{p},{o}\n", quoted(g)));
                }
                let want: Vec<(String, i32, i64)> = rows.iter().step_by(2).cloned().collect();
                let got: Vec<(String, i32, i64)> = parse(&text, &group, "plan.csv")
                    .unwrap()
                    .into_iter()
                    .map(|r| (r.topic, r.partition, r.offset))
                    .collect();
                prop_assert_eq!(got, want);
            }

            /// Any file is a plan or one usage error line that names the file.
            #[test]
            fn any_text_is_a_plan_or_one_usage_error(text in ".*|([a-z\", ]{0,6},[0-9x-]{0,4},[0-9 -]{0,6}\r?\n){0,4}") {
                match parse(&text, "g", "plan.csv") {
                    Ok(rows) => {
                        prop_assert!(!rows.is_empty());
                        prop_assert!(rows.iter().all(|r| r.partition >= 0 && r.offset >= 0 && !r.topic.is_empty()));
                    }
                    Err(e) => {
                        prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE);
                        let msg = e.to_string();
                        prop_assert!(msg.starts_with("plan.csv"), "{}", msg);
                        prop_assert!(!msg.contains('\n'), "{}", msg);
                    }
                }
            }
        }
    }
}
