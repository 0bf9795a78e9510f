//! A cluster change from the console (a topic's configs, ...): what to type, the plan with the
//! broker's verdict, the confirmation, the result read back with its undo command.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::fmt::num;
use crate::app::{ChangeFlow, ChangeKind, ChangeOutcome, ChangePlan, ChangeStep, State};
use crate::model::{
    ConfigAction, ConfigApplied, ConfigPlan, ElectAction, ElectPlan, PartitionsAdded,
    PartitionsPlan, TruncatePlan,
};
use crate::ui::{safe, Severity, Theme};

pub fn change(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(flow) = state.change.as_ref() else {
        frame.render_widget(Paragraph::new("no change in progress"), area);
        return;
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.border_focused))
        .title(Span::styled(
            format!(" {} ", safe(&flow.kind.title(&flow.target))),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [body, message] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(inner);
    let lines = match &flow.step {
        ChangeStep::Input { text } => input(state, theme, flow, text),
        ChangeStep::Planning { .. } => vec![Line::styled(
            match flow.kind {
                ChangeKind::ElectLeaders => {
                    "planning: reading every partition's leader and replicas (nothing changes yet)…"
                }
                ChangeKind::Truncate => {
                    "planning: reading the log starts and ends and the groups' offsets (nothing changes yet)…"
                }
                ChangeKind::CreateAcls | ChangeKind::DeleteAcls => {
                    "planning: reading the ACLs there now (nothing changes yet)…"
                }
                _ => "planning: reading what is there now; the broker validates the change (nothing changes yet)…",
            },
            theme.muted(),
        )],
        ChangeStep::Plan { plan, confirm } => {
            let mut lines = plan_lines(theme, plan);
            lines.push(Line::raw(""));
            lines.push(match flow.kind.confirm_word(&flow.target) {
                _ if plan.blocked().is_some() => Line::styled(
                    format!("nothing can be applied: esc {}", esc_does(flow.kind)),
                    theme.muted(),
                ),
                None => Line::styled(
                    "enter or y applies it (an undo file is written first), esc edits it",
                    theme.severity(Severity::Warn),
                ),
                Some(word) => Line::from(vec![
                    Span::styled(
                        format!(
                            "{}: type '{}' to confirm (enter), esc {}: ",
                            flow.kind.confirm_why(),
                            safe(&word),
                            esc_does(flow.kind)
                        ),
                        theme.severity(Severity::Warn),
                    ),
                    Span::raw(safe(confirm)),
                    Span::styled("▏", theme.muted()),
                ]),
            });
            lines
        }
        ChangeStep::Applying { plan, .. } => {
            let mut lines = plan_lines(theme, plan);
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                match flow.kind {
                    ChangeKind::TopicConfig
                    | ChangeKind::CreateAcls
                    | ChangeKind::DeleteAcls => "applying: undo file, audit, change, read back…",
                    _ => "applying: audit, change, read back…",
                },
                theme.severity(Severity::Warn),
            ));
            lines
        }
        ChangeStep::Done { plan, outcome } => {
            let mut lines = match (&**plan, &**outcome) {
                (ChangePlan::Config(p), ChangeOutcome::Config(o)) => config_done(theme, p, o),
                (ChangePlan::Partitions(p), ChangeOutcome::Partitions(o)) => {
                    partitions_done(theme, p, o)
                }
                (_, ChangeOutcome::Truncate(r)) => truncate_lines(theme, r),
                (_, ChangeOutcome::Elect(r)) => elect_lines(theme, r),
                (_, ChangeOutcome::Acls(r)) => super::acl_change::lines(theme, r),
                _ => vec![Line::raw("done")],
            };
            lines.push(Line::raw(""));
            lines.push(Line::styled("enter or esc: back", theme.muted()));
            lines
        }
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    if let Some(e) = &flow.error {
        frame.render_widget(
            Paragraph::new(Line::styled(safe(e), theme.severity(Severity::Crit)))
                .wrap(Wrap { trim: true }),
            message,
        );
    }
}

/// What Esc does on the plan.
fn esc_does(kind: ChangeKind) -> &'static str {
    if kind.takes_input() {
        "edits it"
    } else {
        "goes back"
    }
}

fn input<'a>(state: &State, theme: &Theme, flow: &ChangeFlow, text: &str) -> Vec<Line<'a>> {
    if !flow.kind.takes_input() {
        return vec![Line::styled(
            "the plan could not be made: enter tries again, esc goes back",
            theme.muted(),
        )];
    }
    if flow.kind == ChangeKind::BrokerConfig {
        let mut lines = vec![
            Line::styled(flow.kind.prompt().to_string(), theme.muted()),
            Line::raw(""),
        ];
        if let Some((_, configs)) = state
            .broker_configs
            .data
            .as_ref()
            .filter(|(id, _)| id.to_string() == flow.target)
        {
            let own: Vec<String> = configs
                .iter()
                .filter(|c| c.source == "broker")
                .map(|c| format!("{}={}", c.name, c.value.as_deref().unwrap_or("(hidden)")))
                .collect();
            lines.push(Line::styled(
                if own.is_empty() {
                    "set dynamically on this broker now: nothing".to_string()
                } else {
                    format!(
                        "set dynamically on this broker now: {}",
                        safe(&own.join(" "))
                    )
                },
                theme.muted(),
            ));
            lines.push(Line::raw(""));
        }
        return with_field(lines, theme, text);
    }
    let mut lines = vec![
        Line::styled(flow.kind.prompt().to_string(), theme.muted()),
        Line::raw(""),
    ];
    if let Some(d) = flow
        .kind
        .topic(&flow.target)
        .and_then(|t| state.topic.data.as_ref().filter(|d| d.name == t))
    {
        match flow.kind {
            ChangeKind::TopicConfig
            | ChangeKind::ElectLeaders
            | ChangeKind::BrokerConfig
            | ChangeKind::CreateAcls
            | ChangeKind::DeleteAcls => {}
            ChangeKind::AddPartitions | ChangeKind::Truncate => {
                let messages: Option<i64> = d.partitions.iter().map(|p| p.messages).sum();
                lines.push(Line::styled(
                    format!(
                        "now: {} partition(s), {} message(s), read by {} group(s)",
                        d.partitions.len(),
                        messages.map_or_else(|| "-".to_string(), num),
                        d.groups.len()
                    ),
                    theme.muted(),
                ));
                lines.push(Line::raw(""));
                return with_field(lines, theme, text);
            }
        }
        let own: Vec<String> = d
            .configs
            .iter()
            .filter(|c| c.source == "topic")
            .map(|c| format!("{}={}", c.name, c.value.as_deref().unwrap_or("(hidden)")))
            .collect();
        lines.push(Line::styled(
            if own.is_empty() {
                "set on this topic now: nothing (every config is a default)".to_string()
            } else {
                format!("set on this topic now: {}", safe(&own.join(" ")))
            },
            theme.muted(),
        ));
        lines.push(Line::raw(""));
    }
    with_field(lines, theme, text)
}

fn with_field<'a>(mut lines: Vec<Line<'a>>, theme: &Theme, text: &str) -> Vec<Line<'a>> {
    lines.push(Line::from(vec![
        Span::styled("> ", theme.title()),
        Span::raw(safe(text)),
        Span::styled("▏", theme.muted()),
    ]));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "enter: the plan (nothing changes yet), esc cancels",
        theme.muted(),
    ));
    lines
}

fn plan_lines<'a>(theme: &Theme, plan: &ChangePlan) -> Vec<Line<'a>> {
    match plan {
        ChangePlan::Config(p) => config_plan(theme, p),
        ChangePlan::Partitions(p) => partitions_plan(theme, p),
        ChangePlan::Truncate(p) => truncate_lines(theme, p),
        ChangePlan::Elect(p) => elect_lines(theme, p),
        ChangePlan::Acls(p) => super::acl_change::lines(theme, p),
    }
}

fn id(v: Option<i32>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// An election's plan, or (executed) its result.
fn elect_lines<'a>(theme: &Theme, p: &ElectPlan) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    if p.executed {
        let all = p.partitions.len();
        lines.push(if let Some(e) = &p.read_back_error {
            Line::styled(
                format!(
                    "elected, but the leaders could not be read back to verify: {}",
                    safe(e)
                ),
                theme.severity(Severity::Crit),
            )
        } else if p.moved == all {
            Line::styled(
                format!("verified: {all} partition(s) now led by their preferred replica"),
                theme.severity(Severity::Ok),
            )
        } else {
            Line::styled(
                format!(
                    "{} of {all} partition(s) now led by their preferred replica; {} not",
                    p.moved,
                    all - p.moved
                ),
                theme.severity(Severity::Crit),
            )
        });
        lines.push(Line::raw(""));
    } else {
        lines.push(Line::raw(format!(
            "{} partition(s) of {} not led by their preferred replica (the first replica); {} can move",
            p.partitions.len(),
            safe(&p.scope),
            p.electable()
        )));
        lines.push(Line::raw(""));
    }
    if p.partitions.is_empty() {
        return lines;
    }
    lines.push(Line::styled(
        format!(
            "{:<30}  {:>9}  {:>6}  {:>9}  {:>5}  STATUS",
            "TOPIC", "PARTITION", "LEADER", "PREFERRED", "AFTER"
        ),
        theme.title(),
    ));
    for x in &p.partitions {
        let (status, style) = match (&x.error, x.action, p.executed) {
            (Some(e), ElectAction::Skip, _) => (
                format!("skipped: {}", safe(e)),
                theme.severity(Severity::Warn),
            ),
            (Some(e), _, _) => (
                format!("failed: {}", safe(e)),
                theme.severity(Severity::Crit),
            ),
            (None, _, true) => ("moved".to_string(), theme.severity(Severity::Ok)),
            (None, _, false) => ("would move".to_string(), Style::new()),
        };
        lines.push(Line::from(vec![
            Span::raw(format!(
                "{:<30}  {:>9}  {:>6}  {:>9}  {:>5}  ",
                safe(&x.topic),
                x.partition,
                id(x.leader),
                id(x.preferred),
                id(x.leader_after)
            )),
            Span::styled(status, style),
        ]));
    }
    if !p.executed {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "nothing to undo afterwards: leadership moves again with the next election or failure",
            theme.muted(),
        ));
    }
    lines
}

fn partitions_plan<'a>(theme: &Theme, p: &PartitionsPlan) -> Vec<Line<'a>> {
    vec![
        Line::raw(format!(
            "partitions: {} -> {}",
            p.partitions_before, p.partitions_after
        )),
        Line::raw(""),
        Line::styled(
            "the broker validated the change (validate-only): nothing is applied yet",
            theme.severity(Severity::Ok),
        ),
        Line::styled(safe(&p.note), theme.severity(Severity::Warn)),
    ]
}

fn partitions_done<'a>(theme: &Theme, p: &PartitionsPlan, o: &PartitionsAdded) -> Vec<Line<'a>> {
    vec![
        if o.verified {
            Line::styled(
                format!(
                    "added: {} -> {} partitions; the metadata shows {}",
                    p.partitions_before, p.partitions_after, o.partitions_now
                ),
                theme.severity(Severity::Ok),
            )
        } else {
            Line::styled(
                format!(
                    "applied, but the metadata shows {} partitions, not {}",
                    o.partitions_now, p.partitions_after
                ),
                theme.severity(Severity::Crit),
            )
        },
        Line::raw(""),
        Line::styled(
            "nothing to undo: partitions cannot be removed; keyed records now map over the new count",
            theme.muted(),
        ),
    ]
}

/// A truncation's plan, or (executed) its result.
fn truncate_lines<'a>(theme: &Theme, p: &TruncatePlan) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    if p.executed {
        let failed = p.failed();
        let cut = p
            .partitions
            .iter()
            .filter(|x| x.records_deleted > 0)
            .count();
        lines.push(if p.result() == "failed" {
            Line::styled(
                format!("nothing deleted: the broker truncated none of the {cut} partition(s)"),
                theme.severity(Severity::Crit),
            )
        } else if failed == 0 {
            Line::styled(
                format!(
                    "deleted {} record(s) from {cut} partition(s)",
                    num(p.records_deleted)
                ),
                theme.severity(Severity::Ok),
            )
        } else {
            Line::styled(
                format!(
                    "partly deleted: {failed} of {cut} partition(s) were not truncated; the others were"
                ),
                theme.severity(Severity::Crit),
            )
        });
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        format!(
            "{:<9}  {:>12}  {:>13}  {:>12}  {:>10}  STATUS",
            "PARTITION", "LOG START", "NEW LOG START", "LOG END", "DELETED"
        ),
        theme.title(),
    ));
    for x in &p.partitions {
        let (status, style) = match (&x.error, x.result_log_start) {
            (Some(e), _) => (
                format!("failed: {}", safe(e)),
                theme.severity(Severity::Crit),
            ),
            (None, Some(_)) => ("deleted".to_string(), theme.severity(Severity::Ok)),
            _ if x.records_deleted == 0 => ("unchanged".to_string(), theme.muted()),
            _ => ("planned".to_string(), Style::new()),
        };
        lines.push(Line::from(vec![
            Span::raw(format!(
                "{:<9}  {:>12}  {:>13}  {:>12}  {:>10}  ",
                x.partition,
                num(x.log_start),
                num(x.new_log_start),
                num(x.log_end),
                num(x.records_deleted)
            )),
            Span::styled(status, style),
        ]));
    }
    if !p.executed {
        lines.push(Line::raw(""));
        lines.push(Line::raw(format!(
            "records deleted: {} (for every reader; they cannot come back)",
            num(p.records_deleted)
        )));
    }
    for b in &p.groups_behind {
        let parts: Vec<String> = b.partitions.iter().map(|p| p.to_string()).collect();
        lines.push(Line::styled(
            format!(
                "group {} has not read what goes on partition(s) {}: it will skip to the new log start",
                safe(&b.group),
                parts.join(",")
            ),
            theme.severity(Severity::Warn),
        ));
    }
    for u in &p.groups_unknown {
        lines.push(Line::styled(
            format!(
                "group {}: its offsets could not be read (it may be behind)",
                safe(u)
            ),
            theme.severity(Severity::Warn),
        ));
    }
    lines
}

fn opt(v: &Option<String>) -> String {
    v.as_deref().map_or_else(|| "-".to_string(), safe)
}

fn config_plan<'a>(theme: &Theme, p: &ConfigPlan) -> Vec<Line<'a>> {
    let width = p.keys.iter().map(|k| k.key.len()).max().unwrap_or(3).max(3);
    let mut lines = vec![Line::styled(
        format!("{:<width$}  NOW (SOURCE) -> AFTER", "KEY"),
        theme.title(),
    )];
    for k in &p.keys {
        let after = match k.action {
            ConfigAction::Set => opt(&k.after),
            ConfigAction::Delete => "(default)".to_string(),
        };
        lines.push(Line::from(vec![
            Span::raw(format!(
                "{:<width$}  {} ({}) -> {after}",
                safe(&k.key),
                opt(&k.before),
                safe(&k.before_source)
            )),
            Span::styled(if k.unchanged { "  unchanged" } else { "" }, theme.muted()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(match &p.refused {
        None => Line::styled(
            "the broker validated the change (validate-only): nothing is applied yet",
            theme.severity(Severity::Ok),
        ),
        Some(why) => Line::styled(
            format!("the broker refused it (validate-only): {}", safe(why)),
            theme.severity(Severity::Crit),
        ),
    });
    lines
}

fn config_done<'a>(theme: &Theme, p: &ConfigPlan, o: &ConfigApplied) -> Vec<Line<'a>> {
    let mut lines = vec![Line::styled(
        if let Some(e) = &o.read_back_error {
            format!(
                "applied, but the configs could not be read back to verify: {}",
                safe(e)
            )
        } else if o.mismatched.is_empty() {
            format!("applied and read back: {} key(s) as asked", p.edits.len())
        } else {
            format!(
                "applied, but reading back shows other values for: {}",
                safe(&o.mismatched.join(", "))
            )
        },
        theme.severity(if o.mismatched.is_empty() {
            Severity::Ok
        } else {
            Severity::Crit
        }),
    )];
    lines.push(Line::raw(""));
    let width = o
        .read_back
        .iter()
        .map(|k| k.key.len())
        .max()
        .unwrap_or(3)
        .max(3);
    for r in &o.read_back {
        lines.push(Line::from(vec![
            Span::raw(format!(
                "{:<width$}  now {} ({})  ",
                safe(&r.key),
                opt(&r.value),
                opt(&r.source)
            )),
            if r.verified {
                Span::styled("verified", theme.severity(Severity::Ok))
            } else {
                Span::styled("NOT VERIFIED", theme.severity(Severity::Crit))
            },
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::raw(format!("undo file: {}", safe(&o.undo_file))));
    lines.push(Line::raw(format!("undo: {}", safe(&o.undo_command))));
    lines
}
