//! Hostile names at a real broker: a consumer group (and its client id) whose name holds
//! terminal escape sequences, a bell and a bidi override. Kafka allows only [a-zA-Z0-9._-] in
//! topic names, but group ids and client ids are free-form, so a group is where such text
//! reaches kscope. Whatever the output format, no raw ESC, BEL, C1 or bidi control may reach
//! stdout or stderr; tables show the name escaped, and JSON parses back to the exact name.

mod common;

use common::*;
use std::process::Output;

/// Every sequence a terminal could act on, in one group id.
fn hostile_group() -> String {
    format!(
        "{}-\x1b[31mred\x1b]0;title\x07bell\x07\u{202e}txet",
        unique("g-hostile")
    )
}

/// The name as tables show it.
fn escaped(name: &str) -> String {
    kscope::record::sanitize::escape_text(name).into_owned()
}

/// Characters that must never reach a terminal raw (line feeds and tabs are layout).
fn forbidden(c: char) -> bool {
    c != '\n'
        && c != '\t'
        && (c.is_control()
            || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
}

fn assert_clean(what: &str, out: &Output) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        if let Some(c) = text.chars().find(|c| forbidden(*c)) {
            panic!("{what}: raw {c:?} on {stream}:\n{text:?}");
        }
        assert!(!text.contains("panicked"), "{what}: {text}");
    }
}

fn run(k: &Kafka, args: &[&str]) -> Output {
    let out = kscope(k).args(args).output().unwrap();
    assert_clean(&args.join(" "), &out);
    out
}

#[tokio::test]
async fn hostile_group_and_client_names_are_escaped_everywhere() {
    let k = kafka();
    let topic = unique("hostile");
    create_topic(k, &topic, 2, 1).await;
    let batch: Vec<TestRecord> = (0..10).map(|i| (i % 2, None, &b"x"[..], None)).collect();
    produce(k, &topic, &batch).await;
    let group = hostile_group();
    let client_id = format!("{group}-client");
    // A member stays in the group, so its (equally hostile) client id is shown too.
    let consumer = consume_and_commit(k, &group, &topic, 6);

    // groups: the table shows the name escaped; JSON and JSON lines carry it exactly.
    let out = run(k, &["groups"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains(&escaped(&group)), "{table}");
    let out = run(k, &["groups", "-o", "json"]);
    let list = json(&out);
    assert!(
        list["groups"]
            .as_array()
            .expect("a groups list")
            .iter()
            .any(|g| g["group"] == group.as_str()),
        "{list}"
    );
    let out = run(k, &["groups", "-o", "jsonl"]);
    assert!(json_lines(&out)
        .iter()
        .any(|g| g["group"] == group.as_str()));

    // group G: the name, the member's client id.
    let out = run(k, &["group", &group]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains(&escaped(&group)), "{table}");
    assert!(table.contains(&escaped(&client_id)), "{table}");
    for format in ["json", "jsonl"] {
        let out = run(k, &["group", &group, "-o", format]);
        let g = json(&out);
        assert_eq!(g["group"], group.as_str(), "{g}");
        let text = g.to_string();
        assert!(
            text.contains(&serde_json::to_string(&client_id).unwrap()),
            "{text}"
        );
    }

    // An offset reset plan names the group and its active member; --execute is refused with
    // an error that names them, escaped on stderr.
    let out = run(
        k,
        &[
            "offsets",
            "reset",
            &group,
            "--topic",
            &topic,
            "--to-earliest",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&escaped(&group)));
    let out = run(
        k,
        &[
            "offsets",
            "reset",
            &group,
            "--topic",
            &topic,
            "--to-earliest",
            "-o",
            "json",
        ],
    );
    assert_eq!(json(&out)["plan"]["group"], group.as_str());
    let out = run(
        k,
        &[
            "offsets",
            "reset",
            &group,
            "--topic",
            &topic,
            "--to-earliest",
            "--execute",
        ],
    );
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&escaped(&group)), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // The topic delete dry run lists the groups that read the topic.
    let out = run(k, &["topic", "delete", &topic]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&escaped(&group)), "{}", stderr(&out));

    // The member leaves; the group is Empty with lag, so the default rules see it stopped.
    drop(consumer);
    let watch = |format: &str| {
        run(
            k,
            &[
                "watch",
                "--once",
                "--interval",
                "1s",
                "--metrics",
                "--group",
                &group,
                "--topic",
                &topic,
                "-o",
                format,
            ],
        )
    };
    let out = watch("table");
    let text = String::from_utf8_lossy(&out.stdout);
    let status = text.lines().next().unwrap_or_default();
    assert!(status.contains(&escaped(&group)), "{text}");
    assert!(
        ["OK:", "WARNING:", "CRITICAL:", "UNKNOWN:"]
            .iter()
            .any(|w| status.starts_with(w)),
        "{text}"
    );
    let out = watch("jsonl");
    let lines = json_lines(&out);
    let metrics = lines
        .iter()
        .find(|l| l["type"] == "metrics")
        .expect("a metrics line");
    assert_eq!(metrics["groups"][0]["group"], group.as_str(), "{metrics}");
    for alert in lines.iter().filter(|l| l["type"] == "alert") {
        assert!(
            alert["resource"].as_str().unwrap().contains(&group),
            "{alert}"
        );
    }
    let out = watch("json");
    // Pretty JSON: a document over several lines, then the metrics document.
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let docs: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    assert_eq!(docs.len(), 2, "{text}");
    assert!(
        text.lines().count() > 2,
        "pretty JSON keeps its newlines: {text}"
    );
    assert_eq!(docs[1]["groups"][0]["group"], group.as_str());
}

/// Error texts that quote what was typed (or what a broker said) are escaped and one line.
#[test]
fn error_texts_are_escaped_and_one_line() {
    let k = kafka();
    let missing = format!(
        "{}-\x1b[2J\x1b]0;pwned\x07\u{202e}",
        unique("no-such-group")
    );
    let cases: Vec<Vec<&str>> = vec![
        vec!["group", &missing],
        vec!["topic", "\x1b[31mbad\x07"],
        vec!["tail", "\x1b[31mbad\x07"],
        vec!["tail", "t", "--from", "\x1b[31m\u{202e}"],
        vec!["tail", "t", "--filter", "\x1b[31m"],
        vec!["tail", "t", "--from", "@-300000y"],
        vec![
            "offsets",
            "reset",
            "g",
            "--topic",
            "t",
            "--by-duration",
            "P99999999999999999999999D",
        ],
        vec![
            "offsets",
            "reset",
            "g",
            "--topic",
            "t",
            "--by-duration",
            "300000y",
        ],
        vec!["produce", "t", "-H", "\x1b[31m", "--value", "x"],
        vec!["-X", "\x1b]0;x\x07=1", "cluster"],
    ];
    for args in cases {
        let out = run(k, &args);
        let err = stderr(&out);
        assert_ne!(out.status.code(), Some(0), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("kscope: "), "{args:?}: {err}");
    }
    // The duration past any clock says what went wrong and what would do.
    let out = run(k, &["tail", "t", "--from", "@-300000y"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("'@-300000y'") && err.contains("before 1970"),
        "{err}"
    );
    let out = run(
        k,
        &[
            "offsets",
            "reset",
            "g",
            "--topic",
            "t",
            "--by-duration",
            "60y",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("'60y'") && err.contains("use at most"),
        "{err}"
    );
}

/// On a real terminal (a pty from `script`), `cluster -o json` is pretty JSON over several
/// lines that parses, and `groups -o jsonl` has one valid line per group: the terminal escaping
/// leaves JSON's own newlines alone.
#[tokio::test]
async fn json_on_a_terminal_is_valid_json() {
    let k = kafka();
    let topic = unique("hostile-tty");
    create_topic(k, &topic, 1, 1).await;
    produce(k, &topic, &[(0, None, &b"x"[..], None)]).await;
    let group = hostile_group();
    drop(consume_and_commit(k, &group, &topic, 1));
    let bin = assert_cmd::cargo::cargo_bin("kscope");
    let on_tty = |args: &str| {
        let line = format!("{} -b {} --timeout 10s {args}", bin.display(), k.bootstrap);
        let out = std::process::Command::new("script")
            .args(["-q", "-e", "-c", &line, "/dev/null"])
            .env("HOME", scratch())
            .env("XDG_CONFIG_HOME", scratch().join("config"))
            .output()
            .expect("script(1) from util-linux runs a command on a pty");
        // The pty turns each line feed into CR LF; any other CR would be kscope's.
        let crlf = |b: &[u8]| {
            String::from_utf8_lossy(b)
                .replace("\r\n", "\n")
                .into_bytes()
        };
        let out = Output {
            stdout: crlf(&out.stdout),
            stderr: crlf(&out.stderr),
            ..out
        };
        assert_clean(args, &out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = on_tty("cluster -o json");
    assert!(text.lines().count() > 3, "{text}");
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON on a tty ({e}): {text}"));
    assert!(v["brokers"].is_array(), "{v}");

    let text = on_tty("groups -o jsonl");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line ({e}): {l:?}")))
        .collect();
    assert!(lines.iter().any(|g| g["group"] == group.as_str()), "{text}");
}
