//! The silences file, `<data dir>/silences.json`: what the console's `a` writes and what
//! `kscope watch` reads, so a cron check and the console agree on what is muted. Owner-only
//! (0600, in a 0700 directory kscope creates), never read or written through a symbolic link.
//! A change is read, applied and written back under a lock (`silences.lock` beside it), and
//! the new text replaces the old one at once (written aside, then renamed), so two consoles
//! never lose each other's silences and a reader never sees half a file. Silences that ended
//! are dropped whenever the file is written.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::metrics::{Millis, SilenceChange, Silences};
use crate::private_file;

/// The file's name in the data dir.
pub const FILE: &str = "silences.json";

/// How long a change waits for another process holding the lock.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// `<data dir>/silences.json`.
pub fn path() -> Result<PathBuf> {
    Ok(crate::config::data_dir()?.join(FILE))
}

/// The silences in the file; none when there is no file. A file that cannot be read or
/// parsed is an error that names it (never taken for "no silences").
pub fn load(path: &Path) -> Result<Silences> {
    let Some(mut file) = private_file::open_read(path, "silences file")? else {
        return Ok(Silences::default());
    };
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(|e| {
        Error::Io(format!(
            "cannot read the silences file {}: {e}",
            path.display()
        ))
    })?;
    Silences::parse(&text).map_err(|e| {
        Error::Io(format!(
            "cannot read the silences file {}: {e} (fix or remove it)",
            path.display()
        ))
    })
}

/// Applies `change` to the file at `now` and returns every silence it then holds.
pub fn update(path: &Path, change: &SilenceChange, now: Millis) -> Result<Silences> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    private_file::create_dir_all(dir).map_err(|e| {
        Error::Io(format!(
            "cannot create the directory {}: {e}",
            dir.display()
        ))
    })?;
    let lock = private_file::open_append(&dir.join("silences.lock"), "silences lock")?;
    let started = Instant::now();
    loop {
        match lock.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Io(format!(
                    "cannot change the silences file {}: another kscope holds its lock",
                    path.display()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::Io(format!(
                    "cannot lock the silences file {}: {e}",
                    path.display()
                )))
            }
        }
    }
    let mut all = load(path)?;
    all.prune(now);
    all.apply(change);
    write_replacing(path, dir, &all.to_text())?;
    // The lock is released when `lock` is closed.
    drop(lock);
    Ok(all)
}

/// Writes `text` beside `path` and renames it over `path`.
fn write_replacing(path: &Path, dir: &Path, text: &str) -> Result<()> {
    let aside = dir.join(format!(".{FILE}.{}.tmp", std::process::id()));
    // A leftover of a crashed writer with the same process id (or a link planted there):
    // removed, not followed.
    let _ = std::fs::remove_file(&aside);
    let mut file = private_file::create_new(&aside, "silences file")?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&aside, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&aside);
        return Err(Error::Io(format!(
            "cannot write the silences file {}: {e}",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use crate::metrics::Silence;
    use std::os::unix::fs::PermissionsExt;

    fn set(rule: &str, until: Millis) -> SilenceChange {
        SilenceChange::Set(Silence {
            scope: "prod".into(),
            rule: rule.into(),
            resource: "billing".into(),
            until,
            created: 0,
        })
    }

    #[test]
    fn changes_are_kept_owner_only_and_ended_silences_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let path = data.join(FILE);
        assert_eq!(load(&path).unwrap(), Silences::default());
        update(&path, &set("a", 1_000), 0).unwrap();
        let all = update(&path, &set("b", 5_000), 500).unwrap();
        assert_eq!(all.silences.len(), 2);
        assert_eq!(load(&path).unwrap(), all);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&data), 0o700);
        // At 2 s the first has ended: the next write drops it.
        let all = update(&path, &set("c", 9_000), 2_000).unwrap();
        let rules: Vec<&str> = all.silences.iter().map(|s| s.rule.as_str()).collect();
        assert_eq!(rules, ["b", "c"]);
        // Nothing is left beside it.
        let names: Vec<String> = std::fs::read_dir(&data)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }

    #[test]
    fn a_link_or_a_broken_file_is_refused_not_taken_for_no_silences() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        std::fs::write(&path, "{ not json").unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(
            e.contains("cannot read the silences file") && e.contains("fix or remove it"),
            "{e}"
        );
        // A broken file is not overwritten either.
        assert!(update(&path, &set("a", 1_000), 0).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");

        let target = dir.path().join("elsewhere.json");
        std::fs::write(&target, "{\"silences\": []}").unwrap();
        let link = dir.path().join("linked").join(FILE);
        std::fs::create_dir(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = load(&link).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
    }
}
