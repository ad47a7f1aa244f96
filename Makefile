# The two commands: `make demo` (set up, load the real sample, serve) and `make test`.
# Both go through `make setup`, which is idempotent and installs only what is missing.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The pages' front-end packages (package-lock.json), served from /static/vendor; npm ci runs only
# when the lock file is newer than the last install. --ignore-scripts: no install-time downloads.
NPM_STAMP := node_modules/.installed

.PHONY: setup os-packages demo test lint serve db-start db-stop clean-db bench bench-access bench-pages bench-fetch

setup: os-packages $(STAMP) $(NPM_STAMP)

os-packages:
	@scripts/os-packages.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(NPM_STAMP)

demo: setup
	$(BIN)/kindmap demo

# Two workers, one a core, each with its own database; a module's tests stay on one worker
# (its module-scoped loads are made once). PYTEST_ARGS adds to or overrides these.
test: setup
	$(BIN)/kindmap db start
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# Dead code (vulture; pyproject.toml [tool.vulture]) and the rooms' import rules (import-linter;
# [tool.importlinter], also run by `make test` as tests/test_architecture.py).
lint: setup
	$(BIN)/vulture
	$(BIN)/lint-imports --no-cache

serve: setup
	$(BIN)/kindmap serve

db-start: setup
	$(BIN)/kindmap db start

db-stop:
	$(BIN)/kindmap db stop

# Removes the project-local cluster and its data (it is rebuilt by the next `make demo`).
clean-db: db-stop
	rm -rf .kindmap

# The API against the bare-SQL floor in the same run (needs the demo sample loaded).
# kindmap vs tipg on the demo sample in its own database; the tables go to .kindmap/bench/.
BENCH_DB := kindmap_bench
bench: setup
	KINDMAP_PG_DATABASE=$(BENCH_DB) $(BIN)/kindmap demo --no-serve --sample-only
	test -x .kindmap/tipg-venv/bin/uvicorn || (python3 -m venv .kindmap/tipg-venv && .kindmap/tipg-venv/bin/pip install --quiet tipg==1.6.1 uvicorn==0.54.0)
	@command -v wrk >/dev/null || echo "bench: wrk is not installed (apt-get install wrk): the load test is skipped"
	@mkdir -p .kindmap/bench
	KINDMAP_PG_DATABASE=$(BENCH_DB) $(BIN)/python -m bench.items > .kindmap/bench/items.json && cat .kindmap/bench/items.json
	KINDMAP_PG_DATABASE=$(BENCH_DB) $(BIN)/python -m bench.compare --out .kindmap/bench/compare.md

# England-scale access (every LSOA vs the 2016 libraries): kindmap vs pysal access, geopandas and
# the bare-SQL floor, in one run, on a database holding all of ../shared/data (docs/benchmarks.md).
bench-access: setup
	KINDMAP_PG_DATABASE=kindmap_full $(BIN)/kindmap load manifest data/manifests/shared-data.toml > /dev/null
	KINDMAP_PG_DATABASE=kindmap_full $(BIN)/python -m bench.access --pysal-full

# The pages' first render (navigation to the map's idle) and a zoom, in headless Chromium, on the
# demo sample (docs/benchmarks.md); KINDMAP_PG_DATABASE=kindmap_full for every English LSOA.
bench-pages: setup
	$(BIN)/kindmap demo --no-serve
	$(BIN)/python -m bench.pages

# `kindmap data fetch` of the whole catalog from a loopback mirror of ../shared/data, against the
# floor (httpx to disk, no checks) and pooch (installed apart), in one run (docs/benchmarks.md).
bench-fetch: setup
	test -d .kindmap/pooch/pooch || $(BIN)/pip install --quiet --target .kindmap/pooch pooch
	$(BIN)/python -m bench.data_fetch
