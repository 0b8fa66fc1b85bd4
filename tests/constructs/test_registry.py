"""ModelRegistry: the group's name rules and what registering models allows."""

from __future__ import annotations

import pytest
from aws_cdk import Fn
from aws_cdk import aws_iam as iam

from genai_sandbox_constructs import ConfigurationError, ModelRegistry
from tests.helpers.stacks import new_stack, template_of


def test_group_carries_the_given_name_and_description() -> None:
    stack = new_stack()
    ModelRegistry(stack, "Registry", group_name="genai-sandbox-p1-dev", description="models of p1")
    template_of(stack).has_resource_properties(
        "AWS::SageMaker::ModelPackageGroup",
        {"ModelPackageGroupName": "genai-sandbox-p1-dev", "ModelPackageGroupDescription": "models of p1"},
    )


def test_grant_register_is_scoped_to_the_group_and_its_versions() -> None:
    stack = new_stack()
    registry = ModelRegistry(stack, "Registry", group_name=Fn.sub("models-${AWS::StackName}"), description="m")
    registry.grant_register(iam.ManagedPolicy(stack, "Policy"))
    (policy,) = template_of(stack).find_resources("AWS::IAM::ManagedPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    by_action = {str(s["Action"]): s for s in statements}
    # CreateModelPackage is authorized on the group too (Service Authorization Reference), not only on versions.
    group = by_action[str(["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackageGroup"])]["Resource"][
        "Fn::Join"
    ][1]
    assert group[-2:] == [":model-package-group/", {"Fn::Sub": "models-${AWS::StackName}"}]
    versions = by_action[
        str(
            [
                "sagemaker:AddTags",
                "sagemaker:CreateModelPackage",
                "sagemaker:DescribeModelPackage",
            ]
        )
    ]
    parts = versions["Resource"]["Fn::Join"][1]
    assert parts[-3:] == [":model-package/", {"Fn::Sub": "models-${AWS::StackName}"}, "/*"]
    assert by_action["sagemaker:ListModelPackages"]["Resource"] == "*"
    assert "sagemaker:DeleteModelPackageGroup" not in str(statements)
    assert "sagemaker:UpdateModelPackage" not in str(statements)  # registering is not approving


def test_grant_approve_updates_only_the_versions_of_the_group() -> None:
    stack = new_stack()
    registry = ModelRegistry(stack, "Registry", group_name="models", description="m")
    registry.grant_approve(iam.ManagedPolicy(stack, "Approvers"))
    (policy,) = template_of(stack).find_resources("AWS::IAM::ManagedPolicy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "sagemaker:UpdateModelPackage"
    assert statement["Resource"]["Fn::Join"][1][-1] == ":model-package/models/*"


@pytest.mark.parametrize("name", ["has_underscore", "-leading-hyphen", "x" * 64, ""])
def test_invalid_group_names_are_refused_before_synthesis(name: str) -> None:
    with pytest.raises(ConfigurationError, match=r"group_name=.*letters and digits"):
        ModelRegistry(new_stack(), "Registry", group_name=name, description="m")
