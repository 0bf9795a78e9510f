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
    match &a.value {
        Some(v) => {
            let _ = tx.send(Ok(v.as_bytes().to_vec())).await;
            drop(tx);
        }
        None => {
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
    let mut results = records
        .map(|line| {
            let producer = &producer;
            let topic = &topic;
            async move { producer.send(topic, &make(line?)).await }
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
