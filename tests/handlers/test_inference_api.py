"""The API handler with botocore's Stubber: success, throttling, model errors, timeouts and bad requests."""

from __future__ import annotations

import importlib.util
import io
import json
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from genai_sandbox_constructs.inference.inference_api import HANDLER_SOURCE
from tests.helpers.strict_stubber import strict

CONTEXT = SimpleNamespace(aws_request_id="req-1")


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The handler file loaded as Lambda loads index.py, with fake credentials and a fresh client cache."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("index", HANDLER_SOURCE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stub(handler: ModuleType, service: str) -> Stubber:
    """The handler's client for ``service``, stubbed, with enums, patterns and lengths checked too."""
    client = strict(boto3.client(service, region_name="us-east-1"))
    handler._clients[service] = client
    stubber = Stubber(client)
    stubber.activate()
    return stubber


def _call(handler: ModuleType, body: Any) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, str) else json.dumps(body)
    response = handler.handler({"body": raw}, CONTEXT)
    assert response["headers"] == {"Content-Type": "application/json"}
    return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def bedrock(handler: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Stubber:
    monkeypatch.setenv("MODEL_SOURCE", "Bedrock")
    monkeypatch.setenv("MODEL_ID", "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6")
    monkeypatch.setenv("GUARDRAIL_ID", "")
    return _stub(handler, "bedrock-runtime")


@pytest.fixture
def sagemaker(handler: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Stubber:
    monkeypatch.setenv("MODEL_SOURCE", "SageMaker")
    monkeypatch.setenv("ENDPOINT_NAME", "Endpoint-abc")
    return _stub(handler, "sagemaker-runtime")


CONVERSE_OK = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Hello"}, {"text": " there"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5},
    "metrics": {"latencyMs": 10},
}


def test_bedrock_success_calls_converse_with_the_profile(handler: ModuleType, bedrock: Stubber) -> None:
    bedrock.add_response(
        "converse",
        CONVERSE_OK,
        {
            "modelId": "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
            "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
            "inferenceConfig": {"maxTokens": 100, "temperature": 0.2},
        },
    )
    status, body = _call(handler, {"prompt": "Hi", "max_tokens": 100, "temperature": 0.2})
    assert status == 200
    assert body == {
        "output": "Hello there",
        "stopReason": "end_turn",
        "usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5},
        "requestId": "req-1",
    }
    bedrock.assert_no_pending_responses()


def test_bedrock_applies_the_guardrail_on_every_call(
    handler: ModuleType, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GUARDRAIL_ID", "abcd1234efgh")
    monkeypatch.setenv("GUARDRAIL_VERSION", "3")
    expected = {
        "modelId": ANY,
        "messages": ANY,
        "inferenceConfig": ANY,
        "guardrailConfig": {"guardrailIdentifier": "abcd1234efgh", "guardrailVersion": "3"},
    }
    bedrock.add_response("converse", {**CONVERSE_OK, "stopReason": "guardrail_intervened"}, expected)
    status, body = _call(handler, {"prompt": "Hi"})
    assert (status, body["stopReason"]) == (200, "guardrail_intervened")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 429),
        ("ModelErrorException", 502),
        ("ModelTimeoutException", 504),
        ("InternalServerException", 502),
        ("AccessDeniedException", 502),
        ("SomethingNew", 500),
    ],
)
def test_bedrock_errors_map_to_statuses(
    handler: ModuleType, bedrock: Stubber, caplog: pytest.LogCaptureFixture, code: str, status: int
) -> None:
    bedrock.add_client_error("converse", service_error_code=code, service_message="details", http_status_code=400)
    got, body = _call(handler, {"prompt": "Hi"})
    assert (got, body["error"], body["requestId"]) == (status, code, "req-1")
    (logged,) = [r for r in caplog.records if r.getMessage().startswith("model call failed")]
    assert logged.getMessage() == f"model call failed: {code}: details"  # the cause is in the logs, always
    if status >= 500:
        assert body["message"] == "The model failed to answer."  # no internals leak to the caller
        assert logged.levelname == "ERROR"
    else:
        assert body["message"] == "details"
        assert logged.levelname == "WARNING"


def test_timeouts_become_504(handler: ModuleType, bedrock: Stubber) -> None:
    def time_out(**_: Any) -> None:
        raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")

    handler._clients["bedrock-runtime"] = SimpleNamespace(converse=time_out)
    status, body = _call(handler, {"prompt": "Hi"})
    assert (status, body["error"], body["message"]) == (504, "ReadTimeoutError", "The model did not answer in time.")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "body must be JSON: Expecting value"),
        ("[1, 2]", "body must be a JSON object"),
        ({}, "prompt must be a non-empty string"),
        (
            {"prompt": " ", "max_tokens": 0, "temperature": 2},
            "prompt must be a non-empty string; max_tokens must be an integer from 1 to 4096; temperature must be a "
            "number from 0 to 1",
        ),
        ({"prompt": "Hi", "max_tokens": True}, "max_tokens must be an integer from 1 to 4096"),
        ({"native": "text"}, "native must be a JSON object and the only field (the model's own request body)"),
        (
            {"native": {}, "prompt": "Hi"},
            "native must be a JSON object and the only field (the model's own request body)",
        ),
        ("x" * (256 * 1024 + 1), "body must be at most 262144 bytes"),
    ],
)
def test_malformed_requests_get_400_without_calling_the_model(
    handler: ModuleType, monkeypatch: pytest.MonkeyPatch, raw: Any, message: str
) -> None:
    monkeypatch.setenv("MODEL_SOURCE", "Bedrock")
    monkeypatch.setenv("MODEL_ID", "amazon.nova-lite-v1:0")
    calls: list[dict[str, Any]] = []
    handler._clients["bedrock-runtime"] = SimpleNamespace(converse=lambda **request: calls.append(request))
    status, body = _call(handler, raw)
    assert (status, body["message"]) == (400, message)
    assert calls == []


def test_sagemaker_success_sends_the_body_as_json(handler: ModuleType, sagemaker: Stubber) -> None:
    payload = json.dumps({"generated_text": "42"}).encode()
    sagemaker.add_response(
        "invoke_endpoint",
        {"Body": StreamingBody(io.BytesIO(payload), len(payload)), "ContentType": "application/json"},
        {
            "EndpointName": "Endpoint-abc",
            "ContentType": "application/json",
            "Accept": "application/json",
            "Body": json.dumps({"inputs": "6*7"}).encode(),
        },
    )
    status, body = _call(handler, {"inputs": "6*7"})
    assert (status, body["output"]) == (200, {"generated_text": "42"})


def test_a_sagemaker_answer_that_is_not_json_comes_back_as_text(handler: ModuleType, sagemaker: Stubber) -> None:
    payload = b"label: positive"
    sagemaker.add_response("invoke_endpoint", {"Body": StreamingBody(io.BytesIO(payload), len(payload))})
    status, body = _call(handler, {"inputs": "great"})
    assert (status, body["output"]) == (200, "label: positive")


def test_sagemaker_model_errors_are_502(handler: ModuleType, sagemaker: Stubber) -> None:
    sagemaker.add_client_error(
        "invoke_endpoint", service_error_code="ModelError", service_message="boom", http_status_code=424
    )
    status, body = _call(handler, {"inputs": "x"})
    assert (status, body["error"], body["message"]) == (502, "ModelError", "The model failed to answer.")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 429),
        ("ValidationError", 400),
        ("ServiceUnavailable", 503),
        ("InternalDependencyException", 502),
        ("InternalFailure", 502),
    ],
)
def test_sagemaker_errors_map_to_statuses(handler: ModuleType, sagemaker: Stubber, code: str, status: int) -> None:
    """The codes of the sagemaker-runtime API model, which spells some differently from Bedrock's."""
    sagemaker.add_client_error("invoke_endpoint", service_error_code=code, http_status_code=400)
    got, body = _call(handler, {"inputs": "x"})
    assert (got, body["error"]) == (status, code)


def test_error_table_names_real_codes_of_both_services(handler: ModuleType) -> None:
    """A misspelt code would silently map to 500: every code must exist in the services' API models."""
    session = botocore.session.get_session()
    known = {
        shape.name
        for service in ("bedrock-runtime", "sagemaker-runtime")
        for shape in session.get_service_model(service).error_shapes
    }
    assert set(handler.STATUS_BY_ERROR) - known == set()


def test_client_makes_one_attempt_that_fits_api_gateway(handler: ModuleType) -> None:
    """botocore's ``max_attempts`` counts retries; the client must make exactly one attempt in all."""
    retries = handler.client("bedrock-runtime").meta.config.retries
    assert retries["total_max_attempts"] == 1
    config = handler.CLIENT_CONFIG
    assert config.connect_timeout + config.read_timeout < 28  # the function's timeout, below API Gateway's 29 s


def test_bedrock_native_body_goes_to_invoke_model(handler: ModuleType, bedrock: Stubber) -> None:
    payload = json.dumps({"embedding": [0.1, 0.2]}).encode()
    bedrock.add_response(
        "invoke_model",
        {"body": StreamingBody(io.BytesIO(payload), len(payload)), "contentType": "application/json"},
        {
            "modelId": "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
            "contentType": "application/json",
            "accept": "application/json",
            "body": json.dumps({"inputText": "hello"}).encode(),
        },
    )
    status, body = _call(handler, {"native": {"inputText": "hello"}})
    assert (status, body["output"]) == (200, {"embedding": [0.1, 0.2]})
    bedrock.assert_no_pending_responses()


def test_bedrock_native_body_carries_the_guardrail(
    handler: ModuleType, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GUARDRAIL_ID", "abcd1234efgh")
    payload = b"{}"
    expected = {
        "modelId": ANY,
        "contentType": ANY,
        "accept": ANY,
        "body": ANY,
        "guardrailIdentifier": "abcd1234efgh",
        "guardrailVersion": "DRAFT",
    }
    bedrock.add_response("invoke_model", {"body": StreamingBody(io.BytesIO(payload), 2), "contentType": "x"}, expected)
    status, _ = _call(handler, {"native": {"prompt": "x"}})
    assert status == 200


def test_unexpected_failures_answer_json_500_with_the_request_id(
    handler: ModuleType, bedrock: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    """Anything unforeseen still gets our JSON body (not API Gateway's bare 502), and a traceback in the logs."""

    def explode(**_: Any) -> None:
        raise KeyError("output")

    handler._clients["bedrock-runtime"] = SimpleNamespace(converse=explode)
    status, body = _call(handler, {"prompt": "Hi"})
    assert (status, body) == (500, {"message": "Internal error.", "error": "InternalError", "requestId": "req-1"})
    assert any(r.getMessage() == "unexpected failure" and r.exc_info for r in caplog.records)


def test_a_native_answer_that_is_not_json_comes_back_as_text(handler: ModuleType, bedrock: Stubber) -> None:
    payload = b"plain words"
    bedrock.add_response("invoke_model", {"body": StreamingBody(io.BytesIO(payload), len(payload)), "contentType": "t"})
    status, body = _call(handler, {"native": {"inputText": "x"}})
    assert (status, body["output"]) == (200, "plain words")


@pytest.mark.parametrize(
    "native",
    [
        {"amazon-bedrock-guardrailConfig": {"tagSuffix": "x"}, "prompt": "anything"},
        {"prompt": "<amazon-bedrock-guardrails-guardContent_x>hello</amazon-bedrock-guardrails-guardContent_x> rest"},
        {
            "messages": [
                {"content": "<Amazon-Bedrock-Guardrails-GuardContent_x>hi</Amazon-Bedrock-Guardrails-GuardContent_x>"}
            ]
        },
    ],
)
def test_native_bodies_cannot_narrow_the_guardrail(
    handler: ModuleType, bedrock: Stubber, monkeypatch: pytest.MonkeyPatch, native: dict[str, Any]
) -> None:
    """InvokeModel's guardrail tagging would let a caller have only a harmless fragment checked."""
    monkeypatch.setenv("GUARDRAIL_ID", "abcd1234efgh")
    status, body = _call(handler, {"native": native})
    assert (status, body["message"]) == (
        400,
        "native must not carry amazon-bedrock-guardrail settings or tags: the sandbox guardrail checks the whole "
        "request",
    )  # a call would have hit the stubber with nothing queued and answered 500


def test_a_container_that_refuses_the_body_answers_400_with_its_message(
    handler: ModuleType, sagemaker: Stubber
) -> None:
    sagemaker.add_client_error(
        "invoke_endpoint",
        service_error_code="ModelError",
        service_message="Received client error (400) from primary",
        http_status_code=424,
        modeled_fields={"OriginalStatusCode": 400, "OriginalMessage": "inputs must be a string"},
    )
    status, body = _call(handler, {"inputs": 42})
    assert (status, body["error"], body["message"]) == (400, "ModelError", "inputs must be a string")
