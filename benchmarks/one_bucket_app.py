"""Baseline for the synth benchmark: the smallest useful CDK app (one bucket), built like app.py builds its own."""

from __future__ import annotations

from aws_cdk import BootstraplessSynthesizer, Stack
from aws_cdk import aws_s3 as s3

from blueprints.synthesis import create_app

app = create_app()
s3.Bucket(Stack(app, "OneBucket", synthesizer=BootstraplessSynthesizer()), "Bucket")
app.synth()
