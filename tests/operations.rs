#![allow(clippy::disallowed_macros, clippy::disallowed_methods)] // test output, not kscope output
//! Cluster operations against real Kafka (topic configs, partitions, group deletion): the dry
//! run changes nothing and is validated by the broker, --execute changes exactly the plan and
//! verifies it, undo files restore, read-only refuses, every execute is audited.

mod common;

use std::collections::BTreeMap;

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

/// A compacted topic takes no DeleteRecords: the broker refuses every partition
/// (POLICY_VIOLATION), so nothing was deleted. That is a failure (exit 1, audited `failed`),
/// not a partial apply.
#[test]
fn a_truncate_the_broker_refuses_everywhere_is_a_failure_not_partial() {
    let k = kafka();
    let topic = unique("trunc-compact");
    let data = tempfile::tempdir().unwrap();
    kscope(k)
        .args(["topic", "create", &topic, "-p", "2", "-r", "1"])
        .args(["--config", "cleanup.policy=compact"])
        .assert()
        .success();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let records: Vec<TestRecord<'_>> = (0..20)
        .map(|i| (i % 2, Some(&b"k"[..]), &b"v"[..], None))
        .collect();
    rt.block_on(produce(k, &topic, &records));
    let out = kscope(k)
        .env("KSCOPE_DATA_DIR", data.path())
        .args(["topic", "truncate", &topic, "--before", "5"])
        .args(["--execute", "--yes", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("no partition of '{topic}' was truncated")),
        "{}",
        stderr(&out)
    );
    let report = json(&out);
    for p in report["partitions"].as_array().unwrap() {
        assert!(p["error"].is_string(), "{report}");
        assert_eq!(p["result_log_start"], serde_json::Value::Null, "{report}");
    }
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "topic-truncate");
    assert_eq!(last["result"], "failed");
    // Nothing moved.
    let out = kscope(k)
        .args(["topic", &topic, "-o", "json"])
        .output()
        .unwrap();
    for p in json(&out)["partitions"].as_array().unwrap() {
        assert_eq!(p["low_watermark"], 0);
    }
}

#[test]
fn a_groups_offsets_of_one_topic_are_deleted_only_without_members_and_restored() {
    let k = kafka();
    let (a, b) = (unique("delo-a"), unique("delo-b"));
    let group = unique("delo");
    let data = tempfile::tempdir().unwrap();
    for t in [&a, &b] {
        kscope(k)
            .args(["topic", "create", t, "-p", "2", "-r", "1"])
            .assert()
            .success();
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let records: Vec<TestRecord<'_>> = (0..20).map(|i| (i % 2, None, &b"v"[..], None)).collect();
    rt.block_on(produce(k, &a, &records));
    rt.block_on(produce(k, &b, &records));
    let run = |args: &[&str]| {
        let mut c = kscope(k);
        c.env("KSCOPE_DATA_DIR", data.path()).args(args);
        c.output().unwrap()
    };
    let committed = |topic: &str| -> Vec<i64> {
        let out = run(&["group", &group, "-o", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        json(&out)["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["topic"] == topic)
            .filter_map(|p| p["committed"].as_i64())
            .collect()
    };

    // With a member reading `a`: refused (exit 6), nothing deleted.
    let consumer = consume_and_commit(k, &group, &a, 20);
    let out = run(&[
        "group",
        "delete-offsets",
        &group,
        "--topic",
        &a,
        "--execute",
    ]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    drop(consumer);
    // Offsets for `b` too (from outside, once the group is empty).
    let wait_empty = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let out = run(&[
            "offsets",
            "reset",
            &group,
            "--topic",
            &b,
            "--to-offset",
            "5",
            "--execute",
        ]);
        if out.status.code() == Some(0) {
            break;
        }
        assert!(std::time::Instant::now() < wait_empty, "{}", stderr(&out));
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert_eq!(committed(&a), vec![10, 10]);
    assert_eq!(committed(&b), vec![5, 5]);

    // The dry run names the two partitions of `a`, changes nothing.
    let out = run(&[
        "group",
        "delete-offsets",
        &group,
        "--topic",
        &a,
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = json(&out);
    assert_eq!(plan["executed"], false);
    assert_eq!(plan["partitions"].as_array().unwrap().len(), 2, "{plan}");
    assert_eq!(committed(&a), vec![10, 10]);
    // A topic the group never committed: not found (exit 3).
    let out = run(&[
        "group",
        "delete-offsets",
        &group,
        "--topic",
        "no-such-topic",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    // Read-only: refused in the client layer (exit 4).
    let out = run(&[
        "--read-only",
        "group",
        "delete-offsets",
        &group,
        "--topic",
        &a,
        "--execute",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(committed(&a), vec![10, 10]);

    // Execute: exactly `a`'s offsets go, `b`'s stay; audited.
    let out = run(&[
        "group",
        "delete-offsets",
        &group,
        "--topic",
        &a,
        "--execute",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["still_committed"], serde_json::json!([]), "{report}");
    let undo = report["undo_file"].as_str().unwrap().to_string();
    assert_eq!(committed(&a), Vec::<i64>::new());
    assert_eq!(committed(&b), vec![5, 5]);
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "group-delete-offsets");
    assert_eq!(last["result"], "applied");
    assert_eq!(last["before"].as_array().unwrap().len(), 2);

    // The undo file restores them.
    let out = run(&[
        "offsets",
        "reset",
        &group,
        "--from-file",
        &undo,
        "--execute",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(committed(&a), vec![10, 10]);
    assert_eq!(committed(&b), vec![5, 5]);
}

/// A group whose member subscribes to `a`, with offsets of `a` and `b`: `kscope group
/// delete-offsets --topic a --topic b` is refused before anything is sent (exit 6: the
/// coordinator would keep `a`'s and delete `b`'s), nothing deleted, nothing audited. The engine
/// itself, asked anyway (what a member joining between the plan and the request makes happen),
/// reports the partial result the broker gives: `a`'s partitions kept with
/// GROUP_SUBSCRIBED_TO_TOPIC named, `b`'s deleted, audited `partial`.
#[tokio::test]
async fn deleting_offsets_of_a_subscribed_topic_is_refused_and_the_engine_names_what_was_kept() {
    use kscope::offsets::group_delete::{delete_offsets, SUBSCRIBED};
    let k = kafka();
    let (a, b) = (unique("subs-a"), unique("subs-b"));
    let group = unique("subs");
    let data = tempfile::tempdir().unwrap();
    for t in [&a, &b] {
        create_topic(k, t, 2, 1).await;
    }
    let records: Vec<TestRecord<'_>> = (0..20).map(|i| (i % 2, None, &b"v"[..], None)).collect();
    produce(k, &a, &records).await;
    produce(k, &b, &records).await;
    let run = |args: &[&str]| {
        let mut c = kscope(k);
        c.env("KSCOPE_DATA_DIR", data.path()).args(args);
        c.output().unwrap()
    };
    let committed = |topic: &str| -> Vec<i64> {
        let out = run(&["group", &group, "-o", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        json(&out)["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["topic"] == topic)
            .filter_map(|p| p["committed"].as_i64())
            .collect()
    };
    // `b`'s offsets while the group is empty, then a member subscribed to `a` only.
    let out = run(&[
        "offsets",
        "reset",
        &group,
        "--topic",
        &b,
        "--to-offset",
        "5",
        "--execute",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let consumer = consume_and_commit(k, &group, &a, 20);
    assert_eq!(committed(&a), vec![10, 10]);
    assert_eq!(committed(&b), vec![5, 5]);
    let audit_lines = || {
        std::fs::read_to_string(data.path().join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .count()
    };
    let audited = audit_lines();

    let out = run(&[
        "group",
        "delete-offsets",
        &group,
        "--topic",
        &a,
        "--topic",
        &b,
        "--execute",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 active member(s)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(committed(&a), vec![10, 10]);
    assert_eq!(committed(&b), vec![5, 5]);
    assert_eq!(audit_lines(), audited, "nothing audited: nothing was sent");
    assert!(
        !data.path().join("undo").exists() || {
            std::fs::read_dir(data.path().join("undo"))
                .unwrap()
                .filter_map(|e| e.ok())
                .all(|e| !e.file_name().to_string_lossy().starts_with("group-offsets"))
        }
    );

    // The engine (the CLI's and the console's), asked with the member still there.
    // SAFETY of the test: the variable only names where this process's undo files and audit go.
    std::env::set_var("KSCOPE_DATA_DIR", data.path());
    let client =
        kscope::kafka::KafkaClient::new(kscope::config::ConnectionSettings::plain(&k.bootstrap))
            .unwrap();
    let settings = kscope::config::ConnectionSettings::plain(&k.bootstrap);
    let all: Vec<(String, i32, i64)> = [(&a, 10), (&b, 5)]
        .iter()
        .flat_map(|(t, o)| (0..2).map(move |p| (t.to_string(), p, *o)))
        .collect();
    let done = delete_offsets(&client, &settings, &group, all)
        .await
        .unwrap();
    let kept: Vec<(String, i32)> = done
        .failed
        .iter()
        .map(|(t, p, why)| {
            assert_eq!(why, SUBSCRIBED, "{done:?}");
            (t.clone(), *p)
        })
        .collect();
    assert_eq!(kept, vec![(a.clone(), 0), (a.clone(), 1)], "{done:?}");
    assert!(done.verified && done.still_committed.is_empty(), "{done:?}");
    assert_eq!(committed(&a), vec![10, 10]);
    assert_eq!(committed(&b), Vec::<i64>::new());
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "group-delete-offsets");
    assert_eq!(last["result"], "partial", "{last}");
    assert_eq!(last["failed"].as_array().unwrap().len(), 2, "{last}");
    // Only the subscribed topic's: every partition kept, audited `failed`, not `partial`.
    let only_a: Vec<(String, i32, i64)> = (0..2).map(|p| (a.clone(), p, 10)).collect();
    let done = delete_offsets(&client, &settings, &group, only_a)
        .await
        .unwrap();
    assert_eq!(done.failed.len(), 2, "{done:?}");
    assert_eq!(committed(&a), vec![10, 10]);
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["result"], "failed", "{last}");
    drop(consumer);
}

/// After a broker comes back, the partitions it led are led by others: `kscope leaders` names
/// them, the dry run moves nothing, read-only refuses, and --execute moves exactly them back and
/// verifies. On a cluster of its own (a broker is killed), without the broker's own periodic
/// rebalance (which would move them back by itself).
#[test]
fn preferred_leaders_are_shown_and_elected_after_a_broker_returns() {
    use common::faults::{kill_node, restart_node, StopOnDrop};
    let _stop = StopOnDrop::new("ops3");
    let mut k = start_with("ops3", 3, &["auto.leader.rebalance.enable=false"]);
    let topic = unique("lead");
    let data = tempfile::tempdir().unwrap();
    kscope(&k)
        .args(["topic", "create", &topic, "-p", "6", "-r", "3"])
        .assert()
        .success();
    let leaders = |k: &Kafka| {
        let out = kscope(k)
            .args(["leaders", "--topic", &topic, "--all", "-o", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        json(&out)
    };
    let before = leaders(&k);
    assert_eq!(before["not_preferred"], 0, "{before}");
    let led_by_1: Vec<i64> = before["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["leader"] == 1)
        .map(|p| p["partition"].as_i64().unwrap())
        .collect();
    assert!(!led_by_1.is_empty(), "{before}");

    kill_node(&k, 1);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while leaders(&k)["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["leader"] == 1)
    {
        assert!(
            std::time::Instant::now() < until,
            "leaders never moved off broker 1"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    restart_node(&mut k, 1);
    // Broker 1 is back in sync for its partitions, but leads none of them.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let shown = loop {
        let now = leaders(&k);
        let not: Vec<&serde_json::Value> = now["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["not_preferred"] == true)
            .collect();
        if not.len() == led_by_1.len() && not.iter().all(|p| p["electable"] == true) {
            break now;
        }
        assert!(std::time::Instant::now() < until, "{now}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    assert_eq!(shown["not_preferred"], led_by_1.len(), "{shown}");
    // Without --all only those are listed; the topic view names them too.
    let out = kscope(&k)
        .args(["leaders", "--topic", &topic])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains(&format!("{} of 6 partition(s) not led", led_by_1.len())),
        "{text}"
    );
    let out = kscope(&k).args(["topic", &topic]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Not led by their preferred replica"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let run = |args: &[&str]| {
        let mut c = kscope(&k);
        c.env("KSCOPE_DATA_DIR", data.path()).args(args);
        c.output().unwrap()
    };
    // Dry run: the plan is exactly those partitions, nothing moves.
    let out = run(&["topic", "elect-leaders", &topic, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = json(&out);
    let planned: Vec<i64> = plan["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["partition"].as_i64().unwrap())
        .collect();
    assert_eq!(planned, led_by_1, "{plan}");
    assert_eq!(leaders(&k)["not_preferred"], led_by_1.len());
    // Read-only: refused (exit 4), nothing moves.
    let out = run(&["--read-only", "topic", "elect-leaders", &topic, "--execute"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(leaders(&k)["not_preferred"], led_by_1.len());

    // Execute: moved back, verified, audited.
    let out = run(&["topic", "elect-leaders", &topic, "--execute", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["moved"], led_by_1.len(), "{report}");
    assert!(report["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["leader_after"] == 1));
    let after = leaders(&k);
    assert_eq!(after["not_preferred"], 0, "{after}");
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "elect-leaders");
    assert_eq!(last["result"], "applied");
    // Nothing left to elect: a dry run says so, exit 0.
    let out = run(&["topic", "elect-leaders", &topic]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing to elect"),
        "{}",
        stderr(&out)
    );
}

/// A broker's configs with their source and whether they are dynamic; a dynamic one changed,
/// verified and undone; a static one refused in the broker's words; read-only refused.
#[test]
fn broker_configs_are_shown_and_dynamic_ones_changed_and_undone() {
    let k = kafka();
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut c = kscope(k);
        c.env("KSCOPE_DATA_DIR", data.path()).args(args);
        c.output().unwrap()
    };
    let configs = |all: bool| {
        let mut args = vec!["broker", "1", "configs", "-o", "json"];
        if all {
            args.push("--all");
        }
        let out = run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        json(&out)["configs"].clone()
    };
    let shown = configs(false);
    // scripts/kafka.sh sets num.io.threads=4 in the properties file.
    let io = config(&shown, "num.io.threads");
    assert_eq!(io["value"], "4");
    assert_eq!(io["source"], "static-broker");
    assert_eq!(io["read_only"], false);
    assert_eq!(config(&configs(true), "log.dirs")["read_only"], true);
    let key = "log.cleaner.backoff.ms";
    let before = config(&configs(true), key).clone();
    assert_eq!(before["source"], "default", "{before}");

    // A static-only config: the broker's refusal, exit 2.
    let out = run(&["broker", "1", "configs", "--set", "log.dirs=/tmp/x"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("log.dirs"), "{}", stderr(&out));
    // Dry run: validated, nothing changed. Read-only: refused.
    let out = run(&[
        "broker",
        "1",
        "configs",
        "--set",
        &format!("{key}=16000"),
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["changes"][0]["before_source"], "default");
    let out = run(&[
        "--read-only",
        "broker",
        "1",
        "configs",
        "--set",
        &format!("{key}=16000"),
        "--execute",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(config(&configs(true), key)["source"], "default");

    // Execute: this broker's dynamic value, read back; audited.
    let out = run(&[
        "broker",
        "1",
        "configs",
        "--set",
        &format!("{key}=16000"),
        "--execute",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["broker"], 1);
    let undo = report["undo_file"].as_str().unwrap().to_string();
    let now = config(&configs(false), key).clone();
    assert_eq!(
        (&now["value"], &now["source"]),
        (&"16000".into(), &"broker".into())
    );
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "broker-config");
    assert_eq!(last["result"], "applied");
    // The undo file is for broker 1 only, and restores the default.
    let out = run(&["topic", "config", "x", "--from-file", &undo]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = run(&["broker", "1", "configs", "--from-file", &undo, "--execute"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(config(&configs(true), key)["source"], "default");
}

/// On a cluster with StandardAuthorizer: a user without ACLs is told plainly what it may not
/// do (exit 9), never shown an empty answer as if there were nothing; a user allowed some topics
/// gets a list that says it is limited by authorization; ACLs are listed with filters, created
/// and deleted with a plan, verified, audited and undone.
#[test]
fn acls_are_planned_applied_and_undone_and_authorization_is_named() {
    let k = authorized();
    let data = tempfile::tempdir().unwrap();
    let (visible, hidden) = (unique("visible-t"), unique("hidden-t"));
    for t in [&visible, &hidden] {
        kscope(&k)
            .args(["topic", "create", t, "-p", "1", "-r", "1"])
            .assert()
            .success();
    }
    let admin = |args: &[&str]| {
        let mut c = kscope(&k);
        c.env("KSCOPE_DATA_DIR", data.path()).args(args);
        c.output().unwrap()
    };
    let (user2, password2) = (k.user2.clone().unwrap(), k.password2.clone().unwrap());
    let reader = |args: &[&str]| {
        let mut c = kscope_bare();
        c.args([
            "-b",
            &k.secure_bootstrap,
            "--timeout",
            "10s",
            "-X",
            "security.protocol=SASL_SSL",
            "-X",
            "sasl.mechanisms=SCRAM-SHA-512",
            "-X",
            &format!("sasl.username={user2}"),
            "-X",
            &format!("sasl.password={password2}"),
            "-X",
            &format!("ssl.ca.location={}", k.ca),
        ])
        .args(args);
        c.output().unwrap()
    };
    let principal = format!("User:{user2}");

    // No ACLs: the topic is named as not describable, exit 9; ACLs likewise.
    let out = reader(&["topic", &hidden]);
    assert_eq!(out.status.code(), Some(9), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("not authorized to describe topic '{hidden}'"))
            && err.contains("TOPIC_AUTHORIZATION_FAILED"),
        "{err}"
    );
    let out = reader(&["acls"]);
    assert_eq!(out.status.code(), Some(9), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("CLUSTER_AUTHORIZATION_FAILED"),
        "{}",
        stderr(&out)
    );
    // The empty topics list says why it may be empty.
    let out = reader(&["topics", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = json(&out);
    assert_eq!(list["limited_by_authorization"], true, "{list}");
    assert_eq!(list["topics"], serde_json::json!([]), "{list}");
    assert!(stderr(&out).contains("only the topics this principal may describe"));
    let out = reader(&["topics"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("note: the cluster has an authorizer"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Create: the plan (2 ACLs), nothing created; read-only refused; then executed.
    let create = [
        "acls",
        "create",
        "--principal",
        &principal,
        "--resource-type",
        "topic",
        "--resource",
        "visible-",
        "--pattern",
        "prefixed",
        "--operation",
        "describe",
        "--operation",
        "read",
    ];
    let out = admin(&[&create[..], &["-o", "json"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["acls"].as_array().unwrap().len(), 2);
    // This principal's ACLs (other tests make ACLs of their own on the shared cluster).
    let listed = |args: &[&str]| {
        let out = admin(&[&["acls", "-o", "json", "--principal", &principal][..], args].concat());
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        json(&out)["acls"].as_array().unwrap().len()
    };
    assert_eq!(listed(&[]), 0);
    let out = admin(&[&["--read-only"][..], &create[..], &["--execute"]].concat());
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(listed(&[]), 0);
    let out = admin(&[&create[..], &["--execute", "-o", "json"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let created_undo = json(&out)["undo_file"].as_str().unwrap().to_string();
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "acls-create");
    assert_eq!(last["result"], "applied");
    // Filters.
    assert_eq!(listed(&[]), 2);
    assert_eq!(listed(&["--operation", "read"]), 1);
    assert_eq!(listed(&["--pattern", "literal"]), 0);
    assert_eq!(
        listed(&[
            "--resource-type",
            "topic",
            "--resource",
            &visible,
            "--pattern",
            "match"
        ]),
        2
    );
    // Creating them again: nothing to do.
    let out = admin(&[&create[..], &["--execute"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing to create"),
        "{}",
        stderr(&out)
    );

    // The reader now sees the visible topic, and the list still says it is limited.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let out = reader(&["topics", "-o", "json"]);
        let list = json(&out);
        let names: Vec<&str> = list["topics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        if names == [visible.as_str()] {
            assert_eq!(list["limited_by_authorization"], true, "{list}");
            break;
        }
        assert!(names.is_empty(), "{list}");
        assert!(std::time::Instant::now() < until, "{list}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert_eq!(reader(&["topic", &hidden]).status.code(), Some(9));

    // Delete: without a filter refused; the plan; exactly the one read ACL goes; undone.
    assert_eq!(admin(&["acls", "delete"]).status.code(), Some(2));
    let delete = [
        "acls",
        "delete",
        "--principal",
        &principal,
        "--operation",
        "read",
    ];
    let out = admin(&[&delete[..], &["-o", "json"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["acls"].as_array().unwrap().len(), 1);
    assert_eq!(listed(&[]), 2);
    let out = admin(&[&delete[..], &["--execute", "-o", "json"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let deleted_undo = json(&out)["undo_file"].as_str().unwrap().to_string();
    assert_eq!(listed(&[]), 1);
    assert_eq!(listed(&["--operation", "describe"]), 1);
    let out = admin(&["acls", "create", "--from-file", &deleted_undo, "--execute"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(listed(&[]), 2);
    // The create's undo file deletes exactly what it created.
    let out = admin(&["acls", "delete", "--from-file", &created_undo, "--execute"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(listed(&[]), 0);
}

/// The cluster with an authorizer, shared by the tests of this file that need it: started (or
/// reused) by the first, stopped when the last one ends (also when it panics).
struct Authorized(Kafka);

static AUTHORIZED_USERS: std::sync::Mutex<usize> = std::sync::Mutex::new(0);

fn authorized() -> Authorized {
    let mut users = AUTHORIZED_USERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let k = start_authorized("ops-acl");
    *users += 1;
    Authorized(k)
}

impl std::ops::Deref for Authorized {
    type Target = Kafka;
    fn deref(&self) -> &Kafka {
        &self.0
    }
}

impl Drop for Authorized {
    fn drop(&mut self) {
        let mut users = AUTHORIZED_USERS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *users -= 1;
        if *users == 0 {
            drop(common::faults::StopOnDrop::new("ops-acl"));
        }
    }
}

/// One `acls create` of a valid ACL and one the broker refuses (a cluster ACL must name
/// `kafka-cluster`): exit 7, the JSON names the refused ACL and the broker's reason, the other
/// is created and listed, the audit says `partial`, and the undo file removes what was made.
#[test]
fn an_acl_create_the_broker_partly_refuses_is_partial_and_names_the_refused_acl() {
    let k = authorized();
    let data = tempfile::tempdir().unwrap();
    let admin = |args: &[&str]| {
        let mut c = kscope(&k);
        c.env("KSCOPE_DATA_DIR", data.path()).args(args);
        c.output().unwrap()
    };
    let principal = format!("User:{}", unique("partial"));
    let acl = |resource_type: &str, resource: &str| {
        serde_json::json!({
            "resource_type": resource_type, "resource_name": resource, "pattern_type": "literal",
            "principal": principal, "host": "*", "operation": "describe", "permission": "allow",
        })
    };
    let wanted = data.path().join("wanted.json");
    std::fs::write(
        &wanted,
        serde_json::json!({
            "kind": "kscope-acls",
            "acls": [acl("topic", "orders"), acl("cluster", "not-the-cluster")],
        })
        .to_string(),
    )
    .unwrap();
    let wanted = wanted.to_str().unwrap();
    let listed = || {
        let out = admin(&["acls", "--principal", &principal, "-o", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        json(&out)["acls"].clone()
    };

    // The plan: both would be created.
    let out = admin(&["acls", "create", "--from-file", wanted, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["acls"].as_array().unwrap().len(), 2);

    let out = admin(&[
        "acls",
        "create",
        "--from-file",
        wanted,
        "--execute",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 of 2 ACL(s) failed"),
        "{}",
        stderr(&out)
    );
    let report = json(&out);
    assert_eq!(report["executed"], true, "{report}");
    let acls = report["acls"].as_array().unwrap();
    let of = |t: &str| acls.iter().find(|a| a["resource_type"] == t).unwrap();
    assert_eq!(of("topic")["error"], serde_json::Value::Null, "{report}");
    let why = of("cluster")["error"].as_str().unwrap_or_default();
    assert!(
        why.contains("The only valid name for the CLUSTER resource is kafka-cluster"),
        "the refused ACL names the broker's reason: {report}"
    );
    // And Kafka's name for the error, as operators look it up.
    assert!(why.contains("INVALID_REQUEST: "), "{report}");
    let now = listed();
    assert_eq!(now.as_array().unwrap().len(), 1, "{now}");
    assert_eq!(now[0]["resource_type"], "topic", "{now}");
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "acls-create");
    assert_eq!(last["result"], "partial", "{last}");

    // Again: the valid one exists now, only the refused one is sent. Nothing changes: a
    // failure (exit 1), not a partial result; the table says which exists and why the other
    // failed.
    let out = admin(&["acls", "create", "--from-file", wanted, "--execute"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no ACL was changed"),
        "{}",
        stderr(&out)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("exists") && text.contains("failed: ") && text.contains("kafka-cluster"),
        "{text}"
    );
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["result"], "failed", "{last}");

    // The first execute's undo file deletes what it created.
    let undo = report["undo_file"].as_str().unwrap();
    let out = admin(&["acls", "delete", "--from-file", undo, "--execute"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(listed(), serde_json::json!([]));
}

/// Without an authorizer: `kscope acls` says there are none to list (exit 5), and listings
/// carry no authorization note.
#[test]
fn without_an_authorizer_acls_are_unsupported_and_lists_are_not_marked() {
    let k = kafka();
    let out = kscope(k).args(["acls"]).output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("no authorizer"), "{}", stderr(&out));
    let out = kscope(k).args(["topics", "-o", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(json(&out).get("limited_by_authorization").is_none());
}

/// A KIP-848 consumer group (a consumer with group.protocol=consumer): its type, the
/// coordinator's assignor and each member's target assignment next to its current one.
#[test]
fn a_kip848_consumer_group_shows_its_type_assignor_and_target_assignment() {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let k = kafka();
    let topic = unique("kip848-t");
    let group = unique("kip848");
    kscope(k)
        .args(["topic", "create", &topic, "-p", "2", "-r", "1"])
        .assert()
        .success();
    let c: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &k.bootstrap)
        .set("group.id", &group)
        .set("group.protocol", "consumer")
        .set("client.id", "kip848-client")
        .create()
        .expect("consumer");
    c.subscribe(&[&topic]).expect("subscribe");
    // Poll until the coordinator has given it both partitions and `group` shows them.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let detail = loop {
        let _ = c.poll(std::time::Duration::from_millis(200));
        let out = kscope(k)
            .args(["group", &group, "-o", "json"])
            .output()
            .unwrap();
        if out.status.code() == Some(0) {
            let d = json(&out);
            let m = &d["members"][0];
            if m["assignment"][0]["partitions"] == serde_json::json!([0, 1])
                && m["target_assignment"][0]["partitions"] == serde_json::json!([0, 1])
            {
                break d;
            }
        }
        assert!(
            std::time::Instant::now() < until,
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    };
    assert_eq!(detail["kind"], "consumer", "{detail}");
    // The server-side assignor (Kafka's group.consumer.assignors: uniform first).
    assert_eq!(detail["protocol"], "uniform", "{detail}");
    assert_eq!(detail["members"][0]["client_id"], "kip848-client");
    let out = kscope(k).args(["group", &group]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for want in [
        "Type:",
        "consumer",
        "Assignor:",
        "uniform",
        "Epochs:",
        "EPOCH",
        "TARGET",
        "(= assignment)",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    drop(c);
}

/// Kafka's own view of a KIP-848 group, read with its `kafka-consumer-groups` tool
/// (`--describe --state --verbose` and `--members --verbose`): the group epoch, the target
/// assignment epoch and each member's current epoch by member id. `None` while the tool does
/// not give them all (a group still forming).
fn kafka_epochs(k: &Kafka, group: &str) -> Option<(i64, i64, BTreeMap<String, i64>)> {
    let tool = |what: &str| {
        let out = std::process::Command::new(repo().join("scripts/kafka.sh"))
            .args([
                "tool",
                "consumer-groups",
                "--bootstrap-server",
                &k.bootstrap,
                "--describe",
                "--group",
                group,
                what,
                "--verbose",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // The tool prints fixed-width columns under a header line: a value starts where its
    // column's name does.
    fn columns(text: &str, names: &[&str]) -> Vec<Vec<String>> {
        let mut lines = text.lines().skip_while(|l| !l.starts_with("GROUP "));
        let Some(header) = lines.next() else {
            return Vec::new();
        };
        let at: Vec<usize> = names
            .iter()
            .map(|n| header.find(n).unwrap_or_else(|| panic!("{n}: {text}")))
            .collect();
        lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                at.iter()
                    .map(|&o| {
                        l.get(o..)
                            .and_then(|v| v.split_whitespace().next())
                            .unwrap_or("")
                            .to_string()
                    })
                    .collect()
            })
            .collect()
    }
    let state = columns(
        &tool("--state"),
        &["GROUP-EPOCH", "TARGET-ASSIGNMENT-EPOCH"],
    );
    let row = state.first()?;
    let group_epoch = row[0].parse().ok()?;
    let assignment_epoch = row[1].parse().ok()?;
    let members = columns(&tool("--members"), &["CONSUMER-ID", "CURRENT-EPOCH"])
        .into_iter()
        .map(|r| Some((r[0].clone(), r[1].parse().ok()?)))
        .collect::<Option<BTreeMap<String, i64>>>()?;
    Some((group_epoch, assignment_epoch, members))
}

/// kscope's epochs of a group from `kscope group -o json`, shaped like `kafka_epochs`.
fn kscope_epochs(d: &serde_json::Value) -> Option<(i64, i64, BTreeMap<String, i64>)> {
    let members = d["members"]
        .as_array()?
        .iter()
        .map(|m| {
            Some((
                m["member_id"].as_str()?.to_string(),
                m["member_epoch"].as_i64()?,
            ))
        })
        .collect::<Option<BTreeMap<String, i64>>>()?;
    Some((
        d["group_epoch"].as_i64()?,
        d["assignment_epoch"].as_i64()?,
        members,
    ))
}

/// Polls `consumers` (each `poll` serves its heartbeats' assignments) and asks kscope about
/// `group` until `done` holds for its JSON and Kafka's own tool reports the same epochs; returns
/// that JSON.
fn epochs_agree(
    k: &Kafka,
    group: &str,
    consumers: &[&rdkafka::consumer::BaseConsumer],
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        for c in consumers {
            let _ = c.poll(std::time::Duration::from_millis(200));
        }
        let out = kscope(k)
            .args(["group", group, "-o", "json"])
            .output()
            .unwrap();
        let last = if out.status.code() == Some(0) {
            let d = json(&out);
            if done(&d) {
                let ours = kscope_epochs(&d);
                let theirs = kafka_epochs(k, group);
                if ours.is_some() && ours == theirs {
                    return d;
                }
                format!("kscope {ours:?}, kafka-consumer-groups {theirs:?}: {d}")
            } else {
                d.to_string()
            }
        } else {
            stderr(&out)
        };
        assert!(std::time::Instant::now() < until, "{last}");
    }
}

fn member<'a>(d: &'a serde_json::Value, client_id: &str) -> &'a serde_json::Value {
    d["members"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["client_id"] == client_id))
        .unwrap_or_else(|| panic!("no member {client_id}: {d}"))
}

fn epoch_of(d: &serde_json::Value, client_id: &str) -> i64 {
    member(d, client_id)["member_epoch"]
        .as_i64()
        .unwrap_or_else(|| panic!("{client_id} has no epoch: {d}"))
}

/// KIP-848 epochs as Kafka's own tool reports them: positive, growing when a member joins and
/// when one leaves, and a member that has not yet given up a partition the new target
/// assignment moves (it is not polled, so it cannot revoke) stays below the target assignment
/// epoch and is marked so. A classic group has none.
#[test]
fn kip848_member_epochs_are_kafkas_and_grow_as_members_join_and_leave() {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let k = kafka();
    let topic = unique("epoch-t");
    let group = unique("epoch");
    kscope(k)
        .args(["topic", "create", &topic, "-p", "2", "-r", "1"])
        .assert()
        .success();
    let consumer = |client_id: &str, protocol: &str, group: &str| -> BaseConsumer {
        let c: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &k.bootstrap)
            .set("group.id", group)
            .set("group.protocol", protocol)
            .set("client.id", client_id)
            .create()
            .expect("consumer");
        c.subscribe(&[&topic]).expect("subscribe");
        c
    };
    let owns = |d: &serde_json::Value, client_id: &str, n: usize| {
        let m = member(d, client_id);
        let count = |a: &serde_json::Value| {
            a.as_array().map_or(0, |ts| {
                ts.iter()
                    .map(|t| t["partitions"].as_array().map_or(0, Vec::len))
                    .sum::<usize>()
            })
        };
        count(&m["assignment"]) == n && m["target_assignment"] == m["assignment"]
    };
    let reconciled = |d: &serde_json::Value| {
        d["members"].as_array().is_some_and(|ms| {
            ms.iter()
                .all(|m| m["member_epoch"] == d["assignment_epoch"])
        })
    };

    // One member owning both partitions, reconciled.
    let first = consumer("epoch-first", "consumer", &group);
    let d1 = epochs_agree(k, &group, &[&first], |d| {
        d["members"].as_array().is_some_and(|m| m.len() == 1)
            && owns(d, "epoch-first", 2)
            && reconciled(d)
    });
    let e1 = epoch_of(&d1, "epoch-first");
    assert!(e1 > 0, "{d1}");
    assert_eq!(d1["group_epoch"], d1["assignment_epoch"], "{d1}");

    // A second member joins while the first is not polled: the coordinator moves a partition
    // to the second, but the first cannot revoke it, so it stays at its epoch, below the new
    // target assignment epoch.
    let second = consumer("epoch-second", "consumer", &group);
    let d2 = epochs_agree(k, &group, &[&second], |d| {
        d["members"].as_array().is_some_and(|m| m.len() == 2)
            && d["assignment_epoch"].as_i64().is_some_and(|a| a > e1)
            && d["members"][0]["member_epoch"].is_i64()
            && d["members"][1]["member_epoch"].is_i64()
            && epoch_of(d, "epoch-second") == d["assignment_epoch"].as_i64().unwrap_or(-1)
    });
    assert_eq!(epoch_of(&d2, "epoch-first"), e1, "not polled: {d2}");
    let a2 = d2["assignment_epoch"].as_i64().unwrap();
    let out = kscope(k).args(["group", &group]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for want in [
        format!("{e1} (< {a2})"),
        "Note: EPOCH (< N)".to_string(),
        format!("target assignment {a2}"),
    ] {
        assert!(text.contains(&want), "{want}: {text}");
    }

    // Polled again, the first gives the partition up and catches up.
    let d3 = epochs_agree(k, &group, &[&first, &second], |d| {
        d["members"].as_array().is_some_and(|m| m.len() == 2)
            && owns(d, "epoch-first", 1)
            && owns(d, "epoch-second", 1)
            && reconciled(d)
    });
    let e3 = epoch_of(&d3, "epoch-first");
    assert!(e3 > e1, "{e1} then {d3}");

    // The second leaves: the group epoch grows again and the first, alone, takes both.
    drop(second);
    let d4 = epochs_agree(k, &group, &[&first], |d| {
        d["members"].as_array().is_some_and(|m| m.len() == 1)
            && owns(d, "epoch-first", 2)
            && reconciled(d)
    });
    let e4 = epoch_of(&d4, "epoch-first");
    assert!(e4 > e3, "{e3} then {d4}");
    assert!(
        d4["group_epoch"].as_i64() > d3["group_epoch"].as_i64(),
        "{d3} then {d4}"
    );
    eprintln!(
        "member epochs of the first member: alone {e1}, held while the second joined {e1} \
         (target assignment {a2}), caught up {e3}, alone again {e4}; group epochs {} {} {} {}",
        d1["group_epoch"], d2["group_epoch"], d3["group_epoch"], d4["group_epoch"]
    );
    drop(first);

    // A classic group: no epochs in JSON, no epoch column or line in the table.
    let classic_group = unique("epoch-classic");
    let classic = consumer("epoch-classic", "classic", &classic_group);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let d = loop {
        let _ = classic.poll(std::time::Duration::from_millis(200));
        let out = kscope(k)
            .args(["group", &classic_group, "-o", "json"])
            .output()
            .unwrap();
        if out.status.code() == Some(0) {
            let d = json(&out);
            if d["members"].as_array().is_some_and(|m| m.len() == 1) {
                break d;
            }
        }
        assert!(std::time::Instant::now() < until, "{}", stderr(&out));
    };
    assert_eq!(d["kind"], "classic", "{d}");
    assert!(
        d["group_epoch"].is_null() && d["assignment_epoch"].is_null(),
        "{d}"
    );
    assert!(d["members"][0]["member_epoch"].is_null(), "{d}");
    let out = kscope(k).args(["group", &classic_group]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !text.contains("EPOCH") && !text.contains("Epochs:"),
        "{text}"
    );
    drop(classic);
}

/// A KIP-932 share group (made by Kafka's own share consumer) is listed with its type and the
/// plain statement that this client cannot describe it, never left out; asked about by name,
/// it is named as a share group (exit 5), not "unknown".
#[test]
fn share_groups_are_listed_with_their_type() {
    let k = kafka();
    let topic = unique("share-t");
    let group = unique("share-g");
    kscope(k)
        .args(["topic", "create", &topic, "-p", "1", "-r", "1"])
        .assert()
        .success();
    let out = std::process::Command::new(repo().join("scripts/kafka.sh"))
        .args([
            "tool",
            "org.apache.kafka.tools.consumer.ConsoleShareConsumer",
            "--bootstrap-server",
            &k.bootstrap,
            "--topic",
            &topic,
            "--group",
            &group,
            "--timeout-ms",
            "3000",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Processed a total of 0 messages"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kscope(k).args(["groups", "-o", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = json(&out);
    let row = list["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == group.as_str())
        .unwrap_or_else(|| panic!("share group {group} not listed: {list}"))
        .clone();
    assert_eq!(row["kind"], "share", "{row}");
    assert_eq!(
        row["error"], "share groups: not describable with this client",
        "{row}"
    );
    let out = kscope(k).args(["groups"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("note: share groups: not describable with this client"),
        "{text}"
    );
    let out = kscope(k).args(["group", &group]).output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is a share group"),
        "{}",
        stderr(&out)
    );
    // Leave the shared cluster as it was.
    let _ = std::process::Command::new(repo().join("scripts/kafka.sh"))
        .args([
            "tool",
            "share-groups",
            "--bootstrap-server",
            &k.bootstrap,
            "--delete",
            "--group",
            &group,
        ])
        .output();
}

/// A broker id the cluster does not have is named (exit 3), not waited for.
#[test]
fn an_unknown_broker_is_not_found() {
    let k = kafka();
    let out = kscope(k)
        .args(["broker", "99", "configs"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unknown broker 99"),
        "{}",
        stderr(&out)
    );
}
