//! Preferred leader election, for `kscope topic elect-leaders` and the console's brokers screen
//! alike: the plan lists the partitions not led by their preferred replica (the first replica)
//! and those that cannot move (their preferred replica is not in sync); running it is refused
//! read-only first, audited (`elect-leaders`), asks the controller (ElectLeaders), and reads
//! the metadata back until each partition is led by its preferred replica (or a few seconds
//! pass).

use crate::config::ConnectionSettings;
use crate::error::{Error, Result};
use crate::kafka::KafkaClient;
use crate::model::{ElectAction, ElectPartition, ElectPlan};

fn opt(v: Option<i32>) -> String {
    v.map_or("-".to_string(), |v| v.to_string())
}

/// Plans a preferred election of `topic`'s partitions, or every topic's (`None`).
pub async fn plan(client: &KafkaClient, topic: Option<&str>) -> Result<ElectPlan> {
    let parts = client.leadership(topic, true).await?;
    Ok(ElectPlan {
        scope: topic.map_or("all topics".to_string(), |t| format!("topic {t}")),
        executed: false,
        partitions: parts
            .iter()
            .filter(|p| p.not_preferred())
            .map(|p| ElectPartition {
                topic: p.topic.clone(),
                partition: p.partition,
                leader: p.leader,
                preferred: p.preferred,
                action: if p.electable() {
                    ElectAction::Elect
                } else {
                    ElectAction::Skip
                },
                leader_after: None,
                error: (!p.electable())
                    .then(|| format!("preferred replica {} is not in sync", opt(p.preferred))),
            })
            .collect(),
        moved: 0,
        read_back_error: None,
    })
}

/// Runs the planned election; the result says per partition whether it moved.
pub async fn elect(
    client: &KafkaClient,
    settings: &ConnectionSettings,
    plan: &ElectPlan,
) -> Result<ElectPlan> {
    let writer = client.writer(&format!("elect preferred leaders of {}", plan.scope))?;
    let targets: Vec<(String, i32)> = plan
        .partitions
        .iter()
        .filter(|p| p.action == ElectAction::Elect)
        .map(|p| (p.topic.clone(), p.partition))
        .collect();
    if targets.is_empty() {
        return Err(Error::usage(
            "nothing to elect: no partition's preferred replica is in sync and not leading",
        ));
    }
    let topic = plan.scope.strip_prefix("topic ");
    let mut report = plan.clone();
    let audit = super::change::Audit::new(settings, "elect-leaders")?;
    let fields = |r: &ElectPlan| serde_json::json!({"scope": r.scope, "partitions": r.partitions});
    audit.intent(&fields(&report))?;
    let results = match writer.elect_preferred_leaders(targets).await {
        Ok(r) => r,
        Err(e) => {
            let _ = audit.line("outcome", Some("failed"), &fields(&report));
            return Err(e);
        }
    };
    for p in report
        .partitions
        .iter_mut()
        .filter(|p| p.action == ElectAction::Elect)
    {
        if let Some((_, msg)) = results
            .iter()
            .find(|r| r.topic == p.topic && r.partition == p.partition)
            .and_then(|r| r.error.as_ref())
        {
            p.error = Some(msg.clone());
        }
    }
    // Read back: the metadata shows the new leaders a moment after the controller's answer.
    let mut after = client.leadership(topic, true).await;
    for _ in 0..20 {
        let done = match &after {
            Ok(now) => report
                .partitions
                .iter()
                .filter(|p| p.action == ElectAction::Elect && p.error.is_none())
                .all(|p| {
                    now.iter().any(|n| {
                        n.topic == p.topic && n.partition == p.partition && !n.not_preferred()
                    })
                }),
            Err(_) => false,
        };
        if done || client.budget_left() < std::time::Duration::from_millis(500) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        after = client.leadership(topic, true).await;
    }
    match &after {
        Ok(now) => {
            for p in report.partitions.iter_mut() {
                if let Some(n) = now
                    .iter()
                    .find(|n| n.topic == p.topic && n.partition == p.partition)
                {
                    p.leader_after = n.leader;
                    if p.action == ElectAction::Elect && p.error.is_none() && n.not_preferred() {
                        p.error =
                            Some(format!("still led by {} after the election", opt(n.leader)));
                    }
                }
            }
        }
        Err(e) => report.read_back_error = Some(e.to_string()),
    }
    report.executed = true;
    report.moved = report
        .partitions
        .iter()
        .filter(|p| p.action == ElectAction::Elect && p.error.is_none())
        .count();
    let not_moved = report.partitions.len() - report.moved;
    let result = if report.read_back_error.is_some() {
        "unverified"
    } else if not_moved == 0 {
        "applied"
    } else if report.moved > 0 {
        "partial"
    } else {
        "failed"
    };
    audit
        .line("outcome", Some(result), &fields(&report))
        .map_err(|e| Error::Io(format!("elected, but {e}")))?;
    Ok(report)
}
