# The two README commands: `make build` and `make test`. Both create the virtual environment
# (.venv, or $VENV) and install wavehouse into it on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP_FLAGS ?= -q

.PHONY: build test install

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) --upgrade pip
	# torch first and pinned: 2.13.0 is the CPU wheel (unpinned pulls a multi-GB CUDA build)
	$(PY) -m pip install $(PIP_FLAGS) torch==2.13.0
	$(PY) -m pip install $(PIP_FLAGS) -e '.[test,spark]'
	touch $@

build: install
	$(VENV)/bin/wavehouse build

# pytest exits 5 when it collects no tests: that is a failure here, not a pass.
test: install
	$(PY) -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc
