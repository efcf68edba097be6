# Set-up and everyday commands. A fresh machine needs only `make chat` or `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install locales chat test test-postgres lint typecheck unit bench extract-messages clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

## install: create .venv, install the project and its tools, compile the catalogs
install: $(STAMP) locales

## locales: compile locales/*/LC_MESSAGES/messages.po into .mo files
locales: $(STAMP)
	$(BIN)/pybabel compile --statistics -d locales -D messages

## chat: install, then talk to the assistant in the console (no Telegram token needed)
chat: install
	$(BIN)/torun-bot chat

## test: install, then lint, type-check, validate content and run the whole test suite
test: install lint typecheck
	$(BIN)/torun-bot check
	$(BIN)/python -m pytest -q

## test-postgres: the tests that use a database again, on a throwaway PostgreSQL server
## (.ci/postgres.sh installs the distribution's package if needed, starts it, stops it after)
test-postgres: install
	bash .ci/postgres.sh run $(BIN)/python -m pytest -q -m database

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## bench: speed and accuracy benchmarks (figures go to bench/results/)
bench: install
	$(BIN)/python -m bench.run_all

## extract-messages: refresh locales/messages.pot and merge it into the .po files
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output \
		--project torun-dialog-bot -o locales/messages.pot bot
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
