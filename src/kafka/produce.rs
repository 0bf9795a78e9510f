//! Producing records and reporting where each one landed.

use std::str::FromStr;
use std::time::Duration;

use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use serde::Serialize;

use super::safety::{ClientRole, WriteAccess};
use super::{create_client, KscopeContext};
use crate::config::ConnectionSettings;
use crate::error::{Error, Result};

/// The producer's `acks`: how many replicas must have a record before it counts as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Acks {
    /// Fire and forget: no offset comes back.
    None,
    Leader,
    #[default]
    All,
}

impl Acks {
    fn as_config(self) -> &'static str {
        match self {
            Acks::None => "0",
            Acks::Leader => "1",
            Acks::All => "all",
        }
    }
}

impl FromStr for Acks {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "0" => Ok(Acks::None),
            "1" => Ok(Acks::Leader),
            "all" | "-1" => Ok(Acks::All),
            _ => Err(Error::usage(format!(
                "invalid acks '{s}': expected 0, 1 or all"
            ))),
        }
    }
}

/// One record to send.
#[derive(Debug, Clone, Default)]
pub struct OutRecord {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub partition: Option<i32>,
    pub timestamp: Option<i64>,
}

/// Where a record landed. `offset` is `None` with acks=0 (the broker does not say).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Delivery {
    pub partition: i32,
    pub offset: Option<i64>,
}

/// A producer. Only a [`Writer`](super::Writer) makes one, so a read-only context has none.
pub struct Producer {
    inner: FutureProducer<KscopeContext>,
    timeout: Duration,
}

impl Producer {
    pub(super) fn new(
        _access: &WriteAccess,
        settings: &ConnectionSettings,
        acks: Acks,
    ) -> Result<Self> {
        let timeout_ms = settings.timeout.as_millis().to_string();
        let inner: FutureProducer<KscopeContext> = create_client(
            settings,
            ClientRole::Producer,
            &[
                ("acks", acks.as_config()),
                ("message.timeout.ms", &timeout_ms),
                ("linger.ms", "5"),
                // Idempotence needs acks=all; keep librdkafka from refusing other settings.
                (
                    "enable.idempotence",
                    if acks == Acks::All { "true" } else { "false" },
                ),
            ],
        )?;
        Ok(Producer {
            inner,
            timeout: settings.timeout,
        })
    }

    /// Sends one record; resolves when the broker acknowledged it (or at once with acks=0).
    pub async fn send(&self, topic: &str, rec: &OutRecord) -> Result<Delivery> {
        let mut headers = OwnedHeaders::new_with_capacity(rec.headers.len());
        for (k, v) in &rec.headers {
            headers = headers.insert(Header {
                key: k,
                value: Some(v),
            });
        }
        let mut fr: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).headers(headers);
        if let Some(k) = &rec.key {
            fr = fr.key(k.as_slice());
        }
        if let Some(v) = &rec.value {
            fr = fr.payload(v.as_slice());
        }
        if let Some(p) = rec.partition {
            fr = fr.partition(p);
        }
        if let Some(t) = rec.timestamp {
            fr = fr.timestamp(t);
        }
        match self.inner.send(fr, Timeout::After(self.timeout)).await {
            Ok(d) => Ok(Delivery {
                partition: d.partition,
                offset: (d.offset >= 0).then_some(d.offset),
            }),
            Err((e, _)) => Err(Error::kafka(format!("delivery to '{topic}' failed: {e}"))),
        }
    }
}
