"""What the genai-sandbox blueprint exports for notebooks, SMUS and the pattern blueprints."""

from __future__ import annotations

from typing import Protocol

from aws_cdk import CfnOutput, Fn, Stack
from aws_cdk import aws_iam as iam

from genai_sandbox_constructs import (
    DataSourceAccess,
    ImageRepository,
    ModelRegistry,
    SandboxBucket,
    SandboxDiscovery,
    SandboxKey,
    SandboxNetwork,
    SandboxUserPolicy,
    TrainingRole,
    layout,
)

from . import smus
from .sandbox_parameters import SandboxParameters


class SandboxParts(Protocol):
    """What the exports read from the genai-sandbox stack (a protocol: this module does not import the stack)."""

    blueprint_name: str
    inputs: SandboxParameters
    key: SandboxKey
    bucket: SandboxBucket
    registry: ModelRegistry
    network: SandboxNetwork
    images: ImageRepository
    training: TrainingRole
    data_sources: DataSourceAccess
    user_policy: SandboxUserPolicy
    image_pusher_policy: iam.ManagedPolicy
    discovery: SandboxDiscovery


def export_sandbox(stack: Stack, sandbox: SandboxParts) -> None:
    """Every export of the blueprint: resources, layout prefixes, network, model building, managed policies."""
    _export_resources(stack, sandbox)
    CfnOutput(
        stack,
        "DiscoveryParameterName",
        value=sandbox.discovery.parameter_name,
        description="SSM parameter with the sandbox's resources as JSON (ssm:GetParameter; members cannot list "
        "exports).",
    )
    for prefix in layout.PREFIXES:
        smus.export(stack, f"Prefix{prefix.name}", prefix.key, f"Key prefix for {prefix.purpose}.")
    _export_network(stack, sandbox)
    _export_policies(stack, sandbox)


def discovery_values(sandbox: SandboxParts) -> dict[str, object]:
    """What notebooks read from the discovery parameter: the exported resources, network and prefixes."""
    network = sandbox.network
    return {
        "BucketName": sandbox.bucket.bucket.bucket_name,
        "BucketArn": sandbox.bucket.bucket.bucket_arn,
        "KeyArn": sandbox.key.key.key_arn,
        "ModelPackageGroupName": sandbox.registry.group_name,
        "TrainingRoleArn": sandbox.training.role.role_arn,
        "ImageRepositoryUri": sandbox.images.repository.repository_uri,
        "ImageRepositoryArn": sandbox.images.repository.repository_arn,
        "NetworkMode": sandbox.inputs.network_mode,
        "SubnetIds": network.subnet_ids_joined,
        "SecurityGroupId": network.security_group_id,
        "VpcId": Fn.condition_if(network.knows_vpc.logical_id, network.vpc_id, "").to_string(),
        "Prefixes": {prefix.name: prefix.key for prefix in layout.PREFIXES},
    }


def _export_resources(stack: Stack, sandbox: SandboxParts) -> None:
    smus.export(stack, "BucketName", sandbox.bucket.bucket.bucket_name, "Name of the sandbox bucket.")
    smus.export(stack, "BucketArn", sandbox.bucket.bucket.bucket_arn, "ARN of the sandbox bucket.")
    smus.export(stack, "KeyArn", sandbox.key.key.key_arn, "ARN of the sandbox KMS key.")
    smus.export(stack, "ModelPackageGroupName", sandbox.registry.group_name, "Model package group of the registry.")
    smus.export(stack, "TrainingRoleArn", sandbox.training.role.role_arn, "Role for SageMaker training and processing.")
    repository = sandbox.images.repository
    smus.export(stack, "ImageRepositoryUri", repository.repository_uri, "URI of the sandbox ECR repository.")
    smus.export(stack, "ImageRepositoryArn", repository.repository_arn, "ARN of the sandbox ECR repository.")
    smus.export(
        stack,
        "ImagePusherPolicyArn",
        sandbox.image_pusher_policy.managed_policy_arn,
        "Managed policy for CI or admins that push images (SMUS members cannot push).",
    )


def _export_network(stack: Stack, sandbox: SandboxParts) -> None:
    network = sandbox.network
    smus.export(
        stack, "ResolvedNetworkMode", sandbox.inputs.network_mode, "Network mode the sandbox was deployed with."
    )
    smus.export(stack, "SubnetIds", network.subnet_ids_joined, "Comma-joined subnets for sandbox workloads.")
    smus.export(stack, "SecurityGroupId", network.security_group_id, "Security group for sandbox workloads.")
    smus.export(
        stack,
        "VpcId",
        network.vpc_id,
        "VPC of the sandbox (NewVpc and ExistingVpc modes; SMUS exports no Tooling VPC).",
        condition=network.knows_vpc,
    )


def _export_policies(stack: Stack, sandbox: SandboxParts) -> None:
    smus.export(
        stack,
        "ProjectUserPolicyArn",
        sandbox.user_policy.policy.managed_policy_arn,
        "Managed policy that SMUS attaches to the project role.",
        export_name=smus.managed_policy_export_name(sandbox.blueprint_name),
    )
    sources = sandbox.data_sources
    for key, policy, condition in (
        ("S3DataSourcePolicyArn", sources.s3_policy, sources.has_s3),
        ("S3DataSourceKeyPolicyArn", sources.s3_key_policy, sources.has_s3_keys),
        ("GlueDataSourcePolicyArn", sources.glue_policy, sources.has_glue),
    ):
        smus.export(
            stack,
            key,
            policy.managed_policy_arn,
            "Read access to existing data sources, attached by SMUS to the project role.",
            export_name=smus.managed_policy_export_name(f"{sandbox.blueprint_name}-{key[:-9].lower()}"),
            condition=condition,
        )
