"""The site benchmark still runs (small mode) and prints its comparison with stock Material."""

from __future__ import annotations

import re
import subprocess
import sys

from checklist_app import REPO_ROOT


def test_the_site_benchmark_runs_and_prints_the_ratio_to_stock_material():
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "site_bench.py")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^ratio /: ours/stock = \d+\.\d\d \(ours \d+ B, stock \d+ B", result.stdout, re.M), result.stdout
    assert re.search(r"^site build \(mkdocs build\): ours \d+\.\d\d s", result.stdout, re.M)
    assert "references another host" not in result.stdout
