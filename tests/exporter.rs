#![allow(clippy::disallowed_macros, clippy::disallowed_methods)] // test output, not kscope output
//! `watch --listen` scraped by a real Prometheus server (Debian's `prometheus`, started here on
//! loopback): a PromQL query returns the lag the test made, and an alerting rule on kscope's
//! metrics fires for a stopped group.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A plain HTTP GET on loopback: (status, body).
fn get(addr: &str, path: &str, accept: Option<&str>) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let accept = accept
        .map(|a| format!("Accept: {a}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\n{accept}Connection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

struct KillOnDrop(Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn prometheus_scrapes_lag_and_fires_an_alert_for_a_stopped_group() {
    let k = kafka();
    let (topic, group) = (unique("prom"), unique("prom-g"));
    kscope(k)
        .args(["topic", "create", &topic, "-p", "2", "-r", "1"])
        .assert()
        .success();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let records: Vec<TestRecord<'_>> = (0..100).map(|i| (i % 2, None, &b"v"[..], None)).collect();
    rt.block_on(produce(k, &topic, &records));
    // Committed at 10 on each partition and nobody reading: lag 80, a stopped group.
    kscope(k)
        .args([
            "offsets",
            "reset",
            &group,
            "--topic",
            &topic,
            "--to-offset",
            "10",
            "--execute",
        ])
        .assert()
        .success();

    // A kscope rule that fires for the group, silenced from a console on this cluster (`-b`:
    // silences keyed by the bootstrap servers) in the data dir the watch reads.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cfg = dir.path().join("kscope.toml");
    std::fs::write(
        &cfg,
        format!(
            "[metrics]\ndefault_alerts = false\n[[alerts]]\nname = \"behind\"\n\
             rule = \"lag({group}) > 0\"\nseverity = \"warn\"\n"
        ),
    )
    .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let silence = kscope::metrics::SilenceChange::Set(kscope::metrics::Silence {
        scope: kscope::metrics::silence::scope(None, &k.bootstrap),
        rule: "behind".into(),
        resource: group.clone(),
        until: now + 3_600_000,
        created: now,
    });
    kscope::silences::update(&data.join(kscope::silences::FILE), &silence, now).unwrap();

    let mut watch = kscope_std()
        .env("KSCOPE_DATA_DIR", &data)
        .args(["--config-file", cfg.to_str().unwrap()])
        .args([
            "-b",
            &k.bootstrap,
            "watch",
            "--listen",
            "127.0.0.1:0",
            "--interval",
            "1s",
        ])
        .args(["--group", &group, "--topic", &topic])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = watch.stderr.take().unwrap();
    let watch = KillOnDrop(watch);
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("watch ended before listening").unwrap();
        if let Some(rest) = line.strip_prefix("kscope: serving metrics on http://") {
            break rest.trim_end_matches("/metrics").to_string();
        }
    };
    // Keep draining stderr so the child never blocks on it.
    std::thread::spawn(move || for _ in lines {});

    // kscope's own endpoints.
    let body = wait_for("a complete sample", Duration::from_secs(30), || {
        get(&addr, "/metrics", None)
            .filter(|(s, b)| *s == 200 && b.contains("kscope_sample_complete 1"))
    })
    .1;
    assert!(
        body.contains(&format!("kscope_group_lag{{group=\"{group}\"}} 80")),
        "{body}"
    );
    // The single-broker test cluster, as its metadata lists it.
    assert!(
        body.lines().any(|l| l
            .strip_prefix("kscope_cluster_brokers ")
            .and_then(|v| v.parse::<f64>().ok())
            == Some(1.0)),
        "no broker count:\n{body}"
    );
    assert!(!body.contains("# EOF"), "the text format has no EOF line");
    let (_, om) = get(&addr, "/metrics", Some("application/openmetrics-text")).unwrap();
    assert!(om.trim_end().ends_with("# EOF"), "{om}");
    assert_eq!(get(&addr, "/healthz", None).unwrap().0, 200);
    assert_eq!(get(&addr, "/nothing", None).unwrap().0, 404);
    // The silenced alert: still firing, marked silenced, in /metrics and /alerts.
    let muted = format!(
        "kscope_alert_silenced{{rule=\"behind\",resource=\"{group}\",severity=\"warn\"}} 1"
    );
    let body = wait_for("the silenced alert", Duration::from_secs(30), || {
        get(&addr, "/metrics", None).filter(|(_, b)| b.contains(&muted))
    })
    .1;
    assert!(
        body.contains(&format!(
            "kscope_alert_firing{{rule=\"behind\",resource=\"{group}\",severity=\"warn\"}} 1"
        )),
        "{body}"
    );
    let (_, alerts) = get(&addr, "/alerts", None).unwrap();
    let alerts: serde_json::Value = serde_json::from_str(&alerts).unwrap();
    let ours = alerts
        .as_array()
        .and_then(|a| a.iter().find(|a| a["resource"] == group.as_str()))
        .unwrap_or_else(|| panic!("{alerts}"));
    assert_eq!(ours["rule"], "behind", "{alerts}");
    let until = ours["silenced_until"].as_str().expect("silenced_until");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(until)
            .unwrap()
            .timestamp_millis(),
        now + 3_600_000
    );

    // The real server scrapes it and evaluates a rule on it.
    std::fs::write(
        dir.path().join("rules.yml"),
        format!(
            "groups:\n- name: kscope\n  rules:\n  - alert: KafkaGroupStopped\n    \
             expr: kscope_group_lag{{group=\"{group}\"}} > 0 and kscope_group_consume_rate{{group=\"{group}\"}} == 0\n    \
             for: 2s\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n- {}\n\
             scrape_configs:\n- job_name: kscope\n  static_configs:\n  - targets: ['{addr}']\n",
            dir.path().join("rules.yml").display()
        ),
    )
    .unwrap();
    let web = format!("127.0.0.1:{}", free_port());
    let prometheus = Command::new("prometheus")
        .arg(format!(
            "--config.file={}",
            dir.path().join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={web}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("prometheus.log")).unwrap())
        .spawn()
        .expect("prometheus (scripts/test.sh installs it)");
    let _prometheus = KillOnDrop(prometheus);
    let log = || std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default();

    let query = format!("/api/v1/query?query=kscope_group_lag%7Bgroup%3D%22{group}%22%7D");
    let answer = wait_for("the lag in Prometheus", Duration::from_secs(60), || {
        get(&web, &query, None).filter(|(s, b)| *s == 200 && b.contains("\"value\""))
    })
    .1;
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let result = &v["data"]["result"][0];
    assert_eq!(result["metric"]["job"], "kscope", "{v}");
    assert_eq!(result["value"][1], "80", "the lag the test made: {v}");

    let alerts = wait_for("the alert to fire", Duration::from_secs(60), || {
        get(&web, "/api/v1/alerts", None)
            .filter(|(_, b)| b.contains("KafkaGroupStopped") && b.contains("\"firing\""))
    })
    .1;
    assert!(alerts.contains(&group), "{alerts}\n{}", log());
    // Prometheus has the silence too, to leave the alert out of its own routing.
    let query = format!("/api/v1/query?query=kscope_alert_silenced%7Bresource%3D%22{group}%22%7D");
    let answer = wait_for("the silence in Prometheus", Duration::from_secs(30), || {
        get(&web, &query, None).filter(|(s, b)| *s == 200 && b.contains("\"value\""))
    })
    .1;
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(v["data"]["result"][0]["value"][1], "1", "{v}");
    assert_eq!(v["data"]["result"][0]["metric"]["rule"], "behind", "{v}");
    drop(watch);
}
