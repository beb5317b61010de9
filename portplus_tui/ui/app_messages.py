"""The Textual Messages our widgets and the app send (data flows one way).

Children tell their parents by posting a Message that bubbles up (a row action, a page
asked for), never by walking ``ancestors`` to call a parent's method. The app tells the
screens of its stack when the state they show changes (the session, the database).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from portplus_tui.services.context import Session


class SessionChanged(Message, bubble=False):
    """To each screen of the stack: the app's session was set, or re-read by a service
    call (the 担当者名 may have changed)."""

    def __init__(self, session: "Session | None") -> None:
        super().__init__()
        self.session = session


class DatabaseStateChanged(Message, bubble=False):
    """To each screen of the stack: the database is "opening", "ready" or "failed"."""

    def __init__(self, state: str) -> None:
        super().__init__()
        self.state = state


class RowAction(Message):
    """A key on a row of the Port Plus list (change, cancel, history, copy...)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action


class PageRequested(Message):
    """The pager asks for a page: ``which`` is "prev", "next", "first", "last" or
    "ahead" (``number`` pages after the current one; negative: before)."""

    def __init__(self, which: str, number: int = 0) -> None:
        super().__init__()
        self.which = which
        self.number = number


class LiveChanged(Message, bubble=False):
    """The change feed's news (services.live.Change: kind and id; a ``reset`` means read
    everything again). From the watcher's thread to the app: every change heard; from
    the app to each screen of its stack: only other sessions' (not bubbling, so a
    screen's never reaches the app again)."""

    def __init__(self, changes: list) -> None:
        super().__init__()
        self.changes = changes


class LiveStateChanged(Message, bubble=False):
    """From the watcher's thread to the app, and from the app to each screen of its
    stack: the change feed is "live" or "polling" (lost: read every few seconds)."""

    def __init__(self, state: str) -> None:
        super().__init__()
        self.state = state
