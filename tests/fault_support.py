"""Helpers for the fault tests (tests/test_faults_runtime.py, tests/ui/test_faults_ui.py):
files and folders nobody may write to, even when the suite runs as root, and a port
where nothing listens.

Root ignores file modes (CAP_DAC_OVERRIDE), so ``chmod 0444`` does not make a file
read-only for a test run as root, and the product has no read-only SQLite URL. As root
the helpers set the immutable attribute instead (``chattr +i``: refused to everyone,
root included, until ``chattr -i``); as any other user they use the file modes. When
neither works the test fails and says why (it never skips). The helpers check that a
write really is refused before they hand over, so a test cannot pass on a file that
was writable after all.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest


def _chattr(flag: str, path: Path) -> subprocess.CompletedProcess[str]:
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.fail("running as root: the read-only tests need chattr (e2fsprogs) to make "
                    "a file immutable (file modes do not stop root)", pytrace=False)
    return subprocess.run([chattr, flag, str(path)], capture_output=True, text=True,
                          timeout=30)


@contextmanager
def unwritable(path: Path) -> Iterator[Path]:
    """``path`` (a file or a folder) cannot be written to, by anybody, inside the block."""
    if os.geteuid() == 0:
        proc = _chattr("+i", path)
        if proc.returncode != 0:
            pytest.fail(f"running as root: `chattr +i {path}` failed ({proc.stderr.strip()}); "
                        "the read-only tests need a file system with the immutable "
                        "attribute (ext4, xfs, btrfs) and CAP_LINUX_IMMUTABLE", pytrace=False)
        undo = lambda: _chattr("-i", path)  # noqa: E731
    else:
        mode = stat.S_IMODE(path.stat().st_mode)
        path.chmod(0o555 if path.is_dir() else 0o444)
        undo = lambda: path.chmod(mode)  # noqa: E731
    try:
        _assert_refused(path)
        yield path
    finally:
        undo()


def _assert_refused(path: Path) -> None:
    try:
        if path.is_dir():
            probe = path / ".write-probe"
            probe.touch()
            probe.unlink()
        else:
            with open(path, "r+b"):
                pass
    except PermissionError:
        return
    raise AssertionError(f"{path} is still writable: the test would prove nothing")


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, read, closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
