//! ACLs: DescribeAcls, CreateAcls and DeleteAcls. Bindings and filters are plain data
//! ([`crate::model::Acl`], [`crate::model::AclFilter`]) with the names Kafka's own tools use
//! (`topic`, `prefixed`, `describe-configs`, `allow`); this file turns them into librdkafka's
//! enums and back.
#![allow(unsafe_code)]

use super::*;
use crate::model::{Acl, AclFilter};

use rdkafka::bindings::rd_kafka_AclOperation_t as Op;
use rdkafka::bindings::rd_kafka_AclPermissionType_t as Perm;
use rdkafka::bindings::rd_kafka_ResourcePatternType_t as Pat;
use rdkafka::bindings::rd_kafka_ResourceType_t as Res;

const RESOURCES: &[(&str, Res)] = &[
    ("any", Res::RD_KAFKA_RESOURCE_ANY),
    ("topic", Res::RD_KAFKA_RESOURCE_TOPIC),
    ("group", Res::RD_KAFKA_RESOURCE_GROUP),
    ("cluster", Res::RD_KAFKA_RESOURCE_BROKER),
    ("transactional-id", Res::RD_KAFKA_RESOURCE_TRANSACTIONAL_ID),
];

const PATTERNS: &[(&str, Pat)] = &[
    ("any", Pat::RD_KAFKA_RESOURCE_PATTERN_ANY),
    ("match", Pat::RD_KAFKA_RESOURCE_PATTERN_MATCH),
    ("literal", Pat::RD_KAFKA_RESOURCE_PATTERN_LITERAL),
    ("prefixed", Pat::RD_KAFKA_RESOURCE_PATTERN_PREFIXED),
];

const OPERATIONS: &[(&str, Op)] = &[
    ("any", Op::RD_KAFKA_ACL_OPERATION_ANY),
    ("all", Op::RD_KAFKA_ACL_OPERATION_ALL),
    ("read", Op::RD_KAFKA_ACL_OPERATION_READ),
    ("write", Op::RD_KAFKA_ACL_OPERATION_WRITE),
    ("create", Op::RD_KAFKA_ACL_OPERATION_CREATE),
    ("delete", Op::RD_KAFKA_ACL_OPERATION_DELETE),
    ("alter", Op::RD_KAFKA_ACL_OPERATION_ALTER),
    ("describe", Op::RD_KAFKA_ACL_OPERATION_DESCRIBE),
    ("cluster-action", Op::RD_KAFKA_ACL_OPERATION_CLUSTER_ACTION),
    (
        "describe-configs",
        Op::RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS,
    ),
    ("alter-configs", Op::RD_KAFKA_ACL_OPERATION_ALTER_CONFIGS),
    (
        "idempotent-write",
        Op::RD_KAFKA_ACL_OPERATION_IDEMPOTENT_WRITE,
    ),
];

const PERMISSIONS: &[(&str, Perm)] = &[
    ("any", Perm::RD_KAFKA_ACL_PERMISSION_TYPE_ANY),
    ("allow", Perm::RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW),
    ("deny", Perm::RD_KAFKA_ACL_PERMISSION_TYPE_DENY),
];

/// The names each ACL field accepts, for help texts and errors.
pub fn acl_names(field: &str) -> Vec<&'static str> {
    match field {
        "resource" => RESOURCES.iter().map(|(n, _)| *n).collect(),
        "pattern" => PATTERNS.iter().map(|(n, _)| *n).collect(),
        "operation" => OPERATIONS.iter().map(|(n, _)| *n).collect(),
        "permission" => PERMISSIONS.iter().map(|(n, _)| *n).collect(),
        _ => Vec::new(),
    }
}

fn code_of<T: Copy>(table: &[(&str, T)], field: &str, name: &str) -> Result<T> {
    let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
    table
        .iter()
        .find(|(n, _)| *n == wanted)
        .map(|(_, c)| *c)
        .ok_or_else(|| {
            Error::usage(format!(
                "unknown ACL {field} '{name}' (one of: {})",
                table.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ))
        })
}

fn name_of<T: Copy + PartialEq>(table: &[(&'static str, T)], code: T) -> String {
    table
        .iter()
        .find(|(_, c)| *c == code)
        .map_or_else(|| "unknown".to_string(), |(n, _)| n.to_string())
}

struct Binding(*mut rd::rd_kafka_AclBinding_t);
impl Drop for Binding {
    fn drop(&mut self) {
        unsafe { rd::rd_kafka_AclBinding_destroy(self.0) }
    }
}

/// A librdkafka binding (`filter` = a filter, whose fields may be "any" and names NULL).
#[allow(clippy::too_many_arguments)]
fn binding(
    resource: &str,
    name: Option<&str>,
    pattern: &str,
    principal: Option<&str>,
    host: Option<&str>,
    operation: &str,
    permission: &str,
    filter: bool,
) -> Result<Binding> {
    let res = code_of(RESOURCES, "resource type", resource)?;
    let pat = code_of(PATTERNS, "pattern type", pattern)?;
    let op = code_of(OPERATIONS, "operation", operation)?;
    let perm = code_of(PERMISSIONS, "permission", permission)?;
    let name = name.map(|n| cstring(n, "resource name")).transpose()?;
    let principal = principal.map(|p| cstring(p, "principal")).transpose()?;
    let host = host.map(|h| cstring(h, "host")).transpose()?;
    let ptr = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    let mut errbuf = [0 as c_char; 512];
    let raw = unsafe {
        if filter {
            rd::rd_kafka_AclBindingFilter_new(
                res,
                ptr(&name),
                pat,
                ptr(&principal),
                ptr(&host),
                op,
                perm,
                errbuf.as_mut_ptr(),
                errbuf.len(),
            )
        } else {
            rd::rd_kafka_AclBinding_new(
                res,
                ptr(&name),
                pat,
                ptr(&principal),
                ptr(&host),
                op,
                perm,
                errbuf.as_mut_ptr(),
                errbuf.len(),
            )
        }
    };
    if raw.is_null() {
        return Err(Error::usage(format!(
            "invalid ACL: {}",
            unsafe { string(errbuf.as_ptr()) }.unwrap_or_default()
        )));
    }
    Ok(Binding(raw))
}

fn filter_binding(f: &AclFilter) -> Result<Binding> {
    binding(
        f.resource_type.as_deref().unwrap_or("any"),
        f.resource_name.as_deref(),
        f.pattern_type.as_deref().unwrap_or("any"),
        f.principal.as_deref(),
        f.host.as_deref(),
        f.operation.as_deref().unwrap_or("any"),
        f.permission.as_deref().unwrap_or("any"),
        true,
    )
}

/// Checks an ACL's names before anything is sent (unknown operation, `any` where a binding
/// needs a value).
pub fn check_acl(a: &Acl) -> Result<()> {
    acl_binding(a).map(|_| ())
}

fn acl_binding(a: &Acl) -> Result<Binding> {
    for (field, value) in [
        ("resource type", &a.resource_type),
        ("pattern type", &a.pattern_type),
        ("operation", &a.operation),
        ("permission", &a.permission),
    ] {
        let v = value.to_ascii_lowercase();
        if v == "any" || v == "match" {
            return Err(Error::usage(format!(
                "an ACL needs a definite {field}, not '{value}'"
            )));
        }
    }
    binding(
        &a.resource_type,
        Some(&a.resource_name),
        &a.pattern_type,
        Some(&a.principal),
        Some(&a.host),
        &a.operation,
        &a.permission,
        false,
    )
}

unsafe fn read_acl(b: *const rd::rd_kafka_AclBinding_t) -> Acl {
    Acl {
        resource_type: name_of(RESOURCES, rd::rd_kafka_AclBinding_restype(b)),
        resource_name: string(rd::rd_kafka_AclBinding_name(b)).unwrap_or_default(),
        pattern_type: name_of(PATTERNS, rd::rd_kafka_AclBinding_resource_pattern_type(b)),
        principal: string(rd::rd_kafka_AclBinding_principal(b)).unwrap_or_default(),
        host: string(rd::rd_kafka_AclBinding_host(b)).unwrap_or_default(),
        operation: name_of(OPERATIONS, rd::rd_kafka_AclBinding_operation(b)),
        permission: name_of(PERMISSIONS, rd::rd_kafka_AclBinding_permission_type(b)),
    }
}

/// An ACL request's error in plain words: no authorizer, or not allowed to manage ACLs.
fn acl_error(code: RDKafkaErrorCode, msg: &str, api: &str) -> Error {
    match code {
        RDKafkaErrorCode::SecurityDisabled => Error::Unsupported {
            api: api.to_string(),
            hint: Some(
                "the cluster has no authorizer, so it has no ACLs (SECURITY_DISABLED)".into(),
            ),
        },
        RDKafkaErrorCode::ClusterAuthorizationFailed => {
            Error::NotAuthorized(format!(
            "not authorized to {} ACLs (CLUSTER_AUTHORIZATION_FAILED: the principal needs {} on \
             the cluster)",
            if api == "DescribeAcls" { "describe" } else { "change" },
            if api == "DescribeAcls" { "DESCRIBE" } else { "ALTER" }
        ))
        }
        // librdkafka words a request's own error as a failure to parse its response.
        _ => map_code(
            code,
            msg.split_once("failed to parse response: ")
                .map_or(msg, |(_, rest)| rest),
            api,
        ),
    }
}

/// DescribeAcls: the ACLs that match the filter, sorted.
pub fn describe_acls(
    client: Handle<'_>,
    filter: &AclFilter,
    timeout: Duration,
) -> Result<Vec<Acl>> {
    describe_acls_coded(client, filter, timeout).map_err(|(_, e)| e)
}

/// Whether the cluster has an authorizer: DescribeAcls answers SECURITY_DISABLED without one;
/// with one it answers (or refuses the principal: CLUSTER_AUTHORIZATION_FAILED).
pub fn authorizer_present(client: Handle<'_>, timeout: Duration) -> Result<bool> {
    let probe = AclFilter {
        resource_type: Some("topic".into()),
        resource_name: Some("__kscope_authorizer_probe".into()),
        pattern_type: Some("literal".into()),
        ..AclFilter::default()
    };
    match describe_acls_coded(client, &probe, timeout) {
        Ok(_) => Ok(true),
        Err((RDKafkaErrorCode::SecurityDisabled, _)) => Ok(false),
        Err((RDKafkaErrorCode::ClusterAuthorizationFailed, _)) => Ok(true),
        Err((_, e)) => Err(e),
    }
}

/// Waits for the one result of an ACL request sent at `started`: the event, or the request's
/// own error (with its code) in the ACL wording.
unsafe fn wait_acl(
    queue: &Queue,
    started: Instant,
    timeout: Duration,
    api: &str,
) -> std::result::Result<Event, (RDKafkaErrorCode, Error)> {
    let Some(ev) = poll_event(queue, started + timeout + GRACE) else {
        return Err((
            RDKafkaErrorCode::OperationTimedOut,
            Error::Timeout {
                what: api.into(),
                after: started.elapsed(),
            },
        ));
    };
    let code = rd::rd_kafka_event_error(ev.0);
    if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        let msg = string(rd::rd_kafka_event_error_string(ev.0)).unwrap_or_default();
        let code = RDKafkaErrorCode::from(code);
        return Err((code, with_wait(acl_error(code, &msg, api), started)));
    }
    Ok(ev)
}

fn describe_acls_coded(
    client: Handle<'_>,
    filter: &AclFilter,
    timeout: Duration,
) -> std::result::Result<Vec<Acl>, (RDKafkaErrorCode, Error)> {
    let rk = client.native_ptr();
    const API: &str = "DescribeAcls";
    let other = |e: Error| (RDKafkaErrorCode::Fail, e);
    let f = filter_binding(filter).map_err(other)?;
    unsafe {
        let queue = new_queue(rk).map_err(other)?;
        let opts = options(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBEACLS,
            timeout,
        )
        .map_err(other)?;
        let started = Instant::now();
        rd::rd_kafka_DescribeAcls(rk, f.0, opts.0, queue.0);
        let ev = wait_acl(&queue, started, timeout, API)?;
        let result = rd::rd_kafka_event_DescribeAcls_result(ev.0);
        if result.is_null() {
            return Err(other(Error::kafka(format!(
                "{API}: unexpected result event"
            ))));
        }
        let mut n = 0usize;
        let acls = array(rd::rd_kafka_DescribeAcls_result_acls(result, &mut n), n);
        let mut out: Vec<Acl> = acls
            .iter()
            .filter(|a| !a.is_null())
            .map(|&a| read_acl(a))
            .collect();
        out.sort();
        Ok(out)
    }
}

/// CreateAcls: each ACL comes back with its own error, in order.
pub fn create_acls(
    client: Handle<'_>,
    acls: &[Acl],
    timeout: Duration,
) -> Result<Vec<Option<String>>> {
    let rk = client.native_ptr();
    const API: &str = "CreateAcls";
    let bindings: Vec<Binding> = acls.iter().map(acl_binding).collect::<Result<_>>()?;
    let mut ptrs: Vec<*mut rd::rd_kafka_AclBinding_t> = bindings.iter().map(|b| b.0).collect();
    unsafe {
        let queue = new_queue(rk)?;
        let opts = options(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATEACLS,
            timeout,
        )?;
        let started = Instant::now();
        rd::rd_kafka_CreateAcls(rk, ptrs.as_mut_ptr(), ptrs.len(), opts.0, queue.0);
        let ev = wait_acl(&queue, started, timeout, API).map_err(|(_, e)| e)?;
        let result = rd::rd_kafka_event_CreateAcls_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka(format!("{API}: unexpected result event")));
        }
        let mut n = 0usize;
        let results = array(rd::rd_kafka_CreateAcls_result_acls(result, &mut n), n);
        let mut out = Vec::with_capacity(acls.len());
        for i in 0..acls.len() {
            let r = results.get(i).copied().unwrap_or(std::ptr::null());
            if r.is_null() {
                out.push(Some("no answer for this ACL".to_string()));
                continue;
            }
            let err = rd::rd_kafka_acl_result_error(r);
            out.push(if err.is_null() {
                None
            } else {
                let code = RDKafkaErrorCode::from(rd::rd_kafka_error_code(err));
                let msg = string(rd::rd_kafka_error_string(err)).unwrap_or_default();
                Some(acl_error(code, &msg, API).to_string())
            });
        }
        Ok(out)
    }
}

/// DeleteAcls: for each filter, the ACLs it deleted or its error, in order.
pub fn delete_acls(
    client: Handle<'_>,
    filters: &[AclFilter],
    timeout: Duration,
) -> Result<Vec<std::result::Result<Vec<Acl>, String>>> {
    let rk = client.native_ptr();
    const API: &str = "DeleteAcls";
    let bindings: Vec<Binding> = filters.iter().map(filter_binding).collect::<Result<_>>()?;
    let mut ptrs: Vec<*mut rd::rd_kafka_AclBinding_t> = bindings.iter().map(|b| b.0).collect();
    unsafe {
        let queue = new_queue(rk)?;
        let opts = options(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETEACLS,
            timeout,
        )?;
        let started = Instant::now();
        rd::rd_kafka_DeleteAcls(rk, ptrs.as_mut_ptr(), ptrs.len(), opts.0, queue.0);
        let ev = wait_acl(&queue, started, timeout, API).map_err(|(_, e)| e)?;
        let result = rd::rd_kafka_event_DeleteAcls_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka(format!("{API}: unexpected result event")));
        }
        let mut n = 0usize;
        let responses = array(rd::rd_kafka_DeleteAcls_result_responses(result, &mut n), n);
        let mut out = Vec::with_capacity(filters.len());
        for i in 0..filters.len() {
            let r = responses.get(i).copied().unwrap_or(std::ptr::null());
            if r.is_null() {
                out.push(Err("no answer for this filter".to_string()));
                continue;
            }
            let err = rd::rd_kafka_DeleteAcls_result_response_error(r);
            if !err.is_null() {
                let code = RDKafkaErrorCode::from(rd::rd_kafka_error_code(err));
                let msg = string(rd::rd_kafka_error_string(err)).unwrap_or_default();
                out.push(Err(acl_error(code, &msg, API).to_string()));
                continue;
            }
            let mut m = 0usize;
            let matching = array(
                rd::rd_kafka_DeleteAcls_result_response_matching_acls(r, &mut m),
                m,
            );
            let mut acls: Vec<Acl> = matching
                .iter()
                .filter(|a| !a.is_null())
                .map(|&a| read_acl(a))
                .collect();
            acls.sort();
            out.push(Ok(acls));
        }
        Ok(out)
    }
}
