//! The librdkafka client context: routes librdkafka's log lines to `tracing` (never to the
//! terminal) and remembers connection errors so that a timeout can say *why* it timed out.

use std::collections::BTreeMap;
use std::sync::Mutex;

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use tokio::sync::watch;

pub struct KscopeContext {
    /// Set once when an error makes further waiting pointless (bad credentials, TLS failure,
    /// unresolvable host); callers stop waiting as soon as it changes.
    fatal: watch::Sender<Option<String>>,
    last_error: Mutex<Option<String>>,
    /// ApiKey -> highest version, from the brokers' ApiVersions answers (librdkafka logs them
    /// under the `feature` debug context; it has no public call for them).
    api_versions: Mutex<BTreeMap<i16, i16>>,
    /// Requests sent so far, from librdkafka's statistics (only when `statistics.interval.ms`
    /// is set).
    requests: Mutex<RequestsSent>,
}

/// Requests a client has sent, summed over brokers, as librdkafka's statistics count them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestsSent {
    /// How many statistics have arrived (0: none yet, or statistics are off).
    pub reports: u64,
    /// Every request sent.
    pub total: i64,
    /// By API name (`Metadata`, `ListOffsets`, ...). librdkafka leaves out APIs it thinks this
    /// kind of client never uses (OffsetFetch for the producer-type handle kscope uses), so
    /// these may add up to less than `total`.
    pub by_api: BTreeMap<String, i64>,
}

impl KscopeContext {
    pub fn new() -> Self {
        KscopeContext {
            fatal: watch::channel(None).0,
            last_error: Mutex::new(None),
            api_versions: Mutex::new(BTreeMap::new()),
            requests: Mutex::new(RequestsSent::default()),
        }
    }

    /// Requests sent so far as of the latest statistics.
    pub fn requests_sent(&self) -> RequestsSent {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Subscribes to the fatal connection error, if one happens.
    pub fn fatal(&self) -> watch::Receiver<Option<String>> {
        self.fatal.subscribe()
    }

    pub fn fatal_error(&self) -> Option<String> {
        self.fatal.borrow().clone()
    }

    /// Whether a broker said it supports `api_key`; `None` until a broker has answered.
    pub fn supports(&self, api_key: i16) -> Option<bool> {
        let versions = self.api_versions.lock().ok()?;
        if versions.is_empty() {
            None
        } else {
            Some(versions.contains_key(&api_key))
        }
    }

    /// The most recent error librdkafka reported (e.g. "Connection refused").
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }
}

impl Default for KscopeContext {
    fn default() -> Self {
        Self::new()
    }
}

/// Errors after which retrying the same connection cannot succeed.
fn is_fatal(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::Authentication
            | RDKafkaErrorCode::SaslAuthenticationFailed
            | RDKafkaErrorCode::SSL
            | RDKafkaErrorCode::Resolve
    )
}

impl ClientContext for KscopeContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        if fac == "APIVERSION" {
            tracing::trace!(target: "librdkafka", "{message}");
            if let Some((key, max)) = parse_api_version(message) {
                if let Ok(mut v) = self.api_versions.lock() {
                    let e = v.entry(key).or_insert(max);
                    *e = (*e).max(max);
                }
            }
            return;
        }
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => tracing::error!(target: "librdkafka", "{fac}: {message}"),
            RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", "{fac}: {message}"),
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", "{fac}: {message}")
            }
            RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", "{fac}: {message}"),
        }
    }

    fn stats_raw(&self, statistics: &[u8]) {
        #[derive(serde::Deserialize)]
        struct Stats {
            #[serde(default)]
            brokers: BTreeMap<String, BrokerStats>,
        }
        #[derive(serde::Deserialize)]
        struct BrokerStats {
            #[serde(default)]
            tx: i64,
            #[serde(default)]
            req: BTreeMap<String, i64>,
        }
        let Ok(stats) = serde_json::from_slice::<Stats>(statistics) else {
            tracing::debug!("unreadable librdkafka statistics");
            return;
        };
        let mut sent = RequestsSent::default();
        for b in stats.brokers.into_values() {
            sent.total += b.tx;
            for (api, n) in b.req {
                *sent.by_api.entry(api).or_default() += n;
            }
        }
        if let Ok(mut r) = self.requests.lock() {
            sent.reports = r.reports + 1;
            *r = sent;
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(target: "librdkafka", "client error: {error}: {reason}");
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(reason.to_string());
        }
        if let Some(code) = error.rdkafka_error_code() {
            if is_fatal(code) && self.fatal.borrow().is_none() {
                self.fatal.send_replace(Some(clean_reason(reason)));
            }
        }
    }
}

impl ConsumerContext for KscopeContext {}

/// Parses librdkafka's "  ApiKey DescribeCluster (60) Versions 0..1".
fn parse_api_version(message: &str) -> Option<(i16, i16)> {
    // The line carries a thread and broker prefix: "[thrd:...]: host:port/1:   ApiKey ...".
    let rest = &message[message.find("ApiKey ")? + "ApiKey ".len()..];
    let key = rest
        .split_once('(')?
        .1
        .split_once(')')?
        .0
        .trim()
        .parse()
        .ok()?;
    let max = rest.rsplit_once("..")?.1.trim().parse().ok()?;
    Some((key, max))
}

/// librdkafka prefixes reasons with the broker name and suffixes connection-state details:
/// "sasl_ssl://127.0.0.1:9093/bootstrap: SASL authentication error: ... (after 5ms in state
/// AUTH_REQ)". Keep the useful middle.
pub fn clean_reason(reason: &str) -> String {
    let mut r = reason.trim();
    if let Some(idx) = r.find("/bootstrap: ") {
        r = &r[idx + "/bootstrap: ".len()..];
    } else if let Some((head, tail)) = r.split_once(": ") {
        if head.contains("://") || head.contains('/') {
            r = tail;
        }
    }
    if let Some(idx) = r.rfind(" (after ") {
        r = &r[..idx];
    }
    r.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_give_requests_sent() {
        let c = KscopeContext::new();
        assert_eq!(c.requests_sent().reports, 0);
        c.stats_raw(br#"{"name":"x","brokers":{"a:1/1":{"tx":7,"req":{"Metadata":2,"ListOffsets":1}},"a:1/bootstrap":{"tx":1,"req":{"Metadata":1}}}}"#);
        let r = c.requests_sent();
        assert_eq!((r.reports, r.total), (1, 8));
        assert_eq!(r.by_api["Metadata"], 3);
        c.stats_raw(b"not json");
        assert_eq!(c.requests_sent().reports, 1);
    }

    #[test]
    fn api_versions_are_parsed() {
        assert_eq!(
            parse_api_version("  ApiKey DescribeCluster (60) Versions 0..1"),
            Some((60, 1))
        );
        assert_eq!(
            parse_api_version("[thrd:127.0.0.1:1/bootstrap]: 127.0.0.1:1/bootstrap:   ApiKey OffsetFetch (9) Versions 0..6"),
            Some((9, 6))
        );
        assert_eq!(parse_api_version("Broker API support:"), None);
    }

    #[test]
    fn reasons_lose_broker_prefix_and_state_suffix() {
        assert_eq!(
            clean_reason("sasl_ssl://127.0.0.1:9093/bootstrap: SASL authentication error: Authentication failed (after 5ms in state AUTH_REQ)"),
            "SASL authentication error: Authentication failed"
        );
        assert_eq!(
            clean_reason("127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)"),
            "Connect to ipv4#127.0.0.1:1 failed: Connection refused"
        );
        assert_eq!(clean_reason("1/1 brokers are down"), "1/1 brokers are down");
    }
}
