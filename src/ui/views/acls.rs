//! The ACLs screen (`:acls`): every ACL of the cluster, read-only. A cluster without an
//! authorizer, or a principal not allowed to describe ACLs, shows the broker's refusal.

use ratatui::layout::Rect;
use ratatui::Frame;

use crate::app::columns::ACLS;
use crate::app::{State, Table};
use crate::ui::widgets::list_panel;
use crate::ui::Theme;

pub fn acls(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, table: &Table) {
    list_panel(frame, area, &state.acls, "acls", &ACLS, table, state, theme);
}
