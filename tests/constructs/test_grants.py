"""Every grant takes the grantee first, lands in a managed policy or a principal's own policy, and returns an
``iam.Grant`` in aws-cdk-lib's shape."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from genai_sandbox_constructs import (
    Access,
    ImageRepository,
    ModelRegistry,
    SandboxBucket,
    SandboxKey,
    project_members,
)
from tests.helpers.stacks import json_of, new_stack


def test_grants_return_iam_grants_whose_statements_land_in_the_managed_policy() -> None:
    stack = new_stack()
    key = SandboxKey(stack, "Key", alias="a", description="d")
    bucket = SandboxBucket(stack, "Storage", encryption_key=key)
    registry = ModelRegistry(stack, "Registry", group_name="models", description="d")
    images = ImageRepository(stack, "Images", encryption_key=key)
    policy = iam.ManagedPolicy(stack, "Policy")
    grants = [
        bucket.grant_read(policy, "data/raw/"),
        key.grant_use(policy),
        registry.grant_register(policy),
        images.grant_pull(policy),
    ]
    assert all(grant.success for grant in grants)
    granted = {action for grant in grants for statement in grant.principal_statements for action in statement.actions}
    (rendered,) = [r for r in json_of(stack)["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    in_policy = {
        action
        for statement in rendered["Properties"]["PolicyDocument"]["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert granted == in_policy
    assert {"s3:GetObject", "kms:Decrypt", "sagemaker:CreateModelPackage", "ecr:BatchGetImage"} <= granted


def test_grants_to_a_role_land_in_the_role_policy() -> None:
    stack = new_stack()
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    bucket = SandboxBucket(stack, "Storage", encryption_key=kms.Key(stack, "Key"))
    grant = bucket.grant_write(role, "inference/async/input/")
    assert grant.success
    assert next(statement.actions for statement in grant.principal_statements) == [
        "s3:PutObject",
        "s3:PutObjectTagging",
        "s3:AbortMultipartUpload",
    ]


def test_bucket_policy_grants_return_the_resource_statements() -> None:
    stack = new_stack()
    bucket = SandboxBucket(stack, "Storage", encryption_key=kms.Key(stack, "Key"))
    members = project_members(["arn:aws:iam::111122223333:role/datazone_usr_role_p_*"])
    grant = bucket.grant_to_principal(members, "data/", Access.READ)
    assert grant.success
    listing = [s for s in grant.resource_statements if s.actions == ["s3:ListBucket"]]
    assert stack.resolve(listing[0].to_statement_json())["Condition"]["StringLike"] == {"s3:prefix": ["data/*"]}
