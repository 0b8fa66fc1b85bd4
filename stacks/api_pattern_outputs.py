"""What an API pattern blueprint outputs: the SMUS user policy export, the API URL and what the API calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import CfnOutput, Fn
from aws_cdk import aws_iam as iam

from . import smus

if TYPE_CHECKING:
    from .api_pattern import ApiPatternStack


def export_api(stack: ApiPatternStack) -> None:
    """The execute-api policy exported for SMUS, the API URL, and the Bedrock target or the endpoint name."""
    users = iam.ManagedPolicy(
        stack,
        "ProjectUserPolicy",
        description=Fn.sub(
            f"Call the {stack.blueprint_name} API of SMUS project ${{{smus.PROJECT_ID}}} in domain "
            f"${{{smus.DOMAIN_ID}}}"
        ),
    )
    stack.api.grant_invoke(users)
    CfnOutput(
        stack,
        "ProjectUserPolicyArn",
        value=users.managed_policy_arn,
        description="Managed policy that SMUS attaches to the project role: execute-api:Invoke on the API.",
        export_name=smus.managed_policy_export_name(stack.blueprint_name),
    )
    CfnOutput(
        stack, "ApiUrl", value=stack.api.url, description="POST JSON here, signed with SigV4 (service execute-api)."
    )
    CfnOutput(
        stack,
        "ModelInvokeTarget",
        value=stack.source.bedrock.invoke_target,
        description="Bedrock modelId the API calls (ModelSource Bedrock only).",
        condition=stack.source.uses_bedrock,
    )
    CfnOutput(
        stack,
        "EndpointName",
        value=stack.endpoint.endpoint.attr_endpoint_name,
        description="SageMaker endpoint the API calls (ModelSource SageMaker only).",
        condition=stack.source.uses_sagemaker,
    )
