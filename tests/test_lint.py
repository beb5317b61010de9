"""ruff, configured in pyproject.toml ([tool.ruff]), passes on the code, the tests, the
benches and the scripts (issue 14, point 6)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).with_name("ruff")
    proc = subprocess.run([str(ruff), "check", "--no-cache", "portplus_tui", "tests", "bench",
                           "scripts"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All checks passed!" in proc.stdout


def test_ruff_would_find_an_unused_import(tmp_path):
    """The check can fail: the same configuration on a file with an unused import."""
    ruff = Path(sys.executable).with_name("ruff")
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n", encoding="utf-8")
    proc = subprocess.run([str(ruff), "check", "--no-cache", "--config",
                           str(ROOT / "pyproject.toml"), str(bad)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "F401" in proc.stdout, proc.stdout + proc.stderr


def _mypy(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    mypy = Path(sys.executable).with_name("mypy")
    return subprocess.run([str(mypy), "--cache-dir", "/dev/null", "--config-file",
                           str(ROOT / "pyproject.toml"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_mypy_finds_nothing():
    """mypy on portplus_tui at the strictness written in pyproject.toml ([tool.mypy])."""
    proc = _mypy()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout


def test_mypy_would_find_a_wrong_type(tmp_path):
    """The check can fail: the same configuration on a function returning a wrong type."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f() -> int:\n    return 'x'\n", encoding="utf-8")
    proc = _mypy(str(bad), cwd=tmp_path)
    assert proc.returncode == 1 and "return-value" in proc.stdout, proc.stdout + proc.stderr
