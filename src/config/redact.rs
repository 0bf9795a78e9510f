//! Keeps secrets out of config parse errors. The TOML parser quotes what it could not read
//! (`unknown variant `hunter2``, `invalid type: integer `12345``); when that text comes from a
//! line that holds a secret, the message must not show it.
//!
//! A line holds a secret when its key is sensitive (`password`, `"sasl.password"`, ...), when it
//! is inside a sensitive table (`[contexts.prod.password]`), or when it continues the value of
//! such a line (a multi-line string or array). Every word and string on the value side of those
//! lines is a secret fragment; quoted fragments of the message that overlap one are replaced,
//! and so is any longer fragment found anywhere in the message.

use super::secret::is_sensitive_key;

const REDACTED: &str = "<redacted>";

/// `message` with everything that may come from a secret in `text` replaced.
pub fn redact_parse_message(text: &str, message: &str) -> String {
    let secrets = secret_fragments(text);
    if secrets.is_empty() {
        return message.to_string();
    }
    let mut out = redact_quoted(message, &secrets);
    // Longest first, so a fragment inside another does not leave half of it.
    let mut long: Vec<&String> = secrets.iter().filter(|s| s.chars().count() >= 4).collect();
    long.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in long {
        out = out.replace(s.as_str(), REDACTED);
    }
    out
}

/// Replaces quoted parts of the message (`...`, "...", '...') that overlap a secret.
fn redact_quoted(message: &str, secrets: &[String]) -> String {
    let reveals = |frag: &str| {
        !frag.is_empty()
            && secrets.iter().any(|s| {
                frag.contains(s.as_str()) || (frag.chars().count() >= 3 && s.contains(frag))
            })
    };
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(['`', '"', '\'']) {
        let quote = rest[start..].chars().next().unwrap_or('`');
        let after = &rest[start + quote.len_utf8()..];
        match after.find(quote) {
            Some(end) => {
                let frag = &after[..end];
                out.push_str(&rest[..start]);
                if reveals(frag) {
                    out.push_str(REDACTED);
                } else {
                    out.push(quote);
                    out.push_str(frag);
                    out.push(quote);
                }
                rest = &after[end + quote.len_utf8()..];
            }
            None => {
                // An unbalanced quote: the rest of the message is one fragment.
                out.push_str(&rest[..start]);
                if reveals(after) {
                    out.push_str(REDACTED);
                } else {
                    out.push_str(&rest[start..]);
                }
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The words and strings on the value side of every line that holds a secret.
fn secret_fragments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut table_secret = false;
    // Open multi-line string delimiter or bracket depth of a secret value still going on.
    let mut open_string: Option<&str> = None;
    let mut depth: i32 = 0;
    for line in text.lines() {
        if let Some(delim) = open_string {
            fragments_of(line, &mut out);
            if line.contains(delim) {
                open_string = None;
            }
            continue;
        }
        if depth > 0 {
            fragments_of(line, &mut out);
            depth += bracket_balance(line);
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            let header = trimmed
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or_default();
            table_secret = key_is_sensitive(header);
            continue;
        }
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let (key, value) = match split_key(line) {
            Some(kv) => kv,
            // Not a key = value line (the parser will say so): treat it all as a value if
            // it is inside a secret table.
            None if table_secret => ("", line),
            None => continue,
        };
        if !(table_secret || key_is_sensitive(key)) {
            continue;
        }
        fragments_of(value, &mut out);
        for delim in ["\"\"\"", "'''"] {
            if value.matches(delim).count() % 2 == 1 {
                open_string = Some(delim);
            }
        }
        if open_string.is_none() {
            depth = bracket_balance(value).max(0);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Whether a (dotted, maybe quoted) key or table header names a secret.
fn key_is_sensitive(key: &str) -> bool {
    let unquoted: String = key.chars().filter(|c| !matches!(c, '"' | '\'')).collect();
    is_sensitive_key(unquoted.trim())
}

/// Splits `key = value` at the first `=` outside quotes.
fn split_key(line: &str) -> Option<(&str, &str)> {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '=') => return Some((&line[..i], &line[i + 1..])),
            _ => {}
        }
    }
    None
}

/// Every string content and bare word of a value.
fn fragments_of(value: &str, out: &mut Vec<String>) {
    let mut word = String::new();
    let mut push = |w: &mut String| {
        let t = w.trim();
        if !t.is_empty() {
            out.push(t.to_string());
        }
        w.clear();
    };
    for c in value.chars() {
        if matches!(c, '"' | '\'' | '{' | '}' | '[' | ']' | ',' | '=') || c.is_whitespace() {
            push(&mut word);
        } else {
            word.push(c);
        }
    }
    push(&mut word);
    // Whole quoted strings too, spaces and all.
    for q in ['"', '\''] {
        let parts: Vec<&str> = value.split(q).collect();
        for (i, p) in parts.iter().enumerate() {
            if i % 2 == 1 && !p.trim().is_empty() {
                out.push(p.to_string());
            }
        }
        // An unterminated string: its tail is a fragment.
        if parts.len().is_multiple_of(2) {
            if let Some(last) = parts.last().filter(|p| !p.trim().is_empty()) {
                out.push(last.to_string());
            }
        }
    }
}

fn bracket_balance(s: &str) -> i32 {
    s.chars()
        .map(|c| match c {
            '[' | '{' => 1,
            ']' | '}' => -1,
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_secret_fragments_are_replaced() {
        let text = "[contexts.a]\npassword = \"hunter2\"\n";
        assert_eq!(
            redact_parse_message(
                text,
                "unknown variant `hunter2`, expected one of `env`, `value`"
            ),
            "unknown variant <redacted>, expected one of `env`, `value`"
        );
        // Nothing secret in the file: the message is untouched.
        let plain = "[contexts.a]\nbootstrapp = \"x\"\n";
        assert_eq!(
            redact_parse_message(plain, "unknown field `bootstrapp`"),
            "unknown field `bootstrapp`"
        );
    }

    #[test]
    fn secret_lines_are_found() {
        let text = "[contexts.a]\nbootstrap = \"b:1\"\npassword = { value = \"p w\" }\n\
                    [contexts.a.properties]\n\"sasl.password\" = '''multi\nline'''\n\
                    \"client.id\" = \"me\"\n[contexts.b.password]\nvalue = 'x1'\n";
        let f = secret_fragments(text);
        for s in ["p w", "multi", "line", "x1", "value"] {
            assert!(f.contains(&s.to_string()), "{s} missing from {f:?}");
        }
        for s in ["b:1", "me", "client.id", "bootstrap"] {
            assert!(!f.contains(&s.to_string()), "{s} in {f:?}");
        }
    }
}
