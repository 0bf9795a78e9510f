#![allow(clippy::disallowed_macros, clippy::disallowed_methods)] // test output, not kscope output
//! Shell integration and config checking: completion scripts that a real bash runs (context names
//! completed from config.toml), man pages, and `config check` against the real cluster.

mod common;

use std::process::Command;

use common::*;

fn config_with(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs bash with kscope's completion script loaded and completes `words` (the last one is the
/// word being completed); returns the candidates.
fn bash_complete(config: &std::path::Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source <({bin} completions bash) || exit 9\n\
         COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_TYPE=9\n\
         _clap_complete_kscope kscope '{cur}' '{prev}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        bin = kscope_bin(),
        words = quoted.join(" "),
        cword = words.len() - 1,
        cur = words[words.len() - 1],
        prev = words[words.len().saturating_sub(2)],
    );
    let mut cmd = Command::new("bash");
    for (k, v) in clean_env() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd
        .env("KSCOPE_CONFIG", config)
        .args(["--norc", "--noprofile", "-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completes_subcommands_and_context_names() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_with(
        dir.path(),
        "[contexts.prod-eu]\nbootstrap = \"10.0.0.1:9092\"\n\
         [contexts.prod-us]\nbootstrap = \"10.0.0.2:9092\"\n\
         [contexts.staging]\nbootstrap = \"10.0.0.3:9092\"\n",
    );
    let subcommands = bash_complete(&cfg, &["kscope", "ta"]);
    assert!(subcommands.iter().any(|c| c == "tail"), "{subcommands:?}");
    let contexts = bash_complete(&cfg, &["kscope", "--context", "prod"]);
    let names: Vec<&str> = contexts
        .iter()
        .map(|c| c.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(names, ["prod-eu", "prod-us"], "{contexts:?}");
    let after = bash_complete(&cfg, &["kscope", "groups", "--context", ""]);
    assert_eq!(after.len(), 3, "every context: {after:?}");
    // A broken config file completes nothing and breaks nothing.
    std::fs::write(&cfg, "contexts = [").unwrap();
    let none = bash_complete(&cfg, &["kscope", "--context", ""]);
    assert!(none.is_empty(), "{none:?}");
}

#[test]
fn every_shell_gets_a_script_and_bad_shells_a_usage_error() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = kscope_bare().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("KSCOPE_COMPLETE"), "{shell}: {text}");
    }
    let out = kscope_bare()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("tcsh") && err.contains("bash"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}

#[test]
fn man_pages_for_every_command() {
    let out = kscope_bare().arg("man").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH kscope 1"), "{page}");
    assert!(page.contains(r"\-\-timeout"), "global options documented");

    let dir = tempfile::tempdir().unwrap();
    let out = kscope_bare()
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for name in [
        "kscope.1",
        "kscope-tail.1",
        "kscope-offsets-reset.1",
        "kscope-config-check.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.contains(".TH"), "{name}");
    }
    // man itself reads them, where it is installed.
    if Command::new("man").arg("--version").output().is_ok() {
        let out = Command::new("man")
            .env("MANWIDTH", "100")
            .args(["-l"])
            .arg(dir.path().join("kscope-offsets-reset.1"))
            .output()
            .unwrap();
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("--to-earliest"), "{text}");
        }
    }
}

#[test]
fn config_check_names_the_broken_context() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_with(
        dir.path(),
        "default_context = \"ok\"\n[contexts.ok]\nbootstrap = \"127.0.0.1:9092\"\n\
         [contexts.nopass]\nbootstrap = \"127.0.0.1:9093\"\npassword = { env = \"KSCOPE_TEST_NO_SUCH_VAR\" }\n\
         [contexts.slow]\nbootstrap = \"127.0.0.1:9094\"\ntimeout = \"forever\"\n",
    );
    let out = kscope_bare()
        .args([
            "--config-file",
            cfg.to_str().unwrap(),
            "config",
            "check",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["ok"], false);
    let by = |name: &str| {
        v["contexts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["context"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing: {v}"))
    };
    assert_eq!(by("ok")["error"], serde_json::Value::Null);
    assert_eq!(by("ok")["default"], true);
    assert!(by("nopass")["error"]
        .as_str()
        .unwrap()
        .contains("KSCOPE_TEST_NO_SUCH_VAR"));
    assert!(by("slow")["error"].as_str().unwrap().contains("forever"));

    // A file that is not valid TOML: exit 2, one line with the file.
    std::fs::write(&cfg, "contexts = [\n").unwrap();
    let out = kscope_bare()
        .args(["--config-file", cfg.to_str().unwrap(), "config", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("config.toml"), "{}", stderr(&out));

    // A notify target `watch` would refuse: the file is invalid, exit 2, the target named.
    let check = |text: &str| {
        std::fs::write(&cfg, text).unwrap();
        kscope_bare()
            .args(["--config-file", cfg.to_str().unwrap(), "config", "check"])
            .args(["-o", "json"])
            .output()
            .unwrap()
    };
    let ok = "[contexts.ok]\nbootstrap = \"127.0.0.1:9092\"\n";
    let out = check(&format!(
        "{ok}[notify.ops]\nkind = \"pager\"\nurl = \"https://alerts.example/k\"\n"
    ));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("invalid kind 'pager' in [notify.ops]"),
        "{}",
        stderr(&out)
    );
    // So is a global alert rule that does not parse.
    let out = check(&format!(
        "{ok}[[alerts]]\nname = \"x\"\nrule = \"lag >>> 5\"\nseverity = \"warn\"\n"
    ));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // A context's own rule that does not parse: that context is named, the others are fine.
    let out = check(&format!(
        "{ok}[contexts.prod]\nbootstrap = \"127.0.0.1:9093\"\n\
         [[contexts.prod.alerts]]\nname = \"x\"\nrule = \"lag >>> 5\"\nseverity = \"warn\"\n"
    ));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    let by = |name: &str| {
        v["contexts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["context"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing: {v}"))
    };
    assert_eq!(by("ok")["error"], serde_json::Value::Null, "{v}");
    assert!(
        by("prod")["error"]
            .as_str()
            .is_some_and(|e| e.contains("lag >>> 5") || e.contains("[[contexts.prod.alerts]]")),
        "{v}"
    );
}

#[test]
fn config_check_connects_to_every_context() {
    let k = kafka();
    let dir = tempfile::tempdir().unwrap();
    let secure = |name: &str, password: &str| {
        format!(
            "[contexts.{name}]\nbootstrap = \"{}\"\npassword = {{ value = \"{password}\" }}\n\
             [contexts.{name}.properties]\n\"security.protocol\" = \"SASL_SSL\"\n\
             \"sasl.mechanisms\" = \"SCRAM-SHA-512\"\n\"sasl.username\" = \"{}\"\n\
             \"ssl.ca.location\" = \"{}\"\n",
            k.secure_bootstrap, k.user, k.ca
        )
    };
    let text = format!(
        "[contexts.plain]\nbootstrap = \"{}\"\nread_only = true\n{}{}\
         [contexts.gone]\nbootstrap = \"127.0.0.1:1\"\n",
        k.bootstrap,
        secure("secure", &k.password),
        secure("wrong", "not-the-password"),
    );
    let cfg = config_with(dir.path(), &text);
    let started = std::time::Instant::now();
    let out = kscope_bare()
        .args(["--config-file", cfg.to_str().unwrap(), "--timeout", "5s"])
        .args(["config", "check", "--connect", "-o", "json"])
        .output()
        .unwrap();
    // The contexts are checked at once: one dead cluster costs one timeout.
    assert!(started.elapsed() < std::time::Duration::from_secs(12));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    let by = |name: &str| {
        v["contexts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["context"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing: {v}"))
    };
    let plain = by("plain");
    assert_eq!(plain["reachable"], true, "{plain}");
    assert_eq!(plain["read_only"], true, "{plain}");
    assert_eq!(plain["brokers"], 1, "{plain}");
    assert!(plain["error"].is_null(), "{plain}");
    let ok = by("secure");
    assert_eq!(ok["reachable"], true, "{ok}");
    assert_eq!(ok["authenticated"], true, "{ok}");
    assert_eq!(ok["tls_verified"], true, "{ok}");
    assert_eq!(ok["sasl_mechanism"], "SCRAM-SHA-512", "{ok}");
    let wrong = by("wrong");
    assert_eq!(wrong["reachable"], false, "{wrong}");
    let why = wrong["error"].as_str().unwrap();
    assert!(why.to_lowercase().contains("authentication"), "{why}");
    assert!(
        !why.contains("not-the-password"),
        "never the password: {why}"
    );
    let gone = by("gone");
    assert_eq!(gone["reachable"], false, "{gone}");
    assert!(
        gone["error"].as_str().unwrap().contains("127.0.0.1:1"),
        "{gone}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&k.password));

    // The table says the same, one line per context.
    let out = kscope_bare()
        .args(["--config-file", cfg.to_str().unwrap(), "--timeout", "5s"])
        .args(["config", "check", "--connect"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.lines().any(|l| l.starts_with("secure")
            && l.contains("SASL_SSL SCRAM-SHA-512")
            && l.ends_with("ok")),
        "{table}"
    );
}
