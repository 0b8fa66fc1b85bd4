"""What an API pattern blueprint outputs: the members' SMUS policy, the API clients' policy, the API URL and what the
API calls."""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, Fn
from aws_cdk import aws_iam as iam

from genai_sandbox_constructs.inference.endpoints import EndpointBase

from . import smus
from .api_front import ApiFront
from .pattern import PatternStack


def export_api(stack: PatternStack, front: ApiFront, endpoint: EndpointBase) -> None:
    """The members' policy exported for SMUS, the API clients' policy, the API URL, and what the API calls."""
    _export_member_policy(stack, endpoint)
    clients = iam.ManagedPolicy(
        stack,
        "ApiClientPolicy",
        description=Fn.sub(
            f"Call the {stack.blueprint_name} API of environment ${{{smus.ENVIRONMENT_ID}}} (SMUS project "
            f"${{{smus.PROJECT_ID}}}) from an application role"
        ),
    )
    front.api.grant_invoke(clients)
    CfnOutput(
        stack,
        "ApiClientPolicyArn",
        value=clients.managed_policy_arn,
        description="Attach to application roles that call the API (execute-api:Invoke). SMUS project roles cannot "
        "call execute-api (their permissions boundary denies it): members invoke the model directly.",
    )
    CfnOutput(
        stack, "ApiUrl", value=front.api.url, description="POST JSON here, signed with SigV4 (service execute-api)."
    )
    output_model_targets(stack, endpoint, caller="the API calls")


def output_model_targets(stack: PatternStack, endpoint: EndpointBase, *, caller: str) -> None:
    """``ModelInvokeTarget`` (Bedrock) or ``EndpointName`` (SageMaker), under the model source's condition.

    :param caller: who uses them, for the descriptions ("the API calls").
    """
    CfnOutput(
        stack,
        "ModelInvokeTarget",
        value=stack.bedrock_model.invoke_target,
        description=f"Bedrock modelId {caller} (ModelSource Bedrock only).",
        condition=stack.source.uses_bedrock,
    )
    CfnOutput(
        stack,
        "EndpointName",
        value=endpoint.endpoint.attr_endpoint_name,
        description=f"SageMaker endpoint {caller} (ModelSource SageMaker only).",
        condition=stack.source.uses_sagemaker,
    )


def _export_member_policy(stack: PatternStack, endpoint: EndpointBase) -> None:
    """Members invoke what the API invokes (the Bedrock target or the endpoint) and read this stack's outputs."""
    members = export_member_policy(
        stack, f"Invoke the {stack.blueprint_name} model", allows="invoke the model, read these outputs"
    )
    stack.bedrock_model.grant_invoke_where(members)
    endpoint.grant_invoke_where(members, stack.source.uses_sagemaker)


def export_member_policy(stack: PatternStack, purpose: str, *, allows: str) -> iam.ManagedPolicy:
    """The managed policy SMUS attaches to the project role, exported under SMUS's name: reading this stack's
    outputs, and what the caller adds.

    :param purpose: what it is for, in its description ("... of SMUS project <id> in domain <id>").
    :param allows: what it allows, in the output's description.
    """
    members = iam.ManagedPolicy(
        stack,
        "ProjectUserPolicy",
        description=Fn.sub(f"{purpose} of SMUS project ${{{smus.PROJECT_ID}}} in domain ${{{smus.DOMAIN_ID}}}"),
        statements=[iam.PolicyStatement(actions=["cloudformation:DescribeStacks"], resources=[Aws.STACK_ID])],
    )
    CfnOutput(
        stack,
        "ProjectUserPolicyArn",
        value=members.managed_policy_arn,
        description=f"Managed policy that SMUS attaches to the project role: {allows}.",
        export_name=smus.managed_policy_export_name(stack.blueprint_name),
    )
    return members
