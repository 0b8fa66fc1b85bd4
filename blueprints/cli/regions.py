"""The AWS Regions where SageMaker Unified Studio is available: ``publish --regions`` takes these only."""

from __future__ import annotations

SMUS_REGIONS: tuple[str, ...] = (
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-south-1",
)
"""Source: "Supported Regions" of the SageMaker Unified Studio Administrator Guide,
https://docs.aws.amazon.com/sagemaker-unified-studio/latest/adminguide/supported-regions.html, as quoted by a public
AWS Terraform sample for SMUS domains, read 2026-11-29. AWS adds Regions: when publish refuses one SMUS offers, add it
here (the test checks that every entry is a Region botocore knows for DataZone)."""
