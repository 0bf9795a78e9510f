//! Avro: schemas are parsed and their names resolved by the `apache-avro` crate; that schema is
//! then compiled into a flat decoding plan that reads Avro's binary encoding and writes compact
//! JSON text directly, with no value tree in between (the tail's hot path), and back.
//!
//! JSON shapes (README.md): unions as the plain value of their branch; bytes and fixed as
//! base64; enums as their symbol; logical types readable and lossless: decimal as a string
//! with its scale ("12.30"), uuid as a string, date as "YYYY-MM-DD", time as "HH:MM:SS.mmm",
//! timestamps as RFC 3339 in UTC with the schema's precision, local timestamps the same
//! without the zone, duration as {"months","days","millis"}; NaN and infinities as strings.

use std::collections::HashMap;
use std::io::Write;

use apache_avro::schema::{Name, Schema};
use base64::Engine as _;
use serde_json::Value;

/// A node of the decoding plan. Children are indexes into [`Avro::nodes`], so recursive
/// types are fine.
#[derive(Debug, Clone)]
enum Node {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array(usize),
    Map(usize),
    Union(Vec<usize>),
    /// Fields: the name as a JSON object key (`"name":`, already escaped), the name, the
    /// type, and the default a writer uses when the input leaves the field out.
    Record(Vec<(Vec<u8>, String, usize, Option<Value>)>),
    /// Symbols as JSON strings, already escaped.
    Enum(Vec<(Vec<u8>, String)>),
    Fixed(usize),
    /// Decimal on bytes (`None`) or on fixed(n).
    Decimal {
        scale: usize,
        precision: usize,
        fixed: Option<usize>,
    },
    BigDecimal,
    Uuid {
        fixed: bool,
    },
    Date,
    TimeMillis,
    TimeMicros,
    Timestamp {
        unit: Unit,
        local: bool,
    },
    Duration,
    /// Placeholder while a named type is being compiled.
    Pending,
}

#[derive(Debug, Clone, Copy)]
enum Unit {
    Millis,
    Micros,
    Nanos,
}

/// A compiled Avro schema.
#[derive(Debug, Clone)]
pub struct Avro {
    nodes: Vec<Node>,
    root: usize,
}

/// Why a datum could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroError(pub String);

impl std::fmt::Display for AvroError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, AvroError> {
    Err(AvroError(msg.into()))
}

fn json_str(s: &str) -> Vec<u8> {
    // serde_json escapes quotes, backslashes and control characters.
    serde_json::to_vec(s).unwrap_or_else(|_| b"\"\"".to_vec())
}

struct Compiler<'a> {
    named: HashMap<String, &'a Schema>,
    done: HashMap<String, usize>,
    nodes: Vec<Node>,
}

fn collect_named<'a>(s: &'a Schema, out: &mut HashMap<String, &'a Schema>) {
    match s {
        Schema::Record(r) => {
            out.insert(r.name.fullname(None), s);
            for f in &r.fields {
                collect_named(&f.schema, out);
            }
        }
        Schema::Enum(e) => {
            out.insert(e.name.fullname(None), s);
        }
        Schema::Fixed(f) => {
            out.insert(f.name.fullname(None), s);
        }
        Schema::Decimal(d) => collect_named(&d.inner, out),
        Schema::Array(a) => collect_named(&a.items, out),
        Schema::Map(m) => collect_named(&m.types, out),
        Schema::Union(u) => {
            for v in u.variants() {
                collect_named(v, out);
            }
        }
        _ => {}
    }
}

impl<'a> Compiler<'a> {
    fn push(&mut self, n: Node) -> usize {
        self.nodes.push(n);
        self.nodes.len() - 1
    }

    fn named(&mut self, name: &Name, s: &'a Schema) -> Result<usize, AvroError> {
        let full = name.fullname(None);
        if let Some(i) = self.done.get(&full) {
            return Ok(*i);
        }
        let at = self.push(Node::Pending);
        self.done.insert(full, at);
        let node = match s {
            Schema::Record(r) => {
                let mut fields = Vec::with_capacity(r.fields.len());
                for f in &r.fields {
                    let mut key = json_str(&f.name);
                    key.push(b':');
                    fields.push((
                        key,
                        f.name.clone(),
                        self.compile(&f.schema)?,
                        f.default.clone(),
                    ));
                }
                Node::Record(fields)
            }
            Schema::Enum(e) => {
                Node::Enum(e.symbols.iter().map(|s| (json_str(s), s.clone())).collect())
            }
            Schema::Fixed(f) => Node::Fixed(f.size),
            _ => return err("internal: not a named type"),
        };
        self.nodes[at] = node;
        Ok(at)
    }

    fn compile(&mut self, s: &'a Schema) -> Result<usize, AvroError> {
        let node = match s {
            Schema::Null => Node::Null,
            Schema::Boolean => Node::Boolean,
            Schema::Int => Node::Int,
            Schema::Long => Node::Long,
            Schema::Float => Node::Float,
            Schema::Double => Node::Double,
            Schema::Bytes => Node::Bytes,
            Schema::String => Node::String,
            Schema::Array(a) => {
                let i = self.compile(&a.items)?;
                Node::Array(i)
            }
            Schema::Map(m) => {
                let i = self.compile(&m.types)?;
                Node::Map(i)
            }
            Schema::Union(u) => {
                let mut v = Vec::new();
                for s in u.variants() {
                    v.push(self.compile(s)?);
                }
                Node::Union(v)
            }
            Schema::Record(r) => return self.named(&r.name, s),
            Schema::Enum(e) => return self.named(&e.name, s),
            Schema::Fixed(f) => return self.named(&f.name, s),
            Schema::Ref { name } => {
                let full = name.fullname(None);
                if let Some(i) = self.done.get(&full) {
                    return Ok(*i);
                }
                let target = *self.named.get(&full).ok_or_else(|| {
                    AvroError(format!("the schema names an unknown type '{full}'"))
                })?;
                return self.compile(target);
            }
            Schema::Decimal(d) => Node::Decimal {
                scale: d.scale,
                precision: d.precision,
                fixed: match &*d.inner {
                    Schema::Fixed(f) => Some(f.size),
                    _ => None,
                },
            },
            Schema::BigDecimal => Node::BigDecimal,
            Schema::Uuid => Node::Uuid { fixed: false },
            Schema::Date => Node::Date,
            Schema::TimeMillis => Node::TimeMillis,
            Schema::TimeMicros => Node::TimeMicros,
            Schema::TimestampMillis => Node::Timestamp {
                unit: Unit::Millis,
                local: false,
            },
            Schema::TimestampMicros => Node::Timestamp {
                unit: Unit::Micros,
                local: false,
            },
            Schema::TimestampNanos => Node::Timestamp {
                unit: Unit::Nanos,
                local: false,
            },
            Schema::LocalTimestampMillis => Node::Timestamp {
                unit: Unit::Millis,
                local: true,
            },
            Schema::LocalTimestampMicros => Node::Timestamp {
                unit: Unit::Micros,
                local: true,
            },
            Schema::LocalTimestampNanos => Node::Timestamp {
                unit: Unit::Nanos,
                local: true,
            },
            Schema::Duration => Node::Duration,
        };
        Ok(self.push(node))
    }
}

impl Avro {
    /// Parses a schema, with the schemas it refers to (in any order).
    pub fn parse(text: &str, references: &[String]) -> Result<Avro, AvroError> {
        let (schema, others) = if references.is_empty() {
            let s = Schema::parse_str(text)
                .map_err(|e| AvroError(format!("invalid Avro schema: {e}")))?;
            (s, Vec::new())
        } else {
            Schema::parse_str_with_list(text, references)
                .map_err(|e| AvroError(format!("invalid Avro schema: {e}")))?
        };
        Self::compile(&schema, &others)
    }

    fn compile(schema: &Schema, others: &[Schema]) -> Result<Avro, AvroError> {
        let mut named = HashMap::new();
        for s in others {
            collect_named(s, &mut named);
        }
        collect_named(schema, &mut named);
        let mut c = Compiler {
            named,
            done: HashMap::new(),
            nodes: Vec::new(),
        };
        let root = c.compile(schema)?;
        Ok(Avro {
            nodes: c.nodes,
            root,
        })
    }

    /// Decodes one datum into compact JSON, appended to `out`. Every byte must be used.
    pub fn decode(&self, mut bytes: &[u8], out: &mut Vec<u8>) -> Result<(), AvroError> {
        let start = out.len();
        let r = self.read(self.root, &mut bytes, out, 0);
        if r.is_err() {
            out.truncate(start);
            return r;
        }
        if !bytes.is_empty() {
            out.truncate(start);
            return err(format!(
                "{} bytes left after the datum: the payload does not match the schema",
                bytes.len()
            ));
        }
        Ok(())
    }

    fn read(
        &self,
        node: usize,
        b: &mut &[u8],
        out: &mut Vec<u8>,
        depth: u32,
    ) -> Result<(), AvroError> {
        if depth > 256 {
            return err("nested more than 256 levels deep");
        }
        match &self.nodes[node] {
            Node::Null | Node::Pending => out.extend_from_slice(b"null"),
            Node::Boolean => match take(b, 1)?[0] {
                0 => out.extend_from_slice(b"false"),
                1 => out.extend_from_slice(b"true"),
                x => return err(format!("invalid boolean byte 0x{x:02x}")),
            },
            Node::Int => {
                let v = read_int(b)?;
                out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
            }
            Node::Long => {
                let v = read_long(b)?;
                out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
            }
            Node::Float => {
                let v = f32::from_le_bytes(take4(b)?);
                write_float(out, f64::from(v), Some(v));
            }
            Node::Double => {
                let v = f64::from_le_bytes(take8(b)?);
                write_float(out, v, None);
            }
            Node::Bytes => {
                let n = read_len(b)?;
                let v = take(b, n)?;
                write_b64(out, v);
            }
            Node::Fixed(n) => {
                let v = take(b, *n)?;
                write_b64(out, v);
            }
            Node::String | Node::Uuid { fixed: false } => {
                let n = read_len(b)?;
                let v = take(b, n)?;
                let s = std::str::from_utf8(v)
                    .map_err(|_| AvroError("a string is not UTF-8".into()))?;
                write_json_str(out, s);
            }
            Node::Uuid { fixed: true } => {
                let v = take(b, 16)?;
                let h = hex::encode(v);
                let _ = write!(
                    out,
                    "\"{}-{}-{}-{}-{}\"",
                    &h[0..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..32]
                );
            }
            Node::Enum(symbols) => {
                let i = read_long(b)?;
                let s = usize::try_from(i)
                    .ok()
                    .and_then(|i| symbols.get(i))
                    .ok_or_else(|| AvroError(format!("enum index {i} is out of range")))?;
                out.extend_from_slice(&s.0);
            }
            Node::Union(branches) => {
                let i = read_long(b)?;
                let branch = usize::try_from(i)
                    .ok()
                    .and_then(|i| branches.get(i))
                    .ok_or_else(|| AvroError(format!("union branch {i} is out of range")))?;
                self.read(*branch, b, out, depth + 1)?;
            }
            Node::Record(fields) => {
                out.push(b'{');
                for (i, (key, _, f, _)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(key);
                    self.read(*f, b, out, depth + 1)?;
                }
                out.push(b'}');
            }
            Node::Array(item) => {
                out.push(b'[');
                let mut first = true;
                loop {
                    let n = read_block(b)?;
                    if n == 0 {
                        break;
                    }
                    for _ in 0..n {
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        self.read(*item, b, out, depth + 1)?;
                    }
                }
                out.push(b']');
            }
            Node::Map(value) => {
                out.push(b'{');
                let mut first = true;
                loop {
                    let n = read_block(b)?;
                    if n == 0 {
                        break;
                    }
                    for _ in 0..n {
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        let len = read_len(b)?;
                        let k = std::str::from_utf8(take(b, len)?)
                            .map_err(|_| AvroError("a map key is not UTF-8".into()))?;
                        write_json_str(out, k);
                        out.push(b':');
                        self.read(*value, b, out, depth + 1)?;
                    }
                }
                out.push(b'}');
            }
            Node::Decimal { scale, fixed, .. } => {
                let raw = match fixed {
                    Some(n) => take(b, *n)?,
                    None => {
                        let n = read_len(b)?;
                        take(b, n)?
                    }
                };
                out.push(b'"');
                out.extend_from_slice(decimal_text(raw, *scale).as_bytes());
                out.push(b'"');
            }
            Node::BigDecimal => {
                // bytes: a length-prefixed unscaled big-endian integer, then the scale as int.
                let n = read_len(b)?;
                let mut inner = take(b, n)?;
                let un_len = read_len(&mut inner)?;
                let unscaled = take(&mut inner, un_len)?;
                let scale = read_int(&mut inner)?;
                let scale = usize::try_from(scale)
                    .map_err(|_| AvroError("a big-decimal has a negative scale".into()))?;
                out.push(b'"');
                out.extend_from_slice(decimal_text(unscaled, scale).as_bytes());
                out.push(b'"');
            }
            Node::Date => {
                let days = read_int(b)?;
                match chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
                    .and_then(|d| d.checked_add_signed(chrono::Duration::days(i64::from(days))))
                {
                    Some(d) => {
                        let _ = write!(out, "\"{}\"", d.format("%Y-%m-%d"));
                    }
                    None => {
                        let _ = write!(out, "{days}");
                    }
                }
            }
            Node::TimeMillis => {
                let ms = read_int(b)?;
                write_time(out, i64::from(ms) * 1_000_000, 3);
            }
            Node::TimeMicros => {
                let us = read_long(b)?;
                write_time(out, us.saturating_mul(1000), 6);
            }
            Node::Timestamp { unit, local } => {
                let v = read_long(b)?;
                write_timestamp(out, v, *unit, *local);
            }
            Node::Duration => {
                let v = take(b, 12)?;
                let le = |i: usize| u32::from_le_bytes([v[i], v[i + 1], v[i + 2], v[i + 3]]);
                let _ = write!(
                    out,
                    "{{\"months\":{},\"days\":{},\"millis\":{}}}",
                    le(0),
                    le(4),
                    le(8)
                );
            }
        }
        Ok(())
    }
}

fn take<'a>(b: &mut &'a [u8], n: usize) -> Result<&'a [u8], AvroError> {
    if b.len() < n {
        return err(format!("truncated: {n} bytes needed, {} left", b.len()));
    }
    let (head, tail) = b.split_at(n);
    *b = tail;
    Ok(head)
}

fn take4(b: &mut &[u8]) -> Result<[u8; 4], AvroError> {
    let s = take(b, 4)?;
    Ok([s[0], s[1], s[2], s[3]])
}

fn take8(b: &mut &[u8]) -> Result<[u8; 8], AvroError> {
    let s = take(b, 8)?;
    Ok([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]])
}

fn read_long(b: &mut &[u8]) -> Result<i64, AvroError> {
    let mut v: u64 = 0;
    let mut shift = 0;
    loop {
        let Some((&byte, rest)) = b.split_first() else {
            return err("truncated: a number is cut short");
        };
        *b = rest;
        if shift == 63 && byte > 1 {
            return err("a number is longer than 64 bits");
        }
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return err("a number is longer than 64 bits");
        }
    }
    Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
}

fn read_int(b: &mut &[u8]) -> Result<i32, AvroError> {
    let v = read_long(b)?;
    i32::try_from(v).map_err(|_| AvroError(format!("int {v} is out of range")))
}

fn read_len(b: &mut &[u8]) -> Result<usize, AvroError> {
    let n = read_long(b)?;
    let n = usize::try_from(n).map_err(|_| AvroError(format!("negative length {n}")))?;
    if n > b.len() {
        return err(format!(
            "truncated: a length of {n} bytes, {} left",
            b.len()
        ));
    }
    Ok(n)
}

/// A block count of an array or map; a negative count is followed by the block's byte size.
fn read_block(b: &mut &[u8]) -> Result<u64, AvroError> {
    let n = read_long(b)?;
    if n < 0 {
        let _size = read_long(b)?;
        Ok(n.unsigned_abs())
    } else {
        // Each item takes at least one byte, except nulls: bound the count by what is left
        // plus a margin so a lying count cannot spin for long.
        let n = n as u64;
        if n > (b.len() as u64).saturating_mul(8).saturating_add(1 << 16) {
            return err(format!("a block of {n} items is longer than the payload"));
        }
        Ok(n)
    }
}

fn write_json_str(out: &mut Vec<u8>, s: &str) {
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_b64(out: &mut Vec<u8>, v: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + base64::encoded_len(v.len(), true).unwrap_or(0), 0);
    let n = base64::engine::general_purpose::STANDARD
        .encode_slice(v, &mut out[start..])
        .unwrap_or(0);
    out.truncate(start + n);
    out.push(b'"');
}

fn write_float(out: &mut Vec<u8>, v: f64, single: Option<f32>) {
    if v.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 {
            b"\"Infinity\""
        } else {
            b"\"-Infinity\""
        });
    } else {
        // The shortest text that reads back as the same float (a float as a float, not
        // widened to its double digits).
        let _ = match single {
            Some(f) => serde_json::to_writer(&mut *out, &f),
            None => serde_json::to_writer(&mut *out, &v),
        };
    }
}

/// Two's-complement big-endian unscaled bytes and a scale as decimal text.
pub fn decimal_text(raw: &[u8], scale: usize) -> String {
    let digits = if raw.len() <= 16 {
        let neg = raw.first().is_some_and(|b| b & 0x80 != 0);
        let mut buf = [if neg { 0xff } else { 0 }; 16];
        buf[16 - raw.len()..].copy_from_slice(raw);
        i128::from_be_bytes(buf).to_string()
    } else {
        num_bigint::BigInt::from_signed_bytes_be(raw).to_string()
    };
    let (neg, digits) = match digits.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, digits.as_str()),
    };
    let mut s = String::with_capacity(digits.len() + scale + 3);
    if neg {
        s.push('-');
    }
    if scale == 0 {
        s.push_str(digits);
    } else if digits.len() > scale {
        s.push_str(&digits[..digits.len() - scale]);
        s.push('.');
        s.push_str(&digits[digits.len() - scale..]);
    } else {
        s.push_str("0.");
        s.extend(std::iter::repeat_n('0', scale - digits.len()));
        s.push_str(digits);
    }
    s
}

fn write_time(out: &mut Vec<u8>, nanos: i64, digits: usize) {
    if !(0..86_400_000_000_000).contains(&nanos) {
        let _ = write!(
            out,
            "{}",
            nanos / if digits == 3 { 1_000_000 } else { 1000 }
        );
        return;
    }
    let secs = nanos / 1_000_000_000;
    let frac = nanos % 1_000_000_000;
    let _ = write!(
        out,
        "\"{:02}:{:02}:{:02}.{}\"",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        &format!("{frac:09}")[..digits]
    );
}

fn write_timestamp(out: &mut Vec<u8>, v: i64, unit: Unit, local: bool) {
    let (secs, nanos, digits) = match unit {
        Unit::Millis => (v.div_euclid(1000), v.rem_euclid(1000) * 1_000_000, 3),
        Unit::Micros => (v.div_euclid(1_000_000), v.rem_euclid(1_000_000) * 1000, 6),
        Unit::Nanos => (v.div_euclid(1_000_000_000), v.rem_euclid(1_000_000_000), 9),
    };
    let days = secs.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        // Outside RFC 3339's years: the number as stored.
        out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        return;
    }
    let sod = secs.rem_euclid(86_400);
    // Formatted by hand: this runs for every timestamp of every record.
    let mut buf = [0u8; 40];
    let mut n = 0;
    fn put(buf: &mut [u8; 40], n: &mut usize, val: i64, width: usize) {
        let mut x = val;
        for i in (0..width).rev() {
            buf[*n + i] = b'0' + (x % 10) as u8;
            x /= 10;
        }
        *n += width;
    }
    fn lit(buf: &mut [u8; 40], n: &mut usize, c: u8) {
        buf[*n] = c;
        *n += 1;
    }
    lit(&mut buf, &mut n, b'"');
    put(&mut buf, &mut n, y, 4);
    lit(&mut buf, &mut n, b'-');
    put(&mut buf, &mut n, m, 2);
    lit(&mut buf, &mut n, b'-');
    put(&mut buf, &mut n, d, 2);
    lit(&mut buf, &mut n, b'T');
    put(&mut buf, &mut n, sod / 3600, 2);
    lit(&mut buf, &mut n, b':');
    put(&mut buf, &mut n, sod / 60 % 60, 2);
    lit(&mut buf, &mut n, b':');
    put(&mut buf, &mut n, sod % 60, 2);
    lit(&mut buf, &mut n, b'.');
    put(
        &mut buf,
        &mut n,
        nanos / 10i64.pow(9 - digits as u32),
        digits,
    );
    if !local {
        lit(&mut buf, &mut n, b'Z');
    }
    lit(&mut buf, &mut n, b'"');
    out.extend_from_slice(&buf[..n]);
}

/// Days since 1970-01-01 as a proleptic Gregorian (year, month, day).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

// ---------------------------------------------------------------------------------------
// Encoding: JSON (as a user writes it, or as `decode` prints it) into Avro's binary form.
// ---------------------------------------------------------------------------------------

fn put_long(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Avro {
    /// Encodes a JSON value with this schema. Errors name the field path.
    pub fn encode(&self, v: &Value) -> Result<Vec<u8>, AvroError> {
        let mut out = Vec::with_capacity(64);
        self.write(self.root, v, &mut out, "$", 0)?;
        Ok(out)
    }

    fn write(
        &self,
        node: usize,
        v: &Value,
        out: &mut Vec<u8>,
        path: &str,
        depth: u32,
    ) -> Result<(), AvroError> {
        if depth > 256 {
            return err(format!("{path}: nested more than 256 levels deep"));
        }
        let bad = |want: &str| AvroError(format!("{path}: expected {want}, found {}", kind_of(v)));
        match &self.nodes[node] {
            Node::Null | Node::Pending => {
                if !v.is_null() {
                    return Err(bad("null"));
                }
            }
            Node::Boolean => out.push(u8::from(v.as_bool().ok_or_else(|| bad("a boolean"))?)),
            Node::Int => {
                let i = v
                    .as_i64()
                    .and_then(|i| i32::try_from(i).ok())
                    .ok_or_else(|| bad("an int (32-bit integer)"))?;
                put_long(out, i64::from(i));
            }
            Node::Long => put_long(
                out,
                int_of(v).ok_or_else(|| bad("a long (64-bit integer)"))?,
            ),
            Node::Float => {
                let f = float_of(v).ok_or_else(|| bad("a float"))?;
                out.extend_from_slice(&(f as f32).to_le_bytes());
            }
            Node::Double => {
                let f = float_of(v).ok_or_else(|| bad("a double"))?;
                out.extend_from_slice(&f.to_le_bytes());
            }
            Node::Bytes | Node::Fixed(_) => {
                let s = v.as_str().ok_or_else(|| bad("a base64 string"))?;
                let b = base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|_| bad("a base64 string"))?;
                if let Node::Fixed(n) = &self.nodes[node] {
                    if b.len() != *n {
                        return err(format!("{path}: expected {n} bytes, found {}", b.len()));
                    }
                } else {
                    put_long(out, b.len() as i64);
                }
                out.extend_from_slice(&b);
            }
            Node::String | Node::Uuid { fixed: false } => {
                let s = v.as_str().ok_or_else(|| bad("a string"))?;
                if matches!(self.nodes[node], Node::Uuid { .. }) && uuid_bytes(s).is_none() {
                    return Err(bad("a UUID string"));
                }
                put_long(out, s.len() as i64);
                out.extend_from_slice(s.as_bytes());
            }
            Node::Uuid { fixed: true } => {
                let b = v
                    .as_str()
                    .and_then(uuid_bytes)
                    .ok_or_else(|| bad("a UUID string"))?;
                out.extend_from_slice(&b);
            }
            Node::Enum(symbols) => {
                let s = v.as_str().ok_or_else(|| bad("an enum symbol"))?;
                let i = symbols
                    .iter()
                    .position(|(_, name)| name == s)
                    .ok_or_else(|| {
                        let names: Vec<&str> = symbols.iter().map(|(_, n)| n.as_str()).collect();
                        AvroError(format!(
                            "{path}: '{s}' is not a symbol of the enum ({})",
                            names.join(", ")
                        ))
                    })?;
                put_long(out, i as i64);
            }
            Node::Union(branches) => {
                // {"type": value} (Avro's JSON encoding) names the branch; a plain value takes
                // the first branch it fits.
                let mut errors = Vec::new();
                for (i, b) in branches.iter().enumerate() {
                    let mut tmp = Vec::new();
                    put_long(&mut tmp, i as i64);
                    match self.write(*b, v, &mut tmp, path, depth + 1) {
                        Ok(()) => {
                            out.extend_from_slice(&tmp);
                            return Ok(());
                        }
                        Err(e) => errors.push(e.0),
                    }
                }
                if let Value::Object(m) = v {
                    if m.len() == 1 {
                        if let Some((name, inner)) = m.iter().next() {
                            for (i, b) in branches.iter().enumerate() {
                                if self.type_name(*b) == *name
                                    || self.type_name(*b).rsplit('.').next() == Some(name.as_str())
                                {
                                    put_long(out, i as i64);
                                    return self.write(*b, inner, out, path, depth + 1);
                                }
                            }
                        }
                    }
                }
                return err(format!(
                    "{path}: fits no branch of the union ({})",
                    errors.join("; ")
                ));
            }
            Node::Record(fields) => {
                let m = v.as_object().ok_or_else(|| bad("an object (record)"))?;
                for k in m.keys() {
                    if !fields.iter().any(|(_, name, _, _)| name == k) {
                        return err(format!("{path}: the record has no field '{k}'"));
                    }
                }
                for (_, name, f, default) in fields {
                    let fpath = format!("{path}.{name}");
                    match (m.get(name), default) {
                        (Some(fv), _) => self.write(*f, fv, out, &fpath, depth + 1)?,
                        // A missing field takes the schema's default.
                        (None, Some(d)) => self.write(*f, d, out, &fpath, depth + 1)?,
                        // Without one it is null: fine for an optional field, an error otherwise.
                        (None, None) => self
                            .write(*f, &Value::Null, out, &fpath, depth + 1)
                            .map_err(|_| AvroError(format!("{fpath}: missing")))?,
                    }
                }
            }
            Node::Array(item) => {
                let a = v.as_array().ok_or_else(|| bad("an array"))?;
                if !a.is_empty() {
                    put_long(out, a.len() as i64);
                    for (i, x) in a.iter().enumerate() {
                        self.write(*item, x, out, &format!("{path}[{i}]"), depth + 1)?;
                    }
                }
                out.push(0);
            }
            Node::Map(value) => {
                let m = v.as_object().ok_or_else(|| bad("an object (map)"))?;
                if !m.is_empty() {
                    put_long(out, m.len() as i64);
                    for (k, x) in m {
                        put_long(out, k.len() as i64);
                        out.extend_from_slice(k.as_bytes());
                        self.write(*value, x, out, &format!("{path}.{k}"), depth + 1)?;
                    }
                }
                out.push(0);
            }
            Node::Decimal {
                scale,
                precision,
                fixed,
            } => {
                let raw = decimal_bytes(v, *scale, *precision).map_err(|why| {
                    AvroError(format!("{path}: expected a decimal with at most {scale} decimals and {precision} digits, as a string (\"12.34\"): {why}"))
                })?;
                match fixed {
                    Some(n) => {
                        if raw.len() > *n {
                            return err(format!("{path}: the decimal does not fit in {n} bytes"));
                        }
                        let pad = if raw.first().is_some_and(|b| b & 0x80 != 0) {
                            0xff
                        } else {
                            0
                        };
                        out.extend(std::iter::repeat_n(pad, n - raw.len()));
                        out.extend_from_slice(&raw);
                    }
                    None => {
                        put_long(out, raw.len() as i64);
                        out.extend_from_slice(&raw);
                    }
                }
            }
            Node::BigDecimal => {
                return err(format!("{path}: writing big-decimal is not supported"))
            }
            Node::Date => {
                let d = match v {
                    Value::String(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .ok()
                        .and_then(|d| {
                            i32::try_from(
                                (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days(),
                            )
                            .ok()
                        }),
                    _ => v.as_i64().and_then(|i| i32::try_from(i).ok()),
                }
                .ok_or_else(|| bad("a date (\"YYYY-MM-DD\" or days since 1970-01-01)"))?;
                put_long(out, i64::from(d));
            }
            Node::TimeMillis | Node::TimeMicros => {
                let micros = matches!(self.nodes[node], Node::TimeMicros);
                let n = match v {
                    Value::String(s) => chrono::NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
                        .ok()
                        .map(|t| {
                            use chrono::Timelike;
                            let ns = i64::from(t.num_seconds_from_midnight()) * 1_000_000_000
                                + i64::from(t.nanosecond());
                            if micros {
                                ns / 1000
                            } else {
                                ns / 1_000_000
                            }
                        }),
                    _ => v.as_i64(),
                }
                .ok_or_else(|| bad("a time (\"HH:MM:SS.fff\")"))?;
                if !micros && i32::try_from(n).is_err() {
                    return Err(bad("a time (\"HH:MM:SS.fff\")"));
                }
                put_long(out, n);
            }
            Node::Timestamp { unit, local } => {
                let n = match v {
                    Value::String(s) => parse_timestamp(s, *local).and_then(|t| match unit {
                        Unit::Millis => Some(t.and_utc().timestamp_millis()),
                        Unit::Micros => Some(t.and_utc().timestamp_micros()),
                        Unit::Nanos => t.and_utc().timestamp_nanos_opt(),
                    }),
                    _ => v.as_i64(),
                }
                .ok_or_else(|| {
                    bad(if *local {
                        "a local timestamp (\"2024-01-31T12:00:00.000\")"
                    } else {
                        "a timestamp (RFC 3339, \"2024-01-31T12:00:00.000Z\", or a number)"
                    })
                })?;
                put_long(out, n);
            }
            Node::Duration => {
                let m = v
                    .as_object()
                    .ok_or_else(|| bad("{\"months\",\"days\",\"millis\"}"))?;
                for k in ["months", "days", "millis"] {
                    let n = m
                        .get(k)
                        .and_then(Value::as_u64)
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| {
                            AvroError(format!("{path}.{k}: expected a 32-bit unsigned number"))
                        })?;
                    out.extend_from_slice(&n.to_le_bytes());
                }
            }
        }
        Ok(())
    }

    fn type_name(&self, node: usize) -> String {
        match &self.nodes[node] {
            Node::Null => "null".into(),
            Node::Boolean => "boolean".into(),
            Node::Int | Node::Date | Node::TimeMillis => "int".into(),
            Node::Long | Node::TimeMicros | Node::Timestamp { .. } => "long".into(),
            Node::Float => "float".into(),
            Node::Double => "double".into(),
            Node::Bytes | Node::BigDecimal => "bytes".into(),
            Node::String | Node::Uuid { .. } => "string".into(),
            Node::Array(_) => "array".into(),
            Node::Map(_) => "map".into(),
            Node::Decimal { .. } => "bytes".into(),
            _ => String::new(),
        }
    }
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        // Longs may come quoted (JSON consumers lose precision past 2^53).
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn float_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

fn parse_timestamp(s: &str, local: bool) -> Option<chrono::NaiveDateTime> {
    if local {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()
    } else {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.naive_utc())
    }
}

fn uuid_bytes(s: &str) -> Option<[u8; 16]> {
    let h: String = s.chars().filter(|c| *c != '-').collect();
    if h.len() != 32 || s.len() != 36 {
        return None;
    }
    let v = hex::decode(h).ok()?;
    v.try_into().ok()
}

/// A decimal (a string "12.34", or a JSON number written exactly) as two's-complement
/// big-endian unscaled bytes at `scale`.
fn decimal_bytes(v: &Value, scale: usize, precision: usize) -> Result<Vec<u8>, String> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err("not a string".into()),
    };
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!("'{text}' is not a decimal number"));
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > scale {
        return Err(format!("'{text}' has more than {scale} decimals"));
    }
    let mut digits = format!("{int}{frac}");
    digits.extend(std::iter::repeat_n('0', scale - frac.len()));
    let digits = digits.trim_start_matches('0');
    if precision > 0 && digits.len() > precision {
        return Err(format!("'{text}' has more than {precision} digits"));
    }
    let n: num_bigint::BigInt = if digits.is_empty() {
        num_bigint::BigInt::from(0)
    } else {
        digits
            .parse()
            .map_err(|_| format!("'{text}' is not a decimal number"))?
    };
    let n = if neg { -n } else { n };
    Ok(n.to_signed_bytes_be())
}

#[cfg(test)]
mod tests {
    use super::*;
    use apache_avro::types::Value as AV;

    const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[
        {"name":"id","type":"long"},
        {"name":"note","type":["null","string"],"default":null},
        {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
        {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"day","type":{"type":"int","logicalType":"date"}},
        {"name":"uid","type":{"type":"string","logicalType":"uuid"}},
        {"name":"tags","type":{"type":"array","items":"string"}},
        {"name":"attrs","type":{"type":"map","values":"int"}},
        {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},
        {"name":"ratio","type":"double"},
        {"name":"next","type":["null","Order"],"default":null}
    ]}"#;

    fn decode(a: &Avro, b: &[u8]) -> Result<Value, AvroError> {
        let mut out = Vec::new();
        a.decode(b, &mut out)?;
        Ok(serde_json::from_slice(&out).expect("valid JSON"))
    }

    #[test]
    fn round_trip_with_logical_types_and_recursion() {
        let a = Avro::parse(ORDER, &[]).unwrap();
        let v = serde_json::json!({
            "id": 1, "note": "hi \u{1b}", "amount": "-12.30", "at": "2024-01-31T12:00:00.123Z",
            "day": "2024-01-31", "uid": "123e4567-e89b-12d3-a456-426614174000",
            "tags": ["a", "b"], "attrs": {"x": 1}, "status": "PAID", "ratio": 0.5,
            "next": {"id": 2, "note": null, "amount": "0.05", "at": 0, "day": 0,
                     "uid": "123e4567-e89b-12d3-a456-426614174000", "tags": [], "attrs": {},
                     "status": "NEW", "ratio": 1e300, "next": null}
        });
        let bytes = a.encode(&v).unwrap();
        let back = decode(&a, &bytes).unwrap();
        assert_eq!(back["amount"], "-12.30");
        assert_eq!(back["at"], "2024-01-31T12:00:00.123Z");
        assert_eq!(back["next"]["at"], "1970-01-01T00:00:00.000Z");
        assert_eq!(back["next"]["day"], "1970-01-01");
        assert_eq!(back["next"]["amount"], "0.05");
        assert_eq!(back["note"], "hi \u{1b}");
        assert_eq!(back["tags"], serde_json::json!(["a", "b"]));
        assert_eq!(back["status"], "PAID");
        assert_eq!(back["next"]["next"], Value::Null);
        // The crate's own reader agrees on the bytes.
        let schema = Schema::parse_str(ORDER).unwrap();
        let theirs = apache_avro::from_avro_datum(&schema, &mut &bytes[..], None).unwrap();
        let AV::Record(fields) = theirs else { panic!() };
        assert_eq!(fields[0].1, AV::Long(1));
        assert_eq!(fields[8].1, AV::Enum(1, "PAID".into()));
    }

    #[test]
    fn bad_payloads_are_errors_not_panics() {
        let a = Avro::parse(ORDER, &[]).unwrap();
        assert!(decode(&a, &[]).is_err());
        assert!(decode(&a, &[0xff; 20]).is_err());
        let v = serde_json::json!({"id": 1, "amount": "1.00", "at": 0, "day": 0,
            "uid": "123e4567-e89b-12d3-a456-426614174000", "tags": [], "attrs": {},
            "status": "NEW", "ratio": 1});
        let mut bytes = a.encode(&v).unwrap();
        bytes.push(0);
        assert!(decode(&a, &bytes).unwrap_err().0.contains("left after"));
        bytes.pop();
        bytes.pop();
        assert!(decode(&a, &bytes).is_err());
    }

    #[test]
    fn encode_errors_name_the_field() {
        let a = Avro::parse(ORDER, &[]).unwrap();
        let e = a.encode(&serde_json::json!({"id": "x"})).unwrap_err().0;
        assert!(e.contains("$.id"), "{e}");
        let e = a
            .encode(&serde_json::json!({"id": 1, "amount": "1.234"}))
            .unwrap_err()
            .0;
        assert!(e.contains("$.amount") && e.contains("2 decimals"), "{e}");
        let e = a
            .encode(&serde_json::json!({"id": 1, "bogus": 1}))
            .unwrap_err()
            .0;
        assert!(e.contains("no field 'bogus'"), "{e}");
    }

    #[test]
    fn timestamps_match_chrono() {
        for ms in [
            0i64,
            -1,
            1_706_702_400_123,
            253_402_300_799_999,
            -62_135_596_800_000,
            951_782_400_000,
        ] {
            let mut out = Vec::new();
            write_timestamp(&mut out, ms, Unit::Millis, false);
            let want = chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .format("\"%Y-%m-%dT%H:%M:%S%.3fZ\"")
                .to_string();
            assert_eq!(String::from_utf8(out).unwrap(), want, "{ms}");
        }
        let mut out = Vec::new();
        write_timestamp(&mut out, 1_706_702_400_123_456, Unit::Micros, true);
        assert_eq!(out, b"\"2024-01-31T12:00:00.123456\"");
        let mut out = Vec::new();
        write_timestamp(&mut out, i64::MAX, Unit::Millis, false);
        assert_eq!(out, i64::MAX.to_string().as_bytes());
    }

    #[test]
    fn decimals() {
        assert_eq!(decimal_text(&[0x04, 0xd2], 2), "12.34");
        assert_eq!(decimal_text(&[0xfb, 0x2e], 2), "-12.34");
        assert_eq!(decimal_text(&[0x05], 3), "0.005");
        assert_eq!(decimal_text(&[], 0), "0");
        assert_eq!(
            decimal_text(&[0x01; 20], 0),
            num_bigint::BigInt::from_signed_bytes_be(&[0x01; 20]).to_string()
        );
    }

    #[test]
    fn references_resolve_named_types() {
        let money = r#"{"type":"record","name":"Money","namespace":"shop","fields":[{"name":"cents","type":"long"}]}"#;
        let main = r#"{"type":"record","name":"Pay","namespace":"shop","fields":[{"name":"m","type":"shop.Money"}]}"#;
        let a = Avro::parse(main, &[money.to_string()]).unwrap();
        let bytes = a.encode(&serde_json::json!({"m": {"cents": 5}})).unwrap();
        assert_eq!(decode(&a, &bytes).unwrap()["m"]["cents"], 5);
        assert!(Avro::parse(main, &[]).is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any bytes against a rich schema: JSON or an error, never a panic.
            #[test]
            fn any_bytes_decode_or_fail(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
                let a = Avro::parse(ORDER, &[]).unwrap();
                let mut out = Vec::new();
                if a.decode(&bytes, &mut out).is_ok() {
                    prop_assert!(serde_json::from_slice::<Value>(&out).is_ok());
                }
            }

            /// What `encode` writes, `decode` reads back to the same values.
            #[test]
            fn encode_decode_round_trip(id in any::<i64>(), note in proptest::option::of("\\PC{0,8}"), cents in any::<i32>(), at in -10_000_000_000_000i64..10_000_000_000_000, ratio in any::<f64>()) {
                let a = Avro::parse(ORDER, &[]).unwrap();
                let amount = decimal_text(&i64::from(cents).to_be_bytes(), 2);
                let v = serde_json::json!({"id": id, "note": note, "amount": amount, "at": at,
                    "day": 1, "uid": "123e4567-e89b-12d3-a456-426614174000", "tags": ["x"],
                    "attrs": {"k": 3}, "status": "NEW", "ratio": if ratio.is_finite() { serde_json::json!(ratio) } else { serde_json::json!("NaN") }});
                let bytes = a.encode(&v).unwrap();
                let back = decode(&a, &bytes).unwrap();
                prop_assert_eq!(&back["id"], &v["id"]);
                prop_assert_eq!(&back["note"], &v["note"]);
                prop_assert_eq!(&back["amount"], &v["amount"]);
                // Re-encoding the decoded form gives the same bytes.
                prop_assert_eq!(a.encode(&back).unwrap(), bytes);
            }
        }
    }
}
