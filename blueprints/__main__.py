"""``python -m blueprints``: the project members' command line, one group of commands per pattern.

It imports only the standard library and boto3 (never the CDK or ``stacks``): it runs where Node is not installed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from blueprints.cli import batch, run


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command ``argv`` names (default: the process's arguments); return its exit code."""
    parser = argparse.ArgumentParser(prog="python -m blueprints", description="Use Gen AI sandbox environments.")
    groups = parser.add_subparsers(required=True, metavar="GROUP")
    batch.register(groups)
    args = parser.parse_args(argv)
    return run(args.command, args)


if __name__ == "__main__":
    sys.exit(main())
