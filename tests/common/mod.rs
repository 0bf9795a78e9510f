//! Shared test fixtures: a real Apache Kafka broker started by `scripts/kafka.sh`, unique names,
//! and the kscope binary pointed at it with a clean environment.
#![allow(dead_code)]

pub mod faults;
pub mod tmux;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A running test cluster, as `scripts/kafka.sh` describes it in its env file.
#[derive(Debug, Clone)]
pub struct Kafka {
    /// The cluster's name for `scripts/kafka.sh --name`.
    pub name: String,
    pub bootstrap: String,
    pub secure_bootstrap: String,
    pub ca: String,
    pub user: String,
    pub password: String,
    /// A second SCRAM user, no super user (clusters started before it existed have none).
    pub user2: Option<String>,
    pub password2: Option<String>,
    pub libs: String,
    pub brokers: usize,
    /// The broker processes, in node order.
    pub pids: Vec<u32>,
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The single-broker cluster (started on first use; `kafka.sh start` is idempotent).
pub fn kafka() -> &'static Kafka {
    static K: OnceLock<Kafka> = OnceLock::new();
    K.get_or_init(|| start("single", 1))
}

/// The three-broker cluster for replication tests.
pub fn kafka3() -> &'static Kafka {
    static K: OnceLock<Kafka> = OnceLock::new();
    K.get_or_init(|| start("triple", 3))
}

/// Starts (or reuses) a cluster of its own, for tests that break it.
pub fn start(name: &str, brokers: usize) -> Kafka {
    start_with(name, brokers, &[])
}

/// Starts (or reuses) a cluster of its own whose brokers also get `settings` (`KEY=VALUE`
/// broker properties, e.g. `auto.create.topics.enable=true`).
pub fn start_with(name: &str, brokers: usize, settings: &[&str]) -> Kafka {
    start_cluster(name, brokers, settings, false)
}

/// Starts (or reuses) a cluster of its own with ACLs enabled (`kafka.sh start --authorizer`):
/// PLAINTEXT clients and the SCRAM user `user` are super users, `user2` is not.
pub fn start_authorized(name: &str) -> Kafka {
    start_cluster(name, 1, &[], true)
}

fn start_cluster(name: &str, brokers: usize, settings: &[&str], authorizer: bool) -> Kafka {
    let script = repo().join("scripts/kafka.sh");
    let mut args = vec![
        "start".to_string(),
        "--brokers".into(),
        brokers.to_string(),
        "--name".into(),
        name.to_string(),
    ];
    for s in settings {
        args.push("--set".into());
        args.push(s.to_string());
    }
    if authorizer {
        args.push("--authorizer".into());
    }
    let out = Command::new(&script)
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    if !out.status.success() {
        panic!(
            "Kafka ({name}, {brokers} broker(s)) could not be started, so this test cannot run.\n\
             scripts/kafka.sh said:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    read_cluster(name, brokers)
}

/// Where `scripts/kafka.sh` keeps its clusters.
pub fn state_root() -> PathBuf {
    std::env::var_os("KSCOPE_KAFKA_STATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".kafka"))
}

/// A running cluster as its env file describes it now (pids change when a node restarts).
pub fn read_cluster(name: &str, brokers: usize) -> Kafka {
    let env = parse_env(&state_root().join(name).join("env"));
    let get = |k: &str| {
        env.get(k)
            .cloned()
            .unwrap_or_else(|| panic!("{k} missing from the env file of cluster {name}"))
    };
    Kafka {
        name: name.to_string(),
        bootstrap: get("KSCOPE_TEST_BOOTSTRAP"),
        secure_bootstrap: get("KSCOPE_TEST_SECURE_BOOTSTRAP"),
        ca: get("KSCOPE_TEST_CA"),
        user: get("KSCOPE_TEST_SCRAM_USER"),
        password: get("KSCOPE_TEST_SCRAM_PASSWORD"),
        user2: env.get("KSCOPE_TEST_SCRAM_USER2").cloned(),
        password2: env.get("KSCOPE_TEST_SCRAM_PASSWORD2").cloned(),
        libs: get("KSCOPE_KAFKA_LIBS"),
        brokers,
        pids: get("KSCOPE_TEST_PIDS")
            .split(',')
            .filter_map(|p| p.trim().parse().ok())
            .collect(),
    }
}

/// The OAuth side of a cluster started with `--oauth` (`scripts/kafka.sh`): the OAUTHBEARER
/// listener and its issuer's token endpoint and clients.
#[derive(Debug, Clone)]
pub struct OAuth {
    pub bootstrap: String,
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// A client whose tokens are signed with a key the broker's JWKS lacks.
    pub rogue_id: String,
    pub rogue_secret: String,
}

/// The cluster with an OAUTHBEARER listener whose broker validates JWTs against the JWKS of
/// a token issuer on loopback (started on first use; `kafka.sh start` is idempotent).
pub fn kafka_oauth() -> &'static (Kafka, OAuth) {
    static K: OnceLock<(Kafka, OAuth)> = OnceLock::new();
    K.get_or_init(|| {
        let name = "oauth";
        let script = repo().join("scripts/kafka.sh");
        let out = Command::new(&script)
            .args(["start", "--brokers", "1", "--name", name, "--oauth"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        if !out.status.success() {
            panic!(
                "Kafka with an OAuth listener could not be started, so this test cannot run.\n\
                 scripts/kafka.sh said:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let env = parse_env(&state_root().join(name).join("env"));
        let get = |k: &str| {
            env.get(k)
                .cloned()
                .unwrap_or_else(|| panic!("{k} missing from the env file of cluster {name}"))
        };
        let oauth = OAuth {
            bootstrap: get("KSCOPE_TEST_OAUTH_BOOTSTRAP"),
            token_url: get("KSCOPE_TEST_OAUTH_TOKEN_URL"),
            client_id: get("KSCOPE_TEST_OAUTH_CLIENT_ID"),
            client_secret: get("KSCOPE_TEST_OAUTH_CLIENT_SECRET"),
            rogue_id: get("KSCOPE_TEST_OAUTH_ROGUE_ID"),
            rogue_secret: get("KSCOPE_TEST_OAUTH_ROGUE_SECRET"),
        };
        (read_cluster(name, 1), oauth)
    })
}

/// Stops a cluster started with `start`/`start_with` and deletes its data.
pub fn stop(name: &str) {
    let _ = Command::new(repo().join("scripts/kafka.sh"))
        .args(["stop", "--name", name])
        .output();
}

fn parse_env(path: &Path) -> HashMap<String, String> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    )
}

/// A scratch directory used as HOME/XDG dirs so no user config leaks into tests.
pub fn scratch() -> &'static Path {
    static D: OnceLock<tempfile::TempDir> = OnceLock::new();
    D.get_or_init(|| tempfile::tempdir().expect("temp dir"))
        .path()
}

/// The kscope binary with a clean environment and no bootstrap.
pub fn kscope_bare() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("kscope").expect("kscope binary");
    for (k, v) in clean_env() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.timeout(std::time::Duration::from_secs(60));
    cmd
}

/// The environment kscope runs with in tests: no `KSCOPE_*` from outside, scratch config
/// and data dirs (`None` = remove the variable).
pub fn clean_env() -> Vec<(String, Option<std::ffi::OsString>)> {
    let mut env: Vec<(String, Option<std::ffi::OsString>)> = std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("KSCOPE_"))
        .map(|k| (k, None))
        .collect();
    for (k, v) in [
        ("XDG_CONFIG_HOME", scratch().join("config")),
        ("XDG_DATA_HOME", scratch().join("data")),
        ("HOME", scratch().to_path_buf()),
        ("KSCOPE_DATA_DIR", scratch().join("kscope-data")),
    ] {
        env.push((k.to_string(), Some(v.into_os_string())));
    }
    env
}

/// The kscope binary for plain commands: `KSCOPE_BIN` if set (scripts/test.sh sets the release
/// build), else the one cargo built for this test.
pub fn kscope_bin() -> String {
    std::env::var("KSCOPE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_kscope").to_string())
}

/// The kscope binary as a plain `std::process::Command` (for runs that must be timed, killed
/// or inspected for a signal), with the same clean environment as `kscope_bare`.
/// `KSCOPE_BIN` picks another binary (the release build, or an older one to show that a
/// fault test catches what it is about).
pub fn kscope_std() -> Command {
    let mut cmd = Command::new(kscope_bin());
    for (k, v) in clean_env() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd
}

/// The kscope binary pointed at a cluster.
pub fn kscope(k: &Kafka) -> assert_cmd::Command {
    let mut cmd = kscope_bare();
    cmd.args(["-b", &k.bootstrap, "--timeout", "10s"]);
    cmd
}

/// Parses stdout of a finished command as JSON.
pub fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Parses JSON lines.
pub fn json_lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line ({e}): {l}")))
        .collect()
}

pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Creates a topic through kscope's own client.
pub async fn create_topic(k: &Kafka, name: &str, partitions: i32, rf: i32) {
    let client =
        kscope::kafka::KafkaClient::new(kscope::config::ConnectionSettings::plain(&k.bootstrap))
            .expect("client");
    client
        .create_topic(name, partitions, Some(rf), Vec::new())
        .await
        .unwrap_or_else(|e| panic!("create topic {name}: {e}"));
}

/// A plain rdkafka producer for test data.
pub fn producer(k: &Kafka) -> rdkafka::producer::FutureProducer {
    rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &k.bootstrap)
        .set("linger.ms", "0")
        .create()
        .expect("producer")
}

/// A test record: (partition, key, value, timestamp).
pub type TestRecord<'a> = (i32, Option<&'a [u8]>, &'a [u8], Option<i64>);

/// Produces `records` and waits for each.
pub async fn produce(k: &Kafka, topic: &str, records: &[TestRecord<'_>]) {
    use rdkafka::producer::FutureRecord;
    let p = producer(k);
    for (partition, key, value, ts) in records {
        let mut r: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic)
            .partition(*partition)
            .payload(*value);
        if let Some(key) = key {
            r = r.key(*key);
        }
        if let Some(ts) = ts {
            r = r.timestamp(*ts);
        }
        p.send(r, std::time::Duration::from_secs(10))
            .await
            .expect("delivery");
    }
}

/// A consumer in `group` that reads `n` records of `topic` and commits them synchronously.
pub fn consume_and_commit(
    k: &Kafka,
    group: &str,
    topic: &str,
    n: usize,
) -> rdkafka::consumer::BaseConsumer {
    use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
    let c: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &k.bootstrap)
        .set("group.id", group)
        .set("client.id", format!("{group}-client"))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.offset.store", "false")
        .create()
        .expect("consumer");
    c.subscribe(&[topic]).expect("subscribe");
    let mut read = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while read < n {
        assert!(
            std::time::Instant::now() < deadline,
            "consumer read only {read} of {n} records"
        );
        if let Some(m) = c.poll(std::time::Duration::from_millis(200)) {
            let m = m.expect("message");
            c.store_offset_from_message(&m).expect("store offset");
            read += 1;
        }
    }
    c.commit_consumer_state(CommitMode::Sync).expect("commit");
    c
}

/// A running test Schema Registry (Confluent API), as `scripts/registry.sh` describes it.
#[derive(Debug, Clone)]
pub struct SchemaRegistry {
    /// Base URL of the Confluent API.
    pub url: String,
    /// A python with confluent-kafka's serializers (tests/schema/requirements.txt).
    pub python: String,
}

/// The shared test registry (started on first use; `registry.sh start` is idempotent).
pub fn registry() -> &'static SchemaRegistry {
    static R: OnceLock<SchemaRegistry> = OnceLock::new();
    R.get_or_init(|| start_registry(None))
}

/// Starts (or reuses) a registry; `state` gives one of its own (for tests that stop it).
pub fn start_registry(state: Option<&Path>) -> SchemaRegistry {
    let script = repo().join("scripts/registry.sh");
    let mut cmd = Command::new(&script);
    cmd.arg("start");
    if let Some(s) = state {
        cmd.env("KSCOPE_REGISTRY_STATE", s);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    if !out.status.success() {
        panic!(
            "the Schema Registry could not be started, so this test cannot run.\n\
             scripts/registry.sh said:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let env: HashMap<String, String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    SchemaRegistry {
        url: env["KSCOPE_TEST_REGISTRY"].clone(),
        python: env
            .get("KSCOPE_TEST_PYTHON")
            .cloned()
            .expect("no python with confluent-kafka (scripts/registry.sh pyenv failed)"),
    }
}

/// Stops a registry started with `start_registry(Some(state))`.
pub fn stop_registry(state: &Path) {
    let _ = Command::new(repo().join("scripts/registry.sh"))
        .arg("stop")
        .env("KSCOPE_REGISTRY_STATE", state)
        .output();
}

/// Runs tests/schema/fixture.py (confluent-kafka's serializers and deserializers) and
/// returns its JSON lines.
pub fn fixture(
    r: &SchemaRegistry,
    k: &Kafka,
    args: &[&str],
    topic: &str,
) -> Vec<serde_json::Value> {
    let out = Command::new(&r.python)
        .arg(repo().join("tests/schema/fixture.py"))
        .args(args)
        .args([
            "--bootstrap",
            &k.bootstrap,
            "--registry",
            &r.url,
            "--topic",
            topic,
        ])
        .output()
        .expect("run fixture.py");
    assert!(
        out.status.success(),
        "fixture.py {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&out)
}
