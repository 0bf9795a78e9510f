#![allow(clippy::disallowed_macros, clippy::disallowed_methods)] // test output, not kscope output
//! librdkafka's failure paths, driven deterministically on its mock cluster: the process must
//! survive them. Each scenario runs in a child process (this test binary, re-run on one test
//! with `KSCOPE_MOCK_CHILD` set), so an abort inside librdkafka is reported as a failed test
//! with the child's output instead of killing the whole test run.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kscope::config::ConnectionSettings;
use kscope::kafka::KafkaClient;
use rdkafka::mocking::{MockCluster, MockCoordinator};

const CHILD: &str = "KSCOPE_MOCK_CHILD";

/// Runs `test` (this file's test of that name) in a child process and fails with its output
/// if it died of a signal or failed.
fn in_child(test: &str) {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot re-run the test binary");
    // Output is read on threads so that a chatty child never blocks on a full pipe.
    let read = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = read(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = read(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    // Corrupted memory can also hang the client: a child that runs too long failed too.
    let limit = Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for the child") {
            break Some(s);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = format!(
        "{}{}",
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default()
    );
    let Some(status) = status else {
        panic!("the child hung for {limit:?} and was killed:\n{text}");
    };
    assert!(
        status.signal().is_none(),
        "the process died of signal {:?} after {:?} (librdkafka aborted):\n{text}",
        status.signal(),
        started.elapsed()
    );
    assert!(status.success(), "the child failed:\n{text}");
    assert!(
        text.contains("1 passed"),
        "the child ran no test (renamed?):\n{text}"
    );
}

fn is_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// A coordinator-bound admin request (ListConsumerGroupOffsets) times out while librdkafka
/// waits for the group's coordinator to come back. Unpatched librdkafka 2.12.1 then either
/// aborted when the coordinator came back (it sent the dropped request's failure to a freed
/// object: `rd_kafka_enq_once_del_source_return: Assertion 'eonce->refcnt > 0' failed`,
/// confluentinc/librdkafka#4605; vendor/rdkafka-sys patch 0001), or never asked the returned
/// coordinator at all (its cache kept the broker object that was decommissioned when the
/// broker left the metadata; patch 0005). Which of the two happens depends on whether the
/// metadata refresh that drops the broker comes before the reconnect: both fail this test.
#[test]
fn a_timed_out_coordinator_request_survives_the_coordinator_coming_back() {
    in_child("a_timed_out_coordinator_request_survives_the_coordinator_coming_back");
    if !is_child() {
        return;
    }
    if let Ok(filter) = std::env::var("KSCOPE_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mock = MockCluster::new(3).expect("mock cluster");
    mock.create_topic("orders", 2, 3).expect("topic");
    let coordinator = 2;
    mock.coordinator(MockCoordinator::Group("billing".into()), coordinator)
        .expect("coordinator");

    let mut settings = ConnectionSettings::plain(mock.bootstrap_servers());
    settings.timeout = Duration::from_millis(1500);
    // Reconnect to the returning coordinator at once rather than after a long backoff.
    settings.set("reconnect.backoff.ms", "50");
    settings.set("reconnect.backoff.max.ms", "200");
    if let Ok(debug) = std::env::var("KSCOPE_MOCK_DEBUG") {
        settings.set("debug", debug);
    }
    let client = KafkaClient::new(settings).expect("client");
    let partitions = vec![("orders".to_string(), 0), ("orders".to_string(), 1)];
    let fetch = || {
        rt.block_on(client.committed_offsets("billing", Some(partitions.clone())))
            .map(|_| ())
    };
    // Warm: the coordinator is cached and up.
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Err(e) = fetch() {
        assert!(Instant::now() < deadline, "no answer from the mock: {e}");
        std::thread::sleep(Duration::from_millis(100));
    }

    for round in 0..3 {
        mock.broker_down(coordinator).expect("down");
        // librdkafka notices the lost connection; the cached coordinator is now down.
        std::thread::sleep(Duration::from_millis(300));
        let r = fetch();
        assert!(
            r.is_err(),
            "round {round}: an answer without the coordinator"
        );
        // The request above timed out while waiting for the coordinator; bring it back so
        // librdkafka sends the (already dropped) request to it.
        mock.broker_up(coordinator).expect("up");
        std::thread::sleep(Duration::from_secs(2));
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Err(e) = fetch() {
            assert!(
                Instant::now() < deadline,
                "round {round}: no answer after the coordinator came back: {e}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        eprintln!("round {round}: survived");
    }
}

/// ListOffsets to a leader that does not answer in time: its partitions must come back with
/// that error. Unpatched librdkafka 2.12.1 merged the failed per-leader request as nothing,
/// so they came back as offset -1001 with no error, which reads like an answer
/// (vendor/rdkafka-sys patch 0004).
#[test]
fn list_offsets_reports_a_silent_leader_per_partition() {
    in_child("list_offsets_reports_a_silent_leader_per_partition");
    if !is_child() {
        return;
    }
    use kscope::kafka::native::{list_offsets_batched, OffsetSpec};
    use rdkafka::consumer::{BaseConsumer, Consumer};

    let mock = MockCluster::new(3).expect("mock cluster");
    mock.create_topic("orders", 3, 1).expect("topic");
    for p in 0..3 {
        mock.partition_leader("orders", p, Some(p + 1))
            .expect("leader");
    }
    let settings = ConnectionSettings::plain(mock.bootstrap_servers());
    // Any handle will do for the admin call; a consumer is the one kscope's context supports.
    let handle: BaseConsumer<kscope::kafka::KscopeContext> =
        kscope::kafka::create_client(&settings, kscope::kafka::ClientRole::Tail, &[])
            .expect("client");
    let client = handle.client();
    let ask = |timeout: Duration| {
        let parts: Vec<(String, i32, OffsetSpec)> = (0..3)
            .map(|p| ("orders".to_string(), p, OffsetSpec::Latest))
            .collect();
        list_offsets_batched(client, &parts, 1000, timeout).expect("ListOffsets")
    };
    // Warm: every leader answers.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (res, _) = ask(Duration::from_secs(5));
        if res.len() == 3 && res.iter().all(|r| r.error.is_none() && r.offset == 0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no answer from the mock: {res:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The leader of partition 1 (broker 2) now answers after 5 s: too late for 1.5 s.
    mock.broker_round_trip_time(2, Duration::from_secs(5))
        .expect("rtt");
    let (res, _) = ask(Duration::from_millis(1500));
    mock.broker_round_trip_time(2, Duration::ZERO).expect("rtt");
    let by_partition = |p: i32| {
        res.iter()
            .find(|r| r.partition == p)
            .unwrap_or_else(|| panic!("partition {p} missing: {res:?}"))
    };
    for p in [0, 2] {
        let r = by_partition(p);
        assert!(r.error.is_none() && r.offset == 0, "partition {p}: {r:?}");
    }
    let silent = by_partition(1);
    assert!(
        silent.error.is_some(),
        "the silent leader's partition came back without an error: {silent:?}"
    );
}

/// A leader that refuses connections while an admin request waits for it: librdkafka must keep
/// backing off its reconnects. Unpatched librdkafka 2.12.1 reconnected in a busy loop (every
/// refused connect is a broker state change, which makes the waiting request ask for a
/// connection again, and that request cancelled the backoff): thousands of connects a second,
/// a whole CPU per process, for as long as the broker stayed away (vendor/rdkafka-sys patch
/// 0007).
#[test]
fn a_refusing_leader_is_reconnected_with_backoff() {
    in_child("a_refusing_leader_is_reconnected_with_backoff");
    if !is_child() {
        return;
    }
    use kscope::kafka::native::{list_offsets_batched, OffsetSpec};
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use std::sync::{Arc, Mutex};

    /// librdkafka's log lines, as kscope's client context forwards them to tracing.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let lines = Lines::default();
    let writer = lines.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    // Log lines reach the context when the handle's main queue is served.
    let connects_to_2 = |handle: &BaseConsumer<kscope::kafka::KscopeContext>| {
        for _ in 0..20 {
            let _ = handle.poll(Duration::from_millis(5));
        }
        let text = String::from_utf8_lossy(&lines.0.lock().unwrap()).into_owned();
        text.lines()
            .filter(|l| l.contains("/2: broker in state TRY_CONNECT connecting"))
            .count()
    };

    let mock = MockCluster::new(3).expect("mock cluster");
    mock.create_topic("orders", 3, 1).expect("topic");
    for p in 0..3 {
        mock.partition_leader("orders", p, Some(p + 1))
            .expect("leader");
    }
    let mut settings = ConnectionSettings::plain(mock.bootstrap_servers());
    settings.set("debug", "broker");
    let handle: BaseConsumer<kscope::kafka::KscopeContext> =
        kscope::kafka::create_client(&settings, kscope::kafka::ClientRole::Tail, &[])
            .expect("client");
    let client = handle.client();
    let ask = |timeout: Duration| {
        let parts: Vec<(String, i32, OffsetSpec)> = (0..3)
            .map(|p| ("orders".to_string(), p, OffsetSpec::Latest))
            .collect();
        list_offsets_batched(client, &parts, 1000, timeout).expect("ListOffsets")
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (res, _) = ask(Duration::from_secs(5));
        if res.len() == 3 && res.iter().all(|r| r.error.is_none()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no answer from the mock: {res:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Broker 2 (the leader of partition 1) now closes every connection it accepts.
    mock.broker_down(2).expect("down");
    let before = connects_to_2(&handle);
    let started = Instant::now();
    for _ in 0..2 {
        let (res, _) = ask(Duration::from_millis(1500));
        let p1 = res.iter().find(|r| r.partition == 1).expect("partition 1");
        assert!(
            p1.error.is_some(),
            "an answer from a broker that is down: {p1:?}"
        );
    }
    let attempts = connects_to_2(&handle) - before;
    if std::env::var_os("KSCOPE_MOCK_DEBUG").is_some() {
        eprintln!("{}", String::from_utf8_lossy(&lines.0.lock().unwrap()));
    }
    eprintln!(
        "{attempts} connection attempts to the refusing leader in {:?}",
        started.elapsed()
    );
    // 100 ms doubling to 2 s: about six in three seconds. The busy loop made thousands.
    assert!(
        attempts <= 20,
        "{attempts} connection attempts to a refusing broker in {:?}: no backoff",
        started.elapsed()
    );
}
