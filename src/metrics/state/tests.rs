use super::*;
use crate::metrics::rules::default_rules;
use crate::metrics::sample::{CommittedOffset, GroupSample, PartitionSample};
use crate::metrics::status::Status;
use crate::metrics::EventState;
use crate::model::PartitionRef;
use crate::model::Severity;

const S: Millis = SECOND;

fn config() -> MetricsConfig {
    MetricsConfig {
        interval: 10 * S,
        windows: vec![
            WindowSpec::Tumbling(10 * S),
            WindowSpec::Sliding(30 * S),
            WindowSpec::Count(2),
        ],
        rate_window: 30 * S,
        status_window: 30 * S,
        history: 5 * MINUTE,
        top: 2,
        ..MetricsConfig::default()
    }
}

fn part(topic: &str, partition: i32, start: i64, end: i64) -> PartitionSample {
    PartitionSample {
        topic: topic.into(),
        partition,
        log_start: Some(start),
        log_end: Some(end),
        leader: Some(1),
        replicas: 1,
        isr: 1,
    }
}

fn group(name: &str, state: &str, offsets: &[(&str, i32, i64)]) -> GroupSample {
    GroupSample {
        group: name.into(),
        state: Some(state.into()),
        offsets: offsets
            .iter()
            .map(|(t, p, o)| CommittedOffset {
                topic: t.to_string(),
                partition: *p,
                offset: *o,
            })
            .collect(),
        unknown: Vec::new(),
        error: None,
    }
}

fn sample(at: Millis, partitions: Vec<PartitionSample>, groups: Vec<GroupSample>) -> Sample {
    Sample {
        at,
        partitions,
        groups,
        ..Sample::default()
    }
}

fn rate_of(m: &[WindowValue], w: WindowSpec) -> Option<f64> {
    m.iter().find(|v| v.window == w).and_then(|v| v.per_sec)
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-6)
}

#[test]
fn an_empty_state_has_no_rates_and_no_alerts() {
    let m = MetricsState::new(config(), default_rules());
    let snap = m.snapshot(0);
    assert!(snap.topics.is_empty() && snap.groups.is_empty() && snap.alerts.is_empty());
    assert_eq!(snap.cluster.rate, None);
    assert!(snap.cluster.rates.iter().all(|r| r.per_sec.is_none()));
    assert!(m.rate_buckets(None, 10 * S, 3, 0).is_empty());
    // One sample: a baseline, still no rate.
    let mut m = MetricsState::new(config(), Vec::new());
    m.ingest(&sample(0, vec![part("t", 0, 0, 100)], vec![]), 0);
    assert_eq!(m.topics(0)[0].rate, None);
}

#[test]
fn produce_rates_per_partition_topic_and_cluster() {
    let mut m = MetricsState::new(config(), Vec::new());
    for i in 0..=4 {
        let t = i * 10 * S;
        m.ingest(
            &sample(
                t,
                vec![
                    part("a", 0, 0, i * 100),
                    part("a", 1, 0, i * 50),
                    part("b", 0, 0, i * 10),
                ],
                vec![],
            ),
            t,
        );
    }
    let now = 40 * S;
    let topics = m.topics(now);
    assert_eq!(topics.len(), 2);
    assert!(close(topics[0].rate, 15.0), "{:?}", topics[0]);
    assert!(close(
        rate_of(&topics[0].rates, WindowSpec::Tumbling(10 * S)),
        15.0
    ));
    assert!(close(rate_of(&topics[0].rates, WindowSpec::Count(2)), 15.0));
    assert!(close(topics[1].rate, 1.0));
    let parts = m.partitions("a", now);
    assert!(close(
        rate_of(&parts[0].rates, WindowSpec::Sliding(30 * S)),
        10.0
    ));
    assert!(close(
        rate_of(&parts[1].rates, WindowSpec::Sliding(30 * S)),
        5.0
    ));
    let c = m.cluster(now);
    assert_eq!(
        c,
        m.cluster_direct(now),
        "summed over topics or partitions alike"
    );
    assert_eq!((c.topics, c.partitions), (2, 3));
    assert!(close(c.rate, 16.0));
    let b = m.rate_buckets(Some("a"), 10 * S, 2, now);
    assert_eq!(b.len(), 2);
    assert!(close(b[0].per_sec, 15.0) && b[0].complete);
    let lb = m.leaderboards(now);
    assert_eq!(lb.topics_by_rate[0].name, "a");
}

#[test]
fn out_of_order_samples_are_counted_and_ignored() {
    let mut m = MetricsState::new(config(), Vec::new());
    m.ingest(&sample(10 * S, vec![part("t", 0, 0, 100)], vec![]), 10 * S);
    m.ingest(&sample(20 * S, vec![part("t", 0, 0, 200)], vec![]), 20 * S);
    // An older sample (and one with the same time) would make a negative interval.
    m.ingest(&sample(15 * S, vec![part("t", 0, 0, 150)], vec![]), 20 * S);
    m.ingest(&sample(20 * S, vec![part("t", 0, 0, 999)], vec![]), 20 * S);
    m.ingest(&sample(30 * S, vec![part("t", 0, 0, 300)], vec![]), 30 * S);
    let snap = m.snapshot(30 * S);
    assert_eq!((snap.samples, snap.out_of_order), (3, 2));
    assert!(close(snap.topics[0].rate, 10.0));
}

#[test]
fn a_recreated_topic_counts_only_what_the_new_one_holds() {
    let mut m = MetricsState::new(config(), Vec::new());
    m.ingest(&sample(0, vec![part("t", 0, 0, 1000)], vec![]), 0);
    m.ingest(&sample(10 * S, vec![part("t", 0, 0, 1100)], vec![]), 10 * S);
    // Deleted and created again: the log end drops to what the new topic got (50).
    m.ingest(&sample(20 * S, vec![part("t", 0, 0, 50)], vec![]), 20 * S);
    m.ingest(&sample(30 * S, vec![part("t", 0, 0, 150)], vec![]), 30 * S);
    let t = &m.topics(30 * S)[0];
    assert_eq!(t.resets, 1);
    // 100 + 50 + 100 over 30 s, never a negative rate.
    assert!(close(t.rate, 250.0 / 30.0), "{t:?}");
    // A group still at the old topic's offsets has no lag rather than a negative one.
    let mut m2 = m.clone();
    m2.ingest(
        &sample(
            40 * S,
            vec![part("t", 0, 0, 160)],
            vec![group("g", "Empty", &[("t", 0, 1100)])],
        ),
        40 * S,
    );
    assert_eq!(m2.groups(40 * S)[0].total_lag, None);
}

#[test]
fn a_truncated_topic_keeps_its_rate() {
    let mut m = MetricsState::new(config(), Vec::new());
    m.ingest(&sample(0, vec![part("t", 0, 0, 1000)], vec![]), 0);
    m.ingest(&sample(10 * S, vec![part("t", 0, 0, 1100)], vec![]), 10 * S);
    // Records deleted up to 900: the log start moves, the log end does not.
    m.ingest(
        &sample(20 * S, vec![part("t", 0, 900, 1200)], vec![]),
        20 * S,
    );
    let t = &m.topics(20 * S)[0];
    assert_eq!(t.resets, 0);
    assert!(close(t.rate, 10.0));
    assert_eq!(m.partitions("t", 20 * S)[0].log_start, Some(900));
}

#[test]
fn an_added_partition_counts_from_its_start_without_a_spike() {
    let mut m = MetricsState::new(config(), Vec::new());
    m.ingest(&sample(0, vec![part("t", 0, 0, 0)], vec![]), 0);
    m.ingest(&sample(10 * S, vec![part("t", 0, 0, 100)], vec![]), 10 * S);
    // Partition 1 appears with 100 records written since the last sample.
    m.ingest(
        &sample(
            20 * S,
            vec![part("t", 0, 0, 200), part("t", 1, 0, 100)],
            vec![],
        ),
        20 * S,
    );
    let t = &m.topics(20 * S)[0];
    assert_eq!(t.partitions, 2);
    assert!(
        close(rate_of(&t.rates, WindowSpec::Tumbling(10 * S)), 20.0),
        "{t:?}"
    );
    // A topic that was there from the first sample is a baseline, not a burst.
    let mut m = MetricsState::new(config(), Vec::new());
    m.ingest(&sample(0, vec![part("old", 0, 0, 1_000_000)], vec![]), 0);
    m.ingest(
        &sample(10 * S, vec![part("old", 0, 0, 1_000_000)], vec![]),
        10 * S,
    );
    assert!(close(m.topics(10 * S)[0].rate, 0.0));
}

#[test]
fn a_topic_that_blinks_out_of_metadata_is_not_a_burst() {
    let mut m = MetricsState::new(config(), Vec::new());
    m.ingest(&sample(0, vec![part("t", 0, 0, 5000)], vec![]), 0);
    m.ingest(&sample(10 * S, vec![], vec![]), 10 * S);
    assert!(m.topics(10 * S).is_empty());
    m.ingest(&sample(20 * S, vec![part("t", 0, 0, 5100)], vec![]), 20 * S);
    assert!(close(m.topics(20 * S)[0].rate, 5.0));
}

/// A group consuming topic t (one partition, 10 records/s produced) at `speed` records/s.
fn run_group(m: &mut MetricsState, speeds: &[(i64, &str)]) {
    let (mut end, mut committed) = (1000i64, 600i64);
    for (i, (speed, state)) in speeds.iter().enumerate() {
        let t = i as Millis * 10 * S;
        end += 100;
        committed = (committed + speed * 10).min(end);
        m.ingest(
            &sample(
                t,
                vec![part("t", 0, 0, end)],
                vec![group("g", state, &[("t", 0, committed)])],
            ),
            t,
        );
    }
}

#[test]
fn consume_rate_lag_growth_and_eta() {
    let mut m = MetricsState::new(config(), Vec::new());
    run_group(&mut m, &[(15, "Stable"); 5]);
    let g = &m.groups(40 * S)[0];
    // Lag 350, 300, 250, 200, 150: consuming 15/s while 10/s are produced.
    assert!(close(g.consume_rate, 15.0), "{g:?}");
    assert!(close(g.lag_growth, -5.0), "{g:?}");
    assert_eq!(g.total_lag, Some(150));
    assert!(close(g.eta_seconds, 30.0), "{g:?}");
    assert_eq!(g.status, Some(Status::Ok));
    assert_eq!(m.lag_series("g").len(), 5);
    assert_eq!(
        m.consume_buckets("g", 10 * S, 2, 40 * S)[0].per_sec,
        Some(15.0)
    );
    let p = &m.group_partitions("g", 40 * S)[0];
    assert_eq!(
        (p.committed, p.log_end, p.lag),
        (1350, Some(1500), Some(150))
    );
    // Record 1350 was written when the end passed 1351: between 1300 at 20 s and 1400 at
    // 30 s, at 25.1 s.
    assert!((p.lag_seconds.unwrap() - 14.9).abs() < 1e-6, "{p:?}");
    assert_eq!(
        p.time_lag_method,
        Some(crate::model::TimeLagMethod::Estimate)
    );
    assert_eq!(
        g.time_lag_method,
        Some(crate::model::TimeLagMethod::Estimate)
    );
    assert!(close(p.eta_seconds, 30.0));
    assert!((g.lag_seconds.unwrap() - 14.9).abs() < 1e-6);
}

fn record_time(offset: i64, timestamp: Millis, from_log_start: bool) -> crate::model::RecordTime {
    crate::model::RecordTime {
        topic: "t".into(),
        partition: 0,
        offset,
        record_offset: offset,
        timestamp,
        from_log_start,
    }
}

#[test]
fn time_lag_is_exact_from_the_record_at_the_committed_offset() {
    use crate::model::TimeLagMethod;
    // A fresh engine (one sample, no history): a group stopped at a record written 50 min
    // before kscope started is 50 min behind, not kscope's uptime.
    let now = 3_600 * S;
    let mut m = MetricsState::new(config(), default_rules());
    let mut s = sample(
        now,
        vec![part("t", 0, 0, 1_000), part("t", 1, 0, 10)],
        vec![group("g", "Empty", &[("t", 0, 400), ("t", 1, 10)])],
    );
    s.record_times = vec![record_time(400, now - 3_000 * S, false)];
    m.ingest(&s, now);
    let ps = m.group_partitions("g", now);
    assert_eq!(ps[0].lag_seconds, Some(3_000.0));
    assert_eq!(ps[0].time_lag_method, Some(TimeLagMethod::Exact));
    // Lag 0: time lag 0, exactly, without reading anything.
    assert_eq!(ps[1].lag_seconds, Some(0.0));
    assert_eq!(ps[1].time_lag_method, Some(TimeLagMethod::Exact));
    let g = m.group("g", now).unwrap();
    assert_eq!(g.lag_seconds, Some(3_000.0));
    assert_eq!(g.time_lag_method, Some(TimeLagMethod::Exact));
    // The default lag-seconds rule sees the true age (its `for` aside).
    let fired = m.check(now);
    assert!(fired.iter().any(|e| e.rule == "lag-seconds"), "{fired:?}");

    // The next sample lacks the record (read before, same offset): still exact, and it ages.
    let later = now + 10 * S;
    m.ingest(
        &sample(
            later,
            vec![part("t", 0, 0, 1_000), part("t", 1, 0, 10)],
            vec![group("g", "Empty", &[("t", 0, 400), ("t", 1, 10)])],
        ),
        later,
    );
    let p = &m.group_partitions("g", later)[0];
    assert_eq!(p.lag_seconds, Some(3_010.0));
    assert_eq!(p.time_lag_method, Some(TimeLagMethod::Exact));

    // The group moved and its new record was not read: an estimate, marked as such.
    let later = later + 10 * S;
    m.ingest(
        &sample(
            later,
            vec![part("t", 0, 0, 1_000), part("t", 1, 0, 10)],
            vec![group("g", "Stable", &[("t", 0, 500), ("t", 1, 10)])],
        ),
        later,
    );
    let p = &m.group_partitions("g", later)[0];
    assert_ne!(p.time_lag_method, Some(TimeLagMethod::Exact), "{p:?}");
    assert_ne!(
        m.group("g", later).unwrap().time_lag_method,
        Some(TimeLagMethod::Exact)
    );

    // Committed below the log start: the first kept record's time, said so.
    let later = later + 10 * S;
    let mut s = sample(
        later,
        vec![part("t", 0, 600, 1_000), part("t", 1, 0, 10)],
        vec![group("g", "Empty", &[("t", 0, 500), ("t", 1, 10)])],
    );
    s.record_times = vec![record_time(500, later - 60 * S, true)];
    m.ingest(&s, later);
    let p = &m.group_partitions("g", later)[0];
    assert_eq!(p.lag_seconds, Some(60.0));
    assert_eq!(p.time_lag_method, Some(TimeLagMethod::Exact));
    assert!(p.time_lag_from_log_start);
}

#[test]
fn too_few_samples_are_measuring_and_header_and_rows_agree() {
    use crate::metrics::status::Measuring;
    // Window 30 s at 10 s: a verdict on a live group takes 4 samples.
    let mut m = MetricsState::new(config(), Vec::new());
    let speeds = [(0, "Stable"); 4];
    for n in 1..=3 {
        run_group(&mut m, &speeds[..n]);
        let now = (n as Millis - 1) * 10 * S;
        let g = m.group("g", now).unwrap();
        // Not moving (yet): measuring, never a STALL from too few samples.
        assert_eq!(g.status, None, "{n} samples: {g:?}");
        let want = Some(Measuring {
            have: n.min(3),
            need: 4,
        });
        assert_eq!(g.measuring, want, "{n} samples");
        let rows = m.group_partitions("g", now);
        assert_eq!(rows[0].status, None);
        assert_eq!(rows[0].measuring, want);
        m = MetricsState::new(config(), Vec::new());
    }
    run_group(&mut m, &speeds);
    let now = 30 * S;
    let g = m.group("g", now).unwrap();
    assert_eq!((g.status, g.measuring), (Some(Status::Stall), None));
    // Header and rows from one evaluation: the worst row is the header, same time lag.
    let rows = m.group_partitions("g", now);
    assert_eq!(rows[0].status, g.status);
    assert_eq!(rows[0].lag_seconds, g.lag_seconds);
    // With no members the same offsets are a STOP after two samples.
    let mut m = MetricsState::new(config(), Vec::new());
    run_group(&mut m, &[(0, "Empty"); 4]);
    assert_eq!(m.group("g", 30 * S).unwrap().status, Some(Status::Stop));
    let snap = m.latest().unwrap();
    let json = serde_json::to_value(&snap.groups[0]).unwrap();
    assert_eq!(json["status"], "STOP");
    assert!(json["measuring"].is_null());
}

#[test]
fn abandoned_groups_are_inactive_and_ignored_ones_are_not_seen() {
    use crate::metrics::rules::AlertRule;
    let now = 100 * 3_600 * S;
    let cfg = MetricsConfig {
        ignore_groups: vec!["tmp-*".into()],
        ignore_topics: vec!["scratch".into()],
        ..config()
    };
    let named = AlertRule::new("named", "lag(old) > 10", Severity::Warn).unwrap();
    let any = AlertRule::new("any", "lag > 10", Severity::Warn).unwrap();
    let mut m = MetricsState::new(cfg, vec![named, any]);
    let mk = |at: Millis, old_state: &str| {
        let mut s = sample(
            at,
            vec![
                part("t", 0, 0, 1_000),
                part("t", 1, 0, 1_000),
                part("scratch", 0, 0, 50),
            ],
            vec![
                // Empty, its next record 2 days old: inactive.
                group("old", old_state, &[("t", 0, 100)]),
                // Empty, next record an hour old: only stopped.
                group("recent", "Empty", &[("t", 1, 900)]),
                group("tmp-1", "Empty", &[("t", 0, 0)]),
                group("scratcher", "Empty", &[("scratch", 0, 0)]),
            ],
        );
        s.record_times = vec![
            crate::model::RecordTime {
                topic: "t".into(),
                partition: 0,
                offset: 100,
                record_offset: 100,
                timestamp: at - 48 * 3_600 * S,
                from_log_start: false,
            },
            crate::model::RecordTime {
                topic: "t".into(),
                partition: 1,
                offset: 900,
                record_offset: 900,
                timestamp: at - 3_600 * S,
                from_log_start: false,
            },
        ];
        s
    };
    m.ingest(&mk(now, "Empty"), now);
    let groups = m.groups(now);
    let names: Vec<&str> = groups.iter().map(|g| g.group.as_str()).collect();
    // Ignored groups are not tracked; a group on an ignored topic has nothing sampled.
    assert_eq!(names, ["old", "recent", "scratcher"]);
    assert_eq!(groups[2].partitions, 0);
    assert!(m.topics(now).iter().all(|t| t.topic != "scratch"));
    let old = &groups[0];
    assert!(old.inactive, "{old:?}");
    assert!(!groups[1].inactive);
    // Left out of the leaderboards and of rules that do not name it.
    let lb = m.leaderboards(now);
    assert!(lb.groups_by_lag.iter().all(|r| r.name != "old"), "{lb:?}");
    let fired = m.check(now);
    let hits: Vec<(&str, &str)> = fired
        .iter()
        .map(|e| (e.rule.as_str(), e.resource.as_str()))
        .collect();
    assert!(hits.contains(&("named", "old")), "{hits:?}");
    assert!(hits.contains(&("any", "recent")), "{hits:?}");
    assert!(!hits.contains(&("any", "old")), "{hits:?}");
    // With a member it is not inactive, however old its next record.
    m.ingest(&mk(now + 10 * S, "Stable"), now + 10 * S);
    assert!(!m.group("old", now + 10 * S).unwrap().inactive);
}

#[test]
fn group_status_warn_stall_stop_and_rewind() {
    // Falling behind while moving.
    let mut m = MetricsState::new(config(), Vec::new());
    run_group(&mut m, &[(5, "Stable"); 5]);
    let g = &m.groups(40 * S)[0];
    assert_eq!(g.status, Some(Status::Warn));
    assert!(close(g.lag_growth, 5.0));
    assert_eq!(g.eta_seconds, None);
    assert_eq!(
        g.worst_partition,
        Some(PartitionRef {
            topic: "t".into(),
            partition: 0
        })
    );

    // Members but not moving: STALL. No members: STOP.
    let mut m = MetricsState::new(config(), Vec::new());
    run_group(
        &mut m,
        &[
            (5, "Stable"),
            (0, "Stable"),
            (0, "Stable"),
            (0, "Stable"),
            (0, "Stable"),
        ],
    );
    assert_eq!(m.groups(40 * S)[0].status, Some(Status::Stall));
    let mut m = MetricsState::new(config(), Vec::new());
    run_group(
        &mut m,
        &[
            (5, "Stable"),
            (0, "Empty"),
            (0, "Empty"),
            (0, "Empty"),
            (0, "Empty"),
        ],
    );
    assert_eq!(m.groups(40 * S)[0].status, Some(Status::Stop));

    // An offset reset backwards.
    let mut m = MetricsState::new(config(), Vec::new());
    m.ingest(
        &sample(
            0,
            vec![part("t", 0, 0, 1000)],
            vec![group("g", "Stable", &[("t", 0, 900)])],
        ),
        0,
    );
    m.ingest(
        &sample(
            10 * S,
            vec![part("t", 0, 0, 1100)],
            vec![group("g", "Stable", &[("t", 0, 1000)])],
        ),
        10 * S,
    );
    m.ingest(
        &sample(
            20 * S,
            vec![part("t", 0, 0, 1200)],
            vec![group("g", "Stable", &[("t", 0, 100)])],
        ),
        20 * S,
    );
    let g = &m.groups(20 * S)[0];
    assert_eq!(g.status, Some(Status::Rewind));
    assert_eq!(g.rewinds, 1);
    // The rewind is not counted as consumption (neither negative nor a burst).
    assert!(close(g.consume_rate, 10.0), "{g:?}");
}

#[test]
fn failed_group_reads_keep_the_last_numbers() {
    let mut m = MetricsState::new(config(), Vec::new());
    m.ingest(
        &sample(
            0,
            vec![part("t", 0, 0, 100)],
            vec![group("g", "Stable", &[("t", 0, 50)])],
        ),
        0,
    );
    let mut failed = group("g", "Stable", &[]);
    failed.error = Some("OffsetFetch timed out".into());
    m.ingest(
        &sample(10 * S, vec![part("t", 0, 0, 200)], vec![failed]),
        10 * S,
    );
    let g = &m.groups(10 * S)[0];
    assert_eq!(g.total_lag, Some(50));
    assert_eq!(g.error.as_deref(), Some("OffsetFetch timed out"));
}

#[test]
fn a_partition_without_a_log_end_makes_rates_unknown_not_smaller() {
    let rules = vec![AlertRule::new("quiet", "rate(t) < 5/s", Severity::Warn).unwrap()];
    let mut m = MetricsState::new(config(), rules);
    // Two partitions, 100 records per 10 s each.
    for i in 0..4 {
        let t = i * 10 * S;
        m.ingest(
            &sample(
                t,
                vec![part("t", 0, 0, 100 * i), part("t", 1, 0, 100 * i)],
                vec![],
            ),
            t,
        );
    }
    let t = &m.topics(30 * S)[0];
    assert!(close(t.rate, 20.0), "{t:?}");
    assert_eq!(t.missing_partitions, 0);
    // Partition 1's leader does not answer: its log end is unknown.
    let mut gone = part("t", 1, 0, 0);
    gone.log_end = None;
    gone.log_start = None;
    let events = m.ingest(
        &sample(40 * S, vec![part("t", 0, 0, 400), gone], vec![]),
        40 * S,
    );
    assert!(
        events.is_empty(),
        "a partial rate fired an alert: {events:?}"
    );
    let t = &m.topics(40 * S)[0];
    assert_eq!(t.missing_partitions, 1);
    assert_eq!(t.rate, None, "the rate of one partition is not the topic's");
    assert!(t.rates.iter().all(|r| r.per_sec.is_none()), "{t:?}");
    let c = m.cluster(40 * S);
    assert_eq!((c.rate, c.missing_partitions), (None, 1));
    // It answers again: everything written meanwhile counts, in its own time.
    m.ingest(
        &sample(
            50 * S,
            vec![part("t", 0, 0, 500), part("t", 1, 0, 500)],
            vec![],
        ),
        50 * S,
    );
    let t = &m.topics(50 * S)[0];
    assert_eq!(t.missing_partitions, 0);
    assert!(close(t.rate, 20.0), "{t:?}");
}

#[test]
fn an_incomplete_group_holds_its_alerts_and_extends_no_trend() {
    let rules = vec![
        AlertRule::new("lagging", "lag(g) > 300", Severity::Warn).unwrap(),
        AlertRule::new("stuck", "status in [STALL, STOP]", Severity::Crit).unwrap(),
    ];
    let mut m = MetricsState::new(config(), rules);
    let parts = |t: Millis, end1: Option<i64>| {
        let mut p1 = part("t", 1, 0, end1.unwrap_or(0));
        p1.log_end = end1;
        vec![part("t", 0, 0, 1_000 + t / S), p1]
    };
    // Lag 500 on partition 0 and 500 on partition 1: the lag rule fires.
    let mut fired = Vec::new();
    for i in 0..3 {
        let t = i * 10 * S;
        fired.extend(m.ingest(
            &sample(
                t,
                parts(t, Some(1_000)),
                vec![group(
                    "g",
                    "Stable",
                    &[("t", 0, 500 + t / S), ("t", 1, 500)],
                )],
            ),
            t,
        ));
    }
    assert!(fired.iter().any(|e| e.rule == "lagging"), "{fired:?}");
    let trend_before = m.lag_series("g").len();
    // Partition 1's leader goes away; the group also catches up on partition 0 so that
    // the partial total (0 + unknown) would resolve the alert if it were taken as whole.
    let t = 30 * S;
    let events = m.ingest(
        &sample(
            t,
            parts(t, None),
            vec![group(
                "g",
                "Stable",
                &[("t", 0, 1_000 + t / S), ("t", 1, 500)],
            )],
        ),
        t,
    );
    assert!(
        events.is_empty(),
        "a partial lag resolved or fired: {events:?}"
    );
    let g = &m.groups(t)[0];
    assert!(
        g.incomplete.as_deref().is_some_and(|w| w.contains("t/1")),
        "{g:?}"
    );
    assert_eq!(g.total_lag, Some(0), "a lower bound, marked incomplete");
    assert_eq!(g.status, None);
    assert_eq!(g.eta_seconds, None);
    assert_eq!(
        m.lag_series("g").len(),
        trend_before,
        "no partial trend point"
    );
    assert!(m.alerts().iter().any(|a| a.rule == "lagging"), "held");
}

#[test]
fn consumption_counts_only_between_samples_that_read_every_partition() {
    let mut m = MetricsState::new(config(), Vec::new());
    let ends = vec![part("t", 0, 0, 10_000), part("t", 1, 0, 10_000)];
    m.ingest(
        &sample(
            0,
            ends.clone(),
            vec![group("g", "Stable", &[("t", 0, 0), ("t", 1, 0)])],
        ),
        0,
    );
    // Partition 1's committed offset cannot be read at 10 s.
    let mut partial = group("g", "Stable", &[("t", 0, 100)]);
    partial.unknown = vec![PartitionRef::new("t", 1)];
    m.ingest(&sample(10 * S, ends.clone(), vec![partial]), 10 * S);
    let g = &m.groups(10 * S)[0];
    assert!(g.incomplete.is_some(), "{g:?}");
    assert_eq!(
        g.consume_rate, None,
        "one partition's progress is not the group's"
    );
    // At 20 s both are read again; partition 1 moved 200 over 20 s, partition 0 100 in 10 s.
    m.ingest(
        &sample(
            20 * S,
            ends,
            vec![group("g", "Stable", &[("t", 0, 200), ("t", 1, 200)])],
        ),
        20 * S,
    );
    let g = &m.groups(20 * S)[0];
    assert!(g.incomplete.is_none());
    // The 10-20 s delta spans a partition last read at 0 s: it is not a rate either.
    assert_eq!(g.consume_rate, None, "{g:?}");
}

#[test]
fn alerts_fire_and_resolve_from_samples() {
    let rules = vec![
        AlertRule::new("stuck", "status in [STALL, STOP]", Severity::Crit).unwrap(),
        AlertRule::new("lagging", "lag(g*) > 300 for 10s", Severity::Warn).unwrap(),
        AlertRule::new("quiet", "rate(t) < 1/s", Severity::Warn).unwrap(),
        AlertRule::new("urp", "under_replicated > 0", Severity::Crit).unwrap(),
    ];
    let mut m = MetricsState::new(config(), rules);
    let mut events = Vec::new();
    let (mut end, committed) = (1000i64, 900i64);
    for i in 0..6 {
        let t = i * 10 * S;
        end += 100;
        let mut p = part("t", 0, 0, end);
        if i == 5 {
            p.isr = 0;
        }
        for e in m.ingest(
            &sample(
                t,
                vec![p],
                vec![group("g", "Empty", &[("t", 0, committed)])],
            ),
            t,
        ) {
            events.push((t, e.rule.clone(), e.state));
        }
    }
    assert!(
        events.contains(&(30 * S, "stuck".into(), EventState::Firing)),
        "{events:?}"
    );
    // Lag 400 at 20 s (> 300), held for 10 s at 30 s.
    assert!(
        events.contains(&(30 * S, "lagging".into(), EventState::Firing)),
        "{events:?}"
    );
    assert!(
        events.contains(&(50 * S, "urp".into(), EventState::Firing)),
        "{events:?}"
    );
    assert!(!events.iter().any(|e| e.1 == "quiet"));
    assert_eq!(m.check(50 * S).len(), 3);
    let active = m.alerts();
    assert_eq!(active[0].severity, Severity::Crit);

    // The consumer catches up: both group alerts resolve after two good samples.
    let mut later = Vec::new();
    for i in 6..9 {
        let t = i * 10 * S;
        for e in m.ingest(
            &sample(
                t,
                vec![part("t", 0, 0, end)],
                vec![group("g", "Stable", &[("t", 0, end)])],
            ),
            t,
        ) {
            later.push((t, e.rule.clone(), e.state));
        }
    }
    assert!(
        later.contains(&(70 * S, "stuck".into(), EventState::Resolved)),
        "{later:?}"
    );
    assert!(
        later.contains(&(70 * S, "lagging".into(), EventState::Resolved)),
        "{later:?}"
    );
    assert!(
        later.contains(&(70 * S, "urp".into(), EventState::Resolved)),
        "{later:?}"
    );
    // Nothing produced since 50 s: by 80 s the 30 s rate window is empty of records.
    assert!(
        later.contains(&(80 * S, "quiet".into(), EventState::Firing)),
        "{later:?}"
    );
    assert_eq!(later.len(), 4);
}

#[test]
fn leaderboards_rank_and_truncate() {
    let items = vec![
        Ranked {
            name: "b".into(),
            value: 1.0,
        },
        Ranked {
            name: "a".into(),
            value: 1.0,
        },
        Ranked {
            name: "c".into(),
            value: 5.0,
        },
    ];
    let top = top_n(items, 2);
    assert_eq!(
        top.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["c", "a"]
    );
}

#[test]
fn state_is_forgotten_after_the_history() {
    let mut m = MetricsState::new(config(), Vec::new());
    m.ingest(
        &sample(
            0,
            vec![part("gone", 0, 0, 1)],
            vec![group("g", "Empty", &[("gone", 0, 1)])],
        ),
        0,
    );
    m.ingest(&sample(10 * S, vec![part("t", 0, 0, 1)], vec![]), 10 * S);
    assert!(m.groups(10 * S).is_empty(), "not in the last sample");
    m.ingest(
        &sample(6 * MINUTE, vec![part("t", 0, 0, 1)], vec![]),
        6 * MINUTE,
    );
    assert!(m.partitions("gone", 6 * MINUTE).is_empty());
    assert!(m.lag_series("g").is_empty());
    let json = serde_json::to_value(m.snapshot(6 * MINUTE)).unwrap();
    assert_eq!(json["cluster"]["partitions"], 1);
    assert_eq!(json["topics"][0]["rates"][0]["window"], "10s tumbling");
}
