#!/usr/bin/env bash
# Start the service on the embedded default (SQLite in ./data) with a demo
# unit and one staff account per role; prints how to sign in.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e .
exec .venv/bin/chatserver --data-dir "${CHATSERVER_DATA_DIR:-./data}" serve --demo \
  --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
