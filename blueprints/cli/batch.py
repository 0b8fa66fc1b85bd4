"""``batch submit``: upload a batch's input files to a batch-inference environment, then the marker that starts it.

Layout in the sandbox bucket (the environment's outputs ``BatchInputUri`` and ``BatchOutputUri``)::

    inference/batch/input/<batch-id>/<file>         the input files
    inference/batch/input/<batch-id>.ready          the marker, written last: it starts the job
    inference/batch/output/<batch-id>/status.json   the status record the launcher keeps
    inference/batch/output/<batch-id>/<run>/        the results of one run
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import monotonic, sleep
from typing import Any

from botocore.exceptions import ClientError

from blueprints.cli import FAILED, CliError, environment_id, environment_outputs, positive_int, session

BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
OUTPUTS = ("BatchInputUri", "BatchOutputUri", "JobService")
MODEL_SOURCES = ("Bedrock", "SageMaker")
S3_PREFIX_URI = re.compile(r"s3://([^/]+)/(.+/)")
MAX_UPLOAD = 5 * 1024**3
"""One PutObject request's limit; uploads are single conditional PUTs."""
FINAL_STATUSES = {"Completed", "Failed", "Stopped", "Expired", "PartiallyCompleted"}
EXISTS = ("PreconditionFailed", "ConditionalRequestConflict")
"""What S3 answers a write with ``If-None-Match: *`` when the key exists (or is being written)."""


@dataclass(frozen=True)
class Batch:
    """Where one batch of an environment lives in the sandbox bucket."""

    bucket: str
    input_root: str
    """Key prefix of every batch's input, ``inference/batch/input/``."""
    output_root: str
    """Key prefix of every batch's output, ``inference/batch/output/``."""
    model_source: str
    batch_id: str

    @property
    def input(self) -> str:
        return f"{self.input_root}{self.batch_id}/"

    @property
    def marker(self) -> str:
        return f"{self.input_root}{self.batch_id}.ready"

    @property
    def output(self) -> str:
        return f"{self.output_root}{self.batch_id}/"

    @property
    def status(self) -> str:
        return f"{self.output}status.json"

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``batch`` command group and its ``submit`` command."""
    commands = groups.add_parser("batch", help="batch inference").add_subparsers(required=True, metavar="COMMAND")
    submit_parser = commands.add_parser(
        "submit",
        help="upload input files and start a batch",
        description="Upload FILES to a batch-inference environment, then write the marker that starts the batch.",
    )
    submit_parser.add_argument("--environment", required=True, type=environment_id, help="SMUS environment id")
    submit_parser.add_argument("--batch-id", help="1-40 letters, digits, '-', '_'. Default: batch-YYYYMMDD-HHMMSS")
    submit_parser.add_argument("--region", help="the environment's region. Default: the configured one")
    submit_parser.add_argument("--rerun", action="store_true", help="rewrite only the marker of --batch-id: run again")
    submit_parser.add_argument("--wait", action="store_true", help="poll the status record until the batch ends")
    submit_parser.add_argument("--poll-seconds", type=positive_int, default=30, help="with --wait. Default: 30")
    submit_parser.add_argument("--timeout-minutes", type=positive_int, help="with --wait. Default: no limit")
    submit_parser.add_argument("files", nargs="*", metavar="FILES", help="local input files")
    submit_parser.set_defaults(command=submit)


def submit(args: argparse.Namespace) -> int:
    """Validate everything, upload the files (unless ``--rerun``), write the marker last; optionally wait."""
    aws = session(args.region)
    s3 = aws.client("s3")
    batch_id = generated_id() if args.batch_id is None else args.batch_id
    batch = read_batch(aws.client("cloudformation"), args.environment, batch_id)
    check_request(batch, args.files, args.rerun, args.batch_id is not None)
    check_unused(s3, batch, args.rerun)
    previous = read_status(s3, batch)
    print(f"Batch {batch.batch_id} in environment {args.environment} (ModelSource {batch.model_source})")
    for path in [Path(name) for name in args.files]:
        put(s3, batch, batch.input + path.name, path)
        print(f"  uploaded {batch.uri(batch.input + path.name)}")
    put(s3, batch, batch.marker, None, overwrite=args.rerun)
    print(f"  started  {batch.uri(batch.marker)}")
    print_locations(batch)
    if args.wait:
        return wait(s3, batch, previous, args.poll_seconds, args.timeout_minutes)
    return 0


def generated_id() -> str:
    """A batch id from the current UTC time."""
    return datetime.now(UTC).strftime("batch-%Y%m%d-%H%M%S")


def read_batch(cloudformation: Any, environment: str, batch_id: str) -> Batch:
    """The batch ``batch_id`` of ``environment``, from the environment stack's outputs."""
    stack, outputs = environment_outputs(cloudformation, environment, OUTPUTS, "batch-inference")
    bucket, input_root = s3_prefix(stack, outputs, "BatchInputUri")
    output_bucket, output_root = s3_prefix(stack, outputs, "BatchOutputUri")
    if output_bucket != bucket:
        raise CliError(f"stack {stack}: BatchInputUri and BatchOutputUri name different buckets, expected one")
    if outputs["JobService"] not in MODEL_SOURCES:
        raise CliError(f"stack {stack} output JobService={outputs['JobService']!r}: expected Bedrock or SageMaker")
    return Batch(bucket, input_root, output_root, outputs["JobService"], batch_id)


def s3_prefix(stack: str, outputs: dict[str, str], name: str) -> tuple[str, str]:
    """Bucket and key prefix of the stack output ``name``, an ``s3://<bucket>/<prefix>/`` URI."""
    match = S3_PREFIX_URI.fullmatch(outputs[name])
    if not match:
        raise CliError(f"stack {stack} output {name}={outputs[name]!r}: expected s3://<bucket>/<prefix>/")
    return match[1], match[2]


def check_request(batch: Batch, files: list[str], rerun: bool, named: bool) -> None:
    """Raise one ``CliError`` listing every problem of the batch id and the files, before anything is written."""
    problems = []
    if not BATCH_ID.fullmatch(batch.batch_id):
        problems.append(f"--batch-id={batch.batch_id!r}: 1-40 letters, digits, '-' and '_' (one key segment)")
    if rerun and not named:
        problems.append("--rerun: needs --batch-id, the batch to run again")
    if rerun and files:
        problems.append(f"FILES={files}: --rerun rewrites only the marker; give no files")
    if not rerun:
        problems += file_problems(files, batch.model_source) if files else ["FILES: none given"]
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise CliError(f"batch submit: {len(problems)} problem(s), nothing uploaded\n{lines}")


def file_problems(files: list[str], model_source: str) -> list[str]:
    """Missing files, directories, files too large, repeated names and, for Bedrock, files that are not JSONL."""
    problems = []
    names: dict[str, str] = {}
    for name in files:
        path = Path(name)
        problem = file_problem(path, model_source)
        if problem:
            problems.append(f"FILES {name!r}: {problem}")
        if path.name in names:
            problems.append(f"FILES {name!r}: same name as {names[path.name]!r}; names must differ within a batch")
        names.setdefault(path.name, name)
    return problems


def file_problem(path: Path, model_source: str) -> str | None:
    """What is wrong with the local file ``path`` as an input file, if anything."""
    if not path.exists():
        return "no such file"
    if not path.is_file():
        return "not a file (a directory? give the files themselves)"
    if path.stat().st_size > MAX_UPLOAD:
        return "larger than 5 GiB, the limit of one upload"
    return bedrock_problem(path) if model_source == "Bedrock" else None


def bedrock_problem(path: Path) -> str | None:
    """What keeps ``path`` from being a Bedrock batch input, judged by its name and first line."""
    if path.suffix != ".jsonl":
        return "Bedrock batch reads JSON Lines: the name must end in .jsonl"
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        record = json.loads(first)
    except ValueError:
        return 'line 1 is not JSON: each line must be a record {"recordId": ..., "modelInput": {...}}'
    if not isinstance(record, dict) or not isinstance(record.get("modelInput"), dict):
        return 'line 1 has no modelInput object: each line must be a record {"recordId": ..., "modelInput": {...}}'
    return None


def check_unused(s3: Any, batch: Batch, rerun: bool) -> None:
    """Refuse a new batch whose keys are taken, and a re-run of a batch without input files.

    Members may write the input prefix but not list it: there the conditional writes of ``put`` stand guard.
    """
    if rerun:
        if listed(s3, batch, batch.input) == []:
            raise CliError(f"nothing to re-run: no input files under {batch.uri(batch.input)}")
        return
    taken = [key for prefix in (batch.input, batch.marker, batch.output) for key in listed(s3, batch, prefix) or []]
    if taken:
        raise CliError(f"{batch.uri(taken[0])} exists: {already_used(batch)}")


def listed(s3: Any, batch: Batch, prefix: str) -> list[str] | None:
    """A few keys under ``prefix``, or None when listing it is denied."""
    try:
        response = s3.list_objects_v2(Bucket=batch.bucket, Prefix=prefix, MaxKeys=3)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "AccessDenied":
            return None
        raise
    return [item["Key"] for item in response.get("Contents", [])]


def already_used(batch: Batch) -> str:
    return (
        f"batch {batch.batch_id} was submitted before; choose another --batch-id, "
        f"or run it again with --rerun --batch-id {batch.batch_id}"
    )


def put(s3: Any, batch: Batch, key: str, path: Path | None, overwrite: bool = False) -> None:
    """Write ``path`` (None: an empty body) to ``key`` with the bucket's default encryption; unless ``overwrite``,
    only if ``key`` does not exist yet (S3 conditional write)."""
    condition = {} if overwrite else {"IfNoneMatch": "*"}
    try:
        if path is None:
            s3.put_object(Bucket=batch.bucket, Key=key, Body=b"", **condition)
        else:
            with path.open("rb") as body:
                s3.put_object(Bucket=batch.bucket, Key=key, Body=body, **condition)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in EXISTS:
            raise CliError(f"{batch.uri(key)} exists: {already_used(batch)}") from None
        raise


def print_locations(batch: Batch) -> None:
    """Where the input, the status record and the results are, and how to read them."""
    print(f"Input:   {batch.uri(batch.input)}")
    print(f"Status:  {batch.uri(batch.status)}")
    print(f"Results: {batch.uri(batch.output)}<run>/ (the status record names the run)")
    print("Read them with:")
    print(f"  aws s3 cp {batch.uri(batch.status)} -")
    print(f"  aws s3 cp --recursive {batch.uri(batch.output)} ./{batch.batch_id}/")


def read_status(s3: Any, batch: Batch) -> dict[str, Any] | None:
    """The batch's status record, or None while there is none.

    Listed first: without ``s3:ListBucket`` on the key, S3 answers a missing key with 403, not 404.
    """
    if batch.status not in (listed(s3, batch, batch.status) or []):
        return None
    body = s3.get_object(Bucket=batch.bucket, Key=batch.status)["Body"].read()
    try:
        record = json.loads(body)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        raise CliError(f"{batch.uri(batch.status)} is not a JSON object", FAILED)
    return record


def wait(s3: Any, batch: Batch, previous: dict[str, Any] | None, poll_seconds: int, timeout: int | None) -> int:
    """Poll the status record, printing a line when the status changes, until the batch ends or ``timeout``
    minutes pass. A record equal to ``previous`` (the one before a re-run) is still the launcher's to replace."""
    limit = f"up to {timeout} min" if timeout else "no time limit"
    print(f"Waiting for batch {batch.batch_id} (every {poll_seconds} s, {limit})")
    deadline = monotonic() + timeout * 60 if timeout else None
    shown = ""
    while True:
        record = read_status(s3, batch)
        current = None if record == previous else record
        line = progress(current)
        if line != shown:
            print(line)
            shown = line
        if current and current.get("status") in FINAL_STATUSES:
            return outcome(batch, current)
        if deadline is not None and monotonic() >= deadline:
            raise CliError(f"timed out after {timeout} min; read {batch.uri(batch.status)} later", FAILED)
        sleep(poll_seconds)


def progress(record: dict[str, Any] | None) -> str:
    """One line on the batch's state."""
    if record is None:
        return "  waiting for the launcher"
    details = ", ".join(f"{name} {record[name]}" for name in ("run", "jobName") if record.get(name))
    error = record.get("error") or {}
    reason = f": {error.get('code')}: {error.get('message')}" if error else ""
    return f"  {record.get('status')}" + (f" ({details})" if details else "") + reason


def outcome(batch: Batch, record: dict[str, Any]) -> int:
    """Report a finished batch; 0 when it completed."""
    results = batch.uri(str(record.get("outputPrefix") or batch.output))
    if record.get("status") == "Completed":
        print(f"Completed: results under {results}")
        return 0
    error = record.get("error") or {}
    raise CliError(
        f"batch {batch.batch_id} ended {record.get('status')}: {error.get('code')}: {error.get('message')}"
        f"\n  results (if any) under {results}",
        FAILED,
    )
