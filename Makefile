# kerasgan: `make demo` trains a GAN on Fashion-MNIST and writes a sample grid;
# `make test` runs the test suite. Both set up what they need themselves.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FASHION := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-full test-quick install data bench lint docs clean

demo: install data
	$(BIN)/kerasgan train dcgan --dataset fashion_mnist --epochs 1 --seed 0 --out runs/demo
	@echo "Sample grid: runs/demo/samples.png"

# Two streams side by side (each keeps about one of CI's two cores busy):
# 1. the TensorFlow suite but the files of stream 2;
# 2. the backend-neutral tests (marked `backends`: variants, losses, penalties,
#    EMA, saving, ...) on JAX, then on PyTorch, then on TensorFlow the tests that
#    start other backends' processes themselves (tests/test_backends.py compares
#    the three backends, the backend benchmark, the CLI on JAX and PyTorch) and
#    the real-training and chaos tests (tests/test_learning.py, test_chaos.py);
#    its output goes to runs/test-streams.log, printed at the end.
# Either failure fails the target. PyTorch and NumPy keep to one thread per
# operation (OMP_NUM_THREADS): the two streams keep both cores busy, and
# threads that wait for a core only slow the other stream.
# `make test` leaves out the tests marked `extended` (more cases of behaviours
# the suite already checks more cheaply); `make test-full` runs them too.
MARKS ?= not extended
TEST_ENV = OMP_NUM_THREADS=1
STREAM2_TF = tests/test_backends.py tests/test_backend_bench.py tests/test_cli_backends.py \
	tests/test_learning.py tests/test_chaos.py
SECOND_STREAM = for b in jax torch; do \
	  echo "== KERAS_BACKEND=$$b pytest -m backends"; \
	  KERAS_BACKEND=$$b $(TEST_ENV) $(BIN)/python -m pytest -ra -p no:cacheprovider --durations=20 \
	    -m "backends and ($(MARKS))" \
	    --ignore=tests/test_backends.py --basetemp=runs/pytest-$$b || exit 1; \
	done; \
	echo "== pytest $(STREAM2_TF) (TensorFlow)"; \
	$(TEST_ENV) $(BIN)/python -m pytest -ra -p no:cacheprovider --durations=20 -m "$(MARKS)" \
	  $(STREAM2_TF) --basetemp=runs/pytest-tf2

test: install data
	@mkdir -p runs
	@($(SECOND_STREAM)) > runs/test-streams.log 2>&1 & second=$$!; \
	$(TEST_ENV) $(BIN)/python -m pytest -ra --durations=40 -m "$(MARKS)" \
	  $(addprefix --ignore=,$(STREAM2_TF)); first=$$?; \
	wait $$second; rest=$$?; \
	cat runs/test-streams.log; \
	echo "TensorFlow suite: exit $$first; JAX, PyTorch, cross-backend and real training: exit $$rest"; \
	[ $$first -eq 0 ] && [ $$rest -eq 0 ]

# `make test` with the `extended` tests too (before a release).
test-full:
	$(MAKE) test MARKS="extended or not extended"

# Skips the tests that train for real on Fashion-MNIST (a few minutes).
test-quick: install data
	$(BIN)/python -m pytest -ra -m "not slow"

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@# older installs used tensorflow-cpu; two packages must not provide one module
	$(BIN)/python -m pip uninstall -q -y tensorflow-cpu 2>/dev/null || true
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

# Real Fashion-MNIST from Debian's package (IDX files, read offline).
data: $(FASHION)

$(FASHION):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq dataset-fashion-mnist

# The TensorFlow suite, then kerasgan against a minimal hand-written step on
# each backend (TensorFlow, JAX, PyTorch; each in a process of its own).
bench: install
	$(BIN)/python benchmarks/suite.py --json runs/bench.json
	$(BIN)/python benchmarks/backends.py --json runs/backends.json

# ruff (lint and format) and mypy, as .pre-commit-config.yaml runs them.
# Installs the `lint` extra (the pinned ruff and mypy) into .venv the first time.
lint: install
	@$(BIN)/python -c "import mypy, ruff" 2>/dev/null || \
	  $(BIN)/python -m pip install -q -e ".[lint]"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy kerasgan

# The documentation site (docs/, mkdocs.yml) into runs/site; warnings fail the build.
# Installs the `docs` extra into .venv the first time.
docs: install
	@$(BIN)/python -c "import mkdocs, material, mkdocstrings_handlers.python" 2>/dev/null || \
	  $(BIN)/python -m pip install -q -e ".[docs]"
	$(BIN)/python docs/gen_troubleshooting.py --check
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d runs/site

clean:
	rm -rf $(VENV) runs .pytest_cache
