"""Bedrock or SageMaker behind every inference pattern, switched by one parameter."""

from genai_sandbox_constructs.model_source.bedrock_forms import (
    ALL_FORMS,
    BATCH_FORMS,
    BATCH_FORMS_NOTE,
    ON_DEMAND_FORMS,
    BedrockForm,
    allowed_pattern,
    classify,
    describe,
)
from genai_sandbox_constructs.model_source.bedrock_model import BedrockModel
from genai_sandbox_constructs.model_source.model_source import (
    ARTIFACT_KEY_PATTERN,
    BEDROCK,
    IMAGE_URI_PATTERN,
    MODEL_PACKAGE_PATTERN,
    SAGEMAKER,
    SOURCES,
    BedrockChoice,
    ModelSource,
    SageMakerChoice,
)
from genai_sandbox_constructs.model_source.sagemaker_model import SageMakerModel

__all__ = [
    "ALL_FORMS",
    "ARTIFACT_KEY_PATTERN",
    "BATCH_FORMS",
    "BATCH_FORMS_NOTE",
    "BEDROCK",
    "IMAGE_URI_PATTERN",
    "MODEL_PACKAGE_PATTERN",
    "ON_DEMAND_FORMS",
    "SAGEMAKER",
    "SOURCES",
    "BedrockChoice",
    "BedrockForm",
    "BedrockModel",
    "ModelSource",
    "SageMakerChoice",
    "SageMakerModel",
    "allowed_pattern",
    "classify",
    "describe",
]
