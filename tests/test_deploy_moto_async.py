"""Deploy async-inference with moto, with both model sources, next to the project's genai-sandbox and Tooling
stacks; then run the deployed functions' code, with their deployed configuration, against the deployed resources."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from botocore.stub import Stubber

from genai_sandbox_constructs.inference.async_requests import HANDLER_SOURCE
from tests.conftest import Synthesized
from tests.helpers.moto_deploy import PatternDeployment, deploy_pattern
from tests.helpers.strict_stubber import strict
from tests.helpers.tooling import tooling_template
from tests.test_deploy_moto import sandbox_parameters

PROJECT = "proj1abcdefgh1"
SOURCES = {
    "Bedrock": {"ModelSource": "Bedrock", "NotificationEmail": "ml-team@example.com"},
    "SageMaker": {
        "ModelSource": "SageMaker",
        "ModelArtifactKey": "artifacts/models/sagemaker-finetuned/m/model.tar.gz",
        "ContainerImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:1",
    },
}
SKIPPED_BY_MOTO = {
    "AWS::S3::BucketPolicy",
    "AWS::SageMaker::ModelPackageGroup",
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::SNS::TopicPolicy",
    "AWS::SNS::Subscription",
    "AWS::SQS::QueuePolicy",
}
"""Types moto 5.2.5 does not create here; template assertions cover them."""


def environment_id(source: str) -> str:
    return f"async{source[:3].lower()}"


Deployed = PatternDeployment


@pytest.fixture(scope="module")
def deployed(synthesized: Synthesized) -> Iterator[Deployed]:
    with deploy_pattern(
        synthesized.templates,
        "async-inference",
        tooling=tooling_template(PROJECT),
        sandbox_parameters=sandbox_parameters(PROJECT),
        options=SOURCES,
        environment_id=environment_id,
    ) as deployment:
        yield deployment
    assert deployment.account.skipped == SKIPPED_BY_MOTO


def _functions(deployed: Deployed) -> dict[str, dict[str, Any]]:
    client = deployed.account.client("lambda")
    return {
        f["FunctionName"]: client.get_function_configuration(FunctionName=f["FunctionName"])
        for f in client.list_functions()["Functions"]
    }


def _function(deployed: Deployed, source: str, step: str) -> dict[str, Any]:
    (found,) = [
        f
        for f in _functions(deployed).values()
        if f["Environment"]["Variables"]["STEP"] == step and f["Environment"]["Variables"]["MODEL_SOURCE"] == source
    ]
    return found


def test_both_sources_deploy_with_their_own_exports_and_outputs(deployed: Deployed) -> None:
    exports = deployed.account.exports()
    bucket = deployed.sandbox["BucketName"]
    for source, outputs in deployed.outputs.items():
        assert (
            exports[f"datazone-managed-policy-async-inference-{environment_id(source)}"]
            == outputs["ProjectUserPolicyArn"]
        )
        assert outputs["RequestUri"] == f"s3://{bucket}/inference/async/input/"
        assert outputs["ResultUri"] == f"s3://{bucket}/inference/async/output/"
        pattern = json.loads(outputs["CompletionEventPattern"])
        assert pattern["detail"] == {"environmentId": [environment_id(source)]}
    assert "EndpointName" in deployed.outputs["SageMaker"]
    assert "ModelInvokeTarget" in deployed.outputs["Bedrock"]


def test_queues_topics_and_functions_are_encrypted_with_the_sandbox_key(deployed: Deployed) -> None:
    key = deployed.sandbox["KeyArn"]
    sqs, sns = deployed.account.client("sqs"), deployed.account.client("sns")
    queues = sqs.list_queues()["QueueUrls"]
    assert len(queues) == 3 * len(SOURCES)  # requests, their dead letters, failed notifications
    for url in queues:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["KmsMasterKeyId"] == key
    request_queues = [u for u in queues if "RequestsQueue" in u]
    for url in request_queues:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["VisibilityTimeout"] == "5400"
        assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 3
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert len(topics) == 3 * len(SOURCES)  # success, error, alarms
    assert {sns.get_topic_attributes(TopicArn=t)["Attributes"]["KmsMasterKeyId"] for t in topics} == {key}
    functions = _functions(deployed)
    assert len(functions) == 2 * len(SOURCES)
    for function in functions.values():
        assert sorted(function["VpcConfig"]["SubnetIds"]) == sorted(deployed.sandbox["SubnetIds"].split(","))


def test_the_request_queue_feeds_the_invoker_one_request_at_a_time(deployed: Deployed) -> None:
    mappings = deployed.account.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    assert len(mappings) == len(SOURCES)
    for mapping in mappings:
        assert mapping["BatchSize"] == 1
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert "RequestsQueue" in mapping["EventSourceArn"]


def test_the_sagemaker_source_builds_an_async_endpoint_on_the_topics(deployed: Deployed) -> None:
    sagemaker = deployed.account.client("sagemaker")
    (endpoint,) = sagemaker.list_endpoints()["Endpoints"]
    assert endpoint["EndpointName"] == deployed.outputs["SageMaker"]["EndpointName"]  # moto names it its own way
    config = sagemaker.describe_endpoint_config(
        EndpointConfigName=sagemaker.describe_endpoint(EndpointName=endpoint["EndpointName"])["EndpointConfigName"]
    )
    output = config["AsyncInferenceConfig"]["OutputConfig"]
    bucket = deployed.sandbox["BucketName"]
    assert output["S3OutputPath"] == f"s3://{bucket}/inference/async/output/"
    assert output["S3FailurePath"] == f"s3://{bucket}/inference/async/output/failures/"
    invoker = _function(deployed, "SageMaker", "invoke")["Environment"]["Variables"]
    assert output["NotificationConfig"]["SuccessTopic"] == invoker["SUCCESS_TOPIC_ARN"]
    assert output["NotificationConfig"]["ErrorTopic"] == invoker["ERROR_TOPIC_ARN"]
    assert invoker["ENDPOINT_NAME"] == endpoint["EndpointName"]


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("index", HANDLER_SOURCE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "index", module)
    spec.loader.exec_module(module)
    return module


def _run_with(monkeypatch: pytest.MonkeyPatch, function: dict[str, Any]) -> None:
    for name, value in function["Environment"]["Variables"].items():
        monkeypatch.setenv(name, str(value))  # Lambda hands every variable over as a string


def test_a_bedrock_request_object_becomes_a_result_a_status_record_and_an_event(
    deployed: Deployed, handler: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deployed invoker's configuration, the deployed bucket, topics and bus; only Bedrock is stubbed."""
    account, bucket = deployed.account, deployed.sandbox["BucketName"]
    for service in ("s3", "sns", "sqs", "events"):
        handler._clients[service] = account.client(service)
    bedrock = strict(account.client("bedrock-runtime"))
    handler._clients["bedrock-runtime"] = bedrock
    invoker = _function(deployed, "Bedrock", "invoke")
    _run_with(monkeypatch, invoker)
    key = "inference/async/input/deployed/req-1.json"
    messages = [{"role": "user", "content": [{"text": "Hi"}]}]
    document = {"invocationType": "Converse", "modelInput": {"messages": messages}}
    account.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode())
    with Stubber(bedrock) as stubber:
        stubber.add_response(
            "converse",
            {
                "output": {"message": {"role": "assistant", "content": [{"text": "Hello"}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
                "metrics": {"latencyMs": 5},
            },
            {
                "modelId": invoker["Environment"]["Variables"]["MODEL_ID"],
                "messages": messages,
            },
        )
        event = {
            "time": "2026-11-29T10:00:00Z",
            "detail": {"bucket": {"name": bucket}, "object": {"key": key, "sequencer": "0062E99A88DC407460"}},
        }
        record = {
            "messageId": "m1",
            "receiptHandle": "r1",
            "body": json.dumps(event),
            "attributes": {"ApproximateReceiveCount": "1"},
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:requests",
        }
        assert handler.handler({"Records": [record]}, None) == {"batchItemFailures": []}
    s3 = account.client("s3")
    result = json.loads(s3.get_object(Bucket=bucket, Key="inference/async/output/deployed/req-1.out")["Body"].read())
    assert result["output"]["message"]["content"] == [{"text": "Hello"}]
    status_key = "inference/async/output/deployed/req-1.status.json"
    written = s3.head_object(Bucket=bucket, Key=status_key)
    assert (written["ServerSideEncryption"], written["SSEKMSKeyId"]) == ("aws:kms", deployed.sandbox["KeyArn"])
    status = json.loads(s3.get_object(Bucket=bucket, Key=status_key)["Body"].read())
    assert (status["status"], status["inputKey"], status["outputKey"]) == (
        "Completed",
        key,
        "inference/async/output/deployed/req-1.out",
    )
    completion = _function(deployed, "Bedrock", "complete")
    _run_with(monkeypatch, completion)
    notification = {
        "invocationStatus": "Completed",
        "inferenceId": status["requestId"],
        "eventTime": "2026-11-29T10:00:02Z",
        "requestParameters": {"inputLocation": f"s3://{bucket}/{key}"},
        "responseParameters": {"outputLocation": f"s3://{bucket}/inference/async/output/deployed/req-1.out"},
    }
    handler.handler({"Records": [{"Sns": {"Message": json.dumps(notification)}}]}, None)
    final = json.loads(s3.get_object(Bucket=bucket, Key=status_key)["Body"].read())
    assert (final["status"], final["latencyMs"]) == ("Completed", 2000)
