"""LifecycleDays: S3's own limits, all problems reported at once, tokens passed through."""

from __future__ import annotations

import pytest
from aws_cdk import Token

from genai_sandbox_constructs import ConfigurationError, LifecycleDays


def test_defaults_are_valid() -> None:
    assert LifecycleDays().inference_transition_days == 30


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigurationError) as error:
        LifecycleDays(checkpoint_expiration_days=0, incomplete_upload_days=1.5, inference_transition_days=10)
    assert len(error.value.problems) == 3
    message = str(error.value)
    assert "checkpoint_expiration_days=0: must be a whole number of days, at least 1" in message
    assert "incomplete_upload_days=1.5" in message
    assert "inference_transition_days=10: S3 needs at least 30 for STANDARD_IA" in message


def test_expiration_must_come_after_transition() -> None:
    with pytest.raises(ConfigurationError, match=r"inference_expiration_days=30: must be more than .* \(30\)"):
        LifecycleDays(inference_transition_days=30, inference_expiration_days=30)


def test_tokens_are_left_to_the_template() -> None:
    token = Token.as_number({"Ref": "Days"})
    assert LifecycleDays(inference_transition_days=token).inference_transition_days == token
