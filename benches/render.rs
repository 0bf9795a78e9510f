//! Frame render time of the console: the topics screen with 100 and 10,000 topics, and the tail
//! with 1,000 and 100,000 records in its buffer. Tables are virtualised, so the time per frame
//! should not grow with the row count. Also reports the tail buffer's memory at 100,000 records.
//!
//!   cargo bench --bench render
// A developer tool that prints its own numbers, never broker-chosen text.
#![allow(clippy::disallowed_macros)]

use std::time::Instant;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use kscope::app::{self, Action, Effect, Key, KeyCode, Options, State};
use kscope::record::{OwnedRecord, TimestampKind};
use kscope::ui::{self, Theme};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;
use fixtures::{load_topics, topic_summary};

const W: u16 = 200;
const H: u16 = 50;

fn state() -> State {
    let mut s = State::new(
        "bench",
        "localhost:9092",
        false,
        Options {
            tail_capacity: 100_000,
            ..Options::default()
        },
        Instant::now(),
        1_764_000_000_000,
    );
    s.size = (W, H);
    s
}

fn topics_state(n: usize) -> State {
    let mut s = state();
    let fx = app::update(&mut s, Action::Tick(Instant::now()));
    let topics: Vec<_> = (0..n)
        .map(|i| {
            let name = format!("service-{:05}.events.v{}", i, i % 3);
            topic_summary(
                &name,
                1 + i % 24,
                i as i64 * 1_000,
                usize::from(i % 97 == 0),
            )
        })
        .collect();
    load_topics(&mut s, fx, Instant::now(), &topics);
    app::update(&mut s, Action::Key(Key::char('2')));
    // Somewhere in the middle, so the visible window is not the first page.
    for _ in 0..3 {
        app::update(&mut s, Action::Key(Key::plain(KeyCode::PageDown)));
    }
    s
}

pub fn record(i: usize) -> OwnedRecord {
    OwnedRecord {
        partition: (i % 12) as i32,
        offset: i as i64,
        timestamp: Some((1_764_000_000_000 + i as i64, TimestampKind::Create)),
        key: Some(format!("cust-{:04}", i % 500).into_bytes()),
        value: Some(
            format!(
                "{{\"order_id\":\"ord-{i}\",\"customer\":\"cust-{:04}\",\"items\":{},\"amount\":{}.99,\"currency\":\"EUR\",\"status\":\"created\",\"created_at\":\"2026-11-24T18:00:00.000Z\"}}",
                i % 500,
                i % 5 + 1,
                i % 400
            )
            .into_bytes(),
        ),
        headers: vec![("source".into(), Some(b"web".to_vec())), ("trace-id".into(), Some(b"9f86d081884c7d65".to_vec()))],
        decoded: None,
    }
}

fn tail_state(n: usize) -> State {
    let mut s = state();
    let fx = app::update(&mut s, Action::Key(Key::char(':')));
    drop(fx);
    for c in "tail orders".chars() {
        app::update(&mut s, Action::Key(Key::char(c)));
    }
    let fx = app::update(&mut s, Action::Key(Key::plain(KeyCode::Enter)));
    let session = fx
        .iter()
        .find_map(|e| match e {
            Effect::StartTail { session, .. } => Some(*session),
            _ => None,
        })
        .expect("tail started");
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let records = chunk.iter().map(|i| record(*i)).collect();
        app::update(&mut s, Action::TailRecords { session, records });
    }
    s
}

/// Resident memory of this process in KiB (Linux).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn draw(terminal: &mut Terminal<TestBackend>, s: &State, theme: &Theme) {
    terminal.draw(|f| ui::render(f, s, theme)).expect("draw");
}

fn bench(c: &mut Criterion) {
    let theme = Theme::builtin("default").expect("theme");
    let mut terminal = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    let mut group = c.benchmark_group("frame");
    for n in [100usize, 10_000] {
        let s = topics_state(n);
        group.bench_with_input(BenchmarkId::new("topics", n), &s, |b, s| {
            b.iter(|| draw(&mut terminal, s, &theme))
        });
    }
    for n in [1_000usize, 100_000] {
        let before = rss_kib();
        let s = tail_state(n);
        if n == 100_000 {
            let t = s.tail.as_ref().expect("tail");
            eprintln!(
                "tail buffer: {} records ({} dropped), {:.1} MiB of record data; process RSS grew by {:.1} MiB",
                t.buffer.len(),
                t.buffer.dropped,
                t.buffer.bytes() as f64 / (1024.0 * 1024.0),
                before.zip(rss_kib()).map_or(f64::NAN, |(b, a)| a.saturating_sub(b) as f64 / 1024.0)
            );
        }
        group.bench_with_input(BenchmarkId::new("tail", n), &s, |b, s| {
            b.iter(|| draw(&mut terminal, s, &theme))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
