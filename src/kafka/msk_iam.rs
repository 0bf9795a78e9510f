//! AWS MSK IAM tokens for OAUTHBEARER, as Amazon's signers make them: a GET request for
//! `https://kafka.REGION.amazonaws.com/?Action=kafka-cluster:Connect`, presigned with SigV4
//! (service `kafka-cluster`, valid 900 s) by `aws-sigv4`, then its URL with a `User-Agent`
//! parameter, base64url-encoded without padding. Credentials come from the standard AWS chain
//! (`aws-config`: environment, the shared config and credentials files with a profile,
//! `credential_process`, web identity, ECS and EC2 instance metadata), optionally through an
//! assumed role. No signing code is ours.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::oauth::Token;
use crate::config::MskIamSettings;

/// How long a token is valid, as the reference signers make them.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(900);

/// The `User-Agent` parameter kscope's tokens carry (not signed; it names the client).
pub const USER_AGENT: &str = concat!("kscope/", env!("CARGO_PKG_VERSION"));

/// RFC 3986 unreserved characters stay; everything else is percent-encoded (as SigV4 and
/// botocore's `percent_encode` do).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The signed token for `creds` at `time`, and when it expires (ms since the epoch).
pub fn sign_token(
    creds: &Credentials,
    region: &str,
    time: SystemTime,
    user_agent: &str,
) -> Result<(String, i64), String> {
    let host = format!("kafka.{region}.amazonaws.com");
    let url = format!("https://{host}/?Action=kafka-cluster%3AConnect");
    let identity: Identity = creds.clone().into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(TOKEN_LIFETIME);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("kafka-cluster")
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| format!("cannot sign the MSK IAM token: {e}"))?
        .into();
    // The reference signers hash the empty body (not UNSIGNED-PAYLOAD).
    let request = SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(&[]))
        .map_err(|e| format!("cannot sign the MSK IAM token: {e}"))?;
    let (instructions, _) = sign(request, &params)
        .map_err(|e| format!("cannot sign the MSK IAM token: {e}"))?
        .into_parts();
    // The order the reference signers use: the signing parameters, the session token, the
    // signature, then the user agent.
    let get = |name: &str| {
        instructions
            .params()
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    let mut query = String::from("Action=kafka-cluster%3AConnect");
    for name in [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Security-Token",
        "X-Amz-Signature",
    ] {
        if let Some(v) = get(name) {
            query.push_str(&format!("&{name}={}", utf8_percent_encode(&v, QUERY)));
        }
    }
    query.push_str(&format!(
        "&User-Agent={}",
        utf8_percent_encode(user_agent, QUERY)
    ));
    let signed = format!("https://{host}/?{query}");
    let since_epoch = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| "the clock is before 1970".to_string())?;
    let expires_ms = i64::try_from((since_epoch.as_secs() + TOKEN_LIFETIME.as_secs()) * 1000)
        .map_err(|_| "the clock is out of range".to_string())?;
    Ok((
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signed),
        expires_ms,
    ))
}

/// A token signed now with credentials from the chain.
pub fn token(m: &MskIamSettings, timeout: Duration) -> Result<Token, String> {
    // aws-config is async; librdkafka asks on its own threads, which may sit inside a tokio
    // context (a blocking-pool thread): a thread of its own runs a runtime of its own.
    let m2 = m.clone();
    let creds = std::thread::scope(|s| {
        s.spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the AWS credential lookup: {e}"))?;
            rt.block_on(async {
                match tokio::time::timeout(timeout, credentials(&m2)).await {
                    Ok(r) => r,
                    Err(_) => Err(format!(
                        "no AWS credentials within {}",
                        humantime::format_duration(timeout)
                    )),
                }
            })
        })
        .join()
        .unwrap_or_else(|_| Err("the AWS credential lookup failed".to_string()))
    })?;
    let (value, expires_ms) = sign_token(&creds, &m.region, SystemTime::now(), USER_AGENT)?;
    // The broker names the principal from the signature; librdkafka only needs a name.
    Ok(Token {
        value,
        principal: creds.access_key_id().to_string(),
        expires_ms,
    })
}

async fn credentials(m: &MskIamSettings) -> Result<Credentials, String> {
    use aws_smithy_http_client::tls;
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(m.region.clone()))
        .http_client(http);
    if let Some(p) = &m.profile {
        loader = loader.profile_name(p);
    }
    let conf = loader.load().await;
    let provider = conf
        .credentials_provider()
        .ok_or_else(|| "no AWS credential provider".to_string())?;
    let found = match &m.role_arn {
        Some(role) => {
            aws_config::sts::AssumeRoleProvider::builder(role)
                .session_name(
                    m.session_name
                        .clone()
                        .unwrap_or_else(|| "kscope".to_string()),
                )
                .configure(&conf)
                .build_from_provider(provider)
                .await
                .provide_credentials()
                .await
        }
        None => provider.provide_credentials().await,
    };
    found.map_err(|e| {
        format!(
            "no AWS credentials{}: {}",
            m.role_arn
                .as_ref()
                .map(|r| format!(" for role {r}"))
                .unwrap_or_default(),
            aws_smithy_types::error::display::DisplayErrorContext(&e)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the SigV4 documentation's presigned URL: fixed credentials and time.
    #[test]
    fn a_token_is_a_presigned_connect_url() {
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("tok/en+=".into()),
            None,
            "test",
        );
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let (t, exp) = sign_token(&creds, "eu-west-1", at, "kscope/test").unwrap();
        assert_eq!(exp, 1_700_000_900_000);
        let url = String::from_utf8(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t)
                .unwrap(),
        )
        .unwrap();
        assert!(url.starts_with(
            "https://kafka.eu-west-1.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20231114%2Feu-west-1%2Fkafka-cluster%2Faws4_request&X-Amz-Date=20231114T221320Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-Signature="
        ), "{url}");
        assert!(url.ends_with("&User-Agent=kscope%2Ftest"), "{url}");
    }
}
