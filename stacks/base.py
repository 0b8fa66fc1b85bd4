"""What every blueprint stack shares: portable synthesis, SMUS parameters, common parameters and tags."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, BootstraplessSynthesizer, CfnCondition, CfnParameter, Fn, Stack, Tags
from aws_cdk import aws_iam as iam
from constructs import Construct

from .environment_settings import ENVIRONMENTS, EnvironmentSettings
from .parameters import string_parameter
from .smus import PROJECT_TAGS, declare_reserved_parameters

BOUNDARY_PATTERN = r"^(arn:aws[a-z-]*:iam::(\d{12}|aws):policy/[\w+=,.@/-]{1,512})?$"


class BlueprintStack(Stack):
    """A stack whose template is a portable SMUS blueprint: no bootstrap, no assets, no CDK metadata.

    Subclasses list the ``EnvironmentSettings`` columns they read in ``SETTINGS_COLUMNS``; each parameter declares
    whether it is admin-only or fixed after creation (``parameter_policy``).
    """

    SETTINGS_COLUMNS: Sequence[str] = ()

    def __init__(self, scope: Construct, blueprint_name: str, *, description: str) -> None:
        super().__init__(scope, blueprint_name, description=description, synthesizer=BootstraplessSynthesizer())
        self.blueprint_name = blueprint_name
        declare_reserved_parameters(self)
        self.project_name = CfnParameter(
            self,
            "ProjectName",
            description="Short lowercase project name used in tags and descriptions (2-32 of a-z, 0-9, '-').",
            default="genai-sandbox",
            allowed_pattern="^[a-z][a-z0-9-]{1,31}$",
            constraint_description="must be 2-32 lowercase letters, digits or hyphens, starting with a letter",
        ).value_as_string
        self.stage = CfnParameter(
            self,
            "Environment",
            description="Deployment stage; selects retention, capacity and threshold defaults from the template's "
            "EnvironmentSettings mapping.",
            default="dev",
            allowed_values=list(ENVIRONMENTS),
        ).value_as_string
        self.settings = EnvironmentSettings(self, self.stage, self.SETTINGS_COLUMNS)
        self._apply_permissions_boundary()
        for key, value in (("Project", self.project_name), ("Environment", self.stage)):
            Tags.of(self).add(key, value)
        Tags.of(self).add("Blueprint", blueprint_name)
        for key, parameter in PROJECT_TAGS.items():
            Tags.of(self).add(key, Fn.ref(parameter))

    def _apply_permissions_boundary(self) -> None:
        """Every role in this stack gets ``PermissionsBoundaryArn`` when it is not empty."""
        arn = string_parameter(
            self,
            "PermissionsBoundaryArn",
            "Optional managed policy ARN set as permissions boundary on every role this blueprint creates.",
            pattern=BOUNDARY_PATTERN,
            constraint="must be empty or a managed policy ARN such as arn:aws:iam::123456789012:policy/SandboxBoundary",
            admin_only=True,
        )
        has_boundary = CfnCondition(
            self, "HasPermissionsBoundary", expression=Fn.condition_not(Fn.condition_equals(arn, ""))
        )
        boundary = Fn.condition_if(has_boundary.logical_id, arn, Aws.NO_VALUE).to_string()
        iam.PermissionsBoundary.of(self).apply(iam.ManagedPolicy.from_managed_policy_arn(self, "Boundary", boundary))
