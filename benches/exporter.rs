//! Cost of one Prometheus scrape body: `watch --listen` renders the metrics after each sample,
//! here for 1,000 groups of 10 partitions each (10,000 per-partition series and the per-group
//! ones). Scrapes read the finished text, so this is what a sample pays, not a scrape.
//!
//!   cargo bench --bench exporter
// A developer tool that prints its own numbers, never broker-chosen text.
#![allow(clippy::disallowed_macros)]
use criterion::{criterion_group, criterion_main, Criterion};
use std::io::{Read, Write};

use kscope::cli::exporter::{no_silences, render, ExportOptions, Exporter, Totals};
use kscope::metrics::{CommittedOffset, GroupSample, MetricsState, PartitionSample, Sample};

fn state(groups: usize, partitions: i32) -> MetricsState {
    let mut s = MetricsState::new(Default::default(), kscope::metrics::default_rules());
    for (i, at) in [1_000i64, 11_000].into_iter().enumerate() {
        let mut sample = Sample {
            at,
            ..Sample::default()
        };
        for g in 0..groups {
            let topic = format!("topic-{g}");
            for p in 0..partitions {
                sample.partitions.push(PartitionSample {
                    topic: topic.clone(),
                    partition: p,
                    log_start: Some(0),
                    log_end: Some(1_000 + 100 * i as i64),
                    leader: Some(1),
                    replicas: 3,
                    isr: 3,
                });
            }
            sample.groups.push(GroupSample {
                group: format!("group-{g}"),
                state: Some("Stable".into()),
                offsets: (0..partitions)
                    .map(|p| CommittedOffset {
                        topic: topic.clone(),
                        partition: p,
                        offset: 900 + 50 * i as i64,
                    })
                    .collect(),
                unknown: Vec::new(),
                error: None,
            });
        }
        s.ingest(&sample, at);
    }
    s
}

fn bench(c: &mut Criterion) {
    let s = state(1_000, 10);
    let opts = ExportOptions {
        per_partition: true,
    };
    let body =
        render(&s, 11_000, None, Totals::default(), opts, &no_silences).map(|e| e.body.len());
    eprintln!("scrape body: {body:?} bytes");
    c.bench_function("render 1,000 groups x 10 partitions", |b| {
        b.iter(|| render(&s, 11_000, None, Totals::default(), opts, &no_silences))
    });
    // What Prometheus pays: one GET /metrics over loopback against the running exporter,
    // the whole 2.4 MB body read, while the finished text of the last sample is served.
    let Ok(exporter) = Exporter::listen("127.0.0.1:0") else {
        eprintln!("cannot listen on loopback: no scrape benchmark");
        return;
    };
    if let Ok(e) = render(&s, 11_000, None, Totals::default(), opts, &no_silences) {
        exporter.publish(e);
    }
    let addr = exporter.local_addr();
    c.bench_function("scrape /metrics, 1,000 groups x 10 partitions", |b| {
        b.iter(|| {
            let mut body = Vec::new();
            if let Ok(mut conn) = std::net::TcpStream::connect(&addr) {
                let _ = conn.write_all(b"GET /metrics HTTP/1.0\r\nHost: bench\r\n\r\n");
                let _ = conn.read_to_end(&mut body);
            }
            assert!(body.len() > 1_000_000, "short scrape: {} bytes", body.len());
            body.len()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
