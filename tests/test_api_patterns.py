"""realtime-inference and serverless-inference: the API front, the endpoints, limits and the users' policy."""

from __future__ import annotations

import re
from typing import Any

import pytest

from genai_sandbox_constructs import ConfigurationError
from genai_sandbox_constructs.inference.inference_api import HANDLER_SOURCE
from tests.conftest import Synthesized
from tests.helpers.conditions import Evaluated
from tests.helpers.policies import statements
from tests.helpers.stacks import new_stack, realtime_endpoint

PATTERNS = ["realtime-inference", "serverless-inference"]
SAGEMAKER = {
    "ModelSource": "SageMaker",
    "ModelArtifactKey": "artifacts/models/sagemaker-finetuned/m/model.tar.gz",
    "ContainerImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:1",
}


def _of_type(evaluated: Evaluated, resource_type: str) -> list[dict[str, Any]]:
    return [evaluated.resolve(r["Properties"]) for r in evaluated.resources().values() if r["Type"] == resource_type]


@pytest.fixture(scope="module", params=PATTERNS)
def pattern(request: pytest.FixtureRequest, synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    name: str = request.param
    return name, synthesized.templates[name]


def test_api_requires_iam_and_validates_the_body(pattern: tuple[str, dict[str, Any]]) -> None:
    _, template = pattern
    evaluated = Evaluated(template, {})
    (method,) = _of_type(evaluated, "AWS::ApiGateway::Method")
    assert (method["HttpMethod"], method["AuthorizationType"]) == ("POST", "AWS_IAM")
    assert method["Integration"]["Type"] == "AWS_PROXY"
    (validator,) = _of_type(evaluated, "AWS::ApiGateway::RequestValidator")
    assert validator["ValidateRequestBody"] is True
    (model,) = _of_type(evaluated, "AWS::ApiGateway::Model")
    assert model["Schema"]["properties"]["max_tokens"] == {"type": "integer", "minimum": 1, "maximum": 4096}
    assert not _of_type(evaluated, "AWS::ApiGateway::Account")  # the per-region CloudWatch role is a prerequisite


def test_stage_logs_traces_and_throttles(pattern: tuple[str, dict[str, Any]]) -> None:
    _, template = pattern
    (stage,) = _of_type(Evaluated(template, {}), "AWS::ApiGateway::Stage")
    assert stage["StageName"] == "v1"
    assert stage["TracingEnabled"] is True
    (settings,) = stage["MethodSettings"]
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False
    assert settings["MetricsEnabled"] is True
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == ("10", "20")
    assert '"status":"$context.status"' in stage["AccessLogSetting"]["Format"]


def test_function_is_the_real_handler_inline_in_the_vpc(pattern: tuple[str, dict[str, Any]]) -> None:
    _, template = pattern
    evaluated = Evaluated(template, {})
    (function,) = _of_type(evaluated, "AWS::Lambda::Function")
    assert function["Handler"] == "index.handler"
    assert function["Code"]["ZipFile"] == HANDLER_SOURCE.read_text()
    assert function["Timeout"] == 28  # below API Gateway's 29 s
    assert (function["Runtime"], function["MemorySize"], function["Architectures"]) == ("python3.14", 256, ["arm64"])
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["VpcConfig"]["SecurityGroupIds"][0]["Fn::ImportValue"]["Fn::Sub"].startswith(
        "genaiSandboxSecurityGroupId-"
    )
    assert "Policies" not in next(iter(_of_type(evaluated, "AWS::IAM::Role")))
    groups = _of_type(evaluated, "AWS::Logs::LogGroup")
    assert len(groups) == 2
    assert all(g["KmsKeyId"]["Fn::ImportValue"]["Fn::Sub"].startswith("genaiSandboxKeyArn-") for g in groups)
    assert all(g["RetentionInDays"]["Fn::FindInMap"][2] == "LogRetentionDays" for g in groups)


@pytest.mark.parametrize("source", ["Bedrock", "SageMaker"])
def test_function_environment_tells_the_handler_what_to_call(pattern: tuple[str, dict[str, Any]], source: str) -> None:
    """The handler reads these names: a missing guardrail variable would silently skip the guardrail."""
    _, template = pattern
    given = {"GuardrailId": "abcd1234efgh", "GuardrailVersion": "3", "ModelSource": source}
    evaluated = Evaluated(template, {**(SAGEMAKER if source == "SageMaker" else {}), **given})
    (function,) = _of_type(evaluated, "AWS::Lambda::Function")
    variables = function["Environment"]["Variables"]
    assert [evaluated.value(variables[k]) for k in ("MODEL_SOURCE", "GUARDRAIL_ID", "GUARDRAIL_VERSION")] == [
        source,
        "abcd1234efgh",
        "3",
    ]
    if source == "Bedrock":
        assert variables["MODEL_ID"]["Fn::GetAtt"][1] == "InferenceProfileArn"  # the default model is on demand
        assert evaluated.value(variables["ENDPOINT_NAME"]) == ""
    else:
        assert variables["ENDPOINT_NAME"]["Fn::GetAtt"] == ["Endpoint8024A810", "EndpointName"]


def test_members_invoke_the_model_and_application_clients_the_api(pattern: tuple[str, dict[str, Any]]) -> None:
    """SMUS's boundary denies execute-api:Invoke to members: the SMUS export invokes the model (per model source),
    and a separate, unexported client policy holds execute-api:Invoke (access decided in test_member_access.py)."""
    name, template = pattern
    output = template["Outputs"]["ProjectUserPolicyArn"]
    assert output["Export"]["Name"] == {
        "Fn::Sub": f"datazone-managed-policy-{name}-${{datazoneEnvironmentEnvironmentId}}"
    }
    members = statements(template["Resources"][output["Value"]["Ref"]])
    assert "execute-api" not in str(members)
    document = template["Resources"][output["Value"]["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
    conditions = [s["Fn::If"][0] for s in document if "Fn::If" in s]
    assert [re.sub("[0-9A-F]{8}$", "", c.removeprefix("Model")) for c in conditions] == [
        "BedrockHasNoGuardrail",
        "BedrockHasGuardrail",  # allow with the guardrail
        "BedrockHasGuardrail",  # deny without it
        "BedrockHasGuardrail",  # apply it
        "BedrockRoutesThroughProfile",
        "UsesSageMaker",
    ]
    assert [s["Action"] for s in members][-1] == "sagemaker:InvokeEndpoint"
    client_output = template["Outputs"]["ApiClientPolicyArn"]
    assert "Export" not in client_output
    (client,) = statements(template["Resources"][client_output["Value"]["Ref"]])
    assert client["Action"] == "execute-api:Invoke"
    assert client["Resource"]["Fn::Join"][1][-1] == "/v1/POST/invoke"


@pytest.mark.parametrize("source", ["Bedrock", "SageMaker"])
def test_function_may_call_only_the_chosen_model(pattern: tuple[str, dict[str, Any]], source: str) -> None:
    _, template = pattern
    evaluated = Evaluated(template, SAGEMAKER if source == "SageMaker" else {})
    names = set(evaluated.resources())
    assert any(n.startswith("BedrockAccess") for n in names) == (source == "Bedrock")
    assert any(n.startswith("EndpointAccess") for n in names) == (source == "SageMaker")
    if source == "SageMaker":
        (access,) = [r for k, r in evaluated.resources().items() if k.startswith("EndpointAccess")]
        (statement,) = access["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Action"] == "sagemaker:InvokeEndpoint"
        assert statement["Resource"]["Ref"].startswith("Endpoint")


def _realtime(synthesized: Synthesized, **given: str) -> Evaluated:
    return Evaluated(synthesized.templates["realtime-inference"], {**SAGEMAKER, **given})


def test_realtime_endpoint_config_is_unnamed_with_kms_and_one_variant(synthesized: Synthesized) -> None:
    (config,) = _of_type(_realtime(synthesized), "AWS::SageMaker::EndpointConfig")
    assert "EndpointConfigName" not in config
    assert config["KmsKeyId"]["Fn::ImportValue"]["Fn::Sub"].startswith("genaiSandboxKeyArn-")
    (variant,) = config["ProductionVariants"]
    assert (variant["InstanceType"], variant["VariantName"]) == ("ml.m5.xlarge", "AllTraffic")
    assert config["DataCaptureConfig"] is None  # AWS::NoValue: off by default


@pytest.mark.parametrize(
    ("environment_id", "instance", "name"),
    [
        ("cbz7bj2nh1x1ev", "ml.m5.xlarge", "cbz7bj2nh1x1ev-ml-m5-xlarge"),
        ("a" * 36, "ml.p6-b200.48xlarge", f"{'a' * 36}-ml-p6-b200-48xlarge"),
    ],
)
def test_a_new_instance_type_makes_a_new_endpoint(
    synthesized: Synthesized, environment_id: str, instance: str, name: str
) -> None:
    """SageMaker cannot change the instance type of an autoscaled variant: the name changes, so CloudFormation
    replaces the endpoint (and its scaling target) instead of updating it."""
    evaluated = _realtime(synthesized, InstanceType=instance, datazoneEnvironmentEnvironmentId=environment_id)
    (endpoint,) = [r for r in evaluated.resources().values() if r["Type"] == "AWS::SageMaker::Endpoint"]
    rendered = evaluated.value(endpoint["Properties"]["EndpointName"])
    assert rendered == name
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", rendered)  # SageMaker's EndpointName pattern


@pytest.mark.parametrize("prefix", ["team_a-" + "x" * 40, "a" + "-" * 30 + "b" * 42, "-a"])
def test_endpoint_name_prefix_is_checked_at_synth_time(prefix: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        realtime_endpoint(new_stack(), name_prefix=prefix)
    assert error.value.problems == [f"name_prefix={prefix!r}: 1-41 letters, digits and inner hyphens"]


@pytest.mark.parametrize(
    "instance",
    [
        "ml.g5.2xlarge",
        "ml.p4d.24xlarge",
        "ml.m5d.large",
        "ml.g4dn.xlarge",
        "ml.p5en.48xlarge",
        "ml.p6-b200.48xlarge",
        "ml.trn2.48xlarge",
    ],
)
def test_kms_key_is_omitted_for_nvme_instance_families(synthesized: Synthesized, instance: str) -> None:
    (config,) = _of_type(_realtime(synthesized, InstanceType=instance), "AWS::SageMaker::EndpointConfig")
    assert config["KmsKeyId"] is None  # AWS::NoValue


def test_data_capture_goes_to_the_capture_prefix_encrypted(synthesized: Synthesized) -> None:
    evaluated = _realtime(synthesized, DataCaptureEnabled="true", DataCapturePercent="35")
    (config,) = _of_type(evaluated, "AWS::SageMaker::EndpointConfig")
    capture = config["DataCaptureConfig"]
    assert capture["EnableCapture"] is True
    assert capture["InitialSamplingPercentage"] == "35"
    assert capture["DestinationS3Uri"]["Fn::Join"][1][-1] == "/inference/realtime/capture/"
    assert capture["KmsKeyId"]["Fn::ImportValue"]["Fn::Sub"].startswith("genaiSandboxKeyArn-")
    assert capture["CaptureOptions"] == [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]
    assert capture["CaptureContentTypeHeader"] == {"JsonContentTypes": ["application/json"]}


@pytest.mark.parametrize("source", ["Bedrock", "SageMaker"])
def test_outputs_name_what_the_function_calls(pattern: tuple[str, dict[str, Any]], source: str) -> None:
    _, template = pattern
    outputs = Evaluated(template, SAGEMAKER if source == "SageMaker" else {}).outputs()
    assert ("ModelInvokeTarget" in outputs, "EndpointName" in outputs) == (source == "Bedrock", source == "SageMaker")
    if source == "SageMaker":
        assert outputs["EndpointName"] == {"Fn::GetAtt": ["Endpoint8024A810", "EndpointName"]}
    else:
        assert outputs["ModelInvokeTarget"]["Fn::GetAtt"][1] == "InferenceProfileArn"


@pytest.mark.parametrize(("environment", "given", "expected"), [("dev", "0", 1), ("prod", "0", 2), ("dev", "3", "3")])
def test_minimum_instances_default_per_environment(
    synthesized: Synthesized, environment: str, given: str, expected: Any
) -> None:
    evaluated = _realtime(synthesized, Environment=environment, MinInstanceCount=given)
    (target,) = _of_type(evaluated, "AWS::ApplicationAutoScaling::ScalableTarget")
    minimum = target["MinCapacity"]
    if isinstance(minimum, dict):
        _, row, column = minimum["Fn::FindInMap"]
        minimum = synthesized.templates["realtime-inference"]["Mappings"]["EnvironmentSettings"][row][column]
    assert minimum == expected


def test_autoscaling_tracks_invocations_with_the_service_linked_role(synthesized: Synthesized) -> None:
    evaluated = _realtime(synthesized)
    (target,) = _of_type(evaluated, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert target["RoleARN"]["Fn::Join"][1][-1].endswith("AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint")
    (policy,) = _of_type(evaluated, "AWS::ApplicationAutoScaling::ScalingPolicy")
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
    }
    assert tracking["TargetValue"] == "100"
    assert (tracking["ScaleOutCooldown"], tracking["ScaleInCooldown"]) == (60, 300)  # out fast, in slowly
    assert synthesized.templates["realtime-inference"]["Parameters"]["MaxInstanceCount"]["MinValue"] == 1


def test_realtime_model_runs_isolated_in_the_sandbox_network(synthesized: Synthesized) -> None:
    (model,) = _of_type(_realtime(synthesized), "AWS::SageMaker::Model")
    assert model["EnableNetworkIsolation"] is True
    assert model["VpcConfig"]["Subnets"]["Fn::Split"][0] == ","
    (off,) = _of_type(_realtime(synthesized, EnableNetworkIsolation="false"), "AWS::SageMaker::Model")
    assert off["EnableNetworkIsolation"] is False


def _serverless(synthesized: Synthesized, **given: str) -> Evaluated:
    return Evaluated(synthesized.templates["serverless-inference"], {**SAGEMAKER, **given})


def test_serverless_has_no_vpc_isolation_capture_or_instance_choice(synthesized: Synthesized) -> None:
    template = synthesized.templates["serverless-inference"]
    evaluated = _serverless(synthesized)
    (model,) = _of_type(evaluated, "AWS::SageMaker::Model")
    assert "VpcConfig" not in model
    assert model["EnableNetworkIsolation"] is False
    (config,) = _of_type(evaluated, "AWS::SageMaker::EndpointConfig")
    assert {"DataCaptureConfig", "KmsKeyId"}.isdisjoint(config)  # no capture, no volume key (serverless)
    (variant,) = config["ProductionVariants"]
    assert "InstanceType" not in variant
    assert variant["ServerlessConfig"] == {
        "MaxConcurrency": "5",
        "MemorySizeInMB": "2048",
        "ProvisionedConcurrency": None,
    }
    assert {"InstanceType", "EnableNetworkIsolation", "DataCaptureEnabled"}.isdisjoint(template["Parameters"])
    assert not _of_type(evaluated, "AWS::ApplicationAutoScaling::ScalableTarget")


def test_serverless_limits_are_in_the_parameters(synthesized: Synthesized) -> None:
    parameters = synthesized.templates["serverless-inference"]["Parameters"]
    assert parameters["MemorySizeInMB"]["AllowedValues"] == ["1024", "2048", "3072", "4096", "5120", "6144"]
    assert (parameters["MaxConcurrency"]["MinValue"], parameters["MaxConcurrency"]["MaxValue"]) == (1, 200)
    (config,) = _of_type(_serverless(synthesized, ProvisionedConcurrency="5"), "AWS::SageMaker::EndpointConfig")
    assert config["ProductionVariants"][0]["ServerlessConfig"]["ProvisionedConcurrency"] == "5"
    assert re.fullmatch(parameters["ContainerImageUri"]["AllowedPattern"], "docker.io/library/python:3.12") is None


@pytest.mark.parametrize(
    ("given", "waits_for"),
    [({}, "ModelSageMakerArtifactPermissions"), ({"ModelPackageArn": "x"}, "ModelSageMakerPackagePermissions")],
)
def test_model_waits_for_the_policy_that_lets_it_read_its_artifact(
    synthesized: Synthesized, given: dict[str, str], waits_for: str
) -> None:
    evaluated = _realtime(synthesized, **given)
    (model,) = [r for r in evaluated.resources().values() if r["Type"] == "AWS::SageMaker::Model"]
    assert evaluated.resolve(model["Metadata"]["WaitsFor"])["Ref"].startswith(waits_for)
    assert model["DependsOn"][0].startswith("ModelSageMakerPermissions")


def test_application_inference_profile_carries_project_and_environment_tags(
    pattern: tuple[str, dict[str, Any]],
) -> None:
    name, template = pattern
    (profile,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Bedrock::ApplicationInferenceProfile"]
    tags = {t["Key"]: t["Value"] for t in profile["Properties"]["Tags"]}
    assert tags == {
        "Blueprint": name,
        "Environment": {"Ref": "Environment"},
        "EnvironmentId": {"Ref": "datazoneEnvironmentEnvironmentId"},
        "Project": {"Ref": "ProjectName"},
        "ProjectId": {"Ref": "datazoneEnvironmentProjectId"},
        "AmazonDataZoneProject": {"Ref": "datazoneEnvironmentProjectId"},
        "AmazonDataZoneDomain": {"Ref": "datazoneEnvironmentDomainId"},
        "AmazonDataZoneEnvironment": {"Ref": "datazoneEnvironmentEnvironmentId"},
    }
    assert profile["Properties"]["InferenceProfileName"] == {"Fn::Sub": f"{name}-${{datazoneEnvironmentEnvironmentId}}"}


@pytest.mark.parametrize(
    ("enabled", "source", "alarms"), [("true", "Bedrock", 4), ("true", "SageMaker", 6), ("false", "SageMaker", 0)]
)
def test_monitoring_alarms_notify_an_encrypted_topic(
    pattern: tuple[str, dict[str, Any]], enabled: str, source: str, alarms: int
) -> None:
    _, template = pattern
    given = {"MonitoringEnabled": enabled, **(SAGEMAKER if source == "SageMaker" else {})}
    evaluated = Evaluated(template, given)
    found = _of_type(evaluated, "AWS::CloudWatch::Alarm")
    assert len(found) == alarms
    topics = _of_type(evaluated, "AWS::SNS::Topic")
    assert len(topics) == (1 if enabled == "true" else 0)
    if not alarms:
        assert "AlarmTopicArn" not in evaluated.outputs()
        return
    assert topics[0]["KmsMasterKeyId"]["Fn::ImportValue"]["Fn::Sub"].startswith("genaiSandboxKeyArn-")
    (policy,) = _of_type(evaluated, "AWS::SNS::TopicPolicy")
    assert policy["PolicyDocument"]["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    by_metric = {alarm["MetricName"]: alarm for alarm in found}
    assert all(alarm["TreatMissingData"] == "notBreaching" for alarm in found)
    assert {(a["ComparisonOperator"], a["EvaluationPeriods"], a["Period"]) for a in found} == {
        ("GreaterThanOrEqualToThreshold", 1, 300)  # one five-minute period at or above the threshold alarms
    }
    assert all(alarm["AlarmActions"][0]["Ref"].startswith("MonitoringAlarmTopic") for alarm in found)
    assert by_metric["Latency"]["Threshold"]["Fn::FindInMap"][2] == "LatencyAlarmMs"
    assert by_metric["Latency"]["ExtendedStatistic"] == "p90"
    assert by_metric["5XXError"]["Statistic"] == "Sum"
    if source == "SageMaker":
        assert by_metric["ModelLatency"]["Threshold"]["Fn::FindInMap"][2] == "ModelLatencyAlarmUs"
        dimensions = {d["Name"] for d in by_metric["Invocation5XXErrors"]["Dimensions"]}
        assert dimensions == {"EndpointName", "VariantName"}


def test_alarm_thresholds_are_consistent_per_environment(synthesized: Synthesized) -> None:
    table = synthesized.templates["realtime-inference"]["Mappings"]["EnvironmentSettings"]
    for row in table.values():
        assert row["ModelLatencyAlarmUs"] == row["LatencyAlarmMs"] * 1000
    assert table["prod"]["LatencyAlarmMs"] < table["dev"]["LatencyAlarmMs"]  # prod alarms earlier
