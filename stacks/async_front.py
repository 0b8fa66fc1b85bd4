"""The object front of the async blueprint: request objects in, status records and events out, wired to the
stack's Bedrock model and to the asynchronous endpoint, each under its model-source condition."""

from __future__ import annotations

import json

from aws_cdk import CfnOutput, Fn

from genai_sandbox_constructs.inference.async_endpoint import AsyncEndpoint
from genai_sandbox_constructs.inference.async_requests import EVENT_DETAIL_TYPES, EVENT_SOURCE, AsyncRequests
from genai_sandbox_constructs.inference.monitoring import Monitoring
from genai_sandbox_constructs.layout import ASYNC_INPUT, ASYNC_OUTPUT
from genai_sandbox_constructs.roles import conditional_policy

from . import smus
from .async_parameters import AsyncParameters
from .pattern import PatternStack

ALARMS = "failed requests in the dead-letter queues, invoker errors, requests waiting over an hour"
"""The alarms ``add_alarms`` adds, for the MonitoringEnabled description."""
OLDEST_REQUEST_ALARM_SECONDS = 3600


class AsyncFront:
    """``AsyncRequests`` in ``stack``, serving with the stack's Bedrock model; ``connect`` adds the endpoint."""

    def __init__(self, stack: PatternStack, inputs: AsyncParameters) -> None:
        """:param stack: the pattern stack (required). :param inputs: the blueprint's parameters (required)."""
        self._stack = stack
        self.requests = AsyncRequests(
            stack,
            "Requests",
            bucket=stack.imports.bucket,
            bucket_name=stack.imports.bucket_name,
            encryption_key=stack.key,
            log_retention_days=stack.settings.number("LogRetentionDays"),
            model_environment={
                "MODEL_SOURCE": stack.models.source,
                "MODEL_ID": stack.bedrock_model.invoke_target,
                "GUARDRAIL_ID": stack.models.guardrail_id,
                "GUARDRAIL_VERSION": stack.models.guardrail_version,
            },
            environment_id=Fn.ref(smus.ENVIRONMENT_ID),
            request_ttl_seconds=inputs.request_ttl,
            invocation_timeout_seconds=inputs.invocation_timeout,
            subnet_ids=stack.imports.subnet_ids,
            security_group_id=stack.imports.security_group_id,
            notification_email=inputs.notification_email,
            emails=inputs.emails,
        )
        """The queue, the invoker, the topics and the completion function."""
        bedrock = conditional_policy(
            stack,
            "BedrockAccess",
            condition=stack.source.uses_bedrock,
            roles=[self.requests.invoker.role],
            description="Serve asynchronous requests with Bedrock",
        )
        stack.source.grant_invoke_bedrock(bedrock, role=self.requests.invoker.role)

    def connect(self, endpoint: AsyncEndpoint) -> None:
        """Queue requests on ``endpoint`` (which exists with ModelSource SageMaker only)."""
        stack = self._stack
        endpoint_name = Fn.condition_if(
            stack.source.uses_sagemaker.logical_id, endpoint.endpoint.attr_endpoint_name, ""
        ).to_string()
        for function in (self.requests.invoker, self.requests.completion):
            function.function.add_environment("ENDPOINT_NAME", endpoint_name)
        access = conditional_policy(
            stack,
            "EndpointAccess",
            condition=stack.source.uses_sagemaker,
            roles=[self.requests.invoker.role],
            description="Queue requests on the asynchronous endpoint",
        )
        endpoint.grant_invoke(access)

    def add_alarms(self, monitoring: Monitoring) -> None:
        """Alarms on lost requests and notifications, invoker failures and requests left waiting."""
        requests = self.requests
        for alarm_id, metric, threshold, what in (
            ("RequestDeadLetters", requests.requests.metric_dead_letters(), 1, "requests failed 3 times"),
            ("CompletionDeadLetters", requests.metric_failed_notifications(), 1, "outcomes could not be recorded"),
            ("InvokerErrors", requests.invoker.function.metric_errors(), 1, "the invoker failed"),
            (
                "OldestRequest",
                requests.requests.metric_oldest_message_age(),
                OLDEST_REQUEST_ALARM_SECONDS,
                "a request has waited an hour for the invoker",
            ),
        ):
            monitoring.add_alarm(alarm_id, metric, threshold=threshold, description=what)

    def add_dashboards(self, monitoring: Monitoring, endpoint: AsyncEndpoint) -> None:
        """The requests' dashboard, and with SageMaker the endpoint's (async endpoints publish neither
        ``Invocations`` nor ``OverheadLatency``: backlog and instances tell how it keeps up)."""
        requests = self.requests
        monitoring.add_dashboard(
            "RequestsDashboard",
            [
                ("Oldest request waiting for the invoker (s)", [requests.requests.metric_oldest_message_age()]),
                (
                    "Dead letters: requests, notifications",
                    [requests.requests.metric_dead_letters(), requests.metric_failed_notifications()],
                ),
                ("Invoker errors", [requests.invoker.function.metric_errors()]),
                ("Completion errors", [requests.completion.function.metric_errors()]),
            ],
        )
        monitoring.add_dashboard(
            "EndpointDashboard",
            [
                ("Backlog (requests)", [endpoint.metric_backlog(), endpoint.metric_backlog_per_instance()]),
                ("Instances", [endpoint.metric_instances(), endpoint.metric_backlog_without_capacity()]),
            ],
            condition=self._stack.source.uses_sagemaker,
        )

    def add_outputs(self) -> None:
        """Where requests go, where results land, and how other tools hear about them."""
        bucket = self._stack.imports.bucket_name
        topics = self.requests
        for output_id, value, description in (
            ("RequestUri", f"s3://{bucket}/{ASYNC_INPUT.key}", "Write one request object here (any key below)."),
            (
                "ResultUri",
                f"s3://{bucket}/{ASYNC_OUTPUT.key}",
                "Results <name>.out and status records <name>.status.json land here, under the request's path.",
            ),
            ("SuccessTopicArn", topics.success_topic.topic_arn, "Announces each result (admins may subscribe)."),
            ("ErrorTopicArn", topics.error_topic.topic_arn, "Announces each failure (admins may subscribe)."),
            (
                "CompletionEventPattern",
                Fn.sub(
                    json.dumps(
                        {
                            "source": [EVENT_SOURCE],
                            "detail-type": list(EVENT_DETAIL_TYPES),
                            "detail": {"environmentId": [f"${{{smus.ENVIRONMENT_ID}}}"]},
                        }
                    )
                ),
                "EventBridge pattern matching this environment's finished requests (default bus).",
            ),
            (
                "RequestDeadLetterQueueUrl",
                topics.requests.dead_letters.queue_url,
                "Requests that failed 3 times (their status records say why).",
            ),
        ):
            CfnOutput(self._stack, output_id, value=value, description=description)
