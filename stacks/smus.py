"""The SageMaker Unified Studio template contract: reserved parameters, export names, id-bearing names."""

from __future__ import annotations

from aws_cdk import CfnCondition, CfnOutput, CfnParameter, Fn, Stack

DOMAIN_ID = "datazoneEnvironmentDomainId"
PROJECT_ID = "datazoneEnvironmentProjectId"
ENVIRONMENT_ID = "datazoneEnvironmentEnvironmentId"
SCOPE_NAME = "datazoneScopeName"
EXECUTION_ROLE_ARN = "datazoneEnvironmentProjectExecutionRoleArn"
"""IAM-based SMUS domains: the project execution role the admin supplies (empty in Identity Center domains)."""
RESERVED_PARAMETERS = (DOMAIN_ID, PROJECT_ID, ENVIRONMENT_ID, SCOPE_NAME, EXECUTION_ROLE_ARN)
"""Parameters SMUS fills in itself; every other parameter is a user parameter."""
PROJECT_TAGS = {
    "AmazonDataZoneProject": PROJECT_ID,
    "AmazonDataZoneDomain": DOMAIN_ID,
    "AmazonDataZoneEnvironment": ENVIRONMENT_ID,
}
"""Tag key -> reserved parameter. SMUS tags its own resources so; its policies and boundary grant and isolate
projects by ``aws:ResourceTag/AmazonDataZoneProject``."""

EXPORT_PREFIX = "genaiSandbox"
"""Our exports' own prefix: the Tooling environment already exports ``privateSubnets-…`` and the like."""
MANAGED_POLICY_EXPORT_PREFIX = "datazone-managed-policy-"
"""SMUS attaches a managed policy exported under a name with this prefix to the project's user role."""

RESERVED_SPECS: dict[str, tuple[str, str, str | None]] = {
    DOMAIN_ID: ("the domain id, dzd_ or dzd- and 1-36 more", "^dzd[-_][a-zA-Z0-9_-]{1,36}$", None),
    PROJECT_ID: ("the project id, 1-36 letters, digits or hyphens", "^[a-zA-Z0-9-]{1,36}$", None),
    ENVIRONMENT_ID: ("the environment id, 1-36 letters, digits or hyphens", "^[a-zA-Z0-9-]{1,36}$", None),
    SCOPE_NAME: (
        "the project scope, 1-12 letters, digits or inner hyphens; dev is the Tooling scope",
        "^(?=.{1,12}$)[a-zA-Z0-9]+(-+[a-zA-Z0-9]+)*$",
        "dev",
    ),
}
"""Reserved parameter -> (what it is, AllowedPattern, default)."""


def declare_reserved_parameters(stack: Stack) -> None:
    """Declare the SMUS reserved parameters on ``stack`` with validation (SMUS fills them, never users); templates
    refer to them by name (``Fn::Sub``)."""
    for name, spec in RESERVED_SPECS.items():
        _reserved(stack, name, *spec)


def declare_execution_role_parameter(stack: Stack) -> str:
    """Declare ``datazoneEnvironmentProjectExecutionRoleArn``, which SMUS fills in IAM-based domains (default empty)."""
    return _reserved(
        stack,
        EXECUTION_ROLE_ARN,
        "the project execution role of an IAM-based domain, or empty",
        r"^(arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512})?$",
        "",
    )


def _reserved(stack: Stack, name: str, what: str, pattern: str, default: str | None) -> str:
    return CfnParameter(
        stack,
        name,
        description=f"Reserved, filled in by SageMaker Unified Studio: {what}.",
        allowed_pattern=pattern,
        constraint_description=f"must be {what}",
        default=default,
    ).value_as_string


def sandbox_export_name(key: str) -> str:
    """``genaiSandbox<key>-<projectId>-<scopeName>``: a project-wide export of the genai-sandbox blueprint."""
    return Fn.sub(f"{EXPORT_PREFIX}{key}-${{{PROJECT_ID}}}-${{{SCOPE_NAME}}}")


def managed_policy_export_name(name: str) -> str:
    """``datazone-managed-policy-<name>-<environmentId>``: SMUS attaches the policy to the project role."""
    return Fn.sub(f"{MANAGED_POLICY_EXPORT_PREFIX}{name}-${{{ENVIRONMENT_ID}}}")


def import_tooling(key: str) -> str:
    """``Fn::ImportValue <key>-<projectId>-<scopeName>``: an export of the project's Tooling environment."""
    return Fn.import_value(Fn.sub(f"{key}-${{{PROJECT_ID}}}-${{{SCOPE_NAME}}}"))


def export(
    stack: Stack,
    key: str,
    value: str,
    description: str,
    *,
    export_name: str | None = None,
    condition: CfnCondition | None = None,
) -> CfnOutput:
    """An output named ``key``, exported as ``sandbox_export_name(key)`` unless ``export_name`` is given."""
    return CfnOutput(
        stack,
        key,
        value=value,
        description=description,
        export_name=export_name or sandbox_export_name(key),
        condition=condition,
    )
