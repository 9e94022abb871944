# The common tasks. Each target installs what it needs (virtual env, pip, npm) on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CDK := node_modules/.bin/cdk
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: deps run test lint typecheck unit synth bench clean check-java

$(PY_STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node 20+) is required for the CDK CLI and DynamoDB Local"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: $(PY_STAMP) $(NODE_STAMP)

check-java:
	@$(PY) -m local.java --check

## Run the whole system locally (DynamoDB Local, local Cognito/SNS/SQS, stream pollers, HTTP API).
run: deps
	$(PY) -m local $(ARGS)

## Lint, type-check and run every test tier (unit, integration, infra, concurrency, e2e).
test: deps check-java lint typecheck
	$(PY) -m pytest -q $(PYTEST_ARGS)

WORKFLOWS := $(wildcard .github/workflows/*.yml)

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)
	$(VENV)/bin/zizmor --offline --quiet $(WORKFLOWS)

typecheck: $(PY_STAMP)
	$(VENV)/bin/mypy

unit: $(PY_STAMP)
	$(PY) -m pytest -q tests/unit

## Synthesize the stack with the CDK CLI (offline, no AWS credentials needed).
synth: deps
	$(CDK) synth --quiet --no-notices

## Print the benchmark figures.
bench: deps
	$(PY) -m bench

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache
