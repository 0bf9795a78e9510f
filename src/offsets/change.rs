//! What every cluster change (of the CLI and the console) shares: the audit lines (an intent before, an outcome
//! after, tied by one id, who/where/when) and the undo file (owner-only, never through a link,
//! never overwriting one).

use std::io::Write as _;
use std::path::PathBuf;

use chrono::SecondsFormat;

use super::{append_audit_line, file_safe, new_audit_id, Actor};
use crate::config::{self, ConnectionSettings};
use crate::error::{Error, Result};

/// One change's audit trail in `audit.jsonl` of the data dir.
pub struct Audit {
    path: PathBuf,
    base: serde_json::Map<String, serde_json::Value>,
}

impl Audit {
    /// `action` names the change (`topic-config`, `group-delete`, ...).
    pub fn new(settings: &ConnectionSettings, action: &str) -> Result<Audit> {
        let actor = Actor::current();
        let base = serde_json::json!({
            "id": new_audit_id(),
            "time": chrono::Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            "user": actor.user,
            "host": actor.host,
            "context": settings.context.clone().unwrap_or_else(|| settings.bootstrap.clone()),
            "bootstrap": settings.bootstrap,
            "action": action,
        });
        let serde_json::Value::Object(base) = base else {
            return Err(Error::Io("cannot build the audit line".to_string()));
        };
        Ok(Audit {
            path: config::data_dir()?.join("audit.jsonl"),
            base,
        })
    }

    /// Appends a line: the common fields, `phase`, the change's own `fields` and `result`
    /// (`null` for the intent).
    pub fn line(
        &self,
        phase: &str,
        result: Option<&str>,
        fields: &serde_json::Value,
    ) -> Result<()> {
        let mut line = self.base.clone();
        line.insert("phase".into(), phase.into());
        if let serde_json::Value::Object(f) = fields {
            line.extend(f.clone());
        }
        line.insert("result".into(), result.into());
        append_audit_line(&self.path, &serde_json::Value::Object(line)).map_err(Error::Io)
    }

    /// The intent line; a failure to write it stops the change before it starts.
    pub fn intent(&self, fields: &serde_json::Value) -> Result<()> {
        self.line("intent", None, fields)
            .map_err(|e| Error::Io(format!("nothing was changed: {e}")))
    }
}

/// Writes an undo file `undo/<kind>-<name>-<time>.<ext>` in the data dir, before the change it
/// undoes; returns its path.
pub fn write_undo(kind: &str, name: &str, ext: &str, contents: &str) -> Result<PathBuf> {
    let dir = config::data_dir()?.join("undo");
    let path = dir.join(format!(
        "{kind}-{}-{}.{ext}",
        file_safe(name),
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    ));
    let not = |e: String| Error::Io(format!("nothing was changed: {e}"));
    crate::private_file::create_dir_all(&dir)
        .map_err(|e| not(format!("cannot create {}: {e}", dir.display())))?;
    let mut f =
        crate::private_file::create_new(&path, "undo file").map_err(|e| not(e.to_string()))?;
    f.write_all(contents.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| not(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}
