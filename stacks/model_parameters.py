"""The parameters that choose a pattern's model, shared by every pattern blueprint, and their Rules."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import CfnRule, CfnRuleAssertion, Fn, ICfnConditionExpression, Stack

from genai_sandbox_constructs.model_source import (
    ARTIFACT_KEY_PATTERN,
    BEDROCK,
    IMAGE_URI_PATTERN,
    MODEL_PACKAGE_PATTERN,
    SAGEMAKER,
    SOURCES,
    BedrockForm,
    allowed_pattern,
    describe,
)

from .parameters import string_parameter, switch_parameter

DEFAULT_BEDROCK_MODEL = "amazon.nova-lite-v1:0"


class ModelParameters:
    """ModelSource, the Bedrock model (in the accepted ``forms``), the guardrail, and the SageMaker model."""

    def __init__(
        self, stack: Stack, forms: Sequence[BedrockForm], *, network_isolation: bool, forms_note: str = ""
    ) -> None:
        """:param forms: the Bedrock forms the pattern can serve. :param network_isolation: whether to offer
        ``EnableNetworkIsolation``. :param forms_note: why ``forms`` leaves some out, for the parameter's
        description and constraint. Default: nothing to explain.
        """
        self.source = string_parameter(
            stack,
            "ModelSource",
            "Bedrock: a Bedrock model (BedrockModelId). SageMaker: your own model (artifact + image, or a package).",
            default=BEDROCK,
            allowed_values=list(SOURCES),
        )
        self.sagemaker_chosen = Fn.condition_equals(self.source, SAGEMAKER)
        """Rule condition: the SageMaker parameters matter (rules about them apply only then)."""
        self._declare_bedrock(stack, forms, forms_note)
        self._declare_sagemaker(stack)
        self.network_isolation: ICfnConditionExpression | bool = _isolation(stack) if network_isolation else False
        """Whether the SageMaker container runs without network access (a condition token, or False)."""
        self._add_rules(stack)

    def _declare_bedrock(self, stack: Stack, forms: Sequence[BedrockForm], forms_note: str) -> None:
        why = f" ({forms_note})" if forms_note else ""
        self.bedrock_model_id = string_parameter(
            stack,
            "BedrockModelId",
            f"ModelSource Bedrock: the model, as one of: {describe(forms)}{why}.",
            default=DEFAULT_BEDROCK_MODEL,
            pattern=allowed_pattern(forms),
            constraint=f"must be one of: {describe(forms)}{why}",
        )
        self.cost_profile = switch_parameter(
            stack,
            "BedrockCostProfile",
            "ModelSource Bedrock, on-demand models: true invokes them through an application inference profile of "
            "this environment, so Bedrock spend carries its tags; false invokes the model directly (for models "
            "without application inference profiles, and to switch on-demand models in one update). With false, SMUS "
            "project members cannot invoke the model themselves: their permissions boundary allows foundation models "
            "only through an inference profile; the API still can.",
            default=True,
            condition_id="UsesBedrockCostProfile",
        )
        self.guardrail_id = string_parameter(
            stack,
            "GuardrailId",
            "Optional Bedrock guardrail applied to every call (its id, 12 lowercase letters or digits).",
            pattern="^([a-z0-9]{12})?$",
            constraint="must be empty or a guardrail id such as abcd1234efgh",
        )
        self.guardrail_version = string_parameter(
            stack,
            "GuardrailVersion",
            "Version of GuardrailId: DRAFT or a published version number (use a number in prod).",
            default="DRAFT",
            pattern="^(DRAFT|[1-9][0-9]{0,7})$",
            constraint="must be DRAFT or a version number",
        )

    def _declare_sagemaker(self, stack: Stack) -> None:
        self.artifact_key = string_parameter(
            stack,
            "ModelArtifactKey",
            "ModelSource SageMaker: key of model.tar.gz in the sandbox bucket, under artifacts/models/.",
            pattern=f"^({ARTIFACT_KEY_PATTERN})?$",
            constraint="must be empty or a key such as artifacts/models/sagemaker-finetuned/my-model/model.tar.gz",
        )
        self.image_uri = string_parameter(
            stack,
            "ContainerImageUri",
            "ModelSource SageMaker: inference image in ECR, <account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>: "
            "the sandbox's own repository or another account's (AWS-hosted images); other repositories of this "
            "account are not readable.",
            pattern=f"^({IMAGE_URI_PATTERN})?$",
            constraint="must be empty or an ECR image URI such as "
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3-cpu-py311",
        )
        self.model_package_arn = string_parameter(
            stack,
            "ModelPackageArn",
            "ModelSource SageMaker: a versioned model package of the sandbox registry, instead of artifact and image.",
            pattern=f"^({MODEL_PACKAGE_PATTERN})?$",
            constraint="must be empty or a versioned model package ARN (...:model-package/<group>/<version>)",
        )

    def _add_rules(self, stack: Stack) -> None:
        given = {name: Fn.condition_not(Fn.condition_equals(value, "")) for name, value in self._sagemaker().items()}
        CfnRule(
            stack,
            "SageMakerNeedsAModel",
            rule_condition=self.sagemaker_chosen,
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_or(
                        given["ModelPackageArn"],
                        Fn.condition_and(given["ContainerImageUri"], given["ModelArtifactKey"]),
                    ),
                    assert_description="ModelSource SageMaker needs ContainerImageUri and ModelArtifactKey, or "
                    "ModelPackageArn.",
                ),
                CfnRuleAssertion(
                    assert_=Fn.condition_not(
                        Fn.condition_and(
                            given["ModelPackageArn"],
                            Fn.condition_or(given["ContainerImageUri"], given["ModelArtifactKey"]),
                        )
                    ),
                    assert_description="Give either ModelPackageArn or ContainerImageUri with ModelArtifactKey, "
                    "not both.",
                ),
            ],
        )
        CfnRule(
            stack,
            "BedrockTakesNoSageMakerModel",
            rule_condition=Fn.condition_equals(self.source, BEDROCK),
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_not(condition),
                    assert_description=f"{name} is only used with ModelSource SageMaker: clear it or choose SageMaker.",
                )
                for name, condition in given.items()
            ],
        )

    def _sagemaker(self) -> dict[str, str]:
        return {
            "ModelArtifactKey": self.artifact_key,
            "ContainerImageUri": self.image_uri,
            "ModelPackageArn": self.model_package_arn,
        }


def _isolation(stack: Stack) -> ICfnConditionExpression:
    isolated = switch_parameter(
        stack,
        "EnableNetworkIsolation",
        "ModelSource SageMaker: run the container without network access. Set false only for containers "
        "that download weights at start-up.",
        default=True,
        condition_id="IsNetworkIsolated",
    )
    return Fn.condition_if(isolated.logical_id, True, False)
