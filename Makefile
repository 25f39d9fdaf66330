# Clew: `make run` serves the API on :8000, `make test` runs the whole suite.
# Both set up everything they need: the virtual environment, the GraphiQL assets and, unless
# NEO4J_URI points at a server, a local Neo4j 5.26 from Maven Central. `make test` also
# installs and starts the real database servers the connector tests talk to.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# uv installs exactly what uv.lock says (tools/uv.txt pins uv itself, with hashes).
UV_VENV := .uv
UV      := $(UV_VENV)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
# A development key for stored credentials, made on first run when none is configured.
DEV_KEYS := .clew/secret.keys

.PHONY: bench install run test test-fast test-servers neo4j-start neo4j-stop schema lint lock clean

$(UV): tools/uv.txt
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r tools/uv.txt
	touch $(UV)

# --locked: refuse to install when pyproject.toml and uv.lock disagree (run `make lock`).
$(STAMP): pyproject.toml uv.lock $(UV)
	$(UV) sync --locked --extra dev --python $(PYTHON) --quiet
	touch $(STAMP)

# Re-resolve every dependency to the newest release inside pyproject.toml's ranges.
lock: $(UV)
	$(UV) lock --upgrade

web/node_modules/.installed: web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --loglevel=error
	touch web/node_modules/.installed

# The web front end (web/app): its own npm packages (React 19; GraphiQL's above keep React 18),
# built by Vite into web/app/dist, which Clew serves at /.
WEB_SOURCES := $(shell find web/app/src -type f 2>/dev/null) web/app/index.html web/app/vite.config.js

web/app/node_modules/.installed: web/app/package.json web/app/package-lock.json
	npm ci --prefix web/app --no-audit --no-fund --loglevel=error
	touch web/app/node_modules/.installed

web/app/dist/index.html: web/app/node_modules/.installed $(WEB_SOURCES)
	npm run --prefix web/app --silent build -- --logLevel warn

install: $(STAMP) web/node_modules/.installed web/app/dist/index.html

neo4j-start: install
	$(BIN)/clew neo4j start

neo4j-stop:
	$(BIN)/clew neo4j stop

run: install neo4j-start
	@if [ -z "$$CLEW_SECRET_KEYS$$CLEW_SECRET_KEYS_FILE" ] && [ ! -f $(DEV_KEYS) ]; then \
		$(BIN)/clew keys generate --file $(DEV_KEYS); fi
	@if [ -z "$$CLEW_SECRET_KEYS$$CLEW_SECRET_KEYS_FILE" ]; then \
		export CLEW_SECRET_KEYS_FILE=$(DEV_KEYS); fi; \
	$(BIN)/clew migrate && $(BIN)/clew user bootstrap && \
	exec $(BIN)/clew serve --host $${CLEW_HOST:-127.0.0.1} --port $${CLEW_PORT:-8000}

test-servers:
	bash tests/servers/install_debian.sh
	bash tests/servers/install_nosql.sh

test: install test-servers
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite without the slow tests (Neo4j restarts, fuzzing), for the edit-test loop.
test-fast: install test-servers
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# The benchmark harness (benchmarks/): its own Neo4j and Clew, JSON and a markdown table.
# BENCH_ARGS=--quick for the under-3-minutes development run.
bench: install
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

schema: install
	$(BIN)/clew export-schema

lint: install
	$(BIN)/ruff check graph_api tests benchmarks
	$(BIN)/ruff format --check graph_api tests benchmarks
	$(BIN)/mypy

clean:
	-$(BIN)/clew neo4j stop
	rm -rf $(VENV) $(UV_VENV) web/node_modules web/app/node_modules web/app/dist .clew
