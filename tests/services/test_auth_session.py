"""Sessions (R-LOG-6), own password change (R-ACC-4), logout."""

from __future__ import annotations

from datetime import date

import pytest

from portplus_tui.core.errors import ConflictError, PermissionDenied, ValidationError
from portplus_tui.services import auth
from portplus_tui.services.companies import provider_session
from portplus_tui.store import models as m

from .test_auth import ADMIN_PW, MEMBER, USER_PW, auth_error, row

NEW_PW = "fresh-pass-9"


def login(ctx, login_id="user@example.com", password=USER_PW):
    return auth.login(ctx, MEMBER, login_id, password).session


# ------------------------------------------------------------------------------ idle timeout
def test_idle_timeout_after_thirty_minutes(ctx, tenant, clock):
    session = login(ctx)
    clock.advance(minutes=29)
    assert auth.touch(ctx, session) is session
    assert session.last_activity == clock.now
    clock.advance(minutes=30)  # 30 minutes after the last activity: still fine
    auth.touch(ctx, session)
    clock.advance(minutes=30, seconds=1)
    err = auth_error(auth.touch, ctx, session)
    assert err.code == "session_timeout" and "ログアウトしました" in err.ja


def test_check_session_does_not_count_as_activity(ctx, tenant, clock):
    session = login(ctx)
    start = session.last_activity
    clock.advance(minutes=20)
    assert auth.check_session(ctx, session) is session
    assert session.last_activity == start
    clock.advance(minutes=10, seconds=1)
    assert auth_error(auth.check_session, ctx, session).code == "session_timeout"
    assert session.last_activity == start


def test_idle_timeout_is_configurable(ctx, tenant, clock):
    ctx.settings = ctx.settings.replace(idle_timeout_minutes=5)
    session = login(ctx)
    clock.advance(minutes=5, seconds=1)
    assert auth_error(auth.touch, ctx, session).code == "session_timeout"


# ------------------------------------------------------------------------------ rights lost mid-session
@pytest.mark.parametrize("change", [
    {"deleted": True},
    {"expires": date(2026, 3, 1)},
])
def test_deleted_or_expired_account_loses_rights_at_next_call(ctx, tenant, change):
    session = login(ctx)
    auth.touch(ctx, session)
    m.Account.update(change).where(m.Account.id == tenant.user.id).execute()
    assert auth_error(auth.touch, ctx, session).code == "session_revoked"
    assert auth_error(auth.change_own_password, ctx, session, USER_PW, NEW_PW, NEW_PW).code \
        == "session_revoked"


def test_expiry_reached_while_logged_in(ctx, tenant, clock):
    m.Account.update(expires=date(2026, 3, 2)).where(m.Account.id == tenant.user.id).execute()
    clock.set(clock.now.replace(hour=14, minute=50))  # 23:50 JST
    session = login(ctx)
    clock.advance(minutes=9)  # 23:59 JST
    auth.touch(ctx, session)
    clock.advance(minutes=2)  # 00:01 JST the next day, 2 minutes after the last action
    assert auth_error(auth.touch, ctx, session).code == "session_revoked"


def test_demoted_admin_loses_admin_rights_at_next_call(ctx, tenant):
    session = login(ctx, "admin@example.com", ADMIN_PW)
    auth.admin_send_reset(ctx, session, tenant.user.id)
    m.Account.update(role="user").where(m.Account.id == tenant.admin.id).execute()
    with pytest.raises(PermissionDenied):
        auth.admin_send_reset(ctx, session, tenant.user.id)
    assert session.role == "user"
    auth.touch(ctx, session)  # still a valid user session


def test_locked_account_keeps_its_session(ctx, tenant):
    """R-SEC-4: the lock guards the password, not a session already logged in."""
    session = login(ctx)
    for _ in range(5):
        auth_error(auth.login, ctx, MEMBER, "user@example.com", "wrong-pass-1")
    assert auth.touch(ctx, session) is session


def test_provider_session_passes(ctx, tenant):
    session = provider_session(ctx, MEMBER)
    assert auth.touch(ctx, session) is session
    auth.logout(ctx, session)
    with pytest.raises(PermissionDenied):
        auth.change_own_password(ctx, session, "x", NEW_PW, NEW_PW)


# ------------------------------------------------------------------------------ own password
def test_change_own_password(ctx, tenant):
    session = login(ctx)
    auth.change_own_password(ctx, session, USER_PW, NEW_PW, NEW_PW)
    assert auth_error(auth.login, ctx, MEMBER, "user@example.com", USER_PW).code == "login_failed"
    assert auth.login(ctx, MEMBER, "user@example.com", NEW_PW).session is not None
    entry = m.AuditLog.select().where(m.AuditLog.action == "password.change").get()
    assert entry.account_id == tenant.user.id and entry.actor == "user@example.com"
    for r in m.AuditLog.select():
        text = " ".join(str(x) for x in (r.actor, r.target, r.before, r.after))
        assert NEW_PW not in text and USER_PW not in text and "$2b$" not in text


def test_wrong_current_password_is_refused_and_counted(ctx, tenant):
    session = login(ctx)
    err = auth_error(auth.change_own_password, ctx, session, "wrong-pass-1", NEW_PW, NEW_PW)
    assert err.code == "wrong_password" and err.field == "current_password"
    assert row(tenant.user.id).failed_count == 1
    assert auth.login(ctx, MEMBER, "user@example.com", USER_PW).session is not None


def test_guessing_the_current_password_locks_the_password_change(ctx, tenant):
    session = login(ctx)
    for _ in range(4):
        auth_error(auth.change_own_password, ctx, session, "wrong-pass-1", NEW_PW, NEW_PW)
    err = auth_error(auth.change_own_password, ctx, session, "wrong-pass-1", NEW_PW, NEW_PW)
    assert err.code == "locked"
    # no more guesses, not even the right one, until the lock ends
    assert auth_error(auth.change_own_password, ctx, session, USER_PW, NEW_PW,
                      NEW_PW).code == "locked"
    assert row(tenant.user.id).failed_count == 5
    auth.touch(ctx, session)  # the session itself goes on (R-SEC-4)


@pytest.mark.parametrize("current", ["x" * 10_000, "", "\x00", "😀" * 19, None])
def test_unusable_current_password_is_an_auth_error(ctx, tenant, current):
    session = login(ctx)
    assert auth_error(auth.change_own_password, ctx, session, current, NEW_PW, NEW_PW).code \
        == "wrong_password"


def test_current_password_over_the_policy_length_never_reaches_bcrypt(ctx, tenant, monkeypatch):
    import bcrypt

    from portplus_tui.services import passwords

    session = login(ctx)
    seen: list[tuple[bytes, bytes]] = []
    real = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda pw, h: seen.append((pw, h)) or real(pw, h))
    too_long = "abcdefghij0123456789x"  # 21 characters: over password_max_length (20)
    err = auth_error(auth.change_own_password, ctx, session, too_long, NEW_PW, NEW_PW)
    assert err.code == "wrong_password" and err.field == "current_password"
    assert seen == [(b"not-the-password", passwords.dummy_hash(4))]  # one check, a placeholder
    assert row(tenant.user.id).failed_count == 1


@pytest.mark.parametrize("new, confirm, field", [
    ("short1", "short1", "new_password"),
    ("password1", "password1", "new_password"),  # common
    ("user@example.com", "user@example.com", "new_password"),  # the login id
    ("x" * 10_000, "x" * 10_000, "new_password"),
    (NEW_PW, "fresh-pass-8", "new_password_confirm"),
    (USER_PW, USER_PW, "new_password"),  # same as the current one
])
def test_policy_and_confirmation(ctx, tenant, new, confirm, field):
    session = login(ctx)
    with pytest.raises(ValidationError) as info:
        auth.change_own_password(ctx, session, USER_PW, new, confirm)
    assert info.value.field == field
    assert auth.login(ctx, MEMBER, "user@example.com", USER_PW).session is not None


def test_change_conflicts_with_a_concurrent_change(ctx, tenant, monkeypatch):
    session = login(ctx)
    real = auth.reset.hash_password

    def racing_hash(password, rounds):
        # Someone else changes the account while bcrypt runs.
        m.Account.update(version=m.Account.version + 1).where(m.Account.id == tenant.user.id).execute()
        return real(password, rounds)

    monkeypatch.setattr(auth.reset, "hash_password", racing_hash)
    with pytest.raises(ConflictError):
        auth.change_own_password(ctx, session, USER_PW, NEW_PW, NEW_PW)
    monkeypatch.setattr(auth.reset, "hash_password", real)
    assert auth.login(ctx, MEMBER, "user@example.com", USER_PW).session is not None


def test_change_voids_pending_reset_codes(ctx, tenant):
    session = login(ctx)
    auth.request_reset(ctx, MEMBER, "user@example.com")
    assert auth.wait_for_mail(timeout=30)
    auth.change_own_password(ctx, session, USER_PW, NEW_PW, NEW_PW)
    token = m.ResetToken.get()
    assert token.voided and token.used_at is None


# ------------------------------------------------------------------------------ logout
def test_logout_is_audited(ctx, tenant):
    session = login(ctx)
    auth.logout(ctx, session)
    entry = m.AuditLog.select().where(m.AuditLog.action == "logout").get()
    assert entry.account_id == tenant.user.id and entry.company_id == tenant.company.id
    assert entry.actor == "user@example.com"


def test_logout_of_a_revoked_or_timed_out_session_does_not_fail(ctx, tenant, clock):
    session = login(ctx)
    m.Account.update(deleted=True).where(m.Account.id == tenant.user.id).execute()
    clock.advance(hours=2)
    auth.logout(ctx, session)
    assert m.AuditLog.select().where(m.AuditLog.action == "logout").count() == 1

