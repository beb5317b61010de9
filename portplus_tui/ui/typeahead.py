"""R-UI-1 type-ahead: the keys of a burst are handled one after the other.

Textual forwards a key to the focused widget's queue and goes on with the next key at
once. The widget handles it later, and the key then bubbles back up to the App, where
the bindings of the focus chain *at that moment* are looked up (Down and Enter in an
open Select, Enter on a button, ``p`` on the list). A Tab in the same burst is a
priority binding (it must move the focus before the next key), so it ran before the
keys typed ahead of it had found their bindings: ``Down Down Enter Tab`` in an open
Select chose nothing, and its Enter reached the next field.

``KeyTurns`` gives each input its turn. After a key (a paste, a mouse button) has been
dispatched, the ones that arrive meanwhile wait, in order, until the screen's widgets
have handled everything in their queues: the key itself on its way up, and what it set
off (a Select's choice travels in two more messages, then the Select takes the focus
back). The App's own queue comes first as well: the next input is dispatched from it.
As when typed slowly. A widget that stays busy (a handler waiting on something) holds
the inputs after it for at most ``EXPIRE`` seconds. Input typed one by one never waits.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Awaitable, Callable

from portplus_tui.ui import textual_compat

#: seconds after which a busy widget no longer holds back the input after it
EXPIRE = 0.5
#: seconds after which a pause (``KeyTurns.pause``) no longer holds back the input
PAUSE_LIMIT = 30.0


class KeyTurns:
    """The App's queue of input waiting for the input before it to be handled.

    ``dispatch(event)``: the App's own dispatch of an input event; it calls ``sent``
    after each one."""

    def __init__(self, app: Any, dispatch: Callable[[Any], Awaitable[None]]) -> None:
        self.app = app
        self._dispatch = dispatch
        self.waiting: deque[Any] = deque()
        self._since: float | None = None  # when the input being handled was dispatched
        self._turn = 0  # counts dispatches: callbacks of an earlier turn do nothing
        self._timer: Any = None
        self._typist: Any = None  # the field that took the last key as text
        self._paused = 0  # pause() calls not yet resumed
        self._paused_at = 0.0

    # ------------------------------------------------------------------ pauses
    def pause(self) -> None:
        """Hold every input from now until ``resume``: a key that set off a change of
        screen (the login's Enter: the main screen or the two-step screen comes after
        a service call) makes the keys after it wait for the screen they were typed
        for (issue 13, defect 0). At most ``PAUSE_LIMIT`` seconds."""
        self._paused += 1
        self._paused_at = time.monotonic()

    def resume(self) -> None:
        if self._paused:
            self._paused -= 1
        if not self._paused and self.waiting and self._since is None:
            self._since = time.monotonic()
            self.app.call_later(self._next, self._turn)

    @property
    def paused(self) -> bool:
        if self._paused and time.monotonic() - self._paused_at > PAUSE_LIMIT:
            self._paused = 0
        return bool(self._paused)

    def _typing_on(self, event: Any) -> bool:
        """A character for the field that took the last key as text (and still has the
        focus): it goes to that field's queue behind the last one, no binding involved,
        so it need not wait (a 30-character burst: 100 ms -> 20 ms)."""
        focused = self.app.focused
        return focused is not None and focused is self._typist and _consumes(focused, event)

    @property
    def idle(self) -> bool:
        """Nothing is being handled and nothing waits."""
        return self._since is None and not self.waiting

    def hold(self, event: Any) -> bool:
        """True when ``event`` must wait for its turn (it was queued)."""
        if self.paused:
            self.waiting.append(event)
            return True
        if self.idle:
            return False
        if not self.waiting and self._typing_on(event):
            return False  # one more character for the field that took the last one
        self.waiting.append(event)
        if self._timer is None and self._since is not None:
            left = max(0.0, EXPIRE - (time.monotonic() - self._since))
            self._timer = self.app.set_timer(left, self._expire_turn, name="type-ahead")
        return True

    def sent(self, event: Any, focused: Any) -> None:
        """``event`` was dispatched (``focused``: the focus it found): the next input
        waits until the screen has settled."""
        self._typist = focused if _consumes(focused, event) else None
        self._stop_timer()
        self._turn += 1
        self._since = time.monotonic()
        self._settle(self._turn)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    # ------------------------------------------------------------------ internals
    def _busy(self) -> list[Any]:
        """The screen's widgets with messages to handle."""
        try:
            nodes = list(self.app.screen.walk_children(with_self=True))
        except Exception:  # noqa: BLE001 - no screen (the app is closing)
            return []
        return [node for node in nodes if node.message_queue_size
                or textual_compat.has_peeked_message(node)]

    def _settle(self, turn: int, busy: list[Any] | None = None) -> None:
        if turn != self._turn or self._since is None:
            return  # a later input's turn, or nothing in hand any more
        if time.monotonic() - self._since > EXPIRE:
            # A widget that never stops being busy (an animation posting to itself)
            # would keep this loop of callbacks going for ever: the turn is over.
            self.app.call_later(self._next, turn, True)
            return
        if busy is None:
            busy = self._busy()
        pending = 0

        def drained() -> None:
            nonlocal pending
            pending -= 1
            if pending == 0:
                self._settle(turn)

        for node in busy:
            if node.call_later(drained):
                pending += 1
        if pending == 0:  # settled: after what the App's queue holds, the next input
            self.app.call_later(self._next, turn)

    def _expire_turn(self) -> None:
        self._timer = None  # (stopped by _next: a timer that fires is this turn's)
        if self._since is not None:
            self.app.call_later(self._next, self._turn, True)

    async def _next(self, turn: int, expired: bool = False) -> None:
        if turn != self._turn or self._since is None:
            return
        expired = expired or time.monotonic() - self._since > EXPIRE
        if not expired and (busy := self._busy()):
            # The App handled what had bubbled up to it (the binding of the key), and
            # that set off more (an option list's choice): settle again.
            self._settle(turn, busy)
            return
        self._stop_timer()
        if not self.waiting or self.paused:
            self._since = None  # idle (or paused: resume() starts again)
            return
        self._since = time.monotonic()  # (still busy while it is dispatched)
        await self._dispatch(self.waiting.popleft())  # which calls sent()


def _consumes(widget: Any, event: Any) -> bool:
    """``widget`` takes the key ``event`` as text (an Input and a printable character)."""
    character = getattr(event, "character", None)
    return (widget is not None and character is not None and getattr(event, "is_printable", False)
            and widget.check_consume_key(event.key, character))
