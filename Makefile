# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# On machines with the local CPU wheel this resolves offline; override for a CUDA build.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-postgresql install lint bench-engine clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[test,redis,postgres]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_demo_kb
	DEBUG=1 $(PY) manage.py prepare_model
	DEBUG=1 SUPPORTBOT_PRELOAD=1 $(PY) manage.py runserver --noreload $(HOST):$(PORT)

test: $(STAMP)
	$(PY) -m pytest

# The suite again on PostgreSQL (CI runs both): every test that touches the database
# (tests/conftest.py leaves out the rest, which would only repeat). Browser tests are left
# out too: their live server keeps its own SQLite database whatever this run uses.
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/supportbot_ci
test-postgresql: $(STAMP)
	DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -m "not browser"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench-engine: $(STAMP)
	$(PY) bench/engine.py --model tiny-moe --concurrency 16 --new-tokens 32 --json

clean:
	rm -rf $(VENV) var staticfiles
