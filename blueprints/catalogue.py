"""Every blueprint, declared once: name, description, stack class and SMUS deployment hints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from genai_sandbox_constructs import Problems
from stacks.async_inference import AsyncInferenceStack
from stacks.base import BlueprintStack
from stacks.batch_inference import BatchInferenceStack
from stacks.genai_sandbox import GenAiSandboxStack
from stacks.realtime_inference import RealtimeInferenceStack
from stacks.serverless_inference import ServerlessInferenceStack

DeploymentMode = Literal["ON_CREATE", "ON_DEMAND"]
NAME_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,62}")
"""Stack id, template file name and DataZone blueprint name ([\\w -]{1,64}) at once."""
DESCRIPTION_LIMIT = 2048
"""DataZone's limit on a blueprint description."""


@dataclass(frozen=True)
class Blueprint:
    """One SMUS custom blueprint and the stack that builds its template."""

    name: str
    """Blueprint, stack and template name (``dist/<name>.template.json``)."""
    description: str
    """Shown in SMUS and used as the template description."""
    stack_class: type[BlueprintStack]
    """The stack that builds the template."""
    deployment_mode: DeploymentMode
    """ON_CREATE: deployed with every new project; ON_DEMAND: added by project members."""
    deployment_order: int | None = None
    """Order among ON_CREATE blueprints of a project profile (Tooling is 0). Default: None (ON_DEMAND)."""

    def __post_init__(self) -> None:
        problems = Problems(f"Blueprint {self.name!r}")
        if not NAME_PATTERN.fullmatch(self.name):
            problems.add("name", self.name, "1-63 of a-z, 0-9 and '-', starting with a letter")
        if not self.description.strip() or len(self.description) > DESCRIPTION_LIMIT:
            problems.add("description", self.description[:40], f"1-{DESCRIPTION_LIMIT} characters")
        if self.deployment_mode not in ("ON_CREATE", "ON_DEMAND"):
            problems.add("deployment_mode", self.deployment_mode, "one of ON_CREATE, ON_DEMAND")
        if self.deployment_mode == "ON_CREATE" and (self.deployment_order is None or self.deployment_order < 1):
            problems.add("deployment_order", self.deployment_order, "ON_CREATE blueprints need an order of 1 or more")
        problems.raise_if_any()


CATALOGUE: tuple[Blueprint, ...] = (
    Blueprint(
        name="genai-sandbox",
        description=(
            "Gen AI sandbox foundation of a project: one KMS-encrypted, versioned bucket with the shared data, "
            "artifacts, inference and configs layout, a rotating KMS key, a SageMaker model registry group and "
            "the project members' access policy. Deploy it first; the inference blueprints import its exports."
        ),
        stack_class=GenAiSandboxStack,
        deployment_mode="ON_CREATE",
        deployment_order=1,
    ),
    Blueprint(
        name="realtime-inference",
        description=(
            "Real-time inference behind an IAM-authorized REST API: a Lambda function calls Bedrock (through an "
            "application inference profile and an optional guardrail) or a SageMaker real-time endpoint with "
            "autoscaling and optional data capture. Needs the genai-sandbox environment of the same project."
        ),
        stack_class=RealtimeInferenceStack,
        deployment_mode="ON_DEMAND",
    ),
    Blueprint(
        name="serverless-inference",
        description=(
            "Serverless inference behind an IAM-authorized REST API: Bedrock on demand, or a SageMaker serverless "
            "endpoint (CPU, up to 6 GB memory, scales to zero). Needs the genai-sandbox environment of the same "
            "project."
        ),
        stack_class=ServerlessInferenceStack,
        deployment_mode="ON_DEMAND",
    ),
    Blueprint(
        name="async-inference",
        description=(
            "Asynchronous inference for requests that take minutes: write a request object under "
            "inference/async/input/ and find its result and status record under inference/async/output/. A "
            "SageMaker asynchronous endpoint (up to 1 GB per request and an hour per invocation) that scales to "
            "zero, or Bedrock through the same queue; success and error notifications, EventBridge events and an "
            "optional email. Needs the genai-sandbox environment of the same project."
        ),
        stack_class=AsyncInferenceStack,
        deployment_mode="ON_DEMAND",
    ),
    Blueprint(
        name="batch-inference",
        description=(
            "Batch inference for datasets of thousands to millions of records: upload a batch under "
            "inference/batch/input/<batch-id>/ and write <batch-id>.ready (or let a schedule start ready batches). "
            "A SageMaker transform job on your model, or a Bedrock batch inference job (JSONL records), with results "
            "and a status record under inference/batch/output/<batch-id>/, notifications, job metrics and an optional "
            "email. Nothing runs between batches. Needs the genai-sandbox environment of the same project."
        ),
        stack_class=BatchInferenceStack,
        deployment_mode="ON_DEMAND",
    ),
)
