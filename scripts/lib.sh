# shellcheck shell=bash
# Shared helpers of the service scripts (kafka.sh, redis.sh, pg.sh, services.sh): logging,
# waiting with a deadline, and PID files. Source it; it defines functions and settings only.
#
# Settings (environment):
#   SLUICE_CACHE    where downloads, data and state live (default ~/.cache/sluice)
#   SLUICE_RUN_DIR  PID files and "we started it" markers (default $SLUICE_CACHE/run)

SLUICE_CACHE="${SLUICE_CACHE:-$HOME/.cache/sluice}"
SLUICE_RUN_DIR="${SLUICE_RUN_DIR:-$SLUICE_CACHE/run}"
SLUICE_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SLUICE_ROOT="$(cd "$SLUICE_SCRIPTS_DIR/.." && pwd)"
# Name shown in front of every line; each script sets it before sourcing this file.
SLUICE_LOG_NAME="${SLUICE_LOG_NAME:-sluice}"

mkdir -p "$SLUICE_RUN_DIR"

# log MESSAGE...: one line on stdout, prefixed with the script's name.
log() { printf '[%s] %s\n' "$SLUICE_LOG_NAME" "$*"; }

# die MESSAGE...: one line on stderr, then exit 1.
die() {
  printf '[%s] error: %s\n' "$SLUICE_LOG_NAME" "$*" >&2
  exit 1
}

# now_ms: milliseconds since the epoch.
now_ms() { date +%s%3N; }

# seconds_since START_MS: the time since START_MS as seconds with one decimal, e.g. `7.4`.
seconds_since() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

# port_open HOST PORT: whether a TCP connection to HOST:PORT opens within one second.
port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# wait_until SECONDS COMMAND...: runs COMMAND every half second until it succeeds (status 0) or
# SECONDS have passed (status 1). With WAIT_WHILE_PID set, gives up early (status 2) when that
# process has exited, so a server that died on start is reported at once.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    if [[ -n "${WAIT_WHILE_PID:-}" ]] && ! kill -0 "$WAIT_WHILE_PID" 2>/dev/null; then return 2; fi
    ((SECONDS >= deadline)) && return 1
    sleep 0.5
  done
}

# pid_file NAME: path of the PID file (or marker) of a service these scripts started.
pid_file() { printf '%s/%s.pid' "$SLUICE_RUN_DIR" "$1"; }

# running_pid FILE PATTERN: prints the PID in FILE when that process is alive and its command line
# contains PATTERN (so a PID reused by an unrelated process is never taken for ours). A stale
# FILE is removed. Status 1 when nothing of ours runs.
running_pid() {
  local file=$1 pattern=$2 pid
  [[ -f "$file" ]] || return 1
  pid=$(<"$file")
  if [[ "$pid" =~ ^[0-9]+$ ]] && [[ -r "/proc/$pid/cmdline" ]] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$pattern"; then
    printf '%s' "$pid"
    return 0
  fi
  rm -f "$file"
  return 1
}

# stop_pid_file FILE PATTERN NAME [GRACE_SECONDS]: stops the process recorded in FILE (checked as
# in running_pid) with TERM, then KILL after GRACE_SECONDS (default 30), and removes FILE.
# Never signals any other process.
stop_pid_file() {
  local file=$1 pattern=$2 name=$3 grace=${4:-30} pid start
  if ! pid=$(running_pid "$file" "$pattern"); then
    log "$name was not started by these scripts (no live PID in $file); leaving it alone."
    return 0
  fi
  start=$(now_ms)
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until "$grace" pid_gone "$pid"; then
    log "$name (pid $pid) still runs after ${grace} s; sending KILL."
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 10 pid_gone "$pid" || die "$name (pid $pid) survived KILL; stop it by hand."
  fi
  rm -f "$file"
  log "$name stopped (pid $pid) in $(seconds_since "$start") s."
}

# pid_gone PID: whether process PID has exited.
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# usage_and_exit COMMANDS: the one-line usage of a service script.
usage_and_exit() {
  printf 'usage: %s %s\n' "$(basename "$0")" "$1" >&2
  exit 2
}

# describe_running NAME HOST PORT FILE PATTERN: one line saying who started the service that
# answers on HOST:PORT — these scripts (FILE holds its live PID) or someone else.
describe_running() {
  local pid
  if pid=$(running_pid "$4" "$5"); then
    log "$1 runs on $2:$3 (pid $pid, started by these scripts)."
  else
    log "$1 answers on $2:$3 (not started by these scripts)."
  fi
}

# service_status NAME HOST PORT FILE PATTERN ANSWERS: the `status` command of a service script;
# ANSWERS is the function that tells whether the service answers. Exit 3 when it does not.
service_status() {
  if ! "$6"; then
    log "$1 is not answering on $2:$3."
    return 3
  fi
  describe_running "$1" "$2" "$3" "$4" "$5"
}
