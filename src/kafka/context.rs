//! The librdkafka client context: routes librdkafka's log lines to `tracing` (never to the
//! terminal) and remembers connection errors so that a timeout can say *why* it timed out.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use rdkafka::client::{ClientContext, OAuthToken};
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
    /// What the brokers said in their ApiVersions answers. librdkafka logs them line by line
    /// under the `feature` debug context (it has no public call for them), on its own threads.
    api_versions: Mutex<ApiVersions>,
    /// Signalled when a broker's list is complete.
    api_versions_ready: Condvar,
    /// Requests sent so far, from librdkafka's statistics (only when `statistics.interval.ms`
    /// is set).
    requests: Mutex<RequestsSent>,
    /// Makes OAUTHBEARER tokens when librdkafka asks for one (`None`: kscope makes none).
    token: Option<std::sync::Arc<super::oauth::TokenProvider>>,
    /// librdkafka's "ERROR" log lines, newest last (at most [`LOGGED_ERRORS`]): the errors it
    /// served without an error callback, as a partition's errors are when the tail reads in
    /// batches (`native::batch`). The tail takes them after each poll of the consumer.
    logged_errors: Mutex<std::collections::VecDeque<String>>,
}

/// Error lines kept until the tail takes them.
const LOGGED_ERRORS: usize = 64;

/// ApiVersions as they arrive: each broker's list is collected line by line and counts only
/// once it is complete. librdkafka logs every "ApiKey" line of an answer, then checks its
/// features against them ("Feature MsgVer1: ..."), so the first feature line ends the list.
#[derive(Debug, Default)]
struct ApiVersions {
    /// Broker (librdkafka's thread tag) -> ApiKey -> highest version, still arriving.
    arriving: BTreeMap<String, BTreeMap<i16, i16>>,
    /// ApiKey -> highest version, over every broker whose list is complete.
    known: BTreeMap<i16, i16>,
    complete: bool,
}

/// Requests a client has sent, summed over brokers, as librdkafka's statistics count them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestsSent {
    /// How many statistics have arrived (0: none yet, or statistics are off).
    pub reports: u64,
    /// Every request sent.
    pub total: i64,
    /// By API name (`Metadata`, `ListOffsets`, ...). librdkafka may leave out APIs it thinks
    /// this kind of client never uses, so these may add up to less than `total`.
    pub by_api: BTreeMap<String, i64>,
}

impl KscopeContext {
    pub fn new() -> Self {
        Self::with_token(None)
    }

    /// A context for the connection `settings` describe: with a token provider when kscope
    /// makes the OAUTHBEARER tokens.
    pub fn for_settings(
        settings: &crate::config::ConnectionSettings,
    ) -> crate::error::Result<Self> {
        let token = match &settings.token {
            Some(source) => Some(super::oauth::TokenProvider::new(
                source.clone(),
                settings.timeout,
            )?),
            None => None,
        };
        Ok(Self::with_token(token))
    }

    pub fn with_token(token: Option<std::sync::Arc<super::oauth::TokenProvider>>) -> Self {
        KscopeContext {
            token,
            fatal: watch::channel(None).0,
            last_error: Mutex::new(None),
            api_versions: Mutex::new(ApiVersions::default()),
            api_versions_ready: Condvar::new(),
            requests: Mutex::new(RequestsSent::default()),
            logged_errors: Mutex::new(std::collections::VecDeque::new()),
        }
    }

    /// The "ERROR" log lines since the last call.
    pub fn take_logged_errors(&self) -> Vec<String> {
        self.logged_errors
            .lock()
            .map(|mut q| q.drain(..).collect())
            .unwrap_or_default()
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

    /// Whether a broker said it supports `api_key`; `None` until one broker's complete list has
    /// arrived, waiting up to `wait` for it (the lines are handled on another thread, so they
    /// can trail the first answer a little).
    pub fn supports(&self, api_key: i16, wait: Duration) -> Option<bool> {
        let guard = self.api_versions.lock().ok()?;
        let (guard, _) = self
            .api_versions_ready
            .wait_timeout_while(guard, wait, |v| !v.complete)
            .ok()?;
        guard.complete.then(|| guard.known.contains_key(&api_key))
    }

    fn api_version_line(&self, message: &str) {
        let Ok(mut v) = self.api_versions.lock() else {
            return;
        };
        let broker = message
            .strip_prefix("[thrd:")
            .and_then(|m| m.split_once(']'))
            .map_or("", |(b, _)| b)
            .to_string();
        if let Some((key, max)) = parse_api_version(message) {
            let e = v
                .arriving
                .entry(broker)
                .or_default()
                .entry(key)
                .or_insert(max);
            *e = (*e).max(max);
        } else if message.contains("eature") {
            if let Some(list) = v.arriving.remove(&broker).filter(|l| !l.is_empty()) {
                for (key, max) in list {
                    let e = v.known.entry(key).or_insert(max);
                    *e = (*e).max(max);
                }
                v.complete = true;
                self.api_versions_ready.notify_all();
            }
        }
    }

    /// A token for librdkafka's OAUTHBEARER refresh; the error says why there is none. Logged
    /// without the token.
    pub fn oauth_token(&self) -> Result<super::oauth::Token, String> {
        let Some(p) = &self.token else {
            return Err("sasl.mechanisms=OAUTHBEARER needs a token source: \
                 sasl.oauthbearer.method=oidc with a token endpoint, token_command, \
                 or sasl_mechanism = \"AWS_MSK_IAM\" in the context"
                .to_string());
        };
        let t = p.token();
        match &t {
            Ok(t) => tracing::info!(
                "OAUTHBEARER token for '{}' until {}",
                t.principal,
                crate::metrics::time::rfc3339(t.expires_ms)
            ),
            Err(e) => tracing::warn!("no OAUTHBEARER token: {e}"),
        }
        t
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
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    fn generate_oauth_token(
        &self,
        _oauthbearer_config: Option<&str>,
    ) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        let token = self.oauth_token()?;
        Ok(OAuthToken {
            token: token.value,
            principal_name: token.principal,
            lifetime_ms: token.expires_ms,
        })
    }

    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        if fac == "APIVERSION" {
            self.api_version_line(message);
            tracing::trace!(target: "librdkafka", "{message}");
            return;
        }
        // A client without error events (the admin handle) hears of a failed OAUTHBEARER
        // token only through this line; nothing can succeed without one, so stop waiting.
        const NO_TOKEN: &str = "Failed to acquire SASL OAUTHBEARER token: ";
        if let Some(at) = message.find(NO_TOKEN) {
            let reason = message[at..].to_string();
            if let Ok(mut last) = self.last_error.lock() {
                *last = Some(reason.clone());
            }
            if self.fatal.borrow().is_none() {
                self.fatal.send_replace(Some(reason));
            }
        }
        if fac == "ERROR" {
            if let Ok(mut q) = self.logged_errors.lock() {
                if q.len() >= LOGGED_ERRORS {
                    q.pop_front();
                }
                q.push_back(message.to_string());
            }
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
    fn api_versions_count_once_a_broker_list_is_complete() {
        let ctx = KscopeContext::new();
        let wait = Duration::from_millis(10);
        ctx.log(RDKafkaLogLevel::Debug, "FEATURE", "[thrd:b:1/bootstrap]: b:1/bootstrap: Updated enabled protocol features +ApiVersion to ApiVersion");
        ctx.log(
            RDKafkaLogLevel::Debug,
            "APIVERSION",
            "[thrd:b:1/bootstrap]: b:1/bootstrap:   ApiKey ListOffsets (2) Versions 0..7",
        );
        assert_eq!(ctx.supports(2, wait), None, "half a list proves nothing");
        ctx.log(
            RDKafkaLogLevel::Debug,
            "APIVERSION",
            "[thrd:b:1/bootstrap]: b:1/bootstrap:   ApiKey DescribeGroups (15) Versions 0..5",
        );
        ctx.log(RDKafkaLogLevel::Debug, "APIVERSION", "[thrd:b:1/bootstrap]: b:1/bootstrap:  Feature MsgVer1: Produce (2..2) supported by broker");
        assert_eq!(ctx.supports(15, wait), Some(true));
        assert_eq!(ctx.supports(16, wait), Some(false));
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
    fn a_failed_token_ends_the_wait() {
        let ctx = KscopeContext::new();
        assert_eq!(ctx.fatal_error(), None);
        ctx.log(
            RDKafkaLogLevel::Error,
            "ERROR",
            "[thrd:app]: Failed to acquire SASL OAUTHBEARER token: token_command failed (exit status: 3)",
        );
        assert_eq!(
            ctx.fatal_error().as_deref(),
            Some("Failed to acquire SASL OAUTHBEARER token: token_command failed (exit status: 3)")
        );
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
