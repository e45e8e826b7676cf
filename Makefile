# mailbot's two everyday commands: `make run` and `make test`.
# Both create .venv when missing and reinstall only when pyproject.toml changed.

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test lint venv

venv: $(STAMP)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	exec $(VENV)/bin/mailbot run

# ruff and mypy read their settings from pyproject.toml
lint: $(STAMP)
	$(VENV)/bin/ruff check mailbot tests bench
	$(VENV)/bin/mypy

test: lint
	scripts/test-services
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)
