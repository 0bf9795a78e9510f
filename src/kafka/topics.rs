//! Topics: the listing with each topic's health and message counts, one topic's partitions,
//! configs and readers (Metadata, ListOffsets, DescribeConfigs).

use rdkafka::metadata::Metadata;
use rdkafka::types::RDKafkaErrorCode;

use super::call::{unknown_topic, Call};
use super::offsets::leaders_of;
use super::{api, is_internal_topic, native};
use crate::error::{Error, Result};
use crate::model::{
    ConfigValue, Failure, Gaps, Listing, Missing, PartitionInfo, PartitionRef, Subject,
    TopicDetail, TopicSummary,
};

impl Call<'_> {
    pub(super) fn partitions_of(md: &Metadata, include_internal: bool) -> Vec<PartitionRef> {
        md.topics()
            .iter()
            .filter(|t| include_internal || !is_internal_topic(t.name()))
            .flat_map(|t| {
                t.partitions()
                    .iter()
                    .map(|p| PartitionRef::new(t.name(), p.id()))
            })
            .collect()
    }

    pub(super) fn topics(&self, include_internal: bool) -> Result<Listing<TopicSummary>> {
        let md = self.metadata(None)?;
        let leaders = leaders_of(&md);
        let wm = self.watermarks(&Self::partitions_of(&md, include_internal), Some(&leaders))?;
        let mut out: Vec<TopicSummary> = md
            .topics()
            .iter()
            .filter(|t| include_internal || !is_internal_topic(t.name()))
            .map(|t| {
                let name = t.name();
                let parts = t.partitions();
                let mut gaps = Gaps::default();
                if let Some(err) = t.error() {
                    gaps.push(Missing::new(
                        Subject::Topic {
                            topic: name.to_string(),
                        },
                        &topic_error(name, RDKafkaErrorCode::from(err)),
                    ));
                }
                gaps.extend(
                    parts
                        .iter()
                        .filter_map(|p| wm.missing.get(&PartitionRef::new(name, p.id())).cloned()),
                );
                let known = |p: i32| wm.values.get(&PartitionRef::new(name, p));
                let messages = parts.iter().try_fold(0i64, |acc, p| {
                    let w = known(p.id())?;
                    Some(acc + (w.high? - w.low?).max(0))
                });
                let log_end_offsets = parts
                    .iter()
                    .try_fold(0i64, |acc, p| Some(acc + known(p.id())?.high?));
                TopicSummary {
                    name: name.to_string(),
                    internal: is_internal_topic(name),
                    partitions: parts.len(),
                    replication_factor: parts.iter().map(|p| p.replicas().len()).max().unwrap_or(0),
                    under_replicated_partitions: parts
                        .iter()
                        .filter(|p| p.isr().len() < p.replicas().len())
                        .count(),
                    offline_partitions: parts.iter().filter(|p| p.leader() < 0).count(),
                    messages,
                    log_end_offsets,
                    gaps,
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Listing {
            items: out,
            gaps: Gaps::default(),
        })
    }

    pub(super) fn topic(&self, name: &str) -> Result<TopicDetail> {
        let md = self.metadata(Some(name))?;
        let t = md
            .topics()
            .iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| unknown_topic(name))?;
        let tps: Vec<PartitionRef> = t
            .partitions()
            .iter()
            .map(|p| PartitionRef::new(name, p.id()))
            .collect();
        let leaders = leaders_of(&md);
        let wm = self.watermarks_within(&tps, Some(&leaders), 0.5)?;
        let mut gaps = Gaps::default();
        let mut partitions: Vec<PartitionInfo> = t
            .partitions()
            .iter()
            .map(|p| {
                let tp = PartitionRef::new(name, p.id());
                let w = wm.values.get(&tp).copied().unwrap_or_default();
                let missing = wm.missing.get(&tp);
                if let Some(m) = missing {
                    gaps.push(m.clone());
                }
                PartitionInfo {
                    partition: p.id(),
                    leader: (p.leader() >= 0).then_some(p.leader()),
                    replicas: p.replicas().to_vec(),
                    isr: p.isr().to_vec(),
                    under_replicated: p.isr().len() < p.replicas().len(),
                    low_watermark: w.low,
                    high_watermark: w.high,
                    messages: match (w.low, w.high) {
                        (Some(l), Some(h)) if h >= l => Some(h - l),
                        _ => None,
                    },
                    error: p
                        .error()
                        .map(|e| RDKafkaErrorCode::from(e).to_string())
                        .or_else(|| missing.map(|m| m.message.clone())),
                }
            })
            .collect();
        partitions.sort_by_key(|p| p.partition);

        // Configs come from one broker, the readers from the group coordinators: asked at once.
        let (configs, readers) = std::thread::scope(|sc| {
            let configs = sc.spawn(|| self.topic_configs(name));
            let readers = self.groups_reading(name, &tps);
            let configs = configs
                .join()
                .unwrap_or_else(|_| Err(Error::kafka("DescribeConfigs: internal error")));
            (configs, readers)
        });
        let (configs, configs_error) = match configs {
            Ok(c) => (c, None),
            Err(e) => {
                if !matches!(e, Error::Unsupported { .. }) {
                    gaps.push(Missing::new(
                        Subject::TopicConfigs {
                            topic: name.to_string(),
                        },
                        &e,
                    ));
                }
                (Vec::new(), Some(Failure::from(e)))
            }
        };
        let (groups, groups_error) = match readers {
            Ok((g, missing)) => {
                gaps.extend(missing);
                (g, None)
            }
            Err(e) => {
                if !matches!(e, Error::Unsupported { .. }) {
                    gaps.push(Missing::new(
                        Subject::TopicGroups {
                            topic: name.to_string(),
                        },
                        &e,
                    ));
                }
                (Vec::new(), Some(Failure::from(e)))
            }
        };
        Ok(TopicDetail {
            name: name.to_string(),
            internal: is_internal_topic(name),
            partitions,
            configs,
            configs_error,
            groups,
            groups_error,
            gaps,
        })
    }

    pub(super) fn topic_configs(&self, name: &str) -> Result<Vec<ConfigValue>> {
        self.require(api::DESCRIBE_CONFIGS)?;
        let mut configs: Vec<ConfigValue> =
            native::describe_topic_configs(self.raw(), name, self.left("DescribeConfigs")?)?
                .into_iter()
                .map(|e| ConfigValue {
                    name: e.name,
                    value: e.value,
                    source: e.source.to_string(),
                    sensitive: e.sensitive,
                })
                .collect();
        configs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(configs)
    }
}

/// A topic-level metadata error, in words.
pub(super) fn topic_error(name: &str, code: RDKafkaErrorCode) -> Error {
    match code {
        RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic => {
            unknown_topic(name)
        }
        RDKafkaErrorCode::TopicAuthorizationFailed => Error::NotAuthorized(format!(
            "not authorized to describe topic '{name}' (TOPIC_AUTHORIZATION_FAILED)"
        )),
        RDKafkaErrorCode::LeaderNotAvailable => {
            Error::Unavailable(format!("topic '{name}': leader not available"))
        }
        other => Error::kafka(format!("topic '{name}': {other}")),
    }
}
