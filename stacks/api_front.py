"""The API front of a pattern blueprint: a REST API whose function calls the Bedrock model or the endpoint."""

from __future__ import annotations

from aws_cdk import Fn

from genai_sandbox_constructs import InferenceApi
from genai_sandbox_constructs.inference.endpoints import EndpointBase
from genai_sandbox_constructs.inference.monitoring import Monitoring
from genai_sandbox_constructs.roles import conditional_policy

from . import smus
from .parameters import number_parameter
from .pattern import PatternStack

ALARMS = "API 5xx and latency, function errors and throttles, endpoint 5xx and latency"
"""The alarms ``add_alarms`` adds, for the MonitoringEnabled description."""


class ApiFront:
    """``InferenceApi`` in ``stack`` with throttling parameters, wired to the stack's Bedrock model and to
    ``endpoint`` (the SageMaker backend), each under its model-source condition."""

    def __init__(self, stack: PatternStack, endpoint: EndpointBase, *, description: str) -> None:
        """:param stack: the pattern stack (required). :param endpoint: the SageMaker backend (required).
        :param description: what the API serves (required).
        """
        self._stack = stack
        self._endpoint = endpoint
        self.api = self._build_api(description)
        """The API and its function."""
        self._grant_model_access()

    def add_alarms(self, monitoring: Monitoring) -> None:
        """Alarms on the API, its function and (with SageMaker) the endpoint, with Environment-driven thresholds."""
        settings, source = self._stack.settings, self._stack.source
        for alarm_id, metric, threshold, what in (
            ("ApiServerErrors", self.api.metric_server_errors(), 1, "API answered with 5xx"),
            ("ApiLatency", self.api.metric_latency(), settings.number("LatencyAlarmMs"), "API p90 latency (ms)"),
            ("FunctionErrors", self.api.metric_function_errors(), 1, "the API function failed"),
            ("FunctionThrottles", self.api.metric_function_throttles(), 1, "the API function was throttled"),
        ):
            monitoring.add_alarm(alarm_id, metric, threshold=threshold, description=what)
        model_latency = settings.number("ModelLatencyAlarmUs")
        for alarm_id, metric, threshold, what in (
            ("EndpointErrors", self._endpoint.metric_invocation_5xx_errors(), 1, "the model answered 5xx"),
            ("ModelLatency", self._endpoint.metric_model_latency(), model_latency, "model p90 latency (microseconds)"),
        ):
            monitoring.add_alarm(
                alarm_id, metric, threshold=threshold, description=what, condition=source.uses_sagemaker
            )

    def add_dashboards(self, monitoring: Monitoring) -> None:
        """The API's dashboard (requests, errors, latency, the function), and with SageMaker the endpoint's."""
        api = self.api
        monitoring.add_dashboard(
            "ApiDashboard",
            [
                ("API 4xx and 5xx answers", [api.metric_client_errors(), api.metric_server_errors()]),
                ("API p90 latency (ms)", [api.metric_latency()]),
                ("Function errors and throttles", [api.metric_function_errors(), api.metric_function_throttles()]),
            ],
        )
        monitoring.add_dashboard(
            "ModelDashboard",
            [
                ("Model 5xx answers", [self._endpoint.metric_invocation_5xx_errors()]),
                ("Model p90 latency (microseconds)", [self._endpoint.metric_model_latency()]),
            ],
            condition=self._stack.source.uses_sagemaker,
        )

    def _build_api(self, description: str) -> InferenceApi:
        stack = self._stack
        rate = number_parameter(
            stack, "ThrottleRateLimit", "Steady requests per second the API accepts.", default=10, low=1, high=10000
        )
        burst = number_parameter(
            stack, "ThrottleBurstLimit", "Burst of requests the API accepts.", default=20, low=1, high=5000
        )
        endpoint_name = Fn.condition_if(
            stack.source.uses_sagemaker.logical_id, self._endpoint.endpoint.attr_endpoint_name, ""
        ).to_string()
        return InferenceApi(
            stack,
            "Api",
            name=Fn.sub(f"{stack.blueprint_name}-${{{smus.ENVIRONMENT_ID}}}"),
            description=description,
            environment={
                "MODEL_SOURCE": stack.models.source,
                "MODEL_ID": stack.bedrock_model.invoke_target,
                "GUARDRAIL_ID": stack.models.guardrail_id,
                "GUARDRAIL_VERSION": stack.models.guardrail_version,
                "ENDPOINT_NAME": endpoint_name,
            },
            subnet_ids=stack.imports.subnet_ids,
            security_group_id=stack.imports.security_group_id,
            encryption_key=stack.key,
            log_retention_days=stack.settings.number("LogRetentionDays"),
            throttle_rate=rate,
            throttle_burst=burst,
        )

    def _grant_model_access(self) -> None:
        stack, role = self._stack, self.api.role
        bedrock = conditional_policy(
            stack, "BedrockAccess", condition=stack.source.uses_bedrock, roles=[role], description="Call Bedrock"
        )
        stack.source.grant_invoke_bedrock(bedrock, role=role)
        sagemaker = conditional_policy(
            stack,
            "EndpointAccess",
            condition=stack.source.uses_sagemaker,
            roles=[role],
            description="Call the SageMaker endpoint",
        )
        self._endpoint.grant_invoke(sagemaker)
