"""batch-inference: markers and a schedule -> queue -> launcher -> transform or Bedrock batch jobs -> job-state
events -> tracker, for both model sources, as CloudFormation would build it for given parameters."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from genai_sandbox_constructs.inference.batch_jobs import HANDLER_SOURCE, METRIC_NAMESPACE
from genai_sandbox_constructs.inference.instance_types import HOSTING_INSTANCE_TYPES, TRANSFORM_INSTANCE_TYPES
from tests.conftest import Synthesized
from tests.helpers.conditions import Evaluated, managed_policy_statements, one_resource, properties_of_type
from tests.helpers.parameters import parameter_errors
from tests.helpers.policies import actions

SAGEMAKER = {
    "ModelSource": "SageMaker",
    "ModelArtifactKey": "artifacts/models/sagemaker-finetuned/m/model.tar.gz",
    "ContainerImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:1",
}
SOURCES = {"Bedrock": {}, "SageMaker": SAGEMAKER}
RESERVED = {
    "datazoneEnvironmentDomainId": "dzd_abc123",
    "datazoneEnvironmentProjectId": "p7x2abcd9",
    "datazoneEnvironmentEnvironmentId": "env1",
}


@pytest.fixture(scope="module")
def template(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.templates["batch-inference"]


def _evaluated(template: dict[str, Any], source: str, **given: str) -> Evaluated:
    return Evaluated(template, {"datazoneEnvironmentEnvironmentId": "env1", **SOURCES[source], **given})


@pytest.mark.parametrize("source", SOURCES)
def test_ready_markers_reach_the_launcher_one_at_a_time(template: dict[str, Any], source: str) -> None:
    evaluated = _evaluated(template, source)
    rule = one_resource(evaluated, "AWS::Events::Rule", "JobsMarkersObjectCreated")
    assert rule["EventPattern"]["detail"]["object"]["key"] == [{"wildcard": "inference/batch/input/*.ready"}]
    queue = one_resource(evaluated, "AWS::SQS::Queue", "JobsMarkersQueue")
    assert queue["VisibilityTimeout"] == 6 * 300
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3
    (mapping,) = properties_of_type(evaluated, "AWS::Lambda::EventSourceMapping").values()
    assert (mapping["BatchSize"], mapping["FunctionResponseTypes"]) == (1, ["ReportBatchItemFailures"])


@pytest.mark.parametrize(("schedule", "exists"), [("", False), ("cron(0 2 * * ? *)", True)])
def test_a_schedule_sends_the_scan_to_the_marker_queue(template: dict[str, Any], schedule: str, exists: bool) -> None:
    evaluated = _evaluated(template, "Bedrock", Schedule=schedule)
    schedules = list(properties_of_type(evaluated, "AWS::Scheduler::Schedule").values())
    assert len(schedules) == exists
    if not exists:
        assert not any(name.startswith("JobsSchedule") for name in evaluated.resources())
        return
    (found,) = schedules
    assert (found["ScheduleExpression"], found["ScheduleExpressionTimezone"]) == (schedule, "UTC")
    target = found["Target"]
    assert target["Arn"]["Fn::GetAtt"][0].startswith("JobsMarkersQueue")
    assert json.loads(target["Input"]) == {"scan": True}
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0].startswith("JobsMarkersDeadLetters")
    role = one_resource(evaluated, "AWS::IAM::Role", "JobsScheduleRole")
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    sends = managed_policy_statements(evaluated, "JobsSchedulePermissions")[0]
    assert sends["Action"] == "sqs:SendMessage"


@pytest.mark.parametrize("source", SOURCES)
def test_the_launcher_carries_every_job_setting(template: dict[str, Any], source: str) -> None:
    given = {
        "InstanceType": "ml.g4dn.xlarge",
        "InstanceCount": "3",
        "ContentType": "text/csv",
        "SplitType": "Line",
        "MaxPayloadInMB": "10",
        "MaxConcurrentTransforms": "10",
        "BedrockInvocationType": "InvokeModel",
        "BatchTimeoutHours": "72",
        "MinimumRecords": "1000",
    }
    evaluated = _evaluated(template, source, **given)
    launcher = one_resource(evaluated, "AWS::Lambda::Function", "JobsLauncherFunction")
    assert (launcher["Handler"], launcher["Code"]["ZipFile"]) == ("index.handler", HANDLER_SOURCE.read_text())
    assert launcher["Timeout"] == 300
    variables = launcher["Environment"]["Variables"]
    assert variables["STEP"] == "launch"
    assert [variables[k] for k in ("INSTANCE_TYPE", "CONTENT_TYPE", "SPLIT_TYPE", "INVOCATION_TYPE")] == [
        "ml.g4dn.xlarge",
        "text/csv",
        "Line",
        "InvokeModel",
    ]
    assert [variables[k] for k in ("INSTANCE_COUNT", "MAX_PAYLOAD_MB", "MAX_CONCURRENT_TRANSFORMS")] == [
        "3",
        "10",
        "10",
    ]
    assert (variables["TIMEOUT_HOURS"], variables["MIN_RECORDS"]) == ("72", "1000")
    assert variables["VOLUME_KEY_ARN"] == ""  # g4dn has NVMe storage: no volume key
    if source == "SageMaker":
        assert variables["MODEL_NAME"] == {"Fn::GetAtt": ["ModelSageMakerModel253326F8", "ModelName"]}
        assert variables["BEDROCK_ROLE_ARN"] == ""
    else:
        assert variables["MODEL_NAME"] == ""
        assert variables["BEDROCK_ROLE_ARN"]["Fn::GetAtt"][0].startswith("BedrockJobRole")


def test_volume_key_is_set_for_instance_types_without_nvme(template: dict[str, Any]) -> None:
    launcher = one_resource(_evaluated(template, "SageMaker"), "AWS::Lambda::Function", "JobsLauncherFunction")
    assert launcher["Environment"]["Variables"]["VOLUME_KEY_ARN"]["Fn::ImportValue"]["Fn::Sub"].startswith(
        "genaiSandboxKeyArn-"
    )


@pytest.mark.parametrize("source", SOURCES)
def test_the_tracker_hears_only_this_environments_jobs(template: dict[str, Any], source: str) -> None:
    evaluated = _evaluated(template, source)
    rules = {
        r["EventPattern"]["detail-type"][0]: r
        for name, r in properties_of_type(evaluated, "AWS::Events::Rule").items()
        if not name.startswith("JobsMarkers")
    }
    assert set(rules) == {"SageMaker Transform Job State Change", "Batch Inference Job State Change"}
    transform = rules["SageMaker Transform Job State Change"]["EventPattern"]
    bedrock = rules["Batch Inference Job State Change"]["EventPattern"]
    assert (transform["source"], bedrock["source"]) == (["aws.sagemaker"], ["aws.bedrock"])
    ours = [{"prefix": {"Fn::Join": ["", ["env1", "-"]]}}]
    assert (transform["detail"], bedrock["detail"]) == ({"TransformJobName": ours}, {"batchJobName": ours})
    for rule in rules.values():
        (target,) = rule["Targets"]
        assert target["Arn"]["Fn::GetAtt"][0].startswith("JobsTrackerFunction")
        assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0].startswith("JobsTrackingDeadLetters")
    tracker = one_resource(evaluated, "AWS::Lambda::Function", "JobsTrackerFunction")
    assert tracker["Environment"]["Variables"]["STEP"] == "track"
    assert tracker["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0].startswith("JobsTrackingDeadLetters")


def test_transform_jobs_may_encrypt_output_and_volumes_with_the_sandbox_key(template: dict[str, Any]) -> None:
    """SageMaker creates the volume grant with the launcher's permissions and encrypts with the model role's."""
    evaluated = _evaluated(template, "SageMaker")
    for policy in ("TransformAccess", "ModelSageMakerPermissions"):
        statements = managed_policy_statements(evaluated, policy)
        (grant,) = [s for s in statements if s["Action"] == "kms:CreateGrant"]
        assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
        assert any(s["Action"] == "kms:DescribeKey" for s in statements), policy


def test_transform_jobs_are_started_by_name_with_the_models_role(template: dict[str, Any]) -> None:
    evaluated = _evaluated(template, "SageMaker")
    assert not any(n.startswith(("BedrockBatchAccess", "BedrockJobRole")) for n in evaluated.resources())
    (start,) = [
        s
        for s in managed_policy_statements(evaluated, "TransformAccess")
        if "sagemaker:CreateTransformJob" in actions(s)
    ]
    assert sorted(actions(start)) == ["sagemaker:AddTags", "sagemaker:CreateTransformJob"]
    assert start["Resource"]["Fn::Join"][1][-3:] == [":transform-job/", "env1", "-*"]
    model = managed_policy_statements(evaluated, "ModelSageMakerPermissions")
    prefixes = {
        r["Fn::Join"][1][1]
        for s in model
        for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
        if isinstance(r, dict) and "Fn::Join" in r and str(r["Fn::Join"][1][1]).startswith("/inference/batch/")
    }
    assert prefixes == {"/inference/batch/input/*", "/inference/batch/output/*"}


def test_bedrock_jobs_run_with_a_service_role_only_bedrock_jobs_assume(template: dict[str, Any]) -> None:
    evaluated = _evaluated(template, "Bedrock")
    assert not any(n.startswith("TransformAccess") for n in evaluated.resources())
    role = one_resource(evaluated, "AWS::IAM::Role", "BedrockJobRole")
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1][-1] == ":model-invocation-job/*"
    access = managed_policy_statements(evaluated, "BedrockBatchAccess")
    granted = {a for s in access for a in actions(s)}
    assert granted == {
        "bedrock:CreateModelInvocationJob",
        "bedrock:GetModelInvocationJob",
        "bedrock:TagResource",
        "iam:PassRole",
    }
    (passing,) = [s for s in access if s["Action"] == "iam:PassRole"]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}


def test_bedrock_model_id_takes_only_what_batch_runs(template: dict[str, Any]) -> None:
    spec = template["Parameters"]["BedrockModelId"]
    assert "not provisioned throughput" in spec["ConstraintDescription"]
    for model_id, valid in (
        ("amazon.nova-lite-v1:0", True),
        ("us.anthropic.claude-3-5-haiku-20241022-v1:0", True),
        ("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6", True),
        ("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/a1b2c3d4e5f6", False),
        ("arn:aws:bedrock:us-east-1:123456789012:imported-model/a1b2c3d4e5f6", False),
    ):
        assert bool(re.fullmatch(spec["AllowedPattern"], model_id)) is valid, model_id


def test_instance_types_are_the_transform_ones(template: dict[str, Any]) -> None:
    allowed = template["Parameters"]["InstanceType"]["AllowedValues"]
    assert allowed == list(TRANSFORM_INSTANCE_TYPES)
    assert "ml.t2.medium" in HOSTING_INSTANCE_TYPES
    assert "ml.t2.medium" not in allowed  # real-time takes it, transform refuses it


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"MaxConcurrentTransforms": "10", "MaxPayloadInMB": "10"}, []),
        (
            {"MaxConcurrentTransforms": "10", "MaxPayloadInMB": "11"},
            [
                "TransformSettingsFit: MaxConcurrentTransforms 10 allows MaxPayloadInMB up to 10 (their product must "
                "be at most 100)."
            ],
        ),
        ({"MaxConcurrentTransforms": "0", "MaxPayloadInMB": "100"}, []),
        (
            {"SplitType": "None", "BatchStrategy": "MultiRecord"},
            [
                "TransformSettingsFit: BatchStrategy MultiRecord needs a SplitType (Line, RecordIO or TFRecord): "
                "without one every file is a single record."
            ],
        ),
        ({"SplitType": "None", "BatchStrategy": "SingleRecord"}, []),
        *(
            (
                {"Schedule": schedule},
                [
                    f"Schedule={schedule!r}: Schedule must be empty, rate(1 minute|hour|day), rate(<n> "
                    "minutes|hours|days) or cron(<6 fields>)."
                ],
            )
            for schedule in ("every day", "rate(1 minutes)", "rate(5 minute)", "rate(0 days)")
        ),
        ({"Schedule": "rate(1 day)"}, []),
        ({"Schedule": "rate(15 minutes)"}, []),
        (
            {"GuardrailId": "abcd1234efgh"},
            [
                "BatchTakesNoGuardrail: GuardrailId must be empty: Bedrock batch inference jobs apply no guardrail "
                "(CreateModelInvocationJob has no guardrail setting), so a guardrail here would only seem to apply. "
                "Screen batch inputs and outputs yourself, or keep guarded workloads on the API patterns."
            ],
        ),
    ],
)
def test_transform_settings_that_the_api_refuses_are_refused_before_deployment(
    template: dict[str, Any], given: dict[str, str], expected: list[str]
) -> None:
    assert parameter_errors(template, {**RESERVED, **SAGEMAKER, **given}) == expected


def test_rules_about_transform_settings_do_not_bind_bedrock(template: dict[str, Any]) -> None:
    given = {"MaxConcurrentTransforms": "10", "MaxPayloadInMB": "50", "SplitType": "None"}
    assert parameter_errors(template, {**RESERVED, **given}) == []


@pytest.mark.parametrize(("source", "monitoring", "alarms"), [("Bedrock", "true", 4), ("SageMaker", "false", 0)])
def test_monitoring_counts_failed_jobs(template: dict[str, Any], source: str, monitoring: str, alarms: int) -> None:
    evaluated = _evaluated(template, source, MonitoringEnabled=monitoring)
    found = properties_of_type(evaluated, "AWS::CloudWatch::Alarm")
    assert len(found) == alarms
    if not alarms:
        return
    (failed,) = [a for name, a in found.items() if name.startswith("MonitoringJobsFailed")]
    assert (failed["Namespace"], failed["MetricName"], failed["Statistic"]) == (METRIC_NAMESPACE, "JobsFailed", "Sum")
    assert failed["Dimensions"] == [{"Name": "EnvironmentId", "Value": "env1"}]


def test_outputs_tell_members_where_batches_go(template: dict[str, Any]) -> None:
    outputs = _evaluated(template, "Bedrock").outputs()
    assert outputs["BatchInputUri"]["Fn::Join"][1][-1] == "/inference/batch/input/"
    assert outputs["BatchOutputUri"]["Fn::Join"][1][-1] == "/inference/batch/output/"
    assert outputs["JobService"] == "Bedrock"
    assert "ModelName" not in outputs
    assert "ModelName" in _evaluated(template, "SageMaker").outputs()
