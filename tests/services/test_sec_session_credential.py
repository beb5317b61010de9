"""Issue 11, finding 5 (R-SEC-4): a password change or a completed reset ends every
other session of the account at its next call; the session that changed its own
password stays valid. The Session carries a value derived from the password hash
(never the bcrypt hash itself)."""

from __future__ import annotations

from dataclasses import astuple

import pytest

from portplus_tui.services import accounts, auth
from portplus_tui.services.companies import provider_session

from .conftest import MEMBER_2FA, session_for
from .test_auth import MEMBER, USER_PW, auth_error, otp_in, reset_code_in, sent

NEW_PW = "fresh-pass-9"
ENDED = "session_password_changed"


def login(ctx, member_no=MEMBER, login_id="user@example.com", password=USER_PW):
    return auth.login(ctx, member_no, login_id, password).session


def reset_by_code(ctx, member_no=MEMBER, email="user@example.com", password=NEW_PW):
    code = reset_code_in(sent(ctx)[-1])
    auth.complete_reset(ctx, member_no, email, code, password, password)


def test_own_change_ends_the_other_sessions_but_not_this_one(ctx, tenant):
    here, there = login(ctx), login(ctx)
    fixture_made = session_for(ctx, tenant.company, tenant.user)
    auth.change_own_password(ctx, here, USER_PW, NEW_PW, NEW_PW)
    assert auth.touch(ctx, here) is here
    accounts.list_accounts(ctx, here)
    for other in (there, fixture_made):
        err = auth_error(auth.touch, ctx, other)
        assert err.code == ENDED
        assert "パスワードが変更された" in err.message("ja")
        assert auth_error(auth.check_session, ctx, other).code == ENDED
    # a fresh login with the new password works
    assert auth.touch(ctx, login(ctx, password=NEW_PW))


def test_completed_reset_ends_every_session(ctx, tenant):
    session = login(ctx)
    auth.request_reset(ctx, MEMBER, "user@example.com")
    assert auth.wait_for_mail(timeout=30)
    reset_by_code(ctx)
    assert auth_error(auth.touch, ctx, session).code == ENDED
    assert auth_error(accounts.list_accounts, ctx, session).code == ENDED


def test_admin_triggered_reset_ends_the_sessions_of_that_account_only(ctx, tenant):
    user_session = login(ctx)
    auth.admin_send_reset(ctx, tenant.admin_session, tenant.user.id)
    reset_by_code(ctx)
    assert auth_error(auth.touch, ctx, user_session).code == ENDED
    auth.touch(ctx, tenant.admin_session)  # another account: unaffected


def test_two_factor_sessions_end_too(ctx, tfa):  # noqa: F811
    def otp_login():
        challenge = auth.login(ctx, MEMBER_2FA, "user@example.com", USER_PW).challenge
        return auth.verify_otp(ctx, challenge.attempt, otp_in(sent(ctx)[-1]))

    first = otp_login()
    second = otp_login()
    auth.change_own_password(ctx, second, USER_PW, NEW_PW, NEW_PW)
    auth.touch(ctx, second)
    assert auth_error(auth.touch, ctx, first).code == ENDED


def test_a_profile_update_does_not_end_sessions(ctx, tenant):
    session = login(ctx)
    view = accounts.get_account(ctx, tenant.admin_session, tenant.user.id)
    accounts.update_account(ctx, tenant.admin_session, view.id, version=view.version,
                            name="佐藤 次郎", department=view.department, phone=view.phone)
    auth.touch(ctx, session)


def test_the_session_holds_no_bcrypt_hash(ctx, tenant):
    session = login(ctx)
    assert not any("$2" in str(value) for value in astuple(session))
    assert "$2" not in repr(session)


@pytest.mark.parametrize("via", ["change", "reset"])
def test_provider_sessions_are_unaffected(ctx, tenant, via):
    provider = provider_session(ctx, MEMBER)
    if via == "change":
        auth.change_own_password(ctx, login(ctx), USER_PW, NEW_PW, NEW_PW)
    else:
        auth.admin_send_reset(ctx, tenant.admin_session, tenant.user.id)
        reset_by_code(ctx)
    assert auth.touch(ctx, provider) is provider
    assert len(accounts.list_accounts(ctx, provider)) == 2
