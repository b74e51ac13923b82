# The two commands a newcomer needs: `make run` and `make test`. Each sets up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run socket test install lint clean messages

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/ticketbot serve

socket: install
	$(BIN)/ticketbot socket

lint: install
	$(BIN)/ruff check .

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# Refresh the message template and the French catalog after adding or changing strings.
messages: install
	$(BIN)/pybabel extract -k N_ -k ngettext:1,2 --no-location --omit-header --sort-output \
		-o src/ticketbot/locale/ticketbot.pot src/ticketbot
	$(BIN)/pybabel update -w 100 -D ticketbot \
		-i src/ticketbot/locale/ticketbot.pot -d src/ticketbot/locale
