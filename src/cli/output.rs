//! `--output table|json|jsonl`: tables for people, JSON for scripts. Everything that reaches a
//! terminal is escaped, including strings that clients chose (client ids, hosts, group names).

use std::io::{IsTerminal, Write};

use clap::ValueEnum;
use comfy_table::{presets, Table};
use serde::Serialize;

use crate::error::{Error, Result};
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
