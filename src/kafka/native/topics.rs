//! Topics: CreateTopics, DeleteTopics and DescribeConfigs.
#![allow(unsafe_code)]

use super::*;

/// Reads the per-topic results of CreateTopics or DeleteTopics.
unsafe fn topic_results(
    results: *mut *const rd::rd_kafka_topic_result_t,
    n: usize,
    api: &str,
) -> Result<()> {
    let results = array(results, n);
    if results.is_empty() {
        return Err(Error::kafka(format!("{api}: empty result")));
    }
    for &r in results.iter().filter(|r| !r.is_null()) {
        let code = rd::rd_kafka_topic_result_error(r);
        if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            let name = string(rd::rd_kafka_topic_result_name(r)).unwrap_or_default();
            let msg = string(rd::rd_kafka_topic_result_error_string(r)).unwrap_or_default();
            return Err(match RDKafkaErrorCode::from(code) {
                RDKafkaErrorCode::TopicAlreadyExists => {
                    Error::kafka(format!("topic '{name}' already exists"))
                }
                RDKafkaErrorCode::UnknownTopicOrPartition => {
                    Error::NotFound(format!("unknown topic '{name}'"))
                }
                RDKafkaErrorCode::InvalidReplicationFactor
                | RDKafkaErrorCode::InvalidPartitions
                | RDKafkaErrorCode::InvalidConfig
                | RDKafkaErrorCode::InvalidTopic
                | RDKafkaErrorCode::PolicyViolation => {
                    Error::usage(format!("{api} '{name}' refused: {msg}"))
                }
                _ => map_error(code, &format!("'{name}': {msg}"), api),
            });
        }
    }
    Ok(())
}

/// CreateTopics for one topic; `replication_factor` -1 takes the broker's default.
pub fn create_topic(
    client: Handle<'_>,
    name: &str,
    partitions: i32,
    replication_factor: i32,
    configs: &[(String, String)],
    timeout: Duration,
) -> Result<()> {
    let rk = client.native_ptr();
    const API: &str = "CreateTopics";
    let cname = cstring(name, "topic")?;
    let configs: Vec<(CString, CString)> = configs
        .iter()
        .map(|(k, v)| Ok((cstring(k, "config")?, cstring(v, "config value")?)))
        .collect::<Result<_>>()?;
    unsafe {
        let mut errbuf = [0 as c_char; 512];
        let mut topic = rd::rd_kafka_NewTopic_new(
            cname.as_ptr(),
            partitions,
            replication_factor,
            errbuf.as_mut_ptr(),
            errbuf.len(),
        );
        if topic.is_null() {
            return Err(Error::usage(format!(
                "cannot create topic '{name}': {}",
                string(errbuf.as_ptr()).unwrap_or_default()
            )));
        }
        for (k, v) in &configs {
            rd::rd_kafka_NewTopic_set_config(topic, k.as_ptr(), v.as_ptr());
        }
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATETOPICS,
            timeout,
            API,
            |o, q| {
                set_operation_timeout(o, timeout);
                rd::rd_kafka_CreateTopics(rk, &mut topic, 1, o, q);
            },
        );
        rd::rd_kafka_NewTopic_destroy(topic);
        let ev = ev?;
        let result = rd::rd_kafka_event_CreateTopics_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka("CreateTopics: unexpected result event"));
        }
        let mut n = 0usize;
        topic_results(
            rd::rd_kafka_CreateTopics_result_topics(result, &mut n),
            n,
            API,
        )
    }
}

/// DeleteTopics for one topic.
pub fn delete_topic(client: Handle<'_>, name: &str, timeout: Duration) -> Result<()> {
    let rk = client.native_ptr();
    const API: &str = "DeleteTopics";
    let cname = cstring(name, "topic")?;
    unsafe {
        let mut topic = rd::rd_kafka_DeleteTopic_new(cname.as_ptr());
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETETOPICS,
            timeout,
            API,
            |o, q| {
                set_operation_timeout(o, timeout);
                rd::rd_kafka_DeleteTopics(rk, &mut topic, 1, o, q);
            },
        );
        rd::rd_kafka_DeleteTopic_destroy(topic);
        let ev = ev?;
        let result = rd::rd_kafka_event_DeleteTopics_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka("DeleteTopics: unexpected result event"));
        }
        let mut n = 0usize;
        topic_results(
            rd::rd_kafka_DeleteTopics_result_topics(result, &mut n),
            n,
            API,
        )
    }
}

/// The broker-side operation timeout for a request timeout: 80 %, and at least 500 ms less.
fn operation_timeout(request: Duration) -> Duration {
    let margin = (request / 5).max(Duration::from_millis(500));
    request
        .saturating_sub(margin)
        .max(Duration::from_millis(100))
}

/// Waits for the controller to finish creating or deleting, not just to accept the request. The
/// broker's part of the budget ends well before the request's own timeout, so that a create
/// the controller finished in time is reported as done, not as "timed out" because its answer
/// arrived after the request deadline.
pub(super) unsafe fn set_operation_timeout(
    opts: *const rd::rd_kafka_AdminOptions_t,
    timeout: Duration,
) {
    let mut errbuf = [0 as c_char; 256];
    rd::rd_kafka_AdminOptions_set_operation_timeout(
        opts as *mut _,
        timeout_ms(operation_timeout(timeout)),
        errbuf.as_mut_ptr(),
        errbuf.len(),
    );
}

/// The broker checks the request and applies nothing (CreatePartitions, AlterConfigs).
unsafe fn set_validate_only(opts: *const rd::rd_kafka_AdminOptions_t) {
    let mut errbuf = [0 as c_char; 256];
    rd::rd_kafka_AdminOptions_set_validate_only(
        opts as *mut _,
        1,
        errbuf.as_mut_ptr(),
        errbuf.len(),
    );
}

#[derive(Debug, Clone)]
pub struct ConfigEntry {
    pub name: String,
    pub value: Option<String>,
    pub source: &'static str,
    pub sensitive: bool,
    /// The broker cannot change it while running (a static broker config).
    pub read_only: bool,
}

fn source_name(source: rd::rd_kafka_ConfigSource_t) -> &'static str {
    use rd::rd_kafka_ConfigSource_t as S;
    match source {
        S::RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG => "topic",
        S::RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG => "broker",
        S::RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG => "broker-default",
        S::RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG => "static-broker",
        S::RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG => "default",
        S::RD_KAFKA_CONFIG_SOURCE_GROUP_CONFIG => "group",
        _ => "unknown",
    }
}

/// A resource whose configs are described or changed: a topic or a broker (by id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigResource {
    Topic(String),
    Broker(i32),
}

impl ConfigResource {
    fn raw(&self) -> (rd::rd_kafka_ResourceType_t, String) {
        use rd::rd_kafka_ResourceType_t as R;
        match self {
            ConfigResource::Topic(t) => (R::RD_KAFKA_RESOURCE_TOPIC, t.clone()),
            ConfigResource::Broker(id) => (R::RD_KAFKA_RESOURCE_BROKER, id.to_string()),
        }
    }
}

impl std::fmt::Display for ConfigResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigResource::Topic(t) => write!(f, "topic '{t}'"),
            ConfigResource::Broker(id) => write!(f, "broker {id}"),
        }
    }
}

/// DescribeConfigs for one topic.
pub fn describe_topic_configs(
    client: Handle<'_>,
    name: &str,
    timeout: Duration,
) -> Result<Vec<ConfigEntry>> {
    describe_configs(client, &ConfigResource::Topic(name.to_string()), timeout)
}

/// DescribeConfigs for one resource (a broker's is answered by that broker).
pub fn describe_configs(
    client: Handle<'_>,
    resource: &ConfigResource,
    timeout: Duration,
) -> Result<Vec<ConfigEntry>> {
    let rk = client.native_ptr();
    const API: &str = "DescribeConfigs";
    let (kind, name) = resource.raw();
    let cname = cstring(&name, "resource")?;
    unsafe {
        let mut res = rd::rd_kafka_ConfigResource_new(kind, cname.as_ptr());
        if res.is_null() {
            return Err(Error::kafka(format!("{API}: cannot describe {resource}")));
        }
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
            timeout,
            API,
            |o, q| rd::rd_kafka_DescribeConfigs(rk, &mut res, 1, o, q),
        );
        rd::rd_kafka_ConfigResource_destroy(res);
        let ev = ev?;
        let result = rd::rd_kafka_event_DescribeConfigs_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka("DescribeConfigs: unexpected result event"));
        }
        let mut n = 0usize;
        let resources = array(
            rd::rd_kafka_DescribeConfigs_result_resources(result, &mut n),
            n,
        );
        let Some(&r) = resources.first().filter(|r| !r.is_null()) else {
            return Err(Error::kafka("DescribeConfigs returned nothing"));
        };
        let code = rd::rd_kafka_ConfigResource_error(r);
        if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            let msg = string(rd::rd_kafka_ConfigResource_error_string(r)).unwrap_or_default();
            return Err(map_error(code, &format!("{resource}: {msg}"), API));
        }
        let mut m = 0usize;
        let entries = array(rd::rd_kafka_ConfigResource_configs(r, &mut m), m);
        Ok(entries
            .iter()
            .filter(|e| !e.is_null())
            .map(|&e| {
                let sensitive = rd::rd_kafka_ConfigEntry_is_sensitive(e) != 0;
                ConfigEntry {
                    name: string(rd::rd_kafka_ConfigEntry_name(e)).unwrap_or_default(),
                    value: if sensitive {
                        None
                    } else {
                        string(rd::rd_kafka_ConfigEntry_value(e))
                    },
                    source: source_name(rd::rd_kafka_ConfigEntry_source(e)),
                    sensitive,
                    read_only: rd::rd_kafka_ConfigEntry_is_read_only(e) != 0,
                }
            })
            .collect())
    }
}

/// One change of an IncrementalAlterConfigs request: set a key to a value, or delete the
/// topic's own value (back to the broker's or Kafka's default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigChange {
    Set(String, String),
    Delete(String),
}

/// IncrementalAlterConfigs for one resource (a broker's goes to that broker). With
/// `validate_only` the broker checks the changes and applies nothing.
pub fn alter_configs(
    client: Handle<'_>,
    resource: &ConfigResource,
    changes: &[ConfigChange],
    validate_only: bool,
    timeout: Duration,
) -> Result<()> {
    let rk = client.native_ptr();
    const API: &str = "IncrementalAlterConfigs";
    let (kind, name) = resource.raw();
    let cname = cstring(&name, "resource")?;
    let changes: Vec<(CString, Option<CString>)> = changes
        .iter()
        .map(|c| match c {
            ConfigChange::Set(k, v) => {
                Ok((cstring(k, "config")?, Some(cstring(v, "config value")?)))
            }
            ConfigChange::Delete(k) => Ok((cstring(k, "config")?, None)),
        })
        .collect::<Result<_>>()?;
    unsafe {
        let mut res = rd::rd_kafka_ConfigResource_new(kind, cname.as_ptr());
        if res.is_null() {
            return Err(Error::kafka(format!("{API}: cannot alter {resource}")));
        }
        for (k, v) in &changes {
            use rd::rd_kafka_AlterConfigOpType_t as Op;
            let (op, value) = match v {
                Some(v) => (Op::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET, v.as_ptr()),
                None => (Op::RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE, std::ptr::null()),
            };
            let err =
                rd::rd_kafka_ConfigResource_add_incremental_config(res, k.as_ptr(), op, value);
            if !err.is_null() {
                let msg = string(rd::rd_kafka_error_string(err)).unwrap_or_default();
                rd::rd_kafka_error_destroy(err);
                rd::rd_kafka_ConfigResource_destroy(res);
                return Err(Error::usage(format!(
                    "invalid config change {}: {msg}",
                    k.to_string_lossy()
                )));
            }
        }
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS,
            timeout,
            API,
            |o, q| {
                if validate_only {
                    set_validate_only(o);
                }
                rd::rd_kafka_IncrementalAlterConfigs(rk, &mut res, 1, o, q)
            },
        );
        rd::rd_kafka_ConfigResource_destroy(res);
        let ev = ev?;
        let result = rd::rd_kafka_event_IncrementalAlterConfigs_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka(format!("{API}: unexpected result event")));
        }
        let mut n = 0usize;
        let resources = array(
            rd::rd_kafka_IncrementalAlterConfigs_result_resources(result, &mut n),
            n,
        );
        let Some(&r) = resources.first().filter(|r| !r.is_null()) else {
            return Err(Error::kafka(format!("{API} returned nothing")));
        };
        let code = rd::rd_kafka_ConfigResource_error(r);
        if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            let msg = string(rd::rd_kafka_ConfigResource_error_string(r)).unwrap_or_default();
            return Err(match RDKafkaErrorCode::from(code) {
                RDKafkaErrorCode::InvalidConfig
                | RDKafkaErrorCode::InvalidRequest
                | RDKafkaErrorCode::PolicyViolation => {
                    Error::usage(format!("{resource}: the broker refused the change: {msg}"))
                }
                RDKafkaErrorCode::UnknownTopicOrPartition => {
                    Error::NotFound(format!("unknown {resource}"))
                }
                _ => map_error(code, &format!("{resource}: {msg}"), API),
            });
        }
        Ok(())
    }
}

/// CreatePartitions: grows one topic to `total` partitions. With `validate_only` the broker
/// checks the request and changes nothing.
pub fn create_partitions(
    client: Handle<'_>,
    name: &str,
    total: usize,
    validate_only: bool,
    timeout: Duration,
) -> Result<()> {
    let rk = client.native_ptr();
    const API: &str = "CreatePartitions";
    let cname = cstring(name, "topic")?;
    unsafe {
        let mut errbuf = [0 as c_char; 512];
        let mut parts = rd::rd_kafka_NewPartitions_new(
            cname.as_ptr(),
            total,
            errbuf.as_mut_ptr(),
            errbuf.len(),
        );
        if parts.is_null() {
            return Err(Error::usage(format!(
                "cannot grow topic '{name}': {}",
                string(errbuf.as_ptr()).unwrap_or_default()
            )));
        }
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATEPARTITIONS,
            timeout,
            API,
            |o, q| {
                set_operation_timeout(o, timeout);
                if validate_only {
                    set_validate_only(o);
                }
                rd::rd_kafka_CreatePartitions(rk, &mut parts, 1, o, q);
            },
        );
        rd::rd_kafka_NewPartitions_destroy(parts);
        let ev = ev?;
        let result = rd::rd_kafka_event_CreatePartitions_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka(format!("{API}: unexpected result event")));
        }
        let mut n = 0usize;
        topic_results(
            rd::rd_kafka_CreatePartitions_result_topics(result, &mut n),
            n,
            API,
        )
    }
}

/// DeleteRecords: moves each partition's log start up to the offset given (records before it
/// are deleted for every reader). Each partition comes back with its new log start or its own
/// error.
pub fn delete_records(
    client: Handle<'_>,
    targets: &[(String, i32, i64)],
    timeout: Duration,
) -> Result<Vec<TpResult>> {
    let rk = client.native_ptr();
    const API: &str = "DeleteRecords";
    let mut tpl = TopicPartitionList::with_capacity(targets.len());
    for (topic, partition, offset) in targets {
        tpl.add_partition(topic, *partition)
            .set_offset(rdkafka::Offset::Offset(*offset))
            .map_err(|e| Error::kafka(format!("{API}: {e}")))?;
    }
    unsafe {
        let mut del = rd::rd_kafka_DeleteRecords_new(tpl.ptr());
        if del.is_null() {
            return Err(Error::kafka(format!("{API}: cannot build the request")));
        }
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETERECORDS,
            timeout,
            API,
            |o, q| {
                set_operation_timeout(o, timeout);
                rd::rd_kafka_DeleteRecords(rk, &mut del, 1, o, q);
            },
        );
        rd::rd_kafka_DeleteRecords_destroy(del);
        let ev = ev?;
        let result = rd::rd_kafka_event_DeleteRecords_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka(format!("{API}: unexpected result event")));
        }
        Ok(read_partition_list(
            rd::rd_kafka_DeleteRecords_result_offsets(result),
        ))
    }
}
