# The lead router's two commands: `make run` (the whole system with demo traffic)
# and `make test` (everything CI runs). Both set up what they need first.

SHELL := /bin/bash
UV_VERSION := 0.13.8
UV := uv
PYTEST_ARGS ?=

.PHONY: setup test-tools run test chaos lint format schemas kafka-fetch clean fuzz bench

# --compile-bytecode: the dependencies' bytecode is written once here, instead of being
# compiled again by every run where PYTHONDONTWRITEBYTECODE is set (a test run imports
# about 2,000 of their modules); compileall likewise for the workspace's own sources (a
# router starts on 1.1 s of CPU compiled, 3.2 s not: docs/performance.md).
setup:
	@$(UV) --version 2>/dev/null | grep -q " $(UV_VERSION)" || python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) sync --frozen --compile-bytecode
	$(UV) run --frozen python -m compileall -q runtime/src schemas/src services/*/src cli/src deploy/*/src
	bash deploy/kafka/kafka.sh fetch
	bash deploy/k8s/tools.sh install
	bash deploy/prometheus/tools.sh install

# What only the tests need: Debian's Chromium for the ops page's browser test, and the
# AsyncAPI parser (npm) that validates schemas/asyncapi.yaml.
test-tools:
	bash deploy/browser/chromium.sh install
	bash deploy/asyncapi/tools.sh install

run: setup
	$(UV) run --frozen python deploy/demo/run.py

lint:
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy
	$(UV) run --frozen lint-imports

# --durations=15: CI's log names the slowest tests (the suite aims at 10 minutes, #14).
test: setup test-tools lint
	$(UV) run --frozen pytest --durations=15 $(PYTEST_ARGS)

# Both services fuzzed from their OpenAPI documents at length (make test runs a short
# version): every answer must be documented and below 500. Figures per service printed.
FUZZ_MAX_EXAMPLES ?= 100
FUZZ_PHASES ?= examples,coverage,fuzzing
fuzz: setup
	FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) FUZZ_PHASES=$(FUZZ_PHASES) \
		$(UV) run --frozen pytest tests/api/test_openapi_fuzz.py -s --timeout=0 $(PYTEST_ARGS)

# The chaos suite's long run (docs/reliability.md): at least 100 faults under
# steady load, then the set checker; it starts (and removes) a broker and a
# PostgreSQL cluster of its own on free loopback ports. CHAOS_ARGS="--seed 5".
CHAOS_ARGS ?=
chaos: setup
	$(UV) run --frozen python -m leadrouter_chaos --profile long $(CHAOS_ARGS)

# Every benchmark side by side in one run (bench/suite.py): one table, printed and written
# to docs/performance.md with the machine's cores, load and date, beside the figures of
# the code before issue 15 (bench/results/). ROUNDS=5: interleaved rounds, medians kept
# (3 by default, 1 with BENCH_QUICK=1, the short version). It uses the test servers
# (broker 29092, PostgreSQL 55432), started here unless they run.
ROUNDS ?=
BENCH_QUICK ?=
bench: setup
	KAFKA_PORT=29092 bash deploy/kafka/kafka.sh start
	PG_PORT=55432 PG_FAST=1 bash deploy/postgres/pg.sh start
	BENCH_QUICK=$(BENCH_QUICK) $(UV) run --frozen python -m bench.suite $(if $(ROUNDS),--rounds $(ROUNDS)) \
		--write docs/performance.md --json var/bench/latest.json \
		--before bench/results/before-2f89a5e.json

format:
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

schemas:
	$(UV) run --frozen python -m leadrouter_schemas.generate

clean:
	-bash deploy/kafka/kafka.sh stop
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
