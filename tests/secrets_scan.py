"""After the test suite: no password, one-time code, reset code or bcrypt hash in any log
file the product wrote (SPEC: nothing secret is logged; README "Rules as built").

What is scanned: every product log file (``portplus.log`` and its rotations
``portplus.log.1`` ...) under the suite's base temporary folder (the tests give the app
data folders under ``tmp_path``, and the log folder is ``<data_dir>/logs``), and what the
suite appended to the user log folder (platformdirs; a process without a data folder
logs there). Other ``*.log`` files are not product logs (e.g. ``portplus demo`` output
captured by the tmux tests prints the demo logins on purpose).

What is looked for:
  * bcrypt hashes (``$2a$``, ``$2b$``, ``$2y$`` with cost and 53 characters),
  * the passwords of tests/secrets_registry.py (exact substrings),
  * one-time codes (6 digits alone on a line) and reset codes (``ABCD-EFGH``) read from
    every ``.eml`` file left in the suite's outboxes, plus the codes tests registered,
    matched as whole words (case-insensitive for reset codes, with or without the dash),
    on the log line without its time/level/pid prefix.

A finding names the file, the line number and the kind of secret, never the secret.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

LOG_NAME = "portplus.log"
BCRYPT = re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}")
# what logs.setup_logging puts before each message
LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \S+ pid=\d+: ")
OTP_LINE = re.compile(r"^(\d{6})$", re.MULTILINE)
RESET_LINE = re.compile(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", re.MULTILINE)


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    kind: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}"


@dataclass
class ScanResult:
    findings: list[Finding]
    files: int
    lines: int
    passwords: int
    codes: int


def log_files(root: Path) -> list[Path]:
    """The product's log files under ``root`` (with their rotations)."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob(LOG_NAME + "*")
                  if p.is_file() and re.fullmatch(re.escape(LOG_NAME) + r"(\.\d+)?", p.name))


def sizes(files: Iterable[Path]) -> dict[Path, int]:
    """Current sizes: scan only what is appended after this (see ``scan``)."""
    found = {}
    for path in files:
        try:
            found[path] = path.stat().st_size
        except OSError:
            pass
    return found


def codes_from_outboxes(root: Path) -> tuple[set[str], set[str]]:
    """(one-time codes, reset codes) in the bodies of every .eml file under ``root``."""
    otp: set[str] = set()
    reset: set[str] = set()
    if not root.is_dir():
        return otp, reset
    for path in root.rglob("*.eml"):
        try:
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            part = msg.get_body(preferencelist=("plain",))
            body = part.get_content() if part is not None else ""
        except Exception:  # noqa: BLE001 - a broken test message is not our concern
            continue
        body = body.replace("\r\n", "\n")
        otp.update(OTP_LINE.findall(body))
        reset.update(RESET_LINE.findall(body))
    return otp, reset


def _token_pattern(tokens: Iterable[str], flags: int = 0) -> re.Pattern[str] | None:
    tokens = sorted({t for t in tokens if t}, key=len, reverse=True)
    if not tokens:
        return None
    alternatives = "|".join(re.escape(t) for t in tokens)
    return re.compile(rf"(?<![0-9A-Za-z])(?:{alternatives})(?![0-9A-Za-z])", flags)


def scan(files: Iterable[Path], *, passwords: Iterable[str], codes: Iterable[str] = (),
         reset_codes: Iterable[str] = (), offsets: Mapping[Path, int] | None = None) -> ScanResult:
    """Look for secrets in ``files``. ``offsets``: start reading a file there (the part
    written before the suite began is not the suite's; a file now shorter was rotated
    and is read whole)."""
    passwords = sorted({p for p in passwords if p}, key=len, reverse=True)
    codes = set(codes)
    resets = set(reset_codes)
    otp_re = _token_pattern(codes)
    reset_re = _token_pattern(resets | {r.replace("-", "") for r in resets}, re.IGNORECASE)
    findings: list[Finding] = []
    n_files = n_lines = 0
    for path in files:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        start = (offsets or {}).get(path, 0)
        if start > len(data):  # rotated since: all of it is new
            start = 0
        first_line = data.count(b"\n", 0, start) + 1
        n_files += 1
        text = data[start:].decode("utf-8", "replace")
        for number, line in enumerate(text.splitlines(), start=first_line):
            n_lines += 1
            message = LOG_PREFIX.sub("", line, count=1)
            kinds = []
            if BCRYPT.search(line):
                kinds.append("bcrypt hash")
            if any(p in line for p in passwords):
                kinds.append("password")
            if otp_re is not None and otp_re.search(message):
                kinds.append("one-time code")
            if reset_re is not None and reset_re.search(message):
                kinds.append("reset code")
            findings.extend(Finding(path, number, kind) for kind in kinds)
    return ScanResult(findings, n_files, n_lines, len(passwords), len(codes) + len(resets))


def user_log_dirs() -> list[Path]:
    """Where a process without a data folder writes its log (Settings.resolved_log_dir)."""
    try:
        from platformdirs import user_log_dir
    except ImportError:
        return []
    return [Path(user_log_dir("portplus", appauthor=False))]


def scan_suite(basetemp: Path, *, passwords: Iterable[str], extra_codes: Iterable[str] = (),
               user_offsets: Mapping[Path, int] | None = None) -> ScanResult:
    """The whole check: logs under ``basetemp`` (whole) and the user log folder (only
    what was appended since ``user_offsets`` was taken)."""
    otp, reset = codes_from_outboxes(basetemp)
    otp.update(c for c in extra_codes if c.isdigit())
    reset.update(c for c in extra_codes if not c.isdigit())
    files = log_files(basetemp)
    offsets = dict(user_offsets or {})
    for folder in user_log_dirs():
        for path in log_files(folder):
            if path not in files:
                files.append(path)
                offsets.setdefault(path, 0)
    return scan(files, passwords=passwords, codes=otp, reset_codes=reset, offsets=offsets)
