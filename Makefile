# LongGov developer commands. Each target installs what it needs.
SHELL := /bin/bash
HOST ?= 127.0.0.1
PORT ?= 8000
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PG_URL ?= postgresql://postgres@127.0.0.1:5432
export UV_LINK_MODE ?= copy

.PHONY: demo test test-pg bench bench-large lint fmt deps assets browser uv serve

uv:
	@command -v uv >/dev/null 2>&1 || test -x $(HOME)/.local/bin/uv || python3 -m pip install --quiet --user uv

deps: uv
	@$(UV) sync --locked --quiet

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error

assets: deps frontend/node_modules/.package-lock.json
	@$(UV) run --quiet python -m longgov.web.assets frontend/node_modules >/dev/null

# Debian's Chromium and CJK fonts for the browser tests (root on the dev/CI machines).
browser:
	@bash scripts/ensure-browser.sh

demo: deps assets
	HOST=$(HOST) PORT=$(PORT) $(UV) run longgov demo

serve: deps assets
	$(UV) run longgov serve --host $(HOST) --port $(PORT)

lint: deps
	$(UV) run ruff check src tests bench
	$(UV) run ruff format --check src tests bench
	$(UV) run mypy
	$(UV) run lint-imports

fmt: deps
	$(UV) run ruff format src tests bench
	$(UV) run ruff check --fix src tests bench

test: deps assets browser lint
	$(UV) run pytest -n 2

# The same suite on PostgreSQL, on a fresh database per run.
test-pg: deps assets browser
	@bash scripts/ensure-postgres.sh
	@db=longgov_test_$$$$_$$(date +%s); \
	psql "$(PG_URL)/postgres" -qc "CREATE DATABASE $$db" && \
	LONGGOV_TEST_DATABASE_URL="$(PG_URL)/$$db" $(UV) run pytest -n 2; rc=$$?; \
	psql "$(PG_URL)/postgres" -qc "DROP DATABASE IF EXISTS $$db WITH (FORCE)" >/dev/null; exit $$rc

bench: deps assets
	@bash scripts/ensure-postgres.sh
	$(UV) run python -m bench.run

# inbox_search on 1,000,000 applications and 10,000,000 audit records in the database longgov_bench_large.
# The first run loads them (about half an hour on the 2-core dev VM); --keep-db keeps them for the next run.
bench-large: deps assets
	@bash scripts/ensure-postgres.sh
	$(UV) run python -m bench.run --scenarios inbox_search --keep-db
