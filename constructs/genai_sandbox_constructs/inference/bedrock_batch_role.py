"""The service role Bedrock batch inference jobs run with."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from constructs import Construct

from genai_sandbox_constructs import layout
from genai_sandbox_constructs.grants import PolicyTarget, attach
from genai_sandbox_constructs.storage.bucket_access import BucketAccess

BEDROCK = "bedrock.amazonaws.com"


class BedrockBatchRole(Construct):
    """A role only Bedrock's model-invocation jobs of this account may assume; it reads the batch inputs and writes
    the outputs (with the sandbox key, through S3). Grant it the model with the model's own ``grant_invoke``.

    Trust as the Bedrock User Guide's batch inference service role has it ("Create a custom service role for batch
    inference"): ``bedrock.amazonaws.com`` with ``aws:SourceAccount`` equal to this account and ``aws:SourceArn``
    like ``arn:aws:bedrock:<region>:<account>:model-invocation-job/*``, against the confused deputy.
    """

    def __init__(self, scope: Construct, construct_id: str, *, bucket: BucketAccess) -> None:
        """:param bucket: access to the sandbox bucket (required)."""
        super().__init__(scope, construct_id)
        jobs = f"arn:{Aws.PARTITION}:bedrock:{Aws.REGION}:{Aws.ACCOUNT_ID}:model-invocation-job/*"
        principal = iam.ServicePrincipal(BEDROCK).with_conditions(
            {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}, "ArnLike": {"aws:SourceArn": jobs}}
        )
        self.role = iam.Role(self, "Role", assumed_by=principal)
        """The service role; CloudFormation names it."""
        self.policy = iam.ManagedPolicy(
            self, "Permissions", roles=[self.role], description="Read batch inputs and write batch outputs"
        )
        """Its permissions; grant the model here."""
        bucket.grant_read(self.policy, layout.BATCH_INPUT.key)
        bucket.grant_write(self.policy, layout.BATCH_OUTPUT.key)
        attach(
            self.policy,
            iam.PolicyStatement(  # the Bedrock guide's service role lists the output location too
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{layout.BATCH_OUTPUT.key}*"]}},
            ),
        )

    def grant_pass(self, grantee: PolicyTarget) -> iam.Grant:
        """Let ``grantee`` hand this role to Bedrock (``iam:PassRole``, to Bedrock only)."""
        return attach(
            grantee,
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": BEDROCK}},
            ),
        )
