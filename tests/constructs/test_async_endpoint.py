"""AsyncEndpoint: S3 in and out, SNS notifications the model may publish, and scaling that reaches zero and wakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from blueprints.synthesis import create_app
from genai_sandbox_constructs import BucketAccess, ConfigurationError, nag
from genai_sandbox_constructs.inference.async_endpoint import AsyncEndpoint
from tests.helpers.stacks import KEY_ARN, json_of, new_stack, sagemaker_model


def _add_endpoint(stack: Stack, instance_type: str = "ml.g5.xlarge", **options: Any) -> AsyncEndpoint:
    key = kms.Key.from_key_arn(stack, "SandboxKey", KEY_ARN)
    return AsyncEndpoint(
        stack,
        "Endpoint",
        name_prefix="env1",
        model=sagemaker_model(stack),
        instance_type=instance_type,
        encryption_key=key,
        bucket=BucketAccess(stack, bucket_arn="arn:aws:s3:::sandbox", key_arn=KEY_ARN),
        bucket_name="sandbox",
        success_topic=sns.Topic(stack, "Success", master_key=key, enforce_ssl=True),
        error_topic=sns.Topic(stack, "Error", master_key=key, enforce_ssl=True),
        **options,
    )


def _template(**options: Any) -> dict[str, Any]:
    stack = new_stack()
    _add_endpoint(stack, **options)
    return json_of(stack)


def _of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def test_results_and_failures_go_to_s3_and_are_announced_on_encrypted_topics() -> None:
    template = _template(max_concurrent_invocations=8)
    (config,) = _of_type(template, "AWS::SageMaker::EndpointConfig").values()
    output = config["Properties"]["AsyncInferenceConfig"]["OutputConfig"]
    assert output["S3OutputPath"] == "s3://sandbox/inference/async/output/"
    assert output["S3FailurePath"] == "s3://sandbox/inference/async/output/failures/"
    assert output["KmsKeyId"] == KEY_ARN
    topics = _of_type(template, "AWS::SNS::Topic")
    assert {t["Properties"]["KmsMasterKeyId"] for t in topics.values()} == {KEY_ARN}
    notification = output["NotificationConfig"]
    assert {notification["SuccessTopic"]["Ref"], notification["ErrorTopic"]["Ref"]} == set(topics)
    assert config["Properties"]["AsyncInferenceConfig"]["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": 8}
    (variant,) = config["Properties"]["ProductionVariants"]
    assert variant["InitialInstanceCount"] == 1
    assert config["Properties"]["KmsKeyId"]["Fn::If"][0].startswith("EndpointHasNvmeStorage")  # g5: NVMe, no key


def test_the_model_reads_requests_writes_results_and_publishes_and_the_endpoint_config_waits_for_it() -> None:
    template = _template()
    (config,) = _of_type(template, "AWS::SageMaker::EndpointConfig").values()
    policies = _of_type(template, "AWS::IAM::ManagedPolicy")
    (permissions_id,) = [k for k in policies if k.startswith("ModelSageMakerPermissions")]
    assert permissions_id in config["DependsOn"]
    statements = policies[permissions_id]["Properties"]["PolicyDocument"]["Statement"]
    publish = next(s for s in statements if s["Action"] == "sns:Publish")
    assert sorted(r["Ref"][:-8] for r in publish["Resource"]) == ["Error", "Success"]
    topic_key = next(s for s in statements if s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService"))
    assert topic_key["Resource"] == KEY_ARN
    writes = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert [w["Resource"] for w in writes] == ["arn:aws:s3:::sandbox/inference/async/output/*"]
    reads = [s for s in statements if "s3:GetObject" in s["Action"]]
    assert "arn:aws:s3:::sandbox/inference/async/input/*" in [r["Resource"] for r in reads]


def test_backlog_scaling_reaches_zero_and_a_step_policy_wakes_it() -> None:
    template = _template(min_instances=0, max_instances=3, target_backlog_per_instance=7)
    (target,) = _of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget").values()
    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (0, 3)
    scaling = _of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
    policies = {p["Properties"]["PolicyType"]: p["Properties"] for p in scaling.values()}
    tracking = policies["TargetTrackingScaling"]["TargetTrackingScalingPolicyConfiguration"]
    metric = tracking["CustomizedMetricSpecification"]
    assert (metric["Namespace"], metric["MetricName"], metric["Statistic"]) == (
        "AWS/SageMaker",
        "ApproximateBacklogSizePerInstance",
        "Average",
    )
    assert [d["Name"] for d in metric["Dimensions"]] == ["EndpointName"]  # with VariantName it never fires
    assert tracking["TargetValue"] == 7
    step = policies["StepScaling"]["StepScalingPolicyConfiguration"]
    assert step["AdjustmentType"] == "ChangeInCapacity"
    assert step["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]
    (alarm,) = _of_type(template, "AWS::CloudWatch::Alarm").values()
    properties = alarm["Properties"]
    assert (properties["Namespace"], properties["MetricName"]) == ("AWS/SageMaker", "HasBacklogWithoutCapacity")
    assert [d["Name"] for d in properties["Dimensions"]] == ["EndpointName"]
    assert (properties["Threshold"], properties["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    (wake_id,) = [k for k in scaling if "Wake" in k]
    assert properties["AlarmActions"] == [{"Ref": wake_id}]


def test_literal_settings_are_checked_all_at_once() -> None:
    with pytest.raises(ConfigurationError) as error:
        _template(max_concurrent_invocations=0, min_instances=4, max_instances=3)
    assert error.value.problems == [
        "max_concurrent_invocations=0: from 1 to 1000",
        "min_instances=4: from 0 to 3",
    ]


def test_the_async_endpoint_passes_every_nag_pack(tmp_path: Path) -> None:
    app = create_app(outdir=str(tmp_path / "out"))
    _add_endpoint(Stack(app, "Async"), instance_type="ml.m5.xlarge")
    nag.register_packs(app)
    app.synth()  # an unacknowledged finding raises ValidationFailed
