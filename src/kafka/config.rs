//! Client configuration: one librdkafka config for every client kscope makes, from the resolved
//! settings, kscope's own properties and the safety settings of the client's role.

use rdkafka::config::{FromClientConfigAndContext, RDKafkaLogLevel};
use rdkafka::error::KafkaError;
use rdkafka::ClientConfig;

use super::safety::{self, ClientRole};
use super::KscopeContext;
use crate::config::{is_sensitive_key, ConnectionSettings};
use crate::error::{Error, Result};

/// Builds a librdkafka config from resolved settings and the client's own properties (`own`).
///
/// Order, last wins: kscope's defaults, `own` properties that are not reserved for the role,
/// the user's properties (minus the reserved ones), then the reserved ones: `own` values for
/// them and what [`safety::forced`] says. So a user's property can tune a client but never
/// make it create a topic, join or commit for a group (see `safety`).
pub fn client_config(
    settings: &ConnectionSettings,
    role: ClientRole,
    own: &[(&str, &str)],
) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &settings.bootstrap);
    cfg.set("client.id", "kscope");
    let ms = settings.timeout.as_millis().to_string();
    cfg.set("socket.timeout.ms", &ms);
    // A broker that comes back is seen within 2 s (librdkafka's default cap is 10 s; an
    // operator watching a restart should not wait that long). Connect attempts to a broker
    // that stays away still back off: 100 ms doubling to 2 s.
    cfg.set("reconnect.backoff.max.ms", "2000");
    for (k, v) in own {
        if !safety::is_reserved(role, k) {
            cfg.set(*k, *v);
        }
    }
    for (k, v) in &settings.properties {
        if safety::is_reserved(role, k) {
            tracing::warn!("ignoring client property '{k}': kscope sets it itself");
        } else {
            cfg.set(k, v.expose());
        }
    }
    for (k, v) in own {
        if safety::is_reserved(role, k) {
            cfg.set(*k, *v);
        }
    }
    for (k, v) in safety::forced(role) {
        cfg.set(k, v);
    }
    // The `feature` debug context logs each broker's ApiVersions, which is how kscope learns
    // which APIs a broker lacks (the context parses those lines; they are not shown).
    let debug = match settings.properties.get("debug") {
        Some(d) if !d.expose().is_empty() => format!("{},feature", d.expose()),
        _ => "feature".to_string(),
    };
    cfg.set("debug", debug);
    cfg.set_log_level(RDKafkaLogLevel::Debug);
    cfg
}

/// Creates any rdkafka client with our context, turning config errors into one clear line
/// that never shows a secret.
pub fn create_client<T>(
    settings: &ConnectionSettings,
    role: ClientRole,
    own: &[(&str, &str)],
) -> Result<T>
where
    T: FromClientConfigAndContext<KscopeContext>,
{
    client_config(settings, role, own)
        .create_with_context(KscopeContext::for_settings(settings)?)
        .map_err(config_error)
}

pub(super) fn config_error(e: KafkaError) -> Error {
    match e {
        KafkaError::ClientConfig(_, desc, key, _value) => {
            if is_sensitive_key(&key) {
                Error::config(format!("invalid value for client property '{key}'"))
            } else if desc.is_empty() {
                Error::config(format!("invalid client property '{key}'"))
            } else {
                Error::config(format!("invalid client property '{key}': {desc}"))
            }
        }
        KafkaError::ClientCreation(msg) => Error::config(format!("cannot create client: {msg}")),
        other => Error::kafka(other.to_string()),
    }
}
