"""TrainingRole: who can assume it, what it reads and writes, and who may pass it."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_iam as iam

from genai_sandbox_constructs import (
    ImageRepository,
    ModelRegistry,
    SandboxBucket,
    SandboxKey,
    SandboxNetwork,
    TrainingRole,
)
from tests.helpers.stacks import json_of, new_stack


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    stack = new_stack()
    key = SandboxKey(stack, "Key", alias="k", description="k")
    bucket = SandboxBucket(stack, "Storage", encryption_key=key.key)
    network = SandboxNetwork(
        stack,
        "Network",
        mode="ProjectNetwork",
        project_subnet_ids="subnet-1,subnet-2",
        project_security_group_id="sg-1",
        existing_vpc_id="",
        existing_subnet_ids="",
        existing_security_group_id="",
        flow_log_bucket=bucket.access_log_bucket,
    )
    training = TrainingRole(
        stack,
        "Training",
        bucket=bucket,
        key=key,
        registry=ModelRegistry(stack, "Registry", group_name="models", description="m"),
        images=ImageRepository(stack, "Images", encryption_key=key.key),
        network=network,
    )
    training.grant_pass_to_sagemaker(iam.ManagedPolicy(stack, "Users"))
    return json_of(stack)


def _policy(template: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    (policy,) = [
        r for k, r in template["Resources"].items() if r["Type"] == "AWS::IAM::ManagedPolicy" and k.startswith(prefix)
    ]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _prefixes(statements: list[dict[str, Any]], action: str) -> set[str]:
    found = set()
    for s in statements:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        if action in actions:
            found |= {
                r["Fn::Join"][1][1]
                for r in resources
                if isinstance(r, dict) and "Fn::Join" in r and r["Fn::Join"][1][0].get("Fn::GetAtt")
            }
    return found


def test_only_sagemaker_of_this_account_assumes_it(template: dict[str, Any]) -> None:
    (role,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert "Policies" not in role["Properties"]  # no inline policy: permissions are a managed policy


def test_reads_data_and_configs_writes_artifacts_and_checkpoints(template: dict[str, Any]) -> None:
    statements = _policy(template, "TrainingPermissions")
    assert _prefixes(statements, "s3:GetObject") == {"/data/*", "/configs/*", "/artifacts/*"}
    assert _prefixes(statements, "s3:PutObject") == {"/artifacts/*", "/data/processed/*", "/data/features/*"}
    assert _prefixes(statements, "s3:DeleteObject") == {"/artifacts/*"}


def test_logs_only_under_aws_sagemaker_and_metrics_only_in_its_namespace(template: dict[str, Any]) -> None:
    statements = _policy(template, "TrainingPermissions")
    logs = next(s for s in statements if "logs:PutLogEvents" in s["Action"])
    assert logs["Resource"]["Fn::Join"][1][-1] == ":log-group:/aws/sagemaker/*"
    metrics = next(s for s in statements if s["Action"] == "cloudwatch:PutMetricData")
    assert metrics["Condition"] == {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}}


def test_users_may_pass_it_to_sagemaker_only(template: dict[str, Any]) -> None:
    statements = _policy(template, "Users")
    passing = next(s for s in statements if s["Action"] == "iam:PassRole")
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert passing["Resource"]["Fn::GetAtt"][0].startswith("TrainingRole")
