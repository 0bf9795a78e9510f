use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::*;
use crate::model::{Failure, PartitionRef, Watermarks};
use crate::offsets::csv::CsvRow;
use crate::offsets::spec::TopicSpec;
use std::time::Duration;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn tp(t: &str, p: i32) -> PartitionRef {
    PartitionRef::new(t, p)
}

fn req(mode: ResetMode) -> ResetRequest {
    ResetRequest::new("g", Scope::Topics(vec![TopicSpec::whole("t")]), mode).unwrap()
}

/// Topic t: three partitions with the log at [10, 100]; committed: p0 at 50, p1 none,
/// p2 at 100.
fn inputs() -> PlanInputs {
    let parts = vec![tp("t", 0), tp("t", 1), tp("t", 2)];
    PlanInputs {
        scope: ResolvedScope {
            partitions: parts.clone(),
            gone: vec![],
        },
        committed: [(tp("t", 0), 50), (tp("t", 2), 100)].into_iter().collect(),
        watermarks: parts
            .iter()
            .map(|p| {
                (
                    p.clone(),
                    Watermarks {
                        low: Some(10),
                        high: Some(100),
                    },
                )
            })
            .collect(),
        ..PlanInputs::default()
    }
}

fn targets(plan: &ResetPlan) -> Vec<Option<i64>> {
    plan.partitions.iter().map(|p| p.target).collect()
}

#[test]
fn earliest_and_latest() {
    let plan = build_plan(&req(ResetMode::Earliest), &inputs(), now());
    assert_eq!(targets(&plan), vec![Some(10), Some(10), Some(10)]);
    assert_eq!(plan.partitions[0].delta, Some(-40));
    assert_eq!(plan.partitions[1].delta, None);
    assert_eq!(plan.partitions[1].current, None);
    assert_eq!(
        plan.partitions[1].note.as_deref(),
        Some("no committed offset")
    );
    assert_eq!(plan.partitions[2].delta, Some(-90));
    assert_eq!(plan.totals.replay_records, 130);
    assert_eq!(plan.totals.skip_records, 0);
    assert_eq!(plan.totals.net_delta, -130);
    assert_eq!(plan.totals.to_commit, 3);
    assert_eq!(plan.totals.changing, 3);
    assert_eq!(plan.totals.without_commit, 1);
    assert_eq!(plan.mode, "to-earliest");
    assert_eq!(plan.planned_at, "2024-01-02T03:04:05.000Z");

    let plan = build_plan(&req(ResetMode::Latest), &inputs(), now());
    assert_eq!(targets(&plan), vec![Some(100); 3]);
    assert_eq!(plan.partitions[0].delta, Some(50));
    assert_eq!(plan.partitions[2].delta, Some(0));
    assert_eq!(plan.totals.skip_records, 50);
    assert_eq!(plan.totals.unchanged, 1);
    assert_eq!(plan.totals.changing, 2);
}

#[test]
fn current_and_shift_skip_partitions_without_a_commit() {
    let plan = build_plan(&req(ResetMode::Current), &inputs(), now());
    assert_eq!(targets(&plan), vec![Some(50), None, Some(100)]);
    assert!(plan.partitions[1]
        .note
        .as_deref()
        .unwrap()
        .contains("skipped: there is no committed offset to keep"));
    assert_eq!(plan.totals.skipped, 1);
    assert_eq!(plan.totals.unchanged, 2);

    let plan = build_plan(&req(ResetMode::ShiftBy(-20)), &inputs(), now());
    assert_eq!(targets(&plan), vec![Some(30), None, Some(80)]);
    assert_eq!(plan.mode, "shift-by -20");
    assert!(plan.partitions[1]
        .note
        .as_deref()
        .unwrap()
        .contains("no committed offset to shift"));
    assert_eq!(plan.totals.replay_records, 40);
    assert_eq!(plan.commits().len(), 2);
}

#[test]
fn clamping_at_both_ends_says_so() {
    let plan = build_plan(&req(ResetMode::ShiftBy(-45)), &inputs(), now());
    let p0 = &plan.partitions[0];
    assert_eq!((p0.requested, p0.target), (Some(5), Some(10)));
    assert_eq!(
        p0.clamped.as_deref(),
        Some("5 is before the log start 10: clamped to 10")
    );
    let plan = build_plan(&req(ResetMode::ShiftBy(70)), &inputs(), now());
    let p0 = &plan.partitions[0];
    assert_eq!((p0.requested, p0.target), (Some(120), Some(100)));
    assert_eq!(
        p0.clamped.as_deref(),
        Some("120 is past the log end 100: clamped to 100")
    );
    assert_eq!(plan.totals.clamped, 2);

    let plan = build_plan(&req(ResetMode::Offset(1000)), &inputs(), now());
    assert_eq!(targets(&plan), vec![Some(100); 3]);
    assert_eq!(plan.totals.clamped, 3);
    let plan = build_plan(&req(ResetMode::Offset(0)), &inputs(), now());
    assert_eq!(targets(&plan), vec![Some(10); 3]);
    let plan = build_plan(&req(ResetMode::Offset(42)), &inputs(), now());
    assert_eq!(targets(&plan), vec![Some(42); 3]);
    assert_eq!(plan.totals.clamped, 0);
    assert!(plan.partitions.iter().all(|p| p.clamped.is_none()));
}

#[test]
fn times_fall_back_to_the_log_end() {
    let mut i = inputs();
    i.times = [(tp("t", 0), 20), (tp("t", 1), -1)].into_iter().collect();
    let plan = build_plan(&req(ResetMode::Datetime(1_704_164_645_000)), &i, now());
    assert_eq!(targets(&plan), vec![Some(20), Some(100), None]);
    assert_eq!(plan.timestamp, Some(1_704_164_645_000));
    assert_eq!(plan.mode, "to-datetime 2024-01-02T03:04:05.000Z");
    assert!(plan.partitions[1]
        .note
        .as_deref()
        .unwrap()
        .contains("no record at or after the time: the log end"));
    assert!(plan.partitions[2]
        .note
        .as_deref()
        .unwrap()
        .contains("skipped: the broker gave no offset for the time"));

    let plan = build_plan(
        &req(ResetMode::Duration(Duration::from_secs(900))),
        &i,
        now(),
    );
    assert_eq!(plan.timestamp, Some(1_704_164_645_000 - 900_000));
    assert_eq!(
        plan.mode,
        "by-duration 15m (since 2024-01-02T02:49:05.000Z)"
    );
    assert_eq!(targets(&plan), vec![Some(20), Some(100), None]);
}

#[test]
fn file_and_other_group() {
    let rows = vec![
        CsvRow {
            topic: "t".into(),
            partition: 0,
            offset: 60,
            line: 1,
        },
        CsvRow {
            topic: "t".into(),
            partition: 2,
            offset: 5,
            line: 2,
        },
    ];
    let mode = ResetMode::File {
        source: "plan.csv".into(),
        rows,
    };
    let r = ResetRequest::new("g", Scope::FromMode, mode).unwrap();
    let mut i = inputs();
    i.scope.partitions = vec![tp("t", 0), tp("t", 2)];
    let plan = build_plan(&r, &i, now());
    assert_eq!(targets(&plan), vec![Some(60), Some(10)]);
    assert!(plan.partitions[1].clamped.is_some());
    assert_eq!(plan.to_csv(), "t,0,60\nt,2,10\n");

    let r = ResetRequest::new(
        "g",
        Scope::Topics(vec![TopicSpec::whole("t")]),
        ResetMode::Group("h".into()),
    )
    .unwrap();
    let mut i = inputs();
    i.other = [(tp("t", 0), 70), (tp("t", 1), 11)].into_iter().collect();
    let plan = build_plan(&r, &i, now());
    assert_eq!(targets(&plan), vec![Some(70), Some(11), None]);
    assert!(plan.partitions[2]
        .note
        .as_deref()
        .unwrap()
        .contains("group 'h' has no committed offset here"));
}

#[test]
fn unknown_watermarks_skip_rather_than_guess() {
    let mut i = inputs();
    i.watermarks.remove(&tp("t", 1));
    let plan = build_plan(&req(ResetMode::Offset(42)), &i, now());
    assert_eq!(targets(&plan), vec![Some(42), None, Some(42)]);
    let plan = build_plan(&req(ResetMode::Earliest), &i, now());
    assert!(plan.partitions[1]
        .note
        .as_deref()
        .unwrap()
        .contains("log start offset is unknown"));
}

#[test]
fn requests_are_checked() {
    let file = ResetMode::File {
        source: "f".into(),
        rows: vec![],
    };
    assert!(ResetRequest::new("g", Scope::AllTopics, file.clone()).is_err());
    assert!(ResetRequest::new("g", Scope::FromMode, file).is_ok());
    assert!(ResetRequest::new("g", Scope::FromMode, ResetMode::Earliest).is_err());
    assert!(ResetRequest::new("g", Scope::FromMode, ResetMode::Group("h".into())).is_ok());
    assert!(ResetRequest::new("g", Scope::AllTopics, ResetMode::Group("g".into())).is_err());
    assert!(ResetRequest::new("", Scope::AllTopics, ResetMode::Earliest).is_err());
}

#[test]
fn scope_resolution() {
    let known: TopicPartitionsKnown = [
        ("t".to_string(), Some(vec![0, 1, 2])),
        ("gone".to_string(), None),
    ]
    .into_iter()
    .collect();
    let none = HashMap::new();
    let r = ResetRequest::new(
        "g",
        Scope::Topics(vec![
            TopicSpec {
                topic: "t".into(),
                partitions: Some(vec![2, 0]),
            },
            TopicSpec {
                topic: "t".into(),
                partitions: Some(vec![0]),
            },
        ]),
        ResetMode::Earliest,
    )
    .unwrap();
    let s = resolve_scope(&r, &known, &none, &none).unwrap();
    assert_eq!(s.partitions, vec![tp("t", 0), tp("t", 2)]);

    let r = ResetRequest::new(
        "g",
        Scope::Topics(vec![TopicSpec {
            topic: "t".into(),
            partitions: Some(vec![5]),
        }]),
        ResetMode::Earliest,
    )
    .unwrap();
    let e = resolve_scope(&r, &known, &none, &none).unwrap_err();
    assert_eq!(e.exit_code(), crate::error::exit::NOT_FOUND);
    assert!(e.to_string().contains("unknown partition t:5"), "{e}");

    let r = ResetRequest::new(
        "g",
        Scope::Topics(vec![TopicSpec::whole("gone")]),
        ResetMode::Earliest,
    )
    .unwrap();
    let e = resolve_scope(&r, &known, &none, &none).unwrap_err();
    assert_eq!(e.to_string(), "unknown topic 'gone'");

    // --all-topics: the group's own offsets; a deleted topic is shown, not reset.
    let committed: HashMap<PartitionRef, i64> =
        [(tp("t", 1), 5), (tp("gone", 0), 3)].into_iter().collect();
    let r = ResetRequest::new("g", Scope::AllTopics, ResetMode::Earliest).unwrap();
    let s = resolve_scope(&r, &known, &committed, &none).unwrap();
    assert_eq!(s.partitions, vec![tp("t", 1)]);
    assert_eq!(s.gone, vec![tp("gone", 0)]);
    let e = resolve_scope(&r, &known, &none, &none).unwrap_err();
    assert!(e.to_string().contains("no committed offsets"), "{e}");

    // A file naming a partition that does not exist: refused with its line.
    let r = ResetRequest::new(
        "g",
        Scope::FromMode,
        ResetMode::File {
            source: "p.csv".into(),
            rows: vec![CsvRow {
                topic: "t".into(),
                partition: 7,
                offset: 1,
                line: 3,
            }],
        },
    )
    .unwrap();
    let e = resolve_scope(&r, &known, &none, &none).unwrap_err();
    assert!(e.to_string().contains("t:7 (on line 3 of p.csv)"), "{e}");
}

#[test]
fn gone_partitions_are_shown_and_skipped() {
    let mut i = inputs();
    i.scope.gone = vec![tp("old", 0)];
    i.committed.insert(tp("old", 0), 9);
    let plan = build_plan(&req(ResetMode::Earliest), &i, now());
    assert_eq!(plan.partitions[0].topic, "old");
    assert_eq!(plan.partitions[0].target, None);
    assert_eq!(plan.partitions[0].current, Some(9));
    assert_eq!(plan.totals.skipped, 1);
}

#[test]
fn the_group_guard() {
    assert!(check_group_idle("g", &GroupStatus::default()).is_ok());
    for state in ["Empty", "Dead"] {
        let s = GroupStatus {
            state: Some(state.into()),
            ..GroupStatus::default()
        };
        assert!(check_group_idle("g", &s).is_ok());
    }
    let s = GroupStatus {
        state: Some("Stable".into()),
        members: vec!["app-1@/10.0.0.1".into(), "app-2@/10.0.0.2".into()],
        error: None,
    };
    let e = check_group_idle("g", &s).unwrap_err();
    assert_eq!(e.exit_code(), crate::error::exit::GROUP_ACTIVE);
    assert!(
        e.to_string()
            .contains("2 active member(s): app-1@/10.0.0.1, app-2@/10.0.0.2"),
        "{e}"
    );
    let s = GroupStatus {
        state: Some("PreparingRebalance".into()),
        ..GroupStatus::default()
    };
    assert_eq!(
        check_group_idle("g", &s).unwrap_err().exit_code(),
        crate::error::exit::GROUP_ACTIVE
    );
    let s = GroupStatus {
        state: Some("Unknown".into()),
        ..GroupStatus::default()
    };
    assert_eq!(
        check_group_idle("g", &s).unwrap_err().exit_code(),
        crate::error::exit::UNSUPPORTED
    );
    let s = GroupStatus {
        error: Some(Failure::from(crate::Error::unsupported(
            "DescribeGroups",
            None,
        ))),
        ..GroupStatus::default()
    };
    let e = check_group_idle("g", &s).unwrap_err();
    assert_eq!(e.exit_code(), crate::error::exit::UNSUPPORTED);
    assert!(
        e.to_string().starts_with("DescribeGroups is not supported"),
        "{e}"
    );
    // Client-chosen names stay exact in the error (JSON and the audit log carry them);
    // the one writer to stderr escapes them (cli::output::report).
    let s = GroupStatus {
        state: Some("Stable".into()),
        members: vec!["evil\x1b[2J@h".into()],
        error: None,
    };
    let e = check_group_idle("g", &s).unwrap_err().to_string();
    assert!(e.contains("evil\x1b[2J@h"), "{e}");
    assert!(crate::record::sanitize::escape_line(&e).contains("evil\\x1b[2J@h"));
}

#[test]
fn verification_reports_each_partition() {
    let commits = vec![
        ("t".to_string(), 0, 10),
        ("t".to_string(), 1, 10),
        ("t".to_string(), 2, 10),
    ];
    let before: HashMap<PartitionRef, i64> =
        [(tp("t", 0), 50), (tp("t", 2), 10)].into_iter().collect();
    let no_errors = HashMap::new();

    let read: HashMap<PartitionRef, i64> = [(tp("t", 0), 10), (tp("t", 1), 10), (tp("t", 2), 10)]
        .into_iter()
        .collect();
    let (parts, result) = verify(&commits, &before, Ok(&no_errors), Ok(&read));
    assert_eq!(result, ApplyResult::Applied);
    let statuses: Vec<PartitionStatus> = parts.iter().map(|p| p.status).collect();
    assert_eq!(
        statuses,
        vec![
            PartitionStatus::Changed,
            PartitionStatus::Changed,
            PartitionStatus::Unchanged
        ]
    );
    assert_eq!(parts[1].before, None);

    // One partition refused by the broker: partial, with its error.
    let errors: HashMap<PartitionRef, String> =
        [(tp("t", 1), "Broker: Unknown member".to_string())]
            .into_iter()
            .collect();
    let read: HashMap<PartitionRef, i64> =
        [(tp("t", 0), 10), (tp("t", 2), 10)].into_iter().collect();
    let (parts, result) = verify(&commits, &before, Ok(&errors), Ok(&read));
    assert_eq!(result, ApplyResult::Partial);
    assert_eq!(parts[1].status, PartitionStatus::Failed);
    assert_eq!(parts[1].error.as_deref(), Some("Broker: Unknown member"));

    // The whole request failed and nothing moved.
    let (parts, result) = verify(&commits[..1], &before, Err("timed out"), Ok(&before));
    assert_eq!(result, ApplyResult::Failed);
    assert_eq!(parts[0].error.as_deref(), Some("timed out"));

    // Read back shows something else: failed, saying what it saw.
    let read: HashMap<PartitionRef, i64> = [(tp("t", 0), 33)].into_iter().collect();
    let (parts, _) = verify(&commits[..1], &before, Ok(&no_errors), Ok(&read));
    assert_eq!(parts[0].error.as_deref(), Some("read back 33, expected 10"));

    // The read back failed: nothing can be claimed.
    let (parts, result) = verify(&commits, &before, Ok(&no_errors), Err("timeout"));
    assert_eq!(result, ApplyResult::Unverified);
    assert!(parts
        .iter()
        .all(|p| p.status == PartitionStatus::Unverified));
}

#[test]
fn confirmation_needs_the_exact_group_name() {
    let plan = build_plan(&req(ResetMode::Earliest), &inputs(), now());
    assert!(plan.confirmed_by("g"));
    assert!(plan.confirmed_by(" g\n"));
    assert!(!plan.confirmed_by("G"));
    assert!(!plan.confirmed_by(""));
    assert!(!plan.confirmed_by("yes"));
}

#[test]
fn a_plan_is_stale_when_offsets_moved() {
    let plan = build_plan(&req(ResetMode::Earliest), &inputs(), now());
    let same: HashMap<PartitionRef, i64> =
        [(tp("t", 0), 50), (tp("t", 2), 100)].into_iter().collect();
    assert!(check_unchanged_since_plan(&plan, &same).is_ok());
    let moved: HashMap<PartitionRef, i64> =
        [(tp("t", 0), 51), (tp("t", 2), 100)].into_iter().collect();
    let e = check_unchanged_since_plan(&plan, &moved).unwrap_err();
    assert!(e.to_string().contains("t:0 50 -> 51"), "{e}");
}
