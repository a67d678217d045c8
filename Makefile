# Mailwright — two commands on a fresh machine: `make run` and `make test`.
# Both create .venv and install the locked dependencies (uv.lock) first.

PYTHON ?= python3
VENV := .venv
UV_HOME := .uv
UV := $(UV_HOME)/bin/uv
UV_VERSION := 0.13.8
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run test lint format bench bench-capture bench-tracking clean

$(UV):
	$(PYTHON) -m venv $(UV_HOME)
	$(UV_HOME)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced

run: install
	$(VENV)/bin/mailwright up

test: install lint
	$(VENV)/bin/python tools/run_tests.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/python tools/check_module_size.py

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmarks (not tests): see bench/README.md. Run them on an otherwise idle machine.
bench: install
	$(VENV)/bin/python bench/send.py

bench-capture: install
	$(VENV)/bin/python bench/capture_send.py

bench-tracking: install
	$(VENV)/bin/python bench/tracking.py

clean:
	rm -rf $(VENV) $(UV_HOME)
