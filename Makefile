# The book's two commands: `make book` builds it, `make test` runs every test. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ENV_STAMP := $(VENV)/.requirements-installed
JS_STAMP := book/node_modules/.installed
HTML := _build/html/index.html

export TF_CPP_MIN_LOG_LEVEL := 2
export PLOTLY_RENDERER := plotly_mimetype
# Offline, the official MNIST test set lies in ../shared/data/mnist beside the clone; an explicit setting wins.
ifneq ($(wildcard ../shared/data/mnist),)
export RECTIFIERS_MNIST_DIR ?= $(abspath ../shared/data/mnist)
endif

# A study's checkpoints are not read by the book, and come and go while it trains (a build beside it must not stop).
BOOK_INPUTS := _config.yml _toc.yml $(wildcard book/*.md book/*.bib book/_ext/*.py book/_static/* notebooks/*.ipynb) \
	$(shell find rectifiers results -type f -not -name '*.pyc' -not -path 'results/checkpoints/*' 2>/dev/null)

.PHONY: book test test-unit test-book lab bench env clean

book: $(HTML)

# Tests run in TEST_WORKERS processes (pytest-xdist), a test file per process at a time: a file's fixtures (a
# JupyterLab, a Dask cluster, a trained store) are made once.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile

test: env
	rm -rf _build
	$(MAKE) --no-print-directory book
	$(PYTEST) --durations=30 tests

test-unit: env
	$(PYTEST) -m "not book" tests

test-book: $(HTML)
	$(PYTEST) -m book tests

# Live sessions work on copies in lab/ (ignored by git): notebooks/ is never written. Kernels are the venv's
# (its kernelspec runs `python`) with book/ipython's settings: TensorFlow's C++ log stays in this terminal, and
# glued values reach the prose (rectifiers/lab.py).
lab: env
	$(BIN)/python -m rectifiers.lab lab
	PATH="$(abspath $(BIN)):$$PATH" IPYTHONDIR=$(CURDIR)/book/ipython \
		$(BIN)/jupyter lab --notebook-dir=lab $(if $(filter 0,$(shell id -u)),--allow-root)

bench: env
	$(BIN)/python -m rectifiers.bench $(BENCH)

env: $(ENV_STAMP) $(JS_STAMP)

$(ENV_STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

$(JS_STAMP): book/package.json book/package-lock.json
	cd book && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# Built from clean whenever an input changed: every notebook is executed (execute_notebooks: force).
$(HTML): $(ENV_STAMP) $(JS_STAMP) $(BOOK_INPUTS)
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	$(BIN)/jupyter-book build -W -n --keep-going --path-output . .
	@touch $@

clean:
	rm -rf _build
