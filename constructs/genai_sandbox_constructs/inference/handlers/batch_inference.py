"""Batch inference: a ready-marker in S3 -> a SageMaker transform job or a Bedrock batch inference job -> its output
and one status record per batch.

Self-contained on purpose: CloudFormation inlines this file as ``index.py`` (handler ``index.handler``) and the
runtime provides only the standard library and boto3. Two functions share it; ``STEP`` says which one runs:

- ``launch`` (SQS, one message at a time: EventBridge ``Object Created`` events for ready-markers, and the
  scheduler's ``{"scan": true}``, which starts every marker not started yet): checks the batch's input and starts
  the job; failures are retried with a growing delay, then recorded, announced and left in the dead-letter queue.
- ``track`` (EventBridge job state changes): updates the status record; a finished job is announced on the topic
  and counted in one CloudWatch embedded-metric line.

Keys, for a batch ``<id>`` (1-40 letters, digits, ``-`` and ``_``):
- input: every object under ``inference/batch/input/<id>/`` (Bedrock: ``.jsonl`` files only);
- ready-marker: ``inference/batch/input/<id>.ready``, beside the folder so that no job reads it as input; its
  content is ignored. Markers named otherwise are logged and ignored (there is no batch to record them in);
- output of a run: ``inference/batch/output/<id>/<run>/``; status record of the latest run:
  ``inference/batch/output/<id>/status.json``.
A run is one version of the marker (a hash of its key and version): writing the marker again starts a new run, a
repeated delivery of the same version starts nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

LOGGER = logging.getLogger()
LOGGER.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
INPUT_PREFIX = "inference/batch/input/"
OUTPUT_PREFIX = "inference/batch/output/"
MARKER_SUFFIX = ".ready"
STATUS_NAME = "status.json"
EVENT_NAMESPACE = "GenAISandbox/BatchInference"
"""Namespace of the ``JobsSucceeded`` and ``JobsFailed`` metrics (dimension ``EnvironmentId``)."""
BATCH_ID = re.compile(r"[a-zA-Z0-9_-]{1,40}")
RUN_LENGTH = 8
JOB_NAME_LIMIT = 63
"""TransformJobName and Bedrock's jobName take 63 characters."""
TERMINAL = ("Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired")
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=60, retries={"mode": "adaptive", "total_max_attempts": 3})
RETRYABLE = {
    "ThrottlingException",
    "ServiceQuotaExceededException",
    "ServiceUnavailableException",
    "InternalServerException",
    "InternalFailure",
    "ServiceUnavailable",
    "ResourceLimitExceeded",
    "Throttled",
    "KMSThrottling",
    "SlowDown",
    "InternalError",
    "RequestTimeout",
}
"""Errors that another attempt may cure (throttling, quotas of running jobs, 5xx); everything else about a batch
fails it at once."""
IN_USE = ("already exists", "already in use", "currently in use", "must be unique")
"""What a ValidationException says about a job name that is taken."""
_clients: dict[str, Any] = {}


class RequestError(ValueError):
    """The batch cannot be started as it is: it fails at once with this message (another try would not help)."""

    code = "InvalidRequest"


class TooFewRecordsError(RequestError):
    """The batch has fewer records than the model's batch inference jobs take."""

    code = "TooFewRecords"


class InputNotFoundError(LookupError):
    """The ready-marker is gone (deleted before it was served): the batch fails at once."""


class PoisonMessageError(ValueError):
    """The message is neither an S3 event nor a scan: it is retried, then left in the dead-letter queue."""


# ---- keys and names --------------------------------------------------------------------------------------------


def batch_id_of(key: str) -> str | None:
    """The batch a ready-marker key starts; None for other keys (files in a batch folder, markers in subfolders)
    and, logged, for markers whose name is no batch id."""
    if not key.startswith(INPUT_PREFIX) or not key.endswith(MARKER_SUFFIX):
        return None
    name = key[len(INPUT_PREFIX) : -len(MARKER_SUFFIX)]
    if "/" in name:
        return None
    if not BATCH_ID.fullmatch(name):
        LOGGER.warning("ignored %s: a batch id is 1-40 letters, digits, '-' and '_'", key)
        return None
    return name


def run_of(marker_key: str, head: dict[str, Any]) -> str:
    """The run a version of the marker starts: its version id, or its ETag and time where the bucket keeps no
    versions (``null`` is the version of every write to such a bucket)."""
    version = head.get("VersionId")
    if not version or version == "null":
        modified = head.get("LastModified")
        version = f"{head.get('ETag', '')}#{modified.isoformat() if isinstance(modified, datetime) else modified}"
    return hashlib.sha256(f"{marker_key}#{version}".encode()).hexdigest()[:RUN_LENGTH]


def job_name(batch_id: str, run: str) -> str:
    """``<environment>-<batch>-<run>`` in 63 characters, as both APIs' name patterns allow (no ``_``, no runs of
    ``-``); the run keeps distinct batches apart when the shortened batch parts coincide."""
    environment = os.environ["ENVIRONMENT_ID"]
    part = re.sub(r"-+", "-", batch_id.replace("_", "-"))
    part = part[: JOB_NAME_LIMIT - len(environment) - RUN_LENGTH - 2].strip("-")
    return "-".join(piece for piece in (environment, part, run) if piece)


def input_prefix(batch_id: str) -> str:
    return f"{INPUT_PREFIX}{batch_id}/"


def output_prefix(batch_id: str, run: str) -> str:
    return f"{OUTPUT_PREFIX}{batch_id}/{run}/"


def status_key(batch_id: str) -> str:
    return f"{OUTPUT_PREFIX}{batch_id}/{STATUS_NAME}"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
    """``launch`` or ``track``, as the function's ``STEP`` says."""
    if os.environ["STEP"] == "launch":
        return launch(event, context)
    track(event, context)
    return None


# ---- launch ----------------------------------------------------------------------------------------------------


def launch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Work through an SQS batch; report the messages to retry (they return after a growing delay, then go to the
    dead-letter queue with their reason in the status record)."""
    failures = []
    for record in event.get("Records", []):
        if not handle_message(record):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


@dataclass
class Batch:
    """One ready-marker, the run it starts and its status record so far."""

    bucket: str
    marker_key: str
    batch_id: str
    attempts: int
    run: str = ""
    job_name: str = ""
    status: dict[str, Any] = field(default_factory=dict)


def handle_message(record: dict[str, Any]) -> bool:
    """Start the batches a message names; False when it should be retried (some batch hit a passing error)."""
    attempts = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
    try:
        bucket, keys = markers_of(record)
    except PoisonMessageError:
        LOGGER.error("neither an S3 event nor a scan, left for the dead-letter queue: %s", record.get("body", "")[:500])
        return False
    except (ClientError, BotoCoreError) as error:
        LOGGER.error("could not list the ready-markers: %s", error)
        return False
    started = [start(bucket, key, attempts) for key in keys]
    if all(started):
        return True
    if attempts < whole("MAX_RECEIVES"):
        delay(record, 60 * attempts)
    return False


def markers_of(record: dict[str, Any]) -> tuple[str, list[str]]:
    """The bucket and the ready-markers a message names: the event's object, or every marker for a scan."""
    try:
        body = json.loads(record["body"])
        if isinstance(body, dict) and body.get("scan") is True:
            return os.environ["BUCKET_NAME"], list_markers(os.environ["BUCKET_NAME"])
        detail = body["detail"]
        bucket, key = detail["bucket"]["name"], detail["object"]["key"]
    except (KeyError, TypeError, ValueError) as error:
        raise PoisonMessageError(str(error)) from error
    if batch_id_of(key) is None:
        LOGGER.info("ignored %s: not a ready-marker", key)
        return bucket, []
    return bucket, [key]


def list_markers(bucket: str) -> list[str]:
    """The ready-markers of valid batch ids directly under the input prefix."""
    paginator = client("s3").get_paginator("list_objects_v2")
    keys = []
    for page in paginator.paginate(Bucket=bucket, Prefix=INPUT_PREFIX, Delimiter="/"):
        keys += [item["Key"] for item in page.get("Contents", []) if batch_id_of(item["Key"]) is not None]
    return keys


def start(bucket: str, marker_key: str, attempts: int) -> bool:
    """Start the run of one marker unless it was started; False when the message should be retried."""
    batch = new_batch(bucket, marker_key, attempts)
    try:
        identify(batch)
        previous, etag = read_status(bucket, status_key(batch.batch_id))
        if previous.get("run") == batch.run and previous.get("status") != "Retrying":
            LOGGER.info("batch %s run %s already %s", batch.batch_id, batch.run, previous.get("status"))
            return True
        submit(batch, etag)
        return True
    except Exception as error:  # every failure is classified, recorded and announced or retried
        code, message, retryable = classify(error)
        if retryable:
            return retry_or_give_up(batch, code, message)
        fail(batch, code, message)
        return True


def new_batch(bucket: str, marker_key: str, attempts: int) -> Batch:
    """The batch of a marker, with the status record fields known before the marker is read."""
    batch_id = batch_id_of(marker_key) or ""
    status = {
        "batchId": batch_id,
        "modelSource": os.environ["MODEL_SOURCE"],
        "model": model_name(),
        "markerKey": marker_key,
        "inputPrefix": input_prefix(batch_id),
        "submittedAt": now(),
        "updatedAt": now(),
        "attempts": attempts,
    }
    return Batch(bucket, marker_key, batch_id, attempts, status=status)


def identify(batch: Batch) -> None:
    """Read the marker: the run its current version starts, the job's name and its output prefix."""
    try:
        head = dict(client("s3").head_object(Bucket=batch.bucket, Key=batch.marker_key))
    except ClientError as error:
        if missing(error, batch.bucket, batch.marker_key):
            raise InputNotFoundError(batch.marker_key) from error
        raise
    batch.run = run_of(batch.marker_key, head)
    batch.job_name = job_name(batch.batch_id, batch.run)
    batch.status |= {
        "run": batch.run,
        "jobName": batch.job_name,
        "outputPrefix": output_prefix(batch.batch_id, batch.run),
    }


def submit(batch: Batch, etag: str | None) -> None:
    """Check the input, create the job and record it."""
    if os.environ["MODEL_SOURCE"] == "Bedrock":
        check_bedrock_input(batch)
    else:
        check_transform_input(batch)
    status = batch.status | {"status": "Submitted"}
    arn = create_job(batch)
    if arn:
        status["jobArn"] = arn
    write_submitted(batch.bucket, status_key(batch.batch_id), status, etag)


def create_job(batch: Batch) -> str | None:
    """Create the batch's job; its ARN, or None when a job of this name exists (an earlier attempt created it)."""
    try:
        if os.environ["MODEL_SOURCE"] == "Bedrock":
            return str(client("bedrock").create_model_invocation_job(**bedrock_job_request(batch))["jobArn"])
        return str(client("sagemaker").create_transform_job(**transform_job_request(batch))["TransformJobArn"])
    except ClientError as error:
        if not already_exists(error):
            raise
        LOGGER.info("job %s exists already: started by an earlier attempt", batch.job_name)
        return None


def transform_job_request(batch: Batch) -> dict[str, Any]:
    """CreateTransformJob's parameters: the batch folder in, the run's folder out, both encrypted with the sandbox
    keys (NVMe instance types refuse a volume key: ``VOLUME_KEY_ARN`` is empty for them)."""
    resources: dict[str, Any] = {
        "InstanceType": os.environ["INSTANCE_TYPE"],
        "InstanceCount": whole("INSTANCE_COUNT"),
    }
    if os.environ.get("VOLUME_KEY_ARN"):
        resources["VolumeKmsKeyId"] = os.environ["VOLUME_KEY_ARN"]
    request: dict[str, Any] = {
        "TransformJobName": batch.job_name,
        "ModelName": os.environ["MODEL_NAME"],
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": s3_uri(batch.bucket, input_prefix(batch.batch_id))}
            },
            "ContentType": os.environ["CONTENT_TYPE"],
            "SplitType": os.environ["SPLIT_TYPE"],
            "CompressionType": "None",
        },
        "TransformOutput": {
            "S3OutputPath": s3_uri(batch.bucket, output_prefix(batch.batch_id, batch.run)),
            "Accept": os.environ["ACCEPT"],
            "AssembleWith": os.environ["ASSEMBLE_WITH"],
            "KmsKeyId": os.environ["KEY_ARN"],
        },
        "TransformResources": resources,
        "MaxPayloadInMB": whole("MAX_PAYLOAD_MB"),
        "Tags": [
            {"Key": "EnvironmentId", "Value": os.environ["ENVIRONMENT_ID"]},
            {"Key": "BatchId", "Value": batch.batch_id},
        ],
    }
    if os.environ.get("BATCH_STRATEGY"):
        request["BatchStrategy"] = os.environ["BATCH_STRATEGY"]
    if whole("MAX_CONCURRENT_TRANSFORMS") > 0:
        request["MaxConcurrentTransforms"] = whole("MAX_CONCURRENT_TRANSFORMS")
    return request


def bedrock_job_request(batch: Batch) -> dict[str, Any]:
    """CreateModelInvocationJob's parameters; the job name doubles as the idempotency token."""
    return {
        "jobName": batch.job_name,
        "roleArn": os.environ["BEDROCK_ROLE_ARN"],
        "clientRequestToken": batch.job_name,
        "modelId": os.environ["MODEL_ID"],
        "modelInvocationType": os.environ["INVOCATION_TYPE"],
        "inputDataConfig": {
            "s3InputDataConfig": {"s3Uri": s3_uri(batch.bucket, input_prefix(batch.batch_id)), "s3InputFormat": "JSONL"}
        },
        "outputDataConfig": {
            "s3OutputDataConfig": {
                "s3Uri": s3_uri(batch.bucket, output_prefix(batch.batch_id, batch.run)),
                "s3EncryptionKeyId": os.environ["KEY_ARN"],
            }
        },
        "timeoutDurationInHours": whole("TIMEOUT_HOURS"),
        "tags": [
            {"key": "EnvironmentId", "value": os.environ["ENVIRONMENT_ID"]},
            {"key": "BatchId", "value": batch.batch_id},
        ],
    }


def check_transform_input(batch: Batch) -> None:
    """A transform job needs at least one input file."""
    prefix = input_prefix(batch.batch_id)
    if next(input_files(batch.bucket, prefix), None) is None:
        raise RequestError(f"no input files under {s3_uri(batch.bucket, prefix)}")


def check_bedrock_input(batch: Batch) -> None:
    """Bedrock reads every object of the input location: ``.jsonl`` files only, and at least ``MIN_RECORDS``
    records (non-empty lines) in them."""
    prefix = input_prefix(batch.batch_id)
    keys = list(input_files(batch.bucket, prefix))
    if not keys:
        raise RequestError(f"no input files under {s3_uri(batch.bucket, prefix)}")
    others = [key[len(prefix) :] for key in keys if not key.endswith(".jsonl")]
    if others:
        more = f" and {len(others) - 5} more" if len(others) > 5 else ""
        raise RequestError(
            f"Bedrock reads every object under {s3_uri(batch.bucket, prefix)}: only .jsonl files may be there, "
            f"not {', '.join(others[:5])}{more}"
        )
    minimum = whole("MIN_RECORDS")
    count = count_records(batch.bucket, keys, minimum)
    if count < minimum:
        raise TooFewRecordsError(
            f"the batch has {count} records; {os.environ['MODEL_ID']} takes at least {minimum} records in a batch "
            "inference job"
        )


def input_files(bucket: str, prefix: str) -> Iterator[str]:
    """The keys under ``prefix``, page by page, without folder markers."""
    for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from (item["Key"] for item in page.get("Contents", []) if not item["Key"].endswith("/"))


def count_records(bucket: str, keys: list[str], minimum: int) -> int:
    """The non-empty lines of the files, read as a stream up to ``minimum`` and no further."""
    count = 0
    for key in keys:
        if count >= minimum:
            break
        body = client("s3").get_object(Bucket=bucket, Key=key)["Body"]
        try:
            for line in body.iter_lines():
                count += bool(line.strip())
                if count >= minimum:
                    break
        finally:
            body.close()
    return count


def already_exists(error: ClientError) -> bool:
    """Whether a create call failed because a job of this name exists (an earlier attempt created it)."""
    code = error.response.get("Error", {}).get("Code")
    message = str(error.response.get("Error", {}).get("Message", "")).lower()
    return code in ("ResourceInUse", "ConflictException") or (
        code == "ValidationException" and any(phrase in message for phrase in IN_USE)
    )


def write_submitted(bucket: str, key: str, status: dict[str, Any], etag: str | None) -> None:
    """Record the start unless the record changed since it was read (S3 conditional write): ``track`` may record
    the job's first state before the create call has returned here; what it recorded about this run is kept."""
    for _ in range(3):
        try:
            put_status(bucket, key, status, {"IfMatch": etag} if etag else {"IfNoneMatch": "*"})
            return
        except ClientError as error:
            if not conflicting(error):
                raise
        current, etag = read_status(bucket, key)
        if current.get("run") == status["run"]:
            status = status | current
    raise RuntimeError(f"the status record {key} kept changing")


def classify(error: Exception) -> tuple[str, str, bool]:
    """Error code, message, and whether another attempt may cure it."""
    if isinstance(error, RequestError):
        return error.code, str(error), False
    if isinstance(error, ParamValidationError):
        return "InvalidRequest", str(error), False
    if isinstance(error, InputNotFoundError):
        return "InputNotFound", f"the ready-marker {error} no longer exists", False
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "Unknown")
        return code, f"{code}: {error.response.get('Error', {}).get('Message', '')}", code in RETRYABLE
    if isinstance(error, BotoCoreError):
        return type(error).__name__, str(error), True
    LOGGER.exception("unexpected failure")
    return "InternalError", repr(error), True


def retry_or_give_up(batch: Batch, code: str, message: str) -> bool:
    """Before the last attempt: record ``Retrying`` (the message comes back). At the last: fail the batch (the
    message then moves to the dead-letter queue). Either way the message is reported for retry: False."""
    if batch.attempts >= whole("MAX_RECEIVES"):
        fail(batch, code, f"{message} (after {batch.attempts} attempts)")
        return False
    LOGGER.warning("batch %s attempt %s failed: %s", batch.batch_id, batch.attempts, message)
    retrying = batch.status | {"status": "Retrying", "error": {"code": code, "message": message}}
    write_status(batch.bucket, status_key(batch.batch_id), retrying)
    return False


def fail(batch: Batch, code: str, message: str) -> None:
    """Record the failure and announce it."""
    LOGGER.error("batch %s failed: %s: %s", batch.batch_id, code, message)
    status = batch.status | {
        "status": "Failed",
        "error": {"code": code, "message": message},
        "completedAt": now(),
        "updatedAt": now(),
    }
    write_status(batch.bucket, status_key(batch.batch_id), status)
    announce(status)


def delay(record: dict[str, Any], seconds: int) -> None:
    """Let a message come back after ``seconds`` rather than the whole visibility timeout."""
    _, _, _, region, account, name = record["eventSourceARN"].split(":")
    try:
        client("sqs").change_message_visibility(
            QueueUrl=f"https://sqs.{region}.{url_suffix(region)}/{account}/{name}",
            ReceiptHandle=record["receiptHandle"],
            VisibilityTimeout=seconds,
        )
    except (ClientError, BotoCoreError):
        LOGGER.warning("could not shorten the retry delay; the queue's visibility timeout applies")


# ---- track -----------------------------------------------------------------------------------------------------


@dataclass
class Job:
    """What a state change event (and, for Bedrock, GetModelInvocationJob) says about a job."""

    source: str
    model: str
    name: str
    arn: str
    status: str
    reason: str
    output_uri: str
    created_at: str | None
    ended_at: str | None
    counts: tuple[int, int] | None = None
    """Bedrock's failed and total records."""


def track(event: dict[str, Any], context: Any) -> None:
    """Record a job's new state; announce and count it when the job has finished."""
    detail = event.get("detail") or {}
    name = str(detail.get("TransformJobName") or detail.get("batchJobName") or "")
    if not name.startswith(f"{os.environ['ENVIRONMENT_ID']}-"):
        LOGGER.info("ignored job %r: not a job of this environment", name)
        return
    job = bedrock_job(detail) if event.get("source") == "aws.bedrock" else transform_job(detail)
    place = output_place(job.output_uri)
    if place is None:
        LOGGER.warning("ignored job %s: its output %s is no batch output of this environment", name, job.output_uri)
        return
    update(*place, job)


def transform_job(detail: dict[str, Any]) -> Job:
    """A transform job as its event (DescribeTransformJob's fields) describes it."""
    return Job(
        source="SageMaker",
        model=str(detail.get("ModelName") or os.environ.get("MODEL_NAME", "")),
        name=detail["TransformJobName"],
        arn=str(detail.get("TransformJobArn") or ""),
        status=str(detail.get("TransformJobStatus") or "Unknown"),
        reason=str(detail.get("FailureReason") or ""),
        output_uri=str((detail.get("TransformOutput") or {}).get("S3OutputPath") or ""),
        created_at=iso_time(detail.get("CreationTime")),
        ended_at=iso_time(detail.get("TransformEndTime")),
    )


def bedrock_job(detail: dict[str, Any]) -> Job:
    """A Bedrock job as its event and GetModelInvocationJob (output location, reason, record counts) describe it."""
    found = client("bedrock").get_model_invocation_job(jobIdentifier=detail["batchJobArn"])
    counts = None
    if found.get("errorRecordCount") is not None and found.get("totalRecordCount") is not None:
        counts = (int(found["errorRecordCount"]), int(found["totalRecordCount"]))
    return Job(
        source="Bedrock",
        model=str(found.get("modelId") or os.environ.get("MODEL_ID", "")),
        name=detail["batchJobName"],
        arn=detail["batchJobArn"],
        status=str(detail.get("status") or found.get("status") or "Unknown"),
        reason=str(found.get("message") or ""),
        output_uri=str(found.get("outputDataConfig", {}).get("s3OutputDataConfig", {}).get("s3Uri") or ""),
        created_at=iso_time(found.get("submitTime")),
        ended_at=iso_time(found.get("endTime")),
        counts=counts,
    )


def output_place(uri: str) -> tuple[str, str] | None:
    """Batch id and run of an output URI in this environment's bucket, or None."""
    bucket = re.escape(os.environ["BUCKET_NAME"])
    found = re.fullmatch(
        rf"s3://{bucket}/{re.escape(OUTPUT_PREFIX)}({BATCH_ID.pattern})/([0-9a-f]{{{RUN_LENGTH}}})/?", uri
    )
    return (found.group(1), found.group(2)) if found else None


def update(batch_id: str, run: str, job: Job) -> None:
    """Bring the status record up to the job's state. A record of another run (a newer one: writing the marker
    again replaced it) is left alone; a finished record does not go back to an earlier state (events can arrive
    out of order), and a repeated event is not announced twice."""
    bucket, key = os.environ["BUCKET_NAME"], status_key(batch_id)
    current, etag = read_status(bucket, key)
    owned = current.get("run") in (None, run)
    if owned and current.get("status") in TERMINAL and (job.status not in TERMINAL or job.status == current["status"]):
        LOGGER.info("job %s already %s: ignored %s", job.name, current["status"], job.status)
        return
    status = tracked_status(current if owned else {}, batch_id, run, job)
    if job.status in TERMINAL:
        announce(status)
    if owned:
        put_status(bucket, key, status, {"IfMatch": etag} if etag else {"IfNoneMatch": "*"})
    else:
        LOGGER.warning("job %s of run %s finished after run %s started: record kept", job.name, run, current["run"])


def tracked_status(base: dict[str, Any], batch_id: str, run: str, job: Job) -> dict[str, Any]:
    """The status record with the job's state; timings and the reason once the job has finished."""
    status = base | {"batchId": batch_id, "run": run, "jobName": job.name, "status": job.status, "updatedAt": now()}
    if job.arn:
        status["jobArn"] = job.arn
    status.setdefault("modelSource", job.source)
    status.setdefault("model", job.model)
    status.setdefault("outputPrefix", output_prefix(batch_id, run))
    status.setdefault("submittedAt", job.created_at or now())
    status.pop("error", None)
    if job.status in TERMINAL:
        completed = job.ended_at or now()
        status |= {"completedAt": completed, "durationMs": milliseconds_between(status["submittedAt"], completed)}
        if job.status != "Completed":
            status["error"] = {"code": job.status, "message": failure_reason(job)}
    return status


def failure_reason(job: Job) -> str:
    """Why a job did not complete, in the service's words where it gives some."""
    if job.status == "PartiallyCompleted":
        failed = f"{job.counts[0]} of {job.counts[1]} records" if job.counts else "some records"
        manifest = f"{job.output_uri.rstrip('/')}/{job.arn.rsplit('/', 1)[-1]}/manifest.json.out"
        return f"{failed} failed; see {manifest}"
    defaults = {"Stopped": "the job was stopped", "Expired": "the job did not finish within its timeout"}
    return job.reason or defaults.get(job.status, "no reason given")


# ---- shared ----------------------------------------------------------------------------------------------------


def announce(status: dict[str, Any]) -> None:
    """Publish a finished batch's status record and count it in one CloudWatch embedded-metric line."""
    client("sns").publish(
        TopicArn=os.environ["TOPIC_ARN"],
        Subject=f"Batch {status['batchId']} {status['status']}",
        Message=json.dumps(status, indent=2, sort_keys=True),
    )
    print(json.dumps(metric_line(status)))  # the embedded metric format: CloudWatch reads it from the log


def metric_line(status: dict[str, Any]) -> dict[str, Any]:
    """The embedded-metric record of a finished batch: JobsSucceeded or JobsFailed, per environment."""
    succeeded = status["status"] == "Completed"
    return {
        "_aws": {
            "Timestamp": round(parse_time(now()).timestamp() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": EVENT_NAMESPACE,
                    "Dimensions": [["EnvironmentId"]],
                    "Metrics": [{"Name": "JobsSucceeded", "Unit": "Count"}, {"Name": "JobsFailed", "Unit": "Count"}],
                }
            ],
        },
        "EnvironmentId": os.environ["ENVIRONMENT_ID"],
        "JobsSucceeded": int(succeeded),
        "JobsFailed": int(not succeeded),
        "BatchId": status["batchId"],
        "Status": status["status"],
    }


def model_name() -> str:
    """What serves the batches: the Bedrock model or profile, or the SageMaker model."""
    return os.environ["MODEL_ID"] if os.environ["MODEL_SOURCE"] == "Bedrock" else os.environ["MODEL_NAME"]


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def read_status(bucket: str, key: str) -> tuple[dict[str, Any], str | None]:
    """The status record and its ETag, or an empty record and None."""
    try:
        response = client("s3").get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if missing(error, bucket, key):
            return {}, None
        raise
    return dict(json.loads(response["Body"].read())), response["ETag"]


def missing(error: ClientError, bucket: str, key: str) -> bool:
    """Whether ``error`` means that the object does not exist. S3 answers 404 only to callers allowed
    ``s3:ListBucket`` on the bucket, 403 otherwise ("If you don't have the s3:ListBucket permission, Amazon S3
    returns an HTTP status code 403"); our listing grants carry an ``s3:prefix`` condition, which a GetObject
    request does not have, so a 403 is checked by listing the key itself."""
    code = error.response.get("Error", {}).get("Code")
    if code in ("NoSuchKey", "404", "NotFound"):
        return True
    if code not in ("AccessDenied", "403", "Forbidden"):
        return False
    listed = client("s3").list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("Contents", [])
    return not any(item["Key"] == key for item in listed)


def write_status(bucket: str, key: str, status: dict[str, Any]) -> None:
    """Write the status record whatever it holds now."""
    put_status(bucket, key, status, {})


def put_status(bucket: str, key: str, status: dict[str, Any], condition: dict[str, str]) -> None:
    """Write the status record (the sandbox key encrypts it; ``condition``: S3's IfMatch or IfNoneMatch) and log
    it as one line."""
    body = json.dumps(status, indent=2, sort_keys=True).encode()
    client("s3").put_object(
        Bucket=bucket, Key=key, Body=body, ContentType="application/json", **encryption(), **condition
    )
    LOGGER.info(json.dumps({"statusKey": key, "run": status.get("run"), "status": status.get("status")}))


def conflicting(error: ClientError) -> bool:
    """Whether a conditional write failed because the record changed."""
    return error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict")


def encryption() -> dict[str, str]:
    """Write with the sandbox key, as the bucket policy requires of explicit headers."""
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": os.environ["KEY_ARN"]}


def iso_time(value: Any) -> str | None:
    """An event's or API's time (epoch milliseconds, ISO 8601 or a datetime) as ISO 8601 UTC; None if unreadable."""
    try:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            moment = datetime.fromtimestamp(value / 1000, UTC)
        elif isinstance(value, str) and value.isdigit():
            moment = datetime.fromtimestamp(int(value) / 1000, UTC)
        elif isinstance(value, str) and value:
            moment = parse_time(value)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def milliseconds_between(start: str, end: str) -> int:
    """Milliseconds from one ISO 8601 time to another (0 when either cannot be read)."""
    try:
        return max(0, round((parse_time(end) - parse_time(start)).total_seconds() * 1000))
    except ValueError:
        return 0


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def whole(name: str) -> int:
    """A whole-number setting from the environment: CloudFormation passes Number parameters as written, and
    ``10.0`` is a valid Number."""
    return int(float(os.environ[name]))


def url_suffix(region: str) -> str:
    """The domain of AWS endpoints in ``region``'s partition."""
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def client(service: str) -> Any:
    """One client per service and container."""
    if service not in _clients:
        _clients[service] = boto3.client(service, config=CLIENT_CONFIG)
    return _clients[service]
