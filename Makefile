# The two commands a newcomer needs (see README.md):
#   make demo   set up, then generate a real dataset on the embedded local model
#   make test   set up, then run the whole test suite (what CI runs)
# Both create .venv on first use and reuse it afterwards.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SPEC   ?= specs/tutorial/first_spec.bds
RUN    ?= runs/demo
export LITELLM_LOCAL_MODEL_COST_MAP := True

.PHONY: setup demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/bdsc models pull smollm2
	touch $@

setup: $(VENV)/.installed

# Every step must succeed: a failed export fails the demo (no `-` prefix hiding it).
demo: setup
	$(BIN)/bdsc check $(SPEC)
	$(BIN)/bdsc compile $(SPEC)
	$(BIN)/bdsc run $(SPEC) --out $(RUN) --limit 1
	@# the training file: approved or not-yet-reviewed conversations that passed their gates
	$(BIN)/bdsc export $(RUN) --format openai -o $(RUN)/openai --include-unreviewed

test: setup
	$(BIN)/ruff check bdsl compiler tui tests bench
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/bench_compile.py

clean:
	rm -rf $(VENV) build runs .pytest_cache
