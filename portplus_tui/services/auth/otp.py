"""The two-step login: the mailed code, its check, resend and cancel (R-OTP-1..3)."""

from __future__ import annotations

import logging
import math
import secrets
from datetime import datetime, timedelta
from typing import Any

import peewee

from portplus_tui.core import validation as v
from portplus_tui.core.errors import refusal
from portplus_tui.services import audit
from portplus_tui.services.auth.common import (
    OtpChallengeInfo,
    _attempt_key,
    _check_secret,
    _clear_failures,
    _consume,
    _hash_secret,
    _is_live,
    _is_locked,
    _locked,
    _login_failed,
    _new_otp_code,
    _new_session,
    _normalize_otp,
    _otp_resend_wait,
    _otp_wrong,
    _refusal_after_change,
    _register_failure,
    _void_live_challenges,
)
from portplus_tui.services.context import AppContext, Session
from portplus_tui.services.mail import MailError, otp_mail
from portplus_tui.store import models as m
from portplus_tui.store.db import from_db, to_db

log = logging.getLogger(__name__)


def issue_challenge(ctx: AppContext, company: m.Company, account: m.Account, now: datetime,
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
        raise refusal("auth.mail") from None
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
        raise refusal("auth.otp_invalid")
    challenge, account, company = found
    if challenge.used_at is not None or challenge.voided:
        raise refusal("auth.otp_invalid")
    if now > from_db(challenge.expires_at):
        raise refusal("auth.otp_expired")
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
                raise refusal("auth.otp_invalid")
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
            raise refusal("auth.otp_voided", limit=limit)
        raise _otp_wrong(limit - failures)

    with ctx.db.atomic():
        if not _consume(C, challenge, now):
            raise refusal("auth.otp_invalid")
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
        raise refusal("auth.mail.2") from None

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
            raise refusal("auth.otp_invalid")
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
