//! kscope's subcommands against a real Apache Kafka broker (KRaft), started by
//! `scripts/kafka.sh`. Every test uses its own topic and group names.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

#[test]
fn cluster_reports_id_controller_and_brokers() {
    let k = kafka();
    let out = kscope(k).args(["cluster", "-o", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert!(
        v["cluster_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{v}"
    );
    let brokers = v["brokers"].as_array().unwrap();
    assert_eq!(brokers.len(), 1);
    // KRaft: the controller a client is told of is not the active controller, so none is shown.
    assert_eq!(v["kraft"], true, "{v}");
    assert!(v["controller_id"].is_null(), "{v}");
    assert_eq!(v["complete"], true, "{v}");
    assert_eq!(brokers[0]["host"], "127.0.0.1");
    assert!(brokers[0]["port"].as_u64().unwrap() > 0);
    assert_eq!(v["offline_partitions"], 0);
    assert!(v["topic_count"].as_u64().is_some());
}

#[tokio::test]
async fn topic_create_describe_list_and_delete() {
    let k = kafka();
    let topic = unique("life");
    let out = kscope(k)
        .args([
            "topic",
            "create",
            &topic,
            "--partitions",
            "3",
            "--replication-factor",
            "1",
        ])
        .args(["--config", "retention.ms=3600000", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["created"], topic.as_str());

    // Creating it again is a clear error.
    let out = kscope(k)
        .args(["topic", "create", &topic])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));

    produce(
        k,
        &topic,
        &[
            (0, None, b"a", None),
            (0, None, b"b", None),
            (2, None, b"c", None),
        ],
    )
    .await;

    let out = kscope(k)
        .args(["topic", &topic, "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    let parts = v["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0]["partition"], 0);
    assert_eq!(parts[0]["low_watermark"], 0);
    assert_eq!(parts[0]["high_watermark"], 2);
    assert_eq!(parts[0]["messages"], 2);
    assert_eq!(parts[1]["messages"], 0);
    assert_eq!(parts[2]["messages"], 1);
    assert_eq!(parts[0]["replicas"].as_array().unwrap().len(), 1);
    assert_eq!(parts[0]["isr"], parts[0]["replicas"]);
    assert_eq!(parts[0]["under_replicated"], false);
    let configs = v["configs"].as_array().unwrap();
    let find = |name: &str| {
        configs
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(find("retention.ms")["value"], "3600000");
    assert_eq!(find("retention.ms")["source"], "topic");
    assert_eq!(find("cleanup.policy")["value"], "delete");
    assert_ne!(find("min.insync.replicas"), Value::Null);
    assert!(v["configs_error"].is_null());

    // The table shows the key configs with their source.
    let out = kscope(k).args(["topic", &topic]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("retention.ms") && text.contains("3600000") && text.contains("topic"),
        "{text}"
    );

    let out = kscope(k)
        .args(["topics", &topic, "-o", "jsonl"])
        .output()
        .unwrap();
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["name"], topic.as_str());
    assert_eq!(rows[0]["partitions"], 3);
    assert_eq!(rows[0]["messages"], 3);

    // Delete asks for --yes and changes nothing without it.
    let out = kscope(k)
        .args(["topic", "delete", &topic])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    kscope(k).args(["topic", &topic]).assert().success();
    let out = kscope(k)
        .args(["topic", "delete", &topic, "--yes", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["messages"], 3);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = kscope(k).args(["topic", &topic]).output().unwrap();
        if out.status.code() == Some(3) {
            assert!(stderr(&out).contains(&format!("unknown topic '{topic}'")));
            break;
        }
        assert!(Instant::now() < deadline, "topic still there after delete");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn internal_topics_only_with_flag() {
    let k = kafka();
    // A group commit makes sure __consumer_offsets exists.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let topic = unique("internal");
    rt.block_on(create_topic(k, &topic, 1, 1));
    rt.block_on(produce(k, &topic, &[(0, None, b"x", None)]));
    drop(consume_and_commit(k, &unique("g-internal"), &topic, 1));
    let names = |args: &[&str]| -> Vec<String> {
        let out = kscope(k)
            .args(["topics", "-o", "json"])
            .args(args)
            .output()
            .unwrap();
        json(&out)["topics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!names(&[]).iter().any(|n| n == "__consumer_offsets"));
    assert!(names(&["--internal"])
        .iter()
        .any(|n| n == "__consumer_offsets"));
}

#[tokio::test]
async fn produce_then_tail_back_byte_exact() {
    let k = kafka();
    let topic = unique("roundtrip");
    create_topic(k, &topic, 2, 1).await;

    // Keys, headers, partitions, and awkward bytes (NUL, ESC, invalid UTF-8) in values.
    let out = kscope(k)
        .args([
            "produce",
            &topic,
            "--key",
            "k1",
            "-H",
            "source=test",
            "-H",
            "trace=abc",
            "--partition",
            "1",
            "-o",
            "jsonl",
        ])
        .write_stdin("first\nsecond\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let deliveries = json_lines(&out);
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0]["partition"], 1);
    assert_eq!(deliveries[0]["offset"], 0);
    assert_eq!(deliveries[1]["offset"], 1);

    let binary: &[u8] = b"\x00\x1b[2J\xff\xfe bin";
    produce(k, &topic, &[(0, Some(b"bk"), binary, None)]).await;

    // JSON lines carry everything, including the headers and the encoding used.
    let out = kscope(k)
        .args([
            "tail",
            &topic,
            "--from",
            "beginning",
            "-o",
            "jsonl",
            "-p",
            "1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["key"], "k1");
    assert_eq!(recs[0]["value"], "first");
    assert_eq!(recs[1]["value"], "second");
    assert_eq!(recs[0]["partition"], 1);
    assert_eq!(recs[0]["offset"], 0);
    assert_eq!(recs[0]["timestamp_type"], "create");
    assert!(recs[0]["timestamp"].as_i64().unwrap() > 1_600_000_000_000);
    assert_eq!(recs[0]["headers"][0]["key"], "source");
    assert_eq!(recs[0]["headers"][0]["value"], "test");
    assert_eq!(recs[0]["headers"][1]["key"], "trace");

    // Raw bytes into a pipe are exact.
    let out = kscope(k)
        .args([
            "tail",
            &topic,
            "--from",
            "beginning",
            "-p",
            "0",
            "--value-as",
            "raw",
            "--format",
            "%v",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut expected = binary.to_vec();
    expected.push(b'\n');
    assert_eq!(out.stdout, expected);

    // JSON output of bytes that are not UTF-8 falls back to base64, losing nothing.
    let out = kscope(k)
        .args([
            "tail",
            &topic,
            "--from",
            "beginning",
            "-p",
            "0",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let v = json(&out);
    assert_eq!(v[0]["value_encoding"], "base64");
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(v[0]["value"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, binary);

    // hex and a kcat-style format.
    let out = kscope(k)
        .args([
            "tail",
            &topic,
            "--from",
            "beginning",
            "-p",
            "0",
            "--value-as",
            "hex",
            "--format",
            "%t|%p|%o|%k|%v|%K|%S",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "{topic}|0|0|bk|{}|2|{}\n",
            hex::encode(binary),
            binary.len()
        )
    );
}

#[tokio::test]
async fn tail_start_positions_limits_and_filters() {
    let k = kafka();
    let topic = unique("positions");
    create_topic(k, &topic, 1, 1).await;
    // An hour ago: recent enough that retention (7 days) never deletes them mid-test.
    let base = chrono::Utc::now().timestamp_millis() / 1000 * 1000 - 3_600_000;
    let values: Vec<String> = (0..10)
        .map(|i| {
            format!(
                "{{\"n\":{i},\"kind\":\"{}\"}}",
                if i % 2 == 0 { "even" } else { "odd" }
            )
        })
        .collect();
    let keys: Vec<String> = (0..10).map(|i| format!("key-{i}")).collect();
    let records: Vec<TestRecord<'_>> = (0..10)
        .map(|i| {
            (
                0,
                Some(keys[i].as_bytes()),
                values[i].as_bytes(),
                Some(base + i as i64 * 60_000),
            )
        })
        .collect();
    produce(k, &topic, &records).await;

    let offsets = |args: &[&str]| -> Vec<i64> {
        let out = kscope(k)
            .args(["tail", &topic, "-o", "jsonl"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{:?}: {}", args, stderr(&out));
        json_lines(&out)
            .iter()
            .map(|r| r["offset"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        offsets(&["--from", "beginning"]),
        (0..10).collect::<Vec<_>>()
    );
    assert_eq!(offsets(&["--from", "-3"]), vec![7, 8, 9]);
    assert_eq!(
        offsets(&[]),
        (0..10).collect::<Vec<_>>(),
        "default is the last 10"
    );
    assert_eq!(offsets(&["--from", "5", "--max", "2"]), vec![5, 6]);
    assert_eq!(offsets(&["--from", "end"]), Vec::<i64>::new());
    assert_eq!(
        offsets(&["--from", "beginning", "--until", "end"]).len(),
        10
    );
    // Event time: the record at base + 4 min is offset 4.
    let at = chrono::DateTime::from_timestamp_millis(base + 4 * 60_000)
        .unwrap()
        .to_rfc3339();
    assert_eq!(
        offsets(&["--from", &format!("@{at}")]),
        vec![4, 5, 6, 7, 8, 9]
    );
    assert_eq!(
        offsets(&["--from", &format!("@{}", base + 7 * 60_000 - 1)]),
        vec![7, 8, 9]
    );
    // Long after the last record: nothing.
    assert_eq!(offsets(&["--from", "@-1m"]), Vec::<i64>::new());
    // Filters on key, value and with negation.
    assert_eq!(
        offsets(&["--from", "beginning", "--filter", "key=key-3"]),
        vec![3]
    );
    assert_eq!(
        offsets(&["--from", "beginning", "--filter", "value~\"kind\":\"odd\""]),
        vec![1, 3, 5, 7, 9]
    );
    assert_eq!(
        offsets(&[
            "--from",
            "beginning",
            "--filter",
            "value!~odd",
            "--max",
            "2"
        ]),
        vec![0, 2]
    );
    // JSON decoding embeds the value.
    let out = kscope(k)
        .args([
            "tail",
            &topic,
            "--from",
            "-1",
            "-o",
            "jsonl",
            "--value-as",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(json_lines(&out)[0]["value"]["n"], 9);

    // An offset beyond every partition's end is a usage error naming the range.
    let out = kscope(k)
        .args(["tail", &topic, "--from", "99"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("offset 99") && stderr(&out).contains("[0, 10]"),
        "{}",
        stderr(&out)
    );
    // An unknown partition is named.
    let out = kscope(k)
        .args(["tail", &topic, "-p", "7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("no partition 7"), "{}", stderr(&out));
}

#[tokio::test]
async fn tail_follow_sees_new_records_and_stops_at_max() {
    let k = kafka();
    let topic = unique("follow");
    create_topic(k, &topic, 1, 1).await;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kscope"))
        .args([
            "-b",
            &k.bootstrap,
            "tail",
            &topic,
            "--follow",
            "--from",
            "end",
            "--max",
            "2",
            "--format",
            "%v",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Give the tail time to assign at the end before producing.
    tokio::time::sleep(Duration::from_secs(2)).await;
    produce(
        k,
        &topic,
        &[
            (0, None, b"one", None),
            (0, None, b"two", None),
            (0, None, b"three", None),
        ],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "tail --follow --max 2 did not stop"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut out = String::new();
    use std::io::Read;
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, "one\ntwo\n");
}

/// A followed topic that is deleted ends the tail with "no longer exists" (exit 3), once
/// librdkafka gives the deletion time to reach every broker (`topic.metadata.propagation.max.ms`,
/// 30 s by default); records read in batches must not hide that error.
#[tokio::test]
async fn tail_follow_ends_when_its_topic_is_deleted() {
    let k = kafka();
    let topic = unique("deleted");
    create_topic(k, &topic, 2, 1).await;
    produce(k, &topic, &[(0, None, b"one", None)]).await;
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kscope"))
        .args([
            "-b",
            &k.bootstrap,
            "tail",
            &topic,
            "--follow",
            "--from",
            "beginning",
            "--format",
            "%v",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let client =
        kscope::kafka::KafkaClient::new(kscope::config::ConnectionSettings::plain(&k.bootstrap))
            .unwrap();
    client.delete_topic(&topic).await.unwrap();
    let pid = child.id();
    let waiter = std::thread::spawn(move || child.wait_with_output().unwrap());
    let deadline = Instant::now() + Duration::from_secs(90);
    while !waiter.is_finished() {
        if Instant::now() > deadline {
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("the tail did not end after its topic was deleted");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = waiter.join().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "one\n");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("topic '{topic}' no longer exists")),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn group_lag_matches_what_was_produced_and_committed() {
    let k = kafka();
    let topic = unique("lag");
    let group = unique("g-lag");
    create_topic(k, &topic, 2, 1).await;
    let recs: Vec<TestRecord<'_>> = (0..10)
        .map(|i| (i % 2, None, b"v".as_slice(), None))
        .collect();
    produce(k, &topic, &recs).await;

    // Read 6 of 10 and commit: lag 4. The consumer stays in the group for now.
    let consumer = consume_and_commit(k, &group, &topic, 6);
    let out = kscope(k)
        .args(["group", &group, "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["group"], group.as_str());
    assert_eq!(v["total_lag"], 4);
    let parts = v["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    let committed: i64 = parts.iter().map(|p| p["committed"].as_i64().unwrap()).sum();
    assert_eq!(committed, 6);
    for p in parts {
        assert_eq!(p["log_end"], 5);
        assert_eq!(p["log_start"], 0);
        assert_eq!(
            p["lag"].as_i64().unwrap(),
            5 - p["committed"].as_i64().unwrap()
        );
    }
    // An active member is shown with its client id and assignment.
    assert_eq!(v["state"], "Stable");
    let members = v["members"].as_array().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["client_id"], format!("{group}-client"));
    assert_eq!(members[0]["assignment"][0]["topic"], topic.as_str());
    assert_eq!(parts[0]["client_id"], format!("{group}-client"));
    assert!(v["coordinator"]["id"].as_i64().is_some());

    // `kscope groups` lists it with the same total.
    let out = kscope(k).args(["groups", "-o", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let list = json(&out);
    assert_eq!(list["complete"], true, "{list}");
    let row = list["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == group.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["total_lag"], 4);
    assert_eq!(row["members"], 1);
    assert_eq!(row["state"], "Stable");

    // The topic lists the group that reads it.
    let out = kscope(k)
        .args(["topic", &topic, "-o", "json"])
        .output()
        .unwrap();
    assert!(json(&out)["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g == group.as_str()));

    // After the member leaves, the group still shows its committed offsets and lag.
    drop(consumer);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = kscope(k)
            .args(["group", &group, "-o", "json"])
            .output()
            .unwrap();
        let v = json(&out);
        if v["state"] == "Empty" {
            assert_eq!(v["members"].as_array().unwrap().len(), 0);
            assert_eq!(v["total_lag"], 4);
            assert!(v["partitions"][0]["client_id"].is_null());
            break;
        }
        assert!(Instant::now() < deadline, "group never became Empty: {v}");
        std::thread::sleep(Duration::from_millis(300));
    }
    // --topic filters partitions; an unknown topic is an error.
    let out = kscope(k)
        .args(["group", &group, "--topic", &topic, "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(json(&out)["partitions"].as_array().unwrap().len(), 2);
    let out = kscope(k)
        .args(["group", &group, "--topic", "no-such-topic-x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn unknown_group_is_not_found() {
    let k = kafka();
    let out = kscope(k)
        .args(["group", &unique("nobody")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[tokio::test]
async fn every_compression_codec_round_trips() {
    let k = kafka();
    for codec in ["gzip", "snappy", "lz4", "zstd"] {
        let topic = unique(&format!("codec-{codec}"));
        create_topic(k, &topic, 1, 1).await;
        let out = kscope(k)
            .args([
                "produce",
                &topic,
                "-X",
                &format!("compression.codec={codec}"),
            ])
            .write_stdin("alpha\nbeta\ngamma\n")
            .output()
            .unwrap();
        assert!(out.status.success(), "{codec}: {}", stderr(&out));
        let out = kscope(k)
            .args(["tail", &topic, "--from", "beginning", "--format", "%v"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{codec}: {}", stderr(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "alpha\nbeta\ngamma\n",
            "{codec}"
        );
    }
}

#[tokio::test]
async fn produce_acks_modes_and_key_separator() {
    let k = kafka();
    let topic = unique("acks");
    create_topic(k, &topic, 1, 1).await;
    for acks in ["0", "1", "all"] {
        let out = kscope(k)
            .args([
                "produce", &topic, "--acks", acks, "--value", acks, "-o", "json",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "acks={acks}: {}", stderr(&out));
        let d = json(&out);
        assert_eq!(d["partition"], 0);
        if acks == "0" {
            assert!(d["offset"].is_null(), "acks=0 cannot know the offset: {d}");
        } else {
            assert!(d["offset"].as_i64().is_some(), "{d}");
        }
    }
    let out = kscope(k)
        .args(["produce", &topic, "--key-separator", ":"])
        .write_stdin("a:1\nb:2\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = kscope(k)
        .args(["tail", &topic, "--from", "-2", "--format", "%k=%v"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a=1\nb=2\n");
    let out = kscope(k)
        .args(["tail", &topic, "--from", "beginning", "--format", "%v"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0\n1\nall\n1\n2\n");
}

#[test]
fn mutations_are_refused_when_read_only() {
    let k = kafka();
    let topic = unique("ro");
    for args in [
        vec!["produce", topic.as_str(), "--value", "x"],
        vec!["topic", "create", topic.as_str()],
        vec!["topic", "delete", topic.as_str(), "--yes"],
    ] {
        let out = kscope(k).arg("--read-only").args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    }
    // The environment variable works too.
    let out = kscope(k)
        .env("KSCOPE_READ_ONLY", "true")
        .args(["produce", &topic, "--value", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    // Nothing was created.
    kscope(k).args(["topic", &topic]).assert().code(3);
}

#[test]
fn bad_input_gets_one_line_and_its_exit_code() {
    let k = kafka();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["tail", "no-such-topic-anywhere"],
            3,
            "unknown topic 'no-such-topic-anywhere'",
        ),
        (vec!["topic", "no-such-topic-anywhere"], 3, "unknown topic"),
        (
            vec!["produce", "no-such-topic-anywhere", "--value", "x"],
            3,
            "unknown topic",
        ),
        (
            vec!["tail", "x", "--from", "yesterday"],
            2,
            "invalid start position 'yesterday'",
        ),
        (
            vec!["tail", "x", "--filter", "body=1"],
            2,
            "invalid filter 'body=1'",
        ),
        (vec!["tail", "x", "--format", "%q"], 2, "'%q'"),
        (vec!["produce", "x", "--acks", "2"], 2, "invalid acks '2'"),
        (
            vec!["-X", "nonsense.property=1", "cluster"],
            2,
            "nonsense.property",
        ),
    ];
    for (args, code, needle) in cases {
        let out = kscope(k).args(&args).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[tokio::test]
async fn three_brokers_replicate() {
    let k = kafka3();
    let out = kscope(k).args(["cluster", "-o", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["brokers"].as_array().unwrap().len(), 3);
    let ids: Vec<i64> = v["brokers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![1, 2, 3], "{v}");
    // In KRaft mode the answer's controller changes from call to call: kscope shows none.
    assert!(v["controller_id"].is_null(), "{v}");

    let topic = unique("replicated");
    kscope(k)
        .args(["topic", "create", &topic, "-p", "3", "-r", "3"])
        .assert()
        .success();
    let out = kscope(k)
        .args(["topic", &topic, "-o", "json"])
        .output()
        .unwrap();
    let v = json(&out);
    for p in v["partitions"].as_array().unwrap() {
        let mut replicas: Vec<i64> = p["replicas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_i64().unwrap())
            .collect();
        let mut isr: Vec<i64> = p["isr"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_i64().unwrap())
            .collect();
        replicas.sort();
        isr.sort();
        assert_eq!(replicas.len(), 3, "{p}");
        assert_eq!(isr, replicas, "{p}");
        assert!(replicas.contains(&p["leader"].as_i64().unwrap()));
        assert_eq!(p["under_replicated"], false);
    }
    let out = kscope(k)
        .args(["topics", &topic, "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(json(&out)["topics"][0]["replication_factor"], 3);
}

fn secure_args(k: &Kafka, password: &str) -> Vec<String> {
    vec![
        "-b".into(),
        k.secure_bootstrap.clone(),
        "-X".into(),
        "security.protocol=SASL_SSL".into(),
        "-X".into(),
        "sasl.mechanisms=SCRAM-SHA-512".into(),
        "-X".into(),
        format!("sasl.username={}", k.user),
        "-X".into(),
        format!("sasl.password={password}"),
        "-X".into(),
        format!("ssl.ca.location={}", k.ca),
    ]
}

#[tokio::test]
async fn tls_and_scram_listener() {
    let k = kafka();
    let topic = unique("secure");
    create_topic(k, &topic, 1, 1).await;
    produce(k, &topic, &[(0, Some(b"k"), b"over tls", None)]).await;

    // -X properties as kcat takes them.
    let out = kscope_bare()
        .args(secure_args(k, &k.password))
        .args(["cluster", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["brokers"].as_array().unwrap().len(), 1);
    let out = kscope_bare()
        .args(secure_args(k, &k.password))
        .args(["tail", &topic, "--from", "beginning", "--format", "%k %v"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "k over tls\n",
        "{}",
        stderr(&out)
    );

    // A Java client properties file, as Kafka's own tools take it.
    let dir = tempfile::tempdir().unwrap();
    let props = dir.path().join("client.properties");
    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={}\nsecurity.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n\
             sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"{}\" password=\"{}\";\n\
             ssl.truststore.type=PEM\nssl.truststore.location={}\n",
            k.secure_bootstrap, k.user, k.password, k.ca
        ),
    )
    .unwrap();
    let out = kscope_bare()
        .args([
            "--command-config",
            props.to_str().unwrap(),
            "topic",
            &topic,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["partitions"][0]["high_watermark"], 1);

    // A context whose password comes from a command.
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "default_context = \"secure\"\n[contexts.secure]\nbootstrap = \"{}\"\npassword = {{ command = \"printf %s '{}'\" }}\n\
             [contexts.secure.properties]\n\"security.protocol\" = \"SASL_SSL\"\n\"sasl.mechanisms\" = \"SCRAM-SHA-512\"\n\
             \"sasl.username\" = \"{}\"\n\"ssl.ca.location\" = \"{}\"\n",
            k.secure_bootstrap, k.password, k.user, k.ca
        ),
    )
    .unwrap();
    let out = kscope_bare()
        .args(["--config-file", cfg.to_str().unwrap(), "cluster"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    // A wrong password fails fast with one line that never shows the password.
    let started = Instant::now();
    let out = kscope_bare()
        .args(secure_args(k, "not-the-password"))
        .args(["--timeout", "20s", "cluster"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.to_lowercase().contains("authentication"), "{err}");
    assert!(!err.contains("not-the-password"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "waited {:?} for a known failure",
        started.elapsed()
    );
}

/// Commits `offset` on partition 0 of `topic` for `group`, from outside the group.
async fn commit_at(k: &Kafka, group: &str, topic: &str, offset: i64) {
    let client =
        kscope::kafka::KafkaClient::new(kscope::config::ConnectionSettings::plain(&k.bootstrap))
            .expect("client");
    let res = client
        .alter_group_offsets(group, vec![(topic.to_string(), 0, offset)])
        .await
        .unwrap_or_else(|e| panic!("commit for {group}: {e}"));
    assert!(res.iter().all(|r| r.error.is_none()), "{res:?}");
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// What was between the two clock reads around a command: a time lag measured then lies
/// between `before - ts` and `after - ts`.
struct Timed {
    v: Value,
    before: i64,
    after: i64,
}

fn timed_json(k: &Kafka, args: &[&str]) -> Timed {
    let before = now_ms();
    let out = kscope(k).args(args).output().unwrap();
    let after = now_ms();
    assert!(out.status.success(), "{}", stderr(&out));
    Timed {
        v: json(&out),
        before,
        after,
    }
}

/// The group's detail and its row in `kscope groups`, as JSON.
fn time_lag_json(k: &Kafka, group: &str) -> (Timed, Timed) {
    let detail = timed_json(k, &["group", group, "-o", "json"]);
    let mut list = timed_json(k, &["groups", "-o", "json"]);
    list.v = list.v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == group)
        .cloned()
        .unwrap_or_else(|| panic!("{group} not listed"));
    (detail, list)
}

/// `v`'s time lag is exact and is the age of a record stamped `ts` (`None`: 0) when measured.
fn assert_age(t: &Timed, v: &Value, ts: Option<i64>, what: &str) {
    let ms = v["time_lag_ms"]
        .as_i64()
        .unwrap_or_else(|| panic!("{what}: no time_lag_ms in {v}"));
    let (lo, hi) = ts.map_or((0, 0), |ts| (t.before - ts, t.after - ts));
    assert!(
        (lo..=hi).contains(&ms),
        "{what}: time lag {ms} ms, want {lo}..={hi} ms: {v}"
    );
    assert_eq!(v["time_lag_method"], "exact", "{what}: {v}");
}

#[tokio::test]
async fn time_lag_is_now_minus_the_timestamp_of_the_next_record() {
    let k = kafka();
    let topic = unique("tl-create");
    create_topic(k, &topic, 1, 1).await;
    // Create time, chosen: record i was written (10 - i) minutes ago.
    let base = now_ms();
    let stamps: Vec<i64> = (0..10).map(|i| base - (10 - i) * 60_000).collect();
    let recs: Vec<TestRecord<'_>> = stamps
        .iter()
        .map(|ts| (0, None, b"v".as_slice(), Some(*ts)))
        .collect();
    produce(k, &topic, &recs).await;

    // A stopped group (never joined) at offset 5: its next record is 5 minutes old. No
    // history, one process: `kscope group` and `kscope groups` say so in one pass.
    let stopped = unique("g-tl-stopped");
    commit_at(k, &stopped, &topic, 5).await;
    let (d, row) = time_lag_json(k, &stopped);
    assert_age(
        &d,
        &d.v["partitions"][0],
        Some(stamps[5]),
        "group partition",
    );
    assert_eq!(d.v["partitions"][0]["time_lag_from_log_start"], false);
    assert_age(&d, &d.v, Some(stamps[5]), "group");
    assert_age(&row, &row.v, Some(stamps[5]), "groups row");
    let table = kscope(k).args(["group", &stopped]).output().unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("TIME-LAG") && text.contains("5m"), "{text}");

    // Caught up: time lag 0, exactly.
    let done = unique("g-tl-done");
    commit_at(k, &done, &topic, 10).await;
    let (d, row) = time_lag_json(k, &done);
    assert_age(&d, &d.v["partitions"][0], None, "caught-up partition");
    assert_age(&row, &row.v, None, "caught-up row");

    // Committed below the log start: the first record kept, and said so.
    let below = unique("g-tl-below");
    commit_at(k, &below, &topic, 2).await;
    {
        use rdkafka::admin::{AdminClient, AdminOptions};
        use rdkafka::client::DefaultClientContext;
        let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &k.bootstrap)
            .create()
            .expect("admin");
        let mut tpl = rdkafka::TopicPartitionList::new();
        tpl.add_partition_offset(&topic, 0, rdkafka::Offset::Offset(4))
            .unwrap();
        admin
            .delete_records(&tpl, &AdminOptions::new())
            .await
            .expect("delete records");
    }
    let (d, row) = time_lag_json(k, &below);
    let p = &d.v["partitions"][0];
    assert_eq!(p["log_start"], 4, "{p}");
    assert_age(&d, p, Some(stamps[4]), "below log start");
    assert_eq!(p["time_lag_from_log_start"], true, "{p}");
    assert_age(&row, &row.v, Some(stamps[4]), "below log start, listed");

    // The sampler behind `watch` and the console: a fresh engine's first sample is exact,
    // and a group that does not move costs no fetch on the next one.
    let client =
        kscope::kafka::KafkaClient::new(kscope::config::ConnectionSettings::plain(&k.bootstrap))
            .expect("client");
    let filter = kscope::kafka::SampleFilter {
        topics: vec![topic.clone()],
        groups: vec![stopped.clone()],
        ..Default::default()
    };
    let mut m = kscope::metrics::MetricsState::new(Default::default(), Vec::new());
    let first = client.sample(&filter).await.expect("sample");
    assert_eq!(first.record_times.len(), 1, "{:?}", first.record_times);
    assert!(first.requests.fetch >= 1, "{:?}", first.requests);
    let now = now_ms();
    m.ingest(&first, now);
    let p = &m.group_partitions(&stopped, now)[0];
    assert_eq!(
        p.lag_seconds,
        Some((now - stamps[5]) as f64 / 1000.0),
        "{p:?}"
    );
    assert_eq!(
        p.time_lag_method,
        Some(kscope::model::TimeLagMethod::Exact),
        "{p:?}"
    );
    let second = client.sample(&filter).await.expect("sample");
    assert_eq!(second.requests.fetch, 0, "{:?}", second.requests);
    assert_eq!(second.record_times, first.record_times);
    // The group moves on: the same partition is read again, at its new offset.
    commit_at(k, &stopped, &topic, 6).await;
    let third = client.sample(&filter).await.expect("sample");
    assert_eq!(third.requests.fetch, 1, "{:?}", third.requests);
    let times: Vec<(i64, i64)> = third
        .record_times
        .iter()
        .map(|r| (r.offset, r.timestamp))
        .collect();
    assert_eq!(times, [(6, stamps[6])]);
}

#[tokio::test]
async fn time_lag_of_a_log_append_time_topic_is_the_broker_s_time() {
    let k = kafka();
    let topic = unique("tl-append");
    let client =
        kscope::kafka::KafkaClient::new(kscope::config::ConnectionSettings::plain(&k.bootstrap))
            .expect("client");
    client
        .create_topic(
            &topic,
            1,
            Some(1),
            vec![(
                "message.timestamp.type".to_string(),
                "LogAppendTime".to_string(),
            )],
        )
        .await
        .expect("create topic");
    // The producer claims a day ago; the broker stamps its own time.
    let day_ago = now_ms() - 86_400_000;
    let recs: Vec<TestRecord<'_>> = (0..3)
        .map(|_| (0, None, b"v".as_slice(), Some(day_ago)))
        .collect();
    let before = now_ms();
    produce(k, &topic, &recs).await;
    let after = now_ms();
    let group = unique("g-tl-append");
    commit_at(k, &group, &topic, 1).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (d, row) = time_lag_json(k, &group);
    for (t, v, what) in [
        (&d, &d.v["partitions"][0], "log-append partition"),
        (&row, &row.v, "log-append row"),
    ] {
        let ms = v["time_lag_ms"].as_i64().unwrap_or(-1);
        // Stamped by the broker while it was produced: not the day the producer claimed.
        assert!(
            (t.before - after..=t.after - before).contains(&ms),
            "{what}: {ms} ms: {v}"
        );
        assert_eq!(v["time_lag_method"], "exact", "{what}: {v}");
    }
}
