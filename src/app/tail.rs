//! The console's live tail: a bounded ring of records that counts what it had to drop, the
//! view state around it (pause, follow, selection, filter, detail pane), and its commands.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::action::Effect;
use super::nav::scroll_into_view;
use super::state::{Level, State};
use crate::metrics::{EventTimeConfig, EventTimeWindows, Millis};
use crate::model::Failure;
pub use crate::record::OwnedRecord;
use crate::record::{problem_class, FieldDecoding, FilterSet, StartPosition};

/// A ring buffer: the newest `capacity` records; older ones are dropped and counted.
#[derive(Debug, Clone)]
pub struct TailBuffer {
    records: VecDeque<OwnedRecord>,
    capacity: usize,
    pub dropped: u64,
    pub received: u64,
    bytes: usize,
}

impl TailBuffer {
    pub fn new(capacity: usize) -> Self {
        TailBuffer {
            records: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
            dropped: 0,
            received: 0,
            bytes: 0,
        }
    }

    pub fn push(&mut self, r: OwnedRecord) {
        self.received += 1;
        self.bytes += r.size();
        self.records.push_back(r);
        while self.records.len() > self.capacity {
            if let Some(old) = self.records.pop_front() {
                self.bytes -= old.size();
                self.dropped += 1;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn get(&self, i: usize) -> Option<&OwnedRecord> {
        self.records.get(i)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &OwnedRecord> + ExactSizeIterator {
        self.records.iter()
    }
}

/// The view's filter: a kscope filter expression (`key=..`, `value~..`) or plain text that
/// must appear in the key or value.
#[derive(Debug, Clone, Default)]
pub struct TailFilter {
    pub text: String,
    pub invert: bool,
    expr: Option<FilterSet>,
}

impl TailFilter {
    pub fn new(text: &str, invert: bool) -> Self {
        let expr = FilterSet::parse(&[text.to_string()]).ok();
        TailFilter {
            text: text.to_string(),
            invert,
            expr,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn matches(&self, topic: &str, r: &OwnedRecord) -> bool {
        if self.text.is_empty() {
            return true;
        }
        // A decoded key or value is matched as the JSON shown, as in `kscope tail --filter`.
        let hit = match (&self.expr, &r.decoded) {
            (Some(f), Some(d)) => f.matches_decoded(&r.as_ref(topic), &d.as_decoded()),
            (Some(f), None) => f.matches(&r.as_ref(topic)),
            (None, decoded) => {
                let needle = self.text.as_bytes();
                let contains = |b: Option<&[u8]>| {
                    b.is_some_and(|b| b.windows(needle.len()).any(|w| w == needle))
                };
                let shown = |d: Option<&FieldDecoding>, raw: &Option<Vec<u8>>| match d
                    .and_then(FieldDecoding::json)
                {
                    Some(json) => contains(Some(json.as_bytes())),
                    None => contains(raw.as_deref()),
                };
                let d = decoded.as_deref();
                shown(d.and_then(|d| d.key.as_ref()), &r.key)
                    || shown(d.and_then(|d| d.value.as_ref()), &r.value)
            }
        };
        hit != self.invert
    }
}

/// Which part of a record the detail pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetailTab {
    /// The value: decoded through its schema (pretty JSON), or as text.
    #[default]
    Value,
    /// The key's and value's schemas (subject, version, id, type), or why they failed.
    Schema,
    Headers,
    /// The raw bytes.
    Hex,
}

impl DetailTab {
    /// The tab after this one; the schema tab is there for a record read through a schema.
    pub fn next(self, schema: bool) -> Self {
        match self {
            DetailTab::Value if schema => DetailTab::Schema,
            DetailTab::Value | DetailTab::Schema => DetailTab::Headers,
            DetailTab::Headers => DetailTab::Hex,
            DetailTab::Hex => DetailTab::Value,
        }
    }
}

/// Keys and values that could not be decoded: each class of problem is reported once on the
/// status line; all are counted.
#[derive(Debug, Clone, Default)]
pub struct DecodeProblems {
    seen: std::collections::HashSet<String>,
    /// Keys and values shown raw because they could not be decoded.
    pub count: u64,
}

/// At most this many different problems are reported one by one.
const MAX_REPORTED: usize = 20;

impl DecodeProblems {
    /// Counts the record's failures; the message for the first of a new class.
    fn note(&mut self, topic: &str, r: &OwnedRecord) -> Option<String> {
        let d = r.decoded.as_deref()?;
        let mut first = None;
        for (part, f) in [("key", &d.key), ("value", &d.value)] {
            if let Some(FieldDecoding::Failed(why)) = f {
                self.count += 1;
                let class = format!("{part}:{}", problem_class(why));
                if self.seen.len() < MAX_REPORTED && self.seen.insert(class) && first.is_none() {
                    first = Some(format!(
                        "{part} of {topic}/{} offset {} cannot be decoded: {why}; shown raw",
                        r.partition, r.offset
                    ));
                }
            }
        }
        first
    }
}

#[derive(Debug, Clone)]
pub struct TailState {
    pub topic: String,
    pub session: u64,
    pub from: StartPosition,
    pub buffer: TailBuffer,
    /// Reading stopped (the consumer fetches nothing while paused).
    pub paused: bool,
    /// Keep the newest record selected as records arrive.
    pub follow: bool,
    /// Index into the *filtered* records.
    pub selected: usize,
    pub offset: usize,
    pub filter: TailFilter,
    pub detail: Option<DetailTab>,
    pub error: Option<Failure>,
    pub notes: Vec<String>,
    /// Event-time windows, late records and per-key sessions over the records read.
    pub windows: EventTimeWindows,
    /// The windows pane is open (instead of the record detail).
    pub show_windows: bool,
    /// Arrival counts per second for the live rate.
    arrivals: VecDeque<(Instant, u64)>,
    /// Records of this session that arrived (in the buffer, dropped from it, or held).
    pub arrived: u64,
    /// Records that arrived while the buffer was full and the view held still (not
    /// following): kept in order, and moved into the buffer when following resumes, so the
    /// records on screen are never pushed out under the reader.
    pub held: VecDeque<OwnedRecord>,
    /// How many records the reader may send in all, as last told (`None`: no limit).
    pub limit: Option<u64>,
    /// `arrived` when the tail was paused: the reader stops there.
    pause_mark: u64,
    /// A jump while paused still reads this many records from its target.
    fill: u64,
    /// Keys and values that could not be read through their schema.
    pub problems: DecodeProblems,
}

impl TailState {
    pub fn new(
        topic: String,
        session: u64,
        from: StartPosition,
        capacity: usize,
        windows: EventTimeConfig,
    ) -> Self {
        TailState {
            topic,
            session,
            from,
            buffer: TailBuffer::new(capacity),
            paused: false,
            follow: true,
            selected: 0,
            offset: 0,
            filter: TailFilter::default(),
            detail: None,
            error: None,
            notes: Vec::new(),
            windows: EventTimeWindows::new(windows),
            show_windows: false,
            arrivals: VecDeque::new(),
            arrived: 0,
            held: VecDeque::new(),
            limit: None,
            pause_mark: 0,
            fill: 0,
            problems: DecodeProblems::default(),
        }
    }

    /// How many records the reader may send in all: no limit while following; while the view
    /// holds still, no more than fit the buffer without pushing out what is on screen; while
    /// paused, none beyond what had come (or, after a jump, one buffer from the target).
    pub fn wanted_limit(&self) -> Option<u64> {
        let room = self.buffer.capacity() as u64 + self.buffer.dropped;
        match (self.paused, self.follow) {
            (false, true) => None,
            (false, false) => Some(room),
            (true, true) => Some(self.pause_mark.max(self.fill)),
            (true, false) => Some(self.pause_mark.max(self.fill).min(room)),
        }
    }

    /// The reader stopped at its limit: nothing more is read until the view follows again
    /// or the tail resumes.
    pub fn reading_stopped(&self) -> bool {
        self.limit.is_some_and(|l| self.arrived >= l)
    }

    /// Takes records in at `now` (`now_ms` on the wall clock, for event-time windows).
    pub fn ingest(&mut self, records: Vec<OwnedRecord>, now: Instant, now_ms: Millis) {
        let n = records.len() as u64;
        for r in records {
            self.arrived += 1;
            let key = r
                .key
                .as_deref()
                .map(|k| String::from_utf8_lossy(k).into_owned());
            self.windows
                .ingest(r.timestamp.map(|(ms, _)| ms), key.as_deref(), now_ms);
            let full = self.buffer.len() >= self.buffer.capacity();
            if !self.follow && (full || !self.held.is_empty()) {
                self.held.push_back(r);
            } else {
                self.buffer.push(r);
            }
        }
        self.arrivals.push_back((now, n));
        self.prune(now);
    }

    fn prune(&mut self, now: Instant) {
        while let Some((t, _)) = self.arrivals.front() {
            if now.duration_since(*t) > RATE_WINDOW {
                self.arrivals.pop_front();
            } else {
                break;
            }
        }
    }

    /// Records per second over the last few seconds.
    pub fn rate(&self, now: Instant) -> f64 {
        let total: u64 = self
            .arrivals
            .iter()
            .filter(|(t, _)| now.duration_since(*t) <= RATE_WINDOW)
            .map(|(_, n)| n)
            .sum();
        total as f64 / RATE_WINDOW.as_secs_f64()
    }

    /// Indices into the buffer of the records the filter lets through.
    pub fn visible(&self) -> Vec<usize> {
        if self.filter.is_empty() {
            return (0..self.buffer.len()).collect();
        }
        self.buffer
            .iter()
            .enumerate()
            .filter(|(_, r)| self.filter.matches(&self.topic, r))
            .map(|(i, _)| i)
            .collect()
    }

    /// How many records pass the filter, without building the index list.
    pub fn visible_len(&self) -> usize {
        if self.filter.is_empty() {
            self.buffer.len()
        } else {
            self.buffer
                .iter()
                .filter(|r| self.filter.matches(&self.topic, r))
                .count()
        }
    }
}

const RATE_WINDOW: Duration = Duration::from_secs(5);

/// Stops the tail, if one runs.
pub fn stop_tail(state: &mut State, fx: &mut Vec<Effect>) {
    if let Some(t) = state.tail.take() {
        fx.push(Effect::StopTail { session: t.session });
    }
}

/// Whether a tail from `from` follows the newest records; a jump into the log (the
/// beginning, an offset, a time) holds the view at its target instead.
pub fn follows(from: StartPosition) -> bool {
    matches!(from, StartPosition::End | StartPosition::Last(_))
}

/// Starts reading `topic` from `from` (stopping any other tail) and shows it.
pub fn start_tail(state: &mut State, topic: String, from: StartPosition, fx: &mut Vec<Effect>) {
    let old = state.tail.take();
    if let Some(t) = &old {
        fx.push(Effect::StopTail { session: t.session });
    }
    let session = state.next_session;
    state.next_session += 1;
    let mut t = TailState::new(
        topic.clone(),
        session,
        from,
        state.options.tail_capacity,
        state.options.tail_windows.clone(),
    );
    t.follow = follows(from);
    // The same topic from elsewhere (`:from`) keeps how it is looked at.
    if let Some(old) = old.filter(|o| o.topic == topic) {
        t.paused = old.paused;
        t.filter = old.filter;
        t.detail = old.detail;
        t.show_windows = old.show_windows;
        if t.paused {
            t.fill = t.buffer.capacity() as u64;
        }
    }
    t.limit = t.wanted_limit();
    fx.push(Effect::StartTail {
        session,
        topic,
        from,
        partitions: Vec::new(),
        limit: t.limit,
    });
    state.tail = Some(t);
    super::nav::push_tail(state, fx);
}

/// After every action: held records go into the buffer once the view follows, and the
/// reader is told its limit when it changed.
pub fn settle(state: &mut State, fx: &mut Vec<Effect>) {
    let page = state.page_rows();
    let Some(t) = state.tail.as_mut() else { return };
    if t.follow && !t.held.is_empty() {
        while let Some(r) = t.held.pop_front() {
            t.buffer.push(r);
        }
        let n = t.visible_len();
        t.selected = n.saturating_sub(1);
        t.offset = n.saturating_sub(page);
    }
    let wanted = t.wanted_limit();
    if wanted != t.limit {
        t.limit = wanted;
        fx.push(Effect::LimitTail {
            session: t.session,
            limit: wanted,
        });
    }
}

/// `:tail TOPIC [FROM]` (the last 100 records by default).
pub fn tail_command(state: &mut State, args: &[&str], fx: &mut Vec<Effect>) {
    let Some(topic) = args.first() else { return };
    let from = match args.get(1) {
        Some(f) => match f.parse::<StartPosition>() {
            Ok(p) => p,
            Err(e) => return super::flash(state, Level::Warn, e.to_string()),
        },
        None => StartPosition::Last(100),
    };
    start_tail(state, topic.to_string(), from, fx);
}

/// `:from POSITION`: the running tail again, from elsewhere.
pub fn from_command(state: &mut State, args: &[&str], fx: &mut Vec<Effect>) {
    let Some(pos) = args.first() else { return };
    match (pos.parse::<StartPosition>(), state.tail.as_ref()) {
        (Ok(from), Some(t)) => {
            let topic = t.topic.clone();
            start_tail(state, topic, from, fx);
        }
        (Ok(_), None) => super::flash(
            state,
            Level::Warn,
            ":from works in a tail (start one with :tail TOPIC)",
        ),
        (Err(e), _) => super::flash(state, Level::Warn, e.to_string()),
    }
}

/// Records arrived; following keeps the newest selected.
pub fn on_records(state: &mut State, session: u64, records: Vec<OwnedRecord>) {
    let now = state.now;
    let page = state.page_rows();
    let now_ms = state.now_ms();
    let mut problem = None;
    if let Some(t) = state.tail.as_mut().filter(|t| t.session == session) {
        for r in &records {
            if let Some(p) = t.problems.note(&t.topic, r) {
                problem.get_or_insert(p);
            }
        }
        t.ingest(records, now, now_ms);
        if t.follow {
            let n = t.visible_len();
            t.selected = n.saturating_sub(1);
            t.offset = n.saturating_sub(page);
        }
    }
    if let Some(p) = problem {
        super::flash(state, Level::Warn, p);
    }
}

/// The tail stopped with an error: shown in its pane and the status line.
pub fn on_failed(state: &mut State, session: u64, error: Failure) {
    if let Some(t) = state.tail.as_mut().filter(|t| t.session == session) {
        let text = error.message.clone();
        t.error = Some(error);
        super::flash(state, Level::Error, text);
    }
}

/// The tail planned its start: its notes (such as a clamped offset) are shown.
pub fn on_started(state: &mut State, session: u64, notes: Vec<String>) {
    if let Some(t) = state.tail.as_mut().filter(|t| t.session == session) {
        t.error = None;
        t.notes = notes;
    }
}

/// Stops or resumes reading (the reader reads nothing more while paused).
pub fn pause(state: &mut State, paused: Option<bool>, fx: &mut Vec<Effect>) {
    if let Some(t) = state.tail.as_mut() {
        let paused = paused.unwrap_or(!t.paused);
        if paused && !t.paused {
            t.pause_mark = t.arrived;
        }
        t.paused = paused;
        t.fill = 0;
    }
    settle(state, fx);
}

/// Follows the newest record, or stops following.
pub fn follow(state: &mut State) {
    let page = state.page_rows();
    if let Some(t) = state.tail.as_mut() {
        t.follow = !t.follow;
        if t.follow {
            let n = t.visible_len();
            t.selected = n.saturating_sub(1);
            scroll_into_view(&mut t.selected, &mut t.offset, n, page);
        }
    }
}

/// Opens or closes the record detail pane.
pub fn toggle_detail(state: &mut State) {
    if let Some(t) = state.tail.as_mut() {
        t.show_windows = false;
        t.detail = match t.detail {
            None => Some(DetailTab::Value),
            Some(_) => None,
        };
    }
}

/// Opens or closes the event-time windows pane.
pub fn toggle_windows(state: &mut State) {
    if let Some(t) = state.tail.as_mut() {
        t.detail = None;
        t.show_windows = !t.show_windows;
    }
}

/// The detail pane's next tab (opening it on the value); the schema tab when the selected
/// record was read through a schema.
pub fn next_detail_tab(state: &mut State) {
    if let Some(t) = state.tail.as_mut() {
        let schema = selected_record(t).is_some_and(|r| r.decoded.is_some());
        t.detail = Some(t.detail.map_or(DetailTab::Value, |d| d.next(schema)));
    }
}

/// The record under the selection (after the filter).
pub fn selected_record(t: &TailState) -> Option<&OwnedRecord> {
    if t.filter.is_empty() {
        return t.buffer.get(t.selected);
    }
    let i = *t.visible().get(t.selected)?;
    t.buffer.get(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(offset: i64, value: &str) -> OwnedRecord {
        OwnedRecord {
            partition: 0,
            offset,
            timestamp: None,
            key: Some(b"k".to_vec()),
            value: Some(value.as_bytes().to_vec()),
            headers: Vec::new(),
            decoded: None,
        }
    }

    #[test]
    fn ring_drops_the_oldest_and_counts() {
        let mut b = TailBuffer::new(3);
        for i in 0..5 {
            b.push(rec(i, "v"));
        }
        assert_eq!(b.len(), 3);
        assert_eq!(b.dropped, 2);
        assert_eq!(b.received, 5);
        assert_eq!(b.get(0).unwrap().offset, 2);
        let one = rec(0, "v").size();
        assert_eq!(b.bytes(), 3 * one);
    }

    #[test]
    fn filter_text_or_expression() {
        let r = rec(1, "{\"status\":\"failed\"}");
        assert!(TailFilter::new("failed", false).matches("t", &r));
        assert!(!TailFilter::new("failed", true).matches("t", &r));
        assert!(TailFilter::new("key=k", false).matches("t", &r));
        assert!(!TailFilter::new("key=x", false).matches("t", &r));
        assert!(TailFilter::new("", true).matches("t", &r));
    }

    #[test]
    fn rate_counts_recent_arrivals() {
        let t0 = Instant::now();
        let mut t = TailState::new(
            "t".into(),
            1,
            StartPosition::End,
            100,
            EventTimeConfig::default(),
        );
        t.ingest(vec![rec(0, "a"), rec(1, "b")], t0, 0);
        t.ingest(vec![rec(2, "c")], t0 + Duration::from_secs(1), 1000);
        assert!((t.rate(t0 + Duration::from_secs(1)) - 0.6).abs() < 1e-9);
        assert_eq!(t.rate(t0 + Duration::from_secs(60)), 0.0);
    }
}
