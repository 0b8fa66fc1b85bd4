"""One switch between a Bedrock model and a SageMaker model, with both branches in one template."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import CfnCondition, Fn, IResolvable, Token
from aws_cdk import aws_iam as iam
from constructs import Construct

from genai_sandbox_constructs.conditions import make_conditional
from genai_sandbox_constructs.errors import ConfigurationError, Problems
from genai_sandbox_constructs.grants import PolicyTarget
from genai_sandbox_constructs.model_source.bedrock_forms import ALL_FORMS, BedrockForm, classify, describe
from genai_sandbox_constructs.model_source.bedrock_model import BedrockModel
from genai_sandbox_constructs.model_source.sagemaker_model import SageMakerModel
from genai_sandbox_constructs.storage.bucket_access import BucketAccess

BEDROCK = "Bedrock"
SAGEMAKER = "SageMaker"
SOURCES = (BEDROCK, SAGEMAKER)
ARTIFACT_KEY_PATTERN = r"artifacts/models/[A-Za-z0-9!_.*'()/-]+\.tar\.gz"
IMAGE_URI_PATTERN = (
    r"[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._-]+(:[A-Za-z0-9._-]{1,128}|@sha256:[a-f0-9]{64})"
)
MODEL_PACKAGE_PATTERN = r"arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/[a-zA-Z0-9-]{1,63}/[0-9]+"


@dataclass(frozen=True)
class BedrockChoice:
    """The Bedrock side of a model source."""

    model_id: str
    """Model in one of ``forms``; token or literal (required)."""
    profile_name: str
    """Name of the application inference profile; carry the environment id (required)."""
    forms: Sequence[BedrockForm] = ALL_FORMS
    """Forms this pattern accepts. Default: all."""
    guardrail_id: str = ""
    """Guardrail applied on every call; empty for none. Default: none."""
    guardrail_version: str = "DRAFT"
    """Version of the guardrail: a number or ``DRAFT``. Default: DRAFT."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Extra tags of the application inference profile. Default: none."""
    cost_profile: CfnCondition | None = None
    """Condition under which on-demand models go through the application inference profile (spend tagged per
    environment); otherwise they are invoked directly. Default: none (always through the profile)."""


@dataclass(frozen=True)
class SageMakerChoice:
    """The SageMaker side of a model source."""

    bucket: BucketAccess
    """Access to the sandbox bucket (required)."""
    bucket_name: str
    """Name of the sandbox bucket (required)."""
    artifact_key: str = ""
    """``artifacts/models/.../model.tar.gz``; empty with a package. Default: empty."""
    image_uri: str = ""
    """ECR image URI; empty with a package. Default: empty."""
    model_package_arn: str = ""
    """Versioned model package ARN instead of artifact and image. Default: empty."""
    network_isolation: bool | IResolvable = True
    """Container without network access. Default: true."""
    subnet_ids: Sequence[str] | None = None
    """Subnets to run in. Default: none (no VPC)."""
    security_group_id: str | None = None
    """Security group with ``subnet_ids``. Default: none."""
    image_repository_arn: str | None = None
    """The project's own ECR repository, the only one of this account the model may pull from. Default: none
    (images of other accounts only)."""


class ModelSource(Construct):
    """``source`` (``Bedrock`` or ``SageMaker``, usually a parameter) picks the model; the other branch's resources
    carry a false condition and are never created. With a literal ``source``, only that branch is needed."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: str,
        bedrock: BedrockChoice | None = None,
        sagemaker: SageMakerChoice | None = None,
    ) -> None:
        """:param source: Bedrock or SageMaker; a token or a literal (required).
        :param bedrock: the Bedrock model. Default: none (allowed with ``source="SageMaker"``).
        :param sagemaker: the SageMaker model. Default: none (allowed with ``source="Bedrock"``).
        """
        super().__init__(scope, construct_id)
        _validate(source, bedrock, sagemaker)
        self.uses_bedrock = CfnCondition(self, "UsesBedrock", expression=Fn.condition_equals(source, BEDROCK))
        """``source`` is Bedrock."""
        self.uses_sagemaker = CfnCondition(self, "UsesSageMaker", expression=Fn.condition_equals(source, SAGEMAKER))
        """``source`` is SageMaker."""
        self.bedrock = self._build_bedrock(bedrock) if bedrock and _may_be(source, BEDROCK) else None
        """The Bedrock branch, when given and ``source`` may choose it."""
        self.sagemaker = self._build_sagemaker(sagemaker) if sagemaker and _may_be(source, SAGEMAKER) else None
        """The SageMaker branch, when given and ``source`` may choose it; its resources exist only when SageMaker is
        chosen."""

    def branches(self) -> tuple[BedrockModel, SageMakerModel]:
        """Both branches, for callers that let ``source`` decide at deploy time (then both are required)."""
        if self.bedrock is None or self.sagemaker is None:
            raise ConfigurationError("ModelSource", ["branches: only one branch was given (source is a literal)"])
        return self.bedrock, self.sagemaker

    def _build_bedrock(self, bedrock: BedrockChoice) -> BedrockModel:
        return BedrockModel(
            self,
            "Bedrock",
            model_id=bedrock.model_id,
            enabled=self.uses_bedrock,
            profile_name=bedrock.profile_name,
            tags=bedrock.tags,
            guardrail_id=bedrock.guardrail_id,
            guardrail_version=bedrock.guardrail_version,
            cost_profile=bedrock.cost_profile,
        )

    def _build_sagemaker(self, sagemaker: SageMakerChoice) -> SageMakerModel:
        model = SageMakerModel(
            self,
            "SageMaker",
            enabled=self.uses_sagemaker,
            bucket=sagemaker.bucket,
            bucket_name=sagemaker.bucket_name,
            artifact_key=sagemaker.artifact_key,
            image_uri=sagemaker.image_uri,
            model_package_arn=sagemaker.model_package_arn,
            network_isolation=sagemaker.network_isolation,
            subnet_ids=sagemaker.subnet_ids,
            security_group_id=sagemaker.security_group_id,
            image_repository_arn=sagemaker.image_repository_arn,
        )
        make_conditional(model, self.uses_sagemaker)
        return model

    def grant_invoke_bedrock(self, grantee: PolicyTarget, *, role: iam.IRole) -> iam.Grant:
        """Let ``grantee`` (held by ``role``) invoke the Bedrock model, through its guardrail when there is one."""
        if self.bedrock is None:
            raise ConfigurationError("ModelSource", ["grant_invoke_bedrock: no Bedrock branch was given"])
        return self.bedrock.grant_invoke(grantee, role=role)


def _validate(source: str, bedrock: BedrockChoice | None, sagemaker: SageMakerChoice | None) -> None:
    """Check literal values at synth time; tokens are checked by the template's patterns and Rules."""
    problems = Problems("ModelSource")
    if _literal(source) and source not in SOURCES:
        problems.add("source", source, f"one of {', '.join(SOURCES)}")
    for name, given in ((BEDROCK, bedrock), (SAGEMAKER, sagemaker)):
        if given is None and _may_be(source, name):
            problems.add(name.lower(), None, f"a {name} choice, since source may be {name}")
    if bedrock is not None and _literal(bedrock.model_id):
        form = classify(bedrock.model_id)
        if form not in bedrock.forms:
            problems.add("bedrock.model_id", bedrock.model_id, f"one of: {describe(bedrock.forms)}")
    if sagemaker is not None:
        _validate_sagemaker(problems, sagemaker)
    problems.raise_if_any()


def _validate_sagemaker(problems: Problems, sagemaker: SageMakerChoice) -> None:
    for name, value, pattern in (
        ("sagemaker.artifact_key", sagemaker.artifact_key, ARTIFACT_KEY_PATTERN),
        ("sagemaker.image_uri", sagemaker.image_uri, IMAGE_URI_PATTERN),
        ("sagemaker.model_package_arn", sagemaker.model_package_arn, MODEL_PACKAGE_PATTERN),
    ):
        if _literal(value) and value and not re.fullmatch(pattern, value):
            problems.add(name, value, f"empty or matching {pattern}")


def _may_be(source: str, name: str) -> bool:
    """Whether ``source`` can be ``name``: a token can be either, a literal only itself."""
    return not _literal(source) or source == name


def _literal(value: str) -> bool:
    return not Token.is_unresolved(value)
