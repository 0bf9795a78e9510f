//! Drawing the console: pure functions of `&State` and `&Theme` into a ratatui frame. Every
//! string that came from a broker or a record is escaped before it reaches a cell.
//!
//! This file draws the frame around every screen (the header bar, the status line, the key
//! hints) and picks the screen; `views/` has one file per screen, `widgets.rs` what they share.

pub mod theme;
mod views;
pub mod widgets;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use crate::app::fmt;
use crate::app::{Level, Mode, State, View};
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
        View::Overview(t) => views::overview(frame, body, state, theme, t),
        View::Brokers(t) => views::brokers(frame, body, state, theme, t),
        View::Topics(t) => views::topics(frame, body, state, theme, t),
        View::Topic { name, tab, table } => {
            views::topic(frame, body, state, theme, name, *tab, table)
        }
        View::Tail => views::tail(frame, body, state, theme),
        View::Groups(t) => views::groups(frame, body, state, theme, t),
        View::Group { name, table } => views::group(frame, body, state, theme, name, table),
        View::Reset { group } => views::reset(frame, body, state, theme, group),
        View::Subjects(t) => views::subjects(frame, body, state, theme, t),
        View::SubjectVersions { subject, table } => {
            views::subject_versions(frame, body, state, theme, subject, table)
        }
        View::Acls(t) => views::acls(frame, body, state, theme, t),
        View::BrokerConfigs { id, table } => {
            views::broker_configs(frame, body, state, theme, *id, table)
        }
        View::DeleteGroup { .. } => views::delete_group(frame, body, state, theme),
        View::Change { .. } => views::change(frame, body, state, theme),
    }
    status_line(frame, status, state, theme);
    key_hints(frame, hints, state, theme);
    match &state.mode {
        Mode::Command { input } => views::command_popup(frame, body, state, theme, input),
        Mode::Help { scroll } => views::help_popup(frame, body, state, theme, *scroll),
        _ => {}
    }
}

fn header_bar(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let connection = match (&state.cluster.error, state.cluster.data.is_some()) {
        (Some(_), _) => Span::styled(" ● disconnected ", theme.severity(Severity::Crit)),
        (None, true) => Span::styled(" ● connected ", theme.bar()),
        (None, false) => Span::styled(" ○ connecting ", theme.bar()),
    };
    // The trail of screens comes first when room is short: the bootstrap servers give way
    // (down to 12 cells), then the oldest screens of the trail.
    let crumbs: Vec<String> = state.stack.iter().map(|v| safe(&v.title())).collect();
    let fixed = 8 + state.context.chars().count() + 2 + connection.width() + 2;
    let fixed = fixed + if state.read_only { 11 } else { 0 } + if state.frozen { 8 } else { 0 };
    let width = area.width as usize;
    let mut trail = crumbs.join(" › ");
    let mut first = 0;
    while first + 1 < crumbs.len() && fixed + 12 + 2 + trail.chars().count() > width {
        first += 1;
        trail = format!("… › {}", crumbs[first..].join(" › "));
    }
    let room = width.saturating_sub(fixed + trail.chars().count() + 2 + 2);
    let mut spans = vec![
        Span::styled(" kscope ", theme.bar().add_modifier(Modifier::BOLD)),
        Span::styled(format!(" {} ", safe(&state.context)), theme.bar()),
        Span::styled(
            format!(
                " {} ",
                safe(&fmt::cut(&state.bootstrap, room.clamp(12, 40)))
            ),
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
    spans.push(Span::styled(format!(" {trail} "), theme.bar()));
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
        Mode::Silence {
            rule,
            resource,
            input,
        } => {
            let mut spans = vec![
                Span::styled(
                    format!("silence {} on {} for ", safe(rule), safe(resource)),
                    theme.title(),
                ),
                Span::raw(safe(input)),
                Span::styled("█", Style::new().fg(theme.accent)),
            ];
            // What was wrong with the last answer, else what the prompt takes.
            match state.flash.as_ref().filter(|f| f.level >= Level::Warn) {
                Some(f) => spans.push(Span::styled(
                    format!("   {}", safe(&f.text)),
                    theme.severity(Severity::Warn),
                )),
                None => spans.push(Span::styled(
                    "   enter: 1h, or 30m, 2h, 1d · 0 lifts · esc",
                    theme.muted(),
                )),
            }
            Line::from(spans)
        }
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
    let panels = state.panels();
    let failing = panels
        .iter()
        .find_map(|(name, p)| p.error().map(|e| format!("{name}: {}", safe(&e.message))));
    if let Some(first) = failing {
        return Line::styled(fmt::cut(&first, 200), theme.severity(Severity::Warn));
    }
    // What the screen shows first, then the rest.
    let lacking = state
        .panel_on_screen()
        .incomplete()
        .or_else(|| panels.iter().find_map(|(_, p)| p.incomplete()));
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

/// The footer: the screen's key hints in their order (most wanted first). Hints that do not
/// fit the width go whole, the last first; a hint is never cut.
fn key_hints(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let hints: Vec<(String, &str)> = state
        .view()
        .hints()
        .into_iter()
        .filter(|c| !(state.read_only && c.mutates()))
        .map(|c| (state.keymap.label(c), c.spec().hint))
        .collect();
    let mut spans = Vec::new();
    for (label, hint) in fitting_hints(&hints, usize::from(area.width)) {
        spans.push(Span::styled(
            format!("<{label}>"),
            Style::new().fg(theme.key).add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(format!(" {hint} "), theme.muted()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The first hints that fit in `width` cells, each drawn `<KEY> WORD ` (the last one's
/// trailing space may fall off the edge).
fn fitting_hints<'h>(hints: &'h [(String, &'h str)], width: usize) -> &'h [(String, &'h str)] {
    use unicode_width::UnicodeWidthStr;
    let mut used = 0;
    for (i, (label, hint)) in hints.iter().enumerate() {
        // `<` label `>` space hint, then the space before the next one.
        let w = label.width() + 2 + 1 + hint.width();
        if used + w > width {
            return &hints[..i];
        }
        used += w + 1;
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_that_do_not_fit_go_whole_from_the_end() {
        let hints: Vec<(String, &str)> = vec![
            (":".into(), "cmd"),
            ("/".into(), "filter"),
            ("q".into(), "quit"),
        ];
        // "<:> cmd </> filter <q> quit" is 27 cells.
        assert_eq!(fitting_hints(&hints, 27).len(), 3);
        assert_eq!(fitting_hints(&hints, 26).len(), 2);
        // "<:> cmd </> filter" is 18.
        assert_eq!(fitting_hints(&hints, 18).len(), 2);
        assert_eq!(fitting_hints(&hints, 17).len(), 1);
        assert_eq!(fitting_hints(&hints, 6).len(), 0);
    }
}
