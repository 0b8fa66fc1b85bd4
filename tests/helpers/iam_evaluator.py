"""Decide one request by an IAM role session as AWS does within ONE account, for tests of the policies we write.

Follows the IAM User Guide ("Policy evaluation logic", "Permissions boundaries for IAM entities", "Condition
operators", "Policy variables"): an explicit Deny in an identity policy, the permissions boundary or the resource
policy wins. A resource-policy Allow naming the role session or a wildcard principal allows on its own, one naming the
role ARN needs the boundary to allow, one naming the account delegates to IAM. Otherwise identity policies must allow
and the boundary (if any) must allow. A KMS key policy must allow the caller or delegate to IAM before identity
policies count.

Out of scope: cross-account requests, SCPs, RCPs, session policies, and the Date, IpAddress and Binary operators
(unknown operators raise ``ValueError``). Policies are not validated. ``aws:userid`` defaults to
``<role name>:<session name>`` because the role's unique ID is unknown here; pass it in ``context`` to override.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any, NamedTuple

Policy = Mapping[str, Any]
Context = dict[str, tuple[str, ...]]
"""Request context: casefolded key -> its values as strings."""
Comparator = Callable[[str, str, Context], bool]
"""Whether one request value matches one policy value (the non-negated form of an operator)."""


@dataclass(frozen=True)
class Request:
    """One API request made by an assumed-role session; ``context`` holds the request context keys."""

    action: str
    resource: str
    principal_arn: str
    session_arn: str
    context: Mapping[str, str | Sequence[str] | bool] = field(default_factory=dict)


class Decision(Enum):
    """The outcome of evaluating a request."""

    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Result:
    """A decision and the statement (or missing allow) that explains it."""

    decision: Decision
    reason: str

    @property
    def allowed(self) -> bool:
        """Whether the request is allowed."""
        return self.decision is Decision.ALLOW


class PrincipalMatch(IntEnum):
    """How a resource-policy statement's principal names the caller; a higher value grants more."""

    NONE = 0
    ACCOUNT = 1  # delegates to IAM: identity policies and the boundary decide
    ROLE_ARN = 2  # limited by an implicit deny in the boundary
    WILDCARD = 3  # not limited by the boundary
    SESSION = 4  # not limited by the boundary


class _Statement(NamedTuple):
    """A policy statement and how reasons name it."""

    label: str
    body: Mapping[str, Any]


def evaluate(
    request: Request,
    *,
    identity_policies: Sequence[Policy] = (),
    boundary: Policy | None = None,
    resource_policy: Policy | None = None,
    resource_is_kms_key: bool = False,
) -> Result:
    """Decide ``request``; ``resource_policy`` is the key policy when ``resource_is_kms_key``."""
    context = _context(request)
    own = [s for n, policy in enumerate(identity_policies, 1) for s in _statements(f"identity policy {n}", policy)]
    bounds = _statements("boundary", boundary or {})
    resource = _statements("key policy" if resource_is_kms_key else "resource policy", resource_policy or {})
    denied = [s.label for s in own + bounds if _is(s, "Deny") and _applies(s.body, request, context)]
    denied += [s.label for s in resource if _is(s, "Deny") and _resource_deny_applies(s, request, context, boundary)]
    if denied:
        return Result(Decision.EXPLICIT_DENY, f"explicit deny: {denied[0]}")
    grants = [
        (principal_match(s.body, request), s.label)
        for s in resource
        if _is(s, "Allow") and _applies(s.body, request, context)
    ]
    grant, grant_label = max(grants, key=lambda pair: pair[0], default=(PrincipalMatch.NONE, ""))
    if grant in (PrincipalMatch.SESSION, PrincipalMatch.WILDCARD):
        return Result(Decision.ALLOW, f"allow: {grant_label} grants the {grant.name.lower()} principal")
    if resource_is_kms_key and grant is PrincipalMatch.NONE:
        return Result(
            Decision.IMPLICIT_DENY, "implicit deny: key policy neither allows the caller nor delegates to IAM"
        )
    allow = grant_label if grant is PrincipalMatch.ROLE_ARN else _first_allow(own, request, context)
    return _within_boundary(allow, None if boundary is None else bounds, request, context)


def _within_boundary(allow: str | None, bounds: list[_Statement] | None, request: Request, context: Context) -> Result:
    """The decision once ``allow`` (a role-ARN grant or an identity allow, if any) must pass the boundary."""
    if allow is None:
        return Result(Decision.IMPLICIT_DENY, "implicit deny: no identity-based policy allows")
    if bounds is None:
        return Result(Decision.ALLOW, f"allow: {allow}")
    bound = _first_allow(bounds, request, context)
    if bound is None:
        return Result(Decision.IMPLICIT_DENY, f"implicit deny: boundary does not allow what {allow} allows")
    return Result(Decision.ALLOW, f"allow: {allow} within {bound}")


def statement_matches(statement: Mapping[str, Any], request: Request, *, as_resource_policy: bool) -> bool:
    """Whether ``statement`` applies: its principal (resource policies only), action, resource and condition."""
    if as_resource_policy and principal_match(statement, request) is PrincipalMatch.NONE:
        return False
    return _applies(statement, request, _context(request))


def principal_match(statement: Mapping[str, Any], request: Request) -> PrincipalMatch:
    """How the statement's Principal names the caller; a NotPrincipal that doesn't exempt the caller is a wildcard.

    NotPrincipal exempts the caller only when it lists the session, the role and the account (NotPrincipal guide).
    """
    if "NotPrincipal" in statement:
        listed = _principal_kinds(statement["NotPrincipal"], request)
        everyone = {PrincipalMatch.SESSION, PrincipalMatch.ROLE_ARN, PrincipalMatch.ACCOUNT}
        exempt = PrincipalMatch.WILDCARD in listed or everyone <= listed
        return PrincipalMatch.NONE if exempt else PrincipalMatch.WILDCARD
    return max(_principal_kinds(statement.get("Principal", {}), request), default=PrincipalMatch.NONE)


def _principal_kinds(principal: Any, request: Request) -> set[PrincipalMatch]:
    """Every way a Principal value names the caller; only ``AWS`` principals can name a role session."""
    entries = _as_list(principal.get("AWS", [])) if isinstance(principal, Mapping) else _as_list(principal)
    account = _arn_part(request.principal_arn, 4)
    kinds = {
        "*": PrincipalMatch.WILDCARD,
        request.session_arn: PrincipalMatch.SESSION,
        request.principal_arn: PrincipalMatch.ROLE_ARN,
        account: PrincipalMatch.ACCOUNT,
        f"arn:{_arn_part(request.principal_arn, 1)}:iam::{account}:root": PrincipalMatch.ACCOUNT,
    }
    return {kinds[entry] for entry in entries if entry in kinds}


def _resource_deny_applies(statement: _Statement, request: Request, context: Context, boundary: Policy | None) -> bool:
    """A resource-policy Deny applies to the caller it names; NotPrincipal denies any bounded principal.

    "Permissions boundaries for IAM entities": a Deny with NotPrincipal always denies a principal with a boundary.
    """
    bounded_not_principal = boundary is not None and "NotPrincipal" in statement.body
    named = bounded_not_principal or principal_match(statement.body, request) is not PrincipalMatch.NONE
    return named and _applies(statement.body, request, context)


def _applies(statement: Mapping[str, Any], request: Request, context: Context) -> bool:
    """Whether the statement's Action/NotAction, Resource/NotResource and Condition match (principal aside)."""
    return (
        _listed(statement, "Action", lambda entry: _like(entry.casefold(), request.action.casefold(), None))
        and _listed(statement, "Resource", lambda entry: _like(entry, request.resource, context))
        and _conditions_hold(statement.get("Condition", {}), context)
    )


def _listed(statement: Mapping[str, Any], element: str, matches: Callable[[str], bool]) -> bool:
    """``element`` lists a match, or ``Not<element>`` lists none; True when the statement has neither."""
    if element in statement:
        return any(matches(entry) for entry in _as_list(statement[element]))
    if f"Not{element}" in statement:
        return not any(matches(entry) for entry in _as_list(statement[f"Not{element}"]))
    return True


def _first_allow(statements: list[_Statement], request: Request, context: Context) -> str | None:
    """The label of the first Allow statement that applies, if any."""
    return next((s.label for s in statements if _is(s, "Allow") and _applies(s.body, request, context)), None)


def _statements(source: str, policy: Policy) -> list[_Statement]:
    """The policy's statements, each labelled with its source and Sid (or 1-based position)."""
    bodies = _as_list(policy.get("Statement", []))
    return [_Statement(f"{source} statement {body.get('Sid') or f'#{n}'}", body) for n, body in enumerate(bodies, 1)]


def _is(statement: _Statement, effect: str) -> bool:
    return bool(statement.body.get("Effect") == effect)


def _context(request: Request) -> Context:
    """The request context with casefolded keys, plus the keys AWS fills in for a role session when absent."""
    context = {key.casefold(): _strings(value) for key, value in request.context.items()}
    role_name, _, session_name = request.session_arn.partition(":assumed-role/")[2].partition("/")
    derived = {
        "aws:principalarn": request.principal_arn,
        "aws:principalaccount": _arn_part(request.principal_arn, 4),
        "aws:userid": f"{role_name}:{session_name}" if session_name else "",
        "aws:resourceaccount": _arn_part(request.resource, 4),
    }
    for key, value in derived.items():
        if value:
            context.setdefault(key, (value,))
    return context


def _strings(value: str | Sequence[str] | bool) -> tuple[str, ...]:
    return (_text(value),) if isinstance(value, str | bool) else tuple(value)


def _arn_part(arn: str, index: int) -> str:
    """Part ``index`` (0-5) of an ARN, or "" if ``arn`` isn't one."""
    parts = arn.split(":", 5)
    return parts[index] if len(parts) == 6 else ""


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_KEY_AND_DEFAULT = re.compile(r"\s*(.+?)\s*(?:,\s*'(.*)'\s*)?")


def _pieces(text: str, context: Context | None) -> list[tuple[str, bool]] | None:
    """``text`` as (fragment, is_literal) pairs, variables substituted as literals; None if one has no value.

    With ``context`` None, nothing is substituted (the Action element takes no variables).
    """
    if context is None:
        return [(text, False)]
    pieces: list[tuple[str, bool]] = []
    position = 0
    for found in _VARIABLE.finditer(text):
        value = _variable(found.group(1), context)
        if value is None:
            return None
        pieces += [(text[position : found.start()], False), (value, True)]
        position = found.end()
    return [*pieces, (text[position:], False)]


def _variable(body: str, context: Context) -> str | None:
    """The value of ``${body}``: ``*``, ``?`` and ``$`` stand for themselves; ``key, 'default'`` falls back."""
    if body in ("*", "?", "$"):
        return body
    parsed = _KEY_AND_DEFAULT.fullmatch(body)
    if parsed is None:
        return None
    key, default = parsed.groups()
    values = context.get(key.casefold(), ())
    return values[0] if len(values) == 1 else default


def _like(pattern: str, value: str, context: Context | None, *, arn: bool = False) -> bool:
    """Whether ``value`` matches ``pattern`` with ``*``/``?`` wildcards and policy variables.

    With ``arn``, wildcards before the fifth colon stay within one ARN part (ArnLike compares part by part).
    """
    pieces = _pieces(pattern, context)
    if pieces is None:
        return False
    regex: list[str] = []
    colons = 0
    for fragment, literal in pieces:
        for char in fragment:
            if char in "*?" and not literal:
                regex.append(("[^:]" if arn and colons < 5 else ".") + ("*" if char == "*" else ""))
            else:
                regex.append(re.escape(char))
            colons += char == ":"
    return re.fullmatch("".join(regex), value, re.DOTALL) is not None


def _substitute(text: str, context: Context) -> str | None:
    """``text`` with its policy variables substituted, or None if one has no value."""
    pieces = _pieces(text, context)
    return None if pieces is None else "".join(fragment for fragment, _ in pieces)


def _string_equals(policy: str, value: str, context: Context) -> bool:
    return _substitute(policy, context) == value


def _string_equals_ignore_case(policy: str, value: str, context: Context) -> bool:
    substituted = _substitute(policy, context)
    return substituted is not None and substituted.casefold() == value.casefold()


def _arn_like(policy: str, value: str, context: Context) -> bool:
    return _like(policy, value, context, arn=True)


def _bool(policy: str, value: str, _: Context) -> bool:
    return policy.casefold() == value.casefold()


def _numeric(compare: Callable[[float, float], bool]) -> Comparator:
    def matches(policy: str, value: str, _: Context) -> bool:
        try:
            return compare(float(value), float(policy))
        except ValueError:
            return False

    return matches


_OPERATORS: dict[str, tuple[Comparator, bool]] = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (_string_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ignore_case, True),
    "StringLike": (_like, False),
    "StringNotLike": (_like, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "NumericEquals": (_numeric(operator.eq), False),
    "NumericNotEquals": (_numeric(operator.eq), True),
    "NumericLessThan": (_numeric(operator.lt), False),
    "NumericLessThanEquals": (_numeric(operator.le), False),
    "NumericGreaterThan": (_numeric(operator.gt), False),
    "NumericGreaterThanEquals": (_numeric(operator.ge), False),
    "Bool": (_bool, False),
}
"""Condition operator -> (comparator, negated). A negated operator holds when no policy value matches."""


def _conditions_hold(condition: Mapping[str, Any], context: Context) -> bool:
    """Every operator and every key under it holds (AND); the values listed for one key are alternatives (OR)."""
    return all(
        _condition_holds(name, key, [_text(value) for value in _as_list(values)], context)
        for name, block in condition.items()
        for key, values in block.items()
    )


def _condition_holds(name: str, key: str, policy_values: list[str], context: Context) -> bool:
    """One operator, with its optional IfExists suffix and ForAnyValue/ForAllValues prefix, on one context key."""
    qualifier, _, base = name.rpartition(":")
    actual = context.get(key.casefold())
    if base == "Null" and not qualifier:
        return str(actual is None).casefold() in {value.casefold() for value in policy_values}
    if qualifier not in ("", "ForAnyValue", "ForAllValues") or base.removesuffix("IfExists") not in _OPERATORS:
        raise ValueError(f"unsupported condition operator {name!r}")
    compare, negated = _OPERATORS[base.removesuffix("IfExists")]
    if actual is None and base.endswith("IfExists"):
        return True

    def matches(value: str) -> bool:
        return any(compare(policy, value, context) for policy in policy_values)

    if qualifier == "ForAllValues":
        return all(matches(value) != negated for value in actual or ())
    if qualifier == "ForAnyValue":
        return any(matches(value) != negated for value in actual or ())
    if actual is None:
        return negated
    return any(matches(value) for value in actual) != negated


def _text(value: Any) -> str:
    """A value as IAM compares it: booleans become "true"/"false"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
