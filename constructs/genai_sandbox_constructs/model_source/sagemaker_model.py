"""A SageMaker model from an artifact in the sandbox bucket plus an image, or from a registered model package."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from aws_cdk import Aws, CfnCondition, Fn, IResolvable
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from genai_sandbox_constructs import layout, nag
from genai_sandbox_constructs.conditions import expression
from genai_sandbox_constructs.model_building.image_repository import (
    PULL_ACTIONS,
    TOKEN_ACTION,
    pull_from_other_accounts,
)
from genai_sandbox_constructs.model_building.sagemaker_execution import grant_sagemaker_execution
from genai_sandbox_constructs.network.sandbox_network import grant_network_interfaces
from genai_sandbox_constructs.roles import conditional_policy, sagemaker_role
from genai_sandbox_constructs.storage.bucket_access import BucketAccess


class SageMakerModel(Construct):
    """The model and its execution role. The role reads only its artifact (or the registry's model artifacts),
    pulls only its image repository, logs under ``/aws/sagemaker/``, and runs in the given subnets."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        enabled: CfnCondition,
        bucket: BucketAccess,
        bucket_name: str,
        artifact_key: str,
        image_uri: str,
        model_package_arn: str,
        network_isolation: bool | IResolvable,
        subnet_ids: Sequence[str] | None = None,
        security_group_id: str | None = None,
        image_repository_arn: str | None = None,
    ) -> None:
        """:param enabled: condition under which SageMaker is used at all (required).
        :param bucket: access to the sandbox bucket (required).
        :param bucket_name: name of the sandbox bucket (required).
        :param artifact_key: key of ``model.tar.gz`` under ``artifacts/models/``; empty with a package (required).
        :param image_uri: ECR image URI ``<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>``; empty with a
            package (required).
        :param model_package_arn: a versioned model package ARN; empty to use artifact and image (required).
        :param network_isolation: no network access for the container; ``Fn.condition_if`` works (required).
        :param subnet_ids: subnets to run in. Default: none (serverless endpoints cannot use a VPC).
        :param security_group_id: security group with ``subnet_ids``. Default: none.
        :param image_repository_arn: the project's own ECR repository, the only one of this account the model may
            pull from. Default: none (images of other accounts only, such as AWS-hosted ones).
        """
        super().__init__(scope, construct_id)
        self._own_images = image_repository_arn
        no_package = Fn.condition_equals(model_package_arn, "")
        self.uses_package = CfnCondition(
            self, "UsesModelPackage", expression=Fn.condition_and(expression(enabled), Fn.condition_not(no_package))
        )
        """SageMaker with a model package."""
        self.uses_artifact = CfnCondition(
            self, "UsesArtifact", expression=Fn.condition_and(expression(enabled), no_package)
        )
        """SageMaker with an artifact and an image."""
        self.role = sagemaker_role(self, "ExecutionRole", "Execution role of a Gen AI sandbox inference model")
        """The execution role; CloudFormation names it."""
        self.policy = iam.ManagedPolicy(self, "Permissions", roles=[self.role], description="Run the model")
        """Permissions every variant of the model needs."""
        self._allow_logs_and_network(subnet_ids is not None)
        waits_for = self._build_conditional_policies(bucket, artifact_key, image_uri)
        container = Fn.condition_if(
            self.uses_package.logical_id,
            {"ModelPackageName": model_package_arn},
            {"Image": image_uri, "ModelDataUrl": f"s3://{bucket_name}/{artifact_key}", "Mode": "SingleModel"},
        )
        self.network_isolation = network_isolation
        """Whether the container runs without network access (a token when decided at deploy time)."""
        self.subnet_ids = subnet_ids
        """The subnets the model runs in, or None (no VPC)."""
        self.model = self._build_model(container, network_isolation, subnet_ids, security_group_id, waits_for)
        """The model; CloudFormation names it, so that a change replaces it."""

    def _build_conditional_policies(self, bucket: BucketAccess, artifact_key: str, image_uri: str) -> str:
        """Create the artifact and package policies; return a reference to whichever exists."""
        artifact_policy = self._artifact_policy(bucket, artifact_key, image_uri)
        package_policy = self._package_policy(bucket)
        return Fn.condition_if(
            self.uses_artifact.logical_id,
            artifact_policy.managed_policy_arn,
            Fn.condition_if(self.uses_package.logical_id, package_policy.managed_policy_arn, Aws.NO_VALUE),
        ).to_string()

    def _build_model(
        self,
        container: IResolvable,
        network_isolation: bool | IResolvable,
        subnet_ids: Sequence[str] | None,
        security_group_id: str | None,
        waits_for: str,
    ) -> sagemaker.CfnModel:
        vpc = (
            sagemaker.CfnModel.VpcConfigProperty(subnets=list(subnet_ids), security_group_ids=[security_group_id])
            if subnet_ids is not None and security_group_id is not None
            else None
        )
        model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.role.role_arn,
            primary_container=container,
            enable_network_isolation=network_isolation,
            vpc_config=vpc,
        )
        # Only the unconditional policy: a DependsOn on a resource whose condition is false fails the stack.
        model.add_resource_dependency(cast(iam.CfnManagedPolicy, self.policy.node.default_child))
        # CreateModel checks the role's access to the artifact: wait for whichever conditional policy exists
        # through a Ref inside the matching Fn::If (allowed where a DependsOn would not be).
        model.add_metadata("WaitsFor", waits_for)
        return model

    def _allow_image_pulls(self, policy: iam.ManagedPolicy, repositories: str) -> None:
        """Pull from ``repositories`` of other accounts, and from the project's own repository of this one."""
        policy.add_statements(
            pull_from_other_accounts(repositories), iam.PolicyStatement(actions=[TOKEN_ACTION], resources=["*"])
        )
        if self._own_images is not None:
            policy.add_statements(iam.PolicyStatement(actions=list(PULL_ACTIONS), resources=[self._own_images]))

    def grant_capture(self, bucket: BucketAccess) -> None:
        """Let the endpoint write data capture under ``inference/realtime/capture/``."""
        bucket.grant_write(self.policy, layout.REALTIME_CAPTURE.key)

    def _allow_logs_and_network(self, in_vpc: bool) -> None:
        grant_sagemaker_execution(self, self.policy)
        if in_vpc:
            grant_network_interfaces(self, self.policy)

    def _artifact_policy(self, bucket: BucketAccess, artifact_key: str, image_uri: str) -> iam.ManagedPolicy:
        policy = conditional_policy(
            self,
            "ArtifactPermissions",
            condition=self.uses_artifact,
            roles=[self.role],
            description="Read the model artifact",
        )
        bucket.grant_read_object(policy, artifact_key)
        registry = Fn.select(0, Fn.split(".", image_uri))
        region = Fn.select(3, Fn.split(".", image_uri))
        repository = Fn.select(0, Fn.split(":", Fn.select(0, Fn.split("@", Fn.select(1, Fn.split("/", image_uri))))))
        self._allow_image_pulls(policy, f"arn:{Aws.PARTITION}:ecr:{region}:{registry}:repository/{repository}")
        nag.acknowledge(
            policy,
            "ecr:GetAuthorizationToken has no resource-level permissions; pulls are scoped to the image's repository.",
            nag.wildcard_resource_finding(self, "*"),
        )
        return policy

    def _package_policy(self, bucket: BucketAccess) -> iam.ManagedPolicy:
        policy = conditional_policy(
            self,
            "PackagePermissions",
            condition=self.uses_package,
            roles=[self.role],
            description="Run a registered model package",
        )
        bucket.grant_read(policy, layout.ARTIFACTS)
        images = f"arn:{Aws.PARTITION}:ecr:{Aws.REGION}:*:repository/*"
        self._allow_image_pulls(policy, images)
        nag.acknowledge(
            policy,
            "A model package names its own images (the sandbox's or AWS-hosted ones in per-region AWS accounts); "
            "pulls are read-only and limited to this region. ecr:GetAuthorizationToken has no resource-level "
            "permissions.",
            nag.wildcard_resource_finding(self, images),
            nag.wildcard_resource_finding(self, "*"),
        )
        return policy
