# Two entry points for a fresh machine (see README): `make fig2` and `make test`.
# Both create .venv with the pinned dependencies first; the install reruns only when
# pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= 8

.PHONY: install fig2 all test lint

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

fig2: install
	$(BIN)/snakemake results/fig2.pdf --cores $(CORES)

all: install
	$(BIN)/snakemake --cores $(CORES)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint --cores 1

test: lint
	$(BIN)/python -m pytest
