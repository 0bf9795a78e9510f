//! The layering of the crate (ARCHITECTURE.md), checked on the source text so it stays true:
//!
//! - no module imports one from a higher layer:
//!   model < metrics, record, config < kafka, offsets < app < ui < runtime, cli;
//! - app/, model/, metrics/ and the offsets engine (offsets/engine/) use none of tokio, rdkafka,
//!   ratatui, crossterm;
//! - what app/ and ui/ take from offsets/ is its pure part (engine, spec, csv), never the
//!   broker side (`offsets::plan`, `offsets::apply`);
//! - the pure core names only code that is pure too: the offsets engine never reaches kafka/
//!   or the broker side of offsets/, and what the core leans on (record/, config/, error.rs,
//!   offsets/spec.rs and csv.rs) uses none of those crates either.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module of src/ and its layer; a module may use its own layer and those below.
const LAYERS: &[(&str, u8)] = &[
    ("error", 0),
    ("model", 0),
    ("private_file", 0),
    ("metrics", 1),
    ("record", 1),
    ("config", 1),
    ("kafka", 2),
    ("offsets", 2),
    ("schema", 2),
    ("demo", 2),
    ("silences", 2),
    ("app", 3),
    ("ui", 4),
    ("runtime", 5),
    ("cli", 5),
];

/// Crates the pure core never uses: they do IO, own threads, or draw.
const IMPURE_CRATES: &[&str] = &["tokio", "rdkafka", "ratatui", "crossterm"];

/// Parts of src/ that must be pure.
const PURE: &[&str] = &["app/", "model/", "metrics/", "offsets/engine/"];

/// Code outside the pure core that the core uses: it must be free of those crates as well.
const PURE_SUPPORT: &[&str] = &[
    "error.rs",
    "record/",
    "config/",
    "offsets/spec.rs",
    "offsets/csv.rs",
];

/// What the pure core may name through `crate::`: itself and its support, by path.
const PURE_PATHS: &[&str] = &[
    "error",
    "Error",
    "Result",
    "model",
    "metrics",
    "record",
    "config",
    "app",
    "offsets::engine",
    "offsets::spec",
    "offsets::csv",
];

/// What app/ and ui/ may take from offsets/.
const OFFSETS_PURE_PARTS: &[&str] = &["engine", "spec", "csv"];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a Rust file with comments and the contents of string and character literals
/// blanked out (newlines kept), so that words in prose or messages are not taken for paths.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&chars, i) {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match chars.get(j) {
                    None => break,
                    Some('"') if (1..=hashes).all(|h| chars.get(j + h) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    Some(&ch) => out.push(blank(ch)),
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(&ch) = chars.get(i) {
                    out.push(blank(ch));
                }
                i += 1;
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{1b}') or a lifetime ('a).
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The top-level modules a file names through `crate::` (also inside `use crate::{a, b::c}`),
/// with the path that follows, e.g. ("offsets", "engine::ResetPlan").
fn crate_paths(code: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(pos) = rest.find("crate::") {
        let before = rest[..pos].chars().last();
        rest = &rest[pos + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest_trim = rest.trim_start();
        if let Some(group) = rest_trim.strip_prefix('{') {
            let end = matching_brace(group);
            for item in split_top_level(&group[..end]) {
                let item = item.trim();
                if !item.is_empty() {
                    out.push(split_path(item));
                }
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            out.push(split_path(&rest[..end]));
        }
    }
    out
}

fn split_path(path: &str) -> (String, String) {
    let path: String = path.chars().filter(|c| !c.is_whitespace()).collect();
    match path.split_once("::") {
        Some((m, tail)) => (m.to_string(), tail.to_string()),
        None => (path, String::new()),
    }
}

fn matching_brace(s: &str) -> usize {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    s.len()
}

fn split_top_level(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Whether the code names crate `name` as a path (`tokio::spawn`, `use tokio;`, `#[tokio::test]`).
fn uses_crate(code: &str, name: &str) -> bool {
    let mut rest = code;
    while let Some(pos) = rest.find(name) {
        let before = rest[..pos].chars().last();
        let after = &rest[pos + name.len()..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let after = after.trim_start();
        if after.starts_with("::") || after.starts_with(';') || after.starts_with(" as ") {
            return true;
        }
    }
    false
}

fn top_module(rel: &str) -> String {
    let first = rel.split('/').next().unwrap_or(rel);
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn no_module_imports_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut checked = 0;
    for path in &files {
        let rel = path
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let top = top_module(&rel);
        if matches!(top.as_str(), "lib" | "main") {
            continue;
        }
        let Some(own) = layer(&top) else {
            problems.entry(rel.clone()).or_default().push(format!(
                "'{top}' has no layer: add it to LAYERS and ARCHITECTURE.md"
            ));
            continue;
        };
        checked += 1;
        let text = std::fs::read_to_string(path).expect("source file");
        let code = code_only(&text);
        for (module, tail) in crate_paths(&code) {
            match layer(&module) {
                Some(l) if l > own => problems.entry(rel.clone()).or_default().push(format!(
                    "{top} (layer {own}) uses crate::{module} (layer {l})"
                )),
                Some(_) => {}
                None if matches!(module.as_str(), "Error" | "Result" | "self" | "") => {}
                None => problems
                    .entry(rel.clone())
                    .or_default()
                    .push(format!("uses crate::{module}, which has no layer")),
            }
            if module == "offsets" && matches!(top.as_str(), "app" | "ui") {
                let part = tail.split("::").next().unwrap_or("");
                if !OFFSETS_PURE_PARTS.contains(&part) {
                    problems.entry(rel.clone()).or_default().push(format!(
                        "{top} uses crate::offsets::{tail}: take the plain data from \
                         offsets::engine (the broker side belongs to runtime and cli)"
                    ));
                }
            }
        }
        if PURE.iter().any(|p| rel.starts_with(p)) {
            for (module, tail) in crate_paths(&code) {
                let path = if tail.is_empty() {
                    module.clone()
                } else {
                    format!("{module}::{tail}")
                };
                let allowed = PURE_PATHS
                    .iter()
                    .any(|p| path == *p || path.starts_with(&format!("{p}::")));
                if !allowed {
                    problems
                        .entry(rel.clone())
                        .or_default()
                        .push(format!("pure code uses crate::{path}"));
                }
            }
        }
        if PURE.iter().chain(PURE_SUPPORT).any(|p| rel.starts_with(p)) {
            for name in IMPURE_CRATES {
                if uses_crate(&code, name) {
                    problems
                        .entry(rel.clone())
                        .or_default()
                        .push(format!("pure code uses {name}"));
                }
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} files checked: is src/ where it was?"
    );
    let report: Vec<String> = problems
        .iter()
        .map(|(file, p)| format!("src/{file}: {}", p.join("; ")))
        .collect();
    assert!(report.is_empty(), "layering broken:\n{}", report.join("\n"));
}

/// The checker itself: what it sees as a path and what it ignores.
#[test]
fn the_checker_reads_paths_not_prose() {
    let code = code_only(
        "use crate::{model::X, ui::{a, b}};\n// crate::runtime in a comment\nlet s = \"crate::cli\";\nlet c = '\"'; fn f<'a>() {}\nuse crate::app::State;\n/* tokio::spawn */ let r = r#\"tokio::x\"#;",
    );
    let mods: Vec<String> = crate_paths(&code).into_iter().map(|(m, _)| m).collect();
    assert_eq!(mods, ["model", "ui", "app"]);
    assert!(!uses_crate(&code, "tokio"));
    assert!(uses_crate("#[tokio::test]", "tokio"));
    assert!(uses_crate("use ratatui;", "ratatui"));
    assert!(!uses_crate("let my_tokio::x", "tokio"));
    assert_eq!(
        crate_paths("crate::offsets::engine::ResetPlan")[0],
        ("offsets".to_string(), "engine::ResetPlan".to_string())
    );
}
