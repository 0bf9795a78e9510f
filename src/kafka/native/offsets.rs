//! ListOffsets: watermarks and offsets for a time, many partitions at once.
#![allow(unsafe_code)]

use super::*;

/// What to ask ListOffsets for, per partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    Earliest,
    Latest,
    /// The first offset whose timestamp is at or after this many milliseconds since the epoch.
    Timestamp(i64),
}

impl OffsetSpec {
    /// rust-rdkafka's raw offsets line up with librdkafka's OffsetSpec: Beginning is -2
    /// (earliest), End is -1 (latest), and a plain offset carries the timestamp.
    fn as_offset(self) -> rdkafka::Offset {
        match self {
            OffsetSpec::Earliest => rdkafka::Offset::Beginning,
            OffsetSpec::Latest => rdkafka::Offset::End,
            OffsetSpec::Timestamp(ms) => rdkafka::Offset::Offset(ms),
        }
    }
}

/// Partitions per ListOffsets call: librdkafka's cost per call grows with the square of its
/// size, so thousands of partitions go out as several calls at once.
pub const LIST_OFFSETS_CHUNK: usize = 1000;

/// ListOffsets for many partitions as several requests of at most `chunk` partitions each,
/// all in flight at once on one queue. For thousands of partitions this is much cheaper than
/// one call: librdkafka matches every partition of a leader's answer against every partition
/// of the call (quadratic), and building the list here avoids a lookup per partition added.
///
/// Never fails as a whole once the requests are sent: every partition comes back with its
/// offset or its own error. Returns the results and the number of calls made.
pub fn list_offsets_batched(
    client: Handle<'_>,
    partitions: &[(String, i32, OffsetSpec)],
    chunk: usize,
    timeout: Duration,
) -> Result<(Vec<TpResult>, usize)> {
    let lists: Vec<&[(String, i32, OffsetSpec)]> = partitions.chunks(chunk.max(1)).collect();
    let calls = lists.len();
    let results = list_offsets_requests(client, &lists, timeout)?;
    Ok((results.into_iter().flatten().collect(), calls))
}

/// Earliest and latest offsets of many partitions, all requests in flight at once (a
/// partition may appear only once per request, so each spec has requests of its own).
/// Returns (earliest, latest) results and the number of calls made.
pub fn watermarks_batched(
    client: Handle<'_>,
    partitions: &[PartitionRef],
    chunk: usize,
    timeout: Duration,
) -> Result<(Vec<TpResult>, Vec<TpResult>, usize)> {
    watermarks_grouped(client, &[partitions.to_vec()], chunk, timeout)
}

/// As [`watermarks_batched`], with the partitions in groups that never share a request: one
/// group per partition leader, so that a leader that does not answer cannot hold up (or time
/// out) the answers of the others.
pub fn watermarks_grouped(
    client: Handle<'_>,
    groups: &[Vec<PartitionRef>],
    chunk: usize,
    timeout: Duration,
) -> Result<(Vec<TpResult>, Vec<TpResult>, usize)> {
    let with = |spec: OffsetSpec| -> Vec<Vec<(String, i32, OffsetSpec)>> {
        groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|tp| (tp.topic.clone(), tp.partition, spec))
                    .collect()
            })
            .collect()
    };
    let (low, high) = (with(OffsetSpec::Earliest), with(OffsetSpec::Latest));
    let low_lists: Vec<&[(String, i32, OffsetSpec)]> =
        low.iter().flat_map(|g| g.chunks(chunk.max(1))).collect();
    let n_low = low_lists.len();
    let mut lists = low_lists;
    lists.extend(high.iter().flat_map(|g| g.chunks(chunk.max(1))));
    let calls = lists.len();
    let mut results = list_offsets_requests(client, &lists, timeout)?;
    let high_results = results.split_off(n_low.min(results.len()));
    Ok((
        results.into_iter().flatten().collect(),
        high_results.into_iter().flatten().collect(),
        calls,
    ))
}

/// ListOffsets in groups that never share a request (one per partition leader), each group in
/// requests of at most `chunk` partitions, all in flight at once.
pub fn list_offsets_grouped(
    client: Handle<'_>,
    groups: &[Vec<(String, i32, OffsetSpec)>],
    chunk: usize,
    timeout: Duration,
) -> Result<(Vec<TpResult>, usize)> {
    let lists: Vec<&[(String, i32, OffsetSpec)]> =
        groups.iter().flat_map(|g| g.chunks(chunk.max(1))).collect();
    let calls = lists.len();
    let results = list_offsets_requests(client, &lists, timeout)?;
    Ok((results.into_iter().flatten().collect(), calls))
}

/// Sends one ListOffsets request per list, all at once on one queue, each tagged with its
/// index; returns each request's partitions with their offset or their own error (a request
/// that failed or did not answer in time gives each of its partitions that error).
fn list_offsets_requests(
    client: Handle<'_>,
    lists: &[&[(String, i32, OffsetSpec)]],
    timeout: Duration,
) -> Result<Vec<Vec<TpResult>>> {
    let rk = client.native_ptr();
    const API: &str = "ListOffsets";
    let mut out: Vec<Vec<TpResult>> = lists.iter().map(|_| Vec::new()).collect();
    if lists.iter().all(|l| l.is_empty()) {
        return Ok(out);
    }
    let mut tpls = Vec::with_capacity(lists.len());
    for part in lists {
        let mut tpl = TopicPartitionList::with_capacity(part.len());
        for (topic, partition, spec) in *part {
            tpl.add_partition(topic, *partition)
                .set_offset(spec.as_offset())
                .map_err(|e| Error::kafka(format!("{API}: {e}")))?;
        }
        tpls.push(tpl);
    }
    let queue = new_queue(rk)?;
    let started = Instant::now();
    let deadline = started + timeout + GRACE;
    let mut answered: Vec<bool> = lists.iter().map(|l| l.is_empty()).collect();
    unsafe {
        // librdkafka copies the list and the options when a request is submitted.
        for (i, tpl) in tpls.iter().enumerate() {
            if answered[i] {
                continue;
            }
            let opts = options(
                rk,
                rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTOFFSETS,
                timeout,
            )?;
            tag(&opts, i);
            rd::rd_kafka_ListOffsets(rk, tpl.ptr(), opts.0, queue.0);
        }
        while answered.iter().any(|a| !a) {
            let Some(ev) = poll_event(&queue, deadline) else {
                break;
            };
            let i = tag_of(&ev);
            match answered.get_mut(i) {
                Some(slot) if !*slot => *slot = true,
                _ => continue,
            }
            if let Some((code, e)) = event_error(&ev, API) {
                let msg = with_wait(e, started).to_string();
                out[i].extend(
                    lists[i]
                        .iter()
                        .map(|(t, p, _)| TpResult::failed(t, *p, code, &msg)),
                );
                continue;
            }
            let result = rd::rd_kafka_event_ListOffsets_result(ev.0);
            let mut got = Vec::new();
            if !result.is_null() {
                let mut n = 0usize;
                let infos = array(rd::rd_kafka_ListOffsets_result_infos(result, &mut n), n);
                for &info in infos.iter().filter(|i| !i.is_null()) {
                    let tp = rd::rd_kafka_ListOffsetsResultInfo_topic_partition(info);
                    if !tp.is_null() {
                        got.push(list_offsets_result(&*tp));
                    }
                }
            }
            // A partition the answer left out was not answered for.
            for (t, p, _) in lists[i] {
                if !got.iter().any(|r| r.partition == *p && r.topic == *t) {
                    got.push(TpResult::failed(
                        t,
                        *p,
                        RDKafkaErrorCode::LeaderNotAvailable,
                        "the partition's leader did not answer",
                    ));
                }
            }
            out[i] = got;
        }
    }
    for (i, done) in answered.iter().enumerate() {
        if !done {
            let msg = format!(
                "no answer within {}",
                humantime::format_duration(round_ms(started.elapsed()))
            );
            out[i] = lists[i]
                .iter()
                .map(|(t, p, _)| TpResult::failed(t, *p, RDKafkaErrorCode::OperationTimedOut, &msg))
                .collect();
        }
    }
    Ok(out)
}

/// A ListOffsets partition result. librdkafka reports a partition whose leader did not answer
/// as offset -1001 (OFFSET_INVALID) without an error (its ListOffsets merge drops the failed
/// sub-request's error); that is an error here, never an offset. -1 alone means "no record at
/// or after the time".
unsafe fn list_offsets_result(tp: &rd::rd_kafka_topic_partition_t) -> TpResult {
    let mut r = tp_result(tp);
    if r.error.is_none() && r.offset < -1 {
        r.error = Some((
            RDKafkaErrorCode::LeaderNotAvailable,
            "the partition's leader did not answer".into(),
        ));
    }
    r
}
