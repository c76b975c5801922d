#!/usr/bin/env bash
# RabbitMQ on 127.0.0.1:5672 for tests, started only when nothing answers there.
#
#   bash scripts/rabbitmq.sh start    start rabbitmq-server -detached unless one already answers
#   bash scripts/rabbitmq.sh stop     stop the node this script started, and nothing else
#   bash scripts/rabbitmq.sh status   whether it answers (exit 0) or not (exit 3)
#
# Environment: SLUICE_RABBITMQ_PORT (default 5672), SLUICE_CACHE (marker under $SLUICE_CACHE/run),
# RABBITMQ_* (the server's own settings, e.g. RABBITMQ_NODENAME, RABBITMQ_MNESIA_BASE, passed on).
# The tests find the server at SLUICE_RABBITMQ_URL (default amqp://guest:guest@127.0.0.1:5672);
# the guest user may only connect from loopback, which is where the tests run.
set -euo pipefail
SLUICE_LOG_NAME=rabbitmq
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly HOST=127.0.0.1 PORT="${SLUICE_RABBITMQ_PORT:-5672}"
readonly PID_FILE="$(pid_file rabbitmq)"
# The Erlang VM of a RabbitMQ node (beam.smp) carries this in its command line.
readonly PATTERN='-s rabbit boot'

answers() { port_open "$HOST" "$PORT"; }

# node_name: the Erlang node name of the server (RABBITMQ_NODENAME or rabbitmq-server's default).
node_name() { printf '%s' "${RABBITMQ_NODENAME:-rabbit@$(hostname -s)}"; }

# node_pid_file: where rabbitmq-server writes the PID of its VM (RABBITMQ_PID_FILE or the default).
node_pid_file() {
  if [[ -n "${RABBITMQ_PID_FILE:-}" ]]; then
    printf '%s' "$RABBITMQ_PID_FILE"
  else
    printf '%s/%s.pid' "${RABBITMQ_MNESIA_BASE:-/var/lib/rabbitmq/mnesia}" "$(node_name)"
  fi
}

start() {
  local start node_pid_path pid
  if answers; then
    describe_running RabbitMQ "$HOST" "$PORT" "$PID_FILE" "$PATTERN"
    return 0
  fi
  command -v rabbitmq-server >/dev/null || die "rabbitmq-server is not installed: apt-get install rabbitmq-server."
  start=$(now_ms)
  node_pid_path=$(node_pid_file)
  RABBITMQ_NODE_IP_ADDRESS="${RABBITMQ_NODE_IP_ADDRESS:-$HOST}" RABBITMQ_NODE_PORT="$PORT" RABBITMQ_PID_FILE="$node_pid_path" \
    rabbitmq-server -detached || die "rabbitmq-server -detached failed; see /var/log/rabbitmq/."
  # `rabbitmqctl wait` follows the PID file until the node has booted (or the VM died).
  timeout 120 rabbitmqctl -n "$(node_name)" wait --timeout 110 "$node_pid_path" >/dev/null 2>&1 ||
    die "RabbitMQ did not boot within 120 s; see /var/log/rabbitmq/ and \`rabbitmqctl status\`."
  wait_until 30 answers || die "RabbitMQ booted but does not answer on $HOST:$PORT; see /var/log/rabbitmq/."
  pid=$(cat "$node_pid_path" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] && printf '%s' "$pid" >"$PID_FILE"
  log "RabbitMQ answers on $HOST:$PORT after $(seconds_since "$start") s (pid ${pid:-?})."
}

stop() {
  local pid start
  if ! pid=$(running_pid "$PID_FILE" "$PATTERN"); then
    log "RabbitMQ was not started by these scripts (no live PID in $PID_FILE); leaving it alone."
    return 0
  fi
  start=$(now_ms)
  # A clean shutdown of the node (queues stop in order); TERM, then KILL, only if that fails.
  if timeout 60 rabbitmqctl -n "$(node_name)" shutdown >/dev/null 2>&1 && wait_until 30 pid_gone "$pid"; then
    rm -f "$PID_FILE"
    log "RabbitMQ stopped (pid $pid) in $(seconds_since "$start") s."
  else
    stop_pid_file "$PID_FILE" "$PATTERN" RabbitMQ 30
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) service_status RabbitMQ "$HOST" "$PORT" "$PID_FILE" "$PATTERN" answers ;;
  *) usage_and_exit 'start | stop | status' ;;
esac
