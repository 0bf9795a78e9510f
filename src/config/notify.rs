//! `[notify.NAME]` in `config.toml`: where `kscope watch` sends alert events. A target is a
//! generic JSON webhook (`kind = "webhook"`, the event as `watch` prints it) or a
//! Slack-compatible incoming webhook (`kind = "slack"`, a `{"text": ...}` payload). The URL may
//! come from a secret source, since incoming-webhook URLs carry their own credentials.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::{RawConfig, SecretSource};
use crate::error::{Error, Result};
use crate::model::Severity;

/// One `[notify.NAME]` table as written.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    /// `webhook` (JSON event) or `slack` (text payload).
    pub kind: String,
    /// `url = "https://..."` or `url = { env = "VAR" }` (or `command`, `value`).
    pub url: RawUrl,
    /// Which events to send: `["firing", "resolved"]` (the default).
    pub events: Option<Vec<String>>,
    /// Only alerts at or above this severity (default: all).
    pub min_severity: Option<String>,
    /// Time one delivery attempt may take (default 5s).
    pub timeout: Option<String>,
    /// Attempts after the first failed one (default 3), with doubling backoff.
    pub retries: Option<u32>,
    /// The first backoff between attempts (default 500ms), doubled each time up to 30s.
    pub backoff: Option<String>,
    /// Events waiting for delivery at most (default 256); beyond that new events are dropped
    /// and counted.
    pub queue: Option<usize>,
}

impl std::fmt::Debug for RawNotify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawNotify")
            .field("kind", &self.kind)
            .field("url", &"<redacted>")
            .field("events", &self.events)
            .field("min_severity", &self.min_severity)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("backoff", &self.backoff)
            .field("queue", &self.queue)
            .finish()
    }
}

/// A URL written in the file or read from a secret source.
#[derive(Clone, Deserialize)]
#[serde(untagged)]
pub enum RawUrl {
    Plain(String),
    Source(SecretSource),
}

/// What a target is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyKind {
    /// The alert event as JSON, as `watch` prints it.
    Webhook,
    /// `{"text": "..."}`, as Slack (and Mattermost, Rocket.Chat, ...) incoming webhooks take.
    Slack,
}

/// A resolved notification target. `Debug` never shows the URL (it may hold a token).
#[derive(Clone, PartialEq, Eq)]
pub struct NotifyTarget {
    pub name: String,
    pub kind: NotifyKind,
    pub url: String,
    pub firing: bool,
    pub resolved: bool,
    pub min_severity: Option<Severity>,
    pub timeout: Duration,
    pub retries: u32,
    pub backoff: Duration,
    pub queue: usize,
}

impl std::fmt::Debug for NotifyTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyTarget")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("url", &"<redacted>")
            .field("firing", &self.firing)
            .field("resolved", &self.resolved)
            .field("min_severity", &self.min_severity)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("backoff", &self.backoff)
            .field("queue", &self.queue)
            .finish()
    }
}

impl NotifyTarget {
    /// The URL without its path and query, for messages (a webhook URL's path is often its
    /// secret).
    pub fn shown_url(&self) -> String {
        let (scheme, rest) = self.url.split_once("://").unwrap_or(("", &self.url));
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        // user:password@ is a credential too.
        let host = host.rsplit('@').next().unwrap_or(host);
        format!("{scheme}://{host}/...")
    }
}

pub const DEFAULT_QUEUE: usize = 256;
const MAX_QUEUE: usize = 100_000;

fn duration(key: &str, v: &Option<String>, default: Duration, origin: &str) -> Result<Duration> {
    match v {
        None => Ok(default),
        Some(text) => match humantime::parse_duration(text) {
            Ok(d) if !d.is_zero() && d <= Duration::from_secs(300) => Ok(d),
            _ => Err(Error::config(format!(
                "invalid {key} '{text}' in {origin}: expected a duration from 1ms to 5m, e.g. \"5s\""
            ))),
        },
    }
}

/// The notification targets of `config.toml`, in name order.
pub fn notify_targets(config: &RawConfig, path: Option<&Path>) -> Result<Vec<NotifyTarget>> {
    resolve_targets(&config.notify, path)
}

fn resolve_targets(
    raw: &BTreeMap<String, RawNotify>,
    path: Option<&Path>,
) -> Result<Vec<NotifyTarget>> {
    let file = path.map_or("config".to_string(), |p| p.display().to_string());
    let mut out = Vec::new();
    for (name, t) in raw {
        let origin = format!("[notify.{name}] of {file}");
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(Error::config(format!(
                "invalid notify target name '{name}' in {file}: use letters, digits, '-', '_' and '.'"
            )));
        }
        let kind = match t.kind.as_str() {
            "webhook" => NotifyKind::Webhook,
            "slack" => NotifyKind::Slack,
            other => {
                return Err(Error::config(format!(
                    "invalid kind '{other}' in {origin}: expected \"webhook\" or \"slack\""
                )))
            }
        };
        let url = match &t.url {
            RawUrl::Plain(u) => u.clone(),
            RawUrl::Source(s) => s
                .resolve_as(&format!("notify.{name}"), "url")
                .map_err(|e| Error::config(format!("{origin}: url: {e}")))?,
        };
        let url = url.trim().to_string();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            // Never quote the URL: it may be the secret.
            return Err(Error::config(format!(
                "invalid url in {origin}: expected an http:// or https:// URL"
            )));
        }
        let (mut firing, mut resolved) = (true, true);
        if let Some(events) = &t.events {
            firing = false;
            resolved = false;
            for e in events {
                match e.as_str() {
                    "firing" => firing = true,
                    "resolved" => resolved = true,
                    other => {
                        return Err(Error::config(format!(
                        "invalid event '{other}' in {origin}: expected \"firing\" or \"resolved\""
                    )))
                    }
                }
            }
            if !firing && !resolved {
                return Err(Error::config(format!(
                    "{origin}: events is empty: name \"firing\", \"resolved\" or both"
                )));
            }
        }
        let min_severity = match &t.min_severity {
            None => None,
            Some(s) => Some(s.parse::<Severity>().map_err(|_| {
                Error::config(format!(
                    "invalid min_severity '{s}' in {origin}: expected info, warn or crit"
                ))
            })?),
        };
        let queue = t.queue.unwrap_or(DEFAULT_QUEUE);
        if queue == 0 || queue > MAX_QUEUE {
            return Err(Error::config(format!(
                "invalid queue {queue} in {origin}: expected 1 to {MAX_QUEUE}"
            )));
        }
        let retries = t.retries.unwrap_or(3);
        if retries > 20 {
            return Err(Error::config(format!(
                "invalid retries {retries} in {origin}: expected 0 to 20"
            )));
        }
        out.push(NotifyTarget {
            name: name.clone(),
            kind,
            url,
            firing,
            resolved,
            min_severity,
            timeout: duration("timeout", &t.timeout, Duration::from_secs(5), &origin)?,
            retries,
            backoff: duration("backoff", &t.backoff, Duration::from_millis(500), &origin)?,
            queue,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(text: &str) -> Result<Vec<NotifyTarget>> {
        let c = super::super::parse_config(text, Path::new("c.toml"))?;
        notify_targets(&c, Some(Path::new("c.toml")))
    }

    #[test]
    fn targets_resolve_with_defaults_and_secret_urls() {
        std::env::set_var(
            "KSCOPE_TEST_NOTIFY_URL",
            "https://hooks.example/T1/B2/secret",
        );
        let t = targets(
            "[notify.ops]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/hook\"\n\
             [notify.chat]\nkind = \"slack\"\nurl = { env = \"KSCOPE_TEST_NOTIFY_URL\" }\n\
             events = [\"firing\"]\nmin_severity = \"crit\"\nretries = 1\nqueue = 8\n",
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].name, "chat");
        assert_eq!(t[0].kind, NotifyKind::Slack);
        assert_eq!(t[0].url, "https://hooks.example/T1/B2/secret");
        assert!(t[0].firing && !t[0].resolved);
        assert_eq!(t[0].min_severity, Some(Severity::Crit));
        assert_eq!((t[0].retries, t[0].queue), (1, 8));
        assert_eq!(t[0].shown_url(), "https://hooks.example/...");
        assert!(!format!("{:?}", t[0]).contains("secret"));
        assert_eq!(t[1].kind, NotifyKind::Webhook);
        assert!(t[1].firing && t[1].resolved);
        assert_eq!(t[1].timeout, Duration::from_secs(5));
        assert_eq!((t[1].retries, t[1].queue), (3, DEFAULT_QUEUE));
    }

    #[test]
    fn bad_targets_say_what_is_wrong_without_the_url() {
        let e = targets("[notify.x]\nkind = \"pager\"\nurl = \"http://a/b\"\n").unwrap_err();
        assert!(e.to_string().contains("invalid kind 'pager'"), "{e}");
        let e = targets("[notify.x]\nkind = \"slack\"\nurl = \"ftp://a/s3cret\"\n").unwrap_err();
        assert!(e.to_string().contains("invalid url in [notify.x]"), "{e}");
        assert!(!e.to_string().contains("s3cret"), "{e}");
        let e =
            targets("[notify.x]\nkind = \"slack\"\nurl = \"http://a\"\nevents = []\n").unwrap_err();
        assert!(e.to_string().contains("events is empty"), "{e}");
        let e =
            targets("[notify.x]\nkind = \"slack\"\nurl = \"http://a\"\nqueue = 0\n").unwrap_err();
        assert!(e.to_string().contains("invalid queue 0"), "{e}");
        let e = targets("[notify.x]\nkind = \"slack\"\nurl = \"http://a\"\ntimeout = \"soon\"\n")
            .unwrap_err();
        assert!(e.to_string().contains("invalid timeout 'soon'"), "{e}");
        let e =
            targets("[notify.x]\nkind = \"slack\"\nurl = \"http://a\"\ncolour = 1\n").unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }
}
