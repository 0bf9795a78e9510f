//! Undo files (the committed offsets from right before a reset, as a plan file) and the command
//! that applies one.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::run::ApplyOptions;
use crate::config::ConnectionSettings;
use crate::model::PartitionRef;
use crate::private_file;

/// A group name as a file name: letters, digits, `.`, `_` and `-` kept, the rest `_`.
pub fn file_safe(group: &str) -> String {
    let mut s: String = group
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert(0, '_');
    }
    s
}

/// Writes `<data_dir>/undo/<group>-<UTC time><suffix>.csv`, never over an existing file, and
/// flushes it to disk before returning.
pub(super) fn write_undo(
    opts: &ApplyOptions,
    group: &str,
    suffix: &str,
    rows: &[(&str, i32, i64)],
) -> std::result::Result<PathBuf, String> {
    let dir = opts.data_dir.join("undo");
    private_file::create_dir_all(&dir)
        .map_err(|e| format!("cannot create the undo directory {}: {e}", dir.display()))?;
    let stamp = opts.now.format("%Y%m%dT%H%M%S%.3fZ");
    let base = format!("{}-{stamp}{suffix}", file_safe(group));
    let text = super::csv::write(rows.iter().copied());
    for n in 1..100 {
        let name = if n == 1 {
            format!("{base}.csv")
        } else {
            format!("{base}-{n}.csv")
        };
        let path = dir.join(name);
        // Never over an existing file, and never through a link planted at the name.
        match private_file::create_new(&path, "undo file") {
            Ok(mut f) => {
                f.write_all(text.as_bytes())
                    .and_then(|_| f.sync_all())
                    .map_err(|e| format!("cannot write the undo file {}: {e}", path.display()))?;
                return Ok(path);
            }
            Err(private_file::OpenError::Exists(_)) => continue,
            Err(e) => return Err(e.to_string()),
        }
    }
    Err(format!(
        "cannot find a free undo file name in {}",
        dir.display()
    ))
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@,+=-".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn connection_args(settings: &ConnectionSettings) -> String {
    match &settings.context {
        Some(c) => format!("--context {}", shell_quote(c)),
        None => format!("-b {}", shell_quote(&settings.bootstrap)),
    }
}

/// `kscope ... offsets reset GROUP --from-file FILE --execute`
pub fn undo_command(settings: &ConnectionSettings, group: &str, file: &Path) -> String {
    format!(
        "kscope {} offsets reset {} --from-file {} --execute",
        connection_args(settings),
        shell_quote(group),
        shell_quote(&file.display().to_string())
    )
}

/// Kafka's tool removes a group's offsets; a commit cannot.
pub(super) fn delete_offsets_hint(
    settings: &ConnectionSettings,
    group: &str,
    parts: &[PartitionRef],
) -> String {
    let mut by_topic: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for p in parts {
        by_topic
            .entry(p.topic.as_str())
            .or_default()
            .push(p.partition.to_string());
    }
    let topics: Vec<String> = by_topic
        .iter()
        .map(|(t, ps)| format!("--topic {}", shell_quote(&format!("{t}:{}", ps.join(",")))))
        .collect();
    format!(
        "these partitions had no committed offset before, and a commit cannot remove one; to remove them: kafka-consumer-groups --bootstrap-server {} --delete-offsets --group {} {}",
        shell_quote(&settings.bootstrap),
        shell_quote(group),
        topics.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::offsets::Actor;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_safe("billing-v2.prod_1"), "billing-v2.prod_1");
        assert_eq!(file_safe("a/b c"), "a_b_c");
        assert_eq!(file_safe("../x"), "_.._x");
        assert_eq!(file_safe(""), "_");
        assert_eq!(file_safe(&"x".repeat(300)).len(), 100);
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("g-1"), "g-1");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn undo_files_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let opts = ApplyOptions {
            data_dir: dir.path().to_path_buf(),
            actor: Actor {
                user: "u".into(),
                host: "h".into(),
            },
            now: DateTime::parse_from_rfc3339("2024-01-02T03:04:05.678Z")
                .unwrap()
                .with_timezone(&Utc),
        };
        let a = write_undo(&opts, "g/1", "", &[("t", 0, 5)]).unwrap();
        let b = write_undo(&opts, "g/1", "", &[("t", 0, 6)]).unwrap();
        assert_ne!(a, b);
        assert!(a.ends_with("undo/g_1-20240102T030405.678Z.csv"), "{a:?}");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "t,0,5\n");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "t,0,6\n");

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&a), 0o600);
            assert_eq!(mode(&dir.path().join("undo")), 0o700);
            // A link planted at the next free name is refused, not skipped or followed.
            let target = dir.path().join("target.csv");
            std::fs::write(&target, "keep\n").unwrap();
            let next = dir.path().join("undo/g_1-20240102T030405.678Z-3.csv");
            std::os::unix::fs::symlink(&target, &next).unwrap();
            let e = write_undo(&opts, "g/1", "", &[("t", 0, 7)]).unwrap_err();
            assert!(e.contains("symbolic link") && e.contains("-3.csv"), "{e}");
            assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep\n");
        }
    }
}
