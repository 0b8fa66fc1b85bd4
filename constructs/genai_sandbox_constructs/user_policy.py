"""The managed policy that gives a sandbox's human users (data scientists) their access."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

from . import layout, nag
from .bucket import SandboxBucket
from .key import SandboxKey
from .registry import ModelRegistry

READ_WRITE_AREAS = (layout.DATA, layout.ARTIFACTS, layout.CONFIGS)
"""Areas users work in freely."""
WRITE_ONLY = (layout.ASYNC_INPUT, layout.BATCH_INPUT)
"""Inference inputs users submit; the patterns read them."""
READ_ONLY = (layout.ASYNC_OUTPUT, layout.BATCH_OUTPUT, layout.REALTIME_CAPTURE)
"""Inference results and captures users analyse; the patterns write them."""


class SandboxUserPolicy(Construct):
    """A customer-managed policy for the people who use a sandbox.

    Read/write on ``data/``, ``artifacts/`` and ``configs/``; write on the inference inputs; read on inference
    outputs and captures; use of the sandbox key; registering models in the registry. Attach it to the
    project's user role (SMUS does so when its ARN is exported under a ``datazone-managed-policy-`` name).
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
    ) -> None:
        """:param bucket: the sandbox bucket (required).
        :param key: the sandbox key (required).
        :param registry: the sandbox model registry (required).
        :param description: policy description, up to 1000 characters (required).
        """
        super().__init__(scope, construct_id)
        self.policy = iam.ManagedPolicy(self, "Policy", description=description)
        """The managed policy; CloudFormation names it (no fixed name)."""
        for area in READ_WRITE_AREAS:
            bucket.grant_read_write(area, self.policy)
        for prefix in WRITE_ONLY:
            bucket.grant_write(prefix.key, self.policy)
        for prefix in READ_ONLY:
            bucket.grant_read(prefix.key, self.policy)
        key.grant_use(self.policy)
        registry.grant_register(self.policy)
        self.policy.add_statements(iam.PolicyStatement(actions=["cloudformation:ListExports"], resources=["*"]))
        nag.acknowledge(
            self.policy,
            "cloudformation:ListExports has no resource-level permissions; notebooks read the sandbox's exports to "
            "find their resources. It lists every export of the account and region (names and ARNs, no data); "
            "the resources themselves stay governed by their own policies.",
            nag.wildcard_resource_finding(self, "*"),
        )
