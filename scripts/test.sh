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
# Installed only when pyproject.toml changed since the last successful install
# (as scripts/demo.sh; its own stamp, since this one includes the test extra).
stamp=.venv/.pyproject-test.sha256
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
  echo "$want" >"$stamp"
fi

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
# each package gets its own figure and floor below. -n auto: one worker per core
# (--dist loadgroup keeps each xdist_group on one worker); --durations: the 15
# slowest tests.
stage "pytest" .venv/bin/python -m pytest -n auto --dist loadgroup -p no:cacheprovider \
  --durations=15 --cov=triage --cov=chatserver --cov-branch --cov-report= "$@"
# One labelled figure per package against its floor: chatserver/ on lines,
# triage/ on lines and branches together (coverage's own figure with branch
# data, which must be 100 %). Each with its least covered modules. `coverage
# report` alone mixes the two kinds in one Cover column, hence the JSON.
coverage_floor() {
  local package=$1 kind=$2 floor=$3 json rc
  json=$(mktemp)
  .venv/bin/coverage json -q --include="$package/*" -o "$json" || { rm -f "$json"; return 1; }
  .venv/bin/python - "$json" "$package" "$kind" "$floor" <<'PY'
import json, sys
path, package, kind, floor = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
with open(path) as f:
    data = json.load(f)
key = "percent_statements_covered" if kind == "lines" else "percent_covered"
what = "lines" if kind == "lines" else "lines and branches"
rows = sorted((f["summary"][key], name, f["missing_lines"], f["summary"].get("missing_branches", 0))
              for name, f in data["files"].items())
short = [r for r in rows if r[0] < 100][:12]
if short:
    print(f"least covered {package}/ modules ({what}):")
for pc, name, missing, branches in short:
    print(f"  {pc:5.1f} %  {len(missing):4d} lines, {branches:3d} branches missed  {name}")
t = data["totals"]
pc = t[key]
counts = f"{t['covered_lines']}/{t['num_statements']} lines"
if kind != "lines":
    counts += f", {t['covered_branches']}/{t['num_branches']} branches"
print(f"COVERAGE {package}/: {pc:.2f} % of {what} ({counts}), floor {floor:g} %")
sys.exit(0 if pc >= floor else 2)
PY
  rc=$?
  rm -f "$json"
  return $rc
}
# The floors hold for the whole suite: a run with pytest arguments (a subset) skips them.
if [ $# -eq 0 ]; then
  stage "coverage triage/ (lines and branches, floor 100 %)" coverage_floor triage branches 100
  stage "coverage chatserver/ (lines, floor 96 %)" coverage_floor chatserver lines 96
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all stages passed"
