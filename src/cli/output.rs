//! `--output table|json|jsonl`: tables for people, JSON for scripts. Everything that reaches a
//! terminal is escaped, including strings that clients chose (client ids, hosts, group names).

use std::io::{IsTerminal, Write};

use clap::ValueEnum;
use comfy_table::{presets, Table};
use serde::Serialize;

use crate::error::{exit, Error, Result};
use crate::model::{Gaps, Listing};
use crate::record::sanitize::{escape_json_for_terminal, escape_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Output {
    /// Aligned columns for people.
    #[default]
    Table,
    /// One JSON document (an array for lists).
    Json,
    /// One compact JSON object per line.
    Jsonl,
}

pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Writes text to stdout; a closed pipe (`| head`) is not an error.
pub fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(Error::from),
    }
}

/// JSON text for stdout, escaped for a terminal when it is one.
pub fn json_text(value: &impl Serialize, pretty: bool) -> Result<String> {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .map_err(|e| Error::Io(format!("cannot write JSON: {e}")))?;
    Ok(if stdout_is_terminal() {
        escape_json_for_terminal(&text).into_owned()
    } else {
        text
    })
}

/// Prints one object: a table made by `table`, pretty JSON, or one JSON line.
pub fn print_one<T: Serialize>(
    output: Output,
    value: &T,
    table: impl FnOnce() -> String,
) -> Result<()> {
    match output {
        Output::Table => emit(&table()),
        Output::Json => emit(&(json_text(value, true)? + "\n")),
        Output::Jsonl => emit(&(json_text(value, false)? + "\n")),
    }
}

/// Prints a list: a table, a JSON array, or one JSON object per line.
pub fn print_list<T: Serialize>(
    output: Output,
    items: &[T],
    table: impl FnOnce() -> String,
) -> Result<()> {
    match output {
        Output::Table => emit(&table()),
        Output::Json => emit(&(json_text(&items, true)? + "\n")),
        Output::Jsonl => {
            let mut text = String::new();
            for item in items {
                text.push_str(&json_text(item, false)?);
                text.push('\n');
            }
            emit(&text)
        }
    }
}

/// Prints a listing: a table followed by a note for each incomplete item and for the list, a
/// JSON object `{"complete": .., "missing": [..], KEY: [..]}`, or one JSON object per item
/// (each with its own `complete` and `missing`) and, when the list itself lacks something, a
/// last line `{"complete": false, "missing": [..]}`. Returns the exit code: 0, or
/// [`exit::INCOMPLETE`] when anything is missing (also said on stderr for JSON output).
pub fn print_listing<T: Serialize>(
    output: Output,
    key: &str,
    listing: &Listing<T>,
    item: impl Fn(&T) -> (String, &Gaps),
    table: impl FnOnce() -> String,
) -> Result<i32> {
    let complete = listing.is_complete(|t| item(t).1);
    match output {
        Output::Table => {
            let mut text = table();
            let notes = incomplete_notes(&listing.gaps, listing.items.iter().map(&item));
            if !notes.is_empty() {
                text.push('\n');
                text.push_str(&notes);
            }
            emit(&text)?;
        }
        Output::Json => {
            let mut map = serde_json::Map::new();
            map.insert("complete".into(), serde_json::Value::Bool(complete));
            map.insert(
                "missing".into(),
                serde_json::to_value(&listing.gaps.0)
                    .map_err(|e| Error::Io(format!("cannot write JSON: {e}")))?,
            );
            map.insert(
                key.into(),
                serde_json::to_value(&listing.items)
                    .map_err(|e| Error::Io(format!("cannot write JSON: {e}")))?,
            );
            emit(&(json_text(&map, true)? + "\n"))?;
        }
        Output::Jsonl => {
            let mut text = String::new();
            for i in &listing.items {
                text.push_str(&json_text(i, false)?);
                text.push('\n');
            }
            if !listing.gaps.is_complete() {
                text.push_str(&json_text(&listing.gaps, false)?);
                text.push('\n');
            }
            emit(&text)?;
        }
    }
    if complete {
        return Ok(exit::OK);
    }
    if output != Output::Table {
        let notes = incomplete_notes(&listing.gaps, listing.items.iter().map(&item));
        for line in notes.lines() {
            eprintln!("kscope: {line}");
        }
    }
    Ok(exit::INCOMPLETE)
}

/// Prints one object that carries its own `complete`/`missing` fields (see [`print_one`]); in
/// a table, the note goes at the end. Returns 0 or [`exit::INCOMPLETE`].
pub fn print_gapped<T: Serialize>(
    output: Output,
    value: &T,
    name: &str,
    gaps: &Gaps,
    table: impl FnOnce() -> String,
) -> Result<i32> {
    print_one(output, value, || {
        let mut text = table();
        if !gaps.is_complete() {
            text.push('\n');
            text.push_str(&incomplete_notes(
                &Gaps::default(),
                std::iter::once((name.to_string(), gaps)),
            ));
        }
        text
    })?;
    if gaps.is_complete() {
        return Ok(exit::OK);
    }
    if output != Output::Table {
        eprintln!(
            "kscope: incomplete: {}",
            escape_text(&format!("{name}: {}", gaps.summary()))
        );
    }
    Ok(exit::INCOMPLETE)
}

/// `Incomplete: ...` lines: what the list lacks, then each item's gaps.
fn incomplete_notes<'a>(list: &Gaps, items: impl Iterator<Item = (String, &'a Gaps)>) -> String {
    let mut out = String::new();
    if !list.is_complete() {
        out.push_str(&format!("Incomplete: {}\n", escape_text(&list.summary())));
    }
    for (name, gaps) in items {
        if !gaps.is_complete() {
            out.push_str(&format!(
                "Incomplete: {}: {}\n",
                escape_text(&name),
                escape_text(&gaps.summary())
            ));
        }
    }
    out
}

/// A number that is a lower bound when the answer is incomplete: `≥123`.
pub fn at_least(v: Option<i64>, complete: bool) -> String {
    match v {
        Some(v) if !complete => format!("≥{v}"),
        v => opt(v),
    }
}

/// Plain aligned columns (no borders), easy to read and to `awk`.
pub fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t.set_header(headers.iter().map(|h| h.to_string()));
    for row in rows {
        t.add_row(row.into_iter().map(|c| escape_text(&c).into_owned()));
    }
    // comfy-table pads the first column with a leading space; trim each line for a tidy left edge.
    let mut s: String = t
        .to_string()
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    s.push('\n');
    s
}

/// `Key: value` lines with aligned values.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
    pairs
        .iter()
        .map(|(k, v)| format!("{:<width$} {}\n", format!("{k}:"), escape_text(v)))
        .collect()
}

pub fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_escapes_cells() {
        let t = table(&["A", "B"], vec![vec!["x\x1b[2J".into(), "1".into()]]);
        assert!(t.contains("x\\x1b[2J"), "{t}");
        assert!(t.starts_with('A'), "{t}");
    }

    #[test]
    fn fields_align() {
        assert_eq!(
            fields(&[("A", "1".into()), ("Long", "2".into())]),
            "A:    1\nLong: 2\n"
        );
    }
}
