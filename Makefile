# kerasgan: `make demo` trains a GAN on Fashion-MNIST and writes a sample grid;
# `make test` runs the test suite. Both set up what they need themselves.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FASHION := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-quick install data bench lint clean

demo: install data
	$(BIN)/kerasgan train dcgan --dataset fashion_mnist --epochs 1 --seed 0 --out runs/demo
	@echo "Sample grid: runs/demo/samples.png"

test: install data
	$(BIN)/python -m pytest -ra

# Skips the tests that train for real on Fashion-MNIST (a few minutes).
test-quick: install data
	$(BIN)/python -m pytest -ra -m "not slow"

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

# Real Fashion-MNIST from Debian's package (IDX files, read offline).
data: $(FASHION)

$(FASHION):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq dataset-fashion-mnist

bench: install
	$(BIN)/python benchmarks/suite.py --json runs/bench.json

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) runs .pytest_cache
