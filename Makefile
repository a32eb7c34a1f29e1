# Follow-up Cockpit: `make run` serves the demo, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench bench-scale lint clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	COCKPIT_DEMO=$${COCKPIT_DEMO:-1} SCHEDULER_ENABLED=$${SCHEDULER_ENABLED:-1} $(PY) app.py

test: $(STAMP)
	scripts/system-packages
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench

# deploy/'s replicas behind HAProxy on the local PostgreSQL, at BENCH_REPLICAS=1,2,3 (bench/scale.py)
bench-scale: $(STAMP)
	scripts/system-packages
	$(PY) -m bench.scale

clean:
	rm -rf $(VENV) var .pytest_cache
