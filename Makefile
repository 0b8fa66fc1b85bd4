# Two commands matter: `make synth` and `make test`. Everything else is a building block.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# uv installs the pinned packages in seconds (pip took about a minute); --native-tls uses the system's certificates,
# --compile-bytecode writes the .pyc files once (imports stay fast where PYTHONDONTWRITEBYTECODE is set).
UV_VERSION := 0.13.8
UV := $(VENV)/bin/uv pip install --python $(PY) --native-tls --compile-bytecode --quiet
# jsii needs Node >= 22; the pinned `node` npm package brings one without touching the system.
export JSII_NODE := $(CURDIR)/node_modules/.bin/node
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: install synth test lint typecheck unit bench cdk-synth snapshot-diff snapshot-update clean provisioning-actions publish cost docs

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt constructs/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) -r requirements-dev.txt -c constraints.txt
	$(UV) --no-deps -e ./constructs
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Write every blueprint to dist/<blueprint>.template.json plus dist/manifest.json.
synth: install
	$(PY) app.py

## Every test and gate: lint, format, then types and pytest side by side (templates, nag, cfn-lint, moto deploys,
## handlers); a cold mypy run takes as long as pytest, so they share the two cores.
test: install lint
	@$(MAKE) --no-print-directory -j2 --output-sync=target typecheck unit

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck:
	$(VENV)/bin/mypy

unit:
	@$(VENV)/bin/pytest -n 2 --dist worksteal; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; fi; \
	exit $$status

## Review: the diff between each reviewed snapshot and dist/ (sorted keys). Then accept with snapshot-update.
snapshot-diff: synth
	$(PY) -m tests.helpers.snapshot_diff

## Accept the reviewed diff: rewrite the snapshots from a fresh synthesis.
snapshot-update: install
	$(VENV)/bin/pytest tests/test_snapshots.py --snapshot-update -q

## Synth timing against a one-bucket app (see README, "Performance").
bench: install
	$(PY) benchmarks/synth_benchmark.py

## Rewrite blueprints/provisioning/*.json (the provisioning role's actions) from freshly synthesized templates.
provisioning-actions: synth
	$(PY) -m blueprints.provisioning

## Rewrite docs/diagrams/*.mmd and the README's architecture diagrams from freshly synthesized templates.
docs: synth
	$(PY) -m blueprints.diagrams

## Print the idle cost of every blueprint and rewrite the README's idle-cost table.
cost: synth
	$(PY) -m blueprints cost
	$(PY) -c "from pathlib import Path; from blueprints.cli.cost import write_readme; write_readme(Path('README.md'))"

## Register the blueprints in SMUS: make publish ARGS="--domain-id dzd_... --bucket ... --regions ... ..."
publish: install
	$(PY) -m blueprints publish $(ARGS)

## The same synthesis through the pinned CDK CLI (cdk.out/).
cdk-synth: install
	cdk synth --quiet

clean:
	rm -rf cdk.out dist .mypy_cache .ruff_cache .pytest_cache
