"""``list``: the blueprints of ``dist/`` and, for a domain, whether each one is registered there and current."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from blueprints.cli import CliError
from blueprints.cli.admin import DOMAIN_ID, Calls, admin_errors, custom_blueprints, print_table, registered_sha
from blueprints.cli.distribution import DESCRIPTION_LIMIT, DistBlueprint, catalogue

FIRST_SENTENCE = re.compile(r".*?[.!?](?=\s|$)", re.DOTALL)
HEADERS = ("NAME", "MODE", "SIZE", "RESOURCES")


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``list`` command."""
    parser = groups.add_parser(
        "list",
        help="list the blueprints (domain administrators)",
        description="List the blueprints of dist/ and, with --domain-id, whether each is registered and current.",
    )
    parser.add_argument("--domain-id", help="SMUS (DataZone) domain id, dzd_...: show each blueprint's registration")
    parser.add_argument("--region", help="the domain's Region. Default: the configured one")
    parser.set_defaults(command=list_command)


def list_command(args: argparse.Namespace) -> int:
    """Print the catalogue; with ``--domain-id``, each blueprint's id and state in the domain."""
    if args.domain_id is not None and not DOMAIN_ID.fullmatch(args.domain_id):
        raise CliError(f"--domain-id={args.domain_id!r}: expected dzd_ or dzd- and 1-36 letters, digits, '_', '-'")
    blueprints = catalogue()
    warn_long_descriptions(blueprints)
    if args.domain_id is None:
        print_table(
            (*HEADERS, "DESCRIPTION"), [(*columns(blueprint), first_sentence(blueprint)) for blueprint in blueprints]
        )
        return 0
    with admin_errors():
        registered = custom_blueprints(Calls(), args.clients(args.region).datazone, args.domain_id)
    states = [registration(blueprint, registered.get(blueprint.name)) for blueprint in blueprints]
    rows = [
        (*columns(blueprint), *state, first_sentence(blueprint))
        for blueprint, state in zip(blueprints, states, strict=True)
    ]
    print_table((*HEADERS, "ID", "STATE", "DESCRIPTION"), rows)
    if any(state != "current" for _, state in states):
        print("Register or update them with: python -m blueprints publish")
    return 0


def columns(blueprint: DistBlueprint) -> tuple[str, str, str, str]:
    """Name, deployment mode and order, template size and resource count."""
    order = "" if blueprint.deployment_order is None else f" {blueprint.deployment_order}"
    size = f"{blueprint.size / 1024:.1f} KiB"
    return blueprint.name, f"{blueprint.deployment_mode}{order}", size, str(blueprint.resource_count)


def registration(blueprint: DistBlueprint, summary: dict[str, Any] | None) -> tuple[str, str]:
    """The registered blueprint's id and its state: not registered, current, or outdated (another template)."""
    if summary is None:
        return "-", "not registered"
    sha = registered_sha(summary)
    state = "current" if sha == blueprint.sha256 else f"outdated (registered {(sha or 'unknown')[:12]})"
    return summary["id"], state


def first_sentence(blueprint: DistBlueprint) -> str:
    """The description up to its first full stop."""
    match = FIRST_SENTENCE.match(blueprint.description)
    return match[0] if match else blueprint.description


def warn_long_descriptions(blueprints: list[DistBlueprint]) -> None:
    """Warn on stderr about descriptions DataZone would refuse."""
    for blueprint in blueprints:
        if len(blueprint.description) > DESCRIPTION_LIMIT:
            print(
                f"warning: {blueprint.name}: description has {len(blueprint.description)} characters, DataZone takes "
                f"at most {DESCRIPTION_LIMIT}: shorten it in blueprints/catalogue.py",
                file=sys.stderr,
            )
