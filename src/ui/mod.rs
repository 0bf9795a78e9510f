//! Drawing the console: pure functions of `&State` and `&Theme` into a ratatui frame. Every
//! string that came from a broker or a record is escaped before it reaches a cell.

pub mod fmt;
pub mod theme;
mod views;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, BorderType, Borders, Clear, Paragraph, Row, Table as TableWidget, Wrap,
};
use ratatui::Frame;

use crate::app::commands::{self, Layer, COMMANDS};
use crate::app::{self, Freshness, Level, Mode, Panel, State, Table, View};
pub use crate::model::Severity;
use crate::record::sanitize::escape_text;
pub use theme::Theme;

/// Text from outside (topic names, client ids, record contents) made safe for a cell.
pub fn safe(s: &str) -> String {
    escape_text(s).into_owned()
}

pub fn render(frame: &mut Frame, state: &State, theme: &Theme) {
    let area = frame.area();
    frame.render_widget(Block::new().style(theme.base()), area);
    let [bar, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header_bar(frame, bar, state, theme);
    match state.view() {
        View::Overview => views::overview(frame, body, state, theme),
        View::Brokers(t) => views::brokers(frame, body, state, theme, t),
        View::Topics(t) => views::topics(frame, body, state, theme, t),
        View::Topic { name, tab, table } => {
            views::topic(frame, body, state, theme, name, *tab, table)
        }
        View::Tail => views::tail(frame, body, state, theme),
        View::Groups(t) => views::groups(frame, body, state, theme, t),
        View::Group { name, table } => views::group(frame, body, state, theme, name, table),
        View::Reset { group } => views::reset(frame, body, state, theme, group),
    }
    status_line(frame, status, state, theme);
    key_hints(frame, hints, state, theme);
    match &state.mode {
        Mode::Command { input } => command_popup(frame, body, state, theme, input),
        Mode::Help { scroll } => help_popup(frame, body, state, theme, *scroll),
        _ => {}
    }
}

fn header_bar(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let connection = match (&state.cluster.error, state.cluster.data.is_some()) {
        (Some(_), _) => Span::styled(" ● disconnected ", theme.severity(Severity::Crit)),
        (None, true) => Span::styled(" ● connected ", theme.bar()),
        (None, false) => Span::styled(" ○ connecting ", theme.bar()),
    };
    let mut spans = vec![
        Span::styled(" kscope ", theme.bar().add_modifier(Modifier::BOLD)),
        Span::styled(format!(" {} ", safe(&state.context)), theme.bar()),
        Span::styled(
            format!(" {} ", safe(&fmt::cut(&state.bootstrap, 40))),
            theme.bar(),
        ),
        connection,
    ];
    if state.read_only {
        spans.push(Span::styled(
            " READ-ONLY ",
            theme.bar().add_modifier(Modifier::BOLD),
        ));
    }
    if state.frozen {
        spans.push(Span::styled(
            " FROZEN ",
            theme
                .bar()
                .add_modifier(Modifier::BOLD | Modifier::SLOW_BLINK),
        ));
    }
    let crumbs: Vec<String> = state.stack.iter().map(|v| safe(&v.title())).collect();
    spans.push(Span::styled(
        format!(" {} ", crumbs.join(" › ")),
        theme.bar(),
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.bar()), area);
}

fn status_line(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let line = match &state.mode {
        Mode::Command { input } => Line::from(vec![
            Span::styled(":", theme.title()),
            Span::raw(safe(input)),
            Span::styled("█", Style::new().fg(theme.accent)),
        ]),
        Mode::Filter { input } => Line::from(vec![
            Span::styled("/", theme.title()),
            Span::raw(safe(input)),
            Span::styled("█", Style::new().fg(theme.accent)),
            Span::styled("   enter keep · esc clear · !text inverts", theme.muted()),
        ]),
        _ => match &state.flash {
            Some(f) => {
                let style = match f.level {
                    Level::Info => Style::new().fg(theme.status_fg),
                    Level::Warn => theme.severity(Severity::Warn),
                    Level::Error => theme.severity(Severity::Crit),
                };
                Line::styled(safe(&f.text), style)
            }
            None => panel_status(state, theme),
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The status of what is on screen: errors of failing panels, or when data last arrived.
fn panel_status(state: &State, theme: &Theme) -> Line<'static> {
    let failing: Vec<String> = [
        ("cluster", &state.cluster.error),
        ("topics", &state.topics.error),
        ("topic", &state.topic.error),
        ("groups", &state.groups.error),
        ("group", &state.group.error),
    ]
    .iter()
    .filter_map(|(name, e)| e.as_ref().map(|e| format!("{name}: {}", safe(e))))
    .collect();
    if let Some(first) = failing.first() {
        return Line::styled(fmt::cut(first, 200), theme.severity(Severity::Warn));
    }
    // What the screen shows first, then the rest.
    let here = match state.view() {
        View::Topic { .. } => state.topic.incomplete.as_ref(),
        View::Topics(_) => state.topics.incomplete.as_ref(),
        View::Group { .. } => state.group.incomplete.as_ref(),
        View::Groups(_) => state.groups.incomplete.as_ref(),
        _ => state.cluster.incomplete.as_ref(),
    };
    let lacking = here.or_else(|| {
        [
            state.cluster.incomplete.as_ref(),
            state.topics.incomplete.as_ref(),
            state.topic.incomplete.as_ref(),
            state.groups.incomplete.as_ref(),
            state.group.incomplete.as_ref(),
        ]
        .into_iter()
        .flatten()
        .next()
    });
    if let Some(i) = lacking {
        return Line::styled(
            fmt::cut(&format!("incomplete: {}", safe(&i.detail)), 200),
            theme.severity(Severity::Warn),
        );
    }
    let mut text = format!("refresh every {}", fmt::duration(state.options.refresh));
    if let Some(at) = state.topics.updated {
        text.push_str(&format!(
            " · updated {} ago",
            fmt::age(state.now.saturating_duration_since(at))
        ));
    }
    Line::styled(text, Style::new().fg(theme.status_fg))
}

fn key_hints(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut spans = Vec::new();
    for c in state.view().hints() {
        if state.read_only && c.mutates() {
            continue;
        }
        spans.push(Span::styled(
            format!("<{}>", state.keymap.label(c)),
            Style::new().fg(theme.key).add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(format!(" {} ", c.spec().hint), theme.muted()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn popup_area(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn command_popup(frame: &mut Frame, body: Rect, state: &State, theme: &Theme, input: &str) {
    let items = app::suggestions(state, input);
    if items.is_empty() {
        return;
    }
    let h = (items.len() as u16 + 2).min(body.height);
    let area = Rect {
        x: body.x,
        y: body.y + body.height.saturating_sub(h),
        width: body.width.min(70),
        height: h,
    };
    frame.render_widget(Clear, area);
    let lines: Vec<Line> = items.iter().map(|s| Line::raw(safe(s))).collect();
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(Style::new().fg(theme.border_focused))
                .title(Span::styled(" commands · tab completes ", theme.title())),
        ),
        area,
    );
}

fn help_popup(frame: &mut Frame, body: Rect, state: &State, theme: &Theme, scroll: usize) {
    let key_line = |keys: String, width: usize, help: &str| {
        // Keys longer than their column still keep a space before the text.
        let keys = if keys.chars().count() >= width {
            format!("{keys} ")
        } else {
            keys
        };
        Line::from(vec![
            Span::styled(format!("  {keys:<width$}"), Style::new().fg(theme.key)),
            Span::raw(help.to_string()),
        ])
    };
    let mut lines = vec![Line::styled("Keys", theme.header())];
    for spec in COMMANDS {
        if state.read_only && spec.mutates {
            continue;
        }
        let keys: Vec<String> = state
            .keymap
            .keys_for(spec.command)
            .into_iter()
            .map(app::keymap::key_label)
            .collect();
        if keys.is_empty() {
            continue;
        }
        lines.push(key_line(keys.join(" "), 18, spec.help));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Commands (after :)", theme.header()));
    for (_, line) in commands::lines() {
        lines.push(key_line(line.words.join(" "), 24, line.help));
    }
    for layer in Layer::ALL {
        lines.push(Line::raw(""));
        lines.push(Line::styled(layer.title(), theme.header()));
        for (keys, row) in state.keymap.layer_help(*layer) {
            lines.push(key_line(keys, 18, row.help));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Filters: text matches names (records: key or value); !text inverts;",
        theme.muted(),
    ));
    lines.push(Line::styled(
        "in a tail, key=..., value~REGEX and header.NAME=... work as in kscope tail.",
        theme.muted(),
    ));
    let area = popup_area(body, 84, body.height.saturating_sub(2).max(10));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((scroll.min(u16::MAX as usize) as u16, 0))
            .wrap(Wrap { trim: false })
            .block(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .border_style(Style::new().fg(theme.border_focused))
                    .title(Span::styled(
                        " help · esc closes · j/k scroll ",
                        theme.title(),
                    )),
            ),
        area,
    );
}

/// A bordered block whose title carries the panel's freshness.
fn panel_block<'a, T>(title: String, panel: &Panel<T>, state: &State, theme: &Theme) -> Block<'a> {
    let mut spans = vec![Span::styled(format!(" {} ", safe(&title)), theme.title())];
    match panel.freshness(state.now, state.options.refresh) {
        Freshness::Stale(age) => spans.push(Span::styled(
            format!(" stale {} ", fmt::age(age)),
            Style::new().fg(theme.stale).add_modifier(Modifier::BOLD),
        )),
        Freshness::Loading => spans.push(Span::styled(" loading… ", theme.muted())),
        _ => {}
    }
    if let (Some(i), Some(_)) = (&panel.incomplete, &panel.data) {
        spans.push(Span::styled(
            format!(" {} ", safe(&i.short)),
            Style::new().fg(theme.stale).add_modifier(Modifier::BOLD),
        ));
    }
    if panel.in_flight.is_some() && panel.data.is_some() {
        spans.push(Span::styled("⟳ ", theme.muted()));
    }
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.border))
        .title(Line::from(spans))
}

/// What to draw instead of data that is not there yet, or `None` when there is data.
fn placeholder<T>(
    panel: &Panel<T>,
    state: &State,
    theme: &Theme,
    what: &str,
) -> Option<Paragraph<'static>> {
    match panel.freshness(state.now, state.options.refresh) {
        Freshness::Loading => Some(Paragraph::new(Line::styled(
            format!("loading {what}…"),
            theme.muted(),
        ))),
        Freshness::Failed(e) => {
            let retry = panel
                .due
                .map(|d| {
                    format!(
                        " (retrying in {})",
                        fmt::age(d.saturating_duration_since(state.now))
                    )
                })
                .unwrap_or_default();
            Some(
                Paragraph::new(vec![
                    Line::styled(
                        format!("cannot load {what}{retry}"),
                        theme.severity(Severity::Crit),
                    ),
                    Line::raw(safe(&e)),
                ])
                .wrap(Wrap { trim: true }),
            )
        }
        _ => None,
    }
}

/// The panel's data, ready to draw in `block`; or draws what stands in for it (loading, the
/// error and when it retries) and gives `None`.
fn ready<'p, 'b, T>(
    frame: &mut Frame,
    area: Rect,
    panel: &'p Panel<T>,
    block: Block<'b>,
    state: &State,
    theme: &Theme,
    what: &str,
) -> Option<(&'p T, Block<'b>)> {
    if let Some(p) = placeholder(panel, state, theme, what) {
        frame.render_widget(p.block(block), area);
        return None;
    }
    panel.data.as_ref().map(|d| (d, block))
}

/// Draws only the rows on screen: the cost of a frame does not grow with the row count.
#[allow(clippy::too_many_arguments)]
fn virtual_table<'a>(
    frame: &mut Frame,
    area: Rect,
    block: Block<'a>,
    theme: &Theme,
    headers: &[&str],
    widths: &[Constraint],
    table: &Table,
    row: impl Fn(usize) -> Row<'a>,
    empty: &str,
) {
    let inner_rows = area.height.saturating_sub(3) as usize;
    let end = (table.offset + inner_rows).min(table.order.len());
    let rows: Vec<Row> = (table.offset..end)
        .map(|pos| row(table.order[pos]))
        .collect();
    // Only the rows on screen are built, so the selection is relative to the first of them;
    // the highlight is applied over the cells' own colours, keeping it readable.
    let mut selection = ratatui::widgets::TableState::new()
        .with_selected((table.selected >= table.offset).then(|| table.selected - table.offset));
    let block = if table.filter.is_empty() {
        block
    } else {
        block.title_bottom(Line::styled(
            format!(
                " filter: {}{} ({} rows) ",
                if table.invert { "!" } else { "" },
                safe(&table.filter),
                table.order.len()
            ),
            Style::new().fg(theme.accent),
        ))
    };
    if rows.is_empty() {
        let empty = if table.filter.is_empty() {
            empty
        } else {
            "nothing matches the filter"
        };
        frame.render_widget(
            Paragraph::new(Line::styled(empty.to_string(), theme.muted())).block(block),
            area,
        );
        return;
    }
    let header = Row::new(
        headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let mark = if i == table.sort {
                    if table.descending {
                        "↓"
                    } else {
                        "↑"
                    }
                } else {
                    ""
                };
                format!("{h}{mark}")
            })
            .collect::<Vec<_>>(),
    )
    .style(theme.header());
    frame.render_stateful_widget(
        TableWidget::new(rows, widths.to_vec())
            .header(header)
            .block(block)
            .column_spacing(2)
            .row_highlight_style(theme.selection()),
        area,
        &mut selection,
    );
}
