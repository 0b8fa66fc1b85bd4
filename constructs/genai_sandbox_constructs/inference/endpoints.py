"""SageMaker endpoints for a ``SageMakerModel``: real-time (instances, autoscaling, capture) and serverless."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from aws_cdk import Aws, CfnCondition, Fn, Token
from aws_cdk import aws_applicationautoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from genai_sandbox_constructs import layout
from genai_sandbox_constructs.conditions import any_equal
from genai_sandbox_constructs.errors import Problems
from genai_sandbox_constructs.grants import PolicyTarget, add_conditional_statement, attach
from genai_sandbox_constructs.inference.instance_types import HOSTING_INSTANCE_TYPES
from genai_sandbox_constructs.inference.monitoring import PERIOD
from genai_sandbox_constructs.model_source.sagemaker_model import SageMakerModel
from genai_sandbox_constructs.storage.key import KeyLike, as_key

VARIANT = "AllTraffic"
NVME_FAMILIES = (
    "c5d", "c6gd", "c6id", "dl1", "g4dn", "g5", "g6", "g6e", "g7e", "gr6", "m5d", "m6gd", "m6id", "p3dn", "p4d",
    "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300", "p6e-gb200", "r5d", "r6gd", "r6id", "r7gd", "trn1", "trn1n",
    "trn2",
)  # fmt: skip
"""SageMaker hosting families with NVMe instance storage: "If you specify a value for KmsKeyId when using any
nitro-based instances with local storage, the call to CreateEndpointConfig fails" (SageMaker API reference)."""
SCALING_ROLE = (
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)
"""Application Auto Scaling uses this service-linked role; a role of our own would be ignored."""


class EndpointBase(Construct):
    """What both endpoint kinds share: the endpoint itself and who may invoke it."""

    endpoint: sagemaker.CfnEndpoint
    """The endpoint; CloudFormation names it."""
    invoke_action: ClassVar[str] = "sagemaker:InvokeEndpoint"
    """How callers send it requests."""

    def grant_invoke(self, grantee: PolicyTarget) -> iam.Grant:
        """Let ``grantee`` invoke this endpoint (and nothing else in SageMaker)."""
        return attach(grantee, iam.PolicyStatement(actions=[self.invoke_action], resources=[self.endpoint.ref]))

    def metric_invocation_5xx_errors(self) -> cloudwatch.Metric:
        """5xx answers of the model, summed over five minutes."""
        return self._metric("Invocation5XXErrors", "Sum")

    def metric_model_latency(self) -> cloudwatch.Metric:
        """p90 model latency in microseconds (SageMaker's unit), over five minutes."""
        return self._metric("ModelLatency", "p90")

    def _metric(self, name: str, statistic: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/SageMaker",
            metric_name=name,
            dimensions_map={"EndpointName": self.endpoint.attr_endpoint_name, "VariantName": VARIANT},
            statistic=statistic,
            period=PERIOD,
        )

    def grant_invoke_where(self, policy: iam.ManagedPolicy, exists: CfnCondition) -> None:
        """Add invoking this endpoint to ``policy``, under ``exists`` (the endpoint's own condition)."""
        add_conditional_statement(
            policy,
            exists,
            iam.PolicyStatement(actions=[self.invoke_action], resources=[self.endpoint.ref]),
        )

    def _single_variant(
        self, model: SageMakerModel, variant: dict[str, Any], **config: Any
    ) -> sagemaker.CfnEndpointConfig:
        """An unnamed endpoint configuration (a change replaces it) with one ``AllTraffic`` variant."""
        return sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=VARIANT, model_name=model.model.attr_model_name, **variant
                )
            ],
            **config,
        )

    def _volume_key(self, instance_type: str, key_arn: str) -> str:
        """``key_arn`` for the instances' volumes, or ``AWS::NoValue`` for families with NVMe instance storage
        (condition ``HasNvmeStorage``)."""
        self.has_nvme = has_nvme_storage(self, instance_type)
        """The instance family has NVMe instance storage (no ``KmsKeyId`` then)."""
        return Fn.condition_if(self.has_nvme.logical_id, Aws.NO_VALUE, key_arn).to_string()

    def _scalable_target(self, minimum: float, maximum: float) -> autoscaling.CfnScalableTarget:
        """The variant's instance count as a scalable target, through SageMaker's service-linked scaling role."""
        return autoscaling.CfnScalableTarget(
            self,
            "ScalableTarget",
            service_namespace="sagemaker",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            resource_id=f"endpoint/{self.endpoint.attr_endpoint_name}/variant/{VARIANT}",
            min_capacity=minimum,
            max_capacity=maximum,
            role_arn=f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/{SCALING_ROLE}",
        )

    def _scaling_policy(
        self,
        construct_id: str,
        suffix: str,
        target: autoscaling.CfnScalableTarget,
        *,
        target_tracking: autoscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty | None = None,
        step: autoscaling.CfnScalingPolicy.StepScalingPolicyConfigurationProperty | None = None,
    ) -> autoscaling.CfnScalingPolicy:
        """A policy on ``target`` named ``<endpoint name>-<suffix>``: target tracking, or else step scaling."""
        return autoscaling.CfnScalingPolicy(
            self,
            construct_id,
            policy_name=f"{self.endpoint.attr_endpoint_name}-{suffix}",
            policy_type="TargetTrackingScaling" if target_tracking else "StepScaling",
            scaling_target_id=target.ref,
            target_tracking_scaling_policy_configuration=target_tracking,
            step_scaling_policy_configuration=step,
        )

    def _endpoint(self, config: sagemaker.CfnEndpointConfig, name: str | None = None) -> sagemaker.CfnEndpoint:
        return sagemaker.CfnEndpoint(
            self, "Endpoint", endpoint_config_name=config.attr_endpoint_config_name, endpoint_name=name
        )


class RealtimeEndpoint(EndpointBase):
    """Instances behind one variant, KMS on their volumes (unless NVMe), optional data capture, and
    target-tracking autoscaling on invocations per instance (minimum 1).

    The endpoint is named ``<name_prefix>-<instance type with dashes>``: SageMaker refuses to change the instance
    type of a variant registered with autoscaling, so a new instance type makes CloudFormation create a new
    endpoint (and scaling target) and delete the old ones. Every other change updates the endpoint in place.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        model: SageMakerModel,
        instance_type: str,
        encryption_key: KeyLike,
        bucket_name: str,
        capture_enabled: bool | CfnCondition = False,
        capture_percent: float = 20,
        min_instances: float,
        max_instances: float,
        target_invocations: float,
    ) -> None:
        """:param name_prefix: unique per account and region, such as the environment id; at most 43 characters of
            letters, digits and hyphens (the instance type adds up to 20) (required).
        :param model: the SageMaker model (required).
        :param instance_type: ``ml.*`` instance type; a token works (required).
        :param encryption_key: the sandbox key, for volumes and captured data (required).
        :param bucket_name: sandbox bucket receiving data capture under ``inference/realtime/capture/`` (required).
        :param capture_enabled: whether requests and responses are captured, or the condition under which they are.
            Default: false.
        :param capture_percent: share of requests captured, 1-100; a token works. Default: 20.
        :param min_instances: minimum (and initial) instance count, at least 1 (required).
        :param max_instances: maximum instance count (required).
        :param target_invocations: invocations per instance per minute autoscaling aims at (required).
        """
        _check(name_prefix, instance_type, capture_percent, min_instances, max_instances)
        super().__init__(scope, construct_id)
        key_arn = as_key(encryption_key).key_arn
        capture = {
            "EnableCapture": True,
            "InitialSamplingPercentage": capture_percent,
            "DestinationS3Uri": f"s3://{bucket_name}/{layout.REALTIME_CAPTURE.key}",
            "KmsKeyId": key_arn,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"]},
        }
        self.config = self._single_variant(
            model,
            {"initial_instance_count": min_instances, "instance_type": instance_type, "initial_variant_weight": 1},
            kms_key_id=self._volume_key(instance_type, key_arn),
            data_capture_config=(
                Fn.condition_if(capture_enabled.logical_id, capture, Aws.NO_VALUE)
                if isinstance(capture_enabled, CfnCondition)
                else None
            ),
        )
        if capture_enabled is True:
            self.config.add_property_override("DataCaptureConfig", capture)
        """The endpoint configuration; CloudFormation names it, so that a change replaces it."""
        self.endpoint = self._endpoint(self.config, named_after(name_prefix, instance_type))
        """The endpoint, named after ``name_prefix`` and the instance type."""
        self._build_scaling(min_instances, max_instances, target_invocations)

    def _build_scaling(self, minimum: float, maximum: float, target: float) -> None:
        target_resource = self._scalable_target(minimum, maximum)
        self._scaling_policy(
            "InvocationsScaling",
            "invocations",
            target_resource,
            target_tracking=autoscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=target,
                predefined_metric_specification=autoscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                    predefined_metric_type="SageMakerVariantInvocationsPerInstance"
                ),
                scale_in_cooldown=300,
                scale_out_cooldown=60,
            ),
        )


def has_nvme_storage(scope: Construct, instance_type: str) -> CfnCondition:
    """Condition ``HasNvmeStorage`` in ``scope``: ``instance_type`` (a token works) is of a family with NVMe instance
    storage, where SageMaker refuses a volume KMS key (endpoint configs and transform jobs alike)."""
    family = Fn.select(1, Fn.split(".", instance_type))
    return CfnCondition(scope, "HasNvmeStorage", expression=any_equal(family, NVME_FAMILIES))


NAME_PREFIX_LIMIT = 63 - 1 - max(len(instance_type) for instance_type in HOSTING_INSTANCE_TYPES)
"""Endpoint names take 63 characters; ``-ml-<family>-<size>`` takes up to 22 of them."""


def named_after(name_prefix: str, instance_type: str) -> str:
    """``<name_prefix>-<instance type with dashes>``: SageMaker cannot change the instance type of an autoscaled
    variant in place, so the name changes exactly when the endpoint must be replaced."""
    return Fn.join("-", [name_prefix, Fn.join("-", Fn.split(".", instance_type))])


def literal(value: float | str) -> bool:
    """Whether ``value`` is known at synth time (not a token)."""
    return not Token.is_unresolved(value)


def check_range(problems: Problems, field: str, value: float, low: float, high: float | None) -> None:
    """Record ``field`` when it is a literal outside ``low``..``high`` (no upper bound when ``high`` is None)."""
    if literal(value) and (value < low or (high is not None and value > high)):
        problems.add(field, value, f"from {low:g} to {high:g}" if high is not None else f"{low:g} or more")


def _check(prefix: str, instance_type: str, capture_percent: float, minimum: float, maximum: float) -> None:
    """Literal values only: parameters are checked by their AllowedPattern, AllowedValues and Rules."""
    problems = Problems("RealtimeEndpoint")
    check_range(problems, "capture_percent", capture_percent, 0, 100)
    check_range(problems, "min_instances", minimum, 1, maximum if literal(maximum) else None)
    check_range(problems, "max_instances", maximum, 1, None)
    literal_prefix = not Token.is_unresolved(prefix)
    if literal_prefix and (len(prefix) > NAME_PREFIX_LIMIT or not re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*", prefix)):
        problems.add("name_prefix", prefix, f"1-{NAME_PREFIX_LIMIT} letters, digits and inner hyphens")
    if not Token.is_unresolved(instance_type) and instance_type not in HOSTING_INSTANCE_TYPES:
        problems.add(
            "instance_type", instance_type, "a SageMaker hosting instance type such as ml.m5.xlarge or ml.g5.2xlarge"
        )
    problems.raise_if_any()
