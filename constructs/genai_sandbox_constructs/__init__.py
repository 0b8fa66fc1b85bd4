"""AWS CDK constructs for Gen AI sandboxes on Amazon SageMaker Unified Studio."""

from . import layout, nag
from .bucket import SandboxBucket
from .errors import ConfigurationError, Problems
from .grants import PolicyTarget
from .key import SandboxKey
from .lifecycle import LifecycleDays
from .registry import ModelRegistry
from .user_policy import SandboxUserPolicy

__version__ = "0.1.0"

__all__ = [
    "ConfigurationError",
    "LifecycleDays",
    "ModelRegistry",
    "PolicyTarget",
    "Problems",
    "SandboxBucket",
    "SandboxKey",
    "SandboxUserPolicy",
    "layout",
    "nag",
]
