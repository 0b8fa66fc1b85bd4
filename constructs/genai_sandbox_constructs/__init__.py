"""AWS CDK constructs for Gen AI sandboxes on Amazon SageMaker Unified Studio."""

from . import layout, nag
from .bucket import SandboxBucket
from .data_sources import DataSourceAccess
from .discovery import SandboxDiscovery
from .errors import ConfigurationError, Problems
from .grants import PolicyTarget
from .image_repository import ImageRepository
from .inference_api import InferenceApi
from .key import SandboxKey
from .lifecycle import LifecycleDays
from .network import SandboxNetwork
from .registry import ModelRegistry
from .training import TrainingRole
from .user_policy import SandboxUserPolicy

__version__ = "0.1.0"

__all__ = [
    "ConfigurationError",
    "DataSourceAccess",
    "ImageRepository",
    "InferenceApi",
    "LifecycleDays",
    "ModelRegistry",
    "PolicyTarget",
    "Problems",
    "SandboxBucket",
    "SandboxDiscovery",
    "SandboxKey",
    "SandboxNetwork",
    "SandboxUserPolicy",
    "TrainingRole",
    "layout",
    "nag",
]
