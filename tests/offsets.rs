//! `kscope offsets reset` against a real Apache Kafka broker, cross-checked with Kafka's own
//! `kafka-consumer-groups`. Every test uses its own topic, group and data dir.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

type Offsets = BTreeMap<(String, i32), Option<i64>>;

/// The single-broker cluster, once its group coordinator has served a real consumer group.
/// On a cluster that has just started, the coordinator can answer NOT_COORDINATOR or
/// COORDINATOR_LOAD_IN_PROGRESS for a while (librdkafka 2.12.1 used to crash on the former,
/// confluentinc/librdkafka#5040, patched in vendor/rdkafka-sys); a first group commit gets
/// the cluster past that window, so no test fails for a reason that is not kscope's.
fn cluster() -> &'static Kafka {
    static WARM: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    let k = kafka();
    WARM.get_or_init(|| {
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            let topic = unique("warm-up");
            rt.block_on(create_topic(k, &topic, 1, 1));
            rt.block_on(produce(k, &topic, &[(0, None, b"x", None)]));
            drop(consume_and_commit(k, &unique("g-warm-up"), &topic, 1));
        })
        .join()
        .expect("warm-up");
    });
    k
}

/// Runs Kafka's `kafka-consumer-groups` with ARGS against the test cluster.
fn kafka_groups_tool(k: &Kafka, args: &[&str]) -> std::process::Output {
    let out = Command::new(repo().join("scripts/kafka.sh"))
        .args([
            "tool",
            "consumer-groups",
            "--bootstrap-server",
            &k.bootstrap,
        ])
        .args(args)
        .output()
        .expect("run kafka-consumer-groups");
    assert!(
        out.status.success(),
        "kafka-consumer-groups {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The group's committed offsets as Kafka's own `--describe` reports them.
fn kafka_describe(k: &Kafka, group: &str) -> Offsets {
    let out = kafka_groups_tool(k, &["--describe", "--group", group]);
    let text = String::from_utf8_lossy(&out.stdout);
    let mut offsets = Offsets::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() >= 4 && cols[0] == group {
            let partition: i32 = cols[2].parse().expect("partition");
            let current = cols[3].parse::<i64>().ok();
            offsets.insert((cols[1].to_string(), partition), current);
        }
    }
    offsets
}

fn offsets(pairs: &[(&str, i32, i64)]) -> Offsets {
    pairs
        .iter()
        .map(|(t, p, o)| ((t.to_string(), *p), Some(*o)))
        .collect()
}

/// kscope pointed at the cluster, writing undo files and the audit log to `data`.
fn ks(k: &Kafka, data: &Path) -> assert_cmd::Command {
    let mut cmd = kscope(k);
    cmd.env("KSCOPE_DATA_DIR", data);
    cmd
}

/// `kscope offsets reset GROUP ARGS -o json`, which must succeed; returns its JSON.
fn reset(k: &Kafka, data: &Path, group: &str, args: &[&str]) -> Value {
    let out = ks(k, data)
        .args(["offsets", "reset", group, "-o", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "reset {args:?} exited {:?}: {}",
        out.status.code(),
        stderr(&out)
    );
    json(&out)
}

fn targets(v: &Value) -> Vec<Value> {
    v["plan"]["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["target"].clone())
        .collect()
}

/// After `--execute`: the partitions' read-back offsets.
fn after(v: &Value) -> Offsets {
    v["result"]["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                (
                    p["topic"].as_str().unwrap().to_string(),
                    p["partition"].as_i64().unwrap() as i32,
                ),
                p["after"].as_i64(),
            )
        })
        .collect()
}

/// Waits until the group has no members left.
fn wait_empty(k: &Kafka, group: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = kscope(k)
            .args(["group", group, "-o", "json"])
            .output()
            .unwrap();
        if out.status.success() && json(&out)["state"] == "Empty" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "group {group} never became Empty"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A group that read and committed `n` records of `topic` with a real consumer, then left.
fn idle_group(k: &Kafka, topic: &str, n: usize) -> String {
    let group = unique("g-reset");
    drop(consume_and_commit(k, &group, topic, n));
    wait_empty(k, &group);
    group
}

/// A topic with `partitions` partitions and `per_partition` records in each; record i of every
/// partition has timestamp `ts(i)`.
async fn topic_with_records(
    k: &Kafka,
    partitions: i32,
    per_partition: i64,
    ts: impl Fn(i64) -> i64,
) -> String {
    let topic = unique("reset");
    create_topic(k, &topic, partitions, 1).await;
    let values: Vec<String> = (0..per_partition).map(|i| format!("v{i}")).collect();
    let mut records: Vec<TestRecord<'_>> = Vec::new();
    for p in 0..partitions {
        for i in 0..per_partition {
            records.push((p, None, values[i as usize].as_bytes(), Some(ts(i))));
        }
    }
    produce(k, &topic, &records).await;
    topic
}

fn data_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Record timestamps from an hour ago, one second apart. Recent on purpose: the broker's time
/// retention (7 days) would delete older records at its next check and move the log start.
fn recent(i: i64) -> i64 {
    static BASE: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *BASE.get_or_init(|| now_ms() - 3_600_000) + i * 1000
}

#[tokio::test]
async fn absolute_and_relative_modes_match_kafkas_describe() {
    let k = cluster();
    let data = data_dir();
    let topic = topic_with_records(k, 3, 10, recent).await;
    let group = idle_group(k, &topic, 12);
    let before = kafka_describe(k, &group);
    assert!(!before.is_empty(), "{before:?}");

    // The dry run shows each partition's committed offset as Kafka's tool does, and changes nothing.
    let v = reset(
        k,
        data.path(),
        &group,
        &["--topic", &topic, "--to-earliest"],
    );
    assert_eq!(v["dry_run"], true);
    assert!(v["result"].is_null());
    let plan = &v["plan"];
    assert_eq!(plan["group_state"], "Empty");
    assert_eq!(plan["mode"], "to-earliest");
    let mut replay = 0;
    for p in plan["partitions"].as_array().unwrap() {
        let tp = (topic.clone(), p["partition"].as_i64().unwrap() as i32);
        assert_eq!(
            p["current"].as_i64(),
            before.get(&tp).copied().flatten(),
            "{p}"
        );
        assert_eq!(p["target"], 0);
        assert_eq!(p["log_start"], 0);
        assert_eq!(p["log_end"], 10);
        if let Some(c) = p["current"].as_i64() {
            assert_eq!(p["delta"], -c);
            replay += c;
        }
    }
    assert_eq!(plan["totals"]["replay_records"], replay);
    assert_eq!(plan["totals"]["partitions"], 3);
    assert_eq!(
        kafka_describe(k, &group),
        before,
        "a dry run changed offsets"
    );

    // Each mode, executed; Kafka's own tool then reports exactly what kscope read back.
    let all = |o: i64| offsets(&[(&topic, 0, o), (&topic, 1, o), (&topic, 2, o)]);
    let v = reset(
        k,
        data.path(),
        &group,
        &["--topic", &topic, "--to-latest", "--execute"],
    );
    assert_eq!(v["result"]["result"], "applied");
    assert_eq!(after(&v), all(10));
    assert_eq!(kafka_describe(k, &group), all(10));

    let v = reset(
        k,
        data.path(),
        &group,
        &["--topic", &topic, "--to-offset", "4", "--execute"],
    );
    assert_eq!(after(&v), all(4));
    assert_eq!(v["result"]["changed"], 3);

    let v = reset(
        k,
        data.path(),
        &group,
        &["--topic", &topic, "--shift-by", "-3", "--execute"],
    );
    assert_eq!(after(&v), all(1));
    let v = reset(
        k,
        data.path(),
        &group,
        &["--all-topics", "--shift-by", "+5", "--execute"],
    );
    assert_eq!(after(&v), all(6));
    assert_eq!(v["plan"]["totals"]["skip_records"], 15);

    // --to-current commits the same offsets again: nothing changes.
    let v = reset(
        k,
        data.path(),
        &group,
        &["--all-topics", "--to-current", "--execute"],
    );
    assert_eq!(v["result"]["unchanged"], 3);
    assert_eq!(v["result"]["changed"], 0);
    assert_eq!(after(&v), all(6));

    // Some partitions only.
    let v = reset(
        k,
        data.path(),
        &group,
        &[
            "--topic",
            &format!("{topic}:0,2"),
            "--to-earliest",
            "--execute",
        ],
    );
    assert_eq!(v["plan"]["partitions"].as_array().unwrap().len(), 2);
    assert_eq!(
        kafka_describe(k, &group),
        offsets(&[(&topic, 0, 0), (&topic, 1, 6), (&topic, 2, 0)])
    );
}

#[tokio::test]
async fn time_modes_on_records_with_known_timestamps() {
    let k = cluster();
    let data = data_dir();
    // Record i of each partition was written (10 - i) hours ago.
    let now = now_ms();
    let hour = 3_600_000;
    let topic = topic_with_records(k, 2, 10, |i| now - (10 - i) * hour).await;
    let group = unique("g-time");

    // To a time: the first record at or after it.
    let at = chrono::DateTime::from_timestamp_millis(now - 6 * hour)
        .unwrap()
        .to_rfc3339();
    let v = reset(
        k,
        data.path(),
        &group,
        &["--topic", &topic, "--to-datetime", &at, "--execute"],
    );
    assert_eq!(targets(&v), vec![4, 4]);
    assert_eq!(v["plan"]["timestamp"], now - 6 * hour);
    assert_eq!(
        kafka_describe(k, &group),
        offsets(&[(&topic, 0, 4), (&topic, 1, 4)])
    );
    // One millisecond later: the next record.
    let v = reset(
        k,
        data.path(),
        &group,
        &[
            "--topic",
            &topic,
            "--to-datetime",
            &(now - 6 * hour + 1).to_string(),
        ],
    );
    assert_eq!(targets(&v), vec![5, 5]);
    // After the last record: the log end, said so on each partition.
    let future = chrono::DateTime::from_timestamp_millis(now + hour)
        .unwrap()
        .to_rfc3339();
    let v = reset(
        k,
        data.path(),
        &group,
        &["--topic", &topic, "--to-datetime", &future],
    );
    assert_eq!(targets(&v), vec![10, 10]);
    assert!(v["plan"]["partitions"][0]["note"]
        .as_str()
        .unwrap()
        .contains("no record at or after the time"));
    // Before the first record: the first record.
    let v = reset(
        k,
        data.path(),
        &group,
        &["--topic", &topic, "--to-datetime", "2001-01-01T00:00:00Z"],
    );
    assert_eq!(targets(&v), vec![0, 0]);

    // By duration, both spellings: 3.5 hours ago is between record 6 and 7.
    for d in ["3h 30m", "PT3H30M"] {
        let v = reset(
            k,
            data.path(),
            &group,
            &["--topic", &topic, "--by-duration", d, "--execute"],
        );
        assert_eq!(targets(&v), vec![7, 7], "{d}");
        assert!(v["plan"]["mode"]
            .as_str()
            .unwrap()
            .starts_with("by-duration 3h 30m"));
    }
    assert_eq!(
        kafka_describe(k, &group),
        offsets(&[(&topic, 0, 7), (&topic, 1, 7)])
    );

    // A time without a zone is refused rather than guessed.
    let out = ks(k, data.path())
        .args([
            "offsets",
            "reset",
            &group,
            "--topic",
            &topic,
            "--to-datetime",
            "2024-01-01T00:00:00",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no time zone"), "{}", stderr(&out));
}

#[tokio::test]
async fn targets_outside_the_log_are_clamped_with_a_warning() {
    let k = cluster();
    let data = data_dir();
    let topic = topic_with_records(k, 1, 10, recent).await;
    // Move the log start to 4 with Kafka's own tool.
    let plan = data.path().join("delete.json");
    std::fs::write(
        &plan,
        format!(r#"{{"partitions":[{{"topic":"{topic}","partition":0,"offset":4}}],"version":1}}"#),
    )
    .unwrap();
    let out = Command::new(repo().join("scripts/kafka.sh"))
        .args(["tool", "delete-records", "--bootstrap-server", &k.bootstrap])
        .arg("--offset-json-file")
        .arg(&plan)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let group = unique("g-clamp");

    // Below the log start: clamped up to it.
    let v = reset(
        k,
        data.path(),
        &group,
        &["--topic", &topic, "--to-offset", "1", "--execute"],
    );
    let p = &v["plan"]["partitions"][0];
    assert_eq!(p["log_start"], 4);
    assert_eq!(p["requested"], 1);
    assert_eq!(p["target"], 4);
    assert_eq!(p["clamped"], "1 is before the log start 4: clamped to 4");
    assert_eq!(v["plan"]["totals"]["clamped"], 1);
    assert_eq!(kafka_describe(k, &group), offsets(&[(&topic, 0, 4)]));

    // Past the log end: clamped down to it; the table says so on the partition.
    let out = ks(k, data.path())
        .args([
            "offsets",
            "reset",
            &group,
            "--topic",
            &topic,
            "--shift-by",
            "100",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("104 is past the log end 10: clamped to 10"),
        "{text}"
    );
    assert!(text.contains("1 clamped"), "{text}");
    // JSON output repeats the warning on stderr.
    let out = ks(k, data.path())
        .args([
            "offsets",
            "reset",
            &group,
            "--topic",
            &topic,
            "--shift-by",
            "-100",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(json(&out)["plan"]["partitions"][0]["target"], 4);
    assert!(
        stderr(&out).contains("warning: 1 partition(s) clamped to the log"),
        "{}",
        stderr(&out)
    );
    let v = reset(
        k,
        data.path(),
        &group,
        &["--topic", &topic, "--to-offset", "99", "--execute"],
    );
    assert_eq!(after(&v), offsets(&[(&topic, 0, 10)]));
    assert_eq!(kafka_describe(k, &group), offsets(&[(&topic, 0, 10)]));
}

#[tokio::test]
async fn a_group_with_active_members_is_refused_and_nothing_changes() {
    let k = cluster();
    let data = data_dir();
    let topic = topic_with_records(k, 2, 5, recent).await;
    let group = unique("g-active");
    let consumer = consume_and_commit(k, &group, &topic, 6);
    let before = kafka_describe(k, &group);

    let out = ks(k, data.path())
        .args([
            "offsets",
            "reset",
            &group,
            "--topic",
            &topic,
            "--to-earliest",
            "--execute",
        ])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("active member(s)"), "{err}");
    assert!(err.contains(&format!("{group}-client@")), "{err}");
    assert_eq!(kafka_describe(k, &group), before);
    // Refused before anything was written.
    assert!(!data.path().join("undo").exists());
    assert!(!data.path().join("audit.jsonl").exists());

    // A dry run still shows the plan, and the members.
    let v = reset(
        k,
        data.path(),
        &group,
        &["--topic", &topic, "--to-earliest"],
    );
    assert_eq!(v["plan"]["group_state"], "Stable");
    assert!(v["plan"]["active_members"][0]
        .as_str()
        .unwrap()
        .starts_with(&format!("{group}-client@")));
    let out = ks(k, data.path())
        .args([
            "offsets",
            "reset",
            &group,
            "--topic",
            &topic,
            "--to-earliest",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--execute is refused"));

    // Once the member leaves, the same reset goes through.
    drop(consumer);
    wait_empty(k, &group);
    let v = reset(
        k,
        data.path(),
        &group,
        &["--topic", &topic, "--to-earliest", "--execute"],
    );
    assert_eq!(v["result"]["result"], "applied");
    assert_eq!(
        kafka_describe(k, &group),
        offsets(&[(&topic, 0, 0), (&topic, 1, 0)])
    );
}

#[tokio::test]
async fn plans_move_between_kafkas_tool_and_kscope() {
    let k = cluster();
    let data = data_dir();
    let topic = topic_with_records(k, 3, 8, recent).await;
    let group = idle_group(k, &topic, 12);

    // Kafka's tool writes a plan (to stdout, with --export); kscope applies it.
    let out = kafka_groups_tool(
        k,
        &[
            "--reset-offsets",
            "--to-earliest",
            "--group",
            &group,
            "--topic",
            &topic,
            "--dry-run",
            "--export",
        ],
    );
    let kafka_csv = data.path().join("kafka-plan.csv");
    std::fs::write(&kafka_csv, &out.stdout).unwrap();
    let v = reset(
        k,
        data.path(),
        &group,
        &["--from-file", kafka_csv.to_str().unwrap(), "--execute"],
    );
    assert_eq!(
        v["plan"]["mode"],
        format!("from-file {}", kafka_csv.display())
    );
    assert_eq!(v["result"]["result"], "applied");
    let zero = offsets(&[(&topic, 0, 0), (&topic, 1, 0), (&topic, 2, 0)]);
    assert_eq!(after(&v), zero);
    assert_eq!(kafka_describe(k, &group), zero);

    // kscope exports a plan; Kafka's tool applies it.
    let ks_csv = data.path().join("kscope-plan.csv");
    let v = reset(
        k,
        data.path(),
        &group,
        &[
            "--topic",
            &format!("{topic}:1"),
            "--to-offset",
            "5",
            "--export",
            ks_csv.to_str().unwrap(),
        ],
    );
    assert_eq!(v["dry_run"], true);
    assert_eq!(
        std::fs::read_to_string(&ks_csv).unwrap(),
        format!("{topic},1,5\n")
    );
    kafka_groups_tool(
        k,
        &[
            "--reset-offsets",
            "--from-file",
            ks_csv.to_str().unwrap(),
            "--group",
            &group,
            "--execute",
        ],
    );
    assert_eq!(
        kafka_describe(k, &group),
        offsets(&[(&topic, 0, 0), (&topic, 1, 5), (&topic, 2, 0)])
    );

    // `--export -` writes the CSV to stdout, as Kafka's tool does.
    let out = ks(k, data.path())
        .args([
            "offsets",
            "reset",
            &group,
            "--all-topics",
            "--to-current",
            "--export",
            "-",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{topic},0,0\n{topic},1,5\n{topic},2,0\n")
    );
}

#[tokio::test]
async fn undo_restores_exactly_and_every_reset_is_audited() {
    let k = cluster();
    let data = data_dir();
    let topic = topic_with_records(k, 3, 10, recent).await;
    let group = unique("g-undo");
    // Distinct offsets per partition, and one partition without any.
    let seed = data.path().join("seed.csv");
    std::fs::write(&seed, format!("{topic},0,3\n{topic},1,7\n")).unwrap();
    reset(
        k,
        data.path(),
        &group,
        &["--from-file", seed.to_str().unwrap(), "--execute"],
    );
    let original = kafka_describe(k, &group);
    assert_eq!(original, offsets(&[(&topic, 0, 3), (&topic, 1, 7)]));

    let v = reset(
        k,
        data.path(),
        &group,
        &["--topic", &topic, "--to-latest", "--execute"],
    );
    let r = &v["result"];
    let undo = PathBuf::from(r["undo_file"].as_str().unwrap());
    assert!(undo.starts_with(data.path().join("undo")), "{undo:?}");
    assert_eq!(
        std::fs::read_to_string(&undo).unwrap(),
        format!("{topic},0,3\n{topic},1,7\n")
    );
    let cmd = r["undo_command"].as_str().unwrap();
    assert!(
        cmd.contains(&format!(
            "offsets reset {group} --from-file {}",
            undo.display()
        )),
        "{cmd}"
    );
    assert!(cmd.ends_with("--execute"), "{cmd}");
    // Partition 2 had no offset: the report says it cannot be put back by a commit.
    assert_eq!(r["not_restorable"][0]["partition"], 2);
    assert!(r["not_restorable_hint"]
        .as_str()
        .unwrap()
        .contains(&format!(
            "--delete-offsets --group {group} --topic {topic}:2"
        )));

    // The undo command restores exactly.
    let v = reset(
        k,
        data.path(),
        &group,
        &["--from-file", undo.to_str().unwrap(), "--execute"],
    );
    assert_eq!(v["result"]["changed"], 2);
    let mut restored = kafka_describe(k, &group);
    assert_eq!(restored.remove(&(topic.clone(), 2)), Some(Some(10)));
    assert_eq!(restored, original);

    // Three executed resets: each an intent line written before the commit and an outcome line
    // after it, with the same id; the outcome has before and after per partition.
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let all: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(all.len(), 6, "{audit}");
    for pair in all.chunks(2) {
        assert_eq!(pair[0]["phase"], "intent", "{audit}");
        assert_eq!(pair[1]["phase"], "outcome", "{audit}");
        assert_eq!(pair[0]["id"], pair[1]["id"], "{audit}");
        assert_eq!(pair[0]["group"], group.as_str());
    }
    assert_ne!(all[0]["id"], all[2]["id"]);
    let intent = &all[2];
    assert_eq!(intent["mode"], "to-latest");
    assert_eq!(intent["partitions"][0]["before"], 3);
    assert_eq!(intent["partitions"][0]["target"], 10);
    assert!(intent.get("result").is_none(), "{intent}");
    let lines: Vec<&Value> = all.iter().filter(|l| l["phase"] == "outcome").collect();
    let e = &lines[1];
    assert_eq!(e["group"], group.as_str());
    assert_eq!(e["mode"], "to-latest");
    assert_eq!(e["result"], "applied");
    assert_eq!(e["context"], k.bootstrap.as_str());
    assert!(e["user"].as_str().is_some_and(|u| !u.is_empty()));
    assert!(e["host"].as_str().is_some_and(|h| !h.is_empty()));
    assert!(chrono::DateTime::parse_from_rfc3339(e["time"].as_str().unwrap()).is_ok());
    let parts = e["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0]["before"], 3);
    assert_eq!(parts[0]["after"], 10);
    assert_eq!(parts[2]["before"], Value::Null);
    assert_eq!(parts[2]["after"], 10);
    assert_eq!(lines[2]["mode"], format!("from-file {}", undo.display()));

    // `offsets undo-files` lists both undo files, newest first, with what each undoes.
    let out = ks(k, data.path())
        .args(["offsets", "undo-files", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let files = json(&out);
    let files = files.as_array().unwrap();
    assert_eq!(files.len(), 2, "{files:?}");
    let second = &files[1];
    assert_eq!(second["file"], undo.display().to_string());
    assert_eq!(second["kind"], "offsets-reset");
    assert_eq!(second["name"], group.as_str());
    assert_eq!(second["mode"], "to-latest");
    assert_eq!(second["result"], "applied");
    assert_eq!(second["context"], k.bootstrap.as_str());
    assert_eq!(second["partitions"], 2);
    assert_eq!(second["topics"][0], topic.as_str());
    assert_eq!(second["undo_command"], r["undo_command"]);
    assert_eq!(second["source"], "audit");
    assert!(files[0]["mode"].as_str().unwrap().starts_with("from-file"));
    let out = ks(k, data.path())
        .args(["offsets", "undo-files"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "offsets reset of {group} to-latest, 2 partition(s) of {topic}"
        )),
        "{text}"
    );

    // The table prints the undo file and command.
    let out = ks(k, data.path())
        .args([
            "offsets",
            "reset",
            &group,
            "--topic",
            &format!("{topic}:0"),
            "--to-earliest",
            "--execute",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        text.contains("Undo file:") && text.contains("Undo with: kscope -b"),
        "{text}"
    );
    assert!(text.contains("Result: applied: 1 changed"), "{text}");
}

#[tokio::test]
async fn copying_another_groups_offsets() {
    let k = cluster();
    let data = data_dir();
    let topic = topic_with_records(k, 3, 10, recent).await;
    let source = idle_group(k, &topic, 14);
    let source_offsets = kafka_describe(k, &source);
    let group = unique("g-copy");

    // Without a topic: every partition the other group has committed.
    let v = reset(
        k,
        data.path(),
        &group,
        &["--to-group", &source, "--execute"],
    );
    assert_eq!(v["plan"]["mode"], format!("to-group {source}"));
    let copied = kafka_describe(k, &group);
    let expected: Offsets = source_offsets
        .iter()
        .filter(|(_, o)| o.is_some())
        .map(|(tp, o)| (tp.clone(), *o))
        .collect();
    assert_eq!(copied, expected);

    // Partitions the other group has no offset on are skipped, saying why.
    let other = unique("g-partial-source");
    let seed = data.path().join("seed.csv");
    std::fs::write(&seed, format!("{topic},1,2\n")).unwrap();
    reset(
        k,
        data.path(),
        &other,
        &["--from-file", seed.to_str().unwrap(), "--execute"],
    );
    let v = reset(
        k,
        data.path(),
        &group,
        &["--topic", &topic, "--to-group", &other],
    );
    assert_eq!(targets(&v), vec![Value::Null, Value::from(2), Value::Null]);
    assert!(v["plan"]["partitions"][0]["note"]
        .as_str()
        .unwrap()
        .contains(&format!("group '{other}' has no committed offset here")));
    assert_eq!(v["plan"]["totals"]["skipped"], 2);
}

#[tokio::test]
async fn refusals_and_bad_input() {
    let k = cluster();
    let data = data_dir();
    let topic = topic_with_records(k, 2, 3, recent).await;
    let group = unique("g-bad");
    let garbage = data.path().join("garbage.csv");
    std::fs::write(&garbage, format!("{topic},0,1\n{topic},zero,1\n")).unwrap();
    let missing_partition = data.path().join("missing.csv");
    std::fs::write(&missing_partition, format!("{topic},0,1\n{topic},9,1\n")).unwrap();
    let partition_9 = format!("{topic}:9");
    let cases: Vec<(Vec<&str>, i32, String)> = vec![
        (
            vec!["--topic", "no-such-topic-reset", "--to-earliest"],
            3,
            "unknown topic 'no-such-topic-reset'".into(),
        ),
        (
            vec!["--topic", &partition_9, "--to-earliest"],
            3,
            format!("unknown partition {topic}:9"),
        ),
        (
            vec!["--from-file", missing_partition.to_str().unwrap()],
            3,
            "on line 2 of".into(),
        ),
        (
            vec!["--from-file", garbage.to_str().unwrap()],
            2,
            format!("{}:2: 'zero' is not a partition number", garbage.display()),
        ),
        (vec!["--to-earliest"], 2, "--topic".into()),
        (vec!["--topic", &topic], 2, "--to-earliest".into()),
        (
            vec!["--topic", &topic, "--to-earliest", "--to-latest"],
            2,
            "cannot be used with".into(),
        ),
        (
            vec!["--topic", &topic, "--by-duration", "soon"],
            2,
            "invalid duration 'soon'".into(),
        ),
        (
            vec!["--all-topics", "--to-earliest"],
            3,
            "no committed offsets".into(),
        ),
        (
            vec!["--topic", &topic, "--to-current", "--execute"],
            2,
            "nothing to commit".into(),
        ),
    ];
    for (args, code, needle) in cases {
        let out = ks(k, data.path())
            .args(["offsets", "reset", &group])
            .args(&args)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(&needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // Nothing was committed by any of them.
    assert!(kafka_describe(k, &group).is_empty());

    // Read-only: --execute is refused before any broker is contacted (this one does not exist),
    // while a dry run is allowed.
    let started = Instant::now();
    let out = kscope_bare()
        .env("KSCOPE_DATA_DIR", data.path())
        .args([
            "-b",
            "127.0.0.1:1",
            "--read-only",
            "offsets",
            "reset",
            &group,
        ])
        .args(["--topic", &topic, "--to-earliest", "--execute"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("read-only"));
    assert!(started.elapsed() < Duration::from_secs(5));
    let out = ks(k, data.path())
        .args([
            "--read-only",
            "offsets",
            "reset",
            &group,
            "--topic",
            &topic,
            "--to-earliest",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(kafka_describe(k, &group).is_empty());
}

#[test]
fn help_documents_modes_and_exit_codes() {
    let out = kscope_bare()
        .args(["offsets", "reset", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "--to-earliest",
        "--to-latest",
        "--to-current",
        "--to-offset",
        "--shift-by",
        "--to-datetime",
        "--by-duration",
        "--from-file",
        "--to-group",
        "--all-topics",
        "--execute",
        "--export",
        "exit 6",
        "exits 7",
    ] {
        assert!(text.contains(word), "{word} missing from help:\n{text}");
    }
    let out = kscope_bare().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("6  refused: the consumer group has active members"));
    assert!(text.contains("7  partially applied"));
}

/// The engine as the console uses it: `plan` then `apply`. A partition whose topic disappears
/// between the two makes a partial reset, reported per partition with an undo file for exactly
/// what was applied.
#[tokio::test]
async fn a_partial_reset_says_what_was_applied_and_how_to_undo_it() {
    use kscope::config::ConnectionSettings;
    use kscope::kafka::KafkaClient;
    use kscope::offsets::{self, ApplyOptions, ApplyResult, PartitionStatus, ResetMode, Scope};

    let k = cluster();
    let data = data_dir();
    let topic = topic_with_records(k, 2, 10, recent).await;
    let group = unique("g-partial");
    let seed = data.path().join("seed.csv");
    std::fs::write(&seed, format!("{topic},0,2\n{topic},1,3\n")).unwrap();
    reset(
        k,
        data.path(),
        &group,
        &["--from-file", seed.to_str().unwrap(), "--execute"],
    );

    let client = KafkaClient::new(ConnectionSettings::plain(&k.bootstrap)).unwrap();
    let req = offsets::ResetRequest::new(
        group.clone(),
        Scope::Topics(vec![offsets::TopicSpec::whole(topic.clone())]),
        ResetMode::Latest,
    )
    .unwrap();
    let now = chrono::Utc::now();
    let mut plan = offsets::plan(&client, &req, now).await.unwrap();
    assert_eq!(plan.totals.to_commit, 2);
    // A third partition whose topic is gone by the time the plan is applied.
    let mut gone = plan.partitions[0].clone();
    gone.topic = unique("deleted-topic");
    plan.partitions.push(gone.clone());
    plan.partitions[2].current = None;

    let opts = ApplyOptions {
        data_dir: data.path().to_path_buf(),
        actor: offsets::Actor {
            user: "oncall".into(),
            host: "laptop".into(),
        },
        now,
    };
    let report = offsets::apply(&client, &plan, &opts).await.unwrap();
    assert_eq!(report.result, ApplyResult::Partial, "{report:#?}");
    assert_eq!(report.changed, 2);
    assert_eq!(report.failed, 1);
    let failed = report
        .partitions
        .iter()
        .find(|p| p.status == PartitionStatus::Failed)
        .unwrap();
    assert_eq!(failed.topic, gone.topic);
    assert!(failed.error.is_some(), "{failed:?}");
    // The undo command restores exactly the two partitions that were applied.
    let cmd = report.undo_command.clone().unwrap();
    let file = cmd
        .split_whitespace()
        .skip_while(|w| *w != "--from-file")
        .nth(1)
        .unwrap()
        .to_string();
    assert!(file.ends_with(".applied.csv"), "{cmd}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{topic},0,2\n{topic},1,3\n")
    );
    assert_eq!(
        kafka_describe(k, &group),
        offsets(&[(&topic, 0, 10), (&topic, 1, 10)])
    );
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["result"], "partial");
    assert_eq!(last["user"], "oncall");
    assert_eq!(last["host"], "laptop");

    // Running the undo puts them back.
    let out = ks(k, data.path())
        .args([
            "offsets",
            "reset",
            &group,
            "--from-file",
            &file,
            "--execute",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        kafka_describe(k, &group),
        offsets(&[(&topic, 0, 2), (&topic, 1, 3)])
    );

    // The engine itself refuses in a read-only context, whoever calls it.
    let mut ro = ConnectionSettings::plain(&k.bootstrap);
    ro.read_only = true;
    let ro_client = KafkaClient::new(ro).unwrap();
    let e = offsets::apply(&ro_client, &plan, &opts).await.unwrap_err();
    assert_eq!(e.exit_code(), 4, "{e}");
}

/// librdkafka's mock cluster has no DescribeGroups: kscope plans, but will not reset a group
/// whose members it cannot check.
#[test]
fn brokers_without_describe_groups_are_refused() {
    let mock = rdkafka::mocking::MockCluster::new(1).unwrap();
    mock.create_topic("mock-topic", 2, 1).unwrap();
    let b = mock.bootstrap_servers();
    let data = data_dir();
    let run = |extra: &[&str]| {
        kscope_bare()
            .env("KSCOPE_DATA_DIR", data.path())
            .args(["-b", &b, "--timeout", "5s", "offsets", "reset", "g-mock"])
            .args(["--topic", "mock-topic", "--to-earliest", "-o", "json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert!(v["plan"]["group_check_error"]
        .as_str()
        .unwrap()
        .contains("DescribeGroups"));
    assert_eq!(v["plan"]["totals"]["to_commit"], 2);
    let out = run(&["--execute"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot check that group 'g-mock' has no active members"),
        "{}",
        stderr(&out)
    );
    assert!(!data.path().join("undo").exists());
}
