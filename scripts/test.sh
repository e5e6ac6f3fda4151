#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, then runs
# lint, types and every test. Used by .ci/run and the README Quickstart.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests start for real (only when root can install them).
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v nginx >/dev/null 2>&1 || need+=(nginx)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "warning: missing ${need[*]} and not root; the tests that need them fail under CI=true" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[test]"

# Every stage runs even when an earlier one fails, so one run shows everything;
# the exit status is non-zero if any stage failed.
failed=()
stage() {
  local name=$1; shift
  echo "== $name"
  if ! "$@"; then failed+=("$name"); fi
}
stage "ruff check" .venv/bin/ruff check .
stage "ruff format" .venv/bin/ruff format --check .
stage "mypy (strict)" .venv/bin/mypy
stage "triage rules" .venv/bin/python -m triage check
export CI="${CI:-}"
stage "pytest" .venv/bin/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider \
  --cov=triage --cov-branch --cov-report=term-missing:skip-covered "$@"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all stages passed"
