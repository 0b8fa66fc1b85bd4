"""The one shared bucket layout of a Gen AI sandbox, as data.

S3 has no folders: these prefixes become real through lifecycle rules, prefix-scoped IAM grants, event filters
and exports. Every prefix ends with ``/`` so that ``data/`` never matches ``database/``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Prefix:
    """One well-known prefix of the layout."""

    key: str
    """Object key prefix, ending with ``/``."""
    name: str
    """PascalCase name used in outputs and export names (``DataRaw``)."""
    purpose: str
    """What lives under the prefix, for descriptions and docs."""


DATA = "data/"
ARTIFACTS = "artifacts/"
CONFIGS = "configs/"
INFERENCE = "inference/"
AREAS: tuple[str, ...] = (DATA, ARTIFACTS, CONFIGS, INFERENCE)
"""Top-level areas; every grant must stay inside one of them."""

DATA_RAW = Prefix("data/raw/", "DataRaw", "raw input data as it arrives")
DATA_PROCESSED = Prefix("data/processed/", "DataProcessed", "cleaned and transformed data")
DATA_FEATURES = Prefix("data/features/", "DataFeatures", "feature sets for training")
MODELS_BEDROCK_CUSTOMIZED = Prefix(
    "artifacts/models/bedrock-customized/",
    "ModelsBedrockCustomized",
    "weights for Bedrock Custom Model Import and customization outputs",
)
MODELS_SAGEMAKER_FINETUNED = Prefix(
    "artifacts/models/sagemaker-finetuned/", "ModelsSagemakerFinetuned", "SageMaker model artifacts (model.tar.gz)"
)
TRAINING_OUTPUTS = Prefix("artifacts/training-outputs/", "TrainingOutputs", "training and processing job outputs")
CHECKPOINTS = Prefix("artifacts/checkpoints/", "Checkpoints", "training checkpoints (expire)")
ASYNC_INPUT = Prefix("inference/async/input/", "AsyncInput", "requests for asynchronous inference")
ASYNC_OUTPUT = Prefix("inference/async/output/", "AsyncOutput", "asynchronous inference results")
BATCH_INPUT = Prefix("inference/batch/input/", "BatchInput", "batch inference input files")
BATCH_OUTPUT = Prefix("inference/batch/output/", "BatchOutput", "batch inference results")
REALTIME_CAPTURE = Prefix("inference/realtime/capture/", "RealtimeCapture", "real-time endpoint data capture")
PIPELINE_DEFINITIONS = Prefix("configs/pipeline-definitions/", "PipelineDefinitions", "pipeline definitions")
INFERENCE_CONFIGS = Prefix("configs/inference-configs/", "InferenceConfigs", "inference configurations")
TRAINING_CONFIGS = Prefix("configs/training-configs/", "TrainingConfigs", "training configurations")

PREFIXES: tuple[Prefix, ...] = (
    DATA_RAW,
    DATA_PROCESSED,
    DATA_FEATURES,
    MODELS_BEDROCK_CUSTOMIZED,
    MODELS_SAGEMAKER_FINETUNED,
    TRAINING_OUTPUTS,
    CHECKPOINTS,
    ASYNC_INPUT,
    ASYNC_OUTPUT,
    BATCH_INPUT,
    BATCH_OUTPUT,
    REALTIME_CAPTURE,
    PIPELINE_DEFINITIONS,
    INFERENCE_CONFIGS,
    TRAINING_CONFIGS,
)
"""Every well-known prefix, in documentation order."""

INFERENCE_IO: tuple[Prefix, ...] = (ASYNC_INPUT, ASYNC_OUTPUT, BATCH_INPUT, BATCH_OUTPUT, REALTIME_CAPTURE)
"""Short-lived inference traffic: moved to infrequent access, then expired."""


def prefix_problem(prefix: str) -> str | None:
    """Say why ``prefix`` is not a key prefix inside the layout, or return None when it is."""
    if not prefix.endswith("/"):
        return "must end with '/' so that it cannot match sibling keys"
    if not prefix.startswith(AREAS):
        return f"must lie inside one of the layout areas {', '.join(AREAS)}"
    if "*" in prefix or "//" in prefix:
        return "must be a literal prefix without '*' or empty path segments"
    return None
