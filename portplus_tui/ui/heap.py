"""The garbage-collector policy of the terminal app: the one place that calls ``gc``.

A full garbage collection walks every object alive and not frozen: over Textual, our
modules and the data layer (~200k objects) that stalled the event loop for 50-230 ms now
and then (bench/login_lag.py, bench/tui_paging.py). The contract:

1. From launch to the login screen's first paint the collector is off
   (``pause_until_first_paint`` in ``portplus``'s launch, ``first_paint_done`` by the
   login screen; a timer turns it back on should no screen ever be drawn): the ~100k
   objects of the start-up all stay alive, and the collector walked them ~110 times
   (~30 ms of the start-up, bench/startup.py) to find nothing.
2. What is alive once the app has started, and again once the database is open, is
   frozen (``Heap.freeze``) for the app's life: no collection walks it again.
3. While the screen that a password or a code opens is built, no collection at all
   (``Heap.pause`` as it is accepted, ``Heap.screen_drawn`` once that screen is drawn,
   or after ``GC_PAUSE_LIMIT``).
4. During a session the collector makes no full collection on its own (young
   generations only, a few ms); the app runs one once no key has come for
   ``IDLE_COLLECT_SECONDS`` (``Heap.collect_when_idle``, called every second, with
   ``Heap.input_came`` on every key), and one at logout, once the session's screens
   are gone (``Heap.release``), which frees them.
5. When the app ends, everything is as it was (``Heap.end``): collector on, thresholds
   restored, nothing frozen.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading
import time
from typing import Any, Callable

#: the longest the garbage collector stays off while a screen is built (seconds)
GC_PAUSE_LIMIT = 5.0
#: after a logout, when the session's screens are freed by one full collection (seconds)
HEAP_RELEASE_DELAY = 0.3
#: during a session: no full collection on the collector's own (its third threshold, a
#: count of middle-generation collections, is out of reach); the app runs one when idle
SESSION_GC_THRESHOLD2 = 1_000_000_000
#: seconds without a key or click before the app's own full collection in a session
IDLE_COLLECT_SECONDS = 10.0
#: should no login screen ever be drawn, the collector comes back on after (seconds)
FIRST_PAINT_LIMIT = 10.0


def pause_until_first_paint() -> Callable[[], None]:
    """Point 1: the collector off until the first screen is painted; returns the call
    that ends the pause whatever happened (the end of the app)."""
    gc.disable()
    fallback = threading.Timer(FIRST_PAINT_LIMIT, gc.enable)
    fallback.daemon = True
    fallback.start()

    def end() -> None:
        fallback.cancel()
        gc.enable()

    return end


def first_paint_done() -> None:
    """Point 1: the login screen has been painted."""
    gc.enable()


class Heap:
    """Points 2-5 for one app. All calls on the app's event loop."""

    def __init__(self, session_open: Callable[[], bool]) -> None:
        self._session_open = session_open
        self._paused = False
        self._limit: Any = None  # the loop timer that ends a pause
        self.release_due = False  # a collection after the session's screens is coming
        self._session_mode = False  # full collections left to the app (a session is open)
        self._saved_threshold: tuple[int, int, int] | None = None
        self._garbage_since_collect = False
        self.last_input_mono = 0.0

    @staticmethod
    def freeze() -> None:
        """Point 2."""
        gc.freeze()

    def pause(self) -> None:
        """Point 3: no garbage collection while the next screen is built (after the
        password or the code was accepted): its ~100k new objects would set off several
        collections, one of them full."""
        if self._paused or not gc.isenabled():
            return
        gc.disable()
        self._paused = True
        # A bare loop timer in an empty context: a Textual timer's task would keep the
        # current context (the login worker, and through it the login screen) alive
        # until it falls due, stopped or not.
        self._limit = asyncio.get_running_loop().call_later(
            GC_PAUSE_LIMIT, self.screen_drawn, context=contextvars.Context())

    def screen_drawn(self) -> None:
        """Point 3 ends; within a session, point 4 begins."""
        if self._paused:
            self._paused = False
            if self._limit is not None:
                self._limit.cancel()
                self._limit = None
            gc.enable()
        if self._session_open() and not self._session_mode:
            self._session_mode = True
            self._saved_threshold = gc.get_threshold()
            young, middle, _ = self._saved_threshold
            gc.set_threshold(young, middle, SESSION_GC_THRESHOLD2)
            self._garbage_since_collect = True

    def _end_session_mode(self) -> None:
        if self._session_mode:
            self._session_mode = False
            if self._saved_threshold is not None:
                gc.set_threshold(*self._saved_threshold)

    def input_came(self) -> None:
        """A key, click or paste (point 4)."""
        self.last_input_mono = time.monotonic()
        self._garbage_since_collect = True

    def collect_when_idle(self) -> None:
        """Point 4, called every second: one full collection once no key or click has
        come for IDLE_COLLECT_SECONDS since the last one (nobody waits for the screen)."""
        if not self._session_mode or not self._garbage_since_collect or self._paused:
            return
        if time.monotonic() - self.last_input_mono >= IDLE_COLLECT_SECONDS:
            self._garbage_since_collect = False
            gc.collect()

    def release(self) -> None:
        """Point 4: a session's screens are going (logout, or back from the code
        screen): once they are out (HEAP_RELEASE_DELAY), one full collection frees them.
        It walks what is not frozen: the session's objects, not the app's."""
        self._end_session_mode()
        if self.release_due:
            return
        self.release_due = True

        def collect() -> None:
            self.release_due = False
            gc.collect()

        # Not at once: Textual is still taking the screens down. An empty context, as
        # in pause.
        asyncio.get_running_loop().call_later(HEAP_RELEASE_DELAY, collect,
                                              context=contextvars.Context())

    def end(self) -> None:
        """Point 5."""
        if self._paused:
            self._paused = False
            gc.enable()
        self._end_session_mode()
        gc.unfreeze()  # what this app leaves behind can be collected again
