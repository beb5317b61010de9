"""Login, two-step login, password reset, own password change, sessions (SPEC §2–§4).

Public calls (all take the ``AppContext``; none returns a Model row)::

    login(ctx, member_no, login_id, password) -> LoginResult
    verify_otp(ctx, attempt, code) -> Session
    resend_otp(ctx, attempt) -> OtpChallengeInfo
    cancel_otp(ctx, attempt) -> None
    request_reset(ctx, member_no, email) -> ResetRequested
    complete_reset(ctx, member_no, email, code, new_password, new_password_confirm) -> None
    admin_send_reset(ctx, session, account_id) -> None
    change_own_password(ctx, session, current, new, confirm) -> None
    touch(ctx, session) -> Session          (user activity: checks and extends)
    check_session(ctx, session) -> Session  (checks only, e.g. from a UI timer)
    logout(ctx, session) -> None
    wait_for_mail(timeout) -> bool          (reset mails go out in the background)

Decisions (SPEC leaves them open; the README quotes this list)
---------------------------------------------------------------

Login and enumeration (R-LOG-2..4)
  * One message, code ``login_failed``, for: a member number that is malformed or
    unknown, an unknown account, a wrong password, a deleted account and an expired
    account (with the right password, too). Every call costs exactly one bcrypt check,
    whatever the case: unknown accounts and unusable input (empty, NUL, broken
    surrogates) verify against a dummy hash (``passwords.verify_password``). The dummy
    hash is a well-formed bcrypt string of the configured cost built without hashing,
    so the first unknown-account login of a fresh process costs one check too. The
    database work around it (the company and the account look-ups, the account one
    with company id 0 for an unknown member number, and one audit insert, plus the
    counter update for a known account) is small next to bcrypt.
  * Input longer than the policy allows (``password_max_length``, 20 by default; never
    more than bcrypt's 72 bytes) is refused before bcrypt (R-LOG-3): it is never given
    to bcrypt; one check of a fixed placeholder against the dummy hash runs instead,
    so the refusal takes the time of a wrong password and tells nothing about the
    account. For a live account it counts as a failure (audit reason ``too_long``).
    Consequence: lowering ``password_max_length`` makes longer existing passwords
    unusable; those people reset their password (the code mail is the way back).
  * Lockout, as django-axes does it: ``lockout_threshold`` consecutive failures of a
    live account set ``locked_until = now + lockout_minutes``. While locked, the
    account answers with code ``locked`` (naming the minutes left) *whatever the
    password*: the password is still run through bcrypt (same cost) but its result is
    ignored, so a lock is never an oracle for the right password, and attempts during
    a lock are not counted (the lock is not extended). The lock message is only given
    for a live (not deleted, not expired) account; deleted and expired accounts always
    get ``login_failed``. Residual, accepted: someone who makes ``threshold`` failed
    attempts learns that an account exists (axes also counts unknown user names; that
    would need a throttle table keyed by member number + login id, which the schema
    does not have yet).
    The failure that reaches the threshold already answers ``locked``.
  * Counters are changed with one SQL UPDATE (``failed_count = failed_count + 1``,
    the lock computed in the same statement from the old values), so concurrent
    failures are all counted. When an expired lock is found by the next failure, the
    count restarts at 1. A successful login sets ``failed_count = 0`` and clears
    ``locked_until`` with a guarded UPDATE (only if the account is still live and not
    locked), so a lock set by a concurrent attempt wins.
  * Member numbers are matched case-insensitively (``normalize_member_no``), login ids
    by ``email_key``. A login id that is not printable text or is longer than 254
    characters is treated as unknown without a query.
  * Audit: ``login.success``, ``login.failure`` (with a reason), ``login.locked`` (when
    the lock is set, and when a locked account is refused). The actor is the login id
    as typed, with non-printable characters removed, at most 100 characters, when it
    names an account of the company; otherwise only a syntactically valid e-mail
    address is kept and anything else is recorded as ``(not an e-mail address)``
    (``NOT_AN_ADDRESS``): a password typed into the login-ID field never reaches the
    audit log. The target is the member number only when it names a company (as
    stored, e.g. ``M97-00339`` for ``ｍ９７－００３３９``); otherwise
    ``(unknown member number)`` (``UNKNOWN_MEMBER_NO``) when the text has the
    member-number shape, ``(not a member number)`` (``NOT_A_MEMBER_NO``) when not:
    text typed into the member-number field is never stored as typed (issue 11
    finding 9: a password typed into the wrong field reached the audit log; the shape
    alone is no guard, most passwords of the policy have it). The same holds for
    ``request_reset`` and ``complete_reset``. The company is recorded when the
    member number is known. Never a password. Nothing about a login is written to
    the log file.

Two-step login (R-OTP-1..3)
  * After a correct password for a company with the ``two_factor`` option, a
    6-digit code (``secrets.randbelow``) is mailed and ``LoginResult.challenge`` is
    returned. ``attempt`` is ``secrets.token_urlsafe(32)``; the database keeps only
    its SHA-256 (a database reader cannot complete someone's pending login).
  * Codes are stored as ``hmac-sha256k$<key id>$<salt>$<digest>``: HMAC-SHA256, under the
    server's secret key (``AppContext.secret_key``: not in the database, not in the data
    folder), of a per-challenge random salt followed by the code, so a copy of the
    database alone does not give away a live code (10^6 guesses of a keyless hash
    did, in under a second). Replacing the key voids the codes pending. A fast hash
    is enough here: a code lives ``otp_valid_minutes``, is used once and allows
    ``otp_max_attempts`` wrong entries, so what a leaked backup holds is expired by
    the time anyone reads it; a slow hash would only make each
    verification (and a flood of them) expensive. Comparison is constant-time.
  * The mail is sent *before* anything is written: when it fails (``MailError``) the
    login fails with code ``mail``, no challenge exists, the failure count is not
    touched (a correct password is not a failure) and an audit row notes it.
  * A new challenge voids the account's older live challenges (at most one live code
    per account).
  * The password step does *not* reset ``failed_count`` for a two-factor company;
    only a verified code does. Wrong codes count towards the account lockout as well
    as towards the challenge's own limit: otherwise someone who knows the password
    could log in again and again for fresh sets of guesses.
  * ``verify_otp``: valid while ``now <= issued_at + otp_valid_minutes`` (29:59 yes,
    30:01 no); full-width digits, spaces and hyphens are accepted; input that is not
    6 digits is refused (``otp_format``) without counting. The account is re-read:
    deleted or expired in between gives ``login_failed``, locked gives ``locked``,
    and the challenge is voided. Single use: ``UPDATE … SET used_at WHERE id AND
    used_at IS NULL AND voided = false AND version = ?``; only the caller whose
    UPDATE changed one row gets a Session.
  * ``resend_otp`` keeps the *same attempt id* and replaces the code (the old one is
    void at once: its hash is gone and the version moved). It is allowed
    ``otp_resend_seconds`` after the last issue; the wrong-entry count carries over
    (a resend is not a fresh set of guesses). The mail goes out first; if it fails
    the old code stays valid. If two resends race, one wins and the other's mail
    holds a dead code.
  * ``cancel_otp`` voids the challenge (idempotent, silent for unknown attempts).

Password reset (R-RST-1, R-RST-2)
  * The code is 8 characters from ``ABCDEFGHJKMNPQRSTUVWXYZ23456789`` (no 0/O, 1/I/L),
    about 40 bits, mailed as ``ABCD-EFGH``; input is case-insensitive, full-width and
    hyphens/spaces are accepted. Stored as salted HMAC-SHA256 like OTP codes; valid
    ``reset_valid_minutes``; single use (same guarded UPDATE as OTP); ``otp_max_attempts``
    wrong entries void it; a successful reset voids every other reset token and every
    pending OTP challenge of the account.
  * A new request (self-service or admin-sent) does *not* void a code already mailed
    (otherwise anyone who knows a login ID could keep voiding the owner's code): each
    live code works until it is used, voided or expires. The alternatives were worse:
    sending nothing while a code is live strands a user whose mail was lost, and the
    same code cannot be sent again (only its hash is stored). Several live codes give
    no more guesses: a wrong entry counts against *every* live code of the account, so
    ``otp_max_attempts`` wrong entries void them all. ``complete_reset`` compares the
    input with the ``RESET_CODES_CHECKED`` (10) newest live codes, always that many
    comparisons (padded with a dummy), so the time tells nothing about how many are
    live; self-service requests are limited (below), so more than 10 live codes only
    arise from many admin sends, and then the older ones cannot be used.
  * ``request_reset`` gives the same ``ResetRequested`` value whether or not the
    account exists, and does the same work (issue 11 finding 10: the time differed by
    0.3-0.6 ms between the cases): for a live account, an unknown account, an unknown
    (well-formed) member number, a deleted or expired account and a throttled request
    it runs the same statements in the same order, parameters aside: the company
    look-up, the account look-up (company id 0 when the member number is unknown),
    on PostgreSQL the row lock, the throttle count, the token INSERT (``INSERT ...
    SELECT`` from the account row, which adds nothing unless a mail is sent) and the
    audit INSERT; and a code, its hash and the mail are built in every case
    (``bench/reset_timing.py`` prints the timings; a test compares the statements).
    Only a live account (not deleted, not expired) gets a token and a mail. That
    mail is handed to a background thread (module-level pool, joined at interpreter
    exit), so SMTP latency is not part of the answer's time and cannot tell the
    cases apart; for the same reason a mail failure is not
    reported to the caller (that would reveal the account), only logged.
    ``wait_for_mail`` waits for pending deliveries (tests, the CLI).
  * Mail-bombing guard: at most ``reset_mail_limit`` (3) reset mails per account in
    any ``reset_mail_window_minutes`` (15): the ResetToken rows issued for the account
    in the window are counted *whatever their state* (voided by wrong entries, used,
    expired), so "request, five wrong codes, request again" cannot flood a mailbox
    (it sent 50 mails in 0.8 s before). Also, when a live token was issued less than
    ``otp_resend_seconds`` ago, a new request issues nothing (the earlier code stays
    valid). Either way the answer and the audit row are the same (``sent`` false in
    the row). One statement counts both; on PostgreSQL the account row is locked
    first (``FOR NO KEY UPDATE``) so concurrent requests count one after another (on
    SQLite the write transaction is ``BEGIN IMMEDIATE``). Admin-sent mails are not
    limited but their tokens count towards the self-service limit.
  * ``complete_reset`` checks the format, the confirmation and the policy first (no
    try is consumed), then the code. All code failures (no token, wrong, expired,
    voided, used, unknown account, an account deleted or expired since the code was
    sent) give one message, code ``reset_failed`` (an expired code is simply no
    longer among the live ones: audit reason ``no_token``). Wrong codes count towards
    the tokens only, not the account lockout (reset is the way out of a lock). Success
    sets the hash, clears ``failed_count`` and ``locked_until``, audits
    ``password.reset``. It does not log in: the next login of a two-factor company still
    asks for a one-time password.
  * ``admin_send_reset``: admin of the same company only (``authorize(admin=True)``;
    other company or deleted account: NotFound; an expired account: ValidationError
    code ``account_expired``, nothing sent). The mail is sent synchronously (an
    admin may see a ``MailError``) and before the token is stored, so a failure
    changes nothing. No throttle; older live codes stay valid. The admin never sees
    the code.

Own password, sessions
  * ``change_own_password``: confirmation and policy first; a locked account is
    refused at once with ``locked`` (before bcrypt, nothing counted, nothing written);
    then the current password with bcrypt. A wrong current password counts as a
    failed authentication (so an unattended terminal cannot be used to guess it: the
    lock then stops further tries). The new password must differ from the current
    one. The UPDATE that stores it matches only the row as read: same ``version``,
    not deleted, not locked (``locked_until`` empty or past) *and the same
    ``failed_count``* (failures do not move the version). So a lock, or a failure,
    counted by a concurrent attempt while bcrypt ran wins: the change is refused
    with ``locked`` (or ``ConflictError`` when a failure was counted without a lock)
    and nothing is written; 20 concurrent calls with one right password never change
    a locked account. Success voids pending OTP challenges and reset tokens; audits
    ``password.change``.
  * A lock from failed logins guards the password, not the sessions already logged
    in (R-SEC-4): anyone who knows a login ID can set it, so it must not be a way to
    throw the owner out. A locked account cannot log in, verify a code or change its
    password; its open sessions go on.
  * A password change or a completed reset (self-service or admin-sent) ends every
    *other* session of the account at its next call (R-SEC-4; Django's session auth
    hash): a Session made at login / OTP verification carries ``credential``, a short
    SHA-256 of the account's password hash (``context.credential_stamp``; never the
    bcrypt hash itself), and ``authorize`` compares it with the stored hash each call
    (constant-time), answering ``AuthError`` code ``session_password_changed``
    (「パスワードが変更されたため、ログアウトしました。…」) on a mismatch. The session
    that changed its own password gets the new value in place and goes on. Provider
    sessions have no account and are not affected; a profile update, unlock or role
    change does not touch the hash and ends nothing.
  * ``touch`` and ``check_session`` use ``context.authorize`` (idle timeout, deleted,
    expired, password changed elsewhere, role re-read; not the lock).
    ``check_session`` does not count as activity.
  * ``logout`` records ``logout``; sessions are values held by the UI, which drops it.
"""

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
from portplus_tui.core.errors import AuthError, ConflictError, PermissionDenied, ValidationError, not_found
from portplus_tui.core.password_policy import check_password
from portplus_tui.services import audit
from portplus_tui.services.context import AppContext, Session, authorize, credential_stamp
from portplus_tui.services.mail import MailError, OutgoingMail, otp_mail, reset_mail
from portplus_tui.services.passwords import (
    BCRYPT_MAX_BYTES,
    burn_one_check,
    hash_password,
    verify_password,
)
from portplus_tui.store import models as m
from portplus_tui.store.db import from_db, is_postgres, to_db

__all__ = [
    "LoginResult",
    "OtpChallengeInfo",
    "RESET_CODE_ALPHABET",
    "ResetRequested",
    "admin_send_reset",
    "cancel_otp",
    "change_own_password",
    "check_session",
    "complete_reset",
    "login",
    "logout",
    "request_reset",
    "resend_otp",
    "touch",
    "verify_otp",
    "wait_for_mail",
]

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


# ------------------------------------------------------------------------------ values
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
        if lang == "ja":
            return (
                "入力された会員番号とメールアドレスのアカウントが登録されている場合は、"
                "パスワード再設定のご案内メールを送信しました。"
                f"メールに記載の確認コードを{self.valid_minutes}分以内に入力してください。"
            )
        return (
            "If an account with this member number and e-mail address exists, a password "
            "reset e-mail has been sent. Enter the code from the e-mail within "
            f"{self.valid_minutes} minutes."
        )


# ------------------------------------------------------------------------------ errors
def _login_failed() -> AuthError:
    return AuthError(
        "会員番号、アカウント、またはパスワードが正しくありません。",
        "The member number, account or password is incorrect.",
        code="login_failed",
    )


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


def _locked(until: datetime, now: datetime) -> AuthError:
    n = _minutes_left(until, now)
    return AuthError(
        f"ログインに続けて失敗したため、このアカウントは一時的にロックされています。"
        f"{n}分後に再度お試しいただくか、パスワードを再設定してください。",
        f"This account is locked for now after too many failed attempts. Try again in "
        f"{n} minute{'s' if n != 1 else ''}, or reset your password.",
        code="locked",
    )


def _mail_failed_login() -> AuthError:
    return AuthError(
        "ワンタイムパスワードのメールを送信できなかったため、ログインできませんでした。"
        "しばらくしてから再度お試しください。",
        "The one-time password e-mail could not be sent, so you could not be logged in. "
        "Please try again later.",
        code="mail",
    )


def _mail_failed_resend() -> AuthError:
    return AuthError(
        "ワンタイムパスワードのメールを再送信できませんでした。しばらくしてから再度お試しください"
        "(先に送信したワンタイムパスワードは引き続き有効です)。",
        "The one-time password e-mail could not be sent again. Please try again later "
        "(the code sent before is still valid).",
        code="mail",
    )


def _otp_format() -> AuthError:
    return AuthError(
        "ワンタイムパスワード(6桁の数字)を入力してください。",
        "Enter the one-time password (6 digits).",
        code="otp_format", field="code",
    )


def _otp_invalid() -> AuthError:
    return AuthError(
        "このワンタイムパスワードは使用できません。もう一度ログインしてください。",
        "This one-time password can no longer be used. Please log in again.",
        code="otp_invalid",
    )


def _otp_expired() -> AuthError:
    return AuthError(
        "ワンタイムパスワードの有効期限が切れました。もう一度ログインしてください。",
        "The one-time password has expired. Please log in again.",
        code="otp_expired",
    )


def _otp_wrong(remaining: int) -> AuthError:
    return AuthError(
        f"ワンタイムパスワードが正しくありません(あと{remaining}回入力できます)。",
        f"The one-time password is incorrect ({remaining} more "
        f"{'try' if remaining == 1 else 'tries'}).",
        code="otp_wrong", field="code",
    )


def _otp_voided(limit: int) -> AuthError:
    return AuthError(
        f"ワンタイムパスワードを{limit}回間違えたため、無効になりました。もう一度ログインしてください。",
        f"The one-time password was entered wrongly {limit} times and is no longer valid. "
        "Please log in again.",
        code="otp_voided",
    )


def _otp_resend_wait(seconds: int) -> AuthError:
    return AuthError(
        f"ワンタイムパスワードの再送信は{seconds}秒後から可能です。",
        f"You can ask for a new one-time password in {seconds} "
        f"second{'s' if seconds != 1 else ''}.",
        code="otp_resend_wait",
    )


def _reset_failed() -> AuthError:
    return AuthError(
        "確認コードが正しくないか、有効期限が切れています。入力し直すか、"
        "パスワード再設定をもう一度お申し込みください。",
        "The code is wrong or has expired. Check it, or ask for a new password reset.",
        code="reset_failed", field="code",
    )


def _account_expired() -> ValidationError:
    return ValidationError(
        "有効期限が切れたアカウントにはパスワード再設定メールを送信できません。"
        "先に有効期限を延長してください。",
        "The account has expired, so no password reset e-mail can be sent to it. "
        "Extend its expiry date first.",
        field="account_id", code="account_expired",
    )


def _reset_code_format() -> ValidationError:
    return ValidationError(
        f"確認コード(メールに記載の英数字{RESET_CODE_LENGTH}文字)を入力してください。",
        f"Enter the code from the e-mail ({RESET_CODE_LENGTH} letters and digits).",
        field="code",
    )


def _confirm_mismatch(field: str) -> ValidationError:
    return ValidationError(
        "新しいパスワードと確認用のパスワードが一致しません。",
        "The new password and its confirmation do not match.",
        field=field,
    )


# ------------------------------------------------------------------------------ helpers
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
        raise _otp_format()
    s = unicodedata.normalize("NFKC", code).translate(_SEPARATORS)
    if not _OTP_RE.fullmatch(s):
        raise _otp_format()
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
    return (
        m.CompanyOption.select()
        .where(
            (m.CompanyOption.company == company_id)
            & (m.CompanyOption.code == m.OPTION_TWO_FACTOR)
            & (m.CompanyOption.enabled == True)  # noqa: E712
        )
        .exists()
    )


def _register_failure(ctx: AppContext, account_id: int, now: datetime) -> datetime | None:
    """Count one failed authentication in one UPDATE; return ``locked_until`` when the
    account is locked afterwards. Call inside a transaction."""
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
    row = A.select(A.failed_count, A.locked_until).where(A.id == account_id).first()
    if row is None:
        return None
    return _is_locked(row, now)


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


# ------------------------------------------------------------------------------ login
def login(ctx: AppContext, member_no: str, login_id: str, password: str) -> LoginResult:
    """Check the credentials (R-LOG-1..4); see the module docstring for every rule.

    Raises ``AuthError`` (codes ``login_failed``, ``locked``, ``mail``) and nothing
    else for any input.
    """
    s = ctx.settings
    now = ctx.now()
    company, account = _find(_member_key(member_no), _login_key(login_id))
    target = _member_target(company, member_no)
    actor = _login_actor(login_id, account)

    # Exactly one bcrypt check on every path. Input longer than the policy allows is
    # refused before bcrypt: it never reaches bcrypt, a fixed placeholder is checked
    # against the dummy hash instead, so the refusal costs what a wrong password costs
    # (as for no account, or input that cannot be a password: empty, NUL, broken).
    too_long = not _within_policy_length(password, s)
    if too_long:
        burn_one_check(s.bcrypt_rounds)
        ok = False
    else:
        ok = verify_password(password, account.password_hash if account else None,
                             s.bcrypt_rounds)

    company_id = company.id if company is not None else None
    if account is None or not _is_live(account, now):
        reason = ("unknown_member" if company is None else "unknown_account" if account is None
                  else "deleted" if account.deleted else "expired")
        with ctx.db.atomic():
            audit.record(ctx, "login.failure", company_id=company_id,
                         account_id=account.id if account is not None else None,
                         actor=actor, target=target, after={"reason": reason})
        raise _login_failed()

    locked_until = _is_locked(account, now)
    if locked_until is not None:
        with ctx.db.atomic():
            audit.record(ctx, "login.locked", company_id=company_id, account_id=account.id,
                         actor=actor, target=target,
                         after={"reason": "refused_while_locked", "locked_until": locked_until})
        raise _locked(locked_until, now)

    if not ok:
        with ctx.db.atomic():
            locked_until = _register_failure(ctx, account.id, now)
            audit.record(ctx, "login.failure", company_id=company_id, account_id=account.id,
                         actor=actor, target=target,
                         after={"reason": "too_long" if too_long else "wrong_password"})
            if locked_until is not None:
                audit.record(ctx, "login.locked", company_id=company_id, account_id=account.id,
                             actor=actor, target=target,
                             after={"reason": "threshold", "locked_until": locked_until})
        if locked_until is not None:
            raise _locked(locked_until, now)
        raise _login_failed()

    if _two_factor(company.id):
        return LoginResult(challenge=_issue_challenge(ctx, company, account, now, actor, target))

    with ctx.db.atomic():
        if _clear_failures(account.id, now) != 1:
            # Locked or deleted by someone else since we read it: re-read and refuse.
            raise _refusal_after_change(account.id, now)
        audit.record(ctx, "login.success", company_id=company_id, account_id=account.id,
                     actor=actor, target=target, after={"two_factor": False})
    return LoginResult(session=_new_session(company, account, now))


def _refusal_after_change(account_id: int, now: datetime) -> AuthError:
    row = m.Account.get_or_none(m.Account.id == account_id)
    if row is not None and _is_live(row, now):
        until = _is_locked(row, now)
        if until is not None:
            return _locked(until, now)
    return _login_failed()


def _issue_challenge(ctx: AppContext, company: m.Company, account: m.Account, now: datetime,
                     actor: str, target: str) -> OtpChallengeInfo:
    s = ctx.settings
    attempt = secrets.token_urlsafe(32)
    code = _new_otp_code()
    code_hash = _hash_secret(code, ctx.secret_key())  # before the mail: no key, no code sent
    expires_at = now + timedelta(minutes=s.otp_valid_minutes)
    try:
        ctx.get_mailer().send(otp_mail(account.login_id, code, s.otp_valid_minutes))
    except MailError:
        log.warning("one-time password mail for account %s not sent", account.id)
        with ctx.db.atomic():
            audit.record(ctx, "login.failure", company_id=company.id, account_id=account.id,
                         actor=actor, target=target, after={"reason": "mail"})
        raise _mail_failed_login() from None
    with ctx.db.atomic():
        _void_live_challenges(account.id)
        m.OtpChallenge.create(
            account=account.id, attempt=_attempt_key(attempt), code_hash=code_hash,
            issued_at=to_db(now), expires_at=to_db(expires_at),
        )
        audit.record(ctx, "login.otp_sent", company_id=company.id, account_id=account.id,
                     actor=actor, target=target)
    return OtpChallengeInfo(
        attempt=attempt,
        masked_email=v.mask_email(account.login_id),
        expires_at=expires_at,
        resend_at=now + timedelta(seconds=s.otp_resend_seconds),
    )


# ------------------------------------------------------------------------------ OTP
def _load_challenge(attempt: Any) -> tuple[m.OtpChallenge, m.Account, m.Company] | None:
    key = _attempt_key(attempt)
    if key is None:
        return None
    row = (
        m.OtpChallenge.select(m.OtpChallenge, m.Account, m.Company)
        .join(m.Account)
        .join(m.Company)
        .where(m.OtpChallenge.attempt == key)
        .first()
    )
    if row is None:
        return None
    return row, row.account, row.account.company


def _live_challenge(attempt: Any, now: datetime) -> tuple[m.OtpChallenge, m.Account, m.Company]:
    found = _load_challenge(attempt)
    if found is None:
        raise _otp_invalid()
    challenge, account, company = found
    if challenge.used_at is not None or challenge.voided:
        raise _otp_invalid()
    if now > from_db(challenge.expires_at):
        raise _otp_expired()
    return challenge, account, company


def _check_account_for_challenge(ctx: AppContext, challenge: m.OtpChallenge, account: m.Account,
                                 company: m.Company, now: datetime) -> None:
    """Refuse (and void the challenge) when the account was deleted, expired or locked
    since the password step."""
    if _is_live(account, now):
        until = _is_locked(account, now)
        if until is None:
            return
        error, reason = _locked(until, now), "locked"
    else:
        error, reason = _login_failed(), "deleted" if account.deleted else "expired"
    C = m.OtpChallenge
    with ctx.db.atomic():
        (C.update({C.voided: True, C.version: C.version + 1})
         .where((C.id == challenge.id) & C.used_at.is_null()).execute())
        audit.record(ctx, "otp.voided", company_id=company.id, account_id=account.id,
                     actor=account.login_id, target=account.login_id, after={"reason": reason})
    raise error


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


def verify_otp(ctx: AppContext, attempt: str, code: str) -> Session:
    """Check the one-time password of a login attempt; a Session on success (R-OTP-2).

    Raises ``AuthError``: ``otp_format``, ``otp_invalid``, ``otp_expired``,
    ``otp_wrong``, ``otp_voided``, ``locked``, ``login_failed``.
    """
    s = ctx.settings
    now = ctx.now()
    digits = _normalize_otp(code)
    challenge, account, company = _live_challenge(attempt, now)
    _check_account_for_challenge(ctx, challenge, account, company, now)
    C = m.OtpChallenge

    if not _check_secret(digits, challenge.code_hash, ctx.secret_key()):
        limit = s.otp_max_attempts
        with ctx.db.atomic():
            changed = (
                C.update({
                    C.failures: C.failures + 1,
                    C.voided: peewee.Case(None, [(C.failures + 1 >= limit, True)], C.voided),
                    C.version: C.version + 1,
                })
                .where((C.id == challenge.id) & C.used_at.is_null() & (C.voided == False))  # noqa: E712
                .execute()
            )
            if changed != 1:
                raise _otp_invalid()
            failures = C.select(C.failures).where(C.id == challenge.id).scalar()
            locked_until = _register_failure(ctx, account.id, now)
            audit.record(ctx, "otp.failure", company_id=company.id, account_id=account.id,
                         actor=account.login_id, target=account.login_id,
                         after={"failures": failures, "voided": failures >= limit})
            if locked_until is not None:
                audit.record(ctx, "login.locked", company_id=company.id, account_id=account.id,
                             actor=account.login_id, target=account.login_id,
                             after={"reason": "threshold", "locked_until": locked_until})
        if locked_until is not None:
            if failures < limit:  # the account lock makes the code useless anyway
                with ctx.db.atomic():
                    (C.update({C.voided: True, C.version: C.version + 1})
                     .where((C.id == challenge.id) & C.used_at.is_null()).execute())
            raise _locked(locked_until, now)
        if failures >= limit:
            raise _otp_voided(limit)
        raise _otp_wrong(limit - failures)

    with ctx.db.atomic():
        if not _consume(C, challenge, now):
            raise _otp_invalid()
        if _clear_failures(account.id, now) != 1:
            raise _refusal_after_change(account.id, now)
        audit.record(ctx, "login.success", company_id=company.id, account_id=account.id,
                     actor=account.login_id, target=company.member_no,
                     after={"two_factor": True})
    return _new_session(company, account, now)


def resend_otp(ctx: AppContext, attempt: str) -> OtpChallengeInfo:
    """Mail a new code for the same attempt; the previous code is void (R-OTP-2)."""
    s = ctx.settings
    now = ctx.now()
    challenge, account, company = _live_challenge(attempt, now)
    _check_account_for_challenge(ctx, challenge, account, company, now)
    ready_at = from_db(challenge.issued_at) + timedelta(seconds=s.otp_resend_seconds)
    if now < ready_at:
        raise _otp_resend_wait(max(1, math.ceil((ready_at - now).total_seconds())))

    code = _new_otp_code()
    code_hash = _hash_secret(code, ctx.secret_key())  # before the mail: no key, no code sent
    try:
        ctx.get_mailer().send(otp_mail(account.login_id, code, s.otp_valid_minutes))
    except MailError:
        log.warning("one-time password mail (resend) for account %s not sent", account.id)
        raise _mail_failed_resend() from None

    expires_at = now + timedelta(minutes=s.otp_valid_minutes)
    C = m.OtpChallenge
    with ctx.db.atomic():
        changed = (
            C.update({
                C.code_hash: code_hash,
                C.issued_at: to_db(now),
                C.expires_at: to_db(expires_at),
                C.version: C.version + 1,
            })
            .where(
                (C.id == challenge.id)
                & C.used_at.is_null()
                & (C.voided == False)  # noqa: E712
                & (C.version == challenge.version)
            )
            .execute()
        )
        if changed != 1:
            raise _otp_invalid()
        audit.record(ctx, "otp.resend", company_id=company.id, account_id=account.id,
                     actor=account.login_id, target=account.login_id)
    return OtpChallengeInfo(
        attempt=attempt,
        masked_email=v.mask_email(account.login_id),
        expires_at=expires_at,
        resend_at=now + timedelta(seconds=s.otp_resend_seconds),
    )


def cancel_otp(ctx: AppContext, attempt: str) -> None:
    """キャンセル: void the attempt's code. Silent when there is nothing to void."""
    found = _load_challenge(attempt)
    if found is None:
        return
    challenge, account, company = found
    C = m.OtpChallenge
    with ctx.db.atomic():
        changed = (
            C.update({C.voided: True, C.version: C.version + 1})
            .where((C.id == challenge.id) & C.used_at.is_null() & (C.voided == False))  # noqa: E712
            .execute()
        )
        if changed:
            audit.record(ctx, "otp.cancel", company_id=company.id, account_id=account.id,
                         actor=account.login_id, target=account.login_id)


# ------------------------------------------------------------------------------ reset
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


def _store_reset_token(ctx: AppContext, account_id: int, code: str, now: datetime) -> None:
    """Store a new token; older live ones stay valid (a code already mailed is not
    taken away by a new request). Call inside a transaction."""
    m.ResetToken.create(
        account=account_id, code_hash=_hash_secret(code, ctx.secret_key()),
        issued_at=to_db(now),
        expires_at=to_db(now + timedelta(minutes=ctx.settings.reset_valid_minutes)),
    )


def _lock_account_row(ctx: AppContext, account_id: int) -> None:
    """PostgreSQL: lock the account row until the end of the transaction, so that
    concurrent reset requests count the tokens one after another (SQLite: the write
    transaction already holds the database's write lock). Matches nothing for 0."""
    if is_postgres(ctx.db):
        A = m.Account
        A.select(A.id).where(A.id == account_id).for_update("FOR NO KEY UPDATE").execute()


def _reset_mail_counts(ctx: AppContext, account_id: int, now: datetime) -> tuple[int, int]:
    """One statement: the reset tokens issued for the account in the last
    ``reset_mail_window_minutes`` (whatever their state: voided and used ones count),
    and the live ones issued in the last ``otp_resend_seconds``."""
    s = ctx.settings
    T = m.ResetToken
    window_start = to_db(now - timedelta(minutes=s.reset_mail_window_minutes))
    resend_start = to_db(now - timedelta(seconds=s.otp_resend_seconds))
    recent_live = ((T.issued_at > resend_start) & T.used_at.is_null()
                   & (T.voided == False)  # noqa: E712
                   & (T.expires_at >= to_db(now)))
    issued, recent = (
        T.select(peewee.fn.SUM(peewee.Case(None, [(T.issued_at > window_start, 1)], 0)),
                 peewee.fn.SUM(peewee.Case(None, [(recent_live, 1)], 0)))
        .where((T.account == account_id) & (T.issued_at > min(window_start, resend_start)))
        .scalar(as_tuple=True)
    )
    return int(issued or 0), int(recent or 0)


def request_reset(ctx: AppContext, member_no: str, email: str) -> ResetRequested:
    """パスワードをお忘れの場合: mail a reset code to a live account (R-RST-1).

    The same answer, and the same work, whether or not the account exists. Raises
    ``ValidationError`` only for a malformed member number or e-mail address.
    """
    s = ctx.settings
    member_key = v.normalize_member_no(member_no)
    address = v.normalize_email(email, field="email")
    now = ctx.now()
    company, account = _find(member_key, v.email_key(address))
    live = account is not None and _is_live(account, now)
    account_id = account.id if live else 0  # 0: no such row; the statements below match nothing

    code = _new_reset_code()
    code_hash = _hash_secret(code, ctx.secret_key())  # the same work as storing one
    mail = reset_mail(account.login_id if live else _UNKNOWN_ADDRESS, _display_reset_code(code),
                      s.reset_valid_minutes, member_key)
    T, A = m.ResetToken, m.Account
    with ctx.db.atomic():
        _lock_account_row(ctx, account_id)  # concurrent requests count one after another
        issued, recent = _reset_mail_counts(ctx, account_id, now)
        send = live and not recent and issued < s.reset_mail_limit
        # The token INSERT runs in every case, as INSERT ... SELECT from the account
        # row: it adds a row only when a mail is sent (id 0 matches nothing), so every
        # case runs the same statements (issue 11 finding 10).
        values = A.select(A.id, peewee.Value(code_hash), peewee.Value(to_db(now)),
                          peewee.Value(to_db(now + timedelta(minutes=s.reset_valid_minutes))),
                          peewee.Value(0), peewee.Value(False), peewee.Value(1))
        T.insert_from(values.where(A.id == (account_id if send else 0)),
                      [T.account, T.code_hash, T.issued_at, T.expires_at, T.failures,
                       T.voided, T.version]).execute()
        audit.record(ctx, "password.reset_request",
                     company_id=company.id if company is not None else None,
                     account_id=account.id if account is not None else None,
                     actor=_printable(email, _ACTOR_MAX),
                     target=_member_target(company, member_no),
                     after={"sent": send})
    if send:
        _send_in_background(ctx.get_mailer(), mail)
    return ResetRequested(valid_minutes=s.reset_valid_minutes)


def complete_reset(ctx: AppContext, member_no: str, email: str, code: str,
                   new_password: str, new_password_confirm: str) -> None:
    """Set a new password with the mailed code (R-RST-1). Does not log in.

    Raises ``ValidationError`` (format, confirmation, policy: nothing consumed) or
    ``AuthError`` code ``reset_failed`` (one message for every code problem).
    """
    s = ctx.settings
    member_key = v.normalize_member_no(member_no)
    address = v.normalize_email(email, field="email")
    clean_code = _normalize_reset_code(code)
    check_password(new_password, login_id=address, min_length=s.password_min_length,
                   max_length=s.password_max_length, field="new_password")
    if new_password != new_password_confirm:
        raise _confirm_mismatch("new_password_confirm")

    now = ctx.now()
    company, account = _find(member_key, v.email_key(address))
    T = m.ResetToken
    tokens: list[m.ResetToken] = []
    live = account is not None and _is_live(account, now)
    if live:  # deleted or expired since the code was sent: it cannot be used
        tokens = list(
            T.select()
            .where((T.account == account.id) & T.used_at.is_null()
                   & (T.voided == False)  # noqa: E712
                   & (T.expires_at >= to_db(now)))
            .order_by(T.id.desc())
            .limit(RESET_CODES_CHECKED)
        )
    actor = _printable(email, _ACTOR_MAX)
    target = _member_target(company, member_no)
    # Every live code is checked (several may be live: a new request does not void
    # the code already mailed), and always RESET_CODES_CHECKED comparisons, padded
    # with a dummy: the number of live codes does not show in the time.
    key = ctx.secret_key()
    hashes = [t.code_hash for t in tokens] + [""] * (RESET_CODES_CHECKED - len(tokens))
    matches = [_check_secret(clean_code, stored, key) for stored in hashes]
    token = next((t for t, ok in zip(tokens, matches) if ok), None)
    if not tokens:
        with ctx.db.atomic():
            audit.record(ctx, "password.reset_failure",
                         company_id=company.id if company is not None else None,
                         account_id=account.id if account is not None else None,
                         actor=actor, target=target,
                         after={"reason": ("account_not_live" if account is not None and not live
                                           else "no_token")})
        raise _reset_failed()

    if token is None:  # a wrong code counts against every live code of the account
        limit = s.otp_max_attempts
        with ctx.db.atomic():
            (T.update({
                T.failures: T.failures + 1,
                T.voided: peewee.Case(None, [(T.failures + 1 >= limit, True)], T.voided),
                T.version: T.version + 1,
            })
             .where(T.id.in_([t.id for t in tokens]) & T.used_at.is_null()
                    & (T.voided == False))  # noqa: E712
             .execute())
            audit.record(ctx, "password.reset_failure", company_id=company.id,
                         account_id=account.id, actor=actor, target=target,
                         after={"reason": "wrong"})
        raise _reset_failed()

    new_hash = hash_password(new_password, s.bcrypt_rounds)  # bcrypt outside the transaction
    A = m.Account
    with ctx.db.atomic():
        if not _consume(T, token, now):
            raise _reset_failed()
        changed = (
            A.update({
                A.password_hash: new_hash,
                A.failed_count: 0,
                A.locked_until: None,
                A.password_changed_at: to_db(now),
                A.updated_at: to_db(now),
                A.version: A.version + 1,
            })
            .where((A.id == account.id) & (A.deleted == False))  # noqa: E712
            .execute()
        )
        if changed != 1:
            raise _reset_failed()
        _void_live_tokens(account.id)
        _void_live_challenges(account.id)
        audit.record(ctx, "password.reset", company_id=company.id, account_id=account.id,
                     actor=account.login_id, target=account.login_id,
                     before={"failed_count": account.failed_count,
                             "locked_until": from_db(account.locked_until)},
                     after={"failed_count": 0, "locked_until": None})


def admin_send_reset(ctx: AppContext, session: Session, account_id: int) -> None:
    """An admin sends a reset mail to an account of their company (R-RST-2)."""
    authorize(ctx, session, admin=True)
    s = ctx.settings
    target = None
    if isinstance(account_id, int) and not isinstance(account_id, bool):
        target = (
            m.Account.select()
            .where(
                (m.Account.id == account_id)
                & (m.Account.company == session.company_id)
                & (m.Account.deleted == False)  # noqa: E712
            )
            .first()
        )
    if target is None:
        raise not_found("アカウント", "Account", field="account_id")
    now = ctx.now()
    if not _is_live(target, now):
        raise _account_expired()
    code = _new_reset_code()
    ctx.get_mailer().send(reset_mail(target.login_id, _display_reset_code(code),
                                     s.reset_valid_minutes, session.member_no))
    with ctx.db.atomic():
        _store_reset_token(ctx, target.id, code, now)
        audit.record(ctx, "password.reset_mail", session=session, target=target.login_id)


# ------------------------------------------------------------------------------ own password
def change_own_password(ctx: AppContext, session: Session, current: str, new: str,
                        confirm: str) -> None:
    """Change the acting account's password (R-ACC-4): current once, new twice."""
    account = authorize(ctx, session)
    if account is None:
        raise PermissionDenied(
            "サービス提供者のセッションにはパスワードがありません。",
            "A provider session has no password to change.",
        )
    s = ctx.settings
    check_password(new, login_id=account.login_id, min_length=s.password_min_length,
                   max_length=s.password_max_length, field="new_password")
    if new != confirm:
        raise _confirm_mismatch("new_password_confirm")
    now = ctx.now()
    locked_until = _is_locked(account, now)
    if locked_until is not None:  # a locked account changes nothing: refused before bcrypt
        raise _locked(locked_until, now)
    if _within_policy_length(current, s):
        current_ok = verify_password(current, account.password_hash, s.bcrypt_rounds)
    else:  # refused before bcrypt, at the cost of a wrong password
        burn_one_check(s.bcrypt_rounds)
        current_ok = False
    if not current_ok:
        with ctx.db.atomic():
            locked_until = _register_failure(ctx, account.id, now)
            audit.record(ctx, "password.change_failure", session=session,
                         target=account.login_id, after={"reason": "wrong_current"})
            if locked_until is not None:
                audit.record(ctx, "login.locked", session=session, target=account.login_id,
                             after={"reason": "threshold", "locked_until": locked_until})
        if locked_until is not None:
            raise _locked(locked_until, now)
        raise AuthError(
            "現在のパスワードが正しくありません。",
            "The current password is incorrect.",
            code="wrong_password", field="current_password",
        )
    if new == current:
        raise ValidationError(
            "新しいパスワードには現在と異なるパスワードを設定してください。",
            "The new password must differ from the current one.",
            field="new_password",
        )
    new_hash = hash_password(new, s.bcrypt_rounds)
    A = m.Account
    now_db = to_db(now)
    with ctx.db.atomic():
        # Guarded: only the row as it was read (version), still live, not locked, and
        # with no failure counted since (failed_count is not part of the version): a
        # lock or a failure that lands while bcrypt ran wins over this change.
        changed = (
            A.update({
                A.password_hash: new_hash,
                A.failed_count: 0,
                A.locked_until: None,
                A.password_changed_at: now_db,
                A.updated_at: now_db,
                A.version: A.version + 1,
            })
            .where((A.id == account.id) & (A.version == account.version)
                   & (A.deleted == False)  # noqa: E712
                   & (A.locked_until.is_null() | (A.locked_until <= now_db))
                   & (A.failed_count == account.failed_count))
            .execute()
        )
        if changed != 1:
            fresh = A.get_or_none(A.id == account.id)
            until = _is_locked(fresh, now) if fresh is not None else None
            if until is not None:
                raise _locked(until, now)
            raise ConflictError(
                "アカウントが他の操作で変更されました。画面を開き直してから、もう一度お試しください。",
                "The account was changed by someone else. Reload and try again.",
            )
        _void_live_tokens(account.id)
        _void_live_challenges(account.id)
        audit.record(ctx, "password.change", session=session, target=account.login_id)
    # This session goes on; every other session of the account ends at its next call.
    session.credential = credential_stamp(new_hash)


# ------------------------------------------------------------------------------ sessions
def touch(ctx: AppContext, session: Session) -> Session:
    """User activity: check the session (idle timeout, account state, role) and extend it."""
    authorize(ctx, session)
    return session


def check_session(ctx: AppContext, session: Session) -> Session:
    """Check the session like ``touch`` without counting it as activity."""
    last = session.last_activity
    try:
        authorize(ctx, session)
    finally:
        session.last_activity = last
    return session


def logout(ctx: AppContext, session: Session) -> None:
    """ログアウト: record it. Never fails for an ended or revoked session."""
    if session.is_provider:
        return
    with ctx.db.atomic():
        exists = (
            m.Account.select()
            .where((m.Account.id == session.account_id) & (m.Account.company == session.company_id))
            .exists()
        )
        audit.record(ctx, "logout", session=session,
                     account_id=session.account_id if exists else None,
                     target=session.login_id)
