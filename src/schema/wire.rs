//! The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, for Protobuf the
//! message-index path (a zigzag varint count, then that many zigzag varints; a lone 0 means
//! the first message of the file), then the payload in the schema's own encoding.
//!
//! Everything here reads untrusted bytes: every length is checked, nothing panics.

/// The magic byte that starts a framed record.
pub const MAGIC: u8 = 0;

/// Why bytes are not a framed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    Empty,
    /// The first byte is not the magic byte.
    NoMagic(u8),
    /// Fewer than 5 bytes.
    Truncated(usize),
    /// The Protobuf message-index path is cut short or malformed.
    BadIndexes(&'static str),
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireError::Empty => write!(f, "empty, not in the schema registry wire format"),
            WireError::NoMagic(b) => write!(
                f,
                "not in the schema registry wire format (first byte 0x{b:02x}, expected 0x00)"
            ),
            WireError::Truncated(n) => write!(
                f,
                "truncated: {n} bytes, the wire format needs at least 5 (magic byte and schema id)"
            ),
            WireError::BadIndexes(why) => write!(f, "bad Protobuf message indexes: {why}"),
        }
    }
}

/// A framed record: the schema id and what follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framed<'a> {
    pub id: u32,
    pub rest: &'a [u8],
}

/// Splits off the magic byte and the schema id.
pub fn parse(bytes: &[u8]) -> Result<Framed<'_>, WireError> {
    match bytes {
        [] => Err(WireError::Empty),
        [b, ..] if *b != MAGIC => Err(WireError::NoMagic(*b)),
        [_, a, b, c, d, rest @ ..] => Ok(Framed {
            id: u32::from_be_bytes([*a, *b, *c, *d]),
            rest,
        }),
        short => Err(WireError::Truncated(short.len())),
    }
}

/// At most this many indexes: a real path is as deep as messages nest (a handful).
const MAX_INDEXES: u64 = 128;

/// Reads one unsigned varint (at most 10 bytes, as Protobuf).
fn varint(bytes: &[u8]) -> Result<(u64, usize), WireError> {
    let mut v: u64 = 0;
    for (i, b) in bytes.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((v, i + 1));
        }
    }
    Err(WireError::BadIndexes(if bytes.len() < 10 {
        "a varint is cut short"
    } else {
        "a varint is longer than 10 bytes"
    }))
}

fn zigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Splits the Protobuf message-index path off a framed record's rest: the indexes (empty
/// means the first message) and the payload.
pub fn protobuf_indexes(rest: &[u8]) -> Result<(Vec<i32>, &[u8]), WireError> {
    let (count, mut at) = varint(rest)?;
    let count = zigzag(count);
    if count < 0 {
        return Err(WireError::BadIndexes("negative count"));
    }
    if count as u64 > MAX_INDEXES {
        return Err(WireError::BadIndexes("more than 128 nested messages"));
    }
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let (v, n) = varint(&rest[at..])?;
        at += n;
        let i = zigzag(v);
        let i = i32::try_from(i).map_err(|_| WireError::BadIndexes("an index out of range"))?;
        if i < 0 {
            return Err(WireError::BadIndexes("a negative index"));
        }
        out.push(i);
    }
    Ok((out, &rest[at..]))
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_zigzag(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// The header of a framed record: magic byte, id and (for Protobuf) the index path, written
/// the way Confluent's serializers do (`[0]` as the single byte 0).
pub fn header(id: u32, protobuf_indexes: Option<&[i32]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(8);
    out.push(MAGIC);
    out.extend_from_slice(&id.to_be_bytes());
    if let Some(ix) = protobuf_indexes {
        if ix == [0] || ix.is_empty() {
            out.push(0);
        } else {
            put_zigzag(&mut out, ix.len() as i64);
            for i in ix {
                put_zigzag(&mut out, i64::from(*i));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn frames() {
        assert_eq!(
            parse(&[0, 0, 0, 1, 2, 9, 9]),
            Ok(Framed {
                id: 258,
                rest: &[9, 9]
            })
        );
        assert_eq!(parse(&[]), Err(WireError::Empty));
        assert_eq!(parse(b"{\"a\":1}"), Err(WireError::NoMagic(b'{')));
        assert_eq!(parse(&[0, 0, 1]), Err(WireError::Truncated(3)));
        assert!(WireError::Truncated(3).to_string().contains("3 bytes"));
    }

    #[test]
    fn indexes() {
        assert_eq!(protobuf_indexes(&[0, 8]), Ok((vec![], &[8][..])));
        // count 2 (zigzag 4), indexes 1 (2) and 0 (0)
        assert_eq!(protobuf_indexes(&[4, 2, 0, 7]), Ok((vec![1, 0], &[7][..])));
        assert!(protobuf_indexes(&[]).is_err());
        assert!(protobuf_indexes(&[4, 2]).is_err());
        assert!(protobuf_indexes(&[1]).is_err(), "negative count");
        assert!(protobuf_indexes(&[0xff; 11]).is_err());
        assert_eq!(header(5, Some(&[0])), vec![0, 0, 0, 0, 5, 0]);
        assert_eq!(header(5, None), vec![0, 0, 0, 0, 5]);
    }

    proptest! {
        /// Any bytes: a frame, or an error; never a panic.
        #[test]
        fn any_bytes_parse_or_fail(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(f) = parse(&bytes) {
                prop_assert_eq!(f.rest.len() + 5, bytes.len());
                let _ = protobuf_indexes(f.rest);
            }
            let _ = protobuf_indexes(&bytes);
        }

        /// What `header` writes, `parse` and `protobuf_indexes` read back.
        #[test]
        fn header_round_trips(id in any::<u32>(), ix in prop::collection::vec(0i32..=i32::MAX, 0..6), payload in prop::collection::vec(any::<u8>(), 0..8)) {
            let mut bytes = header(id, Some(&ix));
            bytes.extend_from_slice(&payload);
            let f = parse(&bytes).unwrap();
            prop_assert_eq!(f.id, id);
            let (back, rest) = protobuf_indexes(f.rest).unwrap();
            let want = if ix == [0] { vec![] } else { ix.clone() };
            prop_assert_eq!(back, want);
            prop_assert_eq!(rest, &payload[..]);
        }
    }
}
