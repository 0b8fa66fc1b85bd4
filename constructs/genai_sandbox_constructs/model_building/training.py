"""The SageMaker training and processing role of a sandbox: reads data, writes artifacts and checkpoints."""

from __future__ import annotations

import re

from aws_cdk import Aws, Token
from aws_cdk import aws_iam as iam
from constructs import Construct

from genai_sandbox_constructs import layout, nag
from genai_sandbox_constructs.errors import Problems
from genai_sandbox_constructs.grants import PolicyTarget, attach, owner
from genai_sandbox_constructs.model_building.image_repository import ImageRepository, pull_from_other_accounts
from genai_sandbox_constructs.model_building.registry import ModelRegistry
from genai_sandbox_constructs.model_building.sagemaker_execution import grant_sagemaker_execution
from genai_sandbox_constructs.network.sandbox_network import SandboxNetwork
from genai_sandbox_constructs.roles import sagemaker_role
from genai_sandbox_constructs.storage.bucket import SandboxBucket
from genai_sandbox_constructs.storage.key import SandboxKey


class TrainingRole(Construct):
    """A role only SageMaker (of this account) can assume, for training and processing jobs.

    Reads ``data/`` and ``configs/``, writes ``data/processed/`` and ``data/features/`` (processing), reads and
    writes ``artifacts/`` (models, outputs, checkpoints), encrypts with
    the sandbox key, registers models, pulls the sandbox's and AWS-hosted images, logs under ``/aws/sagemaker/``
    and runs in the sandbox network. Its permissions are a managed policy, not inline.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: SandboxBucket,
        key: SandboxKey,
        registry: ModelRegistry,
        images: ImageRepository,
        network: SandboxNetwork,
        role_name: str | None = None,
    ) -> None:
        """:param bucket: the sandbox bucket (required).
        :param key: the sandbox key (required).
        :param registry: the model registry the jobs register into (required).
        :param images: the sandbox image repository (required).
        :param network: the network the jobs run in (required).
        :param role_name: name of the role. Members of SMUS projects may pass only roles named ``datazone*``
            (their permissions boundary), so name it so, with an id that makes it unique. Default: CloudFormation
            names it.
        """
        super().__init__(scope, construct_id)
        _check_role_name(role_name)
        self.role = sagemaker_role(
            self, "Role", "SageMaker training and processing jobs of a Gen AI sandbox", role_name=role_name
        )
        """The role."""
        self.policy = iam.ManagedPolicy(
            self, "Permissions", roles=[self.role], description="Gen AI sandbox training and processing jobs"
        )
        """The role's permissions."""
        bucket.grant_read(self.policy, layout.DATA)
        for prefix in (layout.DATA_PROCESSED, layout.DATA_FEATURES):
            bucket.grant_write(self.policy, prefix.key)
        bucket.grant_read(self.policy, layout.CONFIGS)
        bucket.grant_read_write(self.policy, layout.ARTIFACTS)
        key.grant_use(self.policy)
        registry.grant_register(self.policy)
        images.grant_pull(self.policy)
        network.grant_attach(self.policy)
        self._allow_aws_images_logs_and_metrics()

    def grant_pass_to_sagemaker(self, grantee: PolicyTarget) -> iam.Grant:
        """Let ``grantee`` pass this role to SageMaker, and to nothing else."""
        return attach(
            grantee,
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            ),
            iam.PolicyStatement(actions=["iam:GetRole"], resources=[self.role.role_arn]),
        )

    def _allow_aws_images_logs_and_metrics(self) -> None:
        aws_images = f"arn:{Aws.PARTITION}:ecr:{Aws.REGION}:*:repository/*"
        self.policy.add_statements(pull_from_other_accounts(aws_images))
        nag.acknowledge(
            owner(self.policy),
            "AWS-hosted SageMaker images live in per-region AWS accounts; pulls are read-only, limited to this "
            "region and to other accounts (aws:ResourceAccount), and work only where the owning repository's policy "
            "shares the image.",
            nag.wildcard_resource_finding(self, aws_images),
        )
        grant_sagemaker_execution(self, self.policy, publishes_metrics=True)


ROLE_NAME_LIMIT = 64


def _check_role_name(role_name: str | None) -> None:
    if role_name is None or Token.is_unresolved(role_name):
        return  # tokens: the stack keeps the name within the limit
    problems = Problems("TrainingRole")
    if len(role_name) > ROLE_NAME_LIMIT or not re.fullmatch(r"[\w+=,.@-]+", role_name):
        problems.add("role_name", role_name, f"1-{ROLE_NAME_LIMIT} of letters, digits and +=,.@_-")
    problems.raise_if_any()
