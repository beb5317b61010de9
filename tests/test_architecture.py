"""The layering of ARCHITECTURE.md, enforced: import-linter contracts in pyproject.toml,
plus the first-paint rule that the data layer is not imported by the entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_contracts_cover_every_layer():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for layer in ("portplus_tui.ui", "portplus_tui.services", "portplus_tui.store", "portplus_tui.core"):
        assert f'"{layer}"' in text


def _imported_after(code: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


def test_entry_point_and_core_do_not_pull_in_the_data_layer():
    for code in ("import portplus_tui.__main__", "import portplus_tui.core.calendar",
                 "import portplus_tui.config"):
        loaded = _imported_after(code)
        heavy = {"peewee", "psycopg", "bcrypt", "jpholiday"} & loaded
        assert not heavy, f"{code!r} imports {sorted(heavy)}"
