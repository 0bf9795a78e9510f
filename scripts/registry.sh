#!/usr/bin/env bash
# registry.sh - build and run a real Confluent-compatible Schema Registry (Apicurio Registry
# 2.4.2 with its Confluent API at /apis/ccompat/v7, in-memory storage) on loopback, for
# kscope's schema tests and benchmarks. Needs Java 17+ and Maven (for `install`), and
# python3 + pip for the test producers (`pyenv`).
#
# Usage:
#   scripts/registry.sh install        build the registry from tests/registry/ into the cache
#   scripts/registry.sh start          start (or reuse) it; prints its env (KEY=VALUE lines)
#   scripts/registry.sh stop           stop it (storage is in memory: every schema is gone)
#   scripts/registry.sh status         exit 0 if it answers, 3 if not
#   scripts/registry.sh env            print the env file
#   scripts/registry.sh pyenv          install tests/schema/requirements.txt (confluent-kafka's
#                                      serializers) into a cached virtualenv; prints its python
#
# After `start`, <state>/env holds:
#   KSCOPE_TEST_REGISTRY   base URL of the Confluent API (http://127.0.0.1:PORT/apis/ccompat/v7)
#   KSCOPE_TEST_REGISTRY_PID
#   KSCOPE_TEST_PYTHON     a python with confluent-kafka[avro,protobuf,json] (when pyenv works)
#
# Environment knobs:
#   KSCOPE_KAFKA_CACHE           cache root (default ~/.cache/kscope), shared with kafka.sh
#   KSCOPE_REGISTRY_STATE        state dir (default <repo>/.registry, gitignored)
#   KSCOPE_REGISTRY_START_TIMEOUT seconds to wait for the first answer (default 90)
set -euo pipefail

readonly SCRIPT_NAME=registry.sh

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_ROOT=${KSCOPE_KAFKA_CACHE:-$HOME/.cache/kscope}
STATE=${KSCOPE_REGISTRY_STATE:-$REPO_ROOT/.registry}
START_TIMEOUT=${KSCOPE_REGISTRY_START_TIMEOUT:-90}
RECIPE=$REPO_ROOT/tests/registry

die() { echo "$SCRIPT_NAME: error: $*" >&2; exit 1; }
say() { echo "$SCRIPT_NAME: $*" >&2; }

# The build is keyed by the recipe's content, so a changed pom rebuilds.
recipe_hash() {
    cat "$RECIPE/pom.xml" "$RECIPE/src/main/resources/application.properties" | sha256sum | cut -c1-12
}
BUILD_DIR=$CACHE_ROOT/registry-$(recipe_hash)
JAR=$BUILD_DIR/target/apicurio-registry-runner-1.0-runner.jar

cmd_install() {
    command -v java >/dev/null 2>&1 || die "java not found; the registry needs Java 17+"
    mkdir -p "$CACHE_ROOT"
    exec 8>"$CACHE_ROOT/registry-install.lock"
    flock -w 900 8 || die "timed out waiting for another registry build"
    if [[ ! -f $BUILD_DIR/.complete ]]; then
        command -v mvn >/dev/null 2>&1 || die "mvn not found; it builds the registry once (apt-get install -y maven)"
        say "building the registry with Maven into $BUILD_DIR (about a minute the first time) ..."
        rm -rf "$BUILD_DIR"
        mkdir -p "$BUILD_DIR"
        cp -a "$RECIPE/pom.xml" "$RECIPE/src" "$BUILD_DIR/"
        if ! (cd "$BUILD_DIR" && mvn -B -q -DskipTests package) >"$BUILD_DIR/maven.log" 2>&1; then
            die "Maven could not build the registry (see $BUILD_DIR/maven.log)"
        fi
        [[ -f $JAR ]] || die "Maven finished but $JAR is missing (see $BUILD_DIR/maven.log)"
        date -u +%FT%TZ >"$BUILD_DIR/.complete"
    fi
    flock -u 8
    exec 8>&-
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

answers() {
    local url=$1
    curl -sf -m 2 -o /dev/null "$url/subjects"
}

cmd_status() {
    [[ -f $STATE/env ]] || return 3
    local url
    url=$(sed -n 's/^KSCOPE_TEST_REGISTRY=//p' "$STATE/env")
    answers "$url" || return 3
}

cmd_pyenv() {
    local req=$REPO_ROOT/tests/schema/requirements.txt
    local digest venv
    digest=$(sha256sum "$req" | cut -c1-12)
    venv=$CACHE_ROOT/py-schema-$digest
    exec 9>"$CACHE_ROOT/pyenv.lock"
    flock -w 900 9 || die "timed out waiting for another pyenv install"
    if [[ ! -f $venv/.complete ]]; then
        command -v python3 >/dev/null 2>&1 || die "python3 not found"
        say "installing the test producers ($req) into $venv ..."
        rm -rf "$venv"
        python3 -m venv "$venv" >&2 || die "python3 -m venv failed (apt-get install -y python3-venv)"
        "$venv/bin/pip" install -q -r "$req" >&2 ||
            die "pip could not install $req"
        date -u +%FT%TZ >"$venv/.complete"
    fi
    flock -u 9
    exec 9>&-
    echo "$venv/bin/python"
}

cmd_start() {
    mkdir -p "$STATE"
    exec 7>"$STATE/start.lock"
    flock -w 300 7 || die "timed out waiting for another start"
    if cmd_status; then
        cat "$STATE/env"
        return 0
    fi
    cmd_install
    local python=""
    python=$(cmd_pyenv) || say "no Python serializers: the tests that need them will fail"
    local port pid url attempt
    for attempt in 1 2 3; do
        port=$(free_port)
        url=http://127.0.0.1:$port/apis/ccompat/v7
        nohup java -Xmx512m -XX:+UseSerialGC -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" \
            -jar "$JAR" >"$STATE/registry.log" 2>&1 7>&- 8>&- 9>&- &
        pid=$!
        local waited=0
        while ((waited < START_TIMEOUT * 5)); do
            if answers "$url"; then
                {
                    echo "KSCOPE_TEST_REGISTRY=$url"
                    echo "KSCOPE_TEST_REGISTRY_PID=$pid"
                    [[ -n $python ]] && echo "KSCOPE_TEST_PYTHON=$python"
                } >"$STATE/env.tmp"
                mv "$STATE/env.tmp" "$STATE/env"
                say "registry answers at $url (pid $pid)"
                cat "$STATE/env"
                flock -u 7
                return 0
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
            waited=$((waited + 1))
        done
        kill "$pid" 2>/dev/null || true
        say "start attempt $attempt failed (port $port); log: $STATE/registry.log"
    done
    die "the registry did not start (see $STATE/registry.log)"
}

cmd_stop() {
    [[ -f $STATE/env ]] || return 0
    local pid
    pid=$(sed -n 's/^KSCOPE_TEST_REGISTRY_PID=//p' "$STATE/env")
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        local _
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$STATE/env"
}

case ${1:-} in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cat "$STATE/env" ;;
    pyenv) cmd_pyenv ;;
    *) sed -n '2,20p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
