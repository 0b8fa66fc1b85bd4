"""A SageMaker model package group: the sandbox's model registry."""

from __future__ import annotations

import re

from aws_cdk import Aws, RemovalPolicy, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from genai_sandbox_constructs import nag
from genai_sandbox_constructs.errors import Problems
from genai_sandbox_constructs.grants import PolicyTarget, attach, owner

GROUP_NAME_PATTERN = re.compile(r"(?=.{1,63}$)[a-zA-Z0-9](-*[a-zA-Z0-9])*")
"""SageMaker's ModelPackageGroupName: 1-63 characters, alphanumerics separated by hyphens."""

REGISTER_ACTIONS = ("sagemaker:AddTags", "sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage")
"""On the group's versions; ``CreateModelPackage`` (and tagging the new version) is also authorized on the group
itself (Service Authorization Reference: CreateModelPackage takes model-package and model-package-group)."""
GROUP_ACTIONS = ("sagemaker:DescribeModelPackageGroup", "sagemaker:CreateModelPackage")
APPROVE_ACTIONS = ("sagemaker:UpdateModelPackage",)
"""Changing a version's approval status: kept apart so that whoever registers need not approve."""
LIST_ACTIONS = ("sagemaker:ListModelPackages",)
"""Listing has no resource-level permissions in SageMaker: it can only be granted on ``*``."""


class ModelRegistry(Construct):
    """A model package group in which project members register and approve model versions."""

    def __init__(self, scope: Construct, construct_id: str, *, group_name: str, description: str) -> None:
        """:param group_name: the group's name; the SageMaker API requires one, so carry the project id (required).
        :param description: what the group holds (required).
        """
        super().__init__(scope, construct_id)
        self._check(group_name)
        self.group = sagemaker.CfnModelPackageGroup(
            self,
            "Group",
            model_package_group_name=group_name,
            model_package_group_description=description,
        )
        self.group.apply_removal_policy(RemovalPolicy.RETAIN)
        """The model package group; retained on stack deletion like the bucket (its versions are the project's
        models, and SageMaker refuses to delete a group that still holds versions)."""
        self.group_name = group_name
        """Name of the group."""
        arn_prefix = f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}"
        self.group_arn = f"{arn_prefix}:model-package-group/{group_name}"
        """ARN of the group, built from its name so that policies need not wait for the group."""
        self._packages_arn = f"{arn_prefix}:model-package/{group_name}/*"

    def grant_register(self, grantee: PolicyTarget) -> iam.Grant:
        """Let ``grantee`` describe the group and create, describe, tag and list its versions (not approve them)."""
        grant = attach(
            grantee,
            iam.PolicyStatement(actions=list(GROUP_ACTIONS), resources=[self.group_arn]),
            iam.PolicyStatement(actions=list(REGISTER_ACTIONS), resources=[self._packages_arn]),
            iam.PolicyStatement(actions=list(LIST_ACTIONS), resources=["*"]),
        )
        nag.acknowledge(
            owner(grantee),
            "Model package versions are numbered by SageMaker; access is scoped to the versions of this group.",
            nag.wildcard_resource_finding(self, self._packages_arn),
        )
        nag.acknowledge(
            owner(grantee),
            "sagemaker:ListModelPackages supports no resource-level permissions; it reveals names only.",
            nag.wildcard_resource_finding(self, "*"),
        )
        return grant

    def grant_approve(self, grantee: PolicyTarget) -> iam.Grant:
        """Let ``grantee`` approve or reject the group's versions (``UpdateModelPackage``)."""
        grant = attach(grantee, iam.PolicyStatement(actions=list(APPROVE_ACTIONS), resources=[self._packages_arn]))
        nag.acknowledge(
            owner(grantee),
            "Model package versions are numbered by SageMaker; approval is scoped to the versions of this group.",
            nag.wildcard_resource_finding(self, self._packages_arn),
        )
        return grant

    @staticmethod
    def _check(group_name: str) -> None:
        if Token.is_unresolved(group_name):
            return
        problems = Problems("ModelRegistry")
        if not GROUP_NAME_PATTERN.fullmatch(group_name):
            problems.add(
                "group_name", group_name, "1-63 characters: letters and digits, separated by single or repeated '-'"
            )
        problems.raise_if_any()
