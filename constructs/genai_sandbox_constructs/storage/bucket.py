"""The single sandbox bucket, its access-log bucket, and prefix-scoped access to the layout."""

from __future__ import annotations

from typing import Any, cast

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from genai_sandbox_constructs import nag
from genai_sandbox_constructs.grants import PolicyTarget, in_resource_policy
from genai_sandbox_constructs.storage.bucket_access import Access, BucketAccess, check_prefix, object_statements
from genai_sandbox_constructs.storage.key import KeyLike, as_key
from genai_sandbox_constructs.storage.lifecycle import LifecycleDays

ACCESS_LOG_PREFIX = "sandbox-bucket/"


class SandboxBucket(Construct):
    """One versioned, KMS-encrypted, TLS-only, retained bucket that holds the whole sandbox layout.

    Object events go to EventBridge from the bucket itself (no custom resource). Access is granted per layout
    prefix with ``grant_read``, ``grant_write`` and ``grant_read_write``; nothing here grants the whole bucket.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: KeyLike,
        lifecycle: LifecycleDays | None = None,
    ) -> None:
        """:param encryption_key: customer-managed key for default encryption, a ``kms.IKey`` or ``SandboxKey``
            (required).
        :param lifecycle: lifecycle timings. Default: ``LifecycleDays()``.
        """
        super().__init__(scope, construct_id)
        self._key = as_key(encryption_key)
        days = lifecycle or LifecycleDays()
        self.access_log_bucket = self._build_access_log_bucket(days)
        """Receives the server access logs of ``bucket`` (SSE-S3: S3 cannot deliver logs to SSE-KMS buckets)."""
        self.bucket = self._build_bucket(days)
        """The sandbox bucket."""
        self.access = BucketAccess(self, bucket_arn=self.bucket.bucket_arn, key_arn=self._key.key_arn)
        """Prefix-scoped grants on the bucket."""

    def grant_read(self, grantee: PolicyTarget, prefix: str) -> iam.Grant:
        """Let ``grantee`` list and read objects under ``prefix`` (decrypting through S3 only)."""
        return self.access.grant_read(grantee, prefix)

    def grant_write(self, grantee: PolicyTarget, prefix: str) -> iam.Grant:
        """Let ``grantee`` put objects under ``prefix`` (encrypting through S3 only), without reading them."""
        return self.access.grant_write(grantee, prefix)

    def grant_read_write(self, grantee: PolicyTarget, prefix: str) -> iam.Grant:
        """Let ``grantee`` list, read, write and delete (add delete markers to) objects under ``prefix``."""
        return self.access.grant_read_write(grantee, prefix)

    def grant_to_principal(self, principal: iam.IPrincipal, prefix: str, access: Access) -> iam.Grant:
        """Give ``principal`` (a conditioned wildcard such as ``project_members``) ``access`` under ``prefix`` in the
        bucket policy: the same S3 actions as the identity grants, without the key
        (``SandboxKey.grant_use_to_principal`` covers it in the key policy)."""
        check_prefix(prefix)
        return in_resource_policy(principal, self.bucket, *object_statements(self.bucket.bucket_arn, prefix, access))

    def object_created_pattern(self, prefix: str) -> events.EventPattern:
        """EventBridge pattern matching ``Object Created`` events of this bucket under layout ``prefix``."""
        check_prefix(prefix)
        return events.EventPattern(
            source=["aws.s3"],
            detail_type=["Object Created"],
            detail={"bucket": {"name": [self.bucket.bucket_name]}, "object": {"key": [{"prefix": prefix}]}},
        )

    def _build_access_log_bucket(self, days: LifecycleDays) -> s3.Bucket:
        log_bucket = _protected_bucket(
            self, "AccessLogs", encryption=s3.BucketEncryption.S3_MANAGED, lifecycle_rules=days.access_log_rules()
        )
        nag.acknowledge(
            log_bucket,
            "S3 server access logs can only be delivered to a bucket encrypted with SSE-S3, not SSE-KMS.",
            "HIPAA.Security-S3DefaultEncryptionKMS",
            "NIST.800.53.R5-S3DefaultEncryptionKMS",
        )
        nag.acknowledge(
            log_bucket,
            "This is the access-log bucket; logging it to itself would loop and to another bucket would recurse.",
            "AwsSolutions-S1",
            "HIPAA.Security-S3BucketLoggingEnabled",
            "NIST.800.53.R5-S3BucketLoggingEnabled",
        )
        _acknowledge_no_replication(log_bucket)
        return log_bucket

    def _log_to_access_log_bucket(self, bucket: s3.Bucket) -> None:
        """Server access logs through a bucket policy for the S3 logging service, set on the L1: the L2's
        ``server_access_logs_bucket`` uses an ACL (refused with owner-enforced ownership) unless the App sets
        ``@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy``, and a construct must work in any App."""
        cfn_bucket = cast(s3.CfnBucket, bucket.node.default_child)
        cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
            destination_bucket_name=self.access_log_bucket.bucket_name, log_file_prefix=ACCESS_LOG_PREFIX
        )
        self.access_log_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.access_log_bucket.arn_for_objects(f"{ACCESS_LOG_PREFIX}*")],
                conditions={
                    "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                },
            )
        )

    def _build_bucket(self, days: LifecycleDays) -> s3.Bucket:
        bucket = _protected_bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self._key,
            bucket_key_enabled=True,
            lifecycle_rules=days.sandbox_rules(),
        )
        self._log_to_access_log_bucket(bucket)
        # Deny only when the header is sent and wrong. IAM User Guide, condition operators, "...IfExists": "If the
        # policy key is present in the context of the request, process the key as specified in the policy. If the key
        # is not present, evaluate the condition element as true." A StringNotEqualsIfExists deny would therefore
        # refuse every upload that relies on default encryption. Null=false requires the header to be present;
        # StringNotEquals then compares it. Proven by tests/test_member_access.py.
        for sid, header, expected in (
            ("DenyUploadsWithAnotherEncryption", "s3:x-amz-server-side-encryption", "aws:kms"),
            ("DenyUploadsWithAnotherKey", "s3:x-amz-server-side-encryption-aws-kms-key-id", self._key.key_arn),
        ):
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:PutObject"],
                    resources=[bucket.arn_for_objects("*")],
                    conditions={"Null": {header: "false"}, "StringNotEquals": {header: expected}},
                )
            )
        cfn_bucket = cast(s3.CfnBucket, bucket.node.default_child)
        cfn_bucket.add_property_override("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True)
        _acknowledge_no_replication(bucket)
        return bucket


def _protected_bucket(scope: Construct, construct_id: str, **props: Any) -> s3.Bucket:
    """A versioned, private, TLS-only (1.2+), owner-enforced bucket retained on stack deletion."""
    return s3.Bucket(
        scope,
        construct_id,
        versioned=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removal_policy=RemovalPolicy.RETAIN,
        **props,
    )


def _acknowledge_no_replication(bucket: s3.Bucket) -> None:
    nag.acknowledge(
        bucket,
        "A sandbox keeps one regional copy: versioning and retention protect against loss, and cross-region "
        "replication would double storage cost and move data out of the project's region.",
        "HIPAA.Security-S3BucketReplicationEnabled",
        "NIST.800.53.R5-S3BucketReplicationEnabled",
    )
