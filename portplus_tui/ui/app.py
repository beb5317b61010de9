"""The terminal app: ``PortPlusApp`` and ``run_app(settings)``.

First paint is fast: this module imports Textual and our own light modules only. The
database (peewee, a driver), bcrypt, jpholiday and the service modules are imported in
a thread worker that starts after the login screen has been drawn; it opens the
``AppContext`` (``migrate=True``). Every service call runs in a thread worker through
``run_service``, which waits for that context, so a login typed before the database is
open simply waits for it. A database that cannot be opened gives a sentence on the login
screen (and pressing ログイン tries again), never a traceback.

Unexpected exceptions (handlers, actions, timers, workers) are written to the log file
with ``logs.log_unexpected`` and shown as a short notification; the app keeps running.

Sessions: ``start_session`` shows the main screen; no key or mouse input for
``idle_timeout_minutes`` (by the app's clock, injectable for tests) ends the session
with 「一定時間操作がなかったため、ログアウトしました。」 (R-LOG-6), and so does any
service ``AuthError`` with code ``session_timeout``, ``session_revoked`` or
``session_password_changed`` (the password was changed or reset elsewhere), with its
message. Input counts as activity for the service session too, so a form typed for a
long time can still be saved.
"""

from __future__ import annotations

import concurrent.futures
import logging
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable

from rich.text import Text
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from portplus_tui.core.errors import AuthError, PortPlusError
from portplus_tui.ui import i18n, textual_compat
from portplus_tui.ui.base import (
    BusyIndicator,
    Guarded,
    database_unavailable,
    guarded,
    hold_busy,
    without_controls,
)
from portplus_tui.ui.glyphs import use_glyphs
from portplus_tui.ui.heap import Heap
from portplus_tui.ui.i18n import get_lang, localize_bindings, t
from portplus_tui.ui.screens.login import LoginScreen
from portplus_tui.ui.textual_compat import LastResort
from portplus_tui.ui.typeahead import KeyTurns

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.widget import Widget
    from textual.worker import Worker

    from portplus_tui.config import Settings

log = logging.getLogger("portplus.ui")

#: service AuthError codes that end the session
#: input that keeps its order behind a key still on its way (R-UI-1, ui/typeahead.py)
TAKES_TURNS = (events.Key, events.Paste, events.MouseDown, events.MouseUp)
SESSION_END_CODES = frozenset({"session_timeout", "session_revoked",
                               "session_password_changed"})

#: how often the app asks the service whether the session is still good (seconds)
SESSION_CHECK_SECONDS = 60.0

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


class PortPlusApp(LastResort, Guarded, App[int]):
    CSS_PATH = "app.tcss"
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

    #: "opening" | "ready" | "failed"
    db_state: reactive[str] = reactive("opening", init=False)

    def __init__(self, settings: "Settings", *, ctx: Any = None,
                 clock: Callable[[], datetime] | None = None, **kwargs: Any) -> None:
        i18n.set_lang(settings.lang)
        use_glyphs(settings.glyphs)
        textual_compat.install()  # Japanese text never split at a widget's edge
        super().__init__(**kwargs)
        localize_bindings(self)
        self.settings = settings
        self.session: Any = None
        self.db_message = ""
        self.unexpected_errors: list[BaseException] = []
        self._clock = clock
        self._ctx = ctx
        self._owns_ctx = ctx is None
        self._ctx_future: concurrent.futures.Future = concurrent.futures.Future()
        self._last_input: datetime | None = None
        self.heap = Heap(lambda: self.session is not None)  # ui/heap.py
        self._key_turns = KeyTurns(self, self._dispatch_input)
        self._use_themes()
        if ctx is not None:
            self._ctx_future.set_result(ctx)
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
        elif self._ctx is not None:
            return self._ctx.now()
        else:
            now = _utc_now()
        return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)

    # ================================================================= the collector
    # ui/heap.py holds the policy and its contract; these are the calls screens make.
    def pause_gc(self) -> None:
        """No garbage collection while the next screen is built (heap.Heap.pause)."""
        self.heap.pause()

    def settle_heap(self) -> None:
        """The new screen is drawn (heap.Heap.screen_drawn)."""
        self.heap.screen_drawn()

    def collect_when_idle(self) -> None:
        self.heap.collect_when_idle()

    def release_heap(self) -> None:
        """A session's screens are going (heap.Heap.release)."""
        self.heap.release()

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
        self.set_interval(1.0, guarded(self, self.check_idle_timeout), name="idle-check")
        self.set_interval(SESSION_CHECK_SECONDS, guarded(self, self.check_session),
                          name="session-check")

    def open_database(self) -> None:
        """Open the AppContext in a thread (again, after a failure)."""
        if self._ctx is not None or self.db_state == "opening" and self._opening:
            return
        if self._ctx_future.done():
            self._ctx_future = concurrent.futures.Future()
        self._opening = True
        self.db_state = "opening"
        self.run_worker(self._open_context, thread=True, exit_on_error=False,
                        group="open-database", name="open database")

    _opening = False

    def watch_db_state(self, state: str) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, LoginScreen):
                screen.db_state_changed(state)

    def _open_context(self) -> None:  # thread
        future = self._ctx_future
        lang = get_lang()
        try:
            from portplus_tui.logs import setup_logging

            try:
                setup_logging(self.settings)
            except OSError:
                pass
            from portplus_tui.services.context import AppContext

            extra = {"clock": self._clock} if self._clock is not None else {}
            ctx = AppContext.open(self.settings, migrate=True, **extra)
            # Warm the imports the login screen needs next.
            from portplus_tui.services import auth, companies  # noqa: F401
        except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence
            where = self.settings.database_url or str(self.settings.resolved_database_url)
            error = database_unavailable(exc, where, lang)
            log.warning("database cannot be opened: %s", error.en, exc_info=True)
            future.set_exception(error)
            self._from_thread(self._database_state, "failed", error.en)
        else:
            self._ctx = ctx
            future.set_result(ctx)
            self._from_thread(self._database_state, "ready", "")

    def _database_state(self, state: str, message: str) -> None:
        self._opening = False
        if state == "ready":
            self.heap.freeze()  # peewee, bcrypt and the services are imported by now
        self.db_message = message
        self.db_state = state

    def _from_thread(self, callback: Callable[..., Any], *args: Any) -> None:
        try:
            self.call_from_thread(guarded(self, callback), *args)
        except RuntimeError:  # the app has ended
            pass

    @property
    def ctx(self) -> Any:
        """The AppContext once open (None before)."""
        return self._ctx

    def on_unmount(self) -> None:
        self.heap.end()
        if self.session is not None and self._ctx is not None:
            try:  # quitting while logged in: record the logout (a quick write)
                from portplus_tui.services import auth

                auth.logout(self._ctx, self.session)
            except Exception:  # noqa: BLE001 - never block the exit
                log.warning("recording the logout at exit failed", exc_info=True)
            self.session = None
        if self._owns_ctx and self._ctx is not None:
            try:
                self._ctx.close()
            except Exception:  # noqa: BLE001 - closing at exit must not raise
                log.warning("closing the database failed", exc_info=True)

    # ================================================================= service calls
    def run_service(self, owner: "DOMNode", job: Callable[[Any], Any], *,
                    done: Callable[[Any], Any] | None = None,
                    failed: Callable[[PortPlusError], Any] | None = None,
                    busy: "Widget | None" = None, name: str = "service",
                    hold_input: bool = False) -> "Worker":
        """Run ``job(ctx)`` in a thread worker (database, bcrypt and mail work never
        blocks the event loop). Back on the UI thread: ``done(result)``, or
        ``failed(error)`` for a ``PortPlusError`` (default: a notification). Session
        ends are handled here; anything unexpected is logged and notified.
        ``hold_input``: the keys typed meanwhile wait until ``done`` / ``failed`` has run
        (and the screen it brings has handled its first messages): the login's Enter,
        whose result changes the screen the next keys are for."""
        release = hold_busy(busy) if busy is not None else None
        if hold_input:
            self._key_turns.pause()

        def finish(kind: str, value: Any) -> None:
            try:
                if release is not None:
                    release()
                self._sync_session()
                alive = owner is self or owner.is_attached
                if kind == "ok":
                    if done is not None and alive:
                        done(value)
                elif kind == "error":
                    self._service_failed(value, failed if alive else None)
                else:
                    self.report_unexpected(value, where=name)
            finally:
                if hold_input:
                    self._key_turns.resume()

        def work() -> None:
            try:
                ctx = self._ctx_future.result()
                outcome = ("ok", job(ctx))
            except PortPlusError as exc:
                outcome = ("error", exc)
            except Exception as exc:  # noqa: BLE001
                # The service layer tells database failures (down, busy, read-only)
                # from bugs; imported here, in the worker, off the first-paint path.
                from portplus_tui.services.context import as_user_error

                typed = as_user_error(exc)
                if typed is not None:
                    log.warning("database error in %s", name, exc_info=True)
                    outcome = ("error", typed)
                else:
                    outcome = ("unexpected", exc)
            self._from_thread(finish, *outcome)

        return owner.run_worker(work, thread=True, exit_on_error=False, name=name,
                                group=name)

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
    def report_unexpected(self, exc: BaseException, where: str = "") -> None:
        """Log an unexpected exception (with traceback) and say so briefly."""
        self.unexpected_errors.append(exc)
        del self.unexpected_errors[:-50]  # the latest few, for tests and debugging
        try:
            from portplus_tui.logs import log_unexpected

            path = log_unexpected(exc, self.settings, where)
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

            path = log_unexpected(error, self.settings, "fatal")
        except Exception:  # noqa: BLE001
            path = "-"
        return FatalError(t("error.fatal", path=str(path)))

    # ================================================================= sessions
    def start_session(self, session: Any) -> None:
        from portplus_tui.ui.screens.main import MainScreen

        self.session = session
        self._last_input = self.now()
        session.last_activity = self._last_input
        self.pause_gc()  # until the main screen shows its first pane (settle_heap)
        self._replace_all(MainScreen(session))

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

        def job(ctx: Any) -> None:
            from portplus_tui.services import auth

            auth.logout(ctx, session)

        self.run_service(self, job, failed=lambda exc: None, name="logout")
        self.show_login(message, error=error)

    def note_activity(self) -> None:
        now = self.now()
        if self.session is not None and self._idle_over(now):
            self.end_session(t("session.idle_logout"))
            return
        self._last_input = now
        if self.session is not None:
            self.session.last_activity = now

    def _idle_over(self, now: datetime) -> bool:
        if self._last_input is None:
            return False
        return now - self._last_input > timedelta(minutes=self.settings.idle_timeout_minutes)

    def check_idle_timeout(self) -> None:
        """Called every second: end an idle session (R-LOG-6); collect garbage while
        nobody types."""
        if self.session is not None and self._idle_over(self.now()):
            self.end_session(t("session.idle_logout"))
            return
        self.collect_when_idle()

    def check_session(self) -> None:
        """Ask the service whether the session still holds (deleted, expired, locked
        accounts lose their rights without waiting for their next action)."""
        session = self.session
        if session is None:
            return

        def job(ctx: Any) -> None:
            from portplus_tui.services import auth

            auth.check_session(ctx, session)

        self.run_service(self, job, failed=lambda exc: None, name="check_session")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)) and not event.is_forwarded:
            self.note_activity()
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
        checker = getattr(self.screen, "is_dirty", None)
        if self.session is not None or callable(checker):
            dirty = bool(checker()) if callable(checker) else False
            if dirty:
                from portplus_tui.ui.screens.confirm import ConfirmModal

                def answer(yes: bool | None) -> None:
                    if yes:
                        self.exit(0)

                self.push_screen(ConfirmModal(t("confirm.quit_dirty")), answer)
                return
        self.exit(0)

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
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

    def _sync_session(self) -> None:
        """Every service call re-reads the acting account into the session: let the
        shell show what changed (the 担当者名 in the header)."""
        for screen in self.screen_stack:
            sync = getattr(screen, "sync_session", None)
            if sync is not None:
                sync()

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
