"""Asynchronous inference: a request object in S3 -> the model -> a result and a status record next to each other.

Self-contained on purpose: CloudFormation inlines this file as ``index.py`` (handler ``index.handler``) and the
runtime provides only the standard library and boto3. Two functions share it; ``STEP`` says which one runs:

- ``invoke`` (SQS batch of EventBridge ``Object Created`` events under ``inference/async/input/``): checks the
  request; with SageMaker calls ``InvokeEndpointAsync``; with Bedrock invokes the model itself, writes the result and
  publishes the notification SageMaker would send, so both sources behave alike.
- ``complete`` (SNS, the success and error topics): writes the final status record and emits an EventBridge event.

Keys, for an input ``inference/async/input/<path>/<name>.<ext>``:
- result ``inference/async/output/<path>/<name>.out``;
- status ``inference/async/output/<path>/<name>.status.json``;
- SageMaker's error payloads under ``inference/async/output/failures/``.
Names that SageMaker's ``Filename`` refuses (more than 28 characters, or other than letters, digits, ``-`` and
``_``) are shortened and given a hash; the status record always names the keys.

Bedrock request document: ``{"invocationType": "Converse", "modelInput": {"messages": [...], ...}}`` (Converse
fields except ``modelId`` and ``guardrailConfig``) or ``{"invocationType": "InvokeModel", "modelInput": {...}}``
(the model's own request body).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

LOGGER = logging.getLogger()
LOGGER.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
INPUT_PREFIX = "inference/async/input/"
OUTPUT_PREFIX = "inference/async/output/"
STATUS_SUFFIX = ".status.json"
RESULT_SUFFIX = ".out"
SAGEMAKER_INPUT_LIMIT = 1024**3
"""SageMaker asynchronous inference reads request payloads of up to 1 GB."""
BEDROCK_INPUT_LIMIT = 5 * 1024**2
"""A Bedrock request document is read into the function's memory: 5 MB at most."""
STEM_LIMIT = 32 - len(RESULT_SUFFIX)
"""InvokeEndpointAsync's ``Filename`` takes 32 characters, one dot."""
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=240, retries={"mode": "adaptive", "total_max_attempts": 3})
"""Throttling and 5xx are retried with backoff (adaptive mode also slows down on throttling); a read timeout for
models that write long answers. Three attempts of four minutes fit the function's fifteen."""
RETRYABLE = {
    "ThrottlingException",
    "ServiceQuotaExceededException",
    "ServiceUnavailableException",
    "InternalServerException",
    "ModelNotReadyException",
    "ModelTimeoutException",
    "InternalFailure",
    "ServiceUnavailable",
    "InternalDependencyException",
    "SlowDown",
    "InternalError",
    "RequestTimeout",
    "KMSThrottlingException",
}
"""Errors that another attempt may cure; everything else about a request fails it at once."""
CONVERSE_FIELDS = {
    "messages",
    "system",
    "inferenceConfig",
    "toolConfig",
    "additionalModelRequestFields",
    "additionalModelResponseFieldPaths",
    "promptVariables",
    "requestMetadata",
    "performanceConfig",
}
GUARDRAIL_TAGGING = "amazon-bedrock-guardrail"
EVENT_SOURCE = "genai-sandbox.async-inference"
"""``source`` of the EventBridge events ``complete`` emits; ``detail-type`` is ``Async Inference Completed`` or
``Async Inference Failed``."""
_clients: dict[str, Any] = {}


class RequestError(ValueError):
    """The request cannot be served as written: it fails at once with this message (another try would not help)."""


class InputNotFoundError(LookupError):
    """The request object is gone (deleted before it was served): the request fails at once."""


# ---- keys ------------------------------------------------------------------------------------------------------


def request_paths(input_key: str) -> dict[str, str]:
    """The output directory (``S3OutputPathExtension``), ``Filename``, result and status keys of a request."""
    relative = input_key[len(INPUT_PREFIX) :]
    directory, _, name = relative.rpartition("/")
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    clean_directory = re.sub(r"[^a-zA-Z0-9!_.*'()/-]", "-", directory)
    if not re.fullmatch(rf"[a-zA-Z0-9][a-zA-Z0-9_-]{{0,{STEM_LIMIT - 1}}}", stem) or clean_directory != directory:
        readable = re.sub(r"[^a-zA-Z0-9_-]", "-", stem).strip("-_")[: STEM_LIMIT - 9] or "request"
        stem = f"{readable}-{hashlib.sha256(relative.encode()).hexdigest()[:8]}"
    base = f"{OUTPUT_PREFIX}{clean_directory}/" if clean_directory else OUTPUT_PREFIX
    return {
        "directory": clean_directory,
        "filename": stem + RESULT_SUFFIX,
        "output_key": base + stem + RESULT_SUFFIX,
        "status_key": base + stem + STATUS_SUFFIX,
    }


def request_id(input_key: str, version: str) -> str:
    """The ``InferenceId`` (at most 64 characters): the name's stem and a hash of the key and version, so a new
    version of the same key is a new request and a repeated delivery is the same one."""
    stem = request_paths(input_key)["filename"][: -len(RESULT_SUFFIX)]
    return f"{stem}-{hashlib.sha256(f'{input_key}#{version}'.encode()).hexdigest()[:16]}"


def key_of(uri: str) -> str:
    """The object key of an ``s3://bucket/key`` URI."""
    return uri.split("/", 3)[3] if uri.startswith("s3://") and uri.count("/") >= 3 else ""


def handler(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
    """``invoke`` or ``complete``, as the function's ``STEP`` says."""
    if os.environ["STEP"] == "invoke":
        return invoke(event, context)
    complete(event, context)
    return None


# ---- invoke ----------------------------------------------------------------------------------------------------


def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Work through an SQS batch; report the messages to retry (they return after a growing delay, then go to the
    dead-letter queue with their reason in the status record)."""
    failures = []
    for record in event.get("Records", []):
        if not handle_message(record):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


@dataclass
class Request:
    """One request object and what is known about it."""

    record: dict[str, Any]
    bucket: str
    key: str
    paths: dict[str, str]
    status: dict[str, Any]
    record_version: str = ""
    """The object version the event announced (versioned buckets): Bedrock reads exactly it, so a key overwritten
    before its request was served still serves each version once. SageMaker's ``InputLocation`` names no version."""
    etag: str | None = None


class PoisonMessageError(ValueError):
    """The message is not an S3 event: it is retried, then left in the dead-letter queue."""


def handle_message(record: dict[str, Any]) -> bool:
    """Serve one message; False when it should be retried."""
    try:
        request = read_request(record)
    except PoisonMessageError:
        LOGGER.error("not an S3 Object Created event, left for the dead-letter queue: %s", record.get("body", "")[:500])
        return False
    if request is None:
        return True
    previous, request.etag = read_status(request.bucket, request.paths["status_key"])
    finished = {"Completed", "Failed"} | ({"InProgress"} if os.environ["MODEL_SOURCE"] == "SageMaker" else set())
    if previous.get("requestId") == request.status["requestId"] and previous.get("status") in finished:
        LOGGER.info("request %s already %s: repeated delivery", request.status["requestId"], previous["status"])
        return True
    try:
        serve(request)
        return True
    except Exception as error:  # every failure is classified, recorded and announced or retried
        code, message, retryable = classify(error)
        if retryable:
            return retry_or_give_up(request, code, message)
        fail(request, code, message)
        return True


def read_request(record: dict[str, Any]) -> Request | None:
    """The request an SQS message announces, or None for objects that are not requests (folder markers)."""
    try:
        body = json.loads(record["body"])
        detail = body["detail"]
        bucket, key = detail["bucket"]["name"], detail["object"]["key"]
        version = detail["object"].get("version-id") or detail["object"].get("sequencer") or ""
    except (KeyError, TypeError, ValueError) as error:
        raise PoisonMessageError(str(error)) from error
    if not key.startswith(INPUT_PREFIX) or key.endswith("/"):
        LOGGER.info("ignored %s: not a request object", key)
        return None
    status = {
        "requestId": request_id(key, version),
        "inputKey": key,
        "inputVersionId": version,
        "modelSource": os.environ["MODEL_SOURCE"],
        "model": model_name(),
        "submittedAt": body.get("time") or now(),
        "attempts": int(record.get("attributes", {}).get("ApproximateReceiveCount", "1")),
    }
    return Request(record, bucket, key, request_paths(key), status, detail["object"].get("version-id") or "")


def classify(error: Exception) -> tuple[str, str, bool]:
    """Error code, message, and whether another attempt may cure it."""
    if isinstance(error, RequestError | ParamValidationError):
        return "InvalidRequest", str(error), False
    if isinstance(error, InputNotFoundError):
        return "InputNotFound", "the input object no longer exists", False
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "Unknown")
        if code in ("NoSuchKey", "404", "NotFound"):
            return "InputNotFound", "the input object no longer exists", False
        return code, f"{code}: {error.response.get('Error', {}).get('Message', '')}", code in RETRYABLE
    if isinstance(error, BotoCoreError):
        return type(error).__name__, str(error), True
    LOGGER.exception("unexpected failure")
    return "InternalError", repr(error), True


def serve(request: Request) -> None:
    """Start (SageMaker) or do (Bedrock) the inference, with a status record before and after."""
    status = request.status
    head = head_input(request.bucket, request.key)
    status["startedAt"] = now()
    if os.environ["MODEL_SOURCE"] == "Bedrock":
        serve_bedrock(request, head["ContentLength"])
        return
    if head["ContentLength"] > SAGEMAKER_INPUT_LIMIT:
        raise RequestError(f"the input is {head['ContentLength']} bytes; SageMaker takes at most 1 GB")
    arguments: dict[str, Any] = {
        "EndpointName": os.environ["ENDPOINT_NAME"],
        "InputLocation": f"s3://{request.bucket}/{request.key}",
        "ContentType": content_type(head),
        "InferenceId": status["requestId"],
        "Filename": request.paths["filename"],
        "RequestTTLSeconds": whole("REQUEST_TTL_SECONDS"),
        "InvocationTimeoutSeconds": whole("INVOCATION_TIMEOUT_SECONDS"),
    }
    if request.paths["directory"]:
        arguments["S3OutputPathExtension"] = request.paths["directory"]
    response = client("sagemaker-runtime").invoke_endpoint_async(**arguments)
    status |= {"status": "InProgress", "outputKey": key_of(response.get("OutputLocation", ""))}
    if response.get("FailureLocation"):
        status["failureKey"] = key_of(response["FailureLocation"])
    write_status_unless_changed(request.bucket, request.paths["status_key"], status, request.etag)


def head_input(bucket: str, key: str) -> dict[str, Any]:
    """The request object's metadata; ``InputNotFoundError`` when it is gone."""
    try:
        return dict(client("s3").head_object(Bucket=bucket, Key=key))
    except ClientError as error:
        if missing(error, bucket, key):
            raise InputNotFoundError(key) from error
        raise


def content_type(head: dict[str, Any]) -> str:
    """The input's content type; JSON when it was written without one (S3 then reports ``binary/octet-stream``)."""
    written = head.get("ContentType")
    return "application/json" if written in (None, "", "binary/octet-stream") else str(written)


def serve_bedrock(request: Request, size: int) -> None:
    """Invoke the model through the environment's profile and guardrail, write the result, announce it."""
    if size > BEDROCK_INPUT_LIMIT:
        raise RequestError(f"the request document is {size} bytes; Bedrock requests take at most 5 MB here")
    version = {"VersionId": request.record_version} if request.record_version else {}
    document = parse_document(client("s3").get_object(Bucket=request.bucket, Key=request.key, **version)["Body"].read())
    status, output_key = request.status, request.paths["output_key"]
    status["status"] = "InProgress"
    write_status(request.bucket, request.paths["status_key"], status)
    result = call_bedrock(document)
    client("s3").put_object(
        Bucket=request.bucket, Key=output_key, Body=json.dumps(result, default=base64_blob).encode(),
        ContentType="application/json",
        **encryption(),
    )  # fmt: skip
    status |= {"status": "Completed", "outputKey": output_key, "completedAt": now()}
    write_status(request.bucket, request.paths["status_key"], status)
    notify(request.bucket, status)


def parse_document(raw: bytes) -> dict[str, Any]:
    """The request document, checked; every problem is reported at once."""
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RequestError(f"the request must be a JSON document: {error}") from error
    if not isinstance(document, dict):
        raise RequestError('the request must be a JSON object {"invocationType": ..., "modelInput": {...}}')
    problems = []
    kind, model_input = document.get("invocationType"), document.get("modelInput")
    if kind not in ("Converse", "InvokeModel"):
        problems.append(f"invocationType must be Converse or InvokeModel, not {kind!r}")
    if not isinstance(model_input, dict):
        problems.append("modelInput must be a JSON object")
    elif kind == "Converse":
        unknown = sorted(set(model_input) - CONVERSE_FIELDS)
        if unknown:
            problems.append(
                f"modelInput has fields Converse does not take here: {', '.join(unknown)} (the sandbox sets modelId "
                f"and guardrailConfig; allowed: {', '.join(sorted(CONVERSE_FIELDS))})"
            )
        if not isinstance(model_input.get("messages"), list) or not model_input.get("messages"):
            problems.append("modelInput.messages must be a non-empty list")
        elif os.environ.get("GUARDRAIL_ID") and carries_guard_content(model_input):
            problems.append(
                "modelInput must not carry guardContent blocks: the sandbox guardrail checks the whole request"
            )
    elif (
        kind == "InvokeModel"
        and os.environ.get("GUARDRAIL_ID")
        and GUARDRAIL_TAGGING in json.dumps(model_input).lower()
    ):
        problems.append("modelInput must not carry amazon-bedrock-guardrail settings: the sandbox guardrail applies")
    unknown_top = sorted(set(document) - {"invocationType", "modelInput"})
    if unknown_top:
        problems.append(f"unknown fields: {', '.join(unknown_top)} (allowed: invocationType, modelInput)")
    if problems:
        raise RequestError("; ".join(problems))
    return document


def carries_guard_content(model_input: dict[str, Any]) -> bool:
    """Whether a message or system block is a ``guardContent`` block: with one, Converse's guardrail checks only
    those blocks, so a harmless one would let the rest of the request through unchecked."""
    system = model_input.get("system")
    blocks = list(system) if isinstance(system, list) else []
    for message in model_input.get("messages") or []:
        if isinstance(message, dict) and isinstance(message.get("content"), list):
            blocks += message["content"]
    return any(isinstance(block, dict) and "guardContent" in block for block in blocks)


def call_bedrock(document: dict[str, Any]) -> dict[str, Any]:
    """Converse or InvokeModel with the environment's model and guardrail."""
    guardrail = guardrail_settings()
    runtime = client("bedrock-runtime")
    if document["invocationType"] == "Converse":
        request = {**document["modelInput"], "modelId": os.environ["MODEL_ID"]}
        if guardrail:
            request["guardrailConfig"] = guardrail
        response = runtime.converse(**request)
        response.pop("ResponseMetadata", None)
        return dict(response)
    response = runtime.invoke_model(
        modelId=os.environ["MODEL_ID"],
        contentType="application/json",
        accept="application/json",
        body=json.dumps(document["modelInput"]).encode(),
        **guardrail,
    )
    body = response["body"].read().decode()
    try:
        return {"output": json.loads(body)}
    except json.JSONDecodeError:
        return {"output": body}


def base64_blob(value: Any) -> str:
    """A blob of a model's answer (redacted reasoning, an image, a document) in JSON: base64, as on the wire."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def guardrail_settings() -> dict[str, str]:
    """The configured guardrail as Converse/InvokeModel arguments, or nothing."""
    if not os.environ.get("GUARDRAIL_ID"):
        return {}
    return {
        "guardrailIdentifier": os.environ["GUARDRAIL_ID"],
        "guardrailVersion": os.environ.get("GUARDRAIL_VERSION") or "DRAFT",
    }


def retry_or_give_up(request: Request, code: str, message: str) -> bool:
    """Before the last attempt: record ``Retrying`` and delay the next one. At the last: fail the request (the
    message then moves to the dead-letter queue)."""
    attempts = request.status["attempts"]
    if attempts >= whole("MAX_RECEIVES"):
        fail(request, code, f"{message} (after {attempts} attempts)")
        return False
    LOGGER.warning("request %s attempt %s failed: %s", request.status["requestId"], attempts, message)
    retrying = request.status | {"status": "Retrying", "error": {"code": code, "message": message}}
    write_status(request.bucket, request.paths["status_key"], retrying)
    delay(request.record, 60 * attempts)
    return False


def fail(request: Request, code: str, message: str) -> None:
    """Record the failure and announce it on the error topic, as SageMaker announces its own."""
    status = request.status
    LOGGER.error("request %s failed: %s: %s", status["requestId"], code, message)
    status |= {"status": "Failed", "error": {"code": code, "message": message}, "completedAt": now()}
    status.pop("outputKey", None)
    write_status(request.bucket, request.paths["status_key"], status)
    notify(request.bucket, status)


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


def notify(bucket: str, status: dict[str, Any]) -> None:
    """Publish what SageMaker publishes for its own requests, so ``complete`` treats both sources alike."""
    succeeded = status["status"] == "Completed"
    message: dict[str, Any] = {
        "eventSource": "genai-sandbox:async-inference",
        "eventName": "InferenceResult",
        "eventTime": status["completedAt"],
        "receivedTime": status["submittedAt"],
        "invocationStatus": "Completed" if succeeded else "Failed",
        "inferenceId": status["requestId"],
        "requestParameters": {"inputLocation": f"s3://{bucket}/{status['inputKey']}"},
        "responseParameters": {"outputLocation": f"s3://{bucket}/{status['outputKey']}"} if succeeded else {},
    }
    if not succeeded:
        message["failureReason"] = f"{status['error']['code']}: {status['error']['message']}"
    topic = os.environ["SUCCESS_TOPIC_ARN" if succeeded else "ERROR_TOPIC_ARN"]
    client("sns").publish(TopicArn=topic, Message=json.dumps(message))


# ---- complete --------------------------------------------------------------------------------------------------


def complete(event: dict[str, Any], context: Any) -> None:
    """Write the final status record of each notification and emit an EventBridge event for it."""
    for record in event.get("Records", []):
        message = json.loads(record["Sns"]["Message"])
        input_uri = message.get("requestParameters", {}).get("inputLocation", "")
        bucket, key = input_uri[len("s3://") :].split("/", 1)[0], key_of(input_uri)
        if bucket != os.environ["BUCKET_NAME"] or not key.startswith(INPUT_PREFIX):
            LOGGER.warning("ignored a notification about %s: not a request of this environment", input_uri)
            continue
        status, owned = final_status(bucket, key, message)
        if owned:
            write_status(bucket, request_paths(key)["status_key"], status)
        else:
            LOGGER.warning("request %s finished after a newer request of %s", status["requestId"], key)
        emit(status)


def final_status(bucket: str, key: str, message: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The status record so far, completed with the notification's outcome, locations and timings; and whether the
    record at the status key is this request's (a newer request of the same key owns it otherwise)."""
    status, _ = read_status(bucket, request_paths(key)["status_key"])
    owned = status.get("requestId") in (None, message.get("inferenceId"))
    if not owned:
        status = {}
    response = message.get("responseParameters", {})
    completed_at = message.get("eventTime") or now()
    status |= {
        "requestId": message.get("inferenceId", ""),
        "inputKey": key,
        "modelSource": os.environ["MODEL_SOURCE"],
        "model": status.get("model") or model_name(),
        "completedAt": completed_at,
    }
    status.setdefault("submittedAt", message.get("receivedTime") or completed_at)
    if message.get("invocationStatus") == "Completed":
        status |= {"status": "Completed", "outputKey": key_of(response.get("outputLocation", ""))}
        status.pop("error", None)
        status.pop("failureKey", None)
    else:
        status["status"] = "Failed"
        status.pop("outputKey", None)
        if response.get("failureLocation"):
            status["failureKey"] = key_of(response["failureLocation"])
        code, _, reason = (message.get("failureReason") or "ModelError: no reason given").partition(": ")
        status["error"] = {"code": code, "message": reason or code}
    status["latencyMs"] = milliseconds_between(status["submittedAt"], completed_at)
    return status, owned


def emit(status: dict[str, Any]) -> None:
    """One EventBridge event per finished request on the default bus."""
    outcome = "Completed" if status["status"] == "Completed" else "Failed"
    response = client("events").put_events(
        Entries=[
            {
                "Source": EVENT_SOURCE,
                "DetailType": f"Async Inference {outcome}",
                "Detail": json.dumps(status | {"environmentId": os.environ["ENVIRONMENT_ID"]}),
            }
        ]
    )
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"EventBridge refused the event: {response['Entries']}")


# ---- shared ----------------------------------------------------------------------------------------------------


def model_name() -> str:
    """What serves the requests: the Bedrock model or profile, or the endpoint."""
    return os.environ["MODEL_ID"] if os.environ["MODEL_SOURCE"] == "Bedrock" else os.environ["ENDPOINT_NAME"]


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
    """Write the status record (the sandbox key encrypts it) and log it as one line."""
    body = json.dumps(status, indent=2, sort_keys=True)
    client("s3").put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType="application/json", **encryption())
    LOGGER.info(json.dumps({"statusKey": key, "requestId": status.get("requestId"), "status": status.get("status")}))


def write_status_unless_changed(bucket: str, key: str, status: dict[str, Any], etag: str | None) -> None:
    """Write the status record only if nobody wrote it since it was read (S3 conditional write): SageMaker may
    finish a quick request, and ``complete`` record it, before ``InvokeEndpointAsync`` has returned here."""
    condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
    body = json.dumps(status, indent=2, sort_keys=True).encode()
    try:
        client("s3").put_object(
            Bucket=bucket, Key=key, Body=body, ContentType="application/json", **encryption(), **condition
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "ConditionalRequestConflict"):
            raise
        LOGGER.info("request %s finished before its start was recorded", status["requestId"])


def encryption() -> dict[str, str]:
    """Write with the sandbox key, as the bucket policy requires of explicit headers."""
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": os.environ["KEY_ARN"]}


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
