"""Fixtures for service tests: a migrated database (SQLite and PostgreSQL), an
injectable clock, a memory mailer, the demo-like company and its sessions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest

from portplus_tui.config import Settings
from portplus_tui.services import accounts, companies
from portplus_tui.services.context import AppContext, Session, credential_stamp
from portplus_tui.services.mail import MemoryBackend
from portplus_tui.store import models as m

# Monday 2026-03-02 10:00 JST: a business day well away from holidays and year end.
START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


class FakeClock:
    """A clock the test moves by hand (thread-safe enough: one writer, the test)."""

    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime, *active: Session) -> None:
        """Move the clock; the given sessions count as active at the new time (others
        may have idled out, as they would in real life)."""
        self.now = now
        for session in active:
            session.last_activity = now

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


def make_settings(database_url: str, tmp_path, **overrides) -> Settings:
    # A key of the test's own (as PORTPLUS_SECRET_KEY gives one): no key file anywhere.
    values = dict(data_dir=tmp_path, database_url=database_url, bcrypt_rounds=4,
                  mail_backend="memory", secret_key=secrets.token_hex(32))
    values.update(overrides)
    return Settings(**values).validate()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
def ctx(settings, clock) -> Iterator[AppContext]:
    context = AppContext.open(settings, clock=clock, migrate=True,
                              mailer=MemoryBackend(sender=settings.mail_from))
    try:
        yield context
    finally:
        context.close()


@dataclass
class Tenant:
    company: companies.CompanyInfo
    admin: accounts.AccountView
    user: accounts.AccountView
    admin_session: Session
    user_session: Session


def session_for(ctx: AppContext, company: companies.CompanyInfo, account: accounts.AccountView) -> Session:
    """A logged-in session, as the auth service makes one (tests of other services
    use this so they do not depend on the login flow)."""
    now = ctx.now()
    password_hash = m.Account.get_by_id(account.id).password_hash
    return Session(company_id=company.id, member_no=company.member_no, role=account.role,
                   account_id=account.id, login_id=account.login_id, name=account.name,
                   login_at=now, last_activity=now, credential=credential_stamp(password_hash))


def make_tenant(ctx: AppContext, member_no: str, *, name: str = "NTT BizLink", ports: int = 30,
                two_factor: bool = False) -> Tenant:
    company = companies.add_company(ctx, member_no, name=name, address="東京都文京区小石川1-4-1",
                                    ports=ports, two_factor=two_factor)
    admin = accounts.add_account(ctx, member_no, "admin@example.com", name="山田 太郎", role="admin",
                                 department="情報システム部", expires="2099-12-31",
                                 password="admin-pass-1")
    user = accounts.add_account(ctx, member_no, "user@example.com", name="佐藤 花子", role="user",
                                department="営業部", expires="2099-12-31", password="user-pass-1")
    return Tenant(company, admin, user, session_for(ctx, company, admin),
                  session_for(ctx, company, user))


@pytest.fixture
def tenant(ctx) -> Tenant:
    return make_tenant(ctx, "M97-00339")


@pytest.fixture
def other_tenant(ctx) -> Tenant:
    return make_tenant(ctx, "M97-00999", name="Other Co")


MEMBER_2FA = "M97-00400"


@pytest.fixture
def tfa(ctx) -> Tenant:
    """A company with the two-factor option."""
    return make_tenant(ctx, MEMBER_2FA, name="Two Factor Co", two_factor=True)
