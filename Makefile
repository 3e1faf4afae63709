# Moorage: `make demo` runs the product on its embedded defaults, `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSSTAMP := $(VENV)/.system-deps
PYTEST_ARGS ?=

.PHONY: demo test test-pg bench lint install system-deps clean messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages: Chromium for the browser tests, pango for PDF invoices, GNU gettext for the
# translation catalogs (makemessages, compilemessages). Installed once per machine.
$(SYSSTAMP): | $(STAMP)
	@if ! command -v chromium >/dev/null 2>&1 || ! ldconfig -p | grep -q libpangoft2 || ! command -v msgfmt >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium libpango-1.0-0 libpangoft2-1.0-0 \
			libharfbuzz-subset0 fonts-dejavu-core gettext >/dev/null; \
	fi
	touch $(SYSSTAMP)

system-deps: $(SYSSTAMP)

demo: $(STAMP) $(SYSSTAMP)
	$(BIN)/moorage demo

test: $(STAMP) $(SYSSTAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The same suite on PostgreSQL (CI has one at 127.0.0.1:5432, user postgres, trust auth).
test-pg: $(STAMP) $(SYSSTAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/moorage} $(BIN)/python -m pytest $(PYTEST_ARGS)

# The translation catalogs (src/moorage/locale): collect the marked texts into each language's .po
# (new ones arrive untranslated, for a translator), then compile the .mo files Django reads.
# Commit both; tests/core/test_catalogs.py fails while a text is untranslated or a .mo is stale.
messages: $(STAMP) $(SYSSTAMP)
	cd src/moorage && ../../$(BIN)/moorage makemessages -l ru -l en --no-obsolete --no-location --ignore 'migrations/*'
	cd src/moorage && ../../$(BIN)/moorage compilemessages

bench: $(STAMP)
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	$(BIN)/moorage check
	$(BIN)/moorage makemigrations --check --dry-run
	$(BIN)/mypy src/moorage/core/cycles.py src/moorage/core/money.py src/moorage/catalog/hostname.py \
		src/moorage/metering/pricing.py src/moorage/metering/resources.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
