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
