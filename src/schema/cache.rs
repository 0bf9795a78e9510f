//! Schemas by id kept on disk, for when the registry does not answer: each schema read from a
//! registry is written (with the texts of its references) to `<data dir>/schema-cache/<registry>/
//! <id>.json`, owner-only, and read back only when that registry cannot be reached. While the
//! registry answers, it is always asked: the file never overrides it.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::SchemaKind;

/// The cache's folder in kscope's data dir.
pub const FOLDER: &str = "schema-cache";

/// A cached file larger than this is ignored (a schema is kilobytes).
const MAX_FILE: u64 = 16 << 20;

/// A schema as cached: enough to compile it without the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedSchema {
    pub id: u32,
    #[serde(rename = "type")]
    pub kind: String,
    pub schema: String,
    /// (name, text) of every schema it references, dependencies first.
    pub references: Vec<(String, String)>,
    pub subject: Option<String>,
    pub version: Option<i32>,
}

impl CachedSchema {
    pub fn kind(&self) -> Option<SchemaKind> {
        match self.kind.as_str() {
            "AVRO" => Some(SchemaKind::Avro),
            "PROTOBUF" => Some(SchemaKind::Protobuf),
            "JSON" => Some(SchemaKind::JsonSchema),
            _ => None,
        }
    }
}

/// One registry's folder of cached schemas.
#[derive(Debug, Clone)]
pub struct SchemaCache {
    dir: PathBuf,
}

/// FNV-1a: a stable name for a registry's folder (its URL, without credentials).
fn folder_name(url: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in url.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl SchemaCache {
    /// The cache of the registry at `url` under `root` (`<data dir>/schema-cache`).
    pub fn new(root: PathBuf, url: &str) -> SchemaCache {
        SchemaCache {
            dir: root.join(folder_name(url)),
        }
    }

    fn path(&self, id: u32) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// The cached schema `id`, if there is a readable one (a link or a bad file is ignored).
    pub fn get(&self, id: u32) -> Option<CachedSchema> {
        let path = self.path(id);
        let meta = std::fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > MAX_FILE {
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        serde_json::from_str::<CachedSchema>(&text)
            .ok()
            .filter(|c| c.id == id)
    }

    /// Writes `s` (owner-only, replacing any older file at once); failures are only logged:
    /// the cache is a convenience.
    pub fn put(&self, s: &CachedSchema) {
        if let Err(e) = self.write(s) {
            tracing::warn!("schema cache: cannot write schema id {}: {e}", s.id);
        }
    }

    fn write(&self, s: &CachedSchema) -> std::result::Result<(), String> {
        crate::private_file::create_dir_all(&self.dir)
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let tmp = self.dir.join(format!(
            ".{}.json.{}-{}",
            s.id,
            std::process::id(),
            rand_suffix()
        ));
        let body = serde_json::to_vec(s).map_err(|e| e.to_string())?;
        let mut f = crate::private_file::create_new(&tmp, "schema cache file")
            .map_err(|e| e.to_string())?;
        let written = f.write_all(&body).and_then(|()| f.sync_all());
        drop(f);
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, self.path(s.id))) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.to_string());
        }
        Ok(())
    }
}

/// Distinct temporary names for writers in one process.
fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn schema(id: u32) -> CachedSchema {
        CachedSchema {
            id,
            kind: "AVRO".into(),
            schema: r#"{"type":"string"}"#.into(),
            references: vec![("money.Money".into(), "{}".into())],
            subject: Some("t-value".into()),
            version: Some(2),
        }
    }

    #[test]
    fn written_owner_only_and_read_back_per_registry() {
        let root = tempfile::tempdir().unwrap();
        let a = SchemaCache::new(root.path().join("schema-cache"), "http://reg-a:8081");
        let b = SchemaCache::new(root.path().join("schema-cache"), "http://reg-b:8081");
        assert_eq!(a.get(7), None);
        a.put(&schema(7));
        assert_eq!(a.get(7), Some(schema(7)));
        assert_eq!(b.get(7), None, "ids belong to one registry");
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&a.path(7)), 0o600);
        assert_eq!(mode(&a.dir), 0o700);
        // Written again: replaced, no temporary file left.
        let mut v3 = schema(7);
        v3.version = Some(3);
        a.put(&v3);
        assert_eq!(a.get(7).unwrap().version, Some(3));
        let names: Vec<String> = std::fs::read_dir(&a.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["7.json"]);
    }

    #[test]
    fn a_bad_file_or_a_link_is_ignored() {
        let root = tempfile::tempdir().unwrap();
        let c = SchemaCache::new(root.path().to_path_buf(), "http://reg:8081");
        crate::private_file::create_dir_all(&c.dir).unwrap();
        std::fs::write(c.path(1), "not json").unwrap();
        assert_eq!(c.get(1), None);
        // A file whose id is not its name's.
        std::fs::write(c.path(2), serde_json::to_vec(&schema(3)).unwrap()).unwrap();
        assert_eq!(c.get(2), None);
        let elsewhere = root.path().join("elsewhere.json");
        std::fs::write(&elsewhere, serde_json::to_vec(&schema(4)).unwrap()).unwrap();
        std::os::unix::fs::symlink(&elsewhere, c.path(4)).unwrap();
        assert_eq!(c.get(4), None);
    }
}
