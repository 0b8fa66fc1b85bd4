"""genai-sandbox: the project's bucket and layout, key, registry, network, model building, access and exports."""

from __future__ import annotations

from aws_cdk import Aws, CfnCondition, CfnOutput, Fn
from aws_cdk import aws_iam as iam
from constructs import Construct

from genai_sandbox_constructs import (
    DataSourceAccess,
    ImageRepository,
    LifecycleDays,
    ModelRegistry,
    SandboxBucket,
    SandboxDiscovery,
    SandboxKey,
    SandboxNetwork,
    SandboxUserPolicy,
    TrainingRole,
)
from genai_sandbox_constructs.access.members import project_members, smus_project_role_pattern
from genai_sandbox_constructs.cost.budget import ProjectBudget

from . import smus
from .base import BlueprintStack
from .genai_sandbox_outputs import discovery_values, export_sandbox
from .parameters import number_parameter
from .sandbox_parameters import SandboxParameters

PROJECT_SCOPED = f"${{{smus.PROJECT_ID}}}-${{{smus.SCOPE_NAME}}}"
TRAINING_ROLE_NAME = f"datazone-sandbox-training-${{{smus.ENVIRONMENT_ID}}}"
"""SMUS members may pass only roles named ``datazone*`` (their boundary); 26 + 36 characters, within IAM's 64."""
DISCOVERY_NAME = f"/genai-sandbox/${{{smus.PROJECT_ID}}}/${{{smus.SCOPE_NAME}}}"


class GenAiSandboxStack(BlueprintStack):
    """Everything a project's sandbox shares; the pattern blueprints import it through exports."""

    SETTINGS_COLUMNS = (
        "InferenceTransitionDays",
        "InferenceExpirationDays",
        "CheckpointExpirationDays",
        "NoncurrentVersionExpirationDays",
        "IncompleteUploadDays",
        "AccessLogExpirationDays",
    )

    def __init__(self, scope: Construct, blueprint_name: str, *, description: str) -> None:
        super().__init__(scope, blueprint_name, description=description)
        self.inputs = SandboxParameters(self)
        self._build_data_layer()
        self._build_network()
        self._build_model_building()
        self._build_user_access()
        self._build_discovery()
        self._build_budget()
        export_sandbox(self, self)

    def _build_data_layer(self) -> None:
        self.key = SandboxKey(
            self,
            "Key",
            alias=Fn.sub(f"genai-sandbox-{PROJECT_SCOPED}"),
            description=Fn.sub(f"Gen AI sandbox of SMUS project ${{{smus.PROJECT_ID}}} (${{ProjectName}})"),
        )
        self.bucket = SandboxBucket(self, "Storage", encryption_key=self.key.key, lifecycle=self._lifecycle())
        self.registry = ModelRegistry(
            self,
            "ModelRegistry",
            group_name=Fn.sub(f"genai-sandbox-{PROJECT_SCOPED}"),
            description=Fn.sub(f"Model versions of SMUS project ${{{smus.PROJECT_ID}}} (${{ProjectName}})"),
        )

    def _build_network(self) -> None:
        self.network = SandboxNetwork(
            self,
            "Network",
            mode=self.inputs.network_mode,
            project_subnet_ids=smus.import_tooling("privateSubnets"),
            project_security_group_id=smus.import_tooling("securityGroup"),
            existing_vpc_id=self.inputs.existing_vpc_id,
            existing_subnet_ids=self.inputs.existing_subnet_ids,
            existing_security_group_id=self.inputs.existing_security_group_id,
            flow_log_bucket=self.bucket.access_log_bucket,
        )

    def _build_model_building(self) -> None:
        self.images = ImageRepository(self, "Images", encryption_key=self.key.key)
        self.training = TrainingRole(
            self,
            "Training",
            bucket=self.bucket,
            key=self.key,
            registry=self.registry,
            images=self.images,
            network=self.network,
            role_name=Fn.sub(TRAINING_ROLE_NAME),
        )
        self.data_sources = DataSourceAccess(
            self,
            "DataSources",
            s3_arns=self.inputs.data_source_s3_arns,
            glue_databases=self.inputs.data_source_glue_databases,
            roles=[self.training.role],
            s3_key_arns=self.inputs.data_source_kms_key_arns,
        )

    def _build_user_access(self) -> None:
        self.user_policy = SandboxUserPolicy(
            self,
            "ProjectUserPolicy",
            bucket=self.bucket,
            key=self.key,
            registry=self.registry,
            description=Fn.sub(
                f"Gen AI sandbox access for members of SMUS project ${{{smus.PROJECT_ID}}} "
                f"in domain ${{{smus.DOMAIN_ID}}}"
            ),
            members=self._project_members(),
        )
        self.training.grant_pass_to_sagemaker(self.user_policy.policy)
        self.images.grant_pull(self.user_policy.policy)
        self.image_pusher_policy = iam.ManagedPolicy(
            self,
            "ImagePusherPolicy",
            description=Fn.sub(f"Push images to the Gen AI sandbox repository of SMUS project ${{{smus.PROJECT_ID}}}"),
        )
        """For CI or admins: SMUS's boundary denies ECR pushes to project members."""
        self.images.grant_pull_push(self.image_pusher_policy)

    def _project_members(self) -> iam.IPrincipal:
        """The SMUS project roles of this project, and the execution role of an IAM-based domain when given."""
        execution_role = smus.declare_execution_role_parameter(self)
        has_execution_role = CfnCondition(
            self, "HasExecutionRole", expression=Fn.condition_not(Fn.condition_equals(execution_role, ""))
        )
        return project_members(
            [
                smus_project_role_pattern(Fn.ref(smus.PROJECT_ID)),
                Fn.condition_if(has_execution_role.logical_id, execution_role, Aws.NO_VALUE).to_string(),
            ]
        )

    def _build_discovery(self) -> None:
        self.discovery = SandboxDiscovery(
            self,
            "Discovery",
            name=Fn.sub(DISCOVERY_NAME),
            values=discovery_values(self),
            description="Gen AI sandbox resources of this project (JSON): read with ssm:GetParameter.",
        )
        self.discovery.grant_read(self.user_policy.policy)

    def _build_budget(self) -> None:
        """The project's monthly budget, when ``MonthlyBudgetUsd`` is not 0."""
        limit = number_parameter(
            self,
            "MonthlyBudgetUsd",
            "Monthly cost budget of the SMUS project in US dollars (every resource tagged AmazonDataZoneProject with "
            "its id; activate that cost-allocation tag in the payer account), notified at 80 % actual and 100 % "
            "forecast on an encrypted topic; 0 for none.",
            default=0,
            low=0,
            high=1000000,
        )
        has_budget = CfnCondition(self, "HasBudget", expression=Fn.condition_not(Fn.condition_equals(limit, 0)))
        self.budget = ProjectBudget(
            self,
            "Budget",
            project_id=Fn.ref(smus.PROJECT_ID),
            limit_usd=limit,
            encryption_key=self.key,
            enabled=has_budget,
        )
        CfnOutput(
            self,
            "BudgetTopicArn",
            value=self.budget.topic.topic_arn,
            description="Subscribe to this topic to hear about the project's spend (MonthlyBudgetUsd).",
            condition=has_budget,
        )

    def _lifecycle(self) -> LifecycleDays:
        days = self.settings.number
        return LifecycleDays(
            inference_transition_days=days("InferenceTransitionDays"),
            inference_expiration_days=days("InferenceExpirationDays"),
            checkpoint_expiration_days=days("CheckpointExpirationDays"),
            noncurrent_version_expiration_days=days("NoncurrentVersionExpirationDays"),
            incomplete_upload_days=days("IncompleteUploadDays"),
            access_log_expiration_days=days("AccessLogExpirationDays"),
        )
