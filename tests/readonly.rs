//! Read-only that cannot leak, against real Apache Kafka: properties a user passes (`-X`, a
//! `--command-config` file) cannot make kscope create a topic or commit a group's offsets, and an
//! offset reset writes its audit intent before it commits, or commits nothing.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use kscope::config::ConnectionSettings;
use kscope::kafka::KafkaClient;
use kscope::model::PartitionRef;
use serde_json::Value;

/// Properties an application's client.properties typically holds, which would make a consumer
/// commit for the application's group.
fn app_group_props(group: &str) -> Vec<String> {
    vec![
        format!("group.id={group}"),
        "enable.auto.commit=true".into(),
        "enable.auto.offset.store=true".into(),
        "auto.commit.interval.ms=100".into(),
    ]
}

fn x_args(props: &[String]) -> Vec<String> {
    props
        .iter()
        .flat_map(|p| ["-X".to_string(), p.clone()])
        .collect()
}

async fn committed(
    k: &Kafka,
    group: &str,
    topic: &str,
    partitions: i32,
) -> HashMap<(String, i32), i64> {
    let client = KafkaClient::new(ConnectionSettings::plain(&k.bootstrap)).expect("client");
    let parts = (0..partitions)
        .map(|p| PartitionRef::new(topic, p))
        .collect();
    client
        .committed_offsets(group, Some(parts))
        .await
        .expect("committed offsets")
        .values
        .into_iter()
        .map(|(tp, offset)| ((tp.topic, tp.partition), offset))
        .collect()
}

/// `kscope --read-only tail` given an application's group settings (on the command line, or in
/// its client.properties) leaves that group's committed offsets exactly where they were: on a
/// clean end (`--until end`), and after a `--follow` that runs past the auto-commit interval and
/// stops on Ctrl-C.
#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_tail_never_commits_for_the_users_group() {
    let k = kafka();
    let topic = unique("ro-tail");
    create_topic(k, &topic, 2, 1).await;
    let records: Vec<TestRecord<'_>> = (0..20).map(|i| (i % 2, None, &b"v"[..], None)).collect();
    produce(k, &topic, &records).await;
    let group = unique("ro-app");
    drop(consume_and_commit(k, &group, &topic, 6));
    let before = committed(k, &group, &topic, 2).await;
    assert_eq!(before.values().sum::<i64>(), 6, "{before:?}");

    let props = app_group_props(&group);
    // On the command line.
    let out = kscope(k)
        .args(x_args(&props))
        .args([
            "--read-only",
            "tail",
            &topic,
            "--from",
            "beginning",
            "-o",
            "jsonl",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_lines(&out).len(), 20);
    let err = stderr(&out);
    assert!(
        err.contains("warning: ignoring client properties that kscope keeps for itself")
            && err.contains("group.id")
            && err.contains("enable.auto.commit"),
        "{err}"
    );

    // In a --command-config file, with a follow that runs for a while and ends on Ctrl-C.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.properties");
    std::fs::write(&file, props.join("\n") + "\n").unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kscope"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", scratch())
        .env("XDG_CONFIG_HOME", scratch().join("config"))
        .env("KSCOPE_DATA_DIR", scratch().join("kscope-data"))
        .args(["-b", &k.bootstrap, "--read-only", "--command-config"])
        .arg(&file)
        .args([
            "tail",
            &topic,
            "--from",
            "beginning",
            "--follow",
            "-o",
            "jsonl",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "tail --follow did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        20,
        "{}",
        stderr(&out)
    );

    assert_eq!(committed(k, &group, &topic, 2).await, before);
}

/// On a broker that creates topics when asked about them (Kafka's default
/// `auto.create.topics.enable=true`), `--read-only topic typo` and `tail typo` with
/// `allow.auto.create.topics=true` from the user say "unknown topic" and create nothing; nor does
/// `produce typo`, whose producer librdkafka would otherwise let create topics.
#[test]
fn asking_about_a_topic_never_creates_it() {
    let name = "autocreate";
    let k = start_with(name, 1, &["auto.create.topics.enable=true"]);
    let topics = |k: &Kafka| -> Vec<String> {
        let out = kscope(k).args(["topics", "-o", "jsonl"]).output().unwrap();
        // 8: a topic created a moment ago may not have its offsets yet; its name is listed.
        assert!(matches!(out.status.code(), Some(0 | 8)), "{}", stderr(&out));
        json_lines(&out)
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };

    // The control: this broker does create a topic for a client that allows it.
    let probe = unique("probe");
    let plain: rdkafka::consumer::BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &k.bootstrap)
        .set("allow.auto.create.topics", "true")
        .create()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        use rdkafka::consumer::Consumer;
        let _ = plain.fetch_metadata(Some(&probe), Duration::from_secs(5));
        if topics(&k).contains(&probe) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the broker never auto-created {probe}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("client.properties");
    std::fs::write(&file, "allow.auto.create.topics=true\n").unwrap();
    let file = file.to_str().unwrap().to_string();
    let mut typos = Vec::new();
    let runs: Vec<Vec<&str>> = vec![
        vec![
            "-X",
            "allow.auto.create.topics=true",
            "--read-only",
            "topic",
        ],
        vec!["-X", "allow.auto.create.topics=true", "--read-only", "tail"],
        vec!["--command-config", &file, "--read-only", "topic"],
        vec!["--command-config", &file, "--read-only", "tail"],
        vec!["-X", "allow.auto.create.topics=true", "produce"],
    ];
    for args in runs {
        let typo = unique("typo");
        let out = kscope(&k)
            .args(&args)
            .arg(&typo)
            .write_stdin("a record\n")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("unknown topic '{typo}'")),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("allow.auto.create.topics"),
            "{}",
            stderr(&out)
        );
        typos.push(typo);
    }
    // Give a creation that was asked for every chance to show up.
    std::thread::sleep(Duration::from_secs(2));
    let now = topics(&k);
    for typo in &typos {
        assert!(!now.contains(typo), "{typo} was created: {now:?}");
    }
    stop(name);
}

/// The audit intent is written before the commit: with a symbolic link planted at the audit
/// log's path, `offsets reset --execute` refuses, names the link, and changes nothing (no commit,
/// no undo file left, the link's target untouched). Without it, each reset writes an intent line
/// and then an outcome line with the same id, in an owner-only file.
#[tokio::test(flavor = "multi_thread")]
async fn a_reset_audits_its_intent_before_committing() {
    use std::os::unix::fs::PermissionsExt;
    let k = kafka();
    let topic = unique("ro-audit");
    create_topic(k, &topic, 1, 1).await;
    let records: Vec<TestRecord<'_>> = (0..10).map(|_| (0, None, &b"v"[..], None)).collect();
    produce(k, &topic, &records).await;
    // Warms the group coordinator before kscope's first OffsetFetch (see tests/offsets.rs).
    drop(consume_and_commit(k, &unique("g-warm"), &topic, 1));

    let data = tempfile::tempdir().unwrap();
    let group = unique("g-audit");
    let seed = data.path().join("seed.csv");
    std::fs::write(&seed, format!("{topic},0,3\n")).unwrap();
    let reset = |extra: &[&str]| {
        kscope(k)
            .env("KSCOPE_DATA_DIR", data.path())
            .args(["offsets", "reset", &group, "-o", "json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = reset(&["--from-file", seed.to_str().unwrap(), "--execute"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let audit = data.path().join("audit.jsonl");
    let lines = |p: &Path| -> Vec<Value> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let first = lines(&audit);
    assert_eq!(first.len(), 2, "{first:?}");
    assert_eq!(first[0]["phase"], "intent");
    assert_eq!(first[0]["partitions"][0]["target"], 3);
    assert_eq!(first[1]["phase"], "outcome");
    assert_eq!(first[1]["result"], "applied");
    assert_eq!(first[0]["id"], first[1]["id"]);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&audit), 0o600);
    // The group had no offsets before, so there was nothing to undo.
    let undo_dir = data.path().join("undo");
    let undo_files = || std::fs::read_dir(&undo_dir).map_or(0, |d| d.count());
    assert_eq!(undo_files(), 0);

    // A link in place of the audit log: refused before the commit.
    let kept = data.path().join("audit.kept");
    std::fs::rename(&audit, &kept).unwrap();
    std::os::unix::fs::symlink(&kept, &audit).unwrap();
    let out = reset(&["--topic", &topic, "--to-latest", "--execute"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("symbolic link") && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(
        committed(k, &group, &topic, 1).await,
        HashMap::from([((topic.clone(), 0), 3)])
    );
    assert_eq!(undo_files(), 0, "the refused reset left an undo file");
    assert_eq!(lines(&kept).len(), 2);

    // Without the link the same reset goes through, with its own pair of lines.
    std::fs::remove_file(&audit).unwrap();
    std::fs::rename(&kept, &audit).unwrap();
    let out = reset(&["--topic", &topic, "--to-latest", "--execute"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let all = lines(&audit);
    assert_eq!(all.len(), 4, "{all:?}");
    assert_eq!(all[2]["phase"], "intent");
    assert_eq!(all[2]["partitions"][0]["before"], 3);
    assert_eq!(all[2]["partitions"][0]["target"], 10);
    assert_eq!(all[3]["phase"], "outcome");
    assert_eq!(all[2]["id"], all[3]["id"]);
    assert_ne!(all[0]["id"], all[2]["id"]);
    assert_eq!(undo_files(), 1);
    assert_eq!(mode(&undo_dir), 0o700);
    let undo = all[2]["undo_file"].as_str().unwrap();
    assert_eq!(all[3]["undo_file"].as_str(), Some(undo));
    assert_eq!(mode(Path::new(undo)), 0o600);
    assert_eq!(
        committed(k, &group, &topic, 1).await,
        HashMap::from([((topic.clone(), 0), 10)])
    );
}

/// `KSCOPE_LOG_FILE` is created owner-only, and a link planted there is refused with a warning
/// (the command itself still runs).
#[test]
fn the_log_file_is_private_and_never_follows_a_link() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("logs/kscope.log");
    let run = |path: &Path| {
        kscope_bare()
            .env("KSCOPE_LOG", "debug")
            .env("KSCOPE_LOG_FILE", path)
            .args(["--config-file", "/nonexistent/kscope.toml", "topics"])
            .output()
            .unwrap()
    };
    let out = run(&log);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&log), 0o600);
    assert_eq!(mode(&dir.path().join("logs")), 0o700);

    let target = dir.path().join("target");
    std::fs::write(&target, "").unwrap();
    let link = dir.path().join("link.log");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = run(&link);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not logging: refusing to write the log file")
            && stderr(&out).contains("symbolic link"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
}
