# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Installs are stamped: a second run reinstalls only when a lock file changed. Bytecode is
# compiled at install: this environment sets PYTHONDONTWRITEBYTECODE, so nothing would cache it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9

export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export PATH := $(BIN):$(PATH)
# Small and deadline-free under `make test`; `make test-properties` runs the large profile.
export HYPOTHESIS_PROFILE ?= ci

.PHONY: install demo test test-journeys lint format test-distributed test-properties bench bench-bounds clean

install: $(STAMP)

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "uv==$(UV_VERSION)"
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock -r requirements-dev.lock
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python --no-deps -e .
	@# uv compiles only when it installs something: an existing .venv gets its bytecode here.
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib/python3.11/site-packages > /dev/null || true
	touch $@

$(AIRFLOW_HOME)/.migrated: $(STAMP)
	mkdir -p $(AIRFLOW_HOME)
	airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || (tail -20 $(AIRFLOW_HOME)/migrate.log; exit 1)
	touch $@

demo: $(AIRFLOW_HOME)/.migrated
	ukg-visma demo

# Test workers (pytest-xdist): each has its own Airflow home, sandbox servers on ports the OS
# picks, its own SQLite files and PostgreSQL databases; the migrated metadata DB is made once.
PYTEST_WORKERS ?= auto

test: install
	ruff check .
	ruff format --check .
	mypy
	pytest -m "not distributed and not journey" -n $(PYTEST_WORKERS)

# The whole-stack journeys (marker `journey`): a real api-server, scheduler, triggerer or
# LocalExecutor, the fault-campaign slice, the 5,000-employee call budget, pay-period runs racing
# as separate deployments. Minutes of process start-up each, so not in `make test`; CI runs them
# right after it (.ci/run). `--dist loadfile`:
# a module's tests share one worker, so a module-scoped api-server starts once, not per worker.
test-journeys: install
	pytest -m "journey and not distributed" -n $(PYTEST_WORKERS) --dist loadfile

# The same topology as docker-compose.yaml, natively: Airflow on PostgreSQL, CeleryExecutor with
# two workers on Redis, the audit store on PostgreSQL (tests/distributed/airflow_cluster.py).
test-distributed: install
	pytest -m distributed tests/distributed -p no:cacheprovider -s

# The hypothesis property tests at campaign size (make test runs them small).
test-properties: install
	HYPOTHESIS_PROFILE=campaign pytest -m "property and not distributed" -n $(PYTEST_WORKERS)

# The wall-clock upper bounds that used to be timed tests (bench/test_time_bounds.py) and a quick
# transform figure: cheap enough for every CI run.
bench-bounds: install
	python bench/bench_transform.py 10000 100000
	pytest bench -p no:cacheprovider -q

lint: install
	ruff check .
	ruff format --check .
	mypy

format: install
	ruff check --fix .
	ruff format .

# Benchmarks (bench/RESULTS.md): GL transform at 50k/200k/500k lines, a whole pay period against
# the sandbox (API calls, wall time per task) at 1,200 and 20,000 employees, UKG GL blocks read
# sequentially vs concurrently, DAG parse time, a real ~500k-line export through the UKG sandbox
# stage by stage, ~200 mapped posting tasks through the real scheduler vs dag.test, webhook -> Visma
# latency for one hire through the real api-server + triggerer + scheduler.
# Every benchmark of bench/RESULTS.md (~20 minutes with the scheduler suites): figures printed with
# the machine's load.
bench: bench-bounds
	@uptime
	python -m bench.transform_scale
	python -m bench.pay_period
	python -m bench.ukg_blocks
	python -m bench.employee_sync
	python -m bench.dag_parse
	python -m bench.gl_export_scale
	python -m bench.mapped_posting
	python -m bench.webhook_latency
	@uptime

clean:
	rm -rf $(VENV) .airflow .pytest_cache

# Issue #14's fault campaign (docs/reliability.md): the fuzzers with hundreds of examples each,
# then seeded runs of the three pipelines against the sandbox with >= 200 injected faults, judged
# from the sandboxes' state. About 10 minutes on 2 cores; SEED/RUNS change the draw.
SEED ?= 14
RUNS ?= 32
.PHONY: reliability
reliability: install
	HYPOTHESIS_PROFILE=campaign pytest -q -p no:cacheprovider tests/fuzz
	python -m reliability --seed $(SEED) --runs $(RUNS)

# The Airflow UI on this machine: sandbox + api-server, scheduler, dag-processor, triggerer on
# loopback (PostgreSQL 127.0.0.1:5432, LocalExecutor); prints the URL and the login.
.PHONY: ui test-ui ui-deps
ui: install
	$(BIN)/python ui_tests/ui_stack.py

# Playwright (PyPI) drives Debian's Chromium (apt; no downloaded browser builds).
ui-deps: install
	test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| { echo "make ui-deps: apt-get install chromium failed (run as root, or install Debian's chromium)"; exit 1; }
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements-ui.txt

test-ui: ui-deps
	$(BIN)/pytest ui_tests -p no:cacheprovider -o testpaths=ui_tests -o pythonpath="ui_tests tests/shared"
