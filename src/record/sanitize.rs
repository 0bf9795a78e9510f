//! Broker-supplied names, error texts and message contents are untrusted. Before any of it
//! reaches a terminal, control characters, escape sequences and invisible text-direction or
//! format characters are shown as visible escapes, never interpreted. Everything else passes
//! through unchanged.
//!
//! Three forms, for three kinds of output:
//! - [`escape_text`]: a value (a cell, a field, a one-line message): every dangerous character
//!   is escaped, line breaks included (`\n`, `\x1b`, `\u{202e}`).
//! - [`escape_block`]: text kscope laid out itself (a table, a report): the same, except that
//!   its own line breaks and tabs stay.
//! - [`escape_json_for_terminal`]: JSON text: dangerous characters inside strings become JSON
//!   `\uXXXX` escapes, so the text stays valid JSON with the same value; the JSON's own
//!   whitespace (the newlines of pretty output) is left alone.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters a terminal could act on or that hide or reorder text: C0 controls, DEL, C1
/// controls (8-bit CSI and friends), Unicode bidi controls (which make text display in a
/// misleading order), line and paragraph separators, and invisible format characters (zero
/// width space, word joiner and invisible operators, the byte order mark, interlinear
/// annotations, tag characters). Zero-width joiners (U+200C, U+200D) stay: scripts and emoji
/// need them and they hide nothing.
pub fn is_dangerous(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200b}' | '\u{200e}' | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}'
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

fn escape_with(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let escape = |c: char| is_dangerous(c) && !keep(c);
    if !s.chars().any(escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Escapes every dangerous character, line breaks included: for values and one-line messages.
pub fn escape_text(s: &str) -> Cow<'_, str> {
    escape_with(s, |_| false)
}

/// Escapes every dangerous character except line feeds and tabs: for text kscope laid out
/// (tables, reports), whose own lines and columns must stay.
pub fn escape_block(s: &str) -> Cow<'_, str> {
    escape_with(s, |c| c == '\n' || c == '\t')
}

/// One line for stderr: line breaks become spaces (multi-line texts from a library read as one
/// line), everything else dangerous is escaped.
pub fn escape_line(s: &str) -> String {
    let joined = s
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    escape_text(&joined).into_owned()
}

/// Appends each byte as `\xNN` (lower-case hex).
fn push_hex_escapes(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push('\\');
        out.push('x');
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
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
                push_hex_escapes(&mut out, chunk.invalid());
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
            // Binary values (Avro, Protobuf read as text) are mostly invalid bytes: each
            // becomes four characters without going through fmt.
            let mut out = String::with_capacity(bytes.len() * 2 + 16);
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                push_hex_escapes(&mut out, chunk.invalid());
            }
            Cow::Owned(out)
        }
    }
}

/// For JSON going to a terminal: every dangerous character inside a string becomes a JSON
/// `\uXXXX` escape (a surrogate pair above U+FFFF), which keeps the JSON valid and equal in
/// value. serde_json already escapes C0 controls in strings but not DEL, C1 or bidi controls.
/// Outside strings nothing changes: the newlines and indentation of pretty JSON are the
/// document's own whitespace, not content.
pub fn escape_json_for_terminal(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_dangerous) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            } else if is_dangerous(c) {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
                continue;
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escape_sequences_are_shown_not_run() {
        assert_eq!(escape_text("\x1b[2Jboom"), "\\x1b[2Jboom");
        assert_eq!(escape_text("a\nb\tc\r"), "a\\nb\\tc\\r");
        assert_eq!(escape_text("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(escape_text("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escape_text("\x07bell\x7f"), "\\x07bell\\x7f");
        assert_eq!(
            escape_text("a\u{61c}\u{2066}\u{e0041}"),
            "a\\u{61c}\\u{2066}\\u{e0041}"
        );
        assert!(matches!(
            escape_text("plain ünïcode ✓ 👩\u{200d}🔧"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn blocks_keep_their_lines_and_columns() {
        assert_eq!(
            escape_block("a\tb\n\x1b]0;t\x07\r\n"),
            "a\tb\n\\x1b]0;t\\x07\\r\n"
        );
        assert_eq!(
            escape_line("first\n  second \r\n\x1b[31m"),
            "first second \\x1b[31m"
        );
    }

    #[test]
    fn invalid_utf8_is_hex() {
        assert_eq!(escape_bytes(b"ok\xff\xfe\x1b"), "ok\\xff\\xfe\\x1b");
        assert_eq!(utf8_or_escaped(b"ok\xff\x1b"), "ok\\xff\x1b");
        for b in 0x80..=0xffu8 {
            let want = format!("a\\x{b:02x}z");
            assert_eq!(utf8_or_escaped(&[b'a', b, b'z']), want);
            assert_eq!(escape_bytes(&[b'a', b, b'z']), want);
        }
    }

    #[test]
    fn json_stays_valid() {
        let json = serde_json::to_string("\u{9b}x\u{1b}\u{7f}\u{e0001}").unwrap();
        let safe = escape_json_for_terminal(&json);
        assert!(!safe.chars().any(is_dangerous), "{safe}");
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, "\u{9b}x\u{1b}\u{7f}\u{e0001}");
    }

    #[test]
    fn pretty_json_keeps_its_newlines() {
        let v = serde_json::json!({"cluster_id": "abc", "names": ["\u{202e}x", "y\n"]});
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        let safe = escape_json_for_terminal(&pretty);
        assert_eq!(safe.lines().count(), pretty.lines().count(), "{safe}");
        assert!(safe.starts_with("{\n  \"cluster_id\""), "{safe}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&safe).unwrap(), v);
    }

    /// Strings that lean on the dangerous set: controls, C1, bidi and format characters,
    /// quotes and backslashes, mixed with ordinary text.
    fn hostile() -> impl Strategy<Value = String> {
        let c = prop_oneof![
            3 => any::<char>(),
            2 => prop::char::range('\u{0}', '\u{9f}'),
            1 => prop::sample::select(vec![
                '\u{61c}', '\u{200b}', '\u{200e}', '\u{200f}', '\u{2028}', '\u{2029}',
                '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{feff}', '\u{e0001}',
                '\u{e007f}', '"', '\\', 'u', '{', '}',
            ]),
        ];
        prop::collection::vec(c, 0..40).prop_map(|v| v.into_iter().collect())
    }

    /// What must never reach a terminal raw, written out apart from `is_dangerous` so that a
    /// character dropped from it fails these properties.
    fn must_escape(c: char) -> bool {
        let u = c as u32;
        u < 0x20
            || (0x7f..=0x9f).contains(&u)
            || [0x61c, 0x200e, 0x200f, 0x2028, 0x2029, 0xfeff].contains(&u)
            || (0x202a..=0x202e).contains(&u)
            || (0x2066..=0x2069).contains(&u)
            || (0xe0000..=0xe007f).contains(&u)
    }

    fn raw_dangerous(s: &str) -> Option<char> {
        s.chars().find(|c| must_escape(*c) || is_dangerous(*c))
    }

    proptest! {
        #[test]
        fn text_never_carries_a_dangerous_character(s in hostile()) {
            let out = escape_text(&s);
            prop_assert_eq!(raw_dangerous(&out), None, "{:?} -> {:?}", s, out);
            // Nothing safe is lost or changed: removing the escapes of an input without
            // backslashes gives the input back.
            if !s.contains('\\') {
                prop_assert_eq!(unescape(&out), s);
            }
        }

        #[test]
        fn blocks_keep_exactly_their_line_feeds_and_tabs(s in hostile()) {
            let out = escape_block(&s);
            prop_assert_eq!(
                out.chars().find(|c| raw_dangerous(&c.to_string()).is_some() && *c != '\n' && *c != '\t'),
                None,
                "{:?} -> {:?}", s, out
            );
            prop_assert_eq!(out.matches('\n').count(), s.matches('\n').count());
        }

        #[test]
        fn a_line_is_one_line(s in hostile()) {
            let out = escape_line(&s);
            prop_assert_eq!(raw_dangerous(&out), None, "{:?} -> {:?}", s, out);
        }

        #[test]
        fn bytes_never_carry_a_dangerous_character(b in prop::collection::vec(any::<u8>(), 0..64)) {
            let out = escape_bytes(&b);
            prop_assert_eq!(raw_dangerous(&out), None, "{:?} -> {:?}", b, out);
        }

        #[test]
        fn json_on_a_terminal_parses_back_to_the_same_string(s in hostile(), pretty in any::<bool>()) {
            let v = serde_json::json!({ "name": s, "list": [s.clone(), "x"] });
            let json = if pretty {
                serde_json::to_string_pretty(&v).unwrap()
            } else {
                serde_json::to_string(&v).unwrap()
            };
            let safe = escape_json_for_terminal(&json);
            prop_assert_eq!(
                safe.chars().find(|c| raw_dangerous(&c.to_string()).is_some() && *c != '\n'),
                None,
                "{:?}", safe
            );
            prop_assert_eq!(safe.lines().count(), json.lines().count());
            let back: serde_json::Value = serde_json::from_str(&safe)
                .map_err(|e| TestCaseError::fail(format!("{e}: {safe}")))?;
            prop_assert_eq!(back, v);
        }
    }

    /// The inverse of `escape_text` for inputs without backslashes (test helper).
    fn unescape(s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('\\') {
            out.push_str(&rest[..i]);
            let esc = &rest[i + 1..];
            let (c, len) = match esc.as_bytes().first() {
                Some(b'n') => ('\n', 1),
                Some(b'r') => ('\r', 1),
                Some(b't') => ('\t', 1),
                Some(b'x') => (char::from(u8::from_str_radix(&esc[1..3], 16).unwrap()), 3),
                _ => {
                    let end = esc.find('}').unwrap();
                    (
                        char::from_u32(u32::from_str_radix(&esc[2..end], 16).unwrap()).unwrap(),
                        end + 1,
                    )
                }
            };
            out.push(c);
            rest = &esc[len..];
        }
        out.push_str(rest);
        out
    }
}
