"""One way to build a sandbox Lambda function, whatever invokes it: an API, a queue or an event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import cast

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from genai_sandbox_constructs import nag
from genai_sandbox_constructs.errors import Problems
from genai_sandbox_constructs.grants import via_service
from genai_sandbox_constructs.network.sandbox_network import grant_network_interfaces
from genai_sandbox_constructs.storage.key import KeyLike, as_key

DEFAULT_TIMEOUT = Duration.minutes(1)
"""A function's time per invocation unless it says otherwise (an API's function takes less than API Gateway's 29 s)."""


def retained_log_group(scope: Construct, construct_id: str, key: kms.IKey, retention_days: float) -> logs.LogGroup:
    """A log group encrypted with ``key`` that keeps events ``retention_days`` (a number token works: set on the L1,
    the L2 takes only its enum)."""
    group = logs.LogGroup(scope, construct_id, encryption_key=key)
    cast(logs.CfnLogGroup, group.node.default_child).add_property_override("RetentionInDays", retention_days)
    return group


class Invocation(Enum):
    """How a function is invoked, which decides where its failures go."""

    SYNCHRONOUS = "the caller (API Gateway) invokes it synchronously: failures go back to the caller"
    """API Gateway and other synchronous callers."""
    QUEUE = (
        "an SQS event source mapping invokes it: a failed message returns to the source queue and, after its "
        "receive limit, to that queue's dead-letter queue"
    )
    """An SQS event source mapping; the source queue has the dead-letter queue."""
    ASYNCHRONOUS = "invoked asynchronously (events): failures go to the function's dead-letter queue"
    """EventBridge, SNS or other asynchronous invokers; needs ``dead_letter_queue``."""


class SandboxFunction(Construct):
    """A Python 3.14 function on arm64 whose code is one self-contained ``.py`` file run as ``index.handler`` (inline:
    no assets), with a role whose permissions are a managed policy, a log group encrypted with the sandbox key and
    retained ``log_retention_days``, environment variables encrypted with the same key, X-Ray tracing, optional
    subnets, a dead-letter queue when invoked asynchronously, and the cdk-nag acknowledgements its invocation calls
    for."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: Path,
        description: str,
        encryption_key: KeyLike,
        log_retention_days: float,
        invocation: Invocation,
        environment: Mapping[str, str] | None = None,
        timeout: Duration = DEFAULT_TIMEOUT,
        memory_size: int = 256,
        subnet_ids: Sequence[str] | None = None,
        security_group_id: str | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        concurrency_note: str = "reserving concurrency fails on accounts with the default low limit",
    ) -> None:
        """:param source: the handler file; it defines ``handler(event, context)`` and imports only the runtime's
            libraries (required).
        :param description: what the function does, for its policy (required).
        :param encryption_key: key for the log group and environment variables (required).
        :param log_retention_days: retention of the log group; a number token works (required).
        :param invocation: how the function is invoked (required).
        :param environment: environment variables. Default: none.
        :param timeout: time per invocation. Default: one minute.
        :param memory_size: in MB. Default: 256.
        :param subnet_ids: subnets to run in, with ``security_group_id``; tokens work. Default: no VPC.
        :param security_group_id: security group with ``subnet_ids``. Default: none.
        :param dead_letter_queue: where asynchronous invocations that keep failing go (required with
            ``Invocation.ASYNCHRONOUS``). Default: none.
        :param concurrency_note: why no concurrency is reserved, for the nag acknowledgement. Default: account limits.
        """
        super().__init__(scope, construct_id)
        _check(invocation, dead_letter_queue, subnet_ids, security_group_id)
        self.invocation = invocation
        """How the function is invoked."""
        self.timeout = timeout
        """How long one invocation may run."""
        key = as_key(encryption_key)
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        """The function's role; CloudFormation names it."""
        self.policy = iam.ManagedPolicy(self, "Permissions", roles=[self.role], description=description)
        """The function's permissions; grant more here."""
        self.log_group = retained_log_group(self, "Logs", key, log_retention_days)
        """The function's log group, encrypted and retained."""
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,  # Graviton: about 20 % cheaper for the same work
            handler="index.handler",
            code=lambda_.Code.from_inline(source.read_text()),
            role=self.role,
            timeout=timeout,
            memory_size=memory_size,
            environment=dict(environment or {}),
            environment_encryption=key,
            log_group=self.log_group,
        )
        """The function."""
        self._configure(subnet_ids, security_group_id, dead_letter_queue)
        self._allow_logs_traces_and_keys(key.key_arn)
        self._acknowledge(invocation, concurrency_note)

    def _configure(
        self, subnet_ids: Sequence[str] | None, security_group_id: str | None, queue: sqs.IQueue | None
    ) -> None:
        """Set on the L1: imported subnets are tokens (no IVpc), and the L2's tracing, VPC and DLQ options would add
        an inline policy."""
        resource = cast(lambda_.CfnFunction, self.function.node.default_child)
        resource.add_property_override("TracingConfig", {"Mode": "Active"})
        resource.add_resource_dependency(cast(iam.CfnManagedPolicy, self.policy.node.default_child))
        if subnet_ids is not None:
            vpc = {"SubnetIds": subnet_ids, "SecurityGroupIds": [security_group_id]}
            resource.add_property_override("VpcConfig", vpc)
            grant_network_interfaces(self, self.policy)
            nag.acknowledge(
                self.function,
                "VpcConfig is set as a property override with the sandbox subnets and security group (imported "
                "values).",
                "NIST.800.53.R5-LambdaInsideVPC",
                "HIPAA.Security-LambdaInsideVPC",
            )
        if queue is not None:
            resource.dead_letter_config = lambda_.CfnFunction.DeadLetterConfigProperty(target_arn=queue.queue_arn)
            self.policy.add_statements(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue_arn]))
            if queue.encryption_master_key is not None:
                self.policy.add_statements(
                    iam.PolicyStatement(
                        actions=["kms:Decrypt", "kms:GenerateDataKey"],
                        resources=[queue.encryption_master_key.key_arn],
                        conditions={"StringEquals": {"kms:ViaService": via_service("sqs")}},
                    )
                )

    def _allow_logs_traces_and_keys(self, key_arn: str) -> None:
        streams = f"{self.log_group.log_group_arn}:*"
        self.policy.add_statements(
            iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[streams]),
            iam.PolicyStatement(actions=["xray:PutTelemetryRecords", "xray:PutTraceSegments"], resources=["*"]),
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[key_arn],
                conditions={"StringEquals": {"kms:ViaService": via_service("lambda")}},
            ),
        )
        nag.acknowledge(
            self.policy,
            "X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions. The function writes "
            "only to its own log group's streams.",
            nag.wildcard_resource_finding(self, "*"),
            nag.wildcard_resource_finding(self, streams),
        )

    def _acknowledge(self, invocation: Invocation, concurrency_note: str) -> None:
        if invocation is not Invocation.ASYNCHRONOUS:
            nag.acknowledge(
                self.function,
                f"No dead-letter queue on the function: {invocation.value}.",
                "NIST.800.53.R5-LambdaDLQ",
                "HIPAA.Security-LambdaDLQ",
            )
        nag.acknowledge(
            self.function,
            f"No reserved concurrency: {concurrency_note}.",
            "NIST.800.53.R5-LambdaConcurrency",
            "HIPAA.Security-LambdaConcurrency",
        )


def _check(
    invocation: Invocation,
    queue: sqs.IQueue | None,
    subnet_ids: Sequence[str] | None,
    security_group_id: str | None,
) -> None:
    problems = Problems("SandboxFunction")
    if invocation is Invocation.ASYNCHRONOUS and queue is None:
        problems.add("dead_letter_queue", None, "a queue: asynchronous invocations that keep failing must go somewhere")
    if (subnet_ids is None) != (security_group_id is None):
        problems.add("subnet_ids/security_group_id", (subnet_ids, security_group_id), "both or neither")
    problems.raise_if_any()
