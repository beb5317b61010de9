"""The terminal app: ``PortPlusApp`` and ``run_app(settings)``.

First paint is fast: this module imports Textual and our own light modules only. The
database (peewee, a driver), bcrypt, jpholiday and the service modules are imported in
a thread worker that starts after the login screen has been drawn; it opens the
``AppContext`` (``migrate=True``). Every service call runs in a thread worker through
``run_service`` (ui/bridge.py), which waits for that context, so a login typed before the
database is open simply waits for it. A database that cannot be opened gives a sentence
on the login screen (and pressing ログイン tries again), never a traceback.

This module keeps the composition: the bindings, the palette, the screens a session goes
through. Elsewhere: the service bridge (ui/bridge.py), the service clients
(ui/clients.py), the session watch (ui/session_watch.py), the heap policy (ui/heap.py),
and what screens may ask of the app (ui/host.py). App state that screens follow is
reactive (``session``, ``db_state``); the app tells the screens of its stack with
Messages (``SessionChanged``, ``DatabaseStateChanged``).

Unexpected exceptions (handlers, actions, timers, workers) are written to the log file
with ``logs.log_unexpected`` and shown as a short notification; the app keeps running.

Sessions: ``start_session`` shows the main screen; the session watch ends an idle one
(R-LOG-6), and any service ``AuthError`` with code ``session_timeout``,
``session_revoked`` or ``session_password_changed`` (the password was changed or reset
elsewhere) ends it with its message.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable

from rich.text import Text
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive, var
from textual.screen import Screen

from portplus_tui.core.errors import AuthError, PortPlusError
from portplus_tui.ui import i18n, textual_compat
from portplus_tui.ui.app_messages import (
    DatabaseStateChanged,
    LiveChanged,
    LiveStateChanged,
    SessionChanged,
)
from portplus_tui.ui.base import Guarded, HoldsEdits, guarded, without_controls
from portplus_tui.ui.bridge import ServiceBridge
from portplus_tui.ui.clients import SESSION_END_CODES, Clients, ServiceCall
from portplus_tui.ui.glyphs import use_glyphs
from portplus_tui.ui.heap import Heap
from portplus_tui.ui.host import PortPlusHost
from portplus_tui.ui.i18n import get_lang, localize_bindings, t
from portplus_tui.ui.screens.login import LoginScreen
from portplus_tui.ui.session_watch import SessionWatch
from portplus_tui.ui.styles import APP_CSS, WIDGETS_CSS
from portplus_tui.ui.textual_compat import LastResort
from portplus_tui.ui.typeahead import KeyTurns
from portplus_tui.ui.widgets.busy import BusyIndicator

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.widget import Widget
    from textual.worker import Worker

    from portplus_tui.config import Settings
    from portplus_tui.services.context import Session

log = logging.getLogger("portplus.ui")

#: input that keeps its order behind a key still on its way (R-UI-1, ui/typeahead.py)
TAKES_TURNS = (events.Key, events.Paste, events.MouseDown, events.MouseUp)

_KEY_NAMES = {
    "enter": "Enter", "escape": "Esc", "tab": "Tab", "space": "Space", "backspace": "BS",
    "delete": "Del", "up": "Up", "down": "Down", "left": "Left", "right": "Right",
    "pageup": "PgUp", "pagedown": "PgDn", "home": "Home", "end": "End",
}


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _portplus_commands() -> type:
    """The palette provider, imported when the palette first opens (not at start-up)."""
    from portplus_tui.ui.commands import PortPlusCommands

    return PortPlusCommands


class FatalError(Exception):
    """What Textual is told of an error it cannot recover from: the message only. An
    exception with ``__rich__`` is shown as that (``App.panic``), never as a traceback
    with local variables; the original is in the log."""

    def __rich__(self) -> Text:
        return Text(str(self))


class PortPlusApp(LastResort, Guarded, PortPlusHost, App[int]):
    CSS_PATH = [str(WIDGETS_CSS), str(APP_CSS)]  # ui/styles.py (widgets first: app.tcss wins a tie)
    TITLE = "Port Plus"
    COMMANDS = App.COMMANDS | {_portplus_commands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    BINDINGS = [
        # Priority: a Tab in a burst of keys moves focus before the next key (R-UI-1).
        Binding("tab", "app.focus_next", "key.next_field", show=False, priority=True,
                key_display="Tab", id="app.focus_next"),
        Binding("shift+tab", "app.focus_previous", "key.previous_field", show=False,
                priority=True, key_display="S-Tab", id="app.focus_previous"),
        Binding("ctrl+p", "command_palette", "key.palette", show=False, priority=True,
                key_display="^P", id="app.command_palette"),
        Binding("ctrl+q", "quit", "key.quit", priority=True, key_display="^Q", id="app.quit"),
    ]

    #: "opening" | "ready" | "failed"; the screens of the stack get DatabaseStateChanged
    db_state: reactive[str] = reactive("opening", init=False)
    #: the logged-in Session (None on the login screens); the screens of the stack get
    #: SessionChanged when it is set, and after every service call (which re-reads the
    #: acting account into it)
    session: var[Session | None] = var(None, init=False, always_update=True)

    def __init__(self, settings: "Settings", *, ctx: Any = None,
                 clock: Callable[[], datetime] | None = None, **kwargs: Any) -> None:
        i18n.set_lang(settings.lang)
        use_glyphs(settings.glyphs)
        textual_compat.install()  # Japanese text never split at a widget's edge
        super().__init__(**kwargs)
        localize_bindings(self)
        self.settings = settings
        self.db_message = ""
        self.unexpected_errors: list[BaseException] = []
        self._clock = clock
        self.heap = Heap(lambda: self.session is not None)  # ui/heap.py
        self.clients = Clients(lambda: self.session)  # ui/clients.py
        self.session_watch = SessionWatch(self)  # ui/session_watch.py
        self.live_feed: Any = None  # ui/live_feed.py, made at the first login
        self._key_turns = KeyTurns(self, self._dispatch_input)
        self.bridge = ServiceBridge(self, settings, ctx=ctx, clock=clock,
                                    key_turns=self._key_turns,
                                    after_call=lambda: self.mutate_reactive(PortPlusApp.session),
                                    on_error=self._service_failed,
                                    on_unexpected=self.report_unexpected,
                                    on_state=self._database_state)
        self._use_themes()
        if ctx is not None:
            self.set_reactive(PortPlusApp.db_state, "ready")

    # ================================================================= themes
    _theme_chosen_here = False

    def _use_themes(self) -> None:
        """Our three themes only (ui/themes.py: each checked for WCAG AA contrast, in 256
        colours too); the one remembered from the palette, else the setting."""
        from portplus_tui.ui import themes

        for theme in themes.THEMES:
            self.register_theme(theme)
        self.theme = (None if self._in_browser() else themes.remembered()) or self.settings.theme
        for name in list(self.available_themes):
            if name not in themes.NAMES:
                self.unregister_theme(name)
        self._theme_chosen_here = True

    def _in_browser(self) -> bool:
        """Under textual-serve (also before the driver exists, in ``__init__``)."""
        import os

        return self.is_web or "web_driver" in os.environ.get("TEXTUAL_DRIVER", "")

    def watch_theme(self, name: str) -> None:
        """A theme chosen in the palette is kept for the next start (per OS user; not in
        a browser, where every tab is the server's user)."""
        if self._theme_chosen_here and not self._in_browser():
            from portplus_tui.ui import themes

            themes.remember(name)

    # ================================================================= clock
    def now(self) -> datetime:
        """The app's clock: the injected one, else the context's, else the system's."""
        if self._clock is not None:
            now = self._clock()
        elif self.bridge.ctx is not None:
            return self.bridge.ctx.now()
        else:
            now = _utc_now()
        return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)

    # ================================================================= start-up
    def get_default_screen(self) -> Screen:
        """The login screen is the first screen: no blank screen under it to build, lay
        out and resume first (~8 ms of the start-up). The stack is [current screen,
        dialogs]. It asks for the database once it has been painted (LoginScreen.on_mount):
        importing the data layer in a thread takes the GIL for ~300 ms, which must not
        compete with the first paint."""
        return LoginScreen()

    def on_mount(self) -> None:
        if self.settings.keymap:  # checked before the start (ui/keymap.py)
            self.set_keymap({name: keys for name, keys in self.settings.keymap})
        self.heap.freeze()
        self.session_watch.start()

    def open_database(self) -> None:
        """Open the AppContext in a thread (again, after a failure): ui/bridge.py."""
        self.bridge.open()

    def watch_db_state(self, state: str) -> None:
        for screen in self.screen_stack:
            screen.post_message(DatabaseStateChanged(state))

    def _database_state(self, state: str, message: str) -> None:
        if state == "ready":
            self.heap.freeze()  # peewee, bcrypt and the services are imported by now
        self.db_message = message
        self.db_state = state

    def watch_session(self, session: Session | None) -> None:
        for screen in self.screen_stack:
            screen.post_message(SessionChanged(session))

    @property
    def ctx(self) -> Any:
        """The AppContext once open (None before)."""
        return self.bridge.ctx

    def on_unmount(self) -> None:
        self.heap.end()
        if self.live_feed is not None:
            self.live_feed.stop(wait=1.0)
        ctx = self.bridge.ctx
        if self.session is not None and ctx is not None:
            try:  # quitting while logged in: record the logout (a quick write)
                self.clients.auth.logout(self.session).job(ctx)
            except Exception:  # noqa: BLE001 - never block the exit
                log.warning("recording the logout at exit failed", exc_info=True)
            self.set_reactive(PortPlusApp.session, None)
        self.bridge.close()

    # ================================================================= service calls
    def run_service(self, owner: "DOMNode", call: ServiceCall[Any], *,
                    done: Callable[[Any], Any] | None = None,
                    failed: Callable[[PortPlusError], Any] | None = None,
                    busy: "Widget | None" = None, hold_input: bool = False) -> "Worker[None]":
        """Run a service call in a thread worker of ``owner``: ui/bridge.py."""
        return self.bridge.run(owner, call, done=done, failed=failed, busy=busy,
                               hold_input=hold_input)

    def _service_failed(self, exc: PortPlusError,
                        failed: Callable[[PortPlusError], Any] | None) -> None:
        if isinstance(exc, AuthError) and exc.code in SESSION_END_CODES and self.session:
            self.end_session(exc.message(get_lang()))
            return
        if failed is not None:
            failed(exc)
        else:
            self.notify(exc.message(get_lang()), severity="error", markup=False, timeout=8)

    # ================================================================= errors
    async def run_action(self, action: Any, default_namespace: Any = None,
                         namespaces: Any = None) -> bool:
        """Every action (a key, a button's ``action="screen.save"``, the palette):
        an unexpected exception in it is reported, as in a handler, and the app goes on.
        (A button runs its action from its own message queue, which no ``Guarded``
        screen covers.)"""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as error:  # noqa: BLE001 - reported, the app goes on
            self.report_unexpected(error, where=f"action {action!r}")
            return True

    def report_unexpected(self, exc: BaseException, where: str = "") -> None:
        """Log an unexpected exception (with traceback) and say so briefly."""
        self.unexpected_errors.append(exc)
        del self.unexpected_errors[:-50]  # the latest few, for tests and debugging
        try:
            from portplus_tui.logs import log_unexpected

            path: object = log_unexpected(exc, self.settings, where)
        except Exception:  # noqa: BLE001 - reporting must never raise
            path = "-"
        try:
            self.notify(t("error.unexpected", path=str(path)), title=t("error.title"),
                        severity="error", markup=False, timeout=10)
        except Exception:  # noqa: BLE001
            pass

    def fatal_error(self, error: Exception) -> Exception:
        """Last resort (an error outside our handlers, e.g. in Textual itself): log it
        and let Textual end the app, with a short message instead of Rich's traceback
        with local variables (which could show what was typed into a password field).
        ui/textual_compat.LastResort calls it."""
        self.unexpected_errors.append(error)
        try:
            from portplus_tui.logs import log_unexpected

            path: object = log_unexpected(error, self.settings, "fatal")
        except Exception:  # noqa: BLE001
            path = "-"
        return FatalError(t("error.fatal", path=str(path)))

    # ================================================================= sessions
    def start_session(self, session: Any) -> None:
        from portplus_tui.ui.screens.main import MainScreen

        self.session = session
        self.session_watch.session_started()
        self._start_feed(session)
        self.heap.pause()  # until the main screen shows its first pane (heap.screen_drawn)
        self._replace_all(MainScreen(session))

    # ================================================================= live (issue 15)
    def _start_feed(self, session: Any) -> None:
        ctx = self.bridge.ctx
        if ctx is None:
            return
        from portplus_tui.ui.live_feed import LiveFeed

        if self.live_feed is None:
            self.live_feed = LiveFeed(self)
        self.live_feed.start(ctx, session, self.settings)

    def on_live_changed(self, message: LiveChanged) -> None:
        """Changes heard by the watcher: the others' go to the screens of the stack."""
        if self.session is None:
            return
        changes = [change for change in message.changes if not change.mine]
        if changes:
            for screen in self.screen_stack:
                screen.post_message(LiveChanged(changes))

    def on_live_state_changed(self, message: LiveStateChanged) -> None:
        """The feed was lost or is back: the screens say so (the main screen's header)."""
        if self.session is None:
            return
        for screen in self.screen_stack:
            screen.post_message(LiveStateChanged(message.state))

    def show_login(self, notice: str | None = None, *, member_no: str = "", login_id: str = "",
                   error: bool = False) -> None:
        self._replace_all(LoginScreen(notice, member_no=member_no, login_id=login_id,
                                      notice_is_error=error))

    def _replace_all(self, screen: Screen) -> None:
        """``screen`` becomes the only screen of the stack, the screens under it
        removed without being resumed on the way (ui/textual_compat.replace_stack)."""
        textual_compat.replace_stack(self, screen)

    def logout(self) -> None:
        """ログアウト: record it, back to the login screen."""
        self.end_session(t("session.logged_out"), error=False)

    def end_session(self, message: str, *, error: bool = True) -> None:
        session = self.session
        if session is None:
            return
        self.session = None
        if self.live_feed is not None:
            self.live_feed.stop()
        self.run_service(self, self.clients.auth.logout(session), failed=lambda exc: None)
        self.show_login(message, error=error)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)) and not event.is_forwarded:
            self.session_watch.input_came()
            self.heap.input_came()
            if isinstance(event, events.Paste):
                event.text = without_controls(event.text)
        if isinstance(event, TAKES_TURNS) and not event.is_forwarded:
            if not self._key_turns.hold(event):  # else it waits for its turn
                await self._dispatch_input(event)
            return
        await super().on_event(event)

    async def _dispatch_input(self, event: events.Event) -> None:
        """Textual's dispatch of a key (priority bindings, else the focused widget), a
        paste or a mouse button; the next one waits until it has been handled
        (ui/typeahead.py)."""
        if isinstance(event, (events.Key, events.Paste)) and self.screen.focused is None:
            self._focus_where_the_screen_starts(self.screen)
        focused = self.focused
        try:
            await super().on_event(event)
        finally:
            self._key_turns.sent(event, focused)

    # ================================================================= browser focus
    def watch_app_focus(self, focus: bool) -> None:
        """In a browser (textual-serve) the page tells the app when its terminal loses
        and gets the keyboard focus; Textual then clears the focus and gives back the
        widget it had, if any. When the blur came before the screen focused anything,
        nothing came back, and the first keys typed were dropped: give the screen its
        starting field instead."""
        if focus and self.screen.focused is None:
            self._focus_where_the_screen_starts(self.screen)

    @staticmethod
    def _focus_where_the_screen_starts(screen: Screen) -> None:
        """Focus the screen's own starting field (its ``AUTO_FOCUS``, e.g. 会員番号), for
        a key or a paste that comes while nothing has the focus. Only screens that name
        one: elsewhere a key with nothing focused goes to the screen, as Textual does."""
        selector = screen.AUTO_FOCUS
        if not selector or selector == Screen.AUTO_FOCUS:
            return
        for widget in screen.query(selector):
            if widget.focusable:
                screen.set_focus(widget, scroll_visible=False)
                return

    # ================================================================= panes and palette
    def open_pane(self, pane_id: str, action: str | None = None) -> None:
        from portplus_tui.ui.screens.main import MainScreen

        screen = self.screen
        if isinstance(screen, MainScreen):
            self.run_worker(guarded(self, screen.show_pane)(pane_id, action),
                            exit_on_error=False, group="open-pane")

    def action_logout(self) -> None:
        from portplus_tui.ui.screens.main import MainScreen

        screen = self.screen
        if isinstance(screen, MainScreen):
            screen.action_logout()
        elif self.session is not None:
            self.logout()

    async def action_quit(self) -> None:
        """Ctrl+Q: quit, asking first when a form holds unsaved input (R-UI-4)."""
        screen = self.screen
        if isinstance(screen, HoldsEdits) and screen.is_dirty():
            from portplus_tui.ui.screens.confirm import ConfirmModal

            def answer(yes: bool | None) -> None:
                if yes:
                    self.exit(0)

            self.push_screen(ConfirmModal(t("confirm.quit_dirty")), answer)
            return
        self.exit(0)

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(CommandPalette(placeholder=t("palette.placeholder"),
                                            id="--command-palette"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, in our language, without the screenshot (it would write
        a file wherever the app was started, with whatever the screen shows)."""
        yield SystemCommand(t("sys.theme"), t("sys.theme.help"), self.action_change_theme)
        yield SystemCommand(t("sys.quit"), t("sys.quit.help"), self.action_quit)
        if screen.query("HelpPanel"):
            yield SystemCommand(t("sys.keys_hide"), t("sys.keys.help"),
                                self.action_hide_help_panel)
        else:
            yield SystemCommand(t("sys.keys"), t("sys.keys.help"), self.action_show_help_panel)

    def get_loading_widget(self) -> "Widget":
        return BusyIndicator()

    def get_key_display(self, binding: Binding) -> str:
        """Plain ASCII key names in the Footer (no ambiguous-width arrows or symbols)."""
        if binding.key_display:
            return binding.key_display
        modifiers, key = binding.parse_key()
        name = _KEY_NAMES.get(key, key.upper() if len(key) == 1 or key.startswith("f") else key)
        prefix = "".join({"ctrl": "^", "shift": "S-", "alt": "M-"}.get(m, m + "+")
                         for m in modifiers)
        return prefix + name


def run_app(settings: "Settings") -> int:
    """Run the terminal app until it ends; the exit code."""
    app = PortPlusApp(settings)
    app.run()
    return app.return_code or 0
