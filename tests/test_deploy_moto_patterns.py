"""Deploy realtime-inference and serverless-inference with moto, with both model sources, next to the project's
genai-sandbox and Tooling stacks whose exports they import."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Synthesized
from tests.helpers.moto_deploy import MotoAccount, moto_account, moto_compatible
from tests.helpers.tooling import tooling_template
from tests.test_deploy_moto import sandbox_parameters

PROJECT = "proj1abcdefgh1"
PATTERNS = ("realtime-inference", "serverless-inference")
PACKAGE = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/genai-sandbox-{PROJECT}-dev/1"
MODEL_PARAMETERS = {
    "Bedrock": {"ModelSource": "Bedrock"},
    "Direct": {"ModelSource": "Bedrock", "BedrockCostProfile": "false"},
    "SageMaker": {
        "ModelSource": "SageMaker",
        "ModelArtifactKey": "artifacts/models/sagemaker-finetuned/m/model.tar.gz",
        "ContainerImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:1",
    },
    "Package": {"ModelSource": "SageMaker", "ModelPackageArn": PACKAGE},
}
"""Bedrock through the environment's inference profile or directly, a SageMaker artifact with its image, and a
registered model package."""
SOURCES = tuple(MODEL_PARAMETERS)
SKIPPED_BY_MOTO = {
    "AWS::S3::BucketPolicy",
    "AWS::SageMaker::ModelPackageGroup",
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::ApiGateway::Model",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::Stage",
    "AWS::CloudWatch::Alarm",
    "AWS::SNS::TopicPolicy",
}
"""Types moto 5.2.5 does not create here; template assertions cover them."""


def environment_id(pattern: str, source: str) -> str:
    return f"{pattern[:4]}{source[:3].lower()}"


@dataclass
class Deployed:
    account: MotoAccount
    sandbox: dict[str, str]
    outputs: dict[tuple[str, str], dict[str, str]]


@pytest.fixture(scope="module")
def deployed(synthesized: Synthesized) -> Iterator[Deployed]:
    with moto_account() as account:
        account.create_stack("DataZone-Env-tooling", tooling_template(PROJECT))
        sandbox = account.create_stack(
            "DataZone-Env-sandbox", moto_compatible(synthesized.templates["genai-sandbox"]), sandbox_parameters(PROJECT)
        )
        outputs = {}
        for pattern in PATTERNS:
            for source in SOURCES:
                parameters = {
                    **sandbox_parameters(PROJECT),
                    "datazoneEnvironmentEnvironmentId": environment_id(pattern, source),
                    **MODEL_PARAMETERS[source],
                }
                body = moto_compatible(synthesized.templates[pattern])
                name = f"DataZone-Env-{environment_id(pattern, source)}"
                outputs[pattern, source] = account.create_stack(name, body, parameters)
        yield Deployed(account, sandbox, outputs)
    assert account.skipped == SKIPPED_BY_MOTO


def _functions(deployed: Deployed) -> dict[str, dict[str, Any]]:
    client = deployed.account.client("lambda")
    return {
        f["FunctionName"]: client.get_function(FunctionName=f["FunctionName"])
        for f in client.list_functions()["Functions"]
    }


def test_every_pattern_and_source_deploys_with_its_own_exports(deployed: Deployed) -> None:
    exports = deployed.account.exports()
    for pattern in PATTERNS:
        for source in SOURCES:
            outputs = deployed.outputs[pattern, source]
            export = f"datazone-managed-policy-{pattern}-{environment_id(pattern, source)}"
            assert exports[export] == outputs["ProjectUserPolicyArn"]
            assert outputs["ApiUrl"].startswith("https://")
            assert outputs["ApiUrl"].endswith("/invoke")  # moto skips the stage: its name is missing here


def test_functions_run_in_the_sandbox_network_with_the_chosen_model(deployed: Deployed) -> None:
    functions = _functions(deployed)
    assert len(functions) == len(PATTERNS) * len(SOURCES)
    sources = []
    for function in functions.values():
        configuration = function["Configuration"]
        variables = configuration["Environment"]["Variables"]
        sources.append(variables["MODEL_SOURCE"])
        assert configuration["Handler"] == "index.handler"
        assert configuration["Timeout"] == 28
        assert sorted(configuration["VpcConfig"]["SubnetIds"]) == sorted(deployed.sandbox["SubnetIds"].split(","))
        assert configuration["VpcConfig"]["SecurityGroupIds"] == [deployed.sandbox["SecurityGroupId"]]
        if variables["MODEL_SOURCE"] == "Bedrock":
            assert variables["MODEL_ID"] in (
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/moto00000000",
                "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",  # BedrockCostProfile false
            )
            assert variables["ENDPOINT_NAME"] == ""
        else:
            assert variables["ENDPOINT_NAME"]
    assert sorted(sources) == ["Bedrock"] * 2 * len(PATTERNS) + ["SageMaker"] * 2 * len(PATTERNS)


def test_sagemaker_endpoints_exist_only_for_the_sagemaker_source(deployed: Deployed) -> None:
    sagemaker = deployed.account.client("sagemaker")
    endpoints = sagemaker.list_endpoints()["Endpoints"]
    assert len(endpoints) == 2 * len(PATTERNS)  # artifact and package, per pattern
    configs = [
        sagemaker.describe_endpoint_config(
            EndpointConfigName=sagemaker.describe_endpoint(EndpointName=e["EndpointName"])["EndpointConfigName"]
        )
        for e in endpoints
    ]
    kinds = sorted("ServerlessConfig" in c["ProductionVariants"][0] for c in configs)
    assert kinds == [False, False, True, True]  # real-time and serverless, each with artifact and package
    models = [sagemaker.describe_model(ModelName=m["ModelName"]) for m in sagemaker.list_models()["Models"]]
    containers = sorted(json.dumps(m["PrimaryContainer"], sort_keys=True) for m in models)
    assert len(containers) == 2 * len(PATTERNS)
    assert sum(PACKAGE in c for c in containers) == len(PATTERNS)


def test_apis_carry_the_environment_id_in_their_names(deployed: Deployed) -> None:
    names = {api["name"] for api in deployed.account.client("apigateway").get_rest_apis()["items"]}
    assert names == {f"{pattern}-{environment_id(pattern, source)}" for pattern in PATTERNS for source in SOURCES}


def test_each_environment_gets_its_own_encrypted_alarm_topic(deployed: Deployed) -> None:
    sns = deployed.account.client("sns")
    topics = {deployed.outputs[key]["AlarmTopicArn"] for key in deployed.outputs}
    assert len(topics) == len(PATTERNS) * len(SOURCES)
    for topic in topics:
        attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
        assert attributes["KmsMasterKeyId"] == deployed.sandbox["KeyArn"]


def test_bedrock_goes_through_the_environment_profile_unless_told_not_to(deployed: Deployed) -> None:
    for pattern in PATTERNS:
        assert deployed.outputs[pattern, "Bedrock"]["ModelInvokeTarget"].endswith(
            ":application-inference-profile/moto00000000"
        )
        assert (
            deployed.outputs[pattern, "Direct"]["ModelInvokeTarget"]
            == "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"
        )
