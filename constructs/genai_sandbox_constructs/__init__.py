"""AWS CDK constructs for Gen AI sandboxes on Amazon SageMaker Unified Studio."""

from genai_sandbox_constructs import layout, nag
from genai_sandbox_constructs.access.discovery import SandboxDiscovery
from genai_sandbox_constructs.access.members import project_members, smus_project_role_pattern
from genai_sandbox_constructs.access.user_policy import SandboxUserPolicy
from genai_sandbox_constructs.errors import ConfigurationError, Problems
from genai_sandbox_constructs.grants import PolicyTarget
from genai_sandbox_constructs.inference.async_endpoint import AsyncEndpoint
from genai_sandbox_constructs.inference.async_requests import AsyncRequests
from genai_sandbox_constructs.inference.batch_jobs import BatchJobs
from genai_sandbox_constructs.inference.bedrock_batch_role import BedrockBatchRole
from genai_sandbox_constructs.inference.endpoints import EndpointBase, RealtimeEndpoint
from genai_sandbox_constructs.inference.function import Invocation, SandboxFunction
from genai_sandbox_constructs.inference.inference_api import InferenceApi
from genai_sandbox_constructs.inference.monitoring import Monitoring
from genai_sandbox_constructs.inference.object_queue import ObjectQueue
from genai_sandbox_constructs.inference.serverless_endpoint import ServerlessEndpoint
from genai_sandbox_constructs.model_building.data_sources import DataSourceAccess
from genai_sandbox_constructs.model_building.image_repository import ImageRepository
from genai_sandbox_constructs.model_building.registry import ModelRegistry
from genai_sandbox_constructs.model_building.training import TrainingRole
from genai_sandbox_constructs.model_source import (
    BedrockChoice,
    BedrockForm,
    BedrockModel,
    ModelSource,
    SageMakerChoice,
    SageMakerModel,
)
from genai_sandbox_constructs.network.sandbox_network import SandboxNetwork
from genai_sandbox_constructs.storage.bucket import SandboxBucket
from genai_sandbox_constructs.storage.bucket_access import Access, BucketAccess
from genai_sandbox_constructs.storage.key import KeyLike, SandboxKey
from genai_sandbox_constructs.storage.lifecycle import LifecycleDays

__version__ = "0.1.0"

__all__ = [
    "Access",
    "AsyncEndpoint",
    "AsyncRequests",
    "BatchJobs",
    "BedrockBatchRole",
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
    "ObjectQueue",
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
