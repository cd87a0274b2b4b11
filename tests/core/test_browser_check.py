"""`make test` on a machine without Chromium: one line saying what to install, not one stack
trace per browser test."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_browser_tests_stop_with_one_line_when_chromium_is_missing() -> None:
    env = {**os.environ, "CHROMIUM": str(ROOT / "no-such-chromium")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/e2e", "-p", "no:cacheprovider", "-q"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 4, output  # pytest's usage error, before any test ran
    lines = [line for line in output.splitlines() if "no-such-chromium" in line]
    assert len(lines) == 1, output
    assert "apt-get install chromium fonts-noto-cjk" in lines[0]
    assert "Traceback" not in output
    assert " passed" not in output and " error" not in output
