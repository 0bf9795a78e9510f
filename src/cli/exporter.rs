//! `kscope watch --listen ADDR`: the metrics engine's view of the cluster for Prometheus.
//!
//! After every sample the watch loop renders an [`Exposition`] (the Prometheus text, the health
//! verdict and the firing alerts) and swaps it in; the HTTP threads only read the latest one, so
//! a scrape never waits for a sample and a sample never waits for a scrape.
//!
//! What a partial sample could not read is not exported: a group whose offsets or log ends are
//! missing has `kscope_group_up 0` and no lag series, a topic with a partition whose log end is
//! unknown has `kscope_topic_up 0` and no rate, and `kscope_sample_complete` is 0. After a failed
//! sample only kscope's own series remain, so no number outlives the sample it came from.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::error::{Error, Result};
use crate::metrics::{AlertPhase, MetricsState, Millis, Snapshot, Status};

type Labels = Vec<(&'static str, String)>;
type GaugeF = Gauge<f64, AtomicU64>;

/// What a scrape gets: rendered once per sample.
#[derive(Debug, Clone, Default)]
pub struct Exposition {
    /// The metric families, without OpenMetrics' `# EOF` line.
    pub body: String,
    /// `None` while samples succeed; the reason otherwise (`/healthz` answers 503 with it).
    pub unhealthy: Option<String>,
    /// The firing alerts as JSON (`/alerts`).
    pub alerts: String,
}

/// Counts kept across samples (Prometheus counters).
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    pub samples: u64,
    pub failed_samples: u64,
    pub requests: u64,
}

/// Series to export per partition too (`[exporter] per_partition`, default true).
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    pub per_partition: bool,
}

fn family(registry: &mut Registry, name: &str, help: &str) -> Family<Labels, GaugeF> {
    let f = Family::<Labels, GaugeF>::default();
    registry.register(name, help, f.clone());
    f
}

fn gauge(registry: &mut Registry, name: &str, help: &str, v: f64) {
    let g = GaugeF::default();
    g.set(v);
    registry.register(name, help, g);
}

fn counter(registry: &mut Registry, name: &str, help: &str, v: u64) {
    let c = Counter::<u64>::default();
    c.inc_by(v);
    registry.register(name, help, c);
}

fn set(f: &Family<Labels, GaugeF>, labels: Labels, v: f64) {
    f.get_or_create(&labels).set(v);
}

/// Until when an alert (rule, resource) is silenced, if it is: the silences `kscope watch`
/// read from the data dir.
pub type Silenced<'a> = &'a dyn Fn(&str, &str) -> Option<Millis>;

/// For a watch without silences.
pub fn no_silences(_rule: &str, _resource: &str) -> Option<Millis> {
    None
}

/// Renders the state after a sample. `failure` is why the last sample failed, if it did.
/// A silenced alert is still exported (it still fires) and is marked: `kscope_alert_silenced`
/// is 1 for it, and `/alerts` gives `silenced_until`.
pub fn render(
    state: &MetricsState,
    now: Millis,
    failure: Option<&str>,
    totals: Totals,
    opts: ExportOptions,
    silenced: Silenced,
) -> Result<Exposition> {
    let mut r = Registry::default();
    counter(&mut r, "kscope_samples", "Samples taken", totals.samples);
    counter(
        &mut r,
        "kscope_sample_failures",
        "Samples that failed as a whole (the cluster could not be read)",
        totals.failed_samples,
    );
    counter(
        &mut r,
        "kscope_requests",
        "Broker requests the samples sent",
        totals.requests,
    );
    let snapshot = state.snapshot(now);
    if let Some(last) = snapshot.last_sample {
        gauge(
            &mut r,
            "kscope_last_sample_timestamp_seconds",
            "When the last successful sample was taken",
            last as f64 / 1000.0,
        );
    }
    let unhealthy = match failure {
        Some(why) => Some(why.to_string()),
        None if snapshot.samples == 0 => Some("no sample yet".to_string()),
        None => None,
    };
    if unhealthy.is_some() {
        gauge(
            &mut r,
            "kscope_sample_complete",
            "1 when the last sample read everything it asked for",
            0.0,
        );
        return finish(r, unhealthy, &snapshot, silenced);
    }
    gauge(
        &mut r,
        "kscope_sample_complete",
        "1 when the last sample read everything it asked for",
        if snapshot.missing.is_empty() {
            1.0
        } else {
            0.0
        },
    );
    gauge(
        &mut r,
        "kscope_sample_duration_seconds",
        "Wall time of the last sample",
        snapshot.took_ms as f64 / 1000.0,
    );
    gauge(
        &mut r,
        "kscope_sample_missing",
        "Things the last sample could not read (partitions, groups, listings)",
        snapshot.missing.len() as f64,
    );

    let c = &snapshot.cluster;
    if let Some(n) = c.brokers {
        gauge(
            &mut r,
            "kscope_cluster_brokers",
            "Brokers the cluster's metadata lists",
            n as f64,
        );
    }
    gauge(
        &mut r,
        "kscope_cluster_topics",
        "Topics sampled",
        c.topics as f64,
    );
    gauge(
        &mut r,
        "kscope_cluster_partitions",
        "Partitions sampled",
        c.partitions as f64,
    );
    gauge(
        &mut r,
        "kscope_cluster_under_replicated_partitions",
        "Partitions with fewer in-sync replicas than replicas",
        c.under_replicated as f64,
    );
    gauge(
        &mut r,
        "kscope_cluster_offline_partitions",
        "Partitions without a leader",
        c.offline as f64,
    );
    if let Some(rate) = c.rate {
        gauge(
            &mut r,
            "kscope_cluster_produce_rate",
            "Records produced per second over the rate window (absent while a log end is unknown)",
            rate,
        );
    }

    let t_up = family(
        &mut r,
        "kscope_topic_up",
        "1 when every partition's log end was read",
    );
    let t_parts = family(&mut r, "kscope_topic_partitions", "Partitions of the topic");
    let t_urp = family(
        &mut r,
        "kscope_topic_under_replicated_partitions",
        "Under-replicated partitions of the topic",
    );
    let t_offline = family(
        &mut r,
        "kscope_topic_offline_partitions",
        "Partitions without a leader",
    );
    let t_rate = family(
        &mut r,
        "kscope_topic_produce_rate",
        "Records produced per second over the rate window",
    );
    for t in &snapshot.topics {
        let l = || vec![("topic", t.topic.clone())];
        set(
            &t_up,
            l(),
            if t.missing_partitions == 0 { 1.0 } else { 0.0 },
        );
        set(&t_parts, l(), t.partitions as f64);
        set(&t_urp, l(), t.under_replicated as f64);
        set(&t_offline, l(), t.offline as f64);
        if let (Some(rate), 0) = (t.rate, t.missing_partitions) {
            set(&t_rate, l(), rate);
        }
    }

    let g_up = family(
        &mut r,
        "kscope_group_up",
        "1 when the group's offsets and its partitions' log ends were all read",
    );
    let g_lag = family(
        &mut r,
        "kscope_group_lag",
        "Records the group has still to read",
    );
    let g_lag_s = family(
        &mut r,
        "kscope_group_lag_seconds",
        "The worst partition's time lag",
    );
    let g_status = family(
        &mut r,
        "kscope_group_status",
        "1 for the group's current status (OK, WARN, REWIND, STALL, STOP), 0 for the others",
    );
    let g_consume = family(
        &mut r,
        "kscope_group_consume_rate",
        "Records committed per second over the rate window",
    );
    let g_growth = family(
        &mut r,
        "kscope_group_lag_growth",
        "Lag growth per second over the rate window (negative: catching up)",
    );
    let g_eta = family(
        &mut r,
        "kscope_group_catchup_seconds",
        "Seconds until the lag is gone at the current rate (absent when it is not shrinking)",
    );
    let p_lag = family(
        &mut r,
        "kscope_group_partition_lag",
        "Records still to read, per partition",
    );
    let p_lag_s = family(
        &mut r,
        "kscope_group_partition_lag_seconds",
        "Time lag per partition; method=\"exact\" from the record at the committed offset, \"estimate\" interpolated from sampled log ends, \"lower_bound\" older than the sampled history",
    );
    for g in &snapshot.groups {
        let l = || vec![("group", g.group.clone())];
        let complete = g.incomplete.is_none() && g.error.is_none();
        set(&g_up, l(), if complete { 1.0 } else { 0.0 });
        if !complete {
            continue;
        }
        if let Some(lag) = g.total_lag {
            set(&g_lag, l(), lag as f64);
        }
        if let Some(s) = g.lag_seconds {
            set(&g_lag_s, l(), s);
        }
        if let Some(status) = g.status {
            for s in Status::ALL {
                let mut labels = l();
                labels.push(("status", s.as_str().to_string()));
                set(&g_status, labels, if s == status { 1.0 } else { 0.0 });
            }
        }
        if let Some(v) = g.consume_rate {
            set(&g_consume, l(), v);
        }
        if let Some(v) = g.lag_growth {
            set(&g_growth, l(), v);
        }
        if let Some(v) = g.eta_seconds {
            set(&g_eta, l(), v);
        }
        if opts.per_partition {
            for p in state.group_partitions(&g.group, now) {
                let pl = || {
                    vec![
                        ("group", g.group.clone()),
                        ("topic", p.topic.clone()),
                        ("partition", p.partition.to_string()),
                    ]
                };
                if let Some(lag) = p.lag {
                    set(&p_lag, pl(), lag as f64);
                }
                if let (Some(s), Some(method)) = (p.lag_seconds, p.time_lag_method) {
                    let mut labels = pl();
                    labels.push(("method", method.as_str().to_string()));
                    set(&p_lag_s, labels, s);
                }
            }
        }
    }

    let alert = family(
        &mut r,
        "kscope_alert_firing",
        "1 while the rule fires for the resource, 0 while it is pending",
    );
    let muted = family(
        &mut r,
        "kscope_alert_silenced",
        "1 while the alert is silenced (from the console's `a`): it still fires, and pages nobody",
    );
    for a in &snapshot.alerts {
        let firing = matches!(a.phase, AlertPhase::Firing | AlertPhase::Resolving);
        let labels = vec![
            ("rule", a.rule.clone()),
            ("resource", a.resource.clone()),
            ("severity", a.severity.to_string()),
        ];
        if silenced(&a.rule, &a.resource).is_some() {
            set(&muted, labels.clone(), 1.0);
        }
        set(&alert, labels, if firing { 1.0 } else { 0.0 });
    }
    finish(r, None, &snapshot, silenced)
}

/// A firing alert as `/alerts` gives it.
#[derive(serde::Serialize)]
struct AlertJson<'a> {
    #[serde(flatten)]
    alert: &'a crate::metrics::ActiveAlert,
    /// Until when it is silenced (`null`: it is not).
    #[serde(serialize_with = "crate::metrics::time::serialize_opt_ts")]
    silenced_until: Option<Millis>,
}

fn finish(
    r: Registry,
    unhealthy: Option<String>,
    snapshot: &Snapshot,
    silenced: Silenced,
) -> Result<Exposition> {
    let mut body = String::new();
    encode_registry(&mut body, &r)
        .map_err(|_| Error::Io("cannot encode the metrics".to_string()))?;
    let firing: Vec<_> = snapshot
        .alerts
        .iter()
        .filter(|a| matches!(a.phase, AlertPhase::Firing | AlertPhase::Resolving))
        .map(|alert| AlertJson {
            alert,
            silenced_until: silenced(&alert.rule, &alert.resource),
        })
        .collect();
    let alerts =
        serde_json::to_string(&firing).map_err(|e| Error::Io(format!("cannot write JSON: {e}")))?;
    Ok(Exposition {
        body,
        unhealthy,
        alerts,
    })
}

/// The HTTP side: serves the latest exposition until dropped.
pub struct Exporter {
    latest: Arc<Mutex<Arc<Exposition>>>,
    server: Arc<tiny_http::Server>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// Set when dropped: tiny_http's `unblock()` wakes `recv_timeout` with no request, which
    /// looks like a timeout, so the threads check this too.
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Exporter {
    /// Listens on `addr` (e.g. `127.0.0.1:9308`); a port in use or a bad address is an error
    /// naming it.
    pub fn listen(addr: &str) -> Result<Exporter> {
        let server = tiny_http::Server::http(addr)
            .map_err(|e| Error::usage(format!("cannot listen on {addr}: {e}")))?;
        let server = Arc::new(server);
        let latest = Arc::new(Mutex::new(Arc::new(Exposition {
            unhealthy: Some("no sample yet".to_string()),
            alerts: "[]".to_string(),
            ..Exposition::default()
        })));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Two threads: one slow client cannot hold up Prometheus.
        let threads = (0..2)
            .map(|_| {
                let (server, latest, stop) = (server.clone(), latest.clone(), stop.clone());
                std::thread::spawn(move || serve(&server, &latest, &stop))
            })
            .collect();
        Ok(Exporter {
            latest,
            server,
            threads,
            stop,
        })
    }

    /// The address actually bound (the port, when 0 was asked for).
    pub fn local_addr(&self) -> String {
        match self.server.server_addr() {
            tiny_http::ListenAddr::IP(a) => a.to_string(),
            #[allow(unreachable_patterns)]
            _ => String::new(),
        }
    }

    pub fn publish(&self, e: Exposition) {
        if let Ok(mut l) = self.latest.lock() {
            *l = Arc::new(e);
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for _ in &self.threads {
            self.server.unblock();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn serve(
    server: &tiny_http::Server,
    latest: &Mutex<Arc<Exposition>>,
    stop: &std::sync::atomic::AtomicBool,
) {
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let req = match server.recv_timeout(Duration::from_secs(1)) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            // unblock() or a closed listener: the exporter is going away.
            Err(_) => return,
        };
        let current = match latest.lock() {
            Ok(l) => l.clone(),
            Err(_) => return,
        };
        let path = req.url().split('?').next().unwrap_or("").to_string();
        let openmetrics = req.headers().iter().any(|h| {
            h.field.equiv("Accept") && h.value.as_str().contains("application/openmetrics-text")
        });
        let (status, content_type, body) = match path.as_str() {
            "/metrics" if openmetrics => {
                let mut body = current.body.clone();
                let _ = encode_eof(&mut body);
                (
                    200,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    body,
                )
            }
            "/metrics" => (
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                current.body.clone(),
            ),
            "/healthz" => match &current.unhealthy {
                None => (200, "text/plain; charset=utf-8", "ok\n".to_string()),
                Some(why) => (503, "text/plain; charset=utf-8", format!("{why}\n")),
            },
            "/alerts" => (200, "application/json", current.alerts.clone()),
            _ => (
                404,
                "text/plain; charset=utf-8",
                "not found: try /metrics, /healthz or /alerts\n".to_string(),
            ),
        };
        let header = tiny_http::Header::from_bytes(&b"Content-Type"[..], content_type.as_bytes());
        let mut response = tiny_http::Response::from_string(body).with_status_code(status);
        if let Ok(h) = header {
            response = response.with_header(h);
        }
        let _ = req.respond(response);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{CommittedOffset, GroupSample, PartitionSample, Sample};

    fn part(topic: &str, partition: i32, end: Option<i64>) -> PartitionSample {
        PartitionSample {
            topic: topic.into(),
            partition,
            log_start: end.map(|_| 0),
            log_end: end,
            leader: Some(1),
            replicas: 1,
            isr: 1,
        }
    }

    fn group(name: &str, offsets: &[(&str, i32, i64)]) -> GroupSample {
        GroupSample {
            group: name.into(),
            state: Some("Empty".into()),
            offsets: offsets
                .iter()
                .map(|(t, p, o)| CommittedOffset {
                    topic: (*t).into(),
                    partition: *p,
                    offset: *o,
                })
                .collect(),
            unknown: Vec::new(),
            error: None,
        }
    }

    fn state_after(samples: Vec<Sample>) -> MetricsState {
        let mut s = MetricsState::new(Default::default(), crate::metrics::default_rules());
        for sample in &samples {
            let at = sample.at;
            s.ingest(sample, at);
        }
        s
    }

    fn sample(at: Millis, partitions: Vec<PartitionSample>, groups: Vec<GroupSample>) -> Sample {
        Sample {
            at,
            partitions,
            groups,
            ..Sample::default()
        }
    }

    const OPTS: ExportOptions = ExportOptions {
        per_partition: true,
    };

    #[test]
    fn a_complete_sample_exports_lag_per_group_and_partition() {
        let s = state_after(vec![sample(
            1_000,
            vec![part("orders", 0, Some(50)), part("orders", 1, Some(30))],
            vec![group("billing", &[("orders", 0, 10), ("orders", 1, 30)])],
        )]);
        let e = render(&s, 1_000, None, Totals::default(), OPTS, &no_silences).unwrap();
        assert!(e.unhealthy.is_none());
        assert!(e.body.contains("kscope_sample_complete 1"), "{}", e.body);
        assert!(
            e.body.contains("kscope_group_up{group=\"billing\"} 1"),
            "{}",
            e.body
        );
        assert!(
            e.body.contains("kscope_group_lag{group=\"billing\"} 40"),
            "{}",
            e.body
        );
        assert!(
            e.body.contains(
                "kscope_group_partition_lag{group=\"billing\",topic=\"orders\",partition=\"0\"} 40"
            ),
            "{}",
            e.body
        );
        let per_group = render(
            &s,
            1_000,
            None,
            Totals::default(),
            ExportOptions {
                per_partition: false,
            },
            &no_silences,
        )
        .unwrap();
        assert!(!per_group.body.contains("kscope_group_partition_lag{"));
    }

    #[test]
    fn partition_time_lag_says_how_it_was_found() {
        // Partition 0's next record was read (written 30 s before the sample); partition 2's
        // was not, so its time lag is interpolated; partition 1 has nothing to read.
        let mut first = sample(
            1_000,
            vec![
                part("orders", 0, Some(50)),
                part("orders", 1, Some(30)),
                part("orders", 2, Some(100)),
            ],
            vec![group(
                "billing",
                &[("orders", 0, 10), ("orders", 1, 30), ("orders", 2, 90)],
            )],
        );
        first.record_times = vec![crate::model::RecordTime {
            topic: "orders".into(),
            partition: 0,
            offset: 10,
            record_offset: 10,
            timestamp: -29_000,
            from_log_start: false,
        }];
        let s = state_after(vec![first]);
        let e = render(&s, 1_000, None, Totals::default(), OPTS, &no_silences).unwrap();
        let line = |p: i32, m: &str| {
            format!(
                "kscope_group_partition_lag_seconds{{group=\"billing\",topic=\"orders\",partition=\"{p}\",method=\"{m}\"}}"
            )
        };
        assert!(
            e.body.contains(&format!("{} 30", line(0, "exact"))),
            "{}",
            e.body
        );
        assert!(
            e.body.contains(&format!("{} 0", line(1, "exact"))),
            "{}",
            e.body
        );
        // One sample, no history before it: only a lower bound.
        assert!(!e.body.contains(&line(2, "exact")), "{}", e.body);
        assert!(e.body.contains(&line(2, "lower_bound")), "{}", e.body);
    }

    #[test]
    fn a_silenced_alert_still_fires_and_is_marked() {
        let rules =
            vec![
                crate::metrics::AlertRule::new("lag", "lag > 5", crate::model::Severity::Warn)
                    .unwrap(),
            ];
        let mut s = MetricsState::new(Default::default(), rules);
        let g = |a: &str| group(a, &[("orders", 0, 10)]);
        let one = sample(
            1_000,
            vec![part("orders", 0, Some(50))],
            vec![g("billing"), g("audit")],
        );
        s.ingest(&one, 1_000);
        let silenced =
            |rule: &str, resource: &str| (rule == "lag" && resource == "billing").then_some(90_000);
        let e = render(&s, 1_000, None, Totals::default(), OPTS, &silenced).unwrap();
        for group in ["billing", "audit"] {
            let firing = format!(
                "kscope_alert_firing{{rule=\"lag\",resource=\"{group}\",severity=\"warn\"}} 1.0"
            );
            assert!(e.body.contains(&firing), "{}", e.body);
        }
        assert!(
            e.body.contains(
                "kscope_alert_silenced{rule=\"lag\",resource=\"billing\",severity=\"warn\"} 1.0"
            ),
            "{}",
            e.body
        );
        assert!(
            !e.body
                .contains("kscope_alert_silenced{rule=\"lag\",resource=\"audit\""),
            "{}",
            e.body
        );
        let alerts: serde_json::Value = serde_json::from_str(&e.alerts).unwrap();
        let until = |r: &str| {
            alerts
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["resource"] == r)
                .map(|a| a["silenced_until"].clone())
        };
        assert_eq!(until("billing"), Some("1970-01-01T00:01:30.000Z".into()));
        assert_eq!(until("audit"), Some(serde_json::Value::Null));
    }

    #[test]
    fn a_partial_sample_exports_only_what_it_knows() {
        let mut missing = sample(
            2_000,
            vec![part("orders", 0, Some(60)), part("orders", 1, None)],
            vec![group("billing", &[("orders", 0, 10), ("orders", 1, 30)])],
        );
        missing.missing.push(crate::model::Missing::partition(
            "orders",
            1,
            Some(2),
            "log end",
            crate::error::ErrorKind::TimedOut,
            "leader 2 did not answer".to_string(),
        ));
        let s = state_after(vec![
            sample(
                1_000,
                vec![part("orders", 0, Some(50)), part("orders", 1, Some(30))],
                vec![group("billing", &[("orders", 0, 10), ("orders", 1, 30)])],
            ),
            missing,
        ]);
        let e = render(&s, 2_000, None, Totals::default(), OPTS, &no_silences).unwrap();
        assert!(e.body.contains("kscope_sample_complete 0"), "{}", e.body);
        assert!(
            e.body.contains("kscope_group_up{group=\"billing\"} 0"),
            "{}",
            e.body
        );
        assert!(
            !e.body.contains("kscope_group_lag{"),
            "no lag from part of it: {}",
            e.body
        );
        assert!(
            e.body.contains("kscope_topic_up{topic=\"orders\"} 0"),
            "{}",
            e.body
        );
        assert!(!e.body.contains("kscope_topic_produce_rate{"), "{}", e.body);
    }

    #[test]
    fn a_failed_sample_leaves_no_number_behind() {
        let s = state_after(vec![sample(
            1_000,
            vec![part("orders", 0, Some(50))],
            vec![group("billing", &[("orders", 0, 10)])],
        )]);
        let e = render(
            &s,
            5_000,
            Some("cannot reach kafka:9092"),
            Totals::default(),
            OPTS,
            &no_silences,
        )
        .unwrap();
        assert_eq!(e.unhealthy.as_deref(), Some("cannot reach kafka:9092"));
        assert!(e.body.contains("kscope_sample_complete 0"), "{}", e.body);
        assert!(!e.body.contains("kscope_group_lag"), "{}", e.body);
        assert!(!e.body.contains("kscope_topic_"), "{}", e.body);
        assert!(
            e.body.contains("kscope_last_sample_timestamp_seconds 1"),
            "{}",
            e.body
        );
    }
}
