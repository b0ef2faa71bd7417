"""The code passes ruff, with the rules of pyproject.toml ([tool.ruff]) and the version pinned in
requirements.txt (another version may add or change rules, so it is checked too). To fix what it
reports: ``python -m ruff check --fix aelib tests scripts benchmarks book``, then by hand."""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PATHS = ["aelib", "tests", "scripts", "benchmarks", "book"]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "ruff", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert "No module named ruff" not in proc.stderr, \
        "ruff is not installed: pip install -r requirements.txt -c constraints.txt"
    return proc


def test_ruff_is_the_pinned_version():
    pin = re.search(r"^ruff==(\S+)", (REPO / "requirements.txt").read_text(), re.MULTILINE)
    assert pin, "requirements.txt pins no ruff"
    assert _ruff("--version").stdout.split() == ["ruff", pin.group(1)]


def test_ruff_finds_nothing():
    proc = _ruff("check", "--no-cache", "--output-format", "concise", *PATHS)
    assert proc.returncode == 0, f"ruff check {' '.join(PATHS)} reports:\n{proc.stdout}{proc.stderr}"
