"""Batch inference jobs of a sandbox: started by a ready-marker object or a schedule, tracked by the services'
job-state events, recorded next to their output, announced and counted."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import cast

from aws_cdk import Aws, CfnCondition, CfnResource, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from constructs import Construct

from genai_sandbox_constructs import layout
from genai_sandbox_constructs.grants import grant_publish, via_service
from genai_sandbox_constructs.inference.function import Invocation, SandboxFunction
from genai_sandbox_constructs.inference.monitoring import PERIOD
from genai_sandbox_constructs.inference.object_queue import MAX_RECEIVES, ObjectQueue, dead_letter_queue
from genai_sandbox_constructs.storage.bucket_access import BucketAccess
from genai_sandbox_constructs.storage.key import KeyLike, as_key

HANDLER_SOURCE = Path(__file__).parent / "handlers" / "batch_inference.py"
"""Both functions run this file; ``STEP`` says which part."""
MARKER_SUFFIX = ".ready"
"""A batch starts when ``inference/batch/input/<batch-id>.ready`` is written: a sibling of the batch's folder, so
that no job reads it as input (a transform job reads every object under its prefix, Bedrock the whole location)."""
METRIC_NAMESPACE = "GenAISandbox/BatchInference"
"""Namespace of the ``JobsSucceeded`` and ``JobsFailed`` metrics (embedded metric format, dimension
``EnvironmentId``)."""
SCAN_MESSAGE = {"scan": True}
"""What the schedule sends: start every ready batch not yet started."""
LAUNCHER_TIMEOUT = Duration.minutes(5)
"""Counting a Bedrock batch's records (up to the minimum) and listing markers fit in five minutes."""


class BatchJobs(Construct):
    """Ready-markers under ``inference/batch/input/`` (and, optionally, a schedule) -> ``ObjectQueue`` -> a launcher
    that starts one job per batch; SageMaker transform and Bedrock batch job-state events of this environment's jobs
    -> a tracker that writes ``inference/batch/output/<batch-id>/status.json``, announces finished jobs on ``topic``
    and counts them as ``JobsSucceeded``/``JobsFailed``. Which service the launcher calls, and what it may call, is
    the caller's: pass the job settings in ``job_environment`` and grant ``launcher.policy`` the service.
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
        environment_id: str,
        job_environment: Mapping[str, str],
        schedule_expression: str | None = None,
        schedules: CfnCondition | None = None,
        subnet_ids: Sequence[str] | None = None,
        security_group_id: str | None = None,
        notification_email: str | None = None,
        emails: CfnCondition | None = None,
    ) -> None:
        """:param bucket: access to the sandbox bucket (required).
        :param bucket_name: the sandbox bucket, with EventBridge notifications on (required).
        :param encryption_key: the sandbox key, for the topic, queues, logs and records (required).
        :param log_retention_days: retention of both functions' logs; a number token works (required).
        :param environment_id: the first part of every job name; only jobs named ``<environment_id>-...`` are
            tracked (required).
        :param job_environment: what the launcher needs to start a job (model, instance, formats; see the handler)
            (required).
        :param schedule_expression: an EventBridge Scheduler expression (``rate(...)``, ``cron(...)``) that starts
            every ready batch not yet started. Default: none.
        :param schedules: the condition under which the schedule exists. Default: always (with an expression).
        :param subnet_ids: subnets of both functions, with ``security_group_id``. Default: no VPC.
        :param security_group_id: security group with ``subnet_ids``. Default: none.
        :param notification_email: address subscribed to the topic (SNS asks it to confirm). Default: none.
        :param emails: the condition under which ``notification_email`` is subscribed. Default: always.
        """
        super().__init__(scope, construct_id)
        key = as_key(encryption_key)
        self._key_arn = key.key_arn
        self.topic = sns.Topic(self, "Topic", master_key=key, enforce_ssl=True)
        """Announces every finished job and every batch that could not start."""
        shared = {
            "BUCKET_NAME": bucket_name,
            "KEY_ARN": key.key_arn,
            "ENVIRONMENT_ID": environment_id,
            "TOPIC_ARN": self.topic.topic_arn,
            **job_environment,
        }
        options = {
            "source": HANDLER_SOURCE,
            "encryption_key": key,
            "log_retention_days": log_retention_days,
            "subnet_ids": subnet_ids,
            "security_group_id": security_group_id,
        }
        self.launcher = SandboxFunction(
            self,
            "Launcher",
            description="Start batch inference jobs",
            invocation=Invocation.QUEUE,
            timeout=LAUNCHER_TIMEOUT,
            environment={**shared, "STEP": "launch", "MAX_RECEIVES": str(MAX_RECEIVES)},
            **options,  # type: ignore[arg-type]
        )
        """Starts one job per ready batch; grant it the service that runs the jobs."""
        self.markers = ObjectQueue(
            self,
            "Markers",
            bucket_name=bucket_name,
            prefix=layout.BATCH_INPUT.key,
            suffix=MARKER_SUFFIX,
            encryption_key=key,
            function=self.launcher,
            batch_size=1,
        )
        """The queue of batches to start and its dead-letter queue."""
        self.tracking_dead_letters = dead_letter_queue(
            self, "TrackingDeadLetters", key, holds="the tracker and its rules"
        )
        """Job-state events that could not be delivered or recorded."""
        self.tracker = SandboxFunction(
            self,
            "Tracker",
            description="Record batch inference job states",
            invocation=Invocation.ASYNCHRONOUS,
            dead_letter_queue=self.tracking_dead_letters,
            environment={**shared, "STEP": "track"},
            **options,  # type: ignore[arg-type]
        )
        """Records job states; grant it reading jobs where the service's events do not say enough."""
        self._track(environment_id)
        self._grant(bucket, key.key_arn)
        if schedule_expression is not None:
            self._schedule(schedule_expression, schedules)
        if notification_email is not None:
            email = sns.CfnSubscription(
                self, "Email", protocol="email", endpoint=notification_email, topic_arn=self.topic.topic_arn
            )
            email.cfn_options.condition = emails

    def metric_jobs_failed(self, environment_id: str) -> cloudwatch.Metric:
        """Jobs that ended in any state but Completed (sum over five minutes)."""
        return self._job_metric("JobsFailed", environment_id)

    def metric_jobs_succeeded(self, environment_id: str) -> cloudwatch.Metric:
        """Jobs that completed (sum over five minutes)."""
        return self._job_metric("JobsSucceeded", environment_id)

    def metric_failed_tracking(self) -> cloudwatch.Metric:
        """Job-state events that could not be recorded (maximum over five minutes)."""
        return self.tracking_dead_letters.metric_approximate_number_of_messages_visible(
            period=PERIOD, statistic="Maximum"
        )

    def _job_metric(self, name: str, environment_id: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=METRIC_NAMESPACE,
            metric_name=name,
            dimensions_map={"EnvironmentId": environment_id},
            statistic="Sum",
            period=PERIOD,
        )

    def _track(self, environment_id: str) -> None:
        """One rule per service, for this environment's jobs only (their names start with the environment id)."""
        ours = [{"prefix": f"{environment_id}-"}]
        for rule_id, source, detail_type, name_field in (
            ("TransformJobStates", "aws.sagemaker", "SageMaker Transform Job State Change", "TransformJobName"),
            ("BedrockBatchJobStates", "aws.bedrock", "Batch Inference Job State Change", "batchJobName"),
        ):
            events.Rule(
                self,
                rule_id,
                description=f"{detail_type} of this environment's jobs",
                event_pattern=events.EventPattern(
                    source=[source], detail_type=[detail_type], detail={name_field: ours}
                ),
                targets=[
                    targets.LambdaFunction(
                        self.tracker.function,
                        dead_letter_queue=self.tracking_dead_letters,
                        retry_attempts=8,
                        max_event_age=Duration.hours(24),
                    )
                ],
            )

    def _grant(self, bucket: BucketAccess, key_arn: str) -> None:
        """Both read the batch inputs' listing and read and write status records; both announce."""
        launcher, tracker = self.launcher.policy, self.tracker.policy
        bucket.grant_read(launcher, layout.BATCH_INPUT.key)
        for policy in (launcher, tracker):
            bucket.grant_read(policy, layout.BATCH_OUTPUT.key)
            bucket.grant_write(policy, layout.BATCH_OUTPUT.key)
            grant_publish(policy, [self.topic.topic_arn], key_arn)

    def _schedule(self, expression: str, schedules: CfnCondition | None) -> None:
        """EventBridge Scheduler sends the scan message to the marker queue (so failures share its retries and
        dead-letter queue), with a role that may send there and nothing else."""
        queue = self.markers.queue
        scheduler_principal = iam.ServicePrincipal("scheduler.amazonaws.com").with_conditions(
            {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
        )
        role = iam.Role(self, "ScheduleRole", assumed_by=scheduler_principal)
        policy = iam.ManagedPolicy(
            self,
            "SchedulePermissions",
            roles=[role],
            description="Send the scheduled scan to the batch marker queue",
            statements=[
                iam.PolicyStatement(
                    actions=["sqs:SendMessage"],
                    resources=[queue.queue_arn, self.markers.dead_letters.queue_arn],
                ),
                iam.PolicyStatement(
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[self._key_arn],
                    conditions={"StringEquals": {"kms:ViaService": via_service("sqs")}},
                ),
            ],
        )
        schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            description="Start every ready batch not yet started",
            schedule_expression=expression,
            schedule_expression_timezone="UTC",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            target=scheduler.CfnSchedule.TargetProperty(
                arn=queue.queue_arn,
                role_arn=role.role_arn,
                input=json.dumps(SCAN_MESSAGE),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=3600, maximum_retry_attempts=10
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=self.markers.dead_letters.queue_arn
                ),
            ),
        )
        schedule.add_resource_dependency(cast(iam.CfnManagedPolicy, policy.node.default_child))
        for resource in (
            schedule,
            cast(CfnResource, role.node.default_child),
            cast(CfnResource, policy.node.default_child),
        ):
            resource.cfn_options.condition = schedules
