"""The customer-managed KMS key shared by everything in a sandbox."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from genai_sandbox_constructs.grants import PolicyTarget, attach, in_resource_policy, via_service

SERVICES_USING_KEY_DIRECTLY = (
    "sns.amazonaws.com",
    "sqs.amazonaws.com",
    "s3.amazonaws.com",
    "cloudwatch.amazonaws.com",
    "budgets.amazonaws.com",
)
"""Service principals that encrypt or decrypt with the key on their own behalf (publishing to encrypted topics
and queues, alarm actions), bound to this account with ``aws:SourceAccount``; callers inside the account get key use
through their own IAM policies."""
EVENTBRIDGE = "events.amazonaws.com"
"""Delivers rule targets to encrypted topics and queues. SNS Developer Guide, "Enable compatibility between event
sources from AWS services and encrypted topics": "Adding the aws:SourceAccount, aws:SourceArn, and aws:SourceOrgID to
a AWS KMS policy is not supported for EventBridge-to-encrypted topics", so its statement carries no source condition;
it can only reach topics and queues encrypted with this key, which live in this account."""

KEY_USE_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
"""What a principal needs to read and write data encrypted with the key. No wildcards, no re-encryption."""
SERVICES_FOR_PRINCIPALS = ("s3", "sagemaker", "sqs", "sns", "ecr")
"""The AWS services through which principals may use the key (``kms:ViaService``)."""


class SandboxKey(Construct):
    """A rotating, retained KMS key whose policy delegates to IAM in this account.

    Pattern stacks deployed later cannot edit this key policy, so it names only the service principals that must
    use the key directly (each bound to this account with ``aws:SourceAccount``); everything else gets key use
    through its own IAM policy (``grant_use``).
    """

    def __init__(self, scope: Construct, construct_id: str, *, alias: str, description: str) -> None:
        """:param alias: key alias without the ``alias/`` prefix; carry the project id in it (required).
        :param description: key description shown in the KMS console (required).
        """
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=description,
            alias=f"alias/{alias}",
            enable_key_rotation=True,
            pending_window=Duration.days(30),
            removal_policy=RemovalPolicy.RETAIN,
        )
        """The key. Retained on stack deletion: the retained bucket's objects stay readable."""
        self._allow_cloudwatch_logs()
        self._allow_services()

    def grant_use(self, grantee: PolicyTarget) -> iam.Grant:
        """Let ``grantee`` encrypt and decrypt through the services in ``SERVICES_FOR_PRINCIPALS`` only, and let
        AWS services it calls create grants on the key (SageMaker volumes)."""
        return grant_key_use(grantee, self.key.key_arn)

    def grant_use_to_principal(self, principal: iam.IPrincipal) -> iam.Grant:
        """Let ``principal`` (a conditioned wildcard such as ``project_members``) encrypt and decrypt through the
        services in ``SERVICES_FOR_PRINCIPALS``, in the key policy: a grant that a caller's permissions boundary does
        not cap (KMS Developer Guide, key policies: "Unless the key policy explicitly allows it, you cannot use IAM
        policies to allow access to a KMS key")."""
        through = [via_service(service) for service in SERVICES_FOR_PRINCIPALS]
        return in_resource_policy(
            principal,
            self.key,
            iam.PolicyStatement(
                sid="AllowProjectMembersThroughServices",
                actions=[*KEY_USE_ACTIONS, "kms:DescribeKey"],
                resources=["*"],
                conditions={"StringEquals": {"kms:ViaService": through}},
            ),
            iam.PolicyStatement(
                sid="AllowProjectMembersGrantsForAwsResources",
                actions=["kms:CreateGrant"],
                resources=["*"],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        )

    def _allow_cloudwatch_logs(self) -> None:
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsInThisRegion",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.{Aws.URL_SUFFIX}")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                        )
                    }
                },
            )
        )

    def _allow_services(self) -> None:
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAwsServicesOfThisAccount",
                principals=[iam.ServicePrincipal(service) for service in SERVICES_USING_KEY_DIRECTLY],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEventBridgeTargets",
                principals=[iam.ServicePrincipal(EVENTBRIDGE)],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
            )
        )


def grant_key_use(
    grantee: PolicyTarget, key_arn: str, services: tuple[str, ...] = SERVICES_FOR_PRINCIPALS
) -> iam.Grant:
    """Let ``grantee`` use the key ``key_arn`` (a token works: pattern stacks import it) through ``services`` only,
    describe it, and create grants for AWS resources: SageMaker encrypts job and endpoint volumes with a grant made
    with the caller's permissions.
    """
    return attach(
        grantee,
        iam.PolicyStatement(
            actions=list(KEY_USE_ACTIONS),
            resources=[key_arn],
            conditions={"StringEquals": {"kms:ViaService": [via_service(s) for s in services]}},
        ),
        iam.PolicyStatement(actions=["kms:DescribeKey"], resources=[key_arn]),
        iam.PolicyStatement(
            actions=["kms:CreateGrant"],
            resources=[key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    )


KeyLike = kms.IKey | SandboxKey
"""Where a construct of this library takes a key: any ``kms.IKey``, or a ``SandboxKey`` as it is."""


def as_key(key: KeyLike) -> kms.IKey:
    """The ``kms.IKey`` behind ``key``."""
    return key.key if isinstance(key, SandboxKey) else key
