"""The IAM policy evaluator reproduces the IAM User Guide's documented decisions, so tests built on it can be trusted.

Section names in comments refer to the IAM User Guide pages "Policy evaluation logic" (evaluation-logic),
"Permissions boundaries for IAM entities" (boundaries), "IAM JSON policy elements: Condition operators"
(condition-operators), "Policy variables" (variables) and "NotPrincipal" (notprincipal), and to the AWS KMS
Developer Guide page "Key policies in AWS KMS" (kms-key-policies).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.iam_evaluator import (
    Decision,
    PrincipalMatch,
    Request,
    Result,
    evaluate,
    principal_match,
    statement_matches,
)

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/datazone_usr_role_p1_e1"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/datazone_usr_role_p1_e1/alice"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
OBJECT = "arn:aws:s3:::bucket/data/raw/x.csv"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

ALLOW = Decision.ALLOW
EXPLICIT_DENY = Decision.EXPLICIT_DENY
IMPLICIT_DENY = Decision.IMPLICIT_DENY


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    """A policy document holding ``statements``."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def statement(effect: str, action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    """One statement; ``extra`` adds Sid, Principal, Condition, or replaces Action/Resource by NotAction/NotResource."""
    body: dict[str, Any] = {"Effect": effect, "Action": action, "Resource": resource}
    for key in ("NotAction", "NotResource"):
        if key in extra:
            del body[key.removeprefix("Not")]
    return body | extra


def request(action: str = "s3:GetObject", resource: str = OBJECT, context: dict[str, Any] | None = None) -> Request:
    """A request by the role session."""
    return Request(action, resource, ROLE, SESSION, context or {})


def decide(req: Request, **policies: Any) -> Decision:
    """Only the decision of ``evaluate``."""
    return evaluate(req, **policies).decision


def matches(condition: dict[str, Any], context: dict[str, Any]) -> bool:
    """Whether a statement allowing everything under ``condition`` matches a request with ``context``."""
    allow_all = statement("Allow", "*", Condition=condition)
    return statement_matches(allow_all, request(context=context), as_resource_policy=False)


# --- evaluation-logic: "Determining whether a request is allowed or denied within an account" ---


def test_default_is_implicit_deny() -> None:
    result = evaluate(request())
    assert result == Result(IMPLICIT_DENY, "implicit deny: no identity-based policy allows")
    assert not result.allowed


def test_identity_allow_without_boundary_allows() -> None:
    result = evaluate(request(), identity_policies=[policy(statement("Allow", "s3:GetObject", Sid="Read"))])
    assert result == Result(ALLOW, "allow: identity policy 1 statement Read")
    assert result.allowed


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("identity_policies", "explicit deny: identity policy 1 statement #1"),
        ("boundary", "explicit deny: boundary statement #1"),
        ("resource_policy", "explicit deny: resource policy statement #1"),
    ],
)
def test_explicit_deny_anywhere_beats_every_allow(where: str, reason: str) -> None:
    deny = policy(statement("Deny", "s3:*", Principal={"AWS": SESSION}))
    everything = policy(statement("Allow", "*", Principal="*"))
    policies: dict[str, Any] = {
        "identity_policies": [everything],
        "boundary": everything,
        "resource_policy": everything,
    }
    policies[where] = [deny] if where == "identity_policies" else deny
    assert evaluate(request(), **policies) == Result(EXPLICIT_DENY, reason)


def test_deny_in_a_later_identity_policy_beats_an_earlier_allow() -> None:
    allow, deny = policy(statement("Allow", "s3:*")), policy(statement("Deny", "s3:GetObject", Sid="NoGet"))
    result = evaluate(request(), identity_policies=[allow, deny])
    assert result == Result(EXPLICIT_DENY, "explicit deny: identity policy 2 statement NoGet")


def test_statement_may_be_a_single_object() -> None:
    single = {"Version": "2012-10-17", "Statement": statement("Allow", "s3:GetObject")}
    assert decide(request(), identity_policies=[single]) is ALLOW


# --- boundaries: the ShirleyRodriguez example (identity s3:* and iam:*, boundary s3:*, cloudwatch:*, ec2:*) ---

SHIRLEY_BOUNDARY = policy(statement("Allow", ["s3:*", "cloudwatch:*", "ec2:*"], Sid="Boundary"))
SHIRLEY_IDENTITY = policy(statement("Allow", ["s3:*", "iam:*"], Sid="Identity"))


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            "s3:GetObject",
            Result(ALLOW, "allow: identity policy 1 statement Identity within boundary statement Boundary"),
        ),
        (
            "iam:CreateUser",
            Result(
                IMPLICIT_DENY, "implicit deny: boundary does not allow what identity policy 1 statement Identity allows"
            ),
        ),
        # The boundary alone grants nothing: ec2 is inside it but no identity policy allows it.
        ("ec2:DescribeInstances", Result(IMPLICIT_DENY, "implicit deny: no identity-based policy allows")),
    ],
)
def test_boundary_caps_identity_policies(action: str, expected: Result) -> None:
    result = evaluate(request(action), identity_policies=[SHIRLEY_IDENTITY], boundary=SHIRLEY_BOUNDARY)
    assert result == expected


# boundaries: "Delegating responsibility to others using permissions boundaries" (Zhang may create users only with
# the XCompanyBoundaries boundary; DelegatedUserBoundary is his boundary, DelegatedUserPermissions his policy).
ZHANG_BOUNDARY = policy(
    statement(
        "Allow",
        ["iam:CreateUser", "iam:PutUserPermissionsBoundary"],
        Sid="CreateOrChangeOnlyWithBoundary",
        Condition={"StringEquals": {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/XCompanyBoundaries"}},
    ),
    statement("Deny", "iam:DeleteUserPermissionsBoundary", Sid="NoBoundaryUserDelete"),
)


@pytest.mark.parametrize(
    ("action", "boundary_arn", "expected"),
    [
        ("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:policy/XCompanyBoundaries", ALLOW),
        ("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:policy/AdminAccess", IMPLICIT_DENY),
        ("iam:CreateUser", None, IMPLICIT_DENY),
        ("iam:DeleteUserPermissionsBoundary", None, EXPLICIT_DENY),
    ],
)
def test_delegated_user_creation_needs_the_boundary(action: str, boundary_arn: str | None, expected: Decision) -> None:
    context = {} if boundary_arn is None else {"iam:PermissionsBoundary": boundary_arn}
    req = Request(action, f"arn:aws:iam::{ACCOUNT}:user/new", ROLE, SESSION, context)
    assert (
        decide(req, identity_policies=[policy(statement("Allow", "iam:*", Sid="IAM"))], boundary=ZHANG_BOUNDARY)
        is expected
    )


# --- evaluation-logic / boundaries: resource-based policies within the same account ---

NARROW_BOUNDARY = policy(statement("Allow", "cloudwatch:*"))
IDENTITY_S3 = policy(statement("Allow", "s3:*"))


@pytest.mark.parametrize(
    ("principal", "condition", "expected"),
    [
        # Granting the role ARN is limited by the boundary's implicit deny.
        ({"AWS": ROLE}, {}, IMPLICIT_DENY),
        # Granting the role session is not limited by the boundary.
        ({"AWS": SESSION}, {}, ALLOW),
        # A wildcard principal is not limited by the boundary; aws:PrincipalArn narrows it to the role.
        ("*", {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/datazone_usr_role_*"}}, ALLOW),
        ({"AWS": "*"}, {"ArnEquals": {"aws:PrincipalArn": ROLE}}, ALLOW),
        ("*", {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/other_role"}}, IMPLICIT_DENY),
        # Naming the account delegates to IAM: identity policy and boundary must both allow.
        ({"AWS": ROOT}, {}, IMPLICIT_DENY),
        ({"AWS": ACCOUNT}, {}, IMPLICIT_DENY),
        # A service principal never matches a role session; another account's root never matches this one.
        ({"Service": "s3.amazonaws.com"}, {}, IMPLICIT_DENY),
        ({"AWS": "arn:aws:iam::444455556666:root"}, {}, IMPLICIT_DENY),
    ],
)
def test_resource_policy_with_a_boundary_that_does_not_allow(
    principal: Any, condition: Any, expected: Decision
) -> None:
    bucket_policy = policy(statement("Allow", "s3:GetObject", OBJECT, Principal=principal, Condition=condition))
    result = decide(request(), identity_policies=[IDENTITY_S3], boundary=NARROW_BOUNDARY, resource_policy=bucket_policy)
    assert result is expected


@pytest.mark.parametrize(
    ("principal", "identity", "boundary", "expected"),
    [
        ({"AWS": ROLE}, [], None, ALLOW),
        ({"AWS": ROLE}, [], policy(statement("Allow", "s3:*")), ALLOW),
        ({"AWS": ROOT}, [IDENTITY_S3], policy(statement("Allow", "s3:*")), ALLOW),
        ({"AWS": ROOT}, [IDENTITY_S3], None, ALLOW),
        ({"AWS": ROOT}, [], None, IMPLICIT_DENY),
    ],
)
def test_resource_policy_role_and_account_principals(
    principal: Any, identity: list[Any], boundary: Any, expected: Decision
) -> None:
    bucket_policy = policy(statement("Allow", "s3:GetObject", OBJECT, Principal=principal))
    assert decide(request(), identity_policies=identity, boundary=boundary, resource_policy=bucket_policy) is expected


def test_resource_policy_reasons_name_the_granting_statement() -> None:
    bucket_policy = policy(
        statement("Allow", "s3:GetObject", Principal={"AWS": ROLE}, Sid="Role"),
        statement("Allow", "s3:GetObject", Principal={"AWS": SESSION}, Sid="Session"),
    )
    result = evaluate(request(), boundary=NARROW_BOUNDARY, resource_policy=bucket_policy)
    assert result == Result(ALLOW, "allow: resource policy statement Session grants the session principal")
    capped = evaluate(request(), boundary=NARROW_BOUNDARY, resource_policy=policy(bucket_policy["Statement"][0]))
    assert capped == Result(
        IMPLICIT_DENY, "implicit deny: boundary does not allow what resource policy statement Role allows"
    )


def test_boundary_not_action_deny_beats_a_wildcard_resource_policy_allow() -> None:
    # boundaries + evaluation-logic: an explicit deny in any policy wins, even over a resource-based policy allow.
    boundary = policy(
        statement("Deny", "*", NotAction=["s3:GetObject", "s3:ListBucket"], Sid="NotDeniedOperations"),
    )
    bucket_policy = policy(statement("Allow", "s3:*", Principal="*", Sid="Everyone"))
    denied = evaluate(request("s3:DeleteObject"), boundary=boundary, resource_policy=bucket_policy)
    assert denied == Result(EXPLICIT_DENY, "explicit deny: boundary statement NotDeniedOperations")
    allowed = evaluate(request("s3:GetObject"), boundary=boundary, resource_policy=bucket_policy)
    assert allowed == Result(ALLOW, "allow: resource policy statement Everyone grants the wildcard principal")


# --- notprincipal + boundaries: NotPrincipal with Deny ---


@pytest.mark.parametrize(
    ("listed", "boundary", "expected"),
    [
        ([SESSION, ROLE, ROOT], None, ALLOW),
        ([SESSION, ROLE, ACCOUNT], None, ALLOW),
        # Missing the role or the account: the deny may still reach the caller through them.
        ([SESSION, ROOT], None, EXPLICIT_DENY),
        ([ROLE, ROOT], None, EXPLICIT_DENY),
        # boundaries: NotPrincipal with Deny always denies a principal that has a permissions boundary.
        ([SESSION, ROLE, ROOT], policy(statement("Allow", "s3:*")), EXPLICIT_DENY),
    ],
)
def test_not_principal_deny(listed: list[str], boundary: Any, expected: Decision) -> None:
    bucket_policy = policy(
        statement("Allow", "s3:GetObject", Principal={"AWS": SESSION}),
        statement("Deny", "s3:*", NotPrincipal={"AWS": listed}),
    )
    assert decide(request(), boundary=boundary, resource_policy=bucket_policy) is expected


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ({"Principal": {"AWS": [ROLE, SESSION]}}, PrincipalMatch.SESSION),
        ({"Principal": {"AWS": [ROOT, ROLE]}}, PrincipalMatch.ROLE_ARN),
        ({"Principal": "*"}, PrincipalMatch.WILDCARD),
        ({"Principal": {"AWS": ["*"]}}, PrincipalMatch.WILDCARD),
        ({"Principal": {"AWS": ACCOUNT}}, PrincipalMatch.ACCOUNT),
        ({"Principal": {"Service": "lambda.amazonaws.com"}}, PrincipalMatch.NONE),
        ({"Principal": {"AWS": "arn:aws:iam::444455556666:role/datazone_usr_role_p1_e1"}}, PrincipalMatch.NONE),
        ({"NotPrincipal": {"AWS": [ROLE]}}, PrincipalMatch.WILDCARD),
        ({"NotPrincipal": {"AWS": [SESSION, ROLE, ROOT]}}, PrincipalMatch.NONE),
        ({}, PrincipalMatch.NONE),
    ],
)
def test_principal_match(element: dict[str, Any], expected: PrincipalMatch) -> None:
    assert principal_match(element, request()) is expected


# --- condition-operators: "...IfExists condition operators" pitfall with s3:x-amz-server-side-encryption ---

ALLOW_PUT = policy(statement("Allow", "s3:PutObject"))
SSE = "s3:x-amz-server-side-encryption"


@pytest.mark.parametrize(
    ("header", "if_exists_expected", "null_guarded_expected"),
    [
        # No header: IfExists makes the negated check true, so the first Deny fires; Null "false" keeps the second off.
        (None, EXPLICIT_DENY, ALLOW),
        ("AES256", EXPLICIT_DENY, EXPLICIT_DENY),
        ("aws:kms", ALLOW, ALLOW),
    ],
)
def test_if_exists_versus_null_guard(
    header: str | None, if_exists_expected: Decision, null_guarded_expected: Decision
) -> None:
    req = request("s3:PutObject", context={} if header is None else {SSE: header})
    if_exists = policy(
        statement("Deny", "s3:PutObject", Principal="*", Condition={"StringNotEqualsIfExists": {SSE: "aws:kms"}})
    )
    null_guarded = policy(
        statement(
            "Deny",
            "s3:PutObject",
            Principal="*",
            Condition={"Null": {SSE: "false"}, "StringNotEquals": {SSE: "aws:kms"}},
        )
    )
    assert decide(req, identity_policies=[ALLOW_PUT], resource_policy=if_exists) is if_exists_expected
    assert decide(req, identity_policies=[ALLOW_PUT], resource_policy=null_guarded) is null_guarded_expected


# --- variables: "Resource element", "Specifying default values", "Special characters" ---

TEAM_TAG = "aws:PrincipalTag/team"
TEAM_HOME = policy(statement("Allow", "s3:GetObject", "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*"))


@pytest.mark.parametrize(
    ("context", "resource", "expected"),
    [
        ({TEAM_TAG: "data"}, "arn:aws:s3:::bucket/data/raw/x.csv", ALLOW),
        ({TEAM_TAG: "ml"}, "arn:aws:s3:::bucket/data/raw/x.csv", IMPLICIT_DENY),
        # Key names are case-insensitive, in the context as in the variable.
        ({"AWS:principaltag/TEAM": "data"}, "arn:aws:s3:::bucket/data/raw/x.csv", ALLOW),
        # A missing tag leaves the variable unresolved: the entry matches nothing, not even "bucket//...".
        ({}, "arn:aws:s3:::bucket//x.csv", IMPLICIT_DENY),
        ({}, "arn:aws:s3:::bucket/data/raw/x.csv", IMPLICIT_DENY),
    ],
)
def test_principal_tag_variable_in_resource(context: dict[str, Any], resource: str, expected: Decision) -> None:
    assert decide(request(resource=resource, context=context), identity_policies=[TEAM_HOME]) is expected


@pytest.mark.parametrize(
    ("context", "resource", "expected"),
    [
        ({}, "arn:aws:s3:::bucket/shared/x.csv", ALLOW),
        ({TEAM_TAG: "data"}, "arn:aws:s3:::bucket/data/x.csv", ALLOW),
        ({TEAM_TAG: "data"}, "arn:aws:s3:::bucket/shared/x.csv", IMPLICIT_DENY),
    ],
)
def test_variable_default_value(context: dict[str, Any], resource: str, expected: Decision) -> None:
    home = policy(statement("Allow", "s3:GetObject", "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}/*"))
    assert decide(request(resource=resource, context=context), identity_policies=[home]) is expected


@pytest.mark.parametrize(
    ("resource", "expected"),
    [("arn:aws:s3:::bucket/a*b?c$", ALLOW), ("arn:aws:s3:::bucket/aXbYc$", IMPLICIT_DENY)],
)
def test_special_character_variables_are_literal(resource: str, expected: Decision) -> None:
    literal = policy(statement("Allow", "s3:GetObject", "arn:aws:s3:::bucket/a${*}b${?}c${$}"))
    assert decide(request(resource=resource), identity_policies=[literal]) is expected


def test_kms_key_variable_with_auto_filled_principal_account() -> None:
    # aws:PrincipalAccount comes from the role ARN; the key ID from a principal tag.
    own_key = policy(
        statement("Allow", "kms:Decrypt", "arn:aws:kms:*:${aws:PrincipalAccount}:key/${aws:PrincipalTag/KmsKeyId}")
    )
    tagged = {"aws:PrincipalTag/KmsKeyId": KEY.rsplit("/", 1)[1]}
    assert decide(request("kms:Decrypt", KEY, tagged), identity_policies=[own_key]) is ALLOW
    assert decide(request("kms:Decrypt", KEY), identity_policies=[own_key]) is IMPLICIT_DENY
    other_account = KEY.replace(ACCOUNT, "444455556666")
    assert decide(request("kms:Decrypt", other_account, tagged), identity_policies=[own_key]) is IMPLICIT_DENY


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        # ABAC: the resource tag must equal the principal tag.
        (
            {"StringEquals": {"aws:ResourceTag/project": "${aws:PrincipalTag/project}"}},
            {"aws:PrincipalTag/project": "p1", "aws:ResourceTag/project": "p1"},
            True,
        ),
        (
            {"StringEquals": {"aws:ResourceTag/project": "${aws:PrincipalTag/project}"}},
            {"aws:PrincipalTag/project": "p1", "aws:ResourceTag/project": "p2"},
            False,
        ),
        # A value whose variable has no value is dropped: it matches nothing, so a negated operator holds.
        (
            {"StringEquals": {"aws:ResourceTag/project": "${aws:PrincipalTag/project}"}},
            {"aws:ResourceTag/project": ""},
            False,
        ),
        (
            {"StringNotEquals": {"aws:ResourceTag/project": "${aws:PrincipalTag/project}"}},
            {"aws:ResourceTag/project": "p1"},
            True,
        ),
        (
            {"StringLike": {"s3:prefix": "home/${aws:PrincipalTag/team}/*"}},
            {TEAM_TAG: "data", "s3:prefix": "home/data/x"},
            True,
        ),
        ({"StringLike": {"s3:prefix": "home/${*}"}}, {"s3:prefix": "home/*"}, True),
        ({"StringLike": {"s3:prefix": "home/${*}"}}, {"s3:prefix": "home/x"}, False),
        # aws:userid is filled in as "<role name>:<session name>" (the role ID is unknown here).
        ({"StringLike": {"aws:userid": "*:alice"}}, {}, True),
        ({"StringLike": {"aws:userid": "*:${aws:PrincipalTag/user}"}}, {"aws:PrincipalTag/user": "bob"}, False),
        ({"StringEquals": {"aws:userid": "AROAEXAMPLEID:alice"}}, {"aws:userid": "AROAEXAMPLEID:alice"}, True),
        # Variables are not substituted for the Numeric and Bool operators.
        (
            {"NumericLessThan": {"s3:max-keys": "${aws:PrincipalTag/limit}"}},
            {"s3:max-keys": "5", "aws:PrincipalTag/limit": "10"},
            False,
        ),
    ],
)
def test_variables_in_condition_values(condition: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    assert matches(condition, context) is expected


# --- evaluation-logic / "IAM JSON policy elements: NotAction, NotResource" ---


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        ("s3:GetObject", OBJECT, ALLOW),
        ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/x", IMPLICIT_DENY),
        ("s3:GetObject", "arn:aws:s3:::logs/x", EXPLICIT_DENY),
        ("s3:GetObject", "arn:aws:s3:::logs", EXPLICIT_DENY),
        ("cloudwatch:PutMetricData", "*", EXPLICIT_DENY),
        ("sts:GetCallerIdentity", "*", ALLOW),
    ],
)
def test_not_action_and_not_resource(action: str, resource: str, expected: Decision) -> None:
    everything_but_iam = policy(statement("Allow", "*", NotAction="iam:*"))
    denies = policy(
        statement("Deny", "s3:*", NotResource=["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"]),
        statement("Deny", "*", NotAction=["s3:*", "iam:*", "sts:*"]),
    )
    assert decide(request(action, resource), identity_policies=[everything_but_iam, denies]) is expected


@pytest.mark.parametrize(
    ("resource", "expected"),
    [(OBJECT, ALLOW), ("arn:aws:s3:::secret/x", IMPLICIT_DENY), ("arn:aws:s3:::secret", ALLOW)],
)
def test_allow_with_not_resource(resource: str, expected: Decision) -> None:
    all_but_secret = policy(statement("Allow", "s3:*", NotResource="arn:aws:s3:::secret/*"))
    assert decide(request(resource=resource), identity_policies=[all_but_secret]) is expected


# --- evaluation-logic: Action and Resource matching (wildcards, case) ---


@pytest.mark.parametrize(
    ("action", "pattern", "expected"),
    [
        ("s3:GetObject", "s3:GetObject", ALLOW),
        ("S3:getobject", "s3:GetObject", ALLOW),
        ("s3:GetObject", "S3:GET*", ALLOW),
        ("s3:GetObject", "s3:Get?bject", ALLOW),
        ("s3:GetObjectAcl", "s3:Get?bject", IMPLICIT_DENY),
        ("s3:PutObject", "s3:Get*", IMPLICIT_DENY),
        ("s3:GetObject", "s3*", ALLOW),
    ],
)
def test_action_names_are_case_insensitive_with_wildcards(action: str, pattern: str, expected: Decision) -> None:
    assert decide(request(action), identity_policies=[policy(statement("Allow", pattern))]) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (OBJECT, ALLOW),
        ("arn:aws:s3:::Bucket/data/raw/x.csv", IMPLICIT_DENY),
        ("arn:aws:s3:::bucket/DATA/*", IMPLICIT_DENY),
        ("arn:aws:s3:::bucket/*", ALLOW),
        ("arn:aws:s3:::bucket/data/*/x.csv", ALLOW),
        ("arn:aws:s3:::bucket/data/raw/?.csv", ALLOW),
        ("arn:*", ALLOW),
        ("*", ALLOW),
        ("arn:aws:s3:::bucket", IMPLICIT_DENY),
    ],
)
def test_resource_arns_are_case_sensitive_and_wildcards_span_separators(pattern: str, expected: Decision) -> None:
    assert decide(request(), identity_policies=[policy(statement("Allow", "s3:*", pattern))]) is expected


# --- condition-operators: "Condition operators", "...IfExists", "Condition operator to check existence" ---

MISSING: dict[str, Any] = {}


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        # A missing key: non-negated operators are false, negated ones are true.
        ({"StringEquals": {"k": "a"}}, MISSING, False),
        ({"StringLike": {"k": "*"}}, MISSING, False),
        ({"ArnLike": {"k": "arn:*:*:*:*:*"}}, MISSING, False),
        ({"NumericLessThan": {"k": "1"}}, MISSING, False),
        ({"Bool": {"k": "false"}}, MISSING, False),
        ({"StringNotEquals": {"k": "a"}}, MISSING, True),
        ({"StringNotEqualsIgnoreCase": {"k": "a"}}, MISSING, True),
        ({"StringNotLike": {"k": "a*"}}, MISSING, True),
        ({"ArnNotEquals": {"k": ROLE}}, MISSING, True),
        ({"ArnNotLike": {"k": ROLE}}, MISSING, True),
        ({"NumericNotEquals": {"k": "1"}}, MISSING, True),
        # ...IfExists: true when the key is missing, the plain operator otherwise.
        ({"StringEqualsIfExists": {"k": "a"}}, MISSING, True),
        ({"StringEqualsIfExists": {"k": "a"}}, {"k": "b"}, False),
        ({"ArnLikeIfExists": {"k": ROLE}}, {"k": ROLE}, True),
        ({"ForAnyValue:StringEqualsIfExists": {"k": "a"}}, MISSING, True),
        # Null: "true" holds when the key is missing, "false" when it is present.
        ({"Null": {"k": "true"}}, MISSING, True),
        ({"Null": {"k": "true"}}, {"k": "a"}, False),
        ({"Null": {"k": "false"}}, {"k": "a"}, True),
        ({"Null": {"k": False}}, MISSING, False),
    ],
)
def test_missing_keys(condition: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    assert matches(condition, context) is expected


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        # Several values for one key: OR; a negated operator must match none of them.
        ({"StringEquals": {"k": ["a", "b"]}}, {"k": "b"}, True),
        ({"StringEquals": {"k": ["a", "b"]}}, {"k": "c"}, False),
        ({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "a"}, False),
        ({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "c"}, True),
        # Several keys under one operator, and several operators: AND.
        ({"StringEquals": {"k": "a", "j": "b"}}, {"k": "a"}, False),
        ({"StringEquals": {"k": "a", "j": "b"}}, {"k": "a", "j": "b"}, True),
        ({"StringEquals": {"k": "a"}, "StringLike": {"j": "x*"}}, {"k": "a", "j": "y"}, False),
        ({"StringEquals": {"k": "a"}, "StringLike": {"j": "x*"}}, {"k": "a", "j": "xy"}, True),
        # Condition key names are case-insensitive; values are case-sensitive unless ...IgnoreCase.
        ({"StringEquals": {"AWS:PrincipalTag/Team": "data"}}, {"aws:principaltag/team": "data"}, True),
        ({"StringEquals": {"k": "data"}}, {"k": "Data"}, False),
        ({"StringEqualsIgnoreCase": {"k": "data"}}, {"k": "Data"}, True),
        ({"StringNotEqualsIgnoreCase": {"k": "data"}}, {"k": "DATA"}, False),
        ({"StringLike": {"k": "Da*"}}, {"k": "data"}, False),
        ({"StringNotLike": {"k": "da*"}}, {"k": "data"}, False),
    ],
)
def test_values_or_keys_and_case(condition: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    assert matches(condition, context) is expected


# condition-operators: "Multivalued context keys" (ForAllValues, ForAnyValue).
@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        # ForAllValues: every request value must match; true when the key is missing or empty.
        ({"ForAllValues:StringEquals": {"k": ["a", "b"]}}, MISSING, True),
        ({"ForAllValues:StringEquals": {"k": ["a", "b"]}}, {"k": []}, True),
        ({"ForAllValues:StringEquals": {"k": ["a", "b"]}}, {"k": ["a", "b"]}, True),
        ({"ForAllValues:StringEquals": {"k": ["a", "b"]}}, {"k": ["a", "c"]}, False),
        ({"ForAllValues:StringNotEquals": {"k": ["a"]}}, {"k": ["b", "c"]}, True),
        ({"ForAllValues:StringNotEquals": {"k": ["a"]}}, {"k": ["a", "c"]}, False),
        # ForAnyValue: at least one request value must match; false when the key is missing.
        ({"ForAnyValue:StringEquals": {"k": ["a", "b"]}}, MISSING, False),
        ({"ForAnyValue:StringEquals": {"k": ["a", "b"]}}, {"k": []}, False),
        ({"ForAnyValue:StringEquals": {"k": ["a", "b"]}}, {"k": ["x", "b"]}, True),
        ({"ForAnyValue:StringEquals": {"k": ["a", "b"]}}, {"k": ["x", "y"]}, False),
        ({"ForAnyValue:StringNotEquals": {"k": ["a"]}}, {"k": ["a", "x"]}, True),
        ({"ForAnyValue:StringNotEquals": {"k": ["a"]}}, MISSING, False),
        ({"ForAnyValue:StringLike": {"k": "x*"}}, {"k": ["a", "xy"]}, True),
        # No set operator on a multivalued key: any value matching (or, negated, none matching).
        ({"StringEquals": {"k": "a"}}, {"k": ["x", "a"]}, True),
        ({"StringNotEquals": {"k": "a"}}, {"k": ["x", "a"]}, False),
        ({"StringNotEquals": {"k": "a"}}, {"k": ["x", "y"]}, True),
    ],
)
def test_multivalued_context_keys(condition: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    assert matches(condition, context) is expected


# condition-operators: "Amazon Resource Name (ARN) condition operators", "Numeric ...", "Boolean ...".
@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        # ARN operators compare the six parts separately; only the resource part may hold ':' and '/'.
        ({"ArnLike": {"k": "arn:aws:iam::*:role/datazone_usr_role_*"}}, {"k": ROLE}, True),
        ({"ArnLike": {"k": "arn:aws:iam::*:role/*"}}, {"k": f"arn:aws:iam::{ACCOUNT}:role/path/name"}, True),
        ({"ArnLike": {"k": "arn:aws:iam::*"}}, {"k": ROLE}, False),
        ({"StringLike": {"k": "arn:aws:iam::*"}}, {"k": ROLE}, True),
        ({"ArnLike": {"k": "arn:aws:*:role/x"}}, {"k": f"arn:aws:iam::{ACCOUNT}:role/x"}, False),
        ({"ArnLike": {"k": "arn:aws:s3:::bucket/*"}}, {"k": "arn:aws:s3:::bucket/a:b/c"}, True),
        ({"ArnLike": {"k": "arn:aws:iam::*:role/Datazone_*"}}, {"k": ROLE}, False),
        ({"ArnEquals": {"k": "arn:aws:iam::*:role/datazone_*"}}, {"k": ROLE}, True),
        ({"ArnNotLike": {"k": "arn:aws:iam::*:role/datazone_*"}}, {"k": ROLE}, False),
        ({"ArnNotEquals": {"k": "arn:aws:iam::*:role/other"}}, {"k": ROLE}, True),
        ({"ArnLike": {"k": "arn:aws:iam::*:role/*"}}, {"k": "not-an-arn"}, False),
        # Numeric operators compare numbers; a value that isn't one matches nothing.
        ({"NumericLessThan": {"k": "10"}}, {"k": "5"}, True),
        ({"NumericLessThan": {"k": "10"}}, {"k": "10"}, False),
        ({"NumericLessThanEquals": {"k": "10"}}, {"k": "10"}, True),
        ({"NumericGreaterThan": {"k": 10}}, {"k": "10.5"}, True),
        ({"NumericGreaterThanEquals": {"k": "10"}}, {"k": "9"}, False),
        ({"NumericEquals": {"k": "10"}}, {"k": "10.0"}, True),
        ({"NumericEquals": {"k": "10"}}, {"k": "ten"}, False),
        ({"NumericNotEquals": {"k": "10"}}, {"k": "11"}, True),
        # Bool compares "true"/"false" case-insensitively; Python bools in the context count as those strings.
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": False}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": True}, False),
        ({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "TRUE"}, True),
        # JSON booleans in policies and Python bools in the context are the strings "true" and "false".
        ({"StringEquals": {"k": "true"}}, {"k": True}, True),
        ({"StringEquals": {"k": True}}, {"k": "true"}, True),
    ],
)
def test_arn_numeric_and_bool_operators(condition: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    assert matches(condition, context) is expected


@pytest.mark.parametrize(
    "name", ["DateEquals", "IpAddress", "ForAllValues:Null", "NullIfExists", "Sometimes:StringEquals"]
)
def test_unsupported_operators_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match=f"unsupported condition operator '{name}'"):
        matches({name: {"k": "a"}}, {"k": "a"})


def test_secure_transport_deny_in_a_bucket_policy() -> None:
    # condition-operators, "Boolean condition operators": deny requests not sent over TLS.
    deny_plain = statement(
        "Deny", "s3:*", Principal="*", Sid="TLS", Condition={"Bool": {"aws:SecureTransport": "false"}}
    )
    policies: dict[str, Any] = {
        "identity_policies": [policy(statement("Allow", "s3:GetObject"))],
        "resource_policy": policy(deny_plain),
    }
    insecure = evaluate(request(context={"aws:SecureTransport": False}), **policies)
    assert insecure == Result(EXPLICIT_DENY, "explicit deny: resource policy statement TLS")
    assert decide(request(context={"aws:SecureTransport": True}), **policies) is ALLOW


# --- evaluation-logic, "The request context": keys filled in from the request ---


@pytest.mark.parametrize(
    ("condition", "req", "expected"),
    [
        ({"StringEquals": {"aws:PrincipalArn": ROLE}}, request(), True),
        ({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}, request(), True),
        ({"StringEquals": {"aws:userid": "datazone_usr_role_p1_e1:alice"}}, request(), True),
        ({"StringEquals": {"aws:ResourceAccount": ACCOUNT}}, request("kms:Decrypt", KEY), True),
        # S3 ARNs have no account field, so aws:ResourceAccount stays absent unless the context gives it.
        ({"Null": {"aws:ResourceAccount": "true"}}, request(), True),
        ({"StringEquals": {"aws:ResourceAccount": ACCOUNT}}, request(context={"aws:ResourceAccount": ACCOUNT}), True),
        # A value in the context wins over the filled-in one.
        (
            {"StringEquals": {"aws:PrincipalArn": ROLE}},
            request(context={"AWS:PrincipalArn": "arn:aws:iam::1:role/x"}),
            False,
        ),
    ],
)
def test_filled_in_context_keys(condition: dict[str, Any], req: Request, expected: bool) -> None:
    allow_all = statement("Allow", "*", Condition=condition)
    assert statement_matches(allow_all, req, as_resource_policy=False) is expected


def test_statement_matches_checks_the_principal_only_for_resource_policies() -> None:
    service_only = statement("Allow", "s3:GetObject", Principal={"Service": "s3.amazonaws.com"})
    assert statement_matches(service_only, request(), as_resource_policy=False) is True
    assert statement_matches(service_only, request(), as_resource_policy=True) is False
    session = statement("Allow", "s3:GetObject", Principal={"AWS": SESSION})
    assert statement_matches(session, request(), as_resource_policy=True) is True
    assert statement_matches(session, request("s3:PutObject"), as_resource_policy=True) is False


# --- kms-key-policies: "Default key policy" / "Allows access to the AWS account and enables IAM policies" ---

KMS_IDENTITY = policy(statement("Allow", ["kms:Decrypt", "kms:GenerateDataKey"], KEY, Sid="UseKey"))
ADMINS_ONLY = policy(statement("Allow", "kms:*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/KeyAdmin"}))
ENABLE_IAM = statement("Allow", "kms:*", Principal={"AWS": ROOT}, Sid="Enable IAM User Permissions")
KMS_BOUNDARY = policy(statement("Allow", "kms:*", Sid="Kms"))


def kms(action: str = "kms:Decrypt", context: dict[str, Any] | None = None) -> Request:
    """A KMS request on KEY by the role session."""
    return request(action, KEY, context)


def test_key_policy_without_iam_delegation_ignores_identity_policies() -> None:
    result = evaluate(kms(), identity_policies=[KMS_IDENTITY], resource_policy=ADMINS_ONLY, resource_is_kms_key=True)
    assert result == Result(IMPLICIT_DENY, "implicit deny: key policy neither allows the caller nor delegates to IAM")
    # The same resource policy on a non-KMS resource leaves the identity policy in charge.
    assert decide(kms(), identity_policies=[KMS_IDENTITY], resource_policy=ADMINS_ONLY) is ALLOW


@pytest.mark.parametrize(
    ("identity", "boundary", "expected"),
    [
        ([KMS_IDENTITY], None, Result(ALLOW, "allow: identity policy 1 statement UseKey")),
        (
            [KMS_IDENTITY],
            KMS_BOUNDARY,
            Result(ALLOW, "allow: identity policy 1 statement UseKey within boundary statement Kms"),
        ),
        (
            [KMS_IDENTITY],
            NARROW_BOUNDARY,
            Result(
                IMPLICIT_DENY, "implicit deny: boundary does not allow what identity policy 1 statement UseKey allows"
            ),
        ),
        ([], KMS_BOUNDARY, Result(IMPLICIT_DENY, "implicit deny: no identity-based policy allows")),
    ],
)
def test_key_policy_delegating_to_iam(identity: list[Any], boundary: Any, expected: Result) -> None:
    key_policy = policy(ENABLE_IAM)
    result = evaluate(
        kms(), identity_policies=identity, boundary=boundary, resource_policy=key_policy, resource_is_kms_key=True
    )
    assert result == expected


def test_key_policy_delegation_must_match_the_action() -> None:
    decrypt_only = policy(statement("Allow", "kms:Decrypt", Principal={"AWS": ROOT}))
    req = kms("kms:GenerateDataKey")
    assert (
        decide(req, identity_policies=[KMS_IDENTITY], resource_policy=decrypt_only, resource_is_kms_key=True)
        is IMPLICIT_DENY
    )


# kms-key-policies: a wildcard principal narrowed by kms:CallerAccount and aws:PrincipalArn conditions.
CALLER_CONDITIONED = policy(
    statement(
        "Allow",
        ["kms:Decrypt", "kms:GenerateDataKey"],
        Principal={"AWS": "*"},
        Sid="ProjectRoles",
        Condition={
            "StringEquals": {"kms:CallerAccount": ACCOUNT},
            "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/datazone_usr_role_*"},
        },
    )
)


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"kms:CallerAccount": ACCOUNT}, ALLOW),
        ({"kms:CallerAccount": "444455556666"}, IMPLICIT_DENY),
        ({}, IMPLICIT_DENY),
    ],
)
def test_key_policy_wildcard_principal_is_not_capped_by_the_boundary(
    context: dict[str, Any], expected: Decision
) -> None:
    req = kms(context=context)
    assert (
        decide(req, boundary=NARROW_BOUNDARY, resource_policy=CALLER_CONDITIONED, resource_is_kms_key=True) is expected
    )


@pytest.mark.parametrize(
    ("boundary", "expected"), [(None, ALLOW), (KMS_BOUNDARY, ALLOW), (NARROW_BOUNDARY, IMPLICIT_DENY)]
)
def test_key_policy_naming_the_role_arn_needs_the_boundary(boundary: Any, expected: Decision) -> None:
    role_grant = policy(statement("Allow", "kms:Decrypt", Principal={"AWS": ROLE}))
    assert decide(kms(), boundary=boundary, resource_policy=role_grant, resource_is_kms_key=True) is expected


def test_key_policy_deny_beats_its_own_delegation() -> None:
    # kms-key-policies / "kms:ViaService": the key may be used only through S3.
    only_via_s3 = statement(
        "Deny",
        "kms:Decrypt",
        Principal="*",
        Sid="OnlyViaS3",
        Condition={"StringNotEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
    )
    policies: dict[str, Any] = {
        "identity_policies": [KMS_IDENTITY],
        "resource_policy": policy(ENABLE_IAM, only_via_s3),
        "resource_is_kms_key": True,
    }
    assert evaluate(kms(), **policies) == Result(EXPLICIT_DENY, "explicit deny: key policy statement OnlyViaS3")
    assert decide(kms(context={"kms:ViaService": "s3.us-east-1.amazonaws.com"}), **policies) is ALLOW
