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
	# the rest with uv (pinned; it keeps the installed torch): 45 s here against pip's 115 s
	$(PY) -m pip install $(PIP_FLAGS) 'uv==0.9.*'
	$(VENV)/bin/uv pip install $(PIP_FLAGS) --python $(PY) -e '.[test,spark]'
	touch $@

build: install
	$(VENV)/bin/wavehouse build

# pytest exits 5 when it collects no tests: that is a failure here, not a pass.
# Two workers, each test file on one of them (its module fixtures built once), the slowest files
# first (tests/conftest.py SLOWEST_FIRST); `pytest` alone runs serially. (Three workers on these two
# cores took 661 s against 595 s: the builds then contend for the cores.)
test: install
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc
