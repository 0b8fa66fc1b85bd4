"""Reading policy documents in synthesized templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
