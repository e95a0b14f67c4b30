# KKMP Anggota: `make run` (app with demo data on SQLite) and `make test` (the test suite).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint migrations-check messages bench bench-pages audit audit-tools clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# The task worker (large imports) runs beside the web server and stops with it.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo "KKMP Anggota: http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	trap 'kill 0' EXIT INT TERM; \
	$(PY) manage.py db_worker --interval 1 & \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest

# The apps' layers (pyproject.toml: each app imports only the apps below it) and the lint rules.
lint: install
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

# Source strings are English; the Indonesian catalogue must stay complete (locale/README.md).
PO := locale/id/LC_MESSAGES
messages: install
	$(PY) manage.py makemessages -l id --no-location --ignore=.venv --ignore=staticfiles --ignore=tests
	msgattrib --no-obsolete $(PO)/django.po -o $(PO)/django.po
	msgcat --use-first $(PO)/django.po $(PO)/import_export_extra.po -o $(PO)/django.po
	$(PY) manage.py compilemessages -l id --ignore=.venv
	rm -f $(PO)/import_export_extra.mo

# Import and dashboard figures on PostgreSQL (BENCH_ROWS, BENCH_MEMBERS, BENCH_DATABASE_URL).
bench: install
	$(PY) bench/run.py

# Only the page weights (bytes per page with gzip, static files cached; its own SQLite demo database).
bench-pages: install
	$(PY) bench/pages.py

# Known vulnerabilities in requirements.txt (pip-audit in its own venv; .ci/known-vulnerabilities.toml).
AUDIT_VENV  := .venv-audit
AUDIT_STAMP := $(AUDIT_VENV)/.installed-$(shell cksum .ci/audit-requirements.txt | cut -d' ' -f1)

$(AUDIT_STAMP): .ci/audit-requirements.txt
	test -x $(AUDIT_VENV)/bin/python || $(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r .ci/audit-requirements.txt
	rm -f $(AUDIT_VENV)/.installed-*
	touch $(AUDIT_STAMP)

audit-tools: $(AUDIT_STAMP)

audit: audit-tools
	$(AUDIT_VENV)/bin/python .ci/audit_dependencies.py --pip-audit $(AUDIT_VENV)/bin/pip-audit

clean:
	rm -rf $(VENV) $(AUDIT_VENV) staticfiles .pytest_cache
