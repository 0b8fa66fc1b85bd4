"""API Gateway's account-level CloudWatch Logs role: the API blueprints' stages write execution logs with it, and
creating such a stage fails in a region where it is not set. It is one setting per account and region, so the
blueprints do not own it; the publish pre-flight checks it and can set it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

ROLE_NAME = "datazone-genai-sandbox-apigateway-logs"
PUSH_TO_LOGS = "arn:{partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
"""The AWS managed policy API Gateway's developer guide names for this role (logs only, not a FullAccess policy)."""


def regions_without_logging(apigateway: Callable[[str], Any], regions: Sequence[str]) -> list[str]:
    """The ``regions`` whose API Gateway account has no CloudWatch Logs role.

    :param apigateway: region -> an API Gateway client of that region.
    """
    return [region for region in regions if not apigateway(region).get_account().get("cloudwatchRoleArn")]


def configure(apigateway: Callable[[str], Any], iam: Any, partition: str, regions: Sequence[str]) -> str:
    """Create (or reuse) the logging role and set it in every region of ``regions``; return its ARN."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    try:
        role_arn = str(iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        role_arn = str(iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=PUSH_TO_LOGS.format(partition=partition))
    for region in regions:
        apigateway(region).update_account(
            patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role_arn}]
        )
    return role_arn
