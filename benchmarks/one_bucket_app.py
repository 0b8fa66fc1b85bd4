"""Baseline for the synth benchmark: the smallest app our pipeline synthesizes.

One S3 bucket, built like app.py builds the blueprints: the same App settings and the same three cdk-nag packs
(the bucket's findings acknowledged), so the ratio measures what the blueprints add, not CDK's fixed cost.
"""

from __future__ import annotations

from aws_cdk import BootstraplessSynthesizer, Stack
from aws_cdk import aws_s3 as s3

from blueprints.synthesis import create_app
from genai_sandbox_constructs import nag

FINDINGS = (
    "AwsSolutions-S1",
    "AwsSolutions-S10",
    *(
        f"{pack}-{rule}"
        for pack in ("HIPAA.Security", "NIST.800.53.R5")
        for rule in (
            "S3BucketLoggingEnabled",
            "S3BucketPublicReadProhibited",
            "S3BucketPublicWriteProhibited",
            "S3BucketReplicationEnabled",
            "S3BucketSSLRequestsOnly",
            "S3BucketVersioningEnabled",
            "S3DefaultEncryptionKMS",
        )
    ),
)

app = create_app()
bucket = s3.Bucket(Stack(app, "OneBucket", synthesizer=BootstraplessSynthesizer()), "Bucket")
nag.acknowledge(bucket, "Benchmark baseline: the bucket only measures the pipeline's fixed cost.", *FINDINGS)
nag.register_packs(app)
app.synth()
