//! Carries out effects: broker requests as tasks with timeouts, tails on threads of their own.
//! Every task is guarded: if it panics (a bug), the panic is logged (by the console's panic
//! hook, with a backtrace), the request it served fails with an "internal error" the screen
//! shows where the answer would have been, and the status line says so. Nothing is swallowed.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use tokio::sync::{mpsc, Semaphore};

use crate::app::{Action, Effect, PanelKey, Payload};
use crate::config::ConnectionSettings;
use crate::kafka::tail::{plan, Tail};
use crate::kafka::KafkaClient;
use crate::model::{ErrorKind, Failure};
use crate::record::StartPosition;

/// At most this many broker requests at once, whatever the screen asks for.
const MAX_CONCURRENT: usize = 4;
/// Records per batch sent to the screen.
const TAIL_BATCH: usize = 500;

/// What a panic said, for the screen.
pub fn panic_message(p: &(dyn Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

/// Spawns `work`; if it panics, `failed` turns the panic's message into the action that
/// answers the request (if any), and the status line is told which task it was.
fn spawn_guarded<F>(
    tx: &mpsc::UnboundedSender<Action>,
    task: String,
    work: F,
    failed: impl FnOnce(Failure) -> Option<Action> + Send + 'static,
) where
    F: Future<Output = ()> + Send + 'static,
{
    let tx = tx.clone();
    tokio::spawn(async move {
        if let Err(p) = AssertUnwindSafe(work).catch_unwind().await {
            report_panic(&tx, task, panic_message(&*p), failed);
        }
    });
}

fn report_panic(
    tx: &mpsc::UnboundedSender<Action>,
    task: String,
    message: String,
    failed: impl FnOnce(Failure) -> Option<Action>,
) {
    tracing::error!("task '{task}' panicked: {message}");
    if let Some(a) = failed(Failure::new(
        ErrorKind::Internal,
        format!("internal error ({task} panicked: {message})"),
    )) {
        let _ = tx.send(a);
    }
    let _ = tx.send(Action::TaskPanicked { task, message });
}

struct TailHandle {
    stop: Arc<AtomicBool>,
    paused: Arc<AtomicBool>,
}

pub struct Runner {
    client: KafkaClient,
    settings: ConnectionSettings,
    tx: mpsc::UnboundedSender<Action>,
    tail_tx: mpsc::Sender<Action>,
    permits: Arc<Semaphore>,
    tails: HashMap<u64, TailHandle>,
}

impl Runner {
    pub fn new(
        client: KafkaClient,
        settings: ConnectionSettings,
        tx: mpsc::UnboundedSender<Action>,
        tail_tx: mpsc::Sender<Action>,
    ) -> Self {
        Runner {
            client,
            settings,
            tx,
            tail_tx,
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT)),
            tails: HashMap::new(),
        }
    }

    pub fn run_all(&mut self, effects: Vec<Effect>) {
        for e in effects {
            self.run(e);
        }
    }

    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Fetch { key, req } => self.fetch(key, req),
            Effect::Sample { req } => self.sample(req),
            Effect::PlanReset { req, request } => {
                let client = self.client.clone();
                let tx = self.tx.clone();
                let work = async move {
                    let result = crate::offsets::plan(&client, &request, chrono::Utc::now())
                        .await
                        .map(Box::new)
                        .map_err(Failure::from);
                    let _ = tx.send(Action::ResetPlanned { req, result });
                };
                spawn_guarded(&self.tx, "the reset plan".into(), work, move |e| {
                    Some(Action::ResetPlanned {
                        req,
                        result: Err(e),
                    })
                });
            }
            Effect::ApplyReset { req, plan } => {
                let client = self.client.clone();
                let tx = self.tx.clone();
                let work = async move {
                    let result = match crate::offsets::ApplyOptions::current(chrono::Utc::now()) {
                        Ok(opts) => crate::offsets::apply(&client, &plan, &opts)
                            .await
                            .map(Box::new)
                            .map_err(Failure::from),
                        Err(e) => Err(Failure::from(e)),
                    };
                    let _ = tx.send(Action::ResetApplied { req, result });
                };
                spawn_guarded(&self.tx, "the reset".into(), work, move |e| {
                    Some(Action::ResetApplied {
                        req,
                        result: Err(Failure::new(
                            e.kind,
                            format!(
                                "{e}: the reset may be partly applied; check the group's \
                                 offsets and the audit log"
                            ),
                        )),
                    })
                });
            }
            Effect::StartTail {
                session,
                topic,
                from,
                partitions,
            } => self.start_tail(session, topic, from, partitions),
            Effect::StopTail { session } => {
                if let Some(t) = self.tails.remove(&session) {
                    t.stop.store(true, Ordering::Relaxed);
                }
            }
            Effect::PauseTail { session, paused } => {
                if let Some(t) = self.tails.get(&session) {
                    t.paused.store(paused, Ordering::Relaxed);
                }
            }
            Effect::Silence(change) => self.silence(change),
            // The event loop handles these.
            Effect::SwitchContext(_) | Effect::Quit => {}
        }
    }

    /// Stops every tail (their threads end within one poll).
    pub fn shutdown(&mut self) {
        for (_, t) in self.tails.drain() {
            t.stop.store(true, Ordering::Relaxed);
        }
    }

    fn fetch(&self, key: PanelKey, req: u64) {
        let client = self.client.clone();
        let tx = self.tx.clone();
        let permits = self.permits.clone();
        // Never longer than the client's own timeout plus a margin: the panel shows the failure
        // and backs off instead of waiting.
        let limit = self.settings.timeout + Duration::from_secs(1);
        let task = format!("the {} request", key.name());
        let failed_key = key.clone();
        let work = async move {
            let _permit = permits.acquire().await;
            let work = async {
                match &key {
                    PanelKey::Cluster => client.cluster().await.map(Payload::Cluster),
                    PanelKey::Topics => client.topics(false).await.map(Payload::Topics),
                    PanelKey::Topic(name) => client
                        .topic(name)
                        .await
                        .map(|t| Payload::Topic(Box::new(t))),
                    PanelKey::Groups => client.groups().await.map(Payload::Groups),
                    PanelKey::Group(name) => client
                        .group(name, None)
                        .await
                        .map(|g| Payload::Group(Box::new(g))),
                }
            };
            let result = match tokio::time::timeout(limit, work).await {
                Ok(r) => r.map_err(Failure::from),
                Err(_) => Err(Failure::new(
                    ErrorKind::TimedOut,
                    format!("no answer within {}", humantime::format_duration(limit)),
                )),
            };
            let _ = tx.send(Action::Loaded {
                key,
                req,
                at: Instant::now(),
                result,
            });
        };
        spawn_guarded(&self.tx, task, work, move |e| {
            Some(Action::Loaded {
                key: failed_key,
                req,
                at: Instant::now(),
                result: Err(e),
            })
        });
    }

    /// Writes a silence to the silences file (a small file under a lock: on the blocking pool).
    fn silence(&self, change: crate::metrics::SilenceChange) {
        let tx = self.tx.clone();
        let work = async move {
            let written = tokio::task::spawn_blocking(move || {
                let path = crate::silences::path()?;
                crate::silences::update(&path, &change, chrono::Utc::now().timestamp_millis())
            })
            .await;
            let result = match written {
                Ok(r) => r.map_err(Failure::from),
                Err(e) => Err(Failure::new(
                    ErrorKind::Internal,
                    format!("internal error (the silences writer failed: {e})"),
                )),
            };
            let _ = tx.send(Action::SilencesSaved { result });
        };
        spawn_guarded(&self.tx, "the silences writer".into(), work, |e| {
            Some(Action::SilencesSaved { result: Err(e) })
        });
    }

    fn sample(&self, req: u64) {
        let client = self.client.clone();
        let tx = self.tx.clone();
        let permits = self.permits.clone();
        // A sample asks more of the cluster than a panel: allow twice the request timeout.
        let limit = self.settings.timeout * 2 + Duration::from_secs(1);
        let work = async move {
            let _permit = permits.acquire().await;
            let filter = crate::kafka::SampleFilter::default();
            let work = client.sample(&filter);
            let result = match tokio::time::timeout(limit, work).await {
                Ok(r) => r.map(Box::new).map_err(Failure::from),
                Err(_) => Err(Failure::new(
                    ErrorKind::TimedOut,
                    format!("no sample within {}", humantime::format_duration(limit)),
                )),
            };
            let _ = tx.send(Action::Sampled {
                req,
                at: Instant::now(),
                result,
            });
        };
        spawn_guarded(&self.tx, "the metrics sampler".into(), work, move |e| {
            Some(Action::Sampled {
                req,
                at: Instant::now(),
                result: Err(e),
            })
        });
    }

    fn start_tail(
        &mut self,
        session: u64,
        topic: String,
        from: StartPosition,
        partitions: Vec<i32>,
    ) {
        let stop = Arc::new(AtomicBool::new(false));
        let paused = Arc::new(AtomicBool::new(false));
        self.tails.insert(
            session,
            TailHandle {
                stop: stop.clone(),
                paused: paused.clone(),
            },
        );
        let client = self.client.clone();
        let settings = self.settings.clone();
        let tail_tx = self.tail_tx.clone();
        let tx = self.tx.clone();
        let failed = move |error| Some(Action::TailFailed { session, error });
        let work = async move {
            let started = async {
                let planned = plan(&client, &topic, &partitions, from, chrono::Utc::now()).await?;
                let notes = planned.warnings.clone();
                Ok::<_, crate::Error>((Tail::start(&settings, planned, false)?, notes))
            };
            let (mut tail, notes) = match started.await {
                Ok(t) => t,
                Err(e) => {
                    let error = Failure::from(e);
                    let _ = tail_tx.send(Action::TailFailed { session, error }).await;
                    return;
                }
            };
            let _ = tail_tx.send(Action::TailStarted { session, notes }).await;
            // Reading blocks: a thread of its own, stopped by the flag.
            let reader = tokio::task::spawn_blocking(move || {
                while !stop.load(Ordering::Relaxed) {
                    if paused.load(Ordering::Relaxed) {
                        // Not polling means not fetching: the broker keeps the records.
                        std::thread::sleep(Duration::from_millis(100));
                        continue;
                    }
                    match tail.next_batch(TAIL_BATCH, Duration::from_millis(100)) {
                        Ok(records) if records.is_empty() => {}
                        Ok(records) => {
                            if tail_tx
                                .blocking_send(Action::TailRecords { session, records })
                                .is_err()
                            {
                                return;
                            }
                        }
                        Err(e) => {
                            let _ = tail_tx.blocking_send(Action::TailFailed {
                                session,
                                error: Failure::from(e),
                            });
                            return;
                        }
                    }
                }
            });
            // A panic on the reader's thread ends up here, not in the guard below.
            if let Err(e) = reader.await {
                if e.is_panic() {
                    let message = panic_message(&*e.into_panic());
                    report_panic(&tx, "the tail".into(), message, failed);
                }
            }
        };
        spawn_guarded(&self.tx, "the tail".into(), work, failed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_task_answers_its_request_and_tells_the_screen() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        spawn_guarded(
            &tx,
            "the groups request".into(),
            async { panic!("boom") },
            |e| {
                Some(Action::Loaded {
                    key: PanelKey::Groups,
                    req: 7,
                    at: Instant::now(),
                    result: Err(e),
                })
            },
        );
        match rx.recv().await {
            Some(Action::Loaded {
                req: 7,
                result: Err(e),
                ..
            }) => {
                assert_eq!(e.kind, ErrorKind::Internal);
                assert!(
                    e.message.contains("internal error") && e.message.contains("boom"),
                    "{e}"
                )
            }
            other => panic!("expected the failed answer, got {other:?}"),
        }
        match rx.recv().await {
            Some(Action::TaskPanicked { task, message }) => {
                assert_eq!(task, "the groups request");
                assert_eq!(message, "boom");
            }
            other => panic!("expected TaskPanicked, got {other:?}"),
        }
    }

    #[test]
    fn panic_messages() {
        let p: Box<dyn Any + Send> = Box::new("static");
        assert_eq!(panic_message(&*p), "static");
        let p: Box<dyn Any + Send> = Box::new(String::from("owned"));
        assert_eq!(panic_message(&*p), "owned");
        let p: Box<dyn Any + Send> = Box::new(3);
        assert_eq!(panic_message(&*p), "(no message)");
    }
}
