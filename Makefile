# ketnoi: the two commands are `make up` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STORE_VENV := .venv-store
PY := $(VENV)/bin/python
SERVICE_DIRS := $(patsubst %/,%,$(wildcard services/*/))
export PYTHONPATH := $(CURDIR):$(subst $(eval) ,:,$(addprefix $(CURDIR)/,$(SERVICE_DIRS)))
export EVENTLET_NO_GREENDNS := yes
export KETNOI_TEST_AMQP_URI ?= amqp://guest:guest@127.0.0.1:5672/

.PHONY: up test install rabbitmq promtool node chromium client lint bench drills hunt release clean

## up: run gateway + every service on the local RabbitMQ and an embedded store, with demo data (Ctrl-C stops)
up: install client
	@started=$$(scripts/ensure-rabbitmq.sh) && KETNOI_BROKER_STARTED_HERE=$$started $(PY) -m scripts.stack up

## test: lint, format and type checks, then unit, contract, integration and end-to-end tests (starts what it needs)
test: install rabbitmq promtool node chromium client
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m scripts.typecheck
	$(PY) -m pytest

install: $(VENV)/.installed $(STORE_VENV)/.installed

# A fresh Debian may lack the venv module (python3-venv); install it once.
define make_venv
	$(PYTHON) -m venv $(1) 2>/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq python3-venv >/dev/null && rm -rf $(1) && $(PYTHON) -m venv $(1); }
endef

$(VENV)/.installed: requirements/services.txt requirements/dev.txt
	$(call make_venv,$(VENV))
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements/dev.txt
	touch $@

$(STORE_VENV)/.installed: requirements/store.txt
	$(call make_venv,$(STORE_VENV))
	$(STORE_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/store.txt
	touch $@

rabbitmq:
	scripts/ensure-rabbitmq.sh

# Chromium (Debian's) for the demo page's browser test (tests/e2e/test_demo_browser.py)
chromium:
	scripts/ensure-chromium.sh

CLIENT := clients/typescript

## client: the TypeScript client generated from the OpenAPI document (no stack needed), compiled with
## tsc --strict, and the demo page built into $(CLIENT)/dist (served at /demo/ in dev mode); see README
client: install $(CLIENT)/node_modules/.installed
	$(PY) -m scripts.openapi_file $(CLIENT)/openapi.json
	npm --prefix $(CLIENT) run --silent build

$(CLIENT)/node_modules/.installed: $(CLIENT)/package.json $(CLIENT)/package-lock.json
	scripts/ensure-node.sh
	cd $(CLIENT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# promtool checks the alert rules and runs their unit cases (tests/contract/test_monitoring.py)
promtool:
	scripts/ensure-promtool.sh

# node: Node.js and the npm packages of the province consumer example (tests/e2e/test_province_consumer.py runs
# it against the stack) and of the AsyncAPI Initiative's parser and JSON Schema (tests/unit/test_event_contract.py
# checks the event contract with them), exactly as their package-lock.json files pin them
CONSUMER := examples/province-consumer
ASYNCAPI_TOOLS := tools/asyncapi/node_modules/.installed
node: $(CONSUMER)/node_modules/.installed $(ASYNCAPI_TOOLS)

$(CONSUMER)/node_modules/.installed: $(CONSUMER)/package.json $(CONSUMER)/package-lock.json
	scripts/ensure-node.sh
	cd $(CONSUMER) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(ASYNCAPI_TOOLS): tools/asyncapi/package.json tools/asyncapi/package-lock.json
	scripts/ensure-node.sh
	cd tools/asyncapi && npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m scripts.typecheck

## bench: benchmarks print numbers and ratios (see README)
bench: install rabbitmq
	$(PY) -m bench.registration_rush
	$(PY) -m bench.booth_allocation
	$(PY) -m bench.booth_claims
	$(PY) -m bench.meeting_scheduling
	$(PY) -m bench.notifications
	$(PY) -m bench.idle

## hunt: the stateful tests that hunt for broken rules, run long (make test runs them short)
hunt: install rabbitmq
	KETNOI_HUNT_EXAMPLES=300 KETNOI_HUNT_SHRINK=1 $(PY) -m pytest -p no:cacheprovider --timeout 3600 \
	  tests/integration/test_booth_rules.py tests/integration/test_meeting_rules.py tests/integration/test_field_errors.py \
	  tests/integration/test_registration_rules.py

## drills: fault drills at full size (1,000 registrations each; a RabbitMQ node and store of their own)
drills: install rabbitmq
	$(PY) -m scripts.drills --registrations 1000 --outage 10

## release: lint the Dockerfile, render k8s/ and check compose and k8s for KETNOI_IMAGE:KETNOI_TAG (default: git
## describe), build the image when a Docker engine answers (PUSH=1 pushes it); see README "Releasing"
release: install
	$(PY) -m scripts.release $(if $(PUSH),--push)

clean:
	rm -rf $(VENV) $(STORE_VENV) var $(CONSUMER)/node_modules tools/asyncapi/node_modules $(CLIENT)/node_modules \
	  $(CLIENT)/dist
