//! Records of several partitions in timestamp order, as they are read.
//!
//! A consumer hands out records a partition at a time (one fetch answer after another), so a
//! tail that starts in the past reads hundreds of records of one partition, then of the next.
//! [`TimeMerge`] holds what was read per partition and lets out the record with the smallest
//! timestamp once every partition that may still send has a record waiting or has reported
//! that it is at its end; each partition's own order is kept. A partition that neither sends
//! nor reports its end within `max_wait` stops holding the others back (a slow or unreachable
//! leader must not stop the tail), and at most `max_held` records are held.
//!
//! Pure: the caller says what time it is.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use super::OwnedRecord;

#[derive(Debug, Default)]
struct Part {
    queue: VecDeque<OwnedRecord>,
    /// Reported at its end (nothing more to read right now).
    at_end: bool,
    /// Since when this partition, empty and not at its end, holds back the others.
    blocking_since: Option<Instant>,
}

/// See the module documentation.
#[derive(Debug)]
pub struct TimeMerge {
    parts: BTreeMap<i32, Part>,
    held: usize,
    max_wait: Duration,
    max_held: usize,
}

/// The order key of a record: a record without a timestamp goes first.
fn key(r: &OwnedRecord) -> i64 {
    r.timestamp.map_or(i64::MIN, |(ms, _)| ms)
}

impl TimeMerge {
    /// `partitions`: each partition read and whether it is known to be at its end already
    /// (nothing to read from where it starts).
    pub fn new(
        partitions: impl IntoIterator<Item = (i32, bool)>,
        max_wait: Duration,
        max_held: usize,
    ) -> Self {
        let parts = partitions
            .into_iter()
            .map(|(p, at_end)| {
                (
                    p,
                    Part {
                        at_end,
                        ..Part::default()
                    },
                )
            })
            .collect();
        TimeMerge {
            parts,
            held: 0,
            max_wait,
            max_held: max_held.max(1),
        }
    }

    /// Records held, not yet let out.
    pub fn held(&self) -> usize {
        self.held
    }

    /// Holds as many records as it may: the reader stops reading at this point and lets
    /// records out even if a partition holds them back.
    pub fn is_full(&self) -> bool {
        self.held >= self.max_held
    }

    /// A record was read (a partition not named at the start is taken in).
    pub fn push(&mut self, r: OwnedRecord) {
        let part = self.parts.entry(r.partition).or_default();
        part.at_end = false;
        part.blocking_since = None;
        part.queue.push_back(r);
        self.held += 1;
    }

    /// The partition reported it is at its end.
    pub fn at_end(&mut self, partition: i32) {
        let part = self.parts.entry(partition).or_default();
        part.at_end = true;
        part.blocking_since = None;
    }

    /// The next record in timestamp order, if it may go out at `now`.
    pub fn pop(&mut self, now: Instant) -> Option<OwnedRecord> {
        if self.held == 0 {
            return None;
        }
        if !self.is_full() {
            let max_wait = self.max_wait;
            let mut blocked = false;
            for part in self.parts.values_mut() {
                if !part.queue.is_empty() || part.at_end {
                    continue;
                }
                let since = *part.blocking_since.get_or_insert(now);
                if now.duration_since(since) < max_wait {
                    blocked = true;
                }
            }
            if blocked {
                return None;
            }
        }
        self.pop_first()
    }

    /// When the next record is due at the latest (a partition's wait runs out): for a reader
    /// that has nothing to let out yet and waits for more.
    pub fn due(&self) -> Option<Instant> {
        if self.held == 0 {
            return None;
        }
        self.parts
            .values()
            .filter_map(|p| p.blocking_since)
            .max()
            .map(|since| since + self.max_wait)
    }

    /// The record with the smallest timestamp among the partitions' first ones, whatever
    /// holds them back.
    pub fn pop_first(&mut self) -> Option<OwnedRecord> {
        let (_, part) = self
            .parts
            .iter_mut()
            .filter(|(_, p)| !p.queue.is_empty())
            .min_by_key(|(p, part)| (part.queue.front().map_or(i64::MAX, key), **p))?;
        let r = part.queue.pop_front()?;
        self.held -= 1;
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::TimestampKind;

    fn rec(partition: i32, offset: i64, ts: i64) -> OwnedRecord {
        OwnedRecord {
            partition,
            offset,
            timestamp: Some((ts, TimestampKind::Create)),
            key: None,
            value: None,
            headers: Vec::new(),
            decoded: None,
        }
    }

    fn drain(m: &mut TimeMerge, now: Instant) -> Vec<(i32, i64)> {
        std::iter::from_fn(|| m.pop(now))
            .map(|r| (r.partition, r.offset))
            .collect()
    }

    #[test]
    fn partitions_read_one_after_another_come_out_in_timestamp_order() {
        let now = Instant::now();
        let mut m = TimeMerge::new(
            [(0, false), (1, false), (2, false)],
            Duration::from_secs(1),
            1000,
        );
        // Partition 0's whole answer arrives first: nothing goes out while 1 and 2 may send.
        for i in 0..4 {
            m.push(rec(0, i, i * 30));
        }
        assert_eq!(drain(&mut m, now), []);
        for i in 0..4 {
            m.push(rec(1, i, i * 30 + 10));
        }
        assert_eq!(drain(&mut m, now), []);
        for i in 0..4 {
            m.push(rec(2, i, i * 30 + 20));
        }
        // Out until a partition runs dry and may still send.
        assert_eq!(
            drain(&mut m, now),
            [
                (0, 0),
                (1, 0),
                (2, 0),
                (0, 1),
                (1, 1),
                (2, 1),
                (0, 2),
                (1, 2),
                (2, 2),
                (0, 3)
            ]
        );
        m.at_end(0);
        // Partition 1 runs dry in turn and holds back partition 2 until it is at its end.
        assert_eq!(drain(&mut m, now), [(1, 3)]);
        m.at_end(1);
        assert_eq!(drain(&mut m, now), [(2, 3)]);
        assert_eq!(m.held(), 0);
    }

    #[test]
    fn each_partition_keeps_its_order_even_when_its_timestamps_go_back() {
        let now = Instant::now();
        let mut m = TimeMerge::new([(0, false), (1, false)], Duration::from_secs(1), 1000);
        m.push(rec(0, 0, 100));
        m.push(rec(0, 1, 50));
        m.push(rec(1, 0, 60));
        m.at_end(0);
        m.at_end(1);
        assert_eq!(drain(&mut m, now), [(1, 0), (0, 0), (0, 1)]);
    }

    #[test]
    fn a_silent_partition_holds_back_the_others_only_for_a_while() {
        let t0 = Instant::now();
        let mut m = TimeMerge::new([(0, false), (1, false)], Duration::from_millis(500), 1000);
        m.push(rec(0, 0, 100));
        assert_eq!(drain(&mut m, t0), []);
        assert_eq!(m.due(), Some(t0 + Duration::from_millis(500)));
        assert_eq!(drain(&mut m, t0 + Duration::from_millis(499)), []);
        assert_eq!(drain(&mut m, t0 + Duration::from_millis(500)), [(0, 0)]);
        // Partitions at their end from the start hold back nothing.
        let mut m = TimeMerge::new([(0, false), (1, true)], Duration::from_secs(60), 1000);
        m.push(rec(0, 0, 1));
        assert_eq!(drain(&mut m, t0), [(0, 0)]);
        // A record brings a partition back into the merge.
        m.push(rec(1, 0, 5));
        m.push(rec(0, 1, 9));
        assert_eq!(drain(&mut m, t0), [(1, 0)]);
    }

    #[test]
    fn a_full_merge_lets_records_out_whatever_holds_them() {
        let now = Instant::now();
        let mut m = TimeMerge::new([(0, false), (1, false)], Duration::from_secs(60), 3);
        for i in 0..3 {
            m.push(rec(0, i, i));
        }
        assert!(m.is_full());
        assert_eq!(m.pop(now).map(|r| r.offset), Some(0));
        assert!(!m.is_full());
        assert_eq!(drain(&mut m, now), []);
    }
}
