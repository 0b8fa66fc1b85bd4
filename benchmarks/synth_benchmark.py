"""Compare the wall time of synthesizing every blueprint (``app.py``) with a one-bucket app.

Each command runs in a fresh process, as ``make synth`` does; the median of several runs is reported.
The budget (design goal, not a test): all blueprints within 1.5x of the one-bucket app.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
BUDGET = 1.5


def median_seconds(script: str) -> float:
    """Median wall time of ``python <script>`` over ``RUNS`` fresh processes."""
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, script], cwd=REPO_ROOT, env=environment, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    """Print both medians and the ratio; return 1 when the ratio exceeds the budget."""
    baseline = median_seconds("benchmarks/one_bucket_app.py")
    blueprints = median_seconds("app.py")
    ratio = blueprints / baseline
    print(f"one-bucket app: {baseline:.2f} s (median of {RUNS}, same App settings and nag packs)")
    print(f"all blueprints: {blueprints:.2f} s (median of {RUNS}, with every nag pack)")
    print(f"ratio: {ratio:.2f} (budget {BUDGET})")
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
