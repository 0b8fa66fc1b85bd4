"""The forms a Bedrock model can be named in, each recognised by one pattern (Python and CloudFormation)."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable

GEOGRAPHIES = ("us", "eu", "apac", "us-gov", "global", "ca", "jp", "au")
"""Prefixes of system (cross-region) inference profile ids."""
_GEO = f"({'|'.join(GEOGRAPHIES)})"
_BASE_ID = r"[a-z0-9-]+\.[a-z0-9-]+(:[a-z0-9-]+)?"
"""Provider, model and at most one version suffix, as bedrock-runtime's model id pattern has it (ids with a second
suffix, such as context-length variants, are served only through provisioned throughput)."""
_PROFILE_ID = rf"{_GEO}\.{_BASE_ID}"
_ARN = r"arn:aws[a-z-]*:bedrock:[a-z0-9-]+"
_ACCOUNT = "[0-9]{12}"
_RESOURCE_ID = "[a-z0-9]{12}"


class BedrockForm(enum.Enum):
    """How a model is named; the value is the form's pattern (full match, Java and Python compatible)."""

    FOUNDATION_MODEL_ID = rf"(?!{_GEO}\.){_BASE_ID}"
    FOUNDATION_MODEL_ARN = rf"{_ARN}::foundation-model/{_BASE_ID}"
    SYSTEM_INFERENCE_PROFILE = rf"({_PROFILE_ID}|{_ARN}:{_ACCOUNT}:inference-profile/{_PROFILE_ID})"
    APPLICATION_INFERENCE_PROFILE = rf"{_ARN}:{_ACCOUNT}:application-inference-profile/{_RESOURCE_ID}"
    PROVISIONED_MODEL = rf"{_ARN}:{_ACCOUNT}:provisioned-model/{_RESOURCE_ID}"
    CUSTOM_MODEL = rf"{_ARN}:{_ACCOUNT}:(custom-model-deployment|imported-model)/{_RESOURCE_ID}"
    """An on-demand deployment of a customized model, or an imported model. A bare ``custom-model/...`` ARN is not
    invocable: serve it through provisioned throughput (PROVISIONED_MODEL) or a custom model deployment."""

    @property
    def example(self) -> str:
        """A valid value of this form, for messages and docs."""
        return _EXAMPLES[self]


_EXAMPLES = {
    BedrockForm.FOUNDATION_MODEL_ID: "amazon.nova-lite-v1:0",
    BedrockForm.FOUNDATION_MODEL_ARN: "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
    BedrockForm.SYSTEM_INFERENCE_PROFILE: "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    BedrockForm.APPLICATION_INFERENCE_PROFILE: "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/"
    "a1b2c3d4e5f6",
    BedrockForm.PROVISIONED_MODEL: "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/a1b2c3d4e5f6",
    BedrockForm.CUSTOM_MODEL: "arn:aws:bedrock:us-east-1:123456789012:imported-model/a1b2c3d4e5f6",
}
ALL_FORMS = tuple(BedrockForm)
ON_DEMAND_FORMS = (
    BedrockForm.FOUNDATION_MODEL_ID,
    BedrockForm.FOUNDATION_MODEL_ARN,
    BedrockForm.SYSTEM_INFERENCE_PROFILE,
)
"""Forms an application inference profile can copy (so that spend carries the environment's tags)."""
BATCH_FORMS = (*ON_DEMAND_FORMS, BedrockForm.APPLICATION_INFERENCE_PROFILE)
"""Forms Bedrock batch inference takes: foundation models and inference profiles. Provisioned throughput, custom
model deployments and imported models serve only on-demand calls."""
BATCH_FORMS_NOTE = (
    "Bedrock batch inference runs foundation models, directly or through system or application inference "
    "profiles: not provisioned throughput, custom model deployments or imported models"
)
"""Why ``BATCH_FORMS`` is shorter than ``ALL_FORMS``, for parameter descriptions and errors."""


def classify(model_id: str) -> BedrockForm | None:
    """The form ``model_id`` is written in, or None."""
    return next((form for form in BedrockForm if re.fullmatch(form.value, model_id)), None)


def allowed_pattern(forms: Iterable[BedrockForm]) -> str:
    """A CloudFormation AllowedPattern accepting exactly ``forms`` (the empty string is not accepted)."""
    return "^(" + "|".join(f"({form.value})" for form in forms) + ")$"


def describe(forms: Iterable[BedrockForm]) -> str:
    """``name (e.g. example)`` for each form, for constraint descriptions."""
    return "; ".join(f"{form.name.lower().replace('_', ' ')} (e.g. {form.example})" for form in forms)
