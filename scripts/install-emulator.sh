#!/usr/bin/env bash
# Installs the pinned AWS emulator (moto's server) into the git-ignored venv
# .venv/ at the repository root. Safe to run again: it does nothing when the
# pinned version is already there.
set -euo pipefail
MOTO_VERSION="5.2.1"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
if [ -x "$venv/bin/moto_server" ] && "$venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
  exit 0
fi
echo "installing moto[server]==$MOTO_VERSION into $venv" >&2
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
