"""SMUS updates environments in place: a stateful resource whose logical id changes is created anew, and the old
one is retained and orphaned with its data. These ids are a contract; change them only with a migration."""

from __future__ import annotations

import pytest

from tests.conftest import Synthesized

STATEFUL = {
    "genai-sandbox": {
        "StorageBucket5CB7C8EA": "AWS::S3::Bucket",
        "StorageAccessLogs96FB524C": "AWS::S3::Bucket",
        "Key9BCD29C7": "AWS::KMS::Key",
        "ModelRegistryGroupC87F7ECA": "AWS::SageMaker::ModelPackageGroup",
        "ImagesRepository2D0F5B9C": "AWS::ECR::Repository",
    },
}
"""Blueprint -> logical id -> type of every resource that holds data, as deployed environments know them."""
DATA_HOLDING_TYPES = frozenset(
    {"AWS::S3::Bucket", "AWS::KMS::Key", "AWS::SageMaker::ModelPackageGroup", "AWS::ECR::Repository"}
)


@pytest.mark.parametrize("blueprint", sorted(STATEFUL))
def test_stateful_resources_keep_their_logical_ids_and_are_retained(synthesized: Synthesized, blueprint: str) -> None:
    resources = synthesized.templates[blueprint]["Resources"]
    for logical_id, resource_type in STATEFUL[blueprint].items():
        assert logical_id in resources, f"{logical_id} ({resource_type}) is gone: a deployed environment would lose it"
        assert resources[logical_id]["Type"] == resource_type
        assert resources[logical_id]["DeletionPolicy"] == "Retain"
        assert resources[logical_id]["UpdateReplacePolicy"] == "Retain"


def test_every_data_holding_resource_is_pinned(synthesized: Synthesized) -> None:
    for blueprint, template in synthesized.templates.items():
        holding = {k for k, r in template["Resources"].items() if r["Type"] in DATA_HOLDING_TYPES}
        assert holding == set(STATEFUL.get(blueprint, {})), f"{blueprint}: pin new data-holding resources here"


IN_FLIGHT = {
    "async-inference": {
        "RequestsQueue28E22866": "AWS::SQS::Queue",
        "RequestsDeadLetters0464CAB6": "AWS::SQS::Queue",
        "RequestsCompletionDeadLettersB7BABC4F": "AWS::SQS::Queue",
    },
    "batch-inference": {
        "JobsMarkersQueueA052261B": "AWS::SQS::Queue",
        "JobsMarkersDeadLetters2D0A1C74": "AWS::SQS::Queue",
        "JobsTrackingDeadLettersE98FD1E0": "AWS::SQS::Queue",
    },
}
"""Queues whose messages are requests, batches to start or their failures (kept 14 days): a new logical id would
drop them. Not retained on deletion: deleting an environment ends its requests."""


@pytest.mark.parametrize("blueprint", sorted(IN_FLIGHT))
def test_queues_of_requests_keep_their_logical_ids(synthesized: Synthesized, blueprint: str) -> None:
    resources = synthesized.templates[blueprint]["Resources"]
    queues = {k: r["Type"] for k, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
    assert queues == IN_FLIGHT[blueprint]
