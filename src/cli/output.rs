//! `--output table|json|jsonl`: tables for people, JSON for scripts.
//!
//! This is the one way kscope's commands write to stdout and stderr (clippy refuses `println!`
//! and friends elsewhere), so that what brokers and clients chose (group and topic names, client
//! ids, hosts, error texts) is escaped in one place before it reaches a terminal:
//! - text ([`emit`], [`emit_to`]) passes through [`escape_block`]: every control, escape and
//!   bidi/format character is shown as a visible escape (`\x1b`, `\u{202e}`); only kscope's own
//!   line breaks and tabs stay. Table cells and `Key: value` fields are escaped whole, line
//!   breaks included, so a name cannot break a table's lines.
//! - JSON ([`emit_json`], [`json_text`]) is escaped inside strings with JSON `\uXXXX`
//!   escapes: it stays valid JSON whose strings are exactly what the broker said, with its own
//!   newlines (pretty output) untouched.
//! - messages on stderr ([`report`], [`warn`]) are one line each.

use std::io::{IsTerminal, Write};

use clap::ValueEnum;
use comfy_table::{presets, Table};
use serde::Serialize;

use crate::error::{exit, Error, Result};
use crate::model::{Gaps, Listing};
use crate::record::sanitize::{escape_block, escape_json_for_terminal, escape_line, escape_text};

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

/// Where output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

#[allow(clippy::disallowed_methods)] // the one place that opens stdout for text
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// The stdout handle for the record writer of `tail`, which escapes record contents itself
/// (see `record::WriterOptions::escape`) and writes bytes that need not be UTF-8.
#[allow(clippy::disallowed_methods)]
pub fn record_stdout() -> std::io::Stdout {
    std::io::stdout()
}

/// Writes already safe bytes; a closed pipe (`| head`) is not an error.
#[allow(clippy::disallowed_methods)]
fn write_safe(stream: Stream, text: &str) -> Result<()> {
    let r = match stream {
        Stream::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|_| out.flush())
        }
        Stream::Stderr => {
            let mut err = std::io::stderr().lock();
            err.write_all(text.as_bytes()).and_then(|_| err.flush())
        }
    };
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(Error::from),
    }
}

/// Writes text made by kscope to stdout, escaped for a terminal (its line breaks and tabs stay).
pub fn emit(text: &str) -> Result<()> {
    emit_to(Stream::Stdout, text)
}

/// Writes one line to stdout: everything a terminal could act on is escaped, line breaks
/// included, so a name inside cannot split it (`watch` prints one line per alert event).
pub fn emit_line(line: &str) -> Result<()> {
    write_safe(Stream::Stdout, &(escape_text(line).into_owned() + "\n"))
}

/// Writes text made by kscope to stdout or stderr, escaped for a terminal.
pub fn emit_to(stream: Stream, text: &str) -> Result<()> {
    write_safe(stream, &escape_block(text))
}

/// One line on stderr, `kscope: MESSAGE`: line breaks in the message become spaces and
/// everything a terminal could act on is escaped. Failing to write to stderr is ignored: there
/// is nowhere left to say so.
pub fn report(msg: impl std::fmt::Display) {
    let _ = write_safe(
        Stream::Stderr,
        &format!("kscope: {}\n", escape_line(&msg.to_string())),
    );
}

/// `kscope: warning: MESSAGE` on stderr, one line.
pub fn warn(msg: impl std::fmt::Display) {
    report(format_args!("warning: {msg}"));
}

/// One line on stderr without the `kscope:` prefix (a question, a dry-run notice).
pub fn say(msg: impl std::fmt::Display) {
    let _ = write_safe(Stream::Stderr, &(escape_line(&msg.to_string()) + "\n"));
}

/// JSON text, with every control, DEL, C1 and bidi/format character inside strings as a
/// `\uXXXX` escape: valid JSON, equal in value, and safe on a terminal (also when a file
/// written from a pipe is shown later).
pub fn json_text(value: &impl Serialize, pretty: bool) -> Result<String> {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .map_err(|e| Error::Io(format!("cannot write JSON: {e}")))?;
    Ok(escape_json_for_terminal(&text).into_owned())
}

/// Writes one JSON document (pretty) or one JSON line (compact) and a line break.
pub fn emit_json(stream: Stream, value: &impl Serialize, pretty: bool) -> Result<()> {
    write_safe(stream, &(json_text(value, pretty)? + "\n"))
}

/// Prints one object: a table made by `table`, pretty JSON, or one JSON line.
pub fn print_one<T: Serialize>(
    output: Output,
    value: &T,
    table: impl FnOnce() -> String,
) -> Result<()> {
    match output {
        Output::Table => emit(&table()),
        Output::Json => emit_json(Stream::Stdout, value, true),
        Output::Jsonl => emit_json(Stream::Stdout, value, false),
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
        Output::Json => emit_json(Stream::Stdout, &items, true),
        Output::Jsonl => {
            let mut text = String::new();
            for item in items {
                text.push_str(&json_text(item, false)?);
                text.push('\n');
            }
            write_safe(Stream::Stdout, &text)
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
    print_listing_noted(output, key, listing, None, item, table)
}

/// A note on what a whole listing holds (it does not make it incomplete): a JSON field `key`
/// set to `true`, and `text` after the table (on stderr for JSON and JSON lines).
pub struct ListingNote<'a> {
    pub key: &'a str,
    pub text: String,
}

/// [`print_listing`] with a note on the whole list.
pub fn print_listing_noted<T: Serialize>(
    output: Output,
    key: &str,
    listing: &Listing<T>,
    note: Option<ListingNote<'_>>,
    item: impl Fn(&T) -> (String, &Gaps),
    table: impl FnOnce() -> String,
) -> Result<i32> {
    let complete = listing.is_complete(|t| item(t).1);
    match output {
        Output::Table => {
            let mut text = table();
            if let Some(n) = &note {
                text.push_str(&format!("note: {}\n", n.text));
            }
            let notes = incomplete_notes(&listing.gaps, listing.items.iter().map(&item));
            if !notes.is_empty() {
                text.push('\n');
                text.push_str(&notes);
            }
            emit(&text)?;
        }
        Output::Json => {
            let envelope = Envelope {
                complete,
                missing: &listing.gaps.0,
                note: note.as_ref().map(|n| n.key),
                key,
                items: &listing.items,
            };
            emit_json(Stream::Stdout, &envelope, true)?;
            if let Some(n) = &note {
                report(format_args!("note: {}", n.text));
            }
        }
        Output::Jsonl => {
            if let Some(n) = &note {
                report(format_args!("note: {}", n.text));
            }
            let mut text = String::new();
            for i in &listing.items {
                text.push_str(&json_text(i, false)?);
                text.push('\n');
            }
            if !listing.gaps.is_complete() {
                text.push_str(&json_text(&listing.gaps, false)?);
                text.push('\n');
            }
            write_safe(Stream::Stdout, &text)?;
        }
    }
    if complete {
        return Ok(exit::OK);
    }
    if output != Output::Table {
        let notes = incomplete_notes(&listing.gaps, listing.items.iter().map(&item));
        for line in notes.lines() {
            report(line);
        }
    }
    Ok(exit::INCOMPLETE)
}

/// `{"complete": .., "missing": [..], KEY: [..]}`, in that order.
struct Envelope<'a, T> {
    complete: bool,
    missing: &'a [crate::model::Missing],
    /// A listing note's field, set to `true`.
    note: Option<&'a str>,
    key: &'a str,
    items: &'a [T],
}

impl<T: Serialize> Serialize for Envelope<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("complete", &self.complete)?;
        m.serialize_entry("missing", self.missing)?;
        if let Some(note) = self.note {
            m.serialize_entry(note, &true)?;
        }
        m.serialize_entry(self.key, self.items)?;
        m.end()
    }
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
        report(format_args!("incomplete: {name}: {}", gaps.summary()));
    }
    Ok(exit::INCOMPLETE)
}

/// `incomplete: ...` lines: what the list lacks, then each item's gaps.
fn incomplete_notes<'a>(list: &Gaps, items: impl Iterator<Item = (String, &'a Gaps)>) -> String {
    let mut out = String::new();
    if !list.is_complete() {
        out.push_str(&format!("incomplete: {}\n", escape_text(&list.summary())));
    }
    for (name, gaps) in items {
        if !gaps.is_complete() {
            out.push_str(&format!(
                "incomplete: {}: {}\n",
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
    fn json_is_valid_and_keeps_its_lines() {
        let v = serde_json::json!({"cluster_id": "a\u{1b}[31m\u{202e}", "brokers": [1, 2]});
        let text = json_text(&v, true).unwrap();
        assert!(text.starts_with("{\n  \""), "{text}");
        assert!(
            text.contains("\"cluster_id\": \"a\\u001b[31m\\u202e\""),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
        let line = json_text(&v, false).unwrap();
        assert!(!line.contains('\n'));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&line).unwrap(), v);
    }

    #[test]
    fn fields_align() {
        assert_eq!(
            fields(&[("A", "1".into()), ("Long", "2".into())]),
            "A:    1\nLong: 2\n"
        );
    }
}
