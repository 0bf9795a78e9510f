//! `kscope config check`: parses config.toml, checks its alert rules and notification
//! targets, resolves every context and, with `--connect`, connects to each one, so a broken
//! context is found before an incident needs it.

use std::time::Instant;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{emit, emit_json, print_list, table, Stream};
use super::{GlobalArgs, Output};
use crate::config::{self, ConnectionSettings};
use crate::error::{exit, Error, Result};
use crate::kafka::KafkaClient;

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Parse config.toml, check its alert rules and [notify] targets, and resolve every
    /// context (secrets, command_config files, timeouts, its own alert settings); with
    /// --connect, also connect to each one. Exit 0 when every context is fine, 1 when one is
    /// not, 2 when the file itself is invalid (a wrong rule or notify target included).
    Check(CheckArgs),
    /// The names of the contexts in config.toml, one per line
    Contexts,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Connect to each context (within --timeout or the context's own timeout) and report
    /// whether it is reachable, authenticated and its TLS certificate verified
    #[arg(long)]
    pub connect: bool,
}

/// One context's verdict.
#[derive(Debug, Serialize)]
pub struct ContextCheck {
    pub context: String,
    pub default: bool,
    pub bootstrap: Option<String>,
    pub read_only: Option<bool>,
    /// `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`, as librdkafka will use it.
    pub security: Option<String>,
    pub sasl_mechanism: Option<String>,
    /// The context resolved (its secrets found, its files read, its values valid).
    pub resolved: bool,
    /// Only with --connect: the cluster answered.
    pub reachable: Option<bool>,
    /// Only with --connect and SASL: the broker accepted the credentials.
    pub authenticated: Option<bool>,
    /// Only with --connect and TLS: the broker's certificate was verified.
    pub tls_verified: Option<bool>,
    pub brokers: Option<usize>,
    pub cluster_id: Option<String>,
    pub error: Option<String>,
}

impl ContextCheck {
    fn ok(&self) -> bool {
        self.error.is_none()
    }
}

pub async fn run(g: &GlobalArgs, a: ConfigArgs) -> Result<i32> {
    let (file, path) = config::load_config(g.config_file.as_deref())?;
    match a.command {
        ConfigCommand::Contexts => {
            let mut text = String::new();
            for name in file.contexts.keys() {
                text.push_str(name);
                text.push('\n');
            }
            emit(&text)?;
            Ok(exit::OK)
        }
        ConfigCommand::Check(c) => {
            let Some(path) = path else {
                return Err(Error::config(
                    "no config file: pass --config-file FILE or create the default one \
                     (see `kscope --help`)"
                        .to_string(),
                ));
            };
            // The alert rules and the notification targets `watch` and the console would
            // use: a wrong one makes the file invalid (exit 2), as it would stop `watch`.
            config::alert_rules(&file, None, Some(&path))?;
            config::notify_targets(&file, Some(&path))?;
            let carried = config::CarriedOptions {
                read_only: g.read_only,
                timeout: g.timeout,
            };
            let mut checks = Vec::new();
            let mut pending = Vec::new();
            for name in file.contexts.keys() {
                let default = file.default_context.as_deref() == Some(name.as_str());
                let resolved = config::resolve_context(name, carried_for(&carried), &file)
                    .and_then(|s| {
                        // The context's own alert settings, if it has any.
                        config::alert_rules(&file, Some(name), Some(&path))?;
                        Ok(s)
                    });
                match resolved {
                    Ok(settings) => {
                        let check = described(name, default, &settings);
                        if c.connect {
                            pending.push((check, settings));
                        } else {
                            checks.push(check);
                        }
                    }
                    Err(e) => checks.push(ContextCheck {
                        context: name.clone(),
                        default,
                        bootstrap: file.contexts.get(name).and_then(|c| c.bootstrap.clone()),
                        read_only: None,
                        security: None,
                        sasl_mechanism: None,
                        resolved: false,
                        reachable: None,
                        authenticated: None,
                        tls_verified: None,
                        brokers: None,
                        cluster_id: None,
                        error: Some(e.to_string()),
                    }),
                }
            }
            // Every context at once: a dead cluster costs its timeout, not everyone's.
            let connected =
                futures::future::join_all(pending.into_iter().map(|(c, s)| connect(c, s))).await;
            checks.extend(connected);
            checks.sort_by(|a, b| a.context.cmp(&b.context));
            print(g.output, &path, &file.default_context, &checks)?;
            Ok(if checks.iter().all(ContextCheck::ok) {
                exit::OK
            } else {
                exit::RUNTIME
            })
        }
    }
}

fn carried_for(c: &config::CarriedOptions) -> config::CarriedOptions {
    config::CarriedOptions {
        read_only: c.read_only,
        timeout: c.timeout,
    }
}

fn described(name: &str, default: bool, s: &ConnectionSettings) -> ContextCheck {
    let prop = |k: &str| s.properties.get(k).map(|v| v.expose().to_string());
    let security = prop("security.protocol")
        .map(|p| p.to_ascii_uppercase())
        .unwrap_or_else(|| "PLAINTEXT".to_string());
    let sasl = security.starts_with("SASL");
    ContextCheck {
        context: name.to_string(),
        default,
        bootstrap: Some(s.bootstrap.clone()),
        read_only: Some(s.read_only),
        sasl_mechanism: if sasl {
            Some(
                prop("sasl.mechanism")
                    .or_else(|| prop("sasl.mechanisms"))
                    .unwrap_or_else(|| "GSSAPI".to_string()),
            )
        } else {
            None
        },
        security: Some(security),
        resolved: true,
        reachable: None,
        authenticated: None,
        tls_verified: None,
        brokers: None,
        cluster_id: None,
        error: None,
    }
}

async fn connect(mut check: ContextCheck, settings: ConnectionSettings) -> ContextCheck {
    let sasl = check.sasl_mechanism.is_some();
    let tls = check
        .security
        .as_deref()
        .is_some_and(|s| s.ends_with("SSL"));
    let verifies = settings
        .properties
        .get("enable.ssl.certificate.verification")
        .is_none_or(|v| !v.expose().eq_ignore_ascii_case("false"));
    let timeout = settings.timeout;
    let answer = async {
        let client = KafkaClient::new(settings)?.with_deadline(Instant::now() + timeout);
        client.cluster().await
    };
    // A last guard: the client's own deadline ends the call first.
    let answer = match tokio::time::timeout(timeout + super::GUARD_MARGIN, answer).await {
        Ok(r) => r,
        Err(_) => Err(Error::Timeout {
            what: "the cluster".to_string(),
            after: timeout,
        }),
    };
    match answer {
        Ok(info) => {
            check.reachable = Some(true);
            check.authenticated = sasl.then_some(true);
            check.tls_verified = tls.then_some(verifies);
            check.brokers = Some(info.brokers.len());
            check.cluster_id = info.cluster_id;
            if tls && !verifies {
                check.error = Some(
                    "connected, but enable.ssl.certificate.verification=false: the broker's \
                     certificate was not checked"
                        .to_string(),
                );
            }
        }
        Err(e) => {
            check.reachable = Some(false);
            check.error = Some(e.to_string());
        }
    }
    check
}

fn print(
    output: Output,
    path: &std::path::Path,
    default_context: &Option<String>,
    checks: &[ContextCheck],
) -> Result<()> {
    match output {
        Output::Json => emit_json(
            Stream::Stdout,
            &serde_json::json!({
                "config_file": path,
                "default_context": default_context,
                "ok": checks.iter().all(ContextCheck::ok),
                "contexts": checks,
            }),
            true,
        ),
        Output::Jsonl => print_list(output, checks, String::new),
        Output::Table => {
            let yes_no = |v: Option<bool>| match v {
                Some(true) => "yes".to_string(),
                Some(false) => "no".to_string(),
                None => "-".to_string(),
            };
            let rows = checks
                .iter()
                .map(|c| {
                    vec![
                        if c.default {
                            format!("{} (default)", c.context)
                        } else {
                            c.context.clone()
                        },
                        c.bootstrap.clone().unwrap_or_else(|| "-".into()),
                        match (&c.security, &c.sasl_mechanism) {
                            (Some(s), Some(m)) => format!("{s} {m}"),
                            (Some(s), None) => s.clone(),
                            _ => "-".into(),
                        },
                        yes_no(c.read_only),
                        yes_no(c.reachable),
                        yes_no(c.authenticated),
                        yes_no(c.tls_verified),
                        match &c.error {
                            None => "ok".to_string(),
                            Some(e) => e.clone(),
                        },
                    ]
                })
                .collect();
            let mut text = format!("Config file: {}\n\n", path.display());
            text.push_str(&table(
                &[
                    "CONTEXT",
                    "BOOTSTRAP",
                    "SECURITY",
                    "READ-ONLY",
                    "REACHABLE",
                    "AUTHENTICATED",
                    "TLS VERIFIED",
                    "STATUS",
                ],
                rows,
            ));
            emit(&text)
        }
    }
}
