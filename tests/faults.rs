//! A broker goes away: kscope reports the under-replicated partitions and the missing broker,
//! as the remaining brokers say. Runs on a three-broker cluster of its own, stopped afterwards.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

struct StopCluster(&'static str);

impl Drop for StopCluster {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("scripts/kafka.sh"))
            .args(["stop", "--name", self.0])
            .status();
    }
}

#[test]
fn a_broker_down_shows_under_replicated_partitions() {
    let _cleanup = StopCluster("faults");
    let k = start("faults", 3);
    let topic = unique("fault");
    kscope(&k)
        .args(["topic", "create", &topic, "-p", "6", "-r", "3"])
        .assert()
        .success();
    let out = kscope(&k)
        .args(["topic", &topic, "-o", "json"])
        .output()
        .unwrap();
    let v = json(&out);
    assert!(v["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["under_replicated"] == false));

    // Stop the third broker.
    let victim = *k.pids.last().expect("broker pids");
    assert!(Command::new("kill")
        .arg(victim.to_string())
        .status()
        .unwrap()
        .success());

    let deadline = Instant::now() + Duration::from_secs(90);
    let (cluster, detail) = loop {
        let c = json(&kscope(&k).args(["cluster", "-o", "json"]).output().unwrap());
        let t = json(
            &kscope(&k)
                .args(["topic", &topic, "-o", "json"])
                .output()
                .unwrap(),
        );
        let urp = t["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["under_replicated"] == true)
            .count();
        if c["brokers"].as_array().unwrap().len() == 2 && urp == 6 {
            break (c, t);
        }
        assert!(
            Instant::now() < deadline,
            "the lost broker never showed: {c}\n{t}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(
        cluster["under_replicated_partitions"].as_u64().unwrap() >= 6,
        "{cluster}"
    );
    assert_eq!(
        cluster["offline_partitions"], 0,
        "two of three replicas remain: {cluster}"
    );
    for p in detail["partitions"].as_array().unwrap() {
        assert_eq!(p["replicas"].as_array().unwrap().len(), 3, "{p}");
        assert_eq!(p["isr"].as_array().unwrap().len(), 2, "{p}");
        assert!(p["leader"].as_i64().is_some(), "{p}");
    }
    // The table says so too.
    let out = kscope(&k).args(["topics", &topic]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().nth(1).unwrap().split_whitespace().nth(4) == Some("6"),
        "{text}"
    );
}
