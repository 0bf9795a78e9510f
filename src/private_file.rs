//! Files kscope writes that others should not read or redirect: the audit log, undo files and
//! the log file. They are created owner-only (0600), in directories kscope creates owner-only
//! (0700), and never through a symbolic link: a link planted at the path (by another user, in a
//! shared data directory) is refused with an error that says so, instead of writing wherever it
//! points. Nor is anything but a regular file opened (a FIFO there would block the writer).
//!
//! Existing directories and files keep their permissions; only what kscope creates is made
//! owner-only. Only the last path component is checked for a link: a data directory that is
//! itself a link (to another disk, say) is the user's choice.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Why a private file could not be opened, as one line naming the path.
#[derive(Debug)]
pub enum OpenError {
    /// The path is a symbolic link.
    Symlink(String),
    /// The path exists and is not a regular file (a directory, a FIFO, a device).
    NotAFile(String),
    /// `create_new` found a regular file there already.
    Exists(String),
    Io(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Symlink(m) | OpenError::NotAFile(m) | OpenError::Exists(m) => f.write_str(m),
            OpenError::Io(m) => f.write_str(m),
        }
    }
}

impl From<OpenError> for crate::Error {
    fn from(e: OpenError) -> Self {
        crate::Error::Io(e.to_string())
    }
}

/// Creates `dir` and its missing parents, each new one owner-only.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO with no reader fails at once instead of blocking; it
        // changes nothing for a regular file.
        o.mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK);
    }
    o
}

fn open_error(path: &Path, what: &str, e: io::Error) -> OpenError {
    let shown = path.display();
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        return OpenError::Symlink(format!(
            "refusing to write the {what} {shown}: it is a symbolic link (remove it, or point KSCOPE_DATA_DIR elsewhere)"
        ));
    }
    match e.kind() {
        io::ErrorKind::AlreadyExists => {
            OpenError::Exists(format!("the {what} {shown} already exists"))
        }
        _ if std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_file()) => OpenError::NotAFile(
            format!("refusing to write the {what} {shown}: it is not a regular file"),
        ),
        _ => OpenError::Io(format!("cannot open the {what} {shown}: {e}")),
    }
}

/// Checks that what was opened is a regular file (a FIFO or device is refused).
fn regular(file: File, path: &Path, what: &str) -> Result<File, OpenError> {
    match file.metadata() {
        Ok(m) if m.is_file() => Ok(file),
        Ok(_) => Err(OpenError::NotAFile(format!(
            "refusing to write the {what} {}: it is not a regular file",
            path.display()
        ))),
        Err(e) => Err(OpenError::Io(format!(
            "cannot check the {what} {}: {e}",
            path.display()
        ))),
    }
}

/// Opens `path` for appending, creating it (0600) and its directory (0700) if missing. `what`
/// names the file in errors ("audit log").
pub fn open_append(path: &Path, what: &str) -> Result<File, OpenError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir_all(dir).map_err(|e| {
            OpenError::Io(format!(
                "cannot create the directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    let file = options()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| open_error(path, what, e))?;
    regular(file, path, what)
}

/// Creates `path` (0600), failing if anything is there: `OpenError::Exists` for a file (take
/// another name), `OpenError::Symlink` for a link. The directory must exist.
pub fn create_new(path: &Path, what: &str) -> Result<File, OpenError> {
    let file = options()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| open_error(path, what, e))?;
    regular(file, path, what)
}

/// Opens `path` for reading, never through a symbolic link and only if it is a regular file;
/// `Ok(None)` when nothing is there. For files kscope wrote and reads back (silences).
pub fn open_read(path: &Path, what: &str) -> Result<Option<File>, OpenError> {
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK);
    }
    match o.open(path) {
        Ok(file) => match file.metadata() {
            Ok(m) if m.is_file() => Ok(Some(file)),
            Ok(_) => Err(OpenError::NotAFile(format!(
                "refusing to read the {what} {}: it is not a regular file",
                path.display()
            ))),
            Err(e) => Err(OpenError::Io(format!(
                "cannot check the {what} {}: {e}",
                path.display()
            ))),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => {
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            Err(if is_link {
                OpenError::Symlink(format!(
                    "refusing to read the {what} {}: it is a symbolic link (remove it, or point KSCOPE_DATA_DIR elsewhere)",
                    path.display()
                ))
            } else {
                OpenError::Io(format!("cannot open the {what} {}: {e}", path.display()))
            })
        }
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_directories_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("a/b/audit.jsonl");
        open_append(&log, "audit log")
            .unwrap()
            .write_all(b"x\n")
            .unwrap();
        assert_eq!(mode(&log), 0o600);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&dir.path().join("a/b")), 0o700);
        // Appending keeps what was there.
        open_append(&log, "audit log")
            .unwrap()
            .write_all(b"y\n")
            .unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "x\ny\n");

        let undo = dir.path().join("a/u.csv");
        create_new(&undo, "undo file").unwrap();
        assert_eq!(mode(&undo), 0o600);
        assert!(matches!(
            create_new(&undo, "undo file"),
            Err(OpenError::Exists(_))
        ));
    }

    #[test]
    fn a_symlink_in_place_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "precious\n").unwrap();
        let link = dir.path().join("audit.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = open_append(&link, "audit log").unwrap_err();
        assert!(matches!(e, OpenError::Symlink(_)), "{e:?}");
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(e.to_string().contains("audit.jsonl"), "{e}");
        assert!(matches!(
            create_new(&link, "undo file"),
            Err(OpenError::Symlink(_))
        ));
        // A dangling link too: nothing is created where it points.
        let dangling = dir.path().join("kscope.log");
        let nowhere = dir.path().join("nowhere");
        std::os::unix::fs::symlink(&nowhere, &dangling).unwrap();
        assert!(matches!(
            open_append(&dangling, "log file"),
            Err(OpenError::Symlink(_))
        ));
        assert!(matches!(
            create_new(&dangling, "undo file"),
            Err(OpenError::Symlink(_))
        ));
        assert!(!nowhere.exists());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    }

    #[test]
    fn a_fifo_in_place_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("audit.jsonl");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let e = open_append(&fifo, "audit log").unwrap_err();
        assert!(matches!(e, OpenError::NotAFile(_)), "{e:?}");
        let d = dir.path().join("sub");
        std::fs::create_dir(&d).unwrap();
        assert!(matches!(
            open_append(&d, "audit log"),
            Err(OpenError::NotAFile(_))
        ));
    }
}
