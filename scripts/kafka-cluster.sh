#!/usr/bin/env bash
# A local replicated Kafka cluster beside the single broker: three KRaft nodes (each a broker and a
# controller, node ids 1..3, a 3-voter quorum) from the jars scripts/infra.sh assembles, with
# default.replication.factor=3 and min.insync.replicas=2 (infra/kafka/cluster-node.properties).
#   bash scripts/kafka-cluster.sh up       idempotent: starts the nodes not running, waits until all three
#                                          serve, creates the project's topics at RF 3, prints KAFKA_BROKERS=…
#   bash scripts/kafka-cluster.sh down     stops the nodes this script started (idempotent)
#   bash scripts/kafka-cluster.sh status   each node's state; exits 1 unless all three run
# Node n listens on base+2(n-1) for clients and the next port for its controller; the base is
# KAFKA_CLUSTER_BASE_PORT (19092): 19092/19093, 19094/19095, 19096/19097. State, data and logs are under
# KAFKA_CLUSTER_DIR (.kafka/cluster). Progress goes to stderr; stdout carries only the KAFKA_BROKERS line,
# so `export "$(bash scripts/infra.sh cluster up)"` works.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
state="${KAFKA_CLUSTER_DIR:-$root/.kafka/cluster}"
libs="$root/.kafka/libs"
template="$root/infra/kafka/cluster-node.properties"
nodes=3
base_port="${KAFKA_CLUSTER_BASE_PORT:-19092}"
heap="${KAFKA_CLUSTER_HEAP:-384m}"
start_timeout_s=120

log() { printf '{"ts":"%s","component":"kafka-cluster","msg":"%s"}\n' "$(date -u +%FT%TZ)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
broker_port() { echo $((base_port + 2 * ($1 - 1))); }
controller_port() { echo $((base_port + 2 * ($1 - 1) + 1)); }
node_dir() { echo "$state/node-$1"; }

brokers_string() {
  local n s=""
  for n in $(seq 1 "$nodes"); do s="${s:+$s,}127.0.0.1:$(broker_port "$n")"; done
  echo "$s"
}

voters() {
  local n s=""
  for n in $(seq 1 "$nodes"); do s="${s:+$s,}$n@127.0.0.1:$(controller_port "$n")"; done
  echo "$s"
}

# The pid of node n's JVM if it runs (checked against its command line: a pid file can outlive its
# process and the pid be reused), else nothing; never fails.
node_pid() {
  local file pid
  file="$(node_dir "$1")/kafka.pid"
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$(node_dir "$1")/server.properties"; then
    echo "$pid"
  fi
}

java_opts() {
  echo "-Xms128m -Xmx$heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Dlog4j.configuration=file:$root/infra/kafka/log4j.properties"
}

ensure_jars() {
  [ -f "$libs/.version" ] && return
  log "Kafka jars missing in $libs: assembling them (scripts/infra.sh assemble)"
  bash "$root/scripts/infra.sh" assemble >&2 || die "could not assemble the Kafka jars; run bash scripts/infra.sh up"
}

write_props() {
  local n="$1" dir
  dir="$(node_dir "$n")"
  mkdir -p "$dir/data" "$dir/logs"
  sed -e "s|@NODE_ID@|$n|g" -e "s|@VOTERS@|$(voters)|g" \
    -e "s|@BROKER_PORT@|$(broker_port "$n")|g" -e "s|@CONTROLLER_PORT@|$(controller_port "$n")|g" \
    -e "s|@LOG_DIR@|$dir/data|g" -e "s|@REPLICATION_FACTOR@|3|g" -e "s|@MIN_INSYNC_REPLICAS@|2|g" \
    "$template" > "$dir/server.properties"
}

# Every node gets the same cluster id, kept in $state/cluster.id; a node is formatted once.
format_nodes() {
  local id_file="$state/cluster.id" cluster_id n dir pids=()
  if [ ! -f "$id_file" ]; then
    # A Kafka Uuid: 16 random bytes in unpadded base64url, never starting with '-' (it would read as an option).
    until cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)" && [ "${cluster_id#-}" = "$cluster_id" ]; do :; done
    echo "$cluster_id" > "$id_file"
  fi
  cluster_id="$(cat "$id_file")"
  for n in "$@"; do
    dir="$(node_dir "$n")"
    [ -f "$dir/data/meta.properties" ] && continue
    log "formatting node $n's storage in $dir/data (cluster $cluster_id)"
    # shellcheck disable=SC2046 # java_opts is a list of options
    java $(java_opts) -Dkafka.logs.dir="$dir/logs" -cp "$libs/*" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$dir/server.properties" > "$dir/logs/format.log" 2>&1 &
    pids+=("$!")
  done
  for n in "${pids[@]}"; do wait "$n" || die "formatting failed; see $state/node-*/logs/format.log"; done
}

start_node() {
  local n="$1" dir
  dir="$(node_dir "$n")"
  # The wait below reads server.log from here on (a restarted node appends to it).
  stat -c %s "$dir/logs/server.log" 2>/dev/null > "$dir/logs/.start-offset" || echo 0 > "$dir/logs/.start-offset"
  # shellcheck disable=SC2046 # java_opts is a list of options
  nohup java $(java_opts) -Dkafka.logs.dir="$dir/logs" -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
    >> "$dir/logs/stdout.log" 2>&1 &
  echo $! > "$dir/kafka.pid"
  log "started node $n (pid $!, 127.0.0.1:$(broker_port "$n"), controller $(controller_port "$n"))"
}

started_since_launch() {
  local dir offset
  dir="$(node_dir "$1")"
  offset="$(cat "$dir/logs/.start-offset" 2>/dev/null || echo 0)"
  tail -c +"$((offset + 1))" "$dir/logs/server.log" 2>/dev/null | grep -q 'Kafka Server started'
}

wait_for_nodes() {
  local waited=0 n pending
  for (( ; ; )); do
    pending=()
    for n in "$@"; do
      if [ -z "$(node_pid "$n")" ]; then
        tail -n 30 "$(node_dir "$n")/logs/stdout.log" "$(node_dir "$n")/logs/server.log" >&2 2>/dev/null || true
        die "node $n exited during start-up; see $(node_dir "$n")/logs"
      fi
      started_since_launch "$n" && port_open "$(broker_port "$n")" || pending+=("$n")
    done
    [ "${#pending[@]}" -eq 0 ] && return
    [ "$waited" -lt "$start_timeout_s" ] || die "node(s) ${pending[*]} not serving after ${start_timeout_s} s; see $state/node-*/logs/server.log"
    [ $((waited % 10)) -eq 0 ] && [ "$waited" -gt 0 ] && log "waiting for node(s) ${pending[*]} ($waited s)"
    sleep 1; waited=$((waited + 1))
  done
}

# Asks the cluster itself (kafkajs) which brokers it counts; prints their ids, or fails.
registered_brokers() {
  (cd "$root" && KAFKA_BROKERS="$(brokers_string)" node -e '
    const { Kafka, logLevel } = require("kafkajs");
    const admin = new Kafka({ clientId: "vowchat-cluster-check", brokers: process.env.KAFKA_BROKERS.split(","), logLevel: logLevel.NOTHING }).admin();
    admin.connect()
      .then(() => admin.describeCluster())
      .then((c) => { console.log(c.brokers.map((b) => b.nodeId).sort().join(" ")); return admin.disconnect(); })
      .catch((e) => { console.error(e.message); process.exit(1); });')
}

cluster_up() {
  local n to_start=() port
  ensure_jars
  mkdir -p "$state"
  for n in $(seq 1 "$nodes"); do
    if [ -n "$(node_pid "$n")" ]; then continue; fi
    for port in "$(broker_port "$n")" "$(controller_port "$n")"; do
      if port_open "$port"; then die "port $port (node $n) is already in use on 127.0.0.1 by a process this script did not start; free it or choose other ports with KAFKA_CLUSTER_BASE_PORT"; fi
    done
    to_start+=("$n")
  done
  if [ "${#to_start[@]}" -eq 0 ]; then
    log "all $nodes nodes already running"
  else
    for n in "${to_start[@]}"; do write_props "$n"; done
    format_nodes "${to_start[@]}"
    for n in "${to_start[@]}"; do start_node "$n"; done
    wait_for_nodes "${to_start[@]}"
  fi
  if [ -d "$root/node_modules" ]; then
    local waited=0 seen
    until seen="$(registered_brokers 2>/dev/null)" && [ "$seen" = "$(seq -s ' ' 1 "$nodes")" ]; do
      sleep 1; waited=$((waited + 1))
      [ "$waited" -lt 60 ] || die "the cluster counts brokers '${seen:-none}' after 60 s, not 1..$nodes; see $state/node-*/logs/server.log"
    done
    log "brokers $seen"
    KAFKA_BROKERS="$(brokers_string)" KAFKA_REPLICATION_FACTOR=3 node "$root/scripts/create-topics.js" >&2
  else
    log "node_modules missing: run npm ci, then this again, to create the project's topics at RF 3"
  fi
  log "cluster up: replication factor 3, min.insync.replicas 2; logs in $state/node-*/logs"
  echo "KAFKA_BROKERS=$(brokers_string)"
}

cluster_down() {
  local n pid pids=() waited=0
  for n in $(seq 1 "$nodes"); do
    pid="$(node_pid "$n")"
    if [ -n "$pid" ]; then
      log "stopping node $n (pid $pid)"
      kill -TERM "$pid"
      pids+=("$pid")
    fi
  done
  if [ "${#pids[@]}" -eq 0 ]; then log "no cluster node started by this script is running"; fi
  # The last node can wait for a quorum that is gone: a controlled shutdown gets 30 s, then SIGKILL.
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 30 ]; do sleep 1; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid still running after 30 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for n in $(seq 1 "$nodes"); do rm -f "$(node_dir "$n")/kafka.pid"; done
}

cluster_status() {
  local n pid running=0
  for n in $(seq 1 "$nodes"); do
    pid="$(node_pid "$n")"
    if [ -n "$pid" ]; then
      running=$((running + 1))
      log "node $n running (pid $pid) on 127.0.0.1:$(broker_port "$n"), controller $(controller_port "$n")"
    else
      log "node $n stopped (127.0.0.1:$(broker_port "$n"), controller $(controller_port "$n"))"
    fi
  done
  if [ "$running" -gt 0 ] && [ -d "$root/node_modules" ]; then
    log "brokers the cluster counts: $(registered_brokers 2>&1 || true)"
  fi
  echo "KAFKA_BROKERS=$(brokers_string)"
  [ "$running" -eq "$nodes" ]
}

case "${1:-}" in
  up) cluster_up ;;
  down) cluster_down ;;
  status) cluster_status ;;
  *) die "usage: kafka-cluster.sh up|down|status" ;;
esac
