"""cdk-nag findings of the inference API that are acknowledged by design, with the reason for each."""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigateway

from genai_sandbox_constructs import nag


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
        "Callers are application roles authenticated by IAM (SigV4) with the ApiClientPolicy; SMUS projects have no "
        "Cognito user pool.",
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
