"""Issue 11, finding 9: text typed into the member-number field is not stored verbatim
in the audit log (it may be a password typed into the wrong field). It is kept only
when it names a company (recorded as that company's member number); anything else is
recorded as a constant."""

from __future__ import annotations

import pytest

from portplus_tui.core.errors import AuthError, ValidationError
from portplus_tui.services import auth
from portplus_tui.store import models as m

from .test_auth import MEMBER, USER_PW

NEW_PW = "fresh-pass-9"
PASSWORD_LIKE = "Pa55word!"
SHAPED = "Secret2026x"  # has the member-number shape, names no company


def audit_text() -> str:
    return "\n".join(" ".join(str(x) for x in (r.actor, r.target, r.before, r.after))
                     for r in m.AuditLog.select()).upper()


def targets(action: str) -> list[str]:
    return [r.target for r in m.AuditLog.select().where(m.AuditLog.action == action)
            .order_by(m.AuditLog.id)]


@pytest.mark.parametrize("typed", [PASSWORD_LIKE, SHAPED, "M00-00000"])
def test_login_with_an_unknown_member_number_does_not_keep_it(ctx, tenant, typed):
    with pytest.raises(AuthError):
        auth.login(ctx, typed, "user@example.com", USER_PW)
    assert typed.upper() not in audit_text()
    assert targets("login.failure") == [
        auth.NOT_A_MEMBER_NO if typed == PASSWORD_LIKE else auth.UNKNOWN_MEMBER_NO]


def test_login_keeps_a_known_member_number(ctx, tenant):
    with pytest.raises(AuthError):
        auth.login(ctx, "ｍ９７－００３３９", "user@example.com", "wrong-pass-1")
    auth.login(ctx, MEMBER.lower(), "user@example.com", USER_PW)
    assert targets("login.failure") == [MEMBER]
    assert targets("login.success") == [MEMBER]


@pytest.mark.parametrize("typed", [SHAPED, "M00-00000"])
def test_reset_calls_do_not_keep_an_unknown_member_number(ctx, tenant, typed):
    auth.request_reset(ctx, typed, "user@example.com")
    with pytest.raises(AuthError):
        auth.complete_reset(ctx, typed, "user@example.com", "ABCD-EFGH", NEW_PW, NEW_PW)
    assert auth.wait_for_mail(timeout=30)
    assert typed.upper() not in audit_text()
    assert targets("password.reset_request") == [auth.UNKNOWN_MEMBER_NO]
    assert targets("password.reset_failure") == [auth.UNKNOWN_MEMBER_NO]


def test_reset_calls_refuse_a_password_like_member_number_without_auditing(ctx, tenant):
    with pytest.raises(ValidationError):
        auth.request_reset(ctx, PASSWORD_LIKE, "user@example.com")
    with pytest.raises(ValidationError):
        auth.complete_reset(ctx, PASSWORD_LIKE, "user@example.com", "ABCD-EFGH", NEW_PW, NEW_PW)
    assert PASSWORD_LIKE.upper() not in audit_text()


def test_reset_calls_keep_a_known_member_number(ctx, tenant):
    auth.request_reset(ctx, MEMBER.lower(), "user@example.com")
    assert auth.wait_for_mail(timeout=30)
    assert targets("password.reset_request") == [MEMBER]
