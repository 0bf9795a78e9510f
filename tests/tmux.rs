//! The real binary in a real terminal (tmux) on the demo cluster: it navigates to topics, a
//! topic, a tail, groups and a group, quits, and the terminal is restored; and against a real
//! broker, the console's cluster changes: a group deleted and a topic's configs edited, each with
//! its undo file; a topic truncated and given partitions only with its name typed; the brokers
//! screen's election plan and a broker's configs; ACLs created and deleted on `:acls` (a cluster
//! with an authorizer).
//! `scripts/test.sh` runs it against the release binary (`KSCOPE_BIN`).

mod common;

use std::process::Command;

use common::tmux::Tmux;

#[test]
fn console_in_a_real_terminal() {
    let bin =
        std::env::var("KSCOPE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_kscope").to_string());
    let data = common::scratch().join("tmux-data");
    let t = Tmux::new(120, 32);
    t.send(&[
        &format!(
            "KSCOPE_DATA_DIR={} {bin} demo; echo KSCOPE_EXIT=$?",
            data.display()
        ),
        "Enter",
    ]);

    t.wait_for(
        "the overview with data",
        &[
            "● connected",
            "top topics by rate",
            "page_views",
            "analytics",
        ],
    );
    assert_eq!(
        t.display("#{alternate_on}"),
        "1",
        "the console uses the alternate screen"
    );

    t.send(&["2"]);
    t.wait_for(
        "the topics",
        &["topics (4)", "orders", "payments", "RATE/S"],
    );
    // Sorted by name: alerts, orders, ...
    t.send(&["j", "Enter"]);
    t.wait_for("the topic", &["topic orders", "partitions 6", "REPLICAS"]);

    t.send(&["t"]);
    t.wait_for("the tail", &["tail orders", "following", "cust-"]);
    t.send(&["Enter"]);
    t.wait_for("the detail pane", &["\"order_id\"", "value  headers  hex"]);
    // A jump holds the view at its target, with the detail pane still open; F follows again.
    t.send(&[":", "from @-10m", "Enter"]);
    t.wait_for(
        "the tail after a jump",
        &["tail orders", "from @-10m", " held ", "value  headers  hex"],
    );
    t.send(&["F"]);
    t.wait_for("the tail following again", &["from @-10m", "following"]);

    t.send(&["Escape", "Escape", "Escape", "3"]);
    t.wait_for(
        "the groups",
        &["consumer groups (3)", "billing", "fraud-detector", "LAG"],
    );
    t.send(&[":", "group analytics", "Enter"]);
    t.wait_for("the group", &["group analytics", "page_views", "COMMITTED"]);

    t.send(&["?"]);
    t.wait_for("help", &["help · esc closes", "quit kscope", "this help"]);
    t.send(&["Escape", "q"]);
    let s = t.wait_for("the exit", &["KSCOPE_EXIT=0"]);
    assert_eq!(
        t.display("#{alternate_on}"),
        "0",
        "the terminal was not restored:\n{s}"
    );
    // The console's log went to a file, not the terminal.
    assert!(data.join("kscope.log").exists());
}

#[test]
fn console_refuses_without_a_terminal() {
    let out = common::kscope_bare()
        .args(["-b", "127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("needs a terminal"));
}

/// A fatal signal (here SIGABRT, as an assertion inside librdkafka raises it) while the
/// console runs: the process still ends with that signal, but the terminal comes back (no
/// alternate screen, cursor visible, cooked mode) and kscope.log says what happened.
#[test]
fn an_abort_restores_the_terminal_and_is_logged() {
    let bin =
        std::env::var("KSCOPE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_kscope").to_string());
    let data = common::scratch().join("tmux-abort-data");
    let pidfile = common::scratch().join("tmux-abort.pid");
    let _ = std::fs::remove_file(&pidfile);
    let t = Tmux::new(120, 32);
    // `exec` keeps the pid written by the shell, so the test knows whom to signal.
    t.send(&[
        &format!(
            "KSCOPE_DATA_DIR={} bash -c 'echo $$ >{}; exec {bin} demo'; echo KSCOPE_EXIT=$?",
            data.display(),
            pidfile.display()
        ),
        "Enter",
    ]);
    t.wait_for("the overview", &["● connected", "top topics by rate"]);
    assert_eq!(t.display("#{alternate_on}"), "1");
    assert_eq!(
        t.display("#{cursor_flag}"),
        "0",
        "the console hides the cursor"
    );
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    assert!(Command::new("kill")
        .args(["-ABRT", &pid.to_string()])
        .status()
        .unwrap()
        .success());

    // 134 = 128 + SIGABRT: the process still dies of the signal.
    let s = t.wait_for("the exit", &["KSCOPE_EXIT=134"]);
    assert_eq!(
        t.display("#{alternate_on}"),
        "0",
        "still in the alternate screen:\n{s}"
    );
    assert_eq!(
        t.display("#{cursor_flag}"),
        "1",
        "the cursor is still hidden"
    );
    // Raw mode is off again: the shell's next command sees a cooked terminal.
    t.send(&[
        "stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo =STTY",
        "Enter",
    ]);
    let s = t.wait_for("the terminal modes", &["=STTY"]);
    let modes = s
        .lines()
        .find(|l| l.trim_end().ends_with("=STTY") && !l.contains("grep"))
        .unwrap_or_default();
    assert!(
        modes.contains("icanon") && !modes.contains("-icanon") && !modes.contains("-echo"),
        "the terminal was left in raw mode: {modes:?}\n{s}"
    );
    let log = std::fs::read_to_string(data.join("kscope.log")).expect("kscope.log");
    assert!(
        log.contains("kscope: fatal signal SIGABRT"),
        "kscope.log does not say what happened:\n{log}"
    );
}

/// The console against a real broker and a real Schema Registry: records written by
/// confluent-kafka's `AvroSerializer` are shown decoded in the tail, the detail pane shows the
/// value pretty and, on `tab`, its schema; `:subjects` lists the topic's subject with its
/// versions and schema text.
#[tokio::test]
async fn console_decodes_records_through_a_real_registry() {
    let bin =
        std::env::var("KSCOPE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_kscope").to_string());
    let (k, r) = (common::kafka(), common::registry());
    let topic = common::unique("tmux-sr");
    common::create_topic(k, &topic, 1, 1).await;
    let expected = common::fixture(r, k, &["produce", "avro"], &topic);
    assert_eq!(expected.len(), 6, "{expected:?}");
    let dir = common::scratch().join("tmux-registry");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_context = \"sr\"\n[contexts.sr]\nbootstrap = \"{}\"\n[contexts.sr.schema_registry]\nurl = \"{}\"\n",
            k.bootstrap, r.url
        ),
    )
    .unwrap();
    let t = Tmux::new(160, 40);
    t.send(&[
        &format!(
            "KSCOPE_DATA_DIR={} {bin} --config-file {}; echo KSCOPE_EXIT=$?",
            dir.join("data").display(),
            config.display()
        ),
        "Enter",
    ]);
    t.wait_for("the overview", &["● connected"]);
    t.send(&[":", &format!("tail {topic} beginning"), "Enter"]);
    // The list shows each value as the JSON its schema reads, not the wire format's bytes.
    let s = t.wait_for(
        "the decoded tail",
        &[
            &format!("tail {topic}"),
            "{\"id\":0,\"customer\":{\"name\":",
        ],
    );
    assert!(!s.contains("\\x00"), "raw bytes on screen:\n{s}");
    // The newest record (version 2 of the subject), pretty in the schema's field order, then
    // its schema. `:tail T beginning` holds the view at the first record: `G` selects the last.
    t.send(&["G"]);
    t.send(&["Enter"]);
    t.wait_for(
        "the pretty value",
        &[
            "value  schema  headers  hex",
            "\"id\": 5,",
            "\"tier\": \"SILVER\"",
        ],
    );
    t.send(&["Tab"]);
    t.wait_for(
        "the schema tab",
        &["subject", &format!("{topic}-value"), "AVRO", "version", "2"],
    );
    t.send(&["Tab", "Tab"]);
    // The raw bytes: the magic byte and the schema id first.
    t.wait_for("the raw bytes", &["00000000  00 00 00 00"]);

    t.send(&["Escape", ":", "subjects", "Enter"]);
    t.send(&["/"]);
    t.send(&[&topic, "Enter"]);
    t.wait_for(
        "the subjects",
        &[
            &format!("{topic}-value"),
            "AVRO",
            "1,2",
            "\"name\": \"Order\"",
        ],
    );
    t.send(&["Escape", "Escape", "q"]);
    t.wait_for("the exit", &["KSCOPE_EXIT=0"]);
}

/// The console deletes a group from its screen against a real broker: `D`, the plan, the
/// group's name typed, the result with the undo command; the group is gone, the deletion is
/// audited, and the undo file brings its offsets back.
#[test]
fn the_console_deletes_a_group_with_an_undo_file() {
    let k = common::kafka();
    let topic = common::unique("tmux-del-t");
    let group = common::unique("tmux-del");
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut c = common::kscope(k);
        c.env("KSCOPE_DATA_DIR", data.path()).args(args);
        c.output().unwrap()
    };
    assert!(run(&["topic", "create", &topic, "-p", "2", "-r", "1"])
        .status
        .success());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let records: Vec<common::TestRecord<'_>> =
        (0..10).map(|i| (i % 2, None, &b"v"[..], None)).collect();
    rt.block_on(common::produce(k, &topic, &records));
    let out = run(&[
        "offsets",
        "reset",
        &group,
        "--topic",
        &topic,
        "--to-offset",
        "3",
        "--execute",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));

    let bin =
        std::env::var("KSCOPE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_kscope").to_string());
    let t = Tmux::new(140, 32);
    t.send(&[
        &format!(
            "KSCOPE_DATA_DIR={} {bin} -b {}; echo KSCOPE_EXIT=$?",
            data.path().display(),
            k.bootstrap
        ),
        "Enter",
    ]);
    t.wait_for("the overview", &["● connected"]);
    t.send(&[":", &format!("group {group}"), "Enter"]);
    t.wait_for(
        "the group",
        &[&format!("group {group}"), "COMMITTED", "<D> delete"],
    );
    t.send(&["D"]);
    t.wait_for(
        "the plan",
        &[
            &format!("delete group {group}"),
            "2 committed offset(s) go with it",
            "type the group's name",
        ],
    );
    t.send(&[&group, "Enter"]);
    let s = t.wait_for(
        "the result",
        &[
            "deleted; 2 committed offset(s)",
            "undo: kscope offsets reset",
        ],
    );
    assert!(s.contains(&group), "{s}");
    t.send(&["Enter", "q"]);
    t.wait_for("the exit", &["KSCOPE_EXIT=0"]);

    // Gone, audited, and restorable from the undo file.
    assert_eq!(run(&["group", &group]).status.code(), Some(3));
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "group-delete");
    assert_eq!(last["result"], "applied");
    let undo = last["undo_file"].as_str().unwrap().to_string();
    let out = run(&[
        "offsets",
        "reset",
        &group,
        "--from-file",
        &undo,
        "--execute",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out = run(&["group", &group, "-o", "json"]);
    let committed: Vec<i64> = common::json(&out)["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["committed"].as_i64())
        .collect();
    assert_eq!(committed, vec![3, 3]);
}

#[test]
fn the_console_edits_a_topics_configs_with_a_plan_and_an_undo_file() {
    let k = common::kafka();
    let topic = common::unique("tmux-cfg");
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut c = common::kscope(k);
        c.env("KSCOPE_DATA_DIR", data.path()).args(args);
        c.output().unwrap()
    };
    let retention = |out: std::process::Output| {
        let v = common::json(&out);
        let c = v["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "retention.ms")
            .cloned()
            .unwrap_or_default();
        (
            c["value"].as_str().unwrap_or_default().to_string(),
            c["source"].as_str().unwrap_or_default().to_string(),
        )
    };
    assert!(run(&["topic", "create", &topic, "-p", "1", "-r", "1"])
        .status
        .success());
    let before = retention(run(&["topic", &topic, "-o", "json"]));
    assert_ne!(before.1, "topic", "{before:?}");

    let bin =
        std::env::var("KSCOPE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_kscope").to_string());
    let t = Tmux::new(140, 32);
    t.send(&[
        &format!(
            "KSCOPE_DATA_DIR={} {bin} -b {}; echo KSCOPE_EXIT=$?",
            data.path().display(),
            k.bootstrap
        ),
        "Enter",
    ]);
    t.wait_for("the overview", &["● connected"]);
    t.send(&[":", &format!("topic {topic}"), "Enter"]);
    t.wait_for("the topic", &[&format!("topic {topic}"), "<e> edit"]);
    // A value the broker refuses: the plan says so in its words, and nothing applies.
    t.send(&["e"]);
    t.wait_for("the entry", &["KEY=VALUE sets a config", "> "]);
    t.send(&["retention.ms=soon", "Enter"]);
    t.wait_for(
        "the refused plan",
        &["the broker refused it (validate-only)", "retention.ms"],
    );
    t.send(&["Enter"]);
    t.send(&["Escape", "C-u", "retention.ms=259200000", "Enter"]);
    t.wait_for(
        "the plan",
        &[
            "the broker validated the change (validate-only)",
            "-> 259200000",
            "enter or y applies it",
        ],
    );
    assert_eq!(
        retention(run(&["topic", &topic, "-o", "json"])),
        before,
        "the plan changed nothing"
    );
    t.send(&["y"]);
    let s = t.wait_for(
        "the result",
        &[
            "applied and read back: 1 key(s) as asked",
            "now 259200000 (topic)  verified",
            "undo: kscope topic config",
        ],
    );
    assert!(s.contains("--from-file"), "{s}");
    t.send(&["Enter", "q"]);
    t.wait_for("the exit", &["KSCOPE_EXIT=0"]);

    // Applied, audited, and undone with the command the result showed.
    assert_eq!(
        retention(run(&["topic", &topic, "-o", "json"])),
        ("259200000".to_string(), "topic".to_string())
    );
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "topic-config");
    assert_eq!(last["result"], "applied");
    assert_eq!(last["topic"], topic.as_str());
    let undo = last["undo_file"].as_str().unwrap().to_string();
    let out = run(&["topic", "config", &topic, "--from-file", &undo, "--execute"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(retention(run(&["topic", &topic, "-o", "json"])), before);

    // Read-only: `e` is not offered and is refused.
    let t = Tmux::new(140, 32);
    t.send(&[
        &format!(
            "KSCOPE_DATA_DIR={} {bin} --read-only -b {}; echo KSCOPE_EXIT=$?",
            data.path().display(),
            k.bootstrap
        ),
        "Enter",
    ]);
    t.wait_for("the overview", &["● connected", "READ-ONLY"]);
    t.send(&[":", &format!("topic {topic}"), "Enter"]);
    let s = t.wait_for("the topic", &[&format!("topic {topic}"), "<t> tail"]);
    assert!(!s.contains("<e> edit"), "{s}");
    t.send(&["e"]);
    t.wait_for("the refusal", &["is read-only"]);
    t.send(&["q"]);
    t.wait_for("the exit", &["KSCOPE_EXIT=0"]);
    let lines = std::fs::read_to_string(data.path().join("audit.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(
        lines,
        audit.lines().count() + 2,
        "only the undo was audited"
    );
}

#[test]
fn the_console_truncates_a_topic_and_adds_partitions_only_with_its_name_typed_and_shows_brokers() {
    let k = common::kafka();
    let topic = common::unique("tmux-trunc");
    let group = common::unique("tmux-trunc-g");
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut c = common::kscope(k);
        c.env("KSCOPE_DATA_DIR", data.path()).args(args);
        c.output().unwrap()
    };
    assert!(run(&["topic", "create", &topic, "-p", "2", "-r", "1"])
        .status
        .success());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let records: Vec<common::TestRecord<'_>> =
        (0..10).map(|i| (i % 2, None, &b"v"[..], None)).collect();
    rt.block_on(common::produce(k, &topic, &records));
    let out = run(&[
        "offsets",
        "reset",
        &group,
        "--topic",
        &topic,
        "--to-offset",
        "3",
        "--execute",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let starts = || -> Vec<i64> {
        common::json(&run(&["topic", &topic, "-o", "json"]))["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["low_watermark"].as_i64().unwrap_or(-1))
            .collect()
    };
    assert_eq!(starts(), vec![0, 0]);

    let bin =
        std::env::var("KSCOPE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_kscope").to_string());
    let t = Tmux::new(140, 32);
    t.send(&[
        &format!(
            "KSCOPE_DATA_DIR={} {bin} -b {}; echo KSCOPE_EXIT=$?",
            data.path().display(),
            k.bootstrap
        ),
        "Enter",
    ]);
    t.wait_for("the overview", &["● connected"]);
    t.send(&[":", &format!("topic {topic}"), "Enter"]);
    t.wait_for("the topic", &[&format!("topic {topic}"), "<T> truncate"]);
    t.send(&["T"]);
    t.wait_for(
        "the entry",
        &["before OFFSET or @TIME", "now: 2 partition(s)"],
    );
    t.send(&["4", "Enter"]);
    t.wait_for(
        "the plan",
        &[
            "records deleted: 8",
            &format!("group {group} has not read what goes on partition(s) 0,1"),
            &format!("type '{topic}' to confirm"),
        ],
    );
    // Enter without the name, and a wrong name: nothing is deleted.
    t.send(&["Enter"]);
    t.send(&["nope", "Enter"]);
    t.wait_for(
        "the refusal",
        &[&format!("type '{topic}' to confirm: this cannot be undone")],
    );
    assert_eq!(starts(), vec![0, 0], "nothing deleted before the name");
    t.send(&["C-u", &topic, "Enter"]);
    t.wait_for("the result", &["deleted 8 record(s) from 2 partition(s)"]);
    t.send(&["Enter"]);
    assert_eq!(starts(), vec![4, 4]);

    // Partitions: the count, the plan, the name.
    t.send(&["P"]);
    t.wait_for("the entry", &["the new partition count"]);
    t.send(&["3", "Enter"]);
    t.wait_for(
        "the plan",
        &[
            "partitions: 2 -> 3",
            "keyed records map to other partitions",
        ],
    );
    t.send(&[&topic, "Enter"]);
    t.wait_for(
        "the result",
        &["added: 2 -> 3 partitions; the metadata shows 3"],
    );
    t.send(&["Enter"]);
    // One broker leads every partition it has: nothing to elect, and nothing can be run.
    t.send(&["4"]);
    t.wait_for("the brokers", &["<E> elect", "controller"]);
    t.send(&["E"]);
    t.wait_for(
        "the election's plan",
        &["nothing to elect: every partition is led by its preferred replica"],
    );
    t.send(&["elect", "Enter", "Escape"]);
    // A broker's configs: what is not at the default, with its source.
    t.send(&["Enter"]);
    t.wait_for(
        "the broker's configs",
        &["configs", "SOURCE", "DYNAMIC", "<e> edit"],
    );
    t.send(&["q"]);
    t.wait_for("the exit", &["KSCOPE_EXIT=0"]);
    assert_eq!(starts().len(), 3);

    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let outcomes: Vec<(String, String)> = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["phase"] == "outcome")
        .map(|l| {
            (
                l["action"].as_str().unwrap_or_default().to_string(),
                l["result"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    // The election that had nothing to move ran nothing and audited nothing.
    assert!(
        outcomes.ends_with(&[
            ("topic-truncate".into(), "applied".into()),
            ("topic-partitions".into(), "applied".into())
        ]),
        "{outcomes:?}"
    );
}

/// The console creates and deletes ACLs on the `:acls` screen of a cluster with an authorizer
/// (a cluster of its own): `c`, the line, the plan, Enter, the result with its undo command; `x`
/// offers the selected ACL as the filter, a wider filter plans every ACL it matches, and only
/// `delete` typed deletes them. Audited; the delete's undo file puts them back; read-only
/// offers neither key and refuses both.
#[test]
fn the_console_creates_and_deletes_acls_with_a_plan_and_an_undo_file() {
    let _stop = common::faults::StopOnDrop::new("tmux-acl");
    let k = common::start_authorized("tmux-acl");
    let principal = format!("User:{}", common::unique("tmux-acl"));
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut c = common::kscope(&k);
        c.env("KSCOPE_DATA_DIR", data.path()).args(args);
        c.output().unwrap()
    };
    let listed = || {
        let out = run(&["acls", "--principal", &principal, "-o", "json"]);
        assert!(out.status.success(), "{}", common::stderr(&out));
        common::json(&out)["acls"].as_array().unwrap().len()
    };
    let bin =
        std::env::var("KSCOPE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_kscope").to_string());
    let t = Tmux::new(170, 36);
    t.send(&[
        &format!(
            "KSCOPE_DATA_DIR={} {bin} -b {}; echo KSCOPE_EXIT=$?",
            data.path().display(),
            k.bootstrap
        ),
        "Enter",
    ]);
    t.wait_for("the overview", &["● connected"]);
    t.send(&[":", "acls", "Enter"]);
    t.wait_for("the ACLs", &["<c> create", "<x> delete"]);

    t.send(&["c"]);
    t.wait_for("the line", &["create ACLs", "principal=User:NAME", "> "]);
    t.send(&[
        "C-u",
        &format!("principal={principal} type=topic name=orders- pattern=prefixed op=read,describe"),
        "Enter",
    ]);
    t.wait_for(
        "the create plan",
        &[
            "2 ACL(s) to create; 0 exist already",
            "would be created",
            "enter or y applies it",
        ],
    );
    assert_eq!(listed(), 0, "the plan created nothing");
    t.send(&["Enter"]);
    let s = t.wait_for(
        "the create result",
        &[
            "created and read back: 2 ACL(s) as asked",
            "undo: kscope acls delete --from-file",
        ],
    );
    assert!(s.contains(&principal), "{s}");
    assert_eq!(listed(), 2);
    t.send(&["Enter"]);
    t.wait_for("the ACLs again", &[&principal, "orders-"]);

    // `x` offers the selected ACL: exactly one matches. Esc twice: back, nothing deleted.
    t.send(&["/"]);
    t.send(&["describe", "Enter"]);
    t.send(&["x"]);
    t.wait_for(
        "the selected ACL as the filter",
        &[
            "delete ACLs",
            &format!("principal={principal}"),
            "operation=describe",
        ],
    );
    t.send(&["Enter"]);
    t.wait_for(
        "the plan of the selected ACL",
        &[
            "the filter matches 1 ACL(s) now",
            "would be deleted",
            "type 'delete'",
        ],
    );
    t.send(&["Escape"]);
    t.send(&["Escape"]);
    t.wait_for("the ACLs", &["<c> create", "<x> delete"]);
    assert_eq!(listed(), 2);

    // A wider filter: both go, only once `delete` is typed.
    t.send(&["x"]);
    t.send(&["C-u", &format!("principal={principal}"), "Enter"]);
    t.wait_for(
        "the delete plan",
        &["the filter matches 2 ACL(s) now", "would be deleted"],
    );
    t.send(&["dele", "Enter"]);
    t.wait_for("the wrong word", &["type 'delete' to confirm"]);
    assert_eq!(listed(), 2);
    t.send(&["te", "Enter"]);
    t.wait_for(
        "the delete result",
        &[
            "deleted and read back: 2 ACL(s) as asked",
            "undo: kscope acls create --from-file",
        ],
    );
    assert_eq!(listed(), 0);
    t.send(&["Enter", "q"]);
    t.wait_for("the exit", &["KSCOPE_EXIT=0"]);

    // Audited; the delete's undo file puts them back.
    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let outcomes: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l["phase"] == "outcome")
        .map(|l| {
            (
                l["action"].as_str().unwrap_or_default(),
                l["result"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [("acls-create", "applied"), ("acls-delete", "applied")]
    );
    let undo = lines.last().unwrap()["undo_file"]
        .as_str()
        .unwrap()
        .to_string();
    let out = run(&["acls", "create", "--from-file", &undo, "--execute"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(listed(), 2);

    // Read-only: neither key offered, both refused.
    let t = Tmux::new(170, 36);
    t.send(&[
        &format!(
            "KSCOPE_DATA_DIR={} {bin} --read-only -b {}; echo KSCOPE_EXIT=$?",
            data.path().display(),
            k.bootstrap
        ),
        "Enter",
    ]);
    t.wait_for("the overview", &["● connected", "READ-ONLY"]);
    t.send(&[":", "acls", "Enter"]);
    let s = t.wait_for("the ACLs", &[&principal, "<s> sort"]);
    assert!(
        !s.contains("<c> create") && !s.contains("<x> delete"),
        "{s}"
    );
    t.send(&["x"]);
    t.wait_for("the refusal", &["is read-only"]);
    t.send(&["q"]);
    t.wait_for("the exit", &["KSCOPE_EXIT=0"]);
    assert_eq!(listed(), 2);
}
