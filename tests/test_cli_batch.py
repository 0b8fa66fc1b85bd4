"""``python -m blueprints batch submit`` against moto: a bucket and ``DataZone-Env-*`` stacks whose outputs are
those of a batch-inference environment."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws

from blueprints.__main__ import main
from blueprints.cli import batch
from tests.helpers.processes import run, run_light_probe

REPO = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
BUCKET = "sandbox-bucket"
INPUT = "inference/batch/input/"
OUTPUT = "inference/batch/output/"
RECORD = {"recordId": "CALL0000001", "modelInput": {"messages": [{"role": "user", "content": "Hi"}]}}
LOCATIONS = {"BatchInputUri": f"s3://{BUCKET}/{INPUT}", "BatchOutputUri": f"s3://{BUCKET}/{OUTPUT}"}
ENVIRONMENTS = {
    "env1": LOCATIONS | {"JobService": "Bedrock"},
    "env2": LOCATIONS | {"JobService": "SageMaker"},
    "api": {"ApiUrl": "https://example.com/"},
}

Calls = list[tuple[str, dict[str, Any]]]


def create_environment(environment: str, outputs: dict[str, str]) -> None:
    """The stack of SMUS environment ``environment``: one harmless resource and ``outputs`` as literal values."""
    resources = {"Topic": {"Type": "AWS::SNS::Topic"}}
    body = json.dumps({"Resources": resources, "Outputs": {k: {"Value": v} for k, v in outputs.items()}})
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName=f"DataZone-Env-{environment}", TemplateBody=body
    )


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """A mocked account with the sandbox bucket (versioned) and the environments' stacks; its S3 client."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for name in ("AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        for environment, outputs in ENVIRONMENTS.items():
            create_environment(environment, outputs)
        yield client


@pytest.fixture
def calls(s3: Any, monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Every AWS call made after the account was set up, in order: operation and parameters."""
    recorded: Calls = []
    original = BaseClient._make_api_call

    def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        recorded.append((operation, params))
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return recorded


def deny(monkeypatch: pytest.MonkeyPatch, operation: str, prefix: str = "") -> None:
    """Make AWS deny ``operation`` on keys or listings under ``prefix``, as IAM would."""
    original = BaseClient._make_api_call

    def denying(client: BaseClient, name: str, params: dict[str, Any]) -> Any:
        if name == operation and str(params.get("Key", params.get("Prefix", ""))).startswith(prefix):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, name)
        return original(client, name, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", denying)


def jsonl(path: Path, *records: object) -> str:
    path.write_text("".join(json.dumps(record) + "\n" for record in records or (RECORD, RECORD)))
    return str(path)


def keys(s3: Any) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def submit(*args: str) -> int:
    return main(["batch", "submit", *args])


def puts(recorded: Calls) -> list[str]:
    return [params["Key"] for operation, params in recorded if operation == "PutObject"]


def test_files_are_uploaded_under_the_batch_then_the_marker_last(calls: Calls, tmp_path: Path, s3: Any) -> None:
    files = [jsonl(tmp_path / "part-0.jsonl"), jsonl(tmp_path / "part-1.jsonl")]

    assert submit("--environment", "env1", "--batch-id", "b1", *files) == 0

    assert keys(s3) == [f"{INPUT}b1.ready", f"{INPUT}b1/part-0.jsonl", f"{INPUT}b1/part-1.jsonl"]
    assert puts(calls) == [f"{INPUT}b1/part-0.jsonl", f"{INPUT}b1/part-1.jsonl", f"{INPUT}b1.ready"]
    body = s3.get_object(Bucket=BUCKET, Key=f"{INPUT}b1/part-0.jsonl")["Body"].read()
    assert body == Path(files[0]).read_bytes()
    assert s3.get_object(Bucket=BUCKET, Key=f"{INPUT}b1.ready")["Body"].read() == b""


def test_every_write_uses_default_encryption_and_never_overwrites(calls: Calls, tmp_path: Path) -> None:
    assert submit("--environment", "env1", "--batch-id", "b1", jsonl(tmp_path / "a.jsonl")) == 0

    written = [params for operation, params in calls if operation == "PutObject"]
    assert len(written) == 2
    for params in written:
        assert params["IfNoneMatch"] == "*"
        assert not {"ServerSideEncryption", "SSEKMSKeyId", "BucketKeyEnabled"} & params.keys()


def test_prints_where_the_input_status_and_results_are(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert submit("--environment", "env1", "--batch-id", "b1", jsonl(tmp_path / "a.jsonl")) == 0

    lines = capsys.readouterr().out.splitlines()
    root = f"s3://{BUCKET}/"
    assert lines == [
        "Batch b1 in environment env1 (ModelSource Bedrock)",
        f"  uploaded {root}{INPUT}b1/a.jsonl",
        f"  started  {root}{INPUT}b1.ready",
        f"Input:   {root}{INPUT}b1/",
        f"Status:  {root}{OUTPUT}b1/status.json",
        f"Results: {root}{OUTPUT}b1/<run>/ (the status record names the run)",
        "Read them with:",
        f"  aws s3 cp {root}{OUTPUT}b1/status.json -",
        f"  aws s3 cp --recursive {root}{OUTPUT}b1/ ./b1/",
    ]


def test_batch_id_defaults_to_the_utc_time(s3: Any, tmp_path: Path) -> None:
    assert submit("--environment", "env1", jsonl(tmp_path / "a.jsonl")) == 0

    (marker,) = [key for key in keys(s3) if key.endswith(".ready")]
    assert re.fullmatch(rf"{INPUT}batch-\d{{8}}-\d{{6}}\.ready", marker)


def test_sagemaker_takes_files_of_any_kind(s3: Any, tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("1,2,3\n")

    assert submit("--environment", "env2", "--batch-id", "b1", str(tmp_path / "rows.csv")) == 0

    assert keys(s3) == [f"{INPUT}b1.ready", f"{INPUT}b1/rows.csv"]


def test_every_problem_is_reported_at_once_and_nothing_is_uploaded(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "notes.txt").write_text("hello\n")
    twins = [jsonl(tmp_path / "a" / "part.jsonl"), jsonl(tmp_path / "b" / "part.jsonl")]
    files = [str(tmp_path / "missing.jsonl"), str(tmp_path / "a"), str(tmp_path / "notes.txt"), *twins]

    assert submit("--environment", "env1", "--batch-id", "no/slash", *files) == 2

    error = capsys.readouterr().err
    assert "batch submit: 5 problem(s), nothing uploaded" in error
    assert "--batch-id='no/slash': 1-40 letters, digits, '-' and '_' (one key segment)" in error
    assert f"FILES {files[0]!r}: no such file" in error
    assert f"FILES {files[1]!r}: not a file (a directory? give the files themselves)" in error
    assert f"FILES {files[2]!r}: Bedrock batch reads JSON Lines: the name must end in .jsonl" in error
    assert f"FILES {twins[1]!r}: same name as {twins[0]!r}; names must differ within a batch" in error
    assert keys(s3) == []


@pytest.mark.parametrize(
    ("first_line", "problem"),
    [
        ("", "line 1 is not JSON"),
        ("{not json", "line 1 is not JSON"),
        ('["a list"]', "line 1 has no modelInput object"),
        ('{"recordId": "r1", "input": {}}', "line 1 has no modelInput object"),
        ('{"recordId": "r1", "modelInput": "text"}', "line 1 has no modelInput object"),
    ],
)
def test_bedrock_files_must_start_with_a_batch_record(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], first_line: str, problem: str
) -> None:
    path = tmp_path / "part.jsonl"
    path.write_text(first_line + ("\n" + json.dumps(RECORD) if first_line else ""))

    assert submit("--environment", "env1", "--batch-id", "b1", str(path)) == 2

    assert f"FILES {str(path)!r}: {problem}" in capsys.readouterr().err
    assert keys(s3) == []


def test_a_bedrock_record_without_record_id_is_accepted(s3: Any, tmp_path: Path) -> None:
    """Bedrock adds a missing recordId in the output."""
    path = jsonl(tmp_path / "part.jsonl", {"modelInput": RECORD["modelInput"]})

    assert submit("--environment", "env1", "--batch-id", "b1", path) == 0


@pytest.mark.parametrize(
    ("batch_id", "valid"),
    [("a", True), ("A-z_09", True), ("x" * 40, True), ("x" * 41, False), ("", False), ("a.b", False), ("a b", False)],
)
def test_batch_ids_are_one_key_segment(s3: Any, tmp_path: Path, batch_id: str, valid: bool) -> None:
    assert submit("--environment", "env1", "--batch-id", batch_id, jsonl(tmp_path / "a.jsonl")) == (0 if valid else 2)


def test_no_files_is_a_usage_error(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert submit("--environment", "env1", "--batch-id", "b1") == 2

    assert "FILES: none given" in capsys.readouterr().err


@pytest.mark.parametrize("existing", [f"{INPUT}b1/other.jsonl", f"{INPUT}b1.ready", f"{OUTPUT}b1/status.json"])
def test_a_used_batch_id_is_refused(
    s3: Any, calls: Calls, tmp_path: Path, capsys: pytest.CaptureFixture[str], existing: str
) -> None:
    s3.put_object(Bucket=BUCKET, Key=existing, Body=b"x")
    calls.clear()

    assert submit("--environment", "env1", "--batch-id", "b1", jsonl(tmp_path / "a.jsonl")) == 2

    error = capsys.readouterr().err
    assert f"s3://{BUCKET}/{existing} exists: batch b1 was submitted before" in error
    assert "or run it again with --rerun --batch-id b1" in error
    assert puts(calls) == []


def test_where_members_cannot_list_the_input_conditional_writes_refuse_a_used_batch(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"{INPUT}b1.ready", Body=b"")
    deny(monkeypatch, "ListObjectsV2", INPUT)

    assert submit("--environment", "env1", "--batch-id", "b1", jsonl(tmp_path / "a.jsonl")) == 2

    assert f"s3://{BUCKET}/{INPUT}b1.ready exists: batch b1 was submitted before" in capsys.readouterr().err
    assert len(s3.list_object_versions(Bucket=BUCKET, Prefix=f"{INPUT}b1.ready")["Versions"]) == 1


def test_rerun_rewrites_only_the_marker(s3: Any, calls: Calls, tmp_path: Path) -> None:
    assert submit("--environment", "env1", "--batch-id", "b1", jsonl(tmp_path / "a.jsonl")) == 0
    calls.clear()

    assert submit("--environment", "env1", "--batch-id", "b1", "--rerun") == 0

    assert puts(calls) == [f"{INPUT}b1.ready"]
    assert "IfNoneMatch" not in calls[-1][1]
    assert len(s3.list_object_versions(Bucket=BUCKET, Prefix=f"{INPUT}b1.ready")["Versions"]) == 2


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--rerun"], "--rerun: needs --batch-id, the batch to run again"),
        (["--rerun", "--batch-id", "b1", "a.jsonl"], "--rerun rewrites only the marker; give no files"),
    ],
)
def test_rerun_needs_a_batch_id_and_no_files(
    s3: Any, capsys: pytest.CaptureFixture[str], args: list[str], problem: str
) -> None:
    assert submit("--environment", "env1", *args) == 2

    assert problem in capsys.readouterr().err
    assert keys(s3) == []


def test_rerun_of_a_batch_without_input_is_refused(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert submit("--environment", "env1", "--batch-id", "b1", "--rerun") == 2

    assert f"nothing to re-run: no input files under s3://{BUCKET}/{INPUT}b1/" in capsys.readouterr().err
    assert keys(s3) == []


def test_a_missing_stack_is_named(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert submit("--environment", "nope", "--batch-id", "b1", "a.jsonl") == 2

    error = capsys.readouterr().err
    assert "stack DataZone-Env-nope does not exist in us-east-1: check --environment and --region" in error


def test_a_stack_without_batch_outputs_is_not_a_batch_environment(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert submit("--environment", "api", "--batch-id", "b1", "a.jsonl") == 2

    error = capsys.readouterr().err
    assert "stack DataZone-Env-api (CREATE_COMPLETE) has no output BatchInputUri, BatchOutputUri, JobService" in error
    assert "is it a batch-inference environment?" in error


@pytest.mark.parametrize(
    ("outputs", "problem"),
    [
        (
            LOCATIONS | {"JobService": "Other"},
            "stack DataZone-Env-odd output JobService='Other': expected Bedrock or SageMaker",
        ),
        (
            {**LOCATIONS, "BatchInputUri": INPUT, "JobService": "Bedrock"},
            f"stack DataZone-Env-odd output BatchInputUri={INPUT!r}: expected s3://<bucket>/<prefix>/",
        ),
        (
            {**LOCATIONS, "BatchOutputUri": f"s3://other/{OUTPUT}", "JobService": "Bedrock"},
            "stack DataZone-Env-odd: BatchInputUri and BatchOutputUri name different buckets, expected one",
        ),
    ],
)
def test_unexpected_stack_outputs_are_named(
    s3: Any, capsys: pytest.CaptureFixture[str], outputs: dict[str, str], problem: str
) -> None:
    create_environment("odd", outputs)

    assert submit("--environment", "odd", "--batch-id", "b1", "a.jsonl") == 2

    assert problem in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--poll-seconds", "--timeout-minutes"])
@pytest.mark.parametrize("value", ["0", "-1", "1.5", "x"])
def test_poll_and_timeout_take_whole_numbers_from_1(
    capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        submit("--environment", "env1", option, value, "a.jsonl")

    assert exited.value.code == 2
    assert f"{value!r}: a whole number, at least 1" in capsys.readouterr().err


def test_an_invalid_environment_id_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        submit("--environment", "DataZone-Env-x/y", "a.jsonl")

    assert exited.value.code == 2
    assert "1-36 letters, digits and '-' (the SMUS environment id)" in capsys.readouterr().err


def test_access_denied_names_the_code_and_a_hint(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    deny(monkeypatch, "PutObject")

    assert submit("--environment", "env1", "--batch-id", "b1", jsonl(tmp_path / "a.jsonl")) == 1

    error = capsys.readouterr().err
    assert "AWS PutObject failed: AccessDenied: Access Denied" in error
    assert "hint: are you using the project role of this environment's project?" in error


def test_no_region_is_a_usage_error(
    s3: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")

    assert submit("--environment", "env1", "a.jsonl") == 2

    assert "no AWS region: pass --region or set AWS_REGION" in capsys.readouterr().err


def status_writer(
    s3: Any, monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any] | None]
) -> Callable[[], list[int]]:
    """Make the poll's sleep instant: each one writes the next of ``records`` (None: nothing) as the status record
    and moves the clock on. Returns what was slept."""
    slept: list[int] = []

    def sleeping(seconds: int) -> None:
        slept.append(seconds)
        record = records.pop(0)
        if record is not None:
            s3.put_object(Bucket=BUCKET, Key=f"{OUTPUT}b1/status.json", Body=json.dumps(record).encode())

    monkeypatch.setattr(batch, "sleep", sleeping)
    monkeypatch.setattr(batch, "monotonic", lambda: 60.0 * len(slept))
    return lambda: slept


def status(value: str, **fields: Any) -> dict[str, Any]:
    return {"batchId": "b1", "run": "run-1", "jobName": "job-1", "status": value, **fields}


def test_wait_prints_each_change_and_succeeds_when_completed(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    retrying = status("Retrying", error={"code": "ThrottlingException", "message": "slow down"})
    records = [None, retrying, status("Submitted"), status("InProgress"), status("InProgress", updatedAt="later")]
    slept = status_writer(s3, monkeypatch, [*records, status("Completed", outputPrefix=f"{OUTPUT}b1/run-1/")])

    code = submit(
        "--environment", "env1", "--batch-id", "b1", "--wait", "--poll-seconds", "5", jsonl(tmp_path / "a.jsonl")
    )

    assert code == 0
    assert slept() == [5] * 6
    out = capsys.readouterr().out
    assert out.split("Read them with:\n", 1)[1].splitlines()[2:] == [
        "Waiting for batch b1 (every 5 s, no time limit)",
        "  waiting for the launcher",
        "  Retrying (run run-1, jobName job-1): ThrottlingException: slow down",
        "  Submitted (run run-1, jobName job-1)",
        "  InProgress (run run-1, jobName job-1)",
        "  Completed (run run-1, jobName job-1)",
        f"Completed: results under s3://{BUCKET}/{OUTPUT}b1/run-1/",
    ]


@pytest.mark.parametrize("final", ["Failed", "Stopped", "Expired", "PartiallyCompleted"])
def test_wait_fails_when_the_batch_does_not_complete(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], final: str
) -> None:
    error = {"code": "ValidationException", "message": "bad record"}
    status_writer(s3, monkeypatch, [status("InProgress"), status(final, error=error)])

    assert submit("--environment", "env1", "--batch-id", "b1", "--wait", jsonl(tmp_path / "a.jsonl")) == 1

    assert f"batch b1 ended {final}: ValidationException: bad record" in capsys.readouterr().err


def test_wait_gives_up_after_the_timeout(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    slept = status_writer(s3, monkeypatch, [status("InProgress")] + [None] * 10)

    args = ["--wait", "--poll-seconds", "60", "--timeout-minutes", "3", jsonl(tmp_path / "a.jsonl")]
    assert submit("--environment", "env1", "--batch-id", "b1", *args) == 1

    assert len(slept()) == 3
    captured = capsys.readouterr()
    assert captured.out.count("InProgress") == 1
    assert f"timed out after 3 min; read s3://{BUCKET}/{OUTPUT}b1/status.json later" in captured.err


def test_wait_after_a_rerun_ignores_the_previous_runs_record(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"{INPUT}b1/a.jsonl", Body=b"{}")
    s3.put_object(Bucket=BUCKET, Key=f"{OUTPUT}b1/status.json", Body=json.dumps(status("Failed")).encode())
    status_writer(s3, monkeypatch, [status("Completed", run="run-2")])

    assert submit("--environment", "env1", "--batch-id", "b1", "--rerun", "--wait") == 0

    out = capsys.readouterr().out
    assert "  waiting for the launcher\n  Completed (run run-2, jobName job-1)" in out


def test_a_status_record_that_is_not_json_fails_the_wait(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def garbling(seconds: int) -> None:
        s3.put_object(Bucket=BUCKET, Key=f"{OUTPUT}b1/status.json", Body=b"<html>")

    monkeypatch.setattr(batch, "sleep", garbling)

    assert submit("--environment", "env1", "--batch-id", "b1", "--wait", jsonl(tmp_path / "a.jsonl")) == 1

    assert f"s3://{BUCKET}/{OUTPUT}b1/status.json is not a JSON object" in capsys.readouterr().err


def test_the_command_line_imports_neither_the_cdk_nor_the_stacks() -> None:
    probe = (
        "import blueprints.__main__ as cli\n"
        "code = cli.main(['batch', 'submit', '--environment', 'env1', '--region', 'us-east-1', 'a.jsonl'])\n"
        "assert code == 1, code\n"
    )

    result = run_light_probe(REPO, probe)

    assert result.returncode == 0, result.stderr
    assert "error: AWS request failed: Could not connect to the endpoint URL" in result.stderr


def test_python_m_blueprints_runs_the_command_line() -> None:
    result = run([sys.executable, "-m", "blueprints", "batch", "submit", "--help"], REPO, {"PYTHONPATH": str(REPO)})

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m blueprints batch submit")
