"""Prefix-scoped access to a sandbox bucket known by ARN: the sandbox's own, or one imported from its exports."""

from __future__ import annotations

from aws_cdk import Aws, Token
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from . import layout, nag
from .errors import Problems
from .grants import PolicyTarget, attach, owner

READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging")
WRITE_ACTIONS = ("s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload")
DELETE_ACTIONS = ("s3:DeleteObject",)
"""Deleting adds a delete marker in a versioned bucket; nobody is granted ``s3:DeleteObjectVersion``."""
ENCRYPT_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
"""SSE-KMS writes need a data key, and multipart uploads decrypt it again to complete."""


class BucketAccess:
    """Grants on the layout prefixes of a bucket, with key use only through S3 (``kms:ViaService``).

    Each grant acknowledges its own prefix wildcard finding on the construct that holds the statements.
    """

    def __init__(self, scope: IConstruct, *, bucket_arn: str, key_arn: str) -> None:
        """:param scope: construct that renders nag findings (any construct of the same stack) (required).
        :param bucket_arn: ARN of the bucket, a token or a literal (required).
        :param key_arn: ARN of the bucket's KMS key (required).
        """
        self._scope = scope
        self.bucket_arn = bucket_arn
        """ARN of the bucket."""
        self.key_arn = key_arn
        """ARN of the bucket's key."""

    def grant_read(self, prefix: str, target: PolicyTarget) -> None:
        """Let ``target`` list and read objects under ``prefix``."""
        self._grant(prefix, target, READ_ACTIONS, ("kms:Decrypt",), list_objects=True)

    def grant_write(self, prefix: str, target: PolicyTarget) -> None:
        """Let ``target`` put objects under ``prefix``, without reading them."""
        self._grant(prefix, target, WRITE_ACTIONS, ENCRYPT_ACTIONS, list_objects=False)

    def grant_read_write(self, prefix: str, target: PolicyTarget) -> None:
        """Let ``target`` list, read, write and delete (add delete markers to) objects under ``prefix``."""
        self._grant(prefix, target, READ_ACTIONS + WRITE_ACTIONS + DELETE_ACTIONS, ENCRYPT_ACTIONS, list_objects=True)

    def grant_read_object(self, key: str, target: PolicyTarget) -> None:
        """Let ``target`` read exactly the object ``key`` (a token such as a parameter is fine)."""
        attach(
            target,
            iam.PolicyStatement(actions=list(READ_ACTIONS), resources=[f"{self.bucket_arn}/{key}"]),
            self._key_statement(("kms:Decrypt",)),
        )

    def _grant(
        self,
        prefix: str,
        target: PolicyTarget,
        object_actions: tuple[str, ...],
        key_actions: tuple[str, ...],
        *,
        list_objects: bool,
    ) -> None:
        check_prefix(prefix)
        objects = f"{self.bucket_arn}/{prefix}*"
        statements = [
            iam.PolicyStatement(actions=list(object_actions), resources=[objects]),
            self._key_statement(key_actions),
        ]
        if list_objects:
            statements.append(
                iam.PolicyStatement(
                    actions=["s3:ListBucket"],
                    resources=[self.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
                )
            )
        attach(target, *statements)
        nag.acknowledge(
            owner(target),
            f"Object access is scoped to the sandbox layout prefix '{prefix}'; object keys below it are not known.",
            nag.wildcard_resource_finding(self._scope, objects),
        )

    def _key_statement(self, actions: tuple[str, ...]) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            actions=list(actions),
            resources=[self.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com"}},
        )


def check_prefix(prefix: str) -> None:
    """Raise a ``ConfigurationError`` when a literal ``prefix`` lies outside the sandbox layout."""
    if Token.is_unresolved(prefix):
        return
    problem = layout.prefix_problem(prefix)
    if problem:
        problems = Problems("SandboxBucket grant")
        problems.add("prefix", prefix, problem)
        problems.raise_if_any()
