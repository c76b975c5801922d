#!/usr/bin/env bash
# PostgreSQL on 127.0.0.1:5432 for tests: starts the Debian cluster (`main` of the installed
# version) only when nothing answers there, and remembers that it did.
#
#   bash scripts/pg.sh start    start the cluster unless PostgreSQL already answers
#   bash scripts/pg.sh stop     stop the cluster only if this script started it
#   bash scripts/pg.sh status   whether it answers (exit 0) or not (exit 3)
#
# Environment: SLUICE_PG_PORT (default 5432), SLUICE_PG_CLUSTER (default main),
# SLUICE_CACHE (marker under $SLUICE_CACHE/run).
set -euo pipefail
SLUICE_LOG_NAME=pg
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly HOST=127.0.0.1 PORT="${SLUICE_PG_PORT:-5432}" CLUSTER="${SLUICE_PG_CLUSTER:-main}"
# The marker holds the postmaster's PID, so `stop` acts only while that very server runs.
readonly PID_FILE="$(pid_file pg)"
readonly PATTERN=postgres

answers() { pg_isready -q -h "$HOST" -p "$PORT" 2>/dev/null; }

# version: the installed PostgreSQL major version (the newest, when several are).
version() {
  local v
  v=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$v" ]] || die "no PostgreSQL cluster under /etc/postgresql: apt-get install postgresql."
  printf '%s' "$v"
}

# postmaster_pid VERSION: the PID of the cluster's postmaster, from its data directory.
postmaster_pid() {
  local data
  data=$(pg_lsclusters -h | awk -v v="$1" -v c="$CLUSTER" '$1 == v && $2 == c { print $6 }')
  head -n 1 "$data/postmaster.pid" 2>/dev/null
}

start() {
  local v start
  if answers; then
    describe_running PostgreSQL "$HOST" "$PORT" "$PID_FILE" "$PATTERN"
    return 0
  fi
  v=$(version)
  start=$(now_ms)
  pg_ctlcluster --skip-systemctl-redirect "$v" "$CLUSTER" start ||
    die "pg_ctlcluster could not start PostgreSQL $v/$CLUSTER; see /var/log/postgresql/postgresql-$v-$CLUSTER.log."
  postmaster_pid "$v" >"$PID_FILE"
  wait_until 30 answers || die "PostgreSQL did not answer on $HOST:$PORT within 30 s; see /var/log/postgresql/."
  log "PostgreSQL $v answers on $HOST:$PORT after $(seconds_since "$start") s (pid $(cat "$PID_FILE"))."
}

stop() {
  local v pid
  if ! pid=$(running_pid "$PID_FILE" "$PATTERN"); then
    log "PostgreSQL was not started by these scripts; leaving it alone."
    return 0
  fi
  v=$(version)
  pg_ctlcluster --skip-systemctl-redirect "$v" "$CLUSTER" stop -m fast ||
    die "pg_ctlcluster could not stop PostgreSQL $v/$CLUSTER (pid $pid)."
  rm -f "$PID_FILE"
  log "PostgreSQL stopped (pid $pid)."
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) service_status PostgreSQL "$HOST" "$PORT" "$PID_FILE" "$PATTERN" answers ;;
  *) usage_and_exit 'start | stop | status' ;;
esac
