//! Schema-aware tail and produce against a real Schema Registry (Apicurio with its Confluent
//! API, `scripts/registry.sh`) and real Kafka, with records written and read by an
//! independent client: confluent-kafka's Avro, Protobuf and JSON Schema serializers
//! (tests/schema/fixture.py). Every test uses its own topics and subjects.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

fn tail_jsonl(k: &Kafka, r: &SchemaRegistry, topic: &str, extra: &[&str]) -> (Vec<Value>, String) {
    let out = kscope(k)
        .args([
            "tail",
            topic,
            "--from",
            "beginning",
            "-o",
            "jsonl",
            "--schema-registry",
            &r.url,
        ])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    (json_lines(&out), stderr(&out))
}

async fn topic(k: &Kafka, prefix: &str) -> String {
    let t = unique(prefix);
    create_topic(k, &t, 1, 1).await;
    t
}

/// What the fixture wrote, as kscope must show it.
fn check_against(expected: &[Value], got: &[Value], encoding: &str) {
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (e, g) in expected.iter().zip(got) {
        assert_eq!(g["value"], e["value"], "record {g}");
        assert_eq!(g["value_encoding"], encoding, "{g}");
        assert_eq!(g["decode_error"], Value::Null, "{g}");
        assert_eq!(g["value_schema"]["subject"], e["subject"], "{g}");
        assert_eq!(g["value_schema"]["version"], e["version"], "{g}");
        assert!(g["value_schema"]["id"].as_u64().is_some(), "{g}");
        if e["key"].is_string() {
            assert_eq!(g["key"], e["key"], "{g}");
        }
    }
}

#[tokio::test]
async fn avro_from_the_confluent_serializer_with_two_schema_versions() {
    let (k, r) = (kafka(), registry());
    let t = topic(k, "sr-avro").await;
    let expected = fixture(r, k, &["produce", "avro"], &t);
    let (got, err) = tail_jsonl(k, r, &t, &[]);
    check_against(&expected, &got, "avro");
    assert_eq!(got[0]["value_schema"]["type"], "AVRO");
    assert_ne!(got[0]["value_schema"]["id"], got[5]["value_schema"]["id"]);
    assert_eq!(got[5]["value"]["channel"], "app");
    assert!(!err.contains("warning"), "{err}");

    // --format %v: compact JSON, the same values.
    let out = kscope(k)
        .args([
            "tail",
            &t,
            "--from",
            "beginning",
            "--format",
            "%v",
            "--schema-registry",
            &r.url,
        ])
        .output()
        .unwrap();
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[2], expected[2]["value"]);

    // Filters see decoded values; the path form compares decimals as numbers.
    let (got, _) = tail_jsonl(k, r, &t, &["--filter", "value.amount>-1232"]);
    let ids: Vec<&Value> = got.iter().map(|g| &g["value"]["id"]).collect();
    assert_eq!(ids, [&json!(3), &json!(4), &json!(5)]);
    let (got, _) = tail_jsonl(
        k,
        r,
        &t,
        &[
            "--filter",
            "value~\"tier\":\"SILVER\"",
            "--filter",
            "value.customer.tier=SILVER",
        ],
    );
    assert_eq!(got.len(), 3);
    let (got, _) = tail_jsonl(k, r, &t, &["--filter", "value.at>=2024-01-31T12:04"]);
    assert_eq!(got.len(), 2);

    // Without the registry the same records are bytes, as before.
    let out = kscope(k)
        .args(["tail", &t, "--from", "beginning", "-o", "jsonl", "-n", "1"])
        .output()
        .unwrap();
    let v = &json_lines(&out)[0];
    assert_eq!(v["value_encoding"], "base64", "{v}");
    assert!(v.get("value_schema").is_none(), "{v}");
}

#[tokio::test]
async fn avro_keys_and_references_across_subjects() {
    let (k, r) = (kafka(), registry());
    let t = topic(k, "sr-avro-key").await;
    let expected = fixture(r, k, &["produce", "avro-key"], &t);
    let (got, _) = tail_jsonl(k, r, &t, &[]);
    check_against(&expected, &got, "avro");
    assert_eq!(got[0]["key"], json!({"id": 7}));
    assert_eq!(got[0]["key_encoding"], "avro");
    assert_eq!(got[0]["key_schema"]["subject"], format!("{t}-key"));

    // The context's schema_registry makes `auto` the default.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[contexts.c]\nbootstrap = \"{}\"\n[contexts.c.schema_registry]\nurl = \"{}\"\nusername = \"u\"\npassword = {{ value = \"p\" }}\n",
            k.bootstrap, r.url
        ),
    )
    .unwrap();
    let out = kscope_bare()
        .args(["--config-file", config.to_str().unwrap(), "--context", "c"])
        .args(["tail", &t, "--from", "beginning", "-o", "jsonl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_lines(&out)[0]["key"], json!({"id": 7}));

    let t = topic(k, "sr-avro-ref").await;
    let expected = fixture(r, k, &["produce", "avro-ref"], &t);
    let (got, _) = tail_jsonl(k, r, &t, &["--value-as", "avro"]);
    check_against(&expected, &got, "avro");
    assert_eq!(got[0]["value"]["total"]["currency"], "EUR");
}

#[tokio::test]
async fn protobuf_from_the_confluent_serializer() {
    let (k, r) = (kafka(), registry());
    let t = topic(k, "sr-proto").await;
    let expected = fixture(r, k, &["produce", "protobuf"], &t);
    let (got, _) = tail_jsonl(k, r, &t, &["--value-as", "protobuf"]);
    // Nested messages, enums, maps, a oneof, Timestamp/Duration/wrappers, an import from
    // another subject (money.proto), and three message index paths: [1], [1, 1], [0].
    check_against(&expected, &got, "protobuf");
    assert_eq!(
        got[0]["value"]["id"], "9007199254740993",
        "64-bit ints as strings"
    );
    assert_eq!(got[0]["value_schema"]["type"], "PROTOBUF");
}

#[tokio::test]
async fn json_schema_from_the_confluent_serializer() {
    let (k, r) = (kafka(), registry());
    let t = topic(k, "sr-json").await;
    let expected = fixture(r, k, &["produce", "json"], &t);
    let (got, _) = tail_jsonl(k, r, &t, &["--value-as", "json-schema"]);
    check_against(&expected, &got, "json-schema");
    assert_eq!(got[0]["value_schema"]["type"], "JSON");
}

#[tokio::test]
async fn bad_records_are_shown_raw_with_a_reason_and_reported_once() {
    let (k, r) = (kafka(), registry());
    let t = topic(k, "sr-bad").await;
    let good = fixture(r, k, &["produce", "avro"], &t);
    let (first, _) = tail_jsonl(k, r, &t, &["-n", "1"]);
    let id = first[0]["value_schema"]["id"].as_u64().unwrap() as u32;
    let mut mismatch = vec![0u8];
    mismatch.extend_from_slice(&id.to_be_bytes());
    mismatch.extend_from_slice(&[0xff, 0xff, 0xff]);
    let unknown: &[u8] = &[0, 0x7f, 0xff, 0xff, 0x01, 2, 4];
    produce(
        k,
        &t,
        &[
            (0, Some(b"unknown1"), unknown, None),
            (0, Some(b"unknown2"), unknown, None),
            (0, Some(b"truncated"), &[0, 0, 1], None),
            (0, Some(b"mismatch"), &mismatch, None),
            (0, Some(b"plain"), b"just text", None),
        ],
    )
    .await;
    let (got, err) = tail_jsonl(k, r, &t, &[]);
    assert_eq!(
        got.len(),
        good.len() + 5,
        "the tail goes on past bad records"
    );
    let by_key = |key: &str| got.iter().find(|g| g["key"] == key).unwrap().clone();
    let u = by_key("unknown1");
    assert!(
        u["decode_error"]["value"]
            .as_str()
            .unwrap()
            .contains("2147483393"),
        "{u}"
    );
    assert_eq!(u["value_encoding"], "base64", "shown raw: {u}");
    assert_eq!(u["value"], "AH///wECBA==");
    let tr = by_key("truncated");
    assert!(
        tr["decode_error"]["value"]
            .as_str()
            .unwrap()
            .contains("truncated"),
        "{tr}"
    );
    let m = by_key("mismatch");
    assert!(
        m["decode_error"]["value"]
            .as_str()
            .unwrap()
            .contains(&format!("schema id {id}")),
        "{m}"
    );
    // `auto`: a record not in the wire format is today's utf8, with no error.
    let p = by_key("plain");
    assert_eq!(
        (p["value"].clone(), p["decode_error"].clone()),
        (json!("just text"), Value::Null)
    );
    // Each problem once on stderr, however many records have it.
    assert_eq!(err.matches("2147483393").count(), 1, "{err}");
    assert_eq!(err.matches("needs at least 5").count(), 1, "{err}");
    assert!(
        err.contains("4 key(s) or value(s) could not be decoded"),
        "{err}"
    );

    // Asked for Avro, a plain record says it is not in the wire format.
    let (got, _) = tail_jsonl(k, r, &t, &["--value-as", "avro", "--filter", "key=plain"]);
    assert!(
        got[0]["decode_error"]["value"]
            .as_str()
            .unwrap()
            .contains("wire format"),
        "{}",
        got[0]
    );
    // A registry that does not answer: every framed record raw, with the reason; exit 0.
    let out = kscope(k)
        .args([
            "tail",
            &t,
            "--from",
            "beginning",
            "-o",
            "jsonl",
            "--schema-registry",
            "http://127.0.0.1:1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let got = json_lines(&out);
    assert_eq!(got.len(), good.len() + 5);
    assert!(
        got[0]["decode_error"]["value"]
            .as_str()
            .unwrap()
            .contains("did not answer"),
        "{}",
        got[0]
    );
    assert_eq!(
        stderr(&out).matches("did not answer").count(),
        1,
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_registry_stopped_mid_tail() {
    let k = kafka();
    let state = tempfile::tempdir().unwrap();
    let r = start_registry(Some(state.path()));
    let t = topic(k, "sr-stop").await;
    let expected = fixture(&r, k, &["produce", "avro"], &t);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kscope"))
        .args([
            "-b",
            &k.bootstrap,
            "tail",
            &t,
            "--from",
            "beginning",
            "--follow",
            "-o",
            "jsonl",
        ])
        .args(["--schema-registry", &r.url])
        .env("HOME", scratch())
        .env("XDG_CONFIG_HOME", scratch().join("config"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(serde_json::from_str(&line).unwrap()).is_err() {
                break;
            }
        }
    });
    let next = |what: &str| {
        rx.recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no record for {what}"))
    };
    let mut seen = Vec::new();
    for _ in 0..expected.len() {
        seen.push(next("the first records"));
    }
    check_against(&expected, &seen, "avro");
    let known = seen[0]["value_schema"]["id"].as_u64().unwrap() as u32;
    stop_registry(state.path());
    // A record with an id kscope has seen (cached), and one with an id it has not.
    let out = kscope(k)
        .args([
            "tail",
            &t,
            "--from",
            "beginning",
            "-n",
            "1",
            "--format",
            "%v",
            "--value-as",
            "base64",
        ])
        .output()
        .unwrap();
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(String::from_utf8_lossy(&out.stdout).trim())
        .unwrap();
    let mut other = bytes.clone();
    other[1..5].copy_from_slice(&(known + 100).to_be_bytes());
    produce(
        k,
        &t,
        &[
            (0, Some(b"cached"), &bytes, None),
            (0, Some(b"new"), &other, None),
        ],
    )
    .await;
    let cached = next("the cached id");
    let new = next("the new id");
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(status.success(), "{status:?}");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(cached["value"], expected[0]["value"], "{cached}");
    assert!(
        new["decode_error"]["value"]
            .as_str()
            .unwrap()
            .contains("did not answer"),
        "{new}"
    );
    assert_eq!(err.matches("did not answer").count(), 1, "{err}");
}

#[tokio::test]
async fn produce_with_registry_schemas_reads_back_with_confluent_deserializers() {
    let (k, r) = (kafka(), registry());
    // The subjects the fixture registered: Avro v1 and v2, and the Protobuf file.
    let avro = topic(k, "sr-pa-src").await;
    let expected = fixture(r, k, &["produce", "avro"], &avro);
    let proto = topic(k, "sr-pp-src").await;
    fixture(r, k, &["produce", "protobuf"], &proto);
    let jsons = topic(k, "sr-pj-src").await;
    let json_expected = fixture(r, k, &["produce", "json"], &jsons);

    let dst = topic(k, "sr-pa").await;
    let input: String = expected[..3]
        .iter()
        .map(|e| format!("{}\n", e["value"]))
        .collect();
    let out = kscope(k)
        .args([
            "produce",
            &dst,
            "--schema-registry",
            &r.url,
            "--value-schema",
            &format!("{avro}-value:1"),
        ])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let back = fixture(r, k, &["consume", "avro", "--count", "3"], &dst);
    for (e, b) in expected.iter().zip(&back) {
        assert_eq!(b["value"], e["value"]);
    }

    let dst = topic(k, "sr-pp").await;
    let order = json!({"id": "12", "customer": {"name": "A", "tier": "SILVER"}, "cash": "5",
        "at": "2024-05-01T00:00:00Z", "took": "2s", "note": "x", "total": {"cents": "7", "currency": "USD"}});
    let out = kscope(k)
        .args([
            "produce",
            &dst,
            "--schema-registry",
            &r.url,
            "--value-schema",
            &format!("{proto}-value"),
        ])
        .args([
            "--proto-message",
            "shop.Order",
            "--value",
            &order.to_string(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let back = fixture(
        r,
        k,
        &[
            "consume",
            "protobuf",
            "--count",
            "1",
            "--proto-message",
            "shop.Order",
        ],
        &dst,
    );
    let v = &back[0]["value"];
    assert_eq!(
        (v["id"].clone(), v["cash"].clone()),
        (json!("12"), json!("5")),
        "{v}"
    );
    assert_eq!(v["customer"]["tier"], "SILVER");
    assert_eq!(v["at"], "2024-05-01T00:00:00Z");
    assert_eq!(v["total"]["currency"], "USD");
    // And kscope reads its own record through the registry.
    let (got, _) = tail_jsonl(k, r, &dst, &[]);
    assert_eq!(got[0]["value"]["took"], "2s");

    let dst = topic(k, "sr-pj").await;
    let out = kscope(k)
        .args([
            "produce",
            &dst,
            "--schema-registry",
            &r.url,
            "--value-schema",
            &format!("{jsons}-value"),
        ])
        .write_stdin(format!("{}\n", json_expected[0]["value"]))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let back = fixture(r, k, &["consume", "json", "--count", "1"], &dst);
    assert_eq!(back[0]["value"], json_expected[0]["value"]);
}

#[tokio::test]
async fn produce_refuses_input_that_does_not_fit_and_sends_nothing() {
    let (k, r) = (kafka(), registry());
    let src = topic(k, "sr-refuse-src").await;
    let expected = fixture(r, k, &["produce", "avro"], &src);
    let dst = topic(k, "sr-refuse").await;
    let good = expected[0]["value"].to_string();
    let mut bad = expected[0]["value"].clone();
    bad["amount"] = json!("1.234");
    for (input, line, complaint) in [
        (format!("{good}\n{bad}\n{good}\n"), "line 2", "$.amount"),
        (format!("{good}\nnot json\n"), "line 2", "not JSON"),
        (
            format!("{good}\n{good}\n{{\"id\":1}}\n"),
            "line 3",
            "$.customer: missing",
        ),
    ] {
        let out = kscope(k)
            .args([
                "produce",
                &dst,
                "--schema-registry",
                &r.url,
                "--value-schema",
                &format!("{src}-value"),
            ])
            .write_stdin(input)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(line) && err.contains(complaint), "{err}");
        assert!(err.contains("nothing was sent"), "{err}");
    }
    let out = kscope(k)
        .args([
            "produce",
            &dst,
            "--schema-registry",
            &r.url,
            "--value-schema",
            "no-such-subject-x",
        ])
        .args(["--value", "{}"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let out = kscope(k)
        .args(["tail", &dst, "--from", "beginning", "-o", "jsonl"])
        .output()
        .unwrap();
    assert!(json_lines(&out).is_empty(), "nothing was sent");
}

#[tokio::test]
async fn local_schema_files_without_a_registry() {
    let k = kafka();
    let avsc = repo().join("tests/schema/order.avsc");
    let avsc = avsc.to_str().unwrap();
    let t = topic(k, "local-avro").await;
    let records = [
        json!({"id": 1, "status": "PAID", "amount": "12.30", "at": "2024-01-31T12:00:00.123Z", "note": null, "tags": ["a"]}),
        json!({"id": 2, "status": "NEW", "amount": "-0.05", "at": "1970-01-01T00:00:00.000Z", "note": "n", "tags": []}),
    ];
    let input: String = records.iter().map(|r| format!("{r}\n")).collect();
    let out = kscope(k)
        .args(["produce", &t, "--value-schema", avsc])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = kscope(k)
        .args([
            "tail",
            &t,
            "--from",
            "beginning",
            "-o",
            "jsonl",
            "--value-schema",
            avsc,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let got = json_lines(&out);
    assert_eq!(got[0]["value"], records[0]);
    assert_eq!(got[1]["value"], records[1]);
    assert_eq!(got[0]["value_schema"]["file"], avsc);
    assert_eq!(got[0]["value_schema"]["id"], Value::Null);

    let proto = repo().join("tests/schema/proto/shop.proto");
    let proto = proto.to_str().unwrap();
    let t = topic(k, "local-proto").await;
    let v = json!({"id": "5", "lines": [{"sku": "x", "qty": 1}], "attrs": {"a": "b"}, "card": "c",
        "at": "2024-01-31T12:00:00Z", "raw": "", "ratio": 1.5});
    let out = kscope(k)
        .args([
            "produce",
            &t,
            "--proto",
            proto,
            "--proto-message",
            "shop.Order",
            "--value",
            &v.to_string(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = kscope(k)
        .args([
            "tail",
            &t,
            "--from",
            "beginning",
            "-o",
            "jsonl",
            "--proto",
            proto,
            "--proto-message",
            "shop.Order",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_lines(&out)[0]["value"], v);
    // Naming no message, or a message that is not there, is a usage error naming the choices.
    let out = kscope(k)
        .args(["tail", &t, "--proto", proto, "--proto-message", "shop.Nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("shop.Order"), "{}", stderr(&out));
    let out = kscope(k)
        .args(["tail", &t, "--value-as", "avro"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--schema-registry"),
        "{}",
        stderr(&out)
    );
}

/// A registry behind a gate that checks HTTP Basic credentials (tests/schema/auth_proxy.py
/// forwards to the real registry): the right password decodes, a wrong one shows every record
/// raw with the refusal as its reason, once on stderr, and the tail still succeeds.
#[tokio::test]
async fn a_registry_that_refuses_the_credentials() {
    let (k, r) = (kafka(), registry());
    let t = topic(k, "sr-auth").await;
    let expected = fixture(r, k, &["produce", "avro"], &t);
    let mut gate = std::process::Command::new(&r.python)
        .arg(repo().join("tests/schema/auth_proxy.py"))
        .args([r.url.as_str(), "ops", "right"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    BufReader::new(gate.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let url = format!("http://127.0.0.1:{}", port.trim());
    let dir = tempfile::tempdir().unwrap();
    let tail_with = |password: &str| {
        let config = dir.path().join(format!("{password}.toml"));
        std::fs::write(
            &config,
            format!(
                "[contexts.c]\nbootstrap = \"{}\"\n[contexts.c.schema_registry]\nurl = \"{url}\"\nusername = \"ops\"\npassword = {{ value = \"{password}\" }}\n",
                k.bootstrap
            ),
        )
        .unwrap();
        let out = kscope_bare()
            .args(["--config-file", config.to_str().unwrap(), "--context", "c"])
            .args(["tail", &t, "--from", "beginning", "-o", "jsonl"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        (json_lines(&out), stderr(&out))
    };
    let (got, _) = tail_with("right");
    check_against(&expected, &got, "avro");

    let (got, err) = tail_with("wrong");
    let _ = gate.kill();
    let _ = gate.wait();
    assert_eq!(got.len(), expected.len(), "the tail goes on");
    for g in &got {
        assert_eq!(g["value_encoding"], "base64", "shown raw: {g}");
        let why = g["decode_error"]["value"].as_str().unwrap();
        assert!(why.contains("refused") && why.contains("HTTP 401"), "{g}");
        assert!(!why.contains("wrong"), "no password in a reason: {why}");
    }
    assert!(!err.contains("wrong"), "no password on stderr: {err}");
    // Two schema ids (v1 and v2), one problem: the refusal.
    assert_eq!(err.matches("refused").count(), 1, "{err}");
}

/// Schemas read once are kept on disk (owner-only, per registry): a later tail decodes with
/// them while the registry is down; without that cache the same tail shows the records raw.
#[tokio::test]
async fn the_disk_cache_decodes_while_the_registry_is_down() {
    let k = kafka();
    let state = tempfile::tempdir().unwrap();
    let r = start_registry(Some(state.path()));
    let t = topic(k, "sr-disk").await;
    let expected = fixture(&r, k, &["produce", "avro"], &t);
    let data = tempfile::tempdir().unwrap();
    let tail = |data: &std::path::Path| {
        let out = kscope(k)
            .env("KSCOPE_DATA_DIR", data)
            .args([
                "tail",
                &t,
                "--from",
                "beginning",
                "-o",
                "jsonl",
                "--schema-registry",
                &r.url,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        (json_lines(&out), stderr(&out))
    };
    let (got, _) = tail(data.path());
    check_against(&expected, &got, "avro");
    let files: Vec<std::path::PathBuf> = walk(&data.path().join("schema-cache"));
    assert_eq!(files.len(), 2, "one file per schema id: {files:?}");
    for f in &files {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }

    stop_registry(state.path());
    let (got, err) = tail(data.path());
    check_against(&expected, &got, "avro");
    assert!(!err.contains("cannot be decoded"), "{err}");

    let empty = tempfile::tempdir().unwrap();
    let (got, err) = tail(empty.path());
    assert_eq!(got.len(), expected.len());
    assert!(
        got.iter().all(|g| g["decode_error"]["value"]
            .as_str()
            .is_some_and(|e| e.contains("did not answer"))),
        "{got:#?}"
    );
    assert!(err.contains("cannot be decoded"), "{err}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The console's versions screen reads a subject's versions through the registry client:
/// newest first, each with its own id and schema; a subject the registry lacks is a 404 said as
/// such (not an empty list), and a registry that does not answer says so.
#[tokio::test]
async fn subject_versions_for_the_console() {
    use kscope::config::RegistrySettings;
    use kscope::schema::registry::{Registry, RegistryError};
    let (k, r) = (kafka(), registry());
    let t = topic(k, "sr-versions").await;
    let expected = fixture(r, k, &["produce", "avro"], &t);
    let subject = expected[0]["subject"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    let reg = Registry::new(&RegistrySettings::url(&r.url), Duration::from_secs(10)).unwrap();
    let subject2 = subject.clone();
    let v = tokio::task::spawn_blocking(move || reg.subject_versions(&subject2, deadline))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.subject, subject);
    assert_eq!(v.not_loaded, 0);
    let numbers: Vec<i32> = v.versions.iter().map(|r| r.version).collect();
    assert_eq!(numbers.len(), 2, "{numbers:?}");
    assert!(numbers[0] > numbers[1], "newest first: {numbers:?}");
    let (newest, oldest) = (
        v.versions[0].schema.as_ref().unwrap(),
        v.versions[1].schema.as_ref().unwrap(),
    );
    assert_ne!(newest.id, oldest.id);
    assert_eq!(newest.kind, "AVRO");
    // The second version added the channel field.
    assert!(newest.text.contains("channel"), "{}", newest.text);
    assert!(!oldest.text.contains("channel"), "{}", oldest.text);

    let reg = Registry::new(&RegistrySettings::url(&r.url), Duration::from_secs(10)).unwrap();
    let missing = unique("sr-no-such");
    let m = missing.clone();
    let err = tokio::task::spawn_blocking(move || reg.subject_versions(&m, deadline))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, RegistryError::NotFound(_)), "{err:?}");
    assert!(err.to_string().contains(&missing), "{err}");

    // Nothing listens on this port.
    let reg = Registry::new(
        &RegistrySettings::url("http://127.0.0.1:9"),
        Duration::from_secs(3),
    )
    .unwrap();
    let err = tokio::task::spawn_blocking(move || reg.subject_versions("x", deadline))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, RegistryError::Unreachable(_)), "{err:?}");
}
