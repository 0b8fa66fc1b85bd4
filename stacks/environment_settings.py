"""Values that differ between dev, staging and prod, as one CloudFormation Mappings table.

One template serves every environment: the table is emitted into the template and read with ``Fn::FindInMap``
keyed by the ``Environment`` parameter, never chosen by a synth-time branch.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import CfnMapping, Stack, Token

from genai_sandbox_constructs import Problems

ENVIRONMENTS = ("dev", "staging", "prod")

SETTINGS: dict[str, dict[str, int]] = {
    "dev": {
        "InferenceTransitionDays": 30,
        "InferenceExpirationDays": 60,
        "CheckpointExpirationDays": 14,
        "NoncurrentVersionExpirationDays": 30,
        "IncompleteUploadDays": 3,
        "AccessLogExpirationDays": 90,
        "LogRetentionDays": 30,
        "RealtimeMinInstances": 1,
        "LatencyAlarmMs": 20000,
        "ModelLatencyAlarmUs": 20000000,
    },
    "staging": {
        "InferenceTransitionDays": 30,
        "InferenceExpirationDays": 90,
        "CheckpointExpirationDays": 30,
        "NoncurrentVersionExpirationDays": 60,
        "IncompleteUploadDays": 7,
        "AccessLogExpirationDays": 365,
        "LogRetentionDays": 90,
        "RealtimeMinInstances": 1,
        "LatencyAlarmMs": 15000,
        "ModelLatencyAlarmUs": 15000000,
    },
    "prod": {
        "InferenceTransitionDays": 60,
        "InferenceExpirationDays": 365,
        "CheckpointExpirationDays": 60,
        "NoncurrentVersionExpirationDays": 90,
        "IncompleteUploadDays": 7,
        "AccessLogExpirationDays": 2557,
        "LogRetentionDays": 365,
        "RealtimeMinInstances": 2,
        "LatencyAlarmMs": 10000,
        "ModelLatencyAlarmUs": 10000000,
    },
}
"""Every environment-dependent value of every blueprint (prod keeps access logs seven years)."""


class EnvironmentSettings:
    """The ``EnvironmentSettings`` mapping of ``stack``, restricted to the ``columns`` it uses."""

    def __init__(self, stack: Stack, environment: str, columns: Sequence[str]) -> None:
        problems = Problems("EnvironmentSettings")
        for column in columns:
            if column not in SETTINGS["dev"]:
                problems.add("columns", column, f"one of {', '.join(sorted(SETTINGS['dev']))}")
        problems.raise_if_any()
        self._environment = environment
        self._mapping = CfnMapping(
            stack,
            "EnvironmentSettings",
            mapping={name: {column: row[column] for column in columns} for name, row in SETTINGS.items()},
        )

    def number(self, column: str) -> float:
        """``Fn::FindInMap [EnvironmentSettings, !Ref Environment, column]`` as a number token."""
        return Token.as_number(self._mapping.find_in_map(self._environment, column))
