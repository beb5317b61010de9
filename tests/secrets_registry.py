"""Secrets the test suite knows about, so that the log scan after the suite
(tests/secrets_scan.py, run from tests/conftest.py) can look for them.

Three sources, all merged by ``known_secrets()``:

* the demo logins (``services.demo.DEMO_LOGINS``) and the UI test logins
  (``tests/ui/support.py``: ADMIN, USER, TWO_FACTOR),
* constants of the collected test modules whose name says they hold a password
  (``ADMIN_PW``, ``NEW_PASSWORD``, ``SMTP_PASSWORD`` ...): ``collect_from_modules``,
* whatever a test or fixture hands to ``remember_secret`` while it runs.

Server secret keys (``PORTPLUS_SECRET_KEY``, key files): ``capture_secret_keys`` registers
every key the product reads in this process, as a secret.

One-time and reset codes: ``capture_mailed_codes`` registers every code the product
mails in this process, whatever the backend (memory, file, SMTP); the scan also reads
the .eml files the suite left in its outboxes (codes mailed by subprocesses), and tests
may hand codes to ``remember_code``.

Only passwords of at least ``MIN_LENGTH`` characters are kept: shorter ones ("secret")
would match ordinary words in a log line. Codes are matched as whole tokens.
"""

from __future__ import annotations

import functools
import re
from types import ModuleType
from typing import Callable, Iterable

MIN_LENGTH = 8

MIN_CODE_LENGTH = 6

_SECRETS: set[str] = set()
_CODES: set[str] = set()

#: upper-case module constants whose name marks a password
_SECRET_NAME = re.compile(r"(?:^|_)(?:PW|PWD|PASSWORD|PASSWD|PASSPHRASE)(?:_|$|\d)")


def remember_secret(*values: object) -> None:
    """Register passwords (or other secrets) a test uses; non-strings and short strings
    are ignored."""
    for value in values:
        if isinstance(value, str) and len(value) >= MIN_LENGTH:
            _SECRETS.add(value)


def remember_code(*codes: object) -> None:
    """Register one-time or reset codes a test saw (matched as whole words)."""
    for code in codes:
        if isinstance(code, str) and len(code.strip()) >= MIN_CODE_LENGTH:
            _CODES.add(code.strip())


def _builtin() -> set[str]:
    found: set[str] = set()
    try:
        from portplus_tui.services.demo import DEMO_LOGINS

        found.update(entry[2] for entry in DEMO_LOGINS)  # member_no, login, password, ...
    except Exception:  # noqa: BLE001 - the scan still runs on the other sources
        pass
    try:
        from .ui import support

        for creds in (support.ADMIN, support.USER, support.TWO_FACTOR):
            found.add(creds[2])
    except Exception:  # noqa: BLE001
        pass
    return {value for value in found if isinstance(value, str) and len(value) >= MIN_LENGTH}


def collect_from_modules(modules: Iterable[ModuleType]) -> None:
    """Register the password constants of test modules (``FOO_PW = "..."``)."""
    for module in modules:
        for name, value in vars(module).items():
            if name.isupper() and _SECRET_NAME.search(name):
                if isinstance(value, str):
                    remember_secret(value)
                elif isinstance(value, (tuple, list, frozenset, set)):
                    remember_secret(*value)
                elif isinstance(value, dict):
                    remember_secret(*(v.decode("utf-8", "replace") if isinstance(v, bytes)
                                      else v for v in value.values()))


def capture_mailed_codes() -> Callable[[], None]:
    """Wrap the two mail builders (``otp_mail``, ``reset_mail``: ``(to, code, ...)``) so
    that every code mailed from now on is registered. Returns the call that undoes it."""
    from portplus_tui.services import auth, mail

    replaced: list[tuple[ModuleType, str, object]] = []
    for name in ("otp_mail", "reset_mail"):
        original = getattr(mail, name)

        @functools.wraps(original)
        def builder(to, code, *args, __original=original, **kwargs):
            remember_code(code)
            return __original(to, code, *args, **kwargs)

        for module in (mail, auth):
            if getattr(module, name, None) is original:
                setattr(module, name, builder)
                replaced.append((module, name, original))

    def undo() -> None:
        for module, name, original in replaced:
            setattr(module, name, original)

    return undo


def capture_secret_keys() -> Callable[[], None]:
    """Wrap ``parse_key`` (settings, key files) so that every server secret key read in
    this process is registered as a secret. Returns the call that undoes it."""
    from portplus_tui.core import secret_key
    from portplus_tui.store import keyfile

    original = secret_key.parse_key

    @functools.wraps(original)
    def parse_key(text, *args, **kwargs):
        if isinstance(text, str):
            remember_secret(text.strip())
        return original(text, *args, **kwargs)

    replaced = [module for module in (secret_key, keyfile)
                if getattr(module, "parse_key", None) is original]
    for module in replaced:
        module.parse_key = parse_key

    def undo() -> None:
        for module in replaced:
            module.parse_key = original

    return undo


def known_secrets() -> frozenset[str]:
    return frozenset(_SECRETS | _builtin())


def known_codes() -> frozenset[str]:
    return frozenset(_CODES)
