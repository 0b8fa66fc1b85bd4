"""S3 Block Public Access's judgement of a bucket policy, as the S3 User Guide states it ("The meaning of public").

"When evaluating a bucket policy, Amazon S3 begins by assuming that the policy is public. It then evaluates the
policy to determine whether it qualifies as non-public. To be considered non-public, a bucket policy must grant
access only to fixed values (values that don't contain a wildcard) of one or more of the following: A set of
Classless Inter-Domain Routings (CIDRs), using aws:SourceIp ... An AWS principal, user, role, or service principal
(e.g. aws:PrincipalOrgID), aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount,
s3:x-amz-server-side-encryption-aws-kms-key-id, aws:userid, outside the pattern "AROLEID:*", s3:DataAccessPointArn,
s3:DataAccessPointAccount."

Our reading, kept apart in ``PRINCIPAL_KEYS_READ_AS_PRINCIPALS``: a fixed ``aws:PrincipalAccount`` names the account
principal, which the "AWS principal" bullet covers; the page does not name the key itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FIXED_VALUE_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:SourceIp",
        "aws:PrincipalOrgID",
        "aws:SourceArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceOwner",
        "aws:SourceAccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "aws:userid",
        "s3:DataAccessPointArn",
        "s3:DataAccessPointAccount",
    )
)
"""Keys the S3 User Guide names."""
PRINCIPAL_KEYS_READ_AS_PRINCIPALS = frozenset({"aws:principalaccount"})
"""Keys we read as "an AWS principal" (see the module docstring)."""
RESTRICTING_OPERATORS = frozenset({"stringequals", "arnequals", "ipaddress", "stringequalsignorecase"})
"""Operators that pin a key to the listed values (negations, ...IfExists and Like operators do not)."""


def is_public(policy: Mapping[str, Any]) -> bool:
    """Whether S3 would judge ``policy`` (a resolved bucket policy) public."""
    statements = policy["Statement"]
    return any(_public(s) for s in (statements if isinstance(statements, list) else [statements]))


def _public(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    if _fixed_principal(statement.get("Principal")):
        return False
    return not any(
        operator.lower() in RESTRICTING_OPERATORS
        and key.lower() in FIXED_VALUE_KEYS | PRINCIPAL_KEYS_READ_AS_PRINCIPALS
        and _fixed(values)
        for operator, keys in statement.get("Condition", {}).items()
        for key, values in keys.items()
    )


def _fixed_principal(principal: Any) -> bool:
    if principal is None or principal == "*":
        return False
    if isinstance(principal, Mapping):
        if "Federated" in principal:
            return False
        values = [v for group in principal.values() for v in (group if isinstance(group, list) else [group])]
        return _fixed(values)
    return False


def _fixed(values: Any) -> bool:
    items = values if isinstance(values, list) else [values]
    return bool(items) and all(isinstance(v, str) and "*" not in v and "?" not in v and "${" not in v for v in items)
