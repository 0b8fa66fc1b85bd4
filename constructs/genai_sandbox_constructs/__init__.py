"""AWS CDK constructs for Gen AI sandboxes on Amazon SageMaker Unified Studio."""

from . import layout, nag
from .bucket import SandboxBucket
from .bucket_access import Access, BucketAccess
from .data_sources import DataSourceAccess
from .discovery import SandboxDiscovery
from .endpoints import EndpointBase, RealtimeEndpoint
from .errors import ConfigurationError, Problems
from .function import Invocation, SandboxFunction
from .grants import PolicyTarget
from .image_repository import ImageRepository
from .inference_api import InferenceApi
from .key import KeyLike, SandboxKey
from .lifecycle import LifecycleDays
from .members import project_members, smus_project_role_pattern
from .model_source import BedrockChoice, BedrockForm, BedrockModel, ModelSource, SageMakerChoice, SageMakerModel
from .monitoring import Monitoring
from .network import SandboxNetwork
from .registry import ModelRegistry
from .serverless_endpoint import ServerlessEndpoint
from .training import TrainingRole
from .user_policy import SandboxUserPolicy

__version__ = "0.1.0"

__all__ = [
    "Access",
    "BedrockChoice",
    "BedrockForm",
    "BedrockModel",
    "BucketAccess",
    "ConfigurationError",
    "DataSourceAccess",
    "EndpointBase",
    "ImageRepository",
    "InferenceApi",
    "Invocation",
    "KeyLike",
    "LifecycleDays",
    "ModelRegistry",
    "ModelSource",
    "Monitoring",
    "PolicyTarget",
    "Problems",
    "RealtimeEndpoint",
    "SageMakerChoice",
    "SageMakerModel",
    "SandboxBucket",
    "SandboxDiscovery",
    "SandboxFunction",
    "SandboxKey",
    "SandboxNetwork",
    "SandboxUserPolicy",
    "ServerlessEndpoint",
    "TrainingRole",
    "layout",
    "nag",
    "project_members",
    "smus_project_role_pattern",
]
