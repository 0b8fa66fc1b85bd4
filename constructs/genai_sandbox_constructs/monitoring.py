"""Alarms for an inference API (and its SageMaker endpoint) that notify an encrypted SNS topic."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, CfnCondition, Fn
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from .conditions import expression, make_conditional

PERIOD_SECONDS = 300


@dataclass(frozen=True)
class EndpointToWatch:
    """A SageMaker endpoint variant, watched only under ``condition``."""

    endpoint_name: str
    """Name of the endpoint (required)."""
    latency_threshold_us: float
    """p90 model latency that raises an alarm, in microseconds (SageMaker's unit); a token works (required)."""
    variant_name: str
    """Name of the variant (required)."""
    condition: CfnCondition
    """When the endpoint exists (required)."""


class Monitoring(Construct):
    """Under ``enabled``: an SNS topic encrypted with the sandbox key, and alarms on API 5xx and p90 latency,
    function errors and throttles, and (when given) endpoint 5xx and p90 model latency. Missing data is not
    breaching: an idle sandbox stays quiet."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        enabled: CfnCondition,
        key_arn: str,
        api_name: str,
        stage_name: str,
        function_name: str,
        latency_threshold_ms: float,
        endpoint: EndpointToWatch | None = None,
    ) -> None:
        """:param enabled: condition under which the topic and alarms exist (required).
        :param key_arn: KMS key of the topic (required).
        :param api_name: name of the REST API (required).
        :param stage_name: stage of the REST API (required).
        :param function_name: the API's Lambda function (required).
        :param latency_threshold_ms: p90 API latency that raises an alarm, in milliseconds; a token works (required).
        :param endpoint: a SageMaker endpoint to watch too. Default: none.
        """
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self, "AlarmTopic", master_key=kms.Key.from_key_arn(self, "Key", key_arn), enforce_ssl=True
        )
        """Alarm notifications; subscribe to it (email, chat) to be told."""
        self._allow_alarms_to_publish()
        self._action = self.topic.topic_arn
        api = [{"name": "ApiName", "value": api_name}, {"name": "Stage", "value": stage_name}]
        function = [{"name": "FunctionName", "value": function_name}]
        for alarm_id, namespace, metric, dimensions, threshold, what, percentile in (
            ("ApiServerErrors", "AWS/ApiGateway", "5XXError", api, 1, "API answered with 5xx", None),
            ("ApiLatency", "AWS/ApiGateway", "Latency", api, latency_threshold_ms, "API p90 latency (ms)", "p90"),
            ("FunctionErrors", "AWS/Lambda", "Errors", function, 1, "the API function failed", None),
            ("FunctionThrottles", "AWS/Lambda", "Throttles", function, 1, "the API function was throttled", None),
        ):
            self._alarm(
                alarm_id,
                namespace=namespace,
                metric=metric,
                dimensions=dimensions,
                threshold=threshold,
                what=what,
                percentile=percentile,
            )
        make_conditional(self, enabled)
        if endpoint is not None:
            self._watch_endpoint(endpoint, enabled)

    def _allow_alarms_to_publish(self) -> None:
        """A topic policy replaces SNS's default policy, so CloudWatch needs its own statement, narrowed to alarms of
        this account and region (``aws:SourceAccount``, ``aws:SourceArn``: the confused-deputy guard AWS recommends
        for service principals). The key policy lets CloudWatch use the topic's key (``SandboxKey``)."""
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{Aws.PARTITION}:cloudwatch:{Aws.REGION}:{Aws.ACCOUNT_ID}:alarm:*"
                    },
                },
            )
        )

    def _watch_endpoint(self, endpoint: EndpointToWatch, enabled: CfnCondition) -> None:
        both = CfnCondition(
            self,
            "WatchesEndpoint",
            expression=Fn.condition_and(expression(enabled), expression(endpoint.condition)),
        )
        variant = [
            {"name": "EndpointName", "value": endpoint.endpoint_name},
            {"name": "VariantName", "value": endpoint.variant_name},
        ]
        for alarm in (
            self._alarm(
                "EndpointErrors",
                namespace="AWS/SageMaker",
                metric="Invocation5XXErrors",
                dimensions=variant,
                threshold=1,
                what="the model answered 5xx",
            ),
            self._alarm(
                "ModelLatency",
                namespace="AWS/SageMaker",
                metric="ModelLatency",
                dimensions=variant,
                threshold=endpoint.latency_threshold_us,
                what="model p90 latency (microseconds)",
                percentile="p90",
            ),
        ):
            alarm.cfn_options.condition = both

    def _alarm(
        self,
        construct_id: str,
        *,
        namespace: str,
        metric: str,
        dimensions: list[dict[str, str]],
        threshold: float,
        what: str,
        percentile: str | None = None,
    ) -> cloudwatch.CfnAlarm:
        return cloudwatch.CfnAlarm(
            self,
            construct_id,
            alarm_description=f"Gen AI sandbox: {what}.",
            namespace=namespace,
            metric_name=metric,
            dimensions=[cloudwatch.CfnAlarm.DimensionProperty(**dimension) for dimension in dimensions],
            statistic=None if percentile else "Sum",
            extended_statistic=percentile,
            period=PERIOD_SECONDS,
            evaluation_periods=1,
            threshold=threshold,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self._action],
        )
