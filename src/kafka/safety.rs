//! What a user's properties cannot change about kscope's clients, and the one check every change
//! to a cluster goes through.
//!
//! kscope applies a few client properties of its own after the user's (`-X`, `--command-config`,
//! a context's `properties`), so that no property, however it got there, turns a read into a
//! write: asking about a topic never creates it, and a consumer never commits for a group. The
//! user's value for one of these is ignored; the command line says so in one warning line.
//!
//! Changes to a cluster (creating or deleting a topic, committing a group's offsets, producing)
//! need a [`WriteAccess`], and [`check_writable`] is the only way to get one: it refuses in a
//! read-only context, whoever calls the client.

use crate::config::ConnectionSettings;
use crate::error::{Error, Result};

/// The kind of librdkafka handle being made; it decides what kscope sets for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientRole {
    /// The handle behind `KafkaClient`: metadata, admin requests and offsets. It is a
    /// producer-type handle (as librdkafka's admin clients are) that never produces.
    Admin,
    /// The tail's consumer: assigned partitions, no group membership, nothing committed.
    Tail,
    /// A producer (`produce`, `watch --alerts-topic`); made only with a [`WriteAccess`].
    Producer,
}

impl ClientRole {
    /// Whether the role's handle is consumer-type (librdkafka warns about consumer properties
    /// on a producer handle, so those get the consumer settings only). The user's group
    /// settings are dropped on every role.
    fn is_consumer(self) -> bool {
        matches!(self, ClientRole::Tail)
    }
}

/// Set on every client, whatever the user asks: a Metadata request for a topic that does not
/// exist must never create it (librdkafka's producer default allows it, and so does a broker's
/// default `auto.create.topics.enable=true`).
const EVERY_CLIENT: &[(&str, &str)] = &[("allow.auto.create.topics", "false")];

/// Properties that decide whether, when and for which group a consumer commits or joins. A
/// user's value is never passed on (an application's `client.properties` often holds them); a
/// consumer handle gets kscope's own group (if it needs one) and the values in
/// [`CONSUMER_FORCED`].
const GROUP_KEYS: &[&str] = &[
    "group.id",
    "group.instance.id",
    "group.protocol",
    "group.remote.assignor",
    "partition.assignment.strategy",
    "enable.auto.commit",
    "enable.auto.offset.store",
    "auto.commit.interval.ms",
    "auto.commit.enable",
    "offset.store.method",
    "offset.store.path",
    "offset.store.sync.interval.ms",
];

/// What every consumer handle kscope makes has, after the user's properties.
const CONSUMER_FORCED: &[(&str, &str)] = &[
    ("enable.auto.commit", "false"),
    ("enable.auto.offset.store", "false"),
];

/// Properties the tail sets per command (`--until end` needs partition EOF events).
const TAIL_KEYS: &[&str] = &["enable.partition.eof"];

/// Whether kscope keeps `key` for itself on a client of this role: a user's value is dropped
/// and kscope's own (if any) applied after all user properties.
pub fn is_reserved(role: ClientRole, key: &str) -> bool {
    EVERY_CLIENT.iter().any(|(k, _)| *k == key)
        || GROUP_KEYS.contains(&key)
        || (role == ClientRole::Tail && TAIL_KEYS.contains(&key))
}

/// The values kscope forces on a client of this role, whatever its callers and users set.
pub fn forced(role: ClientRole) -> impl Iterator<Item = (&'static str, &'static str)> {
    let consumer: &[(&str, &str)] = if role.is_consumer() {
        CONSUMER_FORCED
    } else {
        &[]
    };
    EVERY_CLIENT.iter().chain(consumer).copied()
}

/// The user's properties that kscope will not honour, by name, for a warning: the reserved ones
/// whose value differs from what kscope sets anyway.
pub fn ignored_properties(settings: &ConnectionSettings) -> Vec<&str> {
    settings
        .properties
        .iter()
        .filter(|(k, _)| {
            is_reserved(ClientRole::Admin, k)
                || is_reserved(ClientRole::Tail, k)
                || is_reserved(ClientRole::Producer, k)
        })
        .filter(|(k, v)| {
            let same = EVERY_CLIENT
                .iter()
                .chain(CONSUMER_FORCED)
                .any(|(fk, fv)| fk == k && v.expose().trim().eq_ignore_ascii_case(fv));
            !same
        })
        .map(|(k, _)| k.as_str())
        .collect()
}

/// One line for stderr naming the properties kscope ignores, or `None`.
pub fn ignored_properties_warning(settings: &ConnectionSettings) -> Option<String> {
    let ignored = ignored_properties(settings);
    (!ignored.is_empty()).then(|| {
        format!(
            "ignoring client properties that kscope keeps for itself: {} (kscope never creates topics by asking about them and never commits for a group while reading)",
            ignored.join(", ")
        )
    })
}

/// Proof that a change to the cluster is allowed. Only [`check_writable`] makes one; every
/// request that changes a cluster takes one, so a read-only client cannot send any.
#[derive(Debug)]
pub struct WriteAccess {
    _private: (),
}

/// Refuses a change in a read-only context (`Error::ReadOnly`, exit 4); otherwise the access
/// that the change needs.
pub fn check_writable(settings: &ConnectionSettings, action: &str) -> Result<WriteAccess> {
    if settings.read_only {
        Err(Error::ReadOnly(format!(
            "{action}: {} is read-only",
            settings.describe()
        )))
    } else {
        Ok(WriteAccess { _private: () })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_keys_by_role() {
        for role in [ClientRole::Admin, ClientRole::Tail, ClientRole::Producer] {
            assert!(is_reserved(role, "allow.auto.create.topics"));
            assert!(is_reserved(role, "group.id"));
            assert!(is_reserved(role, "enable.auto.commit"));
            assert!(!is_reserved(role, "security.protocol"));
            assert!(!is_reserved(role, "client.id"));
        }
        assert!(is_reserved(ClientRole::Tail, "enable.partition.eof"));
        assert!(!is_reserved(ClientRole::Producer, "enable.partition.eof"));
        let producer: Vec<_> = forced(ClientRole::Producer).collect();
        assert_eq!(producer, vec![("allow.auto.create.topics", "false")]);
        let tail: Vec<_> = forced(ClientRole::Tail).map(|(k, _)| k).collect();
        assert!(tail.contains(&"enable.auto.commit") && tail.contains(&"enable.auto.offset.store"));
    }

    fn user_settings(pairs: &[(&str, &str)]) -> ConnectionSettings {
        let mut s = ConnectionSettings::plain("b:1");
        for (k, v) in pairs {
            s.set(k, *v);
        }
        s
    }

    /// The config every client gets: user properties tune it, but the reserved ones are
    /// kscope's, whatever the user set and for every kind of client.
    #[test]
    fn user_properties_cannot_undo_safety_settings() {
        use crate::kafka::client_config;
        let s = user_settings(&[
            ("allow.auto.create.topics", "true"),
            ("group.id", "billing"),
            ("group.instance.id", "billing-1"),
            ("enable.auto.commit", "true"),
            ("enable.auto.offset.store", "true"),
            ("enable.partition.eof", "false"),
            ("client.id", "ops-laptop"),
            ("fetch.wait.max.ms", "500"),
        ]);
        for role in [ClientRole::Admin, ClientRole::Tail, ClientRole::Producer] {
            let own = match role {
                ClientRole::Tail => vec![
                    ("group.id", "kscope-tail"),
                    ("enable.partition.eof", "true"),
                    ("fetch.wait.max.ms", "100"),
                ],
                _ => vec![],
            };
            let cfg = client_config(&s, role, &own);
            assert_eq!(
                cfg.get("allow.auto.create.topics"),
                Some("false"),
                "{role:?}"
            );
            assert_ne!(cfg.get("group.id"), Some("billing"), "{role:?}");
            assert_eq!(cfg.get("group.instance.id"), None, "{role:?}");
            // Tuning properties are the user's.
            assert_eq!(cfg.get("client.id"), Some("ops-laptop"), "{role:?}");
            if role != ClientRole::Tail {
                // Producer-type handles (the admin handle is one) have no commit settings.
                assert_eq!(cfg.get("enable.auto.commit"), None, "{role:?}");
            } else {
                assert_eq!(cfg.get("enable.auto.commit"), Some("false"), "{role:?}");
                assert_eq!(
                    cfg.get("enable.auto.offset.store"),
                    Some("false"),
                    "{role:?}"
                );
            }
        }
        let tail = client_config(
            &s,
            ClientRole::Tail,
            &[
                ("group.id", "kscope-tail"),
                ("enable.partition.eof", "true"),
                ("fetch.wait.max.ms", "100"),
            ],
        );
        assert_eq!(tail.get("group.id"), Some("kscope-tail"));
        assert_eq!(tail.get("enable.partition.eof"), Some("true"));
        assert_eq!(tail.get("fetch.wait.max.ms"), Some("500"));
    }

    /// `-X group.id=` (or any value) can neither remove nor change the admin handle's group:
    /// it has kscope's own group or none, never the user's.
    #[test]
    fn a_user_group_never_reaches_the_admin_handle() {
        use crate::kafka::client_config;
        for user in ["", "billing"] {
            let s = user_settings(&[("group.id", user)]);
            for own in [&[("group.id", "kscope-admin")][..], &[][..]] {
                let cfg = client_config(&s, ClientRole::Admin, own);
                let expected = own.first().map(|(_, v)| *v);
                assert_eq!(cfg.get("group.id"), expected, "user group.id '{user}'");
            }
        }
    }

    #[test]
    fn only_values_kscope_would_not_set_are_reported() {
        let mut s = ConnectionSettings::plain("b:1");
        s.set("enable.auto.commit", "false");
        s.set("allow.auto.create.topics", "FALSE");
        s.set("security.protocol", "SSL");
        assert_eq!(ignored_properties(&s), Vec::<&str>::new());
        assert_eq!(ignored_properties_warning(&s), None);
        s.set("allow.auto.create.topics", "true");
        s.set("group.id", "billing");
        s.set("enable.auto.offset.store", "true");
        assert_eq!(
            ignored_properties(&s),
            vec![
                "allow.auto.create.topics",
                "enable.auto.offset.store",
                "group.id"
            ]
        );
        let w = ignored_properties_warning(&s).unwrap();
        assert!(w.contains("group.id") && !w.contains('\n'), "{w}");
    }

    #[test]
    fn read_only_settings_give_no_write_access() {
        let mut s = ConnectionSettings::plain("b:1");
        assert!(check_writable(&s, "create topic 't'").is_ok());
        s.read_only = true;
        let e = check_writable(&s, "create topic 't'").unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::READ_ONLY);
        assert_eq!(
            e.to_string(),
            "refused: create topic 't': 'b:1' is read-only"
        );
    }
}
