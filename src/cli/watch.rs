//! `kscope watch`: samples the cluster at an interval, feeds the metrics engine, and prints
//! alerts as they fire and resolve (JSON lines by default); `--once` is a Nagios-style check.

use std::path::PathBuf;
use std::time::Duration;

use tokio::signal::unix::{signal, SignalKind};

use clap::parser::ValueSource;
use clap::{Args, CommandFactory};
use serde::Serialize;

use super::notify::Notifier;
use super::output::{emit, emit_json, emit_line, report, warn, Output, Stream};
use super::watch_text::{check_summary, event_text, metrics_table};
use super::{ensure_writable, parse_duration, Cli, GlobalArgs};
use crate::config;
use crate::error::{Error, Result};
use crate::kafka::produce::{Acks, OutRecord, Producer};
use crate::kafka::{KafkaClient, SampleFilter};
use crate::metrics::time::{rfc3339, Millis};
use crate::metrics::{AlertEvent, MetricsState, Snapshot};
use crate::model::Severity;
use crate::record::sanitize::{escape_line, escape_text};

/// `watch --once` exit codes, as Nagios plugins use them.
pub mod check {
    pub const OK: i32 = 0;
    pub const WARNING: i32 = 1;
    pub const CRITICAL: i32 = 2;
    pub const UNKNOWN: i32 = 3;
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Time between samples, e.g. 10s or 1s [default: `interval` in config.toml's [metrics], else 10s]
    #[arg(long, value_parser = parse_duration)]
    pub interval: Option<Duration>,
    /// Take two samples one interval apart, print the alerts that fire, and exit 0 OK, 1 WARNING, 2 CRITICAL or 3 UNKNOWN
    #[arg(long)]
    pub once: bool,
    /// Also publish alert events to this topic, keyed by rule/resource (refused when read-only)
    #[arg(long, value_name = "TOPIC")]
    pub alerts_topic: Option<String>,
    /// Sample only topics matching this name (repeatable; * and ? wildcards)
    #[arg(long = "topic", value_name = "GLOB")]
    pub topics: Vec<String>,
    /// Sample only groups matching this name (repeatable; * and ? wildcards)
    #[arg(long = "group", value_name = "GLOB")]
    pub groups: Vec<String>,
    /// Also print a metrics snapshot (rates, groups, leaderboards) after every sample
    #[arg(long)]
    pub metrics: bool,
    /// Serve Prometheus metrics on ADDR: /metrics (text format, OpenMetrics when asked for),
    /// /healthz (503 while the cluster cannot be sampled) and /alerts (firing alerts as JSON)
    #[arg(long, value_name = "ADDR", conflicts_with = "once")]
    pub listen: Option<String>,
}

/// One line of `watch` output (and one alert event on `--alerts-topic`).
#[derive(Serialize)]
struct AlertLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    event: &'a AlertEvent,
    context: Option<&'a str>,
    /// Set while the alert is silenced (from the console's `a`): it counts toward no exit code.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::metrics::time::serialize_opt_ts"
    )]
    silenced_until: Option<Millis>,
}

#[derive(Serialize)]
struct MetricsLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    context: Option<&'a str>,
    #[serde(flatten)]
    snapshot: &'a Snapshot,
}

/// Whether `-o`/`--output` (or `KSCOPE_OUTPUT`) was given: `watch` defaults to JSON lines, not
/// to the table the other subcommands default to.
fn output_given() -> bool {
    let Ok(m) = Cli::command().try_get_matches_from(std::env::args_os()) else {
        return false;
    };
    let given = |m: &clap::ArgMatches| {
        matches!(
            m.value_source("output"),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        )
    };
    given(&m) || m.subcommand_matches("watch").is_some_and(given)
}

fn now_ms() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

pub async fn run(g: &GlobalArgs, a: WatchArgs) -> Result<i32> {
    let output = if output_given() {
        g.output
    } else {
        Output::Jsonl
    };
    let once = a.once;
    match watch(g, a, output).await {
        Ok(code) => Ok(code),
        // A read-only refusal keeps its own exit code; anything else that stops a check from
        // evaluating is UNKNOWN.
        Err(e @ Error::ReadOnly(_)) => Err(e),
        Err(e) if once => {
            report(&e);
            let unseen = [e.to_string()];
            let line = NotEvaluatedLine {
                kind: "not_evaluated",
                context: None,
                not_evaluated: &unseen,
            };
            match output {
                Output::Table => emit(&format!("UNKNOWN: {}\n", escape_line(&e.to_string())))?,
                Output::Json => emit_json(Stream::Stdout, &[line], true)?,
                Output::Jsonl => emit_json(Stream::Stdout, &line, false)?,
            }
            Ok(check::UNKNOWN)
        }
        Err(e) => Err(e),
    }
}

struct Watch {
    output: Output,
    context: Option<String>,
    /// Which silences apply, and where they are kept.
    scope: String,
    /// `None` without a data dir (no home directory): then there can be no silences.
    silences_path: Option<std::path::PathBuf>,
    silences: std::sync::Mutex<crate::metrics::Silences>,
    publisher: Option<(Producer, String)>,
    metrics: bool,
    exporter: Option<super::exporter::Exporter>,
    export: super::exporter::ExportOptions,
    /// `[notify.NAME]` targets; `None` when the config names none.
    notifier: Option<Notifier>,
    /// How long queued notifications get at shutdown (the command's timeout).
    flush_timeout: Duration,
    /// `--config-file`, read again on SIGHUP.
    config_file: Option<PathBuf>,
}

async fn watch(g: &GlobalArgs, a: WatchArgs, output: Output) -> Result<i32> {
    // Listening from the start: a SIGTERM or SIGHUP while connecting is not a kill. (A
    // `--once` check keeps the default: a signal ends it.)
    let signals = (!a.once).then(ServiceSignals::listen).transpose()?;
    let opts = g.connect_options();
    let (file, path) = config::load_config(opts.config_file.as_deref())?;
    let settings = super::resolve(&opts, &file)?;
    if let Some(topic) = &a.alerts_topic {
        ensure_writable(&settings, &format!("publish alerts to '{topic}'"))?;
    }
    let context = settings.context.clone();
    let rules = config::alert_rules(&file, context.as_deref(), path.as_deref())?;
    let mut mc = config::metrics_config(&file, context.as_deref(), path.as_deref())?;
    if let Some(i) = a.interval {
        mc.interval = Millis::try_from(i.as_millis())
            .ok()
            .filter(|ms| *ms > 0)
            .ok_or_else(|| Error::usage(format!("invalid --interval {i:?}")))?;
    }
    if a.once {
        // A check has two samples one interval apart: judge status over that interval.
        mc.status_window = mc.status_window.min(mc.interval);
    }
    let interval = Duration::from_millis(mc.interval.unsigned_abs());
    let client = KafkaClient::new(settings.clone())?;
    let publisher = match &a.alerts_topic {
        Some(topic) => Some((publisher(&client, topic).await?, topic.clone())),
        None => None,
    };
    let filter = SampleFilter {
        topics: a.topics.clone(),
        groups: a.groups.clone(),
        ..SampleFilter::default()
    };
    let exporter = match &a.listen {
        Some(addr) => {
            let e = super::exporter::Exporter::listen(addr)?;
            report(format_args!(
                "serving metrics on http://{}/metrics",
                e.local_addr()
            ));
            Some(e)
        }
        None => None,
    };
    let silences_path = crate::silences::path().ok();
    let targets = config::notify_targets(&file, path.as_deref())?;
    let notifier = if targets.is_empty() {
        None
    } else {
        Some(Notifier::start(targets, context.clone())?)
    };
    let mut w = Watch {
        output,
        scope: crate::metrics::silence::scope(context.as_deref(), &settings.bootstrap),
        silences: std::sync::Mutex::new(match &silences_path {
            Some(p) => crate::silences::load(p)?,
            None => crate::metrics::Silences::default(),
        }),
        silences_path,
        context,
        publisher,
        metrics: a.metrics,
        exporter,
        export: super::exporter::ExportOptions {
            per_partition: file.exporter.per_partition.unwrap_or(true),
        },
        notifier,
        flush_timeout: settings.timeout,
        config_file: opts.config_file.clone(),
    };
    if output == Output::Table && !a.once {
        report(format_args!(
            "watching {} every {} with {} alert rules; Ctrl-C to stop",
            settings.describe(),
            crate::metrics::time::format_duration(mc.interval),
            rules.len()
        ));
    }
    let mut state = MetricsState::new(mc, rules);
    let result = if a.once {
        check_once(&w, &client, &filter, &mut state, interval).await
    } else {
        watch_forever(&mut w, &client, &filter, &mut state, interval, signals).await
    };
    w.flush_notifications().await;
    result
}

/// A producer for alert events, after making sure the topic exists.
async fn publisher(client: &KafkaClient, topic: &str) -> Result<Producer> {
    let writer = client.writer(&format!("publish alerts to '{topic}'"))?;
    client.partitions(topic).await?;
    writer.producer(Acks::All)
}

async fn check_once(
    w: &Watch,
    client: &KafkaClient,
    filter: &SampleFilter,
    state: &mut MetricsState,
    interval: Duration,
) -> Result<i32> {
    let first = client.sample(filter).await?;
    state.ingest(&first, now_ms());
    // The second sample's offsets are asked for at least one interval after the first's.
    let since_first = Duration::from_millis((now_ms() - first.at).max(0).unsigned_abs());
    tokio::time::sleep(interval.saturating_sub(since_first)).await;
    let second = client.sample(filter).await?;
    let now = now_ms();
    state.ingest(&second, now);
    let mut firing = state.check(now);
    firing.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.resource.cmp(&b.resource))
    });
    // Silences set since the start count too.
    w.reload_silences()?;
    let (silenced, firing): (Vec<AlertEvent>, Vec<AlertEvent>) = firing
        .into_iter()
        .partition(|e| w.silenced_until(e).is_some());
    let snap = state.snapshot(now);
    let unseen = not_evaluated(filter, [&first, &second], &snap);
    // Never OK (or only WARNING) about what could not be seen; a firing CRITICAL stays one.
    // Silenced alerts count toward nothing.
    let code = match firing.iter().map(|e| e.severity).max() {
        Some(Severity::Crit) => check::CRITICAL,
        _ if !unseen.is_empty() => check::UNKNOWN,
        Some(Severity::Warn) => check::WARNING,
        _ => check::OK,
    };
    let snapshot = w.metrics.then_some(&snap);
    let unseen_line = (!unseen.is_empty()).then(|| NotEvaluatedLine {
        kind: "not_evaluated",
        context: w.context.as_deref(),
        not_evaluated: &unseen,
    });
    match w.output {
        Output::Table => {
            let mut text = check_summary(code, &firing, state, &snap, &unseen);
            if !silenced.is_empty() {
                let list: Vec<String> = silenced
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {} until {}",
                            escape_text(&e.rule),
                            escape_text(&e.resource),
                            w.silenced_until(e).map_or("-".into(), rfc3339)
                        )
                    })
                    .collect();
                text.push_str(&format!("Silenced: {}\n", list.join(", ")));
            }
            if let Some(s) = snapshot {
                text.push('\n');
                text.push_str(&metrics_table(s));
            }
            emit(&text)?;
        }
        Output::Json => {
            let mut lines: Vec<serde_json::Value> = Vec::new();
            for e in firing.iter().chain(&silenced) {
                lines.push(to_value(&w.line(e))?);
            }
            if let Some(u) = &unseen_line {
                lines.push(to_value(u)?);
            }
            emit_json(Stream::Stdout, &lines, true)?;
            if let Some(s) = snapshot {
                emit_json(Stream::Stdout, &w.metrics_line(s), true)?;
            }
        }
        Output::Jsonl => {
            for e in firing.iter().chain(&silenced) {
                emit_json(Stream::Stdout, &w.line(e), false)?;
            }
            if let Some(u) = &unseen_line {
                emit_json(Stream::Stdout, u, false)?;
            }
            if let Some(s) = snapshot {
                emit_json(Stream::Stdout, &w.metrics_line(s), false)?;
            }
        }
    }
    if !unseen.is_empty() && w.output != Output::Table {
        report(format_args!("not evaluated: {}", unseen.join("; ")));
    }
    if let Some(n) = &w.notifier {
        n.notify(&firing);
    }
    w.publish(&firing).await?;
    Ok(code)
}

fn to_value(v: &impl Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| Error::Io(format!("cannot write JSON: {e}")))
}

/// `watch --once` output line naming what the check could not evaluate.
#[derive(Serialize)]
struct NotEvaluatedLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    context: Option<&'a str>,
    not_evaluated: &'a [String],
}

/// What a check could not evaluate: a `--topic`/`--group` that matched nothing, groups that
/// could not be listed, groups whose offsets could not be read, partitions whose log end is
/// unknown. Each entry names it and says why.
fn not_evaluated(
    filter: &SampleFilter,
    samples: [&crate::metrics::Sample; 2],
    snap: &Snapshot,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    let listing_failed = samples.iter().any(|s| {
        s.missing
            .iter()
            .any(|m| matches!(m.subject, crate::model::Subject::GroupListing { .. }))
    });
    // What the cluster has, as sampled: a group or topic the config ignores (left out of the
    // engine) was still found.
    for g in &filter.groups {
        if !listing_failed
            && !samples.iter().any(|s| {
                s.groups
                    .iter()
                    .any(|m| crate::metrics::glob::matches(g, &m.group))
            })
        {
            push(format!("--group '{g}' matches no group"));
        }
    }
    for t in &filter.topics {
        if !samples.iter().any(|s| {
            s.partitions
                .iter()
                .any(|m| crate::metrics::glob::matches(t, &m.topic))
        }) {
            push(format!("--topic '{t}' matches no topic"));
        }
    }
    for s in samples {
        for m in &s.missing {
            push(m.message.clone());
        }
    }
    for g in &snap.groups {
        if let Some(why) = &g.incomplete {
            push(format!("group '{}': {why}", g.group));
        }
    }
    out
}

/// SIGTERM and SIGHUP, listened for as long as `watch` runs.
struct ServiceSignals {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl ServiceSignals {
    fn listen() -> Result<Self> {
        let listen = |kind: SignalKind, name: &str| {
            signal(kind).map_err(|e| Error::Io(format!("cannot listen for {name}: {e}")))
        };
        Ok(ServiceSignals {
            term: listen(SignalKind::terminate(), "SIGTERM")?,
            hup: listen(SignalKind::hangup(), "SIGHUP")?,
        })
    }
}

async fn watch_forever(
    w: &mut Watch,
    client: &KafkaClient,
    filter: &SampleFilter,
    state: &mut MetricsState,
    interval: Duration,
    signals: Option<ServiceSignals>,
) -> Result<i32> {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failures = 0u32;
    let mut totals = super::exporter::Totals::default();
    // One listener each for the whole run, so a signal during a sample is not missed: Ctrl-C
    // and SIGTERM stop (after the notifications in flight), SIGHUP reloads the rules and the
    // notification targets.
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    let ServiceSignals { mut term, mut hup } = match signals {
        Some(s) => s,
        None => ServiceSignals::listen()?,
    };
    let stopped = |r: std::io::Result<()>| -> Result<i32> {
        r.map_err(|e| Error::Io(format!("cannot wait for Ctrl-C: {e}")))?;
        Ok(crate::error::exit::OK)
    };
    let terminated = || {
        report("SIGTERM: stopping");
        Ok(crate::error::exit::OK)
    };
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            r = &mut stop => return stopped(r),
            _ = term.recv() => return terminated(),
            _ = hup.recv() => {
                w.reload(state).await?;
                continue;
            }
        }
        let sampled = tokio::select! {
            s = client.sample(filter) => s,
            r = &mut stop => return stopped(r),
            _ = term.recv() => return terminated(),
        };
        let sample = match sampled {
            Ok(s) => s,
            // A cluster that cannot be reached at the start is a mistake to report at once;
            // later, a failed cycle is skipped and the alerts keep their state.
            // With an exporter, /healthz says why instead: the service keeps running and
            // answers again when the cluster does.
            Err(e) if state.samples() == 0 && w.exporter.is_none() => return Err(e),
            Err(e) => {
                failures += 1;
                totals.failed_samples += 1;
                warn(format_args!("sample failed ({failures} so far): {e}"));
                w.export(state, Some(&e.to_string()), totals);
                continue;
            }
        };
        totals.samples += 1;
        totals.requests += u64::from(sample.requests.total());
        for err in &sample.errors {
            tracing::warn!("sample: {err}");
        }
        let now = now_ms();
        let events = state.ingest(&sample, now);
        if let Err(e) = w.reload_silences() {
            warn(format_args!("{e}; keeping the silences read before"));
        }
        for e in &events {
            w.print_event(e)?;
        }
        if let Some(n) = &w.notifier {
            // A silenced alert pages nobody (it is still printed, marked as silenced).
            let paging: Vec<AlertEvent> = events
                .iter()
                .filter(|e| w.silenced_until(e).is_none())
                .cloned()
                .collect();
            n.notify(&paging);
        }
        if w.metrics {
            w.print_metrics(&state.snapshot(now))?;
        }
        w.export(state, None, totals);
        if let Err(e) = w.publish(&events).await {
            warn(e);
        }
    }
}

impl Watch {
    /// Renders the state for the exporter, if there is one.
    fn export(&self, state: &MetricsState, failure: Option<&str>, totals: super::exporter::Totals) {
        let Some(exporter) = &self.exporter else {
            return;
        };
        let now = now_ms();
        let silenced = |rule: &str, resource: &str| self.silenced_at(rule, resource, now);
        let rendered = super::exporter::render(state, now, failure, totals, self.export, &silenced)
            .and_then(|mut e| {
                if let Some(n) = &self.notifier {
                    super::notify::append_metrics(&mut e.body, &n.counts())?;
                }
                Ok(e)
            });
        match rendered {
            Ok(e) => exporter.publish(e),
            Err(e) => warn(e),
        }
    }

    /// SIGHUP: reads the config file again and swaps in its alert rules and notification
    /// targets. A file that does not load, or whose rules or targets are wrong, changes
    /// nothing: the old ones stay, and stderr says why.
    async fn reload(&mut self, state: &mut MetricsState) -> Result<()> {
        let loaded = config::load_config(self.config_file.as_deref()).and_then(|(file, path)| {
            let rules = config::alert_rules(&file, self.context.as_deref(), path.as_deref())?;
            let targets = config::notify_targets(&file, path.as_deref())?;
            Ok((rules, targets, path))
        });
        let (rules, targets, path) = match loaded {
            Ok(l) => l,
            Err(e) => {
                warn(format_args!(
                    "SIGHUP: reload failed, keeping {} alert rule(s) and {} notify target(s): {e}",
                    state.rules().len(),
                    self.notifier.as_ref().map_or(0, Notifier::targets)
                ));
                return Ok(());
            }
        };
        let (n_rules, n_targets) = (rules.len(), targets.len());
        let deadline = std::time::Instant::now() + self.flush_timeout;
        self.notifier = match (self.notifier.take(), targets.is_empty()) {
            (Some(old), _) => Some(old.reload(targets, deadline)?),
            (None, true) => None,
            (None, false) => Some(Notifier::start(targets, self.context.clone())?),
        };
        // Alerts of rules that went away or changed resolve now, where they were firing.
        let ended = state.replace_rules(rules, now_ms());
        for e in &ended {
            self.print_event(e)?;
        }
        if let Some(n) = &self.notifier {
            n.notify(&ended);
        }
        if let Err(e) = self.publish(&ended).await {
            warn(e);
        }
        report(format_args!(
            "SIGHUP: reloaded {}: {n_rules} alert rule(s), {n_targets} notify target(s)",
            path.map_or("the defaults".to_string(), |p| p.display().to_string())
        ));
        Ok(())
    }

    /// Delivers what the notification queues hold, for at most the flush timeout.
    async fn flush_notifications(&mut self) {
        let Some(n) = self.notifier.take() else {
            return;
        };
        let deadline = std::time::Instant::now() + self.flush_timeout;
        let left = tokio::task::spawn_blocking(move || n.shutdown(deadline))
            .await
            .unwrap_or_default();
        if left.delivered > 0 {
            report(format_args!(
                "delivered {} queued notification(s)",
                left.delivered
            ));
        }
        for (name, count) in left.undelivered {
            warn(format_args!(
                "notify '{name}': {count} notification(s) not delivered within {}",
                humantime::format_duration(self.flush_timeout)
            ));
        }
    }

    fn line<'a>(&'a self, e: &'a AlertEvent) -> AlertLine<'a> {
        AlertLine {
            kind: "alert",
            event: e,
            context: self.context.as_deref(),
            silenced_until: self.silenced_until(e),
        }
    }

    /// Until when an alert is silenced, if it is.
    fn silenced_until(&self, e: &AlertEvent) -> Option<Millis> {
        self.silenced_at(&e.rule, &e.resource, e.at)
    }

    /// Until when the alert of `rule` on `resource` is silenced at `at`, if it is.
    fn silenced_at(&self, rule: &str, resource: &str, at: Millis) -> Option<Millis> {
        self.silences
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .active(&self.scope, rule, resource, at)
            .map(|s| s.until)
    }

    /// Reads the silences file again (the console may have changed it).
    fn reload_silences(&self) -> Result<()> {
        let Some(path) = &self.silences_path else {
            return Ok(());
        };
        let fresh = crate::silences::load(path)?;
        *self.silences.lock().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    fn metrics_line<'a>(&'a self, s: &'a Snapshot) -> MetricsLine<'a> {
        MetricsLine {
            kind: "metrics",
            context: self.context.as_deref(),
            snapshot: s,
        }
    }

    fn print_event(&self, e: &AlertEvent) -> Result<()> {
        match self.output {
            Output::Table => emit_line(&event_text(e, self.silenced_until(e))),
            Output::Json => emit_json(Stream::Stdout, &self.line(e), true),
            Output::Jsonl => emit_json(Stream::Stdout, &self.line(e), false),
        }
    }

    fn print_metrics(&self, s: &Snapshot) -> Result<()> {
        match self.output {
            Output::Table => emit(&(metrics_table(s) + "\n")),
            Output::Json => emit_json(Stream::Stdout, &self.metrics_line(s), true),
            Output::Jsonl => emit_json(Stream::Stdout, &self.metrics_line(s), false),
        }
    }

    /// Publishes events to the alerts topic, if there is one; the key is `rule/resource`.
    async fn publish(&self, events: &[AlertEvent]) -> Result<()> {
        let Some((producer, topic)) = &self.publisher else {
            return Ok(());
        };
        for e in events {
            let value = serde_json::to_vec(&self.line(e))
                .map_err(|err| Error::Io(format!("cannot write JSON: {err}")))?;
            let record = OutRecord {
                key: Some(e.key().into_bytes()),
                value: Some(value),
                ..OutRecord::default()
            };
            producer.send(topic, &record).await.map_err(|err| {
                Error::kafka(format!("cannot publish alerts to '{topic}': {err}"))
            })?;
        }
        Ok(())
    }
}
