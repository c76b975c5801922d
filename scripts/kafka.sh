#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft: broker and controller in one JVM) on 127.0.0.1:9092, fetched
# from Maven Central with scripts/kafka/pom.xml. No Docker, no download of a distribution.
#
#   bash scripts/kafka.sh start [--fresh]   fetch if needed, format storage once, start, wait until it answers
#   bash scripts/kafka.sh stop              stop the broker this script started (TERM, then KILL)
#   bash scripts/kafka.sh status            whether it runs (exit 0) or not (exit 3)
#   bash scripts/kafka.sh fetch             only download the jars into the cache
#
# `--fresh` wipes the topics and offsets of earlier runs; otherwise data survives stop/start.
# Environment: SLUICE_KAFKA_VERSION (default 3.9.2), SLUICE_CACHE (default ~/.cache/sluice),
# SLUICE_KAFKA_HOME (default $SLUICE_CACHE/kafka-<version>: lib/, data/, logs/, config/),
# SLUICE_KAFKA_START_TIMEOUT (seconds, default 90), SLUICE_KAFKA_HEAP (default "-Xms256m -Xmx768m"),
# SLUICE_MAVEN_ARGS (extra Maven arguments, e.g. -Dmaven.repo.local=/tmp/m2).
set -euo pipefail
SLUICE_LOG_NAME=kafka
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly HOST=127.0.0.1 PORT=9092 CONTROLLER_PORT=9093
readonly VERSION="${SLUICE_KAFKA_VERSION:-3.9.2}"
readonly HOME_DIR="${SLUICE_KAFKA_HOME:-$SLUICE_CACHE/kafka-$VERSION}"
readonly LIB="$HOME_DIR/lib" DATA="$HOME_DIR/data" LOGS="$HOME_DIR/logs" CONFIG="$HOME_DIR/config"
readonly PID_FILE="$(pid_file kafka)"
readonly MAIN_CLASS=kafka.Kafka
readonly START_TIMEOUT="${SLUICE_KAFKA_START_TIMEOUT:-90}"

# fetch: copies the broker's jars into $LIB with Maven, unless an earlier fetch completed.
fetch() {
  if [[ -f "$LIB/.complete" ]]; then
    log "Kafka $VERSION jars are cached in $LIB."
    return 0
  fi
  command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch Kafka $VERSION: install it (apt-get install maven)."
  command -v java >/dev/null || die "Java 17+ is needed to run Kafka $VERSION: install it (apt-get install openjdk-17-jre-headless)."
  local start
  start=$(now_ms)
  log "fetching Kafka $VERSION and its dependencies from Maven Central into $LIB ..."
  rm -rf "$LIB"
  mkdir -p "$LOGS"
  # shellcheck disable=SC2086 # SLUICE_MAVEN_ARGS is a list of arguments on purpose.
  if ! mvn -q -B -f "$SLUICE_SCRIPTS_DIR/kafka/pom.xml" -Dkafka.version="$VERSION" ${SLUICE_MAVEN_ARGS:-} \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIB" >"$LOGS/maven.log" 2>&1; then
    tail -n 30 "$LOGS/maven.log" >&2
    die "Maven could not fetch Kafka $VERSION (see above and $LOGS/maven.log); check the network to Maven Central and retry."
  fi
  [[ -f "$LIB/kafka_2.13-$VERSION.jar" ]] || die "Maven finished but $LIB/kafka_2.13-$VERSION.jar is missing; delete $LIB and retry."
  touch "$LIB/.complete"
  log "fetched $(find "$LIB" -name '*.jar' | wc -l) jars ($(du -sh "$LIB" | cut -f1)) in $(seconds_since "$start") s."
}

# write_config: the KRaft single-node server.properties and the log4j settings.
write_config() {
  mkdir -p "$CONFIG" "$DATA" "$LOGS"
  cat >"$CONFIG/server.properties" <<EOF
# Written by scripts/kafka.sh: one node that is both broker and KRaft controller, for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA
num.partitions=1
auto.create.topics.enable=true
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
EOF
  cat >"$CONFIG/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$LOGS/server.log
log4j.appender.file.MaxFileSize=10MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.kafka.controller=WARN
log4j.logger.state.change.logger=WARN
EOF
}

# classpath: the cached jars.
classpath() { printf '%s/*' "$LIB"; }

# format_storage: formats the log directory with a random cluster id, once.
format_storage() {
  [[ -f "$DATA/meta.properties" ]] && return 0
  local cluster_id
  # A Kafka cluster id is 16 random bytes in URL-safe base64 without padding (22 characters).
  cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  log "formatting $DATA (cluster id $cluster_id) ..."
  java -cp "$(classpath)" -Dlog4j.configuration="file:$CONFIG/log4j.properties" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$CONFIG/server.properties" >"$LOGS/format.log" 2>&1 ||
    die "formatting the storage failed; see $LOGS/format.log, or start with --fresh to begin anew."
}

# port_answers: whether something listens on the broker's port.
port_answers() { port_open "$HOST" "$PORT"; }

# answers: whether the broker serves a metadata request (not only an open port).
answers() {
  port_answers || return 1
  node "$SLUICE_SCRIPTS_DIR/kafka/ready.mjs" "$HOST:$PORT" >/dev/null 2>&1 && return 0
  # Exit code 3: kafkajs is not installed (no `pnpm install` yet); ask with Kafka's own tool instead.
  [[ $? -eq 3 ]] && timeout 20 java -cp "$(classpath)" -Dlog4j.configuration="file:$CONFIG/log4j.properties" \
    kafka.admin.BrokerApiVersionsCommand --bootstrap-server "$HOST:$PORT" >/dev/null 2>&1
}

start() {
  local fresh=$1 pid start status=0
  if port_answers; then
    describe_running Kafka "$HOST" "$PORT" "$PID_FILE" "$MAIN_CLASS"
    return 0
  fi
  if pid=$(running_pid "$PID_FILE" "$MAIN_CLASS"); then
    die "Kafka (pid $pid, started by these scripts) runs but does not answer on $HOST:$PORT; see $LOGS/server.log, or run 'stop' and 'start' again."
  fi
  fetch
  if [[ "$fresh" == yes ]]; then
    log "--fresh: wiping $DATA."
    rm -rf "$DATA"
  fi
  write_config
  format_storage
  start=$(now_ms)
  # setsid: the broker outlives this shell and ignores a Ctrl-C sent to the terminal that ran us.
  # shellcheck disable=SC2086 # SLUICE_KAFKA_HEAP is a list of JVM options on purpose.
  setsid nohup java ${SLUICE_KAFKA_HEAP:--Xms256m -Xmx768m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dkafka.logs.dir="$LOGS" -Dlog4j.configuration="file:$CONFIG/log4j.properties" \
    -cp "$(classpath)" "$MAIN_CLASS" "$CONFIG/server.properties" >"$LOGS/stdout.log" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
  log "started Kafka $VERSION (pid $pid), log in $LOGS; waiting up to ${START_TIMEOUT} s for it to answer ..."
  WAIT_WHILE_PID=$pid wait_until "$START_TIMEOUT" answers || status=$?
  if ((status == 0)); then
    log "Kafka $VERSION answers on $HOST:$PORT after $(seconds_since "$start") s (pid $pid)."
    return 0
  fi
  tail -n 30 "$LOGS/server.log" "$LOGS/stdout.log" >&2 2>/dev/null || true
  if ((status == 2)); then
    rm -f "$PID_FILE"
    die "Kafka exited during start-up (see the log lines above and $LOGS); try 'start --fresh' if its data is damaged."
  fi
  stop_pid_file "$PID_FILE" "$MAIN_CLASS" Kafka
  die "Kafka did not answer on $HOST:$PORT within ${START_TIMEOUT} s (see the log lines above); stopped it."
}

case "${1:-}" in
  start)
    case "${2:-}" in
      --fresh) start yes ;;
      '') start no ;;
      *) usage_and_exit 'start [--fresh] | stop | status | fetch' ;;
    esac
    ;;
  stop) stop_pid_file "$PID_FILE" "$MAIN_CLASS" Kafka 30 ;;
  status) service_status Kafka "$HOST" "$PORT" "$PID_FILE" "$MAIN_CLASS" port_answers ;;
  fetch) fetch ;;
  *) usage_and_exit 'start [--fresh] | stop | status | fetch' ;;
esac
