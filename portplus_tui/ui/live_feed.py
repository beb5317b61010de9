"""The app's end of the change feed (services/live.py, issue 15): one Watcher per
logged-in session, started at login and stopped at logout and exit. What it hears
comes from its thread to the app as ``LiveChanged`` (every change) and
``LiveStateChanged`` (``post_message`` is thread-safe); the app drops its own writes and
tells the screens of its stack with the same messages."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App

log = logging.getLogger(__name__)


class LiveFeed:
    """Starts and stops the app's watcher (none when the setting ``live`` is off)."""

    def __init__(self, app: "App") -> None:
        self.app = app
        self.watcher: Any = None

    def start(self, ctx: Any, session: Any, settings: Any) -> None:
        """Follow the company of ``session`` (unless the app's ``settings.live`` is off)."""
        self.stop()
        if not settings.live:
            return
        from portplus_tui.services import live
        from portplus_tui.ui.app_messages import LiveChanged, LiveStateChanged

        watcher: Any = None

        def tell(message: Any) -> None:
            # only the current watcher's news: one stopped at a logout may still be
            # finishing its poll, about the company of the session that ended
            if self.watcher is watcher:
                self.app.post_message(message)

        try:
            watcher = live.Watcher(ctx, session, lambda changes: tell(LiveChanged(changes)),
                                   lambda state: tell(LiveStateChanged(state)),
                                   poll_seconds=settings.live_poll_ms / 1000)
            self.watcher = watcher
            watcher.start()
        except Exception:  # noqa: BLE001 - the app works without it (screens reload on show)
            self.watcher = None
            log.exception("change feed not started")

    def stop(self, wait: float = 0.0) -> None:
        """Stop the watcher; its thread ends (and closes its connection) within a poll.
        ``wait``: how long to wait for that (at exit), never at logout."""
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop(wait)
