"""What a pattern blueprint imports from the project's genai-sandbox environment."""

from __future__ import annotations

from aws_cdk import Fn, Stack

from genai_sandbox_constructs.storage.bucket_access import BucketAccess

from .smus import sandbox_export_name


class SandboxImports:
    """``Fn::ImportValue`` of the genai-sandbox exports this pattern needs (same project and scope)."""

    def __init__(self, stack: Stack) -> None:
        self.bucket_name = _import("BucketName")
        self.bucket_arn = _import("BucketArn")
        self.key_arn = _import("KeyArn")
        self.subnet_ids = Fn.split(",", _import("SubnetIds"))
        self.security_group_id = _import("SecurityGroupId")
        self.image_repository_arn = _import("ImageRepositoryArn")
        self.bucket = BucketAccess(stack, bucket_arn=self.bucket_arn, key_arn=self.key_arn)
        """Prefix-scoped grants on the imported bucket."""


def _import(key: str) -> str:
    return Fn.import_value(sandbox_export_name(key))
