//! kcat-style output templates: `--format '%t %p %o %k %v\n'`.
//!
//! Tokens: `%t` topic, `%p` partition, `%o` offset, `%k` key, `%v` or `%s` value, `%K` key
//! length, `%S` value length, `%T` timestamp (ms since epoch), `%d` timestamp (RFC 3339),
//! `%h` headers (`k=v,k2=v2`), `%%` a percent sign; escapes `\n`, `\t`, `\r`, `\\`.
//! A null key, value or timestamp prints as nothing (lengths as -1), as kcat does.

use std::io::{self, Write};

use chrono::{TimeZone, Utc};

use super::{show_bytes, Decoded, DecodedRecord, RecordRef, WriterOptions};
use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(Vec<u8>),
    Topic,
    Partition,
    Offset,
    Key,
    Value,
    KeyLen,
    ValueLen,
    TimestampMs,
    TimestampIso,
    Headers,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    tokens: Vec<Token>,
}

impl Template {
    /// The default line: `partition:offset  time  key  value`.
    pub fn default_line() -> Self {
        // `%p:%o\t%d\t%k\t%v\n`, built directly (a test checks it against the parsed form).
        let lit = |s: &str| Token::Literal(s.as_bytes().to_vec());
        Template {
            tokens: vec![
                Token::Partition,
                lit(":"),
                Token::Offset,
                lit("\t"),
                Token::TimestampIso,
                lit("\t"),
                Token::Key,
                lit("\t"),
                Token::Value,
                lit("\n"),
            ],
        }
    }

    pub fn parse(s: &str) -> Result<Self, Error> {
        let mut tokens = Vec::new();
        let mut lit: Vec<u8> = Vec::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            match c {
                '%' => {
                    let t = match chars.next() {
                        Some('%') => {
                            lit.push(b'%');
                            continue;
                        }
                        Some('t') => Token::Topic,
                        Some('p') => Token::Partition,
                        Some('o') => Token::Offset,
                        Some('k') => Token::Key,
                        Some('v') | Some('s') => Token::Value,
                        Some('K') => Token::KeyLen,
                        Some('S') => Token::ValueLen,
                        Some('T') => Token::TimestampMs,
                        Some('d') => Token::TimestampIso,
                        Some('h') => Token::Headers,
                        other => {
                            return Err(Error::usage(format!(
                                "invalid format '{s}': unknown token '%{}' (known: %t %p %o %k %v %s %K %S %T %d %h %%)",
                                other.map(String::from).unwrap_or_default()
                            )))
                        }
                    };
                    if !lit.is_empty() {
                        tokens.push(Token::Literal(std::mem::take(&mut lit)));
                    }
                    tokens.push(t);
                }
                '\\' => match chars.next() {
                    Some('n') => lit.push(b'\n'),
                    Some('t') => lit.push(b'\t'),
                    Some('r') => lit.push(b'\r'),
                    Some('\\') => lit.push(b'\\'),
                    Some(other) => {
                        lit.push(b'\\');
                        let mut buf = [0u8; 4];
                        lit.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                    }
                    None => lit.push(b'\\'),
                },
                c => {
                    let mut buf = [0u8; 4];
                    lit.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        if !lit.is_empty() {
            tokens.push(Token::Literal(lit));
        }
        Ok(Template { tokens })
    }

    /// kcat prints templates as given; a template without a line break would run records
    /// together, so one is added unless the template ends with its own.
    pub fn ensure_newline(mut self) -> Self {
        let ends_with_newline =
            matches!(self.tokens.last(), Some(Token::Literal(l)) if l.ends_with(b"\n"));
        if !ends_with_newline {
            self.tokens.push(Token::Literal(b"\n".to_vec()));
        }
        self
    }

    pub fn needs_headers(&self) -> bool {
        self.tokens.contains(&Token::Headers)
    }

    pub fn write(
        &self,
        out: &mut impl Write,
        r: &RecordRef<'_>,
        opts: &WriterOptions,
    ) -> io::Result<()> {
        self.write_decoded(out, r, &DecodedRecord::default(), opts)
    }

    /// Like `write`; a key or value decoded through a schema prints as compact JSON.
    pub fn write_decoded(
        &self,
        out: &mut impl Write,
        r: &RecordRef<'_>,
        d: &DecodedRecord<'_>,
        opts: &WriterOptions,
    ) -> io::Result<()> {
        for t in &self.tokens {
            match t {
                Token::Literal(l) => out.write_all(l)?,
                Token::Topic => {
                    out.write_all(crate::record::sanitize::escape_text(r.topic).as_bytes())?
                }
                Token::Partition => write!(out, "{}", r.partition)?,
                Token::Offset => write!(out, "{}", r.offset)?,
                Token::Key => {
                    if let Some(k) = r.key {
                        write_field(out, k, &d.key, opts.key, opts.escape)?;
                    }
                }
                Token::Value => {
                    if let Some(v) = r.value {
                        write_field(out, v, &d.value, opts.value, opts.escape)?;
                    }
                }
                Token::KeyLen => write!(out, "{}", r.key.map_or(-1, |k| k.len() as i64))?,
                Token::ValueLen => write!(out, "{}", r.value.map_or(-1, |v| v.len() as i64))?,
                Token::TimestampMs => {
                    if let Some((ms, _)) = r.timestamp {
                        write!(out, "{ms}")?;
                    }
                }
                Token::TimestampIso => {
                    if let Some(dt) = r
                        .timestamp
                        .and_then(|(ms, _)| Utc.timestamp_millis_opt(ms).single())
                    {
                        write!(
                            out,
                            "{}",
                            dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                        )?;
                    }
                }
                Token::Headers => {
                    for (i, (k, v)) in r.headers.iter().enumerate() {
                        if i > 0 {
                            out.write_all(b",")?;
                        }
                        // Names are always escaped: they may be any bytes, and `=`/`,`
                        // structure the list.
                        out.write_all(crate::record::sanitize::escape_bytes(k).as_bytes())?;
                        out.write_all(b"=")?;
                        if let Some(v) = v {
                            out.write_all(&show_bytes(v, super::Encoding::Utf8, opts.escape))?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn write_field(
    out: &mut impl Write,
    bytes: &[u8],
    d: &Decoded<'_>,
    enc: super::Encoding,
    escape: bool,
) -> io::Result<()> {
    match d {
        Decoded::Json(text, _) if escape => {
            let text = String::from_utf8_lossy(text);
            out.write_all(crate::record::sanitize::escape_json_for_terminal(&text).as_bytes())
        }
        Decoded::Json(text, _) => out.write_all(text),
        _ => out.write_all(&show_bytes(bytes, enc, escape)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Encoding, TimestampKind};
    use super::*;

    fn render(fmt: &str, escape: bool) -> String {
        let r = RecordRef {
            topic: "orders",
            partition: 2,
            offset: 41,
            timestamp: Some((1_700_000_000_123, TimestampKind::Create)),
            key: Some(b"k"),
            value: Some(b"v\x1b"),
            headers: vec![(b"a", Some(b"1")), (b"b", None)],
        };
        let opts = WriterOptions {
            key: Encoding::Utf8,
            value: Encoding::Raw,
            escape,
        };
        let mut out = Vec::new();
        Template::parse(fmt)
            .unwrap()
            .write(&mut out, &r, &opts)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn kcat_tokens() {
        assert_eq!(render("%t %p %o %k %v\\n", false), "orders 2 41 k v\x1b\n");
        assert_eq!(
            render("%K %S %T %h 100%%", false),
            "1 2 1700000000123 a=1,b= 100%"
        );
        assert_eq!(render("%d", false), "2023-11-14T22:13:20.123Z");
        assert_eq!(render("%s", true), "v\\x1b");
    }

    #[test]
    fn unknown_token_is_an_error() {
        let e = Template::parse("%q").unwrap_err().to_string();
        assert!(e.contains("'%q'"), "{e}");
        assert!(Template::parse("%").is_err());
    }

    #[test]
    fn the_default_line_is_what_it_says() {
        assert_eq!(
            Template::default_line(),
            Template::parse("%p:%o\t%d\t%k\t%v\\n").unwrap()
        );
    }

    #[test]
    fn newline_is_added_once() {
        assert_eq!(
            Template::parse("%v").unwrap().ensure_newline(),
            Template::parse("%v\\n").unwrap()
        );
        assert_eq!(
            Template::parse("%v\\n").unwrap().ensure_newline(),
            Template::parse("%v\\n").unwrap()
        );
    }

    mod properties {
        use super::super::super::sanitize::{escape_text, is_dangerous};
        use super::super::super::{Encoding, TimestampKind};
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Piece {
            Text(String),
            Percent,
            Escape(char),
            Token(char),
        }

        fn pieces() -> impl Strategy<Value = Vec<Piece>> {
            let piece = prop_oneof![
                "[^%\\\\]{1,8}".prop_map(Piece::Text),
                Just(Piece::Percent),
                prop::sample::select(vec!['n', 't', 'r', '\\']).prop_map(Piece::Escape),
                prop::sample::select("tpokvsKSTdh".chars().collect::<Vec<_>>())
                    .prop_map(Piece::Token),
            ];
            prop::collection::vec(piece, 0..12)
        }

        fn source(pieces: &[Piece]) -> String {
            pieces
                .iter()
                .map(|p| match p {
                    Piece::Text(t) => t.clone(),
                    Piece::Percent => "%%".into(),
                    Piece::Escape(c) => format!("\\{c}"),
                    Piece::Token(c) => format!("%{c}"),
                })
                .collect()
        }

        proptest! {
            #[test]
            fn any_template_parses_or_is_a_usage_error(s in ".*") {
                if let Err(e) = Template::parse(&s) {
                    prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE);
                    prop_assert!(e.to_string().contains(&format!("'{s}'")), "{}", e);
                }
            }

            /// Every token prints its field and everything else prints as written.
            #[test]
            fn templates_print_what_they_say(
                pieces in pieces(),
                key in proptest::option::of("[ -~]{0,10}"),
                value in proptest::option::of("[ -~]{0,10}"),
                ts in proptest::option::of(0i64..=253_402_300_799_999),
                offset in any::<i64>(),
                partition in any::<i32>(),
            ) {
                let headers = vec![(&b"h1"[..], Some(&b"v1"[..])), (&b"h2"[..], None)];
                let r = RecordRef {
                    topic: "orders",
                    partition,
                    offset,
                    timestamp: ts.map(|t| (t, TimestampKind::Create)),
                    key: key.as_deref().map(str::as_bytes),
                    value: value.as_deref().map(str::as_bytes),
                    headers,
                };
                let mut want = String::new();
                for p in &pieces {
                    match p {
                        Piece::Text(t) => want.push_str(t),
                        Piece::Percent => want.push('%'),
                        Piece::Escape('n') => want.push('\n'),
                        Piece::Escape('t') => want.push('\t'),
                        Piece::Escape('r') => want.push('\r'),
                        Piece::Escape(_) => want.push('\\'),
                        Piece::Token(c) => want.push_str(&match c {
                            't' => "orders".to_string(),
                            'p' => partition.to_string(),
                            'o' => offset.to_string(),
                            'k' => key.clone().unwrap_or_default(),
                            'v' | 's' => value.clone().unwrap_or_default(),
                            'K' => key.as_ref().map_or(-1, |k| k.len() as i64).to_string(),
                            'S' => value.as_ref().map_or(-1, |v| v.len() as i64).to_string(),
                            'T' => ts.map(|t| t.to_string()).unwrap_or_default(),
                            'd' => ts
                                .map(|t| {
                                    Utc.timestamp_millis_opt(t)
                                        .unwrap()
                                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                                })
                                .unwrap_or_default(),
                            _ => "h1=v1,h2=".to_string(),
                        }),
                    }
                }
                let opts = WriterOptions { key: Encoding::Utf8, value: Encoding::Utf8, escape: false };
                let mut out = Vec::new();
                Template::parse(&source(&pieces)).unwrap().write(&mut out, &r, &opts).unwrap();
                prop_assert_eq!(String::from_utf8(out).unwrap(), want);
            }

            /// On a terminal, nothing a record or topic holds reaches it raw, in any encoding.
            #[test]
            fn fields_are_safe_on_a_terminal(
                tokens in prop::collection::vec(prop::sample::select("tpokvsKSTdh".chars().collect::<Vec<_>>()), 1..8),
                topic in "\\PC{0,8}|[\\x00-\\x9f\\u{202e}\\u{2066}]{0,8}",
                key in proptest::option::of(prop::collection::vec(any::<u8>(), 0..24)),
                value in proptest::option::of(prop_oneof![
                    prop::collection::vec(any::<u8>(), 0..24),
                    "\\PC{0,8}|[\\x00-\\x9f\\u{202e}]{0,8}".prop_map(|s| serde_json::to_vec(&s).unwrap()),
                ]),
                header in "[\\x00-\\x9f\\u{202e}a-z]{1,8}",
                header_value in prop::collection::vec(any::<u8>(), 0..12),
                ts in any::<i64>(),
                enc in prop::sample::select(vec![Encoding::Utf8, Encoding::Json, Encoding::Hex, Encoding::Base64, Encoding::Raw]),
            ) {
                let fmt: String = tokens.iter().map(|c| format!("%{c} ")).collect();
                let r = RecordRef {
                    topic: &topic,
                    partition: 0,
                    offset: 0,
                    timestamp: Some((ts, TimestampKind::LogAppend)),
                    key: key.as_deref(),
                    value: value.as_deref(),
                    headers: vec![(header.as_bytes(), Some(header_value.as_slice()))],
                };
                let opts = WriterOptions { key: enc, value: enc, escape: true };
                let mut out = Vec::new();
                Template::parse(&fmt).unwrap().write(&mut out, &r, &opts).unwrap();
                let text = String::from_utf8(out).map_err(|e| TestCaseError::fail(format!("not UTF-8: {e}")))?;
                prop_assert_eq!(text.chars().find(|c| is_dangerous(*c)), None, "{:?}", text);
                if tokens.contains(&'t') {
                    prop_assert!(text.contains(escape_text(&topic).as_ref()));
                }
            }
        }
    }
}
