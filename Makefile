# Everything installs itself into .venv on first use: a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1

.PHONY: build test check lint chat watch dev bench bench-quick clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

build: $(VENV)/.installed
	$(BIN)/python -m site_builder build

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check site_builder chat_service tests

check: lint test

chat: $(VENV)/.installed
	$(BIN)/python -m chat_service --host $(HOST) --port 8001

watch: $(VENV)/.installed
	$(BIN)/python -m site_builder watch

clean:
	rm -rf dist .cache
