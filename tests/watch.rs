//! `kscope watch` and the metrics engine against a real Apache Kafka broker (measured rates,
//! a consumer that stops and resumes, alerts published to a topic, `--once` exit codes), and
//! without one (config errors, unreachable clusters, read-only refusals).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use common::*;
use kscope::config::ConnectionSettings;
use kscope::kafka::{KafkaClient, SampleFilter};
use kscope::metrics::{MetricsConfig, MetricsState, WindowSpec};
use serde_json::Value;

fn client(k: &Kafka) -> KafkaClient {
    KafkaClient::new(ConnectionSettings::plain(&k.bootstrap)).expect("client")
}

/// Commits `offset` on partition 0 for a group that never joined (from outside it).
async fn commit(k: &Kafka, group: &str, topic: &str, offset: i64) {
    let res = client(k)
        .alter_group_offsets(group, vec![(topic.to_string(), 0, offset)])
        .await
        .unwrap_or_else(|e| panic!("commit for {group}: {e}"));
    assert!(res.iter().all(|r| r.error.is_none()), "{res:?}");
}

fn write_config(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path.to_str().expect("utf-8 path").to_string()
}

/// A running `kscope watch` whose stdout lines arrive on a channel; killed when dropped.
struct Running {
    child: Child,
    lines: Receiver<String>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Running {
    fn start(k: &Kafka, args: &[&str]) -> Running {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kscope"));
        for (key, _) in std::env::vars() {
            if key.starts_with("KSCOPE_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("XDG_CONFIG_HOME", scratch().join("config"))
            .env("XDG_DATA_HOME", scratch().join("data"))
            .env("HOME", scratch())
            .args(["-b", &k.bootstrap, "--timeout", "10s"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn kscope watch");
        let (tx, lines) = channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(|l| l.ok()) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let err = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(|l| l.ok()) {
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&line);
                    s.push('\n');
                }
            }
        });
        Running {
            child,
            lines,
            stderr,
        }
    }

    /// Waits for a JSON line that `pred` accepts; panics with what was seen after `timeout`.
    fn wait_for(&self, timeout: Duration, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let v: Value = serde_json::from_str(&line)
                        .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
                    if pred(&v) {
                        return v;
                    }
                    seen.push(line);
                }
                Err(_) => break,
            }
        }
        panic!(
            "no {what} within {timeout:?}; lines seen:\n{}\nstderr:\n{}",
            seen.join("\n"),
            self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
        );
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_producer_at_a_known_rate_is_measured_within_ten_percent() {
    const RATE: f64 = 200.0;
    let k = kafka();
    let topic = unique("rate");
    create_topic(k, &topic, 3, 1).await;

    // 200 records/s for 8 s, spread over the partitions, paced by the clock (no drift).
    let producer = {
        let (bootstrap, topic) = (k.bootstrap.clone(), topic.clone());
        std::thread::spawn(move || {
            use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
            let p: BaseProducer = rdkafka::ClientConfig::new()
                .set("bootstrap.servers", &bootstrap)
                .set("linger.ms", "5")
                .create()
                .expect("producer");
            let started = Instant::now();
            let mut sent = 0u64;
            while started.elapsed() < Duration::from_secs(8) {
                let due = (started.elapsed().as_secs_f64() * RATE) as u64;
                while sent < due {
                    let value = sent.to_string();
                    let rec = BaseRecord::<(), str>::to(&topic)
                        .partition((sent % 3) as i32)
                        .payload(&value);
                    if p.send(rec).is_ok() {
                        sent += 1;
                    } else {
                        p.poll(Duration::from_millis(5));
                    }
                }
                p.poll(Duration::ZERO);
                std::thread::sleep(Duration::from_millis(5));
            }
            p.flush(Duration::from_secs(10)).expect("flush");
            sent
        })
    };

    let c = client(k);
    let filter = SampleFilter {
        topics: vec![topic.clone()],
        no_groups: true,
        ..SampleFilter::default()
    };
    let window = WindowSpec::Sliding(5_000);
    let mut state = MetricsState::new(
        MetricsConfig {
            interval: 1_000,
            windows: vec![window, WindowSpec::Count(3)],
            rate_window: 5_000,
            ..MetricsConfig::default()
        },
        Vec::new(),
    );
    // Sample from 1 s to 7 s into the run, once a second; the last 5 s lie inside it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut now = 0;
    for _ in 0..7 {
        let tick = tokio::time::Instant::now();
        let sample = c.sample(&filter).await.expect("sample");
        assert_eq!(sample.requests.metadata, 1);
        assert_eq!(
            sample.requests.list_offsets, 2,
            "latest and earliest, one broker"
        );
        assert_eq!(sample.partitions.len(), 3);
        now = sample.at;
        state.ingest(&sample, now);
        tokio::time::sleep_until(tick + Duration::from_secs(1)).await;
    }
    let topics = state.topics(now);
    assert_eq!(topics.len(), 1);
    let rate = topics[0].rate.expect("a rate");
    assert!(
        (rate - RATE).abs() / RATE < 0.10,
        "measured {rate:.1}/s for {RATE}/s"
    );
    let parts = state.partitions(&topic, now);
    let sum: f64 = parts
        .iter()
        .filter_map(|p| p.rates.iter().find(|r| r.window == window)?.per_sec)
        .sum();
    assert!((sum - rate).abs() < 1e-6, "partitions add up to the topic");
    let cluster = state.cluster(now);
    assert_eq!(cluster.partitions, 3);
    assert!((cluster.rate.unwrap_or(0.0) - rate).abs() < 1e-6);
    let sent = tokio::task::spawn_blocking(move || producer.join().expect("producer thread"))
        .await
        .expect("join");
    assert!(sent >= 1500, "the producer kept up: {sent}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_consumer_fires_stall_or_stop_and_resolves_when_it_resumes() {
    let k = kafka();
    let topic = unique("stuck");
    let group = unique("g-stuck");
    create_topic(k, &topic, 1, 1).await;
    let records: Vec<Vec<u8>> = (0..100).map(|i| format!("r{i}").into_bytes()).collect();
    let batch: Vec<TestRecord> = records
        .iter()
        .map(|r| (0, None, r.as_slice(), None))
        .collect();
    produce(k, &topic, &batch).await;
    // The consumer reads 40 records, commits, and goes away with a lag of 60.
    drop(consume_and_commit(k, &group, &topic, 40));

    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(
        &dir,
        &format!(
            "[metrics]\ndefault_alerts = false\nstatus_window = \"3s\"\n\n\
             [[alerts]]\nname = \"stuck\"\nrule = \"status({group}) in [STALL, STOP] for 2s\"\nseverity = \"crit\"\n"
        ),
    );
    let watch = Running::start(
        k,
        &[
            "--config-file",
            &cfg,
            "watch",
            "--interval",
            "1s",
            "--group",
            &group,
            "--topic",
            &topic,
        ],
    );
    let fired = watch.wait_for(Duration::from_secs(40), "firing alert", |v| {
        v["state"] == "firing" && v["rule"] == "stuck"
    });
    assert_eq!(fired["type"], "alert");
    assert_eq!(fired["resource"], group.as_str());
    assert_eq!(fired["severity"], "crit");
    assert!(
        fired["value"] == "STOP" || fired["value"] == "STALL",
        "{fired}"
    );
    assert_eq!(fired["threshold"], serde_json::json!(["STALL", "STOP"]));
    assert!(fired["context"].is_null());
    assert!(fired["since"].as_str().is_some_and(|s| s.ends_with('Z')));

    // The consumer comes back and reads the rest: the alert resolves.
    let resumed = {
        let (k, group, topic) = (k.clone(), group.clone(), topic.clone());
        tokio::task::spawn_blocking(move || drop(consume_and_commit(&k, &group, &topic, 60)))
    };
    resumed.await.expect("consumer");
    let resolved = watch.wait_for(Duration::from_secs(40), "resolved alert", |v| {
        v["state"] == "resolved" && v["rule"] == "stuck"
    });
    assert_eq!(resolved["resource"], group.as_str());
    assert_eq!(resolved["value"], "OK");
    assert_eq!(resolved["since"], fired["since"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_published_to_a_topic_are_read_back() {
    let k = kafka();
    let (topic, alerts, group) = (unique("lagged"), unique("alerts"), unique("g-lagged"));
    create_topic(k, &topic, 1, 1).await;
    create_topic(k, &alerts, 1, 1).await;
    let batch: Vec<TestRecord> = (0..50).map(|_| (0, None, &b"x"[..], None)).collect();
    produce(k, &topic, &batch).await;
    commit(k, &group, &topic, 10).await;

    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(
        &dir,
        &format!(
            "[metrics]\ndefault_alerts = false\n[[alerts]]\nname = \"lagging\"\nrule = \"lag({group}) > 10\"\nseverity = \"crit\"\n"
        ),
    );
    let args = [
        "--config-file",
        &cfg,
        "watch",
        "--once",
        "--interval",
        "1s",
        "--group",
        &group,
        "--topic",
        &topic,
        "--alerts-topic",
        &alerts,
    ];

    // Refused in a read-only context before anything is sampled or sent.
    let out = kscope(k).arg("--read-only").args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));

    let out = kscope(k).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["value"], 40.0);

    let out = kscope(k)
        .args(["tail", &alerts, "--from", "beginning", "-o", "jsonl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let records = json_lines(&out);
    assert_eq!(
        records.len(),
        1,
        "one event, none from the refused run: {records:?}"
    );
    assert_eq!(records[0]["key"], format!("lagging/{group}"));
    let event: Value =
        serde_json::from_str(records[0]["value"].as_str().expect("a text value")).unwrap();
    assert_eq!(event["type"], "alert");
    assert_eq!(event["rule"], "lagging");
    assert_eq!(event["severity"], "crit");
    assert_eq!(event["resource"], group.as_str());
    assert_eq!(event["state"], "firing");
    assert_eq!(event["value"], 40.0);
    assert_eq!(event["threshold"], 10.0);
    assert_eq!(event["expr"], format!("lag({group}) > 10"));
    assert!(event["context"].is_null());
    for field in ["since", "at"] {
        let t = event[field].as_str().unwrap_or_default();
        assert!(
            chrono::DateTime::parse_from_rfc3339(t).is_ok(),
            "{field}: {t}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_once_exits_with_the_worst_severity() {
    let k = kafka();
    let (topic, group) = (unique("check"), unique("g-check"));
    create_topic(k, &topic, 1, 1).await;
    let batch: Vec<TestRecord> = (0..20).map(|_| (0, None, &b"x"[..], None)).collect();
    produce(k, &topic, &batch).await;
    commit(k, &group, &topic, 15).await;

    let dir = tempfile::tempdir().expect("tempdir");
    let run = |rules: &[(&str, &str, &str)], extra: &[&str]| {
        let mut text = String::from("[metrics]\ndefault_alerts = false\n");
        for (name, rule, sev) in rules {
            text.push_str(&format!(
                "[[alerts]]\nname = \"{name}\"\nrule = \"{rule}\"\nseverity = \"{sev}\"\n"
            ));
        }
        let cfg = write_config(&dir, &text);
        kscope(k)
            .args(["--config-file", &cfg, "watch", "--once", "--interval", "1s"])
            .args(["--group", &group, "--topic", &topic])
            .args(extra)
            .output()
            .unwrap()
    };
    let lag_over = |n: i64| format!("lag({group}) > {n}");

    // Nothing firing: 0 and no alert lines.
    let (quiet, warn, crit) = (lag_over(100), lag_over(1), format!("lag({group}) >= 5"));
    let out = run(&[("far", &quiet, "crit")], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(json_lines(&out).is_empty());

    let out = run(&[("far", &quiet, "crit"), ("some", &warn, "warn")], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0]["rule"].as_str(), lines[0]["value"].as_f64()),
        (Some("some"), Some(5.0))
    );

    // Worst first; --metrics adds a snapshot line.
    let out = run(
        &[("some", &warn, "warn"), ("five", &crit, "crit")],
        &["--metrics"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0]["rule"], "five");
    assert_eq!(lines[1]["rule"], "some");
    let m = &lines[2];
    assert_eq!(m["type"], "metrics");
    assert_eq!(m["groups"][0]["group"], group.as_str());
    assert_eq!(m["groups"][0]["total_lag"], 5);
    assert_eq!(m["groups"][0]["state"], "Empty");
    // Offsets that did not move over the check's interval, no members: STOP.
    assert_eq!(m["groups"][0]["status"], "STOP");
    assert_eq!(m["topics"][0]["topic"], topic.as_str());
    assert_eq!(m["requests"]["metadata"], 1);
    assert_eq!(m["requests"]["offset_fetch"], 1);

    // The default rules see the stopped group.
    let cfg = write_config(&dir, "");
    let out = kscope(k)
        .args(["--config-file", &cfg, "watch", "--once", "--interval", "1s"])
        .args(["--group", &group, "--topic", &topic, "-o", "table"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("WARNING: 1 firing: group-status "),
        "{text}"
    );
}

#[test]
fn a_bad_rule_is_a_config_error_that_quotes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(
        &dir,
        "[[alerts]]\nname = \"lag-high\"\nrule = \"lag >> 10000\"\n",
    );
    let out = kscope_bare()
        .args(["-b", "127.0.0.1:1", "--config-file", &cfg, "watch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("invalid alert rule 'lag-high'") && err.contains("'lag >> 10000'"),
        "{err}"
    );
    assert!(err.contains("expected a number"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // A check that cannot evaluate is UNKNOWN.
    let out = kscope_bare()
        .args([
            "-b",
            "127.0.0.1:1",
            "--config-file",
            &cfg,
            "watch",
            "--once",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("'lag >> 10000'"));
}

#[test]
fn an_unreachable_cluster_is_unknown_to_a_check() {
    let out = kscope_bare()
        .args([
            "-b",
            "127.0.0.1:1",
            "--timeout",
            "1s",
            "watch",
            "--once",
            "--interval",
            "1s",
        ])
        .args(["-o", "table"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("UNKNOWN: "));
    // Without --once it is an ordinary runtime error.
    let out = kscope_bare()
        .args([
            "-b",
            "127.0.0.1:1",
            "--timeout",
            "1s",
            "watch",
            "--interval",
            "1s",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn publishing_alerts_is_refused_when_read_only() {
    for once in [false, true] {
        let mut cmd = kscope_bare();
        cmd.args([
            "-b",
            "127.0.0.1:1",
            "--read-only",
            "watch",
            "--alerts-topic",
            "alerts",
        ]);
        if once {
            cmd.arg("--once");
        }
        let started = Instant::now();
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "refused before connecting"
        );
    }
}

#[test]
fn help_documents_the_check_exit_codes() {
    let out = kscope_bare().args(["watch", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--once") && text.contains("--alerts-topic"),
        "{text}"
    );
    let out = kscope_bare().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("watch") && text.contains("UNKNOWN"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_group_is_never_stalled_by_too_few_samples() {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let k = kafka();
    let (topic, group) = (unique("healthy"), unique("g-healthy"));
    create_topic(k, &topic, 1, 1).await;
    let stop = Arc::new(AtomicBool::new(false));
    // 50 records/s, and a member that reads them all and commits every 5 s (the default).
    let producer = {
        let (k, topic, stop) = (k.clone(), topic.clone(), stop.clone());
        tokio::spawn(async move {
            let p = producer(&k);
            while !stop.load(Ordering::Relaxed) {
                let r = rdkafka::producer::FutureRecord::<(), [u8]>::to(&topic)
                    .partition(0)
                    .payload(&b"x"[..]);
                p.send(r, Duration::from_secs(10)).await.expect("delivery");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let consumer = {
        let (bootstrap, topic, group, stop) = (
            k.bootstrap.clone(),
            topic.clone(),
            group.clone(),
            stop.clone(),
        );
        std::thread::spawn(move || {
            let c: BaseConsumer = rdkafka::ClientConfig::new()
                .set("bootstrap.servers", &bootstrap)
                .set("group.id", &group)
                .set("auto.offset.reset", "earliest")
                .create()
                .expect("consumer");
            c.subscribe(&[&topic]).expect("subscribe");
            while !stop.load(Ordering::Relaxed) {
                let _ = c.poll(Duration::from_millis(100));
            }
        })
    };
    // Wait until the group has members and a commit.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = kscope(k)
            .args(["group", &group, "-o", "json"])
            .output()
            .unwrap();
        let v = json(&out);
        if v["state"] == "Stable" && v["partitions"][0]["committed"].is_i64() {
            break;
        }
        assert!(Instant::now() < deadline, "group never settled: {v}");
        std::thread::sleep(Duration::from_millis(500));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(&dir, "");
    for _ in 0..6 {
        let out = kscope(k)
            .args(["--config-file", &cfg, "watch", "--once", "--interval", "1s"])
            .args(["--group", &group, "--topic", &topic, "--metrics"])
            .output()
            .unwrap();
        let lines = json_lines(&out);
        let m = lines
            .iter()
            .find(|l| l["type"] == "metrics")
            .unwrap_or_else(|| panic!("no metrics line: {lines:?} {}", stderr(&out)));
        let g = &m["groups"][0];
        assert_ne!(g["status"], "STALL", "{g}");
        assert_ne!(g["status"], "STOP", "{g}");
        assert!(
            lines
                .iter()
                .all(|l| l["type"] == "metrics" || l["rule"] != "group-status"),
            "{lines:?}"
        );
        // Either a verdict it can stand by (OK: the lag was zero) or measuring, with progress.
        if g["status"].is_null() {
            assert_eq!(g["measuring"]["need"], 3, "{g}");
            assert_eq!(g["measuring"]["have"], 2, "{g}");
        }
    }
    stop.store(true, Ordering::Relaxed);
    producer.await.expect("producer");
    consumer.join().expect("consumer");
}

#[tokio::test]
async fn inactive_and_ignored_groups_stay_out_of_the_check() {
    let k = kafka();
    let (topic, old, tmp) = (unique("inactive"), unique("g-old"), unique("tmp-g"));
    create_topic(k, &topic, 1, 1).await;
    // Records written two days ago (create time); a group left at the first of them and a
    // scratch group, neither with members.
    let two_days_ago = chrono::Utc::now().timestamp_millis() - 48 * 3_600_000;
    let batch: Vec<TestRecord> = (0..5)
        .map(|i| (0, None, &b"x"[..], Some(two_days_ago + i)))
        .collect();
    produce(k, &topic, &batch).await;
    commit(k, &old, &topic, 0).await;
    commit(k, &tmp, &topic, 0).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |metrics: &str| {
        let cfg = write_config(&dir, &format!("[metrics]\n{metrics}\n"));
        let out = kscope(k)
            .args(["--config-file", &cfg, "watch", "--once", "--interval", "1s"])
            .args([
                "--group",
                &old,
                "--group",
                &tmp,
                "--topic",
                &topic,
                "--metrics",
            ])
            .output()
            .unwrap();
        let lines = json_lines(&out);
        let m = lines
            .iter()
            .find(|l| l["type"] == "metrics")
            .cloned()
            .unwrap_or_else(|| panic!("no metrics line: {lines:?} {}", stderr(&out)));
        (out.status.code(), m, lines)
    };
    let ignore = format!("ignore_groups = [\"{tmp}\"]");
    // By default (24h) the old group is inactive: the default rules leave it alone.
    let (code, m, lines) = run(&ignore);
    let groups = m["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "the ignored group is not there: {m}");
    assert_eq!(groups[0]["group"], old.as_str());
    assert_eq!(groups[0]["inactive"], true, "{m}");
    assert_eq!(groups[0]["time_lag_method"], "exact", "{m}");
    assert!(m["leaderboards"]["groups_by_lag"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(code, Some(0), "{lines:?}");
    // With a longer inactive_after it is only stopped, two days behind: critical.
    let (code, m, lines) = run(&format!("{ignore}\ninactive_after = \"72h\""));
    assert_eq!(m["groups"][0]["inactive"], false, "{m}");
    assert_eq!(code, Some(2), "{lines:?}");
    assert!(
        lines.iter().any(|l| l["rule"] == "lag-seconds"),
        "{lines:?}"
    );
}

/// A silence set in the console (`a` on the alert, the duration typed at the prompt, written by
/// the same code the console's runtime runs) is honoured by `watch --once`: the alert is
/// reported as silenced and no longer sets the exit code, until the silence is lifted.
#[tokio::test(flavor = "multi_thread")]
async fn a_silence_set_in_the_console_is_honoured_by_watch_once() {
    use kscope::app::{self, Action, Effect, Key, KeyCode, Options, State};
    use kscope::metrics::AlertRule;
    use kscope::model::Severity;

    let k = kafka();
    let (topic, group) = (unique("silenced"), unique("g-silenced"));
    create_topic(k, &topic, 1, 1).await;
    let batch: Vec<TestRecord> = (0..10).map(|_| (0, None, &b"x"[..], None)).collect();
    produce(k, &topic, &batch).await;
    commit(k, &group, &topic, 4).await;

    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let expr = format!("lag({group}) > 0");
    let cfg = write_config(
        &dir,
        &format!(
            "[metrics]\ndefault_alerts = false\n[[alerts]]\nname = \"behind\"\nrule = \"{expr}\"\nseverity = \"crit\"\n"
        ),
    );
    let check = || {
        kscope(k)
            .env("KSCOPE_DATA_DIR", &data)
            .args(["--config-file", &cfg, "watch", "--once", "--interval", "1s"])
            .args(["--group", &group, "--topic", &topic])
            .output()
            .unwrap()
    };
    let out = check();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // The console on the same cluster (`-b`: its silences are keyed by the bootstrap servers),
    // fed a real sample.
    let t0 = std::time::Instant::now();
    let wall0 = chrono::Utc::now().timestamp_millis();
    let mut state = State::new("ad hoc", &k.bootstrap, false, Options::default(), t0, wall0);
    state.silence_scope = kscope::metrics::silence::scope(None, &k.bootstrap);
    state.metrics = MetricsState::new(
        MetricsConfig::default(),
        vec![AlertRule::new("behind", &expr, Severity::Crit).unwrap()],
    );
    let req = app::update(&mut state, Action::Tick(t0))
        .iter()
        .find_map(|e| match e {
            Effect::Sample { req } => Some(*req),
            _ => None,
        })
        .expect("a sample is asked for");
    let filter = SampleFilter {
        topics: vec![topic.clone()],
        groups: vec![group.clone()],
        ..SampleFilter::default()
    };
    let sample = client(k).sample(&filter).await.expect("sample");
    app::update(
        &mut state,
        Action::Sampled {
            req,
            at: t0,
            result: Ok(Box::new(sample)),
        },
    );
    let rows = app::alerts::rows(&state);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].alert.resource, group);

    // `a`, "2h", Enter: the console asks for the silence to be written.
    let mut fx = Vec::new();
    for key in [
        Key::char('a'),
        Key::char('2'),
        Key::char('h'),
        Key::plain(KeyCode::Enter),
    ] {
        fx.extend(app::update(&mut state, Action::Key(key)));
    }
    let change = fx
        .iter()
        .find_map(|e| match e {
            Effect::Silence(c) => Some(c.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no silence asked for: {fx:?}"));
    let path = data.join(kscope::silences::FILE);
    let now = chrono::Utc::now().timestamp_millis();
    kscope::silences::update(&path, &change, now).expect("write the silence");

    let out = check();
    assert_eq!(out.status.code(), Some(0), "silenced: {}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["rule"], "behind");
    let until = lines[0]["silenced_until"].as_str().expect("silenced_until");
    let until = chrono::DateTime::parse_from_rfc3339(until)
        .unwrap()
        .timestamp_millis();
    assert!((until - (wall0 + 2 * 3_600_000)).abs() < 60_000, "{until}");
    // The table says so too.
    let out = kscope(k)
        .env("KSCOPE_DATA_DIR", &data)
        .args(["--config-file", &cfg, "watch", "--once", "--interval", "1s"])
        .args(["--group", &group, "--topic", &topic, "-o", "table"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("OK: no alerts firing"), "{text}");
    assert!(
        text.contains(&format!("Silenced: behind {group} until ")),
        "{text}"
    );

    // Lifting it (`a`, `0`) brings the alert back.
    let mut fx = Vec::new();
    for key in [Key::char('a'), Key::char('0'), Key::plain(KeyCode::Enter)] {
        fx.extend(app::update(&mut state, Action::Key(key)));
    }
    let lift = fx
        .iter()
        .find_map(|e| match e {
            Effect::Silence(c) => Some(c.clone()),
            _ => None,
        })
        .expect("lift");
    kscope::silences::update(&path, &lift, now).expect("lift the silence");
    let out = check();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
