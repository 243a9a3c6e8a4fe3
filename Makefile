# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test check audit serve-prod clean

$(VENV)/.app-installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.app-installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The independent Open Badges verifier the tests run (Digital Bazaar's JavaScript stack, from npm).
JS_VERIFIER := tests/js_verifier
$(JS_VERIFIER)/node_modules/.installed: $(JS_VERIFIER)/package.json $(JS_VERIFIER)/package-lock.json
	cd $(JS_VERIFIER) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Set up, migrate and serve on http://127.0.0.1:5000 (SQLite unless DATABASE_URL is set).
run: $(VENV)/.app-installed
	$(BIN)/flask db upgrade
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## Set up and run the whole test suite (needs Node.js and npm for the JavaScript verifier).
test: $(VENV)/.dev-installed $(JS_VERIFIER)/node_modules/.installed
	$(BIN)/pytest -n 2 --dist loadfile

## Production: gunicorn with several workers. Needs APP_ENV=production, SECRET_KEY,
## DATABASE_URL (PostgreSQL) and RATELIMIT_STORAGE_URI (Redis) in the environment.
serve-prod: $(VENV)/.app-installed
	$(BIN)/flask db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

## Static analysis (fails on high severity) and, where its vulnerability service is
## reachable, a dependency audit of the pinned requirements.
audit: $(VENV)/.dev-installed
	$(BIN)/bandit -q -r course accounts quizzes credits reports lti staff --severity-level high
	@if $(BIN)/python -c "import urllib.request; urllib.request.urlopen('https://api.osv.dev', timeout=5)" 2>/dev/null; \
	then $(BIN)/pip-audit --strict -s osv -r requirements.txt; \
	else echo "pip-audit skipped: its vulnerability service (api.osv.dev) is not reachable from here" >&2; fi

## Validate the course content.
check: $(VENV)/.app-installed
	$(BIN)/flask content check

clean:
	rm -rf $(VENV) .pytest_cache $(JS_VERIFIER)/node_modules
