//! Fault-test helpers: crash and restart one node of a test cluster, run commands in loops
//! through a fault window, and check that no run crashed, panicked or overran its budget.
//!
//! A fault test owns its cluster (`start("faults-…", 3)` plus `StopOnDrop`), since killing
//! a node of a shared cluster would break other tests.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{read_cluster, repo, Kafka};

/// Fault tests run one at a time (in a test binary): each starts a three-broker cluster of its
/// own, and several at once on a small machine would distort the timings they check. Hold
/// the guard for the whole test.
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    // A test that failed while holding the lock does not stop the others.
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Stops (and deletes) a cluster when dropped, also when the test panics.
pub struct StopOnDrop(pub String);

impl StopOnDrop {
    pub fn new(name: &str) -> StopOnDrop {
        StopOnDrop(name.to_string())
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("scripts/kafka.sh"))
            .args(["stop", "--name", &self.0])
            .stdout(Stdio::null())
            .status();
    }
}

fn kafka_sh(args: &[&str]) {
    let script = repo().join("scripts/kafka.sh");
    let out = Command::new(&script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "kafka.sh {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// SIGKILLs node `node` (= its broker id) of the cluster; returns when the process is gone.
pub fn kill_node(k: &Kafka, node: i32) {
    kafka_sh(&["kill-node", &node.to_string(), "--name", &k.name]);
}

/// Starts node `node` again with its data and ports; returns once the cluster lists all its
/// brokers, with `k` re-read (the node has a new pid).
pub fn restart_node(k: &mut Kafka, node: i32) {
    kafka_sh(&["restart-node", &node.to_string(), "--name", &k.name]);
    *k = read_cluster(&k.name, k.brokers);
}

/// One finished (or killed) run of a command.
#[derive(Debug, Clone)]
pub struct Run {
    /// Which command of the loop (its label).
    pub label: String,
    /// When it started, counted from the start of the loop.
    pub started: Duration,
    pub elapsed: Duration,
    /// `None` when the run was killed for overrunning the hard limit.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    pub fn signal(&self) -> Option<i32> {
        self.status.and_then(|s| s.signal())
    }

    /// One line for failure messages.
    pub fn describe(&self) -> String {
        let how = match (self.status, self.signal()) {
            (None, _) => "killed: overran the hard limit".to_string(),
            (_, Some(sig)) => format!("died of signal {sig}"),
            (Some(s), None) => format!("exit {}", s.code().unwrap_or(-1)),
        };
        format!(
            "{} started at {:.1}s, took {:.2}s, {how}; stderr: {}",
            self.label,
            self.started.as_secs_f64(),
            self.elapsed.as_secs_f64(),
            self.stderr.trim()
        )
    }
}

/// Runs `cmd` to completion, killing it after `hard_limit`; output is collected on threads,
/// so a chatty command never blocks on a full pipe.
pub fn run_once(label: &str, mut cmd: Command, hard_limit: Duration, t0: Instant) -> Run {
    let started = t0.elapsed();
    let begin = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {label}: {e}"));
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if begin.elapsed() >= hard_limit => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("waiting for {label}: {e}"),
        }
    };
    let elapsed = begin.elapsed();
    Run {
        label: label.to_string(),
        started,
        elapsed,
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// A command to run again and again: a label and how to build it.
pub type Looped = (String, Arc<dyn Fn() -> Command + Send + Sync>);

pub fn looped(label: &str, make: impl Fn() -> Command + Send + Sync + 'static) -> Looped {
    (label.to_string(), Arc::new(make))
}

/// Runs every command in a loop of its own (all loops at once) until `window` has passed
/// since `t0`; a run in progress at the end is finished. Each run is killed after
/// `hard_limit`. Returns all runs in the order they started.
pub fn loop_until(
    commands: &[Looped],
    t0: Instant,
    window: Duration,
    hard_limit: Duration,
) -> Vec<Run> {
    let threads: Vec<_> = commands
        .iter()
        .cloned()
        .map(|(label, make)| {
            std::thread::spawn(move || {
                let mut runs = Vec::new();
                while t0.elapsed() < window {
                    runs.push(run_once(&label, make(), hard_limit, t0));
                }
                runs
            })
        })
        .collect();
    let mut runs: Vec<Run> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("loop thread"))
        .collect();
    runs.sort_by_key(|r| r.started);
    runs
}

/// Starts each command every `interval` (its own), whether or not its earlier runs have
/// finished, until `window` has passed since `t0`; waits for all runs. Each run is killed after
/// `hard_limit`. Unlike `loop_until`, runs start all through the window even when each takes
/// as long as its timeout (as runs do while a coordinator is away). Returns all runs in the
/// order they started.
pub fn start_every(
    commands: &[(Looped, Duration)],
    t0: Instant,
    window: Duration,
    hard_limit: Duration,
) -> Vec<Run> {
    let launchers: Vec<_> = commands
        .iter()
        .cloned()
        .map(|((label, make), interval)| {
            std::thread::spawn(move || {
                let mut runs = Vec::new();
                let mut next = t0;
                while t0.elapsed() < window {
                    let now = Instant::now();
                    if now < next {
                        std::thread::sleep(next - now);
                        continue;
                    }
                    next += interval;
                    let (label, cmd) = (label.clone(), make());
                    runs.push(std::thread::spawn(move || {
                        run_once(&label, cmd, hard_limit, t0)
                    }));
                }
                runs.into_iter()
                    .map(|r| r.join().expect("run thread"))
                    .collect::<Vec<Run>>()
            })
        })
        .collect();
    let mut runs: Vec<Run> = launchers
        .into_iter()
        .flat_map(|t| t.join().expect("launcher thread"))
        .collect();
    runs.sort_by_key(|r| r.started);
    runs
}

/// One line per run (start, duration, exit), for the test's output.
pub fn timeline(runs: &[Run]) -> String {
    runs.iter()
        .map(|r| {
            let how = match (r.status, r.signal()) {
                (None, _) => "killed".to_string(),
                (_, Some(sig)) => format!("signal {sig}"),
                (Some(s), None) => format!("exit {}", s.code().unwrap_or(-1)),
            };
            let first = r.stderr.lines().next().unwrap_or("").trim();
            format!(
                "{:>6.1}s {:<7} {:>5.1}s {how:<9} {}",
                r.started.as_secs_f64(),
                r.label,
                r.elapsed.as_secs_f64(),
                first.chars().take(120).collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What no run may do, whatever the cluster's state: die of a signal (an abort is SIGABRT,
/// exit 134 through a shell), panic, or take longer than `budget`.
pub fn crashes(runs: &[Run], budget: Duration) -> Vec<String> {
    runs.iter()
        .filter(|r| {
            r.status.is_none()
                || r.signal().is_some()
                || r.code() == Some(134)
                || r.stderr.contains("panicked")
                || r.elapsed > budget
        })
        .map(Run::describe)
        .collect()
}

/// Panics with every offending run if any run crashed, panicked or overran `budget`.
pub fn assert_no_crash(runs: &[Run], budget: Duration) {
    let bad = crashes(runs, budget);
    assert!(
        bad.is_empty(),
        "{} of {} runs crashed, panicked or overran {budget:?}:\n{}",
        bad.len(),
        runs.len(),
        bad.join("\n")
    );
}

/// Counts of exit codes (and signals, as `sig N`) for a report line.
pub fn summary(runs: &[Run]) -> String {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for r in runs {
        let key = match (r.status, r.signal()) {
            (None, _) => "killed".to_string(),
            (_, Some(s)) => format!("sig {s}"),
            (Some(s), None) => format!("exit {}", s.code().unwrap_or(-1)),
        };
        *counts.entry(format!("{} {key}", r.label)).or_default() += 1;
    }
    counts
        .iter()
        .map(|(k, n)| format!("{k}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
