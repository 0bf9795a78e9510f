//! Where an OAUTHBEARER token comes from, when kscope fetches it itself: OIDC client
//! credentials (librdkafka's `sasl.oauthbearer.method=oidc` properties, from a context, `-X` or
//! a Java `.properties` file), AWS MSK IAM (`sasl_mechanism = "AWS_MSK_IAM"` in a context) or
//! a command (`token_command`). Resolved once into [`TokenSource`]; the client layer turns it
//! into tokens when librdkafka asks for one.

use std::collections::BTreeMap;
use std::time::Duration;

use super::raw::RawContext;
use super::Secret;
use crate::error::{Error, Result};

/// How OAUTHBEARER tokens are made. `Debug` never shows a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// The OAuth 2.0 client credentials grant against a token endpoint.
    Oidc(OidcSettings),
    /// AWS MSK IAM: a SigV4-signed request for `kafka-cluster:Connect`.
    MskIam(MskIamSettings),
    /// A command whose standard output is the token.
    Command(CommandSettings),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSettings {
    pub token_endpoint: String,
    pub client_id: Secret,
    pub client_secret: Secret,
    pub scope: Option<String>,
    /// The JWT claim that names the principal (librdkafka's `sasl.oauthbearer.sub.claim.name`).
    pub sub_claim: String,
    /// PEM file with the CA certificates for an https endpoint (librdkafka's `https.ca.location`).
    pub ca: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MskIamSettings {
    pub region: String,
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    pub session_name: Option<String>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct CommandSettings {
    pub command: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for CommandSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The command line may hold a credential itself.
        f.debug_struct("CommandSettings")
            .field("command", &"<redacted>")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// librdkafka's OIDC properties: kscope takes them over (its librdkafka is built without the
/// HTTP client that method needs) and fetches the token itself.
const OIDC_KEYS: &[&str] = &[
    "sasl.oauthbearer.method",
    "sasl.oauthbearer.token.endpoint.url",
    "sasl.oauthbearer.client.id",
    "sasl.oauthbearer.client.secret",
    "sasl.oauthbearer.scope",
    "sasl.oauthbearer.sub.claim.name",
    "https.ca.location",
];

/// How long a token command may run by default.
pub const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

fn set_mechanism(props: &mut BTreeMap<String, String>, what: &str) -> Result<()> {
    match props.get("sasl.mechanisms").or(props.get("sasl.mechanism")) {
        Some(m) if !m.eq_ignore_ascii_case("OAUTHBEARER") => Err(Error::config(format!(
            "{what} makes OAUTHBEARER tokens, but sasl.mechanisms is '{m}'"
        ))),
        _ => {
            props.remove("sasl.mechanism");
            props.insert("sasl.mechanisms".into(), "OAUTHBEARER".into());
            Ok(())
        }
    }
}

/// The AWS region of an Amazon MSK bootstrap address, as Amazon's own client reads it from the
/// broker's host name: `b-1.NAME.ID.c2.kafka.REGION.amazonaws.com` (and `kafka-serverless`).
pub fn msk_region(bootstrap: &str) -> Option<String> {
    let host = bootstrap.split(',').next()?.trim();
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let labels: Vec<&str> = host.split('.').collect();
    labels.windows(3).find_map(|w| {
        (matches!(w[0], "kafka" | "kafka-serverless")
            && w[2] == "amazonaws"
            && !w[1].is_empty()
            && w[1]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
        .then(|| w[1].to_string())
    })
}

/// Takes the token source out of a context's settings and its resolved properties, leaving in
/// `props` what librdkafka is given (the OAUTHBEARER mechanism, without the OIDC keys).
pub fn take_token_source(
    name: &str,
    context: &RawContext,
    bootstrap: Option<&str>,
    props: &mut BTreeMap<String, String>,
) -> Result<Option<TokenSource>> {
    let mut found: Vec<(&str, TokenSource)> = Vec::new();
    let oidc = props
        .get("sasl.oauthbearer.method")
        .is_some_and(|m| m.eq_ignore_ascii_case("oidc"));
    if oidc {
        let mut take = |k: &str| props.remove(k).filter(|v| !v.trim().is_empty());
        let endpoint = take("sasl.oauthbearer.token.endpoint.url");
        let id = take("sasl.oauthbearer.client.id");
        let secret = take("sasl.oauthbearer.client.secret");
        let scope = take("sasl.oauthbearer.scope");
        let sub_claim = take("sasl.oauthbearer.sub.claim.name");
        let ca = take("https.ca.location");
        for k in OIDC_KEYS {
            props.remove(*k);
        }
        let missing: Vec<&str> = [
            ("sasl.oauthbearer.token.endpoint.url", endpoint.is_none()),
            ("sasl.oauthbearer.client.id", id.is_none()),
            ("sasl.oauthbearer.client.secret", secret.is_none()),
        ]
        .into_iter()
        .filter(|(_, m)| *m)
        .map(|(k, _)| k)
        .collect();
        if !missing.is_empty() {
            return Err(Error::config(format!(
                "context '{name}': sasl.oauthbearer.method=oidc needs {}",
                missing.join(", ")
            )));
        }
        let endpoint = endpoint.unwrap_or_default();
        if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
            return Err(Error::config(format!(
                "context '{name}': sasl.oauthbearer.token.endpoint.url must be an http:// or https:// URL"
            )));
        }
        found.push((
            "sasl.oauthbearer.method=oidc",
            TokenSource::Oidc(OidcSettings {
                token_endpoint: endpoint,
                client_id: Secret::new("client.id", id.unwrap_or_default()),
                client_secret: Secret::new("client.secret", secret.unwrap_or_default()),
                scope,
                sub_claim: sub_claim.unwrap_or_else(|| "sub".into()),
                ca,
            }),
        ));
    } else if props.contains_key("sasl.oauthbearer.token.endpoint.url") {
        return Err(Error::config(format!(
            "context '{name}': sasl.oauthbearer.token.endpoint.url is set but sasl.oauthbearer.method is not 'oidc'"
        )));
    }
    if let Some(cmd) = &context.token_command {
        if cmd.trim().is_empty() {
            return Err(Error::config(format!(
                "context '{name}': token_command is empty"
            )));
        }
        let timeout = match &context.token_timeout {
            None => DEFAULT_TOKEN_TIMEOUT,
            Some(t) => humantime::parse_duration(t)
                .ok()
                .filter(|d| !d.is_zero() && *d <= Duration::from_secs(600))
                .ok_or_else(|| {
                    Error::config(format!(
                        "context '{name}': invalid token_timeout '{t}': expected a duration up to 10m, e.g. \"30s\""
                    ))
                })?,
        };
        found.push((
            "token_command",
            TokenSource::Command(CommandSettings {
                command: cmd.clone(),
                timeout,
            }),
        ));
    } else if context.token_timeout.is_some() {
        return Err(Error::config(format!(
            "context '{name}': token_timeout is set without token_command"
        )));
    }
    let aws = context.aws_region.is_some()
        || context.aws_profile.is_some()
        || context.aws_role_arn.is_some();
    // MSK IAM asked for in the properties: a Java `.properties` file (sasl.mechanism=AWS_MSK_IAM
    // with IAMLoginModule) or `-X sasl.mechanism=AWS_MSK_IAM`. The context's own fields win.
    use super::java::{MSK_PROFILE, MSK_ROLE_ARN, MSK_SESSION_NAME};
    let from_java = [MSK_PROFILE, MSK_ROLE_ARN, MSK_SESSION_NAME].map(|k| props.remove(k));
    let props_msk = ["sasl.mechanisms", "sasl.mechanism"].iter().any(|k| {
        props
            .get(*k)
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("AWS_MSK_IAM"))
    });
    let context_msk = context
        .sasl_mechanism
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case("AWS_MSK_IAM"));
    if props_msk && context.sasl_mechanism.is_some() && !context_msk {
        return Err(Error::config(format!(
            "context '{name}': sasl.mechanism=AWS_MSK_IAM in its properties, but sasl_mechanism = \"{}\"",
            context.sasl_mechanism.as_deref().unwrap_or_default()
        )));
    }
    if from_java.iter().any(Option::is_some) && !props_msk && !context_msk {
        return Err(Error::config(format!(
            "context '{name}': IAMLoginModule options need sasl.mechanism=AWS_MSK_IAM"
        )));
    }
    match context.sasl_mechanism.as_deref() {
        _ if context_msk || props_msk => {
            props.remove("sasl.mechanisms");
            props.remove("sasl.mechanism");
            let [java_profile, java_role, java_session] = from_java;
            let region = context
                .aws_region
                .clone()
                .filter(|r| !r.trim().is_empty())
                .or_else(|| bootstrap.and_then(msk_region))
                .ok_or_else(|| {
                    Error::config(format!(
                        "context '{name}': AWS_MSK_IAM needs aws_region, e.g. \"us-east-1\" (it is \
                         read from the bootstrap host only for *.kafka.REGION.amazonaws.com)"
                    ))
                })?;
            found.push((
                if context_msk {
                    "sasl_mechanism = \"AWS_MSK_IAM\""
                } else {
                    "sasl.mechanism=AWS_MSK_IAM"
                },
                TokenSource::MskIam(MskIamSettings {
                    region,
                    profile: context.aws_profile.clone().or(java_profile),
                    role_arn: context.aws_role_arn.clone().or(java_role),
                    session_name: context.aws_session_name.clone().or(java_session),
                }),
            ));
            props
                .entry("security.protocol".into())
                .or_insert_with(|| "SASL_SSL".into());
        }
        Some(m) => {
            // Any other mechanism is librdkafka's own.
            if aws {
                return Err(Error::config(format!(
                    "context '{name}': aws_region, aws_profile and aws_role_arn need sasl_mechanism = \"AWS_MSK_IAM\""
                )));
            }
            props.insert("sasl.mechanisms".into(), m.to_string());
        }
        None if aws => {
            return Err(Error::config(format!(
                "context '{name}': aws_region, aws_profile and aws_role_arn need sasl_mechanism = \"AWS_MSK_IAM\""
            )))
        }
        None => {}
    }
    if found.len() > 1 {
        let names: Vec<&str> = found.iter().map(|(n, _)| *n).collect();
        return Err(Error::config(format!(
            "context '{name}': choose one way to get an OAUTHBEARER token, not {}",
            names.join(" and ")
        )));
    }
    match found.pop() {
        Some((what, source)) => {
            set_mechanism(props, &format!("context '{name}': {what}"))?;
            Ok(Some(source))
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{parse_config, resolve_with_env, ConnectOptions};
    use std::path::Path;

    fn settings(text: &str) -> Result<crate::config::ConnectionSettings> {
        let c = parse_config(text, Path::new("c.toml"))?;
        let opts = ConnectOptions {
            context: Some("x".into()),
            ..Default::default()
        };
        resolve_with_env(&opts, &c, &|_| None)
    }

    #[test]
    fn oidc_properties_become_a_token_source_librdkafka_never_sees() {
        let s = settings(
            "[contexts.x]\nbootstrap = \"b:1\"\nclient_id = { value = \"kscope\" }\n\
             client_secret = { value = \"s3cret\" }\n[contexts.x.properties]\n\
             \"sasl.oauthbearer.method\" = \"OIDC\"\n\
             \"sasl.oauthbearer.token.endpoint.url\" = \"https://idp/token\"\n\
             \"sasl.oauthbearer.scope\" = \"kafka\"\n",
        )
        .unwrap();
        let Some(TokenSource::Oidc(o)) = &s.token else {
            panic!("{:?}", s.token)
        };
        assert_eq!(o.token_endpoint, "https://idp/token");
        assert_eq!(o.client_id.expose(), "kscope");
        assert_eq!(o.client_secret.expose(), "s3cret");
        assert_eq!(o.scope.as_deref(), Some("kafka"));
        assert_eq!(s.properties["sasl.mechanisms"].expose(), "OAUTHBEARER");
        assert!(s
            .properties
            .keys()
            .all(|k| !k.starts_with("sasl.oauthbearer")));
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn token_sources_say_what_is_missing_or_conflicting() {
        let e = settings(
            "[contexts.x]\nbootstrap = \"b:1\"\n[contexts.x.properties]\n\
             \"sasl.oauthbearer.method\" = \"oidc\"\n",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("needs sasl.oauthbearer.token.endpoint.url, sasl.oauthbearer.client.id, sasl.oauthbearer.client.secret"),
            "{e}"
        );
        let e = settings(
            "[contexts.x]\nbootstrap = \"b:1\"\ntoken_command = \"echo t\"\n\
             sasl_mechanism = \"AWS_MSK_IAM\"\naws_region = \"eu-west-1\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("choose one way"), "{e}");
        let e = settings("[contexts.x]\nbootstrap = \"b:1\"\nsasl_mechanism = \"AWS_MSK_IAM\"\n")
            .unwrap_err();
        assert!(e.to_string().contains("needs aws_region"), "{e}");
        let e = settings(
            "[contexts.x]\nbootstrap = \"b:1\"\ntoken_command = \"echo t\"\n\
             [contexts.x.properties]\n\"sasl.mechanisms\" = \"PLAIN\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("sasl.mechanisms is 'PLAIN'"), "{e}");
        let e = settings(
            "[contexts.x]\nbootstrap = \"b:1\"\ntoken_command = \"echo t\"\ntoken_timeout = \"soon\"\n",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("invalid token_timeout 'soon'"),
            "{e}"
        );
    }

    #[test]
    fn msk_regions_are_read_from_msk_host_names_only() {
        assert_eq!(
            msk_region("b-1.demo.ab12cd.c2.kafka.eu-west-1.amazonaws.com:9098,b-2.x:9098")
                .as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            msk_region("boot-x.c1.kafka-serverless.us-east-2.amazonaws.com:9098").as_deref(),
            Some("us-east-2")
        );
        assert_eq!(msk_region("kafka.internal:9092"), None);
        assert_eq!(msk_region("b-1.kafka.EU_WEST.amazonaws.com:9098"), None);
        assert_eq!(msk_region(""), None);
    }

    #[test]
    fn msk_iam_from_properties_as_a_java_client_file_gives_it() {
        use crate::config::java::{MSK_PROFILE, MSK_ROLE_ARN};
        let s = settings(&format!(
            "[contexts.x]\nbootstrap = \"b-1.demo.ab12cd.c2.kafka.eu-west-1.amazonaws.com:9098\"\n\
             [contexts.x.properties]\n\"security.protocol\" = \"SASL_SSL\"\n\
             \"sasl.mechanisms\" = \"AWS_MSK_IAM\"\n\"{MSK_PROFILE}\" = \"ops\"\n\
             \"{MSK_ROLE_ARN}\" = \"arn:aws:iam::1:role/r\"\n"
        ))
        .unwrap();
        assert_eq!(
            s.token,
            Some(TokenSource::MskIam(MskIamSettings {
                region: "eu-west-1".into(),
                profile: Some("ops".into()),
                role_arn: Some("arn:aws:iam::1:role/r".into()),
                session_name: None,
            }))
        );
        // librdkafka sees OAUTHBEARER and none of kscope's own keys.
        assert_eq!(s.properties["sasl.mechanisms"].expose(), "OAUTHBEARER");
        assert!(s.properties.keys().all(|k| !k.starts_with("kscope.")));
        // The context's region wins; without one a host that is not MSK's says what to set.
        let s = settings(
            "[contexts.x]\nbootstrap = \"b-1.demo.ab12cd.c2.kafka.eu-west-1.amazonaws.com:9098\"\n\
             aws_region = \"us-west-2\"\n[contexts.x.properties]\n\"sasl.mechanism\" = \"AWS_MSK_IAM\"\n",
        )
        .unwrap();
        assert!(matches!(&s.token, Some(TokenSource::MskIam(m)) if m.region == "us-west-2"));
        let e = settings(
            "[contexts.x]\nbootstrap = \"kafka.internal:9098\"\n[contexts.x.properties]\n\
             \"sasl.mechanism\" = \"AWS_MSK_IAM\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("needs aws_region"), "{e}");
        let e = settings(
            "[contexts.x]\nbootstrap = \"b:1\"\nsasl_mechanism = \"PLAIN\"\n\
             [contexts.x.properties]\n\"sasl.mechanism\" = \"AWS_MSK_IAM\"\n",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("but sasl_mechanism = \"PLAIN\""),
            "{e}"
        );
    }

    #[test]
    fn msk_iam_and_token_command_contexts() {
        let s = settings(
            "[contexts.x]\nbootstrap = \"b:1\"\nsasl_mechanism = \"AWS_MSK_IAM\"\n\
             aws_region = \"eu-west-1\"\naws_role_arn = \"arn:aws:iam::1:role/r\"\n",
        )
        .unwrap();
        assert_eq!(
            s.token,
            Some(TokenSource::MskIam(MskIamSettings {
                region: "eu-west-1".into(),
                profile: None,
                role_arn: Some("arn:aws:iam::1:role/r".into()),
                session_name: None,
            }))
        );
        assert_eq!(s.properties["security.protocol"].expose(), "SASL_SSL");
        assert_eq!(s.properties["sasl.mechanisms"].expose(), "OAUTHBEARER");
        let s = settings(
            "[contexts.x]\nbootstrap = \"b:1\"\ntoken_command = \"vault read -field=t x\"\n",
        )
        .unwrap();
        let Some(TokenSource::Command(c)) = &s.token else {
            panic!("{:?}", s.token)
        };
        assert_eq!(c.timeout, DEFAULT_TOKEN_TIMEOUT);
        assert!(!format!("{s:?}").contains("vault"));
        assert_eq!(
            settings("[contexts.x]\nbootstrap = \"b:1\"\n")
                .unwrap()
                .token,
            None
        );
    }
}
