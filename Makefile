# Benchmarks: `make bench` runs every load-test scenario against the service and
# the two baselines, then writes docs/benchmarks.md. See docs/benchmarks.md.
PYTHON ?= .venv/bin/python
RESULTS ?= loadtests/results

.PHONY: bench bench-smoke profile bench-report loadtests-test

bench:
	$(PYTHON) -m loadtests all --out $(RESULTS)
	$(PYTHON) -m loadtests report --out $(RESULTS) --doc docs/benchmarks.md

# py-spy profiles of the service under the relay, churn and intake loads
# (appended to docs/benchmarks.md by the next `make bench-report`).
profile:
	$(PYTHON) -m loadtests profile --profile-scenario relay --out $(RESULTS)
	$(PYTHON) -m loadtests profile --profile-scenario churn --out $(RESULTS)
	$(PYTHON) -m loadtests profile --profile-scenario intake --out $(RESULTS)

bench-report:
	$(PYTHON) -m loadtests report --out $(RESULTS) --doc docs/benchmarks.md

bench-smoke:
	$(PYTHON) -m loadtests all --smoke --out /tmp/loadtests-smoke

loadtests-test:
	$(PYTHON) -m pytest tests/loadtests -q
