//! An ACL change from the console (`c`, `x` on `:acls`): the ACLs planned (which exist
//! already; every ACL a delete filter matches), and after the execute each one's result, the
//! read-back and the undo command.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::model::{AclAction, AclPlan};
use crate::ui::{safe, Severity, Theme};

/// A plan, or (executed) its result.
pub fn lines<'a>(theme: &Theme, p: &AclPlan) -> Vec<Line<'a>> {
    let verb = match p.action {
        AclAction::Create => "create",
        AclAction::Delete => "delete",
    };
    let mut lines = Vec::new();
    let (all, failed, applied) = (p.todo().len(), p.failed(), p.applied());
    if p.executed {
        lines.push(match p.result() {
            "applied" => Line::styled(
                format!("{verb}d and read back: {applied} ACL(s) as asked"),
                theme.severity(Severity::Ok),
            ),
            "unverified" => Line::styled(
                format!(
                    "{verb}d {applied} ACL(s), but they could not be read back to verify: \
                     check with kscope acls"
                ),
                theme.severity(Severity::Crit),
            ),
            "partial" => Line::styled(
                format!(
                    "partly applied: {failed} of {all} ACL(s) failed (below, with why); the \
                     others were {verb}d"
                ),
                theme.severity(Severity::Crit),
            ),
            _ => Line::styled(
                format!("no ACL was {verb}d: the broker refused every one (below, with why)"),
                theme.severity(Severity::Crit),
            ),
        });
    } else {
        lines.push(Line::raw(match p.action {
            AclAction::Create => format!(
                "{all} ACL(s) to create; {} already",
                match p.acls.len() - all {
                    1 => "1 exists".to_string(),
                    n => format!("{n} exist"),
                }
            ),
            AclAction::Delete => format!(
                "the filter matches {} ACL(s) now: exactly these go (one exact filter each)",
                p.acls.len()
            ),
        }));
    }
    lines.push(Line::raw(""));
    if p.acls.is_empty() {
        return lines;
    }
    let width = |f: fn(&crate::model::Acl) -> &str, head: &str| {
        p.acls
            .iter()
            .map(|x| safe(f(&x.acl)).chars().count())
            .max()
            .unwrap_or(0)
            .max(head.len())
    };
    let w = [
        width(|a| &a.principal, "PRINCIPAL"),
        width(|a| &a.permission, "PERMISSION"),
        width(|a| &a.operation, "OPERATION"),
        width(|a| &a.resource_type, "RESOURCE-TYPE"),
        width(|a| &a.pattern_type, "PATTERN"),
        width(|a| &a.resource_name, "RESOURCE"),
        width(|a| &a.host, "HOST"),
    ];
    let row = |cells: [String; 7]| {
        cells
            .iter()
            .zip(w)
            .map(|(c, w)| format!("{c:<w$}  "))
            .collect::<String>()
    };
    lines.push(Line::styled(
        row([
            "PRINCIPAL".into(),
            "PERMISSION".into(),
            "OPERATION".into(),
            "RESOURCE-TYPE".into(),
            "PATTERN".into(),
            "RESOURCE".into(),
            "HOST".into(),
        ]) + "STATUS",
        theme.title(),
    ));
    for x in &p.acls {
        let a = &x.acl;
        let (status, style) = match (&x.error, x.exists, p.executed) {
            (Some(e), _, _) => (
                format!("failed: {}", safe(e)),
                theme.severity(Severity::Crit),
            ),
            (None, true, _) => ("exists".to_string(), theme.muted()),
            (None, false, true) => (format!("{verb}d"), theme.severity(Severity::Ok)),
            (None, false, false) => (format!("would be {verb}d"), Style::new()),
        };
        lines.push(Line::from(vec![
            Span::raw(row([
                safe(&a.principal),
                safe(&a.permission),
                safe(&a.operation),
                safe(&a.resource_type),
                safe(&a.pattern_type),
                safe(&a.resource_name),
                safe(&a.host),
            ])),
            Span::styled(status, style),
        ]));
    }
    match (&p.undo_file, &p.undo_command, p.action) {
        (Some(file), Some(cmd), _) => {
            lines.push(Line::raw(""));
            lines.push(Line::raw(format!("undo file: {}", safe(file))));
            lines.push(Line::raw(format!("undo: {}", safe(cmd))));
        }
        // A create's plan says so where Enter is offered.
        (_, _, AclAction::Create) => {}
        (_, _, AclAction::Delete) => {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "an undo file is written first (kscope acls create --from-file puts them back)",
                theme.muted(),
            ));
        }
    }
    lines
}
