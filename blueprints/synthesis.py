"""Build the CDK app from the catalogue, exactly as ``cdk synth`` would, and select blueprints."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import App

from genai_sandbox_constructs import Problems, nag

from .catalogue import CATALOGUE, Blueprint

REPO_ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = REPO_ROOT / "cdk.json"


def cdk_json_context() -> dict[str, Any]:
    """The ``context`` of cdk.json: feature flags that the CDK CLI would pass to the app."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def create_app(outdir: str | None = None, context: dict[str, Any] | None = None) -> App:
    """An App as the CDK CLI builds it: cdk.json's context (``context`` entries win), no version reporting.

    Stack traces and the built-in CloudFormation validation are off: the CLI drops the former and cfn-lint
    does the latter in the tests; both cost seconds per synthesis.
    """
    return App(
        outdir=outdir,
        context={**cdk_json_context(), **(context or {})},
        analytics_reporting=False,
        builtin_cloud_formation_validation=False,
        stack_traces=False,
    )


def select_blueprints(requested: str | None, catalogue: Sequence[Blueprint] = CATALOGUE) -> list[Blueprint]:
    """Every blueprint, or the one named by ``-c blueprint=<name>``."""
    if requested is None:
        return list(catalogue)
    selected = [blueprint for blueprint in catalogue if blueprint.name == requested]
    if not selected:
        problems = Problems("cdk context")
        problems.add("blueprint", requested, f"one of {', '.join(b.name for b in catalogue)}")
        problems.raise_if_any()
    return selected


def build(app: App, blueprints: Sequence[Blueprint], *, with_nag: bool = True) -> None:
    """Add one stack per blueprint to ``app``; with ``with_nag`` every rule pack runs at synthesis."""
    for blueprint in blueprints:
        blueprint.stack_class(app, blueprint.name, description=blueprint.description)
    if with_nag:
        nag.register_packs(app)
