"""What screens and widgets may ask of the app: the typed interface ``PortPlusHost``.

Screens reach our app's state and calls through ``host(self)``, never through
``getattr(self.app, ...)`` and never by importing ``ui/app.py`` (which imports them):

    host(self).session          the logged-in Session (None on the login screens)
    host(self).clients          the service clients (ui/clients.py)
    host(self).run_service(...) the one bridge to the services (ui/bridge.py)

``PortPlusApp`` inherits ``PortPlusHost``; what it declares here is all a screen can
count on. Textual's own App API (``push_screen``, ``notify``, ``bell``, ...) is used on
``self.app`` as usual. The reactive state screens follow (``session``, ``db_state``)
reaches them as Messages the app posts to the screens of its stack (``SessionChanged``,
``DatabaseStateChanged``, ui/app_messages.py), not through ``self.watch(self.app, ...)``:
Textual keeps such a watcher, and the screen with it, until the value changes again.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.widget import Widget
    from textual.worker import Worker

    from portplus_tui.config import Settings
    from portplus_tui.core.errors import PortPlusError
    from portplus_tui.services.context import Session
    from portplus_tui.ui.clients import Clients, ServiceCall
    from portplus_tui.ui.heap import Heap


class PortPlusHost:
    """The app as screens see it (a mixin of ``PortPlusApp``; the bodies are there)."""

    settings: "Settings"
    session: "Session | None"
    #: "opening" | "ready" | "failed" (reactive on the app)
    db_state: str
    #: why the database could not be opened (with db_state "failed")
    db_message: str
    clients: "Clients"
    heap: "Heap"

    def run_service(self, owner: "DOMNode", call: "ServiceCall[Any]", *,
                    done: Callable[[Any], Any] | None = None,
                    failed: Callable[["PortPlusError"], Any] | None = None,
                    busy: "Widget | None" = None,
                    hold_input: bool = False) -> "Worker[None]":
        raise NotImplementedError

    def now(self) -> datetime:
        raise NotImplementedError

    def open_database(self) -> None:
        raise NotImplementedError

    def start_session(self, session: "Session") -> None:
        raise NotImplementedError

    def show_login(self, notice: str | None = None, *, member_no: str = "", login_id: str = "",
                   error: bool = False) -> None:
        raise NotImplementedError

    def logout(self) -> None:
        raise NotImplementedError

    def report_unexpected(self, exc: BaseException, where: str = "") -> None:
        raise NotImplementedError


def host(node: "DOMNode") -> PortPlusHost:
    """The app of ``node``, as the typed interface. Raises TypeError under any other app
    (a screen of ours shown by a bare ``App`` in a test is a mistake to see at once)."""
    app = node.app
    if not isinstance(app, PortPlusHost):
        raise TypeError(f"{type(node).__name__} needs the Port Plus app, not {type(app).__name__}")
    return app


def host_or_none(node: "DOMNode") -> PortPlusHost | None:
    """The app of ``node`` as the typed interface, or None when there is none (a widget
    not attached yet) or it is another app (a widget of ours tried alone in a test)."""
    try:
        app = node.app
    except Exception:  # noqa: BLE001 - Textual raises NoActiveAppError outside an app
        return None
    return app if isinstance(app, PortPlusHost) else None
