# Entry points for a fresh machine (see README): `make fig2` and `make test`.
# Both create .venv with the pinned dependencies first; the install reruns only when
# pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= 8
SLURM_PACKAGES := slurmctld slurmd slurm-client munge

.PHONY: install fig2 all report test lint format slurm-packages

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

fig2: install
	$(BIN)/snakemake results/fig2.pdf --cores $(CORES)

all: install
	$(BIN)/snakemake --cores $(CORES)

report: all
	$(BIN)/snakemake --report results/report.html

# Debian's SLURM and munge for the cluster test (tests/test_slurm.py), installed when
# missing and this is root; elsewhere the SLURM test is skipped.
slurm-packages:
	@if command -v slurmctld >/dev/null && command -v munged >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq $(SLURM_PACKAGES) >/dev/null; \
	else echo "SLURM packages missing and not root: the SLURM test will be skipped"; fi

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/snakefmt Snakefile rules

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint --cores 1

test: lint slurm-packages
	$(BIN)/python -m pytest
