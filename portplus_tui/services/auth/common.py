"""What the auth modules share: the values they return, the errors they raise, the
keyed hashing of codes, the account look-ups and counters, and the background mail pool."""

from __future__ import annotations

import concurrent.futures
import hashlib
import hmac
import logging
import math
import re
import secrets
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import peewee

from portplus_tui.core import validation as v
from portplus_tui.core.calendar import today_jst
from portplus_tui.core.errors import AuthError, ValidationError, refusal
from portplus_tui.core.messages import render, texts
from portplus_tui.services import live
from portplus_tui.services.context import AppContext, Session, credential_stamp
from portplus_tui.services.mail import MailError, OutgoingMail
from portplus_tui.services.passwords import (
    BCRYPT_MAX_BYTES,
)
from portplus_tui.store import models as m
from portplus_tui.store.db import from_db, to_db

log = logging.getLogger(__name__)


OTP_DIGITS = 6


RESET_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


RESET_CODE_LENGTH = 8


RESET_CODES_CHECKED = 10


"""How many of an account's live reset codes (the newest) ``complete_reset`` checks;
always this many comparisons (padded), so the time does not tell how many are live."""


_HASH_SCHEME = "hmac-sha256k"  # keyed: see _hash_secret


_ACTOR_MAX = 100


_KEY_MAX = 254


_ATTEMPT_RE = re.compile(r"[A-Za-z0-9_-]{16,100}", re.ASCII)


_OTP_RE = re.compile(r"[0-9]{%d}" % OTP_DIGITS, re.ASCII)


_RESET_RE = re.compile(r"[%s]{%d}" % (RESET_CODE_ALPHABET, RESET_CODE_LENGTH), re.ASCII)


_SEPARATORS = str.maketrans({c: None for c in " \t-_\u2010\u2011\u2012\u2013\u2014\u2212\u30fc"})


_UNKNOWN_ADDRESS = "nobody@invalid.example"


@dataclass(frozen=True)
class OtpChallengeInfo:
    """What the OTP screen needs: the attempt id to send back, and what to show."""

    attempt: str
    masked_email: str  # e.g. h*****@nt*****
    expires_at: datetime  # aware UTC
    resend_at: datetime  # aware UTC: the resend button works from then on


@dataclass(frozen=True)
class LoginResult:
    """Either a ``session`` (no two-factor) or a ``challenge`` (code mailed)."""

    session: Session | None = None
    challenge: OtpChallengeInfo | None = None

    @property
    def needs_otp(self) -> bool:
        return self.challenge is not None


@dataclass(frozen=True)
class ResetRequested:
    """The one answer to a reset request, whether or not the account exists."""

    valid_minutes: int

    def message(self, lang: str = "ja") -> str:
        return render("auth.reset_requested", lang, {"minutes": self.valid_minutes})


def _login_failed() -> AuthError:
    return AuthError(
        *texts('auth.login_failed'),
        code="login_failed",
    )


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


def _locked(until: datetime, now: datetime) -> AuthError:
    n = _minutes_left(until, now)
    return refusal("auth.locked", n=n, plural="s" if n != 1 else "")


def _otp_wrong(remaining: int) -> AuthError:
    tries = "try" if remaining == 1 else "tries"
    return refusal("auth.otp_wrong", field="code", remaining=remaining, tries=tries)


def _otp_resend_wait(seconds: int) -> AuthError:
    plural = "s" if seconds != 1 else ""
    return refusal("auth.otp_resend_wait", seconds=seconds, plural=plural)


def _account_expired() -> ValidationError:
    return ValidationError(*texts("auth.account_expired"), field="account_id",
                           code="account_expired")


def _reset_code_format() -> ValidationError:
    return ValidationError(*texts("auth.reset_code_format", length=RESET_CODE_LENGTH),
                           field="code")


def _confirm_mismatch(field: str) -> ValidationError:
    return ValidationError(*texts("auth.confirm_mismatch"), field=field)


def _printable(text: Any, limit: int) -> str:
    """Text safe for an audit column: printable characters only (no NUL for PostgreSQL,
    no lone surrogates), at most ``limit`` characters."""
    if not isinstance(text, str):
        return ""
    return "".join(c for c in text[: limit * 4] if c.isprintable())[:limit]


NOT_AN_ADDRESS = "(not an e-mail address)"


"""Audit actor of a failed login whose login ID names no account and is not an e-mail
address: what was typed is not kept (it is often a password typed into the wrong field)."""


NOT_A_MEMBER_NO = "(not a member number)"


"""Audit target when the text typed as 会員番号 does not have the member-number shape
(it is often a password typed into the wrong field): what was typed is not kept."""


UNKNOWN_MEMBER_NO = "(unknown member number)"


"""Audit target when the text typed as 会員番号 has the member-number shape but names
no company. Not kept either: the shape (``[A-Z0-9][A-Z0-9-]{2,19}``) also fits most
passwords of the policy (letters and digits, 8-20 characters)."""


def _member_target(company: m.Company | None, member_no: Any) -> str:
    """The audit target for the typed 会員番号 (issue 11 finding 9): the company's member
    number when it names one, otherwise a constant, never the typed text."""
    if company is not None:
        return company.member_no
    return UNKNOWN_MEMBER_NO if _member_key(member_no) is not None else NOT_A_MEMBER_NO


def _login_actor(login_id: Any, account: m.Account | None) -> str:
    """The audit actor of a login attempt (R-ACC-6). The login ID as typed when it named
    an account of the company; otherwise only a syntactically valid e-mail address
    (operators see which addresses are tried), never other text."""
    if account is not None:
        return _printable(login_id, _ACTOR_MAX)
    if isinstance(login_id, str) and len(login_id) <= 4 * _KEY_MAX:
        try:
            address = v.normalize_email(login_id)
        except ValidationError:
            pass
        else:
            return _printable(address, _ACTOR_MAX) or NOT_AN_ADDRESS
    return NOT_AN_ADDRESS


def _within_policy_length(password: Any, settings: Any) -> bool:
    """False for input that cannot be a password of the policy because it is longer
    than ``password_max_length`` characters (or than bcrypt's 72 bytes, the ceiling of
    that setting): such input is refused without giving it to bcrypt (R-LOG-3)."""
    limit = min(settings.password_max_length, BCRYPT_MAX_BYTES)
    return isinstance(password, str) and len(password) <= limit


def _member_key(member_no: Any) -> str | None:
    if not isinstance(member_no, str):
        return None
    try:
        return v.normalize_member_no(member_no)
    except ValidationError:
        return None


def _login_key(login_id: Any) -> str | None:
    if not isinstance(login_id, str) or len(login_id) > 4 * _KEY_MAX:
        return None
    key = v.email_key(login_id)
    if not key or len(key) > _KEY_MAX or not key.isprintable():
        return None
    return key


def _key_id(key: bytes) -> str:
    """A short fingerprint of the secret key (not the key, and useless to guess it): it
    tells a code made under another key from a wrong code."""
    return hmac.new(key, b"portplus secret key id", hashlib.sha256).hexdigest()[:8]


def _hash_secret(secret: str, key: bytes) -> str:
    """``hmac-sha256k$<key id>$<salt>$<digest>``: HMAC-SHA256 under the server's secret
    key of the random salt followed by the code. Without the key (it is not in the
    database) the stored value says nothing about the code."""
    salt = secrets.token_bytes(16)
    digest = hmac.new(key, salt + secret.encode("ascii"), hashlib.sha256).hexdigest()
    return f"{_HASH_SCHEME}${_key_id(key)}${salt.hex()}${digest}"


_other_keys_seen: set[str] = set()


def _check_secret(secret: str, stored: str, key: bytes) -> bool:
    """Whether ``secret`` is the code behind ``stored``, under ``key`` (constant time;
    rows of the older, keyless scheme never match: they expire within minutes). A code
    stored under another key (processes sharing the database with different keys, or a
    replaced key) never matches either; the log file says so once per key id."""
    try:
        scheme, key_id, salt_hex, digest = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except (ValueError, AttributeError):
        salt, scheme, key_id, digest = b"\0" * 16, "", "", ""
    expected = hmac.new(key, salt + secret.encode("ascii"), hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(expected, digest) and scheme == _HASH_SCHEME
    if scheme == _HASH_SCHEME and key_id != _key_id(key) and key_id not in _other_keys_seen:
        _other_keys_seen.add(key_id)
        log.warning("a code was stored under another secret key (key id %s, this process "
                    "uses %s): every process sharing the database needs the same key "
                    "(PORTPLUS_SECRET_KEY or secret_key_file); a replaced key voids the codes "
                    "sent before", key_id, _key_id(key))
    return ok


def _attempt_key(attempt: Any) -> str | None:
    """The stored form of an attempt id (SHA-256 hex), or None for malformed input."""
    if not isinstance(attempt, str) or not _ATTEMPT_RE.fullmatch(attempt):
        return None
    return hashlib.sha256(attempt.encode("ascii")).hexdigest()


def _new_otp_code() -> str:
    return f"{secrets.randbelow(10 ** OTP_DIGITS):0{OTP_DIGITS}d}"


def _normalize_otp(code: Any) -> str:
    if not isinstance(code, str) or len(code) > 40:
        raise refusal("auth.otp_format", field="code")
    s = unicodedata.normalize("NFKC", code).translate(_SEPARATORS)
    if not _OTP_RE.fullmatch(s):
        raise refusal("auth.otp_format", field="code")
    return s


def _new_reset_code() -> str:
    return "".join(secrets.choice(RESET_CODE_ALPHABET) for _ in range(RESET_CODE_LENGTH))


def _display_reset_code(code: str) -> str:
    half = RESET_CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def _normalize_reset_code(code: Any) -> str:
    if not isinstance(code, str) or len(code) > 40:
        raise _reset_code_format()
    s = unicodedata.normalize("NFKC", code).translate(_SEPARATORS).upper()
    if not _RESET_RE.fullmatch(s):
        raise _reset_code_format()
    return s


def _is_locked(row: m.Account, now: datetime) -> datetime | None:
    until = from_db(row.locked_until)
    return until if until is not None and until > now else None


def _is_live(row: m.Account, now: datetime) -> bool:
    return not row.deleted and row.expires >= today_jst(now)


def _find(member_key: str | None, login_key: str | None) -> tuple[m.Company | None, m.Account | None]:
    """The company (when the member number is known) and the account (when both are)."""
    if member_key is None:
        return None, None
    company = m.Company.get_or_none(m.Company.member_no == member_key)
    if login_key is None:
        return company, None
    # Looked up for an unknown member number too (company id 0 matches nothing): the
    # same two statements whether or not the company exists (issue 11 finding 10).
    account = (
        m.Account.select()
        .where((m.Account.company == (company.id if company is not None else 0))
               & (m.Account.login_key == login_key))
        .first()
    )
    return company, account


def _two_factor(company_id: int) -> bool:
    from portplus_tui.services.companies import options_of

    return options_of(company_id).get(m.OPTION_TWO_FACTOR, False)


def _register_failure(ctx: AppContext, account_id: int, now: datetime) -> datetime | None:
    """Count one failed authentication in one UPDATE; return ``locked_until`` when the
    account is locked afterwards (and tell the change feed). Call inside a
    transaction."""
    s = ctx.settings
    A = m.Account
    now_db = to_db(now)
    until = A.locked_until.to_value(to_db(now + timedelta(minutes=s.lockout_minutes)))
    locked_now = A.locked_until.is_null(False) & (A.locked_until > now_db)
    lock_over = A.locked_until.is_null(False) & (A.locked_until <= now_db)
    new_count = peewee.Case(None, [(lock_over, 1)], A.failed_count + 1)
    new_lock = peewee.Case(
        None,
        [(locked_now, A.locked_until),
         (new_count >= s.lockout_threshold, until),
         (lock_over, peewee.SQL("NULL"))],
        A.locked_until,
    )
    A.update({A.failed_count: new_count, A.locked_until: new_lock}).where(A.id == account_id).execute()
    row = A.select(A.failed_count, A.locked_until, A.company).where(A.id == account_id).first()
    if row is None:
        return None
    locked_until = _is_locked(row, now)
    if locked_until is not None:  # the account table of the company shows the lock
        live.record(ctx, row.company_id, live.ACCOUNT, account_id)
    return locked_until


def _clear_failures(account_id: int, now: datetime) -> int:
    """Reset the counters if the account is still live and not locked; rows changed."""
    A = m.Account
    now_db = to_db(now)
    return (
        A.update({A.failed_count: 0, A.locked_until: None})
        .where(
            (A.id == account_id)
            & (A.deleted == False)  # noqa: E712
            & (A.locked_until.is_null() | (A.locked_until <= now_db))
        )
        .execute()
    )


def _new_session(company: m.Company, account: m.Account, now: datetime) -> Session:
    return Session(
        company_id=company.id, member_no=company.member_no, role=account.role,
        account_id=account.id, login_id=account.login_id, name=account.name,
        login_at=now, last_activity=now, credential=credential_stamp(account.password_hash),
    )


def _void_live_challenges(account_id: int) -> None:
    C = m.OtpChallenge
    (C.update({C.voided: True, C.version: C.version + 1})
     .where((C.account == account_id) & C.used_at.is_null() & (C.voided == False))  # noqa: E712
     .execute())


def _void_live_tokens(account_id: int) -> None:
    T = m.ResetToken
    (T.update({T.voided: True, T.version: T.version + 1})
     .where((T.account == account_id) & T.used_at.is_null() & (T.voided == False))  # noqa: E712
     .execute())


def _refusal_after_change(account_id: int, now: datetime) -> AuthError:
    row = m.Account.get_or_none(m.Account.id == account_id)
    if row is not None and _is_live(row, now):
        until = _is_locked(row, now)
        if until is not None:
            return _locked(until, now)
    return _login_failed()


def _consume(model, row, now: datetime) -> bool:
    """Mark a code used, once: only the caller whose guarded UPDATE changes the row
    (still unused, not voided, the version it read) wins; concurrent callers lose."""
    used = (
        model.update({model.used_at: to_db(now), model.version: model.version + 1})
        .where((model.id == row.id) & model.used_at.is_null()
               & (model.voided == False)  # noqa: E712
               & (model.version == row.version))
        .execute()
    )
    return used == 1


_pool_lock = threading.Lock()


_pool: concurrent.futures.ThreadPoolExecutor | None = None


_pending: set[concurrent.futures.Future] = set()


def _deliver_quietly(mailer: Any, mail: OutgoingMail) -> None:
    try:
        mailer.send(mail)
    except MailError:
        log.warning("password reset mail not sent")
    except Exception:  # a backend breaking its contract must not kill the worker
        log.exception("password reset mail not sent (unexpected error)")


def _send_in_background(mailer: Any, mail: OutgoingMail) -> None:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(max_workers=2,
                                                          thread_name_prefix="portplus-mail")
        try:
            future = _pool.submit(_deliver_quietly, mailer, mail)
        except RuntimeError:  # interpreter shutting down: deliver here
            future = None
        else:
            _pending.add(future)
    if future is None:
        _deliver_quietly(mailer, mail)
        return

    def forget(done: concurrent.futures.Future) -> None:
        with _pool_lock:
            _pending.discard(done)

    future.add_done_callback(forget)


def wait_for_mail(timeout: float | None = None) -> bool:
    """Wait until the reset mails handed to the background are delivered (or failed).
    True when none is pending any more."""
    with _pool_lock:
        pending = list(_pending)
    if not pending:
        return True
    _done, not_done = concurrent.futures.wait(pending, timeout=timeout)
    return not not_done
