//! A blocking client for the Confluent Schema Registry REST API (v7): schemas by id, subjects
//! and their versions. Read-only: kscope never registers or deletes a schema.
//!
//! Every request has a timeout; an answer is read up to a size limit; credentials never appear
//! in a message.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::SchemaKind;
use crate::config::RegistrySettings;

/// Why the registry did not give what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryError {
    /// 404 (or the Confluent error codes 40401-40403): no such schema, subject or version.
    NotFound(String),
    /// 401 or 403: credentials missing or refused.
    Refused(String),
    /// No answer: connection refused, DNS, TLS, timeout.
    Unreachable(String),
    /// An answer kscope cannot use (5xx, not JSON, not a schema).
    Bad(String),
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryError::NotFound(m)
            | RegistryError::Refused(m)
            | RegistryError::Unreachable(m)
            | RegistryError::Bad(m) => f.write_str(m),
        }
    }
}

impl RegistryError {
    /// Worth asking again later (the registry may come back); a 404 or a refusal is not.
    pub fn is_transient(&self) -> bool {
        matches!(self, RegistryError::Unreachable(_) | RegistryError::Bad(_))
    }

    pub fn into_error(self) -> crate::Error {
        match self {
            RegistryError::NotFound(m) => crate::Error::NotFound(m),
            RegistryError::Refused(m) => crate::Error::NotAuthorized(m),
            RegistryError::Unreachable(m) => crate::Error::Connect(m),
            RegistryError::Bad(m) => crate::Error::Kafka(m),
        }
    }
}

/// A reference from one schema to another subject's version (Avro named types defined
/// elsewhere, Protobuf imports).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Reference {
    /// The Avro full name or the Protobuf import path.
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A schema as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySchema {
    pub kind: SchemaKind,
    pub text: String,
    pub references: Vec<Reference>,
}

/// One version of a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i32,
    pub id: u32,
    pub schema: RegistrySchema,
}

#[derive(Deserialize)]
struct RawSchema {
    schema: String,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
    subject: Option<String>,
    version: Option<i32>,
    id: Option<u32>,
}

#[derive(Deserialize)]
struct RawSubjectVersion {
    subject: String,
    version: i32,
}

impl RawSchema {
    fn into_schema(self) -> Result<RegistrySchema, RegistryError> {
        // Registries leave the type out for Avro (the original type).
        let kind = match self.schema_type.as_deref() {
            None | Some("AVRO") => SchemaKind::Avro,
            Some("PROTOBUF") => SchemaKind::Protobuf,
            Some("JSON") => SchemaKind::JsonSchema,
            Some(other) => {
                return Err(RegistryError::Bad(format!(
                    "the registry returned a schema of unknown type '{}'",
                    crate::record::sanitize::escape_text(other)
                )))
            }
        };
        Ok(RegistrySchema {
            kind,
            text: self.schema,
            references: self.references,
        })
    }
}

/// Registry answers larger than this are refused (a schema is kilobytes).
const MAX_BODY: u64 = 16 << 20;

#[derive(Clone)]
pub struct Registry {
    agent: ureq::Agent,
    base: String,
    /// The URL without credentials, for messages.
    shown: String,
    auth: Option<String>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

/// A path segment with everything but unreserved characters percent-encoded.
fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URL with any `user:password@` left out.
fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

impl Registry {
    pub fn new(s: &RegistrySettings, timeout: Duration) -> crate::Result<Registry> {
        let url = s.url.trim().trim_end_matches('/').to_string();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(crate::Error::usage(format!(
                "invalid schema registry URL '{}': expected http://HOST:PORT or https://HOST:PORT (with the API path, if any)",
                without_userinfo(&url)
            )));
        }
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(ca) = &s.ca {
            let pem = std::fs::read(ca).map_err(|e| {
                crate::Error::config(format!(
                    "cannot read the schema registry CA file {}: {e}",
                    ca.display()
                ))
            })?;
            let mut certs = Vec::new();
            for item in ureq::tls::parse_pem(&pem) {
                match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
                    Ok(_) => {}
                    Err(e) => {
                        return Err(crate::Error::config(format!(
                            "the schema registry CA file {} is not PEM: {e}",
                            ca.display()
                        )))
                    }
                }
            }
            if certs.is_empty() {
                return Err(crate::Error::config(format!(
                    "the schema registry CA file {} holds no certificate",
                    ca.display()
                )));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .tls_config(tls.build())
            .user_agent(concat!("kscope/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        use base64::Engine as _;
        let auth = match (&s.token, &s.username, &s.password) {
            (Some(t), _, _) => Some(format!("Bearer {}", t.expose())),
            (None, Some(u), p) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{u}:{}", p.as_ref().map_or("", |p| p.expose())))
            )),
            _ => None,
        };
        Ok(Registry {
            agent,
            shown: without_userinfo(&url),
            base: url,
            auth,
        })
    }

    /// The URL as shown in messages.
    pub fn url(&self) -> &str {
        &self.shown
    }

    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, RegistryError> {
        let url = format!("{}{path}", self.base);
        let mut req = self.agent.get(&url).header(
            "Accept",
            "application/vnd.schemaregistry.v1+json, application/json",
        );
        if let Some(a) = &self.auth {
            req = req.header("Authorization", a);
        }
        let what = format!("{}{path}", self.shown);
        let mut resp = req.call().map_err(|e| {
            RegistryError::Unreachable(format!(
                "schema registry {} did not answer: {e}",
                self.shown
            ))
        })?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| {
                RegistryError::Unreachable(format!(
                    "schema registry {}: reading {what}: {e}",
                    self.shown
                ))
            })?;
        let suffix = |m: String| if m.is_empty() { m } else { format!(": {m}") };
        let message = || {
            serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })
                .map(|m| crate::record::sanitize::escape_line(&m))
                .unwrap_or_default()
        };
        match status {
            200..=299 => serde_json::from_str(&body).map_err(|e| {
                RegistryError::Bad(format!(
                    "schema registry {}: unexpected answer to {what}: {e}",
                    self.shown
                ))
            }),
            401 | 403 => Err(RegistryError::Refused(format!(
                "schema registry {} refused the request (HTTP {status}{}): check username/password or token",
                self.shown,
                suffix(message())
            ))),
            404 => Err(RegistryError::NotFound(match message() {
                m if m.is_empty() => format!("not found: {what}"),
                m => m,
            })),
            _ => Err(RegistryError::Bad(format!(
                "schema registry {} answered HTTP {status} to {what}{}",
                self.shown,
                suffix(message())
            ))),
        }
    }

    pub fn schema_by_id(&self, id: u32) -> Result<RegistrySchema, RegistryError> {
        let raw: RawSchema = self
            .get(&format!("/schemas/ids/{id}"))
            .map_err(|e| match e {
                RegistryError::NotFound(_) => RegistryError::NotFound(format!(
                    "schema id {id} is not in the registry {}",
                    self.shown
                )),
                e => e,
            })?;
        raw.into_schema()
    }

    /// The subjects and versions that use schema `id` (empty when the registry cannot say).
    pub fn versions_of_id(&self, id: u32) -> Result<Vec<(String, i32)>, RegistryError> {
        let raw: Vec<RawSubjectVersion> = self.get(&format!("/schemas/ids/{id}/versions"))?;
        Ok(raw.into_iter().map(|r| (r.subject, r.version)).collect())
    }

    pub fn subjects(&self) -> Result<Vec<String>, RegistryError> {
        self.get("/subjects")
    }

    pub fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
        self.get(&format!("/subjects/{}/versions", segment(subject)))
    }

    /// One version of a subject (`None`: the latest).
    pub fn version(
        &self,
        subject: &str,
        version: Option<i32>,
    ) -> Result<SubjectVersion, RegistryError> {
        let v = version.map_or("latest".to_string(), |v| v.to_string());
        let raw: RawSchema = self
            .get(&format!("/subjects/{}/versions/{v}", segment(subject)))
            .map_err(|e| match e {
                RegistryError::NotFound(m) => RegistryError::NotFound(format!(
                    "subject '{}' version {v} is not in the registry {}: {m}",
                    crate::record::sanitize::escape_text(subject),
                    self.shown
                )),
                e => e,
            })?;
        let (subject, version, id) = (
            raw.subject.clone().unwrap_or_else(|| subject.to_string()),
            raw.version.unwrap_or(version.unwrap_or(-1)),
            raw.id,
        );
        let id = id.ok_or_else(|| {
            RegistryError::Bad(format!(
                "schema registry {}: the answer for subject '{subject}' has no id",
                self.shown
            ))
        })?;
        Ok(SubjectVersion {
            subject,
            version,
            id,
            schema: raw.into_schema()?,
        })
    }
}

impl Registry {
    /// Every subject with its versions and latest schema, for the console's `:subjects`.
    /// Subjects not read by `deadline` (or beyond [`SUBJECTS_READ`](crate::model::SUBJECTS_READ)) are listed by name and
    /// counted in `not_loaded`; a subject that fails says why in its row.
    pub fn subject_listing(
        &self,
        deadline: std::time::Instant,
    ) -> Result<crate::model::SubjectListing, RegistryError> {
        use crate::model::{RegistrySubject, SubjectListing};
        let mut names = self.subjects()?;
        names.sort();
        let mut not_loaded = 0;
        let subjects = names
            .into_iter()
            .enumerate()
            .map(|(i, subject)| {
                let mut row = RegistrySubject {
                    subject,
                    versions: Vec::new(),
                    latest: None,
                    error: None,
                };
                if i >= crate::model::SUBJECTS_READ || std::time::Instant::now() >= deadline {
                    not_loaded += 1;
                    return row;
                }
                let read = self.versions(&row.subject).and_then(|versions| {
                    let latest = self.version(&row.subject, None)?;
                    Ok((versions, latest))
                });
                match read {
                    Ok((versions, latest)) => {
                        row.versions = versions;
                        row.latest = Some(latest.shown());
                    }
                    Err(e) => row.error = Some(e.to_string()),
                }
                row
            })
            .collect();
        Ok(SubjectListing {
            registry: self.shown.clone(),
            subjects,
            not_loaded,
        })
    }
}

impl SubjectVersion {
    /// As the console's subject screens show it.
    fn shown(self) -> crate::model::SubjectSchema {
        crate::model::SubjectSchema {
            version: self.version,
            id: self.id,
            kind: self.schema.kind.registry_name().to_string(),
            references: self
                .schema
                .references
                .iter()
                .map(|r| format!("{} -> {}:{}", r.name, r.subject, r.version))
                .collect(),
            text: self.schema.text,
        }
    }
}

impl Registry {
    /// Every version of `subject`, newest first, each with its schema, for the console's
    /// versions screen. The list of versions failing fails the whole (its kind kept: a 404 is
    /// a subject that is not there, a 401/403 a refusal); one version failing says why in its
    /// row. Versions not read by `deadline` (or beyond
    /// [`VERSIONS_READ`](crate::model::VERSIONS_READ)) are listed by number and counted.
    pub fn subject_versions(
        &self,
        subject: &str,
        deadline: std::time::Instant,
    ) -> Result<crate::model::SubjectVersions, RegistryError> {
        use crate::model::{SubjectVersionRow, SubjectVersions};
        let mut numbers = self.versions(subject).map_err(|e| match e {
            RegistryError::NotFound(m) => RegistryError::NotFound(format!(
                "subject '{}' is not in the registry {}: {m}",
                crate::record::sanitize::escape_text(subject),
                self.shown
            )),
            e => e,
        })?;
        numbers.sort_unstable_by(|a, b| b.cmp(a));
        let mut not_loaded = 0;
        let versions = numbers
            .into_iter()
            .enumerate()
            .map(|(i, version)| {
                let mut row = SubjectVersionRow {
                    version,
                    schema: None,
                    error: None,
                };
                if i >= crate::model::VERSIONS_READ || std::time::Instant::now() >= deadline {
                    not_loaded += 1;
                    return row;
                }
                match self.version(subject, Some(version)) {
                    Ok(v) => row.schema = Some(v.shown()),
                    Err(e) => row.error = Some(e.to_string()),
                }
                row
            })
            .collect();
        Ok(SubjectVersions {
            registry: self.shown.clone(),
            subject: subject.to_string(),
            versions,
            not_loaded,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_urls() {
        assert_eq!(segment("orders-value"), "orders-value");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
        assert_eq!(
            without_userinfo("https://u:p@reg:8081/api"),
            "https://reg:8081/api"
        );
        assert_eq!(without_userinfo("http://reg:8081"), "http://reg:8081");
    }

    #[test]
    fn bad_urls_are_usage_errors() {
        let s = RegistrySettings {
            url: "reg:8081".into(),
            ..Default::default()
        };
        let e = Registry::new(&s, Duration::from_secs(1)).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
    }

    #[test]
    fn an_unreachable_registry_is_transient() {
        let s = RegistrySettings {
            url: "http://127.0.0.1:1".into(),
            ..Default::default()
        };
        let r = Registry::new(&s, Duration::from_secs(2)).unwrap();
        let e = r.schema_by_id(1).unwrap_err();
        assert!(e.is_transient(), "{e:?}");
        assert!(e.to_string().contains("did not answer"), "{e}");
    }
}
