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

# The suite runs in parts (tests/run_suite.py): each part is a pytest process
# of its own on one backend -- the whole suite on TensorFlow, its
# backend-neutral tests (marked `backends`) again on JAX and on PyTorch -- run
# longest first, one per core (CI: two at a time). A part's memory goes back to
# the system when it ends. Logs: runs/tests/<part>.log. PyTorch and NumPy keep
# to one thread per operation (OMP_NUM_THREADS=1): the parts keep the cores
# busy, and threads that wait for a core only slow the other parts.
# `make test` leaves out the tests marked `extended` (more cases of behaviours
# the suite already checks more cheaply); `make test-full` runs them too.
# Extra pytest arguments: make test ARGS="-x -k wgan".
MARKS ?= not extended
ARGS ?=

test: install data
	$(BIN)/python tests/run_suite.py -m "$(MARKS)" $(ARGS)

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
