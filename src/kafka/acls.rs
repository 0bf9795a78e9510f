//! ACLs: the listing (DescribeAcls) and whether the cluster has an authorizer at all; creating
//! and deleting them are [`Writer`](super::Writer) methods (refused read-only).

use super::{api, native, KafkaClient, Writer};
use crate::error::Result;
use crate::model::{Acl, AclFilter};

impl KafkaClient {
    /// The ACLs that match `filter` (DescribeAcls), sorted.
    pub async fn acls(&self, filter: AclFilter) -> Result<Vec<Acl>> {
        self.call(move |i| {
            i.connected()?;
            i.require(api::DESCRIBE_ACLS)?;
            native::describe_acls(i.raw(), &filter, i.timeout())
        })
        .await
    }

    /// Whether the cluster has an authorizer (so that what a principal sees may be limited to
    /// what it may describe). `None` when that could not be told.
    pub async fn has_authorizer(&self) -> Option<bool> {
        self.call(|i| {
            i.connected()?;
            i.require(api::DESCRIBE_ACLS)?;
            native::authorizer_present(i.raw(), i.timeout())
        })
        .await
        .ok()
    }
}

impl Writer {
    /// CreateAcls: each ACL's own error (`None` when created), in order.
    pub async fn create_acls(&self, acls: Vec<Acl>) -> Result<Vec<Option<String>>> {
        self.client()
            .call(move |i| {
                i.connected()?;
                i.require(api::CREATE_ACLS)?;
                native::create_acls(i.raw(), &acls, i.timeout())
            })
            .await
    }

    /// DeleteAcls: for each filter, the ACLs it deleted or its error, in order.
    pub async fn delete_acls(
        &self,
        filters: Vec<AclFilter>,
    ) -> Result<Vec<std::result::Result<Vec<Acl>, String>>> {
        self.client()
            .call(move |i| {
                i.connected()?;
                i.require(api::DELETE_ACLS)?;
                native::delete_acls(i.raw(), &filters, i.timeout())
            })
            .await
    }
}
