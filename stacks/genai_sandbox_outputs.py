"""What the genai-sandbox blueprint exports for notebooks, SMUS and the pattern blueprints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import CfnOutput, Fn

from genai_sandbox_constructs import layout

from . import smus

if TYPE_CHECKING:
    from .genai_sandbox import GenAiSandboxStack


def export_sandbox(stack: GenAiSandboxStack) -> None:
    """Every export of the blueprint: resources, layout prefixes, network, model building, managed policies."""
    _export_resources(stack)
    CfnOutput(
        stack,
        "DiscoveryParameterName",
        value=stack.discovery.parameter_name,
        description="SSM parameter with the sandbox's resources as JSON (ssm:GetParameter; members cannot list "
        "exports).",
    )
    for prefix in layout.PREFIXES:
        smus.export(stack, f"Prefix{prefix.name}", prefix.key, f"Key prefix for {prefix.purpose}.")
    _export_network(stack)
    _export_policies(stack)


def discovery_values(stack: GenAiSandboxStack) -> dict[str, object]:
    """What notebooks read from the discovery parameter: the exported resources, network and prefixes."""
    network = stack.network
    return {
        "BucketName": stack.bucket.bucket.bucket_name,
        "BucketArn": stack.bucket.bucket.bucket_arn,
        "KeyArn": stack.key.key.key_arn,
        "ModelPackageGroupName": stack.registry.group_name,
        "TrainingRoleArn": stack.training.role.role_arn,
        "ImageRepositoryUri": stack.images.repository.repository_uri,
        "ImageRepositoryArn": stack.images.repository.repository_arn,
        "NetworkMode": stack.inputs.network_mode,
        "SubnetIds": network.subnet_ids_joined,
        "SecurityGroupId": network.security_group_id,
        "VpcId": Fn.condition_if(network.knows_vpc.logical_id, network.vpc_id, "").to_string(),
        "Prefixes": {prefix.name: prefix.key for prefix in layout.PREFIXES},
    }


def _export_resources(stack: GenAiSandboxStack) -> None:
    smus.export(stack, "BucketName", stack.bucket.bucket.bucket_name, "Name of the sandbox bucket.")
    smus.export(stack, "BucketArn", stack.bucket.bucket.bucket_arn, "ARN of the sandbox bucket.")
    smus.export(stack, "KeyArn", stack.key.key.key_arn, "ARN of the sandbox KMS key.")
    smus.export(stack, "ModelPackageGroupName", stack.registry.group_name, "Model package group of the registry.")
    smus.export(stack, "TrainingRoleArn", stack.training.role.role_arn, "Role for SageMaker training and processing.")
    repository = stack.images.repository
    smus.export(stack, "ImageRepositoryUri", repository.repository_uri, "URI of the sandbox ECR repository.")
    smus.export(stack, "ImageRepositoryArn", repository.repository_arn, "ARN of the sandbox ECR repository.")
    smus.export(
        stack,
        "ImagePusherPolicyArn",
        stack.image_pusher_policy.managed_policy_arn,
        "Managed policy for CI or admins that push images (SMUS members cannot push).",
    )


def _export_network(stack: GenAiSandboxStack) -> None:
    network = stack.network
    smus.export(stack, "ResolvedNetworkMode", stack.inputs.network_mode, "Network mode the sandbox was deployed with.")
    smus.export(stack, "SubnetIds", network.subnet_ids_joined, "Comma-joined subnets for sandbox workloads.")
    smus.export(stack, "SecurityGroupId", network.security_group_id, "Security group for sandbox workloads.")
    smus.export(
        stack,
        "VpcId",
        network.vpc_id,
        "VPC of the sandbox (NewVpc and ExistingVpc modes; SMUS exports no Tooling VPC).",
        condition=network.knows_vpc,
    )


def _export_policies(stack: GenAiSandboxStack) -> None:
    smus.export(
        stack,
        "ProjectUserPolicyArn",
        stack.user_policy.policy.managed_policy_arn,
        "Managed policy that SMUS attaches to the project role.",
        export_name=smus.managed_policy_export_name(stack.blueprint_name),
    )
    sources = stack.data_sources
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
            export_name=smus.managed_policy_export_name(f"{stack.blueprint_name}-{key[:-9].lower()}"),
            condition=condition,
        )
