//! OAUTHBEARER tokens that kscope makes itself, handed to librdkafka when it asks for one (its
//! token refresh event, at start and at 80% of each token's life): OIDC client credentials
//! against a token endpoint, a token command, or AWS MSK IAM (`msk_iam`). A token is never
//! logged, and neither is what a token command prints; errors say what failed and where.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;

use crate::config::{CommandSettings, OidcSettings, TokenSource};
use crate::error::{Error, Result};

/// A token and what librdkafka needs to know about it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    pub value: String,
    pub principal: String,
    /// When it expires, in milliseconds since the Unix epoch.
    pub expires_ms: i64,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("value", &"<redacted>")
            .field("principal", &self.principal)
            .field("expires_ms", &self.expires_ms)
            .finish()
    }
}

/// Makes tokens from one [`TokenSource`].
pub struct TokenProvider {
    source: TokenSource,
    /// The time one token request may take (the connection's timeout).
    timeout: Duration,
    agent: Option<ureq::Agent>,
}

/// How long a token whose lifetime nobody says is used before asking for a new one.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// The most of a token endpoint's answer that is read.
const MAX_BODY: u64 = 1 << 20;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl TokenProvider {
    pub fn new(source: TokenSource, timeout: Duration) -> Result<Arc<TokenProvider>> {
        let agent = match &source {
            TokenSource::Oidc(o) => Some(agent(o, timeout)?),
            _ => None,
        };
        Ok(Arc::new(TokenProvider {
            source,
            timeout,
            agent,
        }))
    }

    /// A fresh token, or why there is none (a message that never holds a secret).
    pub fn token(&self) -> std::result::Result<Token, String> {
        match &self.source {
            TokenSource::Oidc(o) => match &self.agent {
                Some(a) => oidc_token(o, a),
                None => Err("no HTTP client for the token endpoint".into()),
            },
            TokenSource::Command(c) => command_token(c),
            TokenSource::MskIam(m) => super::msk_iam::token(m, self.timeout),
        }
    }
}

fn agent(o: &OidcSettings, timeout: Duration) -> Result<ureq::Agent> {
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(ca) = &o.ca {
        let pem = std::fs::read(ca)
            .map_err(|e| Error::config(format!("cannot read https.ca.location {ca}: {e}")))?;
        let certs: Vec<_> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(Error::config(format!(
                "https.ca.location {ca} holds no certificate"
            )));
        }
        tls = tls.root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)));
    }
    Ok(ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .tls_config(tls.build())
        .user_agent(concat!("kscope/", env!("CARGO_PKG_VERSION")))
        .build()
        .into())
}

/// The endpoint without its query, for messages.
fn shown(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<f64>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The OAuth 2.0 client credentials grant (RFC 6749 4.4), the client authenticating with HTTP
/// Basic, as librdkafka's `oidc` method does.
fn oidc_token(o: &OidcSettings, agent: &ureq::Agent) -> std::result::Result<Token, String> {
    let endpoint = shown(&o.token_endpoint);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        o.client_id.expose(),
        o.client_secret.expose()
    ));
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(scope) = &o.scope {
        form.push(("scope", scope.as_str()));
    }
    let mut resp = agent
        .post(&o.token_endpoint)
        .header("Authorization", &format!("Basic {basic}"))
        .header("Accept", "application/json")
        .send_form(form)
        .map_err(|e| format!("token endpoint {endpoint} did not answer: {e}"))?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map_err(|e| format!("token endpoint {endpoint}: cannot read its answer: {e}"))?;
    let answer: Option<TokenAnswer> = serde_json::from_str(&body).ok();
    let said = answer
        .as_ref()
        .and_then(|a| {
            let e = a.error.clone()?;
            Some(match &a.error_description {
                Some(d) => format!("{e}: {d}"),
                None => e,
            })
        })
        .map(|m| format!(": {}", crate::record::sanitize::escape_line(&m)))
        .unwrap_or_default();
    if !(200..300).contains(&status) {
        let hint = match status {
            400 | 401 | 403 => " (check the client id and secret, and the scope)",
            _ => "",
        };
        return Err(format!(
            "token endpoint {endpoint} refused client '{}': HTTP {status}{said}{hint}",
            crate::record::sanitize::escape_line(o.client_id.expose())
        ));
    }
    let answer =
        answer.ok_or_else(|| format!("token endpoint {endpoint} answered with no JSON object"))?;
    let value = answer
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| format!("token endpoint {endpoint} answered with no access_token{said}"))?;
    let claims = jwt_claims(&value);
    let expires_ms = claims
        .as_ref()
        .and_then(|c| c.get("exp")?.as_f64())
        .map(|exp| (exp * 1000.0) as i64)
        .or_else(|| answer.expires_in.map(|s| now_ms() + (s * 1000.0) as i64))
        .unwrap_or_else(|| now_ms() + DEFAULT_LIFETIME.as_millis() as i64);
    let principal = claims
        .as_ref()
        .and_then(|c| c.get(&o.sub_claim)?.as_str().map(str::to_string))
        .unwrap_or_else(|| o.client_id.expose().to_string());
    Ok(Token {
        value,
        principal,
        expires_ms,
    })
}

/// A JWT's claims, read without checking the signature (the broker checks it): only for the
/// principal and the expiry librdkafka is told.
pub fn jwt_claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Runs the token command with `sh -c`; its trimmed standard output is the token. What it
/// prints is never shown (it is the token); a failure says only how it ended.
fn command_token(c: &CommandSettings) -> std::result::Result<Token, String> {
    use wait_timeout::ChildExt;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&c.command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run token_command: {e}"))?;
    let mut out = child.stdout.take();
    // Read while it runs, so a command that prints more than a pipe holds cannot stall.
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(o) = out.as_mut() {
            let _ = o.take(MAX_BODY).read_to_end(&mut buf);
        }
        buf
    });
    let status = match child.wait_timeout(c.timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "token_command did not finish within {} (token_timeout)",
                humantime::format_duration(c.timeout)
            ));
        }
        Err(e) => return Err(format!("cannot wait for token_command: {e}")),
    };
    let stdout = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(format!(
            "token_command failed ({status}); its output is not shown"
        ));
    }
    let text = String::from_utf8(stdout)
        .map_err(|_| "token_command printed something that is not UTF-8".to_string())?;
    let value = text.trim().to_string();
    if value.is_empty() {
        return Err("token_command printed no token".into());
    }
    if value
        .chars()
        .any(|ch| ch.is_whitespace() || ch.is_control())
    {
        return Err(
            "token_command printed more than one token (whitespace inside its output)".into(),
        );
    }
    let claims = jwt_claims(&value);
    let expires_ms = claims
        .as_ref()
        .and_then(|c| c.get("exp")?.as_f64())
        .map(|exp| (exp * 1000.0) as i64)
        .unwrap_or_else(|| now_ms() + DEFAULT_LIFETIME.as_millis() as i64);
    let principal = claims
        .as_ref()
        .and_then(|c| c.get("sub")?.as_str().map(str::to_string))
        .unwrap_or_else(|| "kscope".to_string());
    Ok(Token {
        value,
        principal,
        expires_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(cmd: &str, timeout_ms: u64) -> CommandSettings {
        CommandSettings {
            command: cmd.into(),
            timeout: Duration::from_millis(timeout_ms),
        }
    }

    #[test]
    fn a_command_token_is_its_trimmed_output_and_a_jwt_says_who_and_until_when() {
        let t = command_token(&command("printf 'opaque-token\\n'", 5_000)).unwrap();
        assert_eq!(t.value, "opaque-token");
        assert_eq!(t.principal, "kscope");
        assert!(t.expires_ms > now_ms());
        assert!(!format!("{t:?}").contains("opaque-token"));
        // {"sub":"alice","exp":4102444800}
        let jwt = format!(
            "e30.{}.sig",
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(br#"{"sub":"alice","exp":4102444800}"#)
        );
        let t = command_token(&command(&format!("echo {jwt}"), 5_000)).unwrap();
        assert_eq!(
            (t.principal.as_str(), t.expires_ms),
            ("alice", 4_102_444_800_000)
        );
    }

    #[test]
    fn a_failing_or_slow_command_says_so_without_its_output() {
        let e = command_token(&command("echo s3cret; exit 3", 5_000)).unwrap_err();
        assert!(e.contains("failed") && e.contains('3'), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        let started = std::time::Instant::now();
        let e = command_token(&command("sleep 10", 300)).unwrap_err();
        assert!(e.contains("did not finish within 300ms"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let e = command_token(&command("true", 5_000)).unwrap_err();
        assert!(e.contains("printed no token"), "{e}");
        let e = command_token(&command("echo two tokens", 5_000)).unwrap_err();
        assert!(!e.contains("tokens"), "{e}");
    }
}
