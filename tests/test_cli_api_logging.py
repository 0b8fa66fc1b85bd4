"""API Gateway's account CloudWatch role: found missing per region, and set (strict Stubber for API Gateway, moto
IAM)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from blueprints.cli.api_logging import ROLE_NAME, configure, regions_without_logging
from tests.helpers.strict_stubber import strict


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Stubber]]:
    credentials = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in credentials.items():
        monkeypatch.setenv(name, value)
    stubbers = {region: Stubber(strict(boto3.client("apigateway", region_name=region))) for region in REGIONS}
    for stubber in stubbers.values():
        stubber.activate()
    yield stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


REGIONS = ("us-east-1", "eu-west-1")


def _client(stubbers: dict[str, Stubber]) -> Any:
    return lambda region: stubbers[region].client


def test_regions_without_a_logging_role_are_named(stubbed: dict[str, Stubber]) -> None:
    stubbed["us-east-1"].add_response("get_account", {"cloudwatchRoleArn": "arn:aws:iam::111122223333:role/x"})
    stubbed["eu-west-1"].add_response("get_account", {})
    assert regions_without_logging(_client(stubbed), REGIONS) == ["eu-west-1"]


def test_configure_creates_the_role_once_and_sets_it_in_each_region(stubbed: dict[str, Stubber]) -> None:
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        iam = boto3.client("iam")
        for _ in range(2):  # a second run reuses the role
            for region in REGIONS:
                stubbed[region].add_response(
                    "update_account",
                    {},
                    {
                        "patchOperations": [
                            {
                                "op": "replace",
                                "path": "/cloudwatchRoleArn",
                                "value": f"arn:aws:iam::123456789012:role/{ROLE_NAME}",
                            }
                        ]
                    },
                )
            role_arn = configure(_client(stubbed), iam, "aws", REGIONS)
        assert role_arn.endswith(f":role/{ROLE_NAME}")
        (attached,) = iam.list_attached_role_policies(RoleName=ROLE_NAME)["AttachedPolicies"]
        assert attached["PolicyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
        trust = iam.get_role(RoleName=ROLE_NAME)["Role"]["AssumeRolePolicyDocument"]
        assert trust["Statement"][0]["Principal"] == {"Service": "apigateway.amazonaws.com"}
