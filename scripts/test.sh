#!/usr/bin/env bash
# test.sh - the whole test suite on a fresh machine: shellcheck over the scripts, formatting,
# lints, unit, snapshot, CLI and broker tests. It installs what it needs (tmux, shellcheck,
# Debian's prometheus, a JDK, Maven, curl, python3-venv), starts real Kafka clusters (one broker and
# three brokers, KRaft, on loopback; jars from Maven Central) and a Schema Registry (Apicurio
# with the Confluent API, built from Maven Central; confluent-kafka's serializers from PyPI in
# a cached virtualenv), and stops them when done.
#
#   scripts/test.sh                 everything
#   scripts/test.sh -- FILTER       pass arguments on to `cargo test`
#   KSCOPE_KEEP_KAFKA=1 scripts/test.sh   leave the clusters running afterwards
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\n== %s\n' "$*" >&2; }

# What a fresh Debian/Ubuntu machine lacks: tmux (the terminal test), a JDK and Maven (Kafka
# and the Schema Registry are fetched and built from Maven Central), curl (registry checks),
# python3 with venv and pip (confluent-kafka's serializers for the schema tests).
need_packages=()
command -v tmux >/dev/null 2>&1 || need_packages+=(tmux)
command -v shellcheck >/dev/null 2>&1 || need_packages+=(shellcheck)
# A real Prometheus server scrapes `watch --listen` in tests/exporter.rs.
command -v prometheus >/dev/null 2>&1 || need_packages+=(prometheus)
java_ok() {
  command -v java >/dev/null 2>&1 || return 1
  local v
  v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  [[ -n $v && $v -ge 17 ]]
}
need_java=
java_ok || need_java=1
command -v mvn >/dev/null 2>&1 || need_packages+=(maven)
command -v curl >/dev/null 2>&1 || need_packages+=(curl)
command -v python3 >/dev/null 2>&1 || need_packages+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_packages+=(python3-venv python3-pip)
if ((${#need_packages[@]})) || [[ -n $need_java ]]; then
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  if [[ -n $need_java ]]; then
    # Java 17 or newer, whichever this release packages (Debian 12: 17, Debian 13: 21).
    for jdk in openjdk-17-jdk-headless openjdk-21-jdk-headless default-jdk-headless; do
      if apt-cache show "$jdk" >/dev/null 2>&1; then
        need_packages+=("$jdk")
        break
      fi
    done
  fi
  say "installing ${need_packages[*]}"
  "${sudo[@]}" apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi
command -v cargo >/dev/null 2>&1 || { echo "test.sh: cargo not found; install Rust from https://rustup.rs" >&2; exit 1; }

# shellcheck disable=SC2317 # run by the EXIT trap
stop_kafka() {
  if [[ -z ${KSCOPE_KEEP_KAFKA:-} ]]; then
    scripts/kafka.sh stop --all >/dev/null 2>&1 || true
    scripts/registry.sh stop >/dev/null 2>&1 || true
  fi
}
trap stop_kafka EXIT

say "starting Kafka (1 broker and 3 brokers)"
scripts/kafka.sh install >&2
scripts/kafka.sh start --brokers 1 >/dev/null &
single=$!
scripts/kafka.sh start --brokers 3 >/dev/null &
triple=$!
say "starting the Schema Registry"
scripts/registry.sh start >/dev/null &
registry=$!
# Build while the brokers start.
say "building"
cargo build --all-targets --locked
wait "$single" || { echo "test.sh: the single-broker Kafka cluster did not start" >&2; exit 1; }
wait "$triple" || { echo "test.sh: the three-broker Kafka cluster did not start" >&2; exit 1; }
wait "$registry" || { echo "test.sh: the Schema Registry did not start" >&2; exit 1; }

say "shellcheck"
shellcheck scripts/*.sh benches/*.sh
say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
say "cargo test"
# The terminal test drives the release binary, as users run it.
cargo build --release --locked
export KSCOPE_BIN=$PWD/target/release/kscope
# Snapshots never update themselves here: a changed screen fails until it is reviewed.
export CI=true INSTA_UPDATE=no
if (($#)); then
  cargo test --all-targets --locked --no-fail-fast "$@"
  exit
fi
cargo test --all-targets --locked --no-run
# The fault tests own their clusters (they kill and restart brokers) and take minutes, mostly
# waiting for brokers: they run beside the other tests, and their output follows at the end.
faults_log=target/faults-test.log
cargo test --locked --test faults -- --test-threads 1 >"$faults_log" 2>&1 &
faults=$!
others=(--lib --bins --examples --benches)
for t in tests/*.rs; do
  name=$(basename "$t" .rs)
  [[ $name == faults ]] || others+=(--test "$name")
done
status=0
cargo test --locked --no-fail-fast "${others[@]}" || status=$?
fault_status=0
wait "$faults" || fault_status=$?
say "fault tests"
cat "$faults_log"
if ((fault_status)); then
  echo "test.sh: the fault tests failed (exit $fault_status)" >&2
fi
exit $((status || fault_status))
