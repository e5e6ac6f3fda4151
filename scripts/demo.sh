#!/usr/bin/env bash
# Start the service on the embedded default (SQLite in ./data) with a demo
# unit, one staff account per role and 90 days of statistics history; prints
# how to sign in.
#
#   bash scripts/demo.sh [--host HOST] [--port PORT]   (PORT=0: any free port)
#
# Also from the environment: HOST (127.0.0.1), PORT (8000), CHATSERVER_DATA_DIR
# (./data), PYTHON (python3, for the virtualenv). Python packages are installed
# into .venv only when pyproject.toml changed since the last successful install
# (its hash is kept in .venv/.pyproject.sha256), so a second start is quick.
set -euo pipefail
cd "$(dirname "$0")/.."
host=${HOST:-127.0.0.1}
port=${PORT:-8000}
while [ $# -gt 0 ]; do
  case $1 in
    --host) host=${2:?--host needs a value}; shift 2 ;;
    --host=*) host=${1#*=}; shift ;;
    --port) port=${2:?--port needs a value}; shift 2 ;;
    --port=*) port=${1#*=}; shift ;;
    -h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.pyproject.sha256
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing Python packages into .venv (first start, or pyproject.toml changed)"
  # -q keeps pip to warnings and errors (which still show); a failure stops here
  # and leaves no stamp, so the next start tries again.
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
  echo "$want" >"$stamp"
fi
exec .venv/bin/chatserver --data-dir "${CHATSERVER_DATA_DIR:-./data}" serve --demo \
  --host "$host" --port "$port"
