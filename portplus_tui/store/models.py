"""Peewee models for everything in SPEC.md.

Instants are naive UTC (see ``store.db.to_db``/``from_db``); calendar dates are dates.
Rows never leave the service layer: services turn them into dataclasses.
"""

from __future__ import annotations

import peewee as pw

from portplus_tui.store.db import database_proxy

ROLE_ADMIN = "admin"
ROLE_USER = "user"
STATUS_ACTIVE = "active"  # 受付
STATUS_CANCELLED = "cancelled"  # キャンセル済
OPTION_TWO_FACTOR = "two_factor"


class BaseModel(pw.Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class SchemaVersion(BaseModel):
    version = pw.IntegerField(primary_key=True)
    name = pw.CharField(max_length=100)
    applied_at = pw.DateTimeField()


class Company(BaseModel):
    id = pw.AutoField()
    member_no = pw.CharField(max_length=20, unique=True)  # upper case (matched case-insensitively)
    name = pw.CharField(max_length=100)
    address = pw.CharField(max_length=200)
    ports = pw.IntegerField()  # 契約ポート数
    note = pw.TextField(default="")
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()
    version = pw.IntegerField(default=1)


class CompanyOption(BaseModel):
    id = pw.AutoField()
    company_id: int  # the key's column (Peewee's accessor; for type checkers)
    company = pw.ForeignKeyField(Company, backref="options", on_delete="CASCADE")
    code = pw.CharField(max_length=40)
    enabled = pw.BooleanField(default=False)
    updated_at = pw.DateTimeField()

    class Meta:
        indexes = ((("company", "code"), True),)


class Account(BaseModel):
    id = pw.AutoField()
    company_id: int  # the key's column (Peewee's accessor; for type checkers)
    company = pw.ForeignKeyField(Company, backref="accounts", on_delete="CASCADE")
    login_id = pw.CharField(max_length=254)  # as entered (domain lower-cased)
    login_key = pw.CharField(max_length=254)  # lower-cased, unique within the company
    name = pw.CharField(max_length=100)  # 担当者名
    role = pw.CharField(max_length=10)  # admin | user
    department = pw.CharField(max_length=100)  # 部署
    phone = pw.CharField(max_length=30, default="")  # 電話番号
    expires = pw.DateField()  # 有効期限 (last valid day, Japan time)
    password_hash = pw.CharField(max_length=100)
    failed_count = pw.IntegerField(default=0)
    locked_until = pw.DateTimeField(null=True)
    deleted = pw.BooleanField(default=False)
    deleted_at = pw.DateTimeField(null=True)
    password_changed_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()
    version = pw.IntegerField(default=1)

    class Meta:
        indexes = ((("company", "login_key"), True),)


class Application(BaseModel):
    """The current state of one application; the id is its serial (SO-<id>-<revision>)."""

    id = pw.AutoField()

    company_id: int  # the key's column (Peewee's accessor; for type checkers)
    company = pw.ForeignKeyField(Company, backref="applications", on_delete="CASCADE",
                                 index=False)  # the paging index below starts with it
    apply_date = pw.DateField()  # 適用日
    ports = pw.IntegerField()  # 追加ポート数
    applicant = pw.CharField(max_length=100)  # 申込者
    applied_at = pw.DateTimeField()  # 申込日 (first made)
    status = pw.CharField(max_length=10, default=STATUS_ACTIVE)
    revision = pw.IntegerField(default=0)  # grows by one with every change
    version = pw.IntegerField(default=1)  # grows with every write (optimistic lock)
    account_id: int  # the key's column (Peewee's accessor; for type checkers)
    account = pw.ForeignKeyField(Account, null=True, on_delete="SET NULL")  # who made it
    updated_at = pw.DateTimeField()

    class Meta:
        indexes = ((("company", "apply_date", "id"), False),)


class ApplicationRevision(BaseModel):
    """One row per write of an application: new, change, cancel. Never updated."""

    id = pw.AutoField()

    application_id: int  # the key's column (Peewee's accessor; for type checkers)
    application = pw.ForeignKeyField(Application, backref="history", on_delete="CASCADE")
    version = pw.IntegerField()
    revision = pw.IntegerField()
    action = pw.CharField(max_length=10)  # new | change | cancel
    apply_date = pw.DateField()
    ports = pw.IntegerField()
    applicant = pw.CharField(max_length=100)
    status = pw.CharField(max_length=10)
    account_id: int  # the key's column (Peewee's accessor; for type checkers)
    account = pw.ForeignKeyField(Account, null=True, on_delete="SET NULL")
    actor = pw.CharField(max_length=254)
    at = pw.DateTimeField()

    class Meta:
        indexes = ((("application", "version"), True),)


class DayCount(BaseModel):
    """Applications per company and 適用日, kept in the same transaction as every write.

    Totals (全 N 件), jumps to any page and the calendar's ports per day read this
    table instead of counting application rows, so their cost does not grow with the
    number of applications.
    """

    company_id: int  # the key's column (Peewee's accessor; for type checkers)
    company = pw.ForeignKeyField(Company, on_delete="CASCADE")
    day = pw.DateField()
    active = pw.IntegerField(default=0)
    cancelled = pw.IntegerField(default=0)
    active_ports = pw.IntegerField(default=0)

    class Meta:
        primary_key = pw.CompositeKey("company", "day")


class ClosedDay(BaseModel):
    day = pw.DateField(primary_key=True)
    created_at = pw.DateTimeField()


class MailedCode(BaseModel):
    """What a code sent by mail keeps (no table of its own): its hash, when it was
    issued and expires, the wrong tries, when it was used, whether a newer one voided
    it, and the version its single use is claimed by."""

    id = pw.AutoField()

    account_id: int  # the key's column (Peewee's accessor; for type checkers)
    # backref "+": no accessor on Account (the code is looked up by its own query)
    account = pw.ForeignKeyField(Account, on_delete="CASCADE", backref="+")
    code_hash = pw.CharField(max_length=128)
    issued_at = pw.DateTimeField()
    expires_at = pw.DateTimeField()
    failures = pw.IntegerField(default=0)
    used_at = pw.DateTimeField(null=True)
    voided = pw.BooleanField(default=False)
    version = pw.IntegerField(default=1)


class OtpChallenge(MailedCode):
    """A one-time password for one login attempt (R-OTP-2)."""

    attempt = pw.CharField(max_length=64, unique=True)  # random id of the login attempt


class ResetToken(MailedCode):
    """A password-reset code (R-RST-1)."""


class AuditLog(BaseModel):
    id = pw.AutoField()
    at = pw.DateTimeField(index=True)  # UTC
    company_id: int  # the key's column (Peewee's accessor; for type checkers)
    company = pw.ForeignKeyField(Company, null=True, on_delete="CASCADE", index=False)
    account_id: int  # the key's column (Peewee's accessor; for type checkers)
    account = pw.ForeignKeyField(Account, null=True, on_delete="SET NULL")
    actor = pw.CharField(max_length=254)  # login id, "provider" or "anonymous"
    action = pw.CharField(max_length=60)
    target = pw.CharField(max_length=254, default="")
    before = pw.TextField(null=True)  # JSON
    after = pw.TextField(null=True)  # JSON

    class Meta:
        indexes = ((("company", "id"), False),)


class DemoMarker(BaseModel):
    """A company that ``portplus demo`` created (by member number): the demo adds its
    well-known logins only to a database whose companies are all its own. Migration 2."""

    id = pw.AutoField()
    member_no = pw.CharField(max_length=20, unique=True)
    created_at = pw.DateTimeField()


class ChangeLog(BaseModel):
    """The change feed (services/live.py, migration 3): one row per committed change
    that other sessions show. No data: what changed (kind, id), for which company
    (None: every company, e.g. a closed day), and which AppContext wrote it."""

    id = pw.BigAutoField()
    company_id = pw.IntegerField(null=True)
    kind = pw.CharField(max_length=20)
    item_id = pw.IntegerField(null=True)
    origin = pw.CharField(max_length=32)
    at = pw.DateTimeField(index=True)  # UTC; old rows are pruned

    class Meta:
        indexes = ((("company_id", "id"), False),)


ALL_MODELS: tuple[type[BaseModel], ...] = (
    SchemaVersion,
    Company,
    CompanyOption,
    Account,
    Application,
    ApplicationRevision,
    DayCount,
    ClosedDay,
    OtpChallenge,
    ResetToken,
    AuditLog,
    DemoMarker,
    ChangeLog,
)
