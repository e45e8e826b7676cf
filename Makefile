# mailbot's two everyday commands: `make run` and `make test`.
# Both create .venv when missing and reinstall only when pyproject.toml changed: `make run`
# installs mailbot with the Outlook .msg reader and the web desk, `make test` (and `make lint`, `make venv`) with the test tools too.

PYTHON ?= python3
VENV := .venv
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
PYTEST_ARGS ?=

.PHONY: run test lint venv screenshots

venv: $(TEST_STAMP)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# a venv with the test tools has mailbot too: it counts as installed for `make run`
$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	@if [ -f $(TEST_STAMP) ] && [ $(TEST_STAMP) -nt pyproject.toml ]; then touch $(RUN_STAMP); \
	else $(VENV)/bin/python -m pip install -q -e '.[outlook,web]' && touch $(RUN_STAMP); fi

$(TEST_STAMP): pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install -q -e '.[test]'
	@touch $(TEST_STAMP)

run: $(RUN_STAMP)
	exec $(VENV)/bin/mailbot run

# ruff and mypy read their settings from pyproject.toml
lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check mailbot tests bench
	$(VENV)/bin/mypy

test: lint
	scripts/test-services
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

# docs/screenshots/*.png: three mails of the seed's story drawn by headless Chromium (Debian
# package `chromium`) at a phone and a desktop width (scripts/screenshot_mails.py)
screenshots: $(TEST_STAMP)
	$(VENV)/bin/python scripts/screenshot_mails.py
