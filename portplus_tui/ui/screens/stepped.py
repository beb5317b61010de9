"""``SteppedRefresh``: a screen shown in the middle of a session (the two-step code
screen, the main screen) appears, and lays itself out, in short event-loop steps
(bench/login_lag.py)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable, cast

from portplus_tui.ui import textual_compat
from portplus_tui.ui.base import StyledOnce
from portplus_tui.ui.host import host_or_none
from portplus_tui.ui.textual_compat import FrameControl

if TYPE_CHECKING:
    from textual.dom import DOMNode


class SteppedRefresh(FrameControl, StyledOnce):
    """For a Screen shown in the middle of a session (the OTP screen, the main screen):
    its first appearance, and each later change of layout, in several short event-loop
    steps instead of one long one (bench/login_lag.py: the event loop should never
    stall 50 ms; keys typed meanwhile keep their order).

    Textual 8.2, when such a screen is resumed, in one step: restyles every widget
    (styled already when mounted), lays it out, renders the whole frame, then handles
    the Resize it posted to itself: lays it out again and, since the breakpoint classes
    (-narrow/-wide, -short/-tall) appear only then, restyles every widget once more.
    Here the breakpoint classes are set in ``__init__`` (the Resize finds them in
    place) and the first resume skips its restyle. A layout and the frame it calls for
    (``frame_requested``, ui/textual_compat.FrameControl) are done in separate turns of
    the event loop: the frame is rendered a few turns later (``_soon``), and after any
    batch Textual holds, so other tasks (keys, timers) can run in between. Callbacks
    given to ``after_first_frame`` run once the first frame has gone to the terminal. A
    repaint without layout (a key echoed in a field) is rendered at once, as by
    Textual."""

    _first_frame_drawn = False
    _after_frame: list[Callable[[], Any]] | None = None

    _frame_queued = False

    def _is_top(self) -> bool:
        screen: Any = self
        try:
            return screen is screen.app.screen
        except Exception:  # noqa: BLE001 - no screen stack (the app is ending)
            return False

    def frame_requested(self, in_layout: bool) -> None:
        if (in_layout or not self._first_frame_drawn
                or textual_compat.batching(cast("DOMNode", self).app)) and self._is_top():
            if not self._frame_queued:
                self._frame_queued = True
                self._soon(self._draw_frame)
            return
        if self._frame_queued and self._is_top():
            return  # the queued frame shows this change as well
        self.draw_frame_now()

    def _draw_frame(self) -> None:
        screen: Any = self
        self._frame_queued = False
        if not screen.is_attached or not screen.is_running:
            return
        try:
            _ = screen.app.screen
        except Exception:  # noqa: BLE001 - no screen stack (the app is ending)
            return
        if textual_compat.batching(screen.app):
            # Drawn now, the frame would be thrown away (App._display in a batch).
            self._frame_queued = True
            textual_compat.when_unbatched(screen.app, self._draw_after_batch)
            return
        first = not self._first_frame_drawn
        self._first_frame_drawn = True
        self.draw_frame_now()
        if first:
            for callback in self._after_frame or ():
                self._soon(callback)
            self._after_frame = None

    def _draw_after_batch(self) -> None:
        self._frame_queued = True
        self._soon(self._draw_frame)

    def _soon(self, callback: Callable[[], Any]) -> None:
        """``callback`` in a later turn of the event loop (Textual's ``call_later`` runs
        it in the same turn when the screen's message queue is not empty); an
        exception is reported as the app reports unexpected errors."""

        def run() -> None:
            try:
                callback()
            except Exception as exc:  # noqa: BLE001
                app = host_or_none(cast("DOMNode", self))
                if app is None:
                    raise
                app.report_unexpected(exc, where=getattr(callback, "__qualname__", repr(callback)))

        # Three turns later: a timer that fell due during this turn is handled in the
        # next one and the task it wakes in the one after; they go first.
        loop = asyncio.get_running_loop()
        loop.call_soon(loop.call_soon, loop.call_soon, run)

    def _settle_heap(self) -> None:
        """Such a screen is built with the garbage collector paused (heap.pause, as the
        password or code is accepted); once drawn, the pause ends (ui/heap.py)."""
        app = host_or_none(cast("DOMNode", self))
        if app is not None:
            app.heap.screen_drawn()

    def after_first_frame(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` (in a later turn of the event loop) once this screen's first
        frame has been drawn."""
        if self._first_frame_drawn:
            self._soon(callback)
        else:
            if self._after_frame is None:
                self._after_frame = []
            self._after_frame.append(callback)
