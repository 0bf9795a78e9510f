//! Event-time windows over the records a tail reads: tumbling windows by record timestamp, a
//! watermark, allowed lateness, per-key session windows and the top keys of each window.
//!
//! The watermark is the highest timestamp seen minus `max_delay` (how out of order records may
//! arrive); it never goes back. A record behind the watermark is *late*: it still counts in its
//! window while that window is open (until the watermark passes its end plus
//! `allowed_lateness`), and is counted as *too late* after that. Late and too-late records are
//! counted and shown, never dropped silently.
//!
//! Sessions are per key: records of a key less than `session_gap` apart belong to one session
//! (a late record that bridges two sessions merges them); a session closes when the watermark
//! passes its last record plus the gap plus the allowed lateness.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::Serialize;

use super::state::{top_n, Ranked};
use super::time::{secs, Millis, SECOND};

#[derive(Debug, Clone, PartialEq)]
pub struct EventTimeConfig {
    /// Tumbling window size.
    pub size: Millis,
    /// How far behind the newest record the watermark trails.
    pub max_delay: Millis,
    /// How long after the watermark passes a window's end late records still count in it.
    pub allowed_lateness: Millis,
    /// Records of a key further apart than this start a new session.
    pub session_gap: Millis,
    /// With no record for this long (processing time), the watermark moves to `now - max_delay`
    /// so windows of an idle stream still close. `None`: only records move it.
    pub idle_timeout: Option<Millis>,
    /// Closed windows and sessions kept for display.
    pub keep: usize,
    /// Entries in each window's top keys.
    pub top: usize,
    /// Distinct keys counted per window and open sessions kept, at most; more are counted as
    /// `other_keys` and `sessions.dropped`.
    pub max_keys: usize,
}

impl Default for EventTimeConfig {
    fn default() -> Self {
        EventTimeConfig {
            size: 10 * SECOND,
            max_delay: 2 * SECOND,
            allowed_lateness: 10 * SECOND,
            session_gap: 30 * SECOND,
            idle_timeout: None,
            keep: 30,
            top: 10,
            max_keys: 10_000,
        }
    }
}

/// Where a record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    OnTime,
    /// Behind the watermark but counted in its still-open window.
    Late,
    /// Its window had closed: counted as too late.
    TooLate,
    /// No timestamp: counted, in no window.
    NoTimestamp,
}

#[derive(Debug, Clone, Default)]
struct WindowAcc {
    count: u64,
    late: u64,
    too_late: u64,
    keys: HashMap<String, u64>,
    other_keys: u64,
    closed: bool,
}

/// One tumbling window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventWindow {
    #[serde(serialize_with = "super::time::serialize_ts")]
    pub start: Millis,
    #[serde(serialize_with = "super::time::serialize_ts")]
    pub end: Millis,
    /// Records counted (on time and late).
    pub count: u64,
    pub late: u64,
    /// Records for this window that came after it closed (not in `count`).
    pub too_late: u64,
    pub closed: bool,
    pub top_keys: Vec<Ranked>,
    /// Records whose keys were beyond the per-window key limit.
    pub other_keys: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    pub key: String,
    #[serde(serialize_with = "super::time::serialize_ts")]
    pub start: Millis,
    /// The last record's timestamp.
    #[serde(serialize_with = "super::time::serialize_ts")]
    pub end: Millis,
    pub records: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionStats {
    pub open: usize,
    pub closed: u64,
    /// Records too late for any session (not in a session).
    pub too_late: u64,
    /// Records whose key would have opened a session beyond `max_keys`.
    pub dropped: u64,
    /// Averages over the kept closed sessions.
    pub avg_seconds: Option<f64>,
    pub avg_records: Option<f64>,
    /// The most recently closed sessions, newest first.
    pub recent: Vec<Session>,
}

/// Everything the event-time engine has to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TailStats {
    pub records: u64,
    pub without_timestamp: u64,
    #[serde(serialize_with = "super::time::serialize_opt_ts")]
    pub watermark: Option<Millis>,
    pub late: u64,
    pub too_late: u64,
    /// Kept windows, oldest first.
    pub windows: Vec<EventWindow>,
    pub sessions: SessionStats,
}

/// Event-time windows and sessions over a stream of records.
#[derive(Debug, Clone)]
pub struct EventTimeWindows {
    config: EventTimeConfig,
    max_event: Option<Millis>,
    watermark: Option<Millis>,
    last_arrival: Option<Millis>,
    windows: BTreeMap<Millis, WindowAcc>,
    records: u64,
    without_timestamp: u64,
    late: u64,
    too_late: u64,
    open_sessions: HashMap<String, Vec<(Millis, Millis, u64)>>,
    open_session_count: usize,
    closed_sessions: VecDeque<Session>,
    sessions_closed: u64,
    sessions_too_late: u64,
    sessions_dropped: u64,
}

impl EventTimeWindows {
    pub fn new(config: EventTimeConfig) -> Self {
        EventTimeWindows {
            config,
            max_event: None,
            watermark: None,
            last_arrival: None,
            windows: BTreeMap::new(),
            records: 0,
            without_timestamp: 0,
            late: 0,
            too_late: 0,
            open_sessions: HashMap::new(),
            open_session_count: 0,
            closed_sessions: VecDeque::new(),
            sessions_closed: 0,
            sessions_too_late: 0,
            sessions_dropped: 0,
        }
    }

    pub fn watermark(&self) -> Option<Millis> {
        self.watermark
    }

    fn window_start(&self, t: Millis) -> Millis {
        let size = self.config.size.max(1);
        t.div_euclid(size) * size
    }

    fn closes_at(&self, start: Millis) -> Millis {
        start + self.config.size + self.config.allowed_lateness
    }

    /// Takes one record with its timestamp (if it has one) and key, read at `now`.
    pub fn ingest(
        &mut self,
        event_time: Option<Millis>,
        key: Option<&str>,
        now: Millis,
    ) -> Arrival {
        self.records += 1;
        self.last_arrival = Some(now);
        let Some(ts) = event_time else {
            self.without_timestamp += 1;
            return Arrival::NoTimestamp;
        };
        let start = self.window_start(ts);
        let behind = self.watermark.is_some_and(|w| ts < w);
        let window_closed = self.watermark.is_some_and(|w| self.closes_at(start) <= w);
        let arrival = if window_closed {
            self.too_late += 1;
            if let Some(w) = self.windows.get_mut(&start) {
                w.too_late += 1;
            }
            Arrival::TooLate
        } else {
            let max_keys = self.config.max_keys;
            let w = self.windows.entry(start).or_default();
            w.count += 1;
            if let Some(k) = key {
                if let Some(n) = w.keys.get_mut(k) {
                    *n += 1;
                } else if w.keys.len() < max_keys {
                    w.keys.insert(k.to_string(), 1);
                } else {
                    w.other_keys += 1;
                }
            }
            if behind {
                w.late += 1;
                self.late += 1;
                Arrival::Late
            } else {
                Arrival::OnTime
            }
        };
        if let Some(k) = key {
            self.session_record(k, ts);
        }
        if self.max_event.is_none_or(|m| ts > m) {
            self.max_event = Some(ts);
        }
        if let Some(m) = self.max_event {
            self.advance_to(m - self.config.max_delay);
        }
        arrival
    }

    /// Moves an idle stream's watermark on (see `idle_timeout`).
    pub fn tick(&mut self, now: Millis) {
        if let (Some(idle), Some(last)) = (self.config.idle_timeout, self.last_arrival) {
            if now - last >= idle {
                self.advance_to(now - self.config.max_delay);
            }
        }
    }

    fn advance_to(&mut self, watermark: Millis) {
        if self.watermark.is_some_and(|w| watermark <= w) {
            return;
        }
        self.watermark = Some(watermark);
        let (size, lateness) = (self.config.size, self.config.allowed_lateness);
        for (start, w) in self.windows.iter_mut() {
            if start + size + lateness <= watermark {
                w.closed = true;
            }
        }
        let closed = self.windows.values().filter(|w| w.closed).count();
        let mut excess = closed.saturating_sub(self.config.keep);
        self.windows.retain(|_, w| {
            if excess > 0 && w.closed {
                excess -= 1;
                false
            } else {
                true
            }
        });
        self.close_sessions(watermark);
    }

    fn session_record(&mut self, key: &str, ts: Millis) {
        let (gap, lateness) = (self.config.session_gap, self.config.allowed_lateness);
        if self.watermark.is_some_and(|w| ts + gap + lateness <= w) {
            self.sessions_too_late += 1;
            return;
        }
        let sessions = match self.open_sessions.get_mut(key) {
            Some(s) => s,
            None => {
                if self.open_session_count >= self.config.max_keys {
                    self.sessions_dropped += 1;
                    return;
                }
                self.open_sessions.entry(key.to_string()).or_default()
            }
        };
        // Merge every open session this record touches (it may bridge two) with the record.
        let (mut start, mut end, mut records) = (ts, ts, 1u64);
        let before = sessions.len();
        sessions.retain(|&(s, e, n)| {
            if ts >= s - gap && ts < e + gap {
                start = start.min(s);
                end = end.max(e);
                records += n;
                false
            } else {
                true
            }
        });
        let merged = before - sessions.len();
        sessions.push((start, end, records));
        sessions.sort_unstable();
        self.open_session_count = self.open_session_count + 1 - merged;
    }

    fn close_sessions(&mut self, watermark: Millis) {
        let (gap, lateness) = (self.config.session_gap, self.config.allowed_lateness);
        let mut closed = Vec::new();
        self.open_sessions.retain(|key, sessions| {
            sessions.retain(|&(start, end, records)| {
                if end + gap + lateness <= watermark {
                    closed.push(Session {
                        key: key.clone(),
                        start,
                        end,
                        records,
                    });
                    false
                } else {
                    true
                }
            });
            !sessions.is_empty()
        });
        closed.sort_by(|a, b| a.end.cmp(&b.end).then_with(|| a.key.cmp(&b.key)));
        self.open_session_count -= closed.len().min(self.open_session_count);
        self.sessions_closed += closed.len() as u64;
        for s in closed {
            self.closed_sessions.push_back(s);
            if self.closed_sessions.len() > self.config.keep {
                self.closed_sessions.pop_front();
            }
        }
    }

    /// The top keys of the window starting at `start`.
    pub fn top_keys(&self, start: Millis) -> Vec<Ranked> {
        match self.windows.get(&start) {
            Some(w) => ranked(w, self.config.top),
            None => Vec::new(),
        }
    }

    pub fn stats(&self) -> TailStats {
        let kept = self.closed_sessions.len();
        let avg = |f: &dyn Fn(&Session) -> f64| {
            (kept > 0).then(|| self.closed_sessions.iter().map(f).sum::<f64>() / kept as f64)
        };
        TailStats {
            records: self.records,
            without_timestamp: self.without_timestamp,
            watermark: self.watermark,
            late: self.late,
            too_late: self.too_late,
            windows: self
                .windows
                .iter()
                .map(|(start, w)| EventWindow {
                    start: *start,
                    end: start + self.config.size,
                    count: w.count,
                    late: w.late,
                    too_late: w.too_late,
                    closed: w.closed,
                    top_keys: ranked(w, self.config.top),
                    other_keys: w.other_keys,
                })
                .collect(),
            sessions: SessionStats {
                open: self.open_session_count,
                closed: self.sessions_closed,
                too_late: self.sessions_too_late,
                dropped: self.sessions_dropped,
                avg_seconds: avg(&|s| secs(s.end - s.start)),
                avg_records: avg(&|s| s.records as f64),
                recent: self.closed_sessions.iter().rev().cloned().collect(),
            },
        }
    }
}

fn ranked(w: &WindowAcc, n: usize) -> Vec<Ranked> {
    top_n(
        w.keys
            .iter()
            .map(|(k, v)| Ranked {
                name: k.clone(),
                value: *v as f64,
            })
            .collect(),
        n,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> EventTimeWindows {
        EventTimeWindows::new(EventTimeConfig {
            size: 10_000,
            max_delay: 1_000,
            allowed_lateness: 5_000,
            session_gap: 3_000,
            idle_timeout: Some(20_000),
            keep: 3,
            top: 2,
            max_keys: 100,
        })
    }

    #[test]
    fn records_fall_into_tumbling_windows_by_timestamp() {
        let mut e = engine();
        for (ts, key) in [(1_000, "a"), (2_000, "b"), (3_000, "a"), (12_000, "c")] {
            assert_eq!(e.ingest(Some(ts), Some(key), 0), Arrival::OnTime);
        }
        let s = e.stats();
        assert_eq!(s.windows.len(), 2);
        assert_eq!((s.windows[0].start, s.windows[0].end), (0, 10_000));
        assert_eq!(s.windows[0].count, 3);
        assert_eq!(
            s.windows[0].top_keys[0],
            Ranked {
                name: "a".into(),
                value: 2.0
            }
        );
        assert_eq!(s.windows[1].count, 1);
        assert_eq!(s.watermark, Some(11_000));
        assert!(!s.windows[0].closed, "closes at 10 s + 5 s lateness");
    }

    #[test]
    fn late_records_count_in_open_windows_and_too_late_ones_are_shown() {
        let mut e = engine();
        e.ingest(Some(9_000), Some("a"), 0);
        e.ingest(Some(14_000), Some("a"), 0); // watermark 13 s
                                              // Behind the watermark, window [0, 10 s) still open until 15 s: late but counted.
        assert_eq!(e.ingest(Some(8_000), Some("b"), 0), Arrival::Late);
        e.ingest(Some(16_500), None, 0); // watermark 15.5 s: [0, 10 s) closes
        assert_eq!(e.ingest(Some(7_000), Some("c"), 0), Arrival::TooLate);
        // The watermark never goes back.
        assert_eq!(e.ingest(Some(12_000), None, 0), Arrival::Late);
        assert_eq!(e.watermark(), Some(15_500));
        let s = e.stats();
        assert_eq!((s.late, s.too_late), (2, 1));
        let w0 = &s.windows[0];
        assert!(w0.closed);
        assert_eq!((w0.count, w0.late, w0.too_late), (2, 1, 1));
        assert_eq!(s.windows[1].count, 3);
        assert_eq!(s.records, 6);
    }

    #[test]
    fn out_of_order_records_within_the_delay_are_on_time() {
        let mut e = engine();
        e.ingest(Some(5_000), None, 0);
        assert_eq!(e.ingest(Some(4_500), None, 0), Arrival::OnTime);
        assert_eq!(e.ingest(Some(3_900), None, 0), Arrival::Late);
        assert_eq!(e.ingest(None, None, 0), Arrival::NoTimestamp);
        assert_eq!(e.stats().without_timestamp, 1);
    }

    #[test]
    fn only_the_last_closed_windows_are_kept() {
        let mut e = engine();
        for i in 0..10 {
            e.ingest(Some(i * 10_000), None, 0);
        }
        let s = e.stats();
        assert_eq!(s.windows.iter().filter(|w| w.closed).count(), 3);
        assert_eq!(s.windows.last().map(|w| w.start), Some(90_000));
    }

    #[test]
    fn idle_streams_close_their_windows() {
        let mut e = engine();
        e.ingest(Some(1_000), None, 100_000);
        e.tick(110_000);
        assert!(!e.stats().windows[0].closed);
        e.tick(120_000);
        assert!(e.stats().windows[0].closed);
        assert_eq!(e.watermark(), Some(119_000));
    }

    #[test]
    fn sessions_per_key_with_a_gap() {
        let mut e = engine();
        for (ts, key) in [
            (0, "a"),
            (1_000, "a"),
            (2_000, "b"),
            (2_500, "a"),
            (10_000, "a"),
        ] {
            e.ingest(Some(ts), Some(key), 0);
        }
        // Watermark 9 s: a's first session ended at 2.5 s, closes at 2.5 + 3 + 5 = 10.5 s.
        assert_eq!(e.stats().sessions.open, 3);
        e.ingest(Some(30_000), Some("z"), 0); // watermark 29 s closes everything before
        let s = e.stats().sessions;
        assert_eq!(s.closed, 3);
        assert_eq!(s.open, 1);
        let a: Vec<&Session> = s.recent.iter().filter(|x| x.key == "a").collect();
        assert_eq!(a.len(), 2);
        assert!(a
            .iter()
            .any(|x| (x.start, x.end, x.records) == (0, 2_500, 3)));
        assert!(a
            .iter()
            .any(|x| (x.start, x.end, x.records) == (10_000, 10_000, 1)));
        assert_eq!(s.avg_records, Some(5.0 / 3.0));
    }

    #[test]
    fn a_late_record_bridging_two_sessions_merges_them() {
        let mut e = engine();
        e.ingest(Some(0), Some("k"), 0);
        e.ingest(Some(5_000), Some("k"), 0);
        assert_eq!(e.stats().sessions.open, 2);
        e.ingest(Some(2_500), Some("k"), 0);
        assert_eq!(e.stats().sessions.open, 1);
        e.ingest(Some(100_000), None, 0);
        let s = e.stats().sessions;
        assert_eq!(s.recent[0].records, 3);
        assert_eq!((s.recent[0].start, s.recent[0].end), (0, 5_000));
        // Far too late for any session: counted, not dropped silently.
        e.ingest(Some(1_000), Some("k"), 0);
        assert_eq!(e.stats().sessions.too_late, 1);
    }

    #[test]
    fn key_limits_are_counted() {
        let mut e = EventTimeWindows::new(EventTimeConfig {
            max_keys: 2,
            ..EventTimeConfig::default()
        });
        for k in ["a", "b", "c", "a"] {
            e.ingest(Some(1_000), Some(k), 0);
        }
        let s = e.stats();
        assert_eq!(s.windows[0].other_keys, 1);
        assert_eq!(s.sessions.dropped, 1);
        assert_eq!(s.sessions.open, 2);
        assert_eq!(e.top_keys(0)[0].name, "a");
    }
}
