# Entry points for a fresh machine (see README): `make fig2` and `make test`.
# Both create .venv with the pinned dependencies first; the install reruns only when
# pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 1)
# The memory the jobs running at once may declare together, in MiB (default: what this
# machine has free now). Snakemake starts local jobs side by side whatever mem_mb they
# declare unless told a total: four spectra of the conjecture's widest net (about 19 GB
# each) would start together at --cores 8. A job that declares more runs alone.
MEM_MB ?= $(shell awk '/^MemAvailable:/ {print int($$2 / 1024)}' /proc/meminfo 2>/dev/null \
	|| echo $$(( $$(sysctl -n hw.memsize) / 1048576 )))
SLURM_PACKAGES := slurmctld slurmd slurm-client munge

.PHONY: help install fig2 all report test lint format slurm-packages

help:  ## what each target does (this list)
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

install: $(VENV)/.installed  ## .venv with the pinned dependencies

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,peers]'
	touch $@

fig2: install  ## results/fig2.pdf (CORES=N cores, MEM_MB=N MiB; default: every core, the free memory)
	$(BIN)/snakemake results/fig2.pdf --cores $(CORES) --resources mem_mb=$(MEM_MB)

all: install  ## every figure and table of the paper
	$(BIN)/snakemake --cores $(CORES) --resources mem_mb=$(MEM_MB)

report: all  ## everything, then results/report.html
	$(BIN)/snakemake --report results/report.html

# Debian's SLURM and munge for the cluster test (tests/test_slurm.py), installed when
# missing and this is root; elsewhere the SLURM test is skipped.
slurm-packages:  ## Debian's SLURM for the cluster test, where root
	@if command -v slurmctld >/dev/null && command -v munged >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq $(SLURM_PACKAGES) >/dev/null; \
	else echo "SLURM packages missing and not root: the SLURM test will be skipped"; fi

format: install  ## ruff and snakefmt rewrite the code in place
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/snakefmt Snakefile rules

lint: install  ## ruff, snakefmt and snakemake --lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint --cores 1

test: lint slurm-packages  ## the whole test suite (what CI runs)
	$(BIN)/python -m pytest
