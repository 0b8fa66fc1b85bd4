"""What SMUS's provisioning role must be allowed to do for each blueprint, as data the CLI reads.

``blueprints/provisioning/<name>.json`` lists, per resource type of the blueprint's template, the IAM actions of
CloudFormation's resource handlers (create, read, update, delete) from the resource provider schemas that cfn-lint
ships. ``make provisioning-actions`` rewrites them from ``dist/``; a test fails when they are stale. Reading them
needs only the standard library (the CLI must run without Node or cfn-lint).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

ACTIONS_DIR = Path(__file__).parent / "provisioning"
HANDLERS = ("create", "read", "update", "delete")
STACK_ACTIONS = (
    "cloudformation:CreateChangeSet",
    "cloudformation:CreateStack",
    "cloudformation:DeleteChangeSet",
    "cloudformation:DeleteStack",
    "cloudformation:DescribeChangeSet",
    "cloudformation:DescribeStackEvents",
    "cloudformation:DescribeStacks",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:GetTemplate",
    "cloudformation:GetTemplateSummary",
    "cloudformation:ListStackResources",
    "cloudformation:TagResource",
    "cloudformation:UpdateStack",
    "cloudformation:ValidateTemplate",
    "s3:GetObject",
)
"""Managing the environment's stack itself and reading its template from the template bucket."""
POLICY_CHARACTER_LIMIT = 6144
"""IAM's limit on a managed policy document, counted without whitespace."""


def action_file(blueprint_name: str) -> Path:
    """``blueprints/provisioning/<name>.json``."""
    return ACTIONS_DIR / f"{blueprint_name}.json"


def known_blueprints() -> list[str]:
    """The blueprints that have an action file."""
    return sorted(path.stem for path in ACTIONS_DIR.glob("*.json"))


def required_actions(blueprint_names: Iterable[str]) -> list[str]:
    """Every action the provisioning role needs for ``blueprint_names``, sorted, stack actions included."""
    actions = set(STACK_ACTIONS)
    for name in blueprint_names:
        recorded = json.loads(action_file(name).read_text())
        actions |= {action for listed in recorded["resourceTypes"].values() for action in listed}
    return sorted(actions)


def permission_documents(actions: Sequence[str]) -> list[dict[str, Any]]:
    """Policy documents allowing ``actions`` on every resource (CloudFormation names the resources it creates, so
    no narrower ARN exists beforehand), split so that each fits a managed policy."""
    documents: list[dict[str, Any]] = []
    chunk: list[str] = []
    for action in actions:
        if chunk and _size(_document([*chunk, action])) > POLICY_CHARACTER_LIMIT:
            documents.append(_document(chunk))
            chunk = []
        chunk.append(action)
    if chunk:
        documents.append(_document(chunk))
    return documents


def trust_document(account_id: str) -> dict[str, Any]:
    """DataZone assumes the provisioning role (with session tags) for this account's domains only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "datazone.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


def _document(actions: list[str]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}


def _size(document: dict[str, Any]) -> int:
    return len(json.dumps(document, separators=(",", ":")))


def handler_actions(template: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Resource type -> the actions of its handlers, for every type in ``template``.

    :param schemas: resource type -> its provider schema (with ``handlers``).
    """
    types = sorted({resource["Type"] for resource in template["Resources"].values()})
    return {
        resource_type: sorted(
            {
                action
                for handler in HANDLERS
                for action in schemas[resource_type].get("handlers", {}).get(handler, {}).get("permissions", [])
            }
        )
        for resource_type in types
    }


def cfn_lint_schemas(region: str = "us-east-1") -> tuple[str, dict[str, dict[str, Any]]]:
    """cfn-lint's version and its resource provider schemas for ``region`` (a development dependency)."""
    import cfnlint  # noqa: PLC0415 - only the generator and its test need it

    root = Path(cfnlint.__file__).parent / "data" / "schemas"
    index: dict[str, str] = json.loads((root / "providers" / f"{region}.json").read_text())
    schemas = {
        resource_type: json.loads((root / "resources" / f"{digest}.json").read_text())
        for resource_type, digest in index.items()
    }
    return metadata.version("cfn-lint"), schemas


def recorded(blueprint_name: str, template: dict[str, Any], version: str, schemas: dict[str, Any]) -> dict[str, Any]:
    """The content of ``action_file(blueprint_name)`` for ``template``."""
    return {
        "blueprint": blueprint_name,
        "source": f"cfn-lint {version} resource provider schemas, us-east-1: handlers {', '.join(HANDLERS)}",
        "resourceTypes": handler_actions(template, schemas),
    }


def write_action_files(dist: Path) -> list[Path]:
    """Rewrite every blueprint's action file from the templates in ``dist``."""
    version, schemas = cfn_lint_schemas()
    manifest = json.loads((dist / "manifest.json").read_text())
    written = []
    for entry in manifest["blueprints"]:
        template = json.loads((dist / entry["templateFile"]).read_text())
        target = action_file(entry["name"])
        target.write_text(json.dumps(recorded(entry["name"], template, version, schemas), indent=2) + "\n")
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write_action_files(Path(__file__).parent.parent / "dist"):
        print(f"wrote {path}")
