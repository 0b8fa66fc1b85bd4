"""``python -m blueprints``: the command line of project members (one group of commands per pattern) and of domain
administrators (``list``, ``publish``).

It imports only the standard library and boto3 (never the CDK or ``stacks``): it runs where Node is not installed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from blueprints.cli import batch, cost, listing, provisioning_role, publish, run, smoke
from blueprints.cli.admin import ClientFactory, Clients


def main(argv: Sequence[str] | None = None, clients: ClientFactory = Clients.in_region) -> int:
    """Run the command ``argv`` names (default: the process's arguments) with the AWS clients ``clients`` makes for a
    Region; return its exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m blueprints", description="Use Gen AI sandbox environments, or publish their blueprints."
    )
    parser.set_defaults(clients=clients)
    groups = parser.add_subparsers(required=True, metavar="COMMAND")
    batch.register(groups)
    listing.register(groups)
    publish.register(groups)
    provisioning_role.register(groups)
    smoke.register(groups)
    cost.register(groups)
    args = parser.parse_args(argv)
    return run(args.command, args)


if __name__ == "__main__":
    sys.exit(main())
