"""``python -m blueprints provisioning-role``: print or create the least-privilege custom provisioning role.

SMUS's managed provisioning role may create only IAM names starting with ``datazone``; these templates create other
roles, so a domain needs a custom provisioning role for them. Its actions come from
``blueprints/provisioning/<name>.json`` (CloudFormation's resource handlers for every resource type of the
templates), on every resource: CloudFormation names what it creates.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import boto3

from blueprints.cli import CliError
from blueprints.provisioning import known_blueprints, permission_documents, required_actions, trust_document

DESCRIPTION = "SMUS provisioning role for the Gen AI sandbox blueprints (custom: they create IAM roles)"


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``provisioning-role`` command."""
    parser = groups.add_parser(
        "provisioning-role",
        help="print or create the custom provisioning role",
        description="Print the trust and permission policies of the provisioning role the blueprints need, or create "
        "(or update) the role with them.",
    )
    parser.add_argument("--blueprints", help="comma-separated blueprint names. Default: all")
    parser.add_argument("--create", metavar="ROLE_NAME", help="create or update the role with this name")
    parser.add_argument("--region", help="region of the IAM client (IAM is global). Default: the configured one")
    parser.set_defaults(command=provisioning_role)


def provisioning_role(args: argparse.Namespace) -> int:
    """Print the policies, or create or update the role and its managed policies."""
    names = selected(args.blueprints)
    documents = permission_documents(required_actions(names))
    aws = boto3.Session(region_name=args.region)
    identity = aws.client("sts").get_caller_identity()
    account, partition = identity["Account"], identity["Arn"].split(":")[1]
    if args.create is None:
        print(json.dumps({"trust": trust_document(account), "permissions": documents}, indent=2))
        return 0
    role_arn = create_or_update(aws.client("iam"), args.create, f"arn:{partition}:iam::{account}", documents)
    print(f"provisioning role {role_arn}: {len(documents)} managed policies for {', '.join(names)}")
    print(f"pass it to: python -m blueprints publish --provisioning-role-arn {role_arn} ...")
    return 0


def selected(blueprints: str | None) -> list[str]:
    """The blueprint names asked for, all when none; unknown names are refused, naming the valid ones."""
    known = known_blueprints()
    names = known if blueprints is None else [name.strip() for name in blueprints.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise CliError(f"--blueprints {', '.join(unknown) or '(empty)'}: not blueprints; valid: {', '.join(known)}")
    return names


def create_or_update(iam: Any, role_name: str, account_arn: str, documents: list[dict[str, Any]]) -> str:
    """Create the role (or refresh its trust), then one managed policy per document, each attached.

    :param account_arn: ``arn:<partition>:iam::<account>``, the start of the policies' ARNs.
    """
    trust = json.dumps(trust_document(account_arn.rsplit(":", 1)[1]))
    try:
        role_arn = str(iam.get_role(RoleName=role_name)["Role"]["Arn"])
        iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=trust)
        print(f"role {role_name}: exists, trust refreshed")
    except iam.exceptions.NoSuchEntityException:
        role_arn = str(
            iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust, Description=DESCRIPTION)["Role"]["Arn"]
        )
        print(f"role {role_name}: created")
    for number, document in enumerate(documents, start=1):
        policy_arn = put_policy(iam, account_arn, f"{role_name}-{number}", document)
        iam.attach_role_policy(RoleName=role_name, PolicyArn=policy_arn)
    return role_arn


def put_policy(iam: Any, account_arn: str, name: str, document: dict[str, Any]) -> str:
    """Create the managed policy, or make ``document`` its default version (deleting the oldest of five)."""
    arn = f"{account_arn}:policy/{name}"
    body = json.dumps(document, separators=(",", ":"))
    try:
        iam.get_policy(PolicyArn=arn)
    except iam.exceptions.NoSuchEntityException:
        iam.create_policy(PolicyName=name, PolicyDocument=body, Description=DESCRIPTION)
        print(f"policy {name}: created")
        return arn
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    old = [v for v in versions if not v["IsDefaultVersion"]]
    if len(versions) >= 5 and old:
        oldest = min(old, key=lambda v: v["CreateDate"])
        iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"])
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=body, SetAsDefault=True)
    print(f"policy {name}: updated")
    return arn
