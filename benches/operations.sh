#!/usr/bin/env bash
# operations.sh - two of the incident operations end to end (process start to exit), kscope
# against Kafka's own tool doing the same, on the single-broker test cluster:
#   - a topic config change, applied: kscope topic config T --set retention.ms=N --execute
#     (broker validation, apply, read-back, undo file, audit line) against
#     kafka-configs --alter --add-config;
#   - deleting records on every partition of a 1,000-partition topic, up to the log end:
#     kscope topic truncate T --group G --execute --yes (G committed at the log end; plan, apply,
#     read-back of every log start, audit line) against kafka-delete-records with offset -1
#     (the high watermark) for every partition.
#
#   benches/operations.sh                    1,000 partitions, 10 timed runs of each
#   PARTITIONS=200 RUNS=5 benches/operations.sh
#
# Needs hyperfine (apt-get install hyperfine). Builds kscope in release mode, starts the test
# cluster if it is not running (scripts/kafka.sh start; stop it with scripts/kafka.sh stop), and
# leaves the results in target/bench/operations-*.md. The topic is deleted at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PARTITIONS=${PARTITIONS:-1000}
RUNS=${RUNS:-10}
say() { printf '\n== %s\n' "$*" >&2; }
command -v hyperfine >/dev/null 2>&1 || { echo "operations.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }

say "building kscope (release)"
cargo build --release --locked >&2
KS=$PWD/target/release/kscope

say "starting Kafka (if needed)"
scripts/kafka.sh start >/dev/null
B=$(scripts/kafka.sh env | sed -n 's/^KSCOPE_TEST_BOOTSTRAP=//p')
[[ -n $B ]] || { echo "operations.sh: no bootstrap in the cluster's env" >&2; exit 1; }
KT="$PWD/scripts/kafka.sh tool"

topic=bench-ops-$$-$RANDOM
group=bench-ops-group-$$-$RANDOM
data=$(mktemp -d)
export KSCOPE_DATA_DIR=$data
cleanup() {
  "$KS" -b "$B" topic delete "$topic" --yes >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

say "topic $topic: $PARTITIONS partitions"
"$KS" -b "$B" topic create "$topic" -p "$PARTITIONS" -r 1 >&2
mkdir -p target/bench

say "topic config: retention.ms changed and applied (each run from another value)"
hyperfine --runs "$RUNS" --export-markdown target/bench/operations-config.md \
  --prepare "$KS -b $B topic config $topic --set retention.ms=3600000 --execute" \
  -n "kscope topic config --set --execute" "$KS -b $B topic config $topic --set retention.ms=7200000 --execute" \
  -n "kafka-configs --alter --add-config" "$KT configs --bootstrap-server $B --alter --entity-type topics --entity-name $topic --add-config retention.ms=7200000"
say "check: the value both left"
"$KS" -b "$B" topic "$topic" -o json |
  python3 -c 'import json, sys; print([c for c in json.load(sys.stdin)["configs"] if c["name"] == "retention.ms"])'

# One record more on every partition before each run, so every run deletes records on all of
# them: keyed records spread over the partitions (10 per partition, as the reset benchmark).
offsets_json=$data/offsets.json
{
  printf '{"version":1,"partitions":['
  for ((p = 0; p < PARTITIONS; p++)); do
    ((p)) && printf ','
    printf '{"topic":"%s","partition":%d,"offset":-1}' "$topic" "$p"
  done
  printf ']}\n'
} >"$offsets_json"
fill="seq 1 $((PARTITIONS * 10)) | sed 's/.*/key-&:value/' | $KS -b $B produce $topic --key-separator : >/dev/null"
commit_end="$KS -b $B offsets reset $group --topic $topic --to-latest --execute >/dev/null"

say "delete records: every partition up to its log end"
hyperfine --runs "$RUNS" --export-markdown target/bench/operations-truncate.md \
  --prepare "$fill && $commit_end" \
  -n "kscope topic truncate --group G --execute --yes" "$KS -b $B topic truncate $topic --group $group --execute --yes" \
  -n "kafka-delete-records (offset -1)" "$KT delete-records --bootstrap-server $B --offset-json-file $offsets_json"
say "check: every partition empty (log start = log end)"
"$KS" -b "$B" topic "$topic" -o json | grep -c '"messages": 0' | sed "s/^/empty partitions (of $PARTITIONS): /"

say "peak memory of one truncate (max RSS, KiB)"
bash -c "$fill && $commit_end"
printf 'kscope: '
/usr/bin/time -f '%M' "$KS" -b "$B" topic truncate "$topic" --group "$group" --execute --yes 2>&1 >/dev/null | tail -1
bash -c "$fill"
printf 'kafka-delete-records: '
# shellcheck disable=SC2086 # $KT is a command line: split into its words on purpose.
/usr/bin/time -f '%M' $KT delete-records --bootstrap-server "$B" --offset-json-file "$offsets_json" 2>&1 >/dev/null | tail -1
echo
echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
