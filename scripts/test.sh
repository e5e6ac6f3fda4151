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
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
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
# The web client's lint (biome) and unit tests (node --test) need Node 20+ and
# npm: without them both stages fail under CI=true, and elsewhere warn that
# they did not run (as for the Debian packages above).
with_node() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "node/npm missing: the web client's lint and unit tests did not run" >&2
    [ "$CI" != true ]
    return
  fi
  "$@"
}
stage "npm ci" with_node npm ci --silent --no-audit --no-fund
stage "js lint, node --test" with_node npm run --silent check

# Coverage of triage/ and chatserver/ in the same run, `python -m chatserver`
# subprocesses included ([tool.coverage.run] in pyproject.toml). No combined table:
# each package gets its own figure and floor below. --durations: the slowest tests.
stage "pytest" .venv/bin/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider \
  --durations=25 --cov=triage --cov=chatserver --cov-branch --cov-report= "$@"
# chatserver/'s floor is on lines. `coverage report` counts branches in its Cover
# column (branch data is there for triage/), so the line figure comes from its JSON.
chatserver_lines() {
  local json rc
  json=$(mktemp)
  .venv/bin/coverage json -q --include='chatserver/*' -o "$json" || { rm -f "$json"; return 1; }
  .venv/bin/python - "$json" "$1" <<'PY'
import json, sys
with open(sys.argv[1]) as f:
    data, floor = json.load(f), float(sys.argv[2])
rows = sorted((f["summary"]["percent_statements_covered"], -f["summary"]["missing_lines"], name)
              for name, f in data["files"].items())
print("least covered chatserver/ modules (lines):")
for pc, missed, name in rows[:12]:
    print(f"  {pc:5.1f} %  {-missed:4d} lines missed  {name}")
t = data["totals"]
pc = t["percent_statements_covered"]
print(f"chatserver/ line coverage: {pc:.2f} % ({t['covered_lines']}/{t['num_statements']} lines)"
      f", floor {floor:g} %")
sys.exit(0 if pc >= floor else 2)
PY
  rc=$?
  rm -f "$json"
  return $rc
}
# The floors hold for the whole suite: a run with pytest arguments (a subset) skips them.
if [ $# -eq 0 ]; then
  stage "coverage triage/ (branches, floor 100 %)" .venv/bin/coverage report \
    --include='triage/*' --show-missing --skip-covered --fail-under=100
  stage "coverage chatserver/ (lines, floor 96 %)" chatserver_lines 96
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all stages passed"
