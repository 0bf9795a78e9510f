//! The client's main queue, pumped on a thread of its own.
#![allow(unsafe_code)]

use super::*;

/// syslog levels, as librdkafka uses them.
fn log_level(level: i32) -> rdkafka::config::RDKafkaLogLevel {
    use rdkafka::config::RDKafkaLogLevel as L;
    match level {
        0 => L::Emerg,
        1 => L::Alert,
        2 => L::Critical,
        3 => L::Error,
        4 => L::Warning,
        5 => L::Notice,
        6 => L::Info,
        _ => L::Debug,
    }
}

/// The client's main queue, which carries librdkafka's log lines and error events.
struct MainQueue(Queue);
// librdkafka queues may be polled and woken from any thread.
unsafe impl Send for MainQueue {}
unsafe impl Sync for MainQueue {}

/// The librdkafka client a pump reads from, shared so that it cannot be destroyed while the
/// pump still holds its main queue.
pub type SharedClient = std::sync::Arc<rdkafka::client::Client<crate::kafka::KscopeContext>>;

/// Pumps a client's main queue on a thread of its own, handing log lines, errors and
/// statistics to the context. rust-rdkafka's admin client never polls that queue, so without
/// this the events would pile up unseen. The pump holds the client: the queue is released and
/// the thread stopped (on drop) before the client can go away, whatever order owners drop in.
pub struct MainQueuePump {
    queue: Option<std::sync::Arc<MainQueue>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Dropped last (see `Drop`).
    _client: SharedClient,
}

impl MainQueuePump {
    pub fn start(client: &SharedClient) -> Result<MainQueuePump> {
        use rdkafka::client::ClientContext;
        use std::sync::atomic::{AtomicBool, Ordering};
        let rk = client.native_ptr();
        let context = client.context().clone();

        let raw = unsafe { rd::rd_kafka_queue_get_main(rk) };
        if raw.is_null() {
            return Err(Error::kafka("cannot get the client's main queue"));
        }
        let queue = std::sync::Arc::new(MainQueue(Queue(raw)));
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let polled = queue.clone();
        let rk_ptr = ClientPtr(rk);
        let thread = std::thread::Builder::new()
            .name("kscope-events".into())
            .spawn(move || {
                let queue = polled;
                let rk_ptr = rk_ptr;
                while !stopping.load(Ordering::Relaxed) {
                    let ev = unsafe { rd::rd_kafka_queue_poll(queue.0 .0, 100) };
                    if ev.is_null() {
                        continue;
                    }
                    let ev = Event(ev);
                    unsafe {
                        match rd::rd_kafka_event_type(ev.0) {
                            rd::RD_KAFKA_EVENT_LOG => {
                                let (mut fac, mut msg, mut level) =
                                    (std::ptr::null(), std::ptr::null(), 0);
                                if rd::rd_kafka_event_log(ev.0, &mut fac, &mut msg, &mut level) == 0
                                {
                                    context.log(
                                        log_level(level),
                                        &string(fac).unwrap_or_default(),
                                        &string(msg).unwrap_or_default(),
                                    );
                                }
                            }
                            rd::RD_KAFKA_EVENT_STATS => {
                                let json = rd::rd_kafka_event_stats(ev.0);
                                if !json.is_null() {
                                    context.stats_raw(CStr::from_ptr(json).to_bytes());
                                }
                            }
                            rd::RD_KAFKA_EVENT_ERROR => {
                                let code = rd::rd_kafka_event_error(ev.0);
                                let reason = string(rd::rd_kafka_event_error_string(ev.0))
                                    .unwrap_or_default();
                                context.error(
                                    rdkafka::error::KafkaError::Global(code.into()),
                                    &reason,
                                );
                            }
                            rd::RD_KAFKA_EVENT_OAUTHBEARER_TOKEN_REFRESH => {
                                refresh_token(rk_ptr.0, &context);
                            }
                            _ => {}
                        }
                    }
                }
            })
            .map_err(|e| Error::Io(format!("cannot start the event thread: {e}")))?;
        Ok(MainQueuePump {
            queue: Some(queue),
            stop,
            thread: Some(thread),
            _client: client.clone(),
        })
    }
}

/// The client handle, for the pump thread (the pump holds the client alive).
struct ClientPtr(*mut rd::rd_kafka_t);
// librdkafka handles may be used from any thread.
unsafe impl Send for ClientPtr {}

/// Answers librdkafka's OAUTHBEARER refresh event: a new token, or the reason there is none
/// (librdkafka then reports an authentication error, which ends the call waiting on it).
unsafe fn refresh_token(rk: *mut rd::rd_kafka_t, context: &crate::kafka::KscopeContext) {
    let mut errstr = [0 as std::os::raw::c_char; 512];
    match context.oauth_token() {
        Ok(t) => {
            let (Ok(value), Ok(principal)) = (
                std::ffi::CString::new(t.value),
                std::ffi::CString::new(t.principal),
            ) else {
                fail_token(rk, "the token or its principal holds a NUL byte");
                return;
            };
            let code = rd::rd_kafka_oauthbearer_set_token(
                rk,
                value.as_ptr(),
                t.expires_ms,
                principal.as_ptr(),
                std::ptr::null_mut(),
                0,
                errstr.as_mut_ptr(),
                errstr.len(),
            );
            if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                let why = CStr::from_ptr(errstr.as_ptr())
                    .to_string_lossy()
                    .into_owned();
                fail_token(rk, &format!("librdkafka refused the token: {why}"));
            }
        }
        Err(why) => fail_token(rk, &why),
    }
}

unsafe fn fail_token(rk: *mut rd::rd_kafka_t, why: &str) {
    let why = std::ffi::CString::new(why.replace('\0', " ")).unwrap_or_default();
    rd::rd_kafka_oauthbearer_set_token_failure(rk, why.as_ptr());
}

impl Drop for MainQueuePump {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(queue) = &self.queue {
            // Wake the poll at once rather than waiting out its timeout.
            unsafe { rd::rd_kafka_queue_yield(queue.0 .0) };
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // The thread is gone: this is the last reference to the queue, destroyed here while
        // `_client` still keeps the client alive.
        self.queue = None;
    }
}
