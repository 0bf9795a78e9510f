//! The help popup: the lines app/help.rs generates from the command table and the layers' keys
//! (every key that works, every `:` command, the keys of each mode), already wrapped to the
//! popup, scrolled as far as the core says, with how many lines are above and below.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use ratatui::{layout::Rect, Frame};

use crate::app::help::{self, HelpStyle};
use crate::app::State;
use crate::ui::widgets::popup_area;
use crate::ui::Theme;

pub fn help_popup(frame: &mut Frame, body: Rect, state: &State, theme: &Theme, scroll: usize) {
    let all = help::lines(state);
    let page = help::page(state);
    // A resize may leave the scroll past the end: the last page then.
    let scroll = scroll.min(all.len().saturating_sub(page));
    let below = all.len().saturating_sub(scroll + page);
    let lines: Vec<Line> = all
        .into_iter()
        .skip(scroll)
        .take(page)
        .map(|l| match l.style {
            HelpStyle::Header => Line::styled(l.text, theme.header()),
            HelpStyle::Note => Line::styled(l.text, theme.muted()),
            HelpStyle::Blank => Line::raw(""),
            HelpStyle::Key => Line::from(vec![
                Span::styled(l.keys, Style::new().fg(theme.key)),
                Span::raw(l.text),
            ]),
        })
        .collect();
    let (width, height) = help::popup_size(state.size);
    let area = popup_area(body, width, height);
    let mut more = Vec::new();
    if scroll > 0 {
        more.push(format!("↑ {scroll} above"));
    }
    if below > 0 {
        more.push(format!("↓ {below} more"));
    }
    let mut block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.border_focused))
        .title(Span::styled(
            " help · esc closes · j/k scroll ",
            theme.title(),
        ));
    if !more.is_empty() {
        block = block.title_bottom(
            Line::styled(format!(" {} ", more.join(" · ")), theme.title()).right_aligned(),
        );
    }
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
