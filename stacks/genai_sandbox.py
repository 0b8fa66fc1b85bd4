"""genai-sandbox: the project's shared bucket and layout, key, model registry, user policy and exports."""

from __future__ import annotations

from aws_cdk import Fn
from constructs import Construct

from genai_sandbox_constructs import (
    LifecycleDays,
    ModelRegistry,
    SandboxBucket,
    SandboxKey,
    SandboxUserPolicy,
    layout,
)

from . import smus
from .base import BlueprintStack


class GenAiSandboxStack(BlueprintStack):
    """Everything a project's sandbox shares; the pattern blueprints import it through exports."""

    SETTINGS_COLUMNS = (
        "InferenceTransitionDays",
        "InferenceExpirationDays",
        "CheckpointExpirationDays",
        "NoncurrentVersionExpirationDays",
        "IncompleteUploadDays",
        "AccessLogExpirationDays",
    )

    def __init__(self, scope: Construct, blueprint_name: str, *, description: str) -> None:
        super().__init__(scope, blueprint_name, description=description)
        self.key = SandboxKey(
            self,
            "Key",
            alias=Fn.sub(f"genai-sandbox-${{{smus.PROJECT_ID}}}-${{{smus.SCOPE_NAME}}}"),
            description=Fn.sub(f"Gen AI sandbox of SMUS project ${{{smus.PROJECT_ID}}} (${{ProjectName}})"),
        )
        self.bucket = SandboxBucket(self, "Storage", encryption_key=self.key.key, lifecycle=self._lifecycle())
        self.registry = ModelRegistry(
            self,
            "ModelRegistry",
            group_name=Fn.sub(f"genai-sandbox-${{{smus.PROJECT_ID}}}-${{{smus.SCOPE_NAME}}}"),
            description=Fn.sub(f"Model versions of SMUS project ${{{smus.PROJECT_ID}}} (${{ProjectName}})"),
        )
        self.user_policy = SandboxUserPolicy(
            self,
            "ProjectUserPolicy",
            bucket=self.bucket,
            key=self.key,
            registry=self.registry,
            description=Fn.sub(
                f"Gen AI sandbox access for members of SMUS project ${{{smus.PROJECT_ID}}} "
                f"in domain ${{{smus.DOMAIN_ID}}}"
            ),
        )
        self._export_resources()
        self._export_layout()

    def _lifecycle(self) -> LifecycleDays:
        days = self.settings.number
        return LifecycleDays(
            inference_transition_days=days("InferenceTransitionDays"),
            inference_expiration_days=days("InferenceExpirationDays"),
            checkpoint_expiration_days=days("CheckpointExpirationDays"),
            noncurrent_version_expiration_days=days("NoncurrentVersionExpirationDays"),
            incomplete_upload_days=days("IncompleteUploadDays"),
            access_log_expiration_days=days("AccessLogExpirationDays"),
        )

    def _export_resources(self) -> None:
        bucket = self.bucket.bucket
        smus.export(self, "BucketName", bucket.bucket_name, "Name of the sandbox bucket.")
        smus.export(self, "BucketArn", bucket.bucket_arn, "ARN of the sandbox bucket.")
        smus.export(self, "KeyArn", self.key.key.key_arn, "ARN of the sandbox KMS key.")
        smus.export(
            self, "ModelPackageGroupName", self.registry.group_name, "Model package group of the sandbox registry."
        )
        smus.export(
            self,
            "ProjectUserPolicyArn",
            self.user_policy.policy.managed_policy_arn,
            "Managed policy that SMUS attaches to the project role.",
            export_name=smus.managed_policy_export_name(self.blueprint_name),
        )

    def _export_layout(self) -> None:
        for prefix in layout.PREFIXES:
            smus.export(self, f"Prefix{prefix.name}", prefix.key, f"Key prefix for {prefix.purpose}.")
