"""ImageRepository: scanning, immutability, KMS, lifecycle, retention and scoped grants."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from genai_sandbox_constructs import ImageRepository
from tests.helpers.stacks import json_of, new_stack


def _template(grant: str | None = None) -> dict[str, Any]:
    stack = new_stack()
    images = ImageRepository(
        stack, "Images", encryption_key=kms.Key(stack, "Key"), max_image_count=30, untagged_image_days=2
    )
    if grant:
        getattr(images, grant)(iam.ManagedPolicy(stack, "Policy"))
    return json_of(stack)


def test_repository_scans_is_immutable_encrypted_and_retained() -> None:
    (repository,) = [r for r in _template()["Resources"].values() if r["Type"] == "AWS::ECR::Repository"]
    properties = repository["Properties"]
    assert properties["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert properties["ImageTagMutability"] == "IMMUTABLE"
    assert properties["EncryptionConfiguration"]["EncryptionType"] == "KMS"
    assert properties["EncryptionConfiguration"]["KmsKey"]["Fn::GetAtt"][0].startswith("Key")
    assert repository["DeletionPolicy"] == "Retain"
    assert "RepositoryName" not in properties


def test_lifecycle_expires_untagged_images_then_keeps_the_newest() -> None:
    (repository,) = [r for r in _template()["Resources"].values() if r["Type"] == "AWS::ECR::Repository"]
    rules = json.loads(repository["Properties"]["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
    assert [(r["rulePriority"], r["selection"]["tagStatus"], r["selection"]["countNumber"]) for r in rules] == [
        (1, "untagged", 2),
        (2, "any", 30),
    ]
    assert rules[0]["selection"]["countUnit"] == "days"


def _actions(template: dict[str, Any], resource_is_repository: bool) -> set[str]:
    (policy,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    found: set[str] = set()
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        on_repository = statement["Resource"] != "*"
        if on_repository == resource_is_repository:
            found |= set(statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    return found


def test_pull_reads_only_this_repository() -> None:
    template = _template("grant_pull")
    assert _actions(template, True) == {
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    }
    assert _actions(template, False) == {"ecr:GetAuthorizationToken"}


def test_pull_push_adds_uploads_and_listing_but_no_deletion() -> None:
    actions = _actions(_template("grant_pull_push"), True)
    assert actions == {
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:PutImage",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:DescribeImages",
        "ecr:DescribeRepositories",
        "ecr:ListImages",
    }
