"""The session watch: idle timeout (R-LOG-6) and the periodic check with the service.

No key, paste or mouse button for ``idle_timeout_minutes`` (by the app's clock,
injectable for tests) ends the session with 「一定時間操作がなかったため、ログアウト
しました。」. Input counts as activity for the service session too, so a form typed for
a long time can still be saved. Every ``SESSION_CHECK_SECONDS`` the service is asked
whether the session still holds (a deleted, expired or locked account, a password
changed elsewhere): the answer that ends it comes back through the bridge, which ends
the session with the service's own sentence (``clients.SESSION_END_CODES``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, Protocol

from portplus_tui.ui.base import guarded
from portplus_tui.ui.i18n import t

if TYPE_CHECKING:
    from portplus_tui.config import Settings
    from portplus_tui.services.context import Session
    from portplus_tui.ui.clients import Clients
    from portplus_tui.ui.heap import Heap

#: how often the app asks the service whether the session is still good (seconds)
SESSION_CHECK_SECONDS = 60.0


class WatchedApp(Protocol):
    """What the watch needs of the app (PortPlusApp is one)."""

    settings: "Settings"
    session: "Session | None"
    clients: "Clients"
    heap: "Heap"

    def now(self) -> datetime: ...

    def run_service(self, owner: Any, call: Any, *, failed: Callable[[Any], Any] | None = None) -> Any: ...

    def end_session(self, message: str, *, error: bool = True) -> None: ...

    def set_interval(self, interval: float, callback: Callable[[], Any], *,
                     name: str | None = None) -> Any: ...


class SessionWatch:
    """Kept by the app (``app.session_watch``); its two timers are the app's."""

    def __init__(self, app: WatchedApp) -> None:
        self._app = app
        self.last_input: datetime | None = None

    def start(self) -> None:
        """The timers: the idle check every second, the service check every minute."""
        app = self._app
        app.set_interval(1.0, guarded(app, self.tick), name="idle-check")
        app.set_interval(SESSION_CHECK_SECONDS, guarded(app, self.check), name="session-check")

    def session_started(self) -> None:
        app = self._app
        self.last_input = app.now()
        if app.session is not None:
            app.session.last_activity = self.last_input

    def input_came(self) -> None:
        """A key, a paste or a mouse button: activity (or the end, if it came too late)."""
        app = self._app
        now = app.now()
        if app.session is not None and self.idle_over(now):
            app.end_session(t("session.idle_logout"))
            return
        self.last_input = now
        if app.session is not None:
            app.session.last_activity = now

    def idle_over(self, now: datetime) -> bool:
        if self.last_input is None:
            return False
        return now - self.last_input > timedelta(minutes=self._app.settings.idle_timeout_minutes)

    def tick(self) -> None:
        """Every second: end an idle session (R-LOG-6); collect garbage while nobody types."""
        app = self._app
        if app.session is not None and self.idle_over(app.now()):
            app.end_session(t("session.idle_logout"))
            return
        app.heap.collect_when_idle()

    def check(self) -> None:
        """Ask the service whether the session still holds (deleted, expired, locked
        accounts lose their rights without waiting for their next action)."""
        app = self._app
        if app.session is None:
            return
        app.run_service(app, app.clients.auth.check_session(), failed=lambda exc: None)
