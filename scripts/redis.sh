#!/usr/bin/env bash
# Redis on 127.0.0.1:6379 for tests, started only when nothing answers there.
#
#   bash scripts/redis.sh start    start redis-server (no persistence) unless one already answers
#   bash scripts/redis.sh stop     stop the server this script started, and nothing else
#   bash scripts/redis.sh status   whether it answers (exit 0) or not (exit 3)
#
# Environment: SLUICE_REDIS_PORT (default 6379), SLUICE_REDIS_DIR (default /var/lib/redis),
# SLUICE_REDIS_LOG (default /var/log/redis/ci.log), SLUICE_CACHE (PID file under $SLUICE_CACHE/run).
set -euo pipefail
SLUICE_LOG_NAME=redis
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly HOST=127.0.0.1 PORT="${SLUICE_REDIS_PORT:-6379}"
readonly DIR="${SLUICE_REDIS_DIR:-/var/lib/redis}" LOG_FILE="${SLUICE_REDIS_LOG:-/var/log/redis/ci.log}"
readonly PID_FILE="$(pid_file redis)"
readonly PATTERN=redis-server

answers() { [[ "$(redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null)" == PONG ]]; }

start() {
  local start
  if answers; then
    describe_running Redis "$HOST" "$PORT" "$PID_FILE" "$PATTERN"
    return 0
  fi
  command -v redis-server >/dev/null || die "redis-server is not installed: apt-get install redis-server."
  mkdir -p "$DIR" "$(dirname "$LOG_FILE")"
  start=$(now_ms)
  # redis-server writes its own PID into our PID file once it has daemonized.
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$PORT" --save "" --appendonly no \
    --dir "$DIR" --logfile "$LOG_FILE" --pidfile "$PID_FILE" ||
    die "redis-server did not start; see $LOG_FILE."
  wait_until 30 answers || die "Redis did not answer on $HOST:$PORT within 30 s; see $LOG_FILE."
  log "Redis answers on $HOST:$PORT after $(seconds_since "$start") s (pid $(cat "$PID_FILE" 2>/dev/null || echo '?'))."
}

case "${1:-}" in
  start) start ;;
  stop) stop_pid_file "$PID_FILE" "$PATTERN" Redis 15 ;;
  status) service_status Redis "$HOST" "$PORT" "$PID_FILE" "$PATTERN" answers ;;
  *) usage_and_exit 'start | stop | status' ;;
esac
