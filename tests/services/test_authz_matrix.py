"""Authorization matrix (R-TEN-2, R-TEN-3, R-ACC-1/2/4/5, R-LOG-6) over every public
service call that takes the acting Session.

Calls are *discovered*: every public function of a ``portplus_tui.services.*`` module
whose first two parameters are ``ctx, session``. Each must have a row in ``MATRIX``
(the expected outcome per actor kind) and an argument factory in ``FACTORIES``; a new
call without them fails ``test_every_session_call_has_a_row`` and its own matrix test.

For each cell the call is made with valid arguments aimed at a fresh target in the
first tenant ("tenant one"):

- ALLOW: no PermissionDenied, AuthError or NotFoundError (any other error means the
  factory is broken and fails the test too). For the other company's admin, tenant
  one's rows must stay unchanged and the result must not mention tenant one's data.
- DENY: PermissionDenied or AuthError; no row of either company changes, no mail.
- HIDDEN (the other company's admin aimed at tenant one's objects): NotFoundError,
  PermissionDenied or AuthError; nothing changes, no mail.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import pkgutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable

import pytest

import portplus_tui.services as services_pkg
from portplus_tui.core.errors import AuthError, NotFoundError, PermissionDenied
from portplus_tui.services import accounts, applications, companies
from portplus_tui.services.context import AppContext, Session
from portplus_tui.store import models as m

from .conftest import Tenant, make_tenant, session_for

# ------------------------------------------------------------------ the table
A, D, H = "allow", "deny", "hidden"

ACTORS = ("admin", "user", "other_admin", "expired", "locked", "deleted", "demoted", "idle")
"""admin / user: tenant one's accounts. other_admin: the admin of another company.
expired, locked, deleted: tenant one admins in that state (a lock from failed logins
guards the password, not a session already logged in (R-SEC-4): the locked admin's
session keeps its rights, only its password change is refused). demoted: a tenant one admin
whose role became user after the session began. idle: a tenant one admin whose session
saw no activity for longer than the idle timeout."""

MATRIX: dict[str, tuple[str, ...]] = {
    #                                admin user other expired locked deleted demoted idle
    "applications.create":          (A,    A,   A,    D,      A,     D,      A,      D),
    "applications.change":          (A,    A,   H,    D,      A,     D,      A,      D),
    "applications.cancel":          (A,    A,   H,    D,      A,     D,      A,      D),
    "applications.get":             (A,    A,   H,    D,      A,     D,      A,      D),
    "applications.get_by_number":   (A,    A,   H,    D,      A,     D,      A,      D),
    "applications.history":         (A,    A,   H,    D,      A,     D,      A,      D),
    "applications.deadline_for":    (A,    A,   A,    D,      A,     D,      A,      D),
    "applications.list_page":       (A,    A,   A,    D,      A,     D,      A,      D),
    "applications.next_page":       (A,    A,   A,    D,      A,     D,      A,      D),
    "applications.prev_page":       (A,    A,   A,    D,      A,     D,      A,      D),
    "applications.last_page":       (A,    A,   A,    D,      A,     D,      A,      D),
    "applications.day_totals":      (A,    A,   A,    D,      A,     D,      A,      D),
    "applications.export_rows":     (A,    A,   A,    D,      A,     D,      A,      D),
    "exports.write_csv":            (A,    A,   A,    D,      A,     D,      A,      D),
    "exports.download":             (A,    A,   A,    D,      A,     D,      A,      D),
    "companies.company_info":       (A,    A,   A,    D,      A,     D,      A,      D),
    "companies.list_options":       (A,    A,   A,    D,      A,     D,      A,      D),
    "audit.list_entries":           (A,    D,   A,    D,      A,     D,      D,      D),
    "accounts.list_accounts":       (A,    A,   A,    D,      A,     D,      A,      D),
    "accounts.get_account":         (A,    D,   H,    D,      A,     D,      D,      D),
    "accounts.create_account":      (A,    D,   A,    D,      A,     D,      D,      D),
    "accounts.update_account":      (A,    D,   H,    D,      A,     D,      D,      D),
    "accounts.delete_account":      (A,    D,   H,    D,      A,     D,      D,      D),
    "accounts.unlock":              (A,    D,   H,    D,      A,     D,      D,      D),
    "context.authorize":            (A,    A,   A,    D,      A,     D,      A,      D),
    "calendar_view.month_view":     (A,    A,   A,    D,      A,     D,      A,      D),
    "calendar_view.day_view":       (A,    A,   A,    D,      A,     D,      A,      D),
    "calendar_view.page_containing": (A,   A,   A,    D,      A,     D,      A,      D),
    # services.auth
    "auth.admin_send_reset":        (A,    D,   H,    D,      A,     D,      D,      D),
    "auth.change_own_password":     (A,    A,   A,    D,      D,     D,      A,      D),
    "auth.touch":                   (A,    A,   A,    D,      A,     D,      A,      D),
    "auth.check_session":           (A,    A,   A,    D,      A,     D,      A,      D),
    "auth.logout":                  (A,    A,   A,    A,      A,     A,      A,      A),
}
"""Notes: a target of the account calls is always another account of tenant one (a user
may read and change only their own account: PermissionDenied for others). Logging out
never fails, whatever the state of the session. The other company's admin is HIDDEN
for calls aimed at one of tenant one's objects and ALLOW for calls that only read or
add to their own company (which must not show or change tenant one's rows)."""

MARK = "tenant-one"  # in every login ID and applicant of tenant one made here
PASSWORD = "Spec1al-pass-9"
PASSWORDS = {"admin": "admin-pass-1", "user": "user-pass-1", "other_admin": "admin-pass-1"}


# ------------------------------------------------------------------ discovery
def discover() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.iter_modules(services_pkg.__path__):
        module = importlib.import_module(f"{services_pkg.__name__}.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            # A package (services/auth/) counts with the calls it re-exports.
            own = fn.__module__ == module.__name__ or (
                info.ispkg and fn.__module__.startswith(module.__name__ + "."))
            if name.startswith("_") or not own:
                continue
            params = list(inspect.signature(fn).parameters)
            if params[:2] == ["ctx", "session"]:
                found[f"{info.name}.{name}"] = fn
    return found


DISCOVERED = discover()


CALLS = sorted(set(DISCOVERED) | set(MATRIX))
"""Every discovered call and every row: a row whose call is gone (renamed, removed) is a
test too, and fails in ``test_every_session_call_has_a_row_and_a_factory``."""


# ------------------------------------------------------------------ the world of one test
@dataclass
class World:
    ctx: AppContext
    one: Tenant
    two: Tenant
    provider: Session
    special: dict[str, accounts.AccountView]
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def n(self) -> int:
        return next(self.counter)

    def target_account(self) -> accounts.AccountView:
        i = self.n()
        return accounts.add_account(self.ctx, self.one.company.member_no,
                                    f"target-{i}@{MARK}.example", name=f"対象 {i}", role="user",
                                    department="対象部", expires="2099-12-31", password=PASSWORD)

    def application(self, day: date = date(2026, 3, 16)) -> applications.ApplicationView:
        return applications.create(self.ctx, self.provider, apply_date=day, ports=1,
                                   applicant=f"{MARK}-applicant")

    def query(self) -> applications.ListQuery:
        return applications.period_query(date(2026, 3, 1), date(2026, 3, 31), page_size=10)

    def actor(self, kind: str) -> Session:
        ctx = self.ctx
        if kind == "admin":
            return session_for(ctx, self.one.company, self.one.admin)
        if kind == "user":
            return session_for(ctx, self.one.company, self.one.user)
        if kind == "other_admin":
            return session_for(ctx, self.two.company, self.two.admin)
        session = session_for(ctx, self.one.company, self.special[kind])
        if kind == "idle":
            session.last_activity = ctx.now() - timedelta(
                minutes=ctx.settings.idle_timeout_minutes, seconds=1)
        return session

    def password(self, kind: str) -> str:
        return PASSWORDS.get(kind, PASSWORD)


def build_world(ctx: AppContext) -> World:
    one = make_tenant(ctx, "M97-00339")
    two = make_tenant(ctx, "M97-00999", name="Other Co")
    provider = companies.provider_session(ctx, one.company.member_no)
    special = {
        kind: accounts.add_account(ctx, one.company.member_no, f"{kind}@{MARK}.example",
                                   name=f"{kind} 様", role="admin", department="管理部",
                                   expires="2099-12-31", password=PASSWORD)
        for kind in ("expired", "locked", "deleted", "demoted", "idle")
    }
    A_ = m.Account
    A_.update(expires=date(2026, 3, 1)).where(A_.id == special["expired"].id).execute()
    A_.update(failed_count=5, locked_until=(ctx.now() + timedelta(minutes=15)).replace(tzinfo=None)
              ).where(A_.id == special["locked"].id).execute()
    A_.update(deleted=True, deleted_at=ctx.now().replace(tzinfo=None),
              login_key=f"deleted@{MARK}.example#deleted-{special['deleted'].id}"
              ).where(A_.id == special["deleted"].id).execute()
    world = World(ctx, one, two, provider, special)
    for i in range(12):  # more than one page of ten
        world.application(date(2026, 3, 16) + timedelta(days=i % 5))
    return world


def after_session_start(world: World, kind: str) -> None:
    """Changes that happen after the session began (the session was made before)."""
    if kind == "demoted":
        m.Account.update(role="user").where(m.Account.id == world.special["demoted"].id).execute()


def restore(world: World, kind: str) -> None:
    if kind == "demoted":
        m.Account.update(role="admin").where(m.Account.id == world.special["demoted"].id).execute()


# ------------------------------------------------------------------ argument factories
Args = tuple[tuple, dict]


def _app_id(w: World, kind: str) -> Args:
    return (w.application().id,), {}


def _change(w: World, kind: str) -> Args:
    app = w.application()
    return (app.id,), dict(version=app.version, apply_date=date(2026, 3, 17), ports=2,
                           applicant=f"{MARK}-changed")


def _cancel(w: World, kind: str) -> Args:
    app = w.application()
    return (app.id,), dict(version=app.version)


def _page(w: World, number: int) -> applications.Page:
    return applications.list_page(w.ctx, w.provider, w.query(), number)


def _account_id(w: World, kind: str) -> Args:
    return (w.target_account().id,), {}


def _update_account(w: World, kind: str) -> Args:
    target = w.target_account()
    return (target.id,), dict(version=target.version, name="更新 後", department="総務部",
                              phone="03-9999-0000")


def _delete_account(w: World, kind: str) -> Args:
    target = w.target_account()
    return (target.id,), dict(version=target.version)


def _create_account(w: World, kind: str) -> Args:
    i = w.n()
    pw = "Fresh-pass-77"
    return (), dict(name=f"新規 {i}", role="user", login_id=f"new-{i}@example.org", password=pw,
                    password_confirm=pw, department="新規部", phone="", expires="2099-12-31")


def _change_own_password(w: World, kind: str) -> Args:
    new = "Changed-pass-55"
    return (), dict(current=w.password(kind), new=new, confirm=new)


def _none(w: World, kind: str) -> Args:
    return (), {}


FACTORIES: dict[str, Callable[[World, str], Args]] = {
    "applications.create": lambda w, k: ((), dict(apply_date=date(2026, 3, 18), ports=3,
                                                  applicant="作成者")),
    "applications.change": _change,
    "applications.cancel": _cancel,
    "applications.get": _app_id,
    "applications.get_by_number": lambda w, k: ((w.application().number,), {}),
    "applications.history": _app_id,
    "applications.deadline_for": lambda w, k: ((date(2026, 3, 18),), {}),
    "applications.list_page": lambda w, k: ((w.query(), 1), {}),
    "applications.next_page": lambda w, k: ((_page(w, 1),), {}),
    "applications.prev_page": lambda w, k: ((_page(w, 2),), {}),
    "applications.last_page": lambda w, k: ((w.query(),), {}),
    "applications.day_totals": lambda w, k: ((date(2026, 3, 1), date(2026, 3, 31)), {}),
    "applications.export_rows": _none,
    # A file name of its own per actor: an allowed call writes one file and must not
    # find the file of an earlier actor in the way.
    "exports.write_csv": lambda w, k: ((f"authz-{k}",), {}),
    "exports.download": lambda w, k: ((f"authz-{k}",), {}),
    "companies.company_info": _none,
    "companies.list_options": _none,
    "audit.list_entries": _none,
    "accounts.list_accounts": _none,
    "accounts.get_account": _account_id,
    "accounts.create_account": _create_account,
    "accounts.update_account": _update_account,
    "accounts.delete_account": _delete_account,
    "accounts.unlock": _account_id,
    "context.authorize": _none,  # the primitive itself, with admin=False
    "calendar_view.month_view": lambda w, k: ((2026, 3), {}),
    "calendar_view.day_view": lambda w, k: ((date(2026, 3, 18),), {}),
    # Another company's admin asking where tenant one's application would be in *its own*
    # list: answered from its own rows only (the state checks prove nothing leaks).
    "calendar_view.page_containing": lambda w, k: ((w.query(), w.application()), {}),
    "auth.admin_send_reset": _account_id,
    "auth.change_own_password": _change_own_password,
    "auth.touch": _none,
    "auth.check_session": _none,
    "auth.logout": _none,
}


# ------------------------------------------------------------------ state checks
def company_rows(company_id: int) -> dict[str, list]:
    def rows(query) -> list:
        return sorted(query.tuples(), key=repr)

    acc = m.Account.select(m.Account.id).where(m.Account.company == company_id)
    apps = m.Application.select(m.Application.id).where(m.Application.company == company_id)
    return {
        "company": rows(m.Company.select().where(m.Company.id == company_id)),
        "options": rows(m.CompanyOption.select().where(m.CompanyOption.company == company_id)),
        "accounts": rows(m.Account.select().where(m.Account.company == company_id)),
        "applications": rows(m.Application.select().where(m.Application.company == company_id)),
        "revisions": rows(m.ApplicationRevision.select()
                          .where(m.ApplicationRevision.application.in_(apps))),
        "day_counts": rows(m.DayCount.select().where(m.DayCount.company == company_id)),
        "audit": rows(m.AuditLog.select().where(m.AuditLog.company == company_id)),
        "reset_tokens": rows(m.ResetToken.select().where(m.ResetToken.account.in_(acc))),
        "otp": rows(m.OtpChallenge.select().where(m.OtpChallenge.account.in_(acc))),
    }


def invoke(fn: Callable[..., Any], ctx: AppContext, session: Session, args: Args) -> Any:
    positional, keywords = args
    result = fn(ctx, session, *positional, **keywords)
    if inspect.isgenerator(result):
        result = list(result)
    return result


# ------------------------------------------------------------------ tests
def test_every_session_call_has_a_row_and_a_factory():
    missing = sorted(set(DISCOVERED) - set(MATRIX))
    assert not missing, f"session calls without a row in MATRIX: {missing}"
    no_factory = sorted(name for name in MATRIX if name not in FACTORIES)
    assert not no_factory, f"rows without an argument factory: {no_factory}"
    stale = sorted(name for name in MATRIX if name not in DISCOVERED)
    assert not stale, f"rows for calls that do not exist (renamed?): {stale}"
    assert all(len(row) == len(ACTORS) for row in MATRIX.values())
    assert all(cell in (A, D, H) for row in MATRIX.values() for cell in row)


def test_discovery_finds_the_known_calls():
    """Guards the discovery itself: if it found nothing, the matrix would pass vacuously."""
    for name in ("applications.create", "applications.export_rows", "companies.company_info",
                 "audit.list_entries", "accounts.list_accounts", "accounts.delete_account"):
        assert name in DISCOVERED
    assert "accounts.add_account" not in DISCOVERED  # provider call: (ctx, member_no, ...)
    assert "accounts.validate_new_account" not in DISCOVERED


@pytest.mark.parametrize("call", CALLS)
def test_authorization_matrix(ctx, call, subtests):
    if call not in MATRIX:
        pytest.fail(f"{call} takes (ctx, session) but has no row in MATRIX: add one")
    if call not in FACTORIES:
        pytest.fail(f"{call} has no argument factory in FACTORIES: add one")
    if call not in DISCOVERED:
        pytest.fail(f"MATRIX row {call} names no (ctx, session) service call: renamed or removed?")
    fn = DISCOVERED[call]
    world = build_world(ctx)
    mailer = ctx.get_mailer()
    for kind, expected in zip(ACTORS, MATRIX[call]):
        with subtests.test(actor=kind, expected=expected):
            session = world.actor(kind)
            after_session_start(world, kind)
            try:
                args = FACTORIES[call](world, kind)
                one_before = company_rows(world.one.company.id)
                two_before = company_rows(world.two.company.id)
                mails_before = len(mailer.sent)
                try:
                    result = invoke(fn, ctx, session, args)
                except (PermissionDenied, AuthError, NotFoundError) as exc:
                    if expected == A:
                        pytest.fail(f"{call} by {kind}: expected to be allowed, got {exc!r}")
                    if expected == D:
                        assert not isinstance(exc, NotFoundError), (
                            f"{call} by {kind}: expected PermissionDenied/AuthError, got {exc!r}")
                    assert exc.message("ja") and exc.message("en")
                    assert company_rows(world.one.company.id) == one_before, (
                        f"{call} by {kind} was refused but changed tenant one's rows")
                    assert company_rows(world.two.company.id) == two_before, (
                        f"{call} by {kind} was refused but changed the other company's rows")
                    assert len(mailer.sent) == mails_before, f"{call} by {kind} sent mail"
                else:
                    assert expected == A, (
                        f"{call} by {kind}: expected {expected}, but it was allowed")
                    if kind == "other_admin":
                        assert company_rows(world.one.company.id) == one_before, (
                            f"{call} by the other company's admin changed tenant one's rows")
                        assert MARK not in repr(result).lower(), (
                            f"{call} by the other company's admin returned tenant one's data")
            finally:
                restore(world, kind)
