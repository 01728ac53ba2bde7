# musicweb: `make run` starts the site, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
WEB ?= 2
# A local plain-HTTP run on loopback: no HTTPS redirect, no secure-only cookies.
RUN_ENV := HTTPS=$${HTTPS:-0}

.PHONY: install install-test run test lint format bench bench-load system-packages clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e .
	touch $@

# aiSFX's embedding weights serve the evaluation; its package pins old librosa and numpy,
# so it is installed without its dependencies (the evaluation converts its weights once).
$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps aisfx==0.1.2
	touch $@

install-test: $(VENV)/.installed-test

system-packages:
	bash .ci/system-packages

# serve becomes supervisord, and exec makes it make's own child: a SIGTERM to make reaches it
# (make passes SIGTERM to its children), and supervisord stops every process before it exits.
run: install
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput --database channels
	$(RUN_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(RUN_ENV) exec $(BIN)/python manage.py serve --host $(HOST) --port $(PORT) --web $(WEB) --workers $(WORKERS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The scale-out run repeats the queue, socket and worker tests on PostgreSQL and Redis.
SCALEOUT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/musicweb
SCALEOUT_REDIS_URL ?= redis://127.0.0.1:6379/5

test: install-test system-packages lint
	$(BIN)/pytest
	DATABASE_URL=$(SCALEOUT_DATABASE_URL) REDIS_URL=$(SCALEOUT_REDIS_URL) $(BIN)/pytest -m scaleout

# Each benchmark prints its figures; docs/performance.md records them with these commands.
bench: install-test
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_trained.py
	$(BIN)/python benchmarks/bench_jobs.py
	$(BIN)/python benchmarks/bench_gallery.py

# Load and soak against the real server (50 browsing users, 200 sockets); takes a few minutes.
bench-load: install-test
	$(BIN)/python benchmarks/bench_load.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
