# dystonia_teach: one command to run the course, one to run every test (see README.md).
PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: course app test setup browser-deps pg-deps hub-deps hub axe-deps lint unit nbval notebooks docs benchmark clean

## course: set up the environment and open the course in JupyterLab, on the learner's working
## copy of notebooks/ (~/dystonia-teach-course or $$DYSTONIA_TEACH_WORKDIR): the course files stay
## untouched
course: setup
	$(VENV)/bin/python -m dystonia_teach.course.workspace --source notebooks -- $(ALLOW_ROOT)

## app: set up the environment and serve the learner app (Voila, no code) on 127.0.0.1:8866
app: setup
	$(VENV)/bin/python -m dystonia_teach.widgets.app --port 8866

## test: set up everything (including Debian's Chromium) and run lint, unit, notebook and browser tests
test: setup browser-deps pg-deps hub-deps axe-deps lint
	$(VENV)/bin/python -m pytest --nbval tests $(wildcard notebooks/*.ipynb)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

## setup: create .venv with the exact versions pinned in uv.lock
setup: $(UV)
	$(UV) sync --frozen --all-extras --compile-bytecode --python $(PYTHON) --quiet
	$(VENV)/bin/python -m compileall -q dystonia_teach

## browser-deps: Debian's Chromium for the real-browser test (no browser download)
browser-deps:
	@if [ -x /usr/bin/chromium ]; then echo "chromium: $$(/usr/bin/chromium --version 2>/dev/null)"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "Debian's Chromium is missing: run 'sudo apt-get install chromium' (the browser test is skipped without it)"; fi

## pg-deps: Debian's PostgreSQL server binaries for the store tests (the tests start their own server)
pg-deps:
	@if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then echo "postgresql: $$(ls -d /usr/lib/postgresql/*/bin | tail -1)"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else echo "Debian's PostgreSQL is missing: run 'sudo apt-get install postgresql' (the PostgreSQL store tests are skipped without it)"; fi

## hub-deps: JupyterHub's proxy, configurable-http-proxy from npm, at the version its lock file pins
hub-deps: deploy/jupyterhub/node_modules/.package-lock.json

deploy/jupyterhub/node_modules/.package-lock.json: deploy/jupyterhub/package-lock.json
	npm ci --prefix deploy/jupyterhub --no-audit --no-fund --loglevel=error

## hub: run the course's JupyterHub (settings: deploy/jupyterhub/jupyterhub_config.py, docs/deploy.md)
hub: setup hub-deps
	$(VENV)/bin/jupyterhub -f deploy/jupyterhub/jupyterhub_config.py

## axe-deps: axe-core from npm, as pinned in tests/browser/package-lock.json (npm via apt as root)
AXE := tests/browser/node_modules/axe-core/axe.min.js
axe-deps: $(AXE)
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null || [ "$$(id -u)" != 0 ] || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	touch $@

lint: setup
	$(VENV)/bin/ruff check dystonia_teach tests benchmarks
	$(VENV)/bin/lint-imports --no-cache

unit: setup
	$(VENV)/bin/python -m pytest tests -m "not browser"

nbval: setup
	$(VENV)/bin/python -m pytest --nbval $(wildcard notebooks/*.ipynb)

## notebooks: re-execute the course notebooks in place (maintainers, before a release)
notebooks: setup
	$(VENV)/bin/python -m dystonia_teach.course.release execute notebooks

## docs: regenerate docs/findings.md (the code catalogue) from the knowledge base
docs: setup
	$(VENV)/bin/dystonia-teach codes --markdown > docs/findings.md

benchmark: setup browser-deps
	$(VENV)/bin/python benchmarks/bench_core.py
	$(VENV)/bin/python benchmarks/bench_course.py
	$(VENV)/bin/python benchmarks/bench_passback.py
	$(VENV)/bin/python benchmarks/bench_feedback.py
	$(VENV)/bin/python benchmarks/bench_validate.py
	$(VENV)/bin/python benchmarks/bench_notebooks.py
	$(VENV)/bin/python benchmarks/bench_browser.py
	$(VENV)/bin/python benchmarks/bench_kernel_memory.py
	$(VENV)/bin/python benchmarks/bench_pages.py
	$(VENV)/bin/python benchmarks/bench_grade.py
	$(VENV)/bin/python benchmarks/bench_store_race.py

clean:
	rm -rf $(VENV) $(TOOLS) .ruff_cache .hypothesis
