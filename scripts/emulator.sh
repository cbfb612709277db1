#!/usr/bin/env bash
# Starts the AWS emulator (moto's server) on a free loopback port, in the
# background, and prints the shell lines that point the AWS SDK at it.
#   eval "$(scripts/emulator.sh start)"   # sets AWS_* and TERRANE_EMULATOR_PID
#   scripts/emulator.sh stop "$TERRANE_EMULATOR_PID"
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
case "${1:-}" in
  start)
    "$root/scripts/install-emulator.sh"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    log="${TMPDIR:-/tmp}/terrane-emulator-$port.log"
    # A requested certificate is issued 3 s after it was asked for (AWS:
    # once its DNS validation records are seen); moto's default is 60 s.
    MOTO_ACM_VALIDATION_WAIT=3 MOTO_IAM_LOAD_MANAGED_POLICIES=true nohup "$root/.venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 300); do
      if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
        cat <<VARS
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export TERRANE_EMULATOR_PID=$pid
VARS
        echo "emulator ready at http://127.0.0.1:$port (pid $pid, log $log)" >&2
        exit 0
      fi
      sleep 0.1
    done
    echo "the emulator did not start; log: $log" >&2
    kill "$pid" 2>/dev/null || true
    exit 1
    ;;
  stop)
    kill "${2:?usage: emulator.sh stop PID}" 2>/dev/null || true
    ;;
  *)
    echo "usage: scripts/emulator.sh start|stop PID" >&2
    exit 1
    ;;
esac
