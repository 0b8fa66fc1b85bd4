"""What botocore's Stubber does not check: enums, patterns, maximum lengths and numeric ranges of a request.

Stubber validates required members, types and minimum lengths only. ``strict(client)`` makes every call of
``client`` also fail with a RequestShapeError that names each member breaking its shape in the service model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape


class RequestShapeError(BaseException):
    """A request the real service would refuse. A BaseException, so that code under test which answers every
    ``Exception`` (as a Lambda handler does) cannot turn it into a response."""


def strict(client: Any) -> Any:
    """Check every request of ``client`` against its service model before it is sent (or stubbed)."""

    def check(params: dict[str, Any], model: OperationModel, **_: Any) -> None:
        problems = list(violations(model.input_shape, params, model.name))
        if problems:
            raise RequestShapeError("; ".join(problems))

    client.meta.events.register("provide-client-params", check)
    return client


def violations(shape: Shape | None, value: Any, path: str) -> Iterator[str]:
    """Each way ``value`` breaks ``shape``: enum, pattern, length and range constraints, recursively."""
    if shape is None or value is None:
        return
    if isinstance(shape, StructureShape):
        for name, member in shape.members.items():
            if isinstance(value, dict) and name in value:
                yield from violations(member, value[name], f"{path}.{name}")
        return
    yield from _size(shape, value, path)
    if isinstance(shape, ListShape):
        for index, item in enumerate(value):
            yield from violations(shape.member, item, f"{path}[{index}]")
    elif isinstance(shape, MapShape):
        for key, item in value.items():
            yield from violations(shape.value, item, f"{path}.{key}")
    elif shape.type_name == "string":
        yield from _string(shape, value, path)


def _size(shape: Shape, value: Any, path: str) -> Iterator[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if shape.type_name in ("integer", "long", "float", "double"):
        size, unit = value, ""
    elif isinstance(value, str | bytes | list | dict):
        size, unit = len(value), " long"
    else:
        return
    if low is not None and size < low:
        yield f"{path}={value!r:.60}: must be at least {low}{unit}"
    if high is not None and size > high:
        yield f"{path}={value!r:.60}: must be at most {high}{unit}"


def _string(shape: Shape, value: str, path: str) -> Iterator[str]:
    if shape.enum and value not in shape.enum:
        yield f"{path}={value!r}: must be one of {', '.join(shape.enum)}"
    pattern = shape.metadata.get("pattern")
    if pattern is None:
        return
    try:
        compiled = re.compile(pattern)
    except re.error:
        return  # a Java-only construct: Python cannot check it
    if not compiled.search(value):
        yield f"{path}={value!r:.60}: must match {pattern}"
