"""Reading policy documents in synthesized templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .iam_evaluator import Request, statement_matches


def statements(resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The statements of a policy resource; one that exists only under a condition (``Fn::If`` with
    ``AWS::NoValue``, see ``grants.add_conditional_statement``) counts as the statement it holds."""
    found = []
    for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
        if "Fn::If" in statement:
            _, taken, other = statement["Fn::If"]
            found.append(other if taken == {"Ref": "AWS::NoValue"} else taken)
        else:
            found.append(statement)
    return found


def service_may(
    resource_policy: list[dict[str, Any]], service: str, action: str, resource: str, context: Mapping[str, Any]
) -> bool:
    """Whether a resource policy lets ``service`` (a service principal, which holds no identity policy) do ``action``
    on ``resource`` with request ``context``: an Allow for that service matches and no Deny for it or ``*`` does."""
    request = Request(action, resource, service, service, dict(context))
    effects = [
        statement["Effect"]
        for statement in resource_policy
        if statement.get("Principal") in ({"Service": service}, "*", {"AWS": "*"})
        and statement_matches(
            {k: v for k, v in statement.items() if k != "Principal"}, request, as_resource_policy=False
        )
    ]
    return "Allow" in effects and "Deny" not in effects


def _without_principal(statement: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in statement.items() if key != "Principal"}


def actions(statement: Mapping[str, Any]) -> list[str]:
    """A statement's actions as a list (IAM allows one string)."""
    listed = statement["Action"]
    return [listed] if isinstance(listed, str) else list(listed)
