#!/usr/bin/env bash
# bench-sampling.sh - the "Metrics sampling" benchmark in BENCHMARKS.md.
#
# Starts a one-broker Kafka cluster of its own (named `bench`, so the test clusters are not
# touched), creates TOPICS x PARTITIONS partitions with records in each and GROUPS groups with
# committed offsets (set from outside the groups), then times CYCLES sampling cycles with
# examples/bench_sampling.rs in a fresh process, and stops the cluster.
#
#   scripts/bench-sampling.sh [--topics 100] [--partitions 100] [--groups 1000] [--cycles 5]
#   KSCOPE_KAFKA_HEAP_OPTS="-Xmx2g -Xms1g" is the broker heap used unless set.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

topics=100 partitions=100 groups=1000 cycles=5
while (($#)); do
    case $1 in
    --topics) topics=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --groups) groups=$2; shift 2 ;;
    --cycles) cycles=$2; shift 2 ;;
    *) echo "bench-sampling.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done

cargo build --release --locked --example bench_sampling >&2
bench=target/release/examples/bench_sampling

export KSCOPE_KAFKA_HEAP_OPTS=${KSCOPE_KAFKA_HEAP_OPTS:--Xmx2g -Xms1g}
trap 'scripts/kafka.sh stop --name bench >/dev/null 2>&1 || true' EXIT
bootstrap=$(scripts/kafka.sh start --brokers 1 --name bench | sed -n 's/^KSCOPE_TEST_BOOTSTRAP=//p')
[[ -n $bootstrap ]] || { echo "bench-sampling.sh: the bench cluster did not start" >&2; exit 1; }

"$bench" setup -b "$bootstrap" --topics "$topics" --partitions "$partitions" --groups "$groups"

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)," \
    "$(free -g | awk '/^Mem:/ {print $2 " GiB RAM (" $7 " GiB available)"}')"
echo "load average before measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bench" measure -b "$bootstrap" --cycles "$cycles"
