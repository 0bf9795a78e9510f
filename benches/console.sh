#!/usr/bin/env bash
# Console benchmarks with the release binary in tmux:
#   1. time from start to the first frame with data, on the demo cluster (5 runs)
#   2. idle CPU at the default refresh (5 s) over 60 s, against a real single-broker Kafka
# Frame render time and tail-buffer memory: cargo bench --bench render
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v tmux >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }
cargo build --release --locked >&2
bin=$PWD/target/release/kscope
work=$(mktemp -d)
sock=kscope-bench-$$
tmux_() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tmux_ kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== start to first frame with data (demo cluster)"
for i in 1 2 3 4 5; do
  log=$work/first-$i.log
  tmux_ new-session -d -s k -x 120 -y 34 "KSCOPE_LOG_FILE=$log $bin demo"
  for _ in $(seq 100); do grep -q "first frame with data" "$log" 2>/dev/null && break; sleep 0.1; done
  grep -o "first frame with data after [0-9]* ms" "$log" || echo "run $i: no data frame"
  tmux_ send-keys -t k q; sleep 1; tmux_ kill-server 2>/dev/null || true
done

echo "== idle CPU over 60 s (real Kafka, default refresh)"
scripts/kafka.sh start --brokers 1 >/dev/null
b=$(sed -n 's/^KSCOPE_TEST_BOOTSTRAP=//p' .kafka/single/env)
tmux_ new-session -d -s k -x 120 -y 34 "KSCOPE_LOG_FILE=$work/idle.log $bin -b $b"
sleep 10
pid=$(pgrep -n -x kscope)
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep 60
t1=$(ticks)
rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
echo "cpu: $(( (t1 - t0) * 1000 / hz )) ms of CPU in 60 s ($(awk "BEGIN{printf \"%.2f\", ($t1-$t0)/$hz/60*100}")% of one core); RSS ${rss} KiB"
tmux_ send-keys -t k q
