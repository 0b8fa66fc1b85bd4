"""The batch-inference blueprint's own parameters (schedule, transform job settings, Bedrock job settings,
notification email) and their Rules."""

from __future__ import annotations

from aws_cdk import CfnCondition, CfnRule, CfnRuleAssertion, Fn, ICfnRuleConditionExpression, Stack

from genai_sandbox_constructs.inference.instance_types import TRANSFORM_INSTANCE_TYPES

from .async_parameters import EMAIL_PATTERN
from .parameters import number_parameter, string_parameter

SCHEDULE_PATTERN = r"^$|^rate\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\)$|^cron\([^()]+\)$"
CONTENT_TYPE_PATTERN = r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(; ?[ -~]+)?$"
MAX_PAYLOAD_MB = 100
CONCURRENT_TRANSFORMS = (0, 1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 100)
"""``MaxConcurrentTransforms`` is chosen from steps (0: SageMaker decides) so that a Rule can bound
``MaxPayloadInMB`` by it: CreateTransformJob refuses a product above 100 MB, and Rules cannot multiply."""


class BatchParameters:
    """Declares the parameters on ``stack``; attributes hold their values as tokens."""

    def __init__(self, stack: Stack, sagemaker_chosen: ICfnRuleConditionExpression) -> None:
        self.schedule = string_parameter(
            stack,
            "Schedule",
            "EventBridge Scheduler expression (UTC) that starts every ready batch not yet started, such as "
            "cron(0 2 * * ? *) or rate(1 day); empty for none (batches start when their marker is written).",
            pattern=SCHEDULE_PATTERN,
            constraint="Schedule must be empty, rate(1 minute|hour|day), rate(<n> minutes|hours|days) or "
            "cron(<6 fields>).",
        )
        self.schedules = CfnCondition(
            stack, "HasSchedule", expression=Fn.condition_not(Fn.condition_equals(self.schedule, ""))
        )
        """A schedule is given."""
        self._declare_transform(stack)
        self._declare_bedrock(stack)
        self.notification_email = string_parameter(
            stack,
            "NotificationEmail",
            "Address that receives every finished job and every batch that could not start (SNS asks it to "
            "confirm); empty for none. Members cannot subscribe themselves.",
            pattern=EMAIL_PATTERN,
            constraint="NotificationEmail must be empty or an email address such as team@example.com.",
        )
        self.emails = CfnCondition(
            stack, "HasNotificationEmail", expression=Fn.condition_not(Fn.condition_equals(self.notification_email, ""))
        )
        """A notification email is given."""
        _add_transform_rules(stack, sagemaker_chosen)
        CfnRule(
            stack,
            "BatchTakesNoGuardrail",
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_equals(Fn.ref("GuardrailId"), ""),
                    assert_description="GuardrailId must be empty: Bedrock batch inference jobs apply no guardrail "
                    "(CreateModelInvocationJob has no guardrail setting), so a guardrail here would only seem to "
                    "apply. Screen batch inputs and outputs yourself, or keep guarded workloads on the API patterns.",
                )
            ],
        )

    def _declare_transform(self, stack: Stack) -> None:
        self.instance_type = string_parameter(
            stack,
            "InstanceType",
            "ModelSource SageMaker: transform job instance type, one transform jobs accept (fewer than real-time "
            "endpoints take).",
            default="ml.m5.xlarge",
            allowed_values=list(TRANSFORM_INSTANCE_TYPES),
        )
        self.instance_count = number_parameter(
            stack, "InstanceCount", "ModelSource SageMaker: instances per transform job.", default=1, low=1, high=20
        )
        self.content_type = string_parameter(
            stack,
            "ContentType",
            "ModelSource SageMaker: MIME type of the input records, such as text/csv or application/jsonlines.",
            default="application/jsonlines",
            pattern=CONTENT_TYPE_PATTERN,
            constraint="ContentType must be a MIME type such as text/csv or application/jsonlines.",
        )
        self.accept = string_parameter(
            stack,
            "Accept",
            "ModelSource SageMaker: MIME type of the results the model should write.",
            default="application/jsonlines",
            pattern=CONTENT_TYPE_PATTERN,
            constraint="Accept must be a MIME type such as text/csv or application/jsonlines.",
        )
        self.split_type = string_parameter(
            stack,
            "SplitType",
            "ModelSource SageMaker: how input files are split into records (the service default, None, sends whole "
            "files).",
            default="Line",
            allowed_values=["None", "Line", "RecordIO", "TFRecord"],
        )
        self.assemble_with = string_parameter(
            stack,
            "AssembleWith",
            "ModelSource SageMaker: how results are joined into output files.",
            default="Line",
            allowed_values=["None", "Line"],
        )
        self.batch_strategy = string_parameter(
            stack,
            "BatchStrategy",
            "ModelSource SageMaker: records per request to the model (MultiRecord up to MaxPayloadInMB, or one).",
            default="MultiRecord",
            allowed_values=["MultiRecord", "SingleRecord"],
        )
        self.max_payload_mb = number_parameter(
            stack,
            "MaxPayloadInMB",
            "ModelSource SageMaker: largest request to the model in MB; 0 streams (chunked encoding).",
            default=6,
            low=0,
            high=MAX_PAYLOAD_MB,
            compared_in_rules=True,
        )
        self.max_concurrent_transforms = number_parameter(
            stack,
            "MaxConcurrentTransforms",
            "ModelSource SageMaker: parallel requests per instance; 0 lets SageMaker choose.",
            default=0,
            low=0,
            high=100,
            allowed_values=list(CONCURRENT_TRANSFORMS),
        )

    def _declare_bedrock(self, stack: Stack) -> None:
        self.invocation_type = string_parameter(
            stack,
            "BedrockInvocationType",
            "ModelSource Bedrock: the shape of each record's modelInput (Converse messages, or the model's own "
            "InvokeModel body).",
            default="Converse",
            allowed_values=["Converse", "InvokeModel"],
        )
        self.timeout_hours = number_parameter(
            stack,
            "BatchTimeoutHours",
            "ModelSource Bedrock: hours a job may run before it expires.",
            default=24,
            low=24,
            high=168,
        )
        self.minimum_records = number_parameter(
            stack,
            "MinimumRecords",
            "ModelSource Bedrock: records a batch needs before a job starts (Bedrock's per-model minimum, 100 for "
            "most models; see Service Quotas 'Minimum number of records per batch inference job').",
            default=100,
            low=1,
            high=50000,
        )


def _add_transform_rules(stack: Stack, sagemaker_chosen: ICfnRuleConditionExpression) -> None:
    """CreateTransformJob refuses these after the stack exists: refuse them before deploying."""
    payload = Fn.ref("MaxPayloadInMB")
    assertions = [
        CfnRuleAssertion(
            assert_=Fn.condition_or(
                Fn.condition_not(Fn.condition_equals(Fn.ref("MaxConcurrentTransforms"), str(concurrency))),
                Fn.condition_contains([str(n) for n in range(MAX_PAYLOAD_MB // concurrency + 1)], payload),
            ),
            assert_description=f"MaxConcurrentTransforms {concurrency} allows MaxPayloadInMB up to "
            f"{MAX_PAYLOAD_MB // concurrency} (their product must be at most 100).",
        )
        for concurrency in CONCURRENT_TRANSFORMS
        if concurrency > 1
    ]
    assertions.append(
        CfnRuleAssertion(
            assert_=Fn.condition_not(
                Fn.condition_and(
                    Fn.condition_equals(Fn.ref("SplitType"), "None"),
                    Fn.condition_equals(Fn.ref("BatchStrategy"), "MultiRecord"),
                )
            ),
            assert_description="BatchStrategy MultiRecord needs a SplitType (Line, RecordIO or TFRecord): without "
            "one every file is a single record.",
        )
    )
    CfnRule(stack, "TransformSettingsFit", rule_condition=sagemaker_chosen, assertions=assertions)
