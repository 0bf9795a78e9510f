#!/usr/bin/env bash
# Benchmarks for the foundation, against a real single-broker Kafka on loopback:
#   1. tail: 1,000,000 records of 100 bytes into /dev/null, kscope vs kcat
#   2. group lag: `kscope group` vs Kafka's own kafka-consumer-groups --describe, 1,000 partitions
# Needs: hyperfine and kcat (Debian packages, installed if missing), Java 17 + Maven (for Kafka).
# Results go to target/bench/*.md; BENCHMARKS.md quotes them.
#
#   benches/foundation.sh            RUNS=5 by default
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-5}
mkdir -p target/bench

for tool in hyperfine kcat; do
  command -v "$tool" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq hyperfine kcat >/dev/null; }
done
cargo build --release --locked >&2
K=$PWD/target/release/kscope

scripts/kafka.sh start --brokers 1 >/dev/null
B=$(sed -n 's/^KSCOPE_TEST_BOOTSTRAP=//p' .kafka/single/env)
echo "bootstrap: $B" >&2

# --- 1. tail -----------------------------------------------------------------------------
tail_topic=bench-tail-1m
if ! "$K" -b "$B" topic "$tail_topic" >/dev/null 2>&1; then
  "$K" -b "$B" topic create "$tail_topic" --partitions 8 --replication-factor 1 >&2
  scripts/kafka.sh tool producer-perf-test --topic "$tail_topic" --num-records 1000000 \
    --record-size 100 --throughput -1 \
    --producer-props "bootstrap.servers=$B" acks=1 linger.ms=20 batch.size=524288 >&2
fi
# Both tools must see every record.
kscope_lines=$("$K" -b "$B" tail "$tail_topic" --from beginning --until end --format '%v' | wc -l)
kcat_lines=$(kcat -b "$B" -C -e -q -o beginning -t "$tail_topic" | wc -l)
echo "records read: kscope $kscope_lines, kcat $kcat_lines" >&2
[[ $kscope_lines -eq 1000000 && $kcat_lines -eq 1000000 ]] || { echo "a tool missed records" >&2; exit 1; }

hyperfine --warmup 1 --runs "$RUNS" --export-markdown target/bench/tail.md \
  -n "kscope tail --format %v" "$K -b $B tail $tail_topic --from beginning --until end --format %v > /dev/null" \
  -n "kcat -C -e" "kcat -b $B -C -e -q -o beginning -t $tail_topic > /dev/null" \
  -n "kscope tail (default line)" "$K -b $B tail $tail_topic --from beginning --until end > /dev/null" \
  -n "kscope tail -o jsonl" "$K -b $B tail $tail_topic --from beginning --until end -o jsonl > /dev/null"

# --- 2. group lag over 1,000 partitions -------------------------------------------------------
lag_topic=bench-lag-1000
group=bench-lag-group
if ! "$K" -b "$B" topic "$lag_topic" >/dev/null 2>&1; then
  "$K" -b "$B" topic create "$lag_topic" --partitions 1000 --replication-factor 1 >&2
  scripts/kafka.sh tool producer-perf-test --topic "$lag_topic" --num-records 200000 \
    --record-size 100 --throughput -1 --producer-props "bootstrap.servers=$B" acks=1 >&2
  # Committed offsets for every partition (the group never joins; lag = all records).
  scripts/kafka.sh tool consumer-groups --bootstrap-server "$B" --group "$group" \
    --topic "$lag_topic" --reset-offsets --to-earliest --execute >/dev/null
fi
k_rows=$("$K" -b "$B" group "$group" -o jsonl | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["partitions"]))')
echo "kscope group rows: $k_rows" >&2
[[ $k_rows -eq 1000 ]] || { echo "kscope group did not report 1000 partitions" >&2; exit 1; }

hyperfine --warmup 1 --runs "$RUNS" --export-markdown target/bench/group.md \
  -n "kscope group" "$K -b $B group $group > /dev/null" \
  -n "kscope group -o json" "$K -b $B group $group -o json > /dev/null" \
  -n "kafka-consumer-groups --describe" "scripts/kafka.sh tool consumer-groups --bootstrap-server $B --describe --group $group > /dev/null"

cat target/bench/tail.md target/bench/group.md
