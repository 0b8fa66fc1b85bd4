"""No role of any blueprint can pull another project's private images from this account's ECR."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Synthesized
from tests.helpers.policies import statements

OTHER_ACCOUNTS_ONLY = {
    "StringNotEquals": {"aws:ResourceAccount": {"Ref": "AWS::AccountId"}},
    "Null": {"aws:ResourceAccount": "false"},  # a request without the key must not pass the negated test
}


def _pull_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in template["Resources"].items():
        if resource["Type"] not in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            continue
        for statement in statements(resource):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if "ecr:BatchGetImage" in actions:
                yield name, statement


def _is_the_sandbox_repository(resource: Any) -> bool:
    """The genai-sandbox repository: its own resource there, its export in the pattern blueprints."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        return str(resource["Fn::GetAtt"][0]).startswith("ImagesRepository")
    if isinstance(resource, dict) and "Fn::ImportValue" in resource:
        return str(resource["Fn::ImportValue"]["Fn::Sub"]).startswith("genaiSandboxImageRepositoryArn-")
    return False


@pytest.mark.parametrize("blueprint", ["genai-sandbox", "realtime-inference", "serverless-inference"])
def test_pulls_reach_the_sandbox_repository_or_other_accounts_only(synthesized: Synthesized, blueprint: str) -> None:
    statements = list(_pull_statements(synthesized.templates[blueprint]))
    assert statements, "every blueprint pulls images somewhere"
    for name, statement in statements:
        if _is_the_sandbox_repository(statement["Resource"]):
            assert "Condition" not in statement, name
        else:
            assert statement["Condition"] == OTHER_ACCOUNTS_ONLY, name


@pytest.mark.parametrize("blueprint", ["realtime-inference", "serverless-inference"])
def test_models_may_pull_the_sandbox_repository(synthesized: Synthesized, blueprint: str) -> None:
    """Images pushed to the sandbox repository (the documented workflow) stay usable by model and package."""
    policies = {
        name
        for name, s in _pull_statements(synthesized.templates[blueprint])
        if _is_the_sandbox_repository(s["Resource"])
    }
    assert {name.split("Permissions")[0][len("ModelSageMaker") :] for name in policies} == {"Artifact", "Package"}
