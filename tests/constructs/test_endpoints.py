"""Endpoints take the model object: the serverless one checks the model's settings, the real-time one captures
data with a plain switch or a condition."""

from __future__ import annotations

from typing import Any

import pytest

from genai_sandbox_constructs import ConfigurationError
from genai_sandbox_constructs.inference.serverless_endpoint import ServerlessEndpoint
from tests.helpers.stacks import KEY_ARN, json_of, new_stack, realtime_endpoint, sagemaker_model


def _realtime_config(**options: Any) -> dict[str, Any]:
    stack = new_stack()
    realtime_endpoint(stack, **options)
    (config,) = [r for r in json_of(stack)["Resources"].values() if r["Type"] == "AWS::SageMaker::EndpointConfig"]
    properties: dict[str, Any] = config["Properties"]
    return properties


def test_realtime_capture_is_off_by_default_and_a_plain_switch_turns_it_on() -> None:
    assert "DataCaptureConfig" not in _realtime_config()
    capture = _realtime_config(capture_enabled=True, capture_percent=5)["DataCaptureConfig"]
    assert capture["InitialSamplingPercentage"] == 5
    assert capture["DestinationS3Uri"] == "s3://b/inference/realtime/capture/"
    assert capture["KmsKeyId"] == KEY_ARN


def test_realtime_endpoint_serves_the_models_own_name() -> None:
    (variant,) = _realtime_config()["ProductionVariants"]
    assert variant["ModelName"]["Fn::GetAtt"][1] == "ModelName"
    assert variant["ModelName"]["Fn::GetAtt"][0].startswith("ModelSageMakerModel")


@pytest.mark.parametrize(
    ("isolation", "in_vpc", "problems"),
    [
        (True, False, ["network_isolation=True: must be False: serverless endpoints cannot be isolated"]),
        (False, True, ["subnet_ids=['subnet-0a1b2c3d']: must be None: serverless endpoints cannot run in a VPC"]),
    ],
)
def test_serverless_endpoint_refuses_a_model_it_cannot_serve(
    isolation: bool, in_vpc: bool, problems: list[str]
) -> None:
    stack = new_stack()
    model = sagemaker_model(stack, network_isolation=isolation, in_vpc=in_vpc)
    with pytest.raises(ConfigurationError) as error:
        ServerlessEndpoint(stack, "Endpoint", model=model, memory_mb=2048, max_concurrency=5)
    assert error.value.problems == problems


def test_serverless_endpoint_serves_a_model_without_vpc_or_isolation() -> None:
    stack = new_stack()
    model = sagemaker_model(stack, network_isolation=False, in_vpc=False)
    ServerlessEndpoint(stack, "Endpoint", model=model, memory_mb=2048, max_concurrency=5)
    (config,) = [r for r in json_of(stack)["Resources"].values() if r["Type"] == "AWS::SageMaker::EndpointConfig"]
    serverless = config["Properties"]["ProductionVariants"][0]["ServerlessConfig"]
    assert serverless == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}


def test_serverless_limits_are_checked_for_literal_values_all_at_once() -> None:
    stack = new_stack()
    model = sagemaker_model(stack, network_isolation=False, in_vpc=False)
    with pytest.raises(ConfigurationError) as error:
        ServerlessEndpoint(
            stack, "Endpoint", model=model, memory_mb=1500, max_concurrency=201, provisioned_concurrency=300
        )
    assert error.value.problems == [
        "memory_mb=1500: one of 1024, 2048, 3072, 4096, 5120, 6144",
        "max_concurrency=201: from 1 to 200",
        "provisioned_concurrency=300: from 1 to 201",
    ]


def test_realtime_capacity_and_capture_are_checked_for_literal_values() -> None:
    with pytest.raises(ConfigurationError) as error:
        _realtime_config(capture_enabled=True, capture_percent=120, min_instances=3, max_instances=2)
    assert error.value.problems == [
        "capture_percent=120: from 0 to 100",
        "min_instances=3: from 1 to 2",
    ]
