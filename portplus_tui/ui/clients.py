"""The screens' way to the services: one small client per area, each call a value.

A screen never writes a closure over a service module. It asks a client for a
``ServiceCall`` and hands it to the one bridge, ``host(self).run_service(self, call,
done=..., failed=...)`` (ui/bridge.py), which runs ``call.job(ctx)`` in a thread worker
and brings the answer back to the event loop::

    calls = host(self).clients.applications
    host(self).run_service(self, calls.next_page(page), done=self._show_page)

A call made while logged in carries the session it was made with (``session_of`` is
read when the call is built, on the event loop), so every rule of the service layer
(tenancy, roles, deadlines) applies to it as to any other call. The service modules are
imported inside the job, in the worker: never on the path to the first painted screen.

Areas: ``auth`` (login, two-step login, reset, session), ``applications`` (the Port Plus
list, calendar, forms and dialogs), ``accounts`` (the account table and form),
``company`` (company info and options) and ``audit``.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar

from portplus_tui.core.errors import AuthError, PortPlusError

if TYPE_CHECKING:
    from portplus_tui.services.context import AppContext, Session

T = TypeVar("T")

#: service AuthError codes that end the session (the app ends it: PortPlusApp._service_failed)
SESSION_END_CODES = frozenset({"session_timeout", "session_revoked", "session_password_changed"})


class ServiceCall(Generic[T]):
    """One service call, ready to run: ``job(ctx)`` in a worker named ``name``."""

    __slots__ = ("name", "job")

    def __init__(self, name: str, job: Callable[["AppContext"], T]) -> None:
        self.name = name
        self.job = job


class _Services:
    """``services.accounts`` and the like, imported on first use (in the worker: never
    on the path to the first paint)."""

    def __getattr__(self, name: str) -> Any:
        import importlib

        return importlib.import_module(f"portplus_tui.services.{name}")


_SERVICES = _Services()


class _Area:
    def __init__(self, session_of: Callable[[], "Session | None"]) -> None:
        self._session_of = session_of

    def _session(self) -> "Session":
        session = self._session_of()
        if session is None:  # the service refuses it too; this names the bug sooner
            raise RuntimeError("a session call made while logged out")
        return session

    def _call(self, name: str, call: Callable[[Any, "AppContext"], T]) -> ServiceCall[T]:
        """``call(services, ctx)``, for a call that needs no session."""
        return ServiceCall(name, lambda ctx: call(_SERVICES, ctx))

    def _as_user(self, name: str,
                 call: Callable[[Any, "AppContext", "Session"], T]) -> ServiceCall[T]:
        """``call(services, ctx, session)`` with the session of now."""
        session = self._session()
        return ServiceCall(name, lambda ctx: call(_SERVICES, ctx, session))


class AuthCalls(_Area):
    """Login, two-step login, password reset and the session (services/auth/)."""

    def login(self, member_no: str, login_id: str, password: str) -> ServiceCall[Any]:
        return self._call("login", lambda s, ctx: s.auth.login(ctx, member_no, login_id, password))

    def verify_otp(self, attempt: str, code: str) -> ServiceCall[Any]:
        return self._call("verify_otp", lambda s, ctx: s.auth.verify_otp(ctx, attempt, code))

    def resend_otp(self, attempt: str) -> ServiceCall[Any]:
        return self._call("resend_otp", lambda s, ctx: s.auth.resend_otp(ctx, attempt))

    def cancel_otp(self, attempt: str) -> ServiceCall[None]:
        return self._call("cancel_otp", lambda s, ctx: s.auth.cancel_otp(ctx, attempt))

    def request_reset(self, member_no: str, email: str) -> ServiceCall[Any]:
        return self._call("request_reset", lambda s, ctx: s.auth.request_reset(ctx, member_no, email))

    def complete_reset(self, member_no: str, email: str, code: str, new_password: str,
                       confirm: str) -> ServiceCall[None]:
        return self._call("complete_reset", lambda s, ctx: s.auth.complete_reset(
            ctx, member_no, email, code, new_password, confirm))

    def admin_send_reset(self, account_id: int) -> ServiceCall[None]:
        return self._as_user("admin_send_reset", lambda s, ctx, session: s.auth.admin_send_reset(
            ctx, session, account_id))

    def logout(self, session: "Session") -> ServiceCall[None]:
        """For the session that is ending (no longer the app's)."""
        return self._call("logout", lambda s, ctx: s.auth.logout(ctx, session))

    def check_session(self) -> ServiceCall[Any]:
        return self._as_user("check_session", lambda s, ctx, session: s.auth.check_session(ctx, session))


def _billing_month(day: date, closing_day: int) -> str:
    """"YYYY-MM" of the billing month that holds ``day``."""
    from portplus_tui.core.calendar import billing_month_of

    year, month = billing_month_of(day, closing_day)
    return f"{year:04d}-{month:02d}"


class ApplicationsCalls(_Area):
    """The Port Plus list, calendar, forms and dialogs (services/applications.py,
    calendar_view.py, exports.py)."""

    def current_month(self, page_size: int | None) -> ServiceCall[tuple[str, Any]]:
        """This billing month's list, first page: ("YYYY-MM", page)."""

        def call(s: Any, ctx: AppContext, session: Session) -> tuple[str, Any]:
            query = s.applications.current_month_query(ctx, page_size=None)
            query = query.with_page_size(page_size) if page_size else query
            month = _billing_month(ctx.today(), ctx.settings.closing_day)
            return month, s.applications.list_page(ctx, session, query, 1)

        return self._as_user("portplus.list", call)

    def list_page(self, make_query: Callable[[Any], Any], page: int,
                  name: str = "portplus.list") -> ServiceCall[Any]:
        """Page ``page`` of ``make_query(applications)`` (the query is built in the
        worker, where the service module is imported)."""
        return self._as_user(name, lambda s, ctx, session: s.applications.list_page(
            ctx, session, make_query(s.applications), page))

    def month(self, month: str, *, page_size: int, include_cancelled: bool) -> ServiceCall[Any]:
        def call(s: Any, ctx: AppContext, session: Session) -> Any:
            query = s.applications.month_query(ctx, month, page_size=page_size,
                                               include_cancelled=include_cancelled)
            return s.applications.list_page(ctx, session, query, 1)

        return self._as_user("portplus.list", call)

    def page(self, query: Any, number: int) -> ServiceCall[Any]:
        return self._as_user("portplus.page", lambda s, ctx, session: s.applications.list_page(
            ctx, session, query, number))

    def next_page(self, page: Any) -> ServiceCall[Any]:
        held = [page]  # taken by the job, so that a finished worker does not keep the page:
        # Textual's Worker and its contextvars Context are a reference cycle, freed only
        # by a full collection (with the closures and what they hold)
        return self._as_user("portplus.page", lambda s, ctx, session: s.applications.next_page(
            ctx, session, held.pop()))

    def prev_page(self, page: Any) -> ServiceCall[Any]:
        held = [page]  # see next_page
        return self._as_user("portplus.page", lambda s, ctx, session: s.applications.prev_page(
            ctx, session, held.pop()))

    def last_page(self, query: Any) -> ServiceCall[Any]:
        return self._as_user("portplus.page", lambda s, ctx, session: s.applications.last_page(
            ctx, session, query))

    def page_with(self, saved: Any, query: Any, *, page_size: int,
                  include_cancelled: bool) -> ServiceCall[tuple[str | None, Any]]:
        """The page that shows ``saved``: in ``query`` when it holds it, else in its
        billing month (then returned as "YYYY-MM", with cancelled rows when it is one)."""

        def call(s: Any, ctx: AppContext, session: Session) -> tuple[str | None, Any]:
            q = query
            number = s.calendar_view.page_containing(ctx, session, q, saved) if q else None
            month = None
            if number is None:  # not in the period shown: its billing month
                month = _billing_month(saved.apply_date, ctx.settings.closing_day)
                q = s.applications.month_query(ctx, month, page_size=page_size,
                                               include_cancelled=include_cancelled)
                if not include_cancelled and saved.cancelled:
                    q = dataclasses.replace(q, include_cancelled=True)
                number = s.calendar_view.page_containing(ctx, session, q, saved) or 1
            return month, s.applications.list_page(ctx, session, q, number)

        return self._as_user("portplus.list", call)

    def month_view(self, year: int, month: int) -> ServiceCall[Any]:
        return self._as_user("portplus.calendar", lambda s, ctx, session: s.calendar_view.month_view(
            ctx, session, year, month))

    def get(self, app_id: int) -> ServiceCall[Any]:
        return self._as_user("portplus.reload", lambda s, ctx, session: s.applications.get(
            ctx, session, app_id))

    def deadline(self, day: date, name: str = "portplus.deadline") -> ServiceCall[tuple[Any, bool, date]]:
        """(deadline, still open, the last day that can be applied for)."""

        def call(s: Any, ctx: AppContext, session: Session) -> tuple[Any, bool, date]:
            deadline, still_open = s.applications.deadline_for(ctx, session, day)
            return deadline, still_open, ctx.today() + timedelta(days=ctx.settings.max_days_ahead)

        return self._as_user(name, call)

    def create(self, apply_date: date, ports: int, applicant: str) -> ServiceCall[Any]:
        return self._as_user("portplus.new", lambda s, ctx, session: s.applications.create(
            ctx, session, apply_date=apply_date, ports=ports, applicant=applicant))

    def change(self, view: Any, apply_date: date, ports: int, applicant: str) -> ServiceCall[Any]:
        return self._as_user("portplus.change", lambda s, ctx, session: s.applications.change(
            ctx, session, view.id, version=view.version, apply_date=apply_date, ports=ports,
            applicant=applicant))

    def cancel(self, view: Any) -> ServiceCall[Any]:
        return self._as_user("portplus.cancel", lambda s, ctx, session: s.applications.cancel(
            ctx, session, view.id, version=view.version))

    def history(self, app_id: int) -> ServiceCall[Any]:
        return self._as_user("portplus.history", lambda s, ctx, session: s.applications.history(
            ctx, session, app_id))

    def export(self, name: str, query: Any, *, web: bool, overwrite: bool) -> ServiceCall[Any]:
        """The CSV of the period of ``query``: a file in the export folder, or (in a
        browser) the bytes to download."""

        def call(s: Any, ctx: AppContext, session: Session) -> Any:
            if web:
                return s.exports.download(ctx, session, name, query.start, query.end,
                                          include_cancelled=query.include_cancelled)
            return s.exports.write_csv(ctx, session, name, query.start, query.end,
                                       include_cancelled=query.include_cancelled,
                                       overwrite=overwrite)

        return self._as_user("portplus.export", call)


class AccountsCalls(_Area):
    """The account table and form (services/accounts.py; the own password through
    services/auth/)."""

    def list(self) -> ServiceCall[Any]:
        return self._as_user("list_accounts", lambda s, ctx, session: s.accounts.list_accounts(
            ctx, session))

    def get(self, account_id: int) -> ServiceCall[Any]:
        return self._as_user("get_account", lambda s, ctx, session: s.accounts.get_account(
            ctx, session, account_id))

    def create(self, fields: dict[str, Any]) -> ServiceCall[Any]:
        """The new account's view, or the field errors (a dict) found before any write."""

        def call(s: Any, ctx: AppContext, session: Session) -> Any:
            _clean, errors = s.accounts.validate_new_account(ctx, **fields)
            return errors if errors else s.accounts.create_account(ctx, session, **fields)

        return self._as_user("create_account", call)

    def update(self, account_id: int, update: dict[str, Any],
               passwords: dict[str, str] | None) -> ServiceCall[tuple[Any, Any]]:
        """(view, password outcome): the outcome is None (no password change asked),
        True (changed) or the error that refused it; the profile is saved either way."""

        def call(s: Any, ctx: AppContext, session: Session) -> tuple[Any, Any]:
            view = s.accounts.update_account(ctx, session, account_id, **update)
            if passwords is None:
                return view, None
            try:
                s.auth.change_own_password(ctx, session, passwords["current_password"],
                                           passwords["new_password"],
                                           passwords["new_password_confirm"])
            except AuthError as exc:
                if exc.code in SESSION_END_CODES:
                    raise
                return view, exc
            except PortPlusError as exc:
                return view, exc
            return view, True

        return self._as_user("update_account", call)

    def delete(self, account: Any) -> ServiceCall[None]:
        return self._as_user("delete_account", lambda s, ctx, session: s.accounts.delete_account(
            ctx, session, account.id, version=account.version))

    def unlock(self, account_id: int) -> ServiceCall[Any]:
        return self._as_user("unlock_account", lambda s, ctx, session: s.accounts.unlock(
            ctx, session, account_id))


class CompanyCalls(_Area):
    """Company info and its options (services/companies.py)."""

    def info(self, name: str = "company_info") -> ServiceCall[Any]:
        return self._as_user(name, lambda s, ctx, session: s.companies.company_info(ctx, session))

    def options(self) -> ServiceCall[Any]:
        return self._as_user("list_options", lambda s, ctx, session: s.companies.list_options(
            ctx, session))


class AuditCalls(_Area):
    """The audit log (services/audit.py)."""

    def entries(self, last: int, before_id: int | None) -> ServiceCall[Any]:
        return self._as_user("audit_entries", lambda s, ctx, session: s.audit.list_entries(
            ctx, session, last=last, before_id=before_id))


class Clients:
    """Every area's client, for the app's current session (``app.clients``)."""

    def __init__(self, session_of: Callable[[], "Session | None"]) -> None:
        self.auth = AuthCalls(session_of)
        self.applications = ApplicationsCalls(session_of)
        self.accounts = AccountsCalls(session_of)
        self.company = CompanyCalls(session_of)
        self.audit = AuditCalls(session_of)
