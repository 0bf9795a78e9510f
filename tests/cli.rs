//! The binary without a real broker: usage errors, config errors, unreachable clusters, and the
//! embedded demo cluster.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

#[test]
fn help_lists_subcommands_and_exit_codes() {
    let out = kscope_bare().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "cluster",
        "topics",
        "topic",
        "tail",
        "produce",
        "groups",
        "group",
        "demo",
        "Exit codes",
    ] {
        assert!(text.contains(word), "{word} missing from --help");
    }
}

#[test]
fn unknown_flag_is_a_usage_error() {
    kscope_bare().args(["topics", "--bogus"]).assert().code(2);
}

#[test]
fn no_bootstrap_is_a_clear_usage_error() {
    let out = kscope_bare().arg("cluster").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no bootstrap servers"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unreachable_bootstrap_fails_within_the_timeout() {
    let started = Instant::now();
    let out = kscope_bare()
        .args(["-b", "127.0.0.1:1", "--timeout", "2s", "topics"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot reach 127.0.0.1:1 within 2s"), "{err}");
    assert!(err.contains("Connection refused"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn unresolvable_host_fails_fast() {
    let started = Instant::now();
    let out = kscope_bare()
        .args([
            "-b",
            "no-such-host.invalid:9092",
            "--timeout",
            "20s",
            "cluster",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no-such-host.invalid"),
        "{}",
        stderr(&out)
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn invalid_config_files_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[contexts.a]\nbootstrap = 9092\n", "config.toml:2:"),
        ("[contexts.a]\nbootstrapp = \"x\"\n", "bootstrapp"),
        ("this is not toml", "config.toml:1:"),
    ];
    for (text, needle) in cases {
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        let out = kscope_bare()
            .args(["--config-file", path.to_str().unwrap(), "cluster"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
    let out = kscope_bare()
        .args(["--config-file", "/no/such/config.toml", "cluster"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/no/such/config.toml"));
}

#[test]
fn contexts_are_selected_by_name_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[contexts.dead]\nbootstrap = \"127.0.0.1:1\"\ntimeout = \"1s\"\n",
    )
    .unwrap();
    let out = kscope_bare()
        .args([
            "--config-file",
            path.to_str().unwrap(),
            "--context",
            "dead",
            "cluster",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("127.0.0.1:1 within 1s"),
        "{}",
        stderr(&out)
    );
    let out = kscope_bare()
        .env("KSCOPE_CONFIG", &path)
        .env("KSCOPE_CONTEXT", "nope")
        .arg("cluster")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown context 'nope'; known contexts: dead"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn password_command_failure_hides_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "default_context = \"p\"\n[contexts.p]\nbootstrap = \"127.0.0.1:1\"\npassword = { command = \"echo hunter2; exit 3\" }\n",
    )
    .unwrap();
    let out = kscope_bare()
        .args(["--config-file", path.to_str().unwrap(), "cluster"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("password command failed"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

struct DemoProcess {
    child: Child,
    bootstrap: String,
    /// The config file it wrote, whose context names its groups.
    config: String,
}

impl Drop for DemoProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Killed, the demo cannot remove its config file.
        let _ = std::fs::remove_file(&self.config);
    }
}

fn start_demo() -> DemoProcess {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("kscope"))
        .args(["demo", "--headless"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("demo printed nothing").unwrap();
    let bootstrap = first
        .strip_prefix("bootstrap: ")
        .expect("first line names the bootstrap")
        .to_string();
    let mut config = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("config:") {
            config = rest.trim().split(' ').next().map(str::to_string);
        }
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    let config = config.expect("the demo prints its config file");
    DemoProcess {
        child,
        bootstrap,
        config,
    }
}

#[test]
fn demo_headless_config_lets_other_commands_see_its_groups() {
    let demo = start_demo();
    let config = demo.config.as_str();
    let text = std::fs::read_to_string(config).unwrap();
    assert!(
        text.contains(&format!("bootstrap = \"{}\"", demo.bootstrap)),
        "{text}"
    );
    let with_config = |args: &[&str]| {
        kscope_bare()
            .args(["--config-file", config])
            .args(args)
            .output()
            .unwrap()
    };
    let out = with_config(&["groups", "-o", "json"]);
    let v = json(&out);
    let names: Vec<&str> = v["groups"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .filter_map(|g| g["group"].as_str())
        .collect();
    for g in ["billing", "analytics", "fraud-detector"] {
        assert!(names.contains(&g), "{g} missing from {v}");
    }
    // The mock has no committed offsets for "every partition of the group", and no
    // DescribeGroups: --all-topics says the latter, exit 5, as --topic --execute does.
    for args in [
        &["--all-topics"][..],
        &["--all-topics", "--execute"][..],
        &["--topic", "page_views", "--execute"][..],
    ] {
        let out = with_config(
            &[
                &["offsets", "reset", "analytics", "--to-earliest"][..],
                args,
            ]
            .concat(),
        );
        assert_eq!(out.status.code(), Some(5), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("DescribeGroups"), "{}", stderr(&out));
    }
    // watch --once sees the groups: the stalled one's time lag is soon over the demo's
    // threshold.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = with_config(&["watch", "--once", "--interval", "1s", "-o", "json"]);
        let v = json(&out);
        let fired = v.as_array().is_some_and(|lines| {
            lines
                .iter()
                .any(|l| l["rule"] == "lag-seconds" && l["resource"] == "fraud-detector")
        });
        if fired {
            assert_eq!(out.status.code(), Some(2), "{v}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the stalled group never fired: {v}"
        );
        std::thread::sleep(Duration::from_secs(2));
    }
    // Stopped with Ctrl-C, the demo removes its config.
    let status = Command::new("kill")
        .args(["-INT", &demo.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::path::Path::new(config).exists() {
        assert!(Instant::now() < deadline, "the demo left {config} behind");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn demo_cluster_serves_every_read_command() {
    let demo = start_demo();
    let b = demo.bootstrap.as_str();
    // Traffic flows: the orders topic grows.
    let messages = || -> i64 {
        let out = kscope_bare()
            .args(["-b", b, "topics", "orders", "-o", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        json(&out)["topics"][0]["messages"].as_i64().unwrap()
    };
    let first = messages();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(messages() > first, "the demo's traffic is not flowing");

    let out = kscope_bare()
        .args(["-b", b, "cluster", "-o", "json"])
        .output()
        .unwrap();
    let v = json(&out);
    assert_eq!(v["brokers"].as_array().unwrap().len(), 3);
    assert!(
        v["controller_id"].is_null(),
        "the mock's controller 0 is not a broker: {v}"
    );

    // Records carry keys, headers and JSON values.
    let out = kscope_bare()
        .args([
            "-b",
            b,
            "tail",
            "orders",
            "--from",
            "-1",
            "-o",
            "jsonl",
            "--value-as",
            "json",
        ])
        .output()
        .unwrap();
    let recs = json_lines(&out);
    assert!(!recs.is_empty(), "{}", stderr(&out));
    assert!(recs[0]["value"]["order_id"].is_string(), "{}", recs[0]);
    assert!(recs[0]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["key"] == "source"));

    // The mock lacks these APIs: each says so by name, with its own exit code.
    let out = kscope_bare().args(["-b", b, "groups"]).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(
        stderr(&out).contains("ListGroups is not supported by this broker"),
        "{}",
        stderr(&out)
    );
    let out = kscope_bare()
        .args(["-b", b, "topic", "create", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(
        stderr(&out).contains("CreateTopics is not supported"),
        "{}",
        stderr(&out)
    );
    let out = kscope_bare()
        .args(["-b", b, "topic", "orders", "-o", "json"])
        .output()
        .unwrap();
    let v = json(&out);
    assert!(
        v["configs_error"]
            .as_str()
            .unwrap()
            .contains("DescribeConfigs is not supported"),
        "{v}"
    );

    // A named group still shows committed offsets and lag (OffsetFetch with named partitions).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = kscope_bare()
            .args(["-b", b, "group", "analytics", "-o", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let v = json(&out);
        if v["total_lag"].as_i64().is_some_and(|l| l > 0) {
            assert!(
                v["describe_error"]
                    .as_str()
                    .unwrap()
                    .contains("DescribeGroups"),
                "{v}"
            );
            assert!(v["partitions"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["topic"] == "page_views"));
            break;
        }
        assert!(Instant::now() < deadline, "analytics never showed lag: {v}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let demo = start_demo();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("kscope"))
        .args([
            "-b",
            &demo.bootstrap,
            "tail",
            "page_views",
            "--follow",
            "--from",
            "beginning",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, then hang up.
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    drop(reader);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "tail kept running after its reader left"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(0));
}
