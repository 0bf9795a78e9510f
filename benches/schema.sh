#!/usr/bin/env bash
# Benchmarks for schema-aware tails, against a real single-broker Kafka and the test Schema
# Registry on loopback, side by side in one hyperfine run:
#   1,000,000 Avro records (benches/schema/order.avsc: 10 fields, about 100 bytes) from the
#   beginning to the end, each value as a JSON line, into /dev/null:
#   - kscope tail --value-as avro -o jsonl, and --format %v
#   - kscope's raw tail of the same topic (-o jsonl and --format %v, no registry)
#   - a confluent-kafka Python consumer with AvroDeserializer (benches/schema/py_consumer.py)
#   - kafkactl (Go) with its Avro deserializer, when it builds here (`go install`)
#   - kcat, raw (it cannot decode Avro without libserdes)
#   - the raw tail of a text topic (1,000,000 records of 100 bytes from producer-perf-test):
#     kscope --format %v and -o jsonl against kcat, for CPU per record
# hyperfine reports wall time and user/system CPU; the CPU table comes from its JSON export.
#
#   benches/schema.sh               RUNS=5 by default; results in target/bench/schema*.md
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-5}
N=${N:-1000000}
mkdir -p target/bench

for tool in hyperfine kcat; do
  command -v "$tool" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq hyperfine kcat >/dev/null; }
done
cargo build --release --locked >&2
K=$PWD/target/release/kscope

scripts/kafka.sh start --brokers 1 >/dev/null
B=$(sed -n 's/^KSCOPE_TEST_BOOTSTRAP=//p' .kafka/single/env)
reg_env=$(scripts/registry.sh start)
R=$(sed -n 's/^KSCOPE_TEST_REGISTRY=//p' <<<"$reg_env")
PY=$(sed -n 's/^KSCOPE_TEST_PYTHON=//p' <<<"$reg_env")
echo "bootstrap: $B registry: $R" >&2

count() { wc -l | tr -d ' '; }
topic=bench-avro-1m
subject=$topic-value
if ! "$K" -b "$B" topic "$topic" >/dev/null 2>&1 ||
  ! curl -sf "$R/subjects/$subject/versions/latest" >/dev/null; then
  "$K" -b "$B" topic delete "$topic" --yes >/dev/null 2>&1 || true
  sleep 2
  "$K" -b "$B" topic create "$topic" --partitions 8 --replication-factor 1 >&2
  # Register the schema (kscope never registers), then let kscope encode the records.
  python3 -c 'import json,sys; print(json.dumps({"schema": open(sys.argv[1]).read()}))' \
    benches/schema/order.avsc |
    curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
      --data @- "$R/subjects/$subject/versions" >&2
  echo >&2
  python3 benches/schema/gen.py "$N" |
    "$K" -b "$B" produce "$topic" --schema-registry "$R" --value-schema "$subject" --acks 1 >/dev/null
fi

# The raw tail's CPU per record against kcat, on text records as kcat's users tail them:
# 1,000,000 records of 100 bytes written by Kafka's producer-perf-test.
text_topic=bench-tail-1m
if ! "$K" -b "$B" topic "$text_topic" >/dev/null 2>&1; then
  "$K" -b "$B" topic create "$text_topic" --partitions 8 --replication-factor 1 >&2
  scripts/kafka.sh tool producer-perf-test --topic "$text_topic" --num-records "$N" \
    --record-size 100 --throughput -1 \
    --producer-props "bootstrap.servers=$B" acks=1 linger.ms=20 batch.size=524288 >&2
fi
t_kscope=$("$K" -b "$B" tail "$text_topic" --from beginning --until end --format %v | count)
t_kcat=$(kcat -b "$B" -C -e -q -o beginning -t "$text_topic" | count)
echo "records read ($text_topic): kscope $t_kscope, kcat $t_kcat" >&2
[[ $t_kscope -eq $N && $t_kcat -eq $N ]] || { echo "a tool missed records" >&2; exit 1; }

# Every tool must read every record.
k_avro=$("$K" -b "$B" tail "$topic" --from beginning --until end -o jsonl --schema-registry "$R" | count)
k_raw=$("$K" -b "$B" tail "$topic" --from beginning --until end --format %v | count)
py=$("$PY" benches/schema/py_consumer.py "$B" "$R" "$topic" 2>/dev/null | count)
echo "records read: kscope avro $k_avro, kscope raw $k_raw, python $py" >&2
[[ $k_avro -eq $N && $py -eq $N ]] || { echo "a tool missed records" >&2; exit 1; }
bad=$("$K" -b "$B" tail "$topic" --from beginning --until end -o jsonl --schema-registry "$R" |
  grep -c '"decode_error":{' || true)
[[ $bad -eq 0 ]] || { echo "kscope could not decode $bad records" >&2; exit 1; }

peers=()
KAFKACTL=${KAFKACTL:-$(command -v kafkactl || echo "$HOME/go/bin/kafkactl")}
if [[ ! -x $KAFKACTL ]] && command -v go >/dev/null 2>&1; then
  go install github.com/deviceinsight/kafkactl/v5@latest >&2 || true
fi
if [[ -x $KAFKACTL ]]; then
  kcfg=$PWD/target/bench/kafkactl.yml
  # kafkactl looks up TOPIC-value in the registry and decodes by the record's id.
  cat >"$kcfg" <<EOF
contexts:
  bench:
    brokers: [$B]
    schemaRegistry:
      url: $R
current-context: bench
EOF
  kk=$("$KAFKACTL" --config-file "$kcfg" consume "$topic" --from-beginning --exit 2>/dev/null | count || true)
  echo "records read: kafkactl $kk" >&2
  if [[ $kk -eq $N ]]; then
    peers+=(-n "kafkactl consume --exit (Avro via the registry)" "$KAFKACTL --config-file $kcfg consume $topic --from-beginning --exit > /dev/null")
  else
    echo "kafkactl read $kk records: left out" >&2
  fi
fi

hyperfine --warmup 1 --runs "$RUNS" --export-markdown target/bench/schema.md --export-json target/bench/schema.json \
  -n "kscope tail --value-as avro -o jsonl" "$K -b $B tail $topic --from beginning --until end --value-as avro -o jsonl --schema-registry $R > /dev/null" \
  -n "kscope tail --value-as avro --format %v" "$K -b $B tail $topic --from beginning --until end --value-as avro --format %v --schema-registry $R > /dev/null" \
  -n "kscope tail -o jsonl (raw)" "$K -b $B tail $topic --from beginning --until end -o jsonl > /dev/null" \
  -n "kscope tail --format %v (raw)" "$K -b $B tail $topic --from beginning --until end --format %v > /dev/null" \
  -n "kcat -C -e (raw)" "kcat -b $B -C -e -q -o beginning -t $topic > /dev/null" \
  -n "kscope tail --format %v (raw, text topic)" "$K -b $B tail $text_topic --from beginning --until end --format %v > /dev/null" \
  -n "kscope tail -o jsonl (raw, text topic)" "$K -b $B tail $text_topic --from beginning --until end -o jsonl > /dev/null" \
  -n "kcat -C -e (raw, text topic)" "kcat -b $B -C -e -q -o beginning -t $text_topic > /dev/null" \
  -n "python confluent-kafka AvroDeserializer" "$PY benches/schema/py_consumer.py $B $R $topic > /dev/null 2>&1" \
  "${peers[@]}"

python3 - target/bench/schema.json "$N" >target/bench/schema-cpu.md <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
n = int(sys.argv[2])
print("| command | wall (mean) | user | system | user+system CPU | records/s |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for x in r:
    cpu = x["user"] + x["system"]
    print("| `%s` | %.2f s | %.2f s | %.2f s | %.2f s | %s |" % (
        x["command"], x["mean"], x["user"], x["system"], cpu, format(int(n / x["mean"]), ",")))
EOF
cat target/bench/schema.md target/bench/schema-cpu.md
