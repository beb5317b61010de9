"""Issue 11, finding 8: the last admin cannot schedule its own (or be given an early)
expiry. The last live admin's 有効期限 can only move later, never earlier; nobody
shortens their own expiry, whatever the role (R-ACC-4, R-ACC-5)."""

from __future__ import annotations

from datetime import date

import pytest

from portplus_tui.core.errors import ValidationError
from portplus_tui.services import companies

from .test_accounts import create, current, snapshot, update


def test_the_last_admin_cannot_shorten_its_own_expiry(ctx, tenant):
    me = current(ctx, tenant, tenant.admin.id)
    before = snapshot()
    for day in ("2026-03-02", "2026-03-03", "2099-12-30"):  # today, tomorrow, a day less
        with pytest.raises(ValidationError) as exc:
            update(ctx, tenant.admin_session, me, expires=day)
        assert exc.value.field == "expires"
    assert snapshot() == before


def test_nobody_shortens_their_own_expiry_even_with_other_admins(ctx, tenant):
    create(ctx, tenant, role="admin", login_id="second@example.com")
    me = current(ctx, tenant, tenant.admin.id)
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        update(ctx, tenant.admin_session, me, expires="2027-03-31")
    assert exc.value.field == "expires" and exc.value.code == "self_shorten"
    assert snapshot() == before
    # the own name can still be edited, with the expiry unchanged
    assert update(ctx, tenant.admin_session, me, name="山田 次郎").name == "山田 次郎"


def test_the_last_admins_expiry_moves_only_later(ctx, tenant):
    provider = companies.provider_session(ctx, tenant.company.member_no)
    admin = current(ctx, tenant, tenant.admin.id)
    before = snapshot()
    for day in ("2026-03-02", "2026-03-03", "2099-12-30"):
        with pytest.raises(ValidationError) as exc:
            update(ctx, provider, admin, expires=day)
        assert exc.value.field == "expires" and exc.value.code == "last_admin_expiry"
        assert "最後の管理者" in exc.value.message("ja")
    assert snapshot() == before
    shorter = update(ctx, provider, create_second_admin_and_reload(ctx, tenant), expires="2030-01-01")
    assert shorter.expires == date(2030, 1, 1)


def create_second_admin_and_reload(ctx, tenant):
    """With a second admin, the first one is not the last: its expiry may move earlier."""
    create(ctx, tenant, role="admin", login_id="second@example.com")
    return current(ctx, tenant, tenant.admin.id)


def test_an_admin_may_shorten_another_admins_expiry(ctx, tenant):
    second = create(ctx, tenant, role="admin", login_id="second@example.com")
    assert update(ctx, tenant.admin_session, second, expires="2026-12-31").expires == date(2026, 12, 31)


def test_the_last_admins_expiry_can_move_later(ctx, tenant):
    provider = companies.provider_session(ctx, tenant.company.member_no)
    admin = current(ctx, tenant, tenant.admin.id)
    assert update(ctx, provider, admin, expires="2100-03-31").expires == date(2100, 3, 31)
