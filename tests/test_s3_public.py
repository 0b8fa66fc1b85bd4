"""The S3 public-policy judgement helper against the S3 User Guide's own examples ("The meaning of public")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.s3_public import is_public


def _policy(**statement: Any) -> dict[str, Any]:
    return {"Statement": [{"Effect": "Allow", "Resource": "*", "Action": "s3:PutObject", **statement}]}


@pytest.mark.parametrize(
    "statement",
    [
        {"Principal": {"Federated": "graph.facebook.com"}},
        {"Principal": "*"},
        {"Principal": "*", "Condition": {"StringLike": {"aws:SourceVpc": "vpc-*"}}},
        {"Principal": {"AWS": "*"}, "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::1:role/x_*"}}},
        {"Principal": "*", "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-91237329"}}},
    ],
)
def test_the_guides_public_examples_and_wildcards_are_public(statement: dict[str, Any]) -> None:
    assert is_public(_policy(**statement))


@pytest.mark.parametrize(
    "statement",
    [
        {"Principal": "*", "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-91237329"}}},
        {"Principal": {"AWS": "arn:aws:iam::111122223333:root"}},
        {"Principal": {"Service": "logging.s3.amazonaws.com"}},
        {"Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}},
        {"Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}},
    ],
)
def test_fixed_values_of_the_listed_keys_are_not_public(statement: dict[str, Any]) -> None:
    assert not is_public(_policy(**statement))


def test_a_deny_never_makes_a_policy_public() -> None:
    assert not is_public({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]})
