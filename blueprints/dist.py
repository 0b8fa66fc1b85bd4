"""Write synthesized templates to ``dist/`` with a manifest the publishing CLI and admins read."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from aws_cdk import App, Stack

from stacks.parameters import ParameterPolicy, parameter_policy
from stacks.smus import RESERVED_PARAMETERS

from .catalogue import Blueprint

MANIFEST = "manifest.json"


def template_file(blueprint_name: str) -> str:
    """``<name>.template.json``."""
    return f"{blueprint_name}.template.json"


def synthesize_to(app: App, blueprints: Sequence[Blueprint], out_dir: Path) -> Path:
    """Synthesize ``app`` and write ``out_dir``; it is emptied first, so a failed synthesis leaves no stale
    templates behind for ``make snapshot-diff`` or an upload to read."""
    shutil.rmtree(out_dir, ignore_errors=True)
    return write_dist(app, blueprints, out_dir)


def write_dist(app: App, blueprints: Sequence[Blueprint], out_dir: Path) -> Path:
    """Synthesize ``app`` and replace ``out_dir`` with one template per blueprint and ``manifest.json``; return the
    manifest path."""
    assembly = app.synth()
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    entries = []
    for blueprint in blueprints:
        artifact = assembly.get_stack_by_name(blueprint.name)
        target = out_dir / template_file(blueprint.name)
        shutil.copyfile(artifact.template_full_path, target)
        policy = parameter_policy(cast(Stack, app.node.find_child(blueprint.name)))
        entries.append(_manifest_entry(blueprint, artifact.template, target, policy))
    manifest = out_dir / MANIFEST
    manifest.write_text(json.dumps({"blueprints": entries}, indent=2) + "\n")
    return manifest


def user_parameters(template: dict[str, Any], policy: ParameterPolicy) -> list[dict[str, Any]]:
    """The template's non-reserved parameters in DataZone's ``CustomParameter`` shape; parameters fixed after
    creation do not support updates."""
    return [
        {
            "keyName": name,
            "fieldType": "STRING",
            "description": spec.get("Description", ""),
            **({"defaultValue": str(spec["Default"])} if "Default" in spec else {}),
            "isEditable": True,
            "isOptional": "Default" in spec,
            "isUpdateSupported": name not in policy.fixed_after_create,
        }
        for name, spec in template.get("Parameters", {}).items()
        if name not in RESERVED_PARAMETERS
    ]


def profile_parameter_overrides(template: dict[str, Any], policy: ParameterPolicy) -> list[dict[str, Any]]:
    """Admin-only parameters as DataZone ``EnvironmentConfigurationParameter`` entries for the project profile:
    the admin sets the value there and project creators cannot edit it (the blueprint itself keeps them editable,
    so that the profile can set them)."""
    parameters = template.get("Parameters", {})
    return [
        {"name": name, "value": str(parameters[name].get("Default", "")), "isEditable": False}
        for name in parameters
        if name in policy.admin_only
    ]


def _manifest_entry(
    blueprint: Blueprint, template: dict[str, Any], path: Path, policy: ParameterPolicy
) -> dict[str, Any]:
    return {
        "name": blueprint.name,
        "description": blueprint.description,
        "templateFile": path.name,
        "sizeBytes": path.stat().st_size,
        "resourceCount": len(template.get("Resources", {})),
        "deploymentMode": blueprint.deployment_mode,
        "deploymentOrder": blueprint.deployment_order,
        "userParameters": user_parameters(template, policy),
        "profileParameterOverrides": profile_parameter_overrides(template, policy),
    }
