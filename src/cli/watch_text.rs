//! `kscope watch`'s text output: an alert event as one line, the `--once` summary a monitoring
//! system reads, and the `--metrics` table.

use super::output::{opt, table};
use super::watch::check;
use crate::metrics::time::Millis;
use crate::metrics::time::{format_secs, rfc3339};
use crate::metrics::{AlertEvent, MetricsState, Snapshot};
use crate::record::sanitize::escape_text;

pub(super) fn event_text(e: &AlertEvent, silenced_until: Option<Millis>) -> String {
    let value = e.value.map_or("-".to_string(), |v| v.to_string());
    let silenced = silenced_until.map_or(String::new(), |t| {
        format!(" [silenced until {}]", rfc3339(t))
    });
    format!(
        "{} {:<8} {:<4} {} {} value={} ({}){silenced}",
        rfc3339(e.at),
        match e.state {
            crate::metrics::EventState::Firing => "FIRING",
            crate::metrics::EventState::Resolved => "RESOLVED",
        },
        e.severity,
        e.rule,
        e.resource,
        value,
        e.expr
    )
}

/// The Nagios-style status line, the firing alerts and what was not evaluated.
pub(super) fn check_summary(
    code: i32,
    firing: &[AlertEvent],
    state: &MetricsState,
    snap: &Snapshot,
    unseen: &[String],
) -> String {
    let word = match code {
        check::CRITICAL => "CRITICAL",
        check::WARNING => "WARNING",
        check::UNKNOWN => "UNKNOWN",
        _ => "OK",
    };
    let mut s = if firing.is_empty() && !unseen.is_empty() {
        format!(
            "{word}: not evaluated: {}\n",
            escape_text(&unseen.join("; "))
        )
    } else if firing.is_empty() {
        format!(
            "{word}: no alerts firing ({} topics, {} groups, {} rules)\n",
            snap.topics.len(),
            snap.groups.len(),
            state.rules().len()
        )
    } else {
        // The status line is what a monitoring system reads: a name must not break it.
        let list: Vec<String> = firing
            .iter()
            .map(|e| format!("{} {}", escape_text(&e.rule), escape_text(&e.resource)))
            .collect();
        format!("{word}: {} firing: {}\n", firing.len(), list.join(", "))
    };
    if !firing.is_empty() {
        s.push_str(&table(
            &["SEVERITY", "RULE", "RESOURCE", "VALUE", "RULE-TEXT"],
            firing
                .iter()
                .map(|e| {
                    vec![
                        e.severity.to_string(),
                        e.rule.clone(),
                        e.resource.clone(),
                        e.value.map_or("-".into(), |v| v.to_string()),
                        e.expr.clone(),
                    ]
                })
                .collect(),
        ));
    }
    if !firing.is_empty() && !unseen.is_empty() {
        s.push_str(&format!(
            "Not evaluated: {}\n",
            escape_text(&unseen.join("; "))
        ));
    }
    // A status rule says nothing yet about a group still measured: say so rather than let
    // "no alerts firing" read as "no group stalled".
    let status_rule = state
        .rules()
        .iter()
        .any(|r| r.condition.metric == crate::metrics::rules::Metric::Status);
    let measured: Vec<String> = snap
        .groups
        .iter()
        .filter_map(|g| {
            g.measuring
                .map(|m| format!("{} ({m})", escape_text(&g.group)))
        })
        .collect();
    if status_rule && !measured.is_empty() {
        s.push_str(&format!(
            "Status not told yet (a live group needs more samples than two): {}\n",
            measured.join(", ")
        ));
    }
    s
}

fn rate(v: Option<f64>) -> String {
    v.map_or("-".into(), |r| format!("{r:.1}/s"))
}

/// A compact text view of a snapshot: the cluster, busiest topics and the groups.
pub(super) fn metrics_table(s: &Snapshot) -> String {
    let mut out = format!(
        "{}  cluster {}  topics {}  partitions {}  under-replicated {}  offline {}  alerts {}\n",
        rfc3339(s.at),
        rate(s.cluster.rate),
        s.cluster.topics,
        s.cluster.partitions,
        s.cluster.under_replicated,
        s.cluster.offline,
        s.alerts.len()
    );
    if !s.leaderboards.topics_by_rate.is_empty() {
        out.push_str(&table(
            &["TOPIC", "RATE"],
            s.leaderboards
                .topics_by_rate
                .iter()
                .map(|r| vec![r.name.clone(), rate(Some(r.value))])
                .collect(),
        ));
    }
    if !s.groups.is_empty() {
        out.push_str(&table(
            &[
                "GROUP", "STATUS", "LAG", "LAG-TIME", "GROWTH", "CONSUME", "ETA",
            ],
            s.groups
                .iter()
                .map(|g| {
                    vec![
                        g.group.clone(),
                        match (g.status, g.measuring) {
                            _ if g.inactive => "inactive".to_string(),
                            (None, Some(m)) => m.to_string(),
                            (s, _) => opt(s),
                        },
                        opt(g.total_lag),
                        g.lag_seconds.map_or("-".into(), |s| {
                            format!(
                                "{}{}",
                                g.time_lag_method.map_or("", |m| m.mark()),
                                format_secs(s)
                            )
                        }),
                        rate(g.lag_growth),
                        rate(g.consume_rate),
                        g.eta_seconds.map_or("-".into(), format_secs),
                    ]
                })
                .collect(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{CommittedOffset, GroupSample, PartitionSample, Sample};

    fn sample(at: Millis, end: i64, committed: i64) -> Sample {
        Sample {
            at,
            partitions: vec![PartitionSample {
                topic: "orders".into(),
                partition: 0,
                log_start: Some(0),
                log_end: Some(end),
                leader: Some(1),
                replicas: 1,
                isr: 1,
            }],
            groups: vec![GroupSample {
                group: "billing".into(),
                // Members: two samples cannot tell STALL from a commit not yet made.
                state: Some("Stable".into()),
                offsets: vec![CommittedOffset {
                    topic: "orders".into(),
                    partition: 0,
                    offset: committed,
                }],
                unknown: Vec::new(),
                error: None,
            }],
            ..Sample::default()
        }
    }

    #[test]
    fn a_check_names_the_groups_whose_status_it_could_not_tell() {
        let mut state = MetricsState::new(Default::default(), crate::metrics::default_rules());
        state.ingest(&sample(1_000, 100, 50), 1_000);
        state.ingest(&sample(2_000, 110, 50), 2_000);
        let snap = state.snapshot(2_000);
        let text = check_summary(check::OK, &[], &state, &snap, &[]);
        assert!(text.starts_with("OK: no alerts firing"), "{text}");
        assert!(
            text.contains("Status not told yet (a live group needs more samples than two): billing (measuring (2 of 7))"),
            "{text}"
        );
        // Without a status rule there is nothing to say.
        let lag_only =
            vec![
                crate::metrics::AlertRule::new("lag", "lag > 1000", crate::model::Severity::Warn)
                    .unwrap(),
            ];
        let mut state = MetricsState::new(Default::default(), lag_only);
        state.ingest(&sample(1_000, 100, 50), 1_000);
        state.ingest(&sample(2_000, 110, 50), 2_000);
        let snap = state.snapshot(2_000);
        let text = check_summary(check::OK, &[], &state, &snap, &[]);
        assert!(!text.contains("Status not told"), "{text}");
    }
}
