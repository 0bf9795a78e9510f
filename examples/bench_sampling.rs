//! Benchmark of one metrics sampling cycle (BENCHMARKS.md, "Metrics sampling").
//!
//! ```sh
//! cargo run --release --example bench_sampling -- setup -b HOST:PORT --topics 100 --partitions 100 --groups 1000
//! cargo run --release --example bench_sampling -- measure -b HOST:PORT --cycles 5
//! ```
//!
//! `setup` creates topics `bench-t000...` with records in every partition, and commits offsets
//! for groups `bench-g0000...` from outside them (each group on all partitions of one topic).
//! `measure` runs in a process of its own, so its peak RSS is the sampler's and the engine's:
//! per cycle it reports the requests kscope sent (as the sampler counts them, and on the wire
//! from librdkafka's statistics), wall time and CPU time, then the engine's ingest time and the
//! peak RSS.
// A developer tool that prints its own numbers, never broker-chosen text.
#![allow(clippy::disallowed_macros)]

use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use futures::future::join_all;
use kscope::config::ConnectionSettings;
use kscope::kafka::{KafkaClient, RequestsSent, SampleFilter};
use kscope::metrics::{
    default_rules, CommittedOffset, GroupSample, MetricsConfig, MetricsState, PartitionSample,
    Sample,
};
use kscope::model::RecordTime;

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Setup {
        #[arg(short, long)]
        bootstrap: String,
        #[arg(long, default_value_t = 100)]
        topics: usize,
        #[arg(long, default_value_t = 100)]
        partitions: i32,
        #[arg(long, default_value_t = 1000)]
        groups: usize,
        /// Records written to every partition
        #[arg(long, default_value_t = 10)]
        records: usize,
    },
    /// The engine alone, on synthetic samples of the same shape (no broker): the first
    /// sample, then (unless `--first-only`) a whole history of samples to steady state
    Engine {
        #[arg(long, default_value_t = 100)]
        topics: usize,
        #[arg(long, default_value_t = 100)]
        partitions: i32,
        #[arg(long, default_value_t = 1000)]
        groups: usize,
        /// Stop after the first sample (its time and the process's peak memory)
        #[arg(long)]
        first_only: bool,
    },
    Measure {
        #[arg(short, long)]
        bootstrap: String,
        #[arg(long, default_value_t = 5)]
        cycles: usize,
        /// Pause between cycles, as `kscope watch --interval` would
        #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
        interval: Duration,
    },
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn topic_name(i: usize) -> String {
    format!("bench-t{i:03}")
}

fn group_name(i: usize) -> String {
    format!("bench-g{i:04}")
}

#[tokio::main]
async fn main() -> Res<()> {
    match Args::parse().command {
        Cmd::Setup {
            bootstrap,
            topics,
            partitions,
            groups,
            records,
        } => setup(&bootstrap, topics, partitions, groups, records).await,
        Cmd::Measure {
            bootstrap,
            cycles,
            interval,
        } => measure(&bootstrap, cycles, interval).await,
        Cmd::Engine {
            topics,
            partitions,
            groups,
            first_only,
        } => {
            engine(topics, partitions, groups, first_only);
            Ok(())
        }
    }
}

fn settings(bootstrap: &str) -> ConnectionSettings {
    let mut s = ConnectionSettings::plain(bootstrap);
    s.timeout = Duration::from_secs(60);
    s
}

async fn setup(
    bootstrap: &str,
    topics: usize,
    partitions: i32,
    groups: usize,
    records: usize,
) -> Res<()> {
    let client = KafkaClient::new(settings(bootstrap))?;
    let started = Instant::now();
    let existing: Vec<String> = client
        .topics(false)
        .await?
        .items
        .into_iter()
        .map(|t| t.name)
        .collect();
    let names: Vec<String> = (0..topics)
        .map(topic_name)
        .filter(|n| !existing.contains(n))
        .collect();
    for chunk in names.chunks(4) {
        for r in join_all(
            chunk
                .iter()
                .map(|n| client.create_topic(n, partitions, Some(1), Vec::new())),
        )
        .await
        {
            r?;
        }
    }
    eprintln!(
        "created {} topics of {partitions} partitions in {:.1}s",
        names.len(),
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let (bootstrap_, n) = (bootstrap.to_string(), topics);
    tokio::task::spawn_blocking(move || -> Result<(), String> {
        use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
        let p: BaseProducer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &bootstrap_)
            .set("linger.ms", "50")
            .set("queue.buffering.max.messages", "1000000")
            .create()
            .map_err(|e| e.to_string())?;
        for t in 0..n {
            let topic = topic_name(t);
            for part in 0..partitions {
                for _ in 0..records {
                    let mut rec = BaseRecord::<(), str>::to(&topic)
                        .partition(part)
                        .payload("x");
                    loop {
                        match p.send(rec) {
                            Ok(()) => break,
                            Err((_, back)) => {
                                rec = back;
                                p.poll(Duration::from_millis(10));
                            }
                        }
                    }
                }
            }
            p.poll(Duration::ZERO);
        }
        p.flush(Duration::from_secs(120)).map_err(|e| e.to_string())
    })
    .await??;
    eprintln!(
        "wrote {records} records to each of {} partitions in {:.1}s",
        topics * partitions as usize,
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let ids: Vec<(String, String)> = (0..groups)
        .map(|g| (group_name(g), topic_name(g % topics)))
        .collect();
    // The first commit creates __consumer_offsets; a busy broker may time out: retry.
    for chunk in ids.chunks(10) {
        for attempt in 1..=3 {
            let commits = chunk.iter().map(|(group, topic)| {
                let offsets = (0..partitions)
                    .map(|p| (topic.clone(), p, (records / 2) as i64))
                    .collect();
                client.alter_group_offsets(group, offsets)
            });
            let failed = join_all(commits).await.into_iter().find_map(|r| match r {
                Err(e) => Some(e.to_string()),
                Ok(res) => res
                    .iter()
                    .find(|r| r.error.is_some())
                    .map(|bad| format!("{bad:?}")),
            });
            match failed {
                None => break,
                Some(e) if attempt == 3 => return Err(format!("commit failed: {e}").into()),
                Some(e) => eprintln!("commit failed ({e}); retrying"),
            }
        }
    }
    eprintln!(
        "committed offsets for {groups} groups in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// User + system CPU time of this process (all threads) and its peak RSS in KiB.
#[allow(unsafe_code)]
fn rusage() -> (Duration, i64) {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return (Duration::ZERO, 0);
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    (tv(ru.ru_utime) + tv(ru.ru_stime), ru.ru_maxrss)
}

/// CPU time of the calling thread (what a step cost, whatever else the machine runs).
#[allow(unsafe_code)]
fn thread_cpu() -> Duration {
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: clock_gettime writes into the struct we own.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn current_rss_kib() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Waits for librdkafka's next statistics after now.
async fn fresh_stats(client: &KafkaClient) -> RequestsSent {
    let seen = client.requests_sent().reports;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = client.requests_sent();
        if r.reports > seen || Instant::now() > deadline {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn measure(bootstrap: &str, cycles: usize, interval: Duration) -> Res<()> {
    let mut s = settings(bootstrap);
    s.set("statistics.interval.ms", "200");
    let client = KafkaClient::new(s)?;
    let filter = SampleFilter {
        topics: vec!["bench-t*".into()],
        groups: vec!["bench-g*".into()],
        ..SampleFilter::default()
    };
    let mut state = MetricsState::new(MetricsConfig::default(), default_rules());
    let (_, rss_start) = rusage();
    println!(
        "| cycle | partitions | groups | committed offsets | requests (sampler) | requests on the wire | wall | CPU | ingest + snapshot | time lag exact |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut last = None;
    for cycle in 1..=cycles {
        let before = fresh_stats(&client).await;
        let (cpu0, _) = rusage();
        let t0 = Instant::now();
        let sample = client.sample(&filter).await?;
        let wall = t0.elapsed();
        let (cpu1, _) = rusage();
        let t1 = Instant::now();
        let now = chrono::Utc::now().timestamp_millis();
        state.ingest(&sample, now);
        let snap = state.snapshot(now);
        let ingest = t1.elapsed();
        let after = fresh_stats(&client).await;
        if std::env::var_os("BENCH_DEBUG").is_some() {
            eprintln!("before {before:?}\nafter {after:?}");
        }
        let mut wire: Vec<String> = after
            .by_api
            .iter()
            .map(|(api, n)| (api, n - before.by_api.get(api).copied().unwrap_or(0)))
            .filter(|(_, d)| *d > 0)
            .map(|(api, d)| format!("{api} {d}"))
            .collect();
        let wire_total = after.total - before.total;
        let named: i64 = after.by_api.values().sum::<i64>() - before.by_api.values().sum::<i64>();
        if wire_total > named {
            // librdkafka does not name OffsetFetch for a producer-type handle.
            wire.push(format!("other (OffsetFetch) {}", wire_total - named));
        }
        if after.reports == 0 {
            wire.push("(no statistics)".into());
        }
        let r = sample.requests;
        let exact = snap
            .groups
            .iter()
            .filter(|g| g.time_lag_method == Some(kscope::model::TimeLagMethod::Exact))
            .count();
        println!(
            "| {cycle}{} | {} | {} | {} | {} (Metadata {}, ListGroups {}, ListOffsets {}, OffsetFetch {}, Fetch {}) | {wire_total} ({}) | {:.0} ms | {:.0} ms | {:.0} ms | {exact} of {} groups ({} record times) |",
            if cycle == 1 { " (cold)" } else { "" },
            sample.partitions.len(),
            sample.groups.len(),
            sample.groups.iter().map(|g| g.offsets.len()).sum::<usize>(),
            r.total(),
            r.metadata,
            r.list_groups,
            r.list_offsets,
            r.offset_fetch,
            r.fetch,
            wire.join(", "),
            wall.as_secs_f64() * 1000.0,
            (cpu1 - cpu0).as_secs_f64() * 1000.0,
            ingest.as_secs_f64() * 1000.0,
            snap.groups.len(),
            sample.record_times.len(),
        );
        let failed = sample.groups.iter().filter(|g| g.error.is_some()).count();
        if failed > 0 || !sample.errors.is_empty() {
            let mut why: Vec<String> = sample
                .groups
                .iter()
                .filter_map(|g| g.error.as_ref().map(|e| e.to_string()))
                .collect();
            why.sort();
            why.dedup();
            why.truncate(3);
            eprintln!(
                "cycle {cycle}: {failed} groups failed ({}); errors: {:?}",
                why.join("; "),
                sample.errors
            );
        }
        if snap.groups.len() != sample.groups.len() {
            eprintln!("cycle {cycle}: engine shows {} groups", snap.groups.len());
        }
        if cycle < cycles {
            tokio::time::sleep(interval.saturating_sub(t0.elapsed())).await;
        }
        last = Some(sample);
    }
    let (cpu, peak) = rusage();
    println!();
    println!(
        "after {cycles} cycles: RSS {:.1} MiB (started at {:.1} MiB), peak {:.1} MiB; CPU in total {:.2} s",
        current_rss_kib() as f64 / 1024.0,
        rss_start as f64 / 1024.0,
        peak as f64 / 1024.0,
        cpu.as_secs_f64()
    );

    if let Some(sample) = last {
        steady_state(&mut state, sample);
    }
    Ok(())
}

/// The engine at steady state: replays a sample through a whole history (15 min of 10 s
/// samples with the default config), every offset moving, and reports time and memory.
fn steady_state(state: &mut MetricsState, mut sample: Sample) {
    let steps = (state.config().history / state.config().interval) as usize + 1;
    let (mut slowest, mut ingest, mut snapshot) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut ingest_cpu = Duration::ZERO;
    for _ in 0..steps {
        sample.at += state.config().interval;
        for p in &mut sample.partitions {
            p.log_end = p.log_end.map(|e| e + 10);
        }
        for g in &mut sample.groups {
            for o in &mut g.offsets {
                o.offset += 9;
            }
        }
        for r in &mut sample.record_times {
            r.offset += 9;
            r.record_offset += 9;
            r.timestamp += state.config().interval;
        }
        let (t, cpu) = (Instant::now(), thread_cpu());
        state.ingest(&sample, sample.at);
        ingest_cpu += thread_cpu() - cpu;
        let t1 = Instant::now();
        std::hint::black_box(state.snapshot(sample.at));
        slowest = slowest.max(t.elapsed());
        ingest += t1 - t;
        snapshot += t1.elapsed();
    }
    let (_, peak) = rusage();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0 / steps as f64;
    println!(
        "engine at steady state ({steps} more samples, 10 s apart): ingest {:.0} ms wall ({:.0} ms CPU) and snapshot {:.0} ms on average, together {:.0} ms at most; RSS {:.1} MiB, peak {:.1} MiB",
        ms(ingest),
        ms(ingest_cpu),
        ms(snapshot),
        slowest.as_secs_f64() * 1000.0,
        current_rss_kib() as f64 / 1024.0,
        peak as f64 / 1024.0
    );
}

/// A sample shaped like the benchmark cluster: every group on all partitions of one topic,
/// committed half way, with the timestamps of the records at the committed offsets (exact time
/// lag; one per partition and offset, as the sampler hands them over).
fn engine(topics: usize, partitions: i32, groups: usize, first_only: bool) {
    let at = 1_700_000_000_000;
    let t0 = Instant::now();
    let sample = Sample {
        at,
        partitions: (0..topics)
            .flat_map(|t| {
                (0..partitions).map(move |p| PartitionSample {
                    topic: topic_name(t),
                    partition: p,
                    log_start: Some(0),
                    log_end: Some(1000),
                    leader: Some(1),
                    replicas: 1,
                    isr: 1,
                })
            })
            .collect(),
        groups: (0..groups)
            .map(|g| GroupSample {
                group: group_name(g),
                state: Some("Empty".into()),
                offsets: (0..partitions)
                    .map(|p| CommittedOffset {
                        topic: topic_name(g % topics),
                        partition: p,
                        offset: 500,
                    })
                    .collect(),
                unknown: Vec::new(),
                error: None,
            })
            .collect(),
        record_times: (0..topics.min(groups))
            .flat_map(|t| {
                (0..partitions).map(move |p| RecordTime {
                    topic: topic_name(t),
                    partition: p,
                    offset: 500,
                    record_offset: 500,
                    timestamp: at - 90_000,
                    from_log_start: false,
                })
            })
            .collect(),
        ..Sample::default()
    };
    let group_partitions: usize = sample.groups.iter().map(|g| g.offsets.len()).sum();
    let (_, rss) = rusage();
    println!(
        "synthetic sample: {} partitions, {} groups, {group_partitions} group partitions, {} record times; built in {:.0} ms, RSS {:.1} MiB",
        sample.partitions.len(),
        sample.groups.len(),
        sample.record_times.len(),
        t0.elapsed().as_secs_f64() * 1000.0,
        rss as f64 / 1024.0
    );
    let mut state = MetricsState::new(MetricsConfig::default(), default_rules());
    let (t, cpu) = (Instant::now(), thread_cpu());
    let events = state.ingest(&sample, sample.at);
    let (ingest, ingest_cpu) = (t.elapsed(), thread_cpu() - cpu);
    let t1 = Instant::now();
    let snap = state.snapshot(sample.at);
    let snapshot = t1.elapsed();
    let rows = state.group_partitions(&group_name(0), sample.at);
    let (_, peak) = rusage();
    println!(
        "first sample: ingest {:.0} ms wall, {:.0} ms CPU (rates, exact time lag, status of every group partition, {} alert rules: {} events), snapshot {:.1} ms ({} groups); RSS {:.1} MiB, peak {:.1} MiB",
        ingest.as_secs_f64() * 1000.0,
        ingest_cpu.as_secs_f64() * 1000.0,
        state.rules().len(),
        events.len(),
        snapshot.as_secs_f64() * 1000.0,
        snap.groups.len(),
        current_rss_kib() as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    if let Some(r) = rows.first() {
        println!(
            "  {} {}/{}: lag {:?}, time lag {:?} s ({:?})",
            group_name(0),
            r.topic,
            r.partition,
            r.lag,
            r.lag_seconds,
            r.time_lag_method
        );
    }
    if !first_only {
        steady_state(&mut state, sample);
    }
}
