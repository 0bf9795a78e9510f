//! One sampling cycle for the metrics engine, with as few requests as the protocol allows:
//!
//! - one Metadata request for all topics (partitions, leaders, replicas, in-sync replicas);
//! - ListGroups, one request per broker (group names and states), unless groups are not wanted;
//! - ListOffsets for latest and for earliest offsets of every sampled partition, each one
//!   request per partition leader for every 1,000 partitions (see `LIST_OFFSETS_CHUNK`);
//! - OffsetFetch for every group, all sent at once (librdkafka takes one group per request).
//!
//! The result is a plain [`Sample`] with the time it was taken and the requests it sent.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use super::call::Call;
use super::offsets::leaders_of;
use super::record_times::Wanted;
use super::{api, native, KafkaClient, PartitionRef};
use crate::error::{Error, Result};
use crate::metrics::glob;
use crate::metrics::{CommittedOffset, GroupSample, PartitionSample, Requests, Sample};
use crate::model::{Missing, Subject};

/// Which topics and groups a cycle samples.
#[derive(Debug, Clone, Default)]
pub struct SampleFilter {
    /// Topic globs; empty = all topics.
    pub topics: Vec<String>,
    /// Group globs; empty = all groups.
    pub groups: Vec<String>,
    /// Sample the broker's own topics (`__consumer_offsets`, ...) too.
    pub include_internal: bool,
    /// Sample no groups at all (topics only).
    pub no_groups: bool,
}

impl KafkaClient {
    /// Takes one sample of log-end and committed offsets.
    pub async fn sample(&self, filter: &SampleFilter) -> Result<Sample> {
        let filter = filter.clone();
        self.call(move |i| i.sample(&filter)).await
    }

    /// Requests this client has sent on the wire (FindCoordinator and ApiVersions included), from
    /// librdkafka's statistics; needs the `statistics.interval.ms` property.
    pub fn requests_sent(&self) -> super::RequestsSent {
        self.inner.client.context().requests_sent()
    }

    /// Committed offsets of many groups in one round of requests (one OffsetFetch per group,
    /// all sent at once); each group's own result or error.
    pub async fn committed_offsets_many(
        &self,
        groups: Vec<String>,
    ) -> Result<HashMap<String, Result<crate::model::PartitionOffsets<i64>>>> {
        self.call(move |i| {
            i.committed_many(&groups, || {
                Ok(Call::partitions_of(&i.metadata(None)?, false))
            })
        })
        .await
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Call<'_> {
    fn sample(&self, filter: &SampleFilter) -> Result<Sample> {
        let started = Instant::now();
        let mut requests = Requests::default();
        let mut errors = Vec::new();
        let mut missing: Vec<Missing> = Vec::new();

        let md = self.metadata(None)?;
        requests.metadata = 1;
        let mut partitions = Vec::new();
        for t in md.topics() {
            let name = t.name();
            if (!filter.include_internal && super::is_internal_topic(name))
                || !glob::matches_any(&filter.topics, name)
            {
                continue;
            }
            if let Some(err) = t.error() {
                let e =
                    super::topics::topic_error(name, rdkafka::types::RDKafkaErrorCode::from(err));
                errors.push(e.to_string());
                missing.push(Missing::new(
                    Subject::Topic {
                        topic: name.to_string(),
                    },
                    &e,
                ));
                continue;
            }
            for p in t.partitions() {
                let leader = (p.leader() >= 0).then_some(p.leader());
                partitions.push(PartitionSample {
                    topic: name.to_string(),
                    partition: p.id(),
                    log_start: None,
                    log_end: None,
                    leader,
                    replicas: p.replicas().len(),
                    isr: p.isr().len(),
                });
            }
        }

        let groups = if filter.no_groups {
            Vec::new()
        } else {
            self.sample_group_names(
                filter,
                md.brokers().len(),
                &mut requests,
                &mut errors,
                &mut missing,
            )?
        };

        let at = now_ms();
        let tps: Vec<PartitionRef> = partitions
            .iter()
            .map(|p| PartitionRef::new(&p.topic, p.partition))
            .collect();
        if !tps.is_empty() {
            for chunk in partitions.chunks(native::LIST_OFFSETS_CHUNK) {
                let leaders: BTreeSet<i32> = chunk.iter().filter_map(|p| p.leader).collect();
                // Earliest and latest: one request per leader each.
                requests.list_offsets += 2 * leaders.len().max(1) as u32;
            }
            // A leader that does not answer must leave time for the committed offsets.
            let wm = self.watermarks_within(&tps, Some(&leaders_of(&md)), 0.6)?;
            for p in &mut partitions {
                let key = PartitionRef::new(&p.topic, p.partition);
                let w = wm.get(&key).unwrap_or_default();
                p.log_end = w.high;
                p.log_start = w.low;
            }
            missing.extend(wm.missing.into_values());
        }

        let mut group_samples = Vec::with_capacity(groups.len());
        if !groups.is_empty() {
            let req: Vec<native::GroupOffsetsRequest> =
                groups.iter().map(|(g, _)| (g.clone(), None)).collect();
            let mut fetched: HashMap<String, Result<Vec<native::TpResult>>> =
                native::list_group_offsets(self.raw(), &req, self.left("OffsetFetch")?)?
                    .into_iter()
                    .collect();
            requests.offset_fetch = req.len() as u32;
            // Brokers that only answer for named partitions (the librdkafka mock) are asked
            // again, for the sampled partitions, about the groups the context names.
            let empty: Vec<String> = groups
                .iter()
                .filter(|(g, _)| self.settings.known_groups.contains(g))
                .filter(|(g, _)| matches!(fetched.get(g), Some(Ok(v)) if v.is_empty()))
                .map(|(g, _)| g.clone())
                .collect();
            if !empty.is_empty() && !tps.is_empty() {
                let req: Vec<native::GroupOffsetsRequest> = empty
                    .iter()
                    .map(|g| (g.clone(), Some(tps.clone())))
                    .collect();
                for (g, r) in
                    native::list_group_offsets(self.raw(), &req, self.left("OffsetFetch")?)?
                {
                    fetched.insert(g, r);
                }
                requests.offset_fetch += req.len() as u32;
            }
            for (group, state) in groups {
                let mut unknown = Vec::new();
                let (offsets, error) = match fetched.remove(&group) {
                    Some(Ok(list)) => {
                        let mut offsets = Vec::with_capacity(list.len());
                        for r in list {
                            match &r.error {
                                None if r.offset >= 0 => offsets.push(CommittedOffset {
                                    topic: r.topic,
                                    partition: r.partition,
                                    offset: r.offset,
                                }),
                                None => {}
                                Some(_) => unknown.push(PartitionRef::new(r.topic, r.partition)),
                            }
                        }
                        (offsets, None)
                    }
                    Some(Err(e)) => {
                        missing.push(Missing::new(
                            Subject::GroupOffsets {
                                group: group.clone(),
                            },
                            &e,
                        ));
                        (Vec::new(), Some(e.to_string()))
                    }
                    None => (Vec::new(), Some("OffsetFetch returned nothing".to_string())),
                };
                group_samples.push(GroupSample {
                    group,
                    state,
                    offsets,
                    unknown,
                    error,
                });
            }
        }

        let record_times = self.sample_record_times(&partitions, &group_samples, &mut requests);
        Ok(Sample {
            at,
            brokers: Some(md.brokers().len()),
            partitions,
            groups: group_samples,
            requests,
            took_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            errors,
            missing,
            record_times,
        })
    }

    /// The records at the committed offsets of lagging partitions, with what is left of the
    /// budget (at most half of it: the sample must still be delivered in time).
    fn sample_record_times(
        &self,
        partitions: &[PartitionSample],
        groups: &[GroupSample],
        requests: &mut Requests,
    ) -> Vec<crate::model::RecordTime> {
        let ends: HashMap<(&str, i32), &PartitionSample> = partitions
            .iter()
            .map(|p| ((p.topic.as_str(), p.partition), p))
            .collect();
        let wanted: Vec<Wanted> = groups
            .iter()
            .flat_map(|g| g.offsets.iter())
            .filter_map(|o| {
                let p = ends.get(&(o.topic.as_str(), o.partition))?;
                (o.offset < p.log_end?).then(|| Wanted {
                    tp: PartitionRef::new(&o.topic, o.partition),
                    committed: o.offset,
                    log_start: p.log_start,
                })
            })
            .collect();
        if wanted.is_empty() {
            return Vec::new();
        }
        let Ok(budget) = self.part("Fetch", 0.5) else {
            return Vec::new();
        };
        match self.record_times(&wanted, budget) {
            Ok(found) => {
                requests.fetch = found.fetches;
                if !found.unread.is_empty() {
                    tracing::info!(
                        "time lag: {} records not read in time; estimated instead",
                        found.unread.len()
                    );
                }
                found.times
            }
            Err(e) => {
                tracing::warn!("time lag: records not read ({e}); estimated instead");
                Vec::new()
            }
        }
    }

    /// The groups to sample with their states: ListGroups, or the context's `groups` where the
    /// broker lacks it (or refuses it).
    fn sample_group_names(
        &self,
        filter: &SampleFilter,
        brokers: usize,
        requests: &mut Requests,
        errors: &mut Vec<String>,
        missing: &mut Vec<Missing>,
    ) -> Result<Vec<(String, Option<String>)>> {
        let known = || -> Vec<(String, Option<String>)> {
            self.settings
                .known_groups
                .iter()
                .filter(|g| glob::matches_any(&filter.groups, g))
                .map(|g| (g.clone(), None))
                .collect()
        };
        let listed = self
            .require(api::LIST_GROUPS)
            // Every broker is asked; one that does not answer must leave time for the offsets.
            .and_then(|_| native::list_groups(self.raw(), self.part("ListGroups", 0.3)?));
        match listed {
            Ok((groups, errs)) => {
                requests.list_groups = brokers as u32;
                for e in errs {
                    errors.push(e.to_string());
                    missing.push(Missing::new(Subject::GroupListing { broker: None }, &e));
                }
                // Share groups (KIP-932) have no committed offsets to sample.
                let mut out: Vec<(String, Option<String>)> = groups
                    .into_iter()
                    .filter(|g| g.kind.as_deref() != Some("share"))
                    .filter(|g| glob::matches_any(&filter.groups, &g.group))
                    .map(|g| (g.group, Some(g.state)))
                    .collect();
                // Groups the context names are sampled even if listing missed them.
                for (g, s) in known() {
                    if !out.iter().any(|(n, _)| *n == g) {
                        out.push((g, s));
                    }
                }
                out.sort();
                Ok(out)
            }
            Err(e @ (Error::Connect(_) | Error::Timeout { .. })) => Err(e),
            Err(e) => {
                let known = known();
                if known.is_empty() {
                    let e = Error::Unsupported {
                        api: "ListGroups".into(),
                        hint: Some(format!(
                            "{e}; name the groups in the context's `groups` list to sample them"
                        )),
                    };
                    errors.push(e.to_string());
                    missing.push(Missing::new(Subject::GroupListing { broker: None }, &e));
                } else {
                    tracing::info!("{e}: sampling the context's groups");
                }
                Ok(known)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConnectionSettings;
    use crate::kafka::OffsetSpec;
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

    #[tokio::test(flavor = "multi_thread")]
    async fn batched_list_offsets_agree_with_one_call() {
        let cluster = MockCluster::new(3).expect("mock cluster");
        cluster.create_topic("t", 5, 3).expect("topic");
        let producer: BaseProducer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", cluster.bootstrap_servers())
            .create()
            .expect("producer");
        for p in 0..5 {
            for _ in 0..=p {
                producer
                    .send(BaseRecord::<(), str>::to("t").partition(p).payload("x"))
                    .expect("send");
            }
        }
        producer
            .flush(std::time::Duration::from_secs(10))
            .expect("flush");

        let mut settings = ConnectionSettings::plain(cluster.bootstrap_servers());
        settings.timeout = std::time::Duration::from_secs(5);
        let client = KafkaClient::new(settings).expect("client");
        let (one, (batched, calls)) = client
            .call(|i| {
                let tps: Vec<PartitionRef> = (0..5).map(|p| PartitionRef::new("t", p)).collect();
                let req: Vec<(String, i32, OffsetSpec)> = tps
                    .iter()
                    .map(|tp| (tp.topic.clone(), tp.partition, OffsetSpec::Latest))
                    .collect();
                Ok((
                    i.offsets(&tps, OffsetSpec::Latest)?.values,
                    native::list_offsets_batched(i.raw(), &req, 2, i.timeout())?,
                ))
            })
            .await
            .expect("ListOffsets");
        assert_eq!(calls, 3);
        let batched: HashMap<PartitionRef, i64> = batched
            .into_iter()
            .map(|r| (PartitionRef::new(r.topic, r.partition), r.offset))
            .collect();
        assert_eq!(batched, one);
        assert_eq!(batched[&PartitionRef::new("t", 4)], 5);

        let sample = client
            .sample(&SampleFilter {
                no_groups: true,
                ..SampleFilter::default()
            })
            .await
            .expect("sample");
        assert_eq!(sample.partitions.len(), 5);
        assert_eq!(sample.partitions[2].log_end, Some(3));
        assert_eq!(sample.partitions[2].log_start, Some(0));
        assert_eq!(sample.requests.metadata, 1);
        assert!(sample.groups.is_empty());
    }
}
