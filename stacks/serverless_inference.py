"""serverless-inference: API Gateway -> Lambda -> a SageMaker serverless endpoint, or Bedrock on demand."""

from __future__ import annotations

from aws_cdk import Aws, CfnCondition, CfnRule, CfnRuleAssertion, Fn, Token
from constructs import Construct

from genai_sandbox_constructs.conditions import make_conditional
from genai_sandbox_constructs.inference.serverless_endpoint import MEMORY_SIZES, ServerlessEndpoint
from genai_sandbox_constructs.model_source.sagemaker_model import SageMakerModel

from .api_front import ALARMS, ApiFront
from .api_outputs import export_api
from .parameters import number_parameter
from .pattern import SERVERLESS, PatternStack

PROVISIONED_STEPS = (1, 2, 5, 10, 20, 50, 100, 200)
"""Provisioned concurrency is chosen from steps so that a Rule can compare it with MaxConcurrency (Rules have
no numeric comparison: each step lists the maximum concurrencies it fits under)."""


class ServerlessInferenceStack(PatternStack):
    """The serverless pattern: the API front, and Bedrock or a serverless endpoint (no VPC, no network isolation, no
    data capture, one variant, ECR images only)."""

    def __init__(self, scope: Construct, blueprint_name: str, *, description: str) -> None:
        super().__init__(scope, blueprint_name, description=description, placement=SERVERLESS)
        self.endpoint = self._build_endpoint(self.sagemaker_model)
        make_conditional(self.endpoint, self.source.uses_sagemaker)
        self.front = ApiFront(self, self.endpoint, description=description)
        self.front.add_alarms(self.build_monitoring(ALARMS))
        export_api(self, self.front, self.endpoint)

    def _build_endpoint(self, model: SageMakerModel) -> ServerlessEndpoint:
        memory = number_parameter(
            self,
            "MemorySizeInMB",
            "ModelSource SageMaker: memory of the serverless endpoint in MB (CPU share grows with it).",
            default=2048,
            low=1024,
            high=6144,
            allowed_values=list(MEMORY_SIZES),
        )
        maximum = number_parameter(
            self,
            "MaxConcurrency",
            "ModelSource SageMaker: concurrent invocations at most.",
            default=5,
            low=1,
            high=200,
            compared_in_rules=True,
        )
        provisioned = number_parameter(
            self,
            "ProvisionedConcurrency",
            "ModelSource SageMaker: warm capacity kept ready (billed while idle); 0 for none. At most MaxConcurrency.",
            default=0,
            low=0,
            high=200,
            allowed_values=[0, *PROVISIONED_STEPS],
            compared_in_rules=True,
        )
        self._add_provisioned_rule(provisioned)
        has_provisioned = CfnCondition(
            self, "HasProvisionedConcurrency", expression=Fn.condition_not(Fn.condition_equals(provisioned, "0"))
        )
        return ServerlessEndpoint(
            self,
            "Endpoint",
            model=model,
            memory_mb=memory,
            max_concurrency=maximum,
            provisioned_concurrency=Token.as_number(
                Fn.condition_if(has_provisioned.logical_id, provisioned, Aws.NO_VALUE)
            ),
        )

    def _add_provisioned_rule(self, provisioned: float) -> None:
        CfnRule(
            self,
            "ProvisionedConcurrencyFitsMaximum",
            rule_condition=self.models.sagemaker_chosen,
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_or(
                        Fn.condition_not(Fn.condition_equals(provisioned, str(step))),
                        Fn.condition_contains([str(n) for n in range(step, 201)], Fn.ref("MaxConcurrency")),
                    ),
                    assert_description=f"ProvisionedConcurrency {step} needs MaxConcurrency {step} or more.",
                )
                for step in PROVISIONED_STEPS
            ],
        )
