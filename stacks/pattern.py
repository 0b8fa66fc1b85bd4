"""What every inference blueprint shares: the sandbox imports, the model parameters and source, and monitoring."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import CfnOutput, Fn
from aws_cdk import aws_kms as kms
from constructs import Construct

from genai_sandbox_constructs.inference.monitoring import Monitoring
from genai_sandbox_constructs.model_source import ALL_FORMS, BedrockChoice, BedrockForm, ModelSource, SageMakerChoice

from . import smus
from .base import BlueprintStack
from .model_parameters import ModelParameters
from .parameters import switch_parameter
from .sandbox_imports import SandboxImports


@dataclass(frozen=True)
class ModelPlacement:
    """Where a pattern's SageMaker model runs, which decides what it may be."""

    in_sandbox_network: bool
    """In the sandbox subnets with the sandbox security group (instances), or outside any VPC (serverless)."""
    isolation_allowed: bool
    """Whether ``EnableNetworkIsolation`` is offered (serverless endpoints refuse isolated models)."""


ON_INSTANCES = ModelPlacement(in_sandbox_network=True, isolation_allowed=True)
SERVERLESS = ModelPlacement(in_sandbox_network=False, isolation_allowed=False)


class PatternStack(BlueprintStack):
    """The sandbox imports, the model parameters, the model source (Bedrock or SageMaker, chosen at deploy time) and
    the monitoring switch. Blueprint stacks add one front (how requests arrive) and one backend (what serves them)."""

    SETTINGS_COLUMNS: tuple[str, ...] = ("LogRetentionDays", "LatencyAlarmMs", "ModelLatencyAlarmUs")

    def __init__(
        self,
        scope: Construct,
        blueprint_name: str,
        *,
        description: str,
        placement: ModelPlacement,
        forms: Sequence[BedrockForm] = ALL_FORMS,
        forms_note: str = "",
    ) -> None:
        """:param placement: where the SageMaker model runs. :param forms: the Bedrock forms the pattern serves.
        Default: all. :param forms_note: why ``forms`` leaves some out. Default: nothing to explain.
        """
        super().__init__(scope, blueprint_name, description=description)
        self.imports = SandboxImports(self)
        """The genai-sandbox exports of this project."""
        self.models = ModelParameters(self, forms, network_isolation=placement.isolation_allowed, forms_note=forms_note)
        """The model parameters."""
        self.source = ModelSource(
            self, "Model", source=self.models.source, bedrock=self._bedrock(forms), sagemaker=self._sagemaker(placement)
        )
        """The model source."""
        self.bedrock_model, self.sagemaker_model = self.source.branches()
        self.key = kms.Key.from_key_arn(self, "Key", self.imports.key_arn)
        """The sandbox key, imported."""

    def build_monitoring(self, what: str) -> Monitoring:
        """The ``MonitoringEnabled`` switch (declared last among the parameters), the alarm topic and its output.

        :param what: the alarms the blueprint adds, for the parameter's description.
        """
        monitors = switch_parameter(
            self,
            "MonitoringEnabled",
            f"Alarms ({what}) on an encrypted SNS topic; about $0.10 per alarm per month.",
            default=True,
            condition_id="MonitorsApi",
        )
        monitoring = Monitoring(self, "Monitoring", enabled=monitors, encryption_key=self.key)
        CfnOutput(
            self,
            "AlarmTopicArn",
            value=monitoring.topic.topic_arn,
            description="Subscribe to this topic to receive the alarms.",
            condition=monitors,
        )
        return monitoring

    def _sagemaker(self, placement: ModelPlacement) -> SageMakerChoice:
        return SageMakerChoice(
            bucket=self.imports.bucket,
            bucket_name=self.imports.bucket_name,
            artifact_key=self.models.artifact_key,
            image_uri=self.models.image_uri,
            model_package_arn=self.models.model_package_arn,
            network_isolation=self.models.network_isolation,
            subnet_ids=self.imports.subnet_ids if placement.in_sandbox_network else None,
            security_group_id=self.imports.security_group_id if placement.in_sandbox_network else None,
            image_repository_arn=self.imports.image_repository_arn,
        )

    def _bedrock(self, forms: Sequence[BedrockForm]) -> BedrockChoice:
        return BedrockChoice(
            model_id=self.models.bedrock_model_id,
            profile_name=Fn.sub(f"{self.blueprint_name}-${{{smus.ENVIRONMENT_ID}}}"),
            forms=forms,
            guardrail_id=self.models.guardrail_id,
            guardrail_version=self.models.guardrail_version,
            cost_profile=self.models.cost_profile,
            tags={"EnvironmentId": Fn.ref(smus.ENVIRONMENT_ID), "ProjectId": Fn.ref(smus.PROJECT_ID)},
        )
