"""Password reset by mailed code (R-RST), the administrator's reset mail, and the
acting account's own password change (R-ACC-4)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import peewee

from portplus_tui.core import validation as v
from portplus_tui.core.errors import AuthError, ConflictError, PermissionDenied, ValidationError, not_found, refusal
from portplus_tui.core.messages import texts
from portplus_tui.core.password_policy import check_password
from portplus_tui.services import audit
from portplus_tui.services.auth.common import (
    _ACTOR_MAX,
    _UNKNOWN_ADDRESS,
    RESET_CODES_CHECKED,
    ResetRequested,
    _account_expired,
    _check_secret,
    _confirm_mismatch,
    _consume,
    _display_reset_code,
    _find,
    _hash_secret,
    _is_live,
    _is_locked,
    _locked,
    _member_target,
    _new_reset_code,
    _normalize_reset_code,
    _printable,
    _register_failure,
    _send_in_background,
    _void_live_challenges,
    _void_live_tokens,
    _within_policy_length,
)
from portplus_tui.services.context import AppContext, Session, authorize, credential_stamp
from portplus_tui.services.mail import reset_mail
from portplus_tui.services.passwords import (
    burn_one_check,
    hash_password,
    verify_password,
)
from portplus_tui.store import models as m
from portplus_tui.store.db import from_db, is_postgres, to_db

log = logging.getLogger(__name__)


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
        A.select(A.id).where(A.id == account_id).for_update("FOR NO KEY UPDATE").execute()  # type: ignore[arg-type]  # peewee takes the clause text


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
        raise refusal("auth.reset_failed", field="code")

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
        raise refusal("auth.reset_failed", field="code")

    new_hash = hash_password(new_password, s.bcrypt_rounds)  # bcrypt outside the transaction
    A = m.Account
    with ctx.db.atomic():
        if not _consume(T, token, now):
            raise refusal("auth.reset_failed", field="code")
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
            raise refusal("auth.reset_failed", field="code")
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
        raise not_found(*texts('auth.admin_send_reset'), field="account_id")
    now = ctx.now()
    if not _is_live(target, now):
        raise _account_expired()
    code = _new_reset_code()
    ctx.get_mailer().send(reset_mail(target.login_id, _display_reset_code(code),
                                     s.reset_valid_minutes, session.member_no))
    with ctx.db.atomic():
        _store_reset_token(ctx, target.id, code, now)
        audit.record(ctx, "password.reset_mail", session=session, target=target.login_id)


def change_own_password(ctx: AppContext, session: Session, current: str, new: str,
                        confirm: str) -> None:
    """Change the acting account's password (R-ACC-4): current once, new twice."""
    account = authorize(ctx, session)
    if account is None:
        raise PermissionDenied(
            *texts('auth.change_own_password'),
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
            *texts('auth.wrong_password'),
            code="wrong_password", field="current_password",
        )
    if new == current:
        raise ValidationError(
            *texts('auth.change_own_password.2'),
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
                *texts('auth.change_own_password.3'),
            )
        _void_live_tokens(account.id)
        _void_live_challenges(account.id)
        audit.record(ctx, "password.change", session=session, target=account.login_id)
    # This session goes on; every other session of the account ends at its next call.
    session.credential = credential_stamp(new_hash)
