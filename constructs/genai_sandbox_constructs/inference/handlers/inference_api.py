"""API Gateway (REST, Lambda proxy) -> Bedrock Converse or a SageMaker endpoint.

Self-contained on purpose: CloudFormation inlines this file as ``index.py`` (handler ``index.handler``) and the
runtime provides only the standard library and boto3.

Request body with Bedrock, one of:
- {"prompt": str, "max_tokens": int 1-4096 (optional), "temperature": float 0-1 (optional)}: Converse;
- {"native": {...}}: InvokeModel with the model's own request body (embedding models, imported models whose
  architecture has no Converse support), answered with the model's own JSON.
With SageMaker: any JSON object, sent to the endpoint as is.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

LOGGER = logging.getLogger()
LOGGER.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=25, retries={"total_max_attempts": 1, "mode": "standard"})
"""Everything fits in the function's 28 s (and API Gateway's 29 s): one attempt in all (botocore's
``max_attempts`` would count retries only), connect 2 s + read 25 s. Callers retry on 429/5xx instead."""
MAX_BODY_BYTES = 256 * 1024
STATUS_BY_ERROR = {
    # Bedrock runtime
    "ThrottlingException": 429,
    "ServiceQuotaExceededException": 429,
    "ValidationException": 400,
    "AccessDeniedException": 502,
    "ResourceNotFoundException": 502,
    "ModelErrorException": 502,
    "InternalServerException": 502,
    "ModelNotReadyException": 503,
    "ServiceUnavailableException": 503,
    "ModelTimeoutException": 504,
    # SageMaker runtime
    "ValidationError": 400,
    "ModelError": 502,
    "InternalFailure": 502,
    "InternalDependencyException": 502,
    "ServiceUnavailable": 503,
}
"""Service error code -> HTTP status. 4xx keep the service's message (it tells the caller what to change); 5xx
answer a fixed message and log the service's one."""
GUARDRAIL_TAGGING = "amazon-bedrock-guardrail"
"""Prefix of InvokeModel's guardrail config key and guard-content tags: with them a body could limit the guardrail
to a harmless fragment of itself."""
_clients: dict[str, Any] = {}


class BadRequestError(ValueError):
    """The caller sent something we cannot serve: 400 with the message."""


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Serve one request; every outcome is a JSON response with a status code and a request id."""
    request_id = getattr(context, "aws_request_id", "local")
    started = time.monotonic()
    try:
        body = parse_body(event)
        result = invoke_bedrock(body) if os.environ["MODEL_SOURCE"] == "Bedrock" else invoke_sagemaker(body)
        return respond(200, {**result, "requestId": request_id}, request_id, started)
    except BadRequestError as error:
        return respond(400, {"message": str(error), "requestId": request_id}, request_id, started)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        detail = error.response.get("Error", {}).get("Message", "")
        status = STATUS_BY_ERROR.get(code, 500)
        if code == "ModelError" and 400 <= int(error.response.get("OriginalStatusCode") or 0) < 500:
            status, detail = 400, str(error.response.get("OriginalMessage") or detail)  # the container refused it
        LOGGER.log(logging.ERROR if status >= 500 else logging.WARNING, "model call failed: %s: %s", code, detail)
        message = detail if status < 500 else "The model failed to answer."
        return respond(status, {"message": message, "error": code, "requestId": request_id}, request_id, started)
    except BotoCoreError as error:
        LOGGER.exception("model call failed")
        body = {"message": "The model did not answer in time.", "error": type(error).__name__, "requestId": request_id}
        return respond(504, body, request_id, started)
    except Exception:  # the caller gets our JSON 500 and a request id, the logs get the traceback
        LOGGER.exception("unexpected failure")
        body = {"message": "Internal error.", "error": "InternalError", "requestId": request_id}
        return respond(500, body, request_id, started)


def parse_body(event: dict[str, Any]) -> dict[str, Any]:
    """The request body as a dict; raises BadRequestError with a message that says what is wrong."""
    raw = event.get("body") or ""
    if len(raw.encode()) > MAX_BODY_BYTES:
        raise BadRequestError(f"body must be at most {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as error:
        raise BadRequestError(f"body must be JSON: {error.msg}") from error
    if not isinstance(body, dict):
        raise BadRequestError("body must be a JSON object")
    if os.environ["MODEL_SOURCE"] == "Bedrock":
        validate_bedrock_body(body)
    return body


def validate_bedrock_body(body: dict[str, Any]) -> None:
    """Check prompt, max_tokens and temperature (or the native body); report every problem at once."""
    if "native" in body:
        if not isinstance(body["native"], dict) or set(body) != {"native"}:
            raise BadRequestError("native must be a JSON object and the only field (the model's own request body)")
        if os.environ.get("GUARDRAIL_ID") and GUARDRAIL_TAGGING in json.dumps(body["native"]).lower():
            raise BadRequestError(
                "native must not carry amazon-bedrock-guardrail settings or tags: the sandbox guardrail checks "
                "the whole request"
            )
        return
    problems = []
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        problems.append("prompt must be a non-empty string")
    max_tokens = body.get("max_tokens", 512)
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or not 1 <= max_tokens <= 4096:
        problems.append("max_tokens must be an integer from 1 to 4096")
    temperature = body.get("temperature", 0.5)
    if not isinstance(temperature, int | float) or isinstance(temperature, bool) or not 0 <= temperature <= 1:
        problems.append("temperature must be a number from 0 to 1")
    if problems:
        raise BadRequestError("; ".join(problems))


def invoke_bedrock(body: dict[str, Any]) -> dict[str, Any]:
    """Bedrock Converse (or InvokeModel for a native body) with the configured model (or profile) and guardrail."""
    if "native" in body:
        return invoke_bedrock_native(body["native"])
    request: dict[str, Any] = {
        "modelId": os.environ["MODEL_ID"],
        "messages": [{"role": "user", "content": [{"text": body["prompt"]}]}],
        "inferenceConfig": {"maxTokens": body.get("max_tokens", 512), "temperature": body.get("temperature", 0.5)},
    }
    guardrail = guardrail_settings()
    if guardrail:
        request["guardrailConfig"] = guardrail
    response = client("bedrock-runtime").converse(**request)
    text = "".join(part.get("text", "") for part in response["output"]["message"]["content"])
    return {"output": text, "stopReason": response["stopReason"], "usage": response.get("usage", {})}


def invoke_bedrock_native(native: dict[str, Any]) -> dict[str, Any]:
    """InvokeModel with the model's own request body; the guardrail applies here too."""
    request: dict[str, Any] = {
        "modelId": os.environ["MODEL_ID"],
        "contentType": "application/json",
        "accept": "application/json",
        "body": json.dumps(native).encode(),
    }
    request |= guardrail_settings()
    response = client("bedrock-runtime").invoke_model(**request)
    return {"output": json_or_text(response["body"].read().decode())}


def guardrail_settings() -> dict[str, str]:
    """The configured guardrail as Converse/InvokeModel arguments, or nothing."""
    if not os.environ.get("GUARDRAIL_ID"):
        return {}
    return {
        "guardrailIdentifier": os.environ["GUARDRAIL_ID"],
        "guardrailVersion": os.environ.get("GUARDRAIL_VERSION") or "DRAFT",
    }


def invoke_sagemaker(body: dict[str, Any]) -> dict[str, Any]:
    """The configured SageMaker endpoint, with the body as JSON."""
    response = client("sagemaker-runtime").invoke_endpoint(
        EndpointName=os.environ["ENDPOINT_NAME"],
        ContentType="application/json",
        Accept="application/json",
        Body=json.dumps(body).encode(),
    )
    return {"output": json_or_text(response["Body"].read().decode())}


def json_or_text(payload: str) -> Any:
    """A model's answer: parsed JSON when it is JSON, else the text."""
    try:
        return json.loads(payload)
    except json.JSONDecodeError:
        return payload


def client(service: str) -> Any:
    """One client per service and container, with timeouts that fit API Gateway."""
    if service not in _clients:
        _clients[service] = boto3.client(service, config=CLIENT_CONFIG)
    return _clients[service]


def respond(status: int, body: dict[str, Any], request_id: str, started: float) -> dict[str, Any]:
    """A proxy response, logged as one structured line."""
    record = {"requestId": request_id, "status": status, "latencyMs": round((time.monotonic() - started) * 1000)}
    if "error" in body:
        record["error"] = body["error"]
    LOGGER.info(json.dumps(record))
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
