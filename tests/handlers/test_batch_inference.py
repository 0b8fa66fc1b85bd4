"""The batch inference handler, both steps, end to end: markers and input files in moto S3 (versioned), notifications
through moto SNS into an SQS queue, and strict Stubbers for the SageMaker and Bedrock control planes, the SQS
visibility call and the S3 403 path.

Covered: job names and runs against both APIs' name patterns, marker parsing, every CreateTransformJob and
CreateModelInvocationJob parameter, the input checks (files, ``.jsonl`` only, the minimum record count read as a
stream), jobs that exist already, repeated deliveries and re-runs, the scheduled scan, throttling, retries and the
dead-letter path, every job state of both services, other environments' and older runs' events, the race between
the two steps, and the encryption of everything written.

moto runs once per module (about 0.3 s to start); each test gets the bucket and the queue empty.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

import genai_sandbox_constructs.inference.handlers as handlers_package
from tests.helpers.strict_stubber import strict

HANDLER_SOURCE = Path(handlers_package.__file__).parent / "batch_inference.py"
CONTEXT = SimpleNamespace(aws_request_id="lambda-1")
REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "sandbox-bucket-123"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VOLUME_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/9876fedc-12ab-34cd-56ef-1234567890ab"
MODEL_ID = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:application-inference-profile/a1b2c3d4e5f6"
MODEL_NAME = "sandbox-model-abc"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sandbox-batch-role"
ENVIRONMENT_ID = "env-1234"
LONG_ENVIRONMENT_ID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:batch-notifications"
QUEUE_NAME = "batch-markers"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE_NAME}"
QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{QUEUE_NAME}"

NOW = "2025-03-01T12:00:03.500Z"
"""What the handler's clock says throughout."""
NOW_MS = 1740830403500
LATER = "2025-03-01T12:30:03.500Z"
"""When the jobs end (half an hour after NOW)."""
LATER_MS = 1740832203500
CREATED_MS = 1740830400000
"""2025-03-01T12:00:00Z: when the services created the jobs."""

BATCH = "b1"
MARKER = "inference/batch/input/b1.ready"
STATUS_KEY = "inference/batch/output/b1/status.json"
TRANSFORM_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:transform-job/job"
BEDROCK_JOB_ID = "abcd1234wxyz"
BEDROCK_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-job/{BEDROCK_JOB_ID}"
RECORD_LINE = b'{"recordId": "r", "modelInput": {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}}\n'

SAGEMAKER_MODEL = botocore.session.get_session().get_service_model("sagemaker")
BEDROCK_MODEL = botocore.session.get_session().get_service_model("bedrock")


# ---- fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The handler file loaded as Lambda loads index.py, with both functions' environment, fake credentials, a
    fresh client cache and a fixed clock."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": REGION,
        "STEP": "launch",
        "MODEL_SOURCE": "SageMaker",
        "MODEL_ID": MODEL_ID,
        "MODEL_NAME": MODEL_NAME,
        "INVOCATION_TYPE": "Converse",
        "BEDROCK_ROLE_ARN": ROLE_ARN,
        "TIMEOUT_HOURS": "48",
        "MIN_RECORDS": "3",
        "INSTANCE_TYPE": "ml.m5.xlarge",
        "INSTANCE_COUNT": "2",
        "CONTENT_TYPE": "text/csv",
        "SPLIT_TYPE": "Line",
        "ASSEMBLE_WITH": "Line",
        "ACCEPT": "text/csv",
        "BATCH_STRATEGY": "MultiRecord",
        "MAX_PAYLOAD_MB": "6",
        "MAX_CONCURRENT_TRANSFORMS": "4",
        "VOLUME_KEY_ARN": VOLUME_KEY_ARN,
        "KEY_ARN": KEY_ARN,
        "BUCKET_NAME": BUCKET,
        "ENVIRONMENT_ID": ENVIRONMENT_ID,
        "TOPIC_ARN": TOPIC,
        "MAX_RECEIVES": "3",
    }.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("index", HANDLER_SOURCE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "index", module)  # as an import does: the handler's dataclasses look it up
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "now", lambda: NOW)
    return module


@dataclass
class Aws:
    """The moto side: the sandbox bucket (versioned, as the sandbox's is) and a queue subscribed to the topic, to
    read what the handler published."""

    s3: Any
    sns: Any
    sqs: Any
    queue: str

    def status(self, batch_id: str = BATCH) -> dict[str, Any]:
        key = f"inference/batch/output/{batch_id}/status.json"
        return dict(json.loads(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()))

    def written(self) -> list[str]:
        """Every key under the output prefix."""
        listing = self.s3.list_objects_v2(Bucket=BUCKET, Prefix="inference/batch/output/")
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def published(self) -> list[tuple[str, dict[str, Any]]]:
        """Subject and message of each notification since the last look."""
        response = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10)
        messages = response.get("Messages", [])
        for message in messages:
            self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
        envelopes = [json.loads(message["Body"]) for message in messages]
        return [(envelope["Subject"], json.loads(envelope["Message"])) for envelope in envelopes]

    def empty(self) -> None:
        """Delete every object version and every queued notification."""
        listing = self.s3.list_object_versions(Bucket=BUCKET)
        doomed = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in listing.get("Versions", []) + listing.get("DeleteMarkers", [])
        ]
        if doomed:
            self.s3.delete_objects(Bucket=BUCKET, Delete={"Objects": doomed})
        while self.published():  # PurgeQueue may run once a minute only
            pass


@pytest.fixture(scope="module")
def shared_aws() -> Iterator[Aws]:
    """moto S3, SNS and SQS for the whole module: the bucket, the topic and its queue."""
    with mock_aws():
        s3 = strict(boto3.client("s3", region_name=REGION))
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        sns = strict(boto3.client("sns", region_name=REGION))
        sqs = boto3.client("sqs", region_name=REGION)
        assert sns.create_topic(Name=TOPIC.rsplit(":", 1)[1])["TopicArn"] == TOPIC
        queue = sqs.create_queue(QueueName="notifications")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=TOPIC, Protocol="sqs", Endpoint=queue_arn)  # not raw: the envelope has the Subject
        yield Aws(s3, sns, sqs, queue)


@pytest.fixture
def aws(handler: ModuleType, shared_aws: Aws) -> Iterator[Aws]:
    """The module's moto services as the handler's clients, empty before and after the test."""
    shared_aws.empty()
    handler._clients.update({"s3": shared_aws.s3, "sns": shared_aws.sns})
    yield shared_aws
    shared_aws.empty()


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
    yield from _used_up(_stub(handler, "sagemaker"))


@pytest.fixture
def bedrock(handler: ModuleType, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """The Bedrock control plane (CreateModelInvocationJob, GetModelInvocationJob)."""
    monkeypatch.setenv("MODEL_SOURCE", "Bedrock")
    yield from _used_up(_stub(handler, "bedrock"))


@pytest.fixture
def visibility(handler: ModuleType) -> Iterator[Stubber]:
    """The SQS client that shortens a retried message's delay."""
    yield from _used_up(_stub(handler, "sqs"))


# ---- helpers ---------------------------------------------------------------------------------------------------


def run_of(key: str, version: str) -> str:
    """The run a marker version starts, computed here as the contract defines it."""
    return hashlib.sha256(f"{key}#{version}".encode()).hexdigest()[:8]


def put_marker(aws: Aws, batch_id: str = BATCH) -> str:
    """Write a batch's ready-marker; the run its new version starts."""
    key = f"inference/batch/input/{batch_id}.ready"
    return run_of(key, aws.s3.put_object(Bucket=BUCKET, Key=key, Body=b"")["VersionId"])


def put_input(aws: Aws, name: str, body: bytes, batch_id: str = BATCH) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key=f"inference/batch/input/{batch_id}/{name}", Body=body)


def put_records(aws: Aws, count: int, name: str = "part-1.jsonl", batch_id: str = BATCH) -> None:
    put_input(aws, name, RECORD_LINE * count, batch_id)


def put_status(aws: Aws, status: dict[str, Any], batch_id: str = BATCH) -> None:
    key = f"inference/batch/output/{batch_id}/status.json"
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(status).encode())


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


def marker_record(key: str = MARKER, *, receive_count: int = 1, message_id: str = "msg-1") -> dict[str, Any]:
    """An SQS record carrying the EventBridge ``Object Created`` event S3 sends for ``key``."""
    body = {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": "2025-03-01T12:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{BUCKET}"],
        "detail": {
            "version": "0",
            "bucket": {"name": BUCKET},
            "object": {"key": key, "size": 0, "etag": "d41d8cd98f00b204e9800998ecf8427e", "version-id": "v"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": ACCOUNT,
            "reason": "PutObject",
        },
    }
    return raw_record(json.dumps(body), receive_count=receive_count, message_id=message_id)


def scan_record(*, receive_count: int = 1) -> dict[str, Any]:
    """The scheduler's scan message."""
    return raw_record(json.dumps({"scan": True}), receive_count=receive_count, message_id="scan-1")


def run_launch(handler: ModuleType, monkeypatch: pytest.MonkeyPatch, *records: dict[str, Any]) -> list[str]:
    """The launch step on an SQS batch; the message ids it reports for retry."""
    monkeypatch.setenv("STEP", "launch")
    response = handler.handler({"Records": list(records)}, CONTEXT)
    assert list(response) == ["batchItemFailures"]
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def run_track(handler: ModuleType, monkeypatch: pytest.MonkeyPatch, event: dict[str, Any]) -> None:
    monkeypatch.setenv("STEP", "track")
    assert handler.handler(event, CONTEXT) is None


def job_of(batch_id: str, run: str) -> str:
    return f"{ENVIRONMENT_ID}-{batch_id}-{run}"


def transform_request(run: str, batch_id: str = BATCH) -> dict[str, Any]:
    """Every CreateTransformJob parameter the handler sends with the fixture's environment."""
    return {
        "TransformJobName": job_of(batch_id, run),
        "ModelName": MODEL_NAME,
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/inference/batch/input/{batch_id}/"}
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
            "CompressionType": "None",
        },
        "TransformOutput": {
            "S3OutputPath": f"s3://{BUCKET}/inference/batch/output/{batch_id}/{run}/",
            "Accept": "text/csv",
            "AssembleWith": "Line",
            "KmsKeyId": KEY_ARN,
        },
        "TransformResources": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2, "VolumeKmsKeyId": VOLUME_KEY_ARN},
        "BatchStrategy": "MultiRecord",
        "MaxPayloadInMB": 6,
        "MaxConcurrentTransforms": 4,
        "Tags": [{"Key": "EnvironmentId", "Value": ENVIRONMENT_ID}, {"Key": "BatchId", "Value": batch_id}],
    }


def bedrock_request(run: str, batch_id: str = BATCH) -> dict[str, Any]:
    """Every CreateModelInvocationJob parameter the handler sends with the fixture's environment."""
    return {
        "jobName": job_of(batch_id, run),
        "roleArn": ROLE_ARN,
        "clientRequestToken": job_of(batch_id, run),
        "modelId": MODEL_ID,
        "modelInvocationType": "Converse",
        "inputDataConfig": {
            "s3InputDataConfig": {"s3Uri": f"s3://{BUCKET}/inference/batch/input/{batch_id}/", "s3InputFormat": "JSONL"}
        },
        "outputDataConfig": {
            "s3OutputDataConfig": {
                "s3Uri": f"s3://{BUCKET}/inference/batch/output/{batch_id}/{run}/",
                "s3EncryptionKeyId": KEY_ARN,
            }
        },
        "timeoutDurationInHours": 48,
        "tags": [{"key": "EnvironmentId", "value": ENVIRONMENT_ID}, {"key": "BatchId", "value": batch_id}],
    }


def expect_transform(sagemaker: Stubber, run: str, batch_id: str = BATCH, **changes: Any) -> None:
    """Queue a CreateTransformJob call for ``run`` (``changes``: parameters that differ, None: left out)."""
    request = transform_request(run, batch_id) | changes
    sagemaker.add_response(
        "create_transform_job",
        {"TransformJobArn": TRANSFORM_ARN},
        {name: value for name, value in request.items() if value is not None},
    )


def expect_bedrock_job(bedrock: Stubber, run: str, batch_id: str = BATCH) -> None:
    bedrock.add_response("create_model_invocation_job", {"jobArn": BEDROCK_ARN}, bedrock_request(run, batch_id))


def submitted(run: str, source: str = "SageMaker", *, batch_id: str = BATCH, attempts: int = 1) -> dict[str, Any]:
    """The status record of a started run."""
    return {
        "batchId": batch_id,
        "run": run,
        "jobName": job_of(batch_id, run),
        "jobArn": BEDROCK_ARN if source == "Bedrock" else TRANSFORM_ARN,
        "status": "Submitted",
        "modelSource": source,
        "model": MODEL_ID if source == "Bedrock" else MODEL_NAME,
        "markerKey": f"inference/batch/input/{batch_id}.ready",
        "inputPrefix": f"inference/batch/input/{batch_id}/",
        "outputPrefix": f"inference/batch/output/{batch_id}/{run}/",
        "submittedAt": NOW,
        "updatedAt": NOW,
        "attempts": attempts,
    }


def failed(
    run: str | None, code: str, message: str, source: str = "SageMaker", *, batch_id: str = BATCH, attempts: int = 1
) -> dict[str, Any]:
    """The status record of a batch that failed before its job started (``run`` None: the marker was gone)."""
    status = submitted(run or "", source, batch_id=batch_id, attempts=attempts)
    del status["jobArn"]
    if run is None:
        for name in ("run", "jobName", "outputPrefix"):
            del status[name]
    return status | {"status": "Failed", "error": {"code": code, "message": message}, "completedAt": NOW}


def metric(batch_id: str, status: str) -> dict[str, Any]:
    """The embedded-metric line of a finished batch."""
    succeeded = status == "Completed"
    return {
        "_aws": {
            "Timestamp": NOW_MS,
            "CloudWatchMetrics": [
                {
                    "Namespace": "GenAISandbox/BatchInference",
                    "Dimensions": [["EnvironmentId"]],
                    "Metrics": [{"Name": "JobsSucceeded", "Unit": "Count"}, {"Name": "JobsFailed", "Unit": "Count"}],
                }
            ],
        },
        "EnvironmentId": ENVIRONMENT_ID,
        "JobsSucceeded": int(succeeded),
        "JobsFailed": int(not succeeded),
        "BatchId": batch_id,
        "Status": status,
    }


def printed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The JSON lines the handler printed since the last look."""
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def assert_announced(aws: Aws, capsys: pytest.CaptureFixture[str], status: dict[str, Any]) -> None:
    """One notification carrying ``status`` and one metric line for it, nothing else."""
    assert aws.published() == [(f"Batch {status['batchId']} {status['status']}", status)]
    assert printed(capsys) == [metric(status["batchId"], status["status"])]


def assert_nothing_announced(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    assert aws.published() == []
    assert printed(capsys) == []


# ---- job names, runs and markers -------------------------------------------------------------------------------

RUN = "0123abcd"


def _name_patterns() -> list[re.Pattern[str]]:
    """TransformJobName's and jobName's patterns and Bedrock's clientRequestToken's, from botocore's models."""
    shapes = [
        SAGEMAKER_MODEL.operation_model("CreateTransformJob").input_shape.members["TransformJobName"],
        BEDROCK_MODEL.operation_model("CreateModelInvocationJob").input_shape.members["jobName"],
        BEDROCK_MODEL.operation_model("CreateModelInvocationJob").input_shape.members["clientRequestToken"],
    ]
    assert [shape.metadata["max"] for shape in shapes] == [63, 63, 256]
    return [re.compile(shape.metadata["pattern"]) for shape in shapes]


@pytest.mark.parametrize(
    ("environment", "batch_id", "name"),
    [
        (ENVIRONMENT_ID, "b1", f"env-1234-b1-{RUN}"),
        (ENVIRONMENT_ID, "team_a", f"env-1234-team-a-{RUN}"),
        (ENVIRONMENT_ID, "a__b--c_-d", f"env-1234-a-b-c-d-{RUN}"),
        (ENVIRONMENT_ID, "_x_", f"env-1234-x-{RUN}"),
        (ENVIRONMENT_ID, "___", f"env-1234-{RUN}"),
        (ENVIRONMENT_ID, "-", f"env-1234-{RUN}"),
        (ENVIRONMENT_ID, "Z" * 40, f"env-1234-{'Z' * 40}-{RUN}"),
        (LONG_ENVIRONMENT_ID, "x" * 40, f"{LONG_ENVIRONMENT_ID}-{'x' * 17}-{RUN}"),
        (LONG_ENVIRONMENT_ID, "abcdefghijklmnop_qrs", f"{LONG_ENVIRONMENT_ID}-abcdefghijklmnop-{RUN}"),
        (LONG_ENVIRONMENT_ID, "_" * 40, f"{LONG_ENVIRONMENT_ID}-{RUN}"),
    ],
)
def test_job_names(
    handler: ModuleType, monkeypatch: pytest.MonkeyPatch, environment: str, batch_id: str, name: str
) -> None:
    monkeypatch.setenv("ENVIRONMENT_ID", environment)
    assert handler.job_name(batch_id, RUN) == name


def test_every_job_name_fits_both_apis(handler: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """For the longest environment id and many batch ids, as botocore's models constrain the names."""
    batch_ids = ["a", "x" * 40, "_" * 40, "-" * 40, "a_" * 20, "-a" * 20, "Ab-_9" * 8, "a" * 17 + "_b", "0"]
    for environment in (LONG_ENVIRONMENT_ID, ENVIRONMENT_ID, "e"):
        monkeypatch.setenv("ENVIRONMENT_ID", environment)
        for batch_id in batch_ids:
            name = handler.job_name(batch_id, handler.run_of(f"inference/batch/input/{batch_id}.ready", {}))
            assert len(name) <= 63, name
            assert name.startswith(f"{environment}-"), name
            assert all(pattern.fullmatch(name) for pattern in _name_patterns()), name


def test_distinct_batches_get_distinct_job_names(handler: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batch ids whose name parts coincide (``_`` for ``-``, cut at the same length) differ in their run."""
    monkeypatch.setenv("ENVIRONMENT_ID", LONG_ENVIRONMENT_ID)
    batch_ids = ["a_b", "a-b", "a__b", "x" * 17 + "1", "x" * 17 + "2", "x" * 40, "_", "-"]
    names = [
        handler.job_name(batch_id, handler.run_of(f"inference/batch/input/{batch_id}.ready", {"VersionId": "v1"}))
        for batch_id in batch_ids
    ]
    assert len(set(names)) == len(batch_ids)
    assert {name.rsplit("-", 1)[0] for name in names[:3]} == {f"{LONG_ENVIRONMENT_ID}-a-b"}


def test_a_run_is_one_version_of_the_marker(handler: ModuleType) -> None:
    first = handler.run_of(MARKER, {"VersionId": "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", "ETag": '"e1"'})
    assert first == run_of(MARKER, "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
    assert re.fullmatch(r"[0-9a-f]{8}", first)
    assert handler.run_of(MARKER, {"VersionId": "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", "ETag": '"e2"'}) == first
    assert handler.run_of(MARKER, {"VersionId": "other"}) != first
    assert handler.run_of("inference/batch/input/b2.ready", {"VersionId": "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"}) != first


@pytest.mark.parametrize("version", [None, "null"])
def test_without_versions_a_run_is_the_etag_and_time(handler: ModuleType, version: str | None) -> None:
    """An unversioned bucket returns no VersionId; a suspended one returns ``null`` for every write."""
    written = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    head: dict[str, Any] = {"ETag": '"e1"', "LastModified": written} | ({"VersionId": version} if version else {})
    run = handler.run_of(MARKER, head)
    assert run == run_of(MARKER, '"e1"#2025-03-01T12:00:00+00:00')
    assert handler.run_of(MARKER, head | {"ETag": '"e2"'}) != run
    assert handler.run_of(MARKER, head | {"LastModified": datetime(2025, 3, 1, 12, 1, tzinfo=UTC)}) != run


@pytest.mark.parametrize(
    ("key", "batch_id"),
    [
        ("inference/batch/input/b1.ready", "b1"),
        ("inference/batch/input/Team_7-x.ready", "Team_7-x"),
        ("inference/batch/input/" + "a" * 40 + ".ready", "a" * 40),
        ("inference/batch/input/b1/part.ready", None),
        ("inference/batch/input/b1/", None),
        ("inference/batch/input/b1.jsonl", None),
        ("inference/batch/input/b1.ready/x", None),
        ("inference/batch/output/b1.ready", None),
        ("b1.ready", None),
    ],
)
def test_marker_keys(handler: ModuleType, caplog: pytest.LogCaptureFixture, key: str, batch_id: str | None) -> None:
    """Files in batch folders and other keys are no markers: ignored without a word."""
    assert handler.batch_id_of(key) == batch_id
    assert caplog.messages == []


@pytest.mark.parametrize("name", ["", "a" * 41, "has space", "dot.ted", "ünï", "a+b", "a:b"])
def test_markers_without_a_valid_batch_id_are_ignored_and_logged(
    handler: ModuleType, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    key = f"inference/batch/input/{name}.ready"
    assert handler.batch_id_of(key) is None
    assert caplog.messages == [f"ignored {key}: a batch id is 1-40 letters, digits, '-' and '_'"]


def test_module_constants(handler: ModuleType) -> None:
    assert (handler.EVENT_NAMESPACE, handler.MARKER_SUFFIX, handler.INPUT_PREFIX, handler.OUTPUT_PREFIX) == (
        "GenAISandbox/BatchInference",
        ".ready",
        "inference/batch/input/",
        "inference/batch/output/",
    )


# ---- SageMaker launch ------------------------------------------------------------------------------------------


def test_sagemaker_launch_sends_every_parameter_and_records_the_job(
    handler: ModuleType,
    aws: Aws,
    sagemaker: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = put_marker(aws)
    put_input(aws, "rows.csv", b"1,2\n3,4\n")
    expect_transform(sagemaker, run)
    assert run_launch(handler, monkeypatch, marker_record()) == []
    assert aws.status() == submitted(run)
    assert aws.written() == [STATUS_KEY]
    assert_nothing_announced(aws, capsys)


@pytest.mark.parametrize(
    ("environment", "changes"),
    [
        ({"VOLUME_KEY_ARN": ""}, {"TransformResources": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2}}),
        ({"BATCH_STRATEGY": ""}, {"BatchStrategy": None}),
        ({"MAX_CONCURRENT_TRANSFORMS": "0"}, {"MaxConcurrentTransforms": None}),
        (
            {
                "INSTANCE_TYPE": "ml.g5.xlarge",
                "INSTANCE_COUNT": "1",
                "MAX_PAYLOAD_MB": "0",
                "BATCH_STRATEGY": "SingleRecord",
            },
            {
                "TransformResources": {
                    "InstanceType": "ml.g5.xlarge",
                    "InstanceCount": 1,
                    "VolumeKmsKeyId": VOLUME_KEY_ARN,
                },
                "MaxPayloadInMB": 0,
                "BatchStrategy": "SingleRecord",
            },
        ),
        (
            {"CONTENT_TYPE": "application/jsonlines", "SPLIT_TYPE": "None", "ACCEPT": "application/json"},
            {
                "TransformInput": transform_request("x")["TransformInput"]
                | {"ContentType": "application/jsonlines", "SplitType": "None"},
                "TransformOutput": transform_request("x")["TransformOutput"] | {"Accept": "application/json"},
            },
        ),
        (
            {"ASSEMBLE_WITH": "None"},
            {"TransformOutput": transform_request("x")["TransformOutput"] | {"AssembleWith": "None"}},
        ),
    ],
)
def test_sagemaker_optional_and_configured_parameters(
    *,
    handler: ModuleType,
    aws: Aws,
    sagemaker: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    changes: dict[str, Any],
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    run = put_marker(aws)
    put_input(aws, "rows.csv", b"1,2\n")
    if "TransformOutput" in changes:  # the templates above were built for run "x"
        changes["TransformOutput"] = changes["TransformOutput"] | {
            "S3OutputPath": f"s3://{BUCKET}/inference/batch/output/b1/{run}/"
        }
    expect_transform(sagemaker, run, **changes)
    assert run_launch(handler, monkeypatch, marker_record()) == []
    assert aws.status() == submitted(run)


@pytest.mark.parametrize("files", [[], ["inference/batch/input/b1/"], ["inference/batch/input/b10/rows.csv"]])
def test_a_sagemaker_batch_without_input_files_fails_at_once(
    *,
    handler: ModuleType,
    aws: Aws,
    sagemaker: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    files: list[str],
) -> None:
    """A folder marker is no input, nor is a file of a batch whose id only starts alike."""
    for key in files:
        aws.s3.put_object(Bucket=BUCKET, Key=key, Body=b"1\n" if not key.endswith("/") else b"")
    run = put_marker(aws)
    assert run_launch(handler, monkeypatch, marker_record()) == []  # no transform call: none is stubbed
    status = failed(run, "InvalidRequest", f"no input files under s3://{BUCKET}/inference/batch/input/b1/")
    assert aws.status() == status
    assert_announced(aws, capsys, status)


# ---- Bedrock launch --------------------------------------------------------------------------------------------


def test_bedrock_launch_sends_every_parameter_and_records_the_job(
    handler: ModuleType,
    aws: Aws,
    bedrock: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = put_marker(aws)
    put_records(aws, 3)
    expect_bedrock_job(bedrock, run)
    assert run_launch(handler, monkeypatch, marker_record()) == []
    assert aws.status() == submitted(run, "Bedrock")
    assert_nothing_announced(aws, capsys)


@pytest.mark.parametrize("invocation_type", ["InvokeModel", "Converse"])
def test_bedrock_invocation_type_and_timeout_come_from_the_environment(
    handler: ModuleType, aws: Aws, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch, invocation_type: str
) -> None:
    monkeypatch.setenv("INVOCATION_TYPE", invocation_type)
    monkeypatch.setenv("TIMEOUT_HOURS", "168")
    run = put_marker(aws)
    put_records(aws, 3)
    request = bedrock_request(run) | {"modelInvocationType": invocation_type, "timeoutDurationInHours": 168}
    bedrock.add_response("create_model_invocation_job", {"jobArn": BEDROCK_ARN}, request)
    assert run_launch(handler, monkeypatch, marker_record()) == []
    assert aws.status()["status"] == "Submitted"


def test_too_few_records_fail_at_once_without_a_job(
    handler: ModuleType,
    aws: Aws,
    bedrock: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Blank lines are no records; the count is over every file."""
    monkeypatch.setenv("MIN_RECORDS", "100")
    run = put_marker(aws)
    put_input(aws, "a.jsonl", RECORD_LINE * 60 + b"\n   \n")
    put_input(aws, "b.jsonl", b"\n" + RECORD_LINE * 39)
    assert run_launch(handler, monkeypatch, marker_record()) == []  # no job call: none is stubbed
    status = failed(
        run,
        "TooFewRecords",
        f"the batch has 99 records; {MODEL_ID} takes at least 100 records in a batch inference job",
        "Bedrock",
    )
    assert aws.status() == status
    assert_announced(aws, capsys, status)


def test_exactly_the_minimum_is_launched(
    handler: ModuleType, aws: Aws, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = put_marker(aws)
    put_records(aws, 2, "a.jsonl")
    put_input(aws, "b.jsonl", RECORD_LINE.rstrip(b"\n"))  # the last line needs no newline
    expect_bedrock_job(bedrock, run)
    assert run_launch(handler, monkeypatch, marker_record()) == []
    assert aws.status() == submitted(run, "Bedrock")


def test_counting_stops_at_the_minimum(
    handler: ModuleType, aws: Aws, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first file holds enough records: its rest and the second file are not read."""
    run = put_marker(aws)
    put_records(aws, 50_000, "a.jsonl")
    put_records(aws, 5, "b.jsonl")
    bodies: list[tuple[str, Any]] = []

    def remember(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        bodies.append((model.name, parsed.get("Body")))

    aws.s3.meta.events.register("after-call.s3.GetObject", remember)
    try:
        expect_bedrock_job(bedrock, run)
        assert run_launch(handler, monkeypatch, marker_record()) == []
    finally:
        aws.s3.meta.events.unregister("after-call.s3.GetObject", remember)
    read = [body for name, body in bodies if name == "GetObject" and body is not None]
    # the status record (absent: no body) and a.jsonl only
    assert len(read) == 1
    assert read[0]._amount_read < len(RECORD_LINE) * 50_000 // 10
    assert aws.status()["status"] == "Submitted"


@pytest.mark.parametrize(
    ("files", "listed"),
    [
        (["notes.txt"], "notes.txt"),
        (["a.jsonl", "sub/b.json", "c.JSONL"], "c.JSONL, sub/b.json"),
        ([f"f{index}.csv" for index in range(7)] + ["a.jsonl"], "f0.csv, f1.csv, f2.csv, f3.csv, f4.csv and 2 more"),
    ],
)
def test_bedrock_refuses_a_batch_with_other_files(
    *,
    handler: ModuleType,
    aws: Aws,
    bedrock: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    files: list[str],
    listed: str,
) -> None:
    run = put_marker(aws)
    for name in files:
        put_records(aws, 3, name)
    assert run_launch(handler, monkeypatch, marker_record()) == []
    message = (
        f"Bedrock reads every object under s3://{BUCKET}/inference/batch/input/b1/: only .jsonl files may be "
        f"there, not {listed}"
    )
    assert aws.status() == failed(run, "InvalidRequest", message, "Bedrock")


def test_a_bedrock_batch_without_files_fails_at_once(
    handler: ModuleType,
    aws: Aws,
    bedrock: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key="inference/batch/input/b1/", Body=b"")
    run = put_marker(aws)
    assert run_launch(handler, monkeypatch, marker_record()) == []
    status = failed(run, "InvalidRequest", f"no input files under s3://{BUCKET}/inference/batch/input/b1/", "Bedrock")
    assert aws.status() == status
    assert_announced(aws, capsys, status)


# ---- jobs that exist already -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "code", "message"),
    [
        (
            "SageMaker",
            "ResourceInUse",
            "Job name must be unique within an AWS account and region, and a job with this name already exists",
        ),
        (
            "SageMaker",
            "ValidationException",
            "Job name must be unique within an AWS account and region, and a job with this name already exists "
            f"({TRANSFORM_ARN})",
        ),
        ("Bedrock", "ConflictException", "The request conflicts with another job"),
        ("Bedrock", "ValidationException", "The provided job name is currently in use."),
        ("Bedrock", "ValidationException", "A job with this name already exists"),
    ],
)
def test_a_job_that_exists_already_counts_as_started(
    *,
    handler: ModuleType,
    aws: Aws,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    source: str,
    code: str,
    message: str,
) -> None:
    monkeypatch.setenv("MODEL_SOURCE", source)
    stubber = _stub(handler, "bedrock" if source == "Bedrock" else "sagemaker")
    run = put_marker(aws)
    put_records(aws, 3)
    operation = "create_model_invocation_job" if source == "Bedrock" else "create_transform_job"
    expected = bedrock_request(run) if source == "Bedrock" else transform_request(run)
    stubber.add_client_error(operation, code, message, 400, expected_params=expected)
    assert run_launch(handler, monkeypatch, marker_record()) == []
    stubber.assert_no_pending_responses()
    status = submitted(run, source)
    del status["jobArn"]
    assert aws.status() == status
    assert_nothing_announced(aws, capsys)


@pytest.mark.parametrize(
    ("source", "code", "message"),
    [
        ("Bedrock", "ValidationException", "timeoutDurationInHours must be at least 24"),
        ("Bedrock", "AccessDeniedException", "not authorized to perform bedrock:CreateModelInvocationJob"),
        ("SageMaker", "ResourceNotFound", f"Could not find model {MODEL_NAME}"),
        ("SageMaker", "ValidationException", "The instance type is not supported"),
    ],
)
def test_other_refusals_fail_at_once(
    *,
    handler: ModuleType,
    aws: Aws,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    source: str,
    code: str,
    message: str,
) -> None:
    monkeypatch.setenv("MODEL_SOURCE", source)
    stubber = _stub(handler, "bedrock" if source == "Bedrock" else "sagemaker")
    run = put_marker(aws)
    put_records(aws, 3)
    operation = "create_model_invocation_job" if source == "Bedrock" else "create_transform_job"
    stubber.add_client_error(operation, code, message, 400)
    assert run_launch(handler, monkeypatch, marker_record()) == []  # not retried
    status = failed(run, code, f"{code}: {message}", source)
    assert aws.status() == status
    assert_announced(aws, capsys, status)


# ---- repeated deliveries and re-runs ---------------------------------------------------------------------------


def test_a_repeated_delivery_of_the_same_run_is_skipped(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = put_marker(aws)
    put_input(aws, "rows.csv", b"1\n")
    expect_transform(sagemaker, run)  # once only
    assert run_launch(handler, monkeypatch, marker_record()) == []
    first = aws.status()
    assert run_launch(handler, monkeypatch, marker_record(receive_count=2)) == []
    assert aws.status() == first


@pytest.mark.parametrize("previous", ["Submitted", "InProgress", "Completed", "Failed", "Stopped"])
def test_a_run_that_was_started_or_finished_is_not_started_again(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, monkeypatch: pytest.MonkeyPatch, previous: str
) -> None:
    run = put_marker(aws)
    put_input(aws, "rows.csv", b"1\n")
    recorded = submitted(run) | {"status": previous}
    put_status(aws, recorded)
    assert run_launch(handler, monkeypatch, marker_record()) == []
    assert aws.status() == recorded


def test_writing_the_marker_again_starts_a_new_run(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = put_marker(aws)
    put_input(aws, "rows.csv", b"1\n")
    expect_transform(sagemaker, first)
    assert run_launch(handler, monkeypatch, marker_record()) == []
    put_status(aws, aws.status() | {"status": "Completed"})
    second = put_marker(aws)
    assert second != first
    expect_transform(sagemaker, second)
    assert run_launch(handler, monkeypatch, marker_record(message_id="msg-2")) == []
    assert aws.status() == submitted(second)


def test_a_retrying_run_is_started_over_its_record(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, visibility: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = put_marker(aws)
    put_input(aws, "rows.csv", b"1\n")
    sagemaker.add_client_error("create_transform_job", "ThrottlingException", "Rate exceeded", 400)
    visibility.add_response("change_message_visibility", {})
    assert run_launch(handler, monkeypatch, marker_record()) == ["msg-1"]
    assert aws.status()["status"] == "Retrying"
    expect_transform(sagemaker, run)
    assert run_launch(handler, monkeypatch, marker_record(receive_count=2)) == []
    assert aws.status() == submitted(run, attempts=2)


@pytest.mark.parametrize(
    "key",
    [
        "inference/batch/input/b1/rows.csv",
        "inference/batch/input/b1/nested.ready",
        "inference/batch/input/bad id.ready",
        "inference/batch/output/b1/status.json",
        "inference/async/input/x.ready",
    ],
)
def test_events_for_other_objects_are_ignored(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    assert run_launch(handler, monkeypatch, marker_record(key)) == []
    assert aws.written() == []


@pytest.mark.parametrize(
    "body",
    ["not json", "[1, 2]", "null", json.dumps({"scan": "yes"}), json.dumps({"detail": {"bucket": {"name": BUCKET}}})],
)
def test_a_message_that_is_neither_an_event_nor_a_scan_is_left_for_the_dead_letter_queue(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    assert run_launch(handler, monkeypatch, raw_record(body, message_id="poison")) == ["poison"]
    assert aws.written() == []
    assert aws.published() == []


def test_a_marker_deleted_before_it_was_served_fails_as_input_not_found(
    handler: ModuleType,
    aws: Aws,
    sagemaker: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_launch(handler, monkeypatch, marker_record()) == []
    status = failed(None, "InputNotFound", f"the ready-marker {MARKER} no longer exists")
    assert aws.status() == status
    assert_announced(aws, capsys, status)


# ---- the scheduled scan ----------------------------------------------------------------------------------------


def test_the_scan_starts_only_markers_not_yet_started(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a: started (skipped); b: its record is of an older run; c: no record; plus markers that are no batches."""
    runs = {batch_id: put_marker(aws, batch_id) for batch_id in ("a", "b", "c")}
    for batch_id in runs:
        put_input(aws, "rows.csv", b"1\n", batch_id)
    put_status(aws, submitted(runs["a"], batch_id="a") | {"status": "InProgress"}, "a")
    put_status(aws, submitted("00000000", batch_id="b") | {"status": "Completed"}, "b")
    aws.s3.put_object(Bucket=BUCKET, Key="inference/batch/input/bad id.ready", Body=b"")
    aws.s3.put_object(Bucket=BUCKET, Key="inference/batch/input/a/nested.ready", Body=b"")
    expect_transform(sagemaker, runs["b"], "b")
    expect_transform(sagemaker, runs["c"], "c")
    assert run_launch(handler, monkeypatch, scan_record()) == []
    assert aws.status("a")["status"] == "InProgress"
    assert aws.status("b") == submitted(runs["b"], batch_id="b")
    assert aws.status("c") == submitted(runs["c"], batch_id="c")


def test_the_scan_reads_every_page_of_markers(handler: ModuleType) -> None:
    page = {"Bucket": BUCKET, "Prefix": "inference/batch/input/", "Delimiter": "/"}
    s3 = _stub(handler, "s3")
    s3.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": "inference/batch/input/a.ready"}], "IsTruncated": True, "NextContinuationToken": "t"},
        page,
    )
    s3.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": "inference/batch/input/b.ready"}], "IsTruncated": False},
        page | {"ContinuationToken": "t"},
    )
    assert handler.list_markers(BUCKET) == ["inference/batch/input/a.ready", "inference/batch/input/b.ready"]
    s3.assert_no_pending_responses()


def test_one_markers_failure_does_not_stop_the_scan(
    handler: ModuleType,
    aws: Aws,
    sagemaker: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runs = {batch_id: put_marker(aws, batch_id) for batch_id in ("a", "b")}
    put_input(aws, "rows.csv", b"1\n", "b")  # a has no input
    expect_transform(sagemaker, runs["b"], "b")
    assert run_launch(handler, monkeypatch, scan_record()) == []  # nothing to retry
    message = f"no input files under s3://{BUCKET}/inference/batch/input/a/"
    status = failed(runs["a"], "InvalidRequest", message, batch_id="a")
    assert aws.status("a") == status
    assert aws.status("b") == submitted(runs["b"], batch_id="b")
    assert_announced(aws, capsys, status)


def test_a_retryable_failure_in_the_scan_retries_the_scan_message(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, visibility: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = {batch_id: put_marker(aws, batch_id) for batch_id in ("a", "b")}
    for batch_id in runs:
        put_input(aws, "rows.csv", b"1\n", batch_id)
    sagemaker.add_client_error("create_transform_job", "ThrottlingException", "Rate exceeded", 400)
    expect_transform(sagemaker, runs["b"], "b")
    visibility.add_response(
        "change_message_visibility",
        {},
        {"QueueUrl": QUEUE_URL, "ReceiptHandle": "handle-scan-1", "VisibilityTimeout": 60},
    )
    assert run_launch(handler, monkeypatch, scan_record()) == ["scan-1"]
    visibility.assert_no_pending_responses()
    assert aws.status("a")["status"] == "Retrying"
    assert aws.status("b")["status"] == "Submitted"
    expect_transform(sagemaker, runs["a"], "a")  # the scan comes back: a is started, b is skipped
    assert run_launch(handler, monkeypatch, scan_record(receive_count=2)) == []
    assert aws.status("a") == submitted(runs["a"], batch_id="a", attempts=2)


def test_a_scan_whose_listing_fails_is_retried(handler: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = _stub(handler, "s3")
    s3.add_client_error("list_objects_v2", "SlowDown", "Please reduce your request rate.", 503)
    assert run_launch(handler, monkeypatch, scan_record()) == ["scan-1"]
    s3.assert_no_pending_responses()


# ---- throttling and the dead-letter path -----------------------------------------------------------------------


@pytest.mark.parametrize("attempt", [1, 2])
def test_throttling_before_the_last_attempt_retries_after_a_growing_delay(
    *,
    handler: ModuleType,
    aws: Aws,
    bedrock: Stubber,
    visibility: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    attempt: int,
) -> None:
    run = put_marker(aws)
    put_records(aws, 3)
    bedrock.add_client_error("create_model_invocation_job", "ThrottlingException", "Too many requests", 429)
    visibility.add_response(
        "change_message_visibility",
        {},
        {"QueueUrl": QUEUE_URL, "ReceiptHandle": "handle-msg-1", "VisibilityTimeout": 60 * attempt},
    )
    assert run_launch(handler, monkeypatch, marker_record(receive_count=attempt)) == ["msg-1"]
    visibility.assert_no_pending_responses()  # delay() swallows a mismatch: the expected call must have been made
    status = submitted(run, "Bedrock", attempts=attempt)
    del status["jobArn"]
    assert aws.status() == status | {
        "status": "Retrying",
        "error": {"code": "ThrottlingException", "message": "ThrottlingException: Too many requests"},
    }
    assert_nothing_announced(aws, capsys)


def test_throttling_at_the_last_attempt_fails_the_batch_and_leaves_the_message_to_the_dead_letter_queue(
    *,
    handler: ModuleType,
    aws: Aws,
    bedrock: Stubber,
    visibility: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = put_marker(aws)
    put_records(aws, 3)
    bedrock.add_client_error("create_model_invocation_job", "ThrottlingException", "Too many requests", 429)
    assert run_launch(handler, monkeypatch, marker_record(receive_count=3)) == ["msg-1"]  # no visibility call queued
    status = failed(
        run, "ThrottlingException", "ThrottlingException: Too many requests (after 3 attempts)", "Bedrock", attempts=3
    )
    assert aws.status() == status
    assert_announced(aws, capsys, status)


@pytest.mark.parametrize(
    ("code", "status_code"),
    [("ServiceQuotaExceededException", 400), ("InternalServerException", 500), ("ServiceUnavailableException", 503)],
)
def test_quotas_and_server_errors_are_retried(
    *,
    handler: ModuleType,
    aws: Aws,
    bedrock: Stubber,
    visibility: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    code: str,
    status_code: int,
) -> None:
    put_marker(aws)
    put_records(aws, 3)
    bedrock.add_client_error("create_model_invocation_job", code, "try later", status_code)
    visibility.add_response("change_message_visibility", {})
    assert run_launch(handler, monkeypatch, marker_record()) == ["msg-1"]
    assert aws.status()["error"] == {"code": code, "message": f"{code}: try later"}


def test_a_failed_visibility_change_still_retries_the_message(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, visibility: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_marker(aws)
    put_input(aws, "rows.csv", b"1\n")
    sagemaker.add_client_error("create_transform_job", "ResourceLimitExceeded", "too many transform jobs", 400)
    visibility.add_client_error("change_message_visibility", "AccessDenied", "no", 403)
    assert run_launch(handler, monkeypatch, marker_record()) == ["msg-1"]
    assert aws.status()["status"] == "Retrying"


def test_retryable_codes_are_real_codes_of_the_services(handler: ModuleType) -> None:
    """A misspelt code would make a passing error fail a batch at once."""
    session = botocore.session.get_session()
    known = {
        shape.metadata.get("error", {}).get("code", shape.name)
        for service in ("sagemaker", "bedrock", "s3", "sns")
        for shape in session.get_service_model(service).error_shapes
    }
    # the common errors of JSON services and S3's throttling and timeout codes: documented, not modelled
    assert set(handler.RETRYABLE) - known == {"InternalFailure", "ServiceUnavailable", "SlowDown", "RequestTimeout"}


# ---- track: SageMaker ------------------------------------------------------------------------------------------


def transform_event(
    status: str, run: str, *, name: str | None = None, reason: str | None = None, end: Any = LATER_MS
) -> dict[str, Any]:
    """What EventBridge delivers when a transform job changes state (``end`` None: no end time)."""
    job = name or job_of(BATCH, run)
    detail: dict[str, Any] = {
        "TransformJobName": job,
        "TransformJobArn": TRANSFORM_ARN,
        "TransformJobStatus": status,
        "ModelName": MODEL_NAME,
        "MaxConcurrentTransforms": 4,
        "MaxPayloadInMB": 6,
        "BatchStrategy": "MultiRecord",
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/inference/batch/input/b1/"}
            },
            "ContentType": "text/csv",
            "CompressionType": "None",
            "SplitType": "Line",
        },
        "TransformOutput": {"S3OutputPath": f"s3://{BUCKET}/inference/batch/output/b1/{run}/", "KmsKeyId": KEY_ARN},
        "TransformResources": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2},
        "CreationTime": CREATED_MS,
        "TransformStartTime": CREATED_MS + 60_000,
    }
    if reason is not None:
        detail["FailureReason"] = reason
    if end is not None and status in ("Completed", "Failed", "Stopped"):
        detail["TransformEndTime"] = end
    return {
        "version": "0",
        "id": "5f8a3b2e-1c9d-4e7f-8a6b-0d1e2f3a4b5c",
        "detail-type": "SageMaker Transform Job State Change",
        "source": "aws.sagemaker",
        "account": ACCOUNT,
        "time": "2025-03-01T12:30:03Z",
        "region": REGION,
        "resources": [TRANSFORM_ARN],
        "detail": detail,
    }


@pytest.mark.parametrize(
    ("state", "reason", "final"),
    [
        ("InProgress", None, {}),
        ("Stopping", None, {}),
        ("Completed", None, {"completedAt": LATER, "durationMs": 1_800_000}),
        (
            "Failed",
            "ClientError: See job logs for more information",
            {
                "completedAt": LATER,
                "durationMs": 1_800_000,
                "error": {"code": "Failed", "message": "ClientError: See job logs for more information"},
            },
        ),
        (
            "Stopped",
            None,
            {
                "completedAt": LATER,
                "durationMs": 1_800_000,
                "error": {"code": "Stopped", "message": "the job was stopped"},
            },
        ),
    ],
)
def test_sagemaker_events_update_the_record(
    *,
    handler: ModuleType,
    aws: Aws,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    state: str,
    reason: str | None,
    final: dict[str, Any],
) -> None:
    run = put_marker(aws)
    put_status(aws, submitted(run))
    run_track(handler, monkeypatch, transform_event(state, run, reason=reason))
    status = submitted(run) | {"status": state} | final
    assert aws.status() == status
    if final:
        assert_announced(aws, capsys, status)
    else:
        assert_nothing_announced(aws, capsys)


@pytest.mark.parametrize(
    ("end", "completed", "duration"),
    [
        (LATER_MS, LATER, 1_800_000),
        (str(LATER_MS), LATER, 1_800_000),
        ("2025-03-01T12:30:03.500Z", LATER, 1_800_000),
        ("2025-03-01T12:30:03.5+00:00", LATER, 1_800_000),
        (None, NOW, 0),
        ("not a time", NOW, 0),
    ],
)
def test_end_times_as_epoch_milliseconds_iso_or_absent(
    *,
    handler: ModuleType,
    aws: Aws,
    monkeypatch: pytest.MonkeyPatch,
    end: Any,
    completed: str,
    duration: int,
) -> None:
    run = put_marker(aws)
    put_status(aws, submitted(run))
    run_track(handler, monkeypatch, transform_event("Completed", run, end=end))
    status = aws.status()
    assert (status["completedAt"], status["durationMs"]) == (completed, duration)


def test_an_event_without_a_record_makes_one(handler: ModuleType, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """The record was lost (or the job was created by hand with the environment's naming)."""
    run = "0123abcd"
    run_track(handler, monkeypatch, transform_event("Completed", run))
    assert aws.status() == {
        "batchId": BATCH,
        "run": run,
        "jobName": job_of(BATCH, run),
        "jobArn": TRANSFORM_ARN,
        "status": "Completed",
        "modelSource": "SageMaker",
        "model": MODEL_NAME,
        "outputPrefix": f"inference/batch/output/b1/{run}/",
        "submittedAt": "2025-03-01T12:00:00.000Z",
        "updatedAt": NOW,
        "completedAt": LATER,
        "durationMs": 1_803_500,
    }


# ---- track: Bedrock --------------------------------------------------------------------------------------------


def bedrock_event(status: str, run: str, *, name: str | None = None) -> dict[str, Any]:
    """What EventBridge delivers when a batch inference job changes state."""
    return {
        "version": "0",
        "id": "c1a2b3c4-d5e6-7f80-9101-112131415161",
        "detail-type": "Batch Inference Job State Change",
        "source": "aws.bedrock",
        "account": ACCOUNT,
        "time": "2025-03-01T12:30:03Z",
        "region": REGION,
        "resources": [BEDROCK_ARN],
        "detail": {
            "version": "0.0",
            "accountId": ACCOUNT,
            "batchJobName": name or job_of(BATCH, run),
            "batchJobArn": BEDROCK_ARN,
            "batchModelId": MODEL_ID,
            "status": status,
            "failureMessage": "",
        },
    }


def expect_get_job(bedrock: Stubber, status: str, run: str, **extra: Any) -> None:
    """Queue the GetModelInvocationJob call ``track`` makes for every Bedrock event."""
    response = {
        "jobArn": BEDROCK_ARN,
        "jobName": job_of(BATCH, run),
        "modelId": MODEL_ID,
        "roleArn": ROLE_ARN,
        "status": status,
        "submitTime": datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
        "inputDataConfig": {"s3InputDataConfig": {"s3Uri": f"s3://{BUCKET}/inference/batch/input/b1/"}},
        "outputDataConfig": {
            "s3OutputDataConfig": {
                "s3Uri": f"s3://{BUCKET}/inference/batch/output/b1/{run}/",
                "s3EncryptionKeyId": KEY_ARN,
            }
        },
        "timeoutDurationInHours": 48,
    } | extra
    bedrock.add_response("get_model_invocation_job", response, {"jobIdentifier": BEDROCK_ARN})


ENDED = {"endTime": datetime(2025, 3, 1, 12, 30, 3, 500_000, tzinfo=UTC)}
FINISHED = {"completedAt": LATER, "durationMs": 1_800_000}


@pytest.mark.parametrize(
    ("state", "extra", "final"),
    [
        ("Submitted", {}, {}),
        ("Validating", {}, {}),
        ("Scheduled", {}, {}),
        ("InProgress", {"totalRecordCount": 3, "processedRecordCount": 1}, {}),
        ("Stopping", {}, {}),
        ("Completed", ENDED | {"totalRecordCount": 3, "successRecordCount": 3, "errorRecordCount": 0}, FINISHED),
        (
            "PartiallyCompleted",
            ENDED | {"totalRecordCount": 3, "successRecordCount": 2, "errorRecordCount": 1},
            FINISHED
            | {
                "error": {
                    "code": "PartiallyCompleted",
                    "message": f"1 of 3 records failed; see s3://{BUCKET}/inference/batch/output/b1/RUN/"
                    f"{BEDROCK_JOB_ID}/manifest.json.out",
                }
            },
        ),
        (
            "PartiallyCompleted",
            ENDED,
            FINISHED
            | {
                "error": {
                    "code": "PartiallyCompleted",
                    "message": f"some records failed; see s3://{BUCKET}/inference/batch/output/b1/RUN/"
                    f"{BEDROCK_JOB_ID}/manifest.json.out",
                }
            },
        ),
        (
            "Failed",
            ENDED | {"message": "The input file contains malformed records"},
            FINISHED | {"error": {"code": "Failed", "message": "The input file contains malformed records"}},
        ),
        ("Failed", ENDED, FINISHED | {"error": {"code": "Failed", "message": "no reason given"}}),
        ("Stopped", ENDED, FINISHED | {"error": {"code": "Stopped", "message": "the job was stopped"}}),
        (
            "Expired",
            ENDED | {"message": "Job expired after 48 hours"},
            FINISHED | {"error": {"code": "Expired", "message": "Job expired after 48 hours"}},
        ),
        (
            "Expired",
            {},
            {"completedAt": NOW, "durationMs": 0}
            | {"error": {"code": "Expired", "message": "the job did not finish within its timeout"}},
        ),
    ],
)
def test_bedrock_events_update_the_record(
    *,
    handler: ModuleType,
    aws: Aws,
    bedrock: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    state: str,
    extra: dict[str, Any],
    final: dict[str, Any],
) -> None:
    run = put_marker(aws)
    put_status(aws, submitted(run, "Bedrock"))
    expect_get_job(bedrock, state, run, **extra)
    run_track(handler, monkeypatch, bedrock_event(state, run))
    if "error" in final:
        final = final | {"error": final["error"] | {"message": final["error"]["message"].replace("RUN", run)}}
    status = submitted(run, "Bedrock") | {"status": state} | final
    assert aws.status() == status
    if final:
        assert_announced(aws, capsys, status)
    else:
        assert_nothing_announced(aws, capsys)


def test_an_unknown_state_is_recorded_as_it_comes(
    handler: ModuleType,
    aws: Aws,
    bedrock: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = put_marker(aws)
    put_status(aws, submitted(run, "Bedrock"))
    expect_get_job(bedrock, "InProgress", run)
    run_track(handler, monkeypatch, bedrock_event("Paused", run))
    assert aws.status() == submitted(run, "Bedrock") | {"status": "Paused"}
    assert_nothing_announced(aws, capsys)


# ---- track: what it ignores and keeps --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["other-env-b1-0123abcd", "env-12345-b1-0123abcd", "env-1234", ""])
@pytest.mark.parametrize("source", ["aws.sagemaker", "aws.bedrock"])
def test_events_of_other_environments_are_ignored(
    *,
    handler: ModuleType,
    aws: Aws,
    bedrock: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    source: str,
) -> None:
    """Without a GetModelInvocationJob call (none is stubbed) and without a write."""
    event = transform_event("Completed", "0123abcd") if source == "aws.sagemaker" else bedrock_event("Completed", "x")
    event["detail"]["TransformJobName" if source == "aws.sagemaker" else "batchJobName"] = name
    run_track(handler, monkeypatch, event)
    assert aws.written() == []
    assert_nothing_announced(aws, capsys)


@pytest.mark.parametrize(
    "output",
    [
        "s3://other-bucket/inference/batch/output/b1/0123abcd/",
        f"s3://{BUCKET}-x/inference/batch/output/b1/0123abcd/",
        f"s3://{BUCKET}/inference/async/output/b1/0123abcd/",
        f"s3://{BUCKET}/inference/batch/output/b1/not-a-run/",
        f"s3://{BUCKET}/inference/batch/output/b1/0123abcd/deeper/",
        "",
    ],
)
def test_jobs_writing_elsewhere_are_ignored(
    handler: ModuleType, aws: Aws, monkeypatch: pytest.MonkeyPatch, output: str
) -> None:
    event = transform_event("Completed", "0123abcd")
    event["detail"]["TransformOutput"]["S3OutputPath"] = output
    run_track(handler, monkeypatch, event)
    assert aws.written() == []


def test_an_older_runs_event_does_not_overwrite_the_newer_runs_record(
    handler: ModuleType,
    aws: Aws,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The marker was written again while the first run's job still ran: the record is the new run's. The old job's
    end is still announced (its output is in its own folder)."""
    old = put_marker(aws)
    new = put_marker(aws)
    put_status(aws, submitted(new))
    run_track(handler, monkeypatch, transform_event("InProgress", old))
    run_track(handler, monkeypatch, transform_event("Completed", old))
    assert aws.status() == submitted(new)
    announced = {
        "batchId": BATCH,
        "run": old,
        "jobName": job_of(BATCH, old),
        "jobArn": TRANSFORM_ARN,
        "status": "Completed",
        "modelSource": "SageMaker",
        "model": MODEL_NAME,
        "outputPrefix": f"inference/batch/output/b1/{old}/",
        "submittedAt": "2025-03-01T12:00:00.000Z",
        "updatedAt": NOW,
        "completedAt": LATER,
        "durationMs": 1_803_500,
    }
    assert_announced(aws, capsys, announced)


def test_a_late_event_does_not_take_a_finished_record_back(
    handler: ModuleType, aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = put_marker(aws)
    put_status(aws, submitted(run))
    run_track(handler, monkeypatch, transform_event("Completed", run))
    done = aws.status()
    assert aws.published() != []
    capsys.readouterr()
    run_track(handler, monkeypatch, transform_event("InProgress", run))
    run_track(handler, monkeypatch, transform_event("Completed", run))  # a repeated delivery
    assert aws.status() == done
    assert_nothing_announced(aws, capsys)


def test_a_finished_record_takes_a_different_final_state(
    handler: ModuleType, aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Launch gave up on a job that was created after all (its create call timed out): the job's end wins."""
    run = put_marker(aws)
    put_status(aws, failed(run, "ReadTimeoutError", "timed out (after 3 attempts)"))
    run_track(handler, monkeypatch, transform_event("Completed", run))
    status = aws.status()
    assert (status["status"], "error" in status, status["jobArn"]) == ("Completed", False, TRANSFORM_ARN)
    assert_announced(aws, capsys, status)


def test_a_job_state_recorded_during_the_create_call_is_kept(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SageMaker's first event reaches ``track`` before CreateTransformJob has returned to ``launch``: launch's
    conditional write fails, and it records the start around what ``track`` wrote."""
    run = put_marker(aws)
    put_input(aws, "rows.csv", b"1\n")
    expect_transform(sagemaker, run)

    def track_first(**_: Any) -> None:
        handler.track(transform_event("InProgress", run), CONTEXT)

    sagemaker.client.meta.events.register("after-call.sagemaker.CreateTransformJob", track_first)
    assert run_launch(handler, monkeypatch, marker_record()) == []
    assert aws.status() == submitted(run) | {"status": "InProgress", "submittedAt": "2025-03-01T12:00:00.000Z"}


def test_a_status_record_changed_since_it_was_read_is_not_overwritten_by_track(
    handler: ModuleType, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = put_marker(aws)
    put_status(aws, submitted(run))

    def write_between(**_: Any) -> None:
        put_status(aws, submitted(run) | {"status": "Stopping"})

    aws.s3.meta.events.register("after-call.s3.GetObject", write_between)
    try:
        with pytest.raises(ClientError, match="PreconditionFailed"):
            run_track(handler, monkeypatch, transform_event("InProgress", run))
    finally:
        aws.s3.meta.events.unregister("after-call.s3.GetObject", write_between)
    assert aws.status()["status"] == "Stopping"


# ---- encryption and missing objects ----------------------------------------------------------------------------


def test_everything_written_uses_the_sandbox_key(
    handler: ModuleType, aws: Aws, sagemaker: Stubber, visibility: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retrying (unconditional), Submitted (conditional), tracked and failed records."""
    run = put_marker(aws)
    put_input(aws, "rows.csv", b"1\n")
    keys = ["inference/batch/output/b1/status.json", "inference/batch/output/b2/status.json"]

    def assert_encrypted() -> None:
        for key in keys:
            versions = aws.s3.list_object_versions(Bucket=BUCKET, Prefix=key).get("Versions", [])
            for version in versions:
                head = aws.s3.head_object(Bucket=BUCKET, Key=key, VersionId=version["VersionId"])
                assert (key, head["ServerSideEncryption"], head["SSEKMSKeyId"]) == (key, "aws:kms", KEY_ARN)

    sagemaker.add_client_error("create_transform_job", "ThrottlingException", "slow down", 400)
    visibility.add_response("change_message_visibility", {})
    run_launch(handler, monkeypatch, marker_record())
    expect_transform(sagemaker, run)
    run_launch(handler, monkeypatch, marker_record(receive_count=2))
    run_track(handler, monkeypatch, transform_event("Completed", run))
    put_marker(aws, "b2")
    run_launch(handler, monkeypatch, marker_record("inference/batch/input/b2.ready"))  # no input: Failed
    assert aws.written() == keys
    assert [aws.status("b1")["status"], aws.status("b2")["status"]] == ["Completed", "Failed"]
    assert len(aws.s3.list_object_versions(Bucket=BUCKET, Prefix=keys[0])["Versions"]) == 3
    assert_encrypted()


def test_a_marker_answered_with_403_and_not_listed_is_input_not_found(handler: ModuleType) -> None:
    """S3 answers 403 instead of 404 when the caller's ListBucket grant does not cover the request (ours carries an
    ``s3:prefix`` condition): listing the key itself tells a missing marker from a real denial."""
    s3 = _stub(handler, "s3")
    s3.add_client_error("head_object", "403", "Forbidden", 403)
    s3.add_response("list_objects_v2", {"KeyCount": 0}, {"Bucket": BUCKET, "Prefix": MARKER, "MaxKeys": 1})
    batch = handler.new_batch(BUCKET, MARKER, 1)
    with pytest.raises(handler.InputNotFoundError):
        handler.identify(batch)
    s3.assert_no_pending_responses()


def test_a_403_for_a_status_record_that_exists_is_a_real_denial(handler: ModuleType) -> None:
    s3 = _stub(handler, "s3")
    s3.add_client_error("get_object", "AccessDenied", "Access Denied", 403)
    s3.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": STATUS_KEY}], "KeyCount": 1},
        {"Bucket": BUCKET, "Prefix": STATUS_KEY, "MaxKeys": 1},
    )
    with pytest.raises(ClientError, match="AccessDenied"):
        handler.read_status(BUCKET, STATUS_KEY)
    s3.assert_no_pending_responses()


@pytest.mark.parametrize(("written", "value"), [("10", 10), ("10.0", 10), ("3600", 3600)])
def test_whole_numbers_are_read_as_cloudformation_passes_them(
    handler: ModuleType, monkeypatch: pytest.MonkeyPatch, written: str, value: int
) -> None:
    """A Number parameter may be written 10.0; it reaches the function as that string."""
    monkeypatch.setenv("SOME_NUMBER", written)
    assert handler.whole("SOME_NUMBER") == value


def test_queue_urls_follow_the_partition(handler: ModuleType) -> None:
    assert (handler.url_suffix("us-east-1"), handler.url_suffix("cn-north-1")) == ("amazonaws.com", "amazonaws.com.cn")
