#![allow(clippy::disallowed_macros, clippy::disallowed_methods)] // test output, not kscope output
//! `kscope watch` notifications against an HTTP receiver started here on loopback, with real
//! Kafka driving stopped groups to fire and then resolve: a JSON webhook that fails once and is
//! retried, a Slack-compatible target, a dead target whose failures are logged and counted, and
//! a slow target whose bounded queue drops what does not fit. Also `watch` as a service: SIGHUP
//! reloads rules and targets (a bad file keeps the old ones), SIGTERM stops cleanly after
//! delivering what is in flight, also while the cluster cannot be reached.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use kscope::config::ConnectionSettings;
use kscope::kafka::KafkaClient;
use serde_json::Value;

/// What a receiver answers to the n-th request (from 0) on a path: status and delay.
type Plan = dyn Fn(&str, usize) -> (u16, Duration) + Send + Sync;

/// An HTTP receiver on loopback that records every request body by path.
struct Hook {
    addr: String,
    seen: Arc<Mutex<Vec<(String, Value)>>>,
    server: Arc<tiny_http::Server>,
}

impl Hook {
    fn start(plan: Box<Plan>) -> Hook {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("receiver"));
        let addr = server
            .server_addr()
            .to_ip()
            .expect("ip address")
            .to_string();
        let seen: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
        let counts: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
        let plan: Arc<Plan> = Arc::from(plan);
        {
            let (server, seen) = (server.clone(), seen.clone());
            std::thread::spawn(move || {
                for mut req in server.incoming_requests() {
                    let (seen, counts, plan) = (seen.clone(), counts.clone(), plan.clone());
                    std::thread::spawn(move || {
                        let path = req.url().to_string();
                        let mut body = String::new();
                        let _ = req.as_reader().read_to_string(&mut body);
                        let n = {
                            let mut c = counts.lock().unwrap();
                            let e = c.entry(path.clone()).or_default();
                            *e += 1;
                            *e - 1
                        };
                        let (status, delay) = plan(&path, n);
                        std::thread::sleep(delay);
                        let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
                        if status < 300 {
                            seen.lock().unwrap().push((path, value));
                        }
                        let _ = req.respond(tiny_http::Response::empty(status));
                    });
                }
            });
        }
        Hook { addr, seen, server }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The bodies accepted on `path`, in arrival order.
    fn bodies(&self, path: &str) -> Vec<Value> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn wait_bodies(&self, path: &str, n: usize, timeout: Duration) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let b = self.bodies(path);
            if b.len() >= n {
                return b;
            }
            assert!(
                Instant::now() < deadline,
                "{path} got {} of {n} notifications within {timeout:?}: {b:?}",
                b.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// A running `kscope watch`: stdout lines on a channel, stderr collected.
struct Watch {
    child: Child,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    /// The `--listen` address, once stderr named it.
    listen: Arc<Mutex<Option<String>>>,
}

impl Watch {
    fn start(k: &Kafka, args: &[&str]) -> Watch {
        Self::start_with_timeout(k, "5s", args)
    }

    fn start_with_timeout(k: &Kafka, timeout: &str, args: &[&str]) -> Watch {
        Self::start_at(&k.bootstrap, timeout, args)
    }

    fn start_at(bootstrap: &str, timeout: &str, args: &[&str]) -> Watch {
        let mut child = kscope_std()
            .args(["-b", bootstrap, "--timeout", timeout])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kscope watch");
        let (tx, lines) = channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(|l| l.ok()) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr: Arc<Mutex<String>> = Arc::default();
        let listen: Arc<Mutex<Option<String>>> = Arc::default();
        let err = child.stderr.take().expect("stderr");
        let (sink, at) = (stderr.clone(), listen.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(|l| l.ok()) {
                if let Some(rest) = line.strip_prefix("kscope: serving metrics on http://") {
                    *at.lock().unwrap() = Some(rest.trim_end_matches("/metrics").to_string());
                }
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Watch {
            child,
            lines,
            stderr,
            listen,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for a JSON line on stdout that `pred` accepts.
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
            self.stderr()
        );
    }

    /// Waits until stderr contains `text`.
    fn wait_stderr(&self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.stderr();
            if s.contains(text) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "stderr never said '{text}' within {timeout:?}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn signal(&self, sig: i32) {
        let pid = i32::try_from(self.child.id()).expect("pid");
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill({pid}, {sig})");
    }

    /// Waits for the process to exit; its exit code.
    fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "watch did not exit within {timeout:?}; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP GET on loopback: (status, body).
fn get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

async fn commit(k: &Kafka, group: &str, topic: &str, offset: i64) {
    let res = KafkaClient::new(ConnectionSettings::plain(&k.bootstrap))
        .expect("client")
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

/// A topic with 50 records and `groups` groups that committed 10 and stopped (lag 40 each).
async fn stopped_groups(k: &Kafka, prefix: &str, groups: usize) -> (String, Vec<String>) {
    let topic = unique(&format!("{prefix}-t"));
    create_topic(k, &topic, 1, 1).await;
    let batch: Vec<TestRecord> = (0..50).map(|_| (0, None, &b"x"[..], None)).collect();
    produce(k, &topic, &batch).await;
    let base = unique(&format!("{prefix}-g"));
    let mut names = Vec::new();
    for i in 0..groups {
        let g = format!("{base}-{i}");
        commit(k, &g, &topic, 10).await;
        names.push(g);
    }
    (topic, names)
}

#[tokio::test(flavor = "multi_thread")]
async fn stopped_groups_fire_and_resolve_through_webhook_and_slack_targets() {
    let k = kafka();
    let (topic, groups) = stopped_groups(k, "notify", 3).await;
    let glob = format!("{}*", groups[0].trim_end_matches("-0"));
    // The webhook's first delivery fails with 503 and is retried; the slow target takes 2 s
    // an answer.
    let hook = Hook::start(Box::new(|path, n| match (path, n) {
        ("/hook", 0) => (503, Duration::ZERO),
        ("/slow", _) => (200, Duration::from_secs(2)),
        _ => (200, Duration::ZERO),
    }));
    let dead = format!("http://127.0.0.1:{}/secret-path", closed_port());
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        &dir,
        &format!(
            "[metrics]\ndefault_alerts = false\n\
             [[alerts]]\nname = \"lagging\"\nrule = \"lag > 10\"\nseverity = \"crit\"\n\
             [notify.hook]\nkind = \"webhook\"\nurl = \"{}\"\nbackoff = \"100ms\"\n\
             [notify.chat]\nkind = \"slack\"\nurl = \"{}\"\n\
             [notify.dead]\nkind = \"webhook\"\nurl = \"{dead}\"\nretries = 1\nbackoff = \"100ms\"\n\
             [notify.slow]\nkind = \"webhook\"\nurl = \"{}\"\nqueue = 1\nevents = [\"firing\"]\nretries = 0\n",
            hook.url("/hook"),
            hook.url("/slack"),
            hook.url("/slow"),
        ),
    );
    let watch = Watch::start(
        k,
        &[
            "--config-file",
            &cfg,
            "watch",
            "--interval",
            "1s",
            "--listen",
            "127.0.0.1:0",
            "--group",
            &glob,
            "--topic",
            &topic,
        ],
    );
    for _ in 0..3 {
        watch.wait_for(Duration::from_secs(30), "firing alert", |v| {
            v["state"] == "firing" && v["rule"] == "lagging"
        });
    }
    let fired = hook.wait_bodies("/hook", 3, Duration::from_secs(20));
    let mut resources: Vec<&str> = fired
        .iter()
        .map(|b| b["resource"].as_str().unwrap())
        .collect();
    resources.sort();
    assert_eq!(
        resources,
        groups.iter().map(String::as_str).collect::<Vec<_>>()
    );
    for b in &fired {
        assert_eq!(b["type"], "alert");
        assert_eq!(b["state"], "firing");
        assert_eq!(b["severity"], "crit");
        assert_eq!(b["value"], 40.0);
        assert_eq!(b["expr"], "lag > 10");
        assert!(b["since"].as_str().is_some_and(|s| s.ends_with('Z')), "{b}");
    }
    let texts = hook.wait_bodies("/slack", 3, Duration::from_secs(20));
    for t in &texts {
        let text = t["text"].as_str().expect("a text payload");
        assert!(text.starts_with("[FIRING] crit lagging on "), "{text}");
        assert!(text.contains("value 40"), "{text}");
    }

    // The consumers catch up: every alert resolves, and both targets hear of it.
    for g in &groups {
        commit(k, g, &topic, 50).await;
    }
    for _ in 0..3 {
        watch.wait_for(Duration::from_secs(30), "resolved alert", |v| {
            v["state"] == "resolved" && v["rule"] == "lagging"
        });
    }
    let all = hook.wait_bodies("/hook", 6, Duration::from_secs(20));
    assert!(
        all[3..]
            .iter()
            .all(|b| b["state"] == "resolved" && b["value"] == 0.0),
        "{all:?}"
    );
    let texts = hook.wait_bodies("/slack", 6, Duration::from_secs(20));
    assert!(
        texts[3..].iter().all(|t| t["text"]
            .as_str()
            .unwrap()
            .starts_with("[RESOLVED] crit lagging on ")),
        "{texts:?}"
    );

    // The dead target: logged (never with the URL's path) and counted; the slow one dropped
    // what did not fit its queue of 1. Neither held the samples up.
    let err = watch.wait_stderr("notify 'dead'", Duration::from_secs(20));
    assert!(err.contains("gave up on lagging/"), "{err}");
    assert!(err.contains("after 2 attempt(s)"), "{err}");
    assert!(!err.contains("secret-path"), "{err}");
    assert!(err.contains("notify 'slow': queue full"), "{err}");
    let addr = watch.listen.lock().unwrap().clone().expect("listening");
    let metric = |body: &str, series: &str| -> f64 {
        body.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or(-1.0)
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let body = loop {
        let (_, body) = get(&addr, "/metrics").expect("scrape");
        let slow = metric(
            &body,
            "kscope_notifications_total{target=\"slow\",outcome=\"dropped\"}",
        ) + metric(
            &body,
            "kscope_notifications_total{target=\"slow\",outcome=\"sent\"}",
        );
        if metric(
            &body,
            "kscope_notifications_total{target=\"dead\",outcome=\"failed\"}",
        ) == 6.0
            && metric(
                &body,
                "kscope_notifications_total{target=\"hook\",outcome=\"sent\"}",
            ) == 6.0
            && slow == 3.0
        {
            break body;
        }
        assert!(Instant::now() < deadline, "counts never arrived:\n{body}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        metric(&body, "kscope_notification_retries_total{target=\"hook\"}"),
        1.0,
        "{body}"
    );
    assert_eq!(
        metric(
            &body,
            "kscope_notifications_total{target=\"chat\",outcome=\"sent\"}"
        ),
        6.0,
        "{body}"
    );
    let dropped = metric(
        &body,
        "kscope_notifications_total{target=\"slow\",outcome=\"dropped\"}",
    );
    let sent = metric(
        &body,
        "kscope_notifications_total{target=\"slow\",outcome=\"sent\"}",
    );
    assert!(dropped >= 1.0 && dropped + sent == 3.0, "{body}");
    assert_eq!(hook.bodies("/slow").len() as f64, sent);
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_reloads_rules_and_targets_and_sigterm_delivers_what_is_in_flight() {
    let k = kafka();
    let (topic, groups) = stopped_groups(k, "reload", 1).await;
    let group = &groups[0];
    let hook = Hook::start(Box::new(|path, _| match path {
        "/slow" => (200, Duration::from_millis(1500)),
        _ => (200, Duration::ZERO),
    }));
    let dir = tempfile::tempdir().unwrap();
    let config = |rule: &str, path: &str| {
        format!(
            "[metrics]\ndefault_alerts = false\n\
             [[alerts]]\nname = \"lagging\"\nrule = \"{rule}\"\nseverity = \"warn\"\n\
             [notify.{}]\nkind = \"webhook\"\nurl = \"{}\"\n",
            path.trim_start_matches('/'),
            hook.url(path)
        )
    };
    let cfg = write_config(&dir, &config("lag > 1000", "/hook"));
    let mut watch = Watch::start(
        k,
        &[
            "--config-file",
            &cfg,
            "watch",
            "--metrics",
            "--interval",
            "1s",
            "--group",
            group,
            "--topic",
            &topic,
        ],
    );
    let metrics = |v: &Value| v["type"] == "metrics";
    watch.wait_for(Duration::from_secs(30), "a first sample", metrics);

    // A file that does not parse keeps the rule and target in force, and says why.
    std::fs::write(&cfg, "[[alerts]\nname = ").unwrap();
    watch.signal(libc::SIGHUP);
    let err = watch.wait_stderr("reload failed", Duration::from_secs(10));
    assert!(
        err.contains("keeping 1 alert rule(s) and 1 notify target(s): invalid config file"),
        "{err}"
    );
    assert!(err.contains(&format!("{cfg}:1:")), "names the place: {err}");
    // A rule that does not parse is refused the same way.
    std::fs::write(&cfg, config("lag > ten", "/hook")).unwrap();
    watch.signal(libc::SIGHUP);
    watch.wait_for(
        Duration::from_secs(10),
        "a sample after the reload",
        metrics,
    );
    let err = watch.wait_stderr("invalid alert rule 'lagging'", Duration::from_secs(10));
    assert_eq!(err.matches("reload failed").count(), 2, "{err}");
    // Still sampling with the old rule, which does not fire.
    watch.wait_for(
        Duration::from_secs(10),
        "a sample after the reload",
        metrics,
    );

    // A good file: its rule fires at once and goes to its target, not the old one.
    std::fs::write(&cfg, config("lag > 10", "/slow")).unwrap();
    watch.signal(libc::SIGHUP);
    watch.wait_stderr("SIGHUP: reloaded", Duration::from_secs(10));
    let err = watch.stderr();
    assert!(err.contains("1 alert rule(s), 1 notify target(s)"), "{err}");
    let fired = watch.wait_for(Duration::from_secs(20), "firing alert", |v| {
        v["type"] == "alert" && v["state"] == "firing"
    });
    assert_eq!(fired["resource"], group.as_str());
    assert_eq!(fired["expr"], "lag > 10");

    // SIGTERM while the receiver takes its time: the event in flight is delivered, then
    // watch exits 0.
    let asked = Instant::now();
    watch.signal(libc::SIGTERM);
    assert_eq!(
        watch.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        watch.stderr()
    );
    let slow = hook.bodies("/slow");
    assert_eq!(slow.len(), 1, "delivered before exiting: {slow:?}");
    assert_eq!(slow[0]["state"], "firing");
    assert!(
        asked.elapsed() >= Duration::from_millis(500),
        "it waited for the delivery"
    );
    assert!(hook.bodies("/hook").is_empty(), "the old rule never fired");
    let err = watch.stderr();
    assert!(err.contains("SIGTERM: stopping"), "{err}");
    assert!(err.contains("delivered 1 queued notification(s)"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_gives_up_on_a_receiver_that_hangs_after_the_timeout() {
    let k = kafka();
    let (topic, groups) = stopped_groups(k, "hang", 1).await;
    let hook = Hook::start(Box::new(|_, _| (200, Duration::from_secs(30))));
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        &dir,
        &format!(
            "[metrics]\ndefault_alerts = false\n\
             [[alerts]]\nname = \"lagging\"\nrule = \"lag > 10\"\n\
             [notify.stuck]\nkind = \"slack\"\nurl = \"{}\"\ntimeout = \"60s\"\n",
            hook.url("/stuck")
        ),
    );
    let mut watch = Watch::start_with_timeout(
        k,
        "2s",
        &[
            "--config-file",
            &cfg,
            "watch",
            "--interval",
            "1s",
            "--group",
            &groups[0],
            "--topic",
            &topic,
        ],
    );
    watch.wait_for(Duration::from_secs(30), "firing alert", |v| {
        v["state"] == "firing"
    });
    let asked = Instant::now();
    watch.signal(libc::SIGTERM);
    assert_eq!(
        watch.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        watch.stderr()
    );
    let took = asked.elapsed();
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(6),
        "waited for the 2s timeout, no longer: {took:?}"
    );
    let err = watch.stderr();
    assert!(
        err.contains("notify 'stuck': 1 notification(s) not delivered within 2s"),
        "{err}"
    );
    assert!(!err.contains("delivered 1 queued"), "{err}");
}

#[test]
fn sigterm_stops_a_watch_whose_cluster_cannot_be_reached() {
    // With --listen, watch keeps running while samples fail; SIGTERM still ends it at once.
    let bootstrap = format!("127.0.0.1:{}", closed_port());
    let mut watch = Watch::start_at(
        &bootstrap,
        "2s",
        &["watch", "--interval", "1s", "--listen", "127.0.0.1:0"],
    );
    watch.wait_stderr("sample failed", Duration::from_secs(20));
    let asked = Instant::now();
    watch.signal(libc::SIGTERM);
    assert_eq!(
        watch.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        watch.stderr()
    );
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    assert!(
        watch.stderr().contains("SIGTERM: stopping"),
        "{}",
        watch.stderr()
    );
}
