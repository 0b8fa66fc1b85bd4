"""realtime-inference: API Gateway -> Lambda -> a SageMaker real-time endpoint with autoscaling, or Bedrock."""

from __future__ import annotations

from aws_cdk import CfnCondition, CfnRule, CfnRuleAssertion, Fn, ICfnRuleConditionExpression, Stack, Token
from constructs import Construct

from genai_sandbox_constructs.conditions import make_conditional
from genai_sandbox_constructs.inference.endpoints import RealtimeEndpoint
from genai_sandbox_constructs.inference.instance_types import HOSTING_INSTANCE_TYPES
from genai_sandbox_constructs.model_source.sagemaker_model import SageMakerModel

from . import smus
from .api_front import ALARMS, ApiFront
from .api_outputs import export_api
from .parameters import number_parameter, string_parameter, switch_parameter
from .pattern import ON_INSTANCES, PatternStack


class RealtimeInferenceStack(PatternStack):
    """The real-time pattern: the API front, and Bedrock or a real-time endpoint (only with ModelSource SageMaker)."""

    SETTINGS_COLUMNS = (*PatternStack.SETTINGS_COLUMNS, "RealtimeMinInstances")

    def __init__(self, scope: Construct, blueprint_name: str, *, description: str) -> None:
        super().__init__(scope, blueprint_name, description=description, placement=ON_INSTANCES)
        self.endpoint = self._build_endpoint(self.sagemaker_model)
        make_conditional(self.endpoint, self.source.uses_sagemaker)
        self.front = ApiFront(self, self.endpoint, description=description)
        self.front.add_alarms(self.build_monitoring(ALARMS))
        export_api(self, self.front, self.endpoint)

    def _build_endpoint(self, model: SageMakerModel) -> RealtimeEndpoint:
        instance_type = string_parameter(
            self,
            "InstanceType",
            "ModelSource SageMaker: endpoint instance type, one SageMaker hosting accepts (ml.<family>.<size>).",
            default="ml.m5.xlarge",
            allowed_values=list(HOSTING_INSTANCE_TYPES),
        )
        minimum, maximum, target = self._capacity()
        capture_enabled, percent = self._capture()
        _add_capacity_rule(self, self.models.sagemaker_chosen)
        endpoint = RealtimeEndpoint(
            self,
            "Endpoint",
            name_prefix=Fn.ref(smus.ENVIRONMENT_ID),
            model=model,
            instance_type=instance_type,
            encryption_key=self.key,
            bucket_name=self.imports.bucket_name,
            capture_enabled=capture_enabled,
            capture_percent=percent,
            min_instances=minimum,
            max_instances=maximum,
            target_invocations=target,
        )
        self.sagemaker_model.grant_capture(self.imports.bucket)
        return endpoint

    def _capacity(self) -> tuple[float, float, float]:
        """Minimum (0 takes the Environment default), maximum and target invocations per instance."""
        minimum = number_parameter(
            self,
            "MinInstanceCount",
            "Minimum (and initial) instances; 0 takes the Environment default (dev 1, staging 1, prod 2).",
            default=0,
            low=0,
            high=MAX_INSTANCES,
            compared_in_rules=True,
        )
        maximum = number_parameter(
            self,
            "MaxInstanceCount",
            "Maximum instances autoscaling may add.",
            default=2,
            low=1,
            high=MAX_INSTANCES,
            compared_in_rules=True,
        )
        target = number_parameter(
            self,
            "TargetInvocationsPerInstance",
            "Invocations per instance per minute that autoscaling aims at.",
            default=100,
            low=1,
            high=100000,
        )
        default_minimum = CfnCondition(self, "UsesDefaultMinimum", expression=Fn.condition_equals(minimum, 0))
        resolved = Fn.condition_if(default_minimum.logical_id, self.settings.number("RealtimeMinInstances"), minimum)
        return Token.as_number(resolved), maximum, target

    def _capture(self) -> tuple[CfnCondition, float]:
        """Whether requests and responses are captured, and which share of them."""
        capture = switch_parameter(
            self,
            "DataCaptureEnabled",
            "ModelSource SageMaker: capture requests and responses to inference/realtime/capture/ in the sandbox "
            "bucket.",
            default=False,
            condition_id="CapturesData",
        )
        percent = number_parameter(
            self, "DataCapturePercent", "Share of requests captured.", default=20, low=1, high=100
        )
        return capture, percent


MAX_INSTANCES = 20


def _fits(minimum: int) -> ICfnRuleConditionExpression:
    """MaxInstanceCount is ``minimum`` or more (Rules cannot compare numbers: the allowed values are listed)."""
    return Fn.condition_contains([str(n) for n in range(minimum, MAX_INSTANCES + 1)], Fn.ref("MaxInstanceCount"))


def _add_capacity_rule(stack: Stack, sagemaker_chosen: ICfnRuleConditionExpression) -> None:
    """Autoscaling refuses a minimum above the maximum, after the endpoint is built: refuse it before deploying.

    Only with ModelSource SageMaker: Bedrock has no endpoint to scale.
    """
    minimum = Fn.ref("MinInstanceCount")
    assertions = [
        CfnRuleAssertion(
            assert_=Fn.condition_or(Fn.condition_not(Fn.condition_equals(minimum, str(n))), _fits(n)),
            assert_description=f"MinInstanceCount {n} needs MaxInstanceCount {n} or more.",
        )
        for n in range(2, MAX_INSTANCES + 1)
    ]
    prod_default = Fn.condition_and(
        Fn.condition_equals(minimum, "0"), Fn.condition_equals(Fn.ref("Environment"), "prod")
    )
    assertions.append(
        CfnRuleAssertion(
            assert_=Fn.condition_or(Fn.condition_not(prod_default), _fits(2)),
            assert_description="Environment prod starts 2 instances (MinInstanceCount 0): MaxInstanceCount needs 2 or "
            "more.",
        )
    )
    CfnRule(stack, "MaxInstancesFitMinimum", rule_condition=sagemaker_chosen, assertions=assertions)
