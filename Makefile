# Everything installs itself into .venv on first use: a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
CHAT_WORKERS ?= 1
# The Nu Html Checker (vnu.jar, run with Java) from the npm registry's vnu-jar package, for the HTML tests.
VNU_VERSION := 26.9.27
VNU_JAR     := .tools/node_modules/vnu-jar/build/dist/vnu.jar

.PHONY: build test check lint chat watch dev bench bench-quick clean eval vnu

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

test: $(VENV)/.installed-dev vnu
	$(BIN)/python -m pytest

# Without npm (or Java) the HTML check is skipped locally; .ci/run installs both and requires it.
vnu:
	@if [ ! -f $(VNU_JAR) ]; then \
	  if command -v npm >/dev/null; then \
	    npm install --silent --no-audit --no-fund --ignore-scripts --prefix .tools vnu-jar@$(VNU_VERSION); \
	  else echo "npm not found: the Nu Html Checker test will be skipped"; fi; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check site_builder chat_service tests bench

check: lint test

chat: $(VENV)/.installed
	$(BIN)/python -m chat_service --host $(HOST) --port 8001 --workers $(CHAT_WORKERS)

watch: $(VENV)/.installed
	$(BIN)/python -m site_builder watch --host $(HOST)

# Watch mode plus the chat service, which reloads dist/chat/index.json after every rebuild. Ctrl-C stops both:
# the terminal interrupts both; the chat service is also sent TERM in case watch mode ended on its own.
dev: $(VENV)/.installed
	@test -f dist/chat/index.json || $(BIN)/python -m site_builder build --no-search
	@CHAT_INDEX=$${CHAT_INDEX:-dist/chat/index.json} $(BIN)/python -m chat_service --host $(HOST) --port 8001 & \
	chat=$$!; \
	$(BIN)/python -m site_builder watch --host $(HOST); status=$$?; \
	kill -TERM $$chat 2>/dev/null; wait $$chat; exit $$status

# Benchmarks report and never fail; results land in bench/results/.
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/build_bench.py
	$(BIN)/python bench/chat_bench.py
	$(BIN)/python bench/export_bench.py
	$(BIN)/python bench/elsewhere_bench.py

bench-quick: $(VENV)/.installed-dev
	$(BIN)/python bench/build_bench.py --quick
	$(BIN)/python bench/chat_bench.py --quick
	$(BIN)/python bench/export_bench.py --quick
	$(BIN)/python bench/elsewhere_bench.py --articles 500

clean:
	rm -rf dist .cache

# The ranking and coverage evaluation (tests/eval/): recall@1, recall@3, MRR and off-article flagging.
eval: $(VENV)/.installed-dev
	$(BIN)/python -m tests.eval --ideas
