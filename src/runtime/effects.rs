//! Carries out effects: broker requests as tasks with timeouts, tails on threads of their own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Semaphore};

use crate::app::{Action, Effect, PanelKey, Payload};
use crate::config::ConnectionSettings;
use crate::kafka::tail::{plan, Tail};
use crate::kafka::KafkaClient;
use crate::record::StartPosition;

/// At most this many broker requests at once, whatever the screen asks for.
const MAX_CONCURRENT: usize = 4;
/// Records per batch sent to the screen.
const TAIL_BATCH: usize = 500;

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
                tokio::spawn(async move {
                    let result = crate::offsets::plan(&client, &request, chrono::Utc::now())
                        .await
                        .map(Box::new)
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Action::ResetPlanned { req, result });
                });
            }
            Effect::ApplyReset { req, plan } => {
                let client = self.client.clone();
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let result = match crate::offsets::ApplyOptions::current(chrono::Utc::now()) {
                        Ok(opts) => crate::offsets::apply(&client, &plan, &opts)
                            .await
                            .map(Box::new)
                            .map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    };
                    let _ = tx.send(Action::ResetApplied { req, result });
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
        tokio::spawn(async move {
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
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => Err(format!(
                    "no answer within {}",
                    humantime::format_duration(limit)
                )),
            };
            let _ = tx.send(Action::Loaded {
                key,
                req,
                at: Instant::now(),
                result,
            });
        });
    }

    fn sample(&self, req: u64) {
        let client = self.client.clone();
        let tx = self.tx.clone();
        let permits = self.permits.clone();
        // A sample asks more of the cluster than a panel: allow twice the request timeout.
        let limit = self.settings.timeout * 2 + Duration::from_secs(1);
        tokio::spawn(async move {
            let _permit = permits.acquire().await;
            let filter = crate::kafka::SampleFilter::default();
            let work = client.sample(&filter);
            let result = match tokio::time::timeout(limit, work).await {
                Ok(r) => r.map(Box::new).map_err(|e| e.to_string()),
                Err(_) => Err(format!(
                    "no sample within {}",
                    humantime::format_duration(limit)
                )),
            };
            let _ = tx.send(Action::Sampled {
                req,
                at: Instant::now(),
                result,
            });
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
        tokio::spawn(async move {
            let started = async {
                let planned = plan(&client, &topic, &partitions, from, chrono::Utc::now()).await?;
                let notes = planned.warnings.clone();
                Ok::<_, crate::Error>((Tail::start(&settings, planned, false)?, notes))
            };
            let (mut tail, notes) = match started.await {
                Ok(t) => t,
                Err(e) => {
                    let error = e.to_string();
                    let _ = tail_tx.send(Action::TailFailed { session, error }).await;
                    return;
                }
            };
            let _ = tail_tx.send(Action::TailStarted { session, notes }).await;
            // Reading blocks: a thread of its own, stopped by the flag.
            let _ = tokio::task::spawn_blocking(move || {
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
                                error: e.to_string(),
                            });
                            return;
                        }
                    }
                }
            })
            .await;
        });
    }
}
