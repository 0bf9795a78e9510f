//! ACLs as plain data, with the names Kafka's own tools use: resource types `topic`, `group`,
//! `cluster`, `transactional-id`; pattern types `literal`, `prefixed`; operations `read`,
//! `write`, `describe`, `describe-configs`, ...; permissions `allow`, `deny`.

use serde::{Deserialize, Serialize};

/// One ACL binding: `principal` may (or may not) do `operation` on the resources `pattern_type`
/// `resource_name` selects, from `host`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Acl {
    pub resource_type: String,
    pub resource_name: String,
    pub pattern_type: String,
    pub principal: String,
    pub host: String,
    pub operation: String,
    pub permission: String,
}

/// Which ACLs a listing or a deletion selects: `None` matches anything. `pattern_type`
/// `match` also selects the prefixed and wildcard ACLs that apply to a literal name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclFilter {
    pub resource_type: Option<String>,
    pub resource_name: Option<String>,
    pub pattern_type: Option<String>,
    pub principal: Option<String>,
    pub host: Option<String>,
    pub operation: Option<String>,
    pub permission: Option<String>,
}

impl Acl {
    /// The filter that selects exactly this ACL.
    pub fn exact(&self) -> AclFilter {
        AclFilter {
            resource_type: Some(self.resource_type.clone()),
            resource_name: Some(self.resource_name.clone()),
            pattern_type: Some(self.pattern_type.clone()),
            principal: Some(self.principal.clone()),
            host: Some(self.host.clone()),
            operation: Some(self.operation.clone()),
            permission: Some(self.permission.clone()),
        }
    }
}

/// The console's fields of an ACL or a filter, `KEY=VALUE` separated by spaces, and the
/// names each takes (the CLI's flags without `--`).
const FIELDS: &[(&str, &[&str])] = &[
    ("principal", &["principal"]),
    ("resource-type", &["resource-type", "type"]),
    ("resource", &["resource", "name"]),
    ("pattern", &["pattern"]),
    ("operation", &["operation", "op"]),
    ("permission", &["permission", "perm"]),
    ("host", &["host"]),
];

/// `KEY=VALUE` entries by their field's name; each field once.
fn parse_fields(text: &str) -> Result<Vec<(&'static str, String)>, String> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for entry in text.split_whitespace() {
        let Some((k, v)) = entry.split_once('=') else {
            return Err(format!(
                "'{entry}' is not KEY=VALUE (e.g. principal=User:alice)"
            ));
        };
        let key = k.trim().to_ascii_lowercase().replace('_', "-");
        let Some((field, _)) = FIELDS
            .iter()
            .find(|(_, names)| names.contains(&key.as_str()))
        else {
            return Err(format!(
                "unknown field '{k}' (one of: {})",
                FIELDS
                    .iter()
                    .map(|(f, _)| *f)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        if v.is_empty() {
            return Err(format!("'{entry}': {field} needs a value"));
        }
        if out.iter().any(|(f, _)| f == field) {
            return Err(format!("{field} is given twice; give each field once"));
        }
        out.push((field, v.to_string()));
    }
    Ok(out)
}

impl Acl {
    /// The console's create line: `principal=User:alice resource-type=topic resource=orders
    /// operation=read,write` (one ACL per operation), with `pattern` (literal), `permission`
    /// (allow) and `host` (`*`) as `kscope acls create` defaults them.
    pub fn parse_entries(text: &str) -> Result<Vec<Acl>, String> {
        let fields = parse_fields(text)?;
        let get = |f: &str| fields.iter().find(|(k, _)| *k == f).map(|(_, v)| v.clone());
        let need = |f: &str| {
            get(f).ok_or_else(|| {
                format!(
                    "{f}=... is missing (principal, resource-type, resource and operation are \
                     needed)"
                )
            })
        };
        let (principal, resource_type, resource_name, operations) = (
            need("principal")?,
            need("resource-type")?,
            need("resource")?,
            need("operation")?,
        );
        if !principal.contains(':') {
            return Err(format!(
                "principal '{principal}' needs a type: User:{principal}"
            ));
        }
        let mut acls: Vec<Acl> = Vec::new();
        for op in operations.split(',').filter(|o| !o.is_empty()) {
            let acl = Acl {
                resource_type: resource_type.clone(),
                resource_name: resource_name.clone(),
                pattern_type: get("pattern").unwrap_or_else(|| "literal".into()),
                principal: principal.clone(),
                host: get("host").unwrap_or_else(|| "*".into()),
                operation: op.to_string(),
                permission: get("permission").unwrap_or_else(|| "allow".into()),
            };
            if !acls.contains(&acl) {
                acls.push(acl);
            }
        }
        if acls.is_empty() {
            return Err("operation=... names no operation (e.g. operation=read,write)".into());
        }
        Ok(acls)
    }

    /// This ACL as the console's line (the fields `parse_entries` and `AclFilter::parse_entries`
    /// read).
    pub fn entries(&self) -> String {
        format!(
            "principal={} resource-type={} resource={} pattern={} operation={} permission={} \
             host={}",
            self.principal,
            self.resource_type,
            self.resource_name,
            self.pattern_type,
            self.operation,
            self.permission,
            self.host
        )
    }
}

impl AclFilter {
    /// The console's delete line: the same fields as a create, each optional (one operation;
    /// `pattern=match` or `any` select more). A line with no field is refused: it would select
    /// every ACL.
    pub fn parse_entries(text: &str) -> Result<AclFilter, String> {
        let fields = parse_fields(text)?;
        if fields.is_empty() {
            return Err(
                "a filter with no field selects every ACL: name at least one field \
                        (kscope acls delete --all deletes every ACL)"
                    .into(),
            );
        }
        let get = |f: &str| fields.iter().find(|(k, _)| *k == f).map(|(_, v)| v.clone());
        if get("operation").is_some_and(|o| o.contains(',')) {
            return Err("a delete filter takes one operation (or none: every operation)".into());
        }
        Ok(AclFilter {
            resource_type: get("resource-type"),
            resource_name: get("resource"),
            pattern_type: get("pattern"),
            principal: get("principal"),
            host: get("host"),
            operation: get("operation"),
            permission: get("permission"),
        })
    }
}

/// Whether a change creates ACLs or deletes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AclAction {
    Create,
    Delete,
}

/// One ACL of a change: planned, and after an execute what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclPlanned {
    #[serde(flatten)]
    pub acl: Acl,
    /// Create: the ACL exists already (nothing to do for it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exists: bool,
    /// After an execute: the broker's refusal, or what reading back found.
    pub error: Option<String>,
}

/// An ACL change (`kscope acls create/delete`, the console's `c` and `x` on `:acls`) planned,
/// or (with `executed`) applied and read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclPlan {
    pub action: AclAction,
    pub executed: bool,
    pub acls: Vec<AclPlanned>,
    pub undo_file: Option<String>,
    pub undo_command: Option<String>,
    /// After an execute: the ACLs could be read back (`false`: what is listed now is unknown).
    #[serde(skip)]
    pub verified: bool,
}

impl AclPlan {
    /// The ACLs an execute sends (a create leaves out those that exist already).
    pub fn todo(&self) -> Vec<Acl> {
        self.acls
            .iter()
            .filter(|p| !p.exists)
            .map(|p| p.acl.clone())
            .collect()
    }

    /// After an execute: the ACLs created or deleted as asked.
    pub fn applied(&self) -> usize {
        self.acls
            .iter()
            .filter(|p| !p.exists && p.error.is_none())
            .count()
    }

    /// After an execute: the ACLs the broker refused, or that reading back did not confirm.
    pub fn failed(&self) -> usize {
        self.acls.iter().filter(|p| p.error.is_some()).count()
    }

    /// After an execute, as the audit's outcome says it: `applied`, `partial` (some applied,
    /// some not), `failed` (none applied) or `unverified` (sent, but not read back).
    pub fn result(&self) -> &'static str {
        match (self.failed(), self.applied()) {
            (0, _) if !self.verified => "unverified",
            (0, _) => "applied",
            (_, 0) => "failed",
            _ => "partial",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_create_line_makes_one_acl_per_operation_with_the_cli_defaults() {
        let acls = Acl::parse_entries(
            "  principal=User:alice type=topic name=orders- pattern=prefixed op=read,describe,read ",
        )
        .unwrap();
        let acl = |op: &str| Acl {
            resource_type: "topic".into(),
            resource_name: "orders-".into(),
            pattern_type: "prefixed".into(),
            principal: "User:alice".into(),
            host: "*".into(),
            operation: op.into(),
            permission: "allow".into(),
        };
        assert_eq!(acls, vec![acl("read"), acl("describe")]);
        // What `entries` writes reads back as the same ACL, and as its exact filter.
        let one = acl("read");
        assert_eq!(
            Acl::parse_entries(&one.entries()).unwrap(),
            vec![one.clone()]
        );
        assert_eq!(
            AclFilter::parse_entries(&one.entries()).unwrap(),
            one.exact()
        );
        for (text, why) in [
            ("", "principal=... is missing"),
            (
                "principal=User:a type=topic name=t",
                "operation=... is missing",
            ),
            (
                "principal=alice type=topic name=t op=read",
                "needs a type: User:alice",
            ),
            (
                "principal=User:a type=topic name=t op=,",
                "names no operation",
            ),
            ("principal=User:a principal=User:b", "given twice"),
            ("principal User:a", "not KEY=VALUE"),
            ("user=User:a", "unknown field 'user'"),
            ("principal=", "needs a value"),
        ] {
            let err = Acl::parse_entries(text).unwrap_err();
            assert!(err.contains(why), "{text:?}: {err}");
        }
    }

    #[test]
    fn console_delete_line_is_a_filter_of_the_fields_given_and_never_empty() {
        assert_eq!(
            AclFilter::parse_entries("principal=User:alice pattern=match").unwrap(),
            AclFilter {
                principal: Some("User:alice".into()),
                pattern_type: Some("match".into()),
                ..AclFilter::default()
            }
        );
        let err = AclFilter::parse_entries("   ").unwrap_err();
        assert!(err.contains("selects every ACL"), "{err}");
        let err = AclFilter::parse_entries("op=read,write").unwrap_err();
        assert!(err.contains("one operation"), "{err}");
    }

    #[test]
    fn a_plan_says_partial_only_when_some_were_applied_and_others_not() {
        let planned = |error: Option<&str>, exists: bool| AclPlanned {
            acl: Acl::parse_entries("principal=User:a type=topic name=t op=read")
                .unwrap()
                .remove(0),
            exists,
            error: error.map(String::from),
        };
        let plan = |acls: Vec<AclPlanned>, verified: bool| AclPlan {
            action: AclAction::Create,
            executed: true,
            acls,
            undo_file: None,
            undo_command: None,
            verified,
        };
        let ok = || planned(None, false);
        let bad = || planned(Some("INVALID_REQUEST"), false);
        assert_eq!(
            plan(vec![ok(), planned(None, true)], true).result(),
            "applied"
        );
        assert_eq!(plan(vec![ok()], false).result(), "unverified");
        assert_eq!(plan(vec![ok(), bad()], true).result(), "partial");
        assert_eq!(plan(vec![ok(), bad()], false).result(), "partial");
        // An ACL that existed already was not applied by this change.
        assert_eq!(
            plan(vec![planned(None, true), bad()], true).result(),
            "failed"
        );
        assert_eq!(plan(vec![bad()], true).result(), "failed");
        assert_eq!(plan(vec![ok(), planned(None, true)], true).todo().len(), 1);
    }
}
