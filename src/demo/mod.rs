//! The embedded demo: librdkafka's in-process mock cluster (3 brokers) with traffic modelled on
//! real streams and consumer groups at different speeds. No Kafka needed.
//!
//! The mock has no ListGroups or DescribeGroups, so the demo's settings name its groups
//! (`known_groups`), the way a context does for users whose ACLs forbid listing groups.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, DefaultProducerContext, Producer};
use rdkafka::ClientConfig;

use crate::config::ConnectionSettings;
use crate::error::{Error, Result};

/// A demo topic: name, partitions, and records per second on average.
pub struct DemoTopic {
    pub name: &'static str,
    pub partitions: i32,
    pub rate: f64,
}

pub const TOPICS: &[DemoTopic] = &[
    DemoTopic {
        name: "orders",
        partitions: 6,
        rate: 30.0,
    },
    DemoTopic {
        name: "page_views",
        partitions: 12,
        rate: 150.0,
    },
    DemoTopic {
        name: "payments",
        partitions: 3,
        rate: 25.0,
    },
    DemoTopic {
        name: "alerts",
        partitions: 1,
        rate: 0.3,
    },
];

/// The demo's consumer groups and how each behaves.
pub const GROUPS: &[(&str, &str)] = &[
    ("billing", "keeps up"),
    ("analytics", "falls behind"),
    ("fraud-detector", "stalled"),
];

pub struct Demo {
    threads: Vec<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    bootstrap: String,
    /// Taken last in `shutdown`: the brokers must outlive the clients.
    cluster: Option<MockCluster<'static, DefaultProducerContext>>,
}

impl Demo {
    /// Starts the brokers, the traffic and the consumer groups.
    pub fn start() -> Result<Demo> {
        let cluster = MockCluster::new(3)
            .map_err(|e| Error::kafka(format!("cannot start the demo cluster: {e}")))?;
        for t in TOPICS {
            cluster
                .create_topic(t.name, t.partitions, 3)
                .map_err(|e| Error::kafka(format!("cannot create demo topic {}: {e}", t.name)))?;
        }
        let bootstrap = cluster.bootstrap_servers();
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        threads.push(spawn("demo-traffic", {
            let (b, s) = (bootstrap.clone(), stop.clone());
            move || traffic(&b, &s)
        })?);
        threads.push(spawn("demo-billing", {
            let (b, s) = (bootstrap.clone(), stop.clone());
            move || consume(&b, "billing", &["orders", "payments"], Speed::KeepUp, &s)
        })?);
        threads.push(spawn("demo-analytics", {
            let (b, s) = (bootstrap.clone(), stop.clone());
            move || consume(&b, "analytics", &["page_views"], Speed::PerSecond(100), &s)
        })?);
        threads.push(spawn("demo-fraud", {
            let (b, s) = (bootstrap.clone(), stop.clone());
            move || {
                consume(
                    &b,
                    "fraud-detector",
                    &["payments"],
                    Speed::StallAfter(300),
                    &s,
                )
            }
        })?);
        Ok(Demo {
            threads,
            stop,
            bootstrap,
            cluster: Some(cluster),
        })
    }

    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// Connection settings for kscope itself, naming the demo's groups.
    pub fn settings(&self) -> ConnectionSettings {
        let mut s = ConnectionSettings::plain(self.bootstrap.clone());
        s.context = Some("demo".into());
        s.known_groups = GROUPS.iter().map(|(g, _)| g.to_string()).collect();
        s.timeout = Duration::from_secs(5);
        s
    }

    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        self.cluster.take();
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(f)
        .map_err(|e| Error::Io(format!("cannot start {name}: {e}")))
}

fn quiet_config(bootstrap: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap);
    c.set("log_level", "3");
    c
}

/// Produces every topic at its uneven rate until stopped: a slow swell over two minutes,
/// random bursts, and Poisson-like gaps.
fn traffic(bootstrap: &str, stop: &AtomicBool) {
    let mut cfg = quiet_config(bootstrap);
    cfg.set("linger.ms", "20");
    let producer: BaseProducer = match cfg.create() {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("demo traffic: {e}");
            return;
        }
    };
    let mut rng = StdRng::from_os_rng();
    let started = Instant::now();
    let tick = Duration::from_millis(100);
    let mut seq: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        let t = started.elapsed().as_secs_f64();
        let swell = 1.0 + 0.5 * (t * std::f64::consts::TAU / 120.0).sin();
        for topic in TOPICS {
            let burst = if rng.random_bool(0.02) { 4.0 } else { 1.0 };
            let expected = topic.rate * swell * burst * tick.as_secs_f64();
            let mut n = expected.floor() as u64;
            if rng.random_bool(expected.fract().clamp(0.0, 1.0)) {
                n += 1;
            }
            for _ in 0..n {
                seq += 1;
                let (key, value, headers) = record(topic.name, seq, &mut rng);
                let rec = BaseRecord::to(topic.name)
                    .key(&key)
                    .payload(&value)
                    .headers(headers);
                if let Err((e, _)) = producer.send(rec) {
                    tracing::warn!("demo traffic: {e}");
                }
            }
        }
        producer.poll(Duration::ZERO);
        std::thread::sleep(tick);
    }
    let _ = producer.flush(Duration::from_secs(1));
}

fn record(topic: &str, seq: u64, rng: &mut StdRng) -> (String, String, OwnedHeaders) {
    const SOURCES: &[&str] = &["web", "ios", "android", "pos"];
    const PAGES: &[&str] = &["/", "/search", "/product/42", "/cart", "/checkout", "/help"];
    const METHODS: &[&str] = &["card", "card", "card", "paypal", "bank_transfer"];
    let source = SOURCES[rng.random_range(0..SOURCES.len())];
    let trace = format!("{:016x}", rng.random::<u64>());
    let headers = OwnedHeaders::new()
        .insert(Header {
            key: "source",
            value: Some(source),
        })
        .insert(Header {
            key: "trace-id",
            value: Some(&trace),
        });
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    match topic {
        "orders" => {
            let customer = format!("cust-{:04}", rng.random_range(0..500));
            let amount = (rng.random_range(5.0..400.0f64) * 100.0).round() / 100.0;
            let value = serde_json::json!({
                "order_id": format!("ord-{seq}"),
                "customer": customer,
                "items": rng.random_range(1..6),
                "amount": amount,
                "currency": "EUR",
                "status": "created",
                "created_at": now,
            });
            (customer, value.to_string(), headers)
        }
        "page_views" => {
            let session = format!("sess-{:05}", rng.random_range(0..3000));
            let value = serde_json::json!({
                "session": session,
                "url": PAGES[rng.random_range(0..PAGES.len())],
                "referrer": if rng.random_bool(0.3) { "https://search.example/" } else { "" },
                "duration_ms": rng.random_range(50..20_000),
                "at": now,
            });
            (
                session,
                value.to_string(),
                headers.insert(Header {
                    key: "content-type",
                    value: Some("application/json"),
                }),
            )
        }
        "payments" => {
            let order = format!("ord-{}", seq.saturating_sub(rng.random_range(0..50)));
            let failed = rng.random_bool(0.04);
            let value = serde_json::json!({
                "payment_id": format!("pay-{seq}"),
                "order_id": order,
                "amount": (rng.random_range(5.0..400.0f64) * 100.0).round() / 100.0,
                "method": METHODS[rng.random_range(0..METHODS.len())],
                "status": if failed { "failed" } else { "captured" },
                "at": now,
            });
            (order, value.to_string(), headers)
        }
        _ => {
            const RULES: &[(&str, &str, &str)] = &[
                (
                    "payment-failures",
                    "warn",
                    "payment failure rate above 3% for 5m",
                ),
                ("checkout-latency", "crit", "p99 checkout latency above 2s"),
                (
                    "orders-drop",
                    "warn",
                    "orders per minute dropped 40% below baseline",
                ),
            ];
            let (rule, severity, message) = RULES[rng.random_range(0..RULES.len())];
            let value = serde_json::json!({ "rule": rule, "severity": severity, "message": message, "at": now });
            (rule.to_string(), value.to_string(), headers)
        }
    }
}

#[derive(Clone, Copy)]
enum Speed {
    KeepUp,
    /// Processes at most this many records per second.
    PerSecond(u32),
    /// Processes this many records, then stops moving while staying in the group.
    StallAfter(u64),
}

fn consume(bootstrap: &str, group: &str, topics: &[&str], speed: Speed, stop: &AtomicBool) {
    let mut cfg = quiet_config(bootstrap);
    cfg.set("group.id", group)
        .set("client.id", format!("{group}-worker-1"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", "1000")
        .set("enable.auto.offset.store", "false");
    let consumer: BaseConsumer = match cfg.create() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("demo group {group}: {e}");
            return;
        }
    };
    if let Err(e) = consumer.subscribe(topics) {
        tracing::error!("demo group {group}: {e}");
        return;
    }
    let mut processed: u64 = 0;
    let mut paused = false;
    while !stop.load(Ordering::Relaxed) {
        if paused {
            // Still polling, so the member stays in the group while its offsets stand still.
            let _ = consumer.poll(Duration::from_millis(200));
            continue;
        }
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                let _ = consumer.store_offset_from_message(&m);
                processed += 1;
                match speed {
                    Speed::KeepUp => {}
                    Speed::PerSecond(n) => std::thread::sleep(Duration::from_secs(1) / n),
                    Speed::StallAfter(limit) if processed >= limit => {
                        let _ = consumer.commit_consumer_state(rdkafka::consumer::CommitMode::Sync);
                        if let Ok(assignment) = consumer.assignment() {
                            let _ = consumer.pause(&assignment);
                        }
                        paused = true;
                    }
                    Speed::StallAfter(_) => {}
                }
            }
            Some(Err(e)) => tracing::debug!("demo group {group}: {e}"),
            None => {}
        }
    }
}
