"""Issue 11, finding 6 (the lock): a lock caused by failed logins guards the password,
not the sessions already logged in (R-SEC-4). A locked account still cannot log in,
and cannot change its password: ``change_own_password`` refuses at once with
``locked`` (findings 4 and 6)."""

from __future__ import annotations

import bcrypt

from portplus_tui.services import accounts, auth

from .test_auth import MEMBER, USER_PW, auth_error, checkpw_calls, row  # noqa: F401

NEW_PW = "fresh-pass-9"
WRONG = "wrong-pass-1"


def login(ctx):
    return auth.login(ctx, MEMBER, "user@example.com", USER_PW).session


def has_password(account_id: int, password: str) -> bool:
    return bcrypt.checkpw(password.encode(), row(account_id).password_hash.encode())


def test_failed_logins_do_not_end_a_session_already_logged_in(ctx, tenant):
    session = login(ctx)
    for _ in range(5):  # anyone who knows the login ID
        auth_error(auth.login, ctx, MEMBER, "user@example.com", WRONG)
    assert row(tenant.user.id).locked_until is not None
    assert auth.touch(ctx, session) is session
    assert auth.check_session(ctx, session) is session
    assert [a.id for a in accounts.list_accounts(ctx, session)] == [tenant.user.id]
    # the lock still guards the password: no new login
    assert auth_error(auth.login, ctx, MEMBER, "user@example.com", USER_PW).code == "locked"


def test_a_locked_account_cannot_change_its_password(ctx, tenant, checkpw_calls):  # noqa: F811
    session = login(ctx)
    for _ in range(5):  # someone else, at the login screen
        auth_error(auth.login, ctx, MEMBER, "user@example.com", WRONG)
    checkpw_calls.clear()
    err = auth_error(auth.change_own_password, ctx, session, USER_PW, NEW_PW, NEW_PW)
    assert err.code == "locked"
    assert checkpw_calls == []  # refused at once, before bcrypt
    assert has_password(tenant.user.id, USER_PW)
    assert row(tenant.user.id).failed_count == 5  # not counted either
