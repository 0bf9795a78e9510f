#!/usr/bin/env bash
# bench-sampling.sh - the "Metrics sampling" benchmark in BENCHMARKS.md.
#
# Starts a one-broker Kafka cluster of its own (named `bench`, so the test clusters are not
# touched), creates TOPICS x PARTITIONS partitions with records in each and GROUPS groups with
# committed offsets (set from outside the groups), then times CYCLES sampling cycles with
# examples/bench_sampling.rs in a fresh process, and stops the cluster.
#
#   scripts/bench-sampling.sh [--topics 100] [--partitions 100] [--groups 1000] [--cycles 5]
#   scripts/bench-sampling.sh --engine [--topics 1000 --partitions 100 --groups 10000]
#   KSCOPE_KAFKA_HEAP_OPTS="-Xmx2g -Xms1g" is the broker heap used unless set.
#
# --engine measures the metrics engine alone, without a broker, on one synthetic sample of that
# shape (every group on all partitions of one topic) and then a whole history of them, under
# /usr/bin/time -v (wall time and peak RSS of the whole process).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

topics=100 partitions=100 groups=1000 cycles=5 engine=
while (($#)); do
    case $1 in
    --engine) engine=1; topics=1000 partitions=100 groups=10000; shift ;;
    --topics) topics=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --groups) groups=$2; shift 2 ;;
    --cycles) cycles=$2; shift 2 ;;
    *) echo "bench-sampling.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done

cargo build --release --locked --example bench_sampling >&2
bench=target/release/examples/bench_sampling

if [[ -n $engine ]]; then
    echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
    for mode in --first-only ""; do
        # shellcheck disable=SC2086
        /usr/bin/time -v "$bench" engine --topics "$topics" --partitions "$partitions" \
            --groups "$groups" $mode 2> >(grep -E 'Elapsed \(wall|Maximum resident' >&2)
        wait
    done
    exit 0
fi

export KSCOPE_KAFKA_HEAP_OPTS=${KSCOPE_KAFKA_HEAP_OPTS:--Xmx2g -Xms1g}
trap 'scripts/kafka.sh stop --name bench >/dev/null 2>&1 || true' EXIT
bootstrap=$(scripts/kafka.sh start --brokers 1 --name bench | sed -n 's/^KSCOPE_TEST_BOOTSTRAP=//p')
[[ -n $bootstrap ]] || { echo "bench-sampling.sh: the bench cluster did not start" >&2; exit 1; }

"$bench" setup -b "$bootstrap" --topics "$topics" --partitions "$partitions" --groups "$groups"

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)," \
    "$(free -g | awk '/^Mem:/ {print $2 " GiB RAM (" $7 " GiB available)"}')"
echo "load average before measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bench" measure -b "$bootstrap" --cycles "$cycles"
