"""Account management (SPEC §9, R-ACC-1..6; R-TEN-2) on SQLite and PostgreSQL."""

from __future__ import annotations

import inspect
import threading
from datetime import date, datetime, timedelta, timezone

import pytest

from portplus_tui.core.errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from portplus_tui.services import accounts, audit, companies
from portplus_tui.services.passwords import verify_password
from portplus_tui.store import models as m

from .conftest import session_for

NEW_PASSWORD = "Kiwi-7733-blue"
FUTURE = "2099-12-31"


# ------------------------------------------------------------------ helpers
def snapshot() -> dict:
    """Every row that account management may touch, for "nothing changed" checks."""
    return {
        model.__name__: list(model.select().order_by(model.id).tuples())
        for model in (m.Company, m.CompanyOption, m.Account, m.AuditLog, m.ResetToken,
                      m.OtpChallenge)
    }


def form(**overrides) -> dict:
    values = dict(name="鈴木 一郎", role="user", login_id="ichiro@example.com",
                  password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, department="経理部",
                  phone="03-1111-2222", expires=FUTURE)
    values.update(overrides)
    return values


def create(ctx, tenant, **overrides) -> accounts.AccountView:
    return accounts.create_account(ctx, tenant.admin_session, **form(**overrides))


def row(account_id: int) -> m.Account:
    return m.Account.get_by_id(account_id)


def current(ctx, tenant, account_id: int) -> accounts.AccountView:
    return accounts.get_account(ctx, companies.provider_session(ctx, tenant.company.member_no),
                                account_id)


def update(ctx, session, view: accounts.AccountView, **changes) -> accounts.AccountView:
    values = dict(version=view.version, name=view.name, department=view.department,
                  phone=view.phone)
    values.update(changes)
    return accounts.update_account(ctx, session, view.id, **values)


def live_admins(company_id: int, today: date) -> int:
    return (m.Account.select()
            .where((m.Account.company == company_id) & (m.Account.role == "admin")
                   & (m.Account.deleted == False) & (m.Account.expires >= today))  # noqa: E712
            .count())


def audit_rows(action: str) -> list[m.AuditLog]:
    return list(m.AuditLog.select().where(m.AuditLog.action == action).order_by(m.AuditLog.id))


def run_at_once(ctx, *calls):
    """Run the calls in threads released together; [("ok", value) | ("error", exc)]."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i, fn):
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", fn())
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = ("error", exc)
        finally:
            ctx.db.close()  # this thread's connection

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return results


def two_admin_company(ctx, member_no: str):
    """A company with exactly two admins (and nothing else): (info, a, b, sa, sb)."""
    info = companies.add_company(ctx, member_no, name="Race Co", address="東京都港区1-1-1", ports=5)
    a = accounts.add_account(ctx, member_no, "a@race.example", name="A", role="admin",
                             department="総務", expires=FUTURE, password="Alpha-pass-11")
    b = accounts.add_account(ctx, member_no, "b@race.example", name="B", role="admin",
                             department="総務", expires=FUTURE, password="Bravo-pass-22")
    return info, a, b, session_for(ctx, info, a), session_for(ctx, info, b)


# ------------------------------------------------------------------ R-ACC-1: list / get
def test_admin_lists_every_live_account_of_the_company_only(ctx, tenant, other_tenant):
    extra = create(ctx, tenant)
    gone = create(ctx, tenant, login_id="gone@example.com")
    accounts.delete_account(ctx, tenant.admin_session, gone.id, version=gone.version)
    ids = [a.id for a in accounts.list_accounts(ctx, tenant.admin_session)]
    assert sorted(ids) == sorted([tenant.admin.id, tenant.user.id, extra.id])
    other_ids = {other_tenant.admin.id, other_tenant.user.id}
    assert not other_ids & set(ids)


def test_user_lists_only_their_own_account(ctx, tenant):
    create(ctx, tenant)
    views = accounts.list_accounts(ctx, tenant.user_session)
    assert [v.id for v in views] == [tenant.user.id]
    assert views[0].login_id == "user@example.com"


def test_get_account_visibility(ctx, tenant, other_tenant):
    assert accounts.get_account(ctx, tenant.admin_session, tenant.user.id).login_id == "user@example.com"
    assert accounts.get_account(ctx, tenant.user_session, tenant.user.id).id == tenant.user.id
    with pytest.raises(PermissionDenied) as exc:
        accounts.get_account(ctx, tenant.user_session, tenant.admin.id)
    assert exc.value.code == "own_account_only"
    for bad in (other_tenant.user.id, other_tenant.admin.id, 999_999, -1, "1", True):
        with pytest.raises(NotFoundError):
            accounts.get_account(ctx, tenant.admin_session, bad)


def test_get_deleted_account_is_not_found(ctx, tenant):
    extra = create(ctx, tenant)
    accounts.delete_account(ctx, tenant.admin_session, extra.id, version=extra.version)
    with pytest.raises(NotFoundError):
        accounts.get_account(ctx, tenant.admin_session, extra.id)


# ------------------------------------------------------------------ R-ACC-2/3: create
def test_admin_creates_an_account_with_normalised_fields(ctx, tenant):
    view = create(ctx, tenant, name="　鈴木　一郎 ", login_id="Ichiro.Suzuki@EXAMPLE.com",
                  department="経理部", phone="０３−１１１１−２２２２", role="USER")
    assert view.login_id == "Ichiro.Suzuki@example.com"
    assert view.name == "鈴木 一郎"
    assert view.phone == "03-1111-2222"
    assert view.role == "user"
    assert view.expires == date(2099, 12, 31)
    assert view.version == 1 and not view.deleted and view.failed_count == 0
    stored = row(view.id)
    assert stored.login_key == "ichiro.suzuki@example.com"
    assert stored.company_id == tenant.company.id
    assert verify_password(NEW_PASSWORD, stored.password_hash, 4)
    assert accounts.get_account(ctx, tenant.admin_session, view.id) == view


def test_admin_creates_another_admin(ctx, tenant):
    view = create(ctx, tenant, role="admin")
    assert view.is_admin
    # the new admin may act as one at once
    info = companies.company_info(ctx, tenant.admin_session)
    session = session_for(ctx, info, view)
    assert len(accounts.list_accounts(ctx, session)) == 3


def test_user_cannot_create_accounts_and_nothing_changes(ctx, tenant):
    before = snapshot()
    with pytest.raises(PermissionDenied) as exc:
        accounts.create_account(ctx, tenant.user_session, **form())
    assert snapshot() == before
    assert exc.value.message("ja") != exc.value.message("en")
    assert "admin" in exc.value.message("ja") and "管理者" in exc.value.message("ja")
    assert "admin" in exc.value.message("en")


def test_provider_session_creates_accounts(ctx, tenant):
    provider = companies.provider_session(ctx, tenant.company.member_no)
    view = accounts.create_account(ctx, provider, **form())
    assert view.id in {a.id for a in accounts.list_accounts(ctx, provider)}
    entry = audit_rows("account.create")[-1]
    assert entry.actor == "provider" and entry.target == "ichiro@example.com"


BAD_FIELDS = [  # (field, form changes, part of the English message)
    ("name", dict(name=""), "Enter the contact name"),
    ("name", dict(name="   "), "Enter the contact name"),
    ("name", dict(name="x" * 51), "too long"),
    ("name", dict(name="a\u200bb"), "control character"),
    ("role", dict(role=""), "Choose the role"),
    ("role", dict(role="root"), "admin or user"),
    ("login_id", dict(login_id=""), "Enter the login ID"),
    ("login_id", dict(login_id="not-an-email"), "exactly one '@'"),
    ("login_id", dict(login_id="taro@localhost"), "domain"),
    ("login_id", dict(login_id="たろう@example.com"), "not allowed"),
    ("password", dict(password="", password_confirm=""), "Enter a password"),
    ("password", dict(password="Ab1", password_confirm="Ab1"), "too short"),
    ("password", dict(password="abcdefghijk", password_confirm="abcdefghijk"), "one digit"),
    ("password", dict(password="a1" * 11, password_confirm="a1" * 11), "too long"),
    ("password", dict(password="Ｐａｓｓ１２３４５", password_confirm="Ｐａｓｓ１２３４５"),
     "full-width"),
    ("password", dict(password="password1", password_confirm="password1"), "too common"),
    ("password", dict(login_id="kenta007@example.com", password="Kenta007",
                      password_confirm="Kenta007"), "login ID"),
    ("password", dict(login_id="ichiro12@example.com", password="ichiro12@example.com",
                      password_confirm="ichiro12@example.com"), "login ID"),
    ("password", dict(login_id="sato-2024@example.com", password="SATO-2024",
                      password_confirm="SATO-2024"), "login ID"),
    ("password", dict(password="x" * 80 + "1", password_confirm="x" * 80 + "1"), "too long"),
    ("password_confirm", dict(password_confirm=""), "again"),
    ("password_confirm", dict(password_confirm=NEW_PASSWORD + "x"), "do not match"),
    ("department", dict(department=""), "Enter the department"),
    ("department", dict(department="部" * 51), "too long"),
    ("phone", dict(phone="abc-defg"), "not allowed"),
    ("phone", dict(phone="12-3"), "too short"),
    ("phone", dict(phone="03+1234-5678"), "'+'"),
    ("expires", dict(expires=""), "Enter the expiry date"),
    ("expires", dict(expires=None), "Enter the expiry date"),
    ("expires", dict(expires="2026-02-30"), "not a real date"),
    ("expires", dict(expires="2026/03/31"), "YYYY-MM-DD"),
    ("expires", dict(expires="2026-03-01"), "today (2026-03-02) or later"),  # yesterday
    ("expires", dict(expires=date(2020, 1, 1)), "today (2026-03-02) or later"),
    ("expires", dict(expires=datetime(2099, 1, 1, tzinfo=timezone.utc)), "as a date"),
]


@pytest.mark.parametrize(("field", "overrides", "why"), BAD_FIELDS,
                         ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(BAD_FIELDS)])
def test_create_refuses_each_bad_field_naming_it(ctx, tenant, field, overrides, why):
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        create(ctx, tenant, **overrides)
    assert exc.value.field == field
    assert why in exc.value.message("en")
    assert exc.value.message("ja") and exc.value.message("en")
    assert snapshot() == before
    # a message never echoes the password
    pw = overrides.get("password")
    if pw and len(pw) > 3:
        assert pw not in exc.value.message("ja") and pw not in exc.value.message("en")


def test_create_reports_errors_in_form_order_and_all_at_once(ctx, tenant):
    with pytest.raises(ValidationError) as exc:
        create(ctx, tenant, name="", phone="abc", expires="bad")
    assert exc.value.field == "name"
    _clean, errors = accounts.validate_new_account(ctx, **form(name="", phone="abc",
                                                               expires="bad"))
    assert list(errors) == ["name", "phone", "expires"]
    _clean, errors = accounts.validate_new_account(ctx, **form())
    assert errors == {}


def test_expires_is_checked_against_today_in_japan(ctx, tenant, clock):
    # 2026-03-01 15:30 UTC is already 2026-03-02 00:30 in Japan.
    clock.set(datetime(2026, 3, 1, 15, 30, tzinfo=timezone.utc))
    session = session_for(ctx, tenant.company, tenant.admin)
    with pytest.raises(ValidationError) as exc:
        accounts.create_account(ctx, session, **form(expires="2026-03-01"))
    assert exc.value.field == "expires"
    assert "2026-03-02" in exc.value.message("en")
    view = accounts.create_account(ctx, session, **form(expires="2026-03-02"))
    assert view.expires == date(2026, 3, 2)
    view2 = accounts.create_account(ctx, session, **form(login_id="d@example.com",
                                                         expires=date(2026, 3, 2)))
    assert view2.expires == date(2026, 3, 2)


def test_the_view_says_locked_and_expired_as_of_now(ctx, tenant, clock):
    """Issue 14: the account's state is computed once, in the service (the screens and
    the CLI show ``locked`` / ``expired`` from the view), at the boundaries: a lock ends
    at its ``locked_until``; an account expires after its 有効期限, Japan time."""
    from portplus_tui.store.db import to_db

    clock.set(datetime(2026, 3, 1, 15, 30, tzinfo=timezone.utc))  # 2026-03-02 00:30 JST
    now = ctx.now()
    session = session_for(ctx, tenant.company, tenant.admin)
    until = now + timedelta(minutes=5)
    m.Account.update(locked_until=to_db(until), expires=date(2026, 3, 2)).where(
        m.Account.id == tenant.user.id).execute()

    def user_view():
        return next(v for v in accounts.list_accounts(ctx, session) if v.id == tenant.user.id)

    view = user_view()
    assert (view.locked, view.expired) == (True, False)  # expires today: still valid
    assert accounts.get_account(ctx, session, tenant.user.id).locked
    clock.set(until, session)
    assert user_view().locked is False  # the lock ends at locked_until
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc), session)  # 03-03 00:00 JST
    view = user_view()
    assert (view.locked, view.expired) == (False, True)
    assert {v.login_id: v.expired for v in accounts.list_accounts_for(
        ctx, tenant.company.member_no)}[view.login_id] is True


@pytest.mark.parametrize("spelling", ["user@example.com", "USER@EXAMPLE.COM", "User@Example.com",
                                      " user@example.com ", "ｕｓｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ"])
def test_login_id_is_unique_in_the_company_case_insensitively(ctx, tenant, spelling):
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        create(ctx, tenant, login_id=spelling)
    assert exc.value.field == "login_id"
    assert snapshot() == before


def test_same_login_id_in_another_company_is_fine(ctx, tenant, other_tenant):
    view = accounts.create_account(ctx, other_tenant.admin_session, **form())
    mine = create(ctx, tenant)
    assert view.login_id == mine.login_id and view.id != mine.id


def test_deleted_login_id_can_be_used_again(ctx, tenant):
    accounts.delete_account(ctx, tenant.admin_session, tenant.user.id, version=tenant.user.version)
    again = create(ctx, tenant, login_id="USER@example.com")
    assert again.id != tenant.user.id
    assert row(again.id).login_key == "user@example.com"
    assert row(tenant.user.id).login_key == f"user@example.com#deleted-{tenant.user.id}"
    # and deleted again, and again
    accounts.delete_account(ctx, tenant.admin_session, again.id, version=again.version)
    third = create(ctx, tenant, login_id="user@example.com")
    assert third.id not in (again.id, tenant.user.id)


def test_the_unique_index_decides_when_the_check_is_passed(ctx, tenant, monkeypatch):
    """A concurrent creation can pass the existence check; the IntegrityError of the
    unique index becomes the same ValidationError and leaves nothing behind."""
    monkeypatch.setattr(accounts, "_login_taken", lambda *args, **kwargs: False)
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        create(ctx, tenant, login_id="User@example.com")
    assert exc.value.field == "login_id"
    assert snapshot() == before
    # the connection is still usable afterwards (PostgreSQL: transaction rolled back)
    assert len(accounts.list_accounts(ctx, tenant.admin_session)) == 2


def test_concurrent_creation_of_one_login_id_makes_one_account(ctx, tenant):
    calls = [
        (lambda i=i: create(ctx, tenant, name=f"同時{i}")) for i in range(4)
    ]
    results = run_at_once(ctx, *calls)
    ok = [r for kind, r in results if kind == "ok"]
    errors = [r for kind, r in results if kind == "error"]
    assert len(ok) == 1, results
    assert all(isinstance(e, ValidationError) and e.field == "login_id" for e in errors), errors
    assert (m.Account.select().where((m.Account.company == tenant.company.id)
                                     & (m.Account.login_key == "ichiro@example.com")).count()) == 1


def test_check_new_account_refuses_what_add_account_would_and_writes_nothing(ctx, tenant):
    """What the command line checks before it asks for a password: the same refusals as
    add_account (fields but the password, unknown member, a login ID taken in any case)."""
    member_no = tenant.company.member_no
    base = dict(name="X", role="user", department="D", expires=FUTURE)
    before = snapshot()
    for field, over in (("phone", dict(phone="abc")), ("role", dict(role="owner")),
                        ("expires", dict(expires="2026-03-01")), ("name", dict(name=""))):
        with pytest.raises(ValidationError) as exc:
            accounts.check_new_account(ctx, member_no, "new@example.com", **{**base, **over})
        assert exc.value.field == field
    with pytest.raises(ValidationError) as exc:
        accounts.check_new_account(ctx, member_no, "ADMIN@example.com", **base)
    assert exc.value.field == "login_id"
    with pytest.raises(NotFoundError):
        accounts.check_new_account(ctx, "ZZ-0000", "new@example.com", **base)
    assert accounts.check_new_account(ctx, member_no, "New@Example.com", **base) is None
    assert snapshot() == before


def test_add_account_shares_the_validation(ctx, tenant):
    member_no = tenant.company.member_no
    base = dict(name="X", role="user", department="D", expires=FUTURE, password="Valid-pass-99")
    cases = [
        ("phone", dict(phone="abc")),
        ("expires", dict(expires="2026-03-01")),
        ("role", dict(role="owner")),
        ("password", dict(password="short1")),
        ("name", dict(name="")),
        ("department", dict(department="")),
    ]
    before = snapshot()
    for field, over in cases:
        with pytest.raises(ValidationError) as exc:
            accounts.add_account(ctx, member_no, "new@example.com", **{**base, **over})
        assert exc.value.field == field
    with pytest.raises(ValidationError) as exc:
        accounts.add_account(ctx, member_no, "new@", **base)
    assert exc.value.field == "login_id"
    with pytest.raises(ValidationError) as exc:
        accounts.add_account(ctx, member_no, "ADMIN@example.com", **base)
    assert exc.value.field == "login_id"
    with pytest.raises(NotFoundError):
        accounts.add_account(ctx, "ZZ-0000", "new@example.com", **base)
    assert snapshot() == before
    view = accounts.add_account(ctx, member_no, "New@Example.com", **base)
    assert view.login_id == "New@example.com"
    assert audit_rows("account.create")[-1].actor == "provider"


# ------------------------------------------------------------------ R-ACC-4: update
def test_admin_updates_every_field_of_another_account(ctx, tenant):
    user = current(ctx, tenant, tenant.user.id)
    after = update(ctx, tenant.admin_session, user, name="佐藤 花子(新)", department="総務部",
                   phone="045-000-1111", role="admin", expires="2030-04-01")
    assert (after.name, after.department, after.phone, after.role, after.expires) == (
        "佐藤 花子(新)", "総務部", "045-000-1111", "admin", date(2030, 4, 1))
    assert after.version == user.version + 1
    assert after.login_id == user.login_id
    entry = audit_rows("account.update")[-1]
    assert entry.actor == "admin@example.com" and entry.target == "user@example.com"
    rec = audit.list_entries(ctx, tenant.admin_session)[0]
    assert rec.action == "account.update"
    assert rec.before["role"] == "user" and rec.after["role"] == "admin"
    assert rec.before["expires"] == "2099-12-31" and rec.after["expires"] == "2030-04-01"
    assert rec.after["name"] == "佐藤 花子(新)"


def test_admin_can_expire_another_account_and_it_loses_its_rights(ctx, tenant):
    user = current(ctx, tenant, tenant.user.id)
    after = update(ctx, tenant.admin_session, user, expires="2026-03-01")
    assert after.expires == date(2026, 3, 1)
    with pytest.raises(AuthError):
        accounts.list_accounts(ctx, tenant.user_session)


def test_user_updates_own_name_department_phone(ctx, tenant):
    me = current(ctx, tenant, tenant.user.id)
    after = update(ctx, tenant.user_session, me, name="佐藤 花", department="営業二部",
                   phone="", role="user", expires=me.expires)
    assert (after.name, after.department, after.phone) == ("佐藤 花", "営業二部", "")
    assert after.role == "user" and after.expires == me.expires
    assert audit_rows("account.update")[-1].actor == "user@example.com"


@pytest.mark.parametrize(("changes", "field"), [
    (dict(role="admin"), "role"),
    (dict(role="ADMIN"), "role"),
    (dict(expires="2100-01-01"), "expires"),
    (dict(expires="2030-01-01"), "expires"),
])
def test_user_cannot_change_own_role_or_expiry(ctx, tenant, changes, field):
    me = current(ctx, tenant, tenant.user.id)
    before = snapshot()
    with pytest.raises(PermissionDenied) as exc:
        update(ctx, tenant.user_session, me, name="変更", **changes)
    assert exc.value.field == field
    assert snapshot() == before
    assert row(tenant.user.id).role == "user"


def test_user_cannot_update_another_account(ctx, tenant):
    admin = current(ctx, tenant, tenant.admin.id)
    other_user = create(ctx, tenant)
    before = snapshot()
    for target in (admin, other_user):
        with pytest.raises(PermissionDenied) as exc:
            update(ctx, tenant.user_session, target, name="乗っ取り")
        assert exc.value.code == "own_account_only"
    # even with invalid input the answer is the refusal
    with pytest.raises(PermissionDenied):
        update(ctx, tenant.user_session, other_user, name="")
    assert snapshot() == before


def test_login_id_is_read_only():
    params = inspect.signature(accounts.update_account).parameters
    assert "login_id" not in params and "email" not in params
    assert "password" not in params


def test_login_id_cannot_be_passed_to_update(ctx, tenant):
    me = current(ctx, tenant, tenant.user.id)
    with pytest.raises(TypeError):
        update(ctx, tenant.admin_session, me, login_id="x@example.com")
    assert row(tenant.user.id).login_id == "user@example.com"


@pytest.mark.parametrize(("changes", "field"), [
    (dict(name=""), "name"),
    (dict(name="n" * 51), "name"),
    (dict(department=""), "department"),
    (dict(phone="phone!"), "phone"),
    (dict(role="superuser"), "role"),
    (dict(expires="2026-13-01"), "expires"),
    (dict(expires=""), "expires"),
])
def test_update_validates_each_field(ctx, tenant, changes, field):
    user = current(ctx, tenant, tenant.user.id)
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        update(ctx, tenant.admin_session, user, **changes)
    assert exc.value.field == field
    assert snapshot() == before


def test_stale_version_is_a_conflict_and_changes_nothing(ctx, tenant):
    user = current(ctx, tenant, tenant.user.id)
    first = update(ctx, tenant.admin_session, user, name="一回目")
    before = snapshot()
    with pytest.raises(ConflictError):
        update(ctx, tenant.admin_session, user, name="二回目")  # user.version is stale
    with pytest.raises(ConflictError):
        update(ctx, tenant.user_session, user, name="三回目")
    with pytest.raises(ConflictError):
        accounts.delete_account(ctx, tenant.admin_session, user.id, version=user.version)
    assert snapshot() == before
    assert update(ctx, tenant.admin_session, first, name="二回目").name == "二回目"


def test_an_update_without_changes_writes_nothing(ctx, tenant):
    user = current(ctx, tenant, tenant.user.id)
    before = snapshot()
    same = update(ctx, tenant.admin_session, user, role="user", expires=user.expires)
    assert same == user
    assert snapshot() == before


def test_admin_cannot_demote_themselves_even_with_another_admin(ctx, tenant):
    create(ctx, tenant, role="admin", login_id="second@example.com")
    me = current(ctx, tenant, tenant.admin.id)
    before = snapshot()
    with pytest.raises(PermissionDenied) as exc:
        update(ctx, tenant.admin_session, me, role="user")
    assert exc.value.code == "self_demote" and exc.value.field == "role"
    assert snapshot() == before


def test_admin_cannot_extend_own_expiry_or_expire_themselves(ctx, tenant):
    me = current(ctx, tenant, tenant.admin.id)
    before = snapshot()
    with pytest.raises(PermissionDenied) as exc:
        update(ctx, tenant.admin_session, me, expires="9999-12-31")
    assert exc.value.code == "raise_own_rights"
    with pytest.raises(PermissionDenied) as exc:
        update(ctx, tenant.admin_session, me, expires="2026-03-01")
    assert exc.value.code == "self_expire"
    assert snapshot() == before
    # shortening it is refused too (issue 11 finding 8); editing the own name is fine
    with pytest.raises(ValidationError) as exc:
        update(ctx, tenant.admin_session, me, expires="2027-03-31")
    assert exc.value.field == "expires"
    after = update(ctx, tenant.admin_session, me, name="山田 次郎")
    assert after.expires == date(2099, 12, 31) and after.name == "山田 次郎"


def test_admin_promotes_and_demotes_other_accounts(ctx, tenant):
    user = current(ctx, tenant, tenant.user.id)
    promoted = update(ctx, tenant.admin_session, user, role="admin")
    assert promoted.role == "admin"
    # the promoted account has admin rights at its next action
    assert len(accounts.list_accounts(ctx, tenant.user_session)) == 2
    demoted = update(ctx, tenant.admin_session, promoted, role="user")
    assert demoted.role == "user"
    with pytest.raises(PermissionDenied):
        accounts.create_account(ctx, tenant.user_session, **form())


def test_demoted_mid_session_loses_admin_rights_at_once(ctx, tenant):
    second = create(ctx, tenant, role="admin", login_id="second@example.com")
    second_session = session_for(ctx, tenant.company, second)
    assert len(accounts.list_accounts(ctx, second_session)) == 3
    update(ctx, tenant.admin_session, second, role="user")
    assert [a.id for a in accounts.list_accounts(ctx, second_session)] == [second.id]
    with pytest.raises(PermissionDenied):
        accounts.create_account(ctx, second_session, **form())


def test_last_admin_cannot_be_demoted_or_expired(ctx, tenant):
    provider = companies.provider_session(ctx, tenant.company.member_no)
    admin = current(ctx, tenant, tenant.admin.id)
    before = snapshot()
    with pytest.raises(PermissionDenied) as exc:
        update(ctx, provider, admin, role="user")
    assert exc.value.code == "last_admin" and exc.value.field == "role"
    with pytest.raises(PermissionDenied) as exc:
        update(ctx, provider, admin, expires="2026-03-01")
    assert exc.value.code == "last_admin" and exc.value.field == "expires"
    assert snapshot() == before
    # nor moved earlier at all, not even to today (issue 11 finding 8)
    with pytest.raises(ValidationError) as exc:
        update(ctx, provider, admin, expires="2026-03-02")
    assert exc.value.code == "last_admin_expiry" and exc.value.field == "expires"
    assert snapshot() == before


def test_expired_or_deleted_admins_do_not_count(ctx, tenant):
    provider = companies.provider_session(ctx, tenant.company.member_no)
    expired = create(ctx, tenant, role="admin", login_id="old@example.com")
    expired = update(ctx, tenant.admin_session, expired, expires="2026-02-28")
    gone = create(ctx, tenant, role="admin", login_id="gone@example.com")
    accounts.delete_account(ctx, tenant.admin_session, gone.id, version=gone.version)
    admin = current(ctx, tenant, tenant.admin.id)
    with pytest.raises(PermissionDenied) as exc:
        update(ctx, provider, admin, role="user")
    assert exc.value.code == "last_admin"
    with pytest.raises(PermissionDenied) as exc:
        accounts.delete_account(ctx, provider, admin.id, version=admin.version)
    assert exc.value.code == "last_admin"
    # an expired admin can itself be demoted or deleted: it is not counted
    assert update(ctx, provider, expired, role="user").role == "user"


def test_with_two_admins_one_may_demote_the_other(ctx, tenant):
    second = create(ctx, tenant, role="admin", login_id="second@example.com")
    assert update(ctx, tenant.admin_session, second, role="user").role == "user"
    assert live_admins(tenant.company.id, ctx.today()) == 1


def test_update_of_missing_deleted_or_foreign_account_is_not_found(ctx, tenant, other_tenant):
    foreign = accounts.get_account(ctx, other_tenant.admin_session, other_tenant.user.id)
    gone = create(ctx, tenant)
    accounts.delete_account(ctx, tenant.admin_session, gone.id, version=gone.version)
    before = snapshot()
    for target in (foreign, gone):
        with pytest.raises(NotFoundError):
            update(ctx, tenant.admin_session, target, name="x")
    assert snapshot() == before


# ------------------------------------------------------------------ R-ACC-5: delete
def test_admin_soft_deletes_an_account(ctx, tenant, clock):
    user = current(ctx, tenant, tenant.user.id)
    assert accounts.delete_account(ctx, tenant.admin_session, user.id, version=user.version) is None
    stored = row(user.id)
    assert stored.deleted and stored.deleted_at is not None
    assert stored.login_key == f"user@example.com#deleted-{user.id}"
    assert stored.login_id == "user@example.com"
    assert stored.version == user.version + 1
    assert user.id not in {a.id for a in accounts.list_accounts(ctx, tenant.admin_session)}
    assert user.id not in {a.id for a in accounts.list_accounts_for(ctx, tenant.company.member_no)}
    entry = audit.list_entries(ctx, tenant.admin_session)[0]
    assert entry.action == "account.delete" and entry.target == "user@example.com"
    assert entry.before["login_id"] == "user@example.com" and entry.after["deleted"] is True
    # the deleted account loses its rights at its next action
    with pytest.raises(AuthError):
        accounts.list_accounts(ctx, tenant.user_session)


def test_delete_voids_outstanding_codes(ctx, tenant):
    now = datetime(2026, 3, 2, 1, 0)
    token = m.ResetToken.create(account=tenant.user.id, code_hash="x", issued_at=now,
                                expires_at=now + timedelta(minutes=30))
    otp = m.OtpChallenge.create(account=tenant.user.id, attempt="a1", code_hash="y",
                                issued_at=now, expires_at=now + timedelta(minutes=30))
    accounts.delete_account(ctx, tenant.admin_session, tenant.user.id, version=tenant.user.version)
    assert m.ResetToken.get_by_id(token.id).voided
    assert m.OtpChallenge.get_by_id(otp.id).voided


def test_user_cannot_delete(ctx, tenant):
    before = snapshot()
    for target in (tenant.admin, tenant.user):
        with pytest.raises(PermissionDenied):
            accounts.delete_account(ctx, tenant.user_session, target.id, version=target.version)
    assert snapshot() == before


def test_admin_cannot_delete_themselves(ctx, tenant):
    create(ctx, tenant, role="admin", login_id="second@example.com")
    before = snapshot()
    with pytest.raises(PermissionDenied) as exc:
        accounts.delete_account(ctx, tenant.admin_session, tenant.admin.id,
                                version=tenant.admin.version)
    assert exc.value.code == "self_delete"
    assert exc.value.message("ja") != exc.value.message("en")
    assert snapshot() == before
    # The same reason, asked before (a screen says it when the key is pressed).
    told = accounts.self_delete_refusal(tenant.admin_session, tenant.admin.id)
    assert told is not None and told.code == "self_delete"
    assert told.message("ja") == exc.value.message("ja")
    assert accounts.self_delete_refusal(tenant.admin_session, tenant.user.id) is None


def test_last_admin_cannot_be_deleted(ctx, tenant):
    provider = companies.provider_session(ctx, tenant.company.member_no)
    before = snapshot()
    with pytest.raises(PermissionDenied) as exc:
        accounts.delete_account(ctx, provider, tenant.admin.id, version=tenant.admin.version)
    assert exc.value.code == "last_admin"
    assert "admin" in exc.value.message("en") and "管理者" in exc.value.message("ja")
    assert snapshot() == before
    # a second admin makes it possible
    create(ctx, tenant, role="admin", login_id="second@example.com")
    accounts.delete_account(ctx, provider, tenant.admin.id, version=tenant.admin.version)
    assert row(tenant.admin.id).deleted


def test_admin_deletes_another_admin(ctx, tenant):
    second = create(ctx, tenant, role="admin", login_id="second@example.com")
    accounts.delete_account(ctx, tenant.admin_session, second.id, version=second.version)
    assert live_admins(tenant.company.id, ctx.today()) == 1


def test_delete_of_missing_or_foreign_account_is_not_found(ctx, tenant, other_tenant):
    before = snapshot()
    for target in (other_tenant.user, other_tenant.admin):
        with pytest.raises(NotFoundError):
            accounts.delete_account(ctx, tenant.admin_session, target.id, version=target.version)
    with pytest.raises(NotFoundError):
        accounts.delete_account(ctx, tenant.admin_session, 987_654, version=1)
    assert snapshot() == before
    accounts.delete_account(ctx, tenant.admin_session, tenant.user.id, version=tenant.user.version)
    with pytest.raises(NotFoundError):
        accounts.delete_account(ctx, tenant.admin_session, tenant.user.id,
                                version=tenant.user.version + 1)


def test_deleting_a_long_login_id_frees_it_within_the_column(ctx, tenant):
    long_id = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 50 + ".jp"
    view = create(ctx, tenant, login_id=long_id)
    accounts.delete_account(ctx, tenant.admin_session, view.id, version=view.version)
    key = row(view.id).login_key
    assert len(key) <= 254 and key.endswith(f"#deleted-{view.id}")
    assert create(ctx, tenant, login_id=long_id.upper()).id != view.id


def test_other_company_admin_cannot_touch_accounts(ctx, tenant, other_tenant):
    before = snapshot()
    outsider = other_tenant.admin_session
    for target in (tenant.user, tenant.admin):
        with pytest.raises(NotFoundError):
            accounts.get_account(ctx, outsider, target.id)
        with pytest.raises(NotFoundError):
            update(ctx, outsider, target, name="x", role="user")
        with pytest.raises(NotFoundError):
            accounts.delete_account(ctx, outsider, target.id, version=target.version)
        with pytest.raises(NotFoundError):
            accounts.unlock(ctx, outsider, target.id)
    assert snapshot() == before
    listed = {a.id for a in accounts.list_accounts(ctx, outsider)}
    assert listed == {other_tenant.admin.id, other_tenant.user.id}


# ------------------------------------------------------------------ races on the last admin
@pytest.mark.parametrize("round_no", range(6))
def test_two_admins_deleting_each_other_at_once_leave_one(ctx, round_no):
    info, a, b, sa, sb = two_admin_company(ctx, f"RACE-{round_no:02d}")
    results = run_at_once(
        ctx,
        lambda: accounts.delete_account(ctx, sa, b.id, version=b.version),
        lambda: accounts.delete_account(ctx, sb, a.id, version=a.version),
    )
    kinds = [kind for kind, _ in results]
    assert kinds.count("ok") == 1, results
    loser = next(value for kind, value in results if kind == "error")
    assert isinstance(loser, (AuthError, PermissionDenied)), loser
    assert live_admins(info.id, ctx.today()) == 1
    assert len(audit_rows("account.delete")) == 1


@pytest.mark.parametrize("round_no", range(4))
def test_two_admins_demoting_each_other_at_once_leave_one(ctx, round_no):
    info, a, b, sa, sb = two_admin_company(ctx, f"DEMOTE-{round_no:02d}")
    results = run_at_once(
        ctx,
        lambda: update(ctx, sa, b, role="user"),
        lambda: update(ctx, sb, a, role="user"),
    )
    assert [kind for kind, _ in results].count("ok") == 1, results
    loser = next(value for kind, value in results if kind == "error")
    assert isinstance(loser, (AuthError, PermissionDenied)), loser
    assert live_admins(info.id, ctx.today()) == 1


# ------------------------------------------------------------------ unlock
def lock(account_id: int, ctx) -> None:
    m.Account.update(failed_count=5, locked_until=(ctx.now() + timedelta(minutes=15))
                     .replace(tzinfo=None)).where(m.Account.id == account_id).execute()


def test_admin_unlocks_an_account(ctx, tenant):
    lock(tenant.user.id, ctx)
    # the lock guards the password, not a session already logged in (R-SEC-4)
    assert accounts.list_accounts(ctx, tenant.user_session)[0].id == tenant.user.id
    version = row(tenant.user.id).version
    view = accounts.unlock(ctx, tenant.admin_session, tenant.user.id)
    assert view.failed_count == 0 and view.locked_until is None
    assert isinstance(view, accounts.AccountView) and view.was_locked and view.changed
    assert row(tenant.user.id).version == version
    assert accounts.list_accounts(ctx, tenant.user_session)[0].id == tenant.user.id
    entry = audit.list_entries(ctx, tenant.admin_session)[0]
    assert entry.action == "account.unlock" and entry.target == "user@example.com"
    assert entry.before["failed_count"] == 5 and entry.before["locked_until"]
    assert entry.after == {"login_id": "user@example.com", "failed_count": 0,
                           "locked_until": None}


def test_unlocking_an_account_that_is_not_locked_writes_nothing(ctx, tenant):
    before = snapshot()
    for result in (accounts.unlock(ctx, tenant.admin_session, tenant.user.id),
                   accounts.unlock_account(ctx, "M97-00339", "user@example.com")):
        assert isinstance(result, accounts.UnlockResult)
        assert not result.was_locked and not result.changed
        assert result.id == tenant.user.id and result.login_id == "user@example.com"
        assert result.failed_count == 0 and result.locked_until is None
    assert snapshot() == before  # no UPDATE, no audit entry


@pytest.mark.parametrize("state", ["failures_only", "lock_over"])
def test_unlock_clears_what_is_there_without_calling_it_a_lock(ctx, tenant, clock, state):
    # Not locked now, but something to clear: a failure count, or a lock that ran out
    # and is still stored. It is cleared and audited; was_locked says it was not locked.
    lock(tenant.user.id, ctx)
    if state == "failures_only":
        m.Account.update(failed_count=3, locked_until=None).where(
            m.Account.id == tenant.user.id).execute()
    else:
        clock.advance(minutes=15)
    result = accounts.unlock(ctx, tenant.admin_session, tenant.user.id)
    assert not result.was_locked and result.changed
    assert result.failed_count == 0 and result.locked_until is None
    assert row(tenant.user.id).failed_count == 0 and row(tenant.user.id).locked_until is None
    assert len(audit_rows("account.unlock")) == 1


def test_user_cannot_unlock_and_foreign_ids_are_not_found(ctx, tenant, other_tenant):
    lock(tenant.admin.id, ctx)
    lock(other_tenant.user.id, ctx)
    before = snapshot()
    # the user cannot unlock (their admin is locked out)
    with pytest.raises(PermissionDenied):
        accounts.unlock(ctx, tenant.user_session, tenant.admin.id)
    with pytest.raises(NotFoundError):
        accounts.unlock(ctx, other_tenant.admin_session, tenant.admin.id)
    assert snapshot() == before


def test_provider_unlocks_by_member_number_and_login_id(ctx, tenant, other_tenant):
    lock(tenant.user.id, ctx)
    lock(other_tenant.user.id, ctx)
    view = accounts.unlock_account(ctx, "m97-00339", "USER@Example.com")
    assert view.id == tenant.user.id and view.failed_count == 0 and view.locked_until is None
    assert view.was_locked and view.changed
    assert row(other_tenant.user.id).failed_count == 5  # the other company's namesake
    entry = audit_rows("account.unlock")[-1]
    assert entry.actor == "provider" and entry.company_id == tenant.company.id
    with pytest.raises(NotFoundError):
        accounts.unlock_account(ctx, "M97-00339", "nobody@example.com")
    with pytest.raises(NotFoundError):
        accounts.unlock_account(ctx, "ZZ-404", "user@example.com")
    accounts.delete_account(ctx, tenant.admin_session, tenant.user.id, version=row(tenant.user.id).version)
    with pytest.raises(NotFoundError):
        accounts.unlock_account(ctx, "M97-00339", "user@example.com")


# ------------------------------------------------------------------ R-ACC-6: audit
def test_every_change_is_audited_without_secrets(ctx, tenant):
    view = create(ctx, tenant, role="user")
    view = update(ctx, tenant.admin_session, view, name="監査 太郎", role="admin")
    lock(view.id, ctx)
    accounts.unlock(ctx, tenant.admin_session, view.id)
    accounts.delete_account(ctx, tenant.admin_session, view.id, version=view.version)
    actions = [e.action for e in audit.list_entries(ctx, tenant.admin_session, last=10)]
    assert actions[:4] == ["account.delete", "account.unlock", "account.update", "account.create"]
    hashes = [r.password_hash for r in m.Account.select()]
    for entry in m.AuditLog.select():
        text = f"{entry.before or ''}{entry.after or ''}{entry.target}"
        for secret in (NEW_PASSWORD, "admin-pass-1", "user-pass-1", "$2b$", *hashes):
            assert secret not in text
        assert "password" not in text


def test_audit_is_company_scoped(ctx, tenant, other_tenant):
    create(ctx, tenant)
    theirs = audit.list_entries(ctx, other_tenant.admin_session, last=100)
    assert all(e.target != "ichiro@example.com" for e in theirs)
