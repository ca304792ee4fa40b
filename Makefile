# The two commands: `make demo` and `make test`. Everything else here serves them.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: venv system-deps demo demo-data test chaos up lint bench clean

venv: $(VENV)/.installed

# torch is installed first and pinned: the CPU wheel; a bare "torch" requirement would pull a CUDA build.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	@$(PY) -c "import torch, sys; v = torch.__version__; print('torch', v); sys.exit(0 if v.endswith('+cpu') or 'cu' not in v else 1)"
	touch $@

# Debian packages the tests and the demo need (fonts for CJK text, Chromium for the browser tests).
system-deps:
	@bash scripts/system-deps.sh

demo: venv system-deps
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo
	@echo "Serving on http://$(HOST):$(PORT)/  (the merchant console: http://$(HOST):$(PORT)/app/; Ctrl-C to stop)"
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT) --noreload

test: venv system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

# The fault-injection suite: real web/worker/gpu/beat processes against a PostgreSQL and a Redis of its own,
# which it stops and kills (needs the postgresql and redis-server Debian packages).
chaos: venv
	$(PY) -m pytest -m faults tests/faults -p no:cacheprovider $(PYTEST_ARGS)

# The production topology locally (Procfile): web + default worker + GPU worker + beat, against
# DATABASE_URL (PostgreSQL) and REDIS_URL, e.g.
#   make up DATABASE_URL=postgres://postgres@127.0.0.1:5432/vitrine REDIS_URL=redis://127.0.0.1:6379/0 SECRET_KEY=...
up: venv
	@test -n "$(DATABASE_URL)" -a -n "$(REDIS_URL)" || { echo "set DATABASE_URL and REDIS_URL"; exit 2; }
	DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) $(PY) manage.py migrate --noinput
	DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) PATH=$(abspath $(VENV))/bin:$$PATH \
		$(VENV)/bin/honcho start -f Procfile web worker gpu beat

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf var/ test-artifacts/ .pytest_cache
