use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::raw::line_col;
use super::*;

fn cfg(text: &str) -> RawConfig {
    parse_config(text, Path::new("config.toml")).expect("valid config")
}

#[test]
fn schema_registry_in_a_context_keeps_its_secrets() {
    let c = cfg("[contexts.p]\nbootstrap = \"p:1\"\n[contexts.p.schema_registry]\nurl = \"https://reg:8081\"\nusername = \"ops\"\npassword = { value = \"s3cret\" }\ntoken = { command = \"printf t0ken\" }\nca = \"/ca.pem\"\n");
    let opts = ConnectOptions {
        context: Some("p".into()),
        ..Default::default()
    };
    let s = resolve(&opts, &c).unwrap();
    let r = s.schema_registry.clone().unwrap();
    assert_eq!(r.url, "https://reg:8081");
    assert_eq!(r.username.as_deref(), Some("ops"));
    assert_eq!(r.password.as_ref().unwrap().expose(), "s3cret");
    assert_eq!(r.token.as_ref().unwrap().expose(), "t0ken");
    assert_eq!(r.ca.as_deref(), Some(Path::new("/ca.pem")));
    let shown = format!("{s:?} {:?}", c.contexts["p"]);
    assert!(
        !shown.contains("s3cret") && !shown.contains("t0ken") && !shown.contains("printf"),
        "{shown}"
    );
    let e = parse_config(
        "[contexts.p.schema_registry]\nurl = \"x\"\npasword = 1\n",
        Path::new("c.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("pasword"), "{e}");
}

#[test]
fn bootstrap_flag_wins_over_default_context() {
    let c = cfg("default_context = \"prod\"\n[contexts.prod]\nbootstrap = \"prod:9092\"\nread_only = true\n");
    let opts = ConnectOptions {
        bootstrap: Some("localhost:9092".into()),
        ..Default::default()
    };
    let s = resolve(&opts, &c).unwrap();
    assert_eq!(s.bootstrap, "localhost:9092");
    assert!(
        !s.read_only,
        "an ad-hoc -b does not inherit the default context"
    );

    let s = resolve(&ConnectOptions::default(), &c).unwrap();
    assert_eq!(s.bootstrap, "prod:9092");
    assert!(s.read_only);
    assert_eq!(s.context.as_deref(), Some("prod"));
}

#[test]
fn x_properties_override_context_properties() {
    let c = cfg("[contexts.a]\nbootstrap = \"a:1\"\ntimeout = \"3s\"\ngroups = [\"g1\"]\n[contexts.a.properties]\n\"security.protocol\" = \"SSL\"\n\"client.id\" = \"ctx\"\n");
    let opts = ConnectOptions {
        context: Some("a".into()),
        properties: vec!["client.id=cli".into()],
        ..Default::default()
    };
    let s = resolve(&opts, &c).unwrap();
    assert_eq!(s.properties["client.id"].expose(), "cli");
    assert_eq!(s.properties["security.protocol"].expose(), "SSL");
    assert_eq!(s.timeout, Duration::from_secs(3));
    assert_eq!(s.known_groups, vec!["g1".to_string()]);
}

#[test]
fn unknown_context_names_the_known_ones() {
    let c = cfg("[contexts.a]\nbootstrap = \"a:1\"\n");
    let opts = ConnectOptions {
        context: Some("b".into()),
        ..Default::default()
    };
    let e = resolve(&opts, &c).unwrap_err().to_string();
    assert_eq!(e, "unknown context 'b'; known contexts: a");
}

#[test]
fn missing_bootstrap_is_a_config_error() {
    let e = resolve(&ConnectOptions::default(), &RawConfig::default()).unwrap_err();
    assert_eq!(e.exit_code(), crate::error::exit::USAGE);
}

#[test]
fn config_errors_name_file_and_line() {
    let e = parse_config("[contexts.a]\nbootstrap = 1\n", Path::new("/x/config.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("invalid config file /x/config.toml:2:"),
        "{e}"
    );
    assert!(!e.contains('\n'));
    let e = parse_config("[contexts.a]\nbootstrapp = \"x\"\n", Path::new("c.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("bootstrapp"), "{e}");
}

#[test]
fn property_needs_key_and_value() {
    assert_eq!(
        parse_property("a.b=c=d").unwrap(),
        ("a.b".to_string(), "c=d".to_string())
    );
    assert!(parse_property("novalue").is_err());
    assert!(parse_property("=x").is_err());
}

/// Whatever shape the mistake has, a parse error never quotes a password, and still names
/// the file and line.
#[test]
fn parse_errors_never_show_a_secret() {
    let cases: &[(&str, usize)] = &[
        // A bare string where a source is expected: toml says "unknown variant `hunter2`".
        ("[contexts.a]\npassword = \"hunter2\"\n", 2),
        // Bad type.
        ("[contexts.a]\npassword = { value = 1234567890 }\n", 2),
        ("[contexts.a.properties]\n\"sasl.password\" = 1234567890\n", 2),
        ("[contexts.a.password]\nvalue = 1234567890\n", 2),
        ("[contexts.a]\npassword = [\"hunter2\"]\n", 2),
        // Duplicate key.
        (
            "[contexts.a]\npassword = { value = \"hunter2\" }\npassword = { value = \"hunter2\" }\n",
            3,
        ),
        (
            "[contexts.a.properties]\n\"sasl.password\" = \"hunter2\"\n\"sasl.password\" = \"hunter2\"\n",
            3,
        ),
        // Unterminated strings on the password line.
        ("[contexts.a]\npassword = { value = \"hunter2 }\n", 2),
        ("[contexts.a.properties]\n\"sasl.password\" = 'hunter2\n", 2),
        ("[contexts.a.properties]\n\"ssl.key.password\" = \"\"\"hunter2\nhunter2b\n", 4),
        // Unquoted, and a bad escape inside it.
        ("[contexts.a.properties]\n\"sasl.password\" = hunter2\n", 2),
        ("[contexts.a]\npassword = { value = \"hunt\\qer2\" }\n", 2),
        // The wrong source name, and two sources.
        ("[contexts.a]\npassword = { vaule = \"hunter2\" }\n", 2),
        ("[contexts.a]\npassword = { value = \"hunter2\", env = \"X\" }\n", 2),
        (
            "[contexts.a]\npassword = { command = \"echo hunter2\", value = \"hunter2\" }\n",
            2,
        ),
    ];
    for (text, line) in cases {
        let e = parse_config(text, Path::new("/x/config.toml"))
            .unwrap_err()
            .to_string();
        for secret in ["hunter", "unt", "1234567890", "qer2"] {
            assert!(!e.contains(secret), "{text:?} gave: {e}");
        }
        assert!(
            e.starts_with(&format!("invalid config file /x/config.toml:{line}:")),
            "{text:?} gave: {e}"
        );
    }
    // Mistakes elsewhere keep the parser's words.
    let e = parse_config(
        "[contexts.a]\npassword = { env = \"PW\" }\ntimeout = 5\n",
        Path::new("c.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("invalid type: integer `5`, expected a string"),
        "{e}"
    );
}

#[test]
fn debug_of_config_types_hides_secrets() {
    let c = cfg("[contexts.a]\nbootstrap = \"a:1\"\npassword = { value = \"hunter2\" }\n\
                 [contexts.a.properties]\n\"sasl.password\" = \"hunter3\"\n\"sasl.jaas.config\" = \"x password=hunter4\"\n\"client.id\" = \"me\"\n\
                 [contexts.b]\npassword = { command = \"echo hunter5\" }\n\
                 [contexts.c]\npassword = { env = \"KAFKA_PW\" }\n");
    let dbg = format!("{c:?} {:?} {:?}", c.contexts["a"], c.contexts["b"].password);
    assert!(!dbg.contains("hunter"), "{dbg}");
    assert!(dbg.contains("\"client.id\": \"me\""), "{dbg}");
    assert!(dbg.contains("KAFKA_PW"), "{dbg}");

    let opts = ConnectOptions {
        context: Some("a".into()),
        properties: vec!["sasl.password=hunter6".into()],
        ..Default::default()
    };
    let s = resolve_with_env(&opts, &c, &|_| None).unwrap();
    let typo = ConnectOptions {
        properties: vec!["ssl.key.password:hunter7".into()],
        ..Default::default()
    };
    let dbg = format!("{opts:?} {typo:?} {s:?} {:?}", s.properties);
    assert!(!dbg.contains("hunter"), "{dbg}");
    assert!(dbg.contains("a:1") && dbg.contains("me"), "{dbg}");
    assert_eq!(s.properties["sasl.password"].expose(), "hunter6");
}

#[test]
fn sensitive_values_are_redacted_in_debug() {
    let mut s = ConnectionSettings::plain("b:1");
    s.set("sasl.password", "hunter2");
    s.set("client.id", "me");
    let dbg = format!("{s:?}");
    assert!(!dbg.contains("hunter2"), "{dbg}");
    assert!(dbg.contains("me"));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A `.properties` file as `java.util.Properties.store` writes it (the writer of
    /// java-properties 2.0 writes `\\u0` for NUL, which no reader takes).
    fn java_store(props: &std::collections::HashMap<String, String>) -> String {
        let escape = |s: &str, key: bool| {
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                match c {
                    ' ' if key || i == 0 => out.push_str("\\ "),
                    '\\' | '=' | ':' | '#' | '!' => {
                        out.push('\\');
                        out.push(c);
                    }
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\u{c}' => out.push_str("\\f"),
                    c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                        out.push_str(&format!("\\u{:04x}", c as u32))
                    }
                    c => out.push(c),
                }
            }
            out
        };
        props
            .iter()
            .map(|(k, v)| format!("{}={}\n", escape(k, true), escape(v, false)))
            .collect()
    }

    /// Keys the mapping to librdkafka changes or drops.
    fn special(k: &str) -> bool {
        k.starts_with("ssl.")
            || k.starts_with("sasl.")
            || k.contains("serializer")
            || [
                "bootstrap.servers",
                "client.dns.lookup",
                "default.api.timeout.ms",
            ]
            .contains(&k)
    }

    /// A file that is only the start of a byte-order mark panicked inside the .properties reader
    /// (vendor/java-properties patch 0001); found by the property test below.
    #[test]
    fn a_properties_file_of_a_bom_prefix_is_read() {
        for bytes in [&b"\xef"[..], b"\xef\xbb", b"\xfe", b"\xff", b"a=b\n\xef"] {
            if let Err(e) = parse_command_config(bytes, Path::new("c.properties")) {
                assert_eq!(e.exit_code(), crate::error::exit::USAGE);
            }
        }
    }

    proptest! {
        /// What Java writes to a `.properties` file is read back: every ordinary key with
        /// its value (trimmed), the bootstrap servers apart.
        #[test]
        fn command_config_files_read_back(
            // Characters above U+FFFF are left out: java-properties 2.0 cannot read the
            // surrogate pairs Java writes for them.
            props in prop::collection::btree_map(
                "[a-z][a-z0-9._-]{0,20}|[^\\p{C}\\u{10000}-\\u{10ffff}]{1,8}",
                "[^\\u{10000}-\\u{10ffff}]{0,20}",
                0..10,
            ),
            bootstrap in proptest::option::of("[a-z0-9.:,-]{1,30}"),
        ) {
            let mut java: std::collections::HashMap<String, String> = props
                .iter()
                .filter(|(k, _)| !special(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if let Some(b) = &bootstrap {
                java.insert("bootstrap.servers".into(), b.clone());
            }
            let file = java_store(&java);
            let (b, got) = parse_command_config(file.as_bytes(), Path::new("client.properties"))
                .map_err(|e| TestCaseError::fail(format!("{e}: {file:?}")))?;
            prop_assert_eq!(b, bootstrap);
            java.remove("bootstrap.servers");
            let want: BTreeMap<String, String> =
                java.into_iter().map(|(k, v)| (k, v.trim().to_string())).collect();
            prop_assert_eq!(got, want);
        }

        /// `-X key=value`: the key trimmed, the value exactly as given (it may hold '=').
        #[test]
        fn x_properties_split_at_the_first_equals(key in "[^=]*", value in ".*") {
            let kv = format!("{key}={value}");
            match parse_property(&kv) {
                Ok((k, v)) => {
                    prop_assert_eq!(k, key.trim());
                    prop_assert_eq!(v, value);
                }
                Err(e) => {
                    prop_assert!(key.trim().is_empty());
                    prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE);
                }
            }
        }

        #[test]
        fn any_properties_file_is_read_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            if let Err(e) = parse_command_config(bytes.as_slice(), Path::new("c.properties")) {
                prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE);
            }
        }

        /// Any config text is a config or one usage-error line naming the file, with a line
        /// and column that exist.
        #[test]
        fn any_config_text_is_a_config_or_one_error_line(text in ".*|(\\[contexts\\.[a-zé]{1,3}\\]\n([a-z_]{1,10} = (\"[^\"\n]{0,5}\"|[0-9]{1,3}|true))?\n){0,3}") {
            if let Err(e) = parse_config(&text, Path::new("config.toml")) {
                prop_assert_eq!(e.exit_code(), crate::error::exit::USAGE);
                let msg = e.to_string();
                prop_assert!(msg.starts_with("invalid config file config.toml"), "{}", msg);
                prop_assert!(!msg.contains('\n'), "{}", msg);
                if let Some(pos) = msg.strip_prefix("invalid config file config.toml:") {
                    let mut it = pos.split(|c: char| !c.is_ascii_digit());
                    let line: usize = it.next().unwrap().parse().unwrap();
                    prop_assert!(line >= 1 && line <= text.split('\n').count(), "{}", msg);
                }
            }
        }

        /// Contexts written as TOML (names, bootstraps and properties with any characters)
        /// read back exactly.
        #[test]
        fn contexts_read_back(
            contexts in prop::collection::btree_map(
                "\\PC{1,10}",
                ("\\PC{0,20}", any::<bool>(), prop::collection::btree_map("[a-z.]{1,12}", "\\PC{0,12}", 0..4), proptest::option::of(1u64..3600)),
                1..4,
            ),
        ) {
            let mut table = toml::Table::new();
            let default = contexts.keys().next().unwrap().clone();
            table.insert("default_context".into(), toml::Value::String(default.clone()));
            let mut ctxs = toml::Table::new();
            for (name, (bootstrap, read_only, props, timeout)) in &contexts {
                let mut c = toml::Table::new();
                c.insert("bootstrap".into(), toml::Value::String(bootstrap.clone()));
                c.insert("read_only".into(), toml::Value::Boolean(*read_only));
                let p: toml::Table = props.iter().map(|(k, v)| (k.clone(), toml::Value::String(v.clone()))).collect();
                c.insert("properties".into(), toml::Value::Table(p));
                if let Some(t) = timeout {
                    c.insert("timeout".into(), toml::Value::String(format!("{t}s")));
                }
                ctxs.insert(name.clone(), toml::Value::Table(c));
            }
            table.insert("contexts".into(), toml::Value::Table(ctxs));
            let text = toml::to_string(&table).unwrap();
            let cfg = parse_config(&text, Path::new("config.toml"))
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(cfg.default_context.as_deref(), Some(default.as_str()));
            prop_assert_eq!(cfg.contexts.len(), contexts.len());
            for (name, (bootstrap, read_only, props, _)) in &contexts {
                let c = &cfg.contexts[name];
                prop_assert_eq!(c.bootstrap.as_deref(), Some(bootstrap.as_str()));
                prop_assert_eq!(c.read_only, *read_only);
                prop_assert_eq!(&c.properties, props);
            }
        }
    }
}

#[test]
fn error_positions_never_split_a_character() {
    assert_eq!(line_col("é\nü", 1), (1, 1));
    assert_eq!(line_col("é\nü", 4), (2, 1));
    assert_eq!(line_col("ab", 99), (1, 3));
}
