"""A private ECR repository for the sandbox's own training and inference images."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from genai_sandbox_constructs import nag
from genai_sandbox_constructs.grants import PolicyTarget, attach, owner
from genai_sandbox_constructs.storage.key import KeyLike, as_key

PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
PUSH_ACTIONS = (
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
    "ecr:ListImages",
)
TOKEN_ACTION = "ecr:GetAuthorizationToken"
"""Registry-wide by design: it has no resource-level permissions."""


def pull_from_other_accounts(repositories: str) -> iam.PolicyStatement:
    """Pull from ``repositories`` (an ARN, wildcards allowed) only where they live in another account.

    AWS-hosted images (SageMaker, Deep Learning Containers) live in per-region AWS accounts and are shared by
    their repository policies. Same-account repositories need only an identity policy, so without the condition a
    wildcard would reach every other project's private images in the account; grant the sandbox's own
    repository separately.
    """
    return iam.PolicyStatement(
        actions=list(PULL_ACTIONS),
        resources=[repositories],
        # Null=false: a request without the key must not pass the negated test (negations match missing keys).
        conditions={
            "StringNotEquals": {"aws:ResourceAccount": Aws.ACCOUNT_ID},
            "Null": {"aws:ResourceAccount": "false"},
        },
    )


class ImageRepository(Construct):
    """Immutable tags, scan on push, KMS encryption, lifecycle rules, retained on stack deletion."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: KeyLike,
        max_image_count: int = 100,
        untagged_image_days: int = 7,
    ) -> None:
        """:param encryption_key: customer-managed key for the images, a ``kms.IKey`` or ``SandboxKey`` (required).
        :param max_image_count: tagged images kept, oldest expire first. Default: 100.
        :param untagged_image_days: days until untagged images expire. Default: 7.
        """
        super().__init__(scope, construct_id)
        self.repository = ecr.Repository(
            self,
            "Repository",
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=as_key(encryption_key),
            removal_policy=RemovalPolicy.RETAIN,
        )
        """The repository; CloudFormation names it."""
        self.repository.add_lifecycle_rule(
            description="Expire untagged images",
            tag_status=ecr.TagStatus.UNTAGGED,
            max_image_age=Duration.days(untagged_image_days),
        )
        self.repository.add_lifecycle_rule(
            description="Keep the newest tagged images", tag_status=ecr.TagStatus.ANY, max_image_count=max_image_count
        )

    def grant_pull(self, grantee: PolicyTarget) -> iam.Grant:
        """Let ``grantee`` pull images from this repository."""
        return self._grant(grantee, PULL_ACTIONS)

    def grant_pull_push(self, grantee: PolicyTarget) -> iam.Grant:
        """Let ``grantee`` pull, push and list images of this repository (tags are immutable)."""
        return self._grant(grantee, PULL_ACTIONS + PUSH_ACTIONS)

    def _grant(self, grantee: PolicyTarget, actions: tuple[str, ...]) -> iam.Grant:
        grant = attach(
            grantee,
            iam.PolicyStatement(actions=list(actions), resources=[self.repository.repository_arn]),
            iam.PolicyStatement(actions=[TOKEN_ACTION], resources=["*"]),
        )
        nag.acknowledge(
            owner(grantee),
            "ecr:GetAuthorizationToken has no resource-level permissions; image access itself is scoped to the "
            "sandbox repository.",
            nag.wildcard_resource_finding(self, "*"),
        )
        return grant
