#![allow(clippy::disallowed_macros, clippy::disallowed_methods)] // test output, not kscope output
//! Logging in with OAUTHBEARER against a real broker that validates JWTs against the JWKS of a
//! token issuer on loopback (`scripts/kafka.sh start --oauth`, `tests/auth/issuer.py`): OIDC
//! client credentials from a context and from Java properties, a wrong client secret, a token
//! the broker refuses (signed with a key its JWKS lacks), and `token_command`; AWS MSK IAM tokens
//! against Amazon's reference signer (`aws-msk-iam-sasl-signer-python`), and from the AWS
//! credential chain through the refresh callback to the broker.

mod common;

use std::time::{Duration, Instant};

use common::*;

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write file");
    path.to_str().expect("utf-8 path").to_string()
}

/// A config with one context `oauth` on the OAUTHBEARER listener, the client secret from the
/// environment.
fn oidc_config(dir: &tempfile::TempDir, o: &OAuth, client: &str) -> String {
    write(
        dir,
        "config.toml",
        &format!(
            "[contexts.oauth]\nbootstrap = \"{}\"\ntimeout = \"10s\"\n\
             client_id = {{ value = \"{client}\" }}\n\
             client_secret = {{ env = \"KSCOPE_TEST_CLIENT_SECRET\" }}\n\
             [contexts.oauth.properties]\n\"security.protocol\" = \"SASL_PLAINTEXT\"\n\
             \"sasl.oauthbearer.method\" = \"oidc\"\n\
             \"sasl.oauthbearer.token.endpoint.url\" = \"{}\"\n\
             \"sasl.oauthbearer.scope\" = \"kafka\"\n",
            o.bootstrap, o.token_url
        ),
    )
}

/// `kscope --config-file CFG --context oauth topics -o json`, with KSCOPE_LOG=debug so that the
/// test can check what the log holds.
fn topics(cfg: &str, secret: &str) -> std::process::Output {
    kscope_bare()
        .env("KSCOPE_TEST_CLIENT_SECRET", secret)
        .env("KSCOPE_LOG", "debug")
        .args([
            "--config-file",
            cfg,
            "--context",
            "oauth",
            "topics",
            "-o",
            "json",
        ])
        .output()
        .expect("run kscope")
}

fn topic_names(out: &std::process::Output) -> Vec<String> {
    let v = json(out);
    let list = v
        .get("topics")
        .and_then(|t| t.as_array())
        .or_else(|| v.as_array())
        .unwrap_or_else(|| panic!("no topic list: {v}"));
    list.iter()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn oidc_client_credentials_from_a_context_log_in_to_a_validating_broker() {
    let (k, o) = kafka_oauth();
    let topic = unique("oidc");
    create_topic(k, &topic, 1, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = oidc_config(&dir, o, &o.client_id);

    let out = topics(&cfg, &o.client_secret);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(topic_names(&out).contains(&topic), "{}", stderr(&out));
    let log = stderr(&out);
    assert!(log.contains("OAUTHBEARER token for 'kscope'"), "{log}");
    assert!(
        !log.contains(&o.client_secret),
        "the secret is never logged"
    );
    assert!(!log.contains("eyJ"), "no token is logged: {log}");

    // A consumer (rust-rdkafka's own refresh path, not the admin handle's) reads the records
    // produced in plaintext, over the same login.
    produce(k, &topic, &[(0, None, &b"over-oauth"[..], None)]).await;
    let out = kscope_bare()
        .env("KSCOPE_TEST_CLIENT_SECRET", &o.client_secret)
        .args(["--config-file", &cfg, "--context", "oauth", "tail", &topic])
        .args(["--from", "beginning", "-n", "1", "-o", "jsonl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].to_string().contains("over-oauth"), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_client_secret_fails_at_once_saying_the_endpoint_refused_it() {
    let (_, o) = kafka_oauth();
    let dir = tempfile::tempdir().unwrap();
    let cfg = oidc_config(&dir, o, &o.client_id);
    let started = Instant::now();
    let out = topics(&cfg, "not-the-secret");
    assert!(!out.status.success());
    let err = stderr(&out);
    let endpoint = o.token_url.as_str();
    assert!(
        err.contains(&format!(
            "token endpoint {endpoint} refused client 'kscope': HTTP 401: invalid_client: client authentication failed"
        )),
        "{err}"
    );
    assert!(!err.contains("not-the-secret"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "did not wait out the 10s timeout: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_the_broker_cannot_verify_is_refused_by_the_broker() {
    // The rogue client gets a token from the issuer, signed with a key the JWKS does not
    // publish: only a broker that checks signatures tells it apart.
    let (_, o) = kafka_oauth();
    let dir = tempfile::tempdir().unwrap();
    let cfg = oidc_config(&dir, o, &o.rogue_id);
    let out = topics(&cfg, &o.rogue_secret);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("OAUTHBEARER token for 'rogue'"),
        "got a token: {err}"
    );
    assert!(err.contains("SASL authentication error"), "{err}");
    assert!(err.contains("invalid_token"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn oidc_client_credentials_from_java_properties() {
    let (k, o) = kafka_oauth();
    let topic = unique("oidc-java");
    create_topic(k, &topic, 1, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let props = write(
        &dir,
        "client.properties",
        &format!(
            "bootstrap.servers={}\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=OAUTHBEARER\n\
             sasl.oauthbearer.token.endpoint.url={}\n\
             sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler\n\
             sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required \
             clientId=\"{}\" clientSecret=\"{}\" scope=\"kafka\";\n",
            o.bootstrap, o.token_url, o.client_id, o.client_secret
        ),
    );
    let out = kscope_bare()
        .args([
            "--command-config",
            &props,
            "--timeout",
            "10s",
            "topics",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(topic_names(&out).contains(&topic));
}

/// A token fetched the way a script would, for `token_command`.
fn fetch_token(o: &OAuth) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut resp = agent
        .post(&o.token_url)
        .send_form([
            ("grant_type", "client_credentials"),
            ("client_id", o.client_id.as_str()),
            ("client_secret", o.client_secret.as_str()),
        ])
        .expect("token endpoint");
    let v: serde_json::Value =
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    v["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

fn token_command_config(dir: &tempfile::TempDir, o: &OAuth, command: &str, extra: &str) -> String {
    write(
        dir,
        "config.toml",
        &format!(
            "[contexts.oauth]\nbootstrap = \"{}\"\ntimeout = \"10s\"\n\
             token_command = \"{command}\"\n{extra}\
             [contexts.oauth.properties]\n\"security.protocol\" = \"SASL_PLAINTEXT\"\n",
            o.bootstrap
        ),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_command_logs_in_and_its_failures_are_clear_and_quiet() {
    let (k, o) = kafka_oauth();
    let topic = unique("token-cmd");
    create_topic(k, &topic, 1, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let token = fetch_token(o);
    let file = write(&dir, "token", &format!("{token}\n"));

    let cfg = token_command_config(&dir, o, &format!("cat {file}"), "");
    let out = topics(&cfg, "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(topic_names(&out).contains(&topic));
    assert!(!stderr(&out).contains(&token), "the token is never logged");

    // A command that fails: its status, never its output.
    let cfg = token_command_config(&dir, o, &format!("cat {file}; exit 3"), "");
    let out = topics(&cfg, "");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("token_command failed (exit status: 3)"),
        "{err}"
    );
    assert!(!err.contains(&token), "{err}");

    // A command that hangs: stopped at token_timeout.
    let cfg = token_command_config(&dir, o, "sleep 30", "token_timeout = \"1s\"\n");
    let started = Instant::now();
    let out = topics(&cfg, "");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("token_command did not finish within 1s"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );

    // A token that is not one: the broker refuses it.
    let bad = write(&dir, "bad", "not-a-jwt\n");
    let cfg = token_command_config(&dir, o, &format!("cat {bad}"), "");
    let out = topics(&cfg, "");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("SASL authentication error"),
        "{}",
        stderr(&out)
    );
}

/// A python with Amazon's reference signer (`scripts/kafka.sh auth-pyenv`).
fn auth_python() -> String {
    let out = std::process::Command::new(repo().join("scripts/kafka.sh"))
        .arg("auth-pyenv")
        .output()
        .expect("run kafka.sh auth-pyenv");
    assert!(
        out.status.success(),
        "no python with the reference signer: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn decode(token: &str) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .unwrap_or_else(|e| panic!("not unpadded base64url ({e}): {token}"));
    String::from_utf8(bytes).expect("a URL")
}

#[test]
fn msk_iam_tokens_are_byte_identical_to_the_reference_signers() {
    use kscope::kafka::msk_iam::{sign_token, USER_AGENT};
    use std::time::SystemTime;
    let python = auth_python();
    let reference_agent = "aws-msk-iam-sasl-signer-python/1.0.2";
    for (region, access, secret, session, at) in [
        (
            "us-east-1",
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            1_700_000_000u64,
        ),
        (
            "eu-west-1",
            "ASIAEXAMPLE2",
            "secret/with+plus=",
            Some("FwoGZXIvYXdzEJr//////////wEaDOtoken+with/slashes=="),
            1_735_689_599,
        ),
    ] {
        let out = std::process::Command::new(&python)
            .arg(repo().join("tests/auth/msk_sign.py"))
            .args([
                region,
                access,
                secret,
                session.unwrap_or("-"),
                &at.to_string(),
            ])
            .output()
            .expect("run the reference signer");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let reference: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let creds = aws_credential_types::Credentials::new(
            access,
            secret,
            session.map(str::to_string),
            None,
            "test",
        );
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(at);
        // Signed with the reference's user agent, the two tokens are the same bytes.
        let (ours, expiry) = sign_token(&creds, region, time, reference_agent).unwrap();
        let theirs = reference["token"].as_str().unwrap();
        assert_eq!(decode(&ours), decode(theirs));
        assert_eq!(ours, theirs);
        assert_eq!(expiry, reference["expiry_ms"].as_i64().unwrap());
        // kscope's own tokens name kscope; the user agent is not signed, so nothing else changes.
        let (own, _) = sign_token(&creds, region, time, USER_AGENT).unwrap();
        let own = decode(&own);
        let (signed, agent) = own.rsplit_once("&User-Agent=").unwrap();
        assert_eq!(agent, USER_AGENT.replace('/', "%2F"));
        assert!(decode(theirs).starts_with(&format!("{signed}&User-Agent=")));
    }
}

/// `kscope topics` in an AWS_MSK_IAM context on the OAUTHBEARER test listener, with `env`
/// as the only AWS settings (no instance metadata, no files but the ones given).
fn msk_topics(o: &OAuth, extra: &str, env: &[(&str, String)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        &dir,
        "config.toml",
        &format!(
            "[contexts.msk]\nbootstrap = \"{}\"\ntimeout = \"10s\"\n\
             sasl_mechanism = \"AWS_MSK_IAM\"\naws_region = \"eu-west-1\"\n{extra}\
             [contexts.msk.properties]\n\"security.protocol\" = \"SASL_PLAINTEXT\"\n",
            o.bootstrap
        ),
    );
    let mut cmd = kscope_bare();
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.path().join("no-credentials"),
        )
        .env("KSCOPE_LOG", "debug");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(["--config-file", &cfg, "--context", "msk", "topics"])
        .output()
        .unwrap()
}

#[test]
fn msk_iam_takes_credentials_from_the_chain_and_hands_the_token_to_the_broker() {
    let (_, o) = kafka_oauth();
    // From the environment: the token reaches the broker, which (not being MSK) refuses it.
    let out = msk_topics(
        o,
        "",
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAFROMENV".into()),
            ("AWS_SECRET_ACCESS_KEY", "env-secret-key".into()),
        ],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("OAUTHBEARER token for 'AKIAFROMENV'"), "{err}");
    assert!(err.contains("SASL authentication error"), "{err}");
    assert!(!err.contains("env-secret-key"), "{err}");

    // From a profile of the shared credentials file.
    let dir = tempfile::tempdir().unwrap();
    let creds = write(
        &dir,
        "credentials",
        "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n\
         [ops]\naws_access_key_id = AKIAFROMPROFILE\naws_secret_access_key = profile-secret\n",
    );
    let out = msk_topics(
        o,
        "aws_profile = \"ops\"\n",
        &[("AWS_SHARED_CREDENTIALS_FILE", creds)],
    );
    let err = stderr(&out);
    assert!(
        err.contains("OAUTHBEARER token for 'AKIAFROMPROFILE'"),
        "{err}"
    );
    assert!(!err.contains("profile-secret"), "{err}");

    // None anywhere: a clear error, at once.
    let started = Instant::now();
    let out = msk_topics(o, "", &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("Failed to acquire SASL OAUTHBEARER token: no AWS credentials"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
}

/// A Java client's MSK IAM `.properties` (aws-msk-iam-auth's IAMLoginModule with a profile) in
/// a context's `command_config`: kscope signs with that profile and hands the token over.
#[test]
fn msk_iam_from_a_java_client_properties_file() {
    let (_, o) = kafka_oauth();
    let dir = tempfile::tempdir().unwrap();
    let props = write(
        &dir,
        "client.properties",
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=AWS_MSK_IAM\n\
         sasl.jaas.config=software.amazon.msk.auth.iam.IAMLoginModule required awsProfileName=\"ops\";\n\
         sasl.client.callback.handler.class=software.amazon.msk.auth.iam.IAMClientCallbackHandler\n",
    );
    let creds = write(
        &dir,
        "credentials",
        "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n\
         [ops]\naws_access_key_id = AKIAJAVAPROFILE\naws_secret_access_key = java-secret\n",
    );
    let cfg = write(
        &dir,
        "config.toml",
        &format!(
            "[contexts.msk]\nbootstrap = \"{}\"\ntimeout = \"10s\"\naws_region = \"eu-west-1\"\n\
             command_config = \"{props}\"\n",
            o.bootstrap
        ),
    );
    let mut cmd = kscope_bare();
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
        .env("KSCOPE_LOG", "debug")
        .args(["--config-file", &cfg, "--context", "msk", "topics"])
        .output()
        .unwrap();
    // The broker (not MSK) refuses the token; that it got one signed for the profile is the point.
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("OAUTHBEARER token for 'AKIAJAVAPROFILE'"),
        "{err}"
    );
    assert!(err.contains("SASL authentication error"), "{err}");
    assert!(!err.contains("java-secret"), "{err}");
}
