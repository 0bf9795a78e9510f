//! Carries out effects: broker requests as tasks with timeouts, tails on threads of their own.
//! Every task is guarded: if it panics (a bug), the panic is logged (by the console's panic
//! hook, with a backtrace), the request it served fails with an "internal error" the screen
//! shows where the answer would have been, and the status line says so. Nothing is swallowed.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
use crate::schema::records::RecordDecoder;
use crate::schema::registry::Registry;
use crate::schema::{Decoder, FieldDecoder, Schemas};

/// At most this many broker requests at once, whatever the screen asks for.
const MAX_CONCURRENT: usize = 4;
/// Records per batch sent to the screen.
const TAIL_BATCH: usize = 500;
/// Longest wait for one Schema Registry request.
const REGISTRY_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// Records the reader may send in all; `u64::MAX`: no limit.
    limit: Arc<AtomicU64>,
}

fn limit_value(limit: Option<u64>) -> u64 {
    limit.unwrap_or(u64::MAX)
}

pub struct Runner {
    client: KafkaClient,
    settings: ConnectionSettings,
    /// The context's Schema Registry: tails decode through it, `:subjects` lists it. An
    /// error (a bad URL or CA file) is shown where the registry would be used.
    registry: std::result::Result<Option<Registry>, Failure>,
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
        let registry = settings
            .schema_registry
            .as_ref()
            .map(|s| Registry::new(s, settings.timeout.min(REGISTRY_TIMEOUT)))
            .transpose()
            .map_err(|e| {
                tracing::warn!("schema registry: {e}");
                Failure::from(e)
            });
        Runner {
            client,
            registry,
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
            Effect::DeleteGroup {
                req,
                group,
                topic,
                committed,
            } => {
                let client = self.client.clone();
                let settings = self.settings.clone();
                let tx = self.tx.clone();
                let work = async move {
                    use crate::offsets::group_delete::{delete_group, delete_offsets};
                    let n = committed.len();
                    let result = match topic {
                        None => delete_group(&client, &settings, &group, committed)
                            .await
                            .map(|d| crate::app::DeletedGroup {
                                partitions: n,
                                failed: Vec::new(),
                                undo_file: d.undo_file.to_string_lossy().into_owned(),
                                undo_command: d.undo_command,
                                verified: d.verified,
                            }),
                        Some(_) => delete_offsets(&client, &settings, &group, committed)
                            .await
                            .map(|d| crate::app::DeletedGroup {
                                partitions: n,
                                failed: d
                                    .failed
                                    .iter()
                                    .map(|(t, p, e)| format!("{t}/{p}: {e}"))
                                    .collect(),
                                undo_file: d.undo_file.to_string_lossy().into_owned(),
                                undo_command: d.undo_command,
                                verified: d.verified && d.still_committed.is_empty(),
                            }),
                    }
                    .map_err(Failure::from);
                    let _ = tx.send(Action::GroupDeleted { req, result });
                };
                spawn_guarded(&self.tx, "the group deletion".into(), work, move |e| {
                    Some(Action::GroupDeleted {
                        req,
                        result: Err(Failure::new(
                            e.kind,
                            format!("{e}: the group may be deleted; check it and the audit log"),
                        )),
                    })
                });
            }
            Effect::PlanChange { req, request } => {
                let client = self.client.clone();
                let tx = self.tx.clone();
                let work = async move {
                    let result = super::changes::plan(&client, *request)
                        .await
                        .map(Box::new)
                        .map_err(Failure::from);
                    let _ = tx.send(Action::ChangePlanned { req, result });
                };
                spawn_guarded(&self.tx, "the change's plan".into(), work, move |e| {
                    Some(Action::ChangePlanned {
                        req,
                        result: Err(e),
                    })
                });
            }
            Effect::ApplyChange { req, plan } => {
                let client = self.client.clone();
                let settings = self.settings.clone();
                let tx = self.tx.clone();
                let work = async move {
                    let result = super::changes::apply(&client, &settings, *plan)
                        .await
                        .map(Box::new)
                        .map_err(Failure::from);
                    let _ = tx.send(Action::ChangeApplied { req, result });
                };
                spawn_guarded(&self.tx, "the change".into(), work, move |e| {
                    Some(Action::ChangeApplied {
                        req,
                        result: Err(Failure::new(
                            e.kind,
                            format!(
                                "{e}: the change may be partly applied; check it and the audit log"
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
                limit,
            } => self.start_tail(session, topic, from, partitions, limit),
            Effect::StopTail { session } => {
                if let Some(t) = self.tails.remove(&session) {
                    t.stop.store(true, Ordering::Relaxed);
                }
            }
            Effect::LimitTail { session, limit } => {
                if let Some(t) = self.tails.get(&session) {
                    t.limit.store(limit_value(limit), Ordering::Relaxed);
                }
            }
            Effect::Silence(change) => self.silence(change),
            Effect::LoadSilences { generation } => self.load_silences(generation),
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
        let registry = self.registry.clone();
        let work = async move {
            let _permit = permits.acquire().await;
            let work = async {
                match &key {
                    PanelKey::Cluster => client
                        .cluster()
                        .await
                        .map(Payload::Cluster)
                        .map_err(Failure::from),
                    PanelKey::Topics => client
                        .topics(false)
                        .await
                        .map(Payload::Topics)
                        .map_err(Failure::from),
                    PanelKey::Topic(name) => client
                        .topic(name)
                        .await
                        .map(|t| Payload::Topic(Box::new(t)))
                        .map_err(Failure::from),
                    PanelKey::Groups => client
                        .groups()
                        .await
                        .map(Payload::Groups)
                        .map_err(Failure::from),
                    PanelKey::Group(name) => client
                        .group(name, None)
                        .await
                        .map(|g| Payload::Group(Box::new(g)))
                        .map_err(Failure::from),
                    PanelKey::Subjects => subjects(registry, limit).await,
                    PanelKey::SubjectVersions(name) => {
                        subject_versions(registry, name.clone(), limit).await
                    }
                    PanelKey::Acls => client
                        .acls(crate::model::AclFilter::default())
                        .await
                        .map(Payload::Acls)
                        .map_err(Failure::from),
                    PanelKey::BrokerConfigs(id) => client
                        .configs(crate::kafka::native::ConfigResource::Broker(*id))
                        .await
                        .map(|c| {
                            let shown = c.into_iter().filter(|c| c.source != "default").collect();
                            Payload::BrokerConfigs(Box::new((*id, shown)))
                        })
                        .map_err(Failure::from),
                }
            };
            let result = match tokio::time::timeout(limit, work).await {
                Ok(r) => r,
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
        self.silences_io(
            "the silences writer",
            move || {
                let path = crate::silences::path()?;
                crate::silences::update(&path, &change, chrono::Utc::now().timestamp_millis())
            },
            |result| Action::SilencesSaved { result },
        );
    }

    /// Reads the silences file again (on the blocking pool).
    fn load_silences(&self, generation: u64) {
        self.silences_io(
            "the silences reader",
            || crate::silences::path().and_then(|p| crate::silences::load(&p)),
            move |result| Action::SilencesLoaded { generation, result },
        );
    }

    /// Runs `io` on the silences file on the blocking pool and answers with `answer`, a failed
    /// or panicked task included.
    fn silences_io(
        &self,
        task: &'static str,
        io: impl FnOnce() -> crate::error::Result<crate::metrics::Silences> + Send + 'static,
        answer: impl Fn(std::result::Result<crate::metrics::Silences, Failure>) -> Action
            + Clone
            + Send
            + 'static,
    ) {
        let tx = self.tx.clone();
        let on_panic = answer.clone();
        let work = async move {
            let result = match tokio::task::spawn_blocking(io).await {
                Ok(r) => r.map_err(Failure::from),
                Err(e) => Err(Failure::new(
                    ErrorKind::Internal,
                    format!("internal error ({task} failed: {e})"),
                )),
            };
            let _ = tx.send(answer(result));
        };
        spawn_guarded(&self.tx, task.into(), work, move |e| Some(on_panic(Err(e))));
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
        limit: Option<u64>,
    ) {
        let stop = Arc::new(AtomicBool::new(false));
        let limit = Arc::new(AtomicU64::new(limit_value(limit)));
        self.tails.insert(
            session,
            TailHandle {
                stop: stop.clone(),
                limit: limit.clone(),
            },
        );
        let client = self.client.clone();
        let settings = self.settings.clone();
        let tail_tx = self.tail_tx.clone();
        let tx = self.tx.clone();
        let failed = move |error| Some(Action::TailFailed { session, error });
        // With a registry, keys and values in its wire format are decoded (`auto`); anything
        // else is shown as it is.
        let mut decoder = match &self.registry {
            Ok(Some(r)) => Some(RecordDecoder::new(Decoder::new(
                Schemas::new(Some(r.clone())).with_disk_cache(
                    crate::config::data_dir()
                        .ok()
                        .map(|d| d.join(crate::schema::cache::FOLDER)),
                ),
                &topic,
                FieldDecoder::Registry(None),
                FieldDecoder::Registry(None),
            ))),
            _ => None,
        };
        let work = async move {
            let started = async {
                let planned = plan(&client, &topic, &partitions, from, chrono::Utc::now()).await?;
                let notes = planned.warnings.clone();
                Ok::<_, crate::Error>((Tail::start_merged(&settings, planned)?, notes))
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
                let mut sent: u64 = 0;
                while !stop.load(Ordering::Relaxed) {
                    let allowed = limit.load(Ordering::Relaxed).saturating_sub(sent);
                    if allowed == 0 {
                        // Not polling means reading no further: the broker keeps the records.
                        std::thread::sleep(Duration::from_millis(50));
                        continue;
                    }
                    let max = usize::try_from(allowed)
                        .unwrap_or(usize::MAX)
                        .min(TAIL_BATCH);
                    match tail.next_merged(max, Duration::from_millis(100)) {
                        Ok(records) if records.is_empty() => {}
                        Ok(mut records) => {
                            sent += records.len() as u64;
                            if let Some(d) = decoder.as_mut() {
                                records.iter_mut().for_each(|r| d.decode(r));
                            }
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

/// The registry's subjects, read on the blocking pool (the client blocks) within `limit`.
async fn subjects(
    registry: std::result::Result<Option<Registry>, Failure>,
    limit: Duration,
) -> std::result::Result<Payload, Failure> {
    let registry = need_registry(registry)?;
    // Subjects not read a second before the limit are listed by name.
    let deadline = Instant::now() + limit.saturating_sub(Duration::from_secs(1));
    tokio::task::spawn_blocking(move || registry.subject_listing(deadline))
        .await
        .map_err(|e| Failure::new(ErrorKind::Internal, format!("the subjects request: {e}")))?
        .map(|l| Payload::Subjects(Box::new(l)))
        .map_err(|e| Failure::from(e.into_error()))
}

/// One subject's versions with their schemas, read on the blocking pool within `limit`.
async fn subject_versions(
    registry: std::result::Result<Option<Registry>, Failure>,
    subject: String,
    limit: Duration,
) -> std::result::Result<Payload, Failure> {
    let registry = need_registry(registry)?;
    let deadline = Instant::now() + limit.saturating_sub(Duration::from_secs(1));
    tokio::task::spawn_blocking(move || registry.subject_versions(&subject, deadline))
        .await
        .map_err(|e| {
            Failure::new(
                ErrorKind::Internal,
                format!("the subject versions request: {e}"),
            )
        })?
        .map(|v| Payload::SubjectVersions(Box::new(v)))
        .map_err(|e| Failure::from(e.into_error()))
}

/// The context's registry, or how to add one.
fn need_registry(
    registry: std::result::Result<Option<Registry>, Failure>,
) -> std::result::Result<Registry, Failure> {
    registry?.ok_or_else(|| {
        Failure::new(
            ErrorKind::Usage,
            "no schema registry in this context: add schema_registry = { url = \"http://HOST:PORT\" } to it in config.toml",
        )
    })
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
