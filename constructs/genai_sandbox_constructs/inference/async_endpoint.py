"""A SageMaker asynchronous endpoint: requests from S3, results and failures to S3, notifications on SNS, and
backlog scaling that reaches zero instances and wakes from it."""

from __future__ import annotations

from typing import cast

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from genai_sandbox_constructs import layout
from genai_sandbox_constructs.errors import Problems
from genai_sandbox_constructs.grants import grant_publish
from genai_sandbox_constructs.inference.endpoints import EndpointBase, check_range, literal, named_after
from genai_sandbox_constructs.inference.instance_types import HOSTING_INSTANCE_TYPES
from genai_sandbox_constructs.model_source.sagemaker_model import SageMakerModel
from genai_sandbox_constructs.storage.bucket_access import BucketAccess
from genai_sandbox_constructs.storage.key import KeyLike, as_key

FAILURE_PREFIX = f"{layout.ASYNC_OUTPUT.key}failures/"
"""Where SageMaker writes the errors of failed requests (members read under ``inference/async/output/``)."""
BACKLOG_METRIC = "ApproximateBacklogSizePerInstance"
WAKE_METRIC = "HasBacklogWithoutCapacity"
"""Both published by SageMaker for async endpoints with the ``EndpointName`` dimension only."""
WAKE_PERIOD_SECONDS = 60


class AsyncEndpoint(EndpointBase):
    """One variant of ``instance_type`` behind an asynchronous endpoint. Results go to ``inference/async/output/`` and
    failures to ``inference/async/output/failures/``, encrypted with the sandbox key; SageMaker announces each on the
    ``success_topic`` or ``error_topic``. The model's role gets reading ``inference/async/input/``, writing the
    outputs, ``sns:Publish`` and the topics' key in the policy the model already waits for, so the endpoint can serve
    and notify from its first request.

    Scaling: target tracking on ``ApproximateBacklogSizePerInstance`` (``EndpointName`` only) with a minimum of 0, and
    a step policy that adds one instance when ``HasBacklogWithoutCapacity`` reaches 1 (target tracking alone never
    scales out of zero). The endpoint starts with one instance; idle cost reaches zero after the first scale-in.
    """

    invoke_action = "sagemaker:InvokeEndpointAsync"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        model: SageMakerModel,
        instance_type: str,
        encryption_key: KeyLike,
        bucket: BucketAccess,
        bucket_name: str,
        success_topic: sns.ITopic,
        error_topic: sns.ITopic,
        max_concurrent_invocations: float = 4,
        min_instances: float = 0,
        max_instances: float = 2,
        target_backlog_per_instance: float = 5,
    ) -> None:
        """:param name_prefix: unique per account and region, such as the environment id (required).
        :param model: the SageMaker model (required).
        :param instance_type: ``ml.*`` hosting instance type; a token works (required).
        :param encryption_key: the sandbox key, for volumes, results and topics (required).
        :param bucket: access to the sandbox bucket, for the model's writes (required).
        :param bucket_name: name of the sandbox bucket (required).
        :param success_topic: announces each result, with the response when it fits (128 KB); encrypted with
            ``encryption_key`` (required).
        :param error_topic: announces each failure; encrypted with ``encryption_key`` (required).
        :param max_concurrent_invocations: requests each instance works on at once. Default: 4.
        :param min_instances: instances kept when idle; 0 scales to zero. Default: 0.
        :param max_instances: instances at most. Default: 2.
        :param target_backlog_per_instance: queued requests per instance autoscaling aims at. Default: 5.
        """
        _check(instance_type, max_concurrent_invocations, min_instances, max_instances)
        super().__init__(scope, construct_id)
        key = as_key(encryption_key)
        self.success_topic = success_topic
        self.error_topic = error_topic
        publishes = self._allow_model_to_notify_and_write(model, bucket, key.key_arn)
        self.config = self._single_variant(
            model,
            {"initial_instance_count": 1, "instance_type": instance_type, "initial_variant_weight": 1},
            kms_key_id=self._volume_key(instance_type, key.key_arn),
            async_inference_config=self._async_config(bucket_name, key.key_arn, max_concurrent_invocations),
        )
        """The endpoint configuration; CloudFormation names it, so that a change replaces it."""
        self.config.add_resource_dependency(cast(iam.CfnManagedPolicy, publishes.node.default_child))
        self.endpoint = self._endpoint(self.config, named_after(name_prefix, instance_type))
        """The endpoint, named after ``name_prefix`` and the instance type."""
        self._build_scaling(min_instances, max_instances, target_backlog_per_instance)

    def metric_backlog_per_instance(self) -> cloudwatch.Metric:
        """Queued requests per instance (average over a minute)."""
        return self._endpoint_metric(BACKLOG_METRIC)

    def metric_backlog_without_capacity(self) -> cloudwatch.Metric:
        """1 while requests wait and no instance runs (average over a minute)."""
        return self._endpoint_metric(WAKE_METRIC)

    def metric_backlog(self) -> cloudwatch.Metric:
        """Requests waiting in the endpoint's queue (average over a minute)."""
        return self._endpoint_metric("ApproximateBacklogSize")

    def metric_instances(self) -> cloudwatch.MathExpression:
        """Instances running, as the backlog divided by the backlog per instance (SageMaker publishes no instance
        count for asynchronous endpoints; with an empty backlog the expression has no value)."""
        return cloudwatch.MathExpression(
            expression="backlog / perInstance",
            using_metrics={"backlog": self.metric_backlog(), "perInstance": self.metric_backlog_per_instance()},
            label="instances (backlog / backlog per instance)",
            period=Duration.seconds(WAKE_PERIOD_SECONDS),
        )

    def _endpoint_metric(self, name: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/SageMaker",
            metric_name=name,
            dimensions_map={"EndpointName": self.endpoint.attr_endpoint_name},
            statistic="Average",
            period=Duration.seconds(WAKE_PERIOD_SECONDS),
        )

    def _async_config(
        self, bucket_name: str, key_arn: str, concurrency: float
    ) -> sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty:
        return sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty(
            output_config=sagemaker.CfnEndpointConfig.AsyncInferenceOutputConfigProperty(
                s3_output_path=f"s3://{bucket_name}/{layout.ASYNC_OUTPUT.key}",
                s3_failure_path=f"s3://{bucket_name}/{FAILURE_PREFIX}",
                kms_key_id=key_arn,
                notification_config=sagemaker.CfnEndpointConfig.AsyncInferenceNotificationConfigProperty(
                    success_topic=self.success_topic.topic_arn,
                    error_topic=self.error_topic.topic_arn,
                    include_inference_response_in=["SUCCESS_NOTIFICATION_TOPIC", "ERROR_NOTIFICATION_TOPIC"],
                ),
            ),
            client_config=sagemaker.CfnEndpointConfig.AsyncInferenceClientConfigProperty(
                max_concurrent_invocations_per_instance=concurrency
            ),
        )

    def _allow_model_to_notify_and_write(
        self, model: SageMakerModel, bucket: BucketAccess, key_arn: str
    ) -> iam.ManagedPolicy:
        """Read requests, write results and failures, publish to both topics (their key through SNS); in the model's
        own policy, which the model (and so the endpoint) waits for. SageMaker reads the input location and writes
        the outputs with the model's execution role."""
        grant_publish(model.policy, [self.success_topic.topic_arn, self.error_topic.topic_arn], key_arn)
        bucket.grant_read(model.policy, layout.ASYNC_INPUT.key)
        bucket.grant_write(model.policy, layout.ASYNC_OUTPUT.key)
        return model.policy

    def _build_scaling(self, minimum: float, maximum: float, target_backlog: float) -> None:
        target = self._scalable_target(minimum, maximum)
        self._scaling_policy(
            "BacklogScaling",
            "backlog",
            target,
            target_tracking=autoscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=target_backlog,
                customized_metric_specification=autoscaling.CfnScalingPolicy.CustomizedMetricSpecificationProperty(
                    namespace="AWS/SageMaker",
                    metric_name=BACKLOG_METRIC,
                    dimensions=[
                        autoscaling.CfnScalingPolicy.MetricDimensionProperty(
                            name="EndpointName", value=self.endpoint.attr_endpoint_name
                        )
                    ],
                    statistic="Average",
                ),
                scale_in_cooldown=600,
                scale_out_cooldown=300,
            ),
        )
        wake = self._scaling_policy(
            "WakeFromZero",
            "wake",
            target,
            step=autoscaling.CfnScalingPolicy.StepScalingPolicyConfigurationProperty(
                adjustment_type="ChangeInCapacity",
                cooldown=300,
                metric_aggregation_type="Average",
                step_adjustments=[
                    autoscaling.CfnScalingPolicy.StepAdjustmentProperty(
                        metric_interval_lower_bound=0, scaling_adjustment=1
                    )
                ],
            ),
        )
        cloudwatch.CfnAlarm(
            self,
            "BacklogWithoutCapacity",
            alarm_description="Gen AI sandbox: requests wait and no instance runs; add one.",
            namespace="AWS/SageMaker",
            metric_name=WAKE_METRIC,
            dimensions=[
                cloudwatch.CfnAlarm.DimensionProperty(name="EndpointName", value=self.endpoint.attr_endpoint_name)
            ],
            statistic="Average",
            period=WAKE_PERIOD_SECONDS,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[wake.ref],
        )


def _check(instance_type: str, concurrency: float, minimum: float, maximum: float) -> None:
    problems = Problems("AsyncEndpoint")
    if literal(instance_type) and instance_type not in HOSTING_INSTANCE_TYPES:
        problems.add("instance_type", instance_type, "a SageMaker hosting instance type such as ml.m5.xlarge")
    check_range(problems, "max_concurrent_invocations", concurrency, 1, 1000)
    check_range(problems, "min_instances", minimum, 0, maximum if literal(maximum) else None)
    check_range(problems, "max_instances", maximum, 1, None)
    problems.raise_if_any()
