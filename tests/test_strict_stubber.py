"""The strict request check catches what Stubber lets through (so the handler tests can trust it)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from tests.helpers.strict_stubber import RequestShapeError, strict


def _stubber(service: str) -> Stubber:
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(strict(client))
    stubber.activate()
    return stubber


def test_enums_and_ranges_are_checked() -> None:
    stubber = _stubber("bedrock-runtime")
    with pytest.raises(RequestShapeError) as error:
        stubber.client.converse(
            modelId="amazon.nova-lite-v1:0",
            messages=[{"role": "narrator", "content": [{"text": "hi"}]}],
            inferenceConfig={"maxTokens": 0, "temperature": 2.0},
        )
    assert str(error.value).split("; ") == [
        "Converse.messages[0].role='narrator': must be one of user, assistant, system",
        "Converse.inferenceConfig.maxTokens=0: must be at least 1",
        "Converse.inferenceConfig.temperature=2.0: must be at most 1",
    ]


def test_patterns_and_maximum_lengths_are_checked() -> None:
    stubber = _stubber("sagemaker-runtime")
    with pytest.raises(RequestShapeError) as error:
        stubber.client.invoke_endpoint(EndpointName="-" + "x" * 63, Body=b"{}")
    problems = str(error.value).split("; ")
    assert problems[0].endswith("must be at most 63 long")
    assert problems[1].endswith("must match ^[a-zA-Z0-9](-*[a-zA-Z0-9])*")


def test_a_valid_request_reaches_the_stub() -> None:
    stubber = _stubber("sagemaker-runtime")
    stubber.add_response("invoke_endpoint", {"Body": b"{}"}, {"EndpointName": "env-ml-m5-xlarge", "Body": b"{}"})
    stubber.client.invoke_endpoint(EndpointName="env-ml-m5-xlarge", Body=b"{}")
    stubber.assert_no_pending_responses()
