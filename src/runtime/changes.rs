//! The broker side of the console's cluster changes: each request planned and each plan
//! applied by the engine the CLI uses (`offsets::config_change`, ...).

use crate::app::{ChangeOutcome, ChangePlan, ChangeRequest};
use crate::config::ConnectionSettings;
use crate::error::Result;
use crate::kafka::KafkaClient;
use crate::model::ConfigTarget;
use crate::offsets::config_change;

/// Plans a change; nothing is applied. The broker's refusal of a config change is in the plan.
pub async fn plan(client: &KafkaClient, request: ChangeRequest) -> Result<ChangePlan> {
    match request {
        ChangeRequest::Config { topic, edits } => {
            let (plan, _verdict) =
                config_change::plan(client, &ConfigTarget::Topic(topic), edits).await?;
            Ok(ChangePlan::Config(plan))
        }
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
    }
}
