//! The table screens: brokers, topics, a topic, groups, a group.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Wrap};
use ratatui::Frame;

use crate::app::columns::{
    BROKER_COLUMNS, CONFIG_COLUMNS, GROUP_COLUMNS, GROUP_PARTITION_COLUMNS, PARTITION_COLUMNS,
    TOPIC_COLUMNS,
};
use crate::app::metrics::partition_rates;
use crate::app::state::GROUP_INFO_ROWS;
use crate::app::{State, Table, TopicTab};
use crate::metrics::Status;
use crate::ui::fmt::{self, num, opt_num};
use crate::ui::{panel_block, placeholder, ready, safe, virtual_table, Severity, Theme};

pub fn brokers(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, table: &Table) {
    let block = panel_block("brokers".into(), &state.cluster, state, theme);
    let Some((info, block)) = ready(frame, area, &state.cluster, block, state, theme, "brokers")
    else {
        return;
    };
    let block = block.title(Line::from(format!(
        " cluster {} · controller {} ",
        safe(info.cluster_id.as_deref().unwrap_or("-")),
        opt_num(info.controller_id.map(i64::from))
    )));
    virtual_table(
        frame,
        area,
        block,
        theme,
        BROKER_COLUMNS,
        &[
            Constraint::Length(6),
            Constraint::Fill(2),
            Constraint::Length(7),
            Constraint::Fill(1),
            Constraint::Length(12),
        ],
        table,
        |i| {
            let b = &info.brokers[i];
            Row::new(vec![
                b.id.to_string(),
                safe(&b.host),
                b.port.to_string(),
                safe(b.rack.as_deref().unwrap_or("-")),
                if Some(b.id) == info.controller_id {
                    "controller".into()
                } else {
                    String::new()
                },
            ])
        },
        "no brokers",
    );
}

pub fn topics(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, table: &Table) {
    let count = state.topics.data.as_ref().map_or(0, Vec::len);
    let block = panel_block(format!("topics ({count})"), &state.topics, state, theme);
    let Some((topics, block)) = ready(frame, area, &state.topics, block, state, theme, "topics")
    else {
        return;
    };
    virtual_table(
        frame,
        area,
        block,
        theme,
        TOPIC_COLUMNS,
        &[
            Constraint::Fill(3),
            Constraint::Length(11),
            Constraint::Length(4),
            Constraint::Length(14),
            Constraint::Length(10),
            Constraint::Length(5),
        ],
        table,
        |i| {
            let t = &topics[i];
            let urp = if t.under_replicated_partitions + t.offline_partitions > 0 {
                Cell::from(t.under_replicated_partitions.to_string())
                    .style(theme.severity(Severity::Crit))
            } else {
                Cell::from("0")
            };
            Row::new(vec![
                Cell::from(safe(&t.name)),
                Cell::from(t.partitions.to_string()),
                Cell::from(t.replication_factor.to_string()),
                Cell::from(opt_num(t.messages)),
                Cell::from(fmt::rate(state.metrics_view.topic_rate(&t.name))),
                urp,
            ])
        },
        "no topics",
    );
}

#[allow(clippy::too_many_arguments)]
pub fn topic(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    name: &str,
    tab: TopicTab,
    table: &Table,
) {
    let block = panel_block(format!("topic {name}"), &state.topic, state, theme);
    let detail = state.topic.data.as_ref().filter(|d| d.name == name);
    let Some(d) = detail else {
        let p = placeholder(&state.topic, state, theme, &format!("topic {name}"))
            .unwrap_or_else(|| Paragraph::new(Line::styled("loading…", theme.muted())));
        frame.render_widget(p.block(block), area);
        return;
    };
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let tab_span = |t: TopicTab, label: String| {
        if t == tab {
            Span::styled(
                format!(" {label} "),
                theme.selection().add_modifier(Modifier::BOLD),
            )
        } else {
            Span::styled(format!(" {label} "), theme.muted())
        }
    };
    let messages: Option<i64> = d.partitions.iter().map(|p| p.messages).sum();
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            tab_span(
                TopicTab::Partitions,
                format!("partitions {}", d.partitions.len()),
            ),
            tab_span(TopicTab::Configs, format!("configs {}", d.configs.len())),
            tab_span(TopicTab::Groups, format!("groups {}", d.groups.len())),
            Span::styled(
                format!(
                    "   messages {} · rate {}/s",
                    opt_num(messages),
                    fmt::rate(state.metrics_view.topic_rate(name))
                ),
                theme.muted(),
            ),
        ])),
        tabs,
    );
    match tab {
        TopicTab::Partitions => {
            let rates = partition_rates(&state.metrics, name, state.now_ms());
            let ids = |v: &[i32]| {
                v.iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            virtual_table(
                frame,
                body,
                block,
                theme,
                PARTITION_COLUMNS,
                &[
                    Constraint::Length(10),
                    Constraint::Length(7),
                    Constraint::Fill(1),
                    Constraint::Fill(1),
                    Constraint::Length(12),
                    Constraint::Length(12),
                    Constraint::Length(12),
                    Constraint::Length(8),
                    Constraint::Length(4),
                ],
                table,
                |i| {
                    let p = &d.partitions[i];
                    let (leader, urp) = match (p.leader, p.under_replicated) {
                        (None, _) => (
                            Cell::from("offline").style(theme.severity(Severity::Crit)),
                            Cell::from("yes"),
                        ),
                        (Some(l), true) => (
                            Cell::from(l.to_string()),
                            Cell::from("yes").style(theme.severity(Severity::Crit)),
                        ),
                        (Some(l), false) => (Cell::from(l.to_string()), Cell::from("no")),
                    };
                    Row::new(vec![
                        Cell::from(p.partition.to_string()),
                        leader,
                        Cell::from(ids(&p.replicas)),
                        Cell::from(ids(&p.isr)),
                        Cell::from(opt_num(p.low_watermark)),
                        Cell::from(opt_num(p.high_watermark)),
                        Cell::from(opt_num(p.messages)),
                        Cell::from(fmt::rate(rates.get(&p.partition).copied())),
                        urp,
                    ])
                },
                "no partitions",
            );
        }
        TopicTab::Configs => {
            if let Some(e) = &d.configs_error {
                return unavailable(frame, body, block, theme, "configs", e);
            }
            virtual_table(
                frame,
                body,
                block,
                theme,
                CONFIG_COLUMNS,
                &[
                    Constraint::Fill(2),
                    Constraint::Fill(2),
                    Constraint::Length(15),
                ],
                table,
                |i| {
                    let c = &d.configs[i];
                    let value = if c.sensitive {
                        "<sensitive>".to_string()
                    } else {
                        safe(c.value.as_deref().unwrap_or("-"))
                    };
                    let style = if c.source == "topic" {
                        Style::new().fg(theme.accent)
                    } else {
                        Style::new()
                    };
                    Row::new(vec![
                        Cell::from(safe(&c.name)),
                        Cell::from(value),
                        Cell::from(c.source.clone()),
                    ])
                    .style(style)
                },
                "no configs",
            );
        }
        TopicTab::Groups => {
            if let Some(e) = &d.groups_error {
                return unavailable(frame, body, block, theme, "groups", e);
            }
            virtual_table(
                frame,
                body,
                block,
                theme,
                &["GROUP"],
                &[Constraint::Fill(1)],
                table,
                |i| Row::new(vec![safe(&d.groups[i])]),
                "no group reads this topic",
            );
        }
    }
}

pub fn groups(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, table: &Table) {
    let count = state.groups.data.as_ref().map_or(0, Vec::len);
    let block = panel_block(
        format!("consumer groups ({count})"),
        &state.groups,
        state,
        theme,
    );
    let Some((groups, block)) = ready(
        frame,
        area,
        &state.groups,
        block,
        state,
        theme,
        "consumer groups",
    ) else {
        return;
    };
    virtual_table(
        frame,
        area,
        block,
        theme,
        GROUP_COLUMNS,
        &[
            Constraint::Fill(3),
            Constraint::Length(20),
            Constraint::Length(7),
            Constraint::Length(8),
            Constraint::Length(14),
            Constraint::Length(22),
        ],
        table,
        |i| {
            let g = &groups[i];
            let sev = fmt::lag_severity(g.total_lag, &state.options);
            let trend = state
                .metrics_view
                .lag_trend
                .get(&g.group)
                .map(|t| fmt::spark(t, 20))
                .unwrap_or_default();
            let status = status_cell(
                state.metrics_view.group(&g.group).and_then(|m| m.status),
                theme,
            );
            let state_style = match g.state.as_str() {
                "Stable" => Style::new(),
                "Empty" | "Unknown" => theme.muted(),
                _ => theme.severity(Severity::Warn),
            };
            Row::new(vec![
                Cell::from(safe(&g.group)),
                Cell::from(g.state.clone()).style(state_style),
                status,
                Cell::from(g.members.to_string()),
                Cell::from(fmt::at_least(g.total_lag, g.gaps.is_complete()))
                    .style(theme.severity(sev)),
                Cell::from(trend).style(Style::new().fg(theme.sparkline)),
            ])
        },
        "no consumer groups",
    );
}

pub fn group(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    name: &str,
    table: &Table,
) {
    let block = panel_block(format!("group {name}"), &state.group, state, theme);
    let Some(d) = state.group.data.as_ref().filter(|d| d.group == name) else {
        let p = placeholder(&state.group, state, theme, &format!("group {name}"))
            .unwrap_or_else(|| Paragraph::new(Line::styled("loading…", theme.muted())));
        frame.render_widget(p.block(block), area);
        return;
    };
    let [info, body] = Layout::vertical([
        Constraint::Length(GROUP_INFO_ROWS as u16),
        Constraint::Min(3),
    ])
    .areas(area);
    let sev = fmt::lag_severity(d.total_lag, &state.options);
    let m = state.metrics_view.group(name);
    let eta = match (
        d.total_lag,
        m.and_then(|m| m.eta_seconds),
        m.and_then(|m| m.lag_growth),
    ) {
        _ if !d.gaps.is_complete() || m.is_some_and(|m| m.incomplete.is_some()) => {
            "catch-up: unknown (incomplete)".to_string()
        }
        (Some(0), _, _) => "caught up".to_string(),
        (_, Some(secs), _) => format!(
            "catches up in ~{}",
            fmt::duration(std::time::Duration::from_secs_f64(secs.max(0.0)))
        ),
        (_, None, Some(_)) => "not catching up".to_string(),
        _ => "catch-up: measuring…".to_string(),
    };
    let pace = m.map_or(String::new(), |m| {
        format!(
            "  consumes {}/s · lag {}{}/s · time lag {}",
            fmt::rate(m.consume_rate),
            if m.lag_growth.is_some_and(|g| g > 0.0) {
                "+"
            } else {
                ""
            },
            fmt::rate(m.lag_growth),
            m.lag_seconds.map_or("-".to_string(), |s| fmt::duration(
                std::time::Duration::from_secs_f64(s.max(0.0))
            ))
        )
    });
    let by_partition: std::collections::HashMap<
        (String, i32),
        crate::metrics::GroupPartitionMetrics,
    > = state
        .metrics
        .group_partitions(name, state.now_ms())
        .into_iter()
        .map(|p| ((p.topic.clone(), p.partition), p))
        .collect();
    let coordinator = d.coordinator.as_ref().map_or("-".to_string(), |c| {
        format!("{} ({})", c.id, safe(&c.address()))
    });
    let members: Vec<String> = d
        .members
        .iter()
        .map(|m| {
            let parts: usize = m.assignment.iter().map(|a| a.partitions.len()).sum();
            format!(
                "{}@{} ({parts} partitions)",
                safe(&m.client_id),
                safe(&m.host)
            )
        })
        .collect();
    let mut lines = vec![
        Line::from(vec![
            Span::styled("state ", theme.muted()),
            Span::raw(format!("{}  ", d.state)),
            Span::styled("protocol ", theme.muted()),
            Span::raw(format!(
                "{}  ",
                if d.protocol.is_empty() {
                    "-"
                } else {
                    &d.protocol
                }
            )),
            Span::styled("coordinator ", theme.muted()),
            Span::raw(coordinator),
            Span::styled("  status ", theme.muted()),
            status_span(m.and_then(|m| m.status), theme),
        ]),
        Line::from(vec![
            Span::styled("lag ", theme.muted()),
            Span::styled(
                fmt::at_least(d.total_lag, d.gaps.is_complete()),
                theme.severity(sev),
            ),
            Span::raw("  "),
            Span::styled(eta, Style::new().fg(theme.accent)),
            Span::styled(pace, theme.muted()),
        ]),
        Line::from(vec![
            Span::styled(format!("members {} ", d.members.len()), theme.muted()),
            Span::raw(fmt::cut(&members.join(", "), 400)),
        ]),
    ];
    if let Some(e) = &d.describe_error {
        lines.push(Line::styled(
            format!("members unavailable: {}", safe(e)),
            theme.severity(Severity::Warn),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), info);
    virtual_table(
        frame,
        body,
        block,
        theme,
        GROUP_PARTITION_COLUMNS,
        &[
            Constraint::Fill(1),
            Constraint::Length(9),
            Constraint::Length(11),
            Constraint::Length(11),
            Constraint::Length(10),
            Constraint::Length(9),
            Constraint::Length(6),
            Constraint::Fill(1),
            Constraint::Fill(1),
        ],
        table,
        |i| {
            let p = &d.partitions[i];
            let committed = match p.committed {
                Some(c) => Cell::from(num(c)),
                None => Cell::from("none").style(theme.muted()),
            };
            let metrics = by_partition.get(&(p.topic.clone(), p.partition));
            let time_lag = metrics
                .and_then(|m| m.lag_seconds)
                .map_or("-".to_string(), |s| {
                    let text = fmt::duration(std::time::Duration::from_secs_f64(s.max(0.0)));
                    // Estimated from before the sampled history.
                    if metrics.is_some_and(|m| m.lag_seconds_extrapolated) {
                        format!(">{text}")
                    } else {
                        text
                    }
                });
            Row::new(vec![
                Cell::from(safe(&p.topic)),
                Cell::from(p.partition.to_string()),
                committed,
                Cell::from(opt_num(p.log_end)),
                Cell::from(opt_num(p.lag))
                    .style(theme.severity(fmt::lag_severity(p.lag, &state.options))),
                Cell::from(time_lag),
                status_cell(metrics.and_then(|m| m.status), theme),
                Cell::from(safe(p.client_id.as_deref().unwrap_or("-"))),
                Cell::from(safe(p.host.as_deref().unwrap_or("-"))),
            ])
        },
        "no committed offsets or assignments",
    );
}

/// Part of a screen the broker could not give (an API it lacks, an ACL), said as such.
fn unavailable(
    frame: &mut Frame,
    area: Rect,
    block: Block<'_>,
    theme: &Theme,
    what: &str,
    why: &str,
) {
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!("{what} unavailable: {}", safe(why)),
            theme.severity(Severity::Warn),
        ))
        .wrap(Wrap { trim: true })
        .block(block),
        area,
    );
}

/// Burrow-style status colours: STALL and STOP are trouble, WARN and REWIND need a look.
fn status_severity(s: Status) -> Severity {
    match s {
        Status::Ok => Severity::Ok,
        Status::Warn | Status::Rewind => Severity::Warn,
        Status::Stall | Status::Stop => Severity::Crit,
    }
}

fn status_span(s: Option<Status>, theme: &Theme) -> Span<'static> {
    match s {
        Some(s) => Span::styled(s.to_string(), theme.severity(status_severity(s))),
        None => Span::styled("-", theme.muted()),
    }
}

fn status_cell(s: Option<Status>, theme: &Theme) -> Cell<'static> {
    Cell::from(Line::from(status_span(s, theme)))
}
