#!/usr/bin/env bash
# offsets_reset.sh - an offset reset of one consumer group over a 1,000-partition topic, dry run
# and execute, end to end (process start to exit), kscope against Kafka's own
# kafka-consumer-groups doing the same, on the single-broker test cluster.
#
#   benches/offsets_reset.sh                    1,000 partitions, 10 timed runs of each
#   PARTITIONS=200 RUNS=5 benches/offsets_reset.sh
#
# Needs hyperfine (apt-get install hyperfine). Builds kscope in release mode, starts the test
# cluster if it is not running (scripts/kafka.sh start; stop it with scripts/kafka.sh stop), and
# leaves the results in target/bench/offsets_reset-*.md. The topic is deleted at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PARTITIONS=${PARTITIONS:-1000}
RUNS=${RUNS:-10}
say() { printf '\n== %s\n' "$*" >&2; }
command -v hyperfine >/dev/null 2>&1 || { echo "offsets_reset.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }

say "building kscope (release)"
cargo build --release --locked >&2
KS=$PWD/target/release/kscope

say "starting Kafka (if needed)"
scripts/kafka.sh start >/dev/null
B=$(scripts/kafka.sh env | sed -n 's/^KSCOPE_TEST_BOOTSTRAP=//p')
[[ -n $B ]] || { echo "offsets_reset.sh: no bootstrap in the cluster's env" >&2; exit 1; }
KG="$PWD/scripts/kafka.sh tool consumer-groups --bootstrap-server $B"

topic=bench-reset-$$-$RANDOM
group=bench-reset-group-$$-$RANDOM
data=$(mktemp -d)
export KSCOPE_DATA_DIR=$data
cleanup() {
  "$KS" -b "$B" topic delete "$topic" --yes >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

say "topic $topic: $PARTITIONS partitions, 10 records each"
"$KS" -b "$B" topic create "$topic" -p "$PARTITIONS" -r 1 >&2
# Keyed records spread over the partitions; then the group gets a committed offset on each.
seq 1 $((PARTITIONS * 10)) | sed 's/.*/key-&:value/' |
  "$KS" -b "$B" produce "$topic" --key-separator : >/dev/null
"$KS" -b "$B" offsets reset "$group" --topic "$topic" --to-latest --execute >/dev/null

mkdir -p target/bench
say "dry run: plan --to-earliest for every partition"
hyperfine --warmup 1 --runs "$RUNS" --export-markdown target/bench/offsets_reset-dry-run.md \
  -n "kscope (dry run)" "$KS -b $B offsets reset $group --topic $topic --to-earliest" \
  -n "kafka-consumer-groups (dry run)" "$KG --reset-offsets --group $group --topic $topic --to-earliest --dry-run"

say "execute: --to-earliest, after each run is set back to the log end"
hyperfine --runs "$RUNS" --export-markdown target/bench/offsets_reset-execute.md \
  --prepare "$KS -b $B offsets reset $group --topic $topic --to-latest --execute" \
  -n "kscope (execute)" "$KS -b $B offsets reset $group --topic $topic --to-earliest --execute" \
  -n "kafka-consumer-groups (execute)" "$KG --reset-offsets --group $group --topic $topic --to-earliest --execute"

say "peak memory of one execute (max RSS, KiB)"
"$KS" -b "$B" offsets reset "$group" --topic "$topic" --to-latest --execute >/dev/null
printf 'kscope: '
/usr/bin/time -f '%M' "$KS" -b "$B" offsets reset "$group" --topic "$topic" --to-earliest --execute 2>&1 >/dev/null | tail -1
"$KS" -b "$B" offsets reset "$group" --topic "$topic" --to-latest --execute >/dev/null
printf 'kafka-consumer-groups: '
# shellcheck disable=SC2086 # $KG is a command line: split into its words on purpose.
/usr/bin/time -f '%M' $KG --reset-offsets --group "$group" --topic "$topic" --to-earliest --execute 2>&1 >/dev/null | tail -1

say "check: both leave every partition at the log start"
"$KS" -b "$B" offsets reset "$group" --topic "$topic" --to-current -o json |
  grep -c '"current": 0,' | sed "s/^/partitions at 0 (of $PARTITIONS): /"
echo
echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
