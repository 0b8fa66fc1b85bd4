"""Configuration errors that report every problem at once."""

from __future__ import annotations


class ConfigurationError(ValueError):
    """Raised before anything is created when a construct or blueprint is misconfigured.

    ``problems`` holds one line per problem, each naming the field, the bad value and what is allowed.
    """

    def __init__(self, subject: str, problems: list[str]) -> None:
        self.subject = subject
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{subject}: {len(self.problems)} problem(s)\n{lines}")


class Problems:
    """Collects validation problems and raises one ``ConfigurationError`` for all of them."""

    def __init__(self, subject: str) -> None:
        self._subject = subject
        self._problems: list[str] = []

    def add(self, field: str, value: object, allowed: str) -> None:
        """Record that ``field`` has the bad ``value``; ``allowed`` says what would be valid."""
        self._problems.append(f"{field}={value!r}: {allowed}")

    def raise_if_any(self) -> None:
        """Raise a ``ConfigurationError`` listing every recorded problem, if there is one."""
        if self._problems:
            raise ConfigurationError(self._subject, self._problems)
