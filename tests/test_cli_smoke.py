"""``python -m blueprints smoke``: one real request per pattern, its waiting, and its failure paths (moto S3 and
CloudFormation; a fake HTTP opener for the API)."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from typing import Any
from urllib.error import HTTPError

import boto3
import pytest
from moto import mock_aws

from blueprints.cli import CliError
from blueprints.cli import batch as batch_cli
from blueprints.cli import smoke as smoke_cli

BUCKET = "sandbox-bucket"
ASYNC = {
    "RequestUri": f"s3://{BUCKET}/inference/async/input/",
    "ResultUri": f"s3://{BUCKET}/inference/async/output/",
    "ModelInvokeTarget": "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc",
}
BATCH = {
    "BatchInputUri": f"s3://{BUCKET}/inference/batch/input/",
    "BatchOutputUri": f"s3://{BUCKET}/inference/batch/output/",
    "JobService": "Bedrock",
}
API = {"ApiUrl": "https://abc.execute-api.us-east-1.amazonaws.com/v1/invoke", "ModelInvokeTarget": "x"}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    credentials = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in credentials.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        yield s3


def _stack(outputs: dict[str, str]) -> None:
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation").create_stack(StackName="DataZone-Env-env1", TemplateBody=json.dumps(template))


def _args(**given: Any) -> argparse.Namespace:
    defaults = {"environment": "env1", "region": None, "body": None, "records": 3, "poll_seconds": 1}
    return argparse.Namespace(**(defaults | {"timeout_minutes": 1} | given))


def _finish_on_sleep(monkeypatch: pytest.MonkeyPatch, s3: Any, prefix: str, record: dict[str, Any]) -> list[str]:
    """A fake sleep that writes ``record`` as the status record of the one request or batch written so far."""
    slept: list[str] = []

    def fake_sleep(seconds: float) -> None:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
        slept.append(",".join(keys))
        request = next(k for k in keys if k.endswith((".json", ".ready")))
        if request.endswith(".ready"):
            batch_id = request.rsplit("/", 1)[1].removesuffix(".ready")
            status_key = f"inference/batch/output/{batch_id}/status.json"
        else:
            status_key = request.replace("/input/", "/output/").replace(".json", ".status.json")
        s3.put_object(Bucket=BUCKET, Key=status_key, Body=json.dumps(record).encode())

    monkeypatch.setattr(smoke_cli, "sleep", fake_sleep)
    monkeypatch.setattr(batch_cli, "sleep", fake_sleep)
    return slept


def test_async_smoke_writes_a_converse_request_and_waits_for_completion(
    aws: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stack(ASYNC)
    done = {"status": "Completed", "latencyMs": 1200, "outputKey": "inference/async/output/smoke/x.out"}
    slept = _finish_on_sleep(monkeypatch, aws, "inference/async/input/", done)
    assert smoke_cli.smoke(_args()) == 0
    assert len(slept) == 1
    (key,) = [o["Key"] for o in aws.list_objects_v2(Bucket=BUCKET, Prefix="inference/async/input/")["Contents"]]
    document = json.loads(aws.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert document["invocationType"] == "Converse"
    assert "Completed in 1200 ms" in capsys.readouterr().out


def test_async_smoke_fails_with_the_requests_reason(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _stack(ASYNC)
    failed = {"status": "Failed", "error": {"code": "ModelError", "message": "boom"}}
    _finish_on_sleep(monkeypatch, aws, "inference/async/input/", failed)
    with pytest.raises(CliError, match="request Failed: ModelError: boom") as error:
        smoke_cli.smoke(_args())
    assert error.value.exit_code == 1


def test_async_smoke_times_out(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _stack(ASYNC)
    clock = iter(range(0, 10_000, 61))
    monkeypatch.setattr(smoke_cli, "monotonic", lambda: next(clock))
    monkeypatch.setattr(smoke_cli, "sleep", lambda seconds: None)
    with pytest.raises(CliError, match="timed out after 1 min"):
        smoke_cli.smoke(_args())


def test_a_sagemaker_async_environment_needs_a_body(aws: Any) -> None:
    _stack({key: value for key, value in ASYNC.items() if key != "ModelInvokeTarget"})
    with pytest.raises(CliError, match="--body is required for a SageMaker model"):
        smoke_cli.smoke(_args())


def test_batch_smoke_uploads_records_and_a_marker_then_waits(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _stack(BATCH)
    _finish_on_sleep(monkeypatch, aws, "inference/batch/input/", {"status": "Completed", "run": "1a2b3c4d"})
    assert smoke_cli.smoke(_args()) == 0
    keys = sorted(o["Key"] for o in aws.list_objects_v2(Bucket=BUCKET, Prefix="inference/batch/input/")["Contents"])
    assert keys[0].endswith(".ready")
    lines = aws.get_object(Bucket=BUCKET, Key=keys[1])["Body"].read().decode().splitlines()
    assert [json.loads(line)["recordId"] for line in lines] == ["r000000", "r000001", "r000002"]


class _Response(io.BytesIO):
    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def test_api_smoke_signs_one_post(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _stack(API)
    sent: list[Any] = []

    def opener(request: Any) -> _Response:
        sent.append(request)
        return _Response(json.dumps({"output": "ready", "requestId": "r1"}).encode())

    assert smoke_cli.smoke(_args(), opener=opener) == 0
    (request,) = sent
    assert request.full_url == API["ApiUrl"]
    assert request.get_method() == "POST"
    assert request.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=")
    assert "/execute-api/aws4_request" in request.headers["Authorization"]
    assert json.loads(request.data)["prompt"] == smoke_cli.PROMPT
    assert '"output": "ready"' in capsys.readouterr().out


def test_api_smoke_explains_a_403(aws: Any) -> None:
    _stack(API)

    def opener(request: Any) -> _Response:
        raise HTTPError(API["ApiUrl"], 403, "Forbidden", {}, io.BytesIO(b'{"message": "denied"}'))  # type: ignore[arg-type]

    with pytest.raises(CliError, match=r"403.*project roles cannot call execute-api"):
        smoke_cli.smoke(_args(), opener=opener)


def test_an_environment_without_a_pattern_output_is_refused(aws: Any) -> None:
    _stack({"BucketName": BUCKET})
    with pytest.raises(CliError, match="not an inference environment"):
        smoke_cli.smoke(_args())
