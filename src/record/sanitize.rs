//! Message contents are untrusted. Before any of it reaches a terminal, control characters,
//! escape sequences and text-direction overrides are shown as visible escapes, never
//! interpreted. Everything else passes through unchanged.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters a terminal could act on: C0 controls, DEL, C1 controls (8-bit CSI and friends),
/// and Unicode bidi controls that can make text display in a misleading order.
pub fn is_dangerous(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{200e}' | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
    )
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// Escapes dangerous characters in text.
pub fn escape_text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_dangerous) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_dangerous(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Shows arbitrary bytes as text: valid UTF-8 with dangerous characters escaped, and every
/// byte that is not valid UTF-8 as `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => escape_text(s),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 16);
            for chunk in bytes.utf8_chunks() {
                out.push_str(&escape_text(chunk.valid()));
                for b in chunk.invalid() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
            Cow::Owned(out)
        }
    }
}

/// Like `escape_bytes` but keeps invalid UTF-8 visible without escaping control characters
/// (for pipes in utf8 mode: valid UTF-8 text out, nothing else changed).
pub fn utf8_or_escaped(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 16);
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                for b in chunk.invalid() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
            Cow::Owned(out)
        }
    }
}

/// For JSON going to a terminal: serde_json already escapes C0 controls; this escapes the
/// rest of the dangerous set as JSON `\uXXXX`, which keeps the JSON valid and equal in value.
pub fn escape_json_for_terminal(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_dangerous) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if is_dangerous(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_run() {
        assert_eq!(escape_text("\x1b[2Jboom"), "\\x1b[2Jboom");
        assert_eq!(escape_text("a\nb\tc\r"), "a\\nb\\tc\\r");
        assert_eq!(escape_text("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(escape_text("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escape_text("\x07bell\x7f"), "\\x07bell\\x7f");
        assert!(matches!(escape_text("plain ünïcode ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn invalid_utf8_is_hex() {
        assert_eq!(escape_bytes(b"ok\xff\xfe\x1b"), "ok\\xff\\xfe\\x1b");
        assert_eq!(utf8_or_escaped(b"ok\xff\x1b"), "ok\\xff\x1b");
    }

    #[test]
    fn json_stays_valid() {
        let json = serde_json::to_string("\u{9b}x\u{1b}").unwrap();
        let safe = escape_json_for_terminal(&json);
        assert!(!safe.chars().any(is_dangerous), "{safe}");
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, "\u{9b}x\u{1b}");
    }
}
