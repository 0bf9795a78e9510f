//! kcat-style output templates: `--format '%t %p %o %k %v\n'`.
//!
//! Tokens: `%t` topic, `%p` partition, `%o` offset, `%k` key, `%v` or `%s` value, `%K` key
//! length, `%S` value length, `%T` timestamp (ms since epoch), `%d` timestamp (RFC 3339),
//! `%h` headers (`k=v,k2=v2`), `%%` a percent sign; escapes `\n`, `\t`, `\r`, `\\`.
//! A null key, value or timestamp prints as nothing (lengths as -1), as kcat does.

use std::io::{self, Write};

use chrono::{TimeZone, Utc};

use super::{show_bytes, RecordRef, WriterOptions};
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
        Template::parse("%p:%o\t%d\t%k\t%v\\n").expect("the default template is valid")
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
                        out.write_all(&show_bytes(k, opts.key, opts.escape))?;
                    }
                }
                Token::Value => {
                    if let Some(v) = r.value {
                        out.write_all(&show_bytes(v, opts.value, opts.escape))?;
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
}
