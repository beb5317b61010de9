"""LoginScreen (R-LOG-1): 会員番号 / アカウント / パスワード, ログイン, and the link to
password reset.

Keys: Tab / Shift+Tab move through the form (priority bindings on the App, so a burst
such as ``member⇥email⇥password⏎`` lands field by field, R-UI-1). Enter is a priority
binding here for the same reason: in 会員番号 and アカウント it moves on, in パスワード
(or on ログイン) it logs in, on the link it opens the reset screen.

The password check (bcrypt) runs in a thread worker; the button shows a loading
indicator; a wrong member number, account or password gives one message beside the
form (the service's generic text), never a traceback.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Static

from portplus_tui.core.errors import PortPlusError
from portplus_tui.ui import heap, textual_compat
from portplus_tui.ui.app_messages import DatabaseStateChanged
from portplus_tui.ui.base import FormMixin, Guarded, StyledOnce, SubmitKeys, submit_bindings
from portplus_tui.ui.host import host
from portplus_tui.ui.i18n import get_lang, localize_bindings, t
from portplus_tui.ui.textual_compat import FrameControl
from portplus_tui.ui.widgets.form_button import FormButton
from portplus_tui.ui.widgets.inputs import PasswordInput
from portplus_tui.ui.widgets.keybar import KeyBar
from portplus_tui.ui.widgets.prose import Prose


class LoginScreen(FrameControl, StyledOnce, SubmitKeys, Guarded, FormMixin, Screen):
    AUTO_FOCUS = "#member_no"
    BINDINGS = [
        *submit_bindings("login", "key.login"),
        Binding("f2", "forgot", "key.forgot", key_display="F2", id="login.forgot"),
    ]
    FIELDS = ("member_no", "login_id", "password")

    def __init__(self, notice: str | None = None, *, member_no: str = "", login_id: str = "",
                 notice_is_error: bool = False) -> None:
        super().__init__()
        localize_bindings(self)
        self._notice = notice
        self._notice_is_error = notice_is_error
        self._member_no = member_no
        self._login_id = login_id
        self._busy = False
        if member_no and login_id:  # back from two-step login or reset: the password is next
            self.AUTO_FOCUS = "#password"  # type: ignore[misc]  # Textual reads it per screen
        self._after_paint: list = []
        self._db_shown = ""
        self._preset_breakpoints()

    # ----------------------------------------------------------------- start-up
    # The login screen is the first thing painted (bench/startup.py). Three Textual 8.2
    # habits cost time before that first paint, and are avoided here:
    # * Textual styles the screen three times before it is drawn: ``StyledOnce``.
    # * The App pushes this screen from its Mount handler, which Textual runs inside a
    #   ``batch_update`` that lasts until this screen is mounted. The first frame,
    #   rendered meanwhile, was thrown away by ``App._display`` together with its dirty
    #   regions: the whole screen was rendered for nothing, and the first frame that
    #   reached the terminal held only what changed since (the labels, without the
    #   input fields and the card, which followed ~20 ms later). ``frame_requested``
    #   waits for the end of the batch instead: one complete first frame, sooner.
    # * ``call_after_refresh`` callbacks run at the screen's next idle, which during that
    #   batch came before any frame: the database worker (importing peewee and a driver
    #   in a thread, ~300 ms holding the GIL in turns) competed with the first paint.
    #   ``_after_first_paint`` runs its callbacks after the first frame was handed to
    #   the terminal.
    _render_queued = False
    _painted = False

    def frame_requested(self, in_layout: bool) -> None:
        app = self.app
        if textual_compat.batching(app) and self is app.screen:
            if not self._render_queued:  # (a batch that never ends: nothing to draw)
                self._render_queued = True
                textual_compat.when_unbatched(app, self._render_after_batch)
            return
        self.draw_frame_now()
        if not self._painted and self is app.screen:
            self._painted = True
            for callback in self._after_paint:
                self.call_later(callback)
            self._after_paint = []

    def _render_after_batch(self) -> None:
        self._render_queued = False
        if self.is_attached:
            self.frame_requested(False)

    def _after_first_paint(self, callback) -> None:
        """Run ``callback`` once this screen has been drawn the first time."""
        if self._painted:
            self.call_later(callback)
        else:
            self._after_paint.append(callback)

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield Prose(t("app.name"), id="topbar", markup=False)
        with VerticalScroll(id="login-scroll", classes="form-scroll", can_focus=False):
            with Vertical(id="login-box", classes="card"):
                yield Prose(t("login.title"), classes="card-title", markup=False)
                notice = Prose(self._notice or "", id="login-notice", markup=False,
                                classes="notice-error" if self._notice_is_error else "notice")
                notice.display = bool(self._notice)
                yield notice
                yield Prose(t("login.member_no"), classes="field-label", markup=False)
                yield Input(self._member_no, id="member_no")
                yield Prose(t("login.login_id"), classes="field-label", markup=False)
                yield Input(self._login_id, id="login_id")
                yield Prose(t("login.password"), classes="field-label", markup=False)
                yield PasswordInput(id="password")
                # The error lines (#member_no-error ... #login-error) come later:
                # _mount_error_lines.
                yield FormButton(t("login.submit"), id="login", action="screen.login", primary=True)
                yield FormButton(t("login.forgot"), id="forgot", action="screen.forgot", classes="link")
                # Composed as the database state is now: nothing to restyle at mount.
                self._db_shown = host(self).db_state
                text, classes, shown = self._db_status(self._db_shown)
                status = Prose(text, id="db-status", markup=False, classes=classes)
                status.display = shown
                yield status
        yield KeyBar()

    #: the error lines: id, classes, the widget they follow
    _ERROR_LINES = (
        ("member_no-error", "field-error", "#member_no"),
        ("login_id-error", "field-error", "#login_id"),
        ("password-error", "field-error", "#password"),
        ("login-error", "form-error", "#password-error"),
    )
    _error_lines_mounted = False

    def _mount_error_lines(self) -> None:
        """Mount the (hidden) error lines under the fields: after the first paint, four
        widgets less to build before it, or at once when an error comes first (keys
        typed before the paint)."""
        if self._error_lines_mounted or not self.is_attached:
            return
        self._error_lines_mounted = True
        box = self.query_one("#login-box")
        for line_id, classes, after in self._ERROR_LINES:
            line = Prose("", id=line_id, classes=classes, markup=False)
            line.display = False
            box.mount(line, after=self.query_one(after))

    def show_field_error(self, field: str | None, text: str) -> bool:
        self._mount_error_lines()
        return super().show_field_error(field, text)

    def show_form_error(self, text: str, target: str = ".form-error") -> None:
        self._mount_error_lines()
        super().show_form_error(text, target)

    def on_mount(self) -> None:
        # Not self.watch(app, "db_state"): Textual keeps such a watcher, and with it this
        # screen, until the value changes again (every logout would leak a login screen).
        # The app posts DatabaseStateChanged to the screens of its stack instead.
        state = host(self).db_state
        if state != self._db_shown:
            self.db_state_changed(state)
        # `portplus` pauses the garbage collector until the first screen is drawn
        # (ui/heap.py, point 1); this is that screen.
        self._after_first_paint(heap.first_paint_done)
        # After this screen's first paint (start-up figure, bench/startup.py); does
        # nothing when the database is open already.
        self._after_first_paint(host(self).open_database)
        self._after_first_paint(self._mount_error_lines)

    def prefill(self, member_no: str, login_id: str) -> None:
        self.query_one("#member_no", Input).value = member_no
        self.query_one("#login_id", Input).value = login_id
        self.query_one("#password", Input).value = ""
        self.query_one("#password", Input).focus()

    def show_notice(self, text: str, *, error: bool = False) -> None:
        notice = self.query_one("#login-notice", Static)
        notice.update(text)
        notice.set_classes("notice-error" if error else "notice")
        notice.display = bool(text)

    # ----------------------------------------------------------------- database state
    def _db_status(self, state: str) -> tuple[str, str, bool]:
        """The #db-status line for ``state``: text, classes, shown."""
        if state == "opening":
            # The status line says so; no loading indicator on the button: mounting it
            # (and its 16 fps animation timer) delayed the first paint. A login pressed
            # meanwhile shows it (``_busy``) and waits for the database.
            return t("db.opening"), "status", True
        if state == "failed":
            return host(self).db_message, "form-error", True
        return "", "", False

    def on_database_state_changed(self, message: DatabaseStateChanged) -> None:
        self.db_state_changed(message.state)

    def db_state_changed(self, state: str) -> None:
        status = self.query_one("#db-status", Static)
        button = self.query_one("#login", FormButton)
        text, classes, shown = self._db_status(state)
        if shown:
            status.update(text)
            status.set_classes(classes)
        status.display = shown
        button.loading = self._busy
        self._db_shown = state

    # ----------------------------------------------------------------- keys
    def submit_form(self) -> None:
        self.action_login()

    def action_forgot(self) -> None:
        from portplus_tui.ui.screens.reset import ResetScreen

        screen = ResetScreen(member_no=self.field_value("member_no"),
                             email=self.field_value("login_id"))
        self.app.push_screen(screen, self._back_from_reset)

    def _back_from_reset(self, result: tuple[str, str] | None) -> None:
        if result:
            self.prefill(*result)
            self.show_notice(t("reset.done_notice"))

    # ----------------------------------------------------------------- login
    def action_login(self) -> None:
        if self._busy:
            return
        self.clear_errors()
        member_no = self.field_value("member_no")
        login_id = self.field_value("login_id")
        password = self.field_value("password")
        missing = [name for name, value in (("member_no", member_no), ("login_id", login_id),
                                            ("password", password)) if not value.strip()]
        if missing:
            for name in missing:
                self.show_field_error(name, t(f"login.required.{name}"))
            self.query_one(f"#{missing[0]}", Input).focus()
            return
        self._busy = True
        self.query_one("#login", FormButton).loading = True
        app = host(self)
        if app.db_state == "failed":
            app.open_database()
        app.run_service(self, app.clients.auth.login(member_no, login_id, password),
                        done=self._logged_in, failed=self._failed, hold_input=True)

    def _not_busy(self) -> None:
        self._busy = False
        self.query_one("#login", FormButton).loading = False

    def _logged_in(self, result) -> None:
        self._not_busy()
        self.query_one("#password", Input).value = ""
        if result.session is not None:
            host(self).start_session(result.session)
            return
        from portplus_tui.ui.screens.otp import OtpScreen

        host(self).heap.pause()  # until the OTP screen is drawn (OtpScreen._settle_heap)
        self.app.push_screen(OtpScreen(result.challenge, member_no=self.field_value("member_no"),
                                       login_id=self.field_value("login_id")))

    def _failed(self, exc: PortPlusError) -> None:
        self._not_busy()
        if exc.code == "database":
            # The input was not wrong: keep it. A database that failed to open is said
            # once, under the form (#db-status); one that opened but failed this call
            # (server down, busy, read-only file) is said here.
            if host(self).db_state != "failed":
                self.show_form_error(exc.message(get_lang()), "#login-error")
            return
        self.show_notice("")
        self.show_form_error(exc.message(get_lang()), "#login-error")
        password = self.query_one("#password", Input)
        password.value = ""
        password.focus()
