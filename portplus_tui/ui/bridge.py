"""The one bridge from the event loop to the services: ``ServiceBridge``.

It opens the ``AppContext`` in a thread once the login screen has been painted
(``open``: peewee, a driver, bcrypt and the service modules are imported there, never
on the path to the first paint), and runs every service call (``run``: a
``ServiceCall`` from ui/clients.py) in a thread worker that waits for that context, so
a login typed before the database is open simply waits for it. A database that cannot
be opened becomes a sentence (``ui.base.database_unavailable``), never a traceback.

Back on the event loop a call ends in exactly one of: ``done(result)``; ``failed(error)``
for a ``PortPlusError`` (default: a notification); a session end, for the AuthError
codes that end the session (``on_session_error``); or, for anything unexpected,
``report_unexpected`` (logged with its traceback, a short notification). Database
failures (down, busy, read-only) are told from bugs by ``services.context.as_user_error``.
"""

from __future__ import annotations

import concurrent.futures
import logging
from typing import TYPE_CHECKING, Any, Callable

from portplus_tui.core.errors import PortPlusError
from portplus_tui.ui.base import database_unavailable, guarded
from portplus_tui.ui.i18n import get_lang
from portplus_tui.ui.widgets.busy import hold_busy

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.widget import Widget
    from textual.worker import Worker

    from portplus_tui.config import Settings
    from portplus_tui.ui.clients import ServiceCall
    from portplus_tui.ui.typeahead import KeyTurns

log = logging.getLogger("portplus.ui")


class ServiceBridge:
    """Owns the AppContext (or is given one) and runs service calls in workers."""

    def __init__(self, app: "App[Any]", settings: "Settings", *, ctx: Any = None,
                 clock: Callable[[], Any] | None = None,
                 key_turns: "KeyTurns",
                 after_call: Callable[[], None],
                 on_error: Callable[[PortPlusError, Callable[[PortPlusError], Any] | None], None],
                 on_unexpected: Callable[[BaseException, str], None],
                 on_state: Callable[[str, str], None]) -> None:
        self._app = app
        self._settings = settings
        self._clock = clock
        self._key_turns = key_turns
        self._after_call = after_call
        self._on_error = on_error
        self._on_unexpected = on_unexpected
        self._on_state = on_state
        self.ctx = ctx
        self.owns_ctx = ctx is None
        self.opening = False
        self._future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        if ctx is not None:
            self._future.set_result(ctx)

    # ------------------------------------------------------------------ the context
    def open(self) -> None:
        """Open the AppContext in a thread (again, after a failure)."""
        if self.ctx is not None or self.opening:
            return
        if self._future.done():
            self._future = concurrent.futures.Future()
        self.opening = True
        self._on_state("opening", "")
        self._app.run_worker(self._open_context, thread=True, exit_on_error=False,
                             group="open-database", name="open database")

    def _open_context(self) -> None:  # thread
        future = self._future
        lang = get_lang()
        try:
            from portplus_tui.logs import setup_logging

            try:
                setup_logging(self._settings)
            except OSError:
                pass
            from portplus_tui.services.context import AppContext

            extra = {"clock": self._clock} if self._clock is not None else {}
            ctx = AppContext.open(self._settings, migrate=True, **extra)
            # Warm the imports the login screen needs next.
            from portplus_tui.services import auth, companies  # noqa: F401
        except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence
            where = self._settings.database_url or str(self._settings.resolved_database_url)
            error = database_unavailable(exc, where, lang)
            log.warning("database cannot be opened: %s", error.en, exc_info=True)
            future.set_exception(error)
            self.from_thread(self._opened, "failed", error.en)
        else:
            self.ctx = ctx
            future.set_result(ctx)
            self.from_thread(self._opened, "ready", "")

    def _opened(self, state: str, message: str) -> None:
        self.opening = False
        self._on_state(state, message)

    def close(self) -> None:
        if self.owns_ctx and self.ctx is not None:
            try:
                self.ctx.close()
            except Exception:  # noqa: BLE001 - closing at exit must not raise
                log.warning("closing the database failed", exc_info=True)

    def from_thread(self, callback: Callable[..., Any], *args: Any) -> None:
        try:
            self._app.call_from_thread(guarded(self._app, callback), *args)
        except RuntimeError:  # the app has ended
            pass

    # ------------------------------------------------------------------ calls
    def run(self, owner: "DOMNode", call: "ServiceCall[Any]", *,
            done: Callable[[Any], Any] | None = None,
            failed: Callable[[PortPlusError], Any] | None = None,
            busy: "Widget | None" = None, hold_input: bool = False) -> "Worker[None]":
        """Run ``call.job(ctx)`` in a thread worker of ``owner`` (database, bcrypt and
        mail work never blocks the event loop). ``done`` / ``failed`` run only while
        ``owner`` is still on screen. ``busy``: shown loading meanwhile. ``hold_input``:
        the keys typed meanwhile wait until ``done`` / ``failed`` has run (and the screen
        it brings has handled its first messages): the login's Enter, whose result
        changes the screen the next keys are for."""
        release = hold_busy(busy) if busy is not None else None
        if hold_input:
            self._key_turns.pause()
        name, job = call.name, call.job

        def finish(kind: str, value: Any) -> None:
            try:
                if release is not None:
                    release()
                self._after_call()
                alive = owner is self._app or owner.is_attached
                if kind == "ok":
                    if done is not None and alive:
                        done(value)
                elif kind == "error":
                    self._on_error(value, failed if alive else None)
                else:
                    self._on_unexpected(value, name)
            finally:
                if hold_input:
                    self._key_turns.resume()

        def work() -> None:
            try:
                ctx = self._future.result()
                outcome: tuple[str, Any] = ("ok", job(ctx))
            except PortPlusError as exc:
                outcome = ("error", exc)
            except Exception as exc:  # noqa: BLE001
                # Imported here, in the worker, off the first-paint path.
                from portplus_tui.services.context import as_user_error

                typed = as_user_error(exc)
                if typed is not None:
                    log.warning("database error in %s", name, exc_info=True)
                    outcome = ("error", typed)
                else:
                    outcome = ("unexpected", exc)
            self.from_thread(finish, *outcome)

        return owner.run_worker(work, thread=True, exit_on_error=False, name=name, group=name)
