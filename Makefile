# Guanxi CRM. `make run` serves the demo; `make test` runs everything CI runs.
PY := .venv/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install install-dev migrate demo serve test lint bench messages clean

install:
	scripts/bootstrap

install-dev:
	scripts/bootstrap --dev

migrate: install
	$(MANAGE) migrate --noinput -v 0

demo: migrate
	$(MANAGE) demo --if-empty --seed 1

run: demo
	$(MANAGE) collectstatic --noinput -v 0
	HOST=$(HOST) PORT=$(PORT) scripts/serve

test: install-dev
	scripts/test

lint: install-dev
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	PYTHONPATH=src .venv/bin/lint-imports

bench: install-dev
	$(PY) -m bench.run

messages: install-dev
	cd src/guanxi && ../../$(MANAGE) makemessages -l zh_Hans --no-obsolete --ignore=static/vendor/* --ignore=locale/*
	cd src/guanxi && ../../$(MANAGE) makemessages -d djangojs -l zh_Hans --no-obsolete --ignore=static/vendor/* --ignore=locale/*

clean:
	rm -rf var/static var/test
