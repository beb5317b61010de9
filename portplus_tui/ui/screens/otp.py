"""OtpScreen (R-OTP-1..3): 「メール送信完了」, the masked address, the one-time password,
キャンセル (back to login) and 確定 (Enter), 再送信 once allowed, and the time left.

The manual's 「※ワンタイムパスワードは発行後30分有効となります。」 is written without
the ※ (an East-Asian ambiguous-width glyph).
"""

from __future__ import annotations

import math
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from portplus_tui.core.errors import PortPlusError
from portplus_tui.ui.base import (
    FormMixin,
    Guarded,
    SubmitKeys,
    guarded,
    submit_bindings,
)
from portplus_tui.ui.host import host
from portplus_tui.ui.i18n import get_lang, localize_bindings, t
from portplus_tui.ui.screens.stepped import SteppedRefresh
from portplus_tui.ui.widgets.keybar import KeyBar
from portplus_tui.ui.widgets.prose import Prose

#: errors that leave the code field usable; any other ends this login attempt
RETRY_CODES = frozenset({"otp_wrong", "otp_format"})


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
        minutes = host(self).settings.otp_valid_minutes
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
                    yield Button(t("otp.cancel"), id="cancel", action="screen.cancel")
                    yield Button(t("otp.confirm"), id="confirm", action="screen.confirm", variant="primary")
                    yield Button(t("otp.resend"), id="resend", action="screen.resend")
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
        now: datetime = host(self).now()
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
            self.action_confirm()
            return
        super().action_enter()

    def submit_form(self) -> None:
        self.action_confirm()

    # ----------------------------------------------------------------- confirm
    def action_confirm(self) -> None:
        if self._busy or self._finished:
            return
        self.clear_errors()
        code = self.field_value("code")
        if not code.strip():
            self.show_field_error("code", t("otp.required"))
            self.query_one("#code", Input).focus()
            return
        if (self.challenge.expires_at - host(self).now()).total_seconds() <= 0:
            self.show_form_error(t("otp.expired"), "#otp-error")
            return
        self._set_busy(True)
        attempt = self.challenge.attempt

        app = host(self)
        app.run_service(self, app.clients.auth.verify_otp(attempt, code), done=self._verified,
                        failed=self._failed, hold_input=True)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.query_one("#confirm", Button).loading = busy

    def _verified(self, session) -> None:
        self._set_busy(False)
        self._finished = True
        host(self).start_session(session)

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
        host(self).show_login(exc.message(get_lang()), member_no=self._member_no,
                            login_id=self._login_id, error=True)

    # ----------------------------------------------------------------- resend
    def action_resend(self) -> None:
        if self._busy or self._finished:
            return
        if (self.challenge.resend_at - host(self).now()).total_seconds() > 0:
            return
        self.clear_errors()
        self._busy = True
        self.query_one("#resend", Button).loading = True
        attempt = self.challenge.attempt

        app = host(self)
        app.run_service(self, app.clients.auth.resend_otp(attempt), done=self._resent,
                        failed=self._resend_failed)

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
        host(self).show_login(exc.message(get_lang()), member_no=self._member_no,
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

        app = host(self)
        app.run_service(self.app, app.clients.auth.cancel_otp(attempt))
        host(self).show_login(member_no=self._member_no, login_id=self._login_id)
