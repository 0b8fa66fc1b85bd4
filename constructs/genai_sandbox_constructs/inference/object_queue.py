"""The object front of the async and batch patterns: objects written under a layout prefix become messages that a
function works through, and nothing is lost on the way."""

from __future__ import annotations

from typing import cast

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from genai_sandbox_constructs import layout, nag
from genai_sandbox_constructs.errors import Problems
from genai_sandbox_constructs.grants import attach, via_service
from genai_sandbox_constructs.inference.function import Invocation, SandboxFunction
from genai_sandbox_constructs.inference.monitoring import PERIOD
from genai_sandbox_constructs.storage.key import KeyLike, as_key

MAX_RECEIVES = 3
"""Deliveries of a message before it moves to the dead-letter queue."""
VISIBILITY_PER_TIMEOUT = 6
"""Lambda's guidance for SQS event sources: a visibility timeout of at least six times the function's timeout."""
CONSUME_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility")


class ObjectQueue(Construct):
    """S3 ``Object Created`` events of one layout prefix (EventBridge, enabled on the bucket: no notification custom
    resource) -> an SQS queue encrypted with the sandbox key -> ``function`` through an event source mapping that
    reports failed messages one by one. A message that fails ``MAX_RECEIVES`` times moves to a dead-letter queue,
    kept 14 days; the function records why (SQS's redrive carries no reason)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        prefix: str,
        encryption_key: KeyLike,
        function: SandboxFunction,
        batch_size: int = 10,
        suffix: str | None = None,
    ) -> None:
        """:param bucket_name: the sandbox bucket, with EventBridge notifications on (required).
        :param prefix: the layout prefix whose new objects are work, such as ``inference/async/input/`` (required).
        :param encryption_key: the sandbox key, for both queues (required).
        :param function: the worker, built with ``Invocation.QUEUE`` (required).
        :param batch_size: messages per invocation, 1-10. Default: 10.
        :param suffix: only keys under ``prefix`` that end with it (such as ``.ready``; ``*`` matches across ``/``).
            Default: every key.
        """
        _check(prefix, function, batch_size, suffix)
        super().__init__(scope, construct_id)
        key = as_key(encryption_key)
        self.dead_letters = dead_letter_queue(self, "DeadLetters", key, holds="the work queue")
        """Messages that failed ``MAX_RECEIVES`` times."""
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(function.timeout.to_seconds() * VISIBILITY_PER_TIMEOUT),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=MAX_RECEIVES),
        )
        """The work queue."""
        self.rule = events.Rule(
            self,
            "ObjectCreated",
            description=f"New objects under {prefix}{'*' + suffix if suffix else ''} become work",
            event_pattern=_object_created(bucket_name, prefix, suffix),
        )
        """The EventBridge rule on the bucket's events."""
        self._deliver_to_queue()
        self._connect(function, key.key_arn, batch_size)

    def _deliver_to_queue(self) -> None:
        """The rule's target and the queue policy statement EventBridge needs.

        EventBridge User Guide, "Using resource-based policies for Amazon EventBridge", Amazon SQS permissions: the
        queue policy allows ``events.amazonaws.com`` ``sqs:SendMessage`` with ``"ArnEquals": {"aws:SourceArn":
        "arn:aws:events:region:account-id:rule/rule-name"}``; and "For targets that use resource-based policies
        (Lambda, Amazon SNS, Amazon SQS, and CloudWatch Logs), do not specify RoleArn in the target configuration
        [...] event delivery may fail, especially for Amazon SQS and Amazon SNS targets with AWS KMS encryption
        enabled". CDK's ``SqsQueue`` target writes ``aws:SourceAccount`` for encrypted queues (to avoid a cycle
        through a key policy in the same stack, which an imported key does not have); we write the documented
        statement, bound to this rule. The key policy of the sandbox key lets EventBridge use the key.
        """
        cast(events.CfnRule, self.rule.node.default_child).targets = [
            events.CfnRule.TargetProperty(arn=self.queue.queue_arn, id="Queue")
        ]
        self.queue.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": self.rule.rule_arn}},
            )
        )

    def metric_oldest_message_age(self) -> cloudwatch.Metric:
        """Age of the oldest message waiting, in seconds (maximum over five minutes)."""
        return self.queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum")

    def metric_dead_letters(self) -> cloudwatch.Metric:
        """Messages waiting in the dead-letter queue (maximum over five minutes)."""
        return self.dead_letters.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")

    def _connect(self, function: SandboxFunction, key_arn: str, batch_size: int) -> lambda_.CfnEventSourceMapping:
        """An L1 event source mapping: the L2 one would grant its permissions in an inline policy."""
        attach(
            function.policy,
            iam.PolicyStatement(actions=list(CONSUME_ACTIONS), resources=[self.queue.queue_arn]),
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[key_arn],
                conditions={"StringEquals": {"kms:ViaService": via_service("sqs")}},
            ),
        )
        mapping = lambda_.CfnEventSourceMapping(
            self,
            "Mapping",
            function_name=function.function.function_name,
            event_source_arn=self.queue.queue_arn,
            batch_size=batch_size,
            function_response_types=["ReportBatchItemFailures"],
        )
        mapping.add_resource_dependency(cast(iam.CfnManagedPolicy, function.policy.node.default_child))
        return mapping


def dead_letter_queue(scope: Construct, construct_id: str, key: kms.IKey, *, holds: str) -> sqs.Queue:
    """A queue for what failed elsewhere, encrypted with ``key``, TLS only, kept 14 days.

    :param holds: whose failures it keeps, for the acknowledgement that it has no dead-letter queue itself.
    """
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    nag.acknowledge(
        queue,
        f"This is the dead-letter queue of {holds}; a dead-letter queue of its own would only move the failed "
        "messages once more.",
        "AwsSolutions-SQS3",
    )
    return queue


def _object_created(bucket_name: str, prefix: str, suffix: str | None) -> events.EventPattern:
    key = {"wildcard": f"{prefix}*{suffix}"} if suffix else {"prefix": prefix}
    return events.EventPattern(
        source=["aws.s3"],
        detail_type=["Object Created"],
        detail={"bucket": {"name": [bucket_name]}, "object": {"key": [key]}},
    )


def _check(prefix: str, function: SandboxFunction, batch_size: int, suffix: str | None) -> None:
    problems = Problems("ObjectQueue")
    problem = layout.prefix_problem(prefix)
    if problem:
        problems.add("prefix", prefix, problem)
    if function.invocation is not Invocation.QUEUE:
        problems.add("function", function.invocation.name, "a SandboxFunction built with Invocation.QUEUE")
    if not 1 <= batch_size <= 10:
        problems.add("batch_size", batch_size, "1-10")
    if suffix is not None and (not suffix or "*" in suffix or "/" in suffix):
        problems.add("suffix", suffix, "a non-empty key ending without '*' or '/', such as .ready")
    problems.raise_if_any()
