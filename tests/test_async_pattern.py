"""async-inference: request objects -> queue -> invoker -> endpoint or Bedrock -> topics -> completion, for both
model sources, as CloudFormation would build it for given parameters."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from typing import Any

import pytest

from genai_sandbox_constructs.inference.async_requests import EVENT_DETAIL_TYPES, EVENT_SOURCE, HANDLER_SOURCE
from tests.conftest import Synthesized
from tests.helpers.conditions import Evaluated, managed_policy_statements, one_resource, properties_of_type
from tests.helpers.policies import actions

SAGEMAKER = {
    "ModelSource": "SageMaker",
    "ModelArtifactKey": "artifacts/models/sagemaker-finetuned/m/model.tar.gz",
    "ContainerImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:1",
}
SOURCES = {"Bedrock": {}, "SageMaker": SAGEMAKER}


@pytest.fixture(scope="module")
def template(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.templates["async-inference"]


def _evaluated(template: dict[str, Any], source: str, **given: str) -> Evaluated:
    return Evaluated(template, {"datazoneEnvironmentEnvironmentId": "env1", **SOURCES[source], **given})


def _prefixes(statement: dict[str, Any]) -> list[str]:
    """The object prefixes of a statement on the imported bucket (``/inference/...``)."""
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    return [r["Fn::Join"][1][1] for r in resources if "Fn::Join" in r]


def _import_name(node: Any) -> str:
    """``genaiSandbox<Key>`` of an ``Fn::ImportValue`` of the sandbox exports."""
    return str(node["Fn::ImportValue"]["Fn::Sub"]).split("-")[0]


@pytest.mark.parametrize("source", SOURCES)
def test_request_objects_reach_the_invoker_through_a_queue_that_loses_nothing(
    template: dict[str, Any], source: str
) -> None:
    evaluated = _evaluated(template, source)
    rule = one_resource(evaluated, "AWS::Events::Rule", "RequestsObjectCreated")
    pattern = rule["EventPattern"]
    assert (pattern["source"], pattern["detail-type"]) == (["aws.s3"], ["Object Created"])
    assert pattern["detail"]["object"]["key"] == [{"prefix": "inference/async/input/"}]
    assert _import_name(pattern["detail"]["bucket"]["name"][0]) == "genaiSandboxBucketName"
    (target,) = rule["Targets"]
    assert target["Arn"]["Fn::GetAtt"][0].startswith("RequestsQueue")
    queue = one_resource(evaluated, "AWS::SQS::Queue", "RequestsQueue")
    assert _import_name(queue["KmsMasterKeyId"]) == "genaiSandboxKeyArn"
    assert queue["VisibilityTimeout"] == 6 * 900  # six times the invoker's 15 minutes
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3
    assert queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0].startswith("RequestsDeadLetters")
    dead_letters = one_resource(evaluated, "AWS::SQS::Queue", "RequestsDeadLetters")
    assert dead_letters["MessageRetentionPeriod"] == 14 * 24 * 3600
    (mapping,) = properties_of_type(evaluated, "AWS::Lambda::EventSourceMapping").values()
    assert (mapping["BatchSize"], mapping["FunctionResponseTypes"]) == (1, ["ReportBatchItemFailures"])
    assert mapping["FunctionName"]["Ref"].startswith("RequestsInvokerFunction")


@pytest.mark.parametrize("source", SOURCES)
def test_both_functions_run_the_real_handler_with_what_it_reads(template: dict[str, Any], source: str) -> None:
    evaluated = _evaluated(
        template, source, GuardrailId="abcd1234efgh", InvocationTimeoutSeconds="2400", RequestTTLSeconds="600"
    )
    functions = properties_of_type(evaluated, "AWS::Lambda::Function")
    invoker = next(f for name, f in functions.items() if name.startswith("RequestsInvoker"))
    completion = next(f for name, f in functions.items() if name.startswith("RequestsCompletion"))
    for function in (invoker, completion):
        assert function["Handler"] == "index.handler"
        assert function["Code"]["ZipFile"] == HANDLER_SOURCE.read_text()
        assert function["TracingConfig"] == {"Mode": "Active"}
        assert _import_name(function["VpcConfig"]["SecurityGroupIds"][0]) == "genaiSandboxSecurityGroupId"
    assert invoker["Timeout"] == 900
    variables = invoker["Environment"]["Variables"]
    assert (variables["STEP"], variables["MODEL_SOURCE"], variables["MAX_RECEIVES"]) == ("invoke", source, "3")
    assert (variables["INVOCATION_TIMEOUT_SECONDS"], variables["REQUEST_TTL_SECONDS"]) == ("2400", "600")
    assert variables["GUARDRAIL_ID"] == "abcd1234efgh"
    assert variables["SUCCESS_TOPIC_ARN"]["Ref"].startswith("RequestsSuccessTopic")
    assert variables["ERROR_TOPIC_ARN"]["Ref"].startswith("RequestsErrorTopic")
    if source == "SageMaker":
        assert variables["ENDPOINT_NAME"] == {"Fn::GetAtt": ["Endpoint8024A810", "EndpointName"]}
    else:
        assert variables["ENDPOINT_NAME"] == ""
        assert variables["MODEL_ID"]["Fn::GetAtt"][1] == "InferenceProfileArn"
    completed = completion["Environment"]["Variables"]
    assert (completed["STEP"], completed["ENVIRONMENT_ID"]) == ("complete", "env1")
    assert completion["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0].startswith("RequestsCompletionDeadLetters")


def test_the_handler_emits_the_documented_event() -> None:
    spec = importlib.util.spec_from_file_location("index", HANDLER_SOURCE)
    assert spec is not None
    assert spec.loader is not None
    handler = importlib.util.module_from_spec(spec)
    sys.modules["index"] = handler  # as Lambda imports it (dataclasses look their module up)
    try:
        spec.loader.exec_module(handler)
    finally:
        del sys.modules["index"]
    assert handler.EVENT_SOURCE == EVENT_SOURCE
    assert {f"Async Inference {outcome}" for outcome in ("Completed", "Failed")} == set(EVENT_DETAIL_TYPES)


@pytest.mark.parametrize("source", SOURCES)
def test_every_outcome_reaches_the_completion_function_and_an_optional_email(
    template: dict[str, Any], source: str
) -> None:
    topics = {
        n: t
        for n, t in properties_of_type(_evaluated(template, source), "AWS::SNS::Topic").items()
        if n.startswith("Req")
    }
    assert sorted(re.sub("[0-9A-F]{8}$", "", name) for name in topics) == ["RequestsErrorTopic", "RequestsSuccessTopic"]
    assert all(_import_name(t["KmsMasterKeyId"]) == "genaiSandboxKeyArn" for t in topics.values())
    for email, expected in (("", []), ("ml-team@example.com", ["email", "email"])):
        evaluated = _evaluated(template, source, NotificationEmail=email)
        subscriptions = list(properties_of_type(evaluated, "AWS::SNS::Subscription").values())
        assert sorted(s["TopicArn"]["Ref"][:-8] for s in subscriptions if s["Protocol"] == "lambda") == [
            "RequestsErrorTopic",
            "RequestsSuccessTopic",
        ]
        lambdas = [s for s in subscriptions if s["Protocol"] == "lambda"]
        assert all(
            s["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0].startswith("RequestsCompletionDead")
            for s in lambdas
        )
        emails = [s for s in subscriptions if s["Protocol"] == "email"]
        assert [s["Protocol"] for s in emails] == expected
        assert all(evaluated.value(s["Endpoint"]) == email for s in emails)
    permissions = properties_of_type(_evaluated(template, source), "AWS::Lambda::Permission")
    assert sorted(p["SourceArn"]["Ref"][:-8] for p in permissions.values()) == [
        "RequestsErrorTopic",
        "RequestsSuccessTopic",
    ]


@pytest.mark.parametrize("source", SOURCES)
def test_the_invoker_may_serve_only_the_chosen_model_and_touch_only_its_prefixes(
    template: dict[str, Any], source: str
) -> None:
    evaluated = _evaluated(template, source)
    names = set(evaluated.resources())
    assert any(n.startswith("BedrockAccess") for n in names) == (source == "Bedrock")
    assert any(n.startswith("EndpointAccess") for n in names) == (source == "SageMaker")
    if source == "SageMaker":
        (statement,) = managed_policy_statements(evaluated, "EndpointAccess")
        assert (statement["Action"], statement["Resource"]) == (
            "sagemaker:InvokeEndpointAsync",
            {"Ref": "Endpoint8024A810"},
        )
    invoker = managed_policy_statements(evaluated, "RequestsInvokerPermissions")
    read = [p for s in invoker if "s3:GetObject" in actions(s) for p in _prefixes(s)]
    assert sorted(read) == ["/inference/async/input/*", "/inference/async/output/*"]
    written = [s for s in invoker if "s3:PutObject" in actions(s)]
    assert [p for s in written for p in _prefixes(s)] == ["/inference/async/output/*"]
    assert not any("s3:DeleteObject" in actions(s) for s in invoker)
    publish = next(s for s in invoker if s["Action"] == "sns:Publish")
    assert sorted(r["Ref"][:-8] for r in publish["Resource"]) == ["RequestsErrorTopic", "RequestsSuccessTopic"]


def test_the_completion_function_records_and_emits_to_the_default_bus_only(template: dict[str, Any]) -> None:
    completion = managed_policy_statements(_evaluated(template, "Bedrock"), "RequestsCompletionPermissions")
    (emit,) = [s for s in completion if "events:PutEvents" in actions(s)]
    assert emit["Resource"]["Fn::Join"][1][-1] == ":event-bus/default"
    writes = [p for s in completion if "s3:PutObject" in actions(s) for p in _prefixes(s)]
    assert writes == ["/inference/async/output/*"]
    assert not any("s3:DeleteObject" in actions(s) or "sns:Publish" in actions(s) for s in completion)


@pytest.mark.parametrize(("monitoring", "expected"), [("true", 1), ("false", 1)])
def test_scaling_to_zero_wakes_whatever_monitoring_says(
    template: dict[str, Any], monitoring: str, expected: int
) -> None:
    evaluated = _evaluated(template, "SageMaker", MonitoringEnabled=monitoring)
    (target,) = properties_of_type(evaluated, "AWS::ApplicationAutoScaling::ScalableTarget").values()
    assert (evaluated.value(target["MinCapacity"]), evaluated.value(target["MaxCapacity"])) == ("0", "2")
    wake = [
        a
        for a in properties_of_type(evaluated, "AWS::CloudWatch::Alarm").values()
        if a["MetricName"] == "HasBacklogWithoutCapacity"
    ]
    assert len(wake) == expected
    assert [d["Name"] for d in wake[0]["Dimensions"]] == ["EndpointName"]
    (config,) = properties_of_type(evaluated, "AWS::SageMaker::EndpointConfig").values()
    notification = config["AsyncInferenceConfig"]["OutputConfig"]["NotificationConfig"]
    assert notification["SuccessTopic"]["Ref"].startswith("RequestsSuccessTopic")
    assert notification["ErrorTopic"]["Ref"].startswith("RequestsErrorTopic")
    (variant,) = config["ProductionVariants"]
    assert variant["InitialInstanceCount"] == 1
    (endpoint,) = properties_of_type(evaluated, "AWS::SageMaker::Endpoint").values()
    assert evaluated.value(endpoint["EndpointName"]) == "env1-ml-m5-xlarge"


def test_bedrock_builds_no_endpoint(template: dict[str, Any]) -> None:
    evaluated = _evaluated(template, "Bedrock")
    types = {r["Type"] for r in evaluated.resources().values()}
    assert not types & {
        "AWS::SageMaker::Endpoint",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Model",
        "AWS::ApplicationAutoScaling::ScalableTarget",
    }
    assert "EndpointName" not in evaluated.outputs()
    assert "ModelInvokeTarget" in evaluated.outputs()


@pytest.mark.parametrize(
    ("source", "monitoring", "alarms"), [("Bedrock", "true", 4), ("SageMaker", "true", 5), ("SageMaker", "false", 1)]
)
def test_monitoring_watches_lost_requests_and_failures(
    template: dict[str, Any], source: str, monitoring: str, alarms: int
) -> None:
    evaluated = _evaluated(template, source, MonitoringEnabled=monitoring)
    found = properties_of_type(evaluated, "AWS::CloudWatch::Alarm")
    assert len(found) == alarms
    if monitoring == "false":
        return
    by_id = {re.sub("[0-9A-F]{8}$", "", name).removeprefix("Monitoring"): a for name, a in found.items()}
    assert by_id["RequestDeadLetters"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert by_id["RequestDeadLetters"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0].startswith("RequestsDeadLetters")
    assert by_id["CompletionDeadLetters"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0].startswith(
        "RequestsCompletionDeadLetters"
    )
    assert (by_id["OldestRequest"]["MetricName"], by_id["OldestRequest"]["Threshold"]) == (
        "ApproximateAgeOfOldestMessage",
        3600,
    )
    assert by_id["InvokerErrors"]["Namespace"] == "AWS/Lambda"
    assert all(
        a["AlarmActions"][0]["Ref"].startswith("MonitoringAlarmTopic")
        for a in by_id.values()
        if "AlarmActions" in a and a["MetricName"] != "HasBacklogWithoutCapacity"
    )


def test_outputs_tell_members_where_requests_and_results_go(template: dict[str, Any]) -> None:
    outputs = _evaluated(template, "SageMaker").outputs()
    assert outputs["RequestUri"]["Fn::Join"][1][-1] == "/inference/async/input/"
    assert outputs["ResultUri"]["Fn::Join"][1][-1] == "/inference/async/output/"
    pattern = json.loads(outputs["CompletionEventPattern"]["Fn::Sub"])
    assert pattern == {
        "source": [EVENT_SOURCE],
        "detail-type": list(EVENT_DETAIL_TYPES),
        "detail": {"environmentId": ["${datazoneEnvironmentEnvironmentId}"]},
    }
    assert outputs["EndpointName"] == {"Fn::GetAtt": ["Endpoint8024A810", "EndpointName"]}
    assert template["Outputs"]["ProjectUserPolicyArn"]["Export"]["Name"] == {
        "Fn::Sub": "datazone-managed-policy-async-inference-${datazoneEnvironmentEnvironmentId}"
    }
