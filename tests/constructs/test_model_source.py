"""ModelSource: each Bedrock form gets its own exact IAM resources; SageMaker resources exist only when chosen."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import CfnCondition, CfnParameter, Fn
from aws_cdk import aws_iam as iam

from genai_sandbox_constructs import ConfigurationError
from genai_sandbox_constructs.model_source import (
    ALL_FORMS,
    ON_DEMAND_FORMS,
    BedrockChoice,
    BedrockForm,
    ModelSource,
    SageMakerChoice,
    allowed_pattern,
    classify,
)
from genai_sandbox_constructs.storage.bucket_access import BucketAccess
from tests.helpers.conditions import Evaluated
from tests.helpers.stacks import json_of, new_stack

ACCOUNT_ARN = "arn:aws:bedrock:us-east-1:123456789012"
PROFILE = f"{ACCOUNT_ARN}:application-inference-profile/a1b2c3d4e5f6"
FM_ARN = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"
SYSTEM_ID = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
SYSTEM_ARN = f"{ACCOUNT_ARN}:inference-profile/{SYSTEM_ID}"
PROVISIONED = f"{ACCOUNT_ARN}:provisioned-model/a1b2c3d4e5f6"
IMPORTED = f"{ACCOUNT_ARN}:imported-model/a1b2c3d4e5f6"
DEPLOYMENT = f"{ACCOUNT_ARN}:custom-model-deployment/a1b2c3d4e5f6"


OWN_IMAGES = "arn:aws:ecr:us-east-1:123456789012:repository/sandbox"


def _build(model_id: str = "", source: str = "Bedrock", *, guardrail: str = "") -> dict[str, Any]:
    stack = new_stack()
    role = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    policy = iam.ManagedPolicy(stack, "CallerPolicy", roles=[role])
    source_token = CfnParameter(stack, "Source", default=source).value_as_string
    model = model_id or CfnParameter(stack, "ModelId", default="amazon.nova-lite-v1:0").value_as_string
    wrap = CfnCondition(
        stack, "Wrap", expression=Fn.condition_equals(CfnParameter(stack, "CostProfile", default="true"), "true")
    )
    models = ModelSource(
        stack,
        "Model",
        source=source_token,
        bedrock=BedrockChoice(model_id=model, profile_name="env-1", guardrail_id=guardrail, cost_profile=wrap),
        sagemaker=SageMakerChoice(
            bucket=BucketAccess(stack, bucket_arn="arn:aws:s3:::b", key_arn="arn:aws:kms:us-east-1:1:key/k"),
            bucket_name="b",
            artifact_key="artifacts/models/sagemaker-finetuned/m/model.tar.gz",
            image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:1",
            image_repository_arn=OWN_IMAGES,
        ),
    )
    models.grant_invoke_bedrock(policy, role=role)
    return json_of(stack)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return _build()


def _invoke_statements(evaluated: Evaluated) -> list[dict[str, Any]]:
    (policy,) = [r for k, r in evaluated.resources().items() if k.startswith("CallerPolicy")]
    statements: list[dict[str, Any]] = evaluated.resolve(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def _routing_statements(evaluated: Evaluated) -> list[dict[str, Any]]:
    policies = [r for k, r in evaluated.resources().items() if k.startswith("ModelBedrockProfileRoutingPolicy")]
    return [s for p in policies for s in evaluated.resolve(p["Properties"]["PolicyDocument"]["Statement"])]


def _profile(evaluated: Evaluated) -> dict[str, Any] | None:
    found = [r for r in evaluated.resources().values() if r["Type"] == "AWS::Bedrock::ApplicationInferenceProfile"]
    return evaluated.resolve(found[0]["Properties"]) if found else None


PROFILE_TARGET = {"Fn::GetAtt": ["ModelBedrockApplicationInferenceProfile46355591", "InferenceProfileArn"]}
FM_FROM_ID = {
    "Fn::Join": ["", ["arn:", "aws", ":bedrock:", "us-east-1", "::foundation-model/", "amazon.nova-lite-v1:0"]]
}
SYSTEM_FROM_ID = {
    "Fn::Join": ["", ["arn:", "aws", ":bedrock:", "us-east-1", ":", "123456789012", ":inference-profile/", SYSTEM_ID]]
}


@pytest.mark.parametrize(
    ("model_id", "copy_from", "direct"),
    [
        ("amazon.nova-lite-v1:0", FM_FROM_ID, [PROFILE_TARGET]),
        (FM_ARN, FM_ARN, [PROFILE_TARGET]),
        (SYSTEM_ID, SYSTEM_FROM_ID, [PROFILE_TARGET, SYSTEM_FROM_ID]),
        (SYSTEM_ARN, SYSTEM_ARN, [PROFILE_TARGET, SYSTEM_ARN]),
        (PROFILE, None, [PROFILE]),
        (PROVISIONED, None, [PROVISIONED]),
        (IMPORTED, None, [IMPORTED]),
        (DEPLOYMENT, None, [DEPLOYMENT]),
    ],
    ids=["foundation-model-id", "foundation-model-arn", "system-profile-id", "system-profile-arn",
         "application-profile", "provisioned-model", "imported-model", "custom-model"],
)  # fmt: skip
def test_each_form_gets_exactly_its_resources(
    template: dict[str, Any], model_id: str, copy_from: Any, direct: list[Any]
) -> None:
    evaluated = Evaluated(template, {"ModelId": model_id})
    profile = _profile(evaluated)
    if copy_from is None:
        assert profile is None  # provisioned, custom, imported and application profiles are invoked as given
    else:
        assert profile is not None
        assert profile["ModelSource"] == {"CopyFrom": copy_from}
        assert profile["InferenceProfileName"] == "env-1"
    (invoke,) = _invoke_statements(evaluated)
    assert invoke["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert [r for r in invoke["Resource"] if r != {"Ref": "AWS::NoValue"} and r is not None] == direct
    assert "bedrock:*" not in str(invoke)
    assert invoke["Resource"] != "*"
    routing = _routing_statements(evaluated)
    if model_id in (PROVISIONED, IMPORTED, DEPLOYMENT):
        assert routing == []  # invoked directly: no foundation model is reachable
    else:
        (routed,) = routing
        assert routed["Resource"] == {"Fn::Join": ["", ["arn:", "aws", ":bedrock:*::foundation-model/*"]]}
        assert routed["Condition"] == {"StringEquals": {"bedrock:InferenceProfileArn": direct[0]}}


FM_ARN_OF_ID = {
    "Fn::Join": ["", ["arn:", "aws", ":bedrock:", "us-east-1", "::foundation-model/", "amazon.nova-lite-v1:0"]]
}


@pytest.mark.parametrize(
    ("model_id", "target", "routed"),
    [
        ("amazon.nova-lite-v1:0", FM_ARN_OF_ID, False),
        (FM_ARN, FM_ARN, False),
        (SYSTEM_ID, SYSTEM_FROM_ID, True),
        (SYSTEM_ARN, SYSTEM_ARN, True),
        (PROFILE, PROFILE, True),
        (PROVISIONED, PROVISIONED, False),
    ],
    ids=["foundation-model-id", "foundation-model-arn", "system-profile-id", "system-profile-arn",
         "application-profile", "provisioned-model"],
)  # fmt: skip
def test_without_the_cost_profile_on_demand_models_are_invoked_directly(
    template: dict[str, Any], model_id: str, target: Any, routed: bool
) -> None:
    """BedrockCostProfile false: no application inference profile; the function calls (and may call) the model's
    own ARN, and reaches foundation models only through a system or given profile."""
    evaluated = Evaluated(template, {"ModelId": model_id, "CostProfile": "false"})
    assert _profile(evaluated) is None
    (invoke,) = _invoke_statements(evaluated)
    assert [r for r in invoke["Resource"] if r is not None] == [target]
    routing = _routing_statements(evaluated)
    assert bool(routing) == routed
    if routed:
        assert routing[0]["Condition"] == {"StringEquals": {"bedrock:InferenceProfileArn": target}}


@pytest.mark.parametrize("form", list(BedrockForm))
def test_every_form_is_recognised_in_code_and_in_the_template(form: BedrockForm) -> None:
    assert classify(form.example) is form
    assert re.fullmatch(allowed_pattern(ALL_FORMS), form.example)


@pytest.mark.parametrize(
    "bad",
    [
        "gpt-4",
        "claude-3",
        "arn:aws:s3:::bucket",
        "us.gpt",
        "",
        "amazon.nova lite",
        f"{ACCOUNT_ARN}:custom-model/amazon.titan-text-lite-v1:0:4k/a1b2c3d4e5f6",  # not invocable by itself
        "anthropic.claude-3-sonnet-20240229-v1:0:28k",  # a context-length variant: provisioned throughput only
    ],
)
def test_other_inputs_are_rejected(bad: str) -> None:
    assert classify(bad) is None
    assert not re.fullmatch(allowed_pattern(ALL_FORMS), bad)


def test_a_pattern_that_takes_fewer_forms_rejects_the_others_with_a_message() -> None:
    with pytest.raises(ConfigurationError) as error:
        _build_with_forms(f"{ACCOUNT_ARN}:provisioned-model/a1b2c3d4e5f6", ON_DEMAND_FORMS)
    assert "bedrock.model_id='arn:aws:bedrock:us-east-1:123456789012:provisioned-model/a1b2c3d4e5f6'" in str(
        error.value
    )
    assert "foundation model id (e.g. amazon.nova-lite-v1:0)" in str(error.value)


def _build_with_forms(model_id: str, forms: tuple[BedrockForm, ...]) -> None:
    stack = new_stack()
    ModelSource(
        stack,
        "Model",
        source="Bedrock",
        bedrock=BedrockChoice(model_id=model_id, profile_name="p", forms=forms),
        sagemaker=SageMakerChoice(bucket=BucketAccess(stack, bucket_arn="a", key_arn="k"), bucket_name="b"),
    )


def test_guardrail_policy_exists_only_with_bedrock_and_a_guardrail() -> None:
    template = _build(guardrail="abcd1234efgh")
    without = _build(guardrail="")
    for chosen, source, expected in ((template, "Bedrock", 1), (template, "SageMaker", 0), (without, "Bedrock", 0)):
        evaluated = Evaluated(chosen, {"Source": source})
        policies = [r for k, r in evaluated.resources().items() if k.startswith("ModelBedrockGuardrailPolicy")]
        assert len(policies) == expected
    (policy,) = [r for k, r in template["Resources"].items() if k.startswith("ModelBedrockGuardrailPolicy")]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "bedrock:ApplyGuardrail"
    assert statement["Resource"]["Fn::Join"][1][-1] == ":guardrail/abcd1234efgh"


@pytest.mark.parametrize("source", ["Bedrock", "SageMaker"])
def test_sagemaker_resources_exist_only_when_chosen(template: dict[str, Any], source: str) -> None:
    evaluated = Evaluated(template, {"Source": source})
    sagemaker = [k for k in evaluated.resources() if k.startswith("ModelSageMaker")]
    assert bool(sagemaker) == (source == "SageMaker")
    bedrock_profile = [k for k in evaluated.resources() if k.startswith("ModelBedrockApplication")]
    assert bool(bedrock_profile) == (source == "Bedrock")


def test_sagemaker_model_reads_only_its_artifact_and_pulls_only_its_repository(template: dict[str, Any]) -> None:
    evaluated = Evaluated(template, {"Source": "SageMaker"})
    (policy,) = [r for k, r in evaluated.resources().items() if k.startswith("ModelSageMakerArtifactPermissions")]
    statements = evaluated.resolve(policy["Properties"]["PolicyDocument"]["Statement"])
    objects = next(s for s in statements if "s3:GetObject" in s["Action"])
    assert objects["Resource"] == "arn:aws:s3:::b/artifacts/models/sagemaker-finetuned/m/model.tar.gz"
    given, own = (s for s in statements if "ecr:BatchGetImage" in s["Action"])
    assert evaluated.value(given["Resource"]) == "arn:aws:ecr:us-east-1:123456789012:repository/my-model"
    assert given["Condition"] == {  # not this account's, and never a request that lacks the key
        "StringNotEquals": {"aws:ResourceAccount": "123456789012"},
        "Null": {"aws:ResourceAccount": "false"},
    }
    assert (own["Resource"], "Condition" in own) == (OWN_IMAGES, False)  # except the project's own repository
    (model,) = [r for r in evaluated.resources().values() if r["Type"] == "AWS::SageMaker::Model"]
    container = evaluated.resolve(model["Properties"]["PrimaryContainer"])
    assert container == {
        "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:1",
        "ModelDataUrl": "s3://b/artifacts/models/sagemaker-finetuned/m/model.tar.gz",
        "Mode": "SingleModel",
    }


def test_literal_values_are_checked_at_synth_time_all_at_once() -> None:
    stack = new_stack()
    with pytest.raises(ConfigurationError) as error:
        ModelSource(
            stack,
            "Model",
            source="OpenAI",
            bedrock=BedrockChoice(model_id="gpt-4", profile_name="p"),
            sagemaker=SageMakerChoice(
                bucket=BucketAccess(stack, bucket_arn="a", key_arn="k"),
                bucket_name="b",
                artifact_key="models/m.tar.gz",
                image_uri="docker.io/library/python:3",
                model_package_arn="arn:aws:sagemaker:us-east-1:123456789012:model-package/group",
            ),
        )
    fields = [problem.split("=", 1)[0] for problem in error.value.problems]
    assert fields == [
        "source",
        "bedrock.model_id",
        "sagemaker.artifact_key",
        "sagemaker.image_uri",
        "sagemaker.model_package_arn",
    ]
    assert "one of Bedrock, SageMaker" in error.value.problems[0]


def _package_template() -> dict[str, Any]:
    stack = new_stack()
    ModelSource(
        stack,
        "Model",
        source="SageMaker",
        bedrock=BedrockChoice(model_id="amazon.nova-lite-v1:0", profile_name="p"),
        sagemaker=SageMakerChoice(
            bucket=BucketAccess(stack, bucket_arn="arn:aws:s3:::b", key_arn="arn:aws:kms:us-east-1:1:key/k"),
            bucket_name="b",
            model_package_arn=CfnParameter(stack, "Package", default="").value_as_string,
            image_uri=CfnParameter(stack, "Image", default="").value_as_string,
            artifact_key=CfnParameter(stack, "Artifact", default="").value_as_string,
            image_repository_arn=OWN_IMAGES,
        ),
    )
    return json_of(stack)


def test_a_model_package_runs_with_its_own_policy_and_reads_only_artifacts() -> None:
    package = "arn:aws:sagemaker:us-east-1:123456789012:model-package/genai-sandbox-p-dev/3"
    evaluated = Evaluated(_package_template(), {"Package": package})
    names = set(evaluated.resources())
    assert any(n.startswith("ModelSageMakerPackagePermissions") for n in names)
    assert not any(n.startswith("ModelSageMakerArtifactPermissions") for n in names)
    (model,) = [r for r in evaluated.resources().values() if r["Type"] == "AWS::SageMaker::Model"]
    assert evaluated.resolve(model["Properties"]["PrimaryContainer"]) == {"ModelPackageName": package}
    (policy,) = [r for k, r in evaluated.resources().items() if k.startswith("ModelSageMakerPackagePermissions")]
    statements = evaluated.resolve(policy["Properties"]["PolicyDocument"]["Statement"])
    objects = next(s for s in statements if "s3:GetObject" in s["Action"])
    assert objects["Resource"] == "arn:aws:s3:::b/artifacts/*"


def test_an_artifact_and_image_get_no_package_policy() -> None:
    evaluated = Evaluated(
        _package_template(),
        {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1", "Artifact": "artifacts/models/m/model.tar.gz"},
    )
    names = set(evaluated.resources())
    assert any(n.startswith("ModelSageMakerArtifactPermissions") for n in names)
    assert not any(n.startswith("ModelSageMakerPackagePermissions") for n in names)
