//! Java client `.properties` (as `kafka-consumer-groups --command-config` takes them) turned into
//! librdkafka properties. Most keys share a name; the few that differ are mapped here, and the
//! ones librdkafka cannot honour are refused with a way out rather than silently dropped.

use std::collections::{BTreeMap, HashMap};

/// Java-only keys that have no librdkafka meaning and are safe to ignore.
const IGNORED: &[&str] = &[
    "client.dns.lookup",
    "default.api.timeout.ms",
    "ssl.truststore.type",
    "ssl.keystore.type",
    "ssl.truststore.password",
    "key.deserializer",
    "value.deserializer",
    "key.serializer",
    "value.serializer",
    "sasl.login.callback.handler.class",
    "ssl.protocol",
    "ssl.enabled.protocols",
];

/// The MSK IAM options of a Java `sasl.jaas.config` (IAMLoginModule), carried to the token
/// source under names of kscope's own; taken out before librdkafka sees the properties.
pub const MSK_PROFILE: &str = "kscope.msk.iam.profile";
pub const MSK_ROLE_ARN: &str = "kscope.msk.iam.role.arn";
pub const MSK_SESSION_NAME: &str = "kscope.msk.iam.role.session.name";

/// Returns the bootstrap servers (if set) and librdkafka properties.
pub fn java_properties_to_librdkafka(
    java: HashMap<String, String>,
) -> Result<(Option<String>, BTreeMap<String, String>), String> {
    let mut out = BTreeMap::new();
    let mut bootstrap = None;
    let store_type = |k: &str| {
        java.get(k)
            .map(|t| t.trim().to_ascii_uppercase())
            .unwrap_or_else(|| "JKS".to_string())
    };
    let mut keys: Vec<&String> = java.keys().collect();
    keys.sort();
    for key in keys {
        let value = java[key].trim().to_string();
        match key.as_str() {
            "bootstrap.servers" => bootstrap = Some(value),
            "sasl.mechanism" => {
                out.insert("sasl.mechanisms".to_string(), value);
            }
            "sasl.jaas.config" => {
                let (module, mut options) = jaas_options(&value)?;
                if module.ends_with("IAMLoginModule") {
                    // Amazon MSK IAM (aws-msk-iam-auth): kscope signs the tokens itself.
                    let mechanism = java.get("sasl.mechanism").map(|m| m.trim());
                    if !mechanism.is_some_and(|m| m.eq_ignore_ascii_case("AWS_MSK_IAM")) {
                        return Err("sasl.jaas.config with IAMLoginModule needs \
                             sasl.mechanism=AWS_MSK_IAM"
                            .to_string());
                    }
                    for (option, to) in [
                        ("awsProfileName", MSK_PROFILE),
                        ("awsRoleArn", MSK_ROLE_ARN),
                        ("awsRoleSessionName", MSK_SESSION_NAME),
                    ] {
                        if let Some(v) = options.remove(option).filter(|v| !v.trim().is_empty()) {
                            out.insert(to.to_string(), v);
                        }
                    }
                } else if module.ends_with("OAuthBearerLoginModule") {
                    // OIDC client credentials, as the Java client's
                    // OAuthBearerLoginCallbackHandler takes them.
                    if !java.contains_key("sasl.oauthbearer.token.endpoint.url") {
                        return Err("sasl.jaas.config with OAuthBearerLoginModule is supported for \
                             OIDC client credentials only: set sasl.oauthbearer.token.endpoint.url \
                             and clientId/clientSecret in the JAAS options"
                            .to_string());
                    }
                    match (options.remove("clientId"), options.remove("clientSecret")) {
                        (Some(id), Some(secret)) => {
                            out.insert("sasl.oauthbearer.method".to_string(), "oidc".into());
                            out.insert("sasl.oauthbearer.client.id".to_string(), id);
                            out.insert("sasl.oauthbearer.client.secret".to_string(), secret);
                        }
                        _ => {
                            return Err("sasl.jaas.config with OAuthBearerLoginModule needs \
                                 clientId=\"...\" and clientSecret=\"...\""
                                .to_string())
                        }
                    }
                    if let Some(scope) = options.remove("scope") {
                        out.insert("sasl.oauthbearer.scope".to_string(), scope);
                    }
                } else {
                    let (user, password) = credentials(&module, options)?;
                    out.insert("sasl.username".to_string(), user);
                    out.insert("sasl.password".to_string(), password);
                }
            }
            "sasl.oauthbearer.token.endpoint.url" => {
                out.insert(key.clone(), value);
                out.entry("sasl.oauthbearer.method".to_string())
                    .or_insert_with(|| "oidc".into());
            }
            "sasl.oauthbearer.sub.claim.name" | "sasl.oauthbearer.scope.claim.name" => {
                out.insert(key.clone(), value);
            }
            "ssl.truststore.location" => match store_type("ssl.truststore.type").as_str() {
                "PEM" => {
                    out.insert("ssl.ca.location".to_string(), value);
                }
                other => {
                    return Err(format!(
                        "ssl.truststore.location is a {other} trust store, which librdkafka cannot read; \
                         export the CA as PEM (keytool -exportcert -rfc -keystore FILE) and set \
                         ssl.truststore.type=PEM or -X ssl.ca.location=FILE"
                    ))
                }
            },
            "ssl.keystore.location" => match store_type("ssl.keystore.type").as_str() {
                "PKCS12" => {
                    out.insert("ssl.keystore.location".to_string(), value);
                }
                other => {
                    return Err(format!(
                        "ssl.keystore.location is a {other} key store, which librdkafka cannot read; \
                         convert it to PKCS12 (keytool -importkeystore -deststoretype PKCS12)"
                    ))
                }
            },
            "ssl.endpoint.identification.algorithm" => {
                let v = if value.is_empty() { "none".to_string() } else { value };
                out.insert(key.clone(), v);
            }
            // aws-msk-iam-auth's handler: its job is kscope's own with AWS_MSK_IAM.
            "sasl.client.callback.handler.class" if value.ends_with("IAMClientCallbackHandler") => {}
            k if IGNORED.contains(&k) => {}
            _ => {
                out.insert(key.clone(), value);
            }
        }
    }
    Ok((bootstrap, out))
}

/// Extracts username and password from a PLAIN or SCRAM `sasl.jaas.config` line:
/// `MODULE FLAG key=value ... ;`, values bare or double-quoted with `\\` escaping the next
/// character. Read option by option, so that one option's value cannot be taken for another's
/// name (a username `password=` once was). Messages never quote values: they are secrets.
#[cfg(test)]
fn parse_jaas(jaas: &str) -> Result<(String, String), String> {
    let (module, options) = jaas_options(jaas)?;
    credentials(&module, options)
}

/// The username and password of a PLAIN or SCRAM login module's options.
fn credentials(
    module: &str,
    mut options: HashMap<String, String>,
) -> Result<(String, String), String> {
    if !(module.ends_with("PlainLoginModule") || module.ends_with("ScramLoginModule")) {
        return Err(format!(
            "sasl.jaas.config with login module '{module}' is not supported; \
             only PLAIN and SCRAM (username/password) and OAuthBearerLoginModule (OIDC client \
             credentials) are"
        ));
    }
    match (options.remove("username"), options.remove("password")) {
        (Some(u), Some(p)) => Ok((u, p)),
        _ => Err("sasl.jaas.config needs username=\"...\" and password=\"...\"".to_string()),
    }
}

/// The login module and options of a `sasl.jaas.config` line.
fn jaas_options(jaas: &str) -> Result<(String, HashMap<String, String>), String> {
    let mut rest = jaas.trim_start();
    let take_word = |rest: &mut &str| -> String {
        let end = rest
            .find(|c: char| c.is_whitespace() || c == ';' || c == '=')
            .unwrap_or(rest.len());
        let (word, tail) = rest.split_at(end);
        *rest = tail.trim_start();
        word.to_string()
    };
    let module = take_word(&mut rest);
    let flag = take_word(&mut rest);
    if !matches!(
        flag.as_str(),
        "required" | "requisite" | "sufficient" | "optional"
    ) {
        return Err(
            "sasl.jaas.config: expected a flag (required) after the login module".to_string(),
        );
    }
    let malformed = || {
        "sasl.jaas.config: expected options as name=\"value\" after the flag, ending with ';'"
            .to_string()
    };
    let mut options: HashMap<String, String> = HashMap::new();
    loop {
        if rest.is_empty() || rest.starts_with(';') {
            break;
        }
        let name = take_word(&mut rest);
        rest = rest.strip_prefix('=').ok_or_else(malformed)?.trim_start();
        if name.is_empty() {
            return Err(malformed());
        }
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next().map(|(_, c)| c)),
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            let end = end.ok_or_else(malformed)?;
            rest = quoted[end..].trim_start();
            value
        } else {
            take_word(&mut rest)
        };
        options.insert(name, value);
    }
    Ok((module, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msk_iam_properties_carry_their_options_to_kscope() {
        let jaas = "software.amazon.msk.auth.iam.IAMLoginModule required \
                    awsProfileName=\"ops\" awsRoleArn=\"arn:aws:iam::1:role/r\" awsDebugCreds=true;";
        let (_, out) = java_properties_to_librdkafka(props(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "AWS_MSK_IAM"),
            ("sasl.jaas.config", jaas),
            (
                "sasl.client.callback.handler.class",
                "software.amazon.msk.auth.iam.IAMClientCallbackHandler",
            ),
        ]))
        .unwrap();
        assert_eq!(out["sasl.mechanisms"], "AWS_MSK_IAM");
        assert_eq!(out[MSK_PROFILE], "ops");
        assert_eq!(out[MSK_ROLE_ARN], "arn:aws:iam::1:role/r");
        assert!(!out.contains_key(MSK_SESSION_NAME));
        assert!(!out.contains_key("sasl.client.callback.handler.class"));
        // The module without the mechanism is a mistake, said plainly.
        let e = java_properties_to_librdkafka(props(&[("sasl.jaas.config", jaas)])).unwrap_err();
        assert!(e.contains("needs sasl.mechanism=AWS_MSK_IAM"), "{e}");
    }

    fn props(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn scram_jaas_is_mapped() {
        let (b, p) = java_properties_to_librdkafka(props(&[
            ("bootstrap.servers", "k1:9093"),
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="p\"w";"#,
            ),
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.location", "/ca.pem"),
            ("client.dns.lookup", "use_all_dns_ips"),
        ]))
        .unwrap();
        assert_eq!(b.as_deref(), Some("k1:9093"));
        assert_eq!(p["sasl.mechanisms"], "SCRAM-SHA-512");
        assert_eq!(p["sasl.username"], "alice");
        assert_eq!(p["sasl.password"], "p\"w");
        assert_eq!(p["ssl.ca.location"], "/ca.pem");
        assert!(!p.contains_key("client.dns.lookup"));
    }

    #[test]
    fn jks_truststore_is_refused_with_a_way_out() {
        let e = java_properties_to_librdkafka(props(&[("ssl.truststore.location", "/t.jks")]))
            .unwrap_err();
        assert!(e.contains("JKS") && e.contains("PEM"), "{e}");
    }

    #[test]
    fn oauth_jaas_is_refused() {
        let e = java_properties_to_librdkafka(props(&[(
            "sasl.jaas.config",
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
        )]))
        .unwrap_err();
        assert!(e.contains("OAuthBearerLoginModule"), "{e}");
    }

    #[test]
    fn oauth_client_credentials_are_mapped_to_oidc() {
        let (_, p) = java_properties_to_librdkafka(props(&[
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.oauthbearer.token.endpoint.url", "https://idp/token"),
            (
                "sasl.login.callback.handler.class",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
            ),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="kscope" clientSecret="s3cret" scope="kafka";"#,
            ),
        ]))
        .unwrap();
        assert_eq!(p["sasl.mechanisms"], "OAUTHBEARER");
        assert_eq!(p["sasl.oauthbearer.method"], "oidc");
        assert_eq!(
            p["sasl.oauthbearer.token.endpoint.url"],
            "https://idp/token"
        );
        assert_eq!(p["sasl.oauthbearer.client.id"], "kscope");
        assert_eq!(p["sasl.oauthbearer.client.secret"], "s3cret");
        assert_eq!(p["sasl.oauthbearer.scope"], "kafka");
        let e = java_properties_to_librdkafka(props(&[
            ("sasl.oauthbearer.token.endpoint.url", "https://idp/token"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientSecret="s3cret";"#,
            ),
        ]))
        .unwrap_err();
        assert!(e.contains("clientId"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
    }

    #[test]
    fn jaas_options_are_read_one_by_one() {
        let (u, p) = parse_jaas(
            "org.apache.kafka.common.security.plain.PlainLoginModule required \
             username=\"password=\" password=\"real\";",
        )
        .unwrap();
        assert_eq!((u.as_str(), p.as_str()), ("password=", "real"));
        let (u, p) =
            parse_jaas("x.ScramLoginModule required password=b username = a tokenauth=true")
                .unwrap();
        assert_eq!((u.as_str(), p.as_str()), ("a", "b"));
        for bad in [
            "x.PlainLoginModule",
            "x.PlainLoginModule required username=\"a password=\"b\";",
            "x.PlainLoginModule required username",
            "x.PlainLoginModule required =\"a\"",
            "x.PlainLoginModule required username=\"a\";",
        ] {
            let e = parse_jaas(bad).unwrap_err();
            assert!(!e.contains("hunter"), "{e}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn quote(s: &str) -> String {
            format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
        }

        proptest! {
            /// Any username and password, quoted as JAAS quotes them, are read back exactly,
            /// in either order and beside other options.
            #[test]
            fn jaas_credentials_read_back(
                user in ".*|password=.*|.*[\"\\\\;= ].*",
                password in ".*|username=.*|.*[\"\\\\;= ].*",
                swap in any::<bool>(),
                extra in any::<bool>(),
            ) {
                let u = format!("username={}", quote(&user));
                let p = format!("password = {}", quote(&password));
                let (first, second) = if swap { (p, u) } else { (u, p) };
                let more = if extra { " tokenauth=\"true\"" } else { "" };
                let jaas = format!(
                    "org.apache.kafka.common.security.scram.ScramLoginModule required {first}{more}  {second} ;"
                );
                prop_assert_eq!(parse_jaas(&jaas), Ok((user, password)));
            }

            #[test]
            fn any_jaas_text_is_credentials_or_a_message(s in ".*|x.PlainLoginModule required .*") {
                let _ = parse_jaas(&s);
            }
        }
    }
}
