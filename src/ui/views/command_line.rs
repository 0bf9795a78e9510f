//! The suggestions under the command line (`:`), with what tab would complete.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use ratatui::Frame;

use crate::app::{self, State};
use crate::ui::{safe, Theme};

pub fn command_popup(frame: &mut Frame, body: Rect, state: &State, theme: &Theme, input: &str) {
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
