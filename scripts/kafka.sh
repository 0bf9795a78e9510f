#!/usr/bin/env bash
# kafka.sh - provision and run a real Apache Kafka 4.3.1 (KRaft) on loopback for
# kscope's integration tests and benchmarks. Needs Java 17+ (and Maven for `install`);
# kcat is used for health checks when present, otherwise a Kafka Java tool is.
#
# Usage:
#   scripts/kafka.sh install                         resolve Kafka jars via Maven into the cache
#   scripts/kafka.sh start [--brokers N] [--name NAME] [--set KEY=VALUE]... [--oauth] [--authorizer]
#                                                    start (or reuse) a cluster; prints its env.
#                                                    --set adds a broker property to every node
#                                                    (after the defaults, so it wins), e.g.
#                                                    --set auto.create.topics.enable=true
#                                                    --oauth adds a SASL_PLAINTEXT OAUTHBEARER
#                                                    listener and its token issuer (see below)
#   scripts/kafka.sh auth-pyenv                      print a python with tests/auth/requirements.txt
#                                                    --authorizer enables ACLs (StandardAuthorizer;
#                                                    the PLAINTEXT/controller principal ANONYMOUS
#                                                    and the SCRAM user kscope are super users,
#                                                    the second SCRAM user is not)
#   scripts/kafka.sh stop  [--name NAME | --all]     stop it and delete its data
#   scripts/kafka.sh status [--name NAME]            exit 0 if running, 3 if not
#   scripts/kafka.sh kill-node N [--name NAME]       SIGKILL node N of a running cluster (a crash:
#                                                    no shutdown, data and ports stay as they are)
#   scripts/kafka.sh restart-node N [--name NAME]    start node N again with its data and ports;
#                                                    returns once the cluster lists all brokers
#   scripts/kafka.sh env   [--name NAME]             print the cluster's env file
#   scripts/kafka.sh tool ALIAS|CLASS [ARGS...]      run a Kafka CLI tool, e.g.
#       scripts/kafka.sh tool consumer-groups --bootstrap-server 127.0.0.1:PORT --list
#     aliases: topics consumer-groups console-producer console-consumer producer-perf-test
#              consumer-perf-test configs broker-api-versions metadata-quorum get-offsets
#              groups share-groups transactions delete-records log-dirs acls features
#              leader-election reassign-partitions cluster storage
#
# NAME defaults to `single` for 1 broker and `triple` for 3 (`brokersN` otherwise).
# Each node is a combined broker+controller with three loopback listeners: PLAINTEXT
# (bootstrap, also inter-broker), CONTROLLER, and SASL_SSL with SCRAM-SHA-512
# (user `kscope`, random password, throw-away CA). All ports are picked free at start.
# `start` is idempotent and serialised per cluster (flock), so parallel tests may all
# call it. `stop` deletes the nodes (data, logs, env) but keeps NAME/tls, so ca.pem
# stays the same file across restarts. A failed start leaves the node logs in place
# until the next start/stop.
#
# OAuth (`start --oauth`): each node also gets an OAUTH listener (SASL_PLAINTEXT,
# OAUTHBEARER) whose broker validates JWTs for real (Kafka's OAuthBearerValidatorCallbackHandler
# against a JWKS URL, allowed via the org.apache.kafka.sasl.oauthbearer.allowed.urls system
# property), and the cluster gets a token issuer on loopback (tests/auth/issuer.py, in a
# cached virtualenv): GET /jwks and the client credentials grant at POST /token. It knows two
# clients: a good one, and a rogue one whose tokens are signed with a key the JWKS lacks (the
# broker must refuse them). The issuer's keys and secrets live in NAME/oauth and survive node
# restarts; `start` restarts a dead issuer on its port, `stop` ends it.
#
# Fault tests: `kill-node N` crashes one node (SIGKILL) and `restart-node N` brings it
# back with the same node id, data and ports, so it rejoins the cluster (its pid in the
# env file's KSCOPE_TEST_PIDS is updated). `start` never wipes a cluster that came up
# once: if some of its nodes are dead it restarts them the same way (and refuses, saying
# why, if that fails); only a cluster whose first start never finished is cleaned up.
# kill-node, restart-node, start and stop take the same per-cluster lock.
#
# SCRAM note: librdkafka older than 2.6.1 (Debian 12's kcat uses 2.0.2) fails SCRAM
# against Kafka 4.x with "invalid credentials" even with the right password; the
# rdkafka crate's bundled librdkafka (2.12) and the Java client are fine.
#
# After `start`, <state>/NAME/env holds KEY=VALUE lines (no quotes, no export):
#   KSCOPE_TEST_BOOTSTRAP, KSCOPE_TEST_SECURE_BOOTSTRAP, KSCOPE_TEST_CA,
#   KSCOPE_TEST_SCRAM_USER, KSCOPE_TEST_SCRAM_PASSWORD, KSCOPE_TEST_SCRAM_MECHANISM,
#   KSCOPE_TEST_SCRAM_USER2, KSCOPE_TEST_SCRAM_PASSWORD2 (a second SCRAM user, no super user),
#   KSCOPE_TEST_BROKERS, KSCOPE_TEST_CLUSTER, KSCOPE_TEST_CLUSTER_ID,
#   KSCOPE_TEST_CONTROLLERS, KSCOPE_TEST_CLIENT_PROPERTIES, KSCOPE_TEST_PIDS,
#   KSCOPE_TEST_CLUSTER_DIR, KSCOPE_KAFKA_LIBS, KSCOPE_KAFKA_VERSION,
#   KSCOPE_TEST_BROKER_SETTINGS (the --set properties, space-separated; empty without any)
#   KSCOPE_TEST_OAUTH (1 with --oauth, else 0), and with --oauth: KSCOPE_TEST_OAUTH_BOOTSTRAP,
#   KSCOPE_TEST_OAUTH_TOKEN_URL, KSCOPE_TEST_OAUTH_JWKS_URL, KSCOPE_TEST_OAUTH_CLIENT_ID,
#   KSCOPE_TEST_OAUTH_CLIENT_SECRET, KSCOPE_TEST_OAUTH_ROGUE_ID, KSCOPE_TEST_OAUTH_ROGUE_SECRET
# The same lines are the only thing `start` prints on stdout (progress goes to stderr).
#
# Environment knobs:
#   KSCOPE_KAFKA_CACHE          jar cache root      (default ~/.cache/kscope)
#   KSCOPE_KAFKA_STATE          cluster state root  (default <repo>/.kafka, gitignored)
#   KSCOPE_KAFKA_START_TIMEOUT  seconds to wait for a cluster to answer (default 90)
#   KSCOPE_KAFKA_STOP_TIMEOUT   seconds between SIGTERM and SIGKILL     (default 20)
#   KSCOPE_KAFKA_HEAP_OPTS      broker heap flags (default -Xmx512m -Xms256m; 3+ nodes: -Xmx384m -Xms128m)
#   KSCOPE_KAFKA_TOOL_OPTS      JVM flags for `tool` (default -Xmx512m)
#
# Paths must not contain spaces or shell metacharacters (the env file is unquoted).

set -euo pipefail

readonly KAFKA_VERSION=4.3.1
readonly LOG4J_VERSION=2.25.4 # matches the log4j-core that Kafka 4.3.1 itself depends on
readonly SCRAM_USER=kscope
readonly SCRAM_USER2=reader
readonly AUTHORIZER=org.apache.kafka.metadata.authorizer.StandardAuthorizer
readonly SCRIPT_NAME=kafka.sh

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_ROOT=${KSCOPE_KAFKA_CACHE:-$HOME/.cache/kscope}
KAFKA_HOME=$CACHE_ROOT/kafka-$KAFKA_VERSION
LIBS=$KAFKA_HOME/libs
STATE_ROOT=${KSCOPE_KAFKA_STATE:-$REPO_ROOT/.kafka}
START_TIMEOUT=${KSCOPE_KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=${KSCOPE_KAFKA_STOP_TIMEOUT:-20}

die() { echo "$SCRIPT_NAME: error: $*" >&2; exit 1; }
say() { echo "$SCRIPT_NAME: $*" >&2; }

# ---------------------------------------------------------------------------------
# prerequisites and install
# ---------------------------------------------------------------------------------

need_java() {
    command -v java >/dev/null 2>&1 ||
        die "java not found on PATH; Kafka $KAFKA_VERSION needs Java 17+ (apt-get install -y openjdk-17-jre-headless)"
    local version major
    version=$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)
    major=${version%%.*}
    [[ $major =~ ^[0-9]+$ && $major -ge 17 ]] ||
        die "java on PATH is version '${version:-unknown}'; Kafka $KAFKA_VERSION needs Java 17+"
}

# Broker logging: INFO into <node>/server.log (the node dir comes in as -Dkafka.logs.dir),
# nothing on the console. Kafka 4 logs through slf4j 1.7 -> log4j2.
write_log4j_configs() {
    mkdir -p "$KAFKA_HOME/config"
    write_if_changed "$KAFKA_HOME/config/broker-log4j2.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- kscope test broker: INFO to <node dir>/server.log, nothing on the console. -->
<Configuration status="warn">
  <Appenders>
    <File name="server" fileName="${sys:kafka.logs.dir}/server.log" append="true">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="server"/></Root>
    <!-- per-request and per-partition chatter would drown the interesting lines -->
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
  </Loggers>
</Configuration>
EOF
    # CLI tools: WARN and above on stderr, so stdout stays the tool's real output.
    write_if_changed "$KAFKA_HOME/config/tools-log4j2.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="warn">
  <Appenders>
    <Console name="stderr" target="SYSTEM_ERR">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="WARN"><AppenderRef ref="stderr"/></Root>
  </Loggers>
</Configuration>
EOF
}

# Replace a file with stdin only if the content differs (atomic rename, safe for
# concurrent readers such as a running tool).
write_if_changed() {
    local target=$1 tmp
    tmp=$(mktemp "$target.XXXXXX")
    cat >"$tmp"
    if [[ -f $target ]] && cmp -s "$tmp" "$target"; then
        rm -f "$tmp"
    else
        chmod 644 "$tmp"
        mv -f "$tmp" "$target"
    fi
}

cmd_install() {
    need_java
    mkdir -p "$KAFKA_HOME"
    # Serialise concurrent installs (parallel tests may all call `start`).
    exec 8>"$KAFKA_HOME/install.lock"
    flock -w 600 8 || die "timed out waiting for another install (lock $KAFKA_HOME/install.lock)"

    if [[ ! -f $KAFKA_HOME/.complete ]]; then
        command -v mvn >/dev/null 2>&1 ||
            die "mvn not found on PATH; it is needed once to fetch Kafka $KAFKA_VERSION (apt-get install -y maven)"
        say "resolving Kafka $KAFKA_VERSION jars with Maven into $LIBS ..."
        local work
        work=$(mktemp -d "${TMPDIR:-/tmp}/kscope-kafka-pom.XXXXXX")
        # A throw-away pom whose runtime dependency closure is a Kafka distribution's libs/.
        # kafka_2.13 brings the broker and StorageTool, kafka-tools the CLI tools.
        # Kafka uses slf4j-api 1.7.x, so the log4j2 binding is log4j-slf4j-impl
        # (log4j-slf4j2-impl would bind only slf4j 2.x and logging would go to NOP).
        cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kscope.local</groupId>
  <artifactId>kafka-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
        rm -rf "$LIBS.partial"
        if ! (cd "$work" && mvn -B -q dependency:copy-dependencies -DincludeScope=runtime \
            -DoutputDirectory="$LIBS.partial") >"$KAFKA_HOME/maven.log" 2>&1; then
            rm -rf "$work" "$LIBS.partial"
            die "Maven could not resolve Kafka $KAFKA_VERSION (see $KAFKA_HOME/maven.log)"
        fi
        rm -rf "$work"
        local jar
        for jar in kafka_2.13-$KAFKA_VERSION.jar kafka-tools-$KAFKA_VERSION.jar \
            kafka-clients-$KAFKA_VERSION.jar log4j-slf4j-impl-$LOG4J_VERSION.jar; do
            [[ -f $LIBS.partial/$jar ]] || die "Maven finished but $jar is missing (see $KAFKA_HOME/maven.log)"
        done
        rm -rf "$LIBS"
        mv "$LIBS.partial" "$LIBS"
        date -u +%FT%TZ >"$KAFKA_HOME/.complete" # marker last: only a complete libs/ counts
        say "installed $(find "$LIBS" -name '*.jar' | wc -l) jars into $LIBS"
    fi
    write_log4j_configs
    flock -u 8
    exec 8>&-
}

ensure_installed() {
    if [[ -f $KAFKA_HOME/.complete && -f $KAFKA_HOME/config/tools-log4j2.xml ]]; then
        need_java
        write_log4j_configs # cheap; keeps the configs in step with this script
    else
        cmd_install
    fi
}

# ---------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------

# Sets TOOL_CMD to `java <opts> -cp <cached jars>` with quiet logging (WARN, stderr).
# $1 overrides the JVM flags; CLI helpers here use a small, fast-starting JVM.
set_tool_cmd() {
    local opts=${1:-${KSCOPE_KAFKA_TOOL_OPTS:--Xmx512m}}
    # shellcheck disable=SC2206 # opts is a list of flags
    TOOL_CMD=(java $opts -Djava.awt.headless=true
        -Dlog4j2.configurationFile="$KAFKA_HOME/config/tools-log4j2.xml" -cp "$LIBS/*")
}
readonly QUICK_JVM="-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"

# N free loopback TCP ports. All sockets are held open together so the N are distinct;
# the kernel could hand one to someone else before Kafka binds, so start retries.
free_ports() {
    local n=$1
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$n" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
    else
        # No python: random ports below the usual ephemeral range that nobody answers on.
        local ports=() p
        while ((${#ports[@]} < n)); do
            p=$((20000 + RANDOM % 12000))
            [[ " ${ports[*]} " == *" $p "* ]] && continue
            port_open "$p" && continue
            ports+=("$p")
        done
        echo "${ports[*]}"
    fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# Kafka cluster ids are 16 random bytes in unpadded url-safe base64; Kafka's own
# generator avoids a leading '-', which would read as a command-line flag.
random_cluster_id() {
    local id
    while :; do
        id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
        [[ $id != -* ]] && { echo "$id"; return; }
    done
}

default_name() {
    case $1 in
    1) echo single ;;
    3) echo triple ;;
    *) echo "brokers$1" ;;
    esac
}

valid_name() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "invalid cluster name '$1' (use letters, digits, . _ -)"; }

# Value of KEY in a KEY=VALUE file, empty if absent.
kv() { sed -n "s/^$2=//p" "$1" 2>/dev/null | tail -n1; }

# Alive and not a zombie (a zombie still answers kill -0).
pid_running() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# Is the node's PID a live broker JVM of this node dir? (Guards against PID reuse.)
node_alive() {
    local node=$1 pid
    pid=$(cat "$node/pid" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    pid_running "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$node/server.properties"
}

node_dirs() { compgen -G "$1/node-*" | sort -V || true; }

all_nodes_alive() {
    local dir=$1 node any=1
    for node in $(node_dirs "$dir"); do
        node_alive "$node" || return 1
        any=0
    done
    return $any
}

# Number of live (unfenced) brokers a metadata request to BOOTSTRAP reports.
metadata_broker_count() {
    local bootstrap=$1 out
    if command -v kcat >/dev/null 2>&1; then
        out=$(timeout 15 kcat -b "$bootstrap" -L -m 5 -t __kscope_probe 2>/dev/null) || true
        sed -n 's/^ *\([0-9][0-9]*\) brokers:.*/\1/p' <<<"$out" | head -n1
    else
        set_tool_cmd "$QUICK_JVM"
        out=$(timeout 30 "${TOOL_CMD[@]}" org.apache.kafka.tools.BrokerApiVersionsCommand \
            --bootstrap-server "$bootstrap" 2>/dev/null) || true
        grep -c '(id: ' <<<"$out" || true
    fi
}

# Number of brokers that answer ApiVersions through BOOTSTRAP and are not fenced. Unlike
# metadata_broker_count this does not count a broker that was killed a moment ago (the
# cluster lists it until its session times out, but it does not answer).
live_broker_count() {
    local bootstrap=$1 out
    set_tool_cmd "$QUICK_JVM"
    out=$(timeout 30 "${TOOL_CMD[@]}" org.apache.kafka.tools.BrokerApiVersionsCommand \
        --bootstrap-server "$bootstrap" 2>/dev/null) || true
    grep '(id: ' <<<"$out" | grep -v -e '-> ERROR' -e 'isFenced: true' | grep -c . || true
}

# Full-stack check of the secure listener: TLS against our CA (with hostname check) and a
# SCRAM login, done with the Java client. Not kcat: librdkafka before 2.6.1 (Debian 12 ships
# 2.0.2) builds a wrong SCRAM client-final nonce that Kafka 4.x rejects as invalid credentials.
secure_listener_ok() {
    local envf=$1 out
    set_tool_cmd "$QUICK_JVM"
    out=$(timeout 60 "${TOOL_CMD[@]}" org.apache.kafka.tools.BrokerApiVersionsCommand \
        --bootstrap-server "$(kv "$envf" KSCOPE_TEST_SECURE_BOOTSTRAP)" \
        --command-config "$(kv "$envf" KSCOPE_TEST_CLIENT_PROPERTIES)" 2>&1) || true
    grep -q '(id: ' <<<"$out"
}

# Running = env written, every node's JVM alive and the bootstrap answering with all brokers.
cluster_healthy() {
    local dir=$1 envf=$1/env
    [[ -f $envf ]] || return 1
    all_nodes_alive "$dir" || return 1
    [[ $(kv "$envf" KSCOPE_TEST_OAUTH) != 1 ]] || issuer_alive "$dir" || return 1
    [[ $(metadata_broker_count "$(kv "$envf" KSCOPE_TEST_BOOTSTRAP)") == "$(kv "$envf" KSCOPE_TEST_BROKERS)" ]]
}

# Cheap variant for `status`: JVMs alive and plaintext ports accepting connections.
cluster_up() {
    local dir=$1 envf=$1/env hp hps
    [[ -f $envf ]] || return 1
    all_nodes_alive "$dir" || return 1
    IFS=, read -ra hps <<<"$(kv "$envf" KSCOPE_TEST_BOOTSTRAP)"
    for hp in "${hps[@]}"; do port_open "${hp##*:}" || return 1; done
}

lock_cluster() {
    mkdir -p "$1"
    exec 9>"$1/lock"
    flock -w $((START_TIMEOUT + STOP_TIMEOUT + 60)) 9 || die "timed out waiting for the lock on $1 (another start/stop running?)"
}

# SIGTERM every node, give them STOP_TIMEOUT seconds, then SIGKILL.
kill_nodes() {
    local dir=$1 node pid pids=()
    for node in $(node_dirs "$dir"); do
        node_alive "$node" && pids+=("$(cat "$node/pid")")
    done
    ((${#pids[@]})) || return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT)) left
    while :; do
        left=()
        for pid in "${pids[@]}"; do pid_running "$pid" && left+=("$pid"); done
        ((${#left[@]})) || return 0
        ((SECONDS < deadline)) || break
        sleep 0.2
    done
    say "node(s) ${left[*]} ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "${left[@]}" 2>/dev/null || true
    for pid in "${left[@]}"; do
        while pid_running "$pid"; do sleep 0.1; done
    done
}

# Clusters are disposable: drop nodes, data and env, keep tls/ so the CA (and the
# ca.pem path handed to clients) stays the same across restarts.
wipe_cluster() {
    local dir=$1
    kill_issuer "$dir"
    rm -rf "$dir"/node-* "$dir/env" "$dir/client-secure.properties" "$dir/jvm-opts" "$dir/oauth"
}

# ---------------------------------------------------------------------------------
# OAuth: the token issuer of `start --oauth` (tests/auth/issuer.py)
# ---------------------------------------------------------------------------------

# A python with tests/auth/requirements.txt, in a cached virtualenv; prints its path.
cmd_auth_pyenv() {
    local req=$REPO_ROOT/tests/auth/requirements.txt digest venv
    digest=$(sha256sum "$req" | cut -c1-12)
    venv=$CACHE_ROOT/py-auth-$digest
    mkdir -p "$CACHE_ROOT"
    exec 7>"$CACHE_ROOT/auth-pyenv.lock"
    flock -w 900 7 || die "timed out waiting for another auth-pyenv install"
    if [[ ! -f $venv/.complete ]]; then
        command -v python3 >/dev/null 2>&1 || die "python3 not found"
        say "installing $req into $venv ..."
        rm -rf "$venv"
        python3 -m venv "$venv" >&2 || die "python3 -m venv failed (apt-get install -y python3-venv)"
        "$venv/bin/pip" install -q -r "$req" >&2 || die "pip could not install $req"
        date -u +%FT%TZ >"$venv/.complete"
    fi
    flock -u 7
    exec 7>&-
    echo "$venv/bin/python"
}

issuer_alive() {
    local pid
    pid=$(cat "$1/oauth/pid" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] && pid_running "$pid" &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$1/oauth"
}

kill_issuer() {
    local dir=$1 pid i
    issuer_alive "$dir" || return 0
    pid=$(cat "$dir/oauth/pid")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do pid_running "$pid" || return 0; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
}

# Starts the issuer of the cluster in DIR (again, on the port and with the secrets it had)
# and waits until it answers.
ensure_issuer() {
    local dir=$1 o=$1/oauth
    issuer_alive "$dir" && return 0
    [[ -f $o/port && -f $o/clients ]] || die "cluster in $dir lost its OAuth issuer state ($o); stop it and start it again"
    local python port client rogue i
    python=$(cmd_auth_pyenv)
    port=$(cat "$o/port")
    read -r client rogue <"$o/clients"
    port_open "$port" && die "cannot start the OAuth issuer: port $port is taken by another process"
    rm -f "$o/pid"
    # shellcheck disable=SC2016 # $$ and $0 are for the inner bash
    nohup setsid bash -c 'echo $$ >"$0/pid"; exec "$@"' "$o" \
        "$python" "$REPO_ROOT/tests/auth/issuer.py" --port "$port" --state "$o" \
        --client "$client" --rogue "$rogue" </dev/null >"$o/issuer.log" 2>&1 7>&- 8>&- 9>&- &
    for ((i = 0; i < 200; i++)); do
        port_open "$port" && issuer_alive "$dir" && return 0
        [[ -s $o/pid ]] && ! pid_running "$(cat "$o/pid")" && break
        sleep 0.05
    done
    tail -n 20 "$o/issuer.log" >&2 2>/dev/null || true
    die "the OAuth issuer did not start (log: $o/issuer.log)"
}

# ---------------------------------------------------------------------------------
# TLS: a throw-away CA and one broker key pair shared by all nodes of the cluster
# ---------------------------------------------------------------------------------

ensure_tls() {
    local tls=$1/tls
    [[ -f $tls/.complete ]] && return 0
    say "creating throw-away CA and broker keystore in $tls"
    rm -rf "$tls"
    mkdir -p "$tls"
    local pass
    pass=$(random_hex 16)
    echo "$pass" >"$tls/store-password"
    local ks=(-storetype PKCS12 -storepass "$pass" -keypass "$pass")
    kt() { keytool "$@" >>"$tls/keytool.log" 2>&1 || die "keytool $1 failed (see $tls/keytool.log)"; }

    kt -genkeypair -alias ca -keyalg RSA -keysize 2048 -validity 3650 \
        -dname "CN=kscope test CA" -ext bc:c -keystore "$tls/ca.p12" "${ks[@]}"
    kt -exportcert -rfc -alias ca -keystore "$tls/ca.p12" "${ks[@]}" -file "$tls/ca.pem"
    kt -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity 3650 \
        -dname "CN=localhost" -keystore "$tls/broker.p12" "${ks[@]}"
    # Clients verify the broker hostname by default (librdkafka and Java both use
    # ssl.endpoint.identification.algorithm=https): the advertised host is 127.0.0.1, so
    # the IP SAN is what matters; DNS:localhost is there for clients that use the name.
    kt -certreq -alias broker -keystore "$tls/broker.p12" "${ks[@]}" -file "$tls/broker.csr"
    kt -gencert -rfc -alias ca -keystore "$tls/ca.p12" "${ks[@]}" -validity 3650 \
        -infile "$tls/broker.csr" -outfile "$tls/broker.pem" \
        -ext "SAN=dns:localhost,ip:127.0.0.1" -ext "KU=digitalSignature,keyEncipherment" -ext "EKU=serverAuth"
    # The keystore must hold the chain: trust the CA first, then the signed reply replaces
    # the self-signed broker certificate.
    kt -importcert -noprompt -alias ca -file "$tls/ca.pem" -keystore "$tls/broker.p12" "${ks[@]}"
    kt -importcert -noprompt -alias broker -file "$tls/broker.pem" -keystore "$tls/broker.p12" "${ks[@]}"
    rm -f "$tls/broker.csr"
    touch "$tls/.complete" # last: a half-made tls/ is redone next time
}

# ---------------------------------------------------------------------------------
# start
# ---------------------------------------------------------------------------------

# Writes server.properties for every node of the cluster in DIR.
write_node_configs() {
    local dir=$1 n=$2 i
    local -n _plain=$3 _ctrl=$4 _sec=$5
    local oauth_listener=("${OAUTH_PORTS[@]}")
    local voters="" tls=$dir/tls pass
    pass=$(cat "$tls/store-password")
    for ((i = 1; i <= n; i++)); do voters+="${voters:+,}$i@127.0.0.1:${_ctrl[i - 1]}"; done
    local rf=$n min_isr=1
    ((n >= 3)) && min_isr=2
    for ((i = 1; i <= n; i++)); do
        local node=$dir/node-$i
        mkdir -p "$node/data"
        cat >"$node/server.properties" <<EOF
# Generated by scripts/kafka.sh - a disposable kscope test node.
node.id=$i
process.roles=broker,controller
# Static quorum: every node is a voter, so no --standalone/--initial-controllers at format time.
controller.quorum.voters=$voters
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:${_plain[i - 1]},CONTROLLER://127.0.0.1:${_ctrl[i - 1]},SASL_SSL://127.0.0.1:${_sec[i - 1]}${oauth_listener[i - 1]:+,OAUTH://127.0.0.1:${oauth_listener[i - 1]}}
advertised.listeners=PLAINTEXT://127.0.0.1:${_plain[i - 1]},SASL_SSL://127.0.0.1:${_sec[i - 1]}${oauth_listener[i - 1]:+,OAUTH://127.0.0.1:${oauth_listener[i - 1]}}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL${OAUTH_JWKS:+,OAUTH:SASL_PLAINTEXT}
inter.broker.listener.name=PLAINTEXT
log.dirs=$node/data

# SASL_SSL: SCRAM-SHA-512 users live in the KRaft metadata (added at format time).
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls/broker.p12
ssl.keystore.password=$pass
ssl.key.password=$pass
ssl.client.auth=none

# Test-friendly topic and group defaults.
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=1
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$min_isr
transaction.state.log.num.partitions=5
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$min_isr
share.coordinator.state.topic.num.partitions=5
group.initial.rebalance.delay.ms=0

# Small footprint on a 2-core box; faster unfencing after start.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.dedupe.buffer.size=16777216
broker.heartbeat.interval.ms=500
EOF
        if [[ -n $OAUTH_JWKS ]]; then
            cat >>"$node/server.properties" <<EOF

# OAUTH: OAUTHBEARER over SASL_PLAINTEXT; JWTs are checked against the issuer's JWKS.
listener.name.oauth.sasl.enabled.mechanisms=OAUTHBEARER
listener.name.oauth.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
listener.name.oauth.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
sasl.oauthbearer.jwks.endpoint.url=$OAUTH_JWKS
sasl.oauthbearer.expected.audience=kafka
sasl.oauthbearer.expected.issuer=kscope-test-issuer
EOF
        fi
        if ((${#BROKER_SETTINGS[@]})); then
            # Java properties: the last occurrence of a key wins.
            { echo; echo "# start --set"; printf '%s\n' "${BROKER_SETTINGS[@]}"; } >>"$node/server.properties"
        fi
    done
}

# Starts one node's JVM detached (own session, no inherited stdio or lock fd).
launch_node() {
    local node=$1 heap=$2
    rm -f "$node/pid"
    # shellcheck disable=SC2086,SC2016,SC2046 # heap and jvm-opts are lists of flags; $$ and $0 are for the inner bash
    nohup setsid bash -c 'echo $$ >"$0/pid"; exec java "$@"' "$node" \
        $heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
        -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
        -Dkafka.logs.dir="$node" -Dlog4j2.configurationFile="$KAFKA_HOME/config/broker-log4j2.xml" \
        $(cat "$(dirname "$node")/jvm-opts" 2>/dev/null || true) \
        -cp "$LIBS/*" kafka.Kafka "$node/server.properties" \
        </dev/null >"$node/stdout.log" 2>&1 8>&- 9>&- &
    local i
    for ((i = 0; i < 50; i++)); do [[ -s $node/pid ]] && return 0; sleep 0.05; done
    die "could not launch the broker JVM for $node"
}

print_log_tails() {
    local dir=$1 node
    for node in $(node_dirs "$dir"); do
        {
            echo "----- $node/server.log (tail) -----"
            tail -n 25 "$node/server.log" 2>/dev/null || true
            if [[ -s $node/stdout.log ]]; then
                echo "----- $node/stdout.log (tail) -----"
                tail -n 10 "$node/stdout.log"
            fi
        } >&2
    done
}

# Broker heap flags for a cluster of N nodes.
node_heap() {
    local n=$1 heap=${KSCOPE_KAFKA_HEAP_OPTS:-}
    if [[ -z $heap ]]; then
        heap="-Xmx512m -Xms256m"
        ((n >= 3)) && heap="-Xmx384m -Xms128m"
    fi
    echo "$heap"
}

# Rewrites KSCOPE_TEST_PIDS in the env file from the nodes' pid files (atomically).
update_env_pids() {
    local dir=$1 node pid_list=""
    for node in $(node_dirs "$dir"); do pid_list+="${pid_list:+,}$(cat "$node/pid" 2>/dev/null)"; done
    sed "s/^KSCOPE_TEST_PIDS=.*/KSCOPE_TEST_PIDS=$pid_list/" "$dir/env" >"$dir/env.tmp"
    mv -f "$dir/env.tmp" "$dir/env"
}

# Plaintext port of node I, from its server.properties.
node_plain_port() {
    sed -n 's/^listeners=PLAINTEXT:\/\/127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$1/server.properties"
}

# Starts the dead nodes of a cluster that was up once (or only node ONLY), with their data
# and ports, and waits until every running node answers. Dies with the reason if it cannot.
restart_dead_nodes() {
    local dir=$1 name=$2 only=${3:-} n i node started=()
    n=$(kv "$dir/env" KSCOPE_TEST_BROKERS)
    [[ $(kv "$dir/env" KSCOPE_TEST_OAUTH) != 1 ]] || ensure_issuer "$dir"
    for ((i = 1; i <= n; i++)); do
        [[ -z $only || $i == "$only" ]] || continue
        node=$dir/node-$i
        [[ -f $node/server.properties && -d $node/data ]] ||
            die "cluster '$name' lost node $i's config or data ($node); run: $0 stop --name $name"
        node_alive "$node" && continue
        local port
        port=$(node_plain_port "$node")
        if [[ -n $port ]] && port_open "$port"; then
            die "cannot restart node $i of cluster '$name': its port $port is taken by another process; run: $0 stop --name $name"
        fi
        launch_node "$node" "$(node_heap "$n")"
        started+=("$i")
    done
    ((${#started[@]})) && say "restarting node(s) ${started[*]} of cluster '$name'"
    update_env_pids "$dir"
    local bootstrap deadline=$((SECONDS + START_TIMEOUT))
    bootstrap=$(kv "$dir/env" KSCOPE_TEST_BOOTSTRAP)
    while ((SECONDS < deadline)); do
        for i in "${started[@]}"; do
            node=$dir/node-$i
            if ! node_alive "$node"; then
                print_log_tails "$dir"
                local why="it exited during start-up"
                grep -qs 'Address already in use' "$node/server.log" "$node/stdout.log" &&
                    why="one of its ports is taken by another process"
                die "cannot restart node $i of cluster '$name': $why (log: $node/server.log); run: $0 stop --name $name"
            fi
        done
        # Every node whose JVM runs must answer (nodes a test keeps down do not count).
        local running=0
        for ((i = 1; i <= n; i++)); do node_alive "$dir/node-$i" && running=$((running + 1)); done
        if [[ $(live_broker_count "$bootstrap") == "$running" ]]; then
            update_env_pids "$dir"
            return 0
        fi
        sleep 0.5
    done
    print_log_tails "$dir"
    die "cluster '$name' did not answer from all its running nodes within ${START_TIMEOUT}s after restarting node(s) ${started[*]:-none}; run: $0 stop --name $name"
}

# One attempt at bringing up a fresh cluster. Sets PORT_RACE=1 if a node lost a port
# race (the caller retries with new ports), dies on anything else. (No `|| rc=$?` at
# the call site: that would switch off `set -e` inside.)
start_attempt() {
    local dir=$1 n=$2 name=$3 i
    PORT_RACE=0
    local ports plain=() ctrl=() sec=() want=$((3 * n))
    ((OAUTH)) && want=$((4 * n + 1))
    read -ra ports <<<"$(free_ports "$want")"
    ((${#ports[@]} == want)) || die "could not find $want free loopback ports"
    OAUTH_PORTS=()
    OAUTH_JWKS=""
    for ((i = 0; i < n; i++)); do
        plain+=("${ports[3 * i]}")
        ctrl+=("${ports[3 * i + 1]}")
        sec+=("${ports[3 * i + 2]}")
        ((OAUTH)) && OAUTH_PORTS+=("${ports[3 * n + i]}")
    done
    if ((OAUTH)); then
        local issuer_port=${ports[4 * n]}
        mkdir -p "$dir/oauth"
        echo "$issuer_port" >"$dir/oauth/port"
        echo "kscope:$(random_hex 12) rogue:$(random_hex 12)" >"$dir/oauth/clients"
        OAUTH_JWKS=http://127.0.0.1:$issuer_port/jwks
        echo "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=$OAUTH_JWKS" >"$dir/jvm-opts"
        ensure_issuer "$dir"
    fi
    write_node_configs "$dir" "$n" plain ctrl sec

    local cluster_id password password2
    cluster_id=$(random_cluster_id)
    password=$(random_hex 12)
    password2=$(random_hex 12)
    # Format all nodes in parallel (one JVM each). The SCRAM user goes into the bootstrap
    # metadata, so it exists from the first moment the SASL_SSL listener accepts.
    local pids=() node
    set_tool_cmd "$QUICK_JVM"
    for ((i = 1; i <= n; i++)); do
        node=$dir/node-$i
        "${TOOL_CMD[@]}" kafka.tools.StorageTool format --config "$node/server.properties" \
            --cluster-id "$cluster_id" --add-scram "SCRAM-SHA-512=[name=$SCRAM_USER,password=$password]" \
            --add-scram "SCRAM-SHA-512=[name=$SCRAM_USER2,password=$password2]" \
            >"$node/format.log" 2>&1 8>&- 9>&- &
        pids+=($!)
    done
    for ((i = 1; i <= n; i++)); do
        wait "${pids[i - 1]}" || die "formatting $dir/node-$i failed: $(tail -n1 "$dir/node-$i/format.log")"
    done

    local heap
    heap=$(node_heap "$n")
    for ((i = 1; i <= n; i++)); do launch_node "$dir/node-$i" "$heap"; done

    local bootstrap="" secure="" controllers="" node_pids=""
    for ((i = 0; i < n; i++)); do
        bootstrap+="${bootstrap:+,}127.0.0.1:${plain[i]}"
        secure+="${secure:+,}127.0.0.1:${sec[i]}"
        controllers+="${controllers:+,}127.0.0.1:${ctrl[i]}"
        node_pids+="${node_pids:+,}$(cat "$dir/node-$((i + 1))/pid")"
    done

    # Wait: cheap port probes first, then metadata requests until all N brokers are
    # registered and unfenced (metadata lists only live brokers).
    local deadline=$((SECONDS + START_TIMEOUT)) ready=0 p
    while ((SECONDS < deadline)); do
        for ((i = 1; i <= n; i++)); do
            if ! node_alive "$dir/node-$i"; then
                if grep -qs 'Address already in use' "$dir/node-$i/server.log" "$dir/node-$i/stdout.log"; then
                    say "node $i lost a port race; retrying with new ports"
                    PORT_RACE=1
                    return 0
                fi
                print_log_tails "$dir"
                kill_nodes "$dir"
                die "kafka node $i of cluster '$name' exited during start-up (log: $dir/node-$i/server.log)"
            fi
        done
        local all_open=1
        for p in "${plain[@]}" "${sec[@]}"; do port_open "$p" || { all_open=0; break; }; done
        if ((all_open)) && [[ $(metadata_broker_count "$bootstrap") == "$n" ]]; then
            ready=1
            break
        fi
        sleep 0.5
    done
    if ((!ready)); then
        print_log_tails "$dir"
        kill_nodes "$dir"
        die "kafka cluster '$name' did not answer with $n broker(s) within ${START_TIMEOUT}s (logs: $dir/node-*/server.log)"
    fi

    # Java clients (kafka.sh tool ... --command-config) for the secure listener.
    cat >"$dir/client-secure.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$SCRAM_USER" password="$password";
ssl.truststore.type=PEM
ssl.truststore.location=$dir/tls/ca.pem
EOF
    # Written last and atomically: an env file means the cluster was up.
    cat >"$dir/env.tmp" <<EOF
KSCOPE_TEST_CLUSTER=$name
KSCOPE_TEST_BROKERS=$n
KSCOPE_TEST_BOOTSTRAP=$bootstrap
KSCOPE_TEST_SECURE_BOOTSTRAP=$secure
KSCOPE_TEST_CONTROLLERS=$controllers
KSCOPE_TEST_CA=$dir/tls/ca.pem
KSCOPE_TEST_SCRAM_MECHANISM=SCRAM-SHA-512
KSCOPE_TEST_SCRAM_USER=$SCRAM_USER
KSCOPE_TEST_SCRAM_PASSWORD=$password
KSCOPE_TEST_SCRAM_USER2=$SCRAM_USER2
KSCOPE_TEST_SCRAM_PASSWORD2=$password2
KSCOPE_TEST_CLIENT_PROPERTIES=$dir/client-secure.properties
KSCOPE_TEST_CLUSTER_ID=$cluster_id
KSCOPE_TEST_PIDS=$node_pids
KSCOPE_TEST_CLUSTER_DIR=$dir
KSCOPE_KAFKA_LIBS=$LIBS
KSCOPE_KAFKA_VERSION=$KAFKA_VERSION
KSCOPE_TEST_BROKER_SETTINGS=${BROKER_SETTINGS[*]}
KSCOPE_TEST_OAUTH=$OAUTH
EOF
    if ((OAUTH)); then
        local oauth_bootstrap="" p client rogue
        for p in "${OAUTH_PORTS[@]}"; do oauth_bootstrap+="${oauth_bootstrap:+,}127.0.0.1:$p"; done
        read -r client rogue <"$dir/oauth/clients"
        cat >>"$dir/env.tmp" <<EOF
KSCOPE_TEST_OAUTH_BOOTSTRAP=$oauth_bootstrap
KSCOPE_TEST_OAUTH_TOKEN_URL=http://127.0.0.1:$(cat "$dir/oauth/port")/token
KSCOPE_TEST_OAUTH_JWKS_URL=$OAUTH_JWKS
KSCOPE_TEST_OAUTH_CLIENT_ID=${client%%:*}
KSCOPE_TEST_OAUTH_CLIENT_SECRET=${client#*:}
KSCOPE_TEST_OAUTH_ROGUE_ID=${rogue%%:*}
KSCOPE_TEST_OAUTH_ROGUE_SECRET=${rogue#*:}
EOF
        for p in "${OAUTH_PORTS[@]}"; do
            if ! port_open "$p"; then
                print_log_tails "$dir"
                kill_nodes "$dir"
                die "kafka cluster '$name' is up but its OAUTH listener on $p is not"
            fi
        done
    fi
    if ! secure_listener_ok "$dir/env.tmp"; then
        print_log_tails "$dir"
        kill_nodes "$dir"
        die "kafka cluster '$name' is up but a SCRAM login over SASL_SSL on $secure failed"
    fi
    mv -f "$dir/env.tmp" "$dir/env"
}

# Broker properties from `start --set KEY=VALUE`, in the order given.
BROKER_SETTINGS=()
# `start --oauth`: the OAUTH listener's ports (one per node) and the issuer's JWKS URL.
OAUTH=0
OAUTH_PORTS=()
OAUTH_JWKS=""

add_broker_setting() {
    [[ $1 =~ ^[A-Za-z0-9._-]+=[^[:space:]]*$ ]] ||
        die "--set needs KEY=VALUE (a broker property, no spaces), got '$1'"
    BROKER_SETTINGS+=("$1")
}

cmd_start() {
    local n="" name=""
    while (($#)); do
        case $1 in
        --brokers) n=${2:-}; shift 2 || die "--brokers needs a number" ;;
        --brokers=*) n=${1#*=}; shift ;;
        --name) name=${2:-}; shift 2 || die "--name needs a value" ;;
        --name=*) name=${1#*=}; shift ;;
        --set) add_broker_setting "${2:-}"; shift 2 || die "--set needs KEY=VALUE" ;;
        --set=*) add_broker_setting "${1#*=}"; shift ;;
        --oauth) OAUTH=1; shift ;;
        --authorizer)
            add_broker_setting "authorizer.class.name=$AUTHORIZER"
            add_broker_setting "super.users=User:ANONYMOUS;User:$SCRAM_USER"
            shift
            ;;
        *) die "start: unknown argument '$1' (usage: start [--brokers N] [--name NAME] [--set KEY=VALUE]... [--oauth] [--authorizer])" ;;
        esac
    done
    local settings="${BROKER_SETTINGS[*]}"
    [[ -z $n || $n =~ ^[1-9]$ ]] || die "--brokers must be 1..9, got '$n'"
    if [[ -z $name ]]; then name=$(default_name "${n:-1}"); fi
    valid_name "$name"
    if [[ -z $n ]]; then
        case $name in triple) n=3 ;; *) n=1 ;; esac
    fi

    ensure_installed
    local dir=$STATE_ROOT/$name
    lock_cluster "$dir"

    if cluster_healthy "$dir"; then
        local running
        running=$(kv "$dir/env" KSCOPE_TEST_BROKERS)
        [[ $running == "$n" ]] ||
            die "cluster '$name' is already running with $running broker(s), not $n; stop it first"
        local running_settings
        running_settings=$(kv "$dir/env" KSCOPE_TEST_BROKER_SETTINGS)
        [[ $running_settings == "$settings" ]] ||
            die "cluster '$name' is already running with broker settings '${running_settings}', not '${settings}'; stop it first"
        [[ $(kv "$dir/env" KSCOPE_TEST_OAUTH) == "$OAUTH" || (-z $(kv "$dir/env" KSCOPE_TEST_OAUTH) && $OAUTH == 0) ]] ||
            die "cluster '$name' is already running with a different --oauth setting; stop it first"
        say "cluster '$name' already running"
        cat "$dir/env"
        return 0
    fi
    if [[ -f $dir/env ]] && compgen -G "$dir/node-*" >/dev/null; then
        # It came up once: never wipe it (a test may have killed a node on purpose).
        local running
        running=$(kv "$dir/env" KSCOPE_TEST_BROKERS)
        [[ $running == "$n" ]] ||
            die "cluster '$name' exists with $running broker(s), not $n; stop it first"
        restart_dead_nodes "$dir" "$name"
        say "cluster '$name' running again"
        cat "$dir/env"
        return 0
    fi
    if compgen -G "$dir/node-*" >/dev/null; then
        say "cluster '$name' has state from a start that never finished; cleaning up"
        kill_nodes "$dir"
    fi
    wipe_cluster "$dir"
    ensure_tls "$dir"

    say "starting cluster '$name' with $n broker(s) in $dir ..."
    local t0=$SECONDS attempt
    for attempt in 1 2 3; do
        start_attempt "$dir" "$n" "$name"
        ((PORT_RACE)) || break
        kill_nodes "$dir"
        wipe_cluster "$dir"
        ((attempt < 3)) || die "kafka cluster '$name' kept losing port races; giving up"
    done
    say "cluster '$name' up in $((SECONDS - t0))s"
    cat "$dir/env"
}

# ---------------------------------------------------------------------------------
# stop / status / env / tool
# ---------------------------------------------------------------------------------

parse_name_arg() { # prints NAME from [--name NAME], default `single`
    local name=single
    while (($#)); do
        case $1 in
        --name) name=${2:-}; shift 2 || die "--name needs a value" ;;
        --name=*) name=${1#*=}; shift ;;
        *) die "unknown argument '$1' (expected --name NAME)" ;;
        esac
    done
    valid_name "$name"
    echo "$name"
}

stop_one() {
    local dir=$STATE_ROOT/$1
    [[ -d $dir ]] || { say "cluster '$1' is not running"; return 0; }
    lock_cluster "$dir"
    kill_nodes "$dir"
    wipe_cluster "$dir"
    flock -u 9
    say "cluster '$1' stopped"
}

cmd_stop() {
    if [[ ${1:-} == --all ]]; then
        (($# == 1)) || die "stop: --all takes no other arguments"
        local d
        for d in "$STATE_ROOT"/*/; do
            [[ -d $d ]] && stop_one "$(basename "$d")"
        done
        return 0
    fi
    stop_one "$(parse_name_arg "$@")"
}

cmd_status() {
    local name dir
    name=$(parse_name_arg "$@")
    dir=$STATE_ROOT/$name
    if cluster_up "$dir"; then
        echo "running: $name"
        cat "$dir/env"
        return 0
    fi
    echo "stopped: $name"
    exit 3
}

cmd_env() {
    local name dir
    name=$(parse_name_arg "$@")
    dir=$STATE_ROOT/$name
    [[ -f $dir/env ]] || die "cluster '$name' has no env file (not started? run: scripts/kafka.sh start --name $name)"
    cat "$dir/env"
}

# Node number N of the cluster in DIR, checked.
check_node() {
    local dir=$1 name=$2 i=$3
    [[ $i =~ ^[1-9]$ ]] || die "node must be a number 1..9, got '$i'"
    [[ -f $dir/env ]] || die "cluster '$name' is not running (no env file; start it first)"
    [[ -d $dir/node-$i ]] || die "cluster '$name' has no node $i (it has $(kv "$dir/env" KSCOPE_TEST_BROKERS))"
}

parse_node_args() { # sets NODE and NAME from N [--name NAME]
    NODE="" NAME=""
    while (($#)); do
        case $1 in
        --name) NAME=${2:-}; shift 2 || die "--name needs a value" ;;
        --name=*) NAME=${1#*=}; shift ;;
        -*) die "unknown argument '$1' (usage: $CMD N [--name NAME])" ;;
        *) [[ -z $NODE ]] || die "$CMD takes one node number, got '$NODE' and '$1'"; NODE=$1; shift ;;
        esac
    done
    [[ -n $NODE ]] || die "$CMD: missing node number (usage: $CMD N [--name NAME])"
    NAME=${NAME:-single}
    valid_name "$NAME"
}

cmd_kill_node() {
    CMD=kill-node parse_node_args "$@"
    local dir=$STATE_ROOT/$NAME node pid
    check_node "$dir" "$NAME" "$NODE"
    lock_cluster "$dir"
    node=$dir/node-$NODE
    node_alive "$node" || die "node $NODE of cluster '$NAME' is not running"
    pid=$(cat "$node/pid")
    kill -KILL "$pid"
    while pid_running "$pid"; do sleep 0.05; done
    flock -u 9
    say "node $NODE of cluster '$NAME' killed (pid $pid)"
}

cmd_restart_node() {
    CMD=restart-node parse_node_args "$@"
    local dir=$STATE_ROOT/$NAME
    check_node "$dir" "$NAME" "$NODE"
    ensure_installed
    lock_cluster "$dir"
    node_alive "$dir/node-$NODE" && die "node $NODE of cluster '$NAME' is already running"
    local t0=$SECONDS
    restart_dead_nodes "$dir" "$NAME" "$NODE"
    flock -u 9
    say "node $NODE of cluster '$NAME' back in $((SECONDS - t0))s (pid $(cat "$dir/node-$NODE/pid"))"
}

tool_class() {
    case $1 in
    topics) echo org.apache.kafka.tools.TopicCommand ;;
    consumer-groups) echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    share-groups) echo org.apache.kafka.tools.consumer.group.ShareGroupCommand ;;
    groups) echo org.apache.kafka.tools.GroupsCommand ;;
    console-producer) echo org.apache.kafka.tools.ConsoleProducer ;;
    console-consumer) echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    producer-perf-test) echo org.apache.kafka.tools.ProducerPerformance ;;
    consumer-perf-test) echo org.apache.kafka.tools.ConsumerPerformance ;;
    configs) echo kafka.admin.ConfigCommand ;;
    broker-api-versions) echo org.apache.kafka.tools.BrokerApiVersionsCommand ;;
    metadata-quorum) echo org.apache.kafka.tools.MetadataQuorumCommand ;;
    get-offsets) echo org.apache.kafka.tools.GetOffsetShell ;;
    transactions) echo org.apache.kafka.tools.TransactionsCommand ;;
    delete-records) echo org.apache.kafka.tools.DeleteRecordsCommand ;;
    log-dirs) echo org.apache.kafka.tools.LogDirsCommand ;;
    acls) echo org.apache.kafka.tools.AclCommand ;;
    features) echo org.apache.kafka.tools.FeatureCommand ;;
    leader-election) echo org.apache.kafka.tools.LeaderElectionCommand ;;
    reassign-partitions) echo org.apache.kafka.tools.reassign.ReassignPartitionsCommand ;;
    cluster) echo org.apache.kafka.tools.ClusterTool ;;
    storage) echo kafka.tools.StorageTool ;;
    *.*) echo "$1" ;;
    *) die "unknown tool '$1' (see the alias list at the top of scripts/kafka.sh, or pass a full class name)" ;;
    esac
}

cmd_tool() {
    (($#)) || die "tool: missing tool alias or class name"
    local class
    class=$(tool_class "$1")
    shift
    ensure_installed
    set_tool_cmd
    # exec: exit code, stdin and stdout pass straight through (console tools, pipes).
    exec "${TOOL_CMD[@]}" "$class" "$@"
}

main() {
    local cmd=${1:-}
    (($#)) && shift
    case $cmd in
    install) (($# == 0)) || die "install takes no arguments"; cmd_install ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    kill-node) cmd_kill_node "$@" ;;
    restart-node) cmd_restart_node "$@" ;;
    env) cmd_env "$@" ;;
    tool) cmd_tool "$@" ;;
    auth-pyenv) (($# == 0)) || die "auth-pyenv takes no arguments"; cmd_auth_pyenv ;;
    -h | --help | help) sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" ;;
    "") die "missing command (install|start|stop|status|kill-node|restart-node|env|tool); see --help" ;;
    *) die "unknown command '$cmd' (install|start|stop|status|kill-node|restart-node|env|tool); see --help" ;;
    esac
}

main "$@"
