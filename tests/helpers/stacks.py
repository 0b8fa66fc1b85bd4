"""Stacks for fine-grained construct tests, built with cdk.json's context like every other App."""

from __future__ import annotations

from typing import Any

from aws_cdk import BootstraplessSynthesizer, Stack
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from blueprints.synthesis import create_app
from genai_sandbox_constructs.inference.endpoints import RealtimeEndpoint
from genai_sandbox_constructs.model_source import ModelSource, SageMakerChoice
from genai_sandbox_constructs.model_source.sagemaker_model import SageMakerModel
from genai_sandbox_constructs.storage.bucket_access import BucketAccess


def new_stack() -> Stack:
    """An empty stack in an App that carries cdk.json's feature flags."""
    return Stack(create_app(), "Test", synthesizer=BootstraplessSynthesizer())


def template_of(stack: Stack) -> Template:
    """The synthesized template of ``stack``."""
    return Template.from_stack(stack)


def json_of(stack: Stack) -> dict[str, Any]:
    """The synthesized template of ``stack`` as a plain dict."""
    return dict(Template.from_stack(stack).to_json())


def sagemaker_model(stack: Stack, *, network_isolation: bool = True, in_vpc: bool = True) -> SageMakerModel:
    """A SageMaker model from an artifact and an image, for endpoint tests (chosen by a literal source)."""
    source = ModelSource(
        stack,
        "Model",
        source="SageMaker",
        sagemaker=SageMakerChoice(
            bucket=BucketAccess(stack, bucket_arn="arn:aws:s3:::b", key_arn=KEY_ARN),
            bucket_name="b",
            artifact_key="artifacts/models/m/model.tar.gz",
            image_uri="111122223333.dkr.ecr.us-east-1.amazonaws.com/images:1",
            network_isolation=network_isolation,
            subnet_ids=["subnet-0a1b2c3d"] if in_vpc else None,
            security_group_id="sg-0a1b2c3d" if in_vpc else None,
        ),
    )
    assert source.sagemaker is not None
    return source.sagemaker


KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def realtime_endpoint(stack: Stack, **options: Any) -> RealtimeEndpoint:
    """A real-time endpoint for ``sagemaker_model(stack)`` with small valid settings; ``options`` override them."""
    settings: dict[str, Any] = {
        "name_prefix": "env1",
        "instance_type": "ml.m5.xlarge",
        "bucket_name": "b",
        "min_instances": 1,
        "max_instances": 2,
        "target_invocations": 100,
    }
    return RealtimeEndpoint(
        stack,
        "Endpoint",
        model=sagemaker_model(stack),
        encryption_key=kms.Key.from_key_arn(stack, "SandboxKey", KEY_ARN),
        **(settings | options),
    )
