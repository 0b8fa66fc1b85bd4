"""What the real-time and serverless blueprints share: an API front, a model source, and the users' policy."""

from __future__ import annotations

from aws_cdk import CfnOutput, Fn
from aws_cdk import aws_kms as kms
from constructs import Construct

from genai_sandbox_constructs import InferenceApi
from genai_sandbox_constructs.conditions import make_conditional
from genai_sandbox_constructs.endpoints import EndpointBase
from genai_sandbox_constructs.model_source import ALL_FORMS, BedrockChoice, ModelSource, SageMakerChoice
from genai_sandbox_constructs.model_source.sagemaker_model import SageMakerModel
from genai_sandbox_constructs.monitoring import Monitoring
from genai_sandbox_constructs.roles import conditional_policy

from . import smus
from .api_pattern_outputs import export_api
from .base import BlueprintStack
from .model_parameters import ModelParameters
from .parameters import number_parameter, switch_parameter
from .sandbox_imports import SandboxImports


class ApiPatternStack(BlueprintStack):
    """API Gateway -> Lambda -> Bedrock or a SageMaker endpoint built by ``_build_endpoint``."""

    SETTINGS_COLUMNS: tuple[str, ...] = ("LogRetentionDays", "LatencyAlarmMs", "ModelLatencyAlarmUs")
    NETWORK_ISOLATION = True
    """Whether the SageMaker model may be network-isolated (serverless endpoints may not)."""
    RUNS_IN_VPC = True
    """Whether the SageMaker model runs in the sandbox subnets (serverless endpoints cannot)."""

    def __init__(self, scope: Construct, blueprint_name: str, *, description: str) -> None:
        super().__init__(scope, blueprint_name, description=description)
        self.imports = SandboxImports(self)
        self.models = ModelParameters(self, ALL_FORMS, network_isolation=self.NETWORK_ISOLATION)
        self.source = ModelSource(
            self, "Model", source=self.models.source, bedrock=self._bedrock(), sagemaker=self._sagemaker()
        )
        self.bedrock_model, self.sagemaker_model = self.source.branches()
        self.endpoint = self._build_endpoint(self.sagemaker_model)
        make_conditional(self.endpoint, self.source.uses_sagemaker)
        self.api = self._build_api(description)
        self._grant_model_access()
        self._build_monitoring()
        export_api(self)

    def _build_endpoint(self, model: SageMakerModel) -> EndpointBase:
        raise NotImplementedError

    def _sagemaker(self) -> SageMakerChoice:
        """The SageMaker model: in the sandbox network unless ``RUNS_IN_VPC`` is false (serverless)."""
        return SageMakerChoice(
            bucket=self.imports.bucket,
            bucket_name=self.imports.bucket_name,
            artifact_key=self.models.artifact_key,
            image_uri=self.models.image_uri,
            model_package_arn=self.models.model_package_arn,
            network_isolation=self.models.network_isolation,
            subnet_ids=self.imports.subnet_ids if self.RUNS_IN_VPC else None,
            security_group_id=self.imports.security_group_id if self.RUNS_IN_VPC else None,
            image_repository_arn=self.imports.image_repository_arn,
        )

    def _bedrock(self) -> BedrockChoice:
        return BedrockChoice(
            model_id=self.models.bedrock_model_id,
            profile_name=Fn.sub(f"{self.blueprint_name}-${{{smus.ENVIRONMENT_ID}}}"),
            forms=ALL_FORMS,
            guardrail_id=self.models.guardrail_id,
            guardrail_version=self.models.guardrail_version,
            cost_profile=self.models.cost_profile,
            tags={"EnvironmentId": Fn.ref(smus.ENVIRONMENT_ID), "ProjectId": Fn.ref(smus.PROJECT_ID)},
        )

    def _build_api(self, description: str) -> InferenceApi:
        rate = number_parameter(
            self, "ThrottleRateLimit", "Steady requests per second the API accepts.", default=10, low=1, high=10000
        )
        burst = number_parameter(
            self, "ThrottleBurstLimit", "Burst of requests the API accepts.", default=20, low=1, high=5000
        )
        uses_sagemaker = self.source.uses_sagemaker.logical_id
        return InferenceApi(
            self,
            "Api",
            name=Fn.sub(f"{self.blueprint_name}-${{{smus.ENVIRONMENT_ID}}}"),
            description=description,
            environment={
                "MODEL_SOURCE": self.models.source,
                "MODEL_ID": self.bedrock_model.invoke_target,
                "GUARDRAIL_ID": self.models.guardrail_id,
                "GUARDRAIL_VERSION": self.models.guardrail_version,
                "ENDPOINT_NAME": Fn.condition_if(
                    uses_sagemaker, self.endpoint.endpoint.attr_endpoint_name, ""
                ).to_string(),
            },
            subnet_ids=self.imports.subnet_ids,
            security_group_id=self.imports.security_group_id,
            key_arn=self.imports.key_arn,
            log_retention_days=self.settings.number("LogRetentionDays"),
            throttle_rate=rate,
            throttle_burst=burst,
        )

    def _grant_model_access(self) -> None:
        bedrock = conditional_policy(
            self, "BedrockAccess", condition=self.source.uses_bedrock, roles=[self.api.role], description="Call Bedrock"
        )
        self.source.grant_invoke_bedrock(self.api.role, bedrock)
        sagemaker = conditional_policy(
            self,
            "EndpointAccess",
            condition=self.source.uses_sagemaker,
            roles=[self.api.role],
            description="Call the SageMaker endpoint",
        )
        self.endpoint.grant_invoke(sagemaker)

    def _build_monitoring(self) -> None:
        monitors = switch_parameter(
            self,
            "MonitoringEnabled",
            "Alarms (API 5xx and latency, function errors and throttles, endpoint 5xx and latency) on an encrypted "
            "SNS topic; about $0.10 per alarm per month.",
            default=True,
            condition_id="MonitorsApi",
        )
        self.monitoring = Monitoring(
            self, "Monitoring", enabled=monitors, encryption_key=kms.Key.from_key_arn(self, "Key", self.imports.key_arn)
        )
        api_latency = self.settings.number("LatencyAlarmMs")
        for alarm_id, metric, threshold, what in (
            ("ApiServerErrors", self.api.metric_server_errors(), 1, "API answered with 5xx"),
            ("ApiLatency", self.api.metric_latency(), api_latency, "API p90 latency (ms)"),
            ("FunctionErrors", self.api.metric_function_errors(), 1, "the API function failed"),
            ("FunctionThrottles", self.api.metric_function_throttles(), 1, "the API function was throttled"),
        ):
            self.monitoring.add_alarm(alarm_id, metric, threshold=threshold, description=what)
        model_latency = self.settings.number("ModelLatencyAlarmUs")
        for alarm_id, metric, threshold, what in (
            ("EndpointErrors", self.endpoint.metric_invocation_5xx_errors(), 1, "the model answered 5xx"),
            ("ModelLatency", self.endpoint.metric_model_latency(), model_latency, "model p90 latency (microseconds)"),
        ):
            self.monitoring.add_alarm(
                alarm_id, metric, threshold=threshold, description=what, condition=self.source.uses_sagemaker
            )
        CfnOutput(
            self,
            "AlarmTopicArn",
            value=self.monitoring.topic.topic_arn,
            description="Subscribe to this topic to receive the alarms.",
            condition=monitors,
        )
