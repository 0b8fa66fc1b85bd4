"""The request side of asynchronous inference: request objects become work, and every outcome becomes a status
record, an EventBridge event and (optionally) an email, whichever model serves the requests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Aws, CfnCondition, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from genai_sandbox_constructs import layout
from genai_sandbox_constructs.grants import PolicyTarget, grant_publish
from genai_sandbox_constructs.inference.function import Invocation, SandboxFunction
from genai_sandbox_constructs.inference.monitoring import PERIOD
from genai_sandbox_constructs.inference.object_queue import MAX_RECEIVES, ObjectQueue, dead_letter_queue
from genai_sandbox_constructs.storage.bucket_access import BucketAccess
from genai_sandbox_constructs.storage.key import KeyLike, as_key

HANDLER_SOURCE = Path(__file__).parent / "handlers" / "async_inference.py"
"""Both functions run this file; ``STEP`` says which part."""
EVENT_SOURCE = "genai-sandbox.async-inference"
"""``source`` of the EventBridge event emitted for each finished request."""
EVENT_DETAIL_TYPES = ("Async Inference Completed", "Async Inference Failed")
"""``detail-type`` of those events; ``detail`` is the status record plus ``environmentId``."""
INVOKER_TIMEOUT = Duration.minutes(15)
"""A Bedrock request is served inside the invoker: three model attempts of up to four minutes each."""


class AsyncRequests(Construct):
    """Objects written under ``inference/async/input/`` -> ``ObjectQueue`` -> an invoker that queues them on the
    endpoint (SageMaker) or serves them itself (Bedrock) and writes their status records. The ``success_topic`` and
    ``error_topic`` (the sandbox key) carry every outcome to a completion function that writes the final status
    record and emits an EventBridge event; an email address may subscribe to both.

    The model's own grants (invoking Bedrock or the endpoint) go to ``invoker.policy`` and are the caller's to add.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: BucketAccess,
        bucket_name: str,
        encryption_key: KeyLike,
        log_retention_days: float,
        model_environment: Mapping[str, str],
        environment_id: str,
        request_ttl_seconds: float,
        invocation_timeout_seconds: float,
        subnet_ids: Sequence[str] | None = None,
        security_group_id: str | None = None,
        notification_email: str | None = None,
        emails: CfnCondition | None = None,
    ) -> None:
        """:param bucket: access to the sandbox bucket (required).
        :param bucket_name: the sandbox bucket, with EventBridge notifications on (required).
        :param encryption_key: the sandbox key, for topics, queues, logs and records (required).
        :param log_retention_days: retention of both functions' logs; a number token works (required).
        :param model_environment: ``MODEL_SOURCE``, ``MODEL_ID``, ``GUARDRAIL_ID``, ``GUARDRAIL_VERSION`` and
            ``ENDPOINT_NAME`` for the invoker (required).
        :param environment_id: put in every event's detail (required).
        :param request_ttl_seconds: ``RequestTTLSeconds`` of each SageMaker request, 60-21600 (required).
        :param invocation_timeout_seconds: ``InvocationTimeoutSeconds`` of each SageMaker request, 1-3600 (required).
        :param subnet_ids: subnets of both functions, with ``security_group_id``. Default: no VPC.
        :param security_group_id: security group with ``subnet_ids``. Default: none.
        :param notification_email: address subscribed to both topics (SNS asks it to confirm). Default: none.
        :param emails: the condition under which ``notification_email`` is subscribed. Default: always.
        """
        super().__init__(scope, construct_id)
        key = as_key(encryption_key)
        self.success_topic = sns.Topic(self, "SuccessTopic", master_key=key, enforce_ssl=True)
        """Announces each result."""
        self.error_topic = sns.Topic(self, "ErrorTopic", master_key=key, enforce_ssl=True)
        """Announces each failure."""
        shared = {
            "BUCKET_NAME": bucket_name,
            "KEY_ARN": key.key_arn,
            **model_environment,
        }
        function_options = {
            "source": HANDLER_SOURCE,
            "encryption_key": key,
            "log_retention_days": log_retention_days,
            "subnet_ids": subnet_ids,
            "security_group_id": security_group_id,
        }
        self.invoker = SandboxFunction(
            self,
            "Invoker",
            description="Queue or serve asynchronous inference requests",
            invocation=Invocation.QUEUE,
            timeout=INVOKER_TIMEOUT,
            environment={
                **shared,
                "STEP": "invoke",
                "MAX_RECEIVES": str(MAX_RECEIVES),
                "REQUEST_TTL_SECONDS": str(request_ttl_seconds),
                "INVOCATION_TIMEOUT_SECONDS": str(invocation_timeout_seconds),
                "SUCCESS_TOPIC_ARN": self.success_topic.topic_arn,
                "ERROR_TOPIC_ARN": self.error_topic.topic_arn,
            },
            **function_options,  # type: ignore[arg-type]
        )
        """Works through the request queue; grant it the model."""
        self.requests = ObjectQueue(
            self,
            "Requests",
            bucket_name=bucket_name,
            prefix=layout.ASYNC_INPUT.key,
            encryption_key=key,
            function=self.invoker,
            batch_size=1,
        )
        """The request queue and its dead-letter queue."""
        self.completion_dead_letters = dead_letter_queue(
            self, "CompletionDeadLetters", key, holds="the completion function and its subscriptions"
        )
        """Notifications that could not be delivered or recorded."""
        self.completion = SandboxFunction(
            self,
            "Completion",
            description="Record finished asynchronous inference requests",
            invocation=Invocation.ASYNCHRONOUS,
            dead_letter_queue=self.completion_dead_letters,
            environment={**shared, "STEP": "complete", "ENVIRONMENT_ID": environment_id},
            **function_options,  # type: ignore[arg-type]
        )
        """Writes final status records and emits the events."""
        self._grant(bucket, key.key_arn)
        self._subscribe(notification_email, emails)

    def grant_publish(self, grantee: PolicyTarget, key_arn: str) -> iam.Grant:
        """Let ``grantee`` announce outcomes on both topics (and use their key, ``key_arn``, through SNS)."""
        return grant_publish(grantee, [self.success_topic.topic_arn, self.error_topic.topic_arn], key_arn)

    def metric_failed_notifications(self) -> cloudwatch.Metric:
        """Notifications that could not be recorded, waiting in the dead-letter queue (maximum over five minutes)."""
        return self.completion_dead_letters.metric_approximate_number_of_messages_visible(
            period=PERIOD, statistic="Maximum"
        )

    def _grant(self, bucket: BucketAccess, key_arn: str) -> None:
        """Read requests, read and write results and status records (never delete them), announce, emit."""
        invoker, completion = self.invoker.policy, self.completion.policy
        bucket.grant_read(invoker, layout.ASYNC_INPUT.key)
        for policy in (invoker, completion):
            bucket.grant_read(policy, layout.ASYNC_OUTPUT.key)
            bucket.grant_write(policy, layout.ASYNC_OUTPUT.key)
        self.grant_publish(invoker, key_arn)
        completion.add_statements(
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:event-bus/default"],
            )
        )

    def _subscribe(self, email: str | None, emails: CfnCondition | None) -> None:
        for topic in (self.success_topic, self.error_topic):
            topic.add_subscription(
                subscriptions.LambdaSubscription(
                    self.completion.function, dead_letter_queue=self.completion_dead_letters
                )
            )
            if email is not None:
                subscription = sns.CfnSubscription(
                    self, f"Email{topic.node.id}", protocol="email", endpoint=email, topic_arn=topic.topic_arn
                )
                subscription.cfn_options.condition = emails
