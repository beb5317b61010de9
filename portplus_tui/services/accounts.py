"""Accounts (SPEC §9). This module starts with the provider's calls used by the
command line and the demo; the session calls (list, create, update, delete) build on
the same validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from portplus_tui.core import validation as v
from portplus_tui.core.calendar import parse_date
from portplus_tui.core.errors import ValidationError
from portplus_tui.core.password_policy import check_password
from portplus_tui.services import audit
from portplus_tui.services.companies import _get_row as _company_row
from portplus_tui.services.context import AppContext
from portplus_tui.services.passwords import hash_password
from portplus_tui.store import models as m
from portplus_tui.store.db import from_db, to_db


@dataclass(frozen=True)
class AccountView:
    id: int
    login_id: str
    name: str
    role: str
    department: str
    phone: str
    expires: date
    locked_until: datetime | None
    failed_count: int
    deleted: bool


def _view(row: m.Account) -> AccountView:
    return AccountView(
        id=row.id, login_id=row.login_id, name=row.name, role=row.role,
        department=row.department, phone=row.phone or "", expires=row.expires,
        locked_until=from_db(row.locked_until), failed_count=row.failed_count,
        deleted=bool(row.deleted),
    )


def _public(view: AccountView) -> dict:
    return {"login_id": view.login_id, "name": view.name, "role": view.role,
            "department": view.department, "phone": view.phone, "expires": view.expires}


def _login_taken(company_id: int, key: str, exclude_id: int | None = None) -> bool:
    query = m.Account.select().where(
        (m.Account.company == company_id) & (m.Account.login_key == key)
    )
    if exclude_id is not None:
        query = query.where(m.Account.id != exclude_id)
    return query.exists()


def add_account(ctx: AppContext, member_no: str, email: str, *, name: str, role: str,
                department: str, expires: date | str, password: str, phone: str = "") -> AccountView:
    """Provider: create an account (the first admin of a company, R-TEN-4)."""
    login_id = v.normalize_email(email)
    key = v.email_key(login_id)
    clean = {
        "name": v.normalize_name(name, field="name", max_len=50),
        "role": v.parse_role(role),
        "department": v.normalize_name(department, field="department", max_len=50),
        "phone": v.normalize_phone(phone or ""),
        "expires": expires if isinstance(expires, date) else parse_date(expires, field="expires"),
    }
    s = ctx.settings
    check_password(password, login_id=login_id, min_length=s.password_min_length,
                   max_length=s.password_max_length)
    company = _company_row(member_no)
    password_hash = hash_password(password, s.bcrypt_rounds)
    with ctx.db.atomic():
        if _login_taken(company.id, key):
            raise ValidationError("このログインIDは既に使われています。",
                                  "This login ID is already in use.", field="login_id")
        now = to_db(ctx.now())
        row = m.Account.create(
            company=company.id, login_id=login_id, login_key=key, password_hash=password_hash,
            created_at=now, updated_at=now, password_changed_at=now, **clean,
        )
        view = _view(row)
        audit.record(ctx, "account.add", company_id=company.id, actor="provider",
                     target=login_id, after=_public(view))
    return view


def list_accounts_for(ctx: AppContext, member_no: str) -> list[AccountView]:
    """Provider: every live account of a company."""
    company = _company_row(member_no)
    rows = (
        m.Account.select()
        .where((m.Account.company == company.id) & (m.Account.deleted == False))  # noqa: E712
        .order_by(m.Account.login_key)
    )
    return [_view(row) for row in rows]
