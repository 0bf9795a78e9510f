//! ACL changes, for `kscope acls create/delete` and the console's `:acls` screen alike: the
//! plan (which ACLs a create makes and which exist already; exactly which ACLs a delete
//! filter selects now), then the execute: refused read-only by the client layer before
//! anything is written, the undo file (the ACLs, for `acls delete --from-file` after a create
//! and `acls create --from-file` after a delete), the audit intent (`acls-create`,
//! `acls-delete`), exactly the plan applied (a delete sends one exact filter per planned ACL,
//! never the filter again), the ACLs read back, and the audit outcome. An ACL the broker
//! refused is named with its error; some applied and others not is `partial`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::ConnectionSettings;
use crate::error::{Error, Result};
use crate::kafka::KafkaClient;
use crate::model::{Acl, AclAction, AclFilter, AclPlan, AclPlanned};

/// An undo file: the ACLs a change created (to delete) or deleted (to create again).
#[derive(Debug, Serialize, Deserialize)]
struct UndoFile {
    kind: String,
    acls: Vec<Acl>,
}

const UNDO_KIND: &str = "kscope-acls";

/// The ACLs of an undo file an earlier execute wrote.
pub fn read_undo(path: &Path) -> Result<Vec<Acl>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("cannot read undo file {}: {e}", path.display())))?;
    let undo: UndoFile = serde_json::from_str(&text)
        .map_err(|e| Error::usage(format!("{} is not an ACL undo file: {e}", path.display())))?;
    if undo.kind != UNDO_KIND {
        return Err(Error::usage(format!(
            "{} is not an ACL undo file (kind '{}')",
            path.display(),
            undo.kind
        )));
    }
    Ok(undo.acls)
}

fn write_undo(kind: &str, acls: &[Acl]) -> Result<PathBuf> {
    let text = serde_json::to_string_pretty(&UndoFile {
        kind: UNDO_KIND.to_string(),
        acls: acls.to_vec(),
    })
    .map_err(|e| Error::Io(format!("cannot write JSON: {e}")))?;
    super::change::write_undo(kind, "acls", "json", &(text + "\n"))
}

/// An ACL with the names the broker answers with (lowercase, `-` not `_`).
pub fn normalize(mut a: Acl) -> Acl {
    for f in [
        &mut a.resource_type,
        &mut a.pattern_type,
        &mut a.operation,
        &mut a.permission,
    ] {
        *f = f.trim().to_ascii_lowercase().replace('_', "-");
    }
    a
}

/// Plans creating `wanted` (nothing is sent but reads): each ACL's names checked, then which
/// exist already (read with each one's exact filter).
pub async fn plan_create(client: &KafkaClient, wanted: Vec<Acl>) -> Result<AclPlan> {
    for acl in &wanted {
        crate::kafka::native::check_acl(acl)?;
        if !acl.principal.contains(':') {
            return Err(Error::usage(format!(
                "principal '{}' needs a type: User:{}",
                acl.principal, acl.principal
            )));
        }
    }
    let mut acls: Vec<AclPlanned> = Vec::new();
    for acl in wanted {
        let found = client.acls(acl.exact()).await?;
        let acl = normalize(acl);
        let exists = found.contains(&acl);
        if !acls.iter().any(|p| p.acl == acl) {
            acls.push(AclPlanned {
                acl,
                exists,
                error: None,
            });
        }
    }
    Ok(plan(AclAction::Create, acls))
}

/// What a delete removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclSelection {
    /// Every ACL the filter matches now.
    Filter(AclFilter),
    /// These ACLs, those of them that exist now (an undo file's).
    Exactly(Vec<Acl>),
}

/// Plans a delete: exactly the ACLs listed now that the selection names.
pub async fn plan_delete(client: &KafkaClient, selection: AclSelection) -> Result<AclPlan> {
    let selected: Vec<Acl> = match selection {
        AclSelection::Exactly(wanted) => {
            let now = client.acls(AclFilter::default()).await?;
            wanted
                .into_iter()
                .map(normalize)
                .filter(|w| now.contains(w))
                .collect()
        }
        AclSelection::Filter(filter) => client.acls(filter).await?,
    };
    Ok(plan(
        AclAction::Delete,
        selected
            .into_iter()
            .map(|acl| AclPlanned {
                acl,
                exists: false,
                error: None,
            })
            .collect(),
    ))
}

fn plan(action: AclAction, acls: Vec<AclPlanned>) -> AclPlan {
    AclPlan {
        action,
        executed: false,
        acls,
        undo_file: None,
        undo_command: None,
        verified: false,
    }
}

/// Applies a plan: the undo file and the audit intent first, exactly the planned ACLs, each
/// one's result, the ACLs read back, the audit outcome. `Err` when nothing was sent (read-only,
/// nothing to do, the undo file or the intent could not be written) or the request as a whole
/// failed; otherwise the plan as executed (see [`AclPlan::result`]).
pub async fn apply(
    client: &KafkaClient,
    settings: &ConnectionSettings,
    plan: &AclPlan,
) -> Result<AclPlan> {
    let (verb, undo_verb, kind) = match plan.action {
        AclAction::Create => ("create", "acls delete", "acls-create"),
        AclAction::Delete => ("delete", "acls create", "acls-delete"),
    };
    let writer = client.writer(&format!("{verb} ACLs"))?;
    let todo = plan.todo();
    if todo.is_empty() {
        return Err(Error::usage(match plan.action {
            AclAction::Create => "nothing to create: every ACL exists already",
            AclAction::Delete => "nothing to delete: no ACL matches",
        }));
    }
    let undo = write_undo(kind, &todo)?;
    let audit = super::change::Audit::new(settings, kind)?;
    let fields = |r: &AclPlan| serde_json::json!({"acls": r.acls, "undo_file": undo.to_str()});
    let mut done = plan.clone();
    audit.intent(&fields(&done))?;
    let errors: Vec<Option<String>> = match plan.action {
        AclAction::Create => writer.create_acls(todo.clone()).await,
        // Exactly the plan: one exact filter per ACL, not the user's filter again (it could
        // match ACLs created since).
        AclAction::Delete => writer
            .delete_acls(todo.iter().map(Acl::exact).collect())
            .await
            .map(|results| {
                todo.iter()
                    .zip(results)
                    .map(|(acl, r)| match r {
                        Err(e) => Some(e),
                        Ok(deleted) if !deleted.contains(acl) => {
                            Some("the broker deleted nothing for it".to_string())
                        }
                        Ok(_) => None,
                    })
                    .collect()
            }),
    }
    .inspect_err(|_| {
        let _ = audit.line("outcome", Some("failed"), &fields(&done));
    })?;
    for (acl, err) in todo.iter().zip(errors) {
        if let Some(p) = done.acls.iter_mut().find(|p| &p.acl == acl) {
            p.error = err;
        }
    }
    done.executed = true;
    // The authorizer learns of a change through the metadata log, a moment after the answer.
    done.verified = verify(client, &mut done, plan.action == AclAction::Create).await;
    audit
        .line("outcome", Some(done.result()), &fields(&done))
        .map_err(|e| Error::Io(format!("applied, but {e}")))?;
    let undo_file = undo.to_string_lossy().into_owned();
    done.undo_command = Some(format!(
        "kscope {undo_verb} --from-file {} --execute",
        super::shell_quote(&undo_file)
    ));
    done.undo_file = Some(undo_file);
    Ok(done)
}

/// Reads the ACLs back until each applied one is there (`present`) or gone, for a few seconds;
/// marks those that are not. `false` when they could not be read.
async fn verify(client: &KafkaClient, r: &mut AclPlan, present: bool) -> bool {
    let applied: Vec<Acl> = r
        .acls
        .iter()
        .filter(|p| !p.exists && p.error.is_none())
        .map(|p| p.acl.clone())
        .collect();
    let mut last = Err(Error::kafka("not read"));
    for _ in 0..20 {
        last = client.acls(AclFilter::default()).await;
        if let Ok(now) = &last {
            if applied.iter().all(|a| now.contains(a) == present) {
                break;
            }
        }
        if client.budget_left() < std::time::Duration::from_millis(500) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let Ok(now) = last else {
        return false;
    };
    for p in r.acls.iter_mut().filter(|p| !p.exists && p.error.is_none()) {
        if now.contains(&p.acl) != present {
            p.error = Some(if present {
                "not listed when read back".to_string()
            } else {
                "still listed when read back".to_string()
            });
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The console's and the CLI's apply alike: a read-only client refuses before the undo
    /// file, the audit or any request (nothing listens at this address).
    #[tokio::test(flavor = "multi_thread")]
    async fn a_read_only_client_refuses_an_acl_change_before_anything() {
        let mut settings = ConnectionSettings::plain("127.0.0.1:1");
        settings.read_only = true;
        let client = KafkaClient::new(settings.clone()).expect("client");
        for action in [AclAction::Create, AclAction::Delete] {
            let mut p = plan(
                action,
                vec![AclPlanned {
                    acl: Acl::parse_entries("principal=User:a type=topic name=t op=read")
                        .expect("acl")
                        .remove(0),
                    exists: false,
                    error: None,
                }],
            );
            p.verified = true;
            match apply(&client, &settings, &p).await {
                Err(e @ Error::ReadOnly(_)) => {
                    assert!(e.to_string().contains("ACLs"), "{e}")
                }
                other => panic!("{action:?}: expected a read-only refusal, got {other:?}"),
            }
        }
    }
}
