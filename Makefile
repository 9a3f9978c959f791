# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Installs are stamped: a second run reinstalls only when a lock file changed.
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

.PHONY: install demo test lint format test-distributed bench clean

install: $(STAMP)

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "uv==$(UV_VERSION)"
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock -r requirements-dev.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

$(AIRFLOW_HOME)/.migrated: $(STAMP)
	mkdir -p $(AIRFLOW_HOME)
	airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || (tail -20 $(AIRFLOW_HOME)/migrate.log; exit 1)
	touch $@

demo: $(AIRFLOW_HOME)/.migrated
	ukg-visma demo

test: install
	ruff check .
	ruff format --check .
	mypy
	pytest -m "not distributed"

# The same topology as docker-compose.yaml, natively: Airflow on PostgreSQL, CeleryExecutor with
# two workers on Redis, the audit store on PostgreSQL (tests/distributed/airflow_cluster.py).
test-distributed: install
	pytest -m distributed tests/distributed -p no:cacheprovider -s

lint: install
	ruff check .
	ruff format --check .
	mypy

format: install
	ruff check --fix .
	ruff format .

# Benchmarks (bench/RESULTS.md): GL transform at 50k/200k/500k lines, a whole pay period against
# the sandbox (API calls, wall time per task) at 1,200 and 20,000 employees, UKG GL blocks read
# sequentially vs concurrently, DAG parse time.
bench: install
	@uptime
	python -m bench.transform_scale
	python -m bench.pay_period
	python -m bench.ukg_blocks
	python -m bench.dag_parse
	@uptime

clean:
	rm -rf $(VENV) .airflow .pytest_cache
