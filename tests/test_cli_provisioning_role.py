"""``python -m blueprints provisioning-role``: print or create the custom provisioning role (moto IAM)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from blueprints.cli import CliError
from blueprints.cli.provisioning_role import provisioning_role
from blueprints.provisioning import known_blueprints, permission_documents, required_actions


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def _args(**given: str | None) -> argparse.Namespace:
    return argparse.Namespace(**({"blueprints": None, "create": None, "region": None} | given))


def test_print_shows_the_trust_and_every_permission(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert provisioning_role(_args(blueprints="batch-inference")) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["trust"]["Statement"][0]["Principal"] == {"Service": "datazone.amazonaws.com"}
    assert printed["permissions"] == permission_documents(required_actions(["batch-inference"]))


def test_create_makes_the_role_and_attaches_every_policy_then_updates_them(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    documents = permission_documents(required_actions(known_blueprints()))
    assert provisioning_role(_args(create="datazone-genai-sandbox-provisioning")) == 0
    iam = boto3.client("iam")
    role = iam.get_role(RoleName="datazone-genai-sandbox-provisioning")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    attached = iam.list_attached_role_policies(RoleName="datazone-genai-sandbox-provisioning")["AttachedPolicies"]
    assert len(attached) == len(documents)
    for _ in range(5):  # a sixth version would exceed IAM's five: the oldest goes
        assert provisioning_role(_args(create="datazone-genai-sandbox-provisioning")) == 0
    arn = attached[0]["PolicyArn"]
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert len(versions) == 5
    default = next(v for v in versions if v["IsDefaultVersion"])
    stored = iam.get_policy_version(PolicyArn=arn, VersionId=default["VersionId"])["PolicyVersion"]["Document"]
    assert stored == documents[0]
    assert "trust refreshed" in capsys.readouterr().out


def test_unknown_blueprints_are_refused_naming_the_valid_ones(aws: None) -> None:
    with pytest.raises(CliError, match="not-one: not blueprints; valid: async-inference, batch-inference"):
        provisioning_role(_args(blueprints="genai-sandbox,not-one"))
