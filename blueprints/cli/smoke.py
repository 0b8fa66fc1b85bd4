"""``python -m blueprints smoke``: after a first deployment, send one real request the way the environment's pattern is
used, wait for its result, and fail loudly when it does not come.

Which credentials: real-time and serverless are called through their API (``execute-api:Invoke``), which SMUS
project roles may not call: run the smoke test as an admin or with an application role that has the environment's
``ApiClientPolicyArn``. Async and batch are used through the sandbox bucket: a project member's role works.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path
from time import monotonic, sleep
from typing import Any
from urllib.error import HTTPError

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from blueprints.cli import FAILED, CliError, environment_id, positive_int, session
from blueprints.cli import batch as batch_cli

PROMPT = "Reply with the single word: ready"
Opener = Callable[[urllib.request.Request], Any]


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``smoke`` command."""
    parser = groups.add_parser(
        "smoke",
        help="send one real request to a deployed environment and wait for its result",
        description="Send one request the way the environment's pattern is used (API call, request object, small "
        "batch), wait for the result, exit non-zero on failure. API environments need credentials that may call "
        "execute-api (an admin or an application role with ApiClientPolicyArn), not a project member's role.",
    )
    parser.add_argument("--environment", required=True, type=environment_id, help="SMUS environment id")
    parser.add_argument("--domain-id", help="the SMUS domain (for the record; the stack is DataZone-Env-<id>)")
    parser.add_argument("--region", help="the environment's region. Default: the configured one")
    parser.add_argument("--body", help="JSON request for SageMaker models. Default: a short prompt for Bedrock")
    parser.add_argument("--records", type=positive_int, default=100, help="batch: records to send. Default: 100")
    parser.add_argument("--poll-seconds", type=positive_int, default=15, help="Default: 15")
    parser.add_argument("--timeout-minutes", type=positive_int, default=60, help="Default: 60")
    parser.set_defaults(command=smoke)


def smoke(args: argparse.Namespace, opener: Opener = urllib.request.urlopen) -> int:
    """Find the pattern from the stack's outputs and run its smoke test."""
    aws = session(args.region)
    stack = f"DataZone-Env-{args.environment}"
    described = aws.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}
    if "ApiUrl" in outputs:
        return smoke_api(aws, outputs, args, opener)
    if "RequestUri" in outputs:
        return smoke_async(aws.client("s3"), outputs, args)
    if "BatchInputUri" in outputs:
        return smoke_batch(aws.client("s3"), outputs, args)
    raise CliError(f"stack {stack} has no ApiUrl, RequestUri or BatchInputUri output: not an inference environment")


def request_body(args: argparse.Namespace, bedrock: bool) -> dict[str, Any]:
    """The JSON to send: ``--body``, or a short prompt when the model is Bedrock's."""
    if args.body:
        parsed = json.loads(args.body)
        if not isinstance(parsed, dict):
            raise CliError("--body must be a JSON object")
        return parsed
    if not bedrock:
        raise CliError("--body is required for a SageMaker model (the request your container expects)")
    return {"prompt": PROMPT, "max_tokens": 20}


def smoke_api(aws: Any, outputs: dict[str, str], args: argparse.Namespace, opener: Opener) -> int:
    """One signed POST to the API; print the answer."""
    body = json.dumps(request_body(args, "ModelInvokeTarget" in outputs)).encode()
    signed = AWSRequest("POST", outputs["ApiUrl"], data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(aws.get_credentials(), "execute-api", aws.region_name).add_auth(signed)
    request = urllib.request.Request(outputs["ApiUrl"], data=body, headers=dict(signed.headers), method="POST")
    print(f"POST {outputs['ApiUrl']}")
    try:
        with opener(request) as response:
            answer = json.loads(response.read())
    except HTTPError as error:
        hint = " (project roles cannot call execute-api: use an admin or application role)" if error.code == 403 else ""
        raise CliError(f"the API answered {error.code}: {error.read().decode()[:500]}{hint}", FAILED) from None
    print(f"answer: {json.dumps(answer)[:500]}")
    return 0


def smoke_async(s3: Any, outputs: dict[str, str], args: argparse.Namespace) -> int:
    """Write one request object and wait for its status record to finish."""
    bucket, input_prefix = batch_cli.s3_prefix("environment", outputs, "RequestUri")
    _, output_prefix = batch_cli.s3_prefix("environment", outputs, "ResultUri")
    bedrock = "ModelInvokeTarget" in outputs
    document = (
        {"invocationType": "Converse", "modelInput": {"messages": [{"role": "user", "content": [{"text": PROMPT}]}]}}
        if bedrock and not args.body
        else request_body(args, bedrock)
    )
    name = f"smoke-{int(monotonic() * 1000) % 10**9}"
    s3.put_object(Bucket=bucket, Key=f"{input_prefix}smoke/{name}.json", Body=json.dumps(document).encode())
    status_key = f"{output_prefix}smoke/{name}.status.json"
    print(f"request s3://{bucket}/{input_prefix}smoke/{name}.json; waiting for s3://{bucket}/{status_key}")
    record = poll(lambda: read_record(s3, bucket, status_key), args.poll_seconds, args.timeout_minutes)
    if record.get("status") != "Completed":
        error = record.get("error") or {}
        raise CliError(f"request {record.get('status')}: {error.get('code')}: {error.get('message')}", FAILED)
    print(f"Completed in {record.get('latencyMs')} ms: s3://{bucket}/{record.get('outputKey')}")
    return 0


def smoke_batch(s3: Any, outputs: dict[str, str], args: argparse.Namespace) -> int:
    """Upload a small batch and its marker, then wait for the job to end."""
    bucket, input_root = batch_cli.s3_prefix("environment", outputs, "BatchInputUri")
    _, output_root = batch_cli.s3_prefix("environment", outputs, "BatchOutputUri")
    batch = batch_cli.Batch(bucket, input_root, output_root, outputs["JobService"], batch_cli.generated_id())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "smoke.jsonl"
        path.write_text("".join(json.dumps(record) + "\n" for record in batch_records(batch, args)))
        batch_cli.put(s3, batch, f"{batch.input}smoke.jsonl", path)
    batch_cli.put(s3, batch, batch.marker, None)
    batch_cli.print_locations(batch)
    return batch_cli.wait(s3, batch, None, args.poll_seconds, args.timeout_minutes)


def batch_records(batch: batch_cli.Batch, args: argparse.Namespace) -> list[dict[str, Any]]:
    """``--records`` records: Converse messages for Bedrock (``recordId`` and ``modelInput``), ``--body`` for
    SageMaker."""
    if batch.model_source == "Bedrock":
        message = {"messages": [{"role": "user", "content": [{"text": PROMPT}]}]}
        return [{"recordId": f"r{n:06d}", "modelInput": message} for n in range(args.records)]
    return [request_body(args, bedrock=False) for _ in range(args.records)]


def read_record(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """The JSON record at ``key``, or None while it does not exist (listed first: a missing key answers 403)."""
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("Contents", [])
    if not any(item["Key"] == key for item in listed):
        return None
    record = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return record if isinstance(record, dict) else None


def poll(read: Callable[[], dict[str, Any] | None], poll_seconds: int, timeout_minutes: int) -> dict[str, Any]:
    """Read until the record is finished, printing each new status; fail after ``timeout_minutes``."""
    deadline = monotonic() + timeout_minutes * 60
    shown = None
    while True:
        record = read()
        status = record.get("status") if record else "waiting for the invoker"
        if status != shown:
            print(f"  {status}")
            shown = status
        if record and status in ("Completed", "Failed"):
            return record
        if monotonic() >= deadline:
            raise CliError(f"timed out after {timeout_minutes} min", FAILED)
        sleep(poll_seconds)
