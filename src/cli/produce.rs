//! `kscope produce TOPIC`

use std::io::BufRead;

use clap::Args;
use futures::StreamExt;

use super::output::{emit, emit_json, Output, Stream};
use super::{ensure_writable, GlobalArgs};
use crate::error::{exit, Error, Result};
use crate::kafka::produce::{Acks, OutRecord};

#[derive(Debug, Args)]
pub struct ProduceArgs {
    pub topic: String,
    /// Send this value instead of reading lines from stdin
    #[arg(long)]
    pub value: Option<String>,
    /// The key of every record
    #[arg(short, long)]
    pub key: Option<String>,
    /// Split each stdin line into key and value at the first SEP (as kcat -K)
    #[arg(long, value_name = "SEP", conflicts_with = "key")]
    pub key_separator: Option<String>,
    /// A header NAME=VALUE on every record (repeatable)
    #[arg(short = 'H', long = "header", value_name = "NAME=VALUE")]
    pub headers: Vec<String>,
    /// Write to this partition instead of letting the key decide
    #[arg(short, long)]
    pub partition: Option<i32>,
    /// Acknowledgements: 0 (none, no offsets reported), 1 (leader) or all (in-sync replicas)
    #[arg(long, default_value = "all", value_parser = parse_acks)]
    pub acks: Acks,
    /// With --value-schema/--key-schema each line (or --value) is JSON, encoded with that
    /// schema; the whole input is read and checked before anything is sent.
    #[command(flatten)]
    pub schemas: super::schema_args::SchemaArgs,
}

fn parse_acks(s: &str) -> std::result::Result<Acks, String> {
    s.parse().map_err(|e: Error| e.to_string())
}

fn parse_header(h: &str) -> Result<(String, Vec<u8>)> {
    match h.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.as_bytes().to_vec())),
        _ => Err(Error::usage(format!(
            "invalid header '{h}': expected NAME=VALUE"
        ))),
    }
}

pub async fn run(g: &GlobalArgs, a: ProduceArgs) -> Result<i32> {
    let settings = g.settings()?;
    ensure_writable(&settings, &format!("produce to '{}'", a.topic))?;
    let headers = a
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>>>()?;
    // Refuse an unknown topic or partition before sending anything (and never auto-create one).
    let client = super::budget_client(settings.clone())?;
    let writer = client.writer(&format!("produce to '{}'", a.topic))?;
    let partitions = client.partitions(&a.topic).await?;
    if let Some(p) = a.partition {
        if !partitions.contains(&p) {
            return Err(Error::NotFound(format!(
                "topic '{}' has no partition {p} (it has {} partitions)",
                a.topic,
                partitions.len()
            )));
        }
    }
    // Schema-encoded input is checked whole before the first record is sent.
    let encoded = encode_all(&a, &settings)?;
    let producer = writer.producer(a.acks)?;
    let make = |line: Vec<u8>| -> OutRecord {
        let (key, value) = match &a.key_separator {
            Some(sep) => match find(&line, sep.as_bytes()) {
                Some(i) => (Some(line[..i].to_vec()), line[i + sep.len()..].to_vec()),
                None => (None, line),
            },
            None => (a.key.as_ref().map(|k| k.as_bytes().to_vec()), line),
        };
        OutRecord {
            key,
            value: Some(value),
            headers: headers.clone(),
            partition: a.partition,
            timestamp: None,
        }
    };
    // Lines are read on a thread of their own so an endless stdin (`tail -F log | kscope
    // produce`) streams instead of being collected first.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>>>(1024);
    let mut prepared: Option<std::collections::VecDeque<OutRecord>> = None;
    match (&a.value, encoded) {
        (_, Some(records)) => {
            // One placeholder line per record; `make` below is replaced by the prepared ones.
            let n = records.len();
            prepared = Some(records.into());
            tokio::spawn(async move {
                for _ in 0..n {
                    if tx.send(Ok(Vec::new())).await.is_err() {
                        break;
                    }
                }
            });
        }
        (Some(v), None) => {
            let _ = tx.send(Ok(v.as_bytes().to_vec())).await;
            drop(tx);
        }
        (None, None) => {
            std::thread::spawn(move || {
                for line in std::io::stdin().lock().split(b'\n') {
                    let line = line.map(|mut l| {
                        if l.last() == Some(&b'\r') {
                            l.pop();
                        }
                        l
                    });
                    if tx.blocking_send(line.map_err(Error::from)).is_err() {
                        break;
                    }
                }
            });
        }
    }
    let records =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|l| (l, rx)) });
    let (mut sent, mut failed, mut first_error) = (0u64, 0u64, None);
    let topic = a.topic.clone();
    // Up to 1000 records in flight; results come back in input order.
    let make = &make;
    let prepared = std::cell::RefCell::new(prepared);
    let headers = &headers;
    let mut results = records
        .map(|line| {
            let producer = &producer;
            let topic = &topic;
            let next = prepared.borrow_mut().as_mut().and_then(|q| q.pop_front());
            async move {
                let line = line?;
                let r = match next {
                    Some(mut r) => {
                        r.headers = headers.clone();
                        r
                    }
                    None => make(line),
                };
                producer.send(topic, &r).await
            }
        })
        .buffered(1000)
        .boxed_local();
    while let Some(r) = results.next().await {
        match r {
            Ok(d) => {
                sent += 1;
                match g.output {
                    Output::Table => emit(&format!(
                        "{}\t{}\n",
                        d.partition,
                        d.offset.map_or("-".into(), |o| o.to_string())
                    ))?,
                    _ => emit_json(Stream::Stdout, &d, false)?,
                }
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        None => Ok(exit::OK),
        Some(e) => Err(Error::kafka(format!(
            "{failed} of {} records failed; first: {e}",
            sent + failed
        ))),
    }
}

/// With a key or value schema: every input line parsed as JSON and encoded, or the first
/// line that does not fit, with its number and the schema's complaint. `None` without a
/// schema.
fn encode_all(
    a: &ProduceArgs,
    settings: &crate::config::ConnectionSettings,
) -> Result<Option<Vec<OutRecord>>> {
    let sa = &a.schemas;
    let value_spec = sa
        .value_schema
        .clone()
        .or_else(|| sa.proto.as_ref().map(|p| p.display().to_string()));
    if value_spec.is_none() && sa.key_schema.is_none() {
        return Ok(None);
    }
    let mut schemas = crate::schema::Schemas::new(sa.registry(settings)?);
    let value_schema = value_spec
        .map(|s| sa.resolve(&s, &mut schemas))
        .transpose()?;
    let key_schema = sa
        .key_schema
        .as_ref()
        .map(|s| sa.resolve(s, &mut schemas))
        .transpose()?;
    let describe = |s: &crate::schema::Schema| match (&s.meta.subject, s.meta.version, &s.meta.file)
    {
        (Some(sub), Some(v), _) => format!(
            "{} subject '{sub}' version {v}",
            s.meta.kind.registry_name()
        ),
        (_, _, Some(f)) => format!("{} schema {f}", s.meta.kind.registry_name()),
        _ => s.meta.kind.registry_name().to_string(),
    };
    let lines: Vec<Vec<u8>> = match &a.value {
        Some(v) => vec![v.as_bytes().to_vec()],
        None => {
            let mut all = Vec::new();
            for line in std::io::stdin().lock().split(b'\n') {
                let mut l = line?;
                if l.last() == Some(&b'\r') {
                    l.pop();
                }
                all.push(l);
            }
            // A final empty line is the end of the input, not a record.
            while all.last().is_some_and(|l| l.is_empty()) {
                all.pop();
            }
            all
        }
    };
    let encode =
        |what: &str, n: usize, text: &[u8], s: &crate::schema::Schema| -> Result<Vec<u8>> {
            let v: serde_json::Value = serde_json::from_slice(text).map_err(|e| {
                Error::usage(format!(
                    "line {n}: the {what} is not JSON ({e}); nothing was sent"
                ))
            })?;
            s.encode_message(&v, sa.proto_message.as_deref())
                .map_err(|e| {
                    Error::usage(format!(
                        "line {n}: the {what} does not fit {}: {e}; nothing was sent",
                        describe(s)
                    ))
                })
        };
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.into_iter().enumerate() {
        let n = i + 1;
        let (key, value) = match &a.key_separator {
            Some(sep) => match find(&line, sep.as_bytes()) {
                Some(at) => (Some(line[..at].to_vec()), line[at + sep.len()..].to_vec()),
                None => (None, line),
            },
            None => (a.key.as_ref().map(|k| k.as_bytes().to_vec()), line),
        };
        let key = match (&key_schema, key) {
            (Some(s), Some(k)) => Some(encode("key", n, &k, s)?),
            (Some(_), None) => {
                return Err(Error::usage(format!(
                    "line {n} has no key, but --key-schema needs one (--key or --key-separator); nothing was sent"
                )))
            }
            (None, k) => k,
        };
        let value = match &value_schema {
            Some(s) => encode("value", n, &value, s)?,
            None => value,
        };
        out.push(OutRecord {
            key,
            value: Some(value),
            headers: Vec::new(),
            partition: a.partition,
            timestamp: None,
        });
    }
    Ok(Some(out))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// `-H NAME=VALUE`: split at the first '=', the value's bytes exactly as typed.
        #[test]
        fn headers_split_at_the_first_equals(name in "[^=]*", value in ".*") {
            match parse_header(&format!("{name}={value}")) {
                Ok((n, v)) => {
                    prop_assert_eq!(n, name);
                    prop_assert_eq!(v, value.into_bytes());
                }
                Err(e) => {
                    prop_assert!(name.is_empty());
                    prop_assert_eq!(e.exit_code(), exit::USAGE);
                }
            }
        }
    }
}
