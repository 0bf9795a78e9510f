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
