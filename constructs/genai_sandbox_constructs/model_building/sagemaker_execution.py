"""What every SageMaker execution role of a sandbox needs, whatever it runs: training and processing jobs, models
behind endpoints, and (later) transform jobs."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from genai_sandbox_constructs import nag

LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")


def grant_sagemaker_execution(scope: IConstruct, policy: iam.ManagedPolicy, *, publishes_metrics: bool = False) -> None:
    """Add to ``policy`` the logs SageMaker writes under ``/aws/sagemaker/`` and, with ``publishes_metrics`` (jobs),
    metrics in the ``/aws/sagemaker/`` namespaces; ``scope`` is any construct of the stack."""
    logs = f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/*"
    policy.add_statements(iam.PolicyStatement(actions=list(LOG_ACTIONS), resources=[logs]))
    nag.acknowledge(
        policy,
        "SageMaker names job and endpoint log groups and streams under /aws/sagemaker/ at run time.",
        nag.wildcard_resource_finding(scope, logs),
    )
    if publishes_metrics:
        policy.add_statements(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
            )
        )
        nag.acknowledge(
            policy,
            "cloudwatch:PutMetricData has no resource-level permissions; a condition limits it to the "
            "/aws/sagemaker/ namespaces.",
            nag.wildcard_resource_finding(scope, "*"),
        )
