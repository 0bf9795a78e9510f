//! `kscope offsets reset GROUP`: plans (by default) or applies an offset reset. The work is done
//! by `crate::offsets`; this module parses, prints and maps outcomes to exit codes.

use std::path::PathBuf;

use chrono::Utc;
use clap::{ArgGroup, Args, Subcommand};
use serde::Serialize;

use super::output::{
    emit, emit_json, emit_to, fields, opt, print_one, table, warn, Output, Stream,
};
use super::{ensure_writable, GlobalArgs};
use crate::error::{exit, Error, Result};
use crate::offsets::{
    self, spec, ApplyOptions, ApplyReport, ApplyResult, PartitionStatus, PlanColumn, PlanValue,
    ResetMode, ResetPlan, ResetRequest, Scope,
};
use crate::record::sanitize::escape_text;

#[derive(Debug, Args)]
pub struct OffsetsArgs {
    #[command(subcommand)]
    pub action: OffsetsAction,
}

#[derive(Debug, Subcommand)]
pub enum OffsetsAction {
    /// Reset a consumer group's committed offsets: a dry run unless --execute
    #[command(after_help = RESET_HELP)]
    Reset(ResetArgs),
    /// List the undo files in the data dir, newest first: what each undoes (an offsets reset,
    /// a group deletion, a topic config change), where, how it ended, and the command that
    /// applies it
    UndoFiles,
}

const RESET_HELP: &str = "\
Without --execute nothing changes: kscope shows, per partition, the committed offset, the target,
the log start and end, and the delta (negative: records to replay; positive: records skipped).
A target outside the log is clamped to it, with a warning on that partition.

--execute refuses while the group has active members (exit 6) or in a read-only context (exit 4).
It writes an undo file first (the committed offsets, as a plan file) and prints the command that
restores them, commits every partition in one request, reads them back and says which changed.
A reset that applied to some partitions only exits 7. Every executed reset is recorded in
audit.jsonl in kscope's data dir (KSCOPE_DATA_DIR): its intent before the commit, its outcome after.

Plan files are Kafka's CSV (topic,partition,offset lines), so they move between kscope and
kafka-consumer-groups --reset-offsets --export / --from-file.";

fn parse_topic(s: &str) -> std::result::Result<spec::TopicSpec, String> {
    spec::parse_topic_spec(s).map_err(|e| e.to_string())
}

fn parse_shift(s: &str) -> std::result::Result<i64, String> {
    spec::parse_shift(s).map_err(|e| e.to_string())
}

fn parse_time(s: &str) -> std::result::Result<i64, String> {
    spec::parse_datetime(s).map_err(|e| e.to_string())
}

fn parse_duration(s: &str) -> std::result::Result<std::time::Duration, String> {
    let d = spec::parse_duration(s).map_err(|e| e.to_string())?;
    // Checked against the clock at once, so that it is a usage error before any request.
    ResetMode::Duration(d).check_time(Utc::now()).map_err(|_| {
        crate::record::position::too_long_ago(&format!("duration '{s}'"), Some(Utc::now()))
            .to_string()
    })?;
    Ok(d)
}

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("mode")
        .required(true)
        .args([
            "to_earliest", "to_latest", "to_current", "to_offset", "shift_by",
            "to_datetime", "by_duration", "from_file", "to_group",
        ])
))]
pub struct ResetArgs {
    /// The consumer group
    pub group: String,
    /// A topic (all its partitions) or TOPIC:0,2,5 (repeatable)
    #[arg(long, value_name = "TOPIC[:PARTITIONS]", value_parser = parse_topic, conflicts_with = "all_topics")]
    pub topic: Vec<spec::TopicSpec>,
    /// Every topic the group has committed offsets on
    #[arg(long)]
    pub all_topics: bool,

    /// To the log start offset
    #[arg(long, help_heading = "Modes (choose one)")]
    pub to_earliest: bool,
    /// To the log end offset
    #[arg(long, help_heading = "Modes (choose one)")]
    pub to_latest: bool,
    /// To the committed offset (to export it, or commit it again)
    #[arg(long, help_heading = "Modes (choose one)")]
    pub to_current: bool,
    /// To this offset in every partition
    #[arg(long, value_name = "OFFSET", value_parser = clap::value_parser!(i64).range(0..), help_heading = "Modes (choose one)")]
    pub to_offset: Option<i64>,
    /// The committed offset plus N (e.g. -100 replays 100 records)
    #[arg(long, value_name = "±N", allow_negative_numbers = true, value_parser = parse_shift, help_heading = "Modes (choose one)")]
    pub shift_by: Option<i64>,
    /// To the first record at or after this time: RFC 3339 with a zone (2024-05-01T03:00:00Z) or epoch ms
    #[arg(long, value_name = "TIME", value_parser = parse_time, help_heading = "Modes (choose one)")]
    pub to_datetime: Option<i64>,
    /// To the first record at or after this long ago: 15m, 2h30m, 1d or ISO 8601 (PT15M)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Modes (choose one)")]
    pub by_duration: Option<std::time::Duration>,
    /// To the offsets in a plan file (topic,partition,offset lines; Kafka's CSV); the file names the partitions
    #[arg(long, value_name = "FILE", conflicts_with_all = ["topic", "all_topics"], help_heading = "Modes (choose one)")]
    pub from_file: Option<PathBuf>,
    /// To another group's committed offsets (without --topic: every partition it has committed)
    #[arg(long, value_name = "GROUP", help_heading = "Modes (choose one)")]
    pub to_group: Option<String>,

    /// Apply the reset (without it, kscope only shows what it would do)
    #[arg(long)]
    pub execute: bool,
    /// Only show the plan (the default; accepted as Kafka's tool takes it)
    #[arg(long, conflicts_with = "execute")]
    pub dry_run: bool,
    /// Write the plan as Kafka's CSV to FILE ('-' for stdout; the usual output then goes to stderr)
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
}

impl ResetArgs {
    fn mode(&self) -> Result<ResetMode> {
        Ok(if self.to_earliest {
            ResetMode::Earliest
        } else if self.to_latest {
            ResetMode::Latest
        } else if self.to_current {
            ResetMode::Current
        } else if let Some(o) = self.to_offset {
            ResetMode::Offset(o)
        } else if let Some(n) = self.shift_by {
            ResetMode::ShiftBy(n)
        } else if let Some(ms) = self.to_datetime {
            ResetMode::Datetime(ms)
        } else if let Some(d) = self.by_duration {
            ResetMode::Duration(d)
        } else if let Some(path) = &self.from_file {
            let source = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::usage(format!("cannot read {source}: {e}")))?;
            let rows = offsets::csv::parse(&text, &self.group, &source)?;
            ResetMode::File { source, rows }
        } else if let Some(g) = &self.to_group {
            ResetMode::Group(g.clone())
        } else {
            return Err(Error::usage(
                "choose a mode such as --to-earliest (see --help)",
            ));
        })
    }

    fn scope(&self) -> Scope {
        if self.all_topics {
            Scope::AllTopics
        } else if !self.topic.is_empty() {
            Scope::Topics(self.topic.clone())
        } else {
            Scope::FromMode
        }
    }
}

pub async fn run(g: &GlobalArgs, a: OffsetsArgs) -> Result<i32> {
    match a.action {
        OffsetsAction::Reset(r) => reset(g, r).await,
        OffsetsAction::UndoFiles => super::undo_files::run(g.output),
    }
}

/// JSON output: the plan, and with --execute what happened.
#[derive(Serialize)]
struct ResetOutput<'a> {
    dry_run: bool,
    plan: &'a ResetPlan,
    result: Option<&'a ApplyReport>,
}

async fn reset(g: &GlobalArgs, a: ResetArgs) -> Result<i32> {
    let settings = g.settings()?;
    if a.execute {
        // Before anything reaches the broker.
        ensure_writable(&settings, &format!("reset offsets of group '{}'", a.group))?;
    }
    let req = ResetRequest::new(a.group.clone(), a.scope(), a.mode()?)?;
    let client = super::budget_client(settings)?;
    let plan = offsets::plan(&client, &req, Utc::now()).await?;

    // With `--export -` the CSV owns stdout and everything else goes to stderr.
    let to_stderr = a.export.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if let Some(path) = &a.export {
        let csv = plan.to_csv();
        if to_stderr {
            emit(&csv)?;
        } else {
            std::fs::write(path, csv)
                .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
        }
    }
    if !a.execute {
        let out = ResetOutput {
            dry_run: true,
            plan: &plan,
            result: None,
        };
        render(g.output, &out, to_stderr, || {
            let mut s = plan_header(&plan);
            s.push('\n');
            s.push_str(&plan_table(&plan));
            s.push('\n');
            s.push_str(&totals_line(&plan));
            if let Some(path) = a.export.as_ref().filter(|_| !to_stderr) {
                s.push_str(&format!("Plan written to {}\n", path.display()));
            }
            s.push_str("Dry run: nothing was changed. Add --execute to apply.\n");
            if plan.totals.unavailable > 0 {
                s.push_str(&format!(
                    "Incomplete: {} partition(s) could not be planned because a broker did not answer for them (see their notes); --execute would leave them out and exit 7.\n",
                    plan.totals.unavailable
                ));
            }
            s
        })?;
        if g.output != Output::Table {
            warn_plan(&plan);
        }
        // A plan that had to leave partitions out is an incomplete answer.
        return Ok(if plan.totals.unavailable > 0 {
            exit::INCOMPLETE
        } else {
            exit::OK
        });
    }

    let report = offsets::apply(&client, &plan, &ApplyOptions::current(Utc::now())?).await?;
    let out = ResetOutput {
        dry_run: false,
        plan: &plan,
        result: Some(&report),
    };
    render(g.output, &out, to_stderr, || {
        let mut s = plan_header(&plan);
        s.push('\n');
        s.push_str(&result_table(&plan, &report));
        s.push('\n');
        s.push_str(&totals_line(&plan));
        s.push_str(&report_footer(&report));
        s
    })?;
    if g.output != Output::Table {
        warn_plan(&plan);
    }
    if let Some(e) = &report.audit_error {
        warn(format_args!("the audit log was not written: {e}"));
    }
    outcome(&report)
}

fn render(
    output: Output,
    value: &ResetOutput<'_>,
    to_stderr: bool,
    table: impl FnOnce() -> String,
) -> Result<()> {
    if !to_stderr {
        return print_one(output, value, table);
    }
    match output {
        Output::Table => emit_to(Stream::Stderr, &table()),
        Output::Json => emit_json(Stream::Stderr, value, true),
        Output::Jsonl => emit_json(Stream::Stderr, value, false),
    }
}

/// The exit code of an executed reset.
fn outcome(report: &ApplyReport) -> Result<i32> {
    let failed: Vec<String> = report
        .partitions
        .iter()
        .filter(|p| p.status != PartitionStatus::Changed && p.status != PartitionStatus::Unchanged)
        .take(5)
        .map(|p| not_reset_note(&p.topic, p.partition, p.error.as_deref().unwrap_or("?")))
        .collect();
    let more = report.failed + report.unverified;
    let more = if more > failed.len() {
        format!(" and {} more", more - failed.len())
    } else {
        String::new()
    };
    let mut not_reset: Vec<String> = failed.clone();
    let skipped: Vec<String> = report
        .skipped
        .iter()
        .take(5)
        .map(|p| not_reset_note(&p.topic, p.partition, &p.reason))
        .collect();
    let more = if report.skipped.len() > skipped.len() {
        format!(
            "{more} and {} more skipped",
            report.skipped.len() - skipped.len()
        )
    } else {
        more
    };
    not_reset.extend(skipped);
    match report.result {
        ApplyResult::Applied => Ok(exit::OK),
        ApplyResult::Partial => Err(Error::PartiallyApplied(format!(
            "{} partition(s) reset, {} not: {}{more}; undo what was applied with: {}",
            report.changed + report.unchanged,
            report.failed + report.unverified + report.skipped.len(),
            not_reset.join(", "),
            report.undo_command.as_deref().unwrap_or("(no undo needed)")
        ))),
        ApplyResult::Failed => Err(Error::kafka(format!(
            "no partition was reset: {}{more}",
            failed.join(", ")
        ))),
        ApplyResult::Unverified => Err(Error::kafka(format!(
            "the offsets were sent but could not be read back ({}); check them with `kscope group {}`{}",
            escape_text(report.verify_error.as_deref().unwrap_or("?")),
            offsets::shell_quote(&report.group),
            report
                .undo_command
                .as_deref()
                .map(|c| format!("; undo with: {c}"))
                .unwrap_or_default()
        ))),
    }
}

/// `topic:partition (why)`, for the partitions a reset left alone.
fn not_reset_note(topic: &str, partition: i32, why: &str) -> String {
    format!(
        "{}:{} ({})",
        escape_text(topic),
        partition,
        escape_text(why)
    )
}

fn signed(d: Option<i64>) -> String {
    match d {
        Some(d) if d > 0 => format!("+{d}"),
        Some(d) => d.to_string(),
        None => "-".into(),
    }
}

fn none_or(v: Option<i64>) -> String {
    v.map_or_else(|| "none".into(), |v| v.to_string())
}

fn plan_header(plan: &ResetPlan) -> String {
    let state = match (&plan.group_state, &plan.group_check_error) {
        (_, Some(_)) => "state unknown".to_string(),
        (Some(s), None) => s.clone(),
        (None, None) => "no such group yet".to_string(),
    };
    let mut pairs = vec![
        ("Group", format!("{} ({state})", plan.group)),
        ("Mode", plan.mode.clone()),
    ];
    if let Some(ts) = plan.timestamp {
        pairs.push(("Time", format!("{} ({ts})", offsets::rfc3339_ms(ts))));
    }
    let mut s = fields(&pairs);
    if !plan.active_members.is_empty() {
        let members: Vec<String> = plan
            .active_members
            .iter()
            .map(|m| escape_text(m).into_owned())
            .collect();
        s.push_str(&format!(
            "Warning: the group has {} active member(s): {}; --execute is refused until they stop\n",
            members.len(),
            members.join(", ")
        ));
    }
    if let Some(e) = &plan.group_check_error {
        s.push_str(&format!(
            "Warning: the group's members cannot be checked ({}); --execute is refused\n",
            escape_text(&e.message)
        ));
    }
    s
}

fn plan_table(plan: &ResetPlan) -> String {
    table(
        &PlanColumn::ALL.map(PlanColumn::title),
        plan.partitions
            .iter()
            .map(|p| {
                PlanColumn::ALL
                    .iter()
                    .map(|c| plan_cell(c.value(p)))
                    .collect()
            })
            .collect(),
    )
}

/// A plan's value as the CLI prints it: plain numbers, signed deltas, every note.
fn plan_cell(v: PlanValue<'_>) -> String {
    match v {
        PlanValue::Topic(t) => t.to_string(),
        PlanValue::Partition(p) => p.to_string(),
        PlanValue::Current(c) => none_or(c),
        PlanValue::Target(o) | PlanValue::Offset(o) => opt(o),
        PlanValue::Delta(d) => signed(d),
        PlanValue::Note { clamped, note } => [clamped, note]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn result_table(plan: &ResetPlan, report: &ApplyReport) -> String {
    let applied: std::collections::HashMap<(&str, i32), &offsets::AppliedPartition> = report
        .partitions
        .iter()
        .map(|p| ((p.topic.as_str(), p.partition), p))
        .collect();
    table(
        &[
            "TOPIC",
            "PARTITION",
            "BEFORE",
            "TARGET",
            "AFTER",
            "LOG-START",
            "LOG-END",
            "DELTA",
            "STATUS",
            "NOTE",
        ],
        plan.partitions
            .iter()
            .map(|p| {
                let a = applied.get(&(p.topic.as_str(), p.partition));
                let status = a.map_or("skipped", |a| match a.status {
                    PartitionStatus::Changed => "changed",
                    PartitionStatus::Unchanged => "unchanged",
                    PartitionStatus::Failed => "FAILED",
                    PartitionStatus::Unverified => "unverified",
                });
                let mut n = plan_cell(PlanColumn::Note.value(p));
                if let Some(e) = a.and_then(|a| a.error.as_deref()) {
                    if !n.is_empty() {
                        n.push_str("; ");
                    }
                    n.push_str(e);
                }
                vec![
                    p.topic.clone(),
                    p.partition.to_string(),
                    none_or(a.map_or(p.current, |a| a.before)),
                    opt(p.target),
                    a.map_or("-".into(), |a| none_or(a.after)),
                    opt(p.log_start),
                    opt(p.log_end),
                    signed(p.delta),
                    status.to_string(),
                    n,
                ]
            })
            .collect(),
    )
}

fn totals_line(plan: &ResetPlan) -> String {
    let t = &plan.totals;
    format!(
        "Total: {} partition(s), {} to commit ({} changing, {} unchanged), {} skipped, {} clamped, {} without a committed offset\n\
         Delta: {} record(s) to replay, {} to skip (net {})\n",
        t.partitions,
        t.to_commit,
        t.changing,
        t.unchanged,
        t.skipped,
        t.clamped,
        t.without_commit,
        t.replay_records,
        t.skip_records,
        signed(Some(t.net_delta)),
    )
}

fn report_footer(r: &ApplyReport) -> String {
    let mut s = format!(
        "Result: {}: {} changed, {} unchanged, {} failed{}{}\n",
        r.result.as_str(),
        r.changed,
        r.unchanged,
        r.failed,
        if r.unverified > 0 {
            format!(", {} unverified", r.unverified)
        } else {
            String::new()
        },
        if r.skipped.is_empty() {
            String::new()
        } else {
            format!(
                ", {} skipped (a broker could not answer for them)",
                r.skipped.len()
            )
        }
    );
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(f) = &r.undo_file {
        pairs.push(("Undo file", f.clone()));
    }
    if let Some(c) = &r.undo_command {
        pairs.push(("Undo with", c.clone()));
    }
    if let Some(a) = &r.audit_file {
        pairs.push(("Audit log", a.clone()));
    }
    s.push_str(&fields(&pairs));
    if r.undo_file.is_none() && r.result != ApplyResult::Failed {
        s.push_str("Undo file: none (no partition had a committed offset before)\n");
    }
    if let Some(h) = &r.not_restorable_hint {
        s.push_str(&format!("Note: {}\n", escape_text(h)));
    }
    s
}

/// For JSON output: one line per kind of warning on stderr (the table shows them inline).
fn warn_plan(plan: &ResetPlan) {
    let list = |f: &dyn Fn(&offsets::PartitionPlan) -> Option<String>| -> (usize, String) {
        let all: Vec<String> = plan.partitions.iter().filter_map(f).collect();
        let mut shown: Vec<String> = all.iter().take(3).cloned().collect();
        if all.len() > 3 {
            shown.push(format!("and {} more", all.len() - 3));
        }
        (all.len(), shown.join(", "))
    };
    let (n, text) = list(&|p| {
        p.clamped
            .as_ref()
            .map(|c| format!("{}:{} {}", p.topic, p.partition, c))
    });
    if n > 0 {
        warn(format_args!("{n} partition(s) clamped to the log: {text}"));
    }
    let (n, text) = list(&|p| {
        p.target.is_none().then(|| {
            format!(
                "{}:{} ({})",
                p.topic,
                p.partition,
                p.note.as_deref().unwrap_or("skipped")
            )
        })
    });
    if n > 0 {
        warn(format_args!("{n} partition(s) skipped: {text}"));
    }
    if !plan.active_members.is_empty() {
        warn(format_args!(
            "group '{}' has active members: {}",
            plan.group,
            plan.active_members.join(", ")
        ));
    }
}
