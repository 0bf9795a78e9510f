//! The console without a terminal or a broker: every screen rendered into a test backend in its
//! loading, empty, loaded, error and stale states (insta snapshots), and flows of keys through
//! `update` against a fake client that answers each request with canned data.

use std::time::{Duration, Instant};

use kscope::app::{self, Action, Effect, Key, KeyCode, Options, PanelKey, Payload, State, View};
use kscope::model::*;
use kscope::record::{
    FieldDecoding, OwnedRecord, RecordDecoding, SchemaKind, SchemaMeta, TimestampKind,
};
use kscope::ui::{self, Theme};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

mod fixtures;
use fixtures::{load_topics, topic_summary};

fn broker(id: i32) -> Broker {
    Broker {
        id,
        host: format!("kafka-{id}.example"),
        port: 9092,
        rack: Some(format!("rack-{}", id % 2)),
    }
}

fn cluster() -> ClusterInfo {
    ClusterInfo {
        cluster_id: Some("q1Sh-9_ISia_zwGINzRvyQ".into()),
        controller_id: Some(2),
        brokers: vec![broker(1), broker(2), broker(3)],
        topic_count: 4,
        partition_count: 22,
        under_replicated_partitions: 1,
        offline_partitions: 0,
        kraft: false,
        gaps: Default::default(),
    }
}

fn topics() -> Vec<TopicSummary> {
    vec![
        topic_summary("orders", 6, 120_000, 0),
        topic_summary("page_views", 12, 2_400_000, 1),
        topic_summary("payments", 3, 98_000, 0),
        topic_summary("alerts", 1, 75, 0),
    ]
}

/// The same topics later, grown at known rates.
fn topics_later(secs: i64) -> Vec<TopicSummary> {
    let mut t = topics();
    for (topic, per_sec) in t.iter_mut().zip([30, 150, 25, 0]) {
        let grown = topic.messages.unwrap_or(0) + per_sec * secs;
        topic.messages = Some(grown);
        topic.log_end_offsets = Some(grown);
    }
    t
}

fn topic_detail() -> TopicDetail {
    TopicDetail {
        name: "orders".into(),
        internal: false,
        partitions: (0..6)
            .map(|p| PartitionInfo {
                partition: p,
                leader: if p == 4 { None } else { Some(p % 3 + 1) },
                replicas: vec![1, 2, 3],
                isr: if p == 2 { vec![1, 2] } else { vec![1, 2, 3] },
                under_replicated: p == 2,
                low_watermark: Some(100 * p as i64),
                high_watermark: Some(20_000 + p as i64),
                messages: Some(20_000 + p as i64 - 100 * p as i64),
                error: None,
            })
            .collect(),
        configs: vec![
            ConfigValue {
                name: "cleanup.policy".into(),
                value: Some("delete".into()),
                source: "default".into(),
                sensitive: false,
            },
            ConfigValue {
                name: "min.insync.replicas".into(),
                value: Some("2".into()),
                source: "broker".into(),
                sensitive: false,
            },
            ConfigValue {
                name: "retention.ms".into(),
                value: Some("86400000".into()),
                source: "topic".into(),
                sensitive: false,
            },
            ConfigValue {
                name: "sasl.secret".into(),
                value: None,
                source: "topic".into(),
                sensitive: true,
            },
        ],
        configs_error: None,
        groups: vec!["billing".into(), "fraud-detector".into()],
        groups_error: None,
        gaps: Default::default(),
    }
}

fn group_summaries() -> Vec<GroupSummary> {
    let g = |name: &str, state: &str, members, lag| GroupSummary {
        group: name.into(),
        state: state.into(),
        protocol: "range".into(),
        kind: Some("classic".into()),
        members,
        total_lag: lag,
        time_lag_ms: lag.map(|l| l * 10),
        time_lag_method: lag.map(|_| kscope::model::TimeLagMethod::Exact),
        error: None,
        gaps: Default::default(),
    };
    vec![
        g("billing", "Stable", 2, Some(12)),
        g("analytics", "Stable", 1, Some(48_210)),
        g("fraud-detector", "Empty", 0, Some(250_000)),
        g("new-service", "Empty", 0, None),
    ]
}

fn acls() -> Vec<kscope::model::Acl> {
    let acl =
        |principal: &str, op: &str, kind: &str, pattern: &str, name: &str| kscope::model::Acl {
            resource_type: kind.into(),
            resource_name: name.into(),
            pattern_type: pattern.into(),
            principal: principal.into(),
            host: "*".into(),
            operation: op.into(),
            permission: "allow".into(),
        };
    vec![
        acl("User:analytics", "read", "topic", "prefixed", "page_"),
        acl("User:analytics", "read", "group", "literal", "analytics"),
        acl("User:payments", "write", "topic", "literal", "payments"),
        // A hostile principal name is shown escaped.
        acl("User:evil\u{1b}[2J", "describe", "topic", "literal", "*"),
    ]
}

fn group_detail() -> GroupDetail {
    let member = Member {
        member_id: "analytics-worker-1-0b5e".into(),
        client_id: "analytics-worker-1".into(),
        host: "/10.0.0.7".into(),
        instance_id: None,
        assignment: vec![TopicPartitions {
            topic: "page_views".into(),
            partitions: vec![0, 1, 2],
        }],
        target_assignment: None,
        member_epoch: None,
    };
    let partitions = (0..4)
        .map(|p| {
            let committed = if p == 3 { None } else { Some(1_000 * p as i64) };
            let end = Some(1_000 * p as i64 + 5_000 * (p as i64 + 1));
            PartitionLag {
                topic: "page_views".into(),
                partition: p,
                committed,
                log_start: Some(0),
                log_end: end,
                lag: lag(committed, end),
                time_lag_ms: committed.map(|c| 60_000 + c),
                time_lag_method: committed.map(|_| kscope::model::TimeLagMethod::Exact),
                time_lag_from_log_start: false,
                member_id: (p < 3).then(|| member.member_id.clone()),
                client_id: (p < 3).then(|| member.client_id.clone()),
                host: (p < 3).then(|| member.host.clone()),
            }
        })
        .collect::<Vec<_>>();
    let total_lag = total_lag(&partitions);
    GroupDetail {
        group: "analytics".into(),
        state: "Stable".into(),
        protocol: "range".into(),
        kind: Some("classic".into()),
        coordinator: Some(broker(2)),
        group_epoch: None,
        assignment_epoch: None,
        members: vec![member],
        partitions,
        total_lag,
        time_lag_ms: Some(62_000),
        time_lag_method: Some(kscope::model::TimeLagMethod::Exact),
        describe_error: None,
        gaps: Default::default(),
    }
}

/// `analytics` as a KIP-848 consumer group at group epoch 9: worker-1 reconciled (epoch 9, at
/// its target), worker-2 still moving to its target (epoch 7, one more partition to come),
/// worker-3 a static member away for a while (epoch -2).
fn kip848_group_detail() -> GroupDetail {
    let tp = |partitions: Vec<i32>| {
        vec![TopicPartitions {
            topic: "page_views".into(),
            partitions,
        }]
    };
    let member = |n: u8, epoch: i32, assignment: Vec<i32>, target: Vec<i32>| Member {
        member_id: format!("analytics-worker-{n}-0b5e"),
        client_id: format!("analytics-worker-{n}"),
        host: format!("/10.0.0.{n}"),
        instance_id: (n == 3).then(|| "worker-3".into()),
        assignment: tp(assignment),
        target_assignment: Some(tp(target)),
        member_epoch: Some(epoch),
    };
    let members = vec![
        member(1, 9, vec![0], vec![0]),
        member(2, 7, vec![1], vec![1, 2]),
        member(3, -2, vec![3], vec![3]),
    ];
    let mut partitions = group_detail().partitions;
    for p in &mut partitions {
        let owner = members
            .iter()
            .find(|m| m.assignment[0].partitions.contains(&p.partition));
        p.member_id = owner.map(|m| m.member_id.clone());
        p.client_id = owner.map(|m| m.client_id.clone());
        p.host = owner.map(|m| m.host.clone());
    }
    GroupDetail {
        kind: Some("consumer".into()),
        protocol: "uniform".into(),
        group_epoch: Some(9),
        assignment_epoch: Some(9),
        members,
        partitions,
        ..group_detail()
    }
}

/// A registry with three subjects: Avro with two versions, Protobuf with a reference, and
/// JSON Schema.
fn subjects() -> SubjectListing {
    let subject =
        |name: &str, kind: &str, versions: Vec<i32>, id: u32, text: &str, refs| RegistrySubject {
            subject: name.into(),
            latest: Some(SubjectSchema {
                version: *versions.last().unwrap(),
                id,
                kind: kind.into(),
                text: text.into(),
                references: refs,
            }),
            versions,
            error: None,
        };
    SubjectListing {
        registry: "http://registry.example:8081".into(),
        subjects: vec![
            subject(
                "orders-value",
                "AVRO",
                vec![1, 2],
                12,
                r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},{"name":"channel","type":["null","string"],"default":null}]}"#,
                vec![],
            ),
            subject(
                "payments-value",
                "PROTOBUF",
                vec![1],
                14,
                "syntax = \"proto3\";\npackage pay;\nimport \"money.proto\";\n\nmessage Payment {\n  string id = 1;\n  Money amount = 2;\n}\n",
                vec!["money.proto -> money-value:1".into()],
            ),
            subject(
                "alerts-value",
                "JSON",
                vec![3],
                21,
                r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"level":{"type":"string"}}}"#,
                vec![],
            ),
        ],
        not_loaded: 0,
    }
}

/// The versions of a subject of `subjects()`, newest first: orders-value has two (the older
/// without `channel`), the others one.
fn subject_versions(name: &str) -> SubjectVersions {
    let listing = subjects();
    let latest = listing
        .subjects
        .iter()
        .find(|s| s.subject == name)
        .and_then(|s| s.latest.clone())
        .unwrap();
    let mut versions = vec![SubjectVersionRow {
        version: latest.version,
        schema: Some(latest.clone()),
        error: None,
    }];
    if name == "orders-value" {
        versions.push(SubjectVersionRow {
            version: 1,
            schema: Some(SubjectSchema {
                version: 1,
                id: 9,
                kind: "AVRO".into(),
                text: r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"amount","type":"double"}]}"#.into(),
                references: vec![],
            }),
            error: None,
        });
    }
    SubjectVersions {
        registry: listing.registry,
        subject: name.into(),
        versions,
        not_loaded: 0,
    }
}

/// Decoded through a registry schema (as the console's reader thread leaves it).
fn decoded(json: &str, subject: &str, version: i32, id: u32, kind: SchemaKind) -> FieldDecoding {
    FieldDecoding::Json {
        text: json.into(),
        schema: std::sync::Arc::new(SchemaMeta {
            id: Some(id),
            subject: Some(subject.into()),
            version: Some(version),
            kind,
            message: None,
            file: None,
        }),
    }
}

fn record(partition: i32, offset: i64, key: &str, value: &[u8]) -> OwnedRecord {
    OwnedRecord {
        partition,
        offset,
        timestamp: Some((1_764_000_000_000 + offset * 250, TimestampKind::Create)),
        key: Some(key.as_bytes().to_vec()),
        value: Some(value.to_vec()),
        headers: vec![
            ("source".into(), Some(b"web".to_vec())),
            ("trace-id".into(), Some(b"abc123".to_vec())),
        ],
        decoded: None,
    }
}

/// Wall-clock milliseconds when a harness starts (2025-11-24T16:00:00Z).
const WALL0: i64 = 1_764_000_000_000;

/// A metrics sample `secs` into the test: topics grow at known rates; billing keeps up,
/// analytics falls behind, fraud-detector stopped committing.
fn sample(secs: u64) -> kscope::metrics::Sample {
    use kscope::metrics::{CommittedOffset, GroupSample, PartitionSample, Requests, Sample};
    let t = secs as i64;
    let mut partitions = Vec::new();
    let mut ends = std::collections::HashMap::new();
    for (topic, count, per_sec) in [
        ("orders", 6, 30),
        ("page_views", 12, 150),
        ("payments", 3, 25),
        ("alerts", 1, 0),
    ] {
        for p in 0..count {
            let end = 10_000 + per_sec * t / count as i64;
            ends.insert((topic, p), end);
            partitions.push(PartitionSample {
                topic: topic.into(),
                partition: p,
                log_start: Some(0),
                log_end: Some(end),
                leader: Some(p % 3 + 1),
                replicas: 3,
                isr: if topic == "page_views" && p == 0 {
                    2
                } else {
                    3
                },
            });
        }
    }
    let committed =
        |topic: &'static str, count: i32, f: &dyn Fn(i64) -> i64| -> Vec<CommittedOffset> {
            (0..count)
                .map(|p| CommittedOffset {
                    topic: topic.into(),
                    partition: p,
                    offset: f(ends[&(topic, p)]),
                })
                .collect()
        };
    let groups = vec![
        GroupSample {
            group: "billing".into(),
            state: Some("Stable".into()),
            offsets: committed("orders", 6, &|e| e - 2),
            unknown: Vec::new(),
            error: None,
        },
        GroupSample {
            group: "analytics".into(),
            state: Some("Stable".into()),
            offsets: committed("page_views", 12, &|e| e - 400 - 10 * t),
            unknown: Vec::new(),
            error: None,
        },
        GroupSample {
            group: "fraud-detector".into(),
            state: Some("Empty".into()),
            offsets: committed("payments", 3, &|_| 9_000),
            unknown: Vec::new(),
            error: None,
        },
    ];
    Sample {
        at: WALL0 + t * 1000,
        brokers: Some(3),
        partitions,
        groups,
        requests: Requests::default(),
        took_ms: 12,
        errors: Vec::new(),
        missing: Vec::new(),
        record_times: Vec::new(),
    }
}

/// Broker 2 did not answer ListOffsets: its partitions' offsets are missing, named.
fn leader_2_missing(topic: &str, partition: i32, what: &str) -> Missing {
    Missing::partition(
        topic,
        partition,
        Some(2),
        what,
        ErrorKind::Unavailable,
        "leader 2 did not answer".into(),
    )
}

/// The same answer as the cluster gives with broker 2 away.
fn without_leader_2(p: Payload) -> Payload {
    match p {
        Payload::Topics(mut l) => {
            for t in &mut l.items {
                if t.name == "orders" {
                    t.messages = None;
                    t.log_end_offsets = None;
                    t.gaps = Gaps(vec![
                        leader_2_missing("orders", 1, "log start and end"),
                        leader_2_missing("orders", 4, "log start and end"),
                    ]);
                }
            }
            Payload::Topics(l)
        }
        Payload::Topic(mut t) => {
            for p in &mut t.partitions {
                if p.leader == Some(2) {
                    p.low_watermark = None;
                    p.high_watermark = None;
                    p.messages = None;
                    t.gaps
                        .push(leader_2_missing(&t.name, p.partition, "log start and end"));
                }
            }
            Payload::Topic(t)
        }
        Payload::Groups(mut l) => {
            for g in &mut l.items {
                if g.group == "analytics" {
                    g.total_lag = g.total_lag.map(|l| l - 9_000);
                    g.gaps = Gaps(vec![leader_2_missing("page_views", 1, "log end")]);
                }
            }
            Payload::Groups(l)
        }
        Payload::Group(mut g) => {
            for p in &mut g.partitions {
                if p.partition == 1 {
                    p.log_start = None;
                    p.log_end = None;
                    p.lag = None;
                    g.gaps
                        .push(leader_2_missing("page_views", 1, "log start and end"));
                }
            }
            g.total_lag = total_lag(&g.partitions);
            Payload::Group(g)
        }
        other => other,
    }
}

fn sample_without_leader_2(secs: u64) -> kscope::metrics::Sample {
    let mut s = sample(secs);
    for p in &mut s.partitions {
        if p.leader == Some(2) {
            p.log_end = None;
            p.log_start = None;
            s.missing
                .push(leader_2_missing(&p.topic, p.partition, "log start and end"));
        }
    }
    s
}

/// A state sized like a terminal, at a fixed instant.
struct Harness {
    state: State,
    t0: Instant,
    theme: Theme,
    /// Fetches sent and not yet answered.
    pending: Vec<Effect>,
    /// Broker 2 does not answer: its partitions' offsets are missing from every answer.
    leader_down: bool,
    /// Groups are answered as KIP-848 consumer groups (`kip848_group_detail`).
    kip848: bool,
}

impl Harness {
    fn new(w: u16, h: u16) -> Harness {
        Harness::with(w, h, false)
    }

    fn with(w: u16, h: u16, read_only: bool) -> Harness {
        let t0 = Instant::now();
        let mut state = State::new(
            "prod-eu",
            "kafka-1.example:9092,kafka-2.example:9092",
            read_only,
            Options::default(),
            t0,
            WALL0,
        );
        state.size = (w, h);
        Harness {
            state,
            t0,
            theme: Theme::builtin("default").unwrap(),
            pending: Vec::new(),
            leader_down: false,
            kip848: false,
        }
    }

    fn at(&self, secs: u64) -> Instant {
        self.t0 + Duration::from_secs(secs)
    }

    fn act(&mut self, a: Action) -> Vec<Effect> {
        let fx = app::update(&mut self.state, a);
        self.pending.extend(
            fx.iter()
                .filter(|e| matches!(e, Effect::Fetch { .. } | Effect::Sample { .. }))
                .cloned(),
        );
        fx
    }

    fn tick(&mut self, secs: u64) -> Vec<Effect> {
        let at = self.at(secs);
        self.act(Action::Tick(at))
    }

    fn key(&mut self, k: Key) -> Vec<Effect> {
        self.act(Action::Key(k))
    }

    fn keys(&mut self, s: &str) -> Vec<Effect> {
        let mut fx = Vec::new();
        for c in s.chars() {
            fx.extend(self.key(Key::char(c)));
        }
        fx
    }

    fn command(&mut self, line: &str) -> Vec<Effect> {
        let mut fx = self.keys(":");
        fx.extend(self.keys(line));
        fx.extend(self.key(Key::plain(KeyCode::Enter)));
        fx
    }

    /// The fake client: answers every fetch among `effects` with canned data at `secs`.
    fn answer(&mut self, effects: Vec<Effect>, secs: u64, fail: Option<&str>) {
        for e in effects {
            self.pending.retain(|p| *p != e);
            if let Effect::Fetch { key, req } = e {
                let result = match fail {
                    Some(err) => Err(Failure::new(ErrorKind::Unavailable, err)),
                    None => Ok(match &key {
                        PanelKey::Cluster => Payload::Cluster(cluster()),
                        PanelKey::Topics => Payload::Topics(topics_later(secs as i64).into()),
                        PanelKey::Topic(_) => Payload::Topic(Box::new(topic_detail())),
                        PanelKey::Groups => Payload::Groups(group_summaries().into()),
                        PanelKey::Group(_) => Payload::Group(Box::new(if self.kip848 {
                            kip848_group_detail()
                        } else {
                            group_detail()
                        })),
                        PanelKey::Subjects => Payload::Subjects(Box::new(subjects())),
                        PanelKey::SubjectVersions(name) => {
                            Payload::SubjectVersions(Box::new(subject_versions(name)))
                        }
                        PanelKey::Acls => Payload::Acls(acls()),
                        PanelKey::BrokerConfigs(id) => {
                            Payload::BrokerConfigs(Box::new((*id, broker_configs())))
                        }
                    }),
                };
                let result = match result {
                    Ok(p) if self.leader_down => Ok(without_leader_2(p)),
                    r => r,
                };
                let at = self.at(secs);
                self.act(Action::Loaded {
                    key,
                    req,
                    at,
                    result,
                });
            } else if let Effect::Sample { req } = e {
                let result = match fail {
                    Some(err) => Err(Failure::new(ErrorKind::Unavailable, err)),
                    None if self.leader_down => Ok(Box::new(sample_without_leader_2(secs))),
                    None => Ok(Box::new(sample(secs))),
                };
                let at = self.at(secs);
                self.act(Action::Sampled { req, at, result });
            }
        }
    }

    /// Answers every outstanding fetch at `secs`.
    fn respond(&mut self, secs: u64, fail: Option<&str>) {
        let pending = std::mem::take(&mut self.pending);
        self.answer(pending, secs, fail);
    }

    /// Refreshes and samples over three minutes, so rates, trends and group status (judged
    /// over two minutes) have data.
    fn loaded(&mut self) {
        for secs in (0..=180).step_by(10) {
            self.tick(secs);
            self.respond(secs, None);
        }
    }

    fn render(&self) -> String {
        let backend = TestBackend::new(self.state.size.0, self.state.size.1);
        let mut terminal = Terminal::new(backend).unwrap();
        terminal
            .draw(|f| ui::render(f, &self.state, &self.theme))
            .unwrap();
        let buf = terminal.backend().buffer().clone();
        let mut out = String::new();
        for y in 0..buf.area.height {
            let line: String = (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect();
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// Cells whose foreground is a severity colour, as (text, colour) runs: for screens where
    /// colour carries meaning.
    fn severity_cells(&self) -> String {
        let backend = TestBackend::new(self.state.size.0, self.state.size.1);
        let mut terminal = Terminal::new(backend).unwrap();
        terminal
            .draw(|f| ui::render(f, &self.state, &self.theme))
            .unwrap();
        let buf = terminal.backend().buffer().clone();
        let sev = [
            (self.theme.severity_ok, "ok"),
            (self.theme.severity_warn, "warn"),
            (self.theme.severity_crit, "crit"),
            (self.theme.stale, "stale"),
        ];
        let mut out = String::new();
        for y in 0..buf.area.height {
            let mut run = String::new();
            let mut run_kind = None;
            for x in 0..buf.area.width {
                let cell = &buf[(x, y)];
                let kind = sev
                    .iter()
                    .find(|(c, _)| *c == cell.fg && cell.bg != self.theme.selection_bg)
                    .map(|(_, k)| *k);
                if kind != run_kind {
                    if let Some(k) = run_kind {
                        out.push_str(&format!("{y:>2}: {k:<5} {}\n", run.trim()));
                    }
                    run.clear();
                    run_kind = kind;
                }
                if kind.is_some() {
                    run.push_str(cell.symbol());
                }
            }
            if let Some(k) = run_kind {
                out.push_str(&format!("{y:>2}: {k:<5} {}\n", run.trim()));
            }
        }
        out
    }
}

fn fetched(fx: &[Effect]) -> Vec<PanelKey> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Fetch { key, .. } => Some(key.clone()),
            _ => None,
        })
        .collect()
}

// ---- screens in each state ------------------------------------------------------------------

#[test]
fn overview_states() {
    let mut h = Harness::new(100, 30);
    h.tick(0);
    insta::assert_snapshot!("overview_loading", h.render());
    h.loaded();
    insta::assert_snapshot!("overview_loaded", h.render());
    insta::assert_snapshot!("overview_loaded_colours", h.severity_cells());

    let mut e = Harness::new(100, 30);
    let fx = e.tick(0);
    e.answer(
        fx,
        0,
        Some("cannot reach kafka-1.example:9092 within 10s: Connection refused"),
    );
    insta::assert_snapshot!("overview_error", e.render());

    // Data, then failures: shown as stale with its age, never as fresh.
    h.tick(20);
    h.respond(20, Some("no answer within 11s"));
    h.tick(45);
    insta::assert_snapshot!("overview_stale", h.render());
}

#[test]
fn topics_states() {
    let mut h = Harness::new(100, 20);
    h.keys("2");
    h.tick(0);
    insta::assert_snapshot!("topics_loading", h.render());
    h.loaded();
    insta::assert_snapshot!("topics_loaded", h.render());
    h.keys("/page");
    h.key(Key::plain(KeyCode::Enter));
    insta::assert_snapshot!("topics_filtered", h.render());
    // Esc clears the filter; `/` then starts a new one.
    h.key(Key::plain(KeyCode::Esc));
    h.keys("/!zzz");
    h.key(Key::plain(KeyCode::Enter));
    assert_eq!(
        h.state.view().table().unwrap().order.len(),
        4,
        "an inverted filter that matches nothing keeps all"
    );
    h.key(Key::plain(KeyCode::Esc));
    h.keys("/nothing-matches");
    h.key(Key::plain(KeyCode::Enter));
    insta::assert_snapshot!("topics_empty", h.render());

    let mut e = Harness::new(100, 20);
    e.keys("2");
    e.tick(0);
    e.respond(0, Some("not authorized to describe topics"));
    insta::assert_snapshot!("topics_error", e.render());
}

#[test]
fn topic_tabs() {
    let mut h = Harness::new(100, 20);
    h.loaded();
    h.command("topic orders");
    insta::assert_snapshot!("topic_loading", h.render());
    h.tick(11);
    h.respond(11, None);
    insta::assert_snapshot!("topic_partitions", h.render());
    insta::assert_snapshot!("topic_partitions_colours", h.severity_cells());
    h.key(Key::plain(KeyCode::Tab));
    insta::assert_snapshot!("topic_configs", h.render());
    h.key(Key::plain(KeyCode::Tab));
    insta::assert_snapshot!("topic_groups", h.render());

    let mut e = Harness::new(100, 20);
    e.command("topic nope");
    e.tick(0);
    e.respond(0, Some("unknown topic 'nope'"));
    insta::assert_snapshot!("topic_error", e.render());
}

#[test]
fn groups_and_group() {
    let mut h = Harness::new(100, 20);
    h.keys("3");
    h.tick(0);
    insta::assert_snapshot!("groups_loading", h.render());
    h.loaded();
    insta::assert_snapshot!("groups_loaded", h.render());
    insta::assert_snapshot!("groups_loaded_colours", h.severity_cells());
    // Sorted by lag, largest first: Enter opens fraud-detector's neighbour after moving down.
    h.keys("j");
    h.key(Key::plain(KeyCode::Enter));
    assert_eq!(
        h.state.view(),
        &View::Group {
            name: "analytics".into(),
            table: app::columns::group_table()
        }
    );
    h.tick(11);
    h.respond(11, None);
    insta::assert_snapshot!("group_loaded", h.render());

    let mut e = Harness::new(100, 20);
    e.keys("3");
    e.tick(0);
    e.respond(0, Some("ListGroups is not supported by this broker: name the groups in the context's `groups` list"));
    insta::assert_snapshot!("groups_error", e.render());
}

/// A KIP-848 group's members show their epochs next to the group's: a member below the target
/// assignment epoch (still reconciling) and a static member away are marked.
#[test]
fn kip848_group_members_show_their_epochs() {
    let mut h = Harness::new(100, 20);
    h.kip848 = true;
    h.command("group analytics");
    h.tick(0);
    h.respond(0, None);
    let screen = h.render();
    insta::assert_snapshot!("group_kip848_epochs", screen);
    // The marked members first: the line is cut at the end of the info rows. (Lines joined:
    // the members line wraps.)
    let joined = screen.lines().collect::<Vec<_>>().join(" ");
    for want in [
        "members 3 epoch 9 target 9  1 reconciling  1 away  \
         analytics-worker-2@/10.0.0.2 (1 partition, target 2, epoch 7 < 9),",
        "analytics-worker-3@/10.0.0.3 (1 partition, epoch -2 away),",
    ] {
        assert!(joined.contains(want), "{want}: {screen}");
    }
    let colours = h.severity_cells();
    for marked in ["1 reconciling", "1 away", "epoch 7 < 9", "epoch -2 away"] {
        assert!(
            colours
                .lines()
                .any(|l| l.contains("warn") && l.contains(marked)),
            "{marked} is marked: {colours}"
        );
    }
    assert!(
        !colours.lines().any(|l| l.contains("worker-1")),
        "a reconciled member is not marked: {colours}"
    );
    // Wide enough, the reconciled member's epoch shows too.
    h.act(Action::Resize(160, 20));
    assert!(
        h.render()
            .contains("analytics-worker-1@/10.0.0.1 (1 partition, epoch 9)"),
        "{}",
        h.render()
    );

    // A classic group shows no epochs.
    let mut c = Harness::new(100, 20);
    c.command("group analytics");
    c.tick(0);
    c.respond(0, None);
    assert!(!c.render().contains("epoch"), "{}", c.render());
}

#[test]
fn brokers_screen() {
    let mut h = Harness::new(90, 16);
    h.keys("4");
    h.tick(0);
    insta::assert_snapshot!("brokers_loading", h.render());
    h.loaded();
    insta::assert_snapshot!("brokers_loaded", h.render());
}

fn tail_harness(w: u16, ht: u16) -> (Harness, u64) {
    let mut h = Harness::new(w, ht);
    h.loaded();
    let fx = h.command("tail orders");
    let session = fx
        .iter()
        .find_map(|e| match e {
            Effect::StartTail { session, topic, .. } if topic == "orders" => Some(*session),
            _ => None,
        })
        .expect("a tail starts");
    (h, session)
}

#[test]
fn tail_states() {
    let (mut h, session) = tail_harness(110, 20);
    insta::assert_snapshot!("tail_waiting", h.render());
    let mut recs: Vec<OwnedRecord> = (0..30)
        .map(|i| {
            record(
                i % 3,
                1_000 + i as i64,
                &format!("cust-{i:04}"),
                format!("{{\"order\":{i},\"amount\":{}.5}}", i * 3).as_bytes(),
            )
        })
        .collect();
    // Untrusted bytes: an escape sequence that would clear the screen, and invalid UTF-8.
    recs.push(record(
        1,
        2_000,
        "evil\x1b[2J",
        b"\x1b]0;pwned\x07 \xff\xfe bytes",
    ));
    h.act(Action::TailRecords {
        session,
        records: recs,
    });
    h.tick(12);
    let screen = h.render();
    assert!(
        !screen.contains('\x1b'),
        "an escape byte reached the screen"
    );
    insta::assert_snapshot!("tail_loaded", screen);
    h.key(Key::plain(KeyCode::Enter));
    insta::assert_snapshot!("tail_detail_value", h.render());
    h.key(Key::plain(KeyCode::Tab));
    insta::assert_snapshot!("tail_detail_headers", h.render());
    h.key(Key::plain(KeyCode::Tab));
    insta::assert_snapshot!("tail_detail_hex", h.render());
    // Event-time windows: a record from long before the watermark is counted as too late.
    h.key(Key::char('w'));
    h.act(Action::TailRecords {
        session,
        records: vec![record(0, 1_003, "cust-late", b"{}")],
    });
    let stats = h.state.tail.as_ref().unwrap().windows.stats();
    assert_eq!(stats.records, 32);
    assert_eq!(stats.too_late, 1);
    insta::assert_snapshot!("tail_windows", h.render());
    h.key(Key::char('w'));
    h.act(Action::TailFailed {
        session,
        error: Failure::new(ErrorKind::NotFound, "topic 'orders' no longer exists"),
    });
    insta::assert_snapshot!("tail_error", h.render());
}

/// Records read through a registry schema: the list shows their decoded JSON, the detail pane
/// the value pretty (in the schema's field order), the schema tab subject, version, id and
/// type, the hex tab the raw bytes; a record that could not be decoded is shown raw, its
/// problem on the status line once, and counted.
#[test]
fn tail_decoded_through_a_schema() {
    let (mut h, session) = tail_harness(120, 22);
    let avro = |i: i64, v: i32, id: u32| {
        let mut r = record(
            0,
            500 + i,
            "",
            &[0, 0, 0, 0, id as u8, 2 * i as u8, 0x31, 0x32],
        );
        r.key = Some(format!("cust-{i:04}").into_bytes());
        let json = format!(
            r#"{{"id":"ord-{i}","amount":"{}.50","channel":{}}}"#,
            i * 10,
            if v == 2 { r#""app""# } else { "null" }
        );
        r.decoded = Some(Box::new(RecordDecoding {
            key: None,
            value: Some(decoded(&json, "orders-value", v, id, SchemaKind::Avro)),
        }));
        r
    };
    let mut recs: Vec<OwnedRecord> = (0..4).map(|i| avro(i, 1, 12)).collect();
    recs.extend((4..6).map(|i| avro(i, 2, 13)));
    // An id the registry does not know: shown raw, the reason kept.
    let mut unknown = record(1, 77, "cust-0099", &[0, 0, 0, 0, 99, 1, 2, 3]);
    unknown.decoded = Some(Box::new(RecordDecoding {
        key: None,
        value: Some(FieldDecoding::Failed(
            "schema id 99 is not in the registry http://registry.example:8081".into(),
        )),
    }));
    recs.push(unknown.clone());
    h.act(Action::TailRecords {
        session,
        records: recs,
    });
    let t = h.state.tail.as_ref().unwrap();
    assert_eq!(t.problems.count, 1);
    let flash = h
        .state
        .flash
        .clone()
        .expect("the problem is on the status line");
    assert!(
        flash
            .text
            .contains("value of orders/1 offset 77 cannot be decoded")
            && flash.text.contains("schema id 99"),
        "{}",
        flash.text
    );
    h.tick(12);
    insta::assert_snapshot!("tail_decoded_list", h.render());

    // The same problem again is counted, not reported again.
    h.state.flash = None;
    let mut again = unknown.clone();
    again.offset = 78;
    h.act(Action::TailRecords {
        session,
        records: vec![again],
    });
    assert!(h.state.flash.is_none(), "reported twice");
    assert_eq!(h.state.tail.as_ref().unwrap().problems.count, 2);

    // The newest Avro record, version 2.
    h.key(Key::char('k'));
    h.key(Key::char('k'));
    h.key(Key::plain(KeyCode::Enter));
    insta::assert_snapshot!("tail_decoded_value", h.render());
    h.key(Key::plain(KeyCode::Tab));
    let schema = h.render();
    assert!(
        schema.contains("orders-value") && schema.contains("AVRO"),
        "{schema}"
    );
    insta::assert_snapshot!("tail_decoded_schema", schema);
    h.key(Key::plain(KeyCode::Tab));
    h.key(Key::plain(KeyCode::Tab));
    insta::assert_snapshot!("tail_decoded_hex", h.render());
    h.key(Key::plain(KeyCode::Tab));
    // The record that failed: the value tab says why, above the raw bytes.
    h.key(Key::char('j'));
    insta::assert_snapshot!("tail_decoded_failed", h.render());

    // Filters read the decoded JSON, by field and as text.
    h.keys("/");
    h.keys("value.amount>35");
    h.key(Key::plain(KeyCode::Enter));
    let t = h.state.tail.as_ref().unwrap();
    let shown: Vec<i64> = t
        .visible()
        .iter()
        .map(|i| t.buffer.get(*i).unwrap().offset)
        .collect();
    assert_eq!(shown, vec![504, 505]);
    h.key(Key::plain(KeyCode::Esc));
    h.keys("/");
    h.keys("\"app\"");
    h.key(Key::plain(KeyCode::Enter));
    let t = h.state.tail.as_ref().unwrap();
    assert_eq!(t.visible_len(), 2);
}

/// `:subjects`: every subject with its type, latest version, id and versions, and the
/// selected one's schema text; without a registry, the screen says how to configure one.
#[test]
fn subjects_screen() {
    let mut h = Harness::new(130, 24);
    h.loaded();
    let fx = h.command("subjects");
    assert!(fetched(&fx).contains(&PanelKey::Subjects), "{fx:?}");
    insta::assert_snapshot!("subjects_loading", h.render());
    h.respond(181, None);
    let screen = h.render();
    assert!(screen.contains("subjects (3)"), "{screen}");
    // Sorted by name: alerts, orders, payments; the Avro schema indented in its field order.
    h.key(Key::char('j'));
    insta::assert_snapshot!("subjects_avro", h.render());
    h.key(Key::char('j'));
    insta::assert_snapshot!("subjects_protobuf", h.render());
    // On a narrow terminal the schema is below the list.
    h.act(Action::Resize(90, 30));
    insta::assert_snapshot!("subjects_narrow", h.render());
    // The filter keeps the matching subjects.
    h.keys("/");
    h.keys("proto");
    h.key(Key::plain(KeyCode::Enter));
    assert_eq!(h.state.view().table().unwrap().order.len(), 1);

    // Some subjects not read: the title and the status line say how many and why.
    let mut h = Harness::new(130, 24);
    h.loaded();
    let fx = h.command("subjects");
    let mut partial = subjects();
    partial.subjects[1].error =
        Some("schema registry http://registry.example:8081 refused the request (HTTP 403)".into());
    partial.subjects[1].latest = None;
    partial.subjects[1].versions = vec![];
    partial.subjects[2].latest = None;
    partial.subjects[2].versions = vec![];
    partial.not_loaded = 1;
    for e in fx {
        if let Effect::Fetch {
            key: PanelKey::Subjects,
            req,
        } = e
        {
            let at = h.at(181);
            h.act(Action::Loaded {
                key: PanelKey::Subjects,
                req,
                at,
                result: Ok(Payload::Subjects(Box::new(partial.clone()))),
            });
        }
    }
    h.key(Key::char('j'));
    h.key(Key::char('j'));
    let screen = h.render();
    assert!(screen.contains("incomplete: 2 of 3 subjects"), "{screen}");
    insta::assert_snapshot!("subjects_incomplete", screen);

    // No registry in the context: the runtime answers with how to add one.
    let mut h = Harness::new(130, 24);
    h.loaded();
    let fx = h.command("subjects");
    for e in fx {
        if let Effect::Fetch {
            key: PanelKey::Subjects,
            req,
        } = e
        {
            let at = h.at(181);
            h.act(Action::Loaded {
                key: PanelKey::Subjects,
                req,
                at,
                result: Err(Failure::new(
                    ErrorKind::Usage,
                    "no schema registry in this context: add schema_registry = { url = \"http://HOST:PORT\" } to it in config.toml",
                )),
            });
        }
    }
    insta::assert_snapshot!("subjects_no_registry", h.render());
}

/// The subjects list scrolls with the selection (j/k, pgup/pgdn, g/G) on a narrow terminal,
/// where the schema takes the lower half.
#[test]
fn subjects_list_scrolls() {
    let mut h = Harness::new(90, 30);
    h.loaded();
    let fx = h.command("subjects");
    let mut many = subjects();
    let template = many.subjects[0].clone();
    many.subjects = (0..40)
        .map(|i| RegistrySubject {
            subject: format!("topic-{i:02}-value"),
            ..template.clone()
        })
        .collect();
    for e in fx {
        if let Effect::Fetch {
            key: PanelKey::Subjects,
            req,
        } = e
        {
            let at = h.at(181);
            h.act(Action::Loaded {
                key: PanelKey::Subjects,
                req,
                at,
                result: Ok(Payload::Subjects(Box::new(many.clone()))),
            });
        }
    }
    let selected_row = |h: &Harness| {
        let t = h.state.view().table().unwrap();
        (t.selected, t.offset)
    };
    // The list shows (30 - 3) / 2 - 3 = 10 rows: the 11th row scrolls it by one.
    for _ in 0..10 {
        h.key(Key::char('j'));
    }
    assert_eq!(selected_row(&h), (10, 1));
    let screen = h.render();
    assert!(screen.contains("topic-10-value"), "{screen}");
    assert!(!screen.contains("topic-00-value"), "{screen}");
    h.key(Key::plain(KeyCode::PageDown));
    assert_eq!(selected_row(&h), (20, 11));
    insta::assert_snapshot!("subjects_scrolled", h.render());
    h.key(Key::char('G'));
    assert_eq!(selected_row(&h), (39, 30));
    let screen = h.render();
    assert!(screen.contains("topic-39-value"), "{screen}");
    h.key(Key::plain(KeyCode::PageUp));
    assert_eq!(selected_row(&h), (29, 29));
    h.key(Key::char('k'));
    assert_eq!(selected_row(&h), (28, 28));
    h.key(Key::char('g'));
    assert_eq!(selected_row(&h), (0, 0));
    // Wide, the list has the whole height.
    h.act(Action::Resize(130, 24));
    for _ in 0..17 {
        h.key(Key::char('j'));
    }
    assert_eq!(selected_row(&h), (17, 0));
    h.key(Key::char('j'));
    assert_eq!(selected_row(&h), (18, 1));
}

/// Enter on a subject opens its versions (read from the registry: the screen waits without
/// blocking), selecting a version shows its schema, Esc goes back; the registry's errors are
/// said on the screen.
#[test]
fn subject_versions_screen() {
    let mut h = Harness::new(130, 24);
    h.loaded();
    h.command("subjects");
    h.respond(181, None);
    // alerts, orders, payments: orders-value.
    h.key(Key::char('j'));
    let fx = h.key(Key::plain(KeyCode::Enter));
    let key = PanelKey::SubjectVersions("orders-value".into());
    assert!(fetched(&fx).contains(&key), "{fx:?}");
    assert!(
        matches!(h.state.view(), View::SubjectVersions { subject, .. } if subject == "orders-value")
    );
    let screen = h.render();
    assert!(
        screen.contains("loading versions of orders-value"),
        "{screen}"
    );
    h.respond(182, None);
    // Newest first, the latest's schema beside.
    insta::assert_snapshot!("subject_versions", h.render());
    h.key(Key::char('j'));
    let screen = h.render();
    assert!(screen.contains("orders-value version 1"), "{screen}");
    assert!(!screen.contains("channel"), "{screen}");
    insta::assert_snapshot!("subject_version_schema", screen);
    // Esc: back to the subjects, the selection kept.
    h.key(Key::plain(KeyCode::Esc));
    assert!(matches!(h.state.view(), View::Subjects(t) if t.selected == 1));

    // The registry does not have the subject (deleted since the listing): said, not an empty
    // list; likewise a refusal.
    for (kind, message) in [
        (
            ErrorKind::NotFound,
            "subject 'orders-value' is not in the registry http://registry.example:8081: Subject 'orders-value' not found.",
        ),
        (
            ErrorKind::NotAuthorized,
            "schema registry http://registry.example:8081 refused the request (HTTP 401): check the credentials",
        ),
    ] {
        let mut h = Harness::new(130, 24);
        h.loaded();
        h.command("subjects");
        h.respond(181, None);
        h.key(Key::char('j'));
        let fx = h.key(Key::plain(KeyCode::Enter));
        for e in fx {
            if let Effect::Fetch {
                key: key @ PanelKey::SubjectVersions(_),
                req,
            } = e
            {
                let at = h.at(182);
                h.act(Action::Loaded {
                    key,
                    req,
                    at,
                    result: Err(Failure::new(kind, message)),
                });
            }
        }
        let screen = h.render();
        assert!(screen.contains("cannot load versions of orders-value"), "{screen}");
        assert!(screen.contains(&message[..40]), "{screen}");
        assert!(!screen.contains("has no versions"), "{screen}");
        if kind == ErrorKind::NotFound {
            insta::assert_snapshot!("subject_versions_error", screen);
        }
    }

    // A refresh failing later keeps the versions on screen, stale, with the error said atop
    // the schema (the status line leaves the registry's panels to their screen).
    h.key(Key::plain(KeyCode::Enter));
    h.key(Key::ctrl('r'));
    let (versions, others): (Vec<Effect>, Vec<Effect>) =
        std::mem::take(&mut h.pending).into_iter().partition(|e| {
            matches!(
                e,
                Effect::Fetch {
                    key: PanelKey::SubjectVersions(_),
                    ..
                }
            )
        });
    assert_eq!(versions.len(), 1, "ctrl-r reads the versions again");
    h.answer(others, 201, None);
    h.answer(
        versions,
        201,
        Some("schema registry http://registry.example:8081 did not answer: connection refused"),
    );
    let screen = h.render();
    assert!(
        screen.contains("the registry could not be read again (this is stale):"),
        "{screen}"
    );
    assert!(screen.contains("answer: connection refused"), "{screen}");
    assert!(screen.contains("stale"), "{screen}");
    assert!(screen.contains("orders-value version 2"), "{screen}");
    insta::assert_snapshot!("subject_versions_stale", screen);
}

#[test]
fn tail_detail_keeps_the_json_key_order() {
    let (mut h, session) = tail_harness(110, 20);
    h.act(Action::TailRecords {
        session,
        records: vec![record(
            0,
            7,
            "k",
            br#"{"zeta":1,"alpha":{"b":2,"a":3},"mid":null}"#,
        )],
    });
    h.key(Key::plain(KeyCode::Enter));
    let screen = h.render();
    let at = |s: &str| {
        screen
            .find(s)
            .unwrap_or_else(|| panic!("{s} not in {screen}"))
    };
    assert!(
        at("\"zeta\"") < at("\"alpha\"") && at("\"alpha\"") < at("\"mid\""),
        "{screen}"
    );
    assert!(at("\"b\"") < at("\"a\""), "{screen}");
    insta::assert_snapshot!("tail_detail_key_order", screen);
}

#[test]
fn tail_buffer_is_bounded_and_counts_drops() {
    let (mut h, session) = tail_harness(100, 16);
    h.state.options.tail_capacity = 50;
    // The tail made before the option changed keeps its capacity; start another, following.
    h.command("from end");
    let session2 = h.state.tail.as_ref().unwrap().session;
    assert_ne!(session, session2);
    let recs: Vec<OwnedRecord> = (0..120).map(|i| record(0, i, "k", b"v")).collect();
    // Records from the old session are ignored.
    h.act(Action::TailRecords {
        session,
        records: recs.clone(),
    });
    assert_eq!(h.state.tail.as_ref().unwrap().buffer.len(), 0);
    h.act(Action::TailRecords {
        session: session2,
        records: recs,
    });
    let t = h.state.tail.as_ref().unwrap();
    assert_eq!(t.buffer.len(), 50);
    assert_eq!(t.buffer.dropped, 70);
    assert_eq!(t.selected, 49, "following keeps the newest selected");
    insta::assert_snapshot!("tail_dropped", h.render());
}

/// Records of `partitions` partitions as a reader gets them after a jump into the past: one
/// partition's run after another, each in its own timestamp order, with the partitions'
/// timestamps interleaved (record `i` of the whole stream at `WALL0 - 600 s + i * 100 ms`).
fn refill(partitions: i32, per_partition: i64) -> Vec<OwnedRecord> {
    let mut out = Vec::new();
    for p in 0..partitions {
        for o in 0..per_partition {
            let i = o * partitions as i64 + p as i64;
            out.push(OwnedRecord {
                partition: p,
                offset: 500 + o,
                timestamp: Some((WALL0 - 600_000 + i * 100, TimestampKind::Create)),
                key: Some(format!("cust-{:04}", i % 7).into_bytes()),
                value: Some(format!("{{\"seq\":{i}}}").into_bytes()),
                headers: Vec::new(),
                decoded: None,
            });
        }
    }
    out
}

/// What the console's reader does to such records (kafka/tail.rs): merged in timestamp order.
fn merged(records: Vec<OwnedRecord>, partitions: i32) -> Vec<OwnedRecord> {
    use kscope::record::merge::TimeMerge;
    let mut m = TimeMerge::new(
        (0..partitions).map(|p| (p, false)),
        Duration::from_secs(1),
        100_000,
    );
    for r in records {
        m.push(r);
    }
    for p in 0..partitions {
        m.at_end(p);
    }
    std::iter::from_fn(|| m.pop(Instant::now())).collect()
}

fn limits(fx: &[Effect]) -> Vec<Option<u64>> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::LimitTail { limit, .. } => Some(*limit),
            Effect::StartTail { limit, .. } => Some(*limit),
            _ => None,
        })
        .collect()
}

#[test]
fn tail_after_a_jump_holds_the_target() {
    let (mut h, _) = tail_harness(100, 16);
    h.state.options.tail_capacity = 50;
    let fx = h.command("from @-5m");
    let t = h.state.tail.as_ref().unwrap();
    let session = t.session;
    assert!(!t.follow, "a jump holds the view at its target");
    assert_eq!(
        limits(&fx),
        [Some(50)],
        "the reader stops when the buffer is full"
    );
    let recs = merged(refill(3, 30), 3);
    let (first, rest) = recs.split_at(40);
    let fx = h.act(Action::TailRecords {
        session,
        records: first.to_vec(),
    });
    assert!(limits(&fx).is_empty());
    // More than the buffer holds came (already on their way when it filled): held, not dropped.
    h.act(Action::TailRecords {
        session,
        records: rest.to_vec(),
    });
    h.tick(190);
    let t = h.state.tail.as_ref().unwrap();
    assert_eq!(
        (t.buffer.len(), t.held.len(), t.buffer.dropped),
        (50, 40, 0)
    );
    assert_eq!(
        (t.selected, t.offset),
        (0, 0),
        "the view stays at the target"
    );
    assert_eq!(
        t.buffer.get(0).unwrap().timestamp.unwrap().0,
        WALL0 - 600_000
    );
    assert!(t.reading_stopped());
    // Merged by timestamp: partitions interleaved, so no record is late for the windows.
    let parts: Vec<i32> = t.buffer.iter().take(6).map(|r| r.partition).collect();
    assert_eq!(parts, [0, 1, 2, 0, 1, 2]);
    assert_eq!(t.windows.stats().late, 0);
    assert_eq!(t.windows.stats().too_late, 0);
    insta::assert_snapshot!("tail_from_held", h.render());
    // Scrolling within the buffer keeps it.
    let fx = h.keys("jjj");
    assert!(limits(&fx).is_empty());
    assert_eq!(h.state.tail.as_ref().unwrap().selected, 3);
    // Following again takes in what was held and reads on.
    let fx = h.keys("F");
    assert_eq!(limits(&fx), [None]);
    let t = h.state.tail.as_ref().unwrap();
    assert_eq!(
        (t.buffer.len(), t.held.len(), t.buffer.dropped),
        (50, 0, 40)
    );
    assert_eq!(t.selected, 49);
    assert_eq!(
        t.buffer.get(49).unwrap().value.as_deref(),
        Some(&b"{\"seq\":89}"[..])
    );
}

#[test]
fn tail_from_keeps_pause_and_filter() {
    let (mut h, session) = tail_harness(100, 16);
    h.state.options.tail_capacity = 40;
    h.act(Action::TailRecords {
        session,
        records: merged(refill(3, 4), 3),
    });
    h.keys("/cust-0003");
    h.key(Key::plain(KeyCode::Enter));
    let fx = h.keys(" ");
    assert_eq!(limits(&fx), [Some(12)], "paused: nothing beyond what came");
    let fx = h.command("from @-10m");
    let t = h.state.tail.as_ref().unwrap();
    let session = t.session;
    assert!(t.paused, ":from keeps the pause");
    assert_eq!(t.filter.text, "cust-0003", ":from keeps the filter");
    assert_eq!(
        limits(&fx),
        [Some(40)],
        "a jump while paused reads one buffer from its target"
    );
    h.act(Action::TailRecords {
        session,
        records: merged(refill(3, 20), 3),
    });
    h.tick(190);
    let t = h.state.tail.as_ref().unwrap();
    assert_eq!(t.buffer.len(), 40);
    assert_eq!(t.visible_len(), 6);
    assert_eq!(t.selected, 0, "the first match from the target");
    insta::assert_snapshot!("tail_from_paused_filtered", h.render());
    // Resuming while the view holds still reads no further than the buffer holds.
    let fx = h.keys(" ");
    assert!(limits(&fx).is_empty());
    let t = h.state.tail.as_ref().unwrap();
    assert!(!t.paused && t.reading_stopped());
    // Following reads on.
    let fx = h.keys("F");
    assert_eq!(limits(&fx), [None]);
}

#[test]
fn tail_merged_order_in_the_view() {
    let (mut h, _) = tail_harness(100, 16);
    h.command("from beginning");
    let session = h.state.tail.as_ref().unwrap().session;
    h.act(Action::TailRecords {
        session,
        records: merged(refill(4, 5), 4),
    });
    h.tick(190);
    let t = h.state.tail.as_ref().unwrap();
    let ts: Vec<i64> = t.buffer.iter().map(|r| r.timestamp.unwrap().0).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "in timestamp order");
    insta::assert_snapshot!("tail_from_merged", h.render());
}

#[test]
fn repeated_jumps_keep_the_trail_short() {
    let mut h = Harness::new(100, 20);
    h.loaded();
    for _ in 0..10 {
        h.command("group billing");
        h.command("topic orders");
    }
    let titles: Vec<String> = h.state.stack.iter().map(View::title).collect();
    assert_eq!(titles, ["overview", "group billing", "topic orders"]);
    // Many different screens: the trail keeps the first and the newest.
    for i in 0..20 {
        h.command(&format!("topic t{i}"));
    }
    assert_eq!(h.state.stack.len(), app::nav::MAX_DEPTH);
    assert!(matches!(h.state.stack[0], View::Overview(_)));
    assert_eq!(h.state.view().title(), "topic t19");
    // A tail dropped off the trail stops.
    let fx = h.command("tail orders");
    assert!(fx.iter().any(|e| matches!(e, Effect::StartTail { .. })));
    let mut stopped = false;
    for i in 0..10 {
        let fx = h.command(&format!("group g{i}"));
        stopped |= fx.iter().any(|e| matches!(e, Effect::StopTail { .. }));
    }
    assert!(stopped && h.state.tail.is_none());
    insta::assert_snapshot!("trail_bounded", h.render());
}

#[test]
fn help_and_command_mode() {
    let mut h = Harness::new(100, 40);
    h.loaded();
    h.keys("?");
    let screen = h.render();
    insta::assert_snapshot!("help", screen);
    // At 40 rows help does not fit: the popup says how much is below, and scrolls to it.
    let more = |screen: &str| -> usize {
        screen
            .match_indices("↓ ")
            .find_map(|(at, _)| {
                let mut words = screen[at + "↓ ".len()..].split(' ');
                let n = words.next()?.parse().ok()?;
                (words.next() == Some("more")).then_some(n)
            })
            .unwrap_or(0)
    };
    let below = more(&screen);
    assert!(below > 0, "{screen}");
    assert!(!screen.contains("Filters: text matches"), "{screen}");
    h.keys("j");
    let screen = h.render();
    assert_eq!(more(&screen), below - 1, "{screen}");
    assert!(screen.contains("↑ 1 above"), "{screen}");
    h.key(Key::plain(KeyCode::PageDown));
    assert_eq!(
        more(&h.render()),
        below - 1 - 33,
        "a page is the popup's 33 lines"
    );
    h.keys("G");
    let screen = h.render();
    assert!(screen.contains("Filters: text matches"), "{screen}");
    assert_eq!(more(&screen), 0, "{screen}");
    insta::assert_snapshot!("help_bottom", screen);
    // The end stops the scroll: one k from the end shows one line below.
    h.keys("jjj");
    h.keys("k");
    assert_eq!(more(&h.render()), 1);
    h.key(Key::plain(KeyCode::PageUp));
    h.keys("g");
    assert_eq!(h.state.mode, app::Mode::Help { scroll: 0 });
    h.key(Key::plain(KeyCode::Esc));
    assert_eq!(h.state.mode, app::Mode::Normal);
    h.keys(":ta");
    insta::assert_snapshot!("command_mode", h.render());
    h.key(Key::plain(KeyCode::Tab));
    assert_eq!(
        h.state.mode,
        app::Mode::Command {
            input: "tail ".into()
        }
    );
    h.keys("pa");
    h.key(Key::plain(KeyCode::Tab));
    assert_eq!(
        h.state.mode,
        app::Mode::Command {
            input: "tail pa".into()
        },
        "page_views and payments share 'pa'"
    );
    // An ambiguous tab shows the candidates.
    assert_eq!(
        app::suggestions(&h.state, "tail pa"),
        ["tail page_views", "tail payments"]
    );
    let screen = h.render();
    assert!(
        screen.contains("tail page_views") && screen.contains("tail payments"),
        "{screen}"
    );
    insta::assert_snapshot!("command_tab_candidates", screen);
    // ctrl-u clears the line, and the line stays open.
    h.key(Key::ctrl('u'));
    assert_eq!(h.state.mode, app::Mode::Command { input: "".into() });
    h.keys("tail pa");
    h.keys("y");
    h.key(Key::plain(KeyCode::Tab));
    assert_eq!(
        h.state.mode,
        app::Mode::Command {
            input: "tail payments".into()
        }
    );
}

/// The footer's hints (its last line) are whole: each `<KEY> WORD` with a command's footer
/// word, none cut at the edge. Gives the words in order.
fn footer_hints_are_whole(screen: &str) -> Vec<String> {
    use kscope::app::commands::COMMANDS;
    let footer = screen.lines().last().unwrap_or_default();
    let words: Vec<String> = footer
        .split('<')
        .filter(|h| !h.is_empty())
        .map(|h| {
            let (_, word) = h
                .split_once("> ")
                .unwrap_or_else(|| panic!("a hint without its word: '<{h}' in '{footer}'"));
            word.trim_end().to_string()
        })
        .collect();
    for w in &words {
        assert!(
            COMMANDS.iter().any(|c| c.hint == w),
            "'{w}' is not a whole hint: '{footer}'"
        );
    }
    words
}

#[test]
fn small_terminal_80x24() {
    let mut h = Harness::new(80, 24);
    h.loaded();
    let screen = h.render();
    footer_hints_are_whole(&screen);
    insta::assert_snapshot!("overview_80x24", screen);
    h.keys("2");
    insta::assert_snapshot!("topics_80x24", h.render());
    h.keys("j");
    h.key(Key::plain(KeyCode::Enter));
    h.respond(181, None);
    // The topic screen has the most hints: those that do not fit go whole, the last first.
    let screen = h.render();
    let shown = footer_hints_are_whole(&screen);
    assert_eq!(
        shown,
        ["cmd", "filter", "help", "tab", "tail", "edit", "partitions"],
        "{screen}"
    );
    insta::assert_snapshot!("topic_partitions_80x24", screen);
    h.key(Key::plain(KeyCode::Tab));
    insta::assert_snapshot!("topic_configs_80x24", h.render());
    h.key(Key::plain(KeyCode::Tab));
    insta::assert_snapshot!("topic_groups_80x24", h.render());
    h.keys("3");
    insta::assert_snapshot!("groups_80x24", h.render());
    h.command("group analytics");
    h.respond(182, None);
    let screen = h.render();
    insta::assert_snapshot!("group_80x24", screen);
    assert!(
        screen.contains("hidden: HOST CLIENT-ID LOG-END"),
        "low-priority columns are hidden, not names cut: {screen}"
    );
    h.keys("R");
    insta::assert_snapshot!("reset_80x24", h.render());
    h.key(Key::plain(KeyCode::Esc));
    h.keys("4");
    let screen = h.render();
    footer_hints_are_whole(&screen);
    insta::assert_snapshot!("brokers_80x24", screen);
    h.keys("?");
    insta::assert_snapshot!("help_80x24", h.render());
    h.key(Key::plain(KeyCode::PageDown));
    insta::assert_snapshot!("help_80x24_page2", h.render());
    h.key(Key::plain(KeyCode::Esc));
    h.keys(":t");
    insta::assert_snapshot!("command_line_80x24", h.render());
    h.key(Key::plain(KeyCode::Esc));
    let fx = h.command("tail orders");
    let session = fx
        .iter()
        .find_map(|e| match e {
            Effect::StartTail { session, .. } => Some(*session),
            _ => None,
        })
        .expect("a tail");
    h.act(Action::TailRecords {
        session,
        records: merged(refill(3, 10), 3),
    });
    insta::assert_snapshot!("tail_80x24", h.render());
    h.key(Key::plain(KeyCode::Enter));
    insta::assert_snapshot!("tail_detail_80x24", h.render());
    h.key(Key::plain(KeyCode::Esc));
    h.keys("w");
    insta::assert_snapshot!("tail_windows_80x24", h.render());
    h.act(Action::Resize(60, 12));
    let small = h.render();
    assert_eq!(small.lines().count(), 12);
}

#[test]
fn read_only_hides_and_refuses_mutations() {
    let mut h = Harness::with(100, 20, true);
    h.loaded();
    h.keys("3");
    let screen = h.render();
    assert!(screen.contains("READ-ONLY"));
    assert!(!screen.contains("<R> reset"), "{screen}");
    h.keys("R");
    assert!(!matches!(h.state.view(), View::Reset { .. }));
    assert!(h.state.flash.as_ref().unwrap().text.contains("read-only"));
    h.command("reset analytics");
    assert!(!matches!(h.state.view(), View::Reset { .. }));
    insta::assert_snapshot!("groups_read_only", h.render());
}

// ---- flows: keys -> effects -----------------------------------------------------------------

#[test]
fn refreshes_one_request_per_panel_and_back_off() {
    let mut h = Harness::new(100, 30);
    let fx = h.tick(0);
    assert_eq!(
        fetched(&fx),
        vec![PanelKey::Cluster, PanelKey::Topics, PanelKey::Groups]
    );
    // Still in flight: nothing new, however often the clock ticks.
    assert!(fetched(&h.tick(1)).is_empty());
    assert!(fetched(&h.tick(30)).is_empty());
    h.answer(fx, 30, Some("boom"));
    // Failed: retried after the refresh doubled (5s -> 10s), not at once.
    assert!(fetched(&h.tick(35)).is_empty());
    let fx = h.tick(40);
    assert_eq!(fetched(&fx).len(), 3);
    // A stale answer (wrong request id) is ignored.
    h.act(Action::Loaded {
        key: PanelKey::Topics,
        req: 9_999,
        at: h.at(41),
        result: Ok(Payload::Topics(vec![].into())),
    });
    assert!(h.state.topics.data.is_none());
    h.answer(fx, 41, None);
    assert!(h.state.topics.data.is_some());
    assert_eq!(h.state.topics.failures, 0);
    // Frozen: nothing is fetched.
    h.keys("f");
    assert!(fetched(&h.tick(100)).is_empty());
    // Unfreezing refreshes at once.
    assert_eq!(fetched(&h.keys("f")).len(), 3);
}

#[test]
fn navigate_topics_topic_tail_and_back() {
    let mut h = Harness::new(100, 30);
    h.loaded();
    h.keys("2");
    // Sorted by name: alerts, orders, page_views, payments.
    h.keys("j");
    let fx = h.key(Key::plain(KeyCode::Enter));
    assert_eq!(fetched(&fx), vec![PanelKey::Topic("orders".into())]);
    insta::assert_snapshot!("flow_topic_requested", h.render());
    h.answer(fx, 11, None);
    insta::assert_snapshot!("flow_topic_loaded", h.render());
    let fx = h.keys("t");
    assert!(matches!(&fx[..], [Effect::StartTail { topic, .. }] if topic == "orders"));
    assert_eq!(h.state.view(), &View::Tail);
    // Esc stops the tail and returns to the topic.
    let fx = h.key(Key::plain(KeyCode::Esc));
    assert!(fx.iter().any(|e| matches!(e, Effect::StopTail { .. })));
    assert!(matches!(h.state.view(), View::Topic { .. }));
    h.key(Key::plain(KeyCode::Esc));
    h.key(Key::plain(KeyCode::Esc));
    assert!(matches!(h.state.view(), View::Overview(_)));
    let fx = h.keys("q");
    assert!(fx.contains(&Effect::Quit));
    assert!(h.state.quit);
}

#[test]
fn sorting_and_paging() {
    let mut h = Harness::new(100, 12);
    let fx = h.tick(0);
    let many: Vec<TopicSummary> = (0..500)
        .map(|i| topic_summary(&format!("t{i:04}"), 1 + i % 7, i as i64, 0))
        .collect();
    let at = h.at(0);
    load_topics(&mut h.state, fx, at, &many);
    h.keys("2");
    let page = h.state.page_rows();
    h.key(Key::plain(KeyCode::PageDown));
    assert_eq!(h.state.view().table().unwrap().selected, page);
    h.keys("G");
    let t = h.state.view().table().unwrap();
    assert_eq!(t.selected, 499);
    assert_eq!(t.offset, 500 - page);
    // Sort by partitions, then reverse.
    h.keys("sS");
    let t = h.state.view().table().unwrap();
    assert_eq!(many[t.order[0]].partitions, 7);
    insta::assert_snapshot!("topics_sorted_paged", h.render());
}

#[test]
fn context_switch_and_unknown_commands() {
    let mut h = Harness::new(100, 20);
    h.state.contexts = vec!["prod-eu".into(), "staging".into()];
    let fx = h.command("ctx staging");
    assert_eq!(fx, vec![Effect::SwitchContext("staging".into())]);
    h.command("ctx mars");
    assert!(h
        .state
        .flash
        .as_ref()
        .unwrap()
        .text
        .contains("unknown context 'mars'; known: prod-eu, staging"));
    h.command("fly");
    assert!(h
        .state
        .flash
        .as_ref()
        .unwrap()
        .text
        .contains("unknown command ':fly'"));
    h.command("tail orders yesterday");
    assert!(h
        .state
        .flash
        .as_ref()
        .unwrap()
        .text
        .contains("invalid start position 'yesterday'"));
    // Far beyond any clock: refused with a message, never a panic.
    for line in ["tail orders @-300000y", "from @-300000y"] {
        h.command(line);
        let flash = &h.state.flash.as_ref().unwrap().text;
        assert!(
            flash.contains("'@-300000y'") && flash.contains("before 1970"),
            "{flash}"
        );
    }
}

// ---- offset reset flow ----------------------------------------------------------------------

fn fake_plan(active: bool) -> kscope::offsets::ResetPlan {
    use kscope::offsets::{PartitionPlan, PlanTotals, ResetPlan};
    let p = |partition, current: Option<i64>, target, clamped: Option<&str>| PartitionPlan {
        topic: "page_views".into(),
        partition,
        current,
        requested: Some(target),
        target: Some(target),
        log_start: Some(100),
        log_end: Some(9_000),
        delta: current.map(|c| target - c),
        clamped: clamped.map(String::from),
        note: None,
        unavailable: false,
    };
    ResetPlan {
        group: "analytics".into(),
        mode: "by-duration 15m (since 2025-11-24T15:45:00.000Z)".into(),
        timestamp: Some(WALL0 - 900_000),
        planned_at: "2025-11-24T16:00:00.000Z".into(),
        group_state: Some(if active { "Stable" } else { "Empty" }.into()),
        active_members: if active {
            vec!["analytics-worker-1@/10.0.0.7".into()]
        } else {
            vec![]
        },
        group_check_error: None,
        partitions: vec![
            p(0, Some(8_000), 6_500, None),
            p(
                1,
                Some(50),
                100,
                Some("requested 40 is before the log start 100"),
            ),
            p(2, None, 7_000, None),
        ],
        totals: PlanTotals {
            partitions: 3,
            to_commit: 3,
            changing: 3,
            unchanged: 0,
            skipped: 0,
            unavailable: 0,
            clamped: 1,
            without_commit: 1,
            replay_records: 1_500,
            skip_records: 50,
            net_delta: -1_450,
        },
    }
}

fn fake_report() -> kscope::offsets::ApplyReport {
    use kscope::model::PartitionRef;
    use kscope::offsets::{AppliedPartition, ApplyReport, ApplyResult, PartitionStatus};
    let a = |partition, before, target, status| AppliedPartition {
        topic: "page_views".into(),
        partition,
        before,
        target,
        after: Some(target),
        status,
        error: None,
    };
    ApplyReport {
        group: "analytics".into(),
        mode: "by-duration 15m".into(),
        applied_at: "2025-11-24T16:00:05.000Z".into(),
        result: ApplyResult::Applied,
        changed: 3,
        unchanged: 0,
        failed: 0,
        unverified: 0,
        partitions: vec![
            a(0, Some(8_000), 6_500, PartitionStatus::Changed),
            a(1, Some(50), 100, PartitionStatus::Changed),
            a(2, None, 7_000, PartitionStatus::Changed),
        ],
        undo_file: Some("/home/ops/.local/share/kscope/undo/analytics-20251124T160005Z.csv".into()),
        undo_command: Some("kscope --context prod-eu offsets reset analytics --from-file /home/ops/.local/share/kscope/undo/analytics-20251124T160005Z.csv --execute".into()),
        not_restorable: vec![PartitionRef { topic: "page_views".into(), partition: 2 }],
        not_restorable_hint: Some("page_views/2 had no committed offset; kafka-consumer-groups --delete-offsets removes it".into()),
        skipped: vec![],
        commit_error: None,
        verify_error: None,
        audit_file: Some("/home/ops/.local/share/kscope/audit.jsonl".into()),
        audit_error: None,
    }
}

#[test]
fn offset_reset_flow() {
    use kscope::offsets::{ResetMode, Scope};
    let mut h = Harness::new(110, 24);
    h.loaded();
    h.keys("3");
    // Sorted by lag: fraud-detector, analytics, ...
    h.keys("jR");
    assert_eq!(
        h.state.view(),
        &View::Reset {
            group: "analytics".into()
        }
    );
    insta::assert_snapshot!("reset_choose", h.render());

    // By duration: 15m, all topics.
    h.keys("jj");
    h.key(Key::plain(KeyCode::Enter));
    h.keys("fifteen");
    h.key(Key::plain(KeyCode::Enter));
    assert!(h
        .state
        .reset
        .as_ref()
        .unwrap()
        .error
        .as_ref()
        .unwrap()
        .contains("fifteen"));
    for _ in 0.."fifteen".len() {
        h.key(Key::plain(KeyCode::Backspace));
    }
    h.keys("15m");
    h.key(Key::plain(KeyCode::Enter));
    insta::assert_snapshot!("reset_topics", h.render());
    let fx = h.key(Key::plain(KeyCode::Enter));
    let (req, request) = match &fx[..] {
        [Effect::PlanReset { req, request }] => (*req, request.clone()),
        other => panic!("expected a plan request, got {other:?}"),
    };
    assert_eq!(request.group, "analytics");
    assert_eq!(request.scope, Scope::AllTopics);
    assert_eq!(request.mode, ResetMode::Duration(Duration::from_secs(900)));

    h.act(Action::ResetPlanned {
        req,
        result: Ok(Box::new(fake_plan(false))),
    });
    insta::assert_snapshot!("reset_preview", h.render());

    // Typing the name: letters that are keys elsewhere (q quits) are text here.
    h.keys("analytiq");
    assert!(!h.state.quit);
    let fx = h.key(Key::plain(KeyCode::Enter));
    assert!(fx.is_empty(), "a wrong name applies nothing");
    assert!(h
        .state
        .reset
        .as_ref()
        .unwrap()
        .error
        .as_ref()
        .unwrap()
        .contains("'analytiq' is not the group's name; type 'analytics'"));
    insta::assert_snapshot!("reset_wrong_name", h.render());
    // The wrong name was cleared: typing again starts afresh (ctrl-u clears too).
    h.keys("xyz");
    h.key(Key::ctrl('u'));
    h.keys("analytics");
    let fx = h.key(Key::plain(KeyCode::Enter));
    let req = match &fx[..] {
        [Effect::ApplyReset { req, plan }] => {
            assert_eq!(plan.group, "analytics");
            *req
        }
        other => panic!("expected an apply, got {other:?}"),
    };
    h.act(Action::ResetApplied {
        req,
        result: Ok(Box::new(fake_report())),
    });
    insta::assert_snapshot!("reset_done", h.render());
    h.key(Key::plain(KeyCode::Enter));
    assert!(matches!(h.state.view(), View::Groups(_)));
    assert!(h.state.reset.is_none());
}

#[test]
fn offset_reset_refused_while_members_are_active() {
    let mut h = Harness::new(110, 24);
    h.loaded();
    h.command("reset analytics");
    h.key(Key::plain(KeyCode::Enter));
    let fx = h.key(Key::plain(KeyCode::Enter));
    let req = match &fx[..] {
        [Effect::PlanReset { req, .. }] => *req,
        other => panic!("expected a plan request, got {other:?}"),
    };
    h.act(Action::ResetPlanned {
        req,
        result: Ok(Box::new(fake_plan(true))),
    });
    h.keys("analytics");
    let fx = h.key(Key::plain(KeyCode::Enter));
    assert!(fx.is_empty());
    assert!(h
        .state
        .reset
        .as_ref()
        .unwrap()
        .error
        .as_ref()
        .unwrap()
        .contains("active members"));
    insta::assert_snapshot!("reset_refused", h.render());
    // A failed plan goes back to the choice with the reason.
    h.key(Key::plain(KeyCode::Esc));
    h.key(Key::plain(KeyCode::Enter));
    let fx = h.key(Key::plain(KeyCode::Enter));
    let req = match &fx[..] {
        [Effect::PlanReset { req, .. }] => *req,
        other => panic!("expected a plan request, got {other:?}"),
    };
    h.act(Action::ResetPlanned {
        req,
        result: Err(Failure::new(ErrorKind::NotFound, "unknown topic 'nope'")),
    });
    assert!(matches!(
        h.state.reset.as_ref().unwrap().step,
        app::reset::ResetStep::Choose
    ));
    assert_eq!(
        h.state.reset.as_ref().unwrap().error.as_deref(),
        Some("unknown topic 'nope'")
    );
}

// ---- every screen in each state -------------------------------------------------------------

/// Each screen in its loading, empty, loaded, error and stale states, one snapshot per pair.
#[test]
fn every_screen_in_every_state() {
    // (name, keys or command that open it)
    let screens: &[(&str, &str)] = &[
        ("overview", ""),
        ("brokers", "4"),
        ("topics", "2"),
        ("topic", ":topic orders"),
        ("groups", "3"),
        ("group", ":group analytics"),
        ("acls", ":acls"),
    ];
    let open = |h: &mut Harness, how: &str| {
        if let Some(cmd) = how.strip_prefix(':') {
            h.command(cmd);
        } else {
            h.keys(how);
        }
    };
    for (name, how) in screens {
        // Loading: the first requests are out, nothing has come back.
        let mut h = Harness::new(100, 18);
        open(&mut h, how);
        h.tick(0);
        insta::assert_snapshot!(format!("state_{name}_loading"), h.render());

        // Error: the first requests failed.
        let mut h = Harness::new(100, 18);
        open(&mut h, how);
        h.tick(0);
        h.respond(
            0,
            Some("cannot reach kafka-1.example:9092 within 10s: Connection refused"),
        );
        insta::assert_snapshot!(format!("state_{name}_error"), h.render());

        // Loaded, then stale: the refreshes after it failed and the data is old.
        let mut h = Harness::new(100, 18);
        h.loaded();
        open(&mut h, how);
        h.tick(181);
        h.respond(181, None);
        insta::assert_snapshot!(format!("state_{name}_loaded"), h.render());
        for secs in [200, 230, 260] {
            h.tick(secs);
            h.respond(secs, Some("no answer within 11s"));
        }
        h.tick(270);
        let stale = h.render();
        assert!(
            stale.contains("stale"),
            "{name} does not say its data is stale:\n{stale}"
        );
        insta::assert_snapshot!(format!("state_{name}_stale"), stale);

        // Empty: the cluster answered with nothing.
        let mut h = Harness::new(100, 18);
        open(&mut h, how);
        h.tick(0);
        for e in std::mem::take(&mut h.pending) {
            match e {
                Effect::Fetch { key, req } => {
                    let payload = match &key {
                        PanelKey::Cluster => Payload::Cluster(ClusterInfo {
                            brokers: vec![],
                            topic_count: 0,
                            partition_count: 0,
                            under_replicated_partitions: 0,
                            ..cluster()
                        }),
                        PanelKey::Topics => Payload::Topics(vec![].into()),
                        PanelKey::Topic(_) => Payload::Topic(Box::new(TopicDetail {
                            partitions: vec![],
                            configs: vec![],
                            groups: vec![],
                            ..topic_detail()
                        })),
                        PanelKey::Groups => Payload::Groups(vec![].into()),
                        PanelKey::Group(_) => Payload::Group(Box::new(GroupDetail {
                            members: vec![],
                            partitions: vec![],
                            total_lag: None,
                            ..group_detail()
                        })),
                        PanelKey::Subjects => Payload::Subjects(Box::new(SubjectListing {
                            subjects: vec![],
                            ..subjects()
                        })),
                        PanelKey::SubjectVersions(name) => {
                            Payload::SubjectVersions(Box::new(SubjectVersions {
                                versions: vec![],
                                ..subject_versions(name)
                            }))
                        }
                        PanelKey::Acls => Payload::Acls(vec![]),
                        PanelKey::BrokerConfigs(id) => {
                            Payload::BrokerConfigs(Box::new((*id, vec![])))
                        }
                    };
                    let at = h.at(0);
                    h.act(Action::Loaded {
                        key,
                        req,
                        at,
                        result: Ok(payload),
                    });
                }
                Effect::Sample { req } => {
                    let at = h.at(0);
                    let empty = kscope::metrics::Sample {
                        at: WALL0,
                        brokers: Some(3),
                        partitions: vec![],
                        groups: vec![],
                        requests: Default::default(),
                        took_ms: 1,
                        errors: vec![],
                        missing: vec![],
                        record_times: vec![],
                    };
                    h.act(Action::Sampled {
                        req,
                        at,
                        result: Ok(Box::new(empty)),
                    });
                }
                _ => {}
            }
        }
        insta::assert_snapshot!(format!("state_{name}_empty"), h.render());

        // Incomplete: loaded, then broker 2 stops answering; what it leads is missing, named.
        let mut h = Harness::new(100, 18);
        h.loaded();
        open(&mut h, how);
        h.tick(181);
        h.respond(181, None);
        h.leader_down = true;
        for secs in [190, 200] {
            h.tick(secs);
            h.respond(secs, None);
        }
        let text = h.render();
        if *name != "brokers" {
            assert!(
                text.contains("incomplete") || text.contains("did not answer"),
                "{name} does not say its data is incomplete:\n{text}"
            );
        }
        insta::assert_snapshot!(format!("state_{name}_incomplete"), text);
    }
}

/// Help lists every key that works: each command's keys, each `:` command, and the keys of
/// the command line, the filter, the reset flow and help itself, from the same tables that
/// dispatch them.
#[test]
fn help_lists_every_key() {
    use kscope::app::commands::{lines, Layer, COMMANDS, INPUT_KEYS};
    // Tall enough for all of it (the popup would say "↓ N more" otherwise).
    let mut h = Harness::new(100, 134);
    h.loaded();
    h.keys("?");
    let screen = h.render();
    assert!(!screen.contains(" more ╯"), "{screen}");
    // Long lines wrap in the popup: the start of each text is enough.
    let shown = |text: &str| screen.contains(&text.chars().take(40).collect::<String>());
    for spec in COMMANDS.iter().filter(|s| !s.keys.is_empty()) {
        assert!(shown(spec.help), "{} missing:\n{screen}", spec.name);
    }
    for (_, line) in lines() {
        assert!(shown(line.help), "{} missing:\n{screen}", line.help);
        // The words and the help are apart, however long the words.
        let words = line.words.join(" ");
        let glued = format!("{}{}", words, line.help.chars().next().unwrap_or(' '));
        assert!(
            !screen.contains(&glued),
            "'{glued}' has no space:\n{screen}"
        );
    }
    for layer in Layer::ALL {
        assert!(shown(layer.title()), "{layer:?} missing:\n{screen}");
    }
    for row in INPUT_KEYS {
        assert!(
            shown(row.help),
            "{:?} {} missing:\n{screen}",
            row.layer,
            row.help
        );
    }
    insta::assert_snapshot!("help_all", screen);
}

/// A background task that panics (a bug) is reported on the status line, not swallowed.
#[test]
fn a_panicking_background_task_is_shown() {
    let mut h = Harness::new(160, 20);
    h.tick(0);
    h.act(Action::TaskPanicked {
        task: "the groups request".into(),
        message: "index out of bounds".into(),
    });
    let flash = h.state.flash.as_ref().expect("a status line message");
    assert_eq!(flash.level, app::Level::Error);
    let screen = h.render();
    assert!(
        screen.contains("internal error: the groups request panicked: index out of bounds"),
        "{screen}"
    );
}

// ---- the alert list: sorted, drill-down, filter, silences ------------------------------------

/// Alerts of three severities on groups and topics, fired at different times: the list sorts
/// them by severity, then by how long each has fired; Enter opens the alert's group or topic;
/// `/` filters the overview's lists; `a` silences the selected alert for a typed duration.
#[test]
fn alert_list_sorts_drills_down_filters_and_silences() {
    use kscope::metrics::{default_rules, AlertRule, MetricsConfig, MetricsState, SilenceChange};
    let mut h = Harness::new(110, 30);
    let mut rules = default_rules();
    rules.extend([
        // analytics from 10 s, fraud-detector from 80 s.
        AlertRule::new("lag-high", "lag > 5k", Severity::Warn).unwrap(),
        // Every group from the first sample.
        AlertRule::new("any-lag", "lag > 0", Severity::Info).unwrap(),
        // The topic `alerts` takes no writes: from the second sample (10 s).
        AlertRule::new("quiet-topic", "rate(alerts) < 1/s", Severity::Crit).unwrap(),
    ]);
    h.state.metrics = MetricsState::new(MetricsConfig::default(), rules);
    h.loaded();
    let order: Vec<(String, String)> = app::alerts::rows(&h.state)
        .iter()
        .map(|r| (r.alert.rule.clone(), r.alert.resource.clone()))
        .collect();
    let pairs: Vec<(&str, &str)> = order
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("under-replicated", "page_views"),
            ("quiet-topic", "alerts"),
            ("lag-high", "analytics"),
            ("group-status", "fraud-detector"),
            ("lag-high", "fraud-detector"),
            ("any-lag", "analytics"),
            ("any-lag", "billing"),
            ("any-lag", "fraud-detector"),
        ]
    );
    insta::assert_snapshot!("alerts_sorted", h.render());

    // Enter on the second alert opens its topic; on the third, its group.
    h.keys("j");
    let fx = h.key(Key::plain(KeyCode::Enter));
    assert_eq!(fetched(&fx), vec![PanelKey::Topic("alerts".into())]);
    assert!(matches!(h.state.view(), View::Topic { name, .. } if name == "alerts"));
    h.key(Key::plain(KeyCode::Esc));
    h.keys("j");
    let fx = h.key(Key::plain(KeyCode::Enter));
    assert_eq!(fetched(&fx), vec![PanelKey::Group("analytics".into())]);
    h.answer(fx, 181, None);
    insta::assert_snapshot!("alert_drill_down_group", h.render());
    // Back on the overview, the same alert is still selected.
    h.key(Key::plain(KeyCode::Esc));
    assert_eq!(
        app::alerts::selected(&h.state).map(|r| r.alert.resource),
        Some("analytics".to_string())
    );

    // `/` filters every list on the overview; Esc clears it.
    h.keys("/fraud");
    h.key(Key::plain(KeyCode::Enter));
    insta::assert_snapshot!("overview_filtered", h.render());
    assert_eq!(app::alerts::rows(&h.state).len(), 3);
    h.key(Key::plain(KeyCode::Esc));
    assert_eq!(app::alerts::rows(&h.state).len(), 8);

    // `a` on group-status fraud-detector (the fourth): the prompt; a wrong duration is said
    // and cleared; 30m silences it.
    h.keys("gjjj");
    h.keys("a");
    assert!(
        matches!(&h.state.mode, app::Mode::Silence { rule, resource, .. }
        if rule == "group-status" && resource == "fraud-detector")
    );
    h.keys("2x");
    insta::assert_snapshot!("silence_prompt", h.render());
    assert!(h.key(Key::plain(KeyCode::Enter)).is_empty());
    insta::assert_snapshot!("silence_prompt_wrong", h.render());
    h.keys("30m");
    let fx = h.key(Key::plain(KeyCode::Enter));
    let now = h.state.now_ms();
    let want = SilenceChange::Set(kscope::metrics::Silence {
        scope: "prod-eu".into(),
        rule: "group-status".into(),
        resource: "fraud-detector".into(),
        until: now + 30 * 60_000,
        created: now,
    });
    assert_eq!(fx, vec![Effect::Silence(want)]);
    assert_eq!(h.state.mode, app::Mode::Normal);
    // Silenced: last in the list, marked, not counted as firing; no flash when it fires again.
    let rows = app::alerts::rows(&h.state);
    assert_eq!(rows[7].alert.resource, "fraud-detector");
    assert_eq!(rows[7].silenced_until, Some(now + 30 * 60_000));
    let saved = h.state.silences.clone();
    h.act(Action::SilencesSaved { result: Ok(saved) });
    insta::assert_snapshot!("alert_silenced", h.render());

    // A write that failed is said.
    h.act(Action::SilencesSaved {
        result: Err(Failure::new(
            ErrorKind::Io,
            "cannot write the silences file /data/silences.json: No space left on device",
        )),
    });
    assert!(h
        .state
        .flash
        .as_ref()
        .is_some_and(|f| f.text.starts_with("silence not kept: cannot write")));

    // `a` on it again and 0 lifts the silence.
    h.keys("G");
    h.keys("a0");
    let fx = h.key(Key::plain(KeyCode::Enter));
    assert!(
        matches!(&fx[..], [Effect::Silence(SilenceChange::Lift { resource, .. })]
        if resource == "fraud-detector")
    );
    assert!(app::alerts::rows(&h.state)
        .iter()
        .all(|r| r.silenced_until.is_none()));

    // Esc at the prompt leaves without silencing; `a` with no alert selected says so.
    h.keys("a");
    assert!(h.key(Key::plain(KeyCode::Esc)).is_empty());
    assert_eq!(h.state.mode, app::Mode::Normal);
    let mut empty = Harness::new(100, 30);
    empty.tick(0);
    empty.keys("a");
    assert_eq!(empty.state.mode, app::Mode::Normal);
    assert_eq!(
        empty.state.flash.as_ref().map(|f| f.text.as_str()),
        Some("no alert to silence")
    );
}

/// A silence set by another console (or removed from the file by hand) shows while the
/// console runs: it reads the silences file again every few seconds, one reading at a time,
/// and a reading that started before a change of its own is not taken.
#[test]
fn silences_changed_elsewhere_show_without_a_restart() {
    use kscope::metrics::{Silence, SilenceChange, Silences};
    let mut h = Harness::new(110, 30);
    h.loaded();
    let loads = |fx: &[Effect]| -> Vec<u64> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::LoadSilences { generation } => Some(*generation),
                _ => None,
            })
            .collect()
    };
    // One reading is out since the last ticks of `loaded`: no second one while it is.
    let out = h.state.silences_sync.generation;
    assert!(h.state.silences_sync.loading);
    assert!(loads(&h.tick(200)).is_empty());
    let elsewhere = Silences {
        silences: vec![Silence {
            scope: "prod-eu".into(),
            rule: "group-status".into(),
            resource: "fraud-detector".into(),
            until: h.state.now_ms() + 600_000,
            created: h.state.now_ms(),
        }],
    };
    h.act(Action::SilencesLoaded {
        generation: out,
        result: Ok(elsewhere.clone()),
    });
    let muted = |h: &Harness| {
        app::alerts::rows(&h.state)
            .iter()
            .filter(|r| r.silenced_until.is_some())
            .map(|r| r.alert.resource.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(muted(&h), ["fraud-detector"]);
    insta::assert_snapshot!("alert_silenced_elsewhere", h.render());

    // The next reading is asked for 5 s after the last one, not before.
    assert!(loads(&h.tick(203)).is_empty());
    let next = loads(&h.tick(206));
    assert_eq!(next.len(), 1);
    // The console lifts a silence of its own meanwhile (`a`, 0): the reading that was out
    // (it holds the silence still) is not taken.
    h.keys("G");
    h.keys("a0");
    let fx = h.key(Key::plain(KeyCode::Enter));
    assert!(matches!(
        &fx[..],
        [Effect::Silence(SilenceChange::Lift { .. })]
    ));
    h.act(Action::SilencesLoaded {
        generation: next[0],
        result: Ok(elsewhere),
    });
    assert!(muted(&h).is_empty());
    // No reading while the change is being written; after it, the next one comes again.
    assert!(loads(&h.tick(215)).is_empty());
    h.act(Action::SilencesSaved {
        result: Ok(Silences::default()),
    });
    let again = loads(&h.tick(216));
    assert_eq!(again.len(), 1);

    // A file that cannot be read keeps what is shown and is said once, not at every reading.
    let broken = || {
        Err(Failure::new(
            ErrorKind::Io,
            "cannot read the silences file /data/silences.json: expected value (fix or remove it)",
        ))
    };
    h.act(Action::SilencesLoaded {
        generation: again[0],
        result: broken(),
    });
    assert!(h.state.flash.as_ref().is_some_and(|f| f
        .text
        .starts_with("silences not read again: cannot read the silences file")));
    h.state.flash = None;
    let g = loads(&h.tick(222));
    h.act(Action::SilencesLoaded {
        generation: g[0],
        result: broken(),
    });
    assert!(h.state.flash.is_none());
}

#[test]
fn group_deletion_flow_confirms_by_name_and_shows_the_undo() {
    let mut h = Harness::new(100, 24);
    h.loaded();
    h.command("group analytics");
    h.tick(181);
    h.respond(181, None);
    // With a member: refused, nothing opened, nothing sent.
    let fx = h.keys("D");
    assert!(fx.iter().all(|e| !matches!(e, Effect::DeleteGroup { .. })));
    assert!(matches!(h.state.view(), View::Group { .. }));
    assert!(
        h.state
            .flash
            .as_ref()
            .unwrap()
            .text
            .contains("active member"),
        "{:?}",
        h.state.flash
    );
    // Its consumers stopped: the group as loaded has no members.
    let d = h.state.group.data.as_mut().unwrap();
    d.members.clear();
    for p in &mut d.partitions {
        p.member_id = None;
        p.client_id = None;
        p.host = None;
    }
    h.keys("D");
    assert!(matches!(h.state.view(), View::DeleteGroup { .. }));
    insta::assert_snapshot!("group_delete_plan", h.render());
    // The wrong name: nothing sent, the reason shown.
    h.keys("analytic");
    let fx = h.key(Key::plain(KeyCode::Enter));
    assert!(fx.is_empty(), "{fx:?}");
    insta::assert_snapshot!("group_delete_wrong_name", h.render());
    // The right one: the deletion, with the committed offsets of the plan.
    h.keys("s");
    let fx = h.key(Key::plain(KeyCode::Enter));
    let (req, committed) = match &fx[..] {
        [Effect::DeleteGroup {
            req,
            group,
            topic: None,
            committed,
        }] if group == "analytics" => (*req, committed.clone()),
        other => panic!("expected a deletion, got {other:?}"),
    };
    assert_eq!(committed.len(), 3, "{committed:?}");
    insta::assert_snapshot!("group_delete_applying", h.render());
    // The coordinator refused (a consumer came back): back to the confirmation, with why.
    h.act(Action::GroupDeleted {
        req,
        result: Err(Failure::new(
            ErrorKind::GroupActive,
            "group 'analytics' has active members: stop its consumers first",
        )),
    });
    assert!(h
        .state
        .delete_group
        .as_ref()
        .unwrap()
        .error
        .as_deref()
        .unwrap()
        .contains("active members"));
    h.keys("analytics");
    let fx = h.key(Key::plain(KeyCode::Enter));
    let [Effect::DeleteGroup { req, .. }] = &fx[..] else {
        panic!("expected a deletion, got {fx:?}");
    };
    h.act(Action::GroupDeleted {
        req: *req,
        result: Ok(app::DeletedGroup {
            partitions: 3,
            failed: vec![],
            undo_file: "/home/op/.local/share/kscope/undo/group-analytics-20261202T050000.000Z.csv"
                .into(),
            undo_command: "kscope offsets reset analytics --from-file \
                           /home/op/.local/share/kscope/undo/group-analytics-20261202T050000.000Z.csv --execute"
                .into(),
            verified: true,
        }),
    });
    insta::assert_snapshot!("group_delete_done", h.render());
    h.key(Key::plain(KeyCode::Enter));
    assert!(matches!(h.state.view(), View::Group { .. }));
    assert!(h.state.delete_group.is_none());

    // The offsets of the selected row's topic only: `X`.
    h.keys("X");
    assert!(matches!(h.state.view(), View::DeleteGroup { .. }));
    insta::assert_snapshot!("group_delete_offsets_plan", h.render());
    h.keys("analytics");
    let fx = h.key(Key::plain(KeyCode::Enter));
    let [Effect::DeleteGroup {
        req,
        topic: Some(topic),
        committed,
        ..
    }] = &fx[..]
    else {
        panic!("expected an offsets deletion, got {fx:?}");
    };
    assert_eq!(topic, "page_views");
    assert!(committed.iter().all(|(t, _, _)| t == "page_views"));
    // The coordinator kept one partition: the result says which and why.
    h.act(Action::GroupDeleted {
        req: *req,
        result: Ok(app::DeletedGroup {
            partitions: 3,
            failed: vec!["page_views/2: the group's members subscribe to this topic".into()],
            undo_file: "/tmp/undo/group-offsets-analytics.csv".into(),
            undo_command:
                "kscope offsets reset analytics --from-file /tmp/undo/group-offsets-analytics.csv --execute"
                    .into(),
            verified: true,
        }),
    });
    insta::assert_snapshot!("group_delete_offsets_partial", h.render());

    // The coordinator kept every partition: nothing deleted, not "partly".
    h.key(Key::plain(KeyCode::Esc));
    h.keys("X");
    h.keys("analytics");
    let fx = h.key(Key::plain(KeyCode::Enter));
    let [Effect::DeleteGroup { req, .. }] = &fx[..] else {
        panic!("expected an offsets deletion, got {fx:?}");
    };
    h.act(Action::GroupDeleted {
        req: *req,
        result: Ok(app::DeletedGroup {
            partitions: 3,
            failed: (0..3)
                .map(|p| format!("page_views/{p}: the group's members subscribe to this topic"))
                .collect(),
            undo_file: "/tmp/undo/group-offsets-analytics.csv".into(),
            undo_command:
                "kscope offsets reset analytics --from-file /tmp/undo/group-offsets-analytics.csv --execute"
                    .into(),
            verified: false,
        }),
    });
    let screen = h.render();
    assert!(
        screen.contains("nothing deleted: all 3 partition(s)"),
        "{screen}"
    );
    insta::assert_snapshot!("group_delete_offsets_refused", screen);

    // Read-only: the key is not offered and is refused.
    let mut h = Harness::with(100, 20, true);
    h.loaded();
    h.command("group analytics");
    h.tick(181);
    h.respond(181, None);
    assert!(!h.render().contains("<D> delete"));
    let fx = h.keys("D");
    assert!(fx.iter().all(|e| !matches!(e, Effect::DeleteGroup { .. })));
    assert!(matches!(h.state.view(), View::Group { .. }));
    assert!(h.state.flash.as_ref().unwrap().text.contains("read-only"));
}

// ---- cluster changes from the topic and brokers screens -------------------------------------

fn enter() -> Key {
    Key::plain(KeyCode::Enter)
}

fn esc() -> Key {
    Key::plain(KeyCode::Esc)
}

/// The topic `orders` on screen, loaded.
fn on_topic(read_only: bool) -> Harness {
    let mut h = Harness::with(100, 24, read_only);
    h.loaded();
    h.command("topic orders");
    h.tick(181);
    h.respond(181, None);
    h
}

fn config_plan(refused: Option<&str>) -> ConfigPlan {
    ConfigPlan {
        target: ConfigTarget::Topic("orders".into()),
        edits: vec![
            ConfigEdit {
                key: "retention.ms".into(),
                value: Some("259200000".into()),
            },
            ConfigEdit {
                key: "cleanup.policy".into(),
                value: None,
            },
        ],
        keys: vec![
            ConfigKeyPlan {
                key: "retention.ms".into(),
                before: Some("86400000".into()),
                before_source: "topic".into(),
                action: ConfigAction::Set,
                after: Some("259200000".into()),
                unchanged: false,
            },
            ConfigKeyPlan {
                key: "cleanup.policy".into(),
                before: Some("delete".into()),
                before_source: "default".into(),
                action: ConfigAction::Delete,
                after: None,
                unchanged: true,
            },
        ],
        refused: refused.map(String::from),
    }
}

fn config_applied(mismatched: bool) -> ConfigApplied {
    let undo = "/home/op/.local/share/kscope/undo/topic-config-orders-20261202T050000.000Z.json";
    ConfigApplied {
        read_back: vec![
            ConfigReadBack {
                key: "retention.ms".into(),
                value: Some(if mismatched { "86400000" } else { "259200000" }.into()),
                source: Some("topic".into()),
                verified: !mismatched,
            },
            ConfigReadBack {
                key: "cleanup.policy".into(),
                value: Some("delete".into()),
                source: Some("default".into()),
                verified: true,
            },
        ],
        mismatched: if mismatched {
            vec!["retention.ms".into()]
        } else {
            vec![]
        },
        read_back_error: None,
        undo_file: undo.into(),
        undo_command: format!("kscope topic config orders --from-file {undo} --execute"),
    }
}

fn plan_change(fx: &[Effect]) -> (u64, app::ChangeRequest) {
    match fx {
        [Effect::PlanChange { req, request }] => (*req, (**request).clone()),
        other => panic!("expected a plan, got {other:?}"),
    }
}

fn apply_change(fx: &[Effect]) -> (u64, app::ChangePlan) {
    match fx {
        [Effect::ApplyChange { req, plan }] => (*req, (**plan).clone()),
        other => panic!("expected an apply, got {other:?}"),
    }
}

#[test]
fn topic_config_edit_plans_then_applies_and_shows_the_undo() {
    let mut h = on_topic(false);
    assert!(h.render().contains("<e> edit"), "{}", h.render());
    h.keys("e");
    assert!(matches!(h.state.view(), View::Change { .. }));
    insta::assert_snapshot!("topic_config_input", h.render());
    // Not an entry: nothing planned, the reason shown.
    h.keys("retention.ms");
    let fx = h.key(enter());
    assert!(
        fx.iter().all(|e| !matches!(e, Effect::PlanChange { .. })),
        "{fx:?}"
    );
    insta::assert_snapshot!("topic_config_bad_entry", h.render());
    h.key(Key::ctrl('u'));
    h.keys("retention.ms=259200000 -cleanup.policy");
    let (req, request) = plan_change(&h.key(enter()));
    assert_eq!(
        request,
        app::ChangeRequest::Config {
            target: ConfigTarget::Topic("orders".into()),
            edits: config_plan(None).edits,
        }
    );
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Config(config_plan(None)))),
    });
    insta::assert_snapshot!("topic_config_plan", h.render());
    // Letters are not commands while the plan is up: `q` does not quit.
    assert!(h.keys("q").is_empty());
    assert!(!h.state.quit);
    // Reversible: Enter applies the plan on screen, no typed name.
    let (req, plan) = apply_change(&h.key(enter()));
    assert_eq!(plan, app::ChangePlan::Config(config_plan(None)));
    insta::assert_snapshot!("topic_config_applying", h.render());
    // While it is applied, Esc does not leave: the result will be shown.
    assert!(h.key(esc()).is_empty());
    assert!(matches!(h.state.view(), View::Change { .. }));
    // The broker refused when applying: back to the plan, with why; nothing else sent.
    h.act(Action::ChangeApplied {
        req,
        result: Err(Failure::new(
            ErrorKind::Usage,
            "IncrementalAlterConfigs: topic 'orders': POLICY_VIOLATION: retention too long",
        )),
    });
    insta::assert_snapshot!("topic_config_failed", h.render());
    // `y` applies too.
    let (req, _) = apply_change(&h.keys("y"));
    h.act(Action::ChangeApplied {
        req,
        result: Ok(Box::new(app::ChangeOutcome::Config(config_applied(false)))),
    });
    insta::assert_snapshot!("topic_config_done", h.render());
    // Back to the topic, read again.
    let fx = h.key(enter());
    assert!(matches!(h.state.view(), View::Topic { .. }));
    assert!(h.state.change.is_none());
    assert!(
        fetched(&fx).contains(&PanelKey::Topic("orders".into())),
        "{fx:?}"
    );

    // On the configs tab, the selected config is offered to edit.
    h.key(Key::plain(KeyCode::Tab));
    h.keys("e");
    let Some(app::ChangeStep::Input { text }) = h.state.change.as_ref().map(|c| c.step.clone())
    else {
        panic!("expected the input step");
    };
    assert!(text.ends_with('=') || text.contains('='), "{text}");
    // The broker refuses the change in the dry run: the plan says so, Enter applies nothing.
    h.key(Key::ctrl('u'));
    h.keys("retention.ms=-5 -cleanup.policy");
    let (req, _) = plan_change(&h.key(enter()));
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Config(config_plan(Some(
            "IncrementalAlterConfigs: topic 'orders': INVALID_CONFIG: Invalid value -5 for \
             configuration retention.ms",
        ))))),
    });
    assert!(h.key(enter()).is_empty());
    insta::assert_snapshot!("topic_config_refused", h.render());
    // Esc goes back to the entries as typed.
    h.key(esc());
    assert_eq!(
        h.state.change.as_ref().map(|c| c.step.clone()),
        Some(app::ChangeStep::Input {
            text: "retention.ms=-5 -cleanup.policy".into()
        })
    );
    let (req, _) = plan_change(&h.key(enter()));
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Config(config_plan(None)))),
    });
    let (req, _) = apply_change(&h.keys("y"));
    // Applied, but the read-back shows the old value: said plainly, the undo still shown.
    h.act(Action::ChangeApplied {
        req,
        result: Ok(Box::new(app::ChangeOutcome::Config(config_applied(true)))),
    });
    insta::assert_snapshot!("topic_config_unverified", h.render());
    // An answer to a stale request is dropped.
    h.act(Action::ChangeApplied {
        req: req + 100,
        result: Err(Failure::new(ErrorKind::Usage, "late")),
    });
    assert!(!h.render().contains("late"));

    // Read-only: not offered, and refused.
    let mut h = on_topic(true);
    assert!(!h.render().contains("<e> edit"), "{}", h.render());
    let fx = h.keys("e");
    assert!(fx.iter().all(|e| !matches!(e, Effect::PlanChange { .. })));
    assert!(matches!(h.state.view(), View::Topic { .. }));
    assert!(h.state.flash.as_ref().unwrap().text.contains("read-only"));
    insta::assert_snapshot!("topic_config_read_only", h.render());
}

fn truncate_plan(executed: bool, failed: bool) -> TruncatePlan {
    let partitions = (0..3)
        .map(|p| {
            let (start, new) = (100 * p as i64, if p == 2 { 200 } else { 1_000 });
            TruncatePartition {
                partition: p,
                log_start: start,
                log_end: 20_000 + p as i64,
                new_log_start: new,
                records_deleted: new - start,
                result_log_start: (executed && !(failed && p == 1) && new > start).then_some(new),
                error: (executed && failed && p == 1)
                    .then(|| "NOT_LEADER_OR_FOLLOWER: the leader moved".to_string()),
            }
        })
        .collect::<Vec<_>>();
    TruncatePlan {
        topic: "orders".into(),
        executed,
        records_deleted: partitions.iter().map(|p| p.records_deleted).sum(),
        partitions,
        groups_behind: vec![BehindGroup {
            group: "billing".into(),
            partitions: vec![0, 1],
        }],
        groups_unknown: vec!["fraud-detector".into()],
    }
}

#[test]
fn topic_partitions_and_truncate_need_the_typed_topic_name() {
    let mut h = on_topic(false);
    let screen = h.render();
    assert!(
        screen.contains("<P> partitions") && screen.contains("<T> truncate"),
        "{screen}"
    );

    // Partitions: the count, the plan with what it means for keyed records, the typed name.
    h.keys("P");
    assert!(matches!(h.state.view(), View::Change { .. }));
    insta::assert_snapshot!("topic_partitions_input", h.render());
    h.keys("many");
    assert!(h.key(enter()).is_empty());
    assert!(h.state.change.as_ref().unwrap().error.is_some());
    h.key(Key::ctrl('u'));
    h.keys("8");
    let (req, request) = plan_change(&h.key(enter()));
    assert_eq!(
        request,
        app::ChangeRequest::Partitions {
            topic: "orders".into(),
            count: 8
        }
    );
    let plan = PartitionsPlan {
        topic: "orders".into(),
        partitions_before: 6,
        partitions_after: 8,
        note: PARTITIONS_NOTE.into(),
    };
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Partitions(plan.clone()))),
    });
    insta::assert_snapshot!("topic_partitions_plan", h.render());
    // Enter or `y` alone do not apply an irreversible change: the name is typed.
    assert!(h.key(enter()).is_empty());
    h.keys("order");
    assert!(h.key(enter()).is_empty());
    insta::assert_snapshot!("topic_partitions_wrong_name", h.render());
    h.keys("s");
    insta::assert_snapshot!("topic_partitions_typed", h.render());
    let (req, applied) = apply_change(&h.key(enter()));
    assert_eq!(applied, app::ChangePlan::Partitions(plan.clone()));
    insta::assert_snapshot!("topic_partitions_applying", h.render());
    h.act(Action::ChangeApplied {
        req,
        result: Ok(Box::new(app::ChangeOutcome::Partitions(PartitionsAdded {
            partitions_now: 8,
            verified: true,
        }))),
    });
    insta::assert_snapshot!("topic_partitions_done", h.render());
    h.key(enter());
    assert!(matches!(h.state.view(), View::Topic { .. }));

    // The metadata does not show the new count: said plainly.
    h.keys("P8");
    let (req, _) = plan_change(&h.key(enter()));
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Partitions(plan))),
    });
    h.keys("orders");
    let (req, _) = apply_change(&h.key(enter()));
    h.act(Action::ChangeApplied {
        req,
        result: Ok(Box::new(app::ChangeOutcome::Partitions(PartitionsAdded {
            partitions_now: 6,
            verified: false,
        }))),
    });
    insta::assert_snapshot!("topic_partitions_unverified", h.render());
    h.key(esc());

    // Truncate: before an offset or a time, per partition what goes, the lagging groups named.
    h.keys("T");
    insta::assert_snapshot!("topic_truncate_input", h.render());
    h.keys("beginning");
    assert!(h.key(enter()).is_empty());
    insta::assert_snapshot!("topic_truncate_bad_point", h.render());
    h.key(Key::ctrl('u'));
    h.keys("@-2h");
    let (req, request) = plan_change(&h.key(enter()));
    assert!(
        matches!(&request, app::ChangeRequest::Truncate { topic, before: kscope::record::StartPosition::Ago(_) } if topic == "orders"),
        "{request:?}"
    );
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Truncate(truncate_plan(
            false, false,
        )))),
    });
    insta::assert_snapshot!("topic_truncate_plan", h.render());
    h.keys("orders");
    let (req, _) = apply_change(&h.key(enter()));
    insta::assert_snapshot!("topic_truncate_applying", h.render());
    // The broker refused it all: back to the plan with why, the name typed again.
    h.act(Action::ChangeApplied {
        req,
        result: Err(Failure::new(
            ErrorKind::NotAuthorized,
            "not authorized to delete records of topic 'orders'",
        )),
    });
    insta::assert_snapshot!("topic_truncate_failed", h.render());
    assert!(h.key(enter()).is_empty(), "the typed name was cleared");
    h.keys("orders");
    let (req, _) = apply_change(&h.key(enter()));
    h.act(Action::ChangeApplied {
        req,
        result: Ok(Box::new(app::ChangeOutcome::Truncate(truncate_plan(
            true, true,
        )))),
    });
    insta::assert_snapshot!("topic_truncate_partial", h.render());
    h.key(esc());
    assert!(matches!(h.state.view(), View::Topic { .. }));

    // The broker refused every partition (a compacted topic): nothing deleted, not "partly".
    h.keys("T@-2h");
    let (req, _) = plan_change(&h.key(enter()));
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Truncate(truncate_plan(
            false, false,
        )))),
    });
    h.keys("orders");
    let (req, _) = apply_change(&h.key(enter()));
    let mut refused = truncate_plan(true, false);
    for p in refused
        .partitions
        .iter_mut()
        .filter(|p| p.records_deleted > 0)
    {
        p.result_log_start = None;
        p.error = Some("POLICY_VIOLATION: the topic is compacted".to_string());
    }
    h.act(Action::ChangeApplied {
        req,
        result: Ok(Box::new(app::ChangeOutcome::Truncate(refused))),
    });
    let screen = h.render();
    assert!(screen.contains("nothing deleted"), "{screen}");
    insta::assert_snapshot!("topic_truncate_refused_everywhere", screen);
    h.key(esc());
    assert!(matches!(h.state.view(), View::Topic { .. }));

    // Nothing to delete: nothing can be applied.
    h.keys("T0");
    let (req, _) = plan_change(&h.key(enter()));
    let mut nothing = truncate_plan(false, false);
    for p in &mut nothing.partitions {
        p.new_log_start = p.log_start;
        p.records_deleted = 0;
    }
    nothing.records_deleted = 0;
    nothing.groups_behind.clear();
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Truncate(nothing))),
    });
    h.keys("orders");
    assert!(h.key(enter()).is_empty());
    assert!(h
        .state
        .change
        .as_ref()
        .unwrap()
        .error
        .as_deref()
        .unwrap()
        .contains("nothing to delete"));

    // Read-only: neither offered nor run.
    let mut h = on_topic(true);
    let screen = h.render();
    assert!(
        !screen.contains("<P>") && !screen.contains("<T>"),
        "{screen}"
    );
    for k in ["P", "T"] {
        let fx = h.keys(k);
        assert!(fx.iter().all(|e| !matches!(e, Effect::PlanChange { .. })));
        assert!(matches!(h.state.view(), View::Topic { .. }));
        assert!(h.state.flash.as_ref().unwrap().text.contains("read-only"));
    }
}

fn elect_plan(executed: bool) -> ElectPlan {
    let part = |topic: &str, partition, leader, action, error: Option<&str>| ElectPartition {
        topic: topic.into(),
        partition,
        leader: Some(leader),
        preferred: Some(1),
        action,
        leader_after: executed.then_some(if partition == 0 { 1 } else { leader }),
        error: error.map(String::from),
    };
    let partitions = vec![
        part("orders", 0, 2, ElectAction::Elect, None),
        part(
            "orders",
            3,
            3,
            ElectAction::Elect,
            executed.then_some("still led by 3 after the election"),
        ),
        part(
            "payments",
            1,
            2,
            ElectAction::Skip,
            Some("preferred replica 1 is not in sync"),
        ),
    ];
    ElectPlan {
        scope: "all topics".into(),
        executed,
        moved: usize::from(executed),
        partitions,
        read_back_error: None,
    }
}

#[test]
fn preferred_leader_election_from_the_brokers_screen_needs_the_typed_word() {
    let mut h = Harness::new(100, 24);
    h.loaded();
    h.keys("4");
    assert!(h.render().contains("<E> elect"), "{}", h.render());
    // Planned at once, nothing typed first.
    let (req, request) = plan_change(&h.keys("E"));
    assert_eq!(request, app::ChangeRequest::Elect);
    insta::assert_snapshot!("elect_planning", h.render());
    // The plan could not be made: said, and Enter tries again.
    h.act(Action::ChangePlanned {
        req,
        result: Err(Failure::new(
            ErrorKind::TimedOut,
            "metadata: timed out after 10s",
        )),
    });
    insta::assert_snapshot!("elect_plan_failed", h.render());
    let (req, _) = plan_change(&h.key(enter()));
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Elect(elect_plan(false)))),
    });
    insta::assert_snapshot!("elect_plan", h.render());
    assert!(h.key(enter()).is_empty());
    h.keys("elec");
    assert!(h.key(enter()).is_empty());
    insta::assert_snapshot!("elect_wrong_word", h.render());
    h.keys("t");
    let (req, plan) = apply_change(&h.key(enter()));
    assert_eq!(plan, app::ChangePlan::Elect(elect_plan(false)));
    insta::assert_snapshot!("elect_applying", h.render());
    h.act(Action::ChangeApplied {
        req,
        result: Ok(Box::new(app::ChangeOutcome::Elect(elect_plan(true)))),
    });
    insta::assert_snapshot!("elect_partial", h.render());
    let fx = h.key(esc());
    assert!(matches!(h.state.view(), View::Brokers(_)));
    assert!(fetched(&fx).contains(&PanelKey::Cluster), "{fx:?}");

    // Every partition led by its preferred replica: nothing to run; esc goes back.
    let (req, _) = plan_change(&h.keys("E"));
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Elect(ElectPlan {
            partitions: vec![],
            ..elect_plan(false)
        }))),
    });
    h.keys("elect");
    assert!(h.key(enter()).is_empty());
    insta::assert_snapshot!("elect_nothing", h.render());
    h.key(esc());
    assert!(matches!(h.state.view(), View::Brokers(_)));

    // Only on the brokers screen.
    h.keys("2");
    assert!(h.keys("E").is_empty());
    assert!(h
        .state
        .flash
        .as_ref()
        .unwrap()
        .text
        .contains("brokers screen"));

    // Read-only: not offered, refused.
    let mut h = Harness::with(100, 24, true);
    h.loaded();
    h.keys("4");
    assert!(!h.render().contains("<E> elect"));
    assert!(h.keys("E").is_empty());
    assert!(matches!(h.state.view(), View::Brokers(_)));
    assert!(h.state.flash.as_ref().unwrap().text.contains("read-only"));
    insta::assert_snapshot!("elect_read_only", h.render());
}

fn broker_configs() -> Vec<DescribedConfig> {
    let c = |name: &str, value: Option<&str>, source: &str, read_only: bool| DescribedConfig {
        name: name.into(),
        value: value.map(String::from),
        source: source.into(),
        sensitive: value.is_none(),
        read_only,
    };
    vec![
        c("log.cleaner.threads", Some("2"), "broker", false),
        c("log.dirs", Some("/var/lib/kafka"), "static-broker", true),
        c(
            "log.retention.ms",
            Some("604800000"),
            "broker-default",
            false,
        ),
        c(
            "listener.name.sasl.scram.password",
            None,
            "static-broker",
            true,
        ),
    ]
}

#[test]
fn broker_configs_screen_and_its_dynamic_configs_edited() {
    let mut h = Harness::new(100, 24);
    h.loaded();
    h.keys("4");
    let fx = h.key(enter());
    assert!(matches!(h.state.view(), View::BrokerConfigs { id: 1, .. }));
    assert!(fetched(&fx).contains(&PanelKey::BrokerConfigs(1)), "{fx:?}");
    insta::assert_snapshot!("broker_configs_loading", h.render());
    h.respond(181, None);
    insta::assert_snapshot!("broker_configs", h.render());
    // A static config is not offered to edit; the selected dynamic one is.
    h.keys("e");
    assert_eq!(
        h.state.change.as_ref().map(|c| c.step.clone()),
        Some(app::ChangeStep::Input {
            text: String::new()
        })
    );
    h.key(esc());
    h.keys("j");
    h.keys("e");
    let Some(app::ChangeStep::Input { text }) = h.state.change.as_ref().map(|c| c.step.clone())
    else {
        panic!("expected the input step");
    };
    assert_eq!(text, "log.cleaner.threads=2");
    insta::assert_snapshot!("broker_config_input", h.render());
    h.key(Key::ctrl('u'));
    h.keys("log.cleaner.threads=4");
    let (req, request) = plan_change(&h.key(enter()));
    let edits = vec![ConfigEdit {
        key: "log.cleaner.threads".into(),
        value: Some("4".into()),
    }];
    assert_eq!(
        request,
        app::ChangeRequest::Config {
            target: ConfigTarget::Broker(1),
            edits: edits.clone(),
        }
    );
    let plan = ConfigPlan {
        target: ConfigTarget::Broker(1),
        edits,
        keys: vec![ConfigKeyPlan {
            key: "log.cleaner.threads".into(),
            before: Some("2".into()),
            before_source: "broker".into(),
            action: ConfigAction::Set,
            after: Some("4".into()),
            unchanged: false,
        }],
        refused: None,
    };
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Config(plan))),
    });
    insta::assert_snapshot!("broker_config_plan", h.render());
    let (req, _) = apply_change(&h.keys("y"));
    let undo = "/home/op/.local/share/kscope/undo/broker-config-1-20261202T050000.000Z.json";
    h.act(Action::ChangeApplied {
        req,
        result: Ok(Box::new(app::ChangeOutcome::Config(ConfigApplied {
            read_back: vec![ConfigReadBack {
                key: "log.cleaner.threads".into(),
                value: Some("4".into()),
                source: Some("broker".into()),
                verified: true,
            }],
            mismatched: vec![],
            read_back_error: None,
            undo_file: undo.into(),
            undo_command: format!("kscope broker 1 configs --from-file {undo} --execute"),
        }))),
    });
    insta::assert_snapshot!("broker_config_done", h.render());
    let fx = h.key(enter());
    assert!(matches!(h.state.view(), View::BrokerConfigs { id: 1, .. }));
    assert!(fetched(&fx).contains(&PanelKey::BrokerConfigs(1)), "{fx:?}");

    // Read-only: the configs are shown, `e` is neither offered nor run.
    let mut h = Harness::with(100, 24, true);
    h.loaded();
    h.keys("4");
    h.key(enter());
    h.respond(181, None);
    assert!(!h.render().contains("<e> edit"));
    assert!(h.keys("e").is_empty());
    assert!(h.state.flash.as_ref().unwrap().text.contains("read-only"));
    insta::assert_snapshot!("broker_configs_read_only", h.render());
}

/// The `:acls` screen loaded (its ACLs sorted as the table shows them).
fn on_acls(read_only: bool) -> Harness {
    let mut h = Harness::with(110, 24, read_only);
    h.loaded();
    h.command("acls");
    h.tick(181);
    h.respond(181, None);
    h
}

fn acl_plan(action: AclAction, executed: bool, errors: &[Option<&str>]) -> AclPlan {
    let acls = acls();
    let mut planned: Vec<AclPlanned> = acls[..2]
        .iter()
        .zip(errors.iter().chain(std::iter::repeat(&None)))
        .map(|(acl, e)| AclPlanned {
            acl: acl.clone(),
            exists: false,
            error: e.map(String::from),
        })
        .collect();
    if action == AclAction::Create {
        // One of them exists already: nothing to do for it.
        planned.push(AclPlanned {
            acl: acls[2].clone(),
            exists: true,
            error: None,
        });
    }
    let (undo, verb) = match action {
        AclAction::Create => (
            "/data/undo/acls-create-acls-20261202T101500.000Z.json",
            "delete",
        ),
        AclAction::Delete => (
            "/data/undo/acls-delete-acls-20261202T101500.000Z.json",
            "create",
        ),
    };
    AclPlan {
        action,
        executed,
        acls: planned,
        undo_file: executed.then(|| undo.to_string()),
        undo_command: executed.then(|| format!("kscope acls {verb} --from-file {undo} --execute")),
        verified: executed,
    }
}

#[test]
fn acls_are_created_from_the_acls_screen_with_a_plan_and_an_undo_file() {
    let mut h = on_acls(false);
    let screen = h.render();
    assert!(
        screen.contains("<c> create") && screen.contains("<x> delete"),
        "{screen}"
    );
    let fx = h.keys("c");
    assert!(fx.iter().all(|e| !matches!(e, Effect::PlanChange { .. })));
    assert!(matches!(h.state.view(), View::Change { .. }));
    // The selected ACL's principal and resource are offered; the operation is typed.
    let text = match h.state.change.as_ref().map(|c| c.step.clone()) {
        Some(app::ChangeStep::Input { text }) => text,
        other => panic!("expected the input step, got {other:?}"),
    };
    assert!(text.ends_with("operation="), "{text}");
    insta::assert_snapshot!("acl_create_input", h.render());
    // Not a complete line: nothing planned, why shown.
    let fx = h.key(enter());
    assert!(fx.iter().all(|e| !matches!(e, Effect::PlanChange { .. })));
    insta::assert_snapshot!("acl_create_bad_line", h.render());
    h.key(Key::ctrl('u'));
    h.keys("principal=User:analytics type=topic name=page_ pattern=prefixed op=read,describe");
    let (req, request) = plan_change(&h.key(enter()));
    let wanted = match request {
        app::ChangeRequest::CreateAcls(a) => a,
        other => panic!("expected ACLs to create, got {other:?}"),
    };
    assert_eq!(
        wanted
            .iter()
            .map(|a| a.operation.as_str())
            .collect::<Vec<_>>(),
        ["read", "describe"]
    );
    assert!(wanted
        .iter()
        .all(|a| a.host == "*" && a.permission == "allow"));
    // The engine refused the names: back to the line, with why.
    h.act(Action::ChangePlanned {
        req,
        result: Err(Failure::new(
            ErrorKind::Usage,
            "unknown ACL operation 'reed' (one of: any, all, read, ...)",
        )),
    });
    insta::assert_snapshot!("acl_create_plan_error", h.render());
    let (req, _) = plan_change(&h.key(enter()));
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Acls(acl_plan(
            AclAction::Create,
            false,
            &[],
        )))),
    });
    insta::assert_snapshot!("acl_create_plan", h.render());
    // Reversible (an undo file): Enter applies the plan on screen, nothing typed.
    let (req, plan) = apply_change(&h.key(enter()));
    assert_eq!(
        plan,
        app::ChangePlan::Acls(acl_plan(AclAction::Create, false, &[]))
    );
    insta::assert_snapshot!("acl_create_applying", h.render());
    assert!(h.key(esc()).is_empty(), "esc waits while it is applied");
    // Refused as a whole (nothing sent): back to the plan, with why.
    h.act(Action::ChangeApplied {
        req,
        result: Err(Failure::new(
            ErrorKind::NotAuthorized,
            "not authorized to change ACLs (CLUSTER_AUTHORIZATION_FAILED: the principal needs \
             ALTER on the cluster)",
        )),
    });
    insta::assert_snapshot!("acl_create_refused", h.render());
    // Partly applied: the ACL the broker refused is named with why.
    let (req, _) = apply_change(&h.keys("y"));
    h.act(Action::ChangeApplied {
        req,
        result: Ok(Box::new(app::ChangeOutcome::Acls(acl_plan(
            AclAction::Create,
            true,
            &[
                None,
                Some("INVALID_REQUEST: The only valid name for the CLUSTER resource is kafka-cluster"),
            ],
        )))),
    });
    insta::assert_snapshot!("acl_create_partial", h.render());
    // Back to the ACLs, read again.
    let fx = h.key(enter());
    assert!(matches!(h.state.view(), View::Acls(_)));
    assert!(fetched(&fx).contains(&PanelKey::Acls), "{fx:?}");
    // All applied.
    h.keys("c");
    h.key(Key::ctrl('u'));
    h.keys("principal=User:a type=group name=g op=read");
    let (req, _) = plan_change(&h.key(enter()));
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Acls(acl_plan(
            AclAction::Create,
            false,
            &[],
        )))),
    });
    let (req, _) = apply_change(&h.key(enter()));
    h.act(Action::ChangeApplied {
        req,
        result: Ok(Box::new(app::ChangeOutcome::Acls(acl_plan(
            AclAction::Create,
            true,
            &[],
        )))),
    });
    insta::assert_snapshot!("acl_create_done", h.render());
    // Every ACL exists already: nothing to apply.
    h.key(enter());
    h.keys("c");
    h.key(Key::ctrl('u'));
    h.keys("principal=User:payments type=topic name=payments op=write");
    let (req, _) = plan_change(&h.key(enter()));
    let mut all_there = acl_plan(AclAction::Create, false, &[]);
    all_there.acls.retain(|p| p.exists);
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Acls(all_there))),
    });
    assert!(h.key(enter()).is_empty());
    insta::assert_snapshot!("acl_create_nothing", h.render());

    // Only on the ACLs screen.
    h.key(esc());
    h.key(esc());
    h.keys("2");
    assert!(h.keys("c").is_empty());
    assert!(h.state.flash.as_ref().unwrap().text.contains(":acls"));

    // Read-only: neither offered nor run.
    let mut h = on_acls(true);
    let screen = h.render();
    assert!(
        !screen.contains("<c> create") && !screen.contains("<x> delete"),
        "{screen}"
    );
    for k in ["c", "x"] {
        assert!(h.keys(k).is_empty());
        assert!(matches!(h.state.view(), View::Acls(_)));
        assert!(h.state.flash.as_ref().unwrap().text.contains("read-only"));
    }
    insta::assert_snapshot!("acl_read_only", h.render());
}

#[test]
fn acls_are_deleted_from_the_acls_screen_only_with_delete_typed() {
    let mut h = on_acls(false);
    // The selected ACL is the filter offered: its exact fields.
    let selected = {
        let View::Acls(table) = h.state.view() else {
            panic!("not on the ACLs screen");
        };
        let i = table.selected_index().unwrap();
        h.state.acls.data.as_ref().unwrap()[i].clone()
    };
    h.keys("x");
    let text = match h.state.change.as_ref().map(|c| c.step.clone()) {
        Some(app::ChangeStep::Input { text }) => text,
        other => panic!("expected the input step, got {other:?}"),
    };
    assert_eq!(text, selected.entries());
    insta::assert_snapshot!("acl_delete_input", h.render());
    // A filter with no field would select every ACL: refused.
    h.key(Key::ctrl('u'));
    let fx = h.key(enter());
    assert!(fx.iter().all(|e| !matches!(e, Effect::PlanChange { .. })));
    insta::assert_snapshot!("acl_delete_empty_filter", h.render());
    // A wider filter: every ACL it matches is planned, read from the broker.
    h.keys("principal=User:analytics");
    let (req, request) = plan_change(&h.key(enter()));
    assert_eq!(
        request,
        app::ChangeRequest::DeleteAcls(AclFilter {
            principal: Some("User:analytics".into()),
            ..AclFilter::default()
        })
    );
    insta::assert_snapshot!("acl_delete_planning", h.render());
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Acls(acl_plan(
            AclAction::Delete,
            false,
            &[],
        )))),
    });
    insta::assert_snapshot!("acl_delete_plan", h.render());
    // Enter alone, or the word mistyped: nothing is sent.
    assert!(h.key(enter()).is_empty());
    assert!(h.keys("y").is_empty());
    h.key(Key::ctrl('u'));
    h.keys("delet");
    assert!(h.key(enter()).is_empty());
    insta::assert_snapshot!("acl_delete_wrong_word", h.render());
    h.keys("e");
    let (req, plan) = apply_change(&h.key(enter()));
    assert_eq!(
        plan,
        app::ChangePlan::Acls(acl_plan(AclAction::Delete, false, &[]))
    );
    insta::assert_snapshot!("acl_delete_applying", h.render());
    h.act(Action::ChangeApplied {
        req,
        result: Ok(Box::new(app::ChangeOutcome::Acls(acl_plan(
            AclAction::Delete,
            true,
            &[],
        )))),
    });
    insta::assert_snapshot!("acl_delete_done", h.render());
    h.key(enter());
    assert!(matches!(h.state.view(), View::Acls(_)));

    // The broker could not answer the plan: back to the filter, with why.
    h.keys("x");
    let (req, _) = plan_change(&h.key(enter()));
    h.act(Action::ChangePlanned {
        req,
        result: Err(Failure::new(
            ErrorKind::TimedOut,
            "DescribeAcls: timed out after 10s",
        )),
    });
    insta::assert_snapshot!("acl_delete_plan_failed", h.render());
    // The filter matches nothing now: nothing to apply.
    let (req, _) = plan_change(&h.key(enter()));
    let mut none = acl_plan(AclAction::Delete, false, &[]);
    none.acls.clear();
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Acls(none))),
    });
    h.keys("delete");
    assert!(h.key(enter()).is_empty());
    insta::assert_snapshot!("acl_delete_nothing", h.render());
    // Deleted, but not read back: said plainly, the undo still shown.
    h.key(esc());
    let (req, _) = plan_change(&h.key(enter()));
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Acls(acl_plan(
            AclAction::Delete,
            false,
            &[],
        )))),
    });
    h.keys("delete");
    let (req, _) = apply_change(&h.key(enter()));
    let mut unverified = acl_plan(AclAction::Delete, true, &[]);
    unverified.verified = false;
    h.act(Action::ChangeApplied {
        req,
        result: Ok(Box::new(app::ChangeOutcome::Acls(unverified))),
    });
    insta::assert_snapshot!("acl_delete_unverified", h.render());
    // Every one refused.
    h.key(enter());
    h.keys("x");
    let (req, _) = plan_change(&h.key(enter()));
    h.act(Action::ChangePlanned {
        req,
        result: Ok(Box::new(app::ChangePlan::Acls(acl_plan(
            AclAction::Delete,
            false,
            &[],
        )))),
    });
    h.keys("delete");
    let (req, _) = apply_change(&h.key(enter()));
    h.act(Action::ChangeApplied {
        req,
        result: Ok(Box::new(app::ChangeOutcome::Acls(acl_plan(
            AclAction::Delete,
            true,
            &[Some("SECURITY_DISABLED"), Some("SECURITY_DISABLED")],
        )))),
    });
    insta::assert_snapshot!("acl_delete_failed", h.render());

    // No ACL listed (none, or the listing failed): nothing to delete.
    let mut h = Harness::with(110, 24, false);
    h.loaded();
    h.command("acls");
    h.tick(181);
    h.respond(181, Some("DescribeAcls: the cluster has no authorizer"));
    assert!(h.keys("x").is_empty());
    assert!(matches!(h.state.view(), View::Acls(_)));
    assert!(h
        .state
        .flash
        .as_ref()
        .unwrap()
        .text
        .contains("no ACL selected"));
}
