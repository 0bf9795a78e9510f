//! Panels: the pieces of cluster data the screens show, each with its age, last error, what its
//! answer lacks and whether a request is out. Which panels are wanted, when each is due, and
//! what an answer does to its panel are decided here, through one [`State::panel_mut`].

use std::time::{Duration, Instant};

use super::action::{Effect, PanelKey, Payload};
use super::incomplete::{self, Incomplete};
use super::state::{Level, State, View};
use crate::metrics::{EventState, Sample};
use crate::model::{
    ClusterInfo, ErrorKind, Failure, GroupDetail, GroupSummary, Severity, SubjectListing,
    SubjectVersions, TopicDetail, TopicSummary,
};

/// How often an open `:subjects` reads the registry again.
const SUBJECTS_REFRESH: Duration = Duration::from_secs(60);

/// Longest wait between retries of a failing panel.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Data from one kind of request, with what the console needs to show it honestly: its age,
/// the last error, and whether a request is out.
#[derive(Debug, Clone)]
pub struct Panel<T> {
    pub data: Option<T>,
    pub updated: Option<Instant>,
    pub error: Option<Failure>,
    /// What the last answer lacks (a leader or coordinator did not answer); `None` when it
    /// was complete.
    pub incomplete: Option<Incomplete>,
    pub in_flight: Option<u64>,
    pub failures: u32,
    /// When the next refresh is due; `None` means now.
    pub due: Option<Instant>,
}

impl<T> Default for Panel<T> {
    fn default() -> Self {
        Panel {
            data: None,
            updated: None,
            error: None,
            incomplete: None,
            in_flight: None,
            failures: 0,
            due: None,
        }
    }
}

/// How a panel should be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// Nothing yet, a request is out.
    Loading,
    /// Nothing, and the last request failed.
    Failed(Failure),
    Fresh,
    /// Old data: the last refresh failed or is overdue. Shown with its age.
    Stale(Duration),
}

impl<T> Panel<T> {
    pub fn freshness(&self, now: Instant, refresh: Duration) -> Freshness {
        match (&self.data, &self.error, self.updated) {
            (None, Some(e), _) => Freshness::Failed(e.clone()),
            (None, None, _) => Freshness::Loading,
            (Some(_), err, Some(at)) => {
                let age = now.saturating_duration_since(at);
                if err.is_some() || age > refresh * 3 {
                    Freshness::Stale(age)
                } else {
                    Freshness::Fresh
                }
            }
            (Some(_), _, None) => Freshness::Fresh,
        }
    }

    /// Takes an answer if it is the one waited for (`true` when it was, and succeeded).
    /// Failures keep the old data (shown as stale) and back off exponentially.
    fn finish(
        &mut self,
        req: u64,
        at: Instant,
        result: Result<T, Failure>,
        refresh: Duration,
    ) -> bool {
        if self.in_flight != Some(req) {
            return false;
        }
        self.in_flight = None;
        match result {
            Ok(data) => {
                self.data = Some(data);
                self.updated = Some(at);
                self.error = None;
                self.failures = 0;
                self.due = Some(at + refresh);
                true
            }
            Err(e) => {
                self.error = Some(e);
                self.failures = self.failures.saturating_add(1);
                let backoff = refresh
                    .saturating_mul(1u32 << self.failures.min(6))
                    .min(MAX_BACKOFF);
                self.due = Some(at + backoff);
                false
            }
        }
    }
}

/// The data of a panel, taken from the broker's answer with what it lacks.
pub trait PanelData: Sized {
    /// `None` when the answer is of another kind.
    fn from_payload(p: Payload) -> Option<(Option<Incomplete>, Self)>;
}

/// `PanelData` for each panel's data: the payload variant it comes in, and how its data and
/// what it lacks are taken from that payload.
macro_rules! panel_data {
    ($($data:ty: $variant:ident($p:ident) => ($lacks:expr, $value:expr);)*) => {
        $(impl PanelData for $data {
            fn from_payload(p: Payload) -> Option<(Option<Incomplete>, Self)> {
                match p {
                    Payload::$variant($p) => Some(($lacks, $value)),
                    _ => None,
                }
            }
        })*
    };
}

panel_data! {
    ClusterInfo: Cluster(c) => (incomplete::cluster(&c), c);
    Vec<TopicSummary>: Topics(t) => (incomplete::topics(&t), t.items);
    TopicDetail: Topic(t) => (incomplete::topic(&t), *t);
    Vec<GroupSummary>: Groups(g) => (incomplete::groups(&g), g.items);
    GroupDetail: Group(g) => (incomplete::group(&g), *g);
    SubjectListing: Subjects(s) => (incomplete::subjects(&s), *s);
    SubjectVersions: SubjectVersions(s) => (incomplete::subject_versions(&s), *s);
    Vec<crate::model::Acl>: Acls(a) => (None, a);
    (i32, Vec<crate::model::DescribedConfig>): BrokerConfigs(b) => (None, *b);
}

/// A panel's bookkeeping, whatever its data: what scheduling, refreshing and answers touch.
pub trait PanelSlot {
    fn in_flight(&self) -> Option<u64>;
    fn due(&self) -> Option<Instant>;
    fn error(&self) -> Option<&Failure>;
    fn incomplete(&self) -> Option<&Incomplete>;
    fn send(&mut self, req: u64);
    /// Due now.
    fn refresh_now(&mut self);
    /// Stores an answer with what it lacks; an answer of the wrong kind counts as a failure.
    fn answer(
        &mut self,
        req: u64,
        at: Instant,
        result: Result<Payload, Failure>,
        refresh: Duration,
    );
}

impl<T: PanelData> PanelSlot for Panel<T> {
    fn in_flight(&self) -> Option<u64> {
        self.in_flight
    }

    fn due(&self) -> Option<Instant> {
        self.due
    }

    fn error(&self) -> Option<&Failure> {
        self.error.as_ref()
    }

    fn incomplete(&self) -> Option<&Incomplete> {
        self.incomplete.as_ref()
    }

    fn send(&mut self, req: u64) {
        self.in_flight = Some(req);
    }

    fn refresh_now(&mut self) {
        self.due = None;
    }

    fn answer(
        &mut self,
        req: u64,
        at: Instant,
        result: Result<Payload, Failure>,
        refresh: Duration,
    ) {
        let result = result.and_then(|p| {
            T::from_payload(p).ok_or_else(|| Failure::new(ErrorKind::Internal, "unexpected answer"))
        });
        let (result, lacks) = match result {
            Ok((lacks, data)) => (Ok(data), lacks),
            Err(e) => (Err(e), None),
        };
        if self.finish(req, at, result, refresh) {
            self.incomplete = lacks;
        }
    }
}

impl State {
    /// The panel a request fills.
    pub fn panel_mut(&mut self, key: &PanelKey) -> &mut dyn PanelSlot {
        match key {
            PanelKey::Cluster => &mut self.cluster,
            PanelKey::Topics => &mut self.topics,
            PanelKey::Topic(_) => &mut self.topic,
            PanelKey::Groups => &mut self.groups,
            PanelKey::Group(_) => &mut self.group,
            PanelKey::Subjects => &mut self.subjects,
            PanelKey::SubjectVersions(_) => &mut self.subject_versions,
            PanelKey::Acls => &mut self.acls,
            PanelKey::BrokerConfigs(_) => &mut self.broker_configs,
        }
    }

    /// Every panel with its name, for the status line.
    /// (The subjects are the registry's, not the cluster's: their screen shows its errors.)
    pub fn panels(&self) -> [(&'static str, &dyn PanelSlot); 7] {
        [
            ("cluster", &self.cluster),
            ("topics", &self.topics),
            ("topic", &self.topic),
            ("groups", &self.groups),
            ("group", &self.group),
            ("acls", &self.acls),
            ("broker configs", &self.broker_configs),
        ]
    }

    /// The panel the current screen shows first (the cluster for screens of their own).
    pub fn panel_on_screen(&self) -> &dyn PanelSlot {
        match self.view() {
            View::Topic { .. } => &self.topic,
            View::Topics(_) => &self.topics,
            View::Group { .. } => &self.group,
            View::Groups(_) => &self.groups,
            View::Subjects(_) => &self.subjects,
            View::SubjectVersions { .. } => &self.subject_versions,
            View::Acls(_) => &self.acls,
            View::BrokerConfigs { .. } => &self.broker_configs,
            _ => &self.cluster,
        }
    }
}

/// Panels the current view shows, plus the ones that feed rates and leaderboards.
fn wanted(state: &State) -> Vec<PanelKey> {
    let mut keys = vec![PanelKey::Cluster, PanelKey::Topics, PanelKey::Groups];
    match state.view() {
        View::Topic { name, .. } => keys.push(PanelKey::Topic(name.clone())),
        View::Group { name, .. } | View::Reset { group: name } => {
            keys.push(PanelKey::Group(name.clone()))
        }
        View::Subjects(_) => keys.push(PanelKey::Subjects),
        View::SubjectVersions { subject, .. } => {
            keys.push(PanelKey::SubjectVersions(subject.clone()))
        }
        View::Acls(_) => keys.push(PanelKey::Acls),
        View::BrokerConfigs { id, .. } => keys.push(PanelKey::BrokerConfigs(*id)),
        // A change of a topic shows the topic as it is (and reads it fresh after).
        View::Change { .. } => {
            if let Some(topic) = state.change.as_ref().and_then(|c| c.kind.topic(&c.target)) {
                keys.push(PanelKey::Topic(topic));
            }
        }
        _ => {}
    }
    keys
}

/// Sends requests for panels (and the metrics sample) that are due, one in flight each.
pub fn schedule(state: &mut State, fx: &mut Vec<Effect>) {
    if state.frozen {
        return;
    }
    let now = state.now;
    if state.sampling.in_flight.is_none() && state.sampling.due.is_none_or(|d| now >= d) {
        let req = state.next_request;
        state.next_request += 1;
        state.sampling.in_flight = Some(req);
        fx.push(Effect::Sample { req });
    }
    for key in wanted(state) {
        let req = state.next_request;
        let panel = state.panel_mut(&key);
        if panel.in_flight().is_none() && panel.due().is_none_or(|d| now >= d) {
            panel.send(req);
            state.next_request += 1;
            fx.push(Effect::Fetch { key, req });
        }
    }
}

/// Everything on screen, and the metrics, due now.
pub fn refresh_now(state: &mut State, fx: &mut Vec<Effect>) {
    state.sampling.due = None;
    for key in wanted(state) {
        state.panel_mut(&key).refresh_now();
    }
    schedule(state, fx);
}

/// Stores a panel's answer; a late answer for a topic or group no longer on screen is dropped
/// by its request id.
pub fn on_loaded(
    state: &mut State,
    key: PanelKey,
    req: u64,
    at: Instant,
    result: Result<Payload, Failure>,
) {
    let refresh = match key {
        // Schemas change seldom and a listing costs two requests a subject: ctrl-r reads
        // them again sooner.
        PanelKey::Subjects | PanelKey::SubjectVersions(_) => {
            state.options.refresh.max(SUBJECTS_REFRESH)
        }
        _ => state.options.refresh,
    };
    state.panel_mut(&key).answer(req, at, result, refresh);
    super::nav::refresh_order(state);
}

/// Takes a metrics sample in: rates, trends, group status and alerts move on; alerts that
/// fire or resolve are announced in the status line.
pub fn on_sampled(state: &mut State, req: u64, at: Instant, result: Result<Box<Sample>, Failure>) {
    let interval = Duration::from_millis(state.metrics.config().interval.max(1000) as u64);
    match result {
        Ok(sample) => {
            if !state.sampling.finish(req, at, Ok(()), interval) {
                return;
            }
            let now_ms = state.now_ms();
            let mut events = state.metrics.ingest(&sample, now_ms);
            state.metrics_view.refresh(&state.metrics, now_ms);
            // A silenced alert does not call for attention.
            events.retain(|e| {
                state
                    .silences
                    .active(&state.silence_scope, &e.rule, &e.resource, now_ms)
                    .is_none()
            });
            if let Some(e) = events.iter().max_by_key(|e| e.severity) {
                let level = match (e.state, e.severity) {
                    (EventState::Resolved, _) => Level::Info,
                    (_, Severity::Crit) => Level::Error,
                    (_, Severity::Warn) => Level::Warn,
                    _ => Level::Info,
                };
                let verb = if e.state == EventState::Resolved {
                    "resolved"
                } else {
                    "fired"
                };
                let more = if events.len() > 1 {
                    format!(" (+{} more)", events.len() - 1)
                } else {
                    String::new()
                };
                super::flash(
                    state,
                    level,
                    format!("alert {} on {} {verb}{more}", e.rule, e.resource),
                );
            }
            super::nav::refresh_order(state);
        }
        Err(e) => {
            state.sampling.finish(req, at, Err(e), interval);
        }
    }
}
