#!/usr/bin/env bash
# Local infrastructure without Docker: a real Apache Kafka broker (KRaft, single node, 127.0.0.1:9092)
# assembled from Maven Central, and the project's database on the local PostgreSQL.
#   bash scripts/infra.sh up     idempotent: builds, formats, starts, waits, creates topics and database
#   bash scripts/infra.sh down   stops the broker this script started
#   bash scripts/infra.sh cluster up|down|status   a replicated three-node cluster on other ports
#                                (scripts/kafka-cluster.sh); the single broker is not touched
#   bash scripts/infra.sh assemble   only assembles the Kafka jars into .kafka/libs
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
state="$root/.kafka"
libs="$state/libs"
pidfile="$state/kafka.pid"
kafka_port=9092
pg_url_admin="${PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
db_name="${VOWCHAT_DB_NAME:-vowchat_webhooks}"

log() { printf '{"ts":"%s","component":"infra","msg":"%s"}\n' "$(date -u +%FT%TZ)" "$*"; }
die() { log "error: $*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

kafka_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$root/infra/kafka/pom.xml"; }

assemble_kafka() {
  local version stamp="$libs/.version"
  version="$(kafka_version)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ]; then return; fi
  command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install maven) and Java 17"
  log "assembling Apache Kafka $version from Maven Central (first run downloads ~100 MB)"
  rm -rf "$libs" && mkdir -p "$libs"
  mvn -B -q -f "$root/infra/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs" || die "mvn could not resolve kafka_2.13:$version"
  echo "$version" > "$stamp"
}

java_cmd() {
  java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Dlog4j.configuration="file:$root/infra/kafka/log4j.properties" -Dkafka.logs.dir="$state/logs" \
    -cp "$libs/*" "$@"
}

start_kafka() {
  if port_open "$kafka_port"; then log "kafka already listening on 127.0.0.1:$kafka_port"; return; fi
  assemble_kafka
  mkdir -p "$state/data" "$state/logs"
  local props="$state/server.properties"
  { cat "$root/infra/kafka/server.properties"; echo "log.dirs=$state/data"; } > "$props"
  if [ ! -f "$state/data/meta.properties" ]; then
    log "formatting KRaft storage in $state/data"
    local cluster_id
    cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid | tail -n 1)"
    java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$props" --ignore-formatted >/dev/null
  fi
  log "starting kafka broker"
  nohup bash -c "$(declare -f java_cmd); root='$root' state='$state' libs='$libs'; java_cmd kafka.Kafka '$props'" \
    > "$state/logs/stdout.log" 2>&1 &
  echo $! > "$pidfile"
  local waited=0
  until port_open "$kafka_port"; do
    sleep 1; waited=$((waited + 1))
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { tail -n 30 "$state/logs/stdout.log" "$state/logs/server.log" 2>/dev/null; die "kafka exited during start-up; see $state/logs"; }
    [ $((waited % 10)) -eq 0 ] && log "waiting for kafka ($waited s)"
    [ "$waited" -lt 120 ] || die "kafka did not open 127.0.0.1:$kafka_port in 120 s; see $state/logs/server.log"
  done
  log "kafka up on 127.0.0.1:$kafka_port after ${waited}s"
}

start_postgres() {
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then return; fi
  log "postgres is down: starting the local cluster"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || die "could not start postgres; start it and retry"
  local waited=0
  until pg_isready -h 127.0.0.1 -p 5432 -q; do
    sleep 1; waited=$((waited + 1)); [ "$waited" -lt 30 ] || die "postgres not ready after 30 s"
  done
}

create_database() {
  if [ "$(psql "$pg_url_admin" -tAc "select 1 from pg_database where datname = '$db_name'")" != "1" ]; then
    log "creating database $db_name"
    psql "$pg_url_admin" -qc "create database \"$db_name\"" || die "could not create database $db_name"
  fi
}

stop_kafka() {
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    local pid; pid="$(cat "$pidfile")"
    log "stopping kafka (pid $pid)"
    pkill -TERM -P "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do port_open "$kafka_port" || break; sleep 1; done
    pkill -KILL -P "$pid" 2>/dev/null || true
  else
    log "no kafka started by this script is running"
  fi
  rm -f "$pidfile"
}

case "${1:-up}" in
  up)
    start_postgres
    create_database
    start_kafka
    [ -d "$root/node_modules" ] || die "run npm ci first (topics are created with kafkajs)"
    node "$root/scripts/create-topics.js"
    ;;
  down) stop_kafka ;;
  assemble) assemble_kafka ;;
  cluster) shift; exec bash "$root/scripts/kafka-cluster.sh" "$@" ;;
  *) die "usage: infra.sh up|down|assemble|cluster up|down|status" ;;
esac
