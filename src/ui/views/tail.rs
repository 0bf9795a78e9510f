//! The live tail: newest records in a bounded buffer, with a detail pane for one record.

use chrono::{TimeZone, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, BorderType, Borders, Cell, Paragraph, Row, Table as TableWidget, Wrap,
};
use ratatui::Frame;

use crate::app::fmt::{self, num};
use crate::app::tail::{DetailTab, OwnedRecord, TailState};
use crate::app::State;
use crate::record::sanitize::{escape_bytes, escape_text};
use crate::record::{pretty_json, FieldDecoding, StartPosition};
use crate::ui::{safe, Severity, Theme};

/// Most bytes the hex view shows.
const HEX_LIMIT: usize = 4096;

pub fn tail(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(t) = &state.tail else {
        frame.render_widget(Paragraph::new("no tail running: :tail TOPIC"), area);
        return;
    };
    let side = t.detail.is_some() || t.show_windows;
    let (list_area, detail_area) = match side {
        false => (area, None),
        true if area.width >= 110 => {
            let [l, d] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(area);
            (l, Some(d))
        }
        true => {
            let [l, d] = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(area);
            (l, Some(d))
        }
    };
    records(frame, list_area, state, theme, t);
    if let (Some(area), true) = (detail_area, t.show_windows) {
        windows(frame, area, state, theme, t);
    } else if let (Some(area), Some(tab)) = (detail_area, t.detail) {
        let visible = t.visible();
        let rec = visible.get(t.selected).and_then(|i| t.buffer.get(*i));
        detail(frame, area, theme, t, rec, tab);
    }
}

fn title(state: &State, theme: &Theme, t: &TailState) -> Line<'static> {
    let mode = if t.paused {
        Span::styled(
            " paused ",
            theme.severity(Severity::Warn).add_modifier(Modifier::BOLD),
        )
    } else if t.follow {
        Span::styled(" following ", Style::new().fg(theme.severity_ok))
    } else {
        Span::styled(" held ", theme.muted())
    };
    // The view holds still and the buffer is full: the reader waits (the broker keeps the
    // records) rather than push out what is on screen.
    let stopped = if t.reading_stopped() && !t.paused && !t.follow {
        Span::styled(
            " buffer full: reading stopped (F follows) ",
            Style::new().fg(theme.stale),
        )
    } else {
        Span::raw("")
    };
    let dropped = if t.buffer.dropped > 0 {
        Span::styled(
            format!(" dropped {} ", num(t.buffer.dropped as i64)),
            Style::new().fg(theme.stale),
        )
    } else {
        Span::raw("")
    };
    let undecoded = if t.problems.count > 0 {
        Span::styled(
            format!(" undecoded {} ", num(t.problems.count as i64)),
            theme.severity(Severity::Warn),
        )
    } else {
        Span::raw("")
    };
    Line::from(vec![
        Span::styled(format!(" tail {} ", safe(&t.topic)), theme.title()),
        Span::styled(format!(" from {} ", position(t.from)), theme.muted()),
        Span::raw(format!(" {}/s ", fmt::rate(Some(t.rate(state.now))))),
        Span::raw(format!(
            " {}/{} ",
            num(t.buffer.len() as i64),
            num(t.buffer.capacity() as i64)
        )),
        dropped,
        undecoded,
        mode,
        stopped,
    ])
}

/// Where the tail started, as `:from` takes it.
fn position(from: StartPosition) -> String {
    match from {
        StartPosition::Beginning => "beginning".into(),
        StartPosition::End => "end".into(),
        StartPosition::Offset(o) => o.to_string(),
        StartPosition::Last(n) => format!("-{n}"),
        StartPosition::Time(ms) => Utc.timestamp_millis_opt(ms).single().map_or_else(
            || format!("@{ms}"),
            |d| format!("@{}", d.format("%H:%M:%S")),
        ),
        StartPosition::Ago(d) => format!("@-{}", humantime::format_duration(d)),
    }
}

fn records(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, t: &TailState) {
    let mut block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.border))
        .title(title(state, theme, t));
    if !t.filter.is_empty() {
        block = block.title_bottom(Line::styled(
            format!(
                " filter: {}{} ",
                if t.filter.invert { "!" } else { "" },
                safe(&t.filter.text)
            ),
            Style::new().fg(theme.accent),
        ));
    }
    if let Some(e) = &t.error {
        frame.render_widget(
            Paragraph::new(vec![
                Line::styled("the tail stopped", theme.severity(Severity::Crit)),
                Line::raw(safe(&e.message)),
            ])
            .wrap(Wrap { trim: true })
            .block(block),
            area,
        );
        return;
    }
    let rows_on_screen = area.height.saturating_sub(3) as usize;
    // Without a filter the buffer is indexed directly, so a frame costs the same for 100 or
    // 100,000 records; a filter has to scan.
    let (indices, total): (Vec<usize>, usize) = if t.filter.is_empty() {
        let n = t.buffer.len();
        ((t.offset..(t.offset + rows_on_screen).min(n)).collect(), n)
    } else {
        let all = t.visible();
        let n = all.len();
        (
            all.into_iter()
                .skip(t.offset)
                .take(rows_on_screen)
                .collect(),
            n,
        )
    };
    if total == 0 {
        let mut lines = vec![Line::styled(
            if t.buffer.is_empty() {
                "waiting for records…"
            } else {
                "no records match the filter"
            },
            theme.muted(),
        )];
        for n in &t.notes {
            lines.push(Line::styled(safe(n), theme.severity(Severity::Warn)));
        }
        frame.render_widget(Paragraph::new(lines).block(block), area);
        return;
    }
    // P, OFFSET, TIME and KEY columns, their spacing and the borders take 52 cells.
    let value_width = area.width.saturating_sub(52).max(8) as usize;
    let rows: Vec<Row> = indices
        .iter()
        .filter_map(|idx| {
            let r = t.buffer.get(*idx)?;
            let row = Row::new(vec![
                Cell::from(r.partition.to_string()),
                Cell::from(r.offset.to_string()),
                Cell::from(time(r)),
                Cell::from(fmt::cut(&shown_key(r), 20)),
                Cell::from(fmt::cut(&shown_value(r), value_width)),
            ]);
            Some(row)
        })
        .collect();
    // Only the rows on screen are built: the selection is relative to the first of them.
    let mut selection = ratatui::widgets::TableState::new()
        .with_selected((t.selected >= t.offset).then(|| t.selected - t.offset));
    let header = Row::new(vec!["P", "OFFSET", "TIME (UTC)", "KEY", "VALUE"]).style(theme.header());
    frame.render_stateful_widget(
        TableWidget::new(
            rows,
            [
                Constraint::Length(3),
                Constraint::Length(10),
                Constraint::Length(12),
                Constraint::Length(20),
                Constraint::Fill(1),
            ],
        )
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.selection()),
        area,
        &mut selection,
    );
}

fn time(r: &OwnedRecord) -> String {
    r.timestamp
        .and_then(|(ms, _)| Utc.timestamp_millis_opt(ms).single())
        .map_or_else(|| "-".to_string(), |d| d.format("%H:%M:%S%.3f").to_string())
}

/// Bytes as one safe line: escapes for control characters and invalid UTF-8.
fn shown(b: Option<&[u8]>) -> String {
    match b {
        None => "∅".to_string(),
        Some(b) => escape_bytes(b).into_owned(),
    }
}

/// A key or value as one line: its decoded JSON when it was read through a schema.
fn shown_field(d: Option<&FieldDecoding>, raw: Option<&[u8]>) -> String {
    match d.and_then(FieldDecoding::json) {
        Some(json) => escape_text(json).into_owned(),
        None => shown(raw),
    }
}

fn shown_key(r: &OwnedRecord) -> String {
    shown_field(
        r.decoded.as_ref().and_then(|d| d.key.as_ref()),
        r.key.as_deref(),
    )
}

fn shown_value(r: &OwnedRecord) -> String {
    shown_field(
        r.decoded.as_ref().and_then(|d| d.value.as_ref()),
        r.value.as_deref(),
    )
}

/// What the schema tab says of one field.
fn schema_lines(theme: &Theme, part: &str, d: Option<&FieldDecoding>, lines: &mut Vec<Line>) {
    let label = Span::styled(format!("{part} "), Style::new().fg(theme.accent));
    match d {
        None => lines.push(Line::from(vec![
            label,
            Span::styled("no schema: shown as text", theme.muted()),
        ])),
        Some(FieldDecoding::Failed(why)) => {
            lines.push(Line::from(vec![
                label,
                Span::styled(
                    "cannot be decoded, shown raw",
                    theme.severity(Severity::Warn),
                ),
            ]));
            lines.push(Line::raw(format!("  {}", safe(why))));
        }
        Some(FieldDecoding::Json { schema: m, .. }) => {
            let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
            lines.push(Line::from(vec![label, Span::raw(m.kind.registry_name())]));
            let mut field = |name: &str, value: String| {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {name:<8} "), theme.muted()),
                    Span::raw(safe(&value)),
                ]))
            };
            field("subject", opt(m.subject.clone()));
            field("version", opt(m.version.map(|v| v.to_string())));
            field("id", opt(m.id.map(|v| v.to_string())));
            if let Some(msg) = &m.message {
                field("message", msg.clone());
            }
            if let Some(file) = &m.file {
                field("file", file.clone());
            }
        }
    }
}

fn detail(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    t: &TailState,
    rec: Option<&OwnedRecord>,
    tab: DetailTab,
) {
    let tab_span = |x: DetailTab, label: &str| {
        if x == tab {
            Span::styled(format!(" {label} "), theme.selection())
        } else {
            Span::styled(format!(" {label} "), theme.muted())
        }
    };
    let decoded = rec.and_then(|r| r.decoded.as_deref());
    let mut tabs = vec![tab_span(DetailTab::Value, "value")];
    if decoded.is_some() || tab == DetailTab::Schema {
        tabs.push(tab_span(DetailTab::Schema, "schema"));
    }
    tabs.push(tab_span(DetailTab::Headers, "headers"));
    tabs.push(tab_span(DetailTab::Hex, "hex"));
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.border_focused))
        .title(Line::from(tabs))
        .title_bottom(Line::styled(" tab switches · esc closes ", theme.muted()));
    let Some(r) = rec else {
        frame.render_widget(Paragraph::new("no record selected").block(block), area);
        return;
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled("partition ", theme.muted()),
            Span::raw(format!("{}  ", r.partition)),
            Span::styled("offset ", theme.muted()),
            Span::raw(r.offset.to_string()),
        ]),
        Line::from(vec![
            Span::styled("timestamp ", theme.muted()),
            Span::raw(
                r.timestamp
                    .and_then(|(ms, kind)| {
                        Utc.timestamp_millis_opt(ms).single().map(|d| {
                            format!(
                                "{} ({kind:?})",
                                d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                            )
                        })
                    })
                    .unwrap_or_else(|| "-".into()),
            ),
        ]),
        Line::from(vec![
            Span::styled("key ", theme.muted()),
            Span::raw(shown_key(r)),
        ]),
        Line::raw(""),
    ];
    let value_decoding = decoded.and_then(|d| d.value.as_ref());
    match tab {
        DetailTab::Value => match (r.value.as_deref(), value_decoding) {
            (None, _) => lines.push(Line::styled("null value (tombstone)", theme.muted())),
            (Some(_), Some(FieldDecoding::Json { text, schema })) => {
                lines.push(Line::styled(
                    format!(
                        "{} · {}",
                        schema.kind.registry_name(),
                        safe(
                            schema
                                .subject
                                .as_deref()
                                .or(schema.file.as_deref())
                                .unwrap_or("-")
                        )
                    ),
                    theme.muted(),
                ));
                lines.extend(
                    pretty_json(text)
                        .lines()
                        .map(|l| Line::raw(escape_text(l).into_owned())),
                );
            }
            (Some(v), Some(FieldDecoding::Failed(why))) => {
                lines.push(Line::styled(
                    format!("cannot be decoded: {}", safe(why)),
                    theme.severity(Severity::Warn),
                ));
                lines.push(Line::raw(escape_bytes(v).into_owned()));
            }
            (Some(v), None) => match serde_json::from_slice::<serde_json::Value>(v) {
                Ok(json) => {
                    let pretty = serde_json::to_string_pretty(&json).unwrap_or_default();
                    lines.extend(
                        pretty
                            .lines()
                            .map(|l| Line::raw(escape_text(l).into_owned())),
                    );
                }
                Err(_) => lines.push(Line::raw(escape_bytes(v).into_owned())),
            },
        },
        DetailTab::Schema => {
            schema_lines(
                theme,
                "key",
                decoded.and_then(|d| d.key.as_ref()),
                &mut lines,
            );
            schema_lines(theme, "value", value_decoding, &mut lines);
        }
        DetailTab::Headers => {
            if r.headers.is_empty() {
                lines.push(Line::styled("no headers", theme.muted()));
            }
            for (k, v) in &r.headers {
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{}: ", escape_bytes(k)),
                        Style::new().fg(theme.accent),
                    ),
                    Span::raw(shown(v.as_deref())),
                ]));
            }
        }
        DetailTab::Hex => {
            let v = r.value.as_deref().unwrap_or_default();
            // 16 bytes a line when the pane is wide enough, else 8.
            let per_line = if area.width >= 78 { 16 } else { 8 };
            lines.extend(
                hexdump(&v[..v.len().min(HEX_LIMIT)], per_line)
                    .into_iter()
                    .map(Line::raw),
            );
            if v.len() > HEX_LIMIT {
                lines.push(Line::styled(
                    format!("… {} more bytes", num((v.len() - HEX_LIMIT) as i64)),
                    theme.muted(),
                ));
            }
        }
    }
    let _ = t;
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

fn clock(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map_or_else(|| "-".to_string(), |d| d.format("%H:%M:%S").to_string())
}

/// Event-time windows over the records read: counts, late and too-late records (never
/// dropped silently), the busiest keys of each window, and per-key sessions.
fn windows(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, t: &TailState) {
    let cfg = &state.options.tail_windows;
    let stats = t.windows.stats();
    let secs = |ms: i64| fmt::duration(std::time::Duration::from_millis(ms.max(0) as u64));
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.border_focused))
        .title(Span::styled(
            format!(
                " event time · windows {} · lateness {} · watermark {} ",
                secs(cfg.size),
                secs(cfg.allowed_lateness),
                stats.watermark.map_or("-".to_string(), clock)
            ),
            theme.title(),
        ))
        .title_bottom(Line::styled(" w closes ", theme.muted()));
    let mut lines = vec![Line::from(vec![
        Span::raw(format!("records {} · ", num(stats.records as i64))),
        Span::styled(
            format!("late {} · ", num(stats.late as i64)),
            theme.severity(Severity::Warn),
        ),
        Span::styled(
            format!("too late {}", num(stats.too_late as i64)),
            theme.severity(Severity::Crit),
        ),
        Span::styled(
            format!(" · no timestamp {}", num(stats.without_timestamp as i64)),
            theme.muted(),
        ),
    ])];
    lines.push(Line::styled(
        "WINDOW (UTC)        RECORDS    LATE  TOO-LATE  TOP KEYS",
        theme.header(),
    ));
    let room = area.height.saturating_sub(8) as usize;
    for w in stats.windows.iter().rev().take(room.max(1)) {
        let keys: Vec<String> = w
            .top_keys
            .iter()
            .take(3)
            .map(|k| format!("{} {}", safe(&k.name), k.value))
            .collect();
        let style = if w.closed {
            Style::new()
        } else {
            Style::new().fg(theme.accent)
        };
        lines.push(Line::styled(
            format!(
                "{}–{}  {:>8}  {:>6}  {:>8}  {}",
                clock(w.start),
                clock(w.end),
                num(w.count as i64),
                num(w.late as i64),
                num(w.too_late as i64),
                keys.join(", ")
            ),
            style,
        ));
    }
    let s = &stats.sessions;
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(
            format!("sessions (gap {}) ", secs(cfg.session_gap)),
            theme.header(),
        ),
        Span::raw(format!(
            "{} open · {} closed · avg {} and {} records",
            s.open,
            s.closed,
            s.avg_seconds.map_or("-".to_string(), |v| fmt::duration(
                std::time::Duration::from_secs_f64(v.max(0.0))
            )),
            s.avg_records.map_or("-".to_string(), |v| format!("{v:.1}")),
        )),
    ]));
    if let Some(last) = s.recent.last() {
        lines.push(Line::styled(
            format!(
                "last closed: {} {}–{} ({} records)",
                safe(&last.key),
                clock(last.start),
                clock(last.end),
                last.records
            ),
            theme.muted(),
        ));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// `per_line` bytes a line: offset, hex, and the printable ASCII.
pub fn hexdump(bytes: &[u8], per_line: usize) -> Vec<String> {
    let hex_width = per_line * 3 - 1;
    bytes
        .chunks(per_line)
        .enumerate()
        .map(|(i, chunk)| {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let ascii: String = chunk
                .iter()
                .map(|b| {
                    if b.is_ascii_graphic() || *b == b' ' {
                        *b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            format!(
                "{:08x}  {:<hex_width$}  {}",
                i * per_line,
                hex.join(" "),
                ascii
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hexdump_shows_offsets_hex_and_ascii() {
        let lines = hexdump(b"hello\x1b[2J world, and more!", 16);
        assert_eq!(
            lines[0],
            "00000000  68 65 6c 6c 6f 1b 5b 32 4a 20 77 6f 72 6c 64 2c  hello.[2J world,"
        );
        assert!(lines[1].starts_with("00000010  20 61 6e 64"));
        let narrow = hexdump(b"hello\x1b[2J world", 8);
        assert_eq!(narrow[0], "00000000  68 65 6c 6c 6f 1b 5b 32  hello.[2");
    }
}
