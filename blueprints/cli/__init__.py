"""The command line (``python -m blueprints``): what its commands share, the project members' and the domain
administrators' (``list``, ``publish``).

Standard library and boto3 only: nothing here may import the CDK, cdk-nag, ``stacks`` or the construct library (they
need Node). Exit codes: 0 success, 1 an AWS error or a failed job, 2 a usage or validation error.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

FAILED = 1
"""Exit code of an AWS error or a failed job."""
USAGE = 2
"""Exit code of a usage or validation error (argparse's own)."""
STACK_PREFIX = "DataZone-Env-"
"""SMUS deploys environment ``<id>`` as the CloudFormation stack ``DataZone-Env-<id>``."""
ENVIRONMENT_ID = re.compile(r"[a-zA-Z0-9-]{1,36}")
"""The ids SMUS gives environments (``datazoneEnvironmentEnvironmentId``)."""
DENIED_HINT = "are you using the project role of this environment's project?"
HINTS = {
    "AccessDenied": DENIED_HINT,
    "AccessDeniedException": DENIED_HINT,
    "403": DENIED_HINT,
    "ExpiredToken": "your credentials expired: refresh them",
    "ExpiredTokenException": "your credentials expired: refresh them",
    "InvalidClientTokenId": "check your credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID)",
    "InvalidAccessKeyId": "check your credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID)",
    "NoSuchBucket": "the environment's bucket is gone: was the sandbox deleted?",
}
"""What to check when AWS answers with one of these error codes."""

Command = Callable[[argparse.Namespace], int]


class CliError(Exception):
    """A failure to report in one message, with the exit code it ends the command with."""

    def __init__(self, message: str, exit_code: int = USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def run(command: Command, args: argparse.Namespace) -> int:
    """Run ``command``; report its failure, or an AWS error with a hint, on stderr; return the exit code."""
    try:
        return command(args)
    except CliError as error:
        return _report(str(error), error.exit_code)
    except ClientError as error:
        return _report(aws_error(error), FAILED)
    except NoCredentialsError:
        return _report("no AWS credentials: set AWS_PROFILE, or run this where your role is available", FAILED)
    except BotoCoreError as error:
        return _report(f"AWS request failed: {error}", FAILED)


def aws_error(error: ClientError, hints: Mapping[str, str] = HINTS) -> str:
    """``AWS <operation> failed: <code>: <message>``, and the hint for the code, if ``hints`` has one."""
    code = str(error.response.get("Error", {}).get("Code", "Unknown"))
    message = error.response.get("Error", {}).get("Message", "")
    hint = f"\n  hint: {hints[code]}" if code in hints else ""
    return f"AWS {error.operation_name} failed: {code}: {message}{hint}"


def _report(message: str, exit_code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return exit_code


def environment_id(value: str) -> str:
    """argparse type of ``--environment``: a SMUS environment id."""
    if not ENVIRONMENT_ID.fullmatch(value):
        raise argparse.ArgumentTypeError(f"{value!r}: 1-36 letters, digits and '-' (the SMUS environment id)")
    return value


def positive_int(value: str) -> int:
    """argparse type of a count of seconds or minutes."""
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: a whole number, at least 1")
    return int(value)


def session(region: str | None) -> Any:
    """A boto3 session with the caller's own credentials, in ``region`` or the configured one."""
    created = boto3.session.Session(region_name=region)
    if not created.region_name:
        raise CliError("no AWS region: pass --region or set AWS_REGION")
    return created


def environment_outputs(
    cloudformation: Any, environment: str, required: Sequence[str], kind: str
) -> tuple[str, dict[str, str]]:
    """The stack name of SMUS environment ``environment`` and its outputs, which must include ``required``.

    Members may describe their project's ``DataZone-Env-*`` stacks (but not list exports).
    """
    stack = f"{STACK_PREFIX}{environment}"
    try:
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as error:
        if "does not exist" not in error.response.get("Error", {}).get("Message", ""):
            raise
        region = cloudformation.meta.region_name
        raise CliError(f"stack {stack} does not exist in {region}: check --environment and --region") from None
    outputs = {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}
    missing = [name for name in required if name not in outputs]
    if missing:
        status = described["StackStatus"]
        raise CliError(f"stack {stack} ({status}) has no output {', '.join(missing)}: is it a {kind} environment?")
    return stack, outputs
