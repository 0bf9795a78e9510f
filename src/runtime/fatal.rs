//! Last words. While the console owns the terminal, a fatal signal (an abort inside librdkafka,
//! a crash, `kill`) would end the process with the terminal still in raw mode, in the
//! alternate screen, cursor hidden. The handlers here restore it first, append one fixed line
//! to the log file, and then let the signal take its usual course (exit status, core dump).
//!
//! A signal handler may only do async-signal-safe things: these use `write(2)`, `tcsetattr`,
//! `sigaction` and `raise` on values prepared beforehand (the saved terminal modes, a dup of
//! the log file's descriptor, fixed messages), nothing that allocates or locks.
#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use libc::{c_int, c_void, siginfo_t};

/// The signals handled, each with the line written to the log and to stderr.
const SIGNALS: &[(c_int, &str)] = &[
    (
        libc::SIGABRT,
        "kscope: fatal signal SIGABRT (abort, e.g. a failed assertion in librdkafka): the terminal was restored; the process ends with that signal\n",
    ),
    (
        libc::SIGSEGV,
        "kscope: fatal signal SIGSEGV (invalid memory access): the terminal was restored; the process ends with that signal\n",
    ),
    (
        libc::SIGBUS,
        "kscope: fatal signal SIGBUS (bus error): the terminal was restored; the process ends with that signal\n",
    ),
    (
        libc::SIGILL,
        "kscope: fatal signal SIGILL (illegal instruction): the terminal was restored; the process ends with that signal\n",
    ),
    (
        libc::SIGFPE,
        "kscope: fatal signal SIGFPE (arithmetic error): the terminal was restored; the process ends with that signal\n",
    ),
    (
        libc::SIGTERM,
        "kscope: terminated by SIGTERM: the terminal was restored\n",
    ),
    (
        libc::SIGHUP,
        "kscope: hung up (SIGHUP): the terminal was restored\n",
    ),
    (
        libc::SIGQUIT,
        "kscope: quit by SIGQUIT: the terminal was restored\n",
    ),
];

/// Leave the alternate screen, reset colours, show the cursor.
const RESTORE: &[u8] = b"\x1b[0m\x1b[?25h\x1b[?1049l";

/// A value written once before the handlers are installed and only read afterwards.
struct Prepared<T>(UnsafeCell<MaybeUninit<T>>);
// SAFETY: written only by `install` (on one thread, before `ARMED` is set with Release
// ordering) and read only after `ARMED` was seen set with Acquire ordering.
unsafe impl<T> Sync for Prepared<T> {}

impl<T> Prepared<T> {
    const fn new() -> Self {
        Prepared(UnsafeCell::new(MaybeUninit::uninit()))
    }
}

/// How many signals there are room for.
const N: usize = 8;
const _: () = assert!(SIGNALS.len() == N);

static TERMIOS: Prepared<libc::termios> = Prepared::new();
static PREVIOUS: Prepared<[libc::sigaction; N]> = Prepared::new();
/// The handlers are installed and the saved values above are valid.
static ARMED: AtomicBool = AtomicBool::new(false);
/// The terminal still needs restoring (the console runs and nothing restored it yet).
static RAW: AtomicBool = AtomicBool::new(false);
static TTY_FD: AtomicI32 = AtomicI32::new(-1);
static LOG_FD: AtomicI32 = AtomicI32::new(-1);

/// Where the handlers write their line: a duplicate of the log file's descriptor (it stays
/// open for the rest of the process, whatever happens to the original).
pub fn set_log_file(file: &std::fs::File) {
    // SAFETY: dup of a descriptor the caller keeps open for the duration of the call.
    let fd = unsafe { libc::dup(file.as_raw_fd()) };
    if fd >= 0 {
        let old = LOG_FD.swap(fd, Ordering::AcqRel);
        if old >= 0 {
            // SAFETY: `old` was our own dup and nothing else uses it any more.
            unsafe { libc::close(old) };
        }
    }
}

/// Saves the terminal's modes (call before raw mode is switched on) and installs the handlers.
/// Returns false if stdin is not a terminal (then nothing is installed).
pub fn install() -> bool {
    if ARMED.load(Ordering::Acquire) {
        RAW.store(true, Ordering::Release);
        return true;
    }
    let fd = libc::STDIN_FILENO;
    // SAFETY: plain libc calls on our own stdin and on the static storage prepared for them;
    // nothing reads that storage until ARMED is set below.
    unsafe {
        if libc::isatty(fd) != 1 {
            return false;
        }
        let termios = (*TERMIOS.0.get()).as_mut_ptr();
        if libc::tcgetattr(fd, termios) != 0 {
            return false;
        }
        TTY_FD.store(fd, Ordering::Release);
        let previous = (*PREVIOUS.0.get()).as_mut_ptr().cast::<libc::sigaction>();
        let handler: extern "C" fn(c_int, *mut siginfo_t, *mut c_void) = on_signal;
        for (i, (sig, _)) in SIGNALS.iter().enumerate() {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as libc::sighandler_t;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(*sig, &action, previous.add(i));
        }
    }
    RAW.store(true, Ordering::Release);
    ARMED.store(true, Ordering::Release);
    true
}

/// The console restored the terminal itself: the handlers have nothing left to restore (they
/// stay installed, and only write their line).
pub fn terminal_restored() {
    RAW.store(false, Ordering::Release);
}

/// Puts the saved terminal modes back and leaves the alternate screen, now (for a panic on
/// the console's own thread, before the panic message is printed).
pub fn restore_terminal_now() {
    if RAW.swap(false, Ordering::AcqRel) {
        restore_terminal();
    }
}

fn restore_terminal() {
    let fd = TTY_FD.load(Ordering::Acquire);
    // SAFETY: write(2) and tcsetattr are async-signal-safe; TERMIOS was written before the
    // handlers were armed (the caller checked RAW, which is only set after that).
    unsafe {
        libc::write(
            libc::STDOUT_FILENO,
            RESTORE.as_ptr().cast::<c_void>(),
            RESTORE.len(),
        );
        if fd >= 0 {
            libc::tcsetattr(fd, libc::TCSANOW, (*TERMIOS.0.get()).as_ptr());
        }
    }
}

fn write_all(fd: c_int, bytes: &[u8]) {
    let mut rest = bytes;
    while !rest.is_empty() {
        // SAFETY: write(2) on a descriptor we own, from a live slice.
        let n = unsafe { libc::write(fd, rest.as_ptr().cast::<c_void>(), rest.len()) };
        if n <= 0 {
            return;
        }
        rest = &rest[n as usize..];
    }
}

extern "C" fn on_signal(sig: c_int, info: *mut siginfo_t, ctx: *mut c_void) {
    if RAW.swap(false, Ordering::AcqRel) {
        restore_terminal();
    }
    let index = SIGNALS.iter().position(|(s, _)| *s == sig);
    if let Some(i) = index {
        let line = SIGNALS[i].1.as_bytes();
        let log = LOG_FD.load(Ordering::Acquire);
        if log >= 0 {
            write_all(log, line);
        }
        write_all(libc::STDERR_FILENO, line);
    }
    // SAFETY: sigaction, raise and the previous handler are what a handler may use; PREVIOUS
    // was filled before ARMED was set, which happened before this handler could run.
    unsafe {
        // Sent by the kernel for a fault in this very instruction (si_code > 0): hand the
        // signal back to whoever had it before (Rust's stack-overflow report, or the default)
        // and return, so that the instruction faults again into that handler.
        let fault = !info.is_null() && (*info).si_code > 0 && is_fault(sig);
        if let (true, Some(i)) = (fault, index) {
            let previous = (*PREVIOUS.0.get())
                .as_ptr()
                .cast::<libc::sigaction>()
                .add(i);
            libc::sigaction(sig, previous, std::ptr::null_mut());
            return;
        }
        // Sent by kill(), raise() or abort(): end the process with that signal, as it would
        // have without us. The signal is blocked while this handler runs, so it arrives as
        // soon as the handler returns.
        let _ = ctx;
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut default.sa_mask);
        libc::sigaction(sig, &default, std::ptr::null_mut());
        libc::raise(sig);
    }
}

fn is_fault(sig: c_int) -> bool {
    matches!(
        sig,
        libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signal_has_one_line() {
        for (_, line) in SIGNALS {
            assert!(
                line.starts_with("kscope: ") && line.ends_with('\n'),
                "{line}"
            );
            assert_eq!(line.matches('\n').count(), 1, "{line}");
        }
    }
}
