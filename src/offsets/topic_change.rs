//! Irreversible changes of a topic, for `kscope topic partitions`, `kscope topic truncate` and
//! the console's topic screen alike: adding partitions (CreatePartitions) and deleting records
//! before a point (DeleteRecords). Each is planned first (the broker validates added
//! partitions; a truncation names per partition what goes and the groups that have not read
//! it); applying is refused read-only before anything is written, audits its intent and
//! outcome, and reads back.

use crate::config::ConnectionSettings;
use crate::error::{Error, Result};
use crate::kafka::native::OffsetSpec;
use crate::kafka::KafkaClient;
use crate::model::{
    BehindGroup, PartitionRef, PartitionsAdded, PartitionsPlan, TruncatePartition, TruncatePlan,
    TruncatePoint, PARTITIONS_NOTE,
};

/// Plans raising `topic` to `count` partitions; the broker validates it (nothing changes).
pub async fn plan_partitions(
    client: &KafkaClient,
    topic: &str,
    count: usize,
) -> Result<PartitionsPlan> {
    let before = client.partitions(topic).await?.len();
    if count <= before {
        return Err(Error::usage(format!(
            "topic '{topic}' has {before} partitions; the new count must be more than that \
             (partitions can only be added)"
        )));
    }
    client.validate_partitions(topic, count).await?;
    Ok(PartitionsPlan {
        topic: topic.to_string(),
        partitions_before: before,
        partitions_after: count,
        note: PARTITIONS_NOTE.to_string(),
    })
}

/// Adds the planned partitions: refused read-only first; audited (`topic-partitions`); the
/// metadata read back until it shows the new count (or a few seconds pass).
pub async fn add_partitions(
    client: &KafkaClient,
    settings: &ConnectionSettings,
    plan: &PartitionsPlan,
) -> Result<PartitionsAdded> {
    let topic = &plan.topic;
    let writer = client.writer(&format!("add partitions to topic '{topic}'"))?;
    let audit = super::change::Audit::new(settings, "topic-partitions")?;
    let fields = serde_json::json!({
        "topic": topic,
        "before": plan.partitions_before,
        "after": plan.partitions_after,
    });
    audit.intent(&fields)?;
    if let Err(e) = writer.create_partitions(topic, plan.partitions_after).await {
        let _ = audit.line("outcome", Some("failed"), &fields);
        return Err(e);
    }
    // Read back: metadata may lag the controller for a moment.
    let mut now = 0;
    for _ in 0..20 {
        now = client.partitions(topic).await.map(|p| p.len()).unwrap_or(0);
        if now == plan.partitions_after
            || client.budget_left() < std::time::Duration::from_millis(500)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let verified = now == plan.partitions_after;
    audit
        .line(
            "outcome",
            Some(if verified { "applied" } else { "unverified" }),
            &fields,
        )
        .map_err(|e| Error::Io(format!("applied, but {e}")))?;
    Ok(PartitionsAdded {
        partitions_now: now,
        verified,
    })
}

/// Plans deleting `topic`'s records before `point` in `partitions` (all when empty): per
/// partition the records that go and the new log start, and the groups whose committed offsets
/// fall below it. A partition whose offsets could not be read is not planned blind (exit 8).
pub async fn plan_truncate(
    client: &KafkaClient,
    topic: &str,
    point: &TruncatePoint,
    partitions: &[i32],
) -> Result<TruncatePlan> {
    let detail = client.topic(topic).await?;
    for p in partitions {
        if !detail.partitions.iter().any(|i| i.partition == *p) {
            return Err(Error::NotFound(format!(
                "topic '{topic}' has no partition {p} (it has 0 to {})",
                detail.partitions.len().saturating_sub(1)
            )));
        }
    }
    let chosen: Vec<&crate::model::PartitionInfo> = detail
        .partitions
        .iter()
        .filter(|p| partitions.is_empty() || partitions.contains(&p.partition))
        .collect();
    let refs: Vec<PartitionRef> = chosen
        .iter()
        .map(|p| PartitionRef::new(topic, p.partition))
        .collect();
    // Where each partition's deletion ends, before clamping to what the log holds.
    let targets: Vec<(i32, i64)> = match point {
        TruncatePoint::Offset(o) => chosen.iter().map(|p| (p.partition, *o)).collect(),
        TruncatePoint::Time(ms) => {
            let found = client
                .list_offsets(refs.clone(), OffsetSpec::Timestamp(*ms))
                .await?;
            if let Some(m) = found.missing.values().next() {
                return Err(Error::Incomplete(format!(
                    "not planned: {} ({} partition(s) could not be looked up)",
                    m.message,
                    found.missing.len()
                )));
            }
            chosen
                .iter()
                .map(|p| {
                    let o = found
                        .values
                        .get(&PartitionRef::new(topic, p.partition))
                        .copied()
                        .unwrap_or(-1);
                    // -1: no record at or after the time, so every record is before it.
                    (p.partition, if o < 0 { i64::MAX } else { o })
                })
                .collect()
        }
        TruncatePoint::Group(group) => {
            let committed = client.committed_offsets(group, Some(refs.clone())).await?;
            if let Some(m) = committed.missing.values().next() {
                return Err(Error::Incomplete(format!("not planned: {}", m.message)));
            }
            chosen
                .iter()
                .filter_map(|p| {
                    committed
                        .values
                        .get(&PartitionRef::new(topic, p.partition))
                        .map(|o| (p.partition, *o))
                })
                .collect()
        }
    };
    let mut plan = Vec::new();
    for (partition, target) in targets {
        let Some(info) = chosen.iter().find(|p| p.partition == partition) else {
            continue;
        };
        let (Some(start), Some(end)) = (info.low_watermark, info.high_watermark) else {
            return Err(Error::Incomplete(format!(
                "not planned: the log start and end of {topic}/{partition} are unknown (its \
                 leader did not answer)"
            )));
        };
        let new_start = target.clamp(start, end);
        plan.push(TruncatePartition {
            partition,
            log_start: start,
            log_end: end,
            new_log_start: new_start,
            records_deleted: new_start - start,
            result_log_start: None,
            error: None,
        });
    }
    plan.sort_by_key(|p| p.partition);
    // The groups that have not read what goes.
    let by = match point {
        TruncatePoint::Group(g) => Some(g),
        _ => None,
    };
    let mut behind = Vec::new();
    let mut unknown = Vec::new();
    for group in detail.groups.iter().filter(|g| Some(*g) != by) {
        match client.committed_offsets(group, Some(refs.clone())).await {
            Ok(c) => {
                let parts: Vec<i32> = plan
                    .iter()
                    .filter(|p| {
                        p.records_deleted > 0
                            && c.values
                                .get(&PartitionRef::new(topic, p.partition))
                                .is_some_and(|o| *o < p.new_log_start)
                    })
                    .map(|p| p.partition)
                    .collect();
                if !parts.is_empty() {
                    behind.push(BehindGroup {
                        group: group.clone(),
                        partitions: parts,
                    });
                }
                if !c.missing.is_empty() {
                    unknown.push(group.clone());
                }
            }
            Err(_) => unknown.push(group.clone()),
        }
    }
    Ok(TruncatePlan {
        topic: topic.to_string(),
        executed: false,
        records_deleted: plan.iter().map(|p| p.records_deleted).sum(),
        partitions: plan,
        groups_behind: behind,
        groups_unknown: unknown,
    })
}

/// Deletes the planned records: refused read-only first; audited (`topic-truncate`); each
/// partition's new log start (or its error) in the result, which is `executed`. Partitions the
/// broker refused are in the result (`failed()`), audited `partial`, or `failed` when it
/// refused every one.
pub async fn truncate(
    client: &KafkaClient,
    settings: &ConnectionSettings,
    plan: &TruncatePlan,
) -> Result<TruncatePlan> {
    let topic = &plan.topic;
    let writer = client.writer(&format!("delete records of topic '{topic}'"))?;
    let to_delete: Vec<(String, i32, i64)> = plan
        .partitions
        .iter()
        .filter(|p| p.records_deleted > 0)
        .map(|p| (topic.clone(), p.partition, p.new_log_start))
        .collect();
    if to_delete.is_empty() {
        return Err(Error::usage(
            "nothing to delete: every partition's log already starts there",
        ));
    }
    let mut report = plan.clone();
    let audit = super::change::Audit::new(settings, "topic-truncate")?;
    let fields = |r: &TruncatePlan| serde_json::json!({"topic": topic, "partitions": r.partitions});
    audit.intent(&fields(&report))?;
    let results = match writer.delete_records(to_delete).await {
        Ok(r) => r,
        Err(e) => {
            let _ = audit.line("outcome", Some("failed"), &fields(&report));
            return Err(e);
        }
    };
    for p in report
        .partitions
        .iter_mut()
        .filter(|p| p.records_deleted > 0)
    {
        match results.iter().find(|r| r.partition == p.partition) {
            Some(r) if r.error.is_none() => p.result_log_start = Some(r.offset),
            Some(r) => p.error = r.error.as_ref().map(|(_, m)| m.clone()),
            None => p.error = Some("no answer for this partition".to_string()),
        }
    }
    report.executed = true;
    let result = report.result();
    audit
        .line("outcome", Some(result), &fields(&report))
        .map_err(|e| Error::Io(format!("applied, but {e}")))?;
    Ok(report)
}
