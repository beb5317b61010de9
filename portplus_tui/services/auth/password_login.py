"""The password step of the login (R-LOG-1..4); the rules are in the package docstring."""

from __future__ import annotations

import logging

from portplus_tui.services import audit
from portplus_tui.services.auth.common import (
    LoginResult,
    _clear_failures,
    _find,
    _is_live,
    _is_locked,
    _locked,
    _login_actor,
    _login_failed,
    _login_key,
    _member_key,
    _member_target,
    _new_session,
    _refusal_after_change,
    _register_failure,
    _two_factor,
    _within_policy_length,
)
from portplus_tui.services.auth.otp import issue_challenge
from portplus_tui.services.context import AppContext
from portplus_tui.services.passwords import (
    burn_one_check,
    verify_password,
)

log = logging.getLogger(__name__)


def login(ctx: AppContext, member_no: str, login_id: str, password: str) -> LoginResult:
    """Check the credentials (R-LOG-1..4); see the package docstring for every rule.

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
        return LoginResult(challenge=issue_challenge(ctx, company, account, now, actor, target))

    with ctx.db.atomic():
        if _clear_failures(account.id, now) != 1:
            # Locked or deleted by someone else since we read it: re-read and refuse.
            raise _refusal_after_change(account.id, now)
        audit.record(ctx, "login.success", company_id=company_id, account_id=account.id,
                     actor=actor, target=target, after={"two_factor": False})
    return LoginResult(session=_new_session(company, account, now))
