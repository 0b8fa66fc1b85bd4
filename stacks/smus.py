"""The SageMaker Unified Studio template contract: reserved parameters, export names, id-bearing names."""

from __future__ import annotations

from aws_cdk import CfnOutput, CfnParameter, Fn, Stack

DOMAIN_ID = "datazoneEnvironmentDomainId"
PROJECT_ID = "datazoneEnvironmentProjectId"
ENVIRONMENT_ID = "datazoneEnvironmentEnvironmentId"
SCOPE_NAME = "datazoneScopeName"
RESERVED_PARAMETERS = (DOMAIN_ID, PROJECT_ID, ENVIRONMENT_ID, SCOPE_NAME)
"""Parameters SMUS fills in itself; every other parameter is a user parameter."""

EXPORT_PREFIX = "genaiSandbox"
"""Our exports' own prefix: the Tooling environment already exports ``privateSubnets-…`` and the like."""
MANAGED_POLICY_EXPORT_PREFIX = "datazone-managed-policy-"
"""SMUS attaches a managed policy exported under a name with this prefix to the project's user role."""

_ID_PATTERN = "^[a-zA-Z0-9-]{1,36}$"
_ID_RULE = "1-36 letters, digits or hyphens"


class ReservedParameters:
    """The SMUS reserved parameters, declared on ``stack`` with validation (SMUS fills them, never users)."""

    def __init__(self, stack: Stack) -> None:
        self.domain_id = CfnParameter(
            stack,
            DOMAIN_ID,
            description="Reserved, filled in by SageMaker Unified Studio: the domain id (dzd_ or dzd- and 1-36 more).",
            allowed_pattern="^dzd[-_][a-zA-Z0-9_-]{1,36}$",
            constraint_description="must be a DataZone domain id such as dzd_abc123def456gh",
        ).value_as_string
        self.project_id = CfnParameter(
            stack,
            PROJECT_ID,
            description=f"Reserved, filled in by SageMaker Unified Studio: the project id ({_ID_RULE}).",
            allowed_pattern=_ID_PATTERN,
            constraint_description=f"must be a project id of {_ID_RULE}",
        ).value_as_string
        self.environment_id = CfnParameter(
            stack,
            ENVIRONMENT_ID,
            description=f"Reserved, filled in by SageMaker Unified Studio: the environment id ({_ID_RULE}).",
            allowed_pattern=_ID_PATTERN,
            constraint_description=f"must be an environment id of {_ID_RULE}",
        ).value_as_string
        self.scope_name = CfnParameter(
            stack,
            SCOPE_NAME,
            description="Reserved, filled in by SageMaker Unified Studio: the project scope (1-12 letters, digits, "
            "hyphens). Defaults to dev, the scope the Tooling environment uses.",
            default="dev",
            allowed_pattern="^[a-zA-Z0-9-]{1,12}$",
            constraint_description="must be 1-12 letters, digits or hyphens",
        ).value_as_string


def sandbox_export_name(key: str) -> str:
    """``genaiSandbox<key>-<projectId>-<scopeName>``: a project-wide export of the genai-sandbox blueprint."""
    return Fn.sub(f"{EXPORT_PREFIX}{key}-${{{PROJECT_ID}}}-${{{SCOPE_NAME}}}")


def managed_policy_export_name(blueprint: str) -> str:
    """``datazone-managed-policy-<blueprint>-<environmentId>``: picked up by SMUS for the project role."""
    return Fn.sub(f"{MANAGED_POLICY_EXPORT_PREFIX}{blueprint}-${{{ENVIRONMENT_ID}}}")


def export(stack: Stack, key: str, value: str, description: str, *, export_name: str | None = None) -> CfnOutput:
    """An output named ``key``, exported as ``sandbox_export_name(key)`` unless ``export_name`` is given."""
    return CfnOutput(
        stack, key, value=value, description=description, export_name=export_name or sandbox_export_name(key)
    )
