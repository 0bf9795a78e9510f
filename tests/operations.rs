#![allow(clippy::disallowed_macros, clippy::disallowed_methods)] // test output, not kscope output
//! Cluster operations against real Kafka (topic configs, partitions, group deletion): the dry
//! run changes nothing and is validated by the broker, --execute changes exactly the plan and
//! verifies it, undo files restore, read-only refuses, every execute is audited.

mod common;

use common::*;

fn configs(k: &Kafka, topic: &str) -> serde_json::Value {
    let out = kscope(k)
        .args(["topic", topic, "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    json(&out)["configs"].clone()
}

fn config<'a>(all: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    all.as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == key)
        .unwrap_or_else(|| panic!("{key} missing: {all}"))
}

#[test]
fn plan_validate_execute_verify_and_undo() {
    let k = kafka();
    let topic = unique("cfg");
    let data = tempfile::tempdir().unwrap();
    kscope(k)
        .args([
            "topic",
            "create",
            &topic,
            "-p",
            "1",
            "-r",
            "1",
            "--config",
            "cleanup.policy=compact",
        ])
        .assert()
        .success();
    let with_data = |args: &[&str]| {
        let mut c = kscope(k);
        c.env("KSCOPE_DATA_DIR", data.path()).args(args);
        c.output().unwrap()
    };

    // Dry run: the plan, nothing changed.
    let out = with_data(&[
        "topic",
        "config",
        &topic,
        "--set",
        "retention.ms=3600000",
        "--delete",
        "cleanup.policy",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = json(&out);
    assert_eq!(plan["executed"], false);
    assert_eq!(plan["changes"][0]["before_source"], "default", "{plan}");
    assert_eq!(plan["changes"][1]["before"], "compact", "{plan}");
    let now = configs(k, &topic);
    assert_eq!(config(&now, "retention.ms")["source"], "default");
    assert_eq!(config(&now, "cleanup.policy")["value"], "compact");

    // The broker's words for a bad value and an unknown key; exit 2, nothing changed.
    for bad in ["retention.ms=soon", "no.such.config=1"] {
        let out = with_data(&["topic", "config", &topic, "--set", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(bad.split('=').next().unwrap()), "{err}");
    }

    // Read-only refuses in the client layer: exit 4, nothing changed.
    let out = with_data(&[
        "--read-only",
        "topic",
        "config",
        &topic,
        "--set",
        "retention.ms=3600000",
        "--execute",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(
        config(&configs(k, &topic), "retention.ms")["source"],
        "default"
    );

    // Execute: exactly the plan, verified, with an undo file and two audit lines.
    let out = with_data(&[
        "topic",
        "config",
        &topic,
        "--set",
        "retention.ms=3600000",
        "--delete",
        "cleanup.policy",
        "--execute",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["mismatched"], serde_json::json!([]), "{report}");
    let now = configs(k, &topic);
    assert_eq!(config(&now, "retention.ms")["value"], "3600000");
    assert_eq!(config(&now, "retention.ms")["source"], "topic");
    assert_eq!(
        config(&now, "cleanup.policy")["value"],
        "delete",
        "back to the default"
    );
    let undo = report["undo_file"].as_str().unwrap().to_string();
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{audit}");
    assert_eq!(lines[0]["phase"], "intent");
    assert_eq!(lines[1]["phase"], "outcome");
    assert_eq!(lines[1]["result"], "applied");
    assert_eq!(lines[0]["id"], lines[1]["id"]);

    // Undo: the old values back (the topic's own compact, the default retention).
    let out = with_data(&["topic", "config", &topic, "--from-file", &undo, "--execute"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let now = configs(k, &topic);
    assert_eq!(config(&now, "retention.ms")["source"], "default");
    assert_eq!(config(&now, "cleanup.policy")["value"], "compact");
    assert_eq!(config(&now, "cleanup.policy")["source"], "topic");

    // An undo file for another topic is refused.
    let out = with_data(&["topic", "config", "other-topic", "--from-file", &undo]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&topic), "{}", stderr(&out));
}

#[test]
fn partitions_are_added_only_when_confirmed() {
    let k = kafka();
    let topic = unique("parts");
    let data = tempfile::tempdir().unwrap();
    kscope(k)
        .args(["topic", "create", &topic, "-p", "2", "-r", "1"])
        .assert()
        .success();
    let run = |args: &[&str]| {
        let mut c = kscope(k);
        c.env("KSCOPE_DATA_DIR", data.path())
            .args(["topic", "partitions", &topic])
            .args(args);
        c.output().unwrap()
    };
    let count = || {
        let out = kscope(k)
            .args(["topic", &topic, "-o", "json"])
            .output()
            .unwrap();
        json(&out)["partitions"].as_array().unwrap().len()
    };
    // The dry run is validated and changes nothing.
    let out = run(&["--count", "4", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["partitions_before"], 2);
    assert!(json(&out)["note"]
        .as_str()
        .unwrap()
        .contains("keyed records"));
    assert_eq!(count(), 2);
    // Fewer than now: refused; irreversible without --yes: refused; read-only: refused.
    assert_eq!(run(&["--count", "1"]).status.code(), Some(2));
    assert_eq!(run(&["--count", "4", "--execute"]).status.code(), Some(2));
    let mut ro = kscope(k);
    ro.env("KSCOPE_DATA_DIR", data.path()).args([
        "--read-only",
        "topic",
        "partitions",
        &topic,
        "--count",
        "4",
        "--execute",
        "--yes",
    ]);
    assert_eq!(ro.output().unwrap().status.code(), Some(4));
    assert_eq!(count(), 2);
    // Confirmed: applied, verified, audited.
    let out = run(&["--count", "4", "--execute", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(count(), 4);
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "topic-partitions");
    assert_eq!(last["result"], "applied");
    assert_eq!(last["after"], 4);
}

#[test]
fn a_group_is_deleted_only_without_members_and_can_be_restored() {
    let k = kafka();
    let topic = unique("delg-t");
    let group = unique("delg");
    let data = tempfile::tempdir().unwrap();
    kscope(k)
        .args(["topic", "create", &topic, "-p", "2", "-r", "1"])
        .assert()
        .success();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let records: Vec<TestRecord<'_>> = (0..20).map(|i| (i % 2, None, &b"v"[..], None)).collect();
    rt.block_on(produce(k, &topic, &records));
    let run = |args: &[&str]| {
        let mut c = kscope(k);
        c.env("KSCOPE_DATA_DIR", data.path()).args(args);
        c.output().unwrap()
    };

    // With a member: refused (exit 6), nothing deleted.
    let consumer = consume_and_commit(k, &group, &topic, 20);
    let out = run(&["group", "delete", &group, "--execute"]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    drop(consumer);

    // Without: the dry run deletes nothing, read-only refuses, --execute deletes.
    let wait_empty = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let out = run(&["group", "delete", &group, "-o", "json"]);
        if out.status.code() == Some(0) {
            assert_eq!(json(&out)["committed_partitions"], 2);
            break;
        }
        assert!(std::time::Instant::now() < wait_empty, "{}", stderr(&out));
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert_eq!(
        run(&["--read-only", "group", "delete", &group, "--execute"])
            .status
            .code(),
        Some(4)
    );
    let out = run(&["group", "delete", &group, "--execute", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let undo = json(&out)["undo_file"].as_str().unwrap().to_string();
    assert_eq!(
        run(&["group", &group]).status.code(),
        Some(3),
        "the group is gone"
    );
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "group-delete");
    assert_eq!(last["result"], "applied");

    // The undo file brings the committed offsets back.
    let out = run(&[
        "offsets",
        "reset",
        &group,
        "--from-file",
        &undo,
        "--execute",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&["group", &group, "-o", "json"]);
    let committed: i64 = json(&out)["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["committed"].as_i64())
        .sum();
    assert_eq!(committed, 20);
}

#[test]
fn records_are_truncated_only_when_confirmed_and_lagging_groups_are_named() {
    let k = kafka();
    let topic = unique("trunc");
    let group = unique("trunc-g");
    let data = tempfile::tempdir().unwrap();
    kscope(k)
        .args(["topic", "create", &topic, "-p", "2", "-r", "1"])
        .assert()
        .success();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let records: Vec<TestRecord<'_>> = (0..100).map(|i| (i % 2, None, &b"v"[..], None)).collect();
    rt.block_on(produce(k, &topic, &records));
    // A group that has read 10 of each partition's 50.
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
    let run = |args: &[&str]| {
        let mut c = kscope(k);
        c.env("KSCOPE_DATA_DIR", data.path())
            .args(["topic", "truncate", &topic])
            .args(args);
        c.output().unwrap()
    };
    let low = |p: usize| {
        let out = kscope(k)
            .args(["topic", &topic, "-o", "json"])
            .output()
            .unwrap();
        json(&out)["partitions"][p]["low_watermark"]
            .as_i64()
            .unwrap()
    };

    // The plan: 30 records per partition, the group named; nothing deleted.
    let out = run(&["--before", "30", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = json(&out);
    assert_eq!(plan["records_deleted"], 60, "{plan}");
    assert_eq!(plan["groups_behind"][0]["group"], group.as_str(), "{plan}");
    assert_eq!(low(0), 0);
    // Irreversible: --execute alone is refused, and so is read-only.
    assert_eq!(run(&["--before", "30", "--execute"]).status.code(), Some(2));
    let mut ro = kscope(k);
    ro.env("KSCOPE_DATA_DIR", data.path()).args([
        "--read-only",
        "topic",
        "truncate",
        &topic,
        "--before",
        "30",
        "--execute",
        "--yes",
    ]);
    assert_eq!(ro.output().unwrap().status.code(), Some(4));
    assert_eq!(low(0), 0);
    // Confirmed, one partition: exactly that, audited.
    let out = run(&[
        "--before",
        "30",
        "--partition",
        "0",
        "--execute",
        "--yes",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["partitions"][0]["result_log_start"], 30);
    assert_eq!((low(0), low(1)), (30, 0));
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "topic-truncate");
    assert_eq!(last["result"], "applied");
    // Up to the group's committed offsets: partition 1 only (partition 0 already starts past it).
    let out = run(&["--group", &group, "-o", "json"]);
    let plan = json(&out);
    assert_eq!(plan["records_deleted"], 10, "{plan}");
    assert_eq!(plan["groups_behind"], serde_json::json!([]), "{plan}");
    // A named position is not a point to truncate at.
    assert_eq!(run(&["--before", "beginning"]).status.code(), Some(2));
}
