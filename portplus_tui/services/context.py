"""What every service call needs: settings, the database, a clock, a mailer — and
the acting ``Session``, whose rights are re-checked against the database each call.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable

import peewee

from portplus_tui.config import Settings
from portplus_tui.core.calendar import BusinessCalendar, CalendarRules, today_jst
from portplus_tui.core.errors import DatabaseUnavailable, PermissionDenied, PortPlusError, refusal
from portplus_tui.core.messages import texts
from portplus_tui.store import models as m
from portplus_tui.store.db import bind, open_database

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


ROLE_PROVIDER = "provider"


@dataclass
class Session:
    """The acting party. ``role`` is what it was at login; the service re-reads it.

    A provider session (the command line) acts for one company without an account.
    """

    company_id: int
    member_no: str
    role: str
    account_id: int | None = None
    login_id: str = ""
    name: str = ""
    login_at: datetime | None = None
    last_activity: datetime | None = None
    # ``credential_stamp`` of the password hash at login (empty for a provider): a
    # password change or reset elsewhere ends this session at its next call (R-SEC-4).
    credential: str = field(default="", repr=False)

    @property
    def is_provider(self) -> bool:
        return self.role == ROLE_PROVIDER

    @property
    def is_admin(self) -> bool:
        return self.role == m.ROLE_ADMIN

    @property
    def actor(self) -> str:
        return "provider" if self.is_provider else self.login_id


@dataclass
class AppContext:
    settings: Settings
    db: peewee.Database
    clock: Clock = system_clock
    mailer: object | None = None  # services.mail.MailBackend; built lazily from settings
    #: this context's mark on the change feed's rows (services/live.py): a session
    #: tells its own writes from the others'
    origin: str = field(default_factory=lambda: secrets.token_hex(8))
    _calendar_cache: dict = field(default_factory=dict, repr=False)
    _secret_key: bytes | None = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock = system_clock, mailer: object | None = None,
             migrate: bool = False) -> "AppContext":
        db = open_database(settings.resolved_database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms,
                           shared_group=settings.shared_group)
        bind(db)
        if migrate:
            from portplus_tui.store.migrations import migrate as run_migrations

            run_migrations(db)
        return cls(settings=settings, db=db, clock=clock, mailer=mailer)

    def now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)
        return now

    def today(self) -> date:
        return today_jst(self.now())

    def get_mailer(self):
        if self.mailer is None:
            from portplus_tui.services.mail import backend_from_settings

            self.mailer = backend_from_settings(self.settings)
        return self.mailer

    def calendar(self) -> BusinessCalendar:
        """The business calendar with the provider's closed days (read each call: other
        processes may have changed them; the holiday table itself is cached)."""
        closed = frozenset(row.day for row in m.ClosedDay.select(m.ClosedDay.day))
        base = self._calendar_cache.get("base")
        if base is None:
            s = self.settings
            base = BusinessCalendar(CalendarRules(
                deadline_business_days=s.deadline_business_days,
                year_end_closure=s.year_end_closure,
                closing_day=s.closing_day,
            ))
            self._calendar_cache["base"] = base
        return base.with_closed_days(closed) if closed else base

    def secret_key(self) -> bytes:
        """The server's secret key (one-time and reset codes are HMAC'd under it), read
        once, when a code is first hashed or checked: ``PORTPLUS_SECRET_KEY``, else the
        key file (created when missing). ``ConfigurationError`` names the file when it
        cannot be made or read, or when others can read it."""
        key = self._secret_key
        if key is None:
            s = self.settings
            if s.secret_key:
                from portplus_tui.core.secret_key import parse_key

                key = parse_key(s.secret_key)  # validated with the settings
            else:
                from portplus_tui.store.keyfile import load_key_file

                key = load_key_file(s.resolved_secret_key_file, s.shared_group)
            self._secret_key = key
        return key

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()


def credential_stamp(password_hash: str) -> str:
    """What a Session keeps of the account's password hash (Django's session auth
    hash): a short SHA-256 of it, never the bcrypt hash itself. Every password change
    or reset writes a new bcrypt hash (new salt), so the stamp changes with it."""
    data = b"portplus-session-credential\0" + str(password_hash).encode("utf-8", "replace")
    return hashlib.sha256(data).hexdigest()[:32]


def admin_only_error() -> PermissionDenied:
    return PermissionDenied(
        *texts('context.admin_only_error'),
    )


def authorize(ctx: AppContext, session: Session, *, admin: bool = False) -> m.Account | None:
    """Re-read the acting account and check it may act now. Returns the account row
    (``None`` for a provider session). Updates the session's role and last activity."""
    if session.is_provider:
        return None
    now = ctx.now()
    idle = timedelta(minutes=ctx.settings.idle_timeout_minutes)
    if session.last_activity is not None and now - session.last_activity > idle:
        raise refusal("context.session_timeout")
    account = (
        m.Account.select()
        .where((m.Account.id == session.account_id) & (m.Account.company == session.company_id))
        .first()
    )
    if account is None or account.deleted:
        raise refusal("context.session_revoked")
    if account.expires < today_jst(now):
        raise refusal("context.session_revoked")
    # A lock from failed logins guards the password, not the sessions already logged
    # in (R-SEC-4): anyone who knows a login ID can set it. Login and password change
    # check it themselves. A password change or reset, though, ends the other sessions.
    if not hmac.compare_digest(str(session.credential).encode("utf-8", "replace"),
                               credential_stamp(account.password_hash).encode("ascii")):
        raise refusal("context.session_password_changed")
    session.role = account.role
    session.name = account.name
    if admin and account.role != m.ROLE_ADMIN:
        raise admin_only_error()
    session.last_activity = now
    return account


def as_user_error(exc: BaseException) -> PortPlusError | None:
    """A typed error for the user, or None when ``exc`` is a bug (log it).

    Database failures (server down, connection lost, SQLite busy past its timeout, a
    read-only or missing file) become ``DatabaseUnavailable``; the transaction was
    rolled back, so nothing was changed.
    """
    if isinstance(exc, PortPlusError):
        return exc
    if isinstance(exc, (peewee.OperationalError, peewee.InterfaceError)):
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return DatabaseUnavailable(
                *texts('context.as_user_error.2'),
            )
        if "readonly" in text or "read-only" in text:
            return DatabaseUnavailable(
                *texts('context.as_user_error.3'),
            )
        return DatabaseUnavailable(
            *texts('context.as_user_error'),
        )
    return None
