"""The app's end of the change feed (services/live.py, issue 15): one Watcher per
logged-in session, started at login and stopped at logout and exit. What it hears
comes from its thread as ``FeedArrived`` / ``FeedState`` (``post_message`` is
thread-safe); the app drops its own writes and tells the screens of its stack
(``LiveChanged``, ``LiveStateChanged``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App

log = logging.getLogger(__name__)


class FeedArrived(Message, bubble=False):
    """From the watcher's thread to the app: a batch of changes."""

    def __init__(self, changes: list) -> None:
        super().__init__()
        self.changes = changes


class FeedState(Message, bubble=False):
    """From the watcher's thread to the app: "live" or "polling"."""

    def __init__(self, state: str) -> None:
        super().__init__()
        self.state = state


class LiveFeed:
    """Starts and stops the app's watcher (none when the setting ``live`` is off)."""

    def __init__(self, app: "App") -> None:
        self.app = app
        self.watcher: Any = None
        self.state = "off"

    def start(self, ctx: Any, session: Any, settings: Any) -> None:
        """Follow the company of ``session`` (unless the app's ``settings.live`` is off)."""
        self.stop()
        if not settings.live:
            return
        from portplus_tui.services import live

        app = self.app
        try:
            self.watcher = live.Watcher(
                ctx, session,
                lambda changes: app.post_message(FeedArrived(changes)),
                lambda state: app.post_message(FeedState(state)),
                poll_seconds=settings.live_poll_ms / 1000,
            ).start()
        except Exception:  # noqa: BLE001 - the app works without it (screens reload on show)
            log.exception("change feed not started")

    def stop(self, wait: float = 0.0) -> None:
        """Stop the watcher; its thread ends (and closes its connection) within a poll.
        ``wait``: how long to wait for that (at exit), never at logout."""
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop(wait)
        self.state = "off"
