"""What every blueprint stack shares: portable synthesis, SMUS parameters, common parameters and tags."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import BootstraplessSynthesizer, CfnParameter, Stack, Tags
from constructs import Construct

from .environment_settings import ENVIRONMENTS, EnvironmentSettings
from .smus import ReservedParameters


class BlueprintStack(Stack):
    """A stack whose template is a portable SMUS blueprint: no bootstrap, no assets, no CDK metadata.

    Subclasses list the ``EnvironmentSettings`` columns they read in ``SETTINGS_COLUMNS``.
    """

    SETTINGS_COLUMNS: Sequence[str] = ()

    def __init__(self, scope: Construct, blueprint_name: str, *, description: str) -> None:
        super().__init__(scope, blueprint_name, description=description, synthesizer=BootstraplessSynthesizer())
        self.blueprint_name = blueprint_name
        self.smus = ReservedParameters(self)
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
        for key, value in (("Project", self.project_name), ("Environment", self.stage)):
            Tags.of(self).add(key, value)
        Tags.of(self).add("Blueprint", blueprint_name)
