"""Accounts (SPEC §9, アカウント管理).

Provider calls for the command line and the demo (``add_account``, ``list_accounts_for``,
``unlock_account``) and session calls for the screens (``list_accounts``, ``get_account``,
``create_account``, ``update_account``, ``delete_account``, ``unlock``). Both kinds share
one validation of the new-account form.

Rules (enforced here, whatever the screens show):

- R-TEN-2: an id of another company's account is "not found", never read or changed.
- R-ACC-1: an admin (or the provider) sees every live account of the company; a user
  sees only their own account (another account's id is refused with PermissionDenied).
- R-ACC-2/3: every field of the new-account form is validated, each error names its
  field; the login ID is unique within the company case-insensitively (the unique index
  on ``(company, login_key)`` decides between concurrent creations); 有効期限 is today
  (Japan time) or later; the password policy is checked with the login ID.
- R-ACC-4: an admin updates every account of the company, including 権限 and 有効期限;
  a user only their own 担当者名, 部署 and 電話番号. The login ID cannot be changed.
  Nobody raises their own rights: no one changes their own 権限, and no one moves their
  own 有効期限 later; nor earlier (issue 11 finding 8: ValidationError ``self_shorten``,
  field ``expires``; into the past: ``self_expire``). So one's own 有効期限 is changed
  by another admin or the provider only. Passwords are changed in ``services.auth``.
- R-ACC-5: an admin cannot delete or demote themselves; the company's last live,
  unexpired admin cannot be deleted, demoted or expired; and its 有効期限 can only move
  later, never earlier (ValidationError ``last_admin_expiry``, field ``expires``):
  moving it to today or tomorrow used to be accepted, and the day after the company
  had no admin. Writes that can lower the number
  of admins lock the company row first (``SELECT ... FOR NO KEY UPDATE`` on PostgreSQL;
  on SQLite every write transaction is ``BEGIN IMMEDIATE``), then re-read the acting
  account and count, so two admins deleting each other at once leave one admin.
- Optimistic locking: update and delete take the ``version`` the caller saw and the
  UPDATE matches only that version (ConflictError otherwise). Unlocking does not change
  the version (the lock state is not part of the form, like the login failure count);
  it returns an ``UnlockResult`` (an ``AccountView`` with ``was_locked`` and
  ``changed``) and writes nothing, not even an audit entry, when there is nothing to
  clear.
- R-ACC-6: every change is audited in the same transaction with before/after of the
  public fields; passwords and hashes never go in.
- Deleting is soft (``deleted``, ``deleted_at``) and frees the login ID: ``login_key``
  becomes ``<key>#deleted-<id>`` (``#`` cannot occur in a valid domain, so a freed key
  never equals a real one).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, datetime

import peewee

from portplus_tui.core import validation as v
from portplus_tui.core.calendar import format_jp_date, parse_date, today_jst
from portplus_tui.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from portplus_tui.core.messages import texts
from portplus_tui.core.password_policy import check_password
from portplus_tui.services import audit, live
from portplus_tui.services.companies import _get_row as _company_row
from portplus_tui.services.context import AppContext, Session, authorize
from portplus_tui.services.passwords import hash_password
from portplus_tui.store import models as m
from portplus_tui.store.db import from_db, is_postgres, to_db

NAME_MAX = 50
DEPARTMENT_MAX = 50
LOGIN_KEY_MAX = 254  # models.Account.login_key max_length

FORM_FIELDS = ("name", "role", "login_id", "password", "password_confirm", "department",
               "phone", "expires")
"""The new-account form's fields in screen order; errors are reported in this order."""


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
    version: int = 1
    #: computed by the service when the view is made (the screens show them as they are)
    locked: bool = False  # locked_until lies in the future
    expired: bool = False  # the 有効期限 (expires) is before today (Japan time)

    @property
    def is_admin(self) -> bool:
        return self.role == m.ROLE_ADMIN


@dataclass(frozen=True)
class UnlockResult(AccountView):
    """What ``unlock`` / ``unlock_account`` return: the account after the call (an
    ``AccountView``) and what there was to clear.

    ``was_locked``: the account was locked at the time of the call (``locked_until`` in
    the future). ``changed``: something was cleared (a lock, an expired lock still
    stored, or a failure count above zero); when False nothing was written, not even an
    audit entry.
    """

    was_locked: bool = False
    changed: bool = False


def _view(row: m.Account, now: datetime) -> AccountView:
    """The account as the screens and the CLI see it; ``locked`` and ``expired`` as of
    ``now`` (the caller's ``ctx.now()``)."""
    locked_until = from_db(row.locked_until)
    return AccountView(
        id=row.id, login_id=row.login_id, name=row.name, role=row.role,
        department=row.department, phone=row.phone or "", expires=row.expires,
        locked_until=locked_until, failed_count=row.failed_count,
        deleted=bool(row.deleted), version=row.version,
        locked=locked_until is not None and locked_until > now,
        expired=row.expires < today_jst(now),
    )


def _public(view: AccountView) -> dict:
    return {"login_id": view.login_id, "name": view.name, "role": view.role,
            "department": view.department, "phone": view.phone, "expires": view.expires}


def _lock_state(row: m.Account) -> dict:
    return {"login_id": row.login_id, "failed_count": row.failed_count,
            "locked_until": from_db(row.locked_until)}


# ------------------------------------------------------------------ errors
def _denied(ja: str, en: str, code: str, field: str | None = None) -> PermissionDenied:
    return PermissionDenied(ja, en, field=field, code=code)


def _own_account_only() -> PermissionDenied:
    return _denied(*texts('accounts.own_account_only'), "own_account_only")


def _not_found() -> NotFoundError:
    return NotFoundError(*texts('accounts.not_found'), field="account")


def _conflict() -> ConflictError:
    return ConflictError(
        *texts('accounts.conflict'),
    )


def _last_admin(field: str | None) -> PermissionDenied:
    return _denied(
        *texts('accounts.last_admin'),
        "last_admin", field,
    )


def _login_taken_error() -> ValidationError:
    return ValidationError(*texts('accounts.login_taken_error'), field="login_id")


# ------------------------------------------------------------------ validation
def _parse_expires(value: date | str | None, field: str = "expires") -> date:
    if isinstance(value, datetime):  # a datetime is a date too: refuse the ambiguity
        raise ValidationError(*texts('accounts.parse_expires'), field=field)
    if isinstance(value, date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(*texts('accounts.parse_expires.2'), field=field)
    if not isinstance(value, str):
        raise TypeError(f"expected date or str, got {type(value).__name__}")
    return parse_date(value, field=field)


def _check_not_past(ctx: AppContext, expires: date) -> None:
    today = ctx.today()
    if expires < today:
        raise ValidationError(
            *texts('accounts.check_not_past', today=format_jp_date(today), isoformat=today.isoformat()),
            field="expires",
        )


def _clean_name(text: str) -> str:
    return v.normalize_name(text, field="name", max_len=NAME_MAX)


def _clean_department(text: str) -> str:
    return v.normalize_name(text, field="department", max_len=DEPARTMENT_MAX)


def _clean_phone(text: str | None) -> str:
    return v.normalize_phone(text or "", field="phone")


def validate_new_account(ctx: AppContext, *, name: str, role: str, login_id: str, password: str,
                         password_confirm: str, department: str, phone: str = "",
                         expires: date | str) -> tuple[dict, dict[str, ValidationError]]:
    """Check every field of the new-account form (R-ACC-2, R-ACC-3) without touching
    the database. Returns the clean values and the errors by field (in ``FORM_FIELDS``
    order); uniqueness of the login ID is checked when the account is written."""
    clean: dict = {}
    errors: dict[str, ValidationError] = {}

    def attempt(field: str, fn, *args) -> None:
        try:
            clean[field] = fn(*args)
        except ValidationError as exc:
            exc.field = exc.field or field
            errors[field] = exc

    attempt("name", _clean_name, name)
    attempt("role", v.parse_role, role)
    attempt("login_id", v.normalize_email, login_id, "login_id")
    s = ctx.settings

    def password_ok(pw: str) -> str:
        ident = clean.get("login_id") or (login_id if isinstance(login_id, str) else None)
        check_password(pw, login_id=ident, min_length=s.password_min_length,
                       max_length=s.password_max_length, field="password")
        return pw

    attempt("password", password_ok, password)

    def confirm_ok(confirm: str) -> str:
        if not isinstance(confirm, str) or not confirm:
            raise ValidationError(*texts('accounts.confirm_ok'),
                                  field="password_confirm")
        if "password" in clean and not hmac.compare_digest(
            confirm.encode("utf-8", "surrogatepass"), password.encode("utf-8", "surrogatepass")
        ):
            raise ValidationError(*texts('accounts.confirm_ok.2'), field="password_confirm")
        return confirm

    attempt("password_confirm", confirm_ok, password_confirm)
    attempt("department", _clean_department, department)
    attempt("phone", _clean_phone, phone)

    def expires_ok(value) -> date:
        day = _parse_expires(value)
        _check_not_past(ctx, day)
        return day

    attempt("expires", expires_ok, expires)
    return clean, errors


def _validated_new(ctx: AppContext, **fields) -> dict:
    clean, errors = validate_new_account(ctx, **fields)
    for field in FORM_FIELDS:
        if field in errors:
            raise errors[field]
    return clean


# ------------------------------------------------------------------ database helpers
def _login_taken(company_id: int, key: str, exclude_id: int | None = None) -> bool:
    query = m.Account.select().where(
        (m.Account.company == company_id) & (m.Account.login_key == key)
    )
    if exclude_id is not None:
        query = query.where(m.Account.id != exclude_id)
    return query.exists()


def _insert(ctx: AppContext, company_id: int, clean: dict, *, session: Session | None) -> AccountView:
    """Hash the password and insert the account in one transaction with its audit entry.
    The unique index on (company, login_key) has the last word: a concurrent creation of
    the same login ID becomes the same ValidationError as the check before it."""
    login_id = clean["login_id"]
    key = v.email_key(login_id)
    if _login_taken(company_id, key):  # cheap early answer, before bcrypt
        raise _login_taken_error()
    password_hash = hash_password(clean["password"], ctx.settings.bcrypt_rounds)
    try:
        with ctx.db.atomic():
            if _login_taken(company_id, key):
                raise _login_taken_error()
            now = to_db(ctx.now())
            row = m.Account.create(
                company=company_id, login_id=login_id, login_key=key,
                password_hash=password_hash, name=clean["name"], role=clean["role"],
                department=clean["department"], phone=clean["phone"], expires=clean["expires"],
                created_at=now, updated_at=now, password_changed_at=now,
            )
            view = _view(row, ctx.now())
            if session is not None:
                audit.record(ctx, "account.create", session=session, target=login_id,
                             after=_public(view))
            else:
                audit.record(ctx, "account.create", company_id=company_id, actor="provider",
                             target=login_id, after=_public(view))
            live.record(ctx, company_id, live.ACCOUNT, view.id)
    except peewee.IntegrityError:
        raise _login_taken_error() from None
    return view


def _live_row(company_id: int, account_id: int) -> m.Account:
    if isinstance(account_id, bool) or not isinstance(account_id, int):
        raise _not_found()
    row = (
        m.Account.select()
        .where((m.Account.id == account_id) & (m.Account.company == company_id)
               & (m.Account.deleted == False))  # noqa: E712
        .first()
    )
    if row is None:
        raise _not_found()
    return row


def _lock_company(ctx: AppContext, company_id: int) -> None:
    """Serialise the account writes of one company (call inside ``ctx.db.atomic()``).

    PostgreSQL: a row lock on the company (NO KEY UPDATE, so inserts that reference the
    company, such as new applications, are not blocked). SQLite: the transaction began
    with BEGIN IMMEDIATE and already holds the database's write lock.
    """
    if is_postgres(ctx.db):
        (m.Company.select(m.Company.id).where(m.Company.id == company_id)
         .for_update("FOR NO KEY UPDATE").execute())  # type: ignore[arg-type]  # peewee takes the clause text


def _counts_as_admin(role: str, deleted: bool, expires: date, today: date) -> bool:
    return role == m.ROLE_ADMIN and not deleted and expires >= today


def _other_admins(company_id: int, exclude_id: int, today: date) -> int:
    return (
        m.Account.select()
        .where((m.Account.company == company_id) & (m.Account.id != exclude_id)
               & (m.Account.role == m.ROLE_ADMIN) & (m.Account.deleted == False)  # noqa: E712
               & (m.Account.expires >= today))
        .count()
    )


def _acting_id(actor: m.Account | None) -> int | None:
    return None if actor is None else actor.id


def _is_admin(actor: m.Account | None) -> bool:
    """The provider (no account) acts as an admin of the company."""
    return actor is None or actor.role == m.ROLE_ADMIN


# ------------------------------------------------------------------ provider calls
def add_account(ctx: AppContext, member_no: str, email: str, *, name: str, role: str,
                department: str, expires: date | str, password: str, phone: str = "") -> AccountView:
    """Provider: create an account (the first admin of a company, R-TEN-4). Same
    validation as ``create_account`` (the password is given once)."""
    clean = _validated_new(ctx, name=name, role=role, login_id=email, password=password,
                           password_confirm=password, department=department, phone=phone,
                           expires=expires)
    company = _company_row(member_no)
    return _insert(ctx, company.id, clean, session=None)


def check_new_account(ctx: AppContext, member_no: str, email: str, *, name: str, role: str,
                      department: str, expires: date | str, phone: str = "") -> None:
    """Provider: what ``add_account`` checks before it needs the password (every field
    but the password, the company, whether the login ID is taken), writing nothing: the
    command line asks for the password only after this. ``add_account`` checks it all
    again when it writes."""
    clean, errors = validate_new_account(
        ctx, name=name, role=role, login_id=email, password="", password_confirm="",
        department=department, phone=phone, expires=expires)
    for field in FORM_FIELDS:
        if field in errors and field not in ("password", "password_confirm"):
            raise errors[field]
    company = _company_row(member_no)
    if _login_taken(company.id, v.email_key(clean["login_id"])):
        raise _login_taken_error()


def list_accounts_for(ctx: AppContext, member_no: str) -> list[AccountView]:
    """Provider: every live account of a company."""
    company = _company_row(member_no)
    rows = (
        m.Account.select()
        .where((m.Account.company == company.id) & (m.Account.deleted == False))  # noqa: E712
        .order_by(m.Account.login_key)
    )
    return [_view(row, ctx.now()) for row in rows]


def _unlock_result(ctx: AppContext, row: m.Account, *, was_locked: bool,
                   changed: bool) -> UnlockResult:
    return UnlockResult(**vars(_view(row, ctx.now())), was_locked=was_locked, changed=changed)


def _unlock_row(ctx: AppContext, row: m.Account, *, session: Session | None) -> UnlockResult:
    """Clear the lock and the failure count. Writes nothing (no UPDATE, no audit entry)
    when there is nothing to clear. Call inside a transaction."""
    before = _lock_state(row)
    locked_until = before["locked_until"]
    was_locked = locked_until is not None and locked_until > ctx.now()
    if row.failed_count == 0 and locked_until is None:
        return _unlock_result(ctx, row, was_locked=False, changed=False)
    A = m.Account
    changed = (
        A.update(failed_count=0, locked_until=None)
        .where((A.id == row.id) & ((A.failed_count != 0) | A.locked_until.is_null(False)))
        .execute()
    )
    fresh = A.get_by_id(row.id)
    if not changed:  # cleared by someone else since it was read
        return _unlock_result(ctx, fresh, was_locked=False, changed=False)
    after = _lock_state(fresh)
    if session is not None:
        audit.record(ctx, "account.unlock", session=session, target=row.login_id,
                     before=before, after=after)
    else:
        audit.record(ctx, "account.unlock", company_id=row.company_id, actor="provider",
                     target=row.login_id, before=before, after=after)
    live.record(ctx, row.company_id, live.ACCOUNT, row.id)
    return _unlock_result(ctx, fresh, was_locked=was_locked, changed=True)


def unlock_account(ctx: AppContext, member_no: str, email: str) -> UnlockResult:
    """Provider (``portplus account unlock``): clear the failure count and the lock.
    ``result.was_locked`` tells whether it was locked; nothing is written when there
    was nothing to clear (``result.changed`` False)."""
    company = _company_row(member_no)
    key = v.email_key(email or "")
    with ctx.db.atomic():
        row = (
            m.Account.select()
            .where((m.Account.company == company.id) & (m.Account.login_key == key)
                   & (m.Account.deleted == False))  # noqa: E712
            .first()
        )
        if row is None:
            raise _not_found()
        return _unlock_row(ctx, row, session=None)


# ------------------------------------------------------------------ session calls
def list_accounts(ctx: AppContext, session: Session) -> list[AccountView]:
    """R-ACC-1: an admin sees every live account of the company; a user only their own."""
    actor = authorize(ctx, session)
    if not _is_admin(actor):
        return [_view(actor, ctx.now())]
    rows = (
        m.Account.select()
        .where((m.Account.company == session.company_id) & (m.Account.deleted == False))  # noqa: E712
        .order_by(m.Account.login_key)
    )
    return [_view(row, ctx.now()) for row in rows]


def get_account(ctx: AppContext, session: Session, account_id: int) -> AccountView:
    """One live account of the company (a user: only their own)."""
    actor = authorize(ctx, session)
    row = _live_row(session.company_id, account_id)
    if not _is_admin(actor) and row.id != actor.id:
        raise _own_account_only()
    return _view(row, ctx.now())


def create_account(ctx: AppContext, session: Session, *, name: str, role: str, login_id: str,
                   password: str, password_confirm: str, department: str, phone: str = "",
                   expires: date | str) -> AccountView:
    """アカウント新規登録 (admin only; R-ACC-2, R-ACC-3)."""
    authorize(ctx, session, admin=True)
    clean = _validated_new(ctx, name=name, role=role, login_id=login_id, password=password,
                           password_confirm=password_confirm, department=department,
                           phone=phone, expires=expires)
    return _insert(ctx, session.company_id, clean, session=session)


def update_account(ctx: AppContext, session: Session, account_id: int, *, version: int,
                   name: str, department: str, phone: str = "", role: str | None = None,
                   expires: date | str | None = None) -> AccountView:
    """アカウント更新 (R-ACC-4, R-ACC-5). ``role`` / ``expires`` ``None`` keep the current
    value; a user may pass them only unchanged. The login ID cannot be changed."""
    authorize(ctx, session)
    with ctx.db.atomic():
        _lock_company(ctx, session.company_id)
        actor = authorize(ctx, session)  # again, under the lock: rights may have changed
        row = _live_row(session.company_id, account_id)
        is_self = row.id == _acting_id(actor)
        if not _is_admin(actor) and not is_self:
            raise _own_account_only()
        new_name = _clean_name(name)
        new_department = _clean_department(department)
        new_phone = _clean_phone(phone)
        new_role = None if role is None else v.parse_role(role)
        new_expires = None if expires is None else _parse_expires(expires)
        role_after = row.role if new_role is None else new_role
        expires_after = row.expires if new_expires is None else new_expires
        role_changes = role_after != row.role
        expires_changes = expires_after != row.expires

        if not _is_admin(actor):
            if role_changes:
                raise _denied(*texts('accounts.update_account'),
                              "raise_own_rights", "role")
            if expires_changes:
                raise _denied(*texts('accounts.update_account.2'),
                              "admin_only_field", "expires")
        elif is_self:
            if role_changes:
                raise _denied(*texts('accounts.update_account.3'),
                              "self_demote", "role")
            if expires_changes and expires_after > row.expires:
                raise _denied(*texts('accounts.update_account.4'),
                              "raise_own_rights", "expires")
            if expires_changes and expires_after < ctx.today():
                raise _denied(*texts('accounts.update_account.5'),
                              "self_expire", "expires")
            if expires_changes and expires_after < row.expires:
                raise ValidationError(
                    *texts('accounts.self_shorten'),
                    field="expires", code="self_shorten")

        if row.version != version:
            raise _conflict()

        today = ctx.today()
        if (_counts_as_admin(row.role, False, row.expires, today)
                and not _counts_as_admin(role_after, False, expires_after, today)
                and _other_admins(session.company_id, row.id, today) == 0):
            raise _last_admin("role" if role_changes else "expires")
        if (_counts_as_admin(row.role, False, row.expires, today) and expires_after < row.expires
                and _other_admins(session.company_id, row.id, today) == 0):
            # Still valid today, but the company would have no admin after the new date.
            raise ValidationError(
                *texts('accounts.last_admin_expiry'),
                field="expires", code="last_admin_expiry")

        before = _view(row, ctx.now())
        changes = {"name": new_name, "department": new_department, "phone": new_phone,
                   "role": role_after, "expires": expires_after}
        if all(getattr(row, key) == value for key, value in changes.items()):
            return before  # nothing to write: no new version, no audit entry
        updated = (
            m.Account.update(updated_at=to_db(ctx.now()), version=m.Account.version + 1, **changes)
            .where((m.Account.id == row.id) & (m.Account.company == session.company_id)
                   & (m.Account.version == version) & (m.Account.deleted == False))  # noqa: E712
            .execute()
        )
        if updated != 1:
            raise _conflict()
        after = _view(m.Account.get_by_id(row.id), ctx.now())
        audit.record(ctx, "account.update", session=session, target=row.login_id,
                     before=_public(before), after=_public(after))
        live.record(ctx, session.company_id, live.ACCOUNT, row.id)
    return after


def _freed_key(key: str, account_id: int) -> str:
    suffix = f"#deleted-{account_id}"
    return key[: LOGIN_KEY_MAX - len(suffix)] + suffix


def self_delete_refusal(session: Session, account_id: int) -> PermissionDenied | None:
    """The error ``delete_account`` gives when the session's own account is the one to
    delete (screens say it when the key is pressed, before asking anything)."""
    return _self_delete() if session.account_id == account_id else None


def _self_delete() -> PermissionDenied:
    return _denied(*texts('accounts.self_delete'),
                   "self_delete")


def delete_account(ctx: AppContext, session: Session, account_id: int, *, version: int) -> None:
    """アカウント削除 (admin only; R-ACC-5): soft delete that frees the login ID."""
    authorize(ctx, session, admin=True)
    with ctx.db.atomic():
        _lock_company(ctx, session.company_id)
        actor = authorize(ctx, session, admin=True)  # again, under the lock
        row = _live_row(session.company_id, account_id)
        if row.id == _acting_id(actor):
            raise _self_delete()
        if row.version != version:
            raise _conflict()
        today = ctx.today()
        if (_counts_as_admin(row.role, False, row.expires, today)
                and _other_admins(session.company_id, row.id, today) == 0):
            raise _last_admin(None)
        before = _view(row, ctx.now())
        now = to_db(ctx.now())
        updated = (
            m.Account.update(deleted=True, deleted_at=now, updated_at=now,
                             login_key=_freed_key(row.login_key, row.id),
                             version=m.Account.version + 1)
            .where((m.Account.id == row.id) & (m.Account.company == session.company_id)
                   & (m.Account.version == version) & (m.Account.deleted == False))  # noqa: E712
            .execute()
        )
        if updated != 1:
            raise _conflict()
        # Outstanding reset codes and one-time passwords die with the account.
        m.ResetToken.update(voided=True).where(
            (m.ResetToken.account == row.id) & (m.ResetToken.used_at.is_null())
        ).execute()
        m.OtpChallenge.update(voided=True).where(
            (m.OtpChallenge.account == row.id) & (m.OtpChallenge.used_at.is_null())
        ).execute()
        audit.record(ctx, "account.delete", session=session, target=row.login_id,
                     before=_public(before), after={**_public(before), "deleted": True})
        live.record(ctx, session.company_id, live.ACCOUNT, row.id)


def unlock(ctx: AppContext, session: Session, account_id: int) -> UnlockResult:
    """Admin: clear an account's login failure count and lock (R-LOG-4). Same result
    as ``unlock_account``: nothing is written when there is nothing to clear."""
    authorize(ctx, session, admin=True)
    with ctx.db.atomic():
        row = _live_row(session.company_id, account_id)
        return _unlock_row(ctx, row, session=session)
