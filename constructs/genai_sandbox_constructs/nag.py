"""The one place that talks to cdk-nag: rule packs and granular acknowledgements.

cdk-nag v3 reads CDK's native ``Validations`` acknowledgements; a major upgrade should only touch this module.
"""

from __future__ import annotations

import json
from typing import Any
from weakref import WeakKeyDictionary

from aws_cdk import Acknowledgment, Stack, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks
from constructs import IConstruct

PACKS = (AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks)
"""The rule packs every blueprint must pass with zero unacknowledged findings."""


def register_packs(scope: IConstruct) -> None:
    """Run every pack in ``PACKS`` over ``scope`` at synthesis; an unacknowledged finding fails synthesis."""
    Validations.of(scope).add_plugins(*(pack(scope) for pack in PACKS))


ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
"""Construct metadata type under which CDK records acknowledgements."""
_given: WeakKeyDictionary[IConstruct, dict[str, str]] = WeakKeyDictionary()
"""Reasons given so far per construct: reading them back from construct metadata costs a jsii round trip each."""


def acknowledge(construct: IConstruct, reason: str, *rule_ids: str) -> None:
    """Acknowledge each exact finding id (``AwsSolutions-IAM5[Resource::...]``) on ``construct``, with a reason.

    When two grants acknowledge the same finding on one construct, both reasons are kept.
    """
    if not reason.strip():
        raise ValueError("a nag acknowledgement needs a reason a reviewer would accept")
    earlier = _given.setdefault(construct, {})
    for rule_id in rule_ids:
        earlier[rule_id] = _combined(earlier.get(rule_id), reason)
    Validations.of(construct).acknowledge(
        *(Acknowledgment(id=rule_id, reason=earlier[rule_id]) for rule_id in rule_ids)
    )


def acknowledgements(construct: IConstruct) -> dict[str, str]:
    """Finding id -> reason, for every acknowledgement recorded on ``construct`` itself (read from metadata)."""
    found: dict[str, str] = {}
    for entry in construct.node.metadata:
        if entry.type == ACKNOWLEDGED_RULES:
            found |= {key.removeprefix("Annotation::"): value for key, value in dict(entry.data).items()}
    return found


def _combined(earlier: str | None, reason: str) -> str:
    return reason if earlier is None or reason in earlier else f"{earlier} {reason}"


def wildcard_resource_finding(scope: IConstruct, resource: str | list[str]) -> str:
    """The AwsSolutions-IAM5 finding id for ``resource`` (tokens allowed), exactly as cdk-nag renders it."""
    return f"AwsSolutions-IAM5[Resource::{flatten_reference(Stack.of(scope).resolve(resource))}]"


def flatten_reference(node: Any) -> str:  # noqa: PLR0911 - one return per intrinsic, as in cdk-nag
    """Port of cdk-nag's ``flattenCfnReference``: a resolved CloudFormation value as one flat string."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict) and node.get("Fn::Join"):
        delimiter, items = node["Fn::Join"]
        return str(delimiter).join(flatten_reference(item) for item in items)
    if isinstance(node, dict) and node.get("Fn::Sub"):
        return flatten_reference(node["Fn::Sub"]) if isinstance(node["Fn::Sub"], str) else _as_json(node["Fn::Sub"])
    if isinstance(node, dict) and node.get("Fn::GetAtt"):
        resource, attribute = node["Fn::GetAtt"]
        return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
    if isinstance(node, dict) and node.get("Fn::ImportValue"):
        return flatten_reference(node["Fn::ImportValue"])
    if isinstance(node, dict) and node.get("Ref"):
        return f"<{flatten_reference(node['Ref'])}>"
    return _as_json(node)


def _as_json(node: Any) -> str:
    return json.dumps(node, separators=(",", ":"))
