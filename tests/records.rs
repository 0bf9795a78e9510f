//! Crafted records against a real broker: header names that are not UTF-8 or carry escape
//! sequences, null and empty keys, values and header parts, and a record of several MB, read
//! back by `kscope tail` in table, `--format`, json and jsonl output. kscope must not panic,
//! must not let a control byte reach a terminal, and must write valid JSON that keeps every
//! byte.

mod common;

use std::process::Command;

use base64::Engine as _;
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::Value;

use common::*;

/// A header as raw bytes: rust-rdkafka's `Header` only takes `&str` names, so crafted names
/// are added with librdkafka's own call.
type RawHeader<'a> = (&'a [u8], Option<&'a [u8]>);

fn raw_headers(list: &[RawHeader<'_>]) -> OwnedHeaders {
    let headers = OwnedHeaders::new_with_capacity(list.len());
    // `BorrowedHeaders` is the native headers object itself (a zero-sized view of it).
    let native = headers.as_borrowed() as *const rdkafka::message::BorrowedHeaders
        as *mut rdkafka::bindings::rd_kafka_headers_t;
    for (name, value) in list {
        // SAFETY: `native` is the live headers object owned by `headers`; librdkafka copies
        // the name and value (with their explicit sizes) into it.
        let err = unsafe {
            rdkafka::bindings::rd_kafka_header_add(
                native,
                name.as_ptr().cast(),
                name.len() as isize,
                value.map_or(std::ptr::null(), |v| v.as_ptr().cast()),
                value.map_or(0, |v| v.len() as isize),
            )
        };
        assert_eq!(
            err,
            rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
        );
    }
    headers
}

const BIG: usize = 4 * 1024 * 1024;

struct Crafted {
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

fn crafted() -> Vec<Crafted> {
    let h = |n: &[u8], v: Option<&[u8]>| (n.to_vec(), v.map(<[u8]>::to_vec));
    vec![
        // Not UTF-8, as `kcat -H $'\xff\xfe=v'` makes it.
        Crafted {
            key: Some(b"k0".to_vec()),
            value: Some(b"v0".to_vec()),
            headers: vec![h(b"\xff\xfe", Some(b"v")), h(b"ok", None)],
        },
        // Escape sequences, BEL and a bidi override in names and values; no key, no value.
        Crafted {
            key: None,
            value: None,
            headers: vec![
                h(b"\x1b[31mred", Some(b"\x1b[2J\x1b]0;pwned\x07")),
                h(b"bell\x07", Some(b"\x07")),
                h("bidi\u{202e}txt".as_bytes(), Some("\u{9b}31m".as_bytes())),
            ],
        },
        // Empty everything.
        Crafted {
            key: Some(Vec::new()),
            value: Some(Vec::new()),
            headers: vec![h(b"", Some(b"")), h(b"", None)],
        },
        // Several MB, with terminal controls in the key and at both ends of the value.
        Crafted {
            key: Some(b"\x1b[1mbig\x9b".to_vec()),
            value: Some({
                let mut v = vec![b'x'; BIG];
                v[0] = 0x1b;
                v[BIG - 1] = 0x07;
                v
            }),
            headers: vec![h(b"size", Some(BIG.to_string().as_bytes()))],
        },
    ]
}

async fn produce_crafted(k: &Kafka, topic: &str, records: &[Crafted]) {
    let p: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &k.bootstrap)
        .set("message.max.bytes", "10000000")
        .set("linger.ms", "0")
        .create()
        .expect("producer");
    for r in records {
        let list: Vec<RawHeader<'_>> = r
            .headers
            .iter()
            .map(|(n, v)| (n.as_slice(), v.as_deref()))
            .collect();
        let mut fr: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic)
            .partition(0)
            .headers(raw_headers(&list));
        if let Some(key) = &r.key {
            fr = fr.key(key.as_slice());
        }
        if let Some(value) = &r.value {
            fr = fr.payload(value.as_slice());
        }
        p.send(fr, std::time::Duration::from_secs(30))
            .await
            .expect("delivery");
    }
}

/// Runs kscope with `args` in a pseudo-terminal (util-linux `script`), so that it escapes for
/// a terminal; returns (exit code, everything it wrote).
fn on_a_terminal(k: &Kafka, args: &[&str]) -> (Option<i32>, Vec<u8>) {
    let bin = kscope_bin();
    let mut line = format!("'{bin}' -b '{}' --timeout 20s", k.bootstrap);
    for a in args {
        line.push_str(&format!(" '{}'", a.replace('\'', r"'\''")));
    }
    let mut cmd = kscope_std();
    // Only the environment of kscope_std is wanted, not its program.
    let envs: Vec<(std::ffi::OsString, Option<std::ffi::OsString>)> = cmd
        .get_envs()
        .map(|(k, v)| (k.to_os_string(), v.map(|v| v.to_os_string())))
        .collect();
    cmd = Command::new("script");
    for (k, v) in envs {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env("COLUMNS", "200")
        .output()
        .expect("script (util-linux) is needed for this test");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), out.stdout)
}

/// Bytes a terminal would act on, other than the line structure (tab, CR from the pty, LF).
fn dangerous_bytes(out: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(out);
    text.char_indices()
        .filter(|(_, c)| {
            kscope::record::sanitize::is_dangerous(*c) && !matches!(c, '\t' | '\r' | '\n')
        })
        .map(|(i, c)| {
            let from = i.saturating_sub(20);
            format!("{:?} at {i}: ...{:?}...", c, &text[from..i])
        })
        .take(10)
        .collect()
}

#[tokio::test]
async fn crafted_headers_and_huge_records_are_read_safely() {
    let k = kafka();
    let topic = unique("crafted");
    let client =
        kscope::kafka::KafkaClient::new(kscope::config::ConnectionSettings::plain(&k.bootstrap))
            .expect("client");
    client
        .create_topic(
            &topic,
            1,
            Some(1),
            vec![("max.message.bytes".into(), "10485760".into())],
        )
        .await
        .expect("create topic");
    let records = crafted();
    produce_crafted(k, &topic, &records).await;
    let n = records.len().to_string();

    // JSON and JSON lines into a pipe: valid, and every byte comes back.
    for output in ["json", "jsonl"] {
        let out = kscope(k)
            .args([
                "tail",
                &topic,
                "--from",
                "beginning",
                "-n",
                &n,
                "-o",
                output,
            ])
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        assert!(out.status.success(), "{output}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
        let got: Vec<Value> = if output == "json" {
            json(&out).as_array().cloned().expect("a JSON array")
        } else {
            json_lines(&out)
        };
        assert_eq!(got.len(), records.len(), "{output}");
        for (r, j) in records.iter().zip(&got) {
            check_json(r, j);
        }
    }

    // Table (the default line) and templates into a pipe: no panic, names escaped.
    let out = kscope(k)
        .args([
            "tail",
            &topic,
            "--from",
            "beginning",
            "-n",
            &n,
            "--format",
            "%h\\n",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "\\xff\\xfe=v,ok=", "{text}");
    assert!(lines[1].starts_with("\\x1b[31mred="), "{text}");

    // On a terminal: table, a template and JSON. Nothing dangerous reaches it.
    for (what, args) in [
        (
            "table",
            vec!["tail", &topic, "--from", "beginning", "-n", &n],
        ),
        (
            "format",
            vec![
                "tail",
                &topic,
                "--from",
                "beginning",
                "-n",
                &n,
                "--format",
                "%k|%v|%h|%K|%S\\n",
            ],
        ),
        (
            "json",
            vec![
                "tail",
                &topic,
                "--from",
                "beginning",
                "-n",
                &n,
                "-o",
                "json",
            ],
        ),
        (
            "jsonl",
            vec![
                "tail",
                &topic,
                "--from",
                "beginning",
                "-n",
                &n,
                "-o",
                "jsonl",
            ],
        ),
    ] {
        let (code, out) = on_a_terminal(k, &args);
        assert_eq!(code, Some(0), "{what}: {}", String::from_utf8_lossy(&out));
        let bad = dangerous_bytes(&out);
        assert!(
            bad.is_empty(),
            "{what}: raw control characters on a terminal: {bad:?}"
        );
        let text = String::from_utf8_lossy(&out).replace('\r', "");
        match what {
            "json" => {
                let v: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("JSON on a terminal is not JSON ({e})"));
                let got = v.as_array().expect("array");
                for (r, j) in records.iter().zip(got) {
                    check_json(r, j);
                }
            }
            "jsonl" => {
                let got: Vec<Value> = text
                    .lines()
                    .map(|l| serde_json::from_str(l).expect("a JSON line"))
                    .collect();
                assert_eq!(got.len(), records.len());
                for (r, j) in records.iter().zip(&got) {
                    check_json(r, j);
                }
            }
            _ => {
                // The key of the big record, escaped (the default line has no headers).
                assert!(text.contains("\\x1b[1mbig\\x9b"), "{what}");
                assert!(text.len() > BIG, "{what}: the big value is shown whole");
                if what == "format" {
                    assert!(text.contains("\\xff\\xfe=v"), "{what}");
                    assert!(text.contains("\\x1b[31mred="), "{what}");
                    assert!(text.contains("bidi\\u{202e}txt="), "{what}");
                }
            }
        }
    }
}

/// The start of a (possibly huge) JSON value, for failure messages.
fn short(j: &Value) -> String {
    j.to_string().chars().take(300).collect()
}

/// One record's JSON against what was produced: names and values decode to the same bytes.
fn check_json(r: &Crafted, j: &Value) {
    let decode = |v: &Value, enc: &Value| -> Option<Vec<u8>> {
        match (v, enc.as_str()) {
            (Value::Null, _) => None,
            (Value::String(s), Some("base64")) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .expect("base64"),
            ),
            (Value::String(s), Some("utf8")) => Some(s.as_bytes().to_vec()),
            (v, e) => panic!(
                "unexpected value/encoding {} / {e:?} in {}",
                short(v),
                short(j)
            ),
        }
    };
    assert_eq!(
        decode(&j["key"], &j["key_encoding"]),
        r.key,
        "key of {}",
        short(j)
    );
    let value = decode(&j["value"], &j["value_encoding"]);
    assert_eq!(
        value.as_ref().map(Vec::len),
        r.value.as_ref().map(Vec::len),
        "value of {}",
        short(j)
    );
    assert!(value == r.value, "value bytes differ in {}", short(j));
    let headers = j["headers"].as_array().expect("headers");
    assert_eq!(headers.len(), r.headers.len(), "{}", short(j));
    for ((name, value), h) in r.headers.iter().zip(headers) {
        assert_eq!(
            decode(&h["key"], &h["key_encoding"]).as_ref(),
            Some(name),
            "{h}"
        );
        assert_eq!(
            decode(&h["value"], &h["encoding"]).as_ref(),
            value.as_ref(),
            "{h}"
        );
    }
}

/// The console's tail after `:from @TIME`, with its real reader against a real broker: what the
/// buffer holds are the records at the target (the records after them do not push them out,
/// the reader stops when the buffer is full), and the partitions, read one after another, are
/// merged by timestamp as they are read (each partition's order kept).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_jump_to_a_time_shows_the_target_merged_by_timestamp() {
    use kscope::app::{self, Action, Options, State};
    use kscope::runtime::effects::Runner;
    use std::time::{Duration, Instant};

    const N: i64 = 900;
    const CAPACITY: usize = 200;
    let k = kafka();
    let topic = unique("jump");
    create_topic(k, &topic, 3, 1).await;
    // Record i on partition i % 3 at base + i * 100 ms: the partitions' times interleave.
    let base = chrono::Utc::now().timestamp_millis() - 3_600_000;
    let p = producer(k);
    let mut deliveries = Vec::new();
    let values: Vec<(i32, i64, String)> = (0..3)
        .flat_map(|part| {
            (0..N)
                .filter(move |i| i % 3 == part as i64)
                .map(move |i| (part, i, format!("{i}")))
        })
        .collect();
    for (part, i, value) in &values {
        let r: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&topic)
            .partition(*part)
            .payload(value.as_bytes())
            .timestamp(base + i * 100);
        deliveries.push(p.send_result(r).map_err(|(e, _)| e).expect("enqueued"));
    }
    for d in deliveries {
        d.await.expect("delivered").expect("delivery");
    }

    let settings = kscope::config::ConnectionSettings::plain(&k.bootstrap);
    let client = kscope::kafka::KafkaClient::new(settings.clone()).expect("client");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (tail_tx, mut tail_rx) = tokio::sync::mpsc::channel(64);
    let mut runner = Runner::new(client, settings, tx, tail_tx);
    let options = Options {
        tail_capacity: CAPACITY,
        ..Options::default()
    };
    let t0 = Instant::now();
    let mut state = State::new("test", &k.bootstrap, false, options, t0, base + 3_600_000);
    state.size = (120, 30);

    // Runs a `:` line, then feeds what the reader sends until `done` holds (or 30 s pass),
    // then for `settle` more.
    async fn drive(
        state: &mut State,
        runner: &mut Runner,
        rx: &mut tokio::sync::mpsc::UnboundedReceiver<Action>,
        tail_rx: &mut tokio::sync::mpsc::Receiver<Action>,
        settle: Duration,
        done: impl Fn(&State) -> bool,
    ) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut settled: Option<Instant> = None;
        loop {
            if settled.is_none() && done(state) {
                settled = Some(Instant::now() + settle);
            }
            let now = Instant::now();
            if settled.is_some_and(|s| now >= s) || now >= deadline {
                break;
            }
            let action = tokio::select! {
                Some(a) = tail_rx.recv() => a,
                Some(a) = rx.recv() => a,
                _ = tokio::time::sleep(Duration::from_millis(100)) => Action::Tick(Instant::now()),
            };
            let fx = app::update(state, action);
            runner.run_all(fx);
        }
    }

    let mut fx = Vec::new();
    app::command_line::run(&mut state, &format!("tail {topic}"), &mut fx);
    runner.run_all(fx);
    drive(
        &mut state,
        &mut runner,
        &mut rx,
        &mut tail_rx,
        Duration::ZERO,
        |s| s.tail.as_ref().is_some_and(|t| t.arrived >= 200),
    )
    .await;
    let target = base + 300 * 100;
    let at = chrono::DateTime::from_timestamp_millis(target)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut fx = Vec::new();
    app::command_line::run(&mut state, &format!("from @{at}"), &mut fx);
    runner.run_all(fx);
    drive(
        &mut state,
        &mut runner,
        &mut rx,
        &mut tail_rx,
        Duration::from_secs(2),
        |s| s.tail.as_ref().is_some_and(|t| t.buffer.len() >= CAPACITY),
    )
    .await;

    let t = state.tail.as_ref().expect("the tail");
    assert!(t.error.is_none(), "{:?}", t.error);
    assert_eq!(t.buffer.len(), CAPACITY);
    assert_eq!(t.buffer.dropped, 0, "the records at the target were kept");
    assert_eq!(
        t.arrived, CAPACITY as u64,
        "the reader stopped when the buffer was full"
    );
    let seq: Vec<i64> = t
        .buffer
        .iter()
        .map(|r| {
            String::from_utf8_lossy(r.value.as_deref().unwrap_or_default())
                .parse()
                .unwrap()
        })
        .collect();
    let expected: Vec<i64> = (300..300 + CAPACITY as i64).collect();
    assert_eq!(
        seq, expected,
        "the target first, partitions merged by timestamp"
    );
    let parts: Vec<i32> = t.buffer.iter().take(6).map(|r| r.partition).collect();
    assert_eq!(parts, [0, 1, 2, 0, 1, 2]);
    assert_eq!(
        (t.selected, t.offset),
        (0, 0),
        "the view stays at the target"
    );
    let stats = t.windows.stats();
    assert_eq!((stats.late, stats.too_late), (0, 0), "{stats:?}");

    // Following again reads on: the rest of the log, then records produced now, promptly.
    let fx = app::update(&mut state, Action::Key(kscope::app::Key::char('F')));
    runner.run_all(fx);
    let live: Vec<String> = (0..30).map(|i| format!("live-{i}")).collect();
    let mut deliveries = Vec::new();
    let sent = Instant::now();
    for (i, v) in live.iter().enumerate() {
        let r: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&topic)
            .partition((i % 3) as i32)
            .payload(v.as_bytes());
        deliveries.push(p.send_result(r).map_err(|(e, _)| e).expect("enqueued"));
    }
    for d in deliveries {
        d.await.expect("delivered").expect("delivery");
    }
    let live_seen = |s: &State| {
        s.tail.as_ref().map_or(0, |t| {
            t.buffer
                .iter()
                .filter(|r| r.value.as_deref().is_some_and(|v| v.starts_with(b"live-")))
                .count()
        })
    };
    drive(
        &mut state,
        &mut runner,
        &mut rx,
        &mut tail_rx,
        Duration::from_millis(500),
        |s| live_seen(s) == 30,
    )
    .await;
    runner.shutdown();
    assert_eq!(live_seen(&state), 30, "the live records came");
    assert!(
        sent.elapsed() < Duration::from_secs(10),
        "live records took {:?}",
        sent.elapsed()
    );
    let t = state.tail.as_ref().unwrap();
    assert!(t.follow);
    assert_eq!(
        t.arrived,
        (N - 300 + 30) as u64,
        "every record after the target, once"
    );
    // Each partition's order is kept.
    for part in 0..3 {
        let offsets: Vec<i64> = t
            .buffer
            .iter()
            .filter(|r| r.partition == part)
            .map(|r| r.offset)
            .collect();
        assert!(offsets.windows(2).all(|w| w[0] + 1 == w[1]), "{offsets:?}");
    }
}
