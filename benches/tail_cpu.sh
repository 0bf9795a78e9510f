#!/usr/bin/env bash
# The raw tail's CPU per record against kcat, side by side: ROUNDS rounds (4 by default), each
# running every command once in turn, so that the shared machine's load falls on all of them
# alike. 1,000,000 records of 100 bytes (Kafka's producer-perf-test) in 8 partitions, read from
# the beginning to the end into /dev/null. Prints user, system and wall time of every run and
# the median of each command, as a Markdown table (also in target/bench/tail-cpu.md).
#
#   benches/tail_cpu.sh                  ROUNDS=4, K=target/release/kscope
#   K_BEFORE=/path/to/older/kscope benches/tail_cpu.sh   also times an older build alike
# Needs kcat (the Debian package, installed if missing) and the test broker (scripts/kafka.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${ROUNDS:-4}
N=1000000
mkdir -p target/bench
command -v kcat >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq kcat >/dev/null; }
K=${K:-$PWD/target/release/kscope}
[[ -x $K ]] || cargo build --release --locked >&2
scripts/kafka.sh start --brokers 1 >/dev/null
B=$(sed -n 's/^KSCOPE_TEST_BOOTSTRAP=//p' "${KSCOPE_KAFKA_STATE:-.kafka}/single/env")

topic=bench-tail-1m
if ! "$K" -b "$B" topic "$topic" >/dev/null 2>&1; then
  "$K" -b "$B" topic create "$topic" --partitions 8 --replication-factor 1 >&2
  scripts/kafka.sh tool producer-perf-test --topic "$topic" --num-records "$N" \
    --record-size 100 --throughput -1 \
    --producer-props "bootstrap.servers=$B" acks=1 linger.ms=20 batch.size=524288 >&2
fi
# Every command must read every record.
for cmd in "$K -b $B tail $topic --from beginning --until end --format %v" \
           "$K -b $B tail $topic --from beginning --until end -o jsonl" \
           "kcat -b $B -C -e -q -o beginning -t $topic"; do
  n=$($cmd | wc -l)
  [[ $n -eq $N ]] || { echo "$cmd read $n records, not $N" >&2; exit 1; }
done

python3 - "$ROUNDS" "$K" "$B" "$topic" "${K_BEFORE:-}" <<'PY' | tee target/bench/tail-cpu.md
import os, resource, statistics, subprocess, sys, time
rounds, k, b, t, before = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
older = [] if not before else [
    ("older build: kscope tail ... --format %v", [before, "-b", b, "tail", t, "--from", "beginning", "--until", "end", "--format", "%v"]),
    ("older build: kscope tail ... -o jsonl", [before, "-b", b, "tail", t, "--from", "beginning", "--until", "end", "-o", "jsonl"]),
]
cmds = older + [
    ("kscope tail T --from beginning --until end --format %v", [k, "-b", b, "tail", t, "--from", "beginning", "--until", "end", "--format", "%v"]),
    ("kscope tail T --from beginning --until end -o jsonl", [k, "-b", b, "tail", t, "--from", "beginning", "--until", "end", "-o", "jsonl"]),
    ("kcat -C -e -q -o beginning -t T", ["kcat", "-b", b, "-C", "-e", "-q", "-o", "beginning", "-t", t]),
]
runs = {name: [] for name, _ in cmds}
null = open(os.devnull, "wb")
for r in range(rounds):
    for name, argv in cmds:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        subprocess.run(argv, stdout=null, check=True)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        runs[name].append((after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime, wall))
print("| command | runs: user + system CPU (wall) | median user | median system | median user + system | median wall |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
for name, _ in cmds:
    rs = runs[name]
    each = ", ".join("%.2f (%.2f)" % (u + s, w) for u, s, w in rs)
    med = lambda xs: statistics.median(xs)
    print("| `%s` | %s | %.2f s | %.2f s | **%.2f s** | %.2f s |" % (
        name, each, med([u for u, _, _ in rs]), med([s for _, s, _ in rs]),
        med([u + s for u, s, _ in rs]), med([w for _, _, w in rs])))
PY
