//! The broker side of the console's cluster changes: each request planned and each plan
//! applied by the engine the CLI uses (`offsets::config_change`, `offsets::topic_change`,
//! `offsets::leader_election`, `offsets::acl_change`).

use crate::app::{ChangeOutcome, ChangePlan, ChangeRequest};
use crate::config::ConnectionSettings;
use crate::error::{Error, Result};
use crate::kafka::KafkaClient;
use crate::model::TruncatePoint;
use crate::offsets::{acl_change, config_change, leader_election, topic_change};
use crate::record::StartPosition;

/// Plans a change; nothing is applied. The broker's refusal of a config change is in the plan.
pub async fn plan(client: &KafkaClient, request: ChangeRequest) -> Result<ChangePlan> {
    match request {
        ChangeRequest::Config { target, edits } => {
            let (plan, _verdict) = config_change::plan(client, &target, edits).await?;
            Ok(ChangePlan::Config(plan))
        }
        ChangeRequest::Partitions { topic, count } => Ok(ChangePlan::Partitions(
            topic_change::plan_partitions(client, &topic, count).await?,
        )),
        ChangeRequest::Truncate { topic, before } => {
            let point = match before {
                StartPosition::Offset(o) => TruncatePoint::Offset(o),
                pos => match pos.timestamp_ms(chrono::Utc::now())? {
                    Some(ms) => TruncatePoint::Time(ms),
                    None => {
                        return Err(Error::usage(
                            "give an offset or @TIME (e.g. 1500, @-2h), not a named position",
                        ))
                    }
                },
            };
            Ok(ChangePlan::Truncate(
                topic_change::plan_truncate(client, &topic, &point, &[]).await?,
            ))
        }
        ChangeRequest::Elect => Ok(ChangePlan::Elect(
            leader_election::plan(client, None).await?,
        )),
        ChangeRequest::CreateAcls(acls) => Ok(ChangePlan::Acls(
            acl_change::plan_create(client, acls).await?,
        )),
        ChangeRequest::DeleteAcls(filter) => Ok(ChangePlan::Acls(
            acl_change::plan_delete(client, acl_change::AclSelection::Filter(filter)).await?,
        )),
    }
}

/// Applies a plan (refused read-only by the client layer before anything is written).
pub async fn apply(
    client: &KafkaClient,
    settings: &ConnectionSettings,
    plan: ChangePlan,
) -> Result<ChangeOutcome> {
    match plan {
        ChangePlan::Config(p) => Ok(ChangeOutcome::Config(
            config_change::apply(client, settings, &p).await?,
        )),
        ChangePlan::Partitions(p) => Ok(ChangeOutcome::Partitions(
            topic_change::add_partitions(client, settings, &p).await?,
        )),
        ChangePlan::Truncate(p) => Ok(ChangeOutcome::Truncate(
            topic_change::truncate(client, settings, &p).await?,
        )),
        ChangePlan::Elect(p) => Ok(ChangeOutcome::Elect(
            leader_election::elect(client, settings, &p).await?,
        )),
        ChangePlan::Acls(p) => Ok(ChangeOutcome::Acls(
            acl_change::apply(client, settings, &p).await?,
        )),
    }
}
