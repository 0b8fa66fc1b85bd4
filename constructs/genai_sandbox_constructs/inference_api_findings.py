"""cdk-nag findings of the inference API that are acknowledged by design, with the reason for each."""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_

from . import nag


def acknowledge_function(function: lambda_.Function) -> None:
    """The function's acknowledged findings: VPC by override, no DLQ for synchronous calls, no reserved concurrency."""
    nag.acknowledge(
        function,
        "VpcConfig is set as a property override with the sandbox subnets and security group (imported values).",
        "NIST.800.53.R5-LambdaInsideVPC",
        "HIPAA.Security-LambdaInsideVPC",
    )
    nag.acknowledge(
        function,
        "API Gateway invokes the function synchronously: failures go back to the caller, a DLQ would never "
        "receive anything.",
        "NIST.800.53.R5-LambdaDLQ",
        "HIPAA.Security-LambdaDLQ",
    )
    nag.acknowledge(
        function,
        "The stage's throttling caps concurrency; reserving concurrency fails on accounts with the default low "
        "limit and takes capacity from other functions.",
        "NIST.800.53.R5-LambdaConcurrency",
        "HIPAA.Security-LambdaConcurrency",
    )


def acknowledge_api(api: apigateway.RestApi) -> None:
    """The REST API's acknowledged findings: no WAF, no Cognito, no cache, no client certificate."""
    nag.acknowledge(
        api,
        "Every method requires IAM (SigV4) authorization and the stage is throttled; a WAF web ACL per sandbox "
        "environment would cost more than the sandbox it protects.",
        "AwsSolutions-APIG3",
        "NIST.800.53.R5-APIGWAssociatedWithWAF",
    )
    nag.acknowledge(
        api,
        "Callers are SMUS project members and their tools, authenticated by IAM (SigV4) with the exported "
        "execute-api policy; there is no Cognito user pool in SMUS projects.",
        "AwsSolutions-COG4",
    )
    nag.acknowledge(
        api,
        "Model answers must not be cached: they are not deterministic and may hold sensitive data.",
        "NIST.800.53.R5-APIGWCacheEnabledAndEncrypted",
        "HIPAA.Security-APIGWCacheEnabledAndEncrypted",
    )
    nag.acknowledge(
        api,
        "Client certificates authenticate API Gateway to HTTP backends; this backend is a Lambda function "
        "invoked through IAM.",
        "NIST.800.53.R5-APIGWSSLEnabled",
        "HIPAA.Security-APIGWSSLEnabled",
    )
