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
from textual.widgets import Button, Input, Label, Static

from portplus_tui.core.errors import PortPlusError
from portplus_tui.ui.base import FormMixin, Guarded, PasswordInput, after_queued_keys
from portplus_tui.ui.i18n import get_lang, localize_bindings, t
from portplus_tui.ui.keybar import KeyBar


class LoginScreen(Guarded, FormMixin, Screen):
    AUTO_FOCUS = "#member_no"
    BINDINGS = [
        Binding("enter", "enter", "key.login", priority=True, key_display="Enter", id="login.enter"),
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
            self.AUTO_FOCUS = "#password"

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield Static(t("app.name"), id="topbar", markup=False)
        with VerticalScroll(id="login-scroll", classes="form-scroll"):
            with Vertical(id="login-box", classes="card"):
                yield Static(t("login.title"), classes="card-title", markup=False)
                notice = Static(self._notice or "", id="login-notice", markup=False,
                                classes="notice-error" if self._notice_is_error else "notice")
                notice.display = bool(self._notice)
                yield notice
                yield Label(t("login.member_no"), classes="field-label", markup=False)
                yield Input(self._member_no, id="member_no")
                yield self._error_label("member_no")
                yield Label(t("login.login_id"), classes="field-label", markup=False)
                yield Input(self._login_id, id="login_id")
                yield self._error_label("login_id")
                yield Label(t("login.password"), classes="field-label", markup=False)
                yield PasswordInput(id="password")
                yield self._error_label("password")
                error = Static("", id="login-error", classes="form-error", markup=False)
                error.display = False
                yield error
                yield Button(t("login.submit"), id="login", variant="primary")
                yield Button(t("login.forgot"), id="forgot", classes="link")
                status = Static("", id="db-status", markup=False)
                status.display = False
                yield status
        yield KeyBar()

    @staticmethod
    def _error_label(name: str) -> Static:
        label = Static("", id=f"{name}-error", classes="field-error", markup=False)
        label.display = False
        return label

    def on_mount(self) -> None:
        # Not self.watch(app, "db_state"): Textual keeps such a watcher, and with it this
        # screen, until the value changes again (every logout would leak a login screen).
        # The app calls db_state_changed on the login screens of its stack instead.
        self.db_state_changed(getattr(self.app, "db_state", "ready"))
        opener = getattr(self.app, "open_database", None)
        if opener is not None:
            # After this screen's first paint (start-up figure, bench/startup.py);
            # does nothing when the database is open already.
            self.call_after_refresh(opener)

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
    def db_state_changed(self, state: str) -> None:
        status = self.query_one("#db-status", Static)
        button = self.query_one("#login", Button)
        if state == "opening":
            # The status line says so; no loading indicator on the button: mounting it
            # (and its 16 fps animation timer) delayed the first paint. A login pressed
            # meanwhile shows it (``_busy``) and waits for the database.
            status.update(t("db.opening"))
            status.set_classes("status")
            status.display = True
            button.loading = self._busy
        elif state == "failed":
            status.update(self.app.db_message)
            status.set_classes("form-error")
            status.display = True
            button.loading = self._busy
        else:
            status.display = False
            button.loading = self._busy

    # ----------------------------------------------------------------- keys
    def action_enter(self) -> None:
        focused = self.focused
        if focused is None:
            return
        if focused.id in ("member_no", "login_id"):
            self.focus_next()  # at once, like Tab: the next keys belong to the next field
        elif focused.id in ("password", "login"):
            after_queued_keys(focused, self.login)
        elif isinstance(focused, Button):
            focused.press()

    def action_forgot(self) -> None:
        from portplus_tui.ui.screens.reset import ResetScreen

        screen = ResetScreen(member_no=self.field_value("member_no"),
                             email=self.field_value("login_id"))
        self.app.push_screen(screen, self._back_from_reset)

    def _back_from_reset(self, result: tuple[str, str] | None) -> None:
        if result:
            self.prefill(*result)
            self.show_notice(t("reset.done_notice"))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "login":
            self.login()
        elif event.button.id == "forgot":
            self.action_forgot()

    # ----------------------------------------------------------------- login
    def login(self) -> None:
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
        self.query_one("#login", Button).loading = True
        app = self.app
        if app.db_state == "failed":
            app.open_database()

        def job(ctx):
            from portplus_tui.services import auth

            return auth.login(ctx, member_no, login_id, password)

        app.run_service(self, job, done=self._logged_in, failed=self._failed, name="login")

    def _not_busy(self) -> None:
        self._busy = False
        self.query_one("#login", Button).loading = False

    def _logged_in(self, result) -> None:
        self._not_busy()
        self.query_one("#password", Input).value = ""
        if result.session is not None:
            self.app.start_session(result.session)
            return
        from portplus_tui.ui.screens.otp import OtpScreen

        self.app.push_screen(OtpScreen(result.challenge, member_no=self.field_value("member_no"),
                                       login_id=self.field_value("login_id")))

    def _failed(self, exc: PortPlusError) -> None:
        self._not_busy()
        if exc.code == "database":
            # The input was not wrong: keep it. A database that failed to open is said
            # once, under the form (#db-status); one that opened but failed this call
            # (server down, busy, read-only file) is said here.
            if self.app.db_state != "failed":
                self.show_form_error(exc.message(get_lang()), "#login-error")
            return
        self.show_notice("")
        self.show_form_error(exc.message(get_lang()), "#login-error")
        password = self.query_one("#password", Input)
        password.value = ""
        password.focus()
