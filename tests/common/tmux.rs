//! A real terminal for the real binary: one tmux server per terminal, keys sent one at a time,
//! the screen read back.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn new(width: u16, height: u16) -> Tmux {
        // One tmux server per terminal: tests in this file run in parallel.
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let socket = format!(
            "kscope-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let t = Tmux { socket };
        let ok = t
            .cmd(&[
                "new-session",
                "-d",
                "-s",
                "k",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
                "bash --norc --noprofile",
            ])
            .status()
            .expect("tmux is needed for this test (scripts/test.sh installs it)")
            .success();
        assert!(ok, "cannot start tmux");
        t
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]).args(args);
        c
    }

    pub fn send(&self, keys: &[&str]) {
        for k in keys {
            assert!(self
                .cmd(&["send-keys", "-t", "k", k])
                .status()
                .unwrap()
                .success());
            // Separate keys: an Esc followed at once by a key reads as Alt+key.
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    pub fn screen(&self) -> String {
        let out = self
            .cmd(&["capture-pane", "-p", "-t", "k"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn wait_for(&self, what: &str, needles: &[&str]) -> String {
        self.wait_within(what, needles, Duration::from_secs(30))
    }

    /// Waits until the screen shows all of `needles`, for at most `limit`.
    pub fn wait_within(&self, what: &str, needles: &[&str], limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let s = self.screen();
            if needles.iter().all(|n| s.contains(n)) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what} ({needles:?}); the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn display(&self, format: &str) -> String {
        let out = self
            .cmd(&["display-message", "-p", "-t", "k", format])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).status();
    }
}
