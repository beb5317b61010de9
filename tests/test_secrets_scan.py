"""The log scan that runs after the suite (tests/conftest.py, tests/secrets_scan.py) finds
what it is meant to find, and would fail a session: planted secrets in temporary log
files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Iterator

import bcrypt
import pytest

from portplus_tui.services.mail import FileBackend, otp_mail, reset_mail

from . import secrets_registry, secrets_scan

ROOT = Path(__file__).resolve().parents[1]
PLANTED_PASSWORD = "planted-Pass-4711"
OTP_CODE = "604213"
RESET_CODE = "QRST-WXYZ"
PREFIX = "2026-03-02 10:00:00,123 WARNING portplus.ui pid={pid}: "


@pytest.fixture
def planted() -> Iterator[Path]:
    """A folder outside the suite's base temporary folder, removed afterwards: the
    secrets planted here must not fail the real scan after the suite."""
    with tempfile.TemporaryDirectory(prefix="portplus-planted-") as folder:
        yield Path(folder).resolve()


def _outbox_with_codes(root: Path) -> None:
    outbox = FileBackend(root / "data" / "outbox")
    outbox.send(otp_mail("a@example.com", OTP_CODE, 30))
    outbox.send(reset_mail("a@example.com", RESET_CODE, 30, "M97-00339"))


def test_the_scan_finds_each_kind_of_planted_secret(planted):
    tmp_path = planted
    _outbox_with_codes(tmp_path)
    hashed = bcrypt.hashpw(b"whatever-1", bcrypt.gensalt(rounds=4)).decode()
    log = tmp_path / "data" / "logs" / "portplus.log"
    log.parent.mkdir(parents=True)
    lines = [
        PREFIX.format(pid=604213) + "nothing secret here; pid equals the code",  # 1
        PREFIX.format(pid=7) + f"login failed for x with {PLANTED_PASSWORD}",  # 2
        PREFIX.format(pid=7) + f"stored {hashed}",  # 3
        PREFIX.format(pid=7) + f"code={OTP_CODE} was wrong",  # 4
        PREFIX.format(pid=7) + f"reset {RESET_CODE.replace('-', '').lower()} typed",  # 5
        PREFIX.format(pid=7) + f"mail written to 20260302T010000Z-ab{OTP_CODE}cd.eml",  # 6
        PREFIX.format(pid=7) + f"port 1{OTP_CODE} and SO-{OTP_CODE}9",  # 7: not whole words
    ]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rotated = log.with_name("portplus.log.1")
    rotated.write_text(f"old {RESET_CODE}\n", encoding="utf-8")
    (tmp_path / "demo.log").write_text(f"not a product log: {PLANTED_PASSWORD}\n")

    result = secrets_scan.scan_suite(tmp_path, passwords={PLANTED_PASSWORD}, user_offsets={})
    found = {(f.path.name, f.line, f.kind) for f in result.findings
             if f.path.is_relative_to(tmp_path)}
    assert found == {
        ("portplus.log", 2, "password"),
        ("portplus.log", 3, "bcrypt hash"),
        ("portplus.log", 4, "one-time code"),
        ("portplus.log", 5, "reset code"),
        ("portplus.log.1", 1, "reset code"),
    }
    for finding in result.findings:  # a report names where, never what
        text = str(finding)
        for secret in (PLANTED_PASSWORD, hashed, OTP_CODE, RESET_CODE):
            assert secret not in text


def test_only_what_was_appended_after_the_offset_is_scanned(planted):
    tmp_path = planted
    log = tmp_path / "portplus.log"
    log.write_text(f"written before the suite: {PLANTED_PASSWORD}\n")
    offset = secrets_scan.sizes([log])
    assert secrets_scan.scan([log], passwords={PLANTED_PASSWORD}, offsets=offset).findings == []
    with open(log, "a") as fh:
        fh.write("clean\n" + PLANTED_PASSWORD + "\n")
    findings = secrets_scan.scan([log], passwords={PLANTED_PASSWORD}, offsets=offset).findings
    assert [(f.line, f.kind) for f in findings] == [(3, "password")]


def test_registry_collects_password_constants_of_test_modules():
    class Module:  # stands in for a test module
        ADMIN_PW = "module-admin-pw-1"
        NEW_PASSWORD = "module-new-pass-2"
        SMTP_ACCOUNTS_PASSWORD = {"u": b"module-bytes-pw-3"}
        PASSWORD_SHORT = "short"  # too short to be told from ordinary words
        MEMBER = "M97-00339-not-secret"

    import types

    module = types.ModuleType("fake_tests")
    module.__dict__.update({k: v for k, v in vars(Module).items() if k.isupper()})
    secrets_registry.collect_from_modules([module])
    known = secrets_registry.known_secrets()
    assert {"module-admin-pw-1", "module-new-pass-2", "module-bytes-pw-3"} <= known
    assert "short" not in known and "M97-00339-not-secret" not in known
    assert "demo-admin-1" in known  # the demo logins are always in


def test_a_session_that_logged_a_secret_fails(planted):
    """The conftest fixture end to end: a small session whose only test passes but
    leaves a registered password in a product log fails, and the report does not
    show the password."""
    tmp_path = planted
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "conftest.py").write_text(
        "from tests.conftest import _no_secrets_in_logs, pytest_terminal_summary  # noqa\n")
    (inner / "test_leak.py").write_text(textwrap.dedent(f"""
        from tests.secrets_registry import remember_secret

        def test_leaks(tmp_path):
            remember_secret({PLANTED_PASSWORD!r})
            logs = tmp_path / "data" / "logs"
            logs.mkdir(parents=True)
            (logs / "portplus.log").write_text("2026-03-02 10:00:00,123 WARNING x pid=1: "
                                               "got {PLANTED_PASSWORD}\\n")
    """))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         f"--basetemp={tmp_path / 'basetemp'}", f"--rootdir={inner}", str(inner)],
        cwd=inner, env=env, capture_output=True, text=True, timeout=120)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "1 passed, 1 error" in output, output
    assert "secrets found in the log files (1)" in output
    assert "portplus.log:1: password" in output
    assert re.search(r"secrets in logs: \d+ log files, .*: 1 found", output), output
    assert PLANTED_PASSWORD not in output.replace(f"remember_secret({PLANTED_PASSWORD!r})", "")
