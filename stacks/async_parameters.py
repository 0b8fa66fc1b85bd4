"""The async-inference blueprint's own parameters (endpoint capacity, per-request limits, notification email) and
their Rule."""

from __future__ import annotations

from aws_cdk import CfnCondition, CfnRule, Fn, ICfnRuleConditionExpression, Stack

from .endpoint_parameters import MAX_INSTANCES, instance_range_parameters, instance_type_parameter
from .parameters import minimum_fits_maximum, number_parameter, string_parameter

EMAIL_PATTERN = r"^$|^[^\s@]+@[^\s@]+\.[^\s@]+$"


class AsyncParameters:
    """Declares the parameters on ``stack``; attributes hold their values as tokens."""

    def __init__(self, stack: Stack, sagemaker_chosen: ICfnRuleConditionExpression) -> None:
        self.instance_type = instance_type_parameter(stack)
        self.max_concurrent_invocations = number_parameter(
            stack,
            "MaxConcurrentInvocationsPerInstance",
            "ModelSource SageMaker: requests each instance works on at once.",
            default=4,
            low=1,
            high=1000,
        )
        self._declare_capacity(stack)
        self.invocation_timeout = number_parameter(
            stack,
            "InvocationTimeoutSeconds",
            "ModelSource SageMaker: time one request may take on the model, at most an hour (the service default, "
            "900, would cut requests of 15-30 minutes).",
            default=1800,
            low=1,
            high=3600,
        )
        self.request_ttl = number_parameter(
            stack,
            "RequestTTLSeconds",
            "ModelSource SageMaker: time a request may wait in the endpoint's queue before it expires.",
            default=21600,
            low=60,
            high=21600,
        )
        self.notification_email = string_parameter(
            stack,
            "NotificationEmail",
            "Address that receives every success and failure notification (SNS asks it to confirm); empty for "
            "none. Members cannot subscribe themselves.",
            pattern=EMAIL_PATTERN,
            constraint="NotificationEmail must be empty or an email address such as team@example.com.",
        )
        self.emails = CfnCondition(
            stack, "HasNotificationEmail", expression=Fn.condition_not(Fn.condition_equals(self.notification_email, ""))
        )
        """A notification email is given."""
        CfnRule(
            stack,
            "MaxInstancesFitMinimum",
            rule_condition=sagemaker_chosen,
            assertions=minimum_fits_maximum("MinInstanceCount", "MaxInstanceCount", MAX_INSTANCES),
        )

    def _declare_capacity(self, stack: Stack) -> None:
        self.min_instances, self.max_instances = instance_range_parameters(
            stack,
            minimum_description="ModelSource SageMaker: instances kept when no request waits; 0 scales to zero (the "
            "endpoint starts with one and reaches zero after the first scale-in).",
        )
        self.target_backlog = number_parameter(
            stack,
            "TargetBacklogPerInstance",
            "ModelSource SageMaker: queued requests per instance that autoscaling aims at.",
            default=5,
            low=1,
            high=1000,
        )
