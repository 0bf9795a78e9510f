//! The help screen, generated from the command table and the layers' keys (app/commands.rs):
//! every key that works, every `:` command, and the keys of each mode.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::commands::{self, Layer, COMMANDS};
use crate::app::{keymap, State};
use crate::ui::widgets::popup_area;
use crate::ui::Theme;

pub fn help_popup(frame: &mut Frame, body: Rect, state: &State, theme: &Theme, scroll: usize) {
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
            .map(keymap::key_label)
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
