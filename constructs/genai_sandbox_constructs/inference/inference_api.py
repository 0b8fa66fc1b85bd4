"""A REST API with IAM (SigV4) authorization in front of a Lambda function that calls the model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import cast

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from genai_sandbox_constructs.grants import PolicyTarget, attach
from genai_sandbox_constructs.inference.function import Invocation, SandboxFunction, retained_log_group
from genai_sandbox_constructs.inference.inference_api_findings import acknowledge_api
from genai_sandbox_constructs.inference.monitoring import PERIOD
from genai_sandbox_constructs.storage.key import KeyLike, as_key

HANDLER_SOURCE = Path(__file__).parent / "handlers" / "inference_api.py"
STAGE = "v1"
RESOURCE = "invoke"
FUNCTION_TIMEOUT = Duration.seconds(28)
"""Below API Gateway's 29 s integration limit, so the caller always gets our own error body."""
REQUEST_SCHEMA = apigateway.JsonSchema(
    schema=apigateway.JsonSchemaVersion.DRAFT4,
    type=apigateway.JsonSchemaType.OBJECT,
    properties={
        "prompt": apigateway.JsonSchema(type=apigateway.JsonSchemaType.STRING, min_length=1, max_length=100_000),
        "max_tokens": apigateway.JsonSchema(type=apigateway.JsonSchemaType.INTEGER, minimum=1, maximum=4096),
        "temperature": apigateway.JsonSchema(type=apigateway.JsonSchemaType.NUMBER, minimum=0, maximum=1),
        "native": apigateway.JsonSchema(type=apigateway.JsonSchemaType.OBJECT),
    },
)


class InferenceApi(Construct):
    """POST /v1/invoke, IAM-authorized and validated, proxied to a Lambda function in the sandbox network.

    The function's role and logs are set up here; callers add model permissions to ``policy``. API Gateway's
    account-wide CloudWatch role is a prerequisite (not created here: it is a per-region singleton).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        description: str,
        environment: Mapping[str, str],
        subnet_ids: Sequence[str],
        security_group_id: str,
        encryption_key: KeyLike,
        log_retention_days: float,
        throttle_rate: float,
        throttle_burst: float,
    ) -> None:
        """:param name: name of the REST API; carry the environment id (required).
        :param description: what the API serves (required).
        :param environment: the function's environment (MODEL_SOURCE, MODEL_ID or ENDPOINT_NAME, ...) (required).
        :param subnet_ids: subnets the function runs in (required).
        :param security_group_id: security group of the function (required).
        :param encryption_key: the sandbox key, for the log groups and the function's environment (required).
        :param log_retention_days: retention of both log groups; a number token works (required).
        :param throttle_rate: steady requests per second of the stage (required).
        :param throttle_burst: burst requests of the stage (required).
        """
        super().__init__(scope, construct_id)
        key = as_key(encryption_key)
        self.handler = SandboxFunction(
            self,
            "Handler",
            source=HANDLER_SOURCE,
            description=description,
            encryption_key=key,
            log_retention_days=log_retention_days,
            invocation=Invocation.SYNCHRONOUS,
            environment=environment,
            timeout=FUNCTION_TIMEOUT,
            subnet_ids=subnet_ids,
            security_group_id=security_group_id,
            concurrency_note="the API stage's throttling caps concurrency, and reserving concurrency fails on "
            "accounts with the default low limit",
        )
        """The function behind the API."""
        self.role = self.handler.role
        """The function's role."""
        self.policy = self.handler.policy
        """The function's permissions; add model access here."""
        self.function = self.handler.function
        """The function."""
        access_logs = retained_log_group(self, "AccessLogs", key, log_retention_days)
        self.api = self._build_api(name, description, access_logs, throttle_rate, throttle_burst)
        """The REST API."""
        self.invoke_arn = self.api.arn_for_execute_api("POST", f"/{RESOURCE}", STAGE)
        """The execute-api ARN callers need ``execute-api:Invoke`` on."""
        self.url = f"{self.api.url}{RESOURCE}"
        """The URL to POST to (SigV4-signed)."""

    def metric_server_errors(self) -> cloudwatch.Metric:
        """5xx answers of the stage, summed over five minutes."""
        return self.api.deployment_stage.metric_server_error(period=PERIOD, statistic="Sum")

    def metric_client_errors(self) -> cloudwatch.Metric:
        """4xx answers of the stage (bad requests, throttling), summed over five minutes."""
        return self.api.deployment_stage.metric_client_error(period=PERIOD, statistic="Sum")

    def metric_latency(self) -> cloudwatch.Metric:
        """p90 latency of the stage in milliseconds, over five minutes."""
        return self.api.deployment_stage.metric_latency(period=PERIOD, statistic="p90")

    def metric_function_errors(self) -> cloudwatch.Metric:
        """Failed invocations of the function, summed over five minutes."""
        return self.function.metric_errors(period=PERIOD, statistic="Sum")

    def metric_function_throttles(self) -> cloudwatch.Metric:
        """Throttled invocations of the function, summed over five minutes."""
        return self.function.metric_throttles(period=PERIOD, statistic="Sum")

    def grant_invoke(self, grantee: PolicyTarget) -> iam.Grant:
        """Let ``grantee`` call the API."""
        return attach(grantee, iam.PolicyStatement(actions=["execute-api:Invoke"], resources=[self.invoke_arn]))

    def _build_api(
        self, name: str, description: str, access_logs: logs.LogGroup, rate: float, burst: float
    ) -> apigateway.RestApi:
        api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name=name,
            description=description,
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            cloud_watch_role=False,
            deploy_options=apigateway.StageOptions(
                stage_name=STAGE,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                tracing_enabled=True,
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                metrics_enabled=True,
                data_trace_enabled=False,
                throttling_rate_limit=rate,
                throttling_burst_limit=burst,
            ),
        )
        model = api.add_model("InvokeRequest", content_type="application/json", schema=REQUEST_SCHEMA)
        validator = api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        api.root.add_resource(RESOURCE).add_method(
            "POST",
            apigateway.LambdaIntegration(self.function, allow_test_invoke=False),
            authorization_type=apigateway.AuthorizationType.IAM,
            request_validator=validator,
            request_models={"application/json": model},
        )
        acknowledge_api(api)
        deployment = cast(apigateway.CfnDeployment, api.latest_deployment.node.default_child)  # type: ignore[union-attr]
        deployment.cfn_options.metadata = {}  # CDK marks it "do-not-refactor"; templates carry no CDK metadata
        return api
