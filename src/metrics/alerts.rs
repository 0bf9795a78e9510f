//! Alert evaluation with `for` durations and hysteresis.
//!
//! Per rule and resource: the condition must hold for the rule's `for` duration before the
//! alert fires (at once when it has none), and must then be false for `resolve_after` (default:
//! the `for` duration) *and* on at least two samples in a row before it resolves, so one good
//! sample never resolves it and one bad sample never re-fires it. A resource whose value is
//! unknown this time (a failed OffsetFetch, a window not yet covered) keeps its state; one that
//! disappeared (a deleted group or topic) counts as false.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::rules::{AlertRule, Condition, Threshold, Value};
use super::time::Millis;
use crate::model::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventState {
    Firing,
    Resolved,
}

/// An alert fired or resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertEvent {
    /// The rule's name.
    pub rule: String,
    pub severity: Severity,
    /// The group or topic.
    pub resource: String,
    pub state: EventState,
    /// The metric's value when this happened (`null` if the resource went away).
    pub value: Option<Value>,
    pub threshold: Threshold,
    /// When the condition started to hold.
    #[serde(serialize_with = "super::time::serialize_ts")]
    pub since: Millis,
    /// When the alert fired or resolved.
    #[serde(serialize_with = "super::time::serialize_ts")]
    pub at: Millis,
    /// The rule as written.
    pub expr: String,
}

impl AlertEvent {
    /// The key alert events are published with: `rule/resource`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.rule, self.resource)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertPhase {
    /// The condition holds but not yet for long enough.
    Pending,
    Firing,
    /// Firing, and the condition has been false since `resolving_since`.
    Resolving,
}

/// An alert that is pending, firing or resolving, for the alert list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActiveAlert {
    pub rule: String,
    pub severity: Severity,
    pub resource: String,
    pub phase: AlertPhase,
    pub value: Option<Value>,
    pub threshold: Threshold,
    /// When the condition started to hold.
    #[serde(serialize_with = "super::time::serialize_ts")]
    pub since: Millis,
    /// When it fired (`null` while pending).
    #[serde(serialize_with = "super::time::serialize_opt_ts")]
    pub fired_at: Option<Millis>,
    pub expr: String,
}

impl ActiveAlert {
    /// How long the condition has held, in milliseconds.
    pub fn age(&self, now: Millis) -> Millis {
        (now - self.since).max(0)
    }
}

#[derive(Debug, Clone)]
enum Phase {
    Pending {
        since: Millis,
    },
    Firing {
        since: Millis,
        fired_at: Millis,
        false_since: Option<Millis>,
        false_samples: u32,
    },
}

#[derive(Debug, Clone)]
struct Track {
    phase: Phase,
    value: Option<Value>,
}

/// The alert state of every rule and resource.
#[derive(Debug, Clone, Default)]
pub struct AlertEngine {
    rules: Vec<AlertRule>,
    tracks: BTreeMap<(usize, String), Track>,
}

/// Each resource a rule applies to, with the metric's current value (`None`: unknown now).
pub type Observations = Vec<(String, Option<Value>)>;

impl AlertEngine {
    pub fn new(rules: Vec<AlertRule>) -> Self {
        AlertEngine {
            rules,
            tracks: BTreeMap::new(),
        }
    }

    pub fn rules(&self) -> &[AlertRule] {
        &self.rules
    }

    /// Swaps in new rules (a reload). A rule that is unchanged (same name, text, severity and
    /// resolve delay) keeps its alerts as they are; an alert of a rule that was removed or
    /// changed and was firing resolves now (returned, with no value), so that whoever heard it
    /// fire hears it end.
    pub fn replace_rules(&mut self, rules: Vec<AlertRule>, now: Millis) -> Vec<AlertEvent> {
        let old = std::mem::take(&mut self.tracks);
        let mut events = Vec::new();
        for ((ri, resource), track) in old {
            let Some(rule) = self.rules.get(ri) else {
                continue;
            };
            match rules.iter().position(|r| r == rule) {
                Some(ni) => {
                    self.tracks.insert((ni, resource), track);
                }
                None => {
                    if let Phase::Firing { since, .. } = track.phase {
                        events.push(event(
                            rule,
                            resource,
                            EventState::Resolved,
                            None,
                            since,
                            now,
                        ));
                    }
                }
            }
        }
        self.rules = rules;
        events
    }

    /// Steps every rule at `now`; returns the alerts that fired or resolved.
    pub fn evaluate(
        &mut self,
        now: Millis,
        mut observe: impl FnMut(&Condition) -> Observations,
    ) -> Vec<AlertEvent> {
        let mut events = Vec::new();
        for (ri, rule) in self.rules.iter().enumerate() {
            let mut seen = BTreeSet::new();
            for (resource, value) in observe(&rule.condition) {
                seen.insert(resource.clone());
                let Some(value) = value else { continue };
                let holds = rule.condition.holds(value);
                let key = (ri, resource);
                step(
                    &mut self.tracks,
                    rule,
                    key,
                    holds,
                    Some(value),
                    now,
                    &mut events,
                );
            }
            let gone: Vec<(usize, String)> = self
                .tracks
                .keys()
                .filter(|(r, res)| *r == ri && !seen.contains(res))
                .cloned()
                .collect();
            for key in gone {
                step(&mut self.tracks, rule, key, false, None, now, &mut events);
            }
        }
        events
    }

    /// The alerts pending, firing or resolving, worst first, then oldest first.
    pub fn active(&self) -> Vec<ActiveAlert> {
        let mut out: Vec<ActiveAlert> = self
            .tracks
            .iter()
            .filter_map(|((ri, resource), track)| {
                let rule = self.rules.get(*ri)?;
                let (phase, since, fired_at) = match track.phase {
                    Phase::Pending { since } => (AlertPhase::Pending, since, None),
                    Phase::Firing {
                        since,
                        fired_at,
                        false_since,
                        ..
                    } => (
                        if false_since.is_some() {
                            AlertPhase::Resolving
                        } else {
                            AlertPhase::Firing
                        },
                        since,
                        Some(fired_at),
                    ),
                };
                Some(ActiveAlert {
                    rule: rule.name.clone(),
                    severity: rule.severity,
                    resource: resource.clone(),
                    phase,
                    value: track.value,
                    threshold: rule.condition.threshold.clone(),
                    since,
                    fired_at,
                    expr: rule.expr.clone(),
                })
            })
            .collect();
        out.sort_by(|a, b| {
            (b.phase != AlertPhase::Pending)
                .cmp(&(a.phase != AlertPhase::Pending))
                .then(b.severity.cmp(&a.severity))
                .then(a.since.cmp(&b.since))
                .then(a.rule.cmp(&b.rule))
                .then(a.resource.cmp(&b.resource))
        });
        out
    }

    /// Firing (or resolving) alerts only.
    pub fn firing(&self) -> Vec<ActiveAlert> {
        self.active()
            .into_iter()
            .filter(|a| a.phase != AlertPhase::Pending)
            .collect()
    }

    /// A one-off check without history (`watch --once`): every condition that holds now, as a
    /// firing event, ignoring `for` durations. Changes no state.
    pub fn check(
        &self,
        now: Millis,
        mut observe: impl FnMut(&Condition) -> Observations,
    ) -> Vec<AlertEvent> {
        let mut out = Vec::new();
        for rule in &self.rules {
            for (resource, value) in observe(&rule.condition) {
                let Some(value) = value else { continue };
                if rule.condition.holds(value) {
                    out.push(event(
                        rule,
                        resource,
                        EventState::Firing,
                        Some(value),
                        now,
                        now,
                    ));
                }
            }
        }
        out
    }
}

fn event(
    rule: &AlertRule,
    resource: String,
    state: EventState,
    value: Option<Value>,
    since: Millis,
    at: Millis,
) -> AlertEvent {
    AlertEvent {
        rule: rule.name.clone(),
        severity: rule.severity,
        resource,
        state,
        value,
        threshold: rule.condition.threshold.clone(),
        since,
        at,
        expr: rule.expr.clone(),
    }
}

fn step(
    tracks: &mut BTreeMap<(usize, String), Track>,
    rule: &AlertRule,
    key: (usize, String),
    holds: bool,
    value: Option<Value>,
    now: Millis,
    events: &mut Vec<AlertEvent>,
) {
    let hold = rule.condition.hold;
    let resource = key.1.clone();
    match (tracks.get_mut(&key), holds) {
        (None, false) => {}
        (None, true) => {
            let phase = if hold == 0 {
                events.push(event(rule, resource, EventState::Firing, value, now, now));
                Phase::Firing {
                    since: now,
                    fired_at: now,
                    false_since: None,
                    false_samples: 0,
                }
            } else {
                Phase::Pending { since: now }
            };
            tracks.insert(key, Track { phase, value });
        }
        (Some(track), true) => {
            track.value = value;
            match track.phase {
                Phase::Pending { since } if now - since >= hold => {
                    events.push(event(rule, resource, EventState::Firing, value, since, now));
                    track.phase = Phase::Firing {
                        since,
                        fired_at: now,
                        false_since: None,
                        false_samples: 0,
                    };
                }
                Phase::Pending { .. } => {}
                Phase::Firing {
                    ref mut false_since,
                    ref mut false_samples,
                    ..
                } => {
                    *false_since = None;
                    *false_samples = 0;
                }
            }
        }
        (Some(track), false) => match track.phase {
            Phase::Pending { .. } => {
                tracks.remove(&key);
            }
            Phase::Firing {
                since,
                ref mut false_since,
                ref mut false_samples,
                ..
            } => {
                track.value = value;
                let started = *false_since.get_or_insert(now);
                *false_samples += 1;
                if *false_samples >= 2 && now - started >= rule.resolve_after() {
                    events.push(event(
                        rule,
                        resource,
                        EventState::Resolved,
                        value,
                        since,
                        now,
                    ));
                    tracks.remove(&key);
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::status::Status;

    fn rule(name: &str, expr: &str, sev: Severity) -> AlertRule {
        AlertRule::new(name, expr, sev).unwrap()
    }

    /// Feeds one value per second for resource "g"; returns (time, event state) of each event.
    fn run(rule: AlertRule, values: &[Option<f64>]) -> Vec<(Millis, EventState)> {
        let mut e = AlertEngine::new(vec![rule]);
        let mut out = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let now = i as Millis * 1000;
            let obs: Observations = vec![("g".to_string(), v.map(Value::Number))];
            for ev in e.evaluate(now, |_| obs.clone()) {
                out.push((ev.at, ev.state));
            }
        }
        out
    }

    #[test]
    fn replacing_rules_keeps_unchanged_alerts_and_resolves_the_others() {
        let keep = rule("keep", "lag > 10", Severity::Warn);
        let change = rule("change", "lag > 10", Severity::Crit);
        let mut e = AlertEngine::new(vec![keep.clone(), change.clone()]);
        let obs: Observations = vec![("g".to_string(), Some(Value::Number(20.0)))];
        let fired = e.evaluate(1_000, |_| obs.clone());
        assert_eq!(fired.len(), 2);
        // "keep" stays as it was (moved to another index); "change" gets a new threshold.
        let changed = rule("change", "lag > 100", Severity::Crit);
        let ended = e.replace_rules(vec![changed, keep], 2_000);
        assert_eq!(ended.len(), 1, "{ended:?}");
        assert_eq!(ended[0].rule, "change");
        assert_eq!(ended[0].state, EventState::Resolved);
        assert_eq!(
            (ended[0].since, ended[0].at, ended[0].value),
            (1_000, 2_000, None)
        );
        let firing = e.firing();
        assert_eq!(firing.len(), 1);
        assert_eq!((firing[0].rule.as_str(), firing[0].since), ("keep", 1_000));
        // Still firing: no new event for "keep"; the new "change" rule does not hold.
        assert!(e.evaluate(3_000, |_| obs.clone()).is_empty());
    }

    #[test]
    fn fires_after_for_and_resolves_after_the_same_time() {
        let r = rule("lag", "lag > 10 for 2s", Severity::Warn);
        let v = |x: f64| Some(x);
        let events = run(
            r,
            &[
                v(0.),
                v(20.),
                v(20.),
                v(20.),
                v(20.),
                v(0.),
                v(0.),
                v(0.),
                v(0.),
            ],
        );
        // True from 1 s: fires at 3 s. False from 5 s: resolves at 7 s.
        assert_eq!(
            events,
            vec![(3000, EventState::Firing), (7000, EventState::Resolved)]
        );
    }

    #[test]
    fn never_flaps_on_one_sample() {
        let v = |x: f64| Some(x);
        // A blip shorter than `for` never fires.
        let r = rule("lag", "lag > 10 for 2s", Severity::Warn);
        assert!(run(r, &[v(0.), v(20.), v(0.), v(20.), v(0.)]).is_empty());
        // Without `for` it fires at once, but one good sample does not resolve it.
        let r = rule("lag", "lag > 10", Severity::Warn);
        let events = run(r, &[v(20.), v(0.), v(20.), v(0.), v(0.)]);
        assert_eq!(
            events,
            vec![(0, EventState::Firing), (4000, EventState::Resolved)]
        );
    }

    #[test]
    fn unknown_values_keep_the_state_and_vanished_resources_resolve() {
        let r = rule("lag", "lag > 10 for 1s", Severity::Crit);
        let v = |x: f64| Some(x);
        let events = run(r.clone(), &[v(20.), None, v(20.), None, None]);
        assert_eq!(events, vec![(2000, EventState::Firing)]);

        let mut e = AlertEngine::new(vec![r]);
        let one: Observations = vec![("g".into(), Some(Value::Number(20.0)))];
        assert!(e.evaluate(0, |_| one.clone()).is_empty());
        assert_eq!(e.evaluate(1000, |_| one.clone()).len(), 1);
        assert_eq!(e.firing().len(), 1);
        assert!(e.evaluate(2000, |_| Vec::new()).is_empty());
        let ev = e.evaluate(3000, |_| Vec::new());
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].state, EventState::Resolved);
        assert_eq!(ev[0].value, None);
        assert_eq!(ev[0].since, 0);
        assert!(e.active().is_empty());
    }

    #[test]
    fn resolve_after_overrides_the_for_duration() {
        let mut r = rule("lag", "lag > 10 for 1s", Severity::Warn);
        r.resolve_after = Some(3000);
        let v = |x: f64| Some(x);
        let events = run(r, &[v(20.), v(20.), v(0.), v(0.), v(0.), v(0.)]);
        assert_eq!(
            events,
            vec![(1000, EventState::Firing), (5000, EventState::Resolved)]
        );
    }

    #[test]
    fn active_alerts_show_phase_since_and_value() {
        let mut e = AlertEngine::new(vec![
            rule("stuck", "status in [STALL, STOP] for 2s", Severity::Warn),
            rule("lagging", "lag > 5", Severity::Crit),
        ]);
        let obs = |c: &Condition| -> Observations {
            match c.metric {
                crate::metrics::rules::Metric::Status => {
                    vec![("g".into(), Some(Value::Status(Status::Stop)))]
                }
                _ => vec![("g".into(), Some(Value::Number(9.0)))],
            }
        };
        let ev = e.evaluate(10_000, obs);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].key(), "lagging/g");
        let a = e.active();
        assert_eq!(a.len(), 2);
        assert_eq!(
            (a[0].rule.as_str(), a[0].phase),
            ("lagging", AlertPhase::Firing)
        );
        assert_eq!(
            (a[1].rule.as_str(), a[1].phase),
            ("stuck", AlertPhase::Pending)
        );
        assert_eq!(a[1].fired_at, None);
        assert_eq!(a[1].age(12_500), 2_500);
        let json = serde_json::to_value(&ev[0]).unwrap();
        assert_eq!(json["state"], "firing");
        assert_eq!(json["severity"], "crit");
        assert_eq!(json["value"], 9.0);
        assert_eq!(json["threshold"], 5.0);
        assert_eq!(json["since"], "1970-01-01T00:00:10.000Z");
        let json = serde_json::to_value(&a[1]).unwrap();
        assert_eq!(json["value"], "STOP");
        assert_eq!(json["threshold"], serde_json::json!(["STALL", "STOP"]));
    }

    #[test]
    fn check_ignores_for_and_keeps_no_state() {
        let e = AlertEngine::new(vec![rule("lag", "lag > 10 for 1h", Severity::Crit)]);
        let obs: Observations = vec![
            ("a".into(), Some(Value::Number(20.0))),
            ("b".into(), Some(Value::Number(5.0))),
            ("c".into(), None),
        ];
        let ev = e.check(5, |_| obs.clone());
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].resource, "a");
        assert!(e.active().is_empty());
    }
}
