//! One blocking call on the blocking pool: the client and the time the call may take, with
//! the helpers every request shares (budget shares, connection errors, metadata, which APIs a
//! broker supports).

use std::time::{Duration, Instant};

use rdkafka::error::KafkaError;
use rdkafka::metadata::Metadata;
use rdkafka::types::RDKafkaErrorCode;

use super::client::Inner;
use super::{api, clean_reason, topics};
use crate::error::{Error, Result};

/// One call on the blocking pool: the client and the time it may take, all requests included.
pub(super) struct Call<'a> {
    pub(super) inner: &'a Inner,
    pub(super) deadline: Instant,
    /// The whole budget the call started with (for messages).
    pub(super) budget: Duration,
}

impl std::ops::Deref for Call<'_> {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        self.inner
    }
}

impl Call<'_> {
    /// What is left of this call's budget (at least a millisecond, so a request still gets
    /// its answer or its timeout from librdkafka).
    pub(super) fn timeout(&self) -> Duration {
        self.deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    }

    /// What is left of the budget for `what`, or a timeout naming it once nothing is left.
    pub(super) fn left(&self, what: &str) -> Result<Duration> {
        self.part(what, 1.0)
    }

    /// A share of what is left, for a step that others follow: a broker that does not answer
    /// one step must leave time for the steps that can still be answered.
    pub(super) fn part(&self, what: &str, share: f64) -> Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left < Duration::from_millis(10) {
            Err(Error::Timeout {
                what: format!("{what} (nothing was left of the budget)"),
                after: self.budget,
            })
        } else {
            Ok(left.mul_f64(share.clamp(0.05, 1.0)))
        }
    }

    /// Whether the brokers said they support `api_key` (`None` before any answered).
    pub(super) fn supports(&self, api_key: i16) -> Option<bool> {
        self.client().context().supports(api_key, Duration::ZERO)
    }

    /// Explains a failed request: a connection problem if librdkafka reported one.
    pub(super) fn connect_error(&self, what: &str, code: RDKafkaErrorCode) -> Error {
        let ctx = self.client().context();
        if let Some(fatal) = ctx.fatal_error() {
            return Error::Connect(format!(
                "cannot connect to {}: {fatal}",
                self.settings.bootstrap
            ));
        }
        match code {
            RDKafkaErrorCode::OperationTimedOut
            | RDKafkaErrorCode::BrokerTransportFailure
            | RDKafkaErrorCode::AllBrokersDown
            | RDKafkaErrorCode::RequestTimedOut => {
                let why = ctx
                    .last_error()
                    .map(|e| format!(": {}", clean_reason(&e)))
                    .unwrap_or_default();
                Error::Connect(format!(
                    "cannot reach {} within {}{why}",
                    self.settings.bootstrap,
                    humantime::format_duration(self.settings.timeout)
                ))
            }
            other => Error::kafka(format!("{what} failed: {other}")),
        }
    }

    pub(super) fn metadata(&self, topic: Option<&str>) -> Result<Metadata> {
        let md = self
            .client()
            .fetch_metadata(topic, self.timeout())
            .map_err(|e| match e {
                KafkaError::MetadataFetch(code) => self.connect_error("Metadata", code),
                other => Error::kafka(other.to_string()),
            })?;
        if let Some(name) = topic {
            if let Some(t) = md.topics().iter().find(|t| t.name() == name) {
                if let Some(err) = t.error() {
                    return Err(topics::topic_error(name, RDKafkaErrorCode::from(err)));
                }
            } else {
                return Err(unknown_topic(name));
            }
        }
        Ok(md)
    }

    /// Fails fast with `Unsupported` when the brokers said they lack `api_key`, instead of
    /// letting librdkafka wait out the timeout. Call after a request that connected.
    pub(super) fn require(&self, api_key: i16) -> Result<()> {
        match self
            .client()
            .context()
            .supports(api_key, Duration::from_secs(2))
        {
            Some(false) => Err(Error::unsupported(api::name(api_key), None)),
            _ => Ok(()),
        }
    }

    /// Makes sure a broker has answered, so that `require` knows what it supports.
    pub(super) fn connected(&self) -> Result<()> {
        if self
            .client()
            .context()
            .supports(api::LIST_OFFSETS, Duration::ZERO)
            .is_none()
        {
            self.metadata(None)?;
        }
        Ok(())
    }
}

pub(super) fn unknown_topic(topic: &str) -> Error {
    Error::NotFound(format!("unknown topic '{topic}'"))
}
