# The two commands: `make demo` and `make test`. Everything else here serves them.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: venv system-deps demo demo-data test lint bench clean

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

lint: venv
	$(VENV)/bin/ruff check .

clean:
	rm -rf var/ test-artifacts/ .pytest_cache
