//! `kscope acls [FILTER]`: the cluster's ACLs (DescribeAcls); `kscope acls create ...` and
//! `kscope acls delete FILTER` change them with a plan: the dry run (the default) shows the ACLs
//! that would be created (and which exist already) or deleted; `--execute` writes an undo file
//! (the ACLs, for `acls delete --from-file` after a create and `acls create --from-file` after a
//! delete), audits the intent, applies exactly the plan, reads the ACLs back to verify, and
//! audits the outcome. An ACL the broker refused makes it partial (exit 7). The engine is
//! `offsets::acl_change`, shared with the console's `:acls` screen.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::output::{emit, emit_json, say, table, Stream};
use super::{GlobalArgs, Output};
use crate::error::{exit, Error, Result};
use crate::model::{Acl, AclFilter, AclPlan};
use crate::offsets::acl_change::{self, AclSelection};

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

fn print(output: Output, r: &AclPlan) -> Result<()> {
    match output {
        Output::Json => emit_json(Stream::Stdout, r, true),
        Output::Jsonl => emit_json(Stream::Stdout, r, false),
        Output::Table => {
            let acls: Vec<&Acl> = r.acls.iter().map(|p| &p.acl).collect();
            let verb = match r.action {
                crate::model::AclAction::Create => "create",
                crate::model::AclAction::Delete => "delete",
            };
            let status = |a: &Acl| {
                let p = r.acls.iter().find(|p| &p.acl == a)?;
                Some(match (&p.error, p.exists, r.executed) {
                    (Some(e), _, _) => format!("failed: {e}"),
                    (None, true, _) => "exists".to_string(),
                    (None, false, true) => format!("{verb}d"),
                    (None, false, false) => format!("would be {verb}d"),
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
        Some(path) => acl_change::read_undo(path)?,
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
    let settings = g.settings()?;
    let client = super::budget_client(settings.clone())?;
    let plan = acl_change::plan_create(&client, wanted).await?;
    let nothing = plan.todo().is_empty();
    if !a.execute || nothing {
        print(g.output, &plan)?;
        if g.output == Output::Table {
            say(if nothing {
                "nothing to create: every ACL exists already"
            } else {
                "dry run: no ACL was created (add --execute)"
            });
        }
        return Ok(exit::OK);
    }
    finish(g, acl_change::apply(&client, &settings, &plan).await?)
}

/// Prints an executed plan; its exit: partial (7) when some ACLs were applied and others not,
/// a failure when none was, incomplete (8) when they could not be read back.
fn finish(g: &GlobalArgs, done: AclPlan) -> Result<i32> {
    print(g.output, &done)?;
    let (failed, all) = (done.failed(), done.acls.len());
    match done.result() {
        "partial" => Err(Error::PartiallyApplied(format!(
            "{failed} of {all} ACL(s) failed (see the table); the others were applied{}",
            if done.verified {
                ""
            } else {
                ", but could not be read back to verify"
            }
        ))),
        "failed" => {
            let why = done
                .acls
                .iter()
                .find_map(|p| p.error.clone())
                .unwrap_or_default();
            Err(Error::kafka(format!("no ACL was changed: {why}")))
        }
        "unverified" => Err(Error::Incomplete(
            "applied, but the ACLs could not be read back to verify".to_string(),
        )),
        _ => Ok(exit::OK),
    }
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
    let selection = match &a.from_file {
        Some(path) => AclSelection::Exactly(acl_change::read_undo(path)?),
        None => AclSelection::Filter(a.filter.filter()),
    };
    let plan = acl_change::plan_delete(&client, selection).await?;
    if !a.execute || plan.acls.is_empty() {
        print(g.output, &plan)?;
        if g.output == Output::Table {
            say(if plan.acls.is_empty() {
                "nothing to delete: no ACL matches"
            } else {
                "dry run: no ACL was deleted (add --execute)"
            });
        }
        return Ok(exit::OK);
    }
    finish(g, acl_change::apply(&client, &settings, &plan).await?)
}
