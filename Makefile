# The README's two Quick start commands (`make demo`, `make test`) and the install step they share.
# GPU users: set TORCH_PACKAGES to your CUDA build, or install torch first; it is not reinstalled.
PYTHON ?= python3
VENV ?= .venv
TORCH_PACKAGES ?= torch==2.14.1 torchvision==0.29.1
PY := $(VENV)/bin/python
STAMP := $(VENV)/.darkvid-installed

.PHONY: install demo test

install: $(STAMP)

$(STAMP): setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch, torchvision" 2>/dev/null || $(PY) -m pip install -q $(TORCH_PACKAGES)
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

demo: install
	$(PY) tools/run_pipeline.py --preset demo --work-dir work_dirs/demo

test: install
	$(PY) -m ruff check .
	$(PY) -m pytest -q
