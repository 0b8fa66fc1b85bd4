"""The serverless-inference blueprint's own parameters (memory, concurrency) and their Rule."""

from __future__ import annotations

from aws_cdk import Aws, CfnCondition, CfnRule, CfnRuleAssertion, Fn, ICfnRuleConditionExpression, Stack, Token

from genai_sandbox_constructs.inference.serverless_endpoint import MAX_CONCURRENCY, MEMORY_SIZES

from .parameters import number_parameter

PROVISIONED_STEPS = (1, 2, 5, 10, 20, 50, 100, 200)
"""Provisioned concurrency is chosen from steps so that a Rule can compare it with MaxConcurrency (Rules have
no numeric comparison: each step lists the maximum concurrencies it fits under)."""


class ServerlessParameters:
    """Declares the parameters on ``stack``; attributes hold their values as tokens."""

    def __init__(self, stack: Stack, sagemaker_chosen: ICfnRuleConditionExpression) -> None:
        self.memory_mb = number_parameter(
            stack,
            "MemorySizeInMB",
            "ModelSource SageMaker: memory of the serverless endpoint in MB (CPU share grows with it).",
            default=2048,
            low=1024,
            high=6144,
            allowed_values=list(MEMORY_SIZES),
        )
        self.max_concurrency = number_parameter(
            stack,
            "MaxConcurrency",
            "ModelSource SageMaker: concurrent invocations at most.",
            default=5,
            low=1,
            high=MAX_CONCURRENCY,
            compared_in_rules=True,
        )
        provisioned = number_parameter(
            stack,
            "ProvisionedConcurrency",
            "ModelSource SageMaker: warm capacity kept ready (billed while idle); 0 for none. At most MaxConcurrency.",
            default=0,
            low=0,
            high=MAX_CONCURRENCY,
            allowed_values=[0, *PROVISIONED_STEPS],
            compared_in_rules=True,
        )
        _add_provisioned_rule(stack, provisioned, sagemaker_chosen)
        has_provisioned = CfnCondition(
            stack, "HasProvisionedConcurrency", expression=Fn.condition_not(Fn.condition_equals(provisioned, "0"))
        )
        self.provisioned_concurrency = Token.as_number(
            Fn.condition_if(has_provisioned.logical_id, provisioned, Aws.NO_VALUE)
        )
        """The provisioned concurrency, or ``AWS::NoValue`` for none."""


def _add_provisioned_rule(stack: Stack, provisioned: float, sagemaker_chosen: ICfnRuleConditionExpression) -> None:
    CfnRule(
        stack,
        "ProvisionedConcurrencyFitsMaximum",
        rule_condition=sagemaker_chosen,
        assertions=[
            CfnRuleAssertion(
                assert_=Fn.condition_or(
                    Fn.condition_not(Fn.condition_equals(provisioned, str(step))),
                    Fn.condition_contains([str(n) for n in range(step, MAX_CONCURRENCY + 1)], Fn.ref("MaxConcurrency")),
                ),
                assert_description=f"ProvisionedConcurrency {step} needs MaxConcurrency {step} or more.",
            )
            for step in PROVISIONED_STEPS
        ],
    )
