"""OtpScreen (R-OTP-1..3): 「メール送信完了」, the masked address, the one-time password,
キャンセル (back to login) and 確定 (Enter), 再送信 once allowed, and the time left.

The manual's 「※ワンタイムパスワードは発行後30分有効となります。」 is written without
the ※ (an East-Asian ambiguous-width glyph).
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime
from typing import Any, Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from portplus_tui.core.errors import PortPlusError
from portplus_tui.ui import textual_compat
from portplus_tui.ui.base import (
    FormMixin,
    Guarded,
    StyledOnce,
    SubmitKeys,
    guarded,
    submit_bindings,
)
from portplus_tui.ui.i18n import get_lang, localize_bindings, t
from portplus_tui.ui.keybar import KeyBar
from portplus_tui.ui.prose import Prose
from portplus_tui.ui.textual_compat import FrameControl

#: errors that leave the code field usable; any other ends this login attempt
RETRY_CODES = frozenset({"otp_wrong", "otp_format"})


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
    (``frame_requested``, ui/textual_compat.FrameControl) are done in two turns of the
    event loop: the frame is
    rendered in the next one (``loop.call_soon``), so other tasks (keys, timers) can
    run in between. Callbacks given to ``after_first_frame`` run once the first frame
    has gone to the terminal. A repaint without layout (a key echoed in a field) is
    rendered at once, as by Textual."""

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
                or textual_compat.batching(self.app)) and self._is_top():
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
                report = getattr(getattr(self, "app", None), "report_unexpected", None)
                if report is None:
                    raise
                report(exc, where=getattr(callback, "__qualname__", repr(callback)))

        # Three turns later: a timer that fell due during this turn is handled in the
        # next one and the task it wakes in the one after; they go first.
        loop = asyncio.get_running_loop()
        loop.call_soon(loop.call_soon, loop.call_soon, run)

    def _settle_heap(self) -> None:
        """Such a screen is built with the garbage collector paused (app.pause_gc, as
        the password or code is accepted); once drawn, the pause ends."""
        settle = getattr(getattr(self, "app", None), "settle_heap", None)
        if settle is not None:
            settle()

    def after_first_frame(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` (in a later turn of the event loop) once this screen's first
        frame has been drawn."""
        if self._first_frame_drawn:
            self._soon(callback)
        else:
            if self._after_frame is None:
                self._after_frame = []
            self._after_frame.append(callback)


class OtpScreen(SteppedRefresh, SubmitKeys, Guarded, FormMixin, Screen):
    AUTO_FOCUS = "#code"
    BINDINGS = [
        *submit_bindings("otp", "key.confirm", one_field=True),
        Binding("escape", "cancel", "key.cancel", key_display="Esc", id="otp.cancel"),
        Binding("f5", "resend", "key.resend", key_display="F5", id="otp.resend"),
    ]
    FORM_FIELDS = ("code",)

    def __init__(self, challenge, *, member_no: str = "", login_id: str = "") -> None:
        super().__init__()
        localize_bindings(self)
        self.challenge = challenge
        self._member_no = member_no
        self._login_id = login_id
        self._busy = False
        self._finished = False
        self._preset_breakpoints()

    def compose(self) -> ComposeResult:
        minutes = self.app.settings.otp_valid_minutes
        yield Prose(t("app.name"), id="topbar", markup=False)
        with VerticalScroll(classes="form-scroll", can_focus=False):
            with Vertical(id="otp-box", classes="card"):
                yield Prose(t("otp.title"), classes="card-title", markup=False)
                yield Prose(t("otp.sent", email=self.challenge.masked_email), id="otp-sent",
                             markup=False)
                yield Prose(t("otp.instruction"), markup=False)
                yield Prose(t("otp.validity", minutes=minutes), classes="hint", markup=False)
                yield Label(t("otp.code"), classes="field-label", markup=False)
                yield Input(id="code", restrict=r"[0-9０-９ \-]*", max_length=9)
                error = Prose("", id="code-error", classes="field-error", markup=False)
                error.display = False
                yield error
                yield Prose("", id="otp-remaining", classes="status", markup=False)
                form_error = Prose("", id="otp-error", classes="form-error", markup=False)
                form_error.display = False
                yield form_error
                with Horizontal(classes="buttons"):
                    yield Button(t("otp.cancel"), id="cancel")
                    yield Button(t("otp.confirm"), id="confirm", variant="primary")
                    yield Button(t("otp.resend"), id="resend")
        yield KeyBar()

    def on_mount(self) -> None:
        self._tick_clock()
        self.set_interval(1.0, guarded(self, self._tick_clock))
        # While the code is being read and typed: the main screen's imports and CSS,
        # in a thread (nothing to do when the login did it already).
        self.after_first_frame(self._prepare_main_screen)
        # The garbage-collection pause of the password step (LoginScreen) ends here.
        self.after_first_frame(self._settle_heap)

    def _prepare_main_screen(self) -> None:
        app = self.app

        def prepare() -> None:  # thread
            from portplus_tui.ui.screens import main

            main.prepare(app)

        self.run_worker(prepare, thread=True, exit_on_error=False, group="prepare",
                        name="prepare main screen")

    # ----------------------------------------------------------------- timer
    def _tick_clock(self) -> None:
        now: datetime = self.app.now()
        left = (self.challenge.expires_at - now).total_seconds()
        remaining = self.query_one("#otp-remaining", Static)
        confirm = self.query_one("#confirm", Button)
        if left <= 0:
            remaining.update(t("otp.expired"))
            confirm.disabled = True
        elif left >= 60:
            remaining.update(t("otp.remaining_minutes", minutes=int(left // 60)))
            confirm.disabled = False
        else:
            remaining.update(t("otp.remaining_seconds", seconds=int(left)))
            confirm.disabled = False
        resend = self.query_one("#resend", Button)
        wait = (self.challenge.resend_at - now).total_seconds()
        if wait > 0:
            resend.label = t("otp.resend_wait", seconds=math.ceil(wait))
            resend.disabled = True
        else:
            resend.label = t("otp.resend")
            resend.disabled = self._busy

    # ----------------------------------------------------------------- keys
    def action_enter(self) -> None:
        if self.focused is None:  # e.g. a browser tab that has not focused the field yet
            self.confirm()
            return
        super().action_enter()

    def submit_form(self) -> None:
        self.confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm":
            self.confirm()
        elif event.button.id == "cancel":
            self.action_cancel()
        elif event.button.id == "resend":
            self.action_resend()

    # ----------------------------------------------------------------- confirm
    def confirm(self) -> None:
        if self._busy or self._finished:
            return
        self.clear_errors()
        code = self.field_value("code")
        if not code.strip():
            self.show_field_error("code", t("otp.required"))
            self.query_one("#code", Input).focus()
            return
        if (self.challenge.expires_at - self.app.now()).total_seconds() <= 0:
            self.show_form_error(t("otp.expired"), "#otp-error")
            return
        self._set_busy(True)
        attempt = self.challenge.attempt

        def job(ctx):
            from portplus_tui.services import auth

            return auth.verify_otp(ctx, attempt, code)

        self.app.run_service(self, job, done=self._verified, failed=self._failed,
                             name="verify_otp", hold_input=True)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.query_one("#confirm", Button).loading = busy

    def _verified(self, session) -> None:
        self._set_busy(False)
        self._finished = True
        self.app.start_session(session)

    def _failed(self, exc: PortPlusError) -> None:
        self._set_busy(False)
        code_input = self.query_one("#code", Input)
        code_input.value = ""
        if exc.code in RETRY_CODES:
            self.show_field_error("code", exc.message(get_lang()))
            code_input.focus()
            return
        # The attempt is over (expired, voided, locked, account gone): log in again.
        self._finished = True
        self.app.show_login(exc.message(get_lang()), member_no=self._member_no,
                            login_id=self._login_id, error=True)

    # ----------------------------------------------------------------- resend
    def action_resend(self) -> None:
        if self._busy or self._finished:
            return
        if (self.challenge.resend_at - self.app.now()).total_seconds() > 0:
            return
        self.clear_errors()
        self._busy = True
        self.query_one("#resend", Button).loading = True
        attempt = self.challenge.attempt

        def job(ctx):
            from portplus_tui.services import auth

            return auth.resend_otp(ctx, attempt)

        self.app.run_service(self, job, done=self._resent, failed=self._resend_failed,
                             name="resend_otp")

    def _resent(self, challenge) -> None:
        self._busy = False
        self.query_one("#resend", Button).loading = False
        self.challenge = challenge
        self.query_one("#otp-sent", Static).update(t("otp.sent", email=challenge.masked_email))
        self._tick_clock()
        self.app.notify(t("otp.resent"), markup=False)
        self.query_one("#code", Input).focus()

    def _resend_failed(self, exc: PortPlusError) -> None:
        self._busy = False
        self.query_one("#resend", Button).loading = False
        if exc.code in ("otp_resend_wait", "mail"):
            self.show_form_error(exc.message(get_lang()), "#otp-error")
            return
        self._finished = True
        self.app.show_login(exc.message(get_lang()), member_no=self._member_no,
                            login_id=self._login_id, error=True)

    # ----------------------------------------------------------------- cancel
    def action_cancel(self) -> None:
        if self.is_dirty():
            from portplus_tui.ui.screens.confirm import ConfirmModal

            self.app.push_screen(ConfirmModal(t("confirm.discard")), self._cancel_answer)
            return
        self._cancel()

    def _cancel_answer(self, yes: bool | None) -> None:
        if yes:
            self._cancel()

    def _cancel(self) -> None:
        self._finished = True
        attempt = self.challenge.attempt

        def job(ctx):
            from portplus_tui.services import auth

            auth.cancel_otp(ctx, attempt)

        self.app.run_service(self.app, job, name="cancel_otp")
        self.app.show_login(member_no=self._member_no, login_id=self._login_id)
