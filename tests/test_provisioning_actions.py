"""The provisioning role's actions per blueprint: recorded from CloudFormation's resource handlers, current with the
templates, and shaped into policies IAM accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from blueprints.catalogue import CATALOGUE
from blueprints.provisioning import (
    POLICY_CHARACTER_LIMIT,
    STACK_ACTIONS,
    action_file,
    cfn_lint_schemas,
    permission_documents,
    recorded,
    required_actions,
    trust_document,
)
from tests.conftest import Synthesized

REPO = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def schemas() -> tuple[str, dict[str, dict[str, object]]]:
    return cfn_lint_schemas()


@pytest.mark.parametrize("name", [b.name for b in CATALOGUE])
def test_each_blueprints_actions_are_current(
    synthesized: Synthesized, schemas: tuple[str, dict[str, dict[str, object]]], name: str
) -> None:
    version, by_type = schemas
    expected = recorded(name, synthesized.templates[name], version, by_type)
    assert json.loads(action_file(name).read_text()) == expected, f"stale: run `make provisioning-actions` ({name})"


def test_every_resource_type_has_handler_actions(synthesized: Synthesized) -> None:
    for name in synthesized.templates:
        types = json.loads(action_file(name).read_text())["resourceTypes"]
        assert types, name
        assert all(actions for actions in types.values()), name


def test_the_role_can_create_named_roles_pass_them_and_manage_its_stack() -> None:
    actions = required_actions(b.name for b in CATALOGUE)
    for action in ("iam:CreateRole", "iam:PassRole", "iam:PutRolePermissionsBoundary", "kms:CreateKey"):
        assert action in actions
    assert set(STACK_ACTIONS) <= set(actions)
    assert not [a for a in actions if "*" in a]
    assert actions == sorted(set(actions))


def test_policies_fit_iams_limits_and_cover_every_action() -> None:
    actions = required_actions(b.name for b in CATALOGUE)
    documents = permission_documents(actions)
    assert 1 < len(documents) <= 10  # managed policies per role
    for document in documents:
        assert len(json.dumps(document, separators=(",", ":"))) <= POLICY_CHARACTER_LIMIT
    covered = [a for document in documents for statement in document["Statement"] for a in statement["Action"]]
    assert covered == actions


def test_only_datazone_of_this_account_assumes_the_role() -> None:
    (statement,) = trust_document("123456789012")["Statement"]
    assert statement["Principal"] == {"Service": "datazone.amazonaws.com"}
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_reading_the_actions_needs_no_cfn_lint() -> None:
    code = (
        "import sys, blueprints.provisioning as p; p.required_actions(['genai-sandbox']); "
        "assert 'cfnlint' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
