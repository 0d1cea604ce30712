# The two commands a new user needs:  `make run`  (set up, ingest corpus/, serve on :8000)
#                                     `make test` (set up, run every test; what .ci/run calls)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LLAMA_VERSION := 0.3.36
# Portable CPU build: -march=native picks up AMX/AVX-512 paths that crash on some virtual machines.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DLLAMA_CURL=OFF
WHEELS := .cache/wheels

.PHONY: setup run test test-fast browser-deps dictionary prompt-states eval bench lint clean-index

setup: $(VENV)/.installed dictionary prompt-states

# German-English dictionary (Ding, Debian's trans-de-en): the evidence picker reads it for English questions, and
# the answer checks its German words (assistant/dictionary.py); without it the assistant still works, with the built-in
# glossary only and without the sibling-compound check (assistant/compounds.py). Its table is
# built once here and kept beside the models, so that no start of the assistant pays for reading the file
dictionary: $(VENV)/.installed
	@test -f /usr/share/trans/de-en || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	  trans-de-en >/dev/null; } || echo "warning: could not install trans-de-en (English questions use the glossary only)"
	$(BIN)/python -m assistant.dictionary

# The static prompts' processed LLM states (~20 s on 2 cores), kept beside the models: they depend on the model and
# the prompt text, not on the index, so every start of the assistant restores them (assistant/prime.py)
prompt-states: $(VENV)/.installed
	$(BIN)/python -m assistant.prime || echo "warning: prompt states not computed (the first start of the assistant computes them)"

$(VENV)/.installed: pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# CPU torch first, from this machine's disk; anything later that wants torch finds it satisfied
	$(BIN)/pip install --quiet torch==2.13.0
	# llama-cpp-python exists only as source: build it once (8-10 min on 2 cores) into a project-local wheel
	ls $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
	  CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" \
	  $(BIN)/pip wheel --quiet --no-cache-dir --no-deps llama-cpp-python==$(LLAMA_VERSION) -w $(WHEELS)
	$(BIN)/pip install --quiet --force-reinstall --no-deps $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(BIN)/pip install --quiet -e ".[models,test]"
	touch $@

run: setup
	$(BIN)/assistant ingest corpus || [ $$? -eq 2 ]
	$(BIN)/assistant serve

browser-deps:
	command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Every test gates, including the ones that assert facts in what the local 1.5B model writes
# (marker model_answers, e.g. "North America" for the EV question) and the real-browser tests.
test: setup browser-deps
	$(BIN)/ruff check assistant ingest ui eval bench tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not integration and not slow and not browser"

eval: setup
	$(BIN)/assistant eval --split test

bench: setup
	$(BIN)/python -m bench.run

lint: setup
	$(BIN)/ruff check assistant ingest ui eval bench tests
	$(BIN)/mypy
