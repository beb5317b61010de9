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

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar

from portplus_tui.core.calendar import billing_month_of
from portplus_tui.core.errors import AuthError, PortPlusError

if TYPE_CHECKING:
    from portplus_tui.services.context import AppContext, Session

T = TypeVar("T")

#: service AuthError codes that end the session (the bridge ends it; ui/session_watch.py)
SESSION_END_CODES = frozenset({"session_timeout", "session_revoked", "session_password_changed"})


@dataclass(frozen=True)
class ServiceCall(Generic[T]):
    """One service call, ready to run: ``job(ctx)`` in a worker named ``name``."""

    name: str
    job: Callable[["AppContext"], T]


class _Area:
    def __init__(self, session_of: Callable[[], "Session | None"]) -> None:
        self._session_of = session_of

    def _session(self) -> "Session":
        session = self._session_of()
        if session is None:  # the service refuses it too; this names the bug sooner
            raise RuntimeError("a session call made while logged out")
        return session


class AuthCalls(_Area):
    """Login, two-step login, password reset and the session (services/auth/)."""

    def login(self, member_no: str, login_id: str, password: str) -> ServiceCall[Any]:
        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import auth

            return auth.login(ctx, member_no, login_id, password)

        return ServiceCall("login", job)

    def verify_otp(self, attempt: str, code: str) -> ServiceCall[Any]:
        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import auth

            return auth.verify_otp(ctx, attempt, code)

        return ServiceCall("verify_otp", job)

    def resend_otp(self, attempt: str) -> ServiceCall[Any]:
        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import auth

            return auth.resend_otp(ctx, attempt)

        return ServiceCall("resend_otp", job)

    def cancel_otp(self, attempt: str) -> ServiceCall[None]:
        def job(ctx: AppContext) -> None:
            from portplus_tui.services import auth

            auth.cancel_otp(ctx, attempt)

        return ServiceCall("cancel_otp", job)

    def request_reset(self, member_no: str, email: str) -> ServiceCall[Any]:
        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import auth

            return auth.request_reset(ctx, member_no, email)

        return ServiceCall("request_reset", job)

    def complete_reset(self, member_no: str, email: str, code: str, new_password: str,
                       confirm: str) -> ServiceCall[None]:
        def job(ctx: AppContext) -> None:
            from portplus_tui.services import auth

            auth.complete_reset(ctx, member_no, email, code, new_password, confirm)

        return ServiceCall("complete_reset", job)

    def admin_send_reset(self, account_id: int) -> ServiceCall[None]:
        session = self._session()

        def job(ctx: AppContext) -> None:
            from portplus_tui.services import auth

            auth.admin_send_reset(ctx, session, account_id)

        return ServiceCall("admin_send_reset", job)

    def logout(self, session: "Session") -> ServiceCall[None]:
        """For the session that is ending (no longer the app's)."""
        def job(ctx: AppContext) -> None:
            from portplus_tui.services import auth

            auth.logout(ctx, session)

        return ServiceCall("logout", job)

    def check_session(self) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import auth

            return auth.check_session(ctx, session)

        return ServiceCall("check_session", job)


class ApplicationsCalls(_Area):
    """The Port Plus list, calendar, forms and dialogs (services/applications.py,
    calendar_view.py, exports.py)."""

    def current_month(self, page_size: int | None) -> ServiceCall[tuple[str, Any]]:
        """This billing month's list, first page: ("YYYY-MM", page)."""
        session = self._session()

        def job(ctx: AppContext) -> tuple[str, Any]:
            from portplus_tui.services import applications

            query = applications.current_month_query(ctx, page_size=None)
            query = query.with_page_size(page_size) if page_size else query
            year, month = billing_month_of(ctx.today(), ctx.settings.closing_day)
            return f"{year:04d}-{month:02d}", applications.list_page(ctx, session, query, 1)

        return ServiceCall("portplus.list", job)

    def list_page(self, make_query: Callable[[Any], Any], page: int,
                  name: str = "portplus.list") -> ServiceCall[Any]:
        """Page ``page`` of ``make_query(applications)`` (the query is built in the
        worker, where the service module is imported)."""
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import applications

            return applications.list_page(ctx, session, make_query(applications), page)

        return ServiceCall(name, job)

    def month(self, month: str, *, page_size: int,
              include_cancelled: bool) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import applications

            query = applications.month_query(ctx, month, page_size=page_size,
                                             include_cancelled=include_cancelled)
            return applications.list_page(ctx, session, query, 1)

        return ServiceCall("portplus.list", job)

    def page(self, query: Any, number: int) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import applications

            return applications.list_page(ctx, session, query, number)

        return ServiceCall("portplus.page", job)

    def next_page(self, page: Any) -> ServiceCall[Any]:
        session = self._session()
        held = [page]  # taken by the job, so that a finished worker does not keep the page:
        # Textual's Worker and its contextvars Context are a reference cycle, freed only
        # by a full collection (with the closures and what they hold)

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import applications

            return applications.next_page(ctx, session, held.pop())

        return ServiceCall("portplus.page", job)

    def prev_page(self, page: Any) -> ServiceCall[Any]:
        session = self._session()
        held = [page]  # see next_page

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import applications

            return applications.prev_page(ctx, session, held.pop())

        return ServiceCall("portplus.page", job)

    def last_page(self, query: Any) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import applications

            return applications.last_page(ctx, session, query)

        return ServiceCall("portplus.page", job)

    def page_with(self, saved: Any, query: Any, *, page_size: int,
                  include_cancelled: bool) -> ServiceCall[tuple[str | None, Any]]:
        """The page that shows ``saved``: in ``query`` when it holds it, else in its
        billing month (then returned as "YYYY-MM", with cancelled rows when it is one)."""
        session = self._session()

        def job(ctx: AppContext) -> tuple[str | None, Any]:
            from portplus_tui.services import applications, calendar_view

            q = query
            number = calendar_view.page_containing(ctx, session, q, saved) if q else None
            month = None
            if number is None:  # not in the period shown: its billing month
                year, mon = billing_month_of(saved.apply_date, ctx.settings.closing_day)
                month = f"{year:04d}-{mon:02d}"
                q = applications.month_query(ctx, month, page_size=page_size,
                                             include_cancelled=include_cancelled)
                if not include_cancelled and saved.cancelled:
                    q = replace(q, include_cancelled=True)
                number = calendar_view.page_containing(ctx, session, q, saved) or 1
            return month, applications.list_page(ctx, session, q, number)

        return ServiceCall("portplus.list", job)

    def month_view(self, year: int, month: int) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import calendar_view

            return calendar_view.month_view(ctx, session, year, month)

        return ServiceCall("portplus.calendar", job)

    def get(self, app_id: int) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import applications

            return applications.get(ctx, session, app_id)

        return ServiceCall("portplus.reload", job)

    def deadline(self, day: date, name: str = "portplus.deadline") -> ServiceCall[tuple[Any, bool, date]]:
        """(deadline, still open, the last day that can be applied for)."""
        session = self._session()

        def job(ctx: AppContext) -> tuple[Any, bool, date]:
            from portplus_tui.services import applications

            deadline, still_open = applications.deadline_for(ctx, session, day)
            limit = ctx.today() + timedelta(days=ctx.settings.max_days_ahead)
            return deadline, still_open, limit

        return ServiceCall(name, job)

    def create(self, apply_date: date, ports: int, applicant: str) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import applications

            return applications.create(ctx, session, apply_date=apply_date, ports=ports,
                                       applicant=applicant)

        return ServiceCall("portplus.new", job)

    def change(self, view: Any, apply_date: date, ports: int, applicant: str) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import applications

            return applications.change(ctx, session, view.id, version=view.version,
                                       apply_date=apply_date, ports=ports, applicant=applicant)

        return ServiceCall("portplus.change", job)

    def cancel(self, view: Any) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import applications

            return applications.cancel(ctx, session, view.id, version=view.version)

        return ServiceCall("portplus.cancel", job)

    def history(self, app_id: int) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import applications

            return applications.history(ctx, session, app_id)

        return ServiceCall("portplus.history", job)

    def export(self, name: str, query: Any, *, web: bool, overwrite: bool) -> ServiceCall[Any]:
        """The CSV of the period of ``query``: a file in the export folder, or (in a
        browser) the bytes to download."""
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import exports

            if web:
                return exports.download(ctx, session, name, query.start, query.end,
                                        include_cancelled=query.include_cancelled)
            return exports.write_csv(ctx, session, name, query.start, query.end,
                                     include_cancelled=query.include_cancelled,
                                     overwrite=overwrite)

        return ServiceCall("portplus.export", job)


class AccountsCalls(_Area):
    """The account table and form (services/accounts.py; the own password through
    services/auth/)."""

    def list(self) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import accounts

            return accounts.list_accounts(ctx, session)

        return ServiceCall("list_accounts", job)

    def get(self, account_id: int) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import accounts

            return accounts.get_account(ctx, session, account_id)

        return ServiceCall("get_account", job)

    def create(self, fields: dict[str, Any]) -> ServiceCall[Any]:
        """The new account's view, or the field errors (a dict) found before any write."""
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import accounts

            _clean, errors = accounts.validate_new_account(ctx, **fields)
            if errors:
                return errors
            return accounts.create_account(ctx, session, **fields)

        return ServiceCall("create_account", job)

    def update(self, account_id: int, update: dict[str, Any],
               passwords: dict[str, str] | None) -> ServiceCall[tuple[Any, Any]]:
        """(view, password outcome): the outcome is None (no password change asked),
        True (changed) or the error that refused it; the profile is saved either way."""
        session = self._session()

        def job(ctx: AppContext) -> tuple[Any, Any]:
            from portplus_tui.services import accounts, auth

            view = accounts.update_account(ctx, session, account_id, **update)
            if passwords is None:
                return view, None
            try:
                auth.change_own_password(ctx, session, passwords["current_password"],
                                         passwords["new_password"],
                                         passwords["new_password_confirm"])
            except AuthError as exc:
                if exc.code in SESSION_END_CODES:
                    raise
                return view, exc
            except PortPlusError as exc:
                return view, exc
            return view, True

        return ServiceCall("update_account", job)

    def delete(self, account: Any) -> ServiceCall[None]:
        session = self._session()

        def job(ctx: AppContext) -> None:
            from portplus_tui.services import accounts

            accounts.delete_account(ctx, session, account.id, version=account.version)

        return ServiceCall("delete_account", job)

    def unlock(self, account_id: int) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import accounts

            return accounts.unlock(ctx, session, account_id)

        return ServiceCall("unlock_account", job)


class CompanyCalls(_Area):
    """Company info and its options (services/companies.py)."""

    def info(self, name: str = "company_info") -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import companies

            return companies.company_info(ctx, session)

        return ServiceCall(name, job)

    def options(self) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import companies

            return companies.list_options(ctx, session)

        return ServiceCall("list_options", job)


class AuditCalls(_Area):
    """The audit log (services/audit.py)."""

    def entries(self, last: int, before_id: int | None) -> ServiceCall[Any]:
        session = self._session()

        def job(ctx: AppContext) -> Any:
            from portplus_tui.services import audit

            return audit.list_entries(ctx, session, last=last, before_id=before_id)

        return ServiceCall("audit_entries", job)


class Clients:
    """Every area's client, for the app's current session (``app.clients``)."""

    def __init__(self, session_of: Callable[[], "Session | None"]) -> None:
        self.auth = AuthCalls(session_of)
        self.applications = ApplicationsCalls(session_of)
        self.accounts = AccountsCalls(session_of)
        self.company = CompanyCalls(session_of)
        self.audit = AuditCalls(session_of)
