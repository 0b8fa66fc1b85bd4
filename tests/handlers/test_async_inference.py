"""The asynchronous inference handler, both steps, end to end: request objects in moto S3, notifications through moto
SNS into SQS queues, and strict Stubbers for the model runtimes, the SQS visibility call and EventBridge.

Covered: key and request id derivation against the sagemaker-runtime service model, the SageMaker and Bedrock paths
from request object to final status record and EventBridge event, throttling and retries, model errors, malformed
and oversized requests, missing inputs, poison messages, repeated deliveries, the conditional-write race, what
``complete`` ignores, and the encryption of everything written.
"""

from __future__ import annotations

import base64
import copy
import importlib.util
import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import Stubber
from moto import mock_aws

from genai_sandbox_constructs.inference.async_requests import EVENT_DETAIL_TYPES, EVENT_SOURCE, HANDLER_SOURCE
from tests.helpers.strict_stubber import strict, violations

CONTEXT = SimpleNamespace(aws_request_id="lambda-1")
REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "sandbox-bucket-123"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MODEL_ID = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:application-inference-profile/a1b2c3d4e5f6"
ENDPOINT = "Endpoint-abc"
ENVIRONMENT_ID = "env-1234"
SUCCESS_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:async-success"
ERROR_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:async-error"
QUEUE_NAME = "async-requests"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE_NAME}"
QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{QUEUE_NAME}"
GUARDRAIL = "abcd1234efgh"

EVENT_TIME = "2025-03-01T12:00:00Z"
"""When S3 created the request object (the EventBridge event's ``time``)."""
NOW = "2025-03-01T12:00:03.500Z"
"""What the handler's clock says throughout."""

INPUT_KEY = "inference/async/input/team/req-001.json"
OUTPUT_KEY = "inference/async/output/team/req-001.out"
STATUS_KEY = "inference/async/output/team/req-001.status.json"
FAILURE_KEY = "inference/async/output/failures/team/req-001.out"

CONVERSE_OK: dict[str, Any] = {
    "output": {"message": {"role": "assistant", "content": [{"text": "42"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 12, "outputTokens": 1, "totalTokens": 13},
    "metrics": {"latencyMs": 250},
}
CONVERSE_REQUEST: dict[str, Any] = {
    "messages": [{"role": "user", "content": [{"text": "What is 6*7?"}]}],
    "system": [{"text": "Answer with a number."}],
    "inferenceConfig": {"maxTokens": 200, "temperature": 0.1},
}


# ---- fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The handler file loaded as Lambda loads index.py, with the invoker's environment, fake credentials, a fresh
    client cache and a fixed clock."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": REGION,
        "STEP": "invoke",
        "MODEL_SOURCE": "SageMaker",
        "MODEL_ID": MODEL_ID,
        "GUARDRAIL_ID": "",
        "GUARDRAIL_VERSION": "",
        "ENDPOINT_NAME": ENDPOINT,
        "BUCKET_NAME": BUCKET,
        "KEY_ARN": KEY_ARN,
        "MAX_RECEIVES": "3",
        "REQUEST_TTL_SECONDS": "3600",
        "INVOCATION_TIMEOUT_SECONDS": "900",
        "SUCCESS_TOPIC_ARN": SUCCESS_TOPIC,
        "ERROR_TOPIC_ARN": ERROR_TOPIC,
        "ENVIRONMENT_ID": ENVIRONMENT_ID,
    }.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("index", HANDLER_SOURCE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "index", module)  # as an import does: the handler's dataclass looks itself up
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "now", lambda: NOW)
    return module


@dataclass
class Aws:
    """The moto side: the sandbox bucket (versioned, as the sandbox's is) and one SQS queue per notification topic,
    subscribed with raw delivery, to read what the handler published."""

    s3: Any
    sqs: Any
    queues: dict[str, str]

    def status(self, key: str = STATUS_KEY) -> dict[str, Any]:
        return dict(json.loads(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()))

    def result(self, key: str = OUTPUT_KEY) -> Any:
        return json.loads(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())

    def written(self) -> list[str]:
        """Every key under the output prefix."""
        listing = self.s3.list_objects_v2(Bucket=BUCKET, Prefix="inference/async/output/")
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def published(self, topic: str) -> list[dict[str, Any]]:
        """The messages published on ``topic`` ("success" or "error") since the last look."""
        response = self.sqs.receive_message(QueueUrl=self.queues[topic], MaxNumberOfMessages=10)
        messages = response.get("Messages", [])
        for message in messages:
            self.sqs.delete_message(QueueUrl=self.queues[topic], ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(message["Body"]) for message in messages]


@pytest.fixture
def aws(handler: ModuleType) -> Iterator[Aws]:
    """moto S3 and SNS as the handler's clients; the topics deliver into queues the test reads."""
    with mock_aws():
        s3 = strict(boto3.client("s3", region_name=REGION))
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        sns = strict(boto3.client("sns", region_name=REGION))
        sqs = boto3.client("sqs", region_name=REGION)
        queues = {}
        for topic, arn in (("success", SUCCESS_TOPIC), ("error", ERROR_TOPIC)):
            assert sns.create_topic(Name=arn.rsplit(":", 1)[1])["TopicArn"] == arn
            queues[topic] = sqs.create_queue(QueueName=f"{topic}-notifications")["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=queues[topic], AttributeNames=["QueueArn"])["Attributes"]
            sns.subscribe(
                TopicArn=arn, Protocol="sqs", Endpoint=queue_arn["QueueArn"], Attributes={"RawMessageDelivery": "true"}
            )
        handler._clients.update({"s3": s3, "sns": sns})
        yield Aws(s3, sqs, queues)


def _stub(handler: ModuleType, service: str) -> Stubber:
    """The handler's client for ``service``, stubbed, with enums, patterns and lengths checked too."""
    client = strict(boto3.client(service, region_name=REGION))
    handler._clients[service] = client
    stubber = Stubber(client)
    stubber.activate()
    return stubber


def _used_up(stubber: Stubber) -> Iterator[Stubber]:
    """Yield ``stubber``; every response queued on it must have been used by the end of the test."""
    yield stubber
    stubber.assert_no_pending_responses()


@pytest.fixture
def sagemaker(handler: ModuleType, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    monkeypatch.setenv("MODEL_SOURCE", "SageMaker")
    yield from _used_up(_stub(handler, "sagemaker-runtime"))


@pytest.fixture
def bedrock(handler: ModuleType, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    monkeypatch.setenv("MODEL_SOURCE", "Bedrock")
    yield from _used_up(_stub(handler, "bedrock-runtime"))


@pytest.fixture
def events(handler: ModuleType) -> Iterator[Stubber]:
    yield from _used_up(_stub(handler, "events"))


@pytest.fixture
def visibility(handler: ModuleType) -> Iterator[Stubber]:
    """The SQS client that shortens a retried message's delay."""
    yield from _used_up(_stub(handler, "sqs"))


# ---- helpers ---------------------------------------------------------------------------------------------------


class JsonOf:
    """Equal to a JSON text that decodes to ``value`` (for Stubber's expected parameters)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and json.loads(other) == self.value

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"JsonOf({self.value!r})"


def sqs_record(
    key: str,
    *,
    version: str | None = "v1",
    size: int = 2,
    receive_count: int = 1,
    message_id: str = "msg-1",
    bucket: str = BUCKET,
) -> dict[str, Any]:
    """An SQS record carrying the EventBridge ``Object Created`` event S3 sends for ``key``."""
    obj: dict[str, Any] = {"key": key, "size": size, "etag": "0123456789abcdef", "sequencer": "00617F08299329D189"}
    if version is not None:
        obj["version-id"] = version
    body = {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": EVENT_TIME,
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": obj,
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": ACCOUNT,
            "reason": "PutObject",
        },
    }
    return raw_record(json.dumps(body), receive_count=receive_count, message_id=message_id)


def raw_record(body: str, *, receive_count: int = 1, message_id: str = "msg-1") -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1740830400000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1740830400001",
        },
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": REGION,
    }


def put_request(
    aws: Aws,
    body: bytes | dict[str, Any],
    *,
    key: str = INPUT_KEY,
    content_type: str | None = "application/json",
    receive_count: int = 1,
) -> dict[str, Any]:
    """Write a request object (``content_type`` None: without one) and return the SQS record announcing it, with
    the version S3 gave it."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    extra = {"ContentType": content_type} if content_type else {}
    version = aws.s3.put_object(Bucket=BUCKET, Key=key, Body=raw, **extra)["VersionId"]
    return sqs_record(key, version=version, size=len(raw), receive_count=receive_count)


def version_of(record: dict[str, Any]) -> str:
    return str(json.loads(record["body"])["detail"]["object"]["version-id"])


def run_invoke(handler: ModuleType, monkeypatch: pytest.MonkeyPatch, *records: dict[str, Any]) -> list[str]:
    """The invoke step on a batch; the message ids it reports for retry."""
    monkeypatch.setenv("STEP", "invoke")
    response = handler.handler({"Records": list(records)}, CONTEXT)
    assert list(response) == ["batchItemFailures"]
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def sns_event(*messages: dict[str, Any]) -> dict[str, Any]:
    """The event SNS gives the completion function."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{SUCCESS_TOPIC}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                    "TopicArn": SUCCESS_TOPIC,
                    "Subject": None,
                    "Message": json.dumps(message),
                    "Timestamp": "2025-03-01T12:00:08.000Z",
                },
            }
            for message in messages
        ]
    }


def run_complete(handler: ModuleType, monkeypatch: pytest.MonkeyPatch, *messages: dict[str, Any]) -> None:
    monkeypatch.setenv("STEP", "complete")
    assert handler.handler(sns_event(*messages), CONTEXT) is None


def sagemaker_notification(
    request_id: str,
    *,
    succeeded: bool = True,
    event_time: str = "2025-03-01T12:00:07.250Z",
    input_location: str = f"s3://{BUCKET}/{INPUT_KEY}",
) -> dict[str, Any]:
    """What SageMaker publishes on the success or error topic when an asynchronous request finishes."""
    message: dict[str, Any] = {
        "awsRegion": REGION,
        "eventTime": event_time,
        "receivedTime": "2025-03-01T12:00:01.100Z",
        "invocationStatus": "Completed" if succeeded else "Failed",
        "requestParameters": {"contentType": "text/csv", "endpointName": ENDPOINT, "inputLocation": input_location},
        "responseParameters": (
            {"contentType": "application/json", "outputLocation": f"s3://{BUCKET}/{OUTPUT_KEY}"}
            if succeeded
            else {"contentType": "text/plain; charset=utf-8", "failureLocation": f"s3://{BUCKET}/{FAILURE_KEY}"}
        ),
        "inferenceId": request_id,
        "eventVersion": "1.0",
        "eventSource": "aws:sagemaker",
        "eventName": "InferenceResult",
    }
    if not succeeded:
        message["failureReason"] = (
            "ClientError: Received server error (500) from model. See the SageMaker Endpoint logs for more information."
        )
    return message


def submitted(handler: ModuleType, record: dict[str, Any], source: str, *, attempts: int = 1) -> dict[str, Any]:
    """The status record fields every request has once ``serve`` started on it."""
    body = json.loads(record["body"])
    key, version = body["detail"]["object"]["key"], version_of(record)
    return {
        "requestId": handler.request_id(key, version),
        "inputKey": key,
        "inputVersionId": version,
        "modelSource": source,
        "model": MODEL_ID if source == "Bedrock" else ENDPOINT,
        "submittedAt": EVENT_TIME,
        "attempts": attempts,
        "startedAt": NOW,
    }


def failed(base: dict[str, Any], code: str, message: str) -> dict[str, Any]:
    return base | {"status": "Failed", "error": {"code": code, "message": message}, "completedAt": NOW}


def error_notification(status: dict[str, Any]) -> dict[str, Any]:
    """What the handler publishes on the error topic for a failed ``status``."""
    return {
        "eventSource": "genai-sandbox:async-inference",
        "eventName": "InferenceResult",
        "eventTime": NOW,
        "receivedTime": EVENT_TIME,
        "invocationStatus": "Failed",
        "inferenceId": status["requestId"],
        "requestParameters": {"inputLocation": f"s3://{BUCKET}/{status['inputKey']}"},
        "responseParameters": {},
        "failureReason": f"{status['error']['code']}: {status['error']['message']}",
    }


def expect_event(events: Stubber, status: dict[str, Any], outcome: str, *, failed_entries: int = 0) -> None:
    """Queue the one PutEvents call ``complete`` must make for ``status``."""
    entries: list[dict[str, Any]] = (
        [{"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}] if failed_entries else [{"EventId": "e-1"}]
    )
    events.add_response(
        "put_events",
        {"FailedEntryCount": failed_entries, "Entries": entries},
        {
            "Entries": [
                {
                    "Source": "genai-sandbox.async-inference",
                    "DetailType": f"Async Inference {outcome}",
                    "Detail": JsonOf(status | {"environmentId": ENVIRONMENT_ID}),
                }
            ]
        },
    )


def expect_invoke_endpoint(
    sagemaker: Stubber, record: dict[str, Any], handler: ModuleType, *, content_type: str = "text/csv"
) -> None:
    """Queue the InvokeEndpointAsync call for the request of ``record`` under INPUT_KEY."""
    expected = {
        "EndpointName": ENDPOINT,
        "InputLocation": f"s3://{BUCKET}/{INPUT_KEY}",
        "ContentType": content_type,
        "InferenceId": handler.request_id(INPUT_KEY, version_of(record)),
        "Filename": "req-001.out",
        "S3OutputPathExtension": "team",
        "RequestTTLSeconds": 3600,
        "InvocationTimeoutSeconds": 900,
    }
    response = {
        "InferenceId": expected["InferenceId"],
        "OutputLocation": f"s3://{BUCKET}/{OUTPUT_KEY}",
        "FailureLocation": f"s3://{BUCKET}/{FAILURE_KEY}",
    }
    sagemaker.add_response("invoke_endpoint_async", response, expected)


def expect_converse(bedrock: Stubber, request: dict[str, Any], response: dict[str, Any] = CONVERSE_OK) -> None:
    """Queue a Converse call (a copy of ``response``: the handler pops from what it gets)."""
    bedrock.add_response("converse", copy.deepcopy(response), request)


def streaming(payload: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(payload), len(payload))


def converse_document(**model_input: Any) -> dict[str, Any]:
    return {"invocationType": "Converse", "modelInput": model_input or CONVERSE_REQUEST}


# ---- keys ------------------------------------------------------------------------------------------------------

ASYNC_INPUT = (
    botocore.session.get_session()
    .get_service_model("sagemaker-runtime")
    .operation_model("InvokeEndpointAsync")
    .input_shape.members
)


def _model_problems(member: str, value: str) -> list[str]:
    """How ``value`` breaks InvokeEndpointAsync's ``member`` (length and pattern, from botocore's model)."""
    shape = ASYNC_INPUT[member]
    re.compile(shape.metadata["pattern"])  # Python must read the pattern, or violations() would skip it
    return list(violations(shape, value, member))


def _inference_id_pattern() -> re.Pattern[str]:
    """InferenceId's pattern from the model, with its two Java-only constructs spelled for Python."""
    java = ASYNC_INPUT["InferenceId"].metadata["pattern"]
    assert java == r"\A\S[\p{Print}]*\z"  # a changed model must be looked at again
    return re.compile(java.replace(r"\p{Print}", r"\x20-\x7e").replace(r"\z", r"\Z"))


@pytest.mark.parametrize(
    ("relative", "directory", "stem"),
    [
        ("team/req-001.json", "team", "req-001"),
        ("req-001.json", "", "req-001"),
        ("a/b/c/Batch_7.csv", "a/b/c", "Batch_7"),
        ("team/req-002", "team", "req-002"),
        ("team/" + "x" * 28 + ".json", "team", "x" * 28),
    ],
)
def test_valid_names_keep_their_stem(handler: ModuleType, relative: str, directory: str, stem: str) -> None:
    base = f"inference/async/output/{directory}/" if directory else "inference/async/output/"
    assert handler.request_paths(f"inference/async/input/{relative}") == {
        "directory": directory,
        "filename": f"{stem}.out",
        "output_key": f"{base}{stem}.out",
        "status_key": f"{base}{stem}.status.json",
    }


@pytest.mark.parametrize(
    ("relative", "directory", "readable"),
    [
        ("team/this-name-is-far-too-long-for-sagemaker.json", "team", "this-name-is-far-to"),
        ("team/" + "x" * 29 + ".json", "team", "x" * 19),
        ("team/my request.json", "team", "my-request"),
        ("team/résumé.json", "team", "r-sum"),
        ("team/_private.json", "team", "private"),
        ("team/.hidden", "team", "hidden"),
        ("team/---.json", "team", "request"),
        ("team/2025.03.01.json", "team", "2025-03-01"),
        ("team one/x.json", "team-one", "x"),
        ("s3:/x.json", "s3-", "x"),
        ("日本/データ.json", "--", "request"),
        ("a" * 300 + ".json", "", "a" * 19),
    ],
)
def test_names_sagemaker_refuses_get_a_readable_part_and_a_hash(
    handler: ModuleType, relative: str, directory: str, readable: str
) -> None:
    paths = handler.request_paths(f"inference/async/input/{relative}")
    assert paths["directory"] == directory
    assert re.fullmatch(rf"{re.escape(readable)}-[0-9a-f]{{8}}\.out", paths["filename"]), paths["filename"]
    stem = paths["filename"].removesuffix(".out")
    base = f"inference/async/output/{directory}/" if directory else "inference/async/output/"
    assert (paths["output_key"], paths["status_key"]) == (f"{base}{stem}.out", f"{base}{stem}.status.json")
    assert _model_problems("Filename", paths["filename"]) == []
    if directory:
        assert _model_problems("S3OutputPathExtension", directory) == []


def test_every_derived_name_satisfies_the_service_model(handler: ModuleType) -> None:
    """Filename and S3OutputPathExtension as botocore's sagemaker-runtime model constrains them, for many keys."""
    names = ["a", "A.b", "x" * 40, "with space", "ünï", "_", ".", "..json", "a.b.c", "tab\there", "q?&=.json"]
    directories = ["", "d", "deep/er/path", "odd dir!", "s3:", "https:/x", "ü/ß", "(ok)'*"]
    for directory in directories:
        for name in names:
            relative = f"{directory}/{name}" if directory else name
            paths = handler.request_paths(f"inference/async/input/{relative}")
            assert _model_problems("Filename", paths["filename"]) == [], relative
            if paths["directory"]:
                assert _model_problems("S3OutputPathExtension", paths["directory"]) == [], relative


def test_distinct_inputs_get_distinct_results_and_status_records(handler: ModuleType) -> None:
    relatives = [
        "team/req-001.json",
        "req-001.json",
        "team/my request.json",
        "team/my-request!.json",
        "team/my-request.json",
        "team one/x.json",
        "team-one/x.json",
        "team_one/x.json",
        "team/this-name-is-far-too-long-for-sagemaker-a.json",
        "team/this-name-is-far-too-long-for-sagemaker-b.json",
        "team/2025.03.01.json",
        "team/2025.03.02.json",
        "team/résumé.json",
        "team/résume.json",
    ]
    paths = [handler.request_paths(f"inference/async/input/{relative}") for relative in relatives]
    assert len({p["output_key"] for p in paths}) == len(relatives)
    assert len({p["status_key"] for p in paths}) == len(relatives)


@pytest.mark.parametrize(
    "relative",
    ["team/req-001.json", "x" * 300 + ".json", "team/my request.json", "日本/データ.json", "a.json"],
)
def test_request_ids_fit_inference_id(handler: ModuleType, relative: str) -> None:
    key = f"inference/async/input/{relative}"
    stem = handler.request_paths(key)["filename"].removesuffix(".out")
    for version in ("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", "", "null"):
        request_id = handler.request_id(key, version)
        assert len(request_id) <= ASYNC_INPUT["InferenceId"].metadata["max"] == 64
        assert _inference_id_pattern().search(request_id), request_id
        assert re.fullmatch(rf"{re.escape(stem)}-[0-9a-f]{{16}}", request_id)


def test_a_new_version_is_a_new_request_and_a_repeat_is_the_same(handler: ModuleType) -> None:
    first, again = handler.request_id(INPUT_KEY, "v1"), handler.request_id(INPUT_KEY, "v1")
    assert first == again
    assert handler.request_id(INPUT_KEY, "v2") != first
    assert handler.request_id("inference/async/input/other/req-001.json", "v1") != first


@pytest.mark.parametrize(
    ("uri", "key"),
    [(f"s3://{BUCKET}/a/b.json", "a/b.json"), (f"s3://{BUCKET}", ""), ("https://x/y", ""), ("", "")],
)
def test_key_of(handler: ModuleType, uri: str, key: str) -> None:
    assert handler.key_of(uri) == key


# ---- SageMaker -------------------------------------------------------------------------------------------------


def test_sagemaker_request_is_queued_on_the_endpoint(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = put_request(aws, b"6,7\n", content_type="text/csv")
    expect_invoke_endpoint(sagemaker, record, handler)
    assert run_invoke(handler, monkeypatch, record) == []
    assert aws.status() == submitted(handler, record, "SageMaker") | {
        "status": "InProgress",
        "outputKey": OUTPUT_KEY,
        "failureKey": FAILURE_KEY,
    }
    assert aws.written() == [STATUS_KEY]
    assert aws.published("success") == aws.published("error") == []  # SageMaker announces its own outcomes


@pytest.mark.parametrize(
    ("written", "sent"),
    [("application/json", "application/json"), ("image/png", "image/png"), (None, "application/json")],
)
def test_the_content_type_is_the_objects_and_json_when_it_has_none(
    *,
    handler: ModuleType,
    aws: Aws,
    sagemaker: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    written: str | None,
    sent: str,
) -> None:
    """S3 reports ``binary/octet-stream`` for an object written without a content type: that means none."""
    record = put_request(aws, b"{}", content_type=written)
    expect_invoke_endpoint(sagemaker, record, handler, content_type=sent)
    assert run_invoke(handler, monkeypatch, record) == []
    assert aws.status()["status"] == "InProgress"


def test_a_top_level_request_has_no_output_path_extension(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "inference/async/input/top.json"
    record = put_request(aws, b"{}", key=key)
    sagemaker.add_response(
        "invoke_endpoint_async",
        {"OutputLocation": f"s3://{BUCKET}/inference/async/output/top.out"},
        {
            "EndpointName": ENDPOINT,
            "InputLocation": f"s3://{BUCKET}/{key}",
            "ContentType": "application/json",
            "InferenceId": handler.request_id(key, version_of(record)),
            "Filename": "top.out",
            "RequestTTLSeconds": 3600,
            "InvocationTimeoutSeconds": 900,
        },
    )
    assert run_invoke(handler, monkeypatch, record) == []
    status = aws.status("inference/async/output/top.status.json")
    assert (status["status"], status["outputKey"], "failureKey" in status) == (
        "InProgress",
        "inference/async/output/top.out",
        False,
    )


def test_sagemaker_success_notification_completes_the_record(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, events: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = put_request(aws, b"6,7\n", content_type="text/csv")
    expect_invoke_endpoint(sagemaker, record, handler)
    run_invoke(handler, monkeypatch, record)
    in_progress = aws.status()
    final = {key: value for key, value in in_progress.items() if key != "failureKey"} | {
        "status": "Completed",
        "completedAt": "2025-03-01T12:00:07.250Z",
        "latencyMs": 7250,  # from the object's creation (EVENT_TIME) to SageMaker's eventTime
    }
    expect_event(events, final, "Completed")
    run_complete(handler, monkeypatch, sagemaker_notification(in_progress["requestId"]))
    assert aws.status() == final


def test_sagemaker_failure_notification_fails_the_record(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, events: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = put_request(aws, b"6,7\n", content_type="text/csv")
    expect_invoke_endpoint(sagemaker, record, handler)
    run_invoke(handler, monkeypatch, record)
    in_progress = aws.status()
    final = {key: value for key, value in in_progress.items() if key != "outputKey"} | {
        "status": "Failed",
        "completedAt": "2025-03-01T12:00:09Z",
        "latencyMs": 9000,
        "failureKey": FAILURE_KEY,
        "error": {
            "code": "ClientError",
            "message": "Received server error (500) from model. See the SageMaker Endpoint logs for more information.",
        },
    }
    expect_event(events, final, "Failed")
    message = sagemaker_notification(in_progress["requestId"], succeeded=False, event_time="2025-03-01T12:00:09Z")
    run_complete(handler, monkeypatch, message)
    assert aws.status() == final


def test_a_notification_without_a_status_record_makes_one(
    handler: ModuleType, aws: Aws, events: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SageMaker finished before the invoker recorded the start: the notification alone tells the story."""
    request_id = handler.request_id(INPUT_KEY, "v1")
    final = {
        "requestId": request_id,
        "inputKey": INPUT_KEY,
        "modelSource": "SageMaker",
        "model": ENDPOINT,
        "submittedAt": "2025-03-01T12:00:01.100Z",
        "completedAt": "2025-03-01T12:00:07.250Z",
        "status": "Completed",
        "outputKey": OUTPUT_KEY,
        "latencyMs": 6150,
    }
    expect_event(events, final, "Completed")
    run_complete(handler, monkeypatch, sagemaker_notification(request_id))
    assert aws.status() == final


def test_an_event_eventbridge_refuses_fails_the_completion_so_lambda_retries_it(
    handler: ModuleType, aws: Aws, events: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    request_id = handler.request_id(INPUT_KEY, "v1")
    aws.s3.put_object(Bucket=BUCKET, Key=STATUS_KEY, Body=json.dumps({"requestId": request_id}).encode())
    expect_event(
        events,
        {
            "requestId": request_id,
            "inputKey": INPUT_KEY,
            "modelSource": "SageMaker",
            "model": ENDPOINT,
            "submittedAt": "2025-03-01T12:00:01.100Z",
            "completedAt": "2025-03-01T12:00:07.250Z",
            "status": "Completed",
            "outputKey": OUTPUT_KEY,
            "latencyMs": 6150,
        },
        "Completed",
        failed_entries=1,
    )
    with pytest.raises(RuntimeError, match="EventBridge refused the event"):
        run_complete(handler, monkeypatch, sagemaker_notification(request_id))


def test_event_source_and_detail_types_match_the_construct(handler: ModuleType) -> None:
    """The construct documents (and rules may match) what the handler emits."""
    assert handler.EVENT_SOURCE == EVENT_SOURCE == "genai-sandbox.async-inference"
    assert EVENT_DETAIL_TYPES == ("Async Inference Completed", "Async Inference Failed")


# ---- Bedrock ---------------------------------------------------------------------------------------------------


def test_bedrock_converse_with_the_guardrail_writes_the_result_and_announces_it(
    handler: ModuleType, aws: Aws, bedrock: Stubber, events: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GUARDRAIL_ID", GUARDRAIL)
    record = put_request(aws, converse_document())
    expect_converse(
        bedrock,
        CONVERSE_REQUEST
        | {"modelId": MODEL_ID, "guardrailConfig": {"guardrailIdentifier": GUARDRAIL, "guardrailVersion": "DRAFT"}},
    )
    assert run_invoke(handler, monkeypatch, record) == []

    assert aws.result() == CONVERSE_OK
    completed = submitted(handler, record, "Bedrock") | {
        "status": "Completed",
        "outputKey": OUTPUT_KEY,
        "completedAt": NOW,
    }
    assert aws.status() == completed
    (notification,) = aws.published("success")
    assert notification == {
        "eventSource": "genai-sandbox:async-inference",
        "eventName": "InferenceResult",
        "eventTime": NOW,
        "receivedTime": EVENT_TIME,
        "invocationStatus": "Completed",
        "inferenceId": completed["requestId"],
        "requestParameters": {"inputLocation": f"s3://{BUCKET}/{INPUT_KEY}"},
        "responseParameters": {"outputLocation": f"s3://{BUCKET}/{OUTPUT_KEY}"},
    }
    assert aws.published("error") == []

    final = completed | {"latencyMs": 3500}
    expect_event(events, final, "Completed")
    run_complete(handler, monkeypatch, notification)
    assert aws.status() == final


def test_bedrock_converse_without_a_guardrail_sends_no_guardrail_config(
    handler: ModuleType, aws: Aws, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = put_request(aws, converse_document(messages=CONVERSE_REQUEST["messages"]))
    expect_converse(bedrock, {"modelId": MODEL_ID, "messages": CONVERSE_REQUEST["messages"]})
    assert run_invoke(handler, monkeypatch, record) == []
    assert aws.status()["status"] == "Completed"


def test_a_bedrock_request_serves_the_version_its_event_announced(
    handler: ModuleType, aws: Aws, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key was overwritten before the first request was served: each version is served once, as written."""
    first = [{"role": "user", "content": [{"text": "first"}]}]
    second = [{"role": "user", "content": [{"text": "second"}]}]
    first_record = put_request(aws, converse_document(messages=first))
    second_record = put_request(aws, converse_document(messages=second))
    expect_converse(bedrock, {"modelId": MODEL_ID, "messages": first})
    expect_converse(bedrock, {"modelId": MODEL_ID, "messages": second})
    assert run_invoke(handler, monkeypatch, first_record) == []
    assert run_invoke(handler, monkeypatch, second_record) == []


def test_a_converse_answer_with_binary_content_is_stored_as_base64(
    handler: ModuleType, aws: Aws, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redacted reasoning (and any other blob) comes back as bytes, which JSON cannot hold as they are."""
    answer = copy.deepcopy(CONVERSE_OK)
    answer["output"]["message"]["content"].insert(0, {"reasoningContent": {"redactedContent": b"\x00\x01secret"}})
    record = put_request(aws, converse_document())
    expect_converse(bedrock, CONVERSE_REQUEST | {"modelId": MODEL_ID}, answer)
    assert run_invoke(handler, monkeypatch, record) == []
    assert aws.status()["status"] == "Completed"
    stored = aws.result()["output"]["message"]["content"]
    assert stored[0] == {"reasoningContent": {"redactedContent": base64.b64encode(b"\x00\x01secret").decode()}}
    assert stored[1] == {"text": "42"}


def test_bedrock_invoke_model_sends_the_native_body_with_the_guardrail(
    handler: ModuleType, aws: Aws, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GUARDRAIL_ID", GUARDRAIL)
    monkeypatch.setenv("GUARDRAIL_VERSION", "2")
    native = {"inputText": "hello", "dimensions": 256}
    record = put_request(aws, {"invocationType": "InvokeModel", "modelInput": native})
    bedrock.add_response(
        "invoke_model",
        {"body": streaming(b'{"embedding": [0.1, 0.2]}'), "contentType": "application/json"},
        {
            "modelId": MODEL_ID,
            "contentType": "application/json",
            "accept": "application/json",
            "body": json.dumps(native).encode(),
            "guardrailIdentifier": GUARDRAIL,
            "guardrailVersion": "2",
        },
    )
    assert run_invoke(handler, monkeypatch, record) == []
    assert aws.result() == {"output": {"embedding": [0.1, 0.2]}}
    assert aws.status()["status"] == "Completed"
    assert [message["invocationStatus"] for message in aws.published("success")] == ["Completed"]


def test_an_invoke_model_answer_that_is_not_json_is_stored_as_text(
    handler: ModuleType, aws: Aws, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = put_request(aws, {"invocationType": "InvokeModel", "modelInput": {"prompt": "x"}})
    bedrock.add_response("invoke_model", {"body": streaming(b"plain words"), "contentType": "text/plain"})
    assert run_invoke(handler, monkeypatch, record) == []
    assert aws.result() == {"output": "plain words"}


# ---- throttling and errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("attempt", [1, 2])
def test_throttling_before_the_last_attempt_retries_after_a_growing_delay(
    *,
    handler: ModuleType,
    aws: Aws,
    bedrock: Stubber,
    visibility: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    attempt: int,
) -> None:
    record = put_request(aws, converse_document(), receive_count=attempt)
    bedrock.add_client_error(
        "converse", service_error_code="ThrottlingException", service_message="Too many requests", http_status_code=429
    )
    visibility.add_response(
        "change_message_visibility",
        {},
        {"QueueUrl": QUEUE_URL, "ReceiptHandle": "handle-msg-1", "VisibilityTimeout": 60 * attempt},
    )
    assert run_invoke(handler, monkeypatch, record) == ["msg-1"]
    visibility.assert_no_pending_responses()  # delay() swallows a mismatch: the expected call must have been made
    assert aws.status() == submitted(handler, record, "Bedrock", attempts=attempt) | {
        "status": "Retrying",
        "error": {"code": "ThrottlingException", "message": "ThrottlingException: Too many requests"},
    }
    assert aws.published("success") == aws.published("error") == []
    assert aws.written() == [STATUS_KEY]


def test_throttling_at_the_last_attempt_fails_the_request_and_leaves_the_message_to_the_dead_letter_queue(
    handler: ModuleType, aws: Aws, bedrock: Stubber, visibility: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = put_request(aws, converse_document(), receive_count=3)
    bedrock.add_client_error(
        "converse", service_error_code="ThrottlingException", service_message="Too many requests", http_status_code=429
    )
    assert run_invoke(handler, monkeypatch, record) == ["msg-1"]  # no visibility call: the stubber has none queued
    status = failed(
        submitted(handler, record, "Bedrock", attempts=3) | {"status": "InProgress"},
        "ThrottlingException",
        "ThrottlingException: Too many requests (after 3 attempts)",
    )
    assert aws.status() == status
    assert aws.published("error") == [error_notification(status)]
    assert aws.published("success") == []


def test_a_failed_visibility_change_still_retries_the_message(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, visibility: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = put_request(aws, b"{}")
    sagemaker.add_client_error("invoke_endpoint_async", service_error_code="ServiceUnavailable", http_status_code=503)
    visibility.add_client_error("change_message_visibility", service_error_code="AccessDenied", http_status_code=403)
    assert run_invoke(handler, monkeypatch, record) == ["msg-1"]
    assert aws.status()["status"] == "Retrying"
    assert aws.status()["error"]["code"] == "ServiceUnavailable"


@pytest.mark.parametrize(
    ("source", "operation", "code", "status_code"),
    [
        ("Bedrock", "converse", "ValidationException", 400),
        ("Bedrock", "converse", "AccessDeniedException", 403),
        ("Bedrock", "converse", "ModelErrorException", 424),
        ("SageMaker", "invoke_endpoint_async", "ValidationError", 400),
    ],
)
def test_model_errors_fail_at_once(
    *,
    handler: ModuleType,
    aws: Aws,
    visibility: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    operation: str,
    code: str,
    status_code: int,
) -> None:
    monkeypatch.setenv("MODEL_SOURCE", source)
    stubber = _stub(handler, "bedrock-runtime" if source == "Bedrock" else "sagemaker-runtime")
    record = put_request(aws, converse_document() if source == "Bedrock" else b"{}")
    stubber.add_client_error(operation, service_error_code=code, service_message="bad", http_status_code=status_code)
    assert run_invoke(handler, monkeypatch, record) == []  # not retried
    stubber.assert_no_pending_responses()
    base = submitted(handler, record, source) | ({"status": "InProgress"} if source == "Bedrock" else {})
    status = failed(base, code, f"{code}: bad")
    assert aws.status() == status
    assert aws.published("error") == [error_notification(status)]
    assert aws.written() == [STATUS_KEY]


def test_the_error_notification_is_one_complete_accepts(
    handler: ModuleType, aws: Aws, bedrock: Stubber, events: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = put_request(aws, converse_document())
    bedrock.add_client_error("converse", service_error_code="ValidationException", service_message="too long")
    run_invoke(handler, monkeypatch, record)
    status = aws.status()
    final = status | {"latencyMs": 3500}
    expect_event(events, final, "Failed")
    run_complete(handler, monkeypatch, *aws.published("error"))
    assert aws.status() == final
    assert final["error"] == {"code": "ValidationException", "message": "ValidationException: too long"}


def test_retryable_codes_are_real_codes_of_the_services(handler: ModuleType) -> None:
    """A misspelt code would make a transient error fail a request at once."""
    session = botocore.session.get_session()
    known = {
        shape.name
        for service in ("bedrock-runtime", "sagemaker-runtime", "s3", "sns", "sqs", "events")
        for shape in session.get_service_model(service).error_shapes
    }
    # S3's throttling, internal-error and timeout codes: documented in S3's error list, not modelled in botocore
    assert set(handler.RETRYABLE) - known == {"SlowDown", "InternalError", "RequestTimeout"}


# ---- malformed, oversized and missing requests -----------------------------------------------------------------

ALLOWED_CONVERSE = (
    "additionalModelRequestFields, additionalModelResponseFieldPaths, inferenceConfig, messages, performanceConfig, "
    "promptVariables, requestMetadata, system, toolConfig"
)


@pytest.mark.parametrize(
    ("raw", "guardrail", "message"),
    [
        (b"not json", "", "the request must be a JSON document: Expecting value: line 1 column 1 (char 0)"),
        (
            b"\xff\xfe\xfa",
            "",
            "the request must be a JSON document: 'utf-16-le' codec can't decode byte 0xfa in position 2: truncated "
            "data",
        ),
        (b"[1, 2]", "", 'the request must be a JSON object {"invocationType": ..., "modelInput": {...}}'),
        (
            {"invocationType": "Chat", "modelInput": {}},
            "",
            "invocationType must be Converse or InvokeModel, not 'Chat'",
        ),
        (
            {"modelInput": [], "priority": 1},
            "",
            "invocationType must be Converse or InvokeModel, not None; modelInput must be a JSON object; unknown "
            "fields: priority (allowed: invocationType, modelInput)",
        ),
        (
            {
                "invocationType": "Converse",
                "modelInput": {"modelId": "x", "guardrailConfig": {}, "messages": []},
                "extra": True,
            },
            "",
            "modelInput has fields Converse does not take here: guardrailConfig, modelId (the sandbox sets modelId and "
            f"guardrailConfig; allowed: {ALLOWED_CONVERSE}); modelInput.messages must be a non-empty list; unknown "
            "fields: extra (allowed: invocationType, modelInput)",
        ),
        (
            {"invocationType": "Converse", "modelInput": {"system": []}},
            "",
            "modelInput.messages must be a non-empty list",
        ),
        (
            {"invocationType": "InvokeModel", "modelInput": {"amazon-bedrock-guardrailConfig": {"tagSuffix": "x"}}},
            GUARDRAIL,
            "modelInput must not carry amazon-bedrock-guardrail settings: the sandbox guardrail applies",
        ),
        (
            {
                "invocationType": "InvokeModel",
                "modelInput": {"prompt": "<Amazon-Bedrock-Guardrails-GuardContent_x>hi</Amazon-Bedrock-Guardrails-"},
            },
            GUARDRAIL,
            "modelInput must not carry amazon-bedrock-guardrail settings: the sandbox guardrail applies",
        ),
        (
            {
                "invocationType": "Converse",
                "modelInput": {
                    "messages": [
                        {"role": "user", "content": [{"guardContent": {"text": {"text": "harmless"}}}, {"text": "x"}]}
                    ]
                },
            },
            GUARDRAIL,
            "modelInput must not carry guardContent blocks: the sandbox guardrail checks the whole request",
        ),
        (
            {
                "invocationType": "Converse",
                "modelInput": {
                    "messages": [{"role": "user", "content": [{"text": "x"}]}],
                    "system": [{"guardContent": {"text": {"text": "harmless"}}}],
                },
            },
            GUARDRAIL,
            "modelInput must not carry guardContent blocks: the sandbox guardrail checks the whole request",
        ),
    ],
)
def test_malformed_requests_fail_at_once_naming_every_problem(
    *,
    handler: ModuleType,
    aws: Aws,
    bedrock: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    raw: bytes | dict[str, Any],
    guardrail: str,
    message: str,
) -> None:
    monkeypatch.setenv("GUARDRAIL_ID", guardrail)
    record = put_request(aws, raw)
    assert run_invoke(handler, monkeypatch, record) == []  # and no model call: the stubber has none queued
    status = failed(submitted(handler, record, "Bedrock"), "InvalidRequest", message)
    assert aws.status() == status
    assert aws.published("error") == [error_notification(status)]
    assert aws.written() == [STATUS_KEY]


def test_guardrail_tags_are_allowed_without_a_guardrail(
    handler: ModuleType, aws: Aws, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    native = {"amazon-bedrock-guardrailConfig": {"tagSuffix": "x"}, "prompt": "hi"}
    record = put_request(aws, {"invocationType": "InvokeModel", "modelInput": native})
    bedrock.add_response("invoke_model", {"body": streaming(b"{}"), "contentType": "application/json"})
    assert run_invoke(handler, monkeypatch, record) == []
    assert aws.status()["status"] == "Completed"


def test_a_converse_request_botocore_refuses_fails_at_once(
    handler: ModuleType, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request the client itself rejects (ParamValidationError) cannot succeed on another attempt."""
    monkeypatch.setenv("MODEL_SOURCE", "Bedrock")
    stubber = _stub(handler, "bedrock-runtime")
    stubber.add_response("converse", copy.deepcopy(CONVERSE_OK))  # needed to reach botocore's own validation
    record = put_request(aws, converse_document(messages=[{"role": "user", "content": "Hi"}]))
    assert run_invoke(handler, monkeypatch, record) == []
    status = failed(
        submitted(handler, record, "Bedrock") | {"status": "InProgress"},
        "InvalidRequest",
        "Parameter validation failed:\nInvalid type for parameter messages[0].content, value: Hi, type: <class "
        "'str'>, valid types: <class 'list'>, <class 'tuple'>",
    )
    assert aws.status() == status
    with pytest.raises(AssertionError, match="1 responses remaining"):
        stubber.assert_no_pending_responses()  # the model was never called


def test_a_bedrock_request_over_5_mb_fails_at_once(
    handler: ModuleType, aws: Aws, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = put_request(aws, b" " * (5 * 1024 * 1024 + 1))
    assert run_invoke(handler, monkeypatch, record) == []
    assert aws.status() == failed(
        submitted(handler, record, "Bedrock"),
        "InvalidRequest",
        "the request document is 5242881 bytes; Bedrock requests take at most 5 MB here",
    )


def test_a_sagemaker_input_over_the_limit_fails_at_once_and_one_at_it_is_queued(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert handler.SAGEMAKER_INPUT_LIMIT == 1024**3
    monkeypatch.setattr(handler, "SAGEMAKER_INPUT_LIMIT", 10)
    record = put_request(aws, b"x" * 11)
    assert run_invoke(handler, monkeypatch, record) == []
    assert aws.status() == failed(
        submitted(handler, record, "SageMaker"), "InvalidRequest", "the input is 11 bytes; SageMaker takes at most 1 GB"
    )
    record = put_request(aws, b"x" * 10, content_type="text/csv")
    expect_invoke_endpoint(sagemaker, record, handler)
    assert run_invoke(handler, monkeypatch, record) == []
    assert aws.status()["status"] == "InProgress"


@pytest.mark.parametrize("source", ["Bedrock", "SageMaker"])
def test_a_deleted_input_fails_as_input_not_found(
    handler: ModuleType, aws: Aws, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    monkeypatch.setenv("MODEL_SOURCE", source)
    stubber = _stub(handler, "bedrock-runtime" if source == "Bedrock" else "sagemaker-runtime")
    record = sqs_record(INPUT_KEY, version="gone")
    assert run_invoke(handler, monkeypatch, record) == []
    status = failed(
        {key: value for key, value in submitted(handler, record, source).items() if key != "startedAt"},
        "InputNotFound",
        "the input object no longer exists",
    )
    assert aws.status() == status
    assert aws.published("error") == [error_notification(status)]
    stubber.assert_no_pending_responses()


# ---- messages that are not requests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        "null",
        json.dumps({"hello": "world"}),
        json.dumps({"detail": {"bucket": {"name": BUCKET}}}),
        json.dumps({"detail": {"bucket": "x", "object": {"key": INPUT_KEY}}}),
    ],
)
def test_a_body_that_is_not_an_s3_event_is_reported_and_nothing_is_written(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    assert run_invoke(handler, monkeypatch, raw_record(body, message_id="poison")) == ["poison"]
    assert aws.written() == []
    assert aws.published("error") == []


def test_a_poison_message_does_not_hold_up_the_rest_of_the_batch(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = put_request(aws, b"6,7\n", content_type="text/csv")
    expect_invoke_endpoint(sagemaker, record, handler)
    assert run_invoke(handler, monkeypatch, raw_record("{}", message_id="poison"), record) == ["poison"]
    assert aws.status()["status"] == "InProgress"


@pytest.mark.parametrize(
    "key", ["inference/async/input/team/", "inference/async/input/", "inference/other/x.json", "x.json"]
)
def test_folder_markers_and_other_keys_are_ignored(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    assert run_invoke(handler, monkeypatch, sqs_record(key)) == []
    assert aws.written() == []


# ---- repeated delivery -----------------------------------------------------------------------------------------


def test_a_repeated_sagemaker_delivery_after_in_progress_is_not_queued_again(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = put_request(aws, b"6,7\n", content_type="text/csv")
    expect_invoke_endpoint(sagemaker, record, handler)  # once only
    assert run_invoke(handler, monkeypatch, record) == []
    first = aws.status()
    assert run_invoke(handler, monkeypatch, sqs_record(INPUT_KEY, version=version_of(record), receive_count=2)) == []
    assert aws.status() == first


@pytest.mark.parametrize("outcome", ["Completed", "Failed"])
def test_a_repeated_bedrock_delivery_of_a_finished_request_is_skipped(
    handler: ModuleType, aws: Aws, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch, outcome: str
) -> None:
    record = put_request(aws, converse_document())
    if outcome == "Completed":
        expect_converse(bedrock, CONVERSE_REQUEST | {"modelId": MODEL_ID})
    else:
        bedrock.add_client_error("converse", service_error_code="ValidationException", service_message="no")
    assert run_invoke(handler, monkeypatch, record) == []
    first = aws.status()
    assert first["status"] == outcome
    aws.published("success")
    aws.published("error")
    assert run_invoke(handler, monkeypatch, record) == []  # a second converse call would find no stubbed answer
    assert aws.status() == first
    assert aws.published("success") == aws.published("error") == []


def test_a_bedrock_request_left_in_progress_is_served_again(
    handler: ModuleType, aws: Aws, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The invoker crashed (or timed out) mid-call: the message comes back and the request is served."""
    record = put_request(aws, converse_document(), receive_count=2)
    crashed = submitted(handler, record, "Bedrock") | {"status": "InProgress"}
    aws.s3.put_object(Bucket=BUCKET, Key=STATUS_KEY, Body=json.dumps(crashed).encode())
    expect_converse(bedrock, CONVERSE_REQUEST | {"modelId": MODEL_ID})
    assert run_invoke(handler, monkeypatch, record) == []
    assert aws.status() == crashed | {"attempts": 2, "status": "Completed", "outputKey": OUTPUT_KEY, "completedAt": NOW}


def test_a_retrying_sagemaker_request_is_queued_over_its_record(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, visibility: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = put_request(aws, b"6,7\n", content_type="text/csv")
    sagemaker.add_client_error("invoke_endpoint_async", service_error_code="InternalFailure", http_status_code=500)
    visibility.add_response("change_message_visibility", {})
    assert run_invoke(handler, monkeypatch, record) == ["msg-1"]
    assert aws.status()["status"] == "Retrying"
    expect_invoke_endpoint(sagemaker, record, handler)
    again = sqs_record(INPUT_KEY, version=version_of(record), size=4, receive_count=2)
    assert run_invoke(handler, monkeypatch, again) == []
    assert aws.status() == submitted(handler, record, "SageMaker", attempts=2) | {
        "status": "InProgress",
        "outputKey": OUTPUT_KEY,
        "failureKey": FAILURE_KEY,
    }


def test_a_new_version_of_a_finished_request_is_served(
    handler: ModuleType, aws: Aws, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = put_request(aws, converse_document())
    expect_converse(bedrock, CONVERSE_REQUEST | {"modelId": MODEL_ID})
    assert run_invoke(handler, monkeypatch, first) == []
    second = put_request(aws, converse_document(messages=[{"role": "user", "content": [{"text": "again"}]}]))
    expect_converse(bedrock, {"modelId": MODEL_ID, "messages": [{"role": "user", "content": [{"text": "again"}]}]})
    assert run_invoke(handler, monkeypatch, second) == []
    status = aws.status()
    assert (status["requestId"], status["inputVersionId"], status["status"]) == (
        handler.request_id(INPUT_KEY, version_of(second)),
        version_of(second),
        "Completed",
    )


# ---- the conditional write -------------------------------------------------------------------------------------


def test_a_stale_etag_keeps_the_newer_record(handler: ModuleType, aws: Aws, caplog: pytest.LogCaptureFixture) -> None:
    handler.write_status(BUCKET, STATUS_KEY, {"requestId": "r", "status": "Retrying"})
    _, stale = handler.read_status(BUCKET, STATUS_KEY)
    newer = {"requestId": "r", "status": "Completed"}
    handler.write_status(BUCKET, STATUS_KEY, newer)
    handler.write_status_unless_changed(BUCKET, STATUS_KEY, {"requestId": "r", "status": "InProgress"}, stale)
    assert aws.status() == newer
    assert "request r finished before its start was recorded" in caplog.messages


def test_a_record_that_appeared_since_the_read_is_kept(handler: ModuleType, aws: Aws) -> None:
    newer = {"requestId": "r", "status": "Completed"}
    handler.write_status(BUCKET, STATUS_KEY, newer)
    handler.write_status_unless_changed(BUCKET, STATUS_KEY, {"requestId": "r", "status": "InProgress"}, None)
    assert aws.status() == newer


def test_an_unchanged_record_is_replaced(handler: ModuleType, aws: Aws) -> None:
    handler.write_status(BUCKET, STATUS_KEY, {"requestId": "r", "status": "Retrying"})
    _, etag = handler.read_status(BUCKET, STATUS_KEY)
    handler.write_status_unless_changed(BUCKET, STATUS_KEY, {"requestId": "r", "status": "InProgress"}, etag)
    assert aws.status() == {"requestId": "r", "status": "InProgress"}


def test_a_request_that_finishes_during_invoke_endpoint_async_stays_completed(
    *,
    handler: ModuleType,
    aws: Aws,
    sagemaker: Stubber,
    events: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SageMaker answers and ``complete`` records it before InvokeEndpointAsync has returned to the invoker."""
    record = put_request(aws, b"6,7\n", content_type="text/csv")
    request_id = handler.request_id(INPUT_KEY, version_of(record))
    expect_invoke_endpoint(sagemaker, record, handler)
    completed = {
        "requestId": request_id,
        "inputKey": INPUT_KEY,
        "modelSource": "SageMaker",
        "model": ENDPOINT,
        "completedAt": "2025-03-01T12:00:07.250Z",
        "submittedAt": "2025-03-01T12:00:01.100Z",
        "status": "Completed",
        "outputKey": OUTPUT_KEY,
        "latencyMs": 6150,
    }
    expect_event(events, completed, "Completed")

    def finish_first(**_: Any) -> None:
        handler.complete(sns_event(sagemaker_notification(request_id)), CONTEXT)

    sagemaker.client.meta.events.register("after-call.sagemaker-runtime.InvokeEndpointAsync", finish_first)
    assert run_invoke(handler, monkeypatch, record) == []
    assert aws.status() == completed
    assert f"request {request_id} finished before its start was recorded" in caplog.messages


# ---- what complete ignores -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "input_location",
    [
        f"s3://other-bucket/{INPUT_KEY}",
        f"s3://{BUCKET}/inference/batch/input/team/req-001.json",
        f"s3://{BUCKET}/inference/async/output/team/req-001.out",
        f"s3://{BUCKET}-suffix/{INPUT_KEY}",
        "",
    ],
)
def test_complete_ignores_notifications_about_other_objects(
    handler: ModuleType, aws: Aws, events: Stubber, monkeypatch: pytest.MonkeyPatch, input_location: str
) -> None:
    message = sagemaker_notification(handler.request_id(INPUT_KEY, "v1"), input_location=input_location)
    run_complete(handler, monkeypatch, message)  # a put_events call would find no stubbed answer
    assert aws.written() == []


# ---- encryption ------------------------------------------------------------------------------------------------


def _assert_all_encrypted(aws: Aws, expected: list[str]) -> None:
    assert aws.written() == sorted(expected)
    for key in expected:
        head = aws.s3.head_object(Bucket=BUCKET, Key=key)
        assert (key, head["ServerSideEncryption"], head["SSEKMSKeyId"]) == (key, "aws:kms", KEY_ARN)


def test_everything_the_bedrock_path_writes_uses_the_sandbox_key(
    handler: ModuleType, aws: Aws, bedrock: Stubber, events: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = put_request(aws, converse_document())
    expect_converse(bedrock, CONVERSE_REQUEST | {"modelId": MODEL_ID})
    run_invoke(handler, monkeypatch, record)
    _assert_all_encrypted(aws, [STATUS_KEY, OUTPUT_KEY])
    expect_event(events, aws.status() | {"latencyMs": 3500}, "Completed")
    run_complete(handler, monkeypatch, *aws.published("success"))
    _assert_all_encrypted(aws, [STATUS_KEY, OUTPUT_KEY])


def test_everything_the_sagemaker_path_writes_uses_the_sandbox_key(
    *,
    handler: ModuleType,
    aws: Aws,
    sagemaker: Stubber,
    visibility: Stubber,
    events: Stubber,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = put_request(aws, b"6,7\n", content_type="text/csv")
    sagemaker.add_client_error("invoke_endpoint_async", service_error_code="ServiceUnavailable", http_status_code=503)
    visibility.add_response("change_message_visibility", {})
    run_invoke(handler, monkeypatch, record)  # Retrying: written unconditionally
    _assert_all_encrypted(aws, [STATUS_KEY])
    expect_invoke_endpoint(sagemaker, record, handler)
    run_invoke(handler, monkeypatch, sqs_record(INPUT_KEY, version=version_of(record), receive_count=2))
    _assert_all_encrypted(aws, [STATUS_KEY])  # InProgress: the conditional write
    status = aws.status()
    final = {key: value for key, value in status.items() if key != "failureKey"} | {
        "status": "Completed",
        "completedAt": "2025-03-01T12:00:07.250Z",
        "latencyMs": 7250,
    }
    expect_event(events, final, "Completed")
    run_complete(handler, monkeypatch, sagemaker_notification(status["requestId"]))
    _assert_all_encrypted(aws, [STATUS_KEY])


# ---- missing objects behind a prefix-scoped ListBucket -----------------------------------------------------------


def test_a_403_for_an_object_that_is_not_listed_reads_as_missing(handler: ModuleType) -> None:
    """S3 answers 403 instead of 404 when the caller's ListBucket grant does not cover the request (ours carries an
    ``s3:prefix`` condition): listing the key itself tells a missing record from a real denial."""
    stubber = _stub(handler, "s3")
    stubber.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
    stubber.add_response("list_objects_v2", {"KeyCount": 0}, {"Bucket": BUCKET, "Prefix": STATUS_KEY, "MaxKeys": 1})
    assert handler.read_status(BUCKET, STATUS_KEY) == ({}, None)
    stubber.assert_no_pending_responses()


def test_a_403_for_an_object_that_exists_is_a_real_denial(handler: ModuleType) -> None:
    stubber = _stub(handler, "s3")
    stubber.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
    stubber.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": STATUS_KEY}], "KeyCount": 1},
        {"Bucket": BUCKET, "Prefix": STATUS_KEY, "MaxKeys": 1},
    )
    with pytest.raises(ClientError, match="AccessDenied"):
        handler.read_status(BUCKET, STATUS_KEY)


def test_a_request_object_answered_with_403_and_not_listed_is_input_not_found(handler: ModuleType) -> None:
    stubber = _stub(handler, "s3")
    stubber.add_client_error("head_object", service_error_code="403", http_status_code=403)
    stubber.add_response("list_objects_v2", {"KeyCount": 0}, {"Bucket": BUCKET, "Prefix": INPUT_KEY, "MaxKeys": 1})
    with pytest.raises(handler.InputNotFoundError):
        handler.head_input(BUCKET, INPUT_KEY)
    assert handler.classify(handler.InputNotFoundError(INPUT_KEY))[::2] == ("InputNotFound", False)


@pytest.mark.parametrize(("written", "value"), [("10", 10), ("10.0", 10), ("3600", 3600)])
def test_whole_numbers_are_read_as_cloudformation_passes_them(
    handler: ModuleType, monkeypatch: pytest.MonkeyPatch, written: str, value: int
) -> None:
    """A Number parameter may be written 10.0; it reaches the function as that string."""
    monkeypatch.setenv("SOME_NUMBER", written)
    assert handler.whole("SOME_NUMBER") == value


def test_queue_urls_follow_the_partition(handler: ModuleType) -> None:
    assert (handler.url_suffix("us-east-1"), handler.url_suffix("cn-north-1")) == ("amazonaws.com", "amazonaws.com.cn")
