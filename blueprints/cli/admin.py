"""What the domain administrators' commands (``list``, ``publish``) share: their AWS clients, the calls they make,
DataZone's view of the custom blueprints, AWS errors with what to do, and tables."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from blueprints.cli import FAILED, HINTS, CliError, aws_error, session

DOMAIN_ID = re.compile(r"dzd[-_][a-zA-Z0-9_-]{1,36}")
"""botocore's datazone model, shape ``DomainId``."""
TEMPLATE_SHA = re.compile(r"/([0-9a-f]{64})\.template\.json$")
"""The SHA-256 that ``publish`` puts in the key of each template it uploads."""
PERMISSIONS = {
    "GetCallerIdentity": "sts:GetCallerIdentity",
    "GetBucketLocation": "s3:GetBucketLocation",
    "HeadObject": "s3:GetObject and s3:ListBucket",
    "PutObject": "s3:PutObject",
}
"""The IAM actions of the calls that are not DataZone's (``datazone:<operation>``)."""
ADMIN_HINTS = {
    "ConflictException": (
        "another blueprint or project profile of this name exists (AWS-managed, or in another state): rename or "
        "delete it in the SageMaker console, then re-run"
    ),
    "ValidationException": "DataZone refused a value of the request: the message names it",
    "ResourceNotFoundException": "check --domain-id and --region (the domain's Region)",
    "NoSuchBucket": "check --bucket",
}


@dataclass(frozen=True)
class Clients:
    """The AWS clients of the administrators' commands, all in the domain's Region."""

    datazone: Any
    s3: Any
    sts: Any
    apigateway: Callable[[str], Any] | None = None
    """Region -> an API Gateway client there (the account's logging role is per Region). Default: not checked."""
    iam: Any = None
    """For ``--configure-api-logging``. Default: none."""

    @classmethod
    def in_region(cls, region: str | None) -> Clients:
        """Clients with the caller's credentials, in ``region`` or the configured one."""
        aws = session(region)
        return cls(
            aws.client("datazone"),
            aws.client("s3"),
            aws.client("sts"),
            lambda other: aws.client("apigateway", region_name=other),
            aws.client("iam"),
        )


ClientFactory = Callable[[str | None], Clients]


@dataclass(frozen=True)
class Calls:
    """Makes every AWS call of a command; with ``dry_run``, prints each one as JSON and sends no write."""

    dry_run: bool = False

    def read(self, client: Any, operation: str, **params: Any) -> dict[str, Any]:
        """``client.<operation>(**params)``, a call that changes nothing."""
        self._show("read ", client, operation, params)
        return _send(client, operation, params)

    def write(self, client: Any, operation: str, **params: Any) -> dict[str, Any] | None:
        """``client.<operation>(**params)``, or with ``dry_run`` nothing (None)."""
        self._show("write", client, operation, params)
        return None if self.dry_run else _send(client, operation, params)

    def items(self, client: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
        """The items under ``key`` of every page of the DataZone list call ``operation``."""
        token: dict[str, str] = {}
        while True:
            page = self.read(client, operation, **params, **token)
            yield from page.get(key, [])
            if not page.get("nextToken"):
                return
            token = {"nextToken": page["nextToken"]}

    def _show(self, kind: str, client: Any, operation: str, params: dict[str, Any]) -> None:
        if self.dry_run:
            shown = {
                name: f"<{len(value)} bytes>" if isinstance(value, bytes) else value for name, value in params.items()
            }
            service = client.meta.service_model.service_name
            print(f"    dry run {kind} {service}.{operation} {json.dumps(shown, sort_keys=True)}")


def _send(client: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = getattr(client, operation)(**params)
    return response


def custom_blueprints(calls: Calls, datazone: Any, domain: str, name: str | None = None) -> dict[str, dict[str, Any]]:
    """The domain's custom (not AWS-managed) blueprints by name: all of them, or the one named ``name``."""
    named = {} if name is None else {"name": name}
    pages = calls.items(
        datazone, "list_environment_blueprints", "items", domainIdentifier=domain, managed=False, **named
    )
    return {item["name"]: item for item in pages if name in (None, item["name"])}


def template_url(blueprint: dict[str, Any]) -> str:
    """The template URL of a blueprint DataZone describes."""
    return str(blueprint.get("provisioningProperties", {}).get("cloudFormation", {}).get("templateUrl", ""))


def registered_sha(blueprint: dict[str, Any]) -> str | None:
    """The SHA-256 in the template URL of a blueprint ``publish`` registered, if it has one."""
    match = TEMPLATE_SHA.search(template_url(blueprint))
    return match[1] if match else None


@contextmanager
def admin_errors() -> Iterator[None]:
    """Turn an AWS error into a ``CliError`` with what a domain administrator should do about it."""
    try:
        yield
    except ClientError as error:
        raise CliError(aws_error(error, admin_hints(error.operation_name)), FAILED) from None


def admin_hints(operation: str) -> dict[str, str]:
    """What to check for each error code of ``operation``; access denied names the IAM action it needs."""
    action = PERMISSIONS.get(operation, f"datazone:{operation}")
    denied = (
        f"this needs {action}: are you a domain administrator, with credentials of the domain's account and "
        "--region of the domain?"
    )
    return HINTS | ADMIN_HINTS | dict.fromkeys(("AccessDenied", "AccessDeniedException", "403"), denied)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """``rows`` under ``headers`` in left-aligned columns."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    for row in (headers, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
