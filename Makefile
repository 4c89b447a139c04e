# The two commands of the README: `make demo` (set up everything, run the demo) and `make test`.
# The install: uv (pinned in constraints.txt) installs the pinned set into the venv, compiling
# every module's bytecode as pip does; it took 46 s here where pip took 79 s for the same
# packages. Should uv fail (its own index settings are not pip's), pip installs as before.
# Python 3.11: the distribution's own build when it can make a venv, else the first on PATH.
# Debian's is built with PGO and LTO: a night on it took 14% less CPU than on pyenv's default
# build (README, "The two commands"). `make PYTHON=/path/to/python3.11 install` chooses another.
PYTHON ?= $(shell for p in /usr/bin/python3.11 "$$(command -v python3.11)" "$$(command -v python3)"; do \
	[ -x "$$p" ] && "$$p" -c 'import ensurepip, venv' 2>/dev/null && { echo "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PROJECT := -c constraints.txt -e '.[dev,test,spark]'

export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := 1

.PHONY: install demo test lint manifest docs bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@[ -n "$(PYTHON)" ] || { echo "make: no Python with venv found; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode $(PROJECT) \
		|| { echo "make: uv could not install; pip installs instead" >&2; \
		$(BIN)/pip install --quiet --disable-pip-version-check $(PROJECT); }
	touch $@

demo: install
	$(BIN)/cdp demo

# dbt's documentation of the models, one offline page: <warehouse>/docs/index.html.
docs: install
	$(BIN)/cdp docs

# dbt parse writes dbt_project/target/manifest.json, which the Dagster definitions read.
manifest: install
	cd dbt_project && ../$(BIN)/dbt parse --quiet --project-dir . --profiles-dir .

# sqlfluff's dbt templater opens the profile's database: give it a throwaway warehouse
# folder, never the real build database (which a running `cdp run` may hold), and a dbt
# target folder of its own beside it: it writes its parse there, not into the project's
# target, which `make test`'s tests read while the lint runs. tools/lint.py starts that target
# from the project's parse and runs sqlfluff with Python's collector set as in the project's
# other processes (about 29 s of CPU against 43 here). One process: each process of the
# templater compiles the dbt project first, and two took as long (61 s against 59 s here) for
# 92 s of CPU against 59.
lint: install
	@tmp=$$(mktemp -d) && export CDP_WAREHOUSE_DIR=$$tmp DBT_TARGET_PATH=$$tmp/target && \
	$(BIN)/python -m tools.lint --processes 1 dbt_project/models; status=$$?; rm -rf $$tmp; exit $$status

# The tests' files (about 0.6 GB at most) go to memory (/dev/shm) when it has 2 GB free:
# every run of the nightly path commits to DuckDB and to Dagster's SQLite event log many
# times, and each commit waits for the disk. Kept after a failure, to look at; removed after
# a pass. sqlfluff's lint (about a minute of one core) runs beside pytest's two workers,
# which keep both cores about 98% busy over the run: the suite's time is its CPU time. The
# lint's report follows the tests'; either failing fails `make test`. The workers take whole
# modules in tests/conftest.py's order (`--no-loadscope-reorder`), so that none of a minute is
# left to the end.
test: install manifest
	@shm=$$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 && $$4 > 2097152 {print "/dev/shm"}'); \
	tmp=$$(mktemp -d -p "$${shm:-$${TMPDIR:-/tmp}}" cdp-tests.XXXXXX) || exit 1; \
	echo "pytest: test files under $$tmp/pytest; sqlfluff lint beside it ($$tmp/lint.log)"; \
	{ $(MAKE) --no-print-directory lint > $$tmp/lint.log 2>&1; echo $$? > $$tmp/lint.status; } & \
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder --basetemp $$tmp/pytest; tests=$$?; \
	wait; echo "sqlfluff lint:"; cat $$tmp/lint.log; \
	[ $$tests -eq 0 ] && [ "$$(cat $$tmp/lint.status)" = 0 ] && rm -rf $$tmp

# The benchmark of docs/benchmark.md: 100k, 1M and 3M customers over a year (an hour or more;
# about 50 GB of disk under data/bench up to 1M, 140 GB more for 3M: a size the disk cannot
# hold is reported and skipped); never part of `make test`, which runs its 1k smoke version.
bench: install
	$(BIN)/cdp bench

clean:
	rm -rf $(VENV) data .pytest_cache
