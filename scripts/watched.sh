#!/usr/bin/env bash
# watched.sh SECONDS COMMAND...: runs COMMAND (output to stdout, stderr merged) in a process group
# of its own, and ends that group when COMMAND has printed nothing for SECONDS: exit 124 then, and
# COMMAND's own exit status otherwise. For test runs whose runner can stall without failing (a
# vitest pool worker that never reports back leaves the run waiting for ever, printing nothing).
set -uo pipefail
if [ $# -lt 2 ] || [ "$1" = "--help" ] || [ "$1" = "-h" ]; then
  echo "usage: scripts/watched.sh SECONDS COMMAND... (ends COMMAND when it prints nothing for SECONDS; exit 124)"
  [ $# -ge 1 ] && { [ "$1" = "--help" ] || [ "$1" = "-h" ]; } && exit 0
  exit 2
fi
quiet=$1
shift
case "$quiet" in '' | *[!0-9]*) echo "watched.sh: SECONDS must be a whole number, got \"$quiet\"" >&2; exit 2 ;; esac
log=$(mktemp)
trap 'rm -f "$log"' EXIT
LOG="$log" setsid bash -c 'set -o pipefail; "$@" 2>&1 | tee "$LOG"' watched "$@" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  sleep 5
  idle=$(( $(date +%s) - $(stat -c %Y "$log") ))
  if [ "$idle" -ge "$quiet" ] && kill -0 "$pid" 2>/dev/null; then
    echo "watched.sh: \"$*\" printed nothing for ${idle} s; ending it (process group $pid)" >&2
    kill -TERM -- "-$pid" 2>/dev/null
    sleep 10
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    exit 124
  fi
done
wait "$pid"
