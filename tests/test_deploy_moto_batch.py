"""Deploy batch-inference with moto, with both model sources and a schedule, next to the project's genai-sandbox
and Tooling stacks; assert what moto creates (it skips EventBridge Scheduler, SNS subscriptions, queue and topic
policies, alarms: template assertions cover those)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Synthesized
from tests.helpers.moto_deploy import PatternDeployment, deploy_pattern
from tests.helpers.tooling import tooling_template
from tests.test_deploy_moto import sandbox_parameters

PROJECT = "proj1abcdefgh1"
SOURCES = {
    "Bedrock": {"ModelSource": "Bedrock", "Schedule": "cron(0 2 * * ? *)", "NotificationEmail": "ml@example.com"},
    "SageMaker": {
        "ModelSource": "SageMaker",
        "ModelArtifactKey": "artifacts/models/sagemaker-finetuned/m/model.tar.gz",
        "ContainerImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:1",
    },
}
SKIPPED_BY_MOTO = {
    "AWS::S3::BucketPolicy",
    "AWS::SageMaker::ModelPackageGroup",
    "AWS::CloudWatch::Alarm",
    "AWS::SNS::TopicPolicy",
    "AWS::SNS::Subscription",
    "AWS::SQS::QueuePolicy",
    "AWS::Scheduler::Schedule",
}
"""Types moto 5.2.5 does not create here; template assertions cover them."""


def environment_id(source: str) -> str:
    return f"batch{source[:3].lower()}"


Deployed = PatternDeployment


@pytest.fixture(scope="module")
def deployed(synthesized: Synthesized) -> Iterator[Deployed]:
    with deploy_pattern(
        synthesized.templates,
        "batch-inference",
        tooling=tooling_template(PROJECT),
        sandbox_parameters=sandbox_parameters(PROJECT),
        options=SOURCES,
        environment_id=environment_id,
    ) as deployment:
        yield deployment
    assert deployment.account.skipped == SKIPPED_BY_MOTO


def _functions(deployed: Deployed) -> list[dict[str, Any]]:
    client = deployed.account.client("lambda")
    return [
        client.get_function_configuration(FunctionName=f["FunctionName"]) for f in client.list_functions()["Functions"]
    ]


def test_both_sources_deploy_with_their_exports_and_outputs(deployed: Deployed) -> None:
    exports = deployed.account.exports()
    bucket = deployed.sandbox["BucketName"]
    for source, outputs in deployed.outputs.items():
        export = f"datazone-managed-policy-batch-inference-{environment_id(source)}"
        assert exports[export] == outputs["ProjectUserPolicyArn"]
        assert outputs["BatchInputUri"] == f"s3://{bucket}/inference/batch/input/"
        assert outputs["BatchOutputUri"] == f"s3://{bucket}/inference/batch/output/"
        assert outputs["JobService"] == source
    assert "ModelName" in deployed.outputs["SageMaker"]
    assert "ModelInvokeTarget" in deployed.outputs["Bedrock"]


def test_launcher_and_tracker_run_in_the_sandbox_network_with_the_job_settings(deployed: Deployed) -> None:
    functions = _functions(deployed)
    steps = sorted(
        (f["Environment"]["Variables"]["MODEL_SOURCE"], f["Environment"]["Variables"]["STEP"]) for f in functions
    )
    assert steps == [("Bedrock", "launch"), ("Bedrock", "track"), ("SageMaker", "launch"), ("SageMaker", "track")]
    for function in functions:
        variables = function["Environment"]["Variables"]
        assert sorted(function["VpcConfig"]["SubnetIds"]) == sorted(deployed.sandbox["SubnetIds"].split(","))
        assert variables["BUCKET_NAME"] == deployed.sandbox["BucketName"]
        assert variables["KEY_ARN"] == deployed.sandbox["KeyArn"]
        if variables["MODEL_SOURCE"] == "Bedrock":
            assert variables["BEDROCK_ROLE_ARN"].startswith("arn:aws:iam::")
            assert variables["MODEL_NAME"] == ""
        else:
            assert variables["MODEL_NAME"]
            assert variables["BEDROCK_ROLE_ARN"] == ""


def test_queues_and_rules_are_in_place(deployed: Deployed) -> None:
    sqs = deployed.account.client("sqs")
    urls = sqs.list_queues()["QueueUrls"]
    assert len(urls) == 3 * len(SOURCES)  # markers, their dead letters, tracking dead letters
    for url in urls:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["KmsMasterKeyId"] == deployed.sandbox["KeyArn"]
    rules = deployed.account.client("events").list_rules()["Rules"]
    patterns = [json.loads(r["EventPattern"]) for r in rules if "EventPattern" in r]
    kinds = sorted(p["detail-type"][0] for p in patterns)
    assert kinds.count("SageMaker Transform Job State Change") == len(SOURCES)
    assert kinds.count("Batch Inference Job State Change") == len(SOURCES)
    for pattern in patterns:
        if pattern["source"] == ["aws.sagemaker"]:
            (prefix,) = pattern["detail"]["TransformJobName"]
            assert prefix["prefix"] in {f"{environment_id(s)}-" for s in SOURCES}
    mappings = deployed.account.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    assert [m["BatchSize"] for m in mappings] == [1] * len(SOURCES)


def test_only_the_bedrock_source_creates_the_service_role(deployed: Deployed) -> None:
    iam = deployed.account.client("iam")
    trusted = [
        r for r in iam.list_roles()["Roles"] if "bedrock.amazonaws.com" in json.dumps(r["AssumeRolePolicyDocument"])
    ]
    assert len(trusted) == 1
    sagemaker = deployed.account.client("sagemaker")
    assert len(sagemaker.list_models()["Models"]) == 1
    assert sagemaker.list_endpoints()["Endpoints"] == []  # nothing runs between batches
