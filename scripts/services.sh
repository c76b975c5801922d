#!/usr/bin/env bash
# Brings the real services of the tests up or down: PostgreSQL, Redis, Kafka and RabbitMQ on loopback.
#
#   bash scripts/services.sh up [--fresh]   start each one that does not answer yet (--fresh: new Kafka data)
#   bash scripts/services.sh down           stop what these scripts started, and nothing else
#   bash scripts/services.sh status         one line per service
#
# `pnpm services:up` / `pnpm services:down` run this. Every service is tried even when one
# fails; the exit status is 1 if any did.
set -uo pipefail
SLUICE_LOG_NAME=services
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# each ACTION SERVICE...: runs `SERVICE.sh ACTION` for every SERVICE; status 1 if any failed.
each() {
  local action=$1 failed=()
  shift
  for service in "$@"; do
    local args=("$action")
    [[ "$service" == kafka && "$action" == start && -n "${FRESH:-}" ]] && args+=(--fresh)
    bash "$SLUICE_SCRIPTS_DIR/$service.sh" "${args[@]}" || failed+=("$service")
  done
  if ((${#failed[@]} > 0)); then
    if [[ "$action" == status ]]; then
      printf '[%s] not answering: %s\n' "$SLUICE_LOG_NAME" "${failed[*]}" >&2
    else
      printf '[%s] %s failed for: %s\n' "$SLUICE_LOG_NAME" "$action" "${failed[*]}" >&2
    fi
    return 1
  fi
}

case "${1:-}" in
  up)
    case "${2:-}" in --fresh) FRESH=1 ;; '') ;; *) usage_and_exit 'up [--fresh] | down | status' ;; esac
    each start pg redis kafka rabbitmq
    ;;
  down) each stop rabbitmq kafka redis pg ;;
  status) each status pg redis kafka rabbitmq ;;
  *) usage_and_exit 'up [--fresh] | down | status' ;;
esac
