"""``publish``: register the blueprints of ``dist/`` in a SageMaker Unified Studio domain, each step idempotent.

1. Check every option; nothing is sent before all are valid.
2. Pre-flight, read-only: the caller's account, the template bucket's Region, the domain unit, the Tooling blueprint.
3. Upload each template to ``s3://<bucket>/genai-sandbox-blueprints/<name>/<sha256>.template.json`` unless it is there.
4. Create the custom blueprint, or update it when its template URL differs.
5. Enable it in the Regions with the provisioning role (the put replaces the whole configuration: read, merge, write).
6. Let the contributor projects of the domain unit and its children create environments from it.
7. With ``--project-profile``: put Tooling and the blueprints into the profile, and let the domain's users create
   projects from it in the domain unit.

A re-run skips what exists, so it continues where a failed run stopped. ``--dry-run`` prints every call as JSON and
sends no write.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from blueprints.cli import FAILED, CliError, aws_error
from blueprints.cli.admin import (
    DOMAIN_ID,
    Calls,
    Clients,
    admin_hints,
    custom_blueprints,
    print_table,
    template_url,
)
from blueprints.cli.api_logging import configure as configure_api_logging
from blueprints.cli.api_logging import regions_without_logging
from blueprints.cli.distribution import DESCRIPTION_LIMIT, DistBlueprint, catalogue
from blueprints.cli.regions import SMUS_REGIONS
from blueprints.provisioning import required_actions

KEY_PREFIX = "genai-sandbox-blueprints/"
SIMULATED_PER_CALL = 100
"""Actions per ``SimulatePrincipalPolicy`` call."""
API_STAGE = '"AWS::ApiGateway::Stage"'
"""A template that creates this needs API Gateway's account logging role in its Region."""
ROLE_ARN = re.compile(r"arn:aws[^:]*:iam::\d{12}:role(/[a-zA-Z0-9+=,.@_-]+)*/[a-zA-Z0-9+=,.@_-]+")
"""botocore's datazone model, shape ``RoleArn``."""
OPTION_PATTERNS = (
    ("domain_id", DOMAIN_ID, "dzd_ or dzd- and 1-36 letters, digits, '_', '-'"),
    ("bucket", re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"), "an S3 bucket name: 3-63 of a-z, 0-9, '.', '-'"),
    ("provisioning_role_arn", ROLE_ARN, "an IAM role ARN, arn:aws:iam::<account>:role/<name>"),
    ("domain_unit_id", re.compile(r"[a-z0-9_-]{1,256}"), "1-256 of a-z, 0-9, '_', '-'"),
    ("project_profile", re.compile(r"[\w -]{1,64}"), "1-64 letters, digits, '_', ' ', '-'"),
)
"""Options and the patterns (botocore's datazone model) their values must match."""
TOOLING = "Tooling"
"""The AWS-managed blueprint every SMUS project profile deploys first."""
MISSING_KEY = ("404", "NoSuchKey", "NotFound")
CONFIGURATION_KEPT = (
    "manageAccessRoleArn",
    "environmentRolePermissionBoundary",
    "regionalParameters",
    "provisioningConfigurations",
    "allowUserProvidedConfigurations",
)
"""Fields of a blueprint configuration a put would drop unless sent again."""
ALL_USERS: dict[str, Any] = {"user": {"allUsersGrantFilter": {}}}
PROFILE_DESCRIPTION = (
    "Gen AI sandbox projects: Tooling and genai-sandbox on creation, the inference patterns on demand."
)
RERUN = "re-run the same command to continue: what exists is skipped"


@dataclass(frozen=True)
class Request:
    """A checked ``publish`` command line."""

    domain: str
    bucket: str
    regions: list[str]
    role_arn: str
    blueprints: list[DistBlueprint]
    domain_unit: str | None
    profile: str | None
    locks: dict[str, str]
    configure_api_logging: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class Target:
    """What the pre-flight found."""

    account: str
    region: str
    """The domain's Region (the DataZone client's)."""
    unit: str
    """The domain unit whose projects get the grants."""
    tooling_id: str | None
    """The managed Tooling blueprint (read with ``--project-profile`` only)."""


@dataclass
class Row:
    """One blueprint of the closing table and what publish did to it."""

    name: str
    sha: str
    blueprint_id: str = "-"
    regions: str = "-"
    grant: str = "-"
    status: str = "incomplete"

    def cells(self) -> tuple[str, ...]:
        """The row's cells, in the order of the table's columns."""
        return self.name, self.blueprint_id, self.sha, self.regions, self.grant, self.status


@dataclass(frozen=True)
class Job:
    """One publish: how it calls AWS, what it was asked, and what the pre-flight found."""

    calls: Calls
    clients: Clients
    request: Request
    target: Target


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``publish`` command."""
    parser = groups.add_parser(
        "publish",
        help="register the blueprints in a SMUS domain (domain administrators)",
        description="Upload the templates of dist/, register them as custom blueprints, enable and grant them.",
    )
    parser.add_argument("--domain-id", required=True, help="SMUS (DataZone) domain id, dzd_...")
    parser.add_argument("--bucket", required=True, help="S3 bucket for the templates, in the domain's Region")
    parser.add_argument("--regions", required=True, help="comma-separated Regions to enable; a profile uses the first")
    parser.add_argument("--provisioning-role-arn", required=True, help="the role SMUS deploys the templates with")
    parser.add_argument("--blueprints", help="comma-separated blueprint names. Default: all of dist/")
    parser.add_argument("--domain-unit-id", help="the domain unit whose projects may use them. Default: the root unit")
    parser.add_argument("--project-profile", help="the project profile to create or update with the blueprints")
    parser.add_argument(
        "--lock",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="with --project-profile: an admin-only parameter's value, not editable in projects (repeatable)",
    )
    parser.add_argument(
        "--configure-api-logging",
        action="store_true",
        help="set API Gateway's account CloudWatch Logs role in the Regions that lack it (the API blueprints need it)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print every AWS call as JSON and change nothing")
    parser.add_argument("--region", help="the domain's Region. Default: the configured one")
    parser.set_defaults(command=publish)


def publish(args: argparse.Namespace) -> int:
    """Check the request, then run the steps; on an AWS error, report what was done and how to continue."""
    request = check_request(args, catalogue())
    clients: Clients = args.clients(args.region)
    calls = Calls(args.dry_run)
    rows: list[Row] = []
    if args.dry_run:
        print("Dry run: every call is printed, no write is sent; the statuses say what publish would do.")
    try:
        job = Job(calls, clients, request, preflight(calls, clients, request))
        ids: dict[str, str] = {}
        for blueprint in request.blueprints:
            rows.append(Row(blueprint.name, blueprint.sha256[:12]))
            ids[blueprint.name] = publish_blueprint(job, blueprint, rows[-1])
        if request.profile is not None:
            publish_profile(job, ids)
    except ClientError as error:
        print_summary(rows)
        raise CliError(f"{aws_error(error, admin_hints(error.operation_name))}\n  {RERUN}", FAILED) from None
    print_summary(rows)
    return 0


# ---- 1. the request ----------------------------------------------------------------------------------------------


def check_request(args: argparse.Namespace, blueprints: list[DistBlueprint]) -> Request:
    """The request ``args`` make, or one ``CliError`` listing every problem of the options."""
    names = split(args.blueprints) if args.blueprints else [blueprint.name for blueprint in blueprints]
    selected = [blueprint for blueprint in blueprints if blueprint.name in names]
    regions = split(args.regions)
    locks, lock_problems = parse_locks(args.lock, selected, args.project_profile)
    problems = [
        *option_problems(args),
        *region_problems(regions),
        *name_problems(names, blueprints),
        *description_problems(selected),
        *lock_problems,
    ]
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise CliError(f"publish: {len(problems)} problem(s), nothing changed\n{lines}")
    return Request(
        domain=args.domain_id,
        bucket=args.bucket,
        regions=regions,
        role_arn=args.provisioning_role_arn,
        blueprints=selected,
        domain_unit=args.domain_unit_id,
        profile=args.project_profile,
        locks=locks,
        configure_api_logging=args.configure_api_logging,
        dry_run=args.dry_run,
    )


def split(value: str) -> list[str]:
    """The distinct items of a comma-separated option, in order."""
    return list(dict.fromkeys(item.strip() for item in value.split(",") if item.strip()))


def option_problems(args: argparse.Namespace) -> list[str]:
    """Options whose value does not match its pattern."""
    return [
        f"--{attribute.replace('_', '-')}={value!r}: expected {expected}"
        for attribute, pattern, expected in OPTION_PATTERNS
        if (value := getattr(args, attribute)) is not None and not pattern.fullmatch(value)
    ]


def region_problems(regions: list[str]) -> list[str]:
    """Regions where SMUS is not available (as ``SMUS_REGIONS`` knows), or none at all."""
    if not regions:
        return ["--regions: none given"]
    valid = ", ".join(SMUS_REGIONS)
    return [
        f"--regions {region!r}: not a Region of SMUS; valid: {valid}"
        for region in regions
        if region not in SMUS_REGIONS
    ]


def name_problems(names: list[str], blueprints: list[DistBlueprint]) -> list[str]:
    """Blueprint names that are not in the manifest."""
    known = [blueprint.name for blueprint in blueprints]
    valid = ", ".join(known)
    return [f"--blueprints {name!r}: not in dist/manifest.json; valid: {valid}" for name in names if name not in known]


def description_problems(blueprints: list[DistBlueprint]) -> list[str]:
    """Descriptions DataZone would refuse."""
    return [
        f"{blueprint.name}: description has {len(blueprint.description)} characters, DataZone takes {DESCRIPTION_LIMIT}"
        for blueprint in blueprints
        if len(blueprint.description) > DESCRIPTION_LIMIT
    ]


def parse_locks(
    locks: list[str], blueprints: list[DistBlueprint], profile: str | None
) -> tuple[dict[str, str], list[str]]:
    """``--lock Name=Value`` as a mapping, and the problems: no profile, no ``=``, or not a parameter of the selected
    blueprints. Any parameter can be locked (to cap cost: instance types and counts, network mode); the admin-only
    ones (``profileParameterOverrides``) are always non-editable in the profile."""
    lockable = sorted({name for blueprint in blueprints for name in lockable_names(blueprint)})
    parsed = dict(lock.split("=", 1) for lock in locks if "=" in lock)
    problems = (
        ["--lock: needs --project-profile (locks are values of the profile)"] if locks and profile is None else []
    )
    problems += [f"--lock {lock!r}: expected NAME=VALUE" for lock in locks if "=" not in lock]
    problems += [
        f"--lock {name}: not a parameter of the selected blueprints; valid: {', '.join(lockable)}"
        for name in parsed
        if name not in lockable
    ]
    return parsed, problems


# ---- 2. pre-flight -----------------------------------------------------------------------------------------------


def preflight(calls: Calls, clients: Clients, request: Request) -> Target:
    """Read who and where the caller is, check the bucket, find the domain unit and, for a profile, Tooling."""
    print("Pre-flight (read-only)")
    account = calls.read(clients.sts, "get_caller_identity")["Account"]
    region = clients.datazone.meta.region_name
    check_bucket(calls, clients.s3, request.bucket, region)
    unit = (
        request.domain_unit or calls.read(clients.datazone, "get_domain", identifier=request.domain)["rootDomainUnitId"]
    )
    tooling = tooling_id(calls, clients.datazone, request.domain) if request.profile else None
    check_api_logging(clients, request)
    check_provisioning_role(clients, request)
    root = "" if request.domain_unit else " (the root unit)"
    print(f"  account {account}, domain {request.domain} in {region}, domain unit {unit}{root}")
    print(f"  templates go to s3://{request.bucket}/{KEY_PREFIX}")
    print(
        "  note: the templates need CAPABILITY_NAMED_IAM: the provisioning role must be allowed to create named IAM "
        f"roles (SMUS's managed one may create only datazone* names) and to read s3://{request.bucket}/{KEY_PREFIX}*"
    )
    return Target(account, region, unit, tooling)


def check_provisioning_role(clients: Clients, request: Request) -> None:
    """The provisioning role may do every action of ``blueprints/provisioning/<name>.json`` (IAM's policy
    simulator, on every resource); refuse before any change, naming what it lacks."""
    if clients.iam is None:
        return
    actions = required_actions(b.name for b in request.blueprints)
    denied: list[str] = []
    for start in range(0, len(actions), SIMULATED_PER_CALL):
        chunk = actions[start : start + SIMULATED_PER_CALL]
        pages = clients.iam.get_paginator("simulate_principal_policy").paginate(
            PolicySourceArn=request.role_arn, ActionNames=chunk
        )
        denied += [
            r["EvalActionName"] for page in pages for r in page["EvaluationResults"] if r["EvalDecision"] != "allowed"
        ]
    if denied:
        shown = ", ".join(denied[:12]) + (f" and {len(denied) - 12} more" if len(denied) > 12 else "")
        raise CliError(
            f"the provisioning role {request.role_arn} may not {shown}: the templates need them. Create or update a "
            "role that may: python -m blueprints provisioning-role --create <name>"
        )
    print(f"  provisioning role may do all {len(actions)} actions the templates need")


def check_api_logging(clients: Clients, request: Request) -> None:
    """API blueprints create stages that log: API Gateway's account CloudWatch Logs role must be set in each Region
    first (stage creation fails without it). Set it with ``--configure-api-logging``, or refuse before any change."""
    apis = [b.name for b in request.blueprints if API_STAGE in b.template.read_text()]
    if not apis or clients.apigateway is None:
        return
    missing = regions_without_logging(clients.apigateway, request.regions)
    if not missing:
        print(f"  API Gateway logging role set in {', '.join(request.regions)}")
        return
    if not request.configure_api_logging:
        raise CliError(
            f"API Gateway has no CloudWatch Logs role in {', '.join(missing)}: {', '.join(apis)} cannot create their "
            "stages there. Pass --configure-api-logging to set it (or set it in the API Gateway console, Settings)"
        )
    if request.dry_run:
        print(f"  would set API Gateway's CloudWatch Logs role in {', '.join(missing)}")
        return
    partition = clients.sts.get_caller_identity()["Arn"].split(":")[1]
    role = configure_api_logging(clients.apigateway, clients.iam, partition, missing)
    print(f"  API Gateway logging role {role} set in {', '.join(missing)}")


def check_bucket(calls: Calls, s3: Any, bucket: str, region: str) -> None:
    """Refuse a template bucket that is missing or not in ``region``, the domain's."""
    try:
        location = calls.read(s3, "get_bucket_location", Bucket=bucket).get("LocationConstraint")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchBucket":
            raise
        raise CliError(f"bucket {bucket} does not exist: create it in {region}, the domain's Region") from None
    bucket_region = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)
    if bucket_region != region:
        raise CliError(
            f"bucket {bucket} is in {bucket_region}, but the domain is reached in {region}: use a bucket in {region}, "
            f"or pass --region {bucket_region} if the domain is there"
        )


def tooling_id(calls: Calls, datazone: Any, domain: str) -> str:
    """The id of the domain's managed Tooling blueprint."""
    items = calls.items(
        datazone, "list_environment_blueprints", "items", domainIdentifier=domain, managed=True, name=TOOLING
    )
    found = [item["id"] for item in items if item["name"] == TOOLING]
    if not found:
        raise CliError(f"domain {domain} has no managed Tooling blueprint: is it a SageMaker Unified Studio domain?")
    return str(found[0])


# ---- 3.-6. each blueprint ----------------------------------------------------------------------------------------


def publish_blueprint(job: Job, blueprint: DistBlueprint, row: Row) -> str:
    """Upload, register, enable and grant ``blueprint``, filling in ``row``; return the blueprint's id."""
    print(blueprint.name)
    url, uploaded = upload(job, blueprint)
    row.blueprint_id, status = register_blueprint(job, blueprint, url)
    new = status == "created"
    row.regions, configured = configure(job, row.blueprint_id, new)
    granted = grant_blueprint(job, row.blueprint_id, new)
    row.grant = "added" if granted else "present"
    row.status = "updated" if status == "current" and (uploaded or configured or granted) else status
    return row.blueprint_id


def upload(job: Job, blueprint: DistBlueprint) -> tuple[str, bool]:
    """The template's https URL, and whether it had to be uploaded (its key, named by its SHA-256, was missing)."""
    bucket, key = job.request.bucket, f"{KEY_PREFIX}{blueprint.name}/{blueprint.sha256}.template.json"
    present = object_exists(job, key)
    if not present:
        body = blueprint.template.read_bytes()
        job.calls.write(job.clients.s3, "put_object", Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    print(f"  template   {'present' if present else 'uploaded'} s3://{bucket}/{key}")
    return f"https://{bucket}.s3.{job.target.region}.amazonaws.com/{key}", not present


def object_exists(job: Job, key: str) -> bool:
    """Whether the template bucket has ``key``."""
    try:
        job.calls.read(job.clients.s3, "head_object", Bucket=job.request.bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in MISSING_KEY:
            return False
        raise
    return True


def register_blueprint(job: Job, blueprint: DistBlueprint, url: str) -> tuple[str, str]:
    """Create the custom blueprint, or update it when its template URL differs: its id, and created, updated or
    current."""
    calls, datazone, domain = job.calls, job.clients.datazone, job.request.domain
    found = custom_blueprints(calls, datazone, domain, blueprint.name).get(blueprint.name)
    fields = {
        "description": blueprint.description,
        "provisioningProperties": {"cloudFormation": {"templateUrl": url}},
        "userParameters": blueprint.user_parameters,
    }
    if found is None:
        created = calls.write(
            datazone, "create_environment_blueprint", domainIdentifier=domain, name=blueprint.name, **fields
        )
        blueprint_id, status = (created or {}).get("id", f"<new {blueprint.name}>"), "created"
    elif template_url(found) != url:
        calls.write(datazone, "update_environment_blueprint", domainIdentifier=domain, identifier=found["id"], **fields)
        blueprint_id, status = found["id"], "updated"
    else:
        blueprint_id, status = found["id"], "current"
    print(f"  blueprint  {status} {blueprint_id}")
    return str(blueprint_id), status


def configure(job: Job, blueprint_id: str, new: bool) -> tuple[str, bool]:
    """Enable the blueprint in the Regions with the provisioning role, keeping the rest of its configuration: the
    enabled Regions, and whether the configuration had to be written."""
    request = job.request
    existing = {} if new else configuration(job, blueprint_id)
    merged = merged_configuration(existing, request.regions, request.role_arn)
    current = merged["enabledRegions"] == existing.get("enabledRegions") and (
        existing.get("provisioningRoleArn") == request.role_arn
    )
    if not current:
        job.calls.write(
            job.clients.datazone,
            "put_environment_blueprint_configuration",
            domainIdentifier=request.domain,
            environmentBlueprintIdentifier=blueprint_id,
            **merged,
        )
    regions = ", ".join(merged["enabledRegions"])
    print(f"  regions    {'current' if current else 'enabled'}: {regions}, provisioning role {request.role_arn}")
    return regions, not current


def configuration(job: Job, blueprint_id: str) -> dict[str, Any]:
    """The blueprint's configuration in the caller's account, or {} when it has none yet."""
    try:
        return job.calls.read(
            job.clients.datazone,
            "get_environment_blueprint_configuration",
            domainIdentifier=job.request.domain,
            environmentBlueprintIdentifier=blueprint_id,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return {}
        raise


def merged_configuration(existing: dict[str, Any], regions: list[str], role_arn: str) -> dict[str, Any]:
    """The configuration to put: ``existing`` with ``regions`` added to its enabled Regions and ``role_arn`` as its
    provisioning role; every other field it has is sent again (its resource configurations without their ids)."""
    enabled = list(existing.get("enabledRegions", []))
    resources = [
        {name: value for name, value in resource.items() if name != "identifier"}
        for resource in existing.get("resourceConfigurations", [])
    ]
    return {
        **{name: existing[name] for name in CONFIGURATION_KEPT if name in existing},
        **({"resourceConfigurations": resources} if resources else {}),
        "enabledRegions": enabled + [region for region in regions if region not in enabled],
        "provisioningRoleArn": role_arn,
    }


def grant_blueprint(job: Job, blueprint_id: str, new: bool) -> bool:
    """Let the contributor projects of the domain unit and its children create environments from the blueprint,
    unless a grant for the unit exists; whether the grant was added."""
    unit = job.target.unit
    entity = {
        "entityType": "ENVIRONMENT_BLUEPRINT_CONFIGURATION",
        "entityIdentifier": f"{job.target.account}:{blueprint_id}",
        "policyType": "CREATE_ENVIRONMENT_FROM_BLUEPRINT",
    }
    projects = {"domainUnitFilter": {"domainUnit": unit, "includeChildDomainUnits": True}}
    grant = {
        "principal": {"project": {"projectDesignation": "CONTRIBUTOR", "projectGrantFilter": projects}},
        "detail": {"createEnvironmentFromBlueprint": {}},
    }
    added = ensure_grant(job, entity, grant, None if new else lambda existing: unit_of(existing) == unit)
    print(f"  grant      {'added' if added else 'present'}: contributor projects of domain unit {unit} may use it")
    return added


def unit_of(grant: dict[str, Any]) -> Any:
    """The domain unit of a grant to the projects of a domain unit."""
    return dig(grant, "principal", "project", "projectGrantFilter", "domainUnitFilter", "domainUnit")


def ensure_grant(
    job: Job, entity: dict[str, str], grant: dict[str, Any], exists: Callable[[dict[str, Any]], bool] | None
) -> bool:
    """Add ``grant`` (principal and detail) to ``entity`` unless one of its grants ``exists`` (None: the entity is
    new, it has none); whether it was added."""
    datazone, domain = job.clients.datazone, job.request.domain
    if exists is not None:
        grants = job.calls.items(datazone, "list_policy_grants", "grantList", domainIdentifier=domain, **entity)
        if any(exists(existing) for existing in grants):
            return False
    job.calls.write(datazone, "add_policy_grant", domainIdentifier=domain, **entity, **grant)
    return True


def dig(value: Any, *keys: str) -> Any:
    """``value[k1][k2]...``, or None where a key is missing."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


# ---- 7. the project profile --------------------------------------------------------------------------------------


def publish_profile(job: Job, ids: dict[str, str]) -> None:
    """Create or update the project profile with Tooling and the blueprints, then grant its use in the domain unit."""
    print(f"project profile {job.request.profile}")
    profile = project_profile(job)
    existing = without_resolved(profile.get("environmentConfigurations", []) if profile else [])
    configurations = profile_configurations(job, existing, ids)
    if profile is None:
        profile_id, status = create_profile(job, configurations), "created"
    elif configurations == existing:
        profile_id, status = profile["id"], "current"
    else:
        job.calls.write(
            job.clients.datazone,
            "update_project_profile",
            domainIdentifier=job.request.domain,
            identifier=profile["id"],
            environmentConfigurations=configurations,
        )
        profile_id, status = profile["id"], "updated"
    print(f"  profile    {status} {profile_id}: {', '.join(describe(item) for item in configurations)}")
    grant_profile(job, profile_id, status == "created")


def project_profile(job: Job) -> dict[str, Any] | None:
    """The project profile named ``--project-profile``, or None."""
    calls, datazone, domain, name = job.calls, job.clients.datazone, job.request.domain, job.request.profile
    items = calls.items(datazone, "list_project_profiles", "items", domainIdentifier=domain, name=name)
    found = [item["id"] for item in items if item["name"] == name]
    return calls.read(datazone, "get_project_profile", domainIdentifier=domain, identifier=found[0]) if found else None


def create_profile(job: Job, configurations: list[dict[str, Any]]) -> str:
    """Create the project profile, enabled, in the domain unit; its id."""
    created = job.calls.write(
        job.clients.datazone,
        "create_project_profile",
        domainIdentifier=job.request.domain,
        name=job.request.profile,
        description=PROFILE_DESCRIPTION,
        status="ENABLED",
        domainUnitIdentifier=job.target.unit,
        environmentConfigurations=configurations,
    )
    return str((created or {}).get("id", f"<new {job.request.profile}>"))


def profile_configurations(job: Job, existing: list[dict[str, Any]], ids: dict[str, str]) -> list[dict[str, Any]]:
    """``existing`` with the configurations of the published blueprints replaced by new ones (in the first one's
    place, keeping its id), new ones appended, and Tooling first unless the profile has it."""
    previous: dict[str, dict[str, Any]] = {}
    for item in existing:
        previous.setdefault(item["environmentBlueprintId"], item)
    ours = {
        ids[blueprint.name]: environment_configuration(job, blueprint, ids[blueprint.name], previous)
        for blueprint in job.request.blueprints
    }
    tooling = [] if job.target.tooling_id in previous else [tooling_configuration(job)]
    kept = [
        ours.pop(item["environmentBlueprintId"], None) if item["environmentBlueprintId"] in ids.values() else item
        for item in existing
    ]
    return tooling + [item for item in kept if item is not None] + list(ours.values())


def environment_configuration(
    job: Job, blueprint: DistBlueprint, blueprint_id: str, previous: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The profile's configuration of ``blueprint``: deployed in the caller's account and the first Region, with its
    admin-only parameters as overrides; the id and description of its ``previous`` configuration are kept."""
    before = previous.get(blueprint_id, {})
    order = {"deploymentOrder": blueprint.deployment_order} if blueprint.deployment_mode == "ON_CREATE" else {}
    overrides = parameter_overrides(blueprint, before, job.request.locks)
    return {
        **{key: before[key] for key in ("id", "description") if key in before},
        "name": blueprint.name,
        "environmentBlueprintId": blueprint_id,
        "deploymentMode": blueprint.deployment_mode,
        **order,
        **placement(job),
        "configurationParameters": {"parameterOverrides": overrides},
    }


def placement(job: Job) -> dict[str, Any]:
    """Where a profile's environments deploy: the caller's account, the first of ``--regions``."""
    return {"awsAccount": {"awsAccountId": job.target.account}, "awsRegion": {"regionName": job.request.regions[0]}}


def parameter_overrides(
    blueprint: DistBlueprint, previous: dict[str, Any], locks: dict[str, str]
) -> list[dict[str, Any]]:
    """The manifest's admin-only parameters, updated by the ``previous`` configuration's overrides of parameters the
    blueprint has, then by ``locks`` (not editable)."""
    parameters = {parameter["keyName"] for parameter in blueprint.user_parameters}
    overrides = dig(previous, "configurationParameters", "parameterOverrides") or []
    kept = [item for item in overrides if item.get("name") in parameters]
    merged = {item["name"]: item for item in (*blueprint.profile_overrides, *kept)}
    lockable = lockable_names(blueprint)
    locked = {
        name: {"name": name, "value": value, "isEditable": False} for name, value in locks.items() if name in lockable
    }
    return list((merged | locked).values())


def lockable_names(blueprint: DistBlueprint) -> set[str]:
    """The parameters a profile may fix for ``blueprint``: its user parameters and admin-only ones."""
    return {p["keyName"] for p in blueprint.user_parameters} | {o["name"] for o in blueprint.profile_overrides}


def tooling_configuration(job: Job) -> dict[str, Any]:
    """Tooling, deployed first when a project is created."""
    return {
        "name": TOOLING,
        "environmentBlueprintId": job.target.tooling_id,
        "deploymentMode": "ON_CREATE",
        "deploymentOrder": 0,
        **placement(job),
    }


def without_resolved(configurations: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``configurations`` without the parameters DataZone resolved itself (what a profile reads back, not sets)."""
    return [
        {**item, "configurationParameters": without_key(item["configurationParameters"], "resolvedParameters")}
        if "configurationParameters" in item
        else item
        for item in configurations
    ]


def without_key(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    """``mapping`` without ``key``."""
    return {name: value for name, value in mapping.items() if name != key}


def describe(configuration: dict[str, Any]) -> str:
    """``<name> <mode> [<order>]``."""
    order = configuration.get("deploymentOrder")
    return f"{configuration['name']} {configuration.get('deploymentMode', '')}{'' if order is None else f' {order}'}"


def grant_profile(job: Job, profile_id: str, new: bool) -> None:
    """Let the domain's users create projects from the profile in the domain unit and its children, unless a grant
    of the unit names the profile."""
    unit = job.target.unit
    entity = {
        "entityType": "DOMAIN_UNIT",
        "entityIdentifier": unit,
        "policyType": "CREATE_PROJECT_FROM_PROJECT_PROFILE",
    }
    detail = {"createProjectFromProjectProfile": {"includeChildDomainUnits": True, "projectProfiles": [profile_id]}}
    added = ensure_grant(
        job,
        entity,
        {"principal": ALL_USERS, "detail": detail},
        None if new else lambda grant: profile_id in profiles_of(grant),
    )
    print(f"  grant      {'added' if added else 'present'}: users may create projects from it in domain unit {unit}")


def profiles_of(grant: dict[str, Any]) -> list[str]:
    """The project profiles a ``CREATE_PROJECT_FROM_PROJECT_PROFILE`` grant names."""
    return list(dig(grant, "detail", "createProjectFromProjectProfile", "projectProfiles") or [])


# ---- 8. the summary ----------------------------------------------------------------------------------------------


def print_summary(rows: list[Row]) -> None:
    """The closing table: one row per blueprint begun."""
    if rows:
        print()
        print_table(("BLUEPRINT", "ID", "TEMPLATE SHA", "REGIONS", "GRANT", "STATUS"), [row.cells() for row in rows])
