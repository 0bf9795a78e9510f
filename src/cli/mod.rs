//! Command-line interface: global connection options and one module per subcommand.

mod acls;
mod broker;
mod cluster;
mod config_check;
mod console;
mod demo;
pub mod exporter;
mod group_delete;
mod group_offsets_delete;
mod groups;
mod leaders;
pub mod notify;
mod offsets;
pub mod output;
mod produce;
pub mod schema_args;
pub mod shell;
mod tail;
mod topic_config;
mod topic_partitions;
mod topic_truncate;
mod topics;
mod undo_files;
pub mod watch;
mod watch_text;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::{self, ConnectOptions, ConnectionSettings};
use crate::error::{Error, Result};
use crate::kafka::KafkaClient;
pub use output::Output;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  runtime error (broker, network, authentication, timeout)
  2  usage error (bad arguments, bad config file)
  3  not found (unknown topic, partition or group)
  4  refused: the context is read-only
  5  the broker does not support the API the command needs
  6  refused: the consumer group has active members (offsets reset)
  7  partially applied: some partitions were reset and some were not (offsets reset)
  8  incomplete: the answer lacks something a broker could not give (named on stderr)
  9  not authorized: the broker refused the principal (the message names the operation)
`kscope watch --once` exits like a Nagios check instead:
  0  OK, 1  WARNING, 2  CRITICAL (worst firing alert), 3  UNKNOWN (could not evaluate),
  4  refused: --alerts-topic in a read-only context";

#[derive(Debug, Parser)]
#[command(
    name = "kscope",
    version,
    about = "A terminal operations console for Kafka-protocol clusters",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `Debug` hides the values of sensitive `-X` properties.
#[derive(Clone, Args)]
pub struct GlobalArgs {
    /// Bootstrap servers, HOST:PORT[,HOST:PORT...]
    #[arg(short = 'b', long, global = true, env = "KSCOPE_BOOTSTRAP")]
    pub bootstrap: Option<String>,
    /// A named context from config.toml
    #[arg(long, global = true, env = "KSCOPE_CONTEXT",
          add = clap_complete::ArgValueCandidates::new(shell::context_candidates))]
    pub context: Option<String>,
    /// The config file [default: the platform config dir, e.g. ~/.config/kscope/config.toml]
    #[arg(long, global = true, env = "KSCOPE_CONFIG", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// A librdkafka property, as kcat takes it (repeatable)
    #[arg(short = 'X', global = true, value_name = "KEY=VALUE")]
    pub property: Vec<String>,
    /// A Java client .properties file, as Kafka's own tools take it
    #[arg(
        long,
        global = true,
        env = "KSCOPE_COMMAND_CONFIG",
        value_name = "FILE"
    )]
    pub command_config: Option<PathBuf>,
    /// Refuse anything that changes the cluster
    #[arg(long, global = true, env = "KSCOPE_READ_ONLY")]
    pub read_only: bool,
    /// Time budget for each command, all its broker requests included, e.g. 5s or 500ms
    /// [default: 10s]; for `watch` and the console, for each sample or panel refresh
    #[arg(long, global = true, env = "KSCOPE_TIMEOUT", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
    /// Console theme: default, light, high-contrast, production, or one in the config dir's themes/
    #[arg(long, global = true, env = "KSCOPE_THEME")]
    pub theme: Option<String>,
    /// Output format
    #[arg(short = 'o', long, global = true, env = "KSCOPE_OUTPUT", value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

impl std::fmt::Debug for GlobalArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalArgs")
            .field("bootstrap", &self.bootstrap)
            .field("context", &self.context)
            .field("config_file", &self.config_file)
            .field("property", &config::RedactedProperties(&self.property))
            .field("command_config", &self.command_config)
            .field("read_only", &self.read_only)
            .field("timeout", &self.timeout)
            .field("theme", &self.theme)
            .field("output", &self.output)
            .finish()
    }
}

fn parse_timeout(s: &str) -> std::result::Result<Duration, String> {
    let d = parse_duration(s)?;
    config::check_timeout(d).map_err(|why| format!("'{s}' {why}"))
}

pub(crate) fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (e.g. 5s, 500ms, 1m)"))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Cluster id, controller, brokers, and partition health
    Cluster,
    /// One broker's configs, and changes to its dynamic ones
    Broker(broker::BrokerArgs),
    /// List topics
    Topics(topics::TopicsArgs),
    /// Describe, create or delete a topic
    Topic(topics::TopicArgs),
    /// Read records from a topic
    Tail(tail::TailArgs),
    /// Write records to a topic
    Produce(produce::ProduceArgs),
    /// List consumer groups with their state and total lag
    Groups,
    /// Describe a consumer group: members, committed offsets and lag per partition
    Group(groups::GroupArgs),
    /// Partitions not led by their preferred replica (elect them with `topic elect-leaders`)
    Leaders(leaders::LeadersArgs),
    /// List ACLs with filters; create and delete them with a plan
    Acls(acls::AclsArgs),
    /// Reset a consumer group's offsets: plan, apply, verify, undo
    Offsets(offsets::OffsetsArgs),
    /// Run an embedded demo cluster with live traffic
    Demo(demo::DemoArgs),
    /// Sample the cluster at an interval and report alerts (JSON lines); --once for cron checks
    Watch(watch::WatchArgs),
    /// Check config.toml: every context resolved, and with --connect reachable
    Config(config_check::ConfigArgs),
    /// Print the shell completion script for bash, zsh, fish, powershell or elvish
    Completions(shell::CompletionsArgs),
    /// Print the man page, or write one page per command into a directory
    Man(shell::ManArgs),
}

impl GlobalArgs {
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            bootstrap: self.bootstrap.clone(),
            context: self.context.clone(),
            config_file: self.config_file.clone(),
            properties: self.property.clone(),
            command_config: self.command_config.clone(),
            read_only: self.read_only,
            timeout: self.timeout,
        }
    }

    /// Resolves the connection from flags, environment and config file.
    pub fn settings(&self) -> Result<ConnectionSettings> {
        let opts = self.connect_options();
        let (file, _) = config::load_config(opts.config_file.as_deref())?;
        resolve(&opts, &file)
    }

    /// A client whose calls all end within the command's `--timeout`.
    pub fn client(&self) -> Result<KafkaClient> {
        budget_client(self.settings()?)
    }
}

/// Resolves the connection, with one warning line on stderr for the user's properties that
/// kscope keeps for itself (the client layer ignores them whoever makes a client).
pub fn resolve(opts: &ConnectOptions, file: &config::RawConfig) -> Result<ConnectionSettings> {
    let settings = config::resolve(opts, file)?;
    if let Some(w) = crate::kafka::safety::ignored_properties_warning(&settings) {
        output::warn(&w);
        tracing::warn!("{w}");
    }
    Ok(settings)
}

/// A client for one command: `--timeout` is one budget for every request the command makes,
/// counted from the start of the process.
pub fn budget_client(settings: ConnectionSettings) -> Result<KafkaClient> {
    let deadline = crate::runtime::started() + settings.timeout;
    Ok(KafkaClient::new(settings)?.with_deadline(deadline))
}

/// Ends a command that asks the cluster a bounded question within its budget (plus a margin
/// for printing), whatever a broker does: a last guard behind the client's own deadline.
async fn bounded(
    g: &GlobalArgs,
    work: impl std::future::Future<Output = Result<i32>>,
) -> Result<i32> {
    let Ok(settings) = g.settings() else {
        // The command itself reports the configuration error.
        return work.await;
    };
    let limit = (crate::runtime::started() + settings.timeout + GUARD_MARGIN)
        .saturating_duration_since(std::time::Instant::now());
    match tokio::time::timeout(limit, work).await {
        Ok(r) => r,
        Err(_) => Err(Error::Timeout {
            what: "the command to finish".into(),
            after: settings.timeout,
        }),
    }
}

/// How far past `--timeout` a bounded command may run before it is cut off.
pub(crate) const GUARD_MARGIN: Duration = Duration::from_secs(2);

/// Refuses a mutation in a read-only context before anything else is done (the client layer
/// refuses it again, whoever calls it).
pub fn ensure_writable(settings: &ConnectionSettings, action: &str) -> Result<()> {
    crate::kafka::check_writable(settings, action).map(|_| ())
}

/// Reports a command-line error as one line on stderr (through the one escaping writer: clap
/// quotes the bad value as typed) and returns the exit code; help and version are printed as
/// clap lays them out.
pub fn parse_error(e: &clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            e.exit_code()
        }
        _ => {
            output::report(one_line_usage(&e.render().to_string()));
            crate::error::exit::USAGE
        }
    }
}

/// clap's multi-line error text as one line: the message, its details and the usage line,
/// without the pointer to --help.
fn one_line_usage(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs a subcommand and returns the exit code.
pub async fn run(cli: Cli) -> Result<i32> {
    let g = &cli.global;
    match cli.command {
        None => console::run(g, None).await,
        Some(Command::Cluster) => bounded(g, cluster::run(g)).await,
        Some(Command::Broker(a)) => bounded(g, broker::run(g, a)).await,
        Some(Command::Topics(a)) => bounded(g, topics::run_list(g, a)).await,
        Some(Command::Topic(a)) => bounded(g, topics::run(g, a)).await,
        Some(Command::Tail(a)) => tail::run(g, a).await,
        Some(Command::Produce(a)) => produce::run(g, a).await,
        Some(Command::Leaders(a)) => bounded(g, leaders::run_list(g, a)).await,
        Some(Command::Acls(a)) => bounded(g, acls::run(g, a)).await,
        Some(Command::Groups) => bounded(g, groups::run_list(g)).await,
        Some(Command::Group(a)) => bounded(g, groups::run(g, a)).await,
        Some(Command::Offsets(a)) => offsets::run(g, a).await,
        Some(Command::Demo(a)) => demo::run(g, a).await,
        Some(Command::Watch(a)) => watch::run(g, a).await,
        Some(Command::Config(a)) => config_check::run(g, a).await,
        Some(Command::Completions(a)) => shell::run_completions(a),
        Some(Command::Man(a)) => shell::run_man(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn debug_of_the_command_line_hides_secrets() {
        let cli = Cli::try_parse_from([
            "kscope",
            "-X",
            "sasl.password=hunter2",
            "-X",
            "sasl.jaas.config=x password=\"hunter3\"",
            "-X",
            "client.id=me",
            "topics",
        ])
        .unwrap();
        for dbg in [
            format!("{cli:?}"),
            format!("{:?}", cli.global.connect_options()),
        ] {
            assert!(!dbg.contains("hunter"), "{dbg}");
            assert!(dbg.contains("client.id=me"), "{dbg}");
            assert!(dbg.contains("sasl.password=<redacted>"), "{dbg}");
        }
    }

    #[test]
    fn command_line_errors_are_one_line() {
        let e = Cli::try_parse_from(["kscope", "tail"]).unwrap_err();
        let line = one_line_usage(&e.render().to_string());
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.contains("<TOPIC>") && line.contains("Usage:"),
            "{line}"
        );
        let e = Cli::try_parse_from(["kscope", "tail", "t", "--from", "@-300000y"]).unwrap_err();
        let line = one_line_usage(&e.render().to_string());
        assert!(
            line.contains("'@-300000y'") && line.contains("before 1970"),
            "{line}"
        );
    }
}
