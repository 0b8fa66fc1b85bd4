"""What a sandbox's human users (data scientists) may do, granted twice: in an identity policy for roles without a
permissions boundary, and in the bucket and key policies for SMUS project roles, whose boundary caps identity grants."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

from genai_sandbox_constructs import layout
from genai_sandbox_constructs.model_building.registry import ModelRegistry
from genai_sandbox_constructs.storage.bucket import SandboxBucket
from genai_sandbox_constructs.storage.bucket_access import Access
from genai_sandbox_constructs.storage.key import SandboxKey

MEMBER_LAYOUT: tuple[tuple[str, Access], ...] = (
    (layout.DATA, Access.READ_WRITE),
    (layout.ARTIFACTS, Access.READ_WRITE),
    (layout.CONFIGS, Access.READ_WRITE),
    (layout.ASYNC_INPUT.key, Access.WRITE),
    (layout.BATCH_INPUT.key, Access.WRITE),
    (layout.ASYNC_OUTPUT.key, Access.READ),
    (layout.BATCH_OUTPUT.key, Access.READ),
    (layout.REALTIME_CAPTURE.key, Access.READ),
)
"""Users work freely in data/, artifacts/ and configs/, submit inference inputs that the patterns read, and read the
results and captures that the patterns write."""


class SandboxUserPolicy(Construct):
    """A customer-managed policy for the people who use a sandbox, and the same bucket and key access for
    ``members`` in the bucket and key policies.

    The policy holds ``MEMBER_LAYOUT`` on the bucket, use of the sandbox key, and registering models in the registry.
    Attach it to a user role without a permissions boundary (SMUS attaches it to the project role when its ARN is
    exported under a ``datazone-managed-policy-`` name; under SMUS's boundary only the resource-policy grants and
    the registry work).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: SandboxBucket,
        key: SandboxKey,
        registry: ModelRegistry,
        description: str,
        members: iam.IPrincipal | None = None,
    ) -> None:
        """:param bucket: the sandbox bucket (required).
        :param key: the sandbox key (required).
        :param registry: the sandbox model registry (required).
        :param description: policy description, up to 1000 characters (required).
        :param members: who gets ``MEMBER_LAYOUT`` and key use in the bucket and key policies, such as
            ``project_members(...)``. Default: nobody (identity policy only).
        """
        super().__init__(scope, construct_id)
        self.policy = iam.ManagedPolicy(self, "Policy", description=description)
        """The managed policy; CloudFormation names it (no fixed name)."""
        for prefix, access in MEMBER_LAYOUT:
            bucket.access.grant(self.policy, prefix, access)
            if members is not None:
                bucket.grant_to_principal(members, prefix, access)
        key.grant_use(self.policy)
        if members is not None:
            key.grant_use_to_principal(members)
        registry.grant_register(self.policy)
