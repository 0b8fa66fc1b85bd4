"""Prefix-scoped access to a sandbox bucket known by ARN: the sandbox's own, or one imported from its exports."""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

from aws_cdk import Token
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from genai_sandbox_constructs import layout, nag
from genai_sandbox_constructs.errors import Problems
from genai_sandbox_constructs.grants import PolicyTarget, attach, owner, via_service

READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging")
WRITE_ACTIONS = ("s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload")
DELETE_ACTIONS = ("s3:DeleteObject",)
"""Deleting adds a delete marker in a versioned bucket; nobody is granted ``s3:DeleteObjectVersion``."""
ENCRYPT_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
"""SSE-KMS writes need a data key, and multipart uploads decrypt it again to complete."""


class Grants(NamedTuple):
    """The actions behind one access level."""

    object_actions: tuple[str, ...]
    """S3 actions on the objects under the prefix."""
    key_actions: tuple[str, ...]
    """KMS actions on the bucket's key, through S3."""
    lists: bool
    """Whether listing the prefix is granted."""


class Access(Enum):
    """What a grant on a prefix allows."""

    READ = Grants(READ_ACTIONS, ("kms:Decrypt",), lists=True)
    """List and read."""
    WRITE = Grants(WRITE_ACTIONS, ENCRYPT_ACTIONS, lists=False)
    """Put, without reading."""
    READ_WRITE = Grants(READ_ACTIONS + WRITE_ACTIONS + DELETE_ACTIONS, ENCRYPT_ACTIONS, lists=True)
    """List, read, write and delete (add delete markers)."""

    @property
    def grants(self) -> Grants:
        """The actions of this level."""
        return self.value


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

    def grant_read(self, grantee: PolicyTarget, prefix: str) -> iam.Grant:
        """Let ``grantee`` list and read objects under ``prefix``."""
        return self.grant(grantee, prefix, Access.READ)

    def grant_write(self, grantee: PolicyTarget, prefix: str) -> iam.Grant:
        """Let ``grantee`` put objects under ``prefix``, without reading them."""
        return self.grant(grantee, prefix, Access.WRITE)

    def grant_read_write(self, grantee: PolicyTarget, prefix: str) -> iam.Grant:
        """Let ``grantee`` list, read, write and delete (add delete markers to) objects under ``prefix``."""
        return self.grant(grantee, prefix, Access.READ_WRITE)

    def grant_read_object(self, grantee: PolicyTarget, key: str) -> iam.Grant:
        """Let ``grantee`` read exactly the object ``key`` (a token such as a parameter is fine)."""
        return attach(
            grantee,
            iam.PolicyStatement(actions=list(READ_ACTIONS), resources=[f"{self.bucket_arn}/{key}"]),
            self._key_statement(("kms:Decrypt",)),
        )

    def grant(self, grantee: PolicyTarget, prefix: str, access: Access) -> iam.Grant:
        """Let ``grantee`` have ``access`` to the objects under ``prefix``, using the key through S3 only."""
        check_prefix(prefix)
        key = self._key_statement(access.grants.key_actions)
        grant = attach(grantee, *object_statements(self.bucket_arn, prefix, access), key)
        nag.acknowledge(
            owner(grantee),
            f"Object access is scoped to the sandbox layout prefix '{prefix}'; object keys below it are not known.",
            nag.wildcard_resource_finding(self._scope, f"{self.bucket_arn}/{prefix}*"),
        )
        return grant

    def _key_statement(self, actions: tuple[str, ...]) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            actions=list(actions),
            resources=[self.key_arn],
            conditions={"StringEquals": {"kms:ViaService": via_service("s3")}},
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


def object_statements(bucket_arn: str, prefix: str, access: Access) -> list[iam.PolicyStatement]:
    """The S3 statements of a prefix grant: the object actions of ``access`` under ``prefix`` and, when it lists,
    listing the bucket limited to that prefix (``s3:prefix``). Shared by identity and bucket policies."""
    statements = [
        iam.PolicyStatement(actions=list(access.grants.object_actions), resources=[f"{bucket_arn}/{prefix}*"])
    ]
    if access.grants.lists:
        statements.append(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
            )
        )
    return statements
