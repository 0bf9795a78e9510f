//! The only owner of the terminal, the channels and the tasks. It turns terminal events,
//! ticks and broker answers into actions, runs `app::update`, draws, and carries out effects.
//! The UI never waits on the network: every request runs in a task with a timeout.

mod changes;
pub mod effects;
pub mod fatal;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream, KeyEventKind, KeyModifiers};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use crate::app::{self, Action, Effect, Key, KeyCode, Keymap, Options, State};
use crate::config::ConnectionSettings;
use crate::error::{Error, Result};
use crate::kafka::KafkaClient;
use crate::metrics::{AlertRule, MetricsConfig, MetricsState};
use crate::ui::{self, Theme};
use effects::Runner;

/// Resolves a context name from the config into connection settings (for `:ctx`).
pub type ContextResolver = Box<dyn Fn(&str) -> Result<ConnectionSettings>>;

/// The metrics settings and alert rules of a context (by name; `None` for `-b`).
pub type MetricsResolver = Box<dyn Fn(Option<&str>) -> Result<(MetricsConfig, Vec<AlertRule>)>>;

/// Everything the console needs to start.
pub struct Console {
    pub settings: ConnectionSettings,
    pub options: Options,
    pub theme: Theme,
    pub keymap: Keymap,
    /// Context names for `:ctx`, and how to resolve one.
    pub contexts: Vec<String>,
    pub switch: ContextResolver,
    pub metrics: MetricsResolver,
}

/// When the process started, for the "first frame with data" measurement.
static STARTED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// Call first thing in `main`.
pub fn mark_start() {
    let _ = STARTED.set(Instant::now());
}

/// When the process started (or, if `mark_start` was never called, the first time this is asked).
pub fn started() -> Instant {
    *STARTED.get_or_init(Instant::now)
}

/// How often the clock ticks: ages on screen are in seconds, refreshes in seconds.
const TICK: Duration = Duration::from_millis(500);

/// The console owns the terminal (raw mode, alternate screen).
static CONSOLE: AtomicBool = AtomicBool::new(false);

/// Runs the console until the user quits. The terminal is restored on every exit path: a
/// normal return or error, a panic on the console's thread (the panic hook), and a fatal
/// signal such as an abort inside librdkafka (`fatal`'s handlers). A panic in a background
/// task does not end the console: the task's guard reports it on screen (see effects.rs).
pub async fn run(console: Console) -> Result<()> {
    install_panic_hook();
    // Saves the terminal's modes before raw mode, for the signal handlers.
    fatal::install();
    let mut terminal = match open_terminal() {
        Ok(t) => t,
        Err(e) => {
            fatal::terminal_restored();
            return Err(Error::Io(format!("cannot open the terminal: {e}")));
        }
    };
    CONSOLE.store(true, Ordering::Release);
    let result = event_loop(&mut terminal, console).await;
    CONSOLE.store(false, Ordering::Release);
    ratatui::restore();
    fatal::terminal_restored();
    result
}

/// Raw mode and the alternate screen, like `ratatui::try_init` but without its panic hook,
/// which restores the terminal for a panic on any thread, also one the console survives.
// The console owns the terminal: ratatui draws escaped cells, not raw text.
#[allow(clippy::disallowed_methods)]
fn open_terminal() -> std::io::Result<DefaultTerminal> {
    crossterm::terminal::enable_raw_mode()?;
    if let Err(e) =
        crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)
    {
        let _ = crossterm::terminal::disable_raw_mode();
        return Err(e);
    }
    ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))
}

/// One panic hook for the whole process, installed when the console starts. Every panic is
/// logged with its thread and a backtrace. While the console runs, a panic on its own thread
/// (which ends the process) restores the terminal before the message is printed; a panic on
/// another thread is not printed at all, since it would draw over the console: its task's
/// guard shows it on screen.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            let name = thread.name().unwrap_or("unnamed");
            let backtrace = std::backtrace::Backtrace::force_capture();
            tracing::error!("panic in thread '{name}': {info}\n{backtrace}");
            if !CONSOLE.load(Ordering::Acquire) {
                previous(info);
            } else if name == "main" {
                fatal::restore_terminal_now();
                previous(info);
            }
        }));
    });
}

fn new_state(console: &Console, settings: &ConnectionSettings, size: (u16, u16)) -> Result<State> {
    let context = settings
        .context
        .clone()
        .unwrap_or_else(|| "ad hoc".to_string());
    let mut state = State::new(
        &context,
        &settings.bootstrap,
        settings.read_only,
        console.options.clone(),
        Instant::now(),
        chrono::Utc::now().timestamp_millis(),
    );
    state.keymap = console.keymap.clone();
    state.contexts = console.contexts.clone();
    state.theme = console.theme.name.clone();
    state.size = size;
    let (config, rules) = (console.metrics)(settings.context.as_deref())?;
    state.metrics = MetricsState::new(config, rules);
    // The same silences `kscope watch` applies; one that cannot be read is said, not ignored.
    state.silence_scope =
        crate::metrics::silence::scope(settings.context.as_deref(), &settings.bootstrap);
    match crate::silences::path().and_then(|p| crate::silences::load(&p)) {
        Ok(s) => state.silences = s,
        Err(e) => {
            state.silences_sync.problem = Some(crate::model::Failure::from(&e).message);
            flash_error(&mut state, e)
        }
    }
    Ok(state)
}

async fn event_loop(terminal: &mut DefaultTerminal, console: Console) -> Result<()> {
    let size = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    let mut settings = console.settings.clone();
    let mut state = new_state(&console, &settings, size)?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    // Tail records come through a bounded channel: a slow screen slows the reader, it never
    // grows memory without bound.
    let (tail_tx, mut tail_rx) = mpsc::channel::<Action>(64);
    let mut runner = Runner::new(
        KafkaClient::new(settings.clone())?,
        settings.clone(),
        tx.clone(),
        tail_tx.clone(),
    );
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut first_data_frame = false;
    let first = app::update(&mut state, Action::Tick(Instant::now()));
    runner.run_all(first);

    loop {
        if dirty {
            terminal
                .draw(|f| ui::render(f, &state, &console.theme))
                .map_err(|e| Error::Io(format!("cannot draw: {e}")))?;
            dirty = false;
            if !first_data_frame && state.cluster.data.is_some() && state.topics.data.is_some() {
                first_data_frame = true;
                let since = STARTED.get().map_or(Duration::ZERO, |t| t.elapsed());
                tracing::info!("first frame with data after {} ms", since.as_millis());
            }
        }
        let first = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => translate(ev),
                Some(Err(e)) => return Err(Error::Io(format!("terminal input failed: {e}"))),
                None => return Ok(()),
            },
            Some(a) = rx.recv() => Some(a),
            Some(a) = tail_rx.recv() => Some(a),
            _ = tick.tick() => Some(Action::Tick(Instant::now())),
        };
        // Drain whatever else is waiting, then draw once.
        let pending = std::iter::from_fn(|| rx.try_recv().ok().or_else(|| tail_rx.try_recv().ok()));
        for action in first.into_iter().chain(pending) {
            dirty = true;
            for effect in app::update(&mut state, action) {
                match effect {
                    Effect::Quit => {}
                    Effect::SwitchContext(name) => match (console.switch)(&name) {
                        Ok(new) => match KafkaClient::new(new.clone()) {
                            Ok(client) => match new_state(&console, &new, state.size) {
                                Ok(fresh) => {
                                    runner.shutdown();
                                    settings = new;
                                    runner = Runner::new(
                                        client,
                                        settings.clone(),
                                        tx.clone(),
                                        tail_tx.clone(),
                                    );
                                    state = fresh;
                                    runner.run_all(app::update(
                                        &mut state,
                                        Action::Tick(Instant::now()),
                                    ));
                                }
                                Err(e) => flash_error(&mut state, e),
                            },
                            Err(e) => flash_error(&mut state, e),
                        },
                        Err(e) => flash_error(&mut state, e),
                    },
                    other => runner.run(other),
                }
            }
        }
        if state.quit {
            runner.shutdown();
            return Ok(());
        }
    }
}

fn flash_error(state: &mut State, e: Error) {
    state.flash = Some(app::Flash {
        text: e.to_string(),
        level: app::Level::Error,
        at: state.now,
    });
}

/// Terminal events as actions; key releases and mouse events are ignored.
fn translate(ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            use crossterm::event::KeyCode as C;
            let code = match k.code {
                C::Char(c) => KeyCode::Char(c),
                C::Enter => KeyCode::Enter,
                C::Esc => KeyCode::Esc,
                C::Tab => KeyCode::Tab,
                C::BackTab => KeyCode::BackTab,
                C::Backspace => KeyCode::Backspace,
                C::Delete => KeyCode::Delete,
                C::Up => KeyCode::Up,
                C::Down => KeyCode::Down,
                C::Left => KeyCode::Left,
                C::Right => KeyCode::Right,
                C::PageUp => KeyCode::PageUp,
                C::PageDown => KeyCode::PageDown,
                C::Home => KeyCode::Home,
                C::End => KeyCode::End,
                C::F(n) => KeyCode::F(n),
                _ => return None,
            };
            Some(Action::Key(Key {
                code,
                ctrl: k.modifiers.contains(KeyModifiers::CONTROL),
                alt: k.modifiers.contains(KeyModifiers::ALT),
            }))
        }
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

/// Logs go to a file while the console owns the terminal: `<data dir>/kscope.log`, or
/// `KSCOPE_LOG_FILE`. `KSCOPE_LOG` sets the filter (default: info).
pub fn log_to_file() -> Option<std::path::PathBuf> {
    let path = match std::env::var_os("KSCOPE_LOG_FILE") {
        Some(p) => std::path::PathBuf::from(p),
        None => crate::config::data_dir().ok()?.join("kscope.log"),
    };
    // Owner-only, and never through a link planted at the path.
    let file = match crate::private_file::open_append(&path, "log file") {
        Ok(f) => f,
        Err(e) => {
            // Printed before the console takes the terminal, so it stays visible after.
            crate::cli::output::warn(format_args!("not logging: {e}"));
            return None;
        }
    };
    // The fatal-signal handlers append their line to the same file.
    fatal::set_log_file(&file);
    let filter = tracing_subscriber::EnvFilter::try_new(
        std::env::var("KSCOPE_LOG").unwrap_or_else(|_| "info".into()),
    )
    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Panics are logged by the console's panic hook (`install_panic_hook`).
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init()
        .is_ok();
    installed.then_some(path)
}
