//! The cluster: DescribeCluster, and the controller from metadata.
#![allow(unsafe_code)]

use super::*;

#[derive(Debug, Clone)]
pub struct ClusterDescription {
    pub cluster_id: Option<String>,
    pub controller: Option<Node>,
    pub nodes: Vec<Node>,
}

/// DescribeCluster: cluster id, controller and brokers with their racks.
pub fn describe_cluster(client: Handle<'_>, timeout: Duration) -> Result<ClusterDescription> {
    let rk = client.native_ptr();
    const API: &str = "DescribeCluster";
    unsafe {
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER,
            timeout,
            API,
            |o, q| rd::rd_kafka_DescribeCluster(rk, o, q),
        )?;
        let result = rd::rd_kafka_event_DescribeCluster_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka("DescribeCluster: unexpected result event"));
        }
        let mut n = 0usize;
        let nodes = array(rd::rd_kafka_DescribeCluster_result_nodes(result, &mut n), n);
        Ok(ClusterDescription {
            cluster_id: string(rd::rd_kafka_DescribeCluster_result_cluster_id(result)),
            controller: node(rd::rd_kafka_DescribeCluster_result_controller(result)),
            nodes: nodes.iter().filter_map(|&n| node(n)).collect(),
        })
    }
}

/// The controller id from the last metadata, or `None` (librdkafka returns -1 when unknown).
pub fn controller_id(client: Handle<'_>, timeout: Duration) -> Option<i32> {
    let rk = client.native_ptr();
    let id = unsafe { rd::rd_kafka_controllerid(rk, timeout_ms(timeout)) };
    (id >= 0).then_some(id)
}

/// ElectLeaders (preferred): asks the controller to move each partition's leadership to its
/// preferred replica (the first of its replicas). `None` asks for every partition. Each
/// partition comes back with its own result; ELECTION_NOT_NEEDED (already led by its preferred
/// replica) counts as done.
pub fn elect_preferred_leaders(
    client: Handle<'_>,
    partitions: Option<&[(String, i32)]>,
    timeout: Duration,
) -> Result<Vec<TpResult>> {
    let rk = client.native_ptr();
    const API: &str = "ElectLeaders";
    let mut tpl = partitions.map(|ps| {
        let mut tpl = TopicPartitionList::with_capacity(ps.len());
        for (t, p) in ps {
            tpl.add_partition(t, *p);
        }
        tpl
    });
    unsafe {
        let el = rd::rd_kafka_ElectLeaders_new(
            rd::rd_kafka_ElectionType_t::RD_KAFKA_ELECTION_TYPE_PREFERRED,
            tpl.as_mut().map_or(std::ptr::null_mut(), |t| t.ptr()),
        );
        if el.is_null() {
            return Err(Error::kafka(format!("{API}: cannot build the request")));
        }
        let ev = call(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_ELECTLEADERS,
            timeout,
            API,
            |o, q| {
                super::topics::set_operation_timeout(o, timeout);
                rd::rd_kafka_ElectLeaders(rk, el, o, q)
            },
        );
        rd::rd_kafka_ElectLeaders_destroy(el);
        let ev = ev?;
        let result = rd::rd_kafka_event_ElectLeaders_result(ev.0);
        if result.is_null() {
            return Err(Error::kafka(format!("{API}: unexpected result event")));
        }
        let mut n = 0usize;
        let parts = rd::rd_kafka_ElectLeaders_result_partitions(result, &mut n);
        let parts = array(
            parts as *const *const rd::rd_kafka_topic_partition_result_t,
            n,
        );
        let mut out = Vec::with_capacity(parts.len());
        for &r in parts.iter().filter(|r| !r.is_null()) {
            let tp = rd::rd_kafka_topic_partition_result_partition(r);
            if tp.is_null() {
                continue;
            }
            let mut res = tp_result(&*tp);
            let err = rd::rd_kafka_topic_partition_result_error(r);
            res.error = None;
            if !err.is_null() {
                let code = RDKafkaErrorCode::from(rd::rd_kafka_error_code(err));
                if code != RDKafkaErrorCode::NoError && code != RDKafkaErrorCode::ElectionNotNeeded
                {
                    let msg = string(rd::rd_kafka_error_string(err)).unwrap_or_default();
                    res.error = Some((code, msg));
                }
            }
            out.push(res);
        }
        Ok(out)
    }
}
