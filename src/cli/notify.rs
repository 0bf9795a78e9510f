//! Alert notifications for `kscope watch`: each `[notify.NAME]` target has a bounded queue and a
//! thread of its own that delivers events over HTTP, retrying failures with doubling backoff.
//! The watch loop only ever hands events over without waiting (`try_send`): a slow or dead
//! receiver fills its own queue, whose overflow is dropped and counted, and never delays a
//! sample. Failures are logged on stderr (never with the URL's path, which is often the
//! secret) and counted; `watch --listen` exports the counts.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::output::warn;
use crate::config::{NotifyKind, NotifyTarget};
use crate::error::{Error, Result};
use crate::metrics::{AlertEvent, EventState};

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How one target has fared, since `watch` started (kept across reloads by name).
#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    retries: AtomicU64,
    queued: AtomicU64,
}

/// A snapshot of [`Counters`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NotifyCounts {
    /// Events delivered (the receiver answered 2xx).
    pub sent: u64,
    /// Events given up on: retries exhausted, refused (4xx), or the shutdown deadline passed.
    pub failed: u64,
    /// Events never attempted: the queue was full.
    pub dropped: u64,
    /// Attempts after a failed one.
    pub retries: u64,
    /// Waiting for delivery now.
    pub queued: u64,
}

impl Counters {
    fn snapshot(&self) -> NotifyCounts {
        NotifyCounts {
            sent: self.sent.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            queued: self.queued.load(Ordering::Relaxed),
        }
    }
}

/// One event to deliver.
struct Job {
    body: Vec<u8>,
    /// `rule/resource state`, for messages.
    what: String,
}

/// What one worker shares with the notifier.
struct Shared {
    counters: Arc<Counters>,
    /// Set at shutdown: nothing is attempted after it.
    deadline: Mutex<Option<Instant>>,
}

impl Shared {
    fn deadline(&self) -> Option<Instant> {
        self.deadline.lock().map(|d| *d).unwrap_or(None)
    }
}

struct Worker {
    target: NotifyTarget,
    tx: Option<SyncSender<Job>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// The notification targets of a running `watch`.
pub struct Notifier {
    workers: Vec<Worker>,
    context: Option<String>,
}

/// What a shutdown delivered, and what it did not.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Flushed {
    /// Targets that still had events queued or in flight at the deadline, with how many.
    pub undelivered: Vec<(String, u64)>,
    /// Events delivered during the shutdown, over all targets.
    pub delivered: u64,
}

/// The webhook body: the alert line `watch` prints.
#[derive(Serialize)]
struct WebhookBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    event: &'a AlertEvent,
    context: Option<&'a str>,
}

#[derive(Serialize)]
struct SlackBody {
    text: String,
}

/// Slack's mrkdwn gives `&`, `<` and `>` meaning: escape them so a name cannot make a link or a
/// mention.
fn slack_escape(s: &str) -> String {
    crate::record::sanitize::escape_line(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The text a Slack-compatible target gets for an event.
pub fn slack_text(e: &AlertEvent, context: Option<&str>) -> String {
    let state = match e.state {
        EventState::Firing => "FIRING",
        EventState::Resolved => "RESOLVED",
    };
    let value = e.value.as_ref().map_or("-".to_string(), |v| v.to_string());
    let mut text = format!(
        "[{state}] {} {} on {}: value {} (rule: {})",
        e.severity,
        slack_escape(&e.rule),
        slack_escape(&e.resource),
        slack_escape(&value),
        slack_escape(&e.expr)
    );
    if let Some(c) = context {
        text.push_str(&format!(" in context {}", slack_escape(c)));
    }
    text
}

fn body(kind: NotifyKind, e: &AlertEvent, context: Option<&str>) -> Result<Vec<u8>> {
    let r = match kind {
        NotifyKind::Webhook => serde_json::to_vec(&WebhookBody {
            kind: "alert",
            event: e,
            context,
        }),
        NotifyKind::Slack => serde_json::to_vec(&SlackBody {
            text: slack_text(e, context),
        }),
    };
    r.map_err(|err| Error::Io(format!("cannot write JSON: {err}")))
}

fn wants(t: &NotifyTarget, e: &AlertEvent) -> bool {
    let state = match e.state {
        EventState::Firing => t.firing,
        EventState::Resolved => t.resolved,
    };
    state && t.min_severity.is_none_or(|min| e.severity >= min)
}

impl Notifier {
    /// Starts a worker per target. `previous` carries the counts of targets of the same name
    /// over a reload.
    pub fn start(targets: Vec<NotifyTarget>, context: Option<String>) -> Result<Notifier> {
        Self::start_with(targets, context, &BTreeMap::new())
    }

    fn start_with(
        targets: Vec<NotifyTarget>,
        context: Option<String>,
        previous: &BTreeMap<String, Arc<Counters>>,
    ) -> Result<Notifier> {
        let mut workers = Vec::new();
        for target in targets {
            let counters = previous.get(&target.name).cloned().unwrap_or_default();
            counters.queued.store(0, Ordering::Relaxed);
            let shared = Arc::new(Shared {
                counters,
                deadline: Mutex::new(None),
            });
            let (tx, rx) = sync_channel::<Job>(target.queue);
            let thread = {
                let (t, s) = (target.clone(), shared.clone());
                std::thread::Builder::new()
                    .name(format!("kscope-notify-{}", target.name))
                    .spawn(move || deliver_all(&t, &s, rx))
                    .map_err(|e| Error::Io(format!("cannot start a notification thread: {e}")))?
            };
            workers.push(Worker {
                target,
                tx: Some(tx),
                shared,
                thread: Some(thread),
            });
        }
        Ok(Notifier { workers, context })
    }

    /// The same notifier with new targets (a reload): counts carry over by name; the old
    /// targets' queues are flushed in the background until `deadline`.
    pub fn reload(self, targets: Vec<NotifyTarget>, deadline: Instant) -> Result<Notifier> {
        let previous: BTreeMap<String, Arc<Counters>> = self
            .workers
            .iter()
            .map(|w| (w.target.name.clone(), w.shared.counters.clone()))
            .collect();
        let next = Self::start_with(targets, self.context.clone(), &previous)?;
        std::thread::Builder::new()
            .name("kscope-notify-flush".into())
            .spawn(move || {
                let left = self.shutdown(deadline);
                for (name, n) in left.undelivered {
                    warn(format_args!(
                        "notify '{name}': {n} event(s) not delivered before the reload's deadline"
                    ));
                }
            })
            .map_err(|e| Error::Io(format!("cannot start a notification thread: {e}")))?;
        Ok(next)
    }

    pub fn targets(&self) -> usize {
        self.workers.len()
    }

    /// Queues the events for every target that wants them. Never waits: a full queue drops
    /// the event (counted and logged).
    pub fn notify(&self, events: &[AlertEvent]) {
        for w in &self.workers {
            let Some(tx) = &w.tx else { continue };
            for e in events.iter().filter(|e| wants(&w.target, e)) {
                let body = match body(w.target.kind, e, self.context.as_deref()) {
                    Ok(b) => b,
                    Err(err) => {
                        warn(format_args!("notify '{}': {err}", w.target.name));
                        continue;
                    }
                };
                let what = format!("{} {}", e.key(), state_word(e.state));
                let c = &w.shared.counters;
                c.queued.fetch_add(1, Ordering::Relaxed);
                match tx.try_send(Job { body, what }) {
                    Ok(()) => {}
                    Err(TrySendError::Full(job)) => {
                        c.queued.fetch_sub(1, Ordering::Relaxed);
                        c.dropped.fetch_add(1, Ordering::Relaxed);
                        warn(format_args!(
                            "notify '{}': queue full ({} waiting), dropped {}",
                            w.target.name, w.target.queue, job.what
                        ));
                    }
                    Err(TrySendError::Disconnected(job)) => {
                        c.queued.fetch_sub(1, Ordering::Relaxed);
                        c.failed.fetch_add(1, Ordering::Relaxed);
                        warn(format_args!(
                            "notify '{}': its delivery thread is gone, dropped {}",
                            w.target.name, job.what
                        ));
                    }
                }
            }
        }
    }

    /// Each target's counts, in name order.
    pub fn counts(&self) -> Vec<(String, NotifyCounts)> {
        self.workers
            .iter()
            .map(|w| (w.target.name.clone(), w.shared.counters.snapshot()))
            .collect()
    }

    /// Stops taking events and delivers what is queued until `deadline`; what is still queued
    /// or in flight then is given up (counted as failed when its thread gets to it).
    pub fn shutdown(mut self, deadline: Instant) -> Flushed {
        let before: Vec<NotifyCounts> = self
            .workers
            .iter()
            .map(|w| w.shared.counters.snapshot())
            .collect();
        for w in &mut self.workers {
            if let Ok(mut d) = w.shared.deadline.lock() {
                *d = Some(deadline);
            }
            // The worker drains the queue, then sees the channel closed.
            w.tx = None;
        }
        loop {
            let running = self
                .workers
                .iter()
                .any(|w| w.thread.as_ref().is_some_and(|t| !t.is_finished()));
            if !running || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut out = Flushed::default();
        for (w, before) in self.workers.iter_mut().zip(before) {
            match w.thread.take() {
                Some(t) if t.is_finished() => {
                    let _ = t.join();
                }
                // Stuck in a request past the deadline: left to end with the process.
                Some(_) | None => {}
            }
            // Still waiting or in flight, or given up on since the shutdown began.
            let c = w.shared.counters.snapshot();
            out.delivered += c.sent.saturating_sub(before.sent);
            let left = c.queued + c.failed.saturating_sub(before.failed);
            if left > 0 {
                out.undelivered.push((w.target.name.clone(), left));
            }
        }
        out
    }
}

/// Appends the targets' counts to a Prometheus exposition body: deliveries by outcome,
/// retries and what waits in each queue.
pub fn append_metrics(body: &mut String, counts: &[(String, NotifyCounts)]) -> Result<()> {
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::gauge::Gauge;
    type Labels = Vec<(&'static str, String)>;
    let mut r = prometheus_client::registry::Registry::default();
    let outcomes = Family::<Labels, Counter<u64>>::default();
    r.register(
        "kscope_notifications",
        "Alert notifications by target and outcome: sent, failed (given up on) or dropped (queue full)",
        outcomes.clone(),
    );
    let retries = Family::<Labels, Counter<u64>>::default();
    r.register(
        "kscope_notification_retries",
        "Delivery attempts after a failed one",
        retries.clone(),
    );
    let queued = Family::<Labels, Gauge>::default();
    r.register(
        "kscope_notification_queue",
        "Notifications waiting for delivery",
        queued.clone(),
    );
    for (target, c) in counts {
        for (outcome, n) in [
            ("sent", c.sent),
            ("failed", c.failed),
            ("dropped", c.dropped),
        ] {
            outcomes
                .get_or_create(&vec![
                    ("target", target.clone()),
                    ("outcome", outcome.into()),
                ])
                .inc_by(n);
        }
        retries
            .get_or_create(&vec![("target", target.clone())])
            .inc_by(c.retries);
        queued
            .get_or_create(&vec![("target", target.clone())])
            .set(i64::try_from(c.queued).unwrap_or(i64::MAX));
    }
    prometheus_client::encoding::text::encode_registry(body, &r)
        .map_err(|_| Error::Io("cannot encode the metrics".to_string()))
}

fn state_word(s: EventState) -> &'static str {
    match s {
        EventState::Firing => "firing",
        EventState::Resolved => "resolved",
    }
}

/// Why one attempt failed: worth retrying or not.
enum Failure {
    Transient(String),
    Permanent(String),
}

/// A worker: delivers each job in turn until the channel closes and the queue is empty.
fn deliver_all(t: &NotifyTarget, shared: &Shared, rx: Receiver<Job>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(concat!("kscope/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let c = &shared.counters;
    while let Ok(job) = rx.recv() {
        deliver(t, shared, &agent, &job);
        c.queued.fetch_sub(1, Ordering::Relaxed);
    }
}

fn deliver(t: &NotifyTarget, shared: &Shared, agent: &ureq::Agent, job: &Job) {
    let c = &shared.counters;
    let mut backoff = t.backoff;
    let mut attempt = 0u32;
    loop {
        let deadline = shared.deadline();
        let budget = match deadline {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => t.timeout.min(left),
                _ => {
                    c.failed.fetch_add(1, Ordering::Relaxed);
                    warn(format_args!(
                        "notify '{}' ({}): shutting down, gave up on {}",
                        t.name,
                        t.shown_url(),
                        job.what
                    ));
                    return;
                }
            },
            None => t.timeout,
        };
        attempt += 1;
        let why = match send_once(t, agent, &job.body, budget) {
            Ok(()) => {
                c.sent.fetch_add(1, Ordering::Relaxed);
                tracing::info!("notify '{}': delivered {}", t.name, job.what);
                return;
            }
            Err(Failure::Permanent(why)) => {
                c.failed.fetch_add(1, Ordering::Relaxed);
                warn(format_args!(
                    "notify '{}' ({}): {why}; not retried, dropped {}",
                    t.name,
                    t.shown_url(),
                    job.what
                ));
                return;
            }
            Err(Failure::Transient(why)) => why,
        };
        let retry_at = Instant::now() + backoff;
        let too_late = shared.deadline().is_some_and(|d| retry_at >= d);
        if attempt > t.retries || too_late {
            c.failed.fetch_add(1, Ordering::Relaxed);
            warn(format_args!(
                "notify '{}' ({}): {why}; gave up on {} after {attempt} attempt(s)",
                t.name,
                t.shown_url(),
                job.what
            ));
            return;
        }
        tracing::warn!(
            "notify '{}': attempt {attempt} for {} failed: {why}; retrying in {backoff:?}",
            t.name,
            job.what
        );
        c.retries.fetch_add(1, Ordering::Relaxed);
        // Sleep in slices, so that a shutdown deadline set meanwhile is seen.
        while let Some(left) = retry_at.checked_duration_since(Instant::now()) {
            if shared.deadline().is_some_and(|d| retry_at >= d) {
                break;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn send_once(
    t: &NotifyTarget,
    agent: &ureq::Agent,
    body: &[u8],
    timeout: Duration,
) -> std::result::Result<(), Failure> {
    // ureq's messages may quote the URL, whose path is often the secret.
    let clean = |m: String| m.replace(&t.url, &t.shown_url());
    let resp = agent
        .post(&t.url)
        .config()
        .timeout_global(Some(timeout))
        .build()
        .header("Content-Type", "application/json")
        .send(body);
    let resp = match resp {
        Ok(r) => r,
        Err(e) => return Err(Failure::Transient(clean(e.to_string()))),
    };
    let status = resp.status().as_u16();
    match status {
        200..=299 => Ok(()),
        // Too many requests, a timeout on the receiver's side, or a server error: may pass.
        408 | 425 | 429 | 500..=599 => Err(Failure::Transient(format!("answered HTTP {status}"))),
        _ => Err(Failure::Permanent(format!("answered HTTP {status}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::rules::Threshold;
    use crate::model::Severity;

    fn event(rule: &str, resource: &str, state: EventState) -> AlertEvent {
        AlertEvent {
            rule: rule.into(),
            severity: Severity::Crit,
            resource: resource.into(),
            state,
            value: None,
            threshold: Threshold::Number(10.0),
            since: 1_000,
            at: 2_000,
            expr: "lag > 10".into(),
        }
    }

    #[test]
    fn slack_text_names_the_alert_and_cannot_mention_anyone() {
        let e = event("lagging", "<!channel>&x", EventState::Firing);
        let t = slack_text(&e, Some("prod"));
        assert!(
            t.starts_with("[FIRING] crit lagging on &lt;!channel&gt;&amp;x"),
            "{t}"
        );
        assert!(t.ends_with("in context prod"), "{t}");
        let r = slack_text(&event("lagging", "g", EventState::Resolved), None);
        assert!(
            r.starts_with("[RESOLVED] crit lagging on g: value -"),
            "{r}"
        );
    }

    #[test]
    fn targets_pick_events_by_state_and_severity() {
        let mut t = crate::config::NotifyTarget {
            name: "t".into(),
            kind: NotifyKind::Webhook,
            url: "http://127.0.0.1:9/x".into(),
            firing: true,
            resolved: false,
            min_severity: Some(Severity::Crit),
            timeout: Duration::from_secs(1),
            retries: 0,
            backoff: Duration::from_millis(10),
            queue: 1,
        };
        assert!(wants(&t, &event("r", "g", EventState::Firing)));
        assert!(!wants(&t, &event("r", "g", EventState::Resolved)));
        let mut warn_event = event("r", "g", EventState::Firing);
        warn_event.severity = Severity::Warn;
        assert!(!wants(&t, &warn_event));
        t.min_severity = None;
        assert!(wants(&t, &warn_event));
    }
}
