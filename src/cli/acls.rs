//! `kscope acls [FILTER]`: the cluster's ACLs (DescribeAcls); `kscope acls create ...` and
//! `kscope acls delete FILTER` change them with a plan: the dry run (the default) shows the ACLs
//! that would be created (and which exist already) or deleted; `--execute` writes an undo file
//! (the ACLs, for `acls delete --from-file` after a create and `acls create --from-file` after a
//! delete), audits the intent, applies exactly the plan, reads the ACLs back to verify, and
//! audits the outcome. An ACL the broker refused makes it partial (exit 7).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};

use super::output::{emit, emit_json, say, table, Stream};
use super::{GlobalArgs, Output};
use crate::error::{exit, Error, Result};
use crate::model::{Acl, AclFilter};
use crate::offsets::shell_quote;

const NAMES: &str = "\
Names as Kafka's tools use them: resource types topic, group, cluster, transactional-id; pattern
types literal, prefixed (and, to select, match: every ACL that applies to a literal name, and
any); operations all, read, write, create, delete, alter, describe, cluster-action,
describe-configs, alter-configs, idempotent-write; permissions allow, deny. A principal is
TYPE:NAME, e.g. User:alice.";

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, after_help = NAMES)]
pub struct AclsArgs {
    #[command(subcommand)]
    pub action: Option<AclAction>,
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Only ACLs of this principal, e.g. User:alice
    #[arg(long)]
    pub principal: Option<String>,
    /// Only ACLs of this resource type (topic, group, cluster, transactional-id)
    #[arg(long, value_name = "TYPE")]
    pub resource_type: Option<String>,
    /// Only ACLs of this resource name (with --pattern match: also the prefixed and wildcard
    /// ACLs that apply to it)
    #[arg(long, value_name = "NAME")]
    pub resource: Option<String>,
    /// Only ACLs of this pattern type (literal, prefixed, match, any)
    #[arg(long, value_name = "TYPE")]
    pub pattern: Option<String>,
    /// Only ACLs of this operation
    #[arg(long)]
    pub operation: Option<String>,
    /// Only ACLs with this permission (allow, deny)
    #[arg(long)]
    pub permission: Option<String>,
    /// Only ACLs for this host
    #[arg(long)]
    pub host: Option<String>,
}

impl FilterArgs {
    fn filter(&self) -> AclFilter {
        AclFilter {
            resource_type: self.resource_type.clone(),
            resource_name: self.resource.clone(),
            pattern_type: self.pattern.clone(),
            principal: self.principal.clone(),
            host: self.host.clone(),
            operation: self.operation.clone(),
            permission: self.permission.clone(),
        }
    }

    fn is_empty(&self) -> bool {
        self.filter() == AclFilter::default()
    }
}

#[derive(Debug, Subcommand)]
pub enum AclAction {
    /// Create ACLs (one per --operation): plan first; --execute creates, verifies, audits and
    /// writes an undo file
    Create(CreateArgs),
    /// Delete the ACLs a filter selects: plan first; --execute deletes exactly those, verifies,
    /// audits and writes an undo file
    Delete(DeleteArgs),
}

#[derive(Debug, Args)]
#[command(after_help = NAMES)]
pub struct CreateArgs {
    /// The principal, e.g. User:alice
    #[arg(long, required_unless_present = "from_file")]
    pub principal: Option<String>,
    /// The resource type (topic, group, cluster, transactional-id)
    #[arg(long, value_name = "TYPE", required_unless_present = "from_file")]
    pub resource_type: Option<String>,
    /// The resource name (`*` for every resource of the type; kafka-cluster for the cluster)
    #[arg(long, value_name = "NAME", required_unless_present = "from_file")]
    pub resource: Option<String>,
    /// literal or prefixed
    #[arg(long, value_name = "TYPE", default_value = "literal")]
    pub pattern: String,
    /// An operation (repeatable: one ACL each)
    #[arg(long = "operation", required_unless_present = "from_file")]
    pub operations: Vec<String>,
    /// allow or deny
    #[arg(long, default_value = "allow")]
    pub permission: String,
    /// The host the principal connects from (`*`: any)
    #[arg(long, default_value = "*")]
    pub host: String,
    /// Create the ACLs of an undo file written by an earlier `acls delete --execute`
    #[arg(long, value_name = "UNDO", conflicts_with_all = ["principal", "resource_type", "resource", "operations"])]
    pub from_file: Option<PathBuf>,
    /// Create them (without it, only the plan is shown)
    #[arg(long)]
    pub execute: bool,
}

#[derive(Debug, Args)]
#[command(after_help = NAMES)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Select every ACL (a filter with no field refuses otherwise)
    #[arg(long)]
    pub all: bool,
    /// Delete exactly the ACLs of an undo file written by an earlier `acls create --execute`
    #[arg(long, value_name = "UNDO")]
    pub from_file: Option<PathBuf>,
    /// Delete them (without it, only the plan is shown)
    #[arg(long)]
    pub execute: bool,
}

/// An undo file: the ACLs a change created (to delete) or deleted (to create again).
#[derive(Debug, Serialize, Deserialize)]
struct UndoFile {
    kind: String,
    acls: Vec<Acl>,
}

const UNDO_KIND: &str = "kscope-acls";

fn read_undo(path: &std::path::Path) -> Result<Vec<Acl>> {
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

pub async fn run(g: &GlobalArgs, a: AclsArgs) -> Result<i32> {
    match a.action {
        Some(AclAction::Create(c)) => create(g, c).await,
        Some(AclAction::Delete(d)) => delete(g, d).await,
        None => list(g, &a.filter).await,
    }
}

fn acl_rows(acls: &[&Acl], status: impl Fn(&Acl) -> Option<String>) -> String {
    let with_status = acls.iter().any(|a| status(a).is_some());
    let mut headers = vec![
        "PRINCIPAL",
        "PERMISSION",
        "OPERATION",
        "RESOURCE-TYPE",
        "PATTERN",
        "RESOURCE",
        "HOST",
    ];
    if with_status {
        headers.push("STATUS");
    }
    table(
        &headers,
        acls.iter()
            .map(|a| {
                let mut row = vec![
                    a.principal.clone(),
                    a.permission.clone(),
                    a.operation.clone(),
                    a.resource_type.clone(),
                    a.pattern_type.clone(),
                    a.resource_name.clone(),
                    a.host.clone(),
                ];
                if with_status {
                    row.push(status(a).unwrap_or_default());
                }
                row
            })
            .collect(),
    )
}

async fn list(g: &GlobalArgs, f: &FilterArgs) -> Result<i32> {
    let client = g.client()?;
    let acls = client.acls(f.filter()).await?;
    match g.output {
        Output::Json => emit_json(Stream::Stdout, &serde_json::json!({"acls": acls}), true)?,
        Output::Jsonl => {
            for a in &acls {
                emit_json(Stream::Stdout, a, false)?;
            }
        }
        Output::Table => {
            let refs: Vec<&Acl> = acls.iter().collect();
            let mut text = acl_rows(&refs, |_| None);
            text.push_str(&format!("{} ACL(s)\n", acls.len()));
            emit(&text)?;
        }
    }
    Ok(exit::OK)
}

#[derive(Debug, Serialize)]
struct Planned {
    #[serde(flatten)]
    acl: Acl,
    /// Create: the ACL exists already (nothing to do for it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    exists: bool,
    /// After an execute: the broker's refusal, or what reading back found.
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Report {
    action: &'static str,
    executed: bool,
    acls: Vec<Planned>,
    undo_file: Option<String>,
    undo_command: Option<String>,
}

fn print(output: Output, r: &Report) -> Result<()> {
    match output {
        Output::Json => emit_json(Stream::Stdout, r, true),
        Output::Jsonl => emit_json(Stream::Stdout, r, false),
        Output::Table => {
            let acls: Vec<&Acl> = r.acls.iter().map(|p| &p.acl).collect();
            let status = |a: &Acl| {
                let p = r.acls.iter().find(|p| &p.acl == a)?;
                Some(match (&p.error, p.exists, r.executed) {
                    (Some(e), _, _) => format!("failed: {e}"),
                    (None, true, _) => "exists".to_string(),
                    (None, false, true) => format!("{}d", r.action),
                    (None, false, false) => format!("would be {}d", r.action),
                })
            };
            let mut text = acl_rows(&acls, status);
            if let Some(cmd) = &r.undo_command {
                text.push_str(&format!("\nundo: {cmd}\n"));
            }
            emit(&text)
        }
    }
}

async fn create(g: &GlobalArgs, a: CreateArgs) -> Result<i32> {
    let wanted: Vec<Acl> = match &a.from_file {
        Some(path) => read_undo(path)?,
        None => a
            .operations
            .iter()
            .map(|op| Acl {
                resource_type: a.resource_type.clone().unwrap_or_default(),
                resource_name: a.resource.clone().unwrap_or_default(),
                pattern_type: a.pattern.clone(),
                principal: a.principal.clone().unwrap_or_default(),
                host: a.host.clone(),
                operation: op.clone(),
                permission: a.permission.clone(),
            })
            .collect(),
    };
    for acl in &wanted {
        crate::kafka::native::check_acl(acl)?;
        if !acl.principal.contains(':') {
            return Err(Error::usage(format!(
                "principal '{}' needs a type: User:{}",
                acl.principal, acl.principal
            )));
        }
    }
    let settings = g.settings()?;
    let client = super::budget_client(settings.clone())?;
    // Which exist already: read with each ACL's exact filter, names normalized by the broker.
    let mut plan = Vec::new();
    for acl in wanted {
        let found = client.acls(acl_filter_exact(&acl)).await?;
        let acl = normalize(acl);
        let exists = found.contains(&acl);
        if !plan.iter().any(|p: &Planned| p.acl == acl) {
            plan.push(Planned {
                acl,
                exists,
                error: None,
            });
        }
    }
    let mut report = Report {
        action: "create",
        executed: false,
        acls: plan,
        undo_file: None,
        undo_command: None,
    };
    let todo: Vec<Acl> = report
        .acls
        .iter()
        .filter(|p| !p.exists)
        .map(|p| p.acl.clone())
        .collect();
    if !a.execute || todo.is_empty() {
        print(g.output, &report)?;
        if g.output == Output::Table {
            say(if todo.is_empty() {
                "nothing to create: every ACL exists already"
            } else {
                "dry run: no ACL was created (add --execute)"
            });
        }
        return Ok(exit::OK);
    }
    let writer = client.writer("create ACLs")?;
    let undo = write_acl_undo("acls-create", &todo)?;
    let audit = crate::offsets::change::Audit::new(&settings, "acls-create")?;
    let fields = |r: &Report| serde_json::json!({"acls": r.acls, "undo_file": undo.to_str()});
    audit.intent(&fields(&report))?;
    let results = match writer.create_acls(todo.clone()).await {
        Ok(r) => r,
        Err(e) => {
            let _ = audit.line("outcome", Some("failed"), &fields(&report));
            return Err(e);
        }
    };
    for (acl, err) in todo.iter().zip(results) {
        if let Some(p) = report.acls.iter_mut().find(|p| &p.acl == acl) {
            p.error = err;
        }
    }
    // Verify: each created ACL is listed now (the authorizer learns of them through the
    // metadata log, a moment after the answer).
    let verified = verify(&client, &mut report, true).await;
    finish(g, report, audit, fields, &undo, verified, "acls delete").await
}

/// The exact filter of an ACL (for a check before creating it).
fn acl_filter_exact(a: &Acl) -> AclFilter {
    a.exact()
}

/// An ACL with the names the broker answers with (lowercase, `-` not `_`).
fn normalize(mut a: Acl) -> Acl {
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

fn write_acl_undo(kind: &str, acls: &[Acl]) -> Result<PathBuf> {
    let text = serde_json::to_string_pretty(&UndoFile {
        kind: UNDO_KIND.to_string(),
        acls: acls.to_vec(),
    })
    .map_err(|e| Error::Io(format!("cannot write JSON: {e}")))?;
    crate::offsets::change::write_undo(kind, "acls", "json", &(text + "\n"))
}

/// Reads the ACLs back until each applied one is there (`present`) or gone, for a few seconds;
/// marks those that are not. `false` when they could not be read.
async fn verify(client: &crate::kafka::KafkaClient, r: &mut Report, present: bool) -> bool {
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

async fn finish(
    g: &GlobalArgs,
    mut report: Report,
    audit: crate::offsets::change::Audit,
    fields: impl Fn(&Report) -> serde_json::Value,
    undo: &std::path::Path,
    verified: bool,
    undo_verb: &str,
) -> Result<i32> {
    report.executed = true;
    let applied = report
        .acls
        .iter()
        .filter(|p| !p.exists && p.error.is_none())
        .count();
    let failed = report.acls.iter().filter(|p| p.error.is_some()).count();
    let result = if !verified {
        "unverified"
    } else if failed == 0 {
        "applied"
    } else if applied > 0 {
        "partial"
    } else {
        "failed"
    };
    audit
        .line("outcome", Some(result), &fields(&report))
        .map_err(|e| Error::Io(format!("applied, but {e}")))?;
    let undo_file = undo.to_string_lossy().into_owned();
    report.undo_command = Some(format!(
        "kscope {undo_verb} --from-file {} --execute",
        shell_quote(&undo_file)
    ));
    report.undo_file = Some(undo_file);
    print(g.output, &report)?;
    if !verified {
        return Err(Error::Incomplete(
            "applied, but the ACLs could not be read back to verify".to_string(),
        ));
    }
    if failed > 0 && applied > 0 {
        return Err(Error::PartiallyApplied(format!(
            "{failed} of {} ACL(s) failed (see the table); the others were applied",
            report.acls.len()
        )));
    }
    if failed > 0 {
        let why = report
            .acls
            .iter()
            .find_map(|p| p.error.clone())
            .unwrap_or_default();
        return Err(Error::kafka(format!("no ACL was changed: {why}")));
    }
    Ok(exit::OK)
}

async fn delete(g: &GlobalArgs, a: DeleteArgs) -> Result<i32> {
    if a.from_file.is_none() && a.filter.is_empty() && !a.all {
        return Err(Error::usage(
            "a filter with no field selects every ACL: name a --principal, --resource, ... or \
             give --all",
        ));
    }
    let settings = g.settings()?;
    let client = super::budget_client(settings.clone())?;
    let selected: Vec<Acl> = match &a.from_file {
        Some(path) => {
            let wanted: Vec<Acl> = read_undo(path)?.into_iter().map(normalize).collect();
            let now = client.acls(AclFilter::default()).await?;
            wanted.into_iter().filter(|w| now.contains(w)).collect()
        }
        None => client.acls(a.filter.filter()).await?,
    };
    let mut report = Report {
        action: "delete",
        executed: false,
        acls: selected
            .into_iter()
            .map(|acl| Planned {
                acl,
                exists: false,
                error: None,
            })
            .collect(),
        undo_file: None,
        undo_command: None,
    };
    if !a.execute || report.acls.is_empty() {
        print(g.output, &report)?;
        if g.output == Output::Table {
            say(if report.acls.is_empty() {
                "nothing to delete: no ACL matches"
            } else {
                "dry run: no ACL was deleted (add --execute)"
            });
        }
        return Ok(exit::OK);
    }
    let writer = client.writer("delete ACLs")?;
    let planned: Vec<Acl> = report.acls.iter().map(|p| p.acl.clone()).collect();
    let undo = write_acl_undo("acls-delete", &planned)?;
    let audit = crate::offsets::change::Audit::new(&settings, "acls-delete")?;
    let fields = |r: &Report| serde_json::json!({"acls": r.acls, "undo_file": undo.to_str()});
    audit.intent(&fields(&report))?;
    // Exactly the plan: one exact filter per ACL, not the user's filter again (it could match
    // ACLs created since).
    let filters: Vec<AclFilter> = planned.iter().map(Acl::exact).collect();
    let results = match writer.delete_acls(filters).await {
        Ok(r) => r,
        Err(e) => {
            let _ = audit.line("outcome", Some("failed"), &fields(&report));
            return Err(e);
        }
    };
    for (p, r) in report.acls.iter_mut().zip(results) {
        match r {
            Err(e) => p.error = Some(e),
            Ok(deleted) if !deleted.contains(&p.acl) => {
                p.error = Some("the broker deleted nothing for it".to_string())
            }
            Ok(_) => {}
        }
    }
    let verified = verify(&client, &mut report, false).await;
    finish(g, report, audit, fields, &undo, verified, "acls create").await
}
