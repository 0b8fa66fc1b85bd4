"""Fine-grained tests of the member-facing pieces: bucket-policy grants, discovery, passable training role names."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Aws, CfnCondition, Fn
from aws_cdk import aws_iam as iam

from genai_sandbox_constructs import ConfigurationError, SandboxBucket, SandboxDiscovery, SandboxKey
from genai_sandbox_constructs.access.members import project_members, smus_project_role_pattern
from genai_sandbox_constructs.grants import add_conditional_statement
from genai_sandbox_constructs.model_building.training import _check_role_name
from genai_sandbox_constructs.roles import sagemaker_role
from genai_sandbox_constructs.storage.bucket_access import Access
from tests.helpers.stacks import json_of, new_stack

ROLES = "arn:aws:iam::111122223333:role/datazone_usr_role_p1_*"


def _bucket_policy_statements(access: Access, prefix: str) -> list[dict[str, Any]]:
    stack = new_stack()
    key = SandboxKey(stack, "Key", alias="a", description="d")
    bucket = SandboxBucket(stack, "Storage", encryption_key=key.key)
    bucket.grant_to_principal(project_members([ROLES]), prefix, access)
    (policy,) = [
        r
        for r in json_of(stack)["Resources"].values()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"]["Ref"].startswith("StorageBucket")
    ]
    return [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]


def test_members_read_a_prefix_through_the_bucket_policy() -> None:
    objects, listing = _bucket_policy_statements(Access.READ, "inference/async/output/")
    for statement in (objects, listing):
        assert statement["Principal"] == {"AWS": "*"}
        assert statement["Condition"]["ArnLike"] == {"aws:PrincipalArn": [ROLES]}
        assert statement["Condition"]["StringEquals"] == {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}
    assert objects["Action"] == ["s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion"]
    assert objects["Resource"]["Fn::Join"][1][-1] == "/inference/async/output/*"
    assert listing["Action"] == "s3:ListBucket"
    assert listing["Condition"]["StringLike"] == {"s3:prefix": ["inference/async/output/*"]}


def test_members_write_a_prefix_without_listing_it() -> None:
    (objects,) = _bucket_policy_statements(Access.WRITE, "inference/batch/input/")
    assert objects["Action"] == ["s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectTagging"]


def test_bucket_policy_grants_stay_inside_the_layout() -> None:
    with pytest.raises(ConfigurationError, match="prefix"):
        _bucket_policy_statements(Access.READ, "secrets/")


def test_smus_project_roles_are_matched_by_project_id() -> None:
    stack = new_stack()
    pattern = stack.resolve(smus_project_role_pattern("p1"))
    assert pattern["Fn::Join"][1][-1] == ":role/datazone_usr_role_p1_*"


def test_discovery_is_one_json_parameter_readers_may_get() -> None:
    stack = new_stack()
    discovery = SandboxDiscovery(
        stack, "Discovery", name=Fn.sub("/genai-sandbox/${AWS::StackName}"), values={"A": "b"}, description="d"
    )
    policy = iam.ManagedPolicy(stack, "Readers")
    discovery.grant_read(policy)
    resources = json_of(stack)["Resources"]
    (parameter,) = [r for r in resources.values() if r["Type"] == "AWS::SSM::Parameter"]
    assert parameter["Properties"]["Type"] == "String"
    assert parameter["Properties"]["Tier"] == "Standard"
    assert parameter["Properties"]["Value"] == '{"A":"b"}'
    (readers,) = [r for r in resources.values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    (statement,) = readers["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "ssm:GetParameter"
    assert statement["Resource"]["Fn::Join"][1][-2:] == [":parameter", {"Fn::Sub": "/genai-sandbox/${AWS::StackName}"}]


@pytest.mark.parametrize("name", ["datazone-" + "x" * 56, "datazone training"])
def test_training_role_names_are_checked(name: str) -> None:
    with pytest.raises(ConfigurationError, match="role_name"):
        _check_role_name(name)


def test_sagemaker_roles_take_a_name_when_members_must_pass_them() -> None:
    stack = new_stack()
    sagemaker_role(stack, "Role", "d", role_name="datazone-sandbox-training-e1")
    (role,) = [r for r in json_of(stack)["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert role["Properties"]["RoleName"] == "datazone-sandbox-training-e1"


def test_conditional_statements_follow_the_policys_own_and_later_ones_fail_validation() -> None:
    stack = new_stack()
    condition = CfnCondition(stack, "Used", expression=Fn.condition_equals(Aws.REGION, "us-east-1"))
    policy = iam.ManagedPolicy(stack, "Members", statements=[iam.PolicyStatement(actions=["a:b"], resources=["*"])])
    add_conditional_statement(policy, condition, iam.PolicyStatement(actions=["c:d"], resources=["*"]))
    (rendered,) = [r for r in json_of(stack)["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    own, conditional = rendered["Properties"]["PolicyDocument"]["Statement"]
    assert own["Action"] == "a:b"
    assert conditional == {
        "Fn::If": ["Used", {"Action": "c:d", "Effect": "Allow", "Resource": "*"}, {"Ref": "AWS::NoValue"}]
    }
    policy.add_statements(iam.PolicyStatement(actions=["e:f"], resources=["*"]))
    assert any("after add_conditional_statement" in error for error in policy.node.validate())
