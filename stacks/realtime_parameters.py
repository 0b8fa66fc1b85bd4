"""The realtime-inference blueprint's own parameters (endpoint instances, capacity, data capture) and their Rules."""

from __future__ import annotations

from aws_cdk import CfnCondition, CfnRule, CfnRuleAssertion, Fn, ICfnRuleConditionExpression, Stack, Token

from .endpoint_parameters import MAX_INSTANCES, instance_range_parameters, instance_type_parameter
from .environment_settings import EnvironmentSettings
from .parameters import at_least, minimum_fits_maximum, number_parameter, switch_parameter


class RealtimeParameters:
    """Declares the parameters on ``stack``; attributes hold their values as tokens."""

    def __init__(
        self, stack: Stack, settings: EnvironmentSettings, sagemaker_chosen: ICfnRuleConditionExpression
    ) -> None:
        self.instance_type = instance_type_parameter(stack)
        self._declare_capacity(stack, settings)
        self.capture_enabled = switch_parameter(
            stack,
            "DataCaptureEnabled",
            "ModelSource SageMaker: capture requests and responses to inference/realtime/capture/ in the sandbox "
            "bucket.",
            default=False,
            condition_id="CapturesData",
        )
        """Whether requests and responses are captured."""
        self.capture_percent = number_parameter(
            stack, "DataCapturePercent", "Share of requests captured.", default=20, low=1, high=100
        )
        _add_capacity_rule(stack, sagemaker_chosen)

    def _declare_capacity(self, stack: Stack, settings: EnvironmentSettings) -> None:
        """Minimum (0 takes the Environment default), maximum and target invocations per instance."""
        minimum, self.max_instances = instance_range_parameters(
            stack,
            minimum_description="Minimum (and initial) instances; 0 takes the Environment default (dev 1, staging 1, "
            "prod 2).",
        )
        self.target_invocations = number_parameter(
            stack,
            "TargetInvocationsPerInstance",
            "Invocations per instance per minute that autoscaling aims at.",
            default=100,
            low=1,
            high=100000,
        )
        default_minimum = CfnCondition(stack, "UsesDefaultMinimum", expression=Fn.condition_equals(minimum, 0))
        resolved = Fn.condition_if(default_minimum.logical_id, settings.number("RealtimeMinInstances"), minimum)
        self.min_instances = Token.as_number(resolved)
        """The minimum, with 0 resolved to the Environment default."""


def _add_capacity_rule(stack: Stack, sagemaker_chosen: ICfnRuleConditionExpression) -> None:
    """Autoscaling refuses a minimum above the maximum, after the endpoint is built: refuse it before deploying.

    Only with ModelSource SageMaker: Bedrock has no endpoint to scale.
    """
    minimum = Fn.ref("MinInstanceCount")
    assertions = minimum_fits_maximum("MinInstanceCount", "MaxInstanceCount", MAX_INSTANCES)
    prod_default = Fn.condition_and(
        Fn.condition_equals(minimum, "0"), Fn.condition_equals(Fn.ref("Environment"), "prod")
    )
    assertions.append(
        CfnRuleAssertion(
            assert_=Fn.condition_or(Fn.condition_not(prod_default), at_least("MaxInstanceCount", 2, MAX_INSTANCES)),
            assert_description="Environment prod starts 2 instances (MinInstanceCount 0): MaxInstanceCount needs 2 or "
            "more.",
        )
    )
    CfnRule(stack, "MaxInstancesFitMinimum", rule_condition=sagemaker_chosen, assertions=assertions)
