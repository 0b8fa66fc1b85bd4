"""Parameters every instance-backed endpoint blueprint declares alike: the instance type and the instance range."""

from __future__ import annotations

from aws_cdk import Stack

from genai_sandbox_constructs.inference.instance_types import HOSTING_INSTANCE_TYPES

from .parameters import number_parameter, string_parameter

MAX_INSTANCES = 20


def instance_type_parameter(stack: Stack) -> str:
    """``InstanceType``: one of the types SageMaker hosting accepts, ``ml.m5.xlarge`` by default."""
    return string_parameter(
        stack,
        "InstanceType",
        "ModelSource SageMaker: endpoint instance type, one SageMaker hosting accepts (ml.<family>.<size>).",
        default="ml.m5.xlarge",
        allowed_values=list(HOSTING_INSTANCE_TYPES),
    )


def instance_range_parameters(stack: Stack, *, minimum_description: str) -> tuple[float, float]:
    """``MinInstanceCount`` (0-20, default 0, meaning ``minimum_description`` says) and ``MaxInstanceCount`` (1-20,
    default 2), both compared in Rules."""
    minimum = number_parameter(
        stack,
        "MinInstanceCount",
        minimum_description,
        default=0,
        low=0,
        high=MAX_INSTANCES,
        compared_in_rules=True,
    )
    maximum = number_parameter(
        stack,
        "MaxInstanceCount",
        "Maximum instances autoscaling may add.",
        default=2,
        low=1,
        high=MAX_INSTANCES,
        compared_in_rules=True,
    )
    return minimum, maximum
