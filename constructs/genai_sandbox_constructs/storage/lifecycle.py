"""Lifecycle timings of the sandbox bucket, and the rules they become."""

from __future__ import annotations

from dataclasses import dataclass, fields

from aws_cdk import Duration, Token
from aws_cdk import aws_s3 as s3

from genai_sandbox_constructs import layout
from genai_sandbox_constructs.errors import Problems

Days = int | float
"""A number of days: a plain number, or a number token such as ``Fn::FindInMap``."""

STANDARD_IA_MINIMUM_DAYS = 30
"""S3 moves objects to STANDARD_IA only after they have been stored 30 days."""


@dataclass(frozen=True)
class LifecycleDays:
    """Lifecycle timings in days; tokens are accepted and checked by the template's own constraints instead."""

    inference_transition_days: Days = 30
    """Days until inference inputs, outputs and captures move to infrequent access. Default: 30 (minimum 30)."""
    inference_expiration_days: Days = 90
    """Days until inference inputs, outputs and captures expire; more than the transition. Default: 90."""
    checkpoint_expiration_days: Days = 30
    """Days until training checkpoints expire. Default: 30."""
    noncurrent_version_expiration_days: Days = 30
    """Days a replaced or deleted object version is kept. Default: 30."""
    incomplete_upload_days: Days = 7
    """Days until incomplete multipart uploads are aborted. Default: 7."""
    access_log_expiration_days: Days = 365
    """Days server access logs are kept. Default: 365."""

    def __post_init__(self) -> None:
        problems = Problems("LifecycleDays")
        for field in fields(self):
            value = getattr(self, field.name)
            if not Token.is_unresolved(value) and (value != int(value) or value < 1):
                problems.add(field.name, value, "must be a whole number of days, at least 1")
        transition, expiration = self.inference_transition_days, self.inference_expiration_days
        if not Token.is_unresolved(transition) and transition < STANDARD_IA_MINIMUM_DAYS:
            problems.add(
                "inference_transition_days", transition, f"S3 needs at least {STANDARD_IA_MINIMUM_DAYS} for STANDARD_IA"
            )
        if not Token.is_unresolved(transition) and not Token.is_unresolved(expiration) and expiration <= transition:
            problems.add(
                "inference_expiration_days", expiration, f"must be more than inference_transition_days ({transition})"
            )
        problems.raise_if_any()

    def sandbox_rules(self) -> list[s3.LifecycleRule]:
        """Rules of the sandbox bucket: housekeeping, checkpoint expiry, and tiering of inference traffic."""
        return [
            *self._housekeeping_rules(),
            s3.LifecycleRule(
                id="ExpireCheckpoints",
                prefix=layout.CHECKPOINTS.key,
                expiration=Duration.days(self.checkpoint_expiration_days),
            ),
            *(
                s3.LifecycleRule(
                    id=f"Tier{prefix.name}",
                    prefix=prefix.key,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(self.inference_transition_days),
                        )
                    ],
                    expiration=Duration.days(self.inference_expiration_days),
                )
                for prefix in layout.INFERENCE_IO
            ),
        ]

    def access_log_rules(self) -> list[s3.LifecycleRule]:
        """Rules of the access-log bucket: housekeeping and log expiry."""
        return [
            *self._housekeeping_rules(),
            s3.LifecycleRule(id="ExpireAccessLogs", expiration=Duration.days(self.access_log_expiration_days)),
        ]

    def _housekeeping_rules(self) -> list[s3.LifecycleRule]:
        return [
            s3.LifecycleRule(
                id="AbortIncompleteUploads",
                abort_incomplete_multipart_upload_after=Duration.days(self.incomplete_upload_days),
            ),
            s3.LifecycleRule(
                id="ExpireNoncurrentVersions",
                noncurrent_version_expiration=Duration.days(self.noncurrent_version_expiration_days),
            ),
            s3.LifecycleRule(id="RemoveExpiredDeleteMarkers", expired_object_delete_marker=True),
        ]
