//! What the screens share: a panel's block with its freshness, what stands in for data that is
//! not there, the data table drawn from a table's definition (app/columns.rs), and small pieces
//! (tab bars, status spans, popups).

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, BorderType, Borders, Cell, Paragraph, Row, Table as TableWidget, TableState, Wrap,
};
use ratatui::Frame;

use super::{safe, Theme};
use crate::app::columns::{self, Role, TableDef, Width};
use crate::app::fmt;
use crate::app::{Freshness, Panel, State, Table};
use crate::metrics::Status;
use crate::model::Severity;

/// A bordered block whose title carries the panel's freshness.
pub fn panel_block<'a, T>(
    title: String,
    panel: &Panel<T>,
    state: &State,
    theme: &Theme,
) -> Block<'a> {
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

/// A rounded block with a title, for screens that are not a panel's.
pub fn titled_block<'a>(title: Line<'a>, theme: &Theme, focused: bool) -> Block<'a> {
    let border = if focused {
        theme.border_focused
    } else {
        theme.border
    };
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(border))
        .title(title)
}

/// What to draw instead of data that is not there yet, or `None` when there is data.
pub fn placeholder<T>(
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
                    Line::raw(safe(&e.message)),
                ])
                .wrap(Wrap { trim: true }),
            )
        }
        _ => None,
    }
}

/// The panel's data, ready to draw in `block`; or draws what stands in for it (loading, the
/// error and when it retries) and gives `None`.
pub fn ready<'p, 'b, T>(
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

/// The data of a panel about one named thing (`kind` `name`: a topic, a group) and the panel's
/// block, if the data is that thing's; otherwise draws what stands in for it and gives `None`.
#[allow(clippy::too_many_arguments)]
pub fn ready_named<'p, T>(
    frame: &mut Frame,
    area: Rect,
    panel: &'p Panel<T>,
    kind: &str,
    name: &str,
    state: &State,
    theme: &Theme,
    is_it: impl Fn(&T) -> bool,
) -> Option<(&'p T, Block<'static>)> {
    let block = panel_block(format!("{kind} {name}"), panel, state, theme);
    let data = panel.data.as_ref().filter(|d| is_it(d));
    if data.is_none() {
        let what = format!("{kind} {}", safe(name));
        let p = placeholder(panel, state, theme, &what)
            .unwrap_or_else(|| Paragraph::new(Line::styled("loading…", theme.muted())));
        frame.render_widget(p.block(block), area);
        return None;
    }
    data.map(|d| (d, block))
}

/// A screen that is one panel's list (topics, groups): its block titled with the count, what
/// stands in for the list while there is none, else the list's table.
#[allow(clippy::too_many_arguments)]
pub fn list_panel<T>(
    frame: &mut Frame,
    area: Rect,
    panel: &Panel<Vec<T>>,
    what: &str,
    def: &TableDef<T, ()>,
    table: &Table,
    state: &State,
    theme: &Theme,
) {
    let count = panel.data.as_ref().map_or(0, Vec::len);
    let block = panel_block(format!("{what} ({count})"), panel, state, theme);
    if let Some((items, block)) = ready(frame, area, panel, block, state, theme, what) {
        data_table(frame, area, block, theme, def, items, table, state, &());
    }
}

/// Part of a screen the broker could not give (an API it lacks, an ACL), said as such.
pub fn unavailable(
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

/// The style of a cell's role.
pub fn role_style(role: Role, theme: &Theme) -> Style {
    match role {
        Role::Plain => Style::new(),
        Role::Muted => theme.muted(),
        Role::Accent => Style::new().fg(theme.accent),
        Role::Sparkline => Style::new().fg(theme.sparkline),
        Role::Severity(s) => theme.severity(s),
    }
}

fn cell(c: columns::Cell, theme: &Theme) -> Cell<'static> {
    let style = role_style(c.role, theme);
    let text = safe(&c.text);
    if c.text_only {
        Cell::from(Line::from(Span::styled(text, style)))
    } else if c.role == Role::Plain {
        Cell::from(text)
    } else {
        Cell::from(text).style(style)
    }
}

fn constraint(w: Width) -> Constraint {
    match w {
        Width::Fixed(n) => Constraint::Length(n),
        Width::Fill(n) => Constraint::Fill(n),
    }
}

/// Cells between a data table's columns.
const SPACING: u16 = 2;

/// A table drawn from its definition: only the rows on screen are built, so the cost of a
/// frame does not grow with the row count. The header marks the sort column, the bottom border
/// names the filter, and an empty table says why.
#[allow(clippy::too_many_arguments)]
pub fn data_table<T, X>(
    frame: &mut Frame,
    area: Rect,
    block: Block<'_>,
    theme: &Theme,
    def: &TableDef<T, X>,
    items: &[T],
    table: &Table,
    state: &State,
    x: &X,
) {
    let inner_rows = area.height.saturating_sub(3) as usize;
    let end = (table.offset + inner_rows).min(table.order.len());
    // Too narrow for every column: the lowest-priority ones go before names are cut.
    let visible = def.visible(area.width.saturating_sub(2), SPACING);
    let rows: Vec<Row> = (table.offset..end)
        .filter_map(|pos| items.get(table.order[pos]))
        .map(|item| {
            let row = Row::new(
                visible
                    .iter()
                    .filter_map(|i| def.columns.get(*i))
                    .map(|c| cell((c.cell)(item, state, x), theme))
                    .collect::<Vec<_>>(),
            );
            match def.row {
                Some(role) => row.style(role_style(role(item), theme)),
                None => row,
            }
        })
        .collect();
    // Only the rows on screen are built, so the selection is relative to the first of them;
    // the highlight is applied over the cells' own colours, keeping it readable.
    let mut selection = TableState::new()
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
            def.empty
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
        def.columns
            .iter()
            .enumerate()
            .filter(|(i, _)| visible.contains(i))
            .map(|(i, c)| {
                let mark = match (i == table.sort, table.descending) {
                    (false, _) => "",
                    (true, true) => "↓",
                    (true, false) => "↑",
                };
                format!("{}{mark}", c.title)
            })
            .collect::<Vec<_>>(),
    )
    .style(theme.header());
    let widths: Vec<Constraint> = visible
        .iter()
        .filter_map(|i| def.columns.get(*i))
        .map(|c| constraint(c.width))
        .collect();
    // In the order they went: the lowest priority first.
    let hidden: Vec<&str> = def
        .hide_first
        .iter()
        .copied()
        .filter(|t| {
            def.columns
                .iter()
                .position(|c| c.title == *t)
                .is_some_and(|i| !visible.contains(&i))
        })
        .collect();
    let block = if hidden.is_empty() {
        block
    } else {
        block.title_bottom(
            Line::styled(format!(" hidden: {} ", hidden.join(" ")), theme.muted()).right_aligned(),
        )
    };
    frame.render_stateful_widget(
        TableWidget::new(rows, widths)
            .header(header)
            .block(block)
            .column_spacing(SPACING)
            .row_highlight_style(theme.selection()),
        area,
        &mut selection,
    );
}

/// A status (OK, WARN, STALL, ...) in its severity's colour; `measuring (2 of 13)` while too
/// few samples are in; `-` when it cannot be told.
pub fn status_span(
    s: Option<Status>,
    measuring: Option<crate::metrics::status::Measuring>,
    theme: &Theme,
) -> Span<'static> {
    match (s, measuring) {
        (Some(s), _) => Span::styled(s.to_string(), theme.severity(s.severity())),
        (None, Some(m)) => Span::styled(m.to_string(), theme.muted()),
        (None, None) => Span::styled("-", theme.muted()),
    }
}

/// One tab of a tab bar: the current one highlighted.
pub fn tab<T: PartialEq>(
    this: T,
    current: T,
    label: String,
    theme: &Theme,
    bold: bool,
) -> Span<'static> {
    if this == current {
        let style = if bold {
            theme.selection().add_modifier(Modifier::BOLD)
        } else {
            theme.selection()
        };
        Span::styled(format!(" {label} "), style)
    } else {
        Span::styled(format!(" {label} "), theme.muted())
    }
}

/// A centred area of at most `width` × `height` cells.
pub fn popup_area(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
