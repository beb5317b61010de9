"""Main screen: 会社情報 (R-INF-2), オプション (R-INF-3), panes, palette, logout and
session ends (R-LOG-6)."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import ContentSwitcher, DataTable, TabbedContent

from portplus_tui.services import accounts, audit, auth
from portplus_tui.ui.commands import palette_entries
from portplus_tui.ui.screens.login import LoginScreen
from portplus_tui.ui.screens.main import MainScreen

from .support import ADMIN, SIZE, TWO_FACTOR, USER, app_test, burst, last_code, login, run, screen_text, settle, text_of


@app_test(as_=ADMIN)
async def test_company_information_shows_the_contract_table(app, pilot) -> None:
    pane = app.screen.query_one("#pane-info")
    assert text_of(pane.query_one("#info-title")) == "NTT BizLink様 情報"
    tabs = pane.query_one(TabbedContent)
    assert tabs.active == "tab-contract"
    labels = [str(tab.label) for tab in tabs.query("Tab")]
    assert labels == ["会社情報", "ご契約情報", "Note"]
    text = screen_text(app)
    for cell in ("ご契約情報", "会員番号", "M97-00339", "会員名", "NTT BizLink", "住所",
                 "東京都文京区小石川1-4-1", "契約ポート数", "30"):
        assert cell in text
    tabs.active = "tab-note"
    await settle(app, pilot)
    assert "Noteはありません。" in screen_text(app)


def test_options_pane_lists_two_factor_and_its_state(make_app, settings):
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await login(app, pilot, ADMIN)
            await pilot.press("f2")
            await settle(app, pilot)
            switcher = app.screen.query_one("#content", ContentSwitcher)
            assert switcher.current == "pane-options"
            table = app.screen.query_one("#options-table", DataTable)
            assert [str(cell) for cell in table.get_row_at(0)] == ["二段階認証", "未利用"]
            assert "二段階認証" in screen_text(app)

    async def two_factor():
        async with app2.run_test(size=SIZE) as pilot:
            await login(app2, pilot, TWO_FACTOR)
            burst(app2, last_code(settings) + "\r")
            await settle(app2, pilot)
            await pilot.press("2")  # digits work outside text fields
            await settle(app2, pilot)
            table = app2.screen.query_one("#options-table", DataTable)
            assert [str(cell) for cell in table.get_row_at(0)] == ["二段階認証", "利用中"]

    run(body)
    app2 = make_app()
    run(two_factor)


@app_test(as_=ADMIN, size=(80, 24))
async def test_menu_collapses_and_the_footer_lists_the_keys(app, pilot) -> None:
    sidebar = app.screen.query_one("#sidebar")
    assert sidebar.display and sidebar.size.width <= 21
    text = screen_text(app)
    for key in ("F9", "^L", "ログアウト", "^P"):
        assert key in text
    await pilot.press("f9")
    await settle(app, pilot)
    assert not sidebar.display
    assert "会員番号" in screen_text(app)
    await pilot.press("escape")  # back to the menu, which shows again
    await settle(app, pilot)
    assert sidebar.display and app.focused.id == "menu"
    await pilot.resize_terminal(120, 36)
    await settle(app, pilot)
    assert sidebar.size.width == 26


def _palette_labels(app, screen) -> list[str]:
    return [label for label, _help, _callback in palette_entries(app, screen)]


def test_palette_offers_what_the_account_may_use(make_app):
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            labels = _palette_labels(app, app.screen)
            assert labels == ["パスワードをお忘れの場合はこちら"]  # not logged in
            await login(app, pilot, USER)
            labels = _palette_labels(app, app.screen)
            for label in ("会社情報", "オプション", "ポートプラス", "ポートプラス新規申込",
                          "アカウント管理", "ログアウト"):
                assert label in labels
            assert "アカウント新規登録" not in labels
            # through the real palette: typing finds the screen and opens it
            await pilot.press("ctrl+p")
            await settle(app, pilot)
            assert CommandPalette.is_open(app)
            burst(app, "オプション")
            await settle(app, pilot)
            await pilot.press("enter")
            await settle(app, pilot)
            assert isinstance(app.screen, MainScreen)
            assert app.screen.query_one("#content", ContentSwitcher).current == "pane-options"
            names = [command.title for command in app.get_system_commands(app.screen)]
            assert not any("screenshot" in name.lower() for name in names)
            assert "テーマ変更" in names

    async def admin():
        async with app2.run_test(size=SIZE) as pilot:
            await login(app2, pilot, ADMIN)
            assert "アカウント新規登録" in _palette_labels(app2, app2.screen)

    run(body)
    app2 = make_app()
    run(admin)


@app_test(as_=ADMIN)
async def test_logout_returns_to_login_and_is_recorded(app, pilot, ctx) -> None:
    await pilot.press("ctrl+l")
    await settle(app, pilot)
    assert isinstance(app.screen, LoginScreen)
    assert app.session is None
    assert text_of(app.screen.query_one("#login-notice")) == "ログアウトしました。"
    # logging in again works
    await login(app, pilot, ADMIN)
    assert isinstance(app.screen, MainScreen)
    session = auth.login(ctx, *ADMIN).session
    actions = [entry.action for entry in audit.list_entries(ctx, session, last=20)]
    assert "logout" in actions


@app_test(as_=ADMIN)
async def test_idle_timeout_logs_out_with_the_message(app, pilot, clock) -> None:
    clock.advance(minutes=20)
    await pilot.press("down")  # activity
    clock.advance(minutes=20)
    app.session_watch.tick()
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)  # 20 min since the last key
    clock.advance(minutes=11)
    app.session_watch.tick()
    await settle(app, pilot)
    assert isinstance(app.screen, LoginScreen)
    assert app.session is None
    notice = app.screen.query_one("#login-notice")
    assert text_of(notice) == "一定時間操作がなかったため、ログアウトしました。"


@app_test(as_=USER)
async def test_service_session_errors_end_the_session(app, pilot, clock, ctx) -> None:
    # the service itself finds the session idle (a pane reload with no key)
    clock.advance(minutes=31)
    app.screen.query_one("#pane-info").refresh_data()
    await settle(app, pilot)
    assert isinstance(app.screen, LoginScreen)
    assert "一定時間操作がなかったため" in text_of(app.screen.query_one("#login-notice"))
    # a deleted account loses its rights at the next check
    await login(app, pilot, USER)
    assert isinstance(app.screen, MainScreen)
    admin = auth.login(ctx, *ADMIN).session
    user = next(a for a in accounts.list_accounts_for(ctx, USER[0])
                if a.login_id == USER[1])
    accounts.delete_account(ctx, admin, user.id, version=user.version)
    app.session_watch.check()
    await settle(app, pilot)
    assert isinstance(app.screen, LoginScreen)
    assert "このアカウントは現在ご利用になれません" in text_of(
        app.screen.query_one("#login-notice"))


@app_test(as_=USER)
async def test_a_password_change_elsewhere_ends_the_session_with_its_message(app, pilot, ctx) -> None:
    """R-SEC-4 (issue 11 finding 5): the session watch ends the session with the
    service's message when the password was changed in another session."""
    assert isinstance(app.screen, MainScreen)
    elsewhere = auth.login(ctx, *USER).session
    auth.change_own_password(ctx, elsewhere, USER[2], "fresh-pass-9", "fresh-pass-9")
    app.session_watch.check()
    await settle(app, pilot)
    assert isinstance(app.screen, LoginScreen)
    assert app.session is None
    assert "パスワードが変更されたため、ログアウトしました" in text_of(
        app.screen.query_one("#login-notice"))
    assert app.unexpected_errors == []


@app_test(as_=ADMIN, size=(80, 24))
async def test_the_menu_collapses_below_100_columns(app, pilot) -> None:
    """R-UI-2: at 80 columns the side menu is shown while it has the focus and gives
    its width to the pane once the focus moves in; Esc brings it back; F9 keeps it
    shown (or hidden) until Esc. At 120 columns it stays."""
    sidebar = app.screen.query_one("#sidebar")
    assert sidebar.display and app.focused.id == "menu"
    await pilot.press("f3")
    await settle(app, pilot)
    table = app.screen.query_one("#pp-table")
    assert app.focused is table and not sidebar.display
    # The list starts at the left edge now (the menu's 21 columns are free).
    assert table.region.x <= 1
    await pilot.press("escape")
    await settle(app, pilot)
    assert sidebar.display and app.focused.id == "menu"
    await pilot.press("f9")  # pinned hidden, even with the focus on the pane
    await settle(app, pilot)
    assert not sidebar.display
    await pilot.press("f9")  # pinned shown
    await settle(app, pilot)
    await pilot.press("tab")
    await settle(app, pilot)
    assert sidebar.display and app.focused is not app.screen.query_one("#menu")
    await pilot.resize_terminal(120, 36)
    await pilot.press("escape")
    await settle(app, pilot)
    await pilot.press("tab")
    await settle(app, pilot)
    assert sidebar.display and app.focused is table


def test_logging_out_and_in_again_keeps_no_old_screen_alive(make_app):
    """Each logout builds a new login screen; the old ones must be freed (an operator
    logs in and out all day: each kept screen held ~3 MB)."""
    import gc
    import weakref

    app = make_app()
    seen: list[weakref.ref] = []  # every screen this app showed

    def alive() -> list:
        gc.unfreeze()  # the app freezes its heap: frozen objects are never freed
        gc.collect()
        return [screen for ref in seen if (screen := ref()) is not None]

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            first = app.screen
            seen.append(weakref.ref(first))
            for _ in range(3):
                await login(app, pilot, ADMIN)
                seen.append(weakref.ref(app.screen))
                await pilot.press("ctrl+l")
                await settle(app, pilot)
                assert isinstance(app.screen, LoginScreen)
                seen.append(weakref.ref(app.screen))
            assert len(seen) == 7
            # The current login screen, and the first one: it is the app's first screen
            # (PortPlusApp.get_default_screen), which Textual 8.2's message loop keeps in
            # a local variable for the app's life. Nothing per login.
            assert alive() == [first, app.screen]

    run(body)


def test_no_garbage_collection_while_a_login_builds_its_screen_and_logout_frees_it(make_app):
    """The screen that a password or a code opens is built with the collector off
    (its ~100k new objects set off a full collection, a 50 ms stall, bench/login_lag.py);
    it is back on once that screen is drawn. In a session the collector makes no full
    collection on its own (the app runs one when nobody types, and one at logout, which
    frees the session's screens); after the session, its thresholds are as before."""
    import gc
    import weakref

    from portplus_tui.ui.screens.otp import OtpScreen

    app = make_app()
    enabled_at_settle: list[bool] = []
    screen_drawn = app.heap.screen_drawn

    def watched_settle() -> None:
        enabled_at_settle.append(gc.isenabled())
        screen_drawn()

    app.heap.screen_drawn = watched_settle
    before = gc.get_threshold()

    async def released(pilot) -> None:
        """Until the app has made its collection after the screens went."""
        for _ in range(500):
            if not app.heap.release_due:
                return
            await pilot.pause(0.01)
        raise AssertionError("no collection after the screens went")

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            assert gc.isenabled()
            await login(app, pilot, ADMIN)
            assert isinstance(app.screen, MainScreen)
            assert enabled_at_settle == [False] and gc.isenabled()
            assert gc.get_threshold()[2] > 1_000_000  # no full collection of its own
            main = weakref.ref(app.screen)
            # Idle: one full collection, once; not again until a key comes.
            collections = gc.get_stats()[2]["collections"]
            app.heap.last_input_mono -= 60
            app.heap.collect_when_idle()
            app.heap.collect_when_idle()
            assert gc.get_stats()[2]["collections"] == collections + 1
            await pilot.press("ctrl+l")
            await settle(app, pilot)
            assert isinstance(app.screen, LoginScreen)
            assert gc.get_threshold() == before
            await released(pilot)
            assert main() is None, "the logged-out main screen is still alive"

            for name in ("member_no", "login_id", "password"):
                app.screen.query_one(f"#{name}").value = ""
            app.screen.query_one("#member_no").focus()
            await login(app, pilot, TWO_FACTOR)
            assert isinstance(app.screen, OtpScreen)
            assert enabled_at_settle == [False, False] and gc.isenabled()
            assert gc.get_threshold() == before  # no session yet
            otp = weakref.ref(app.screen)
            await pilot.press("escape")  # nothing typed: back to the login screen at once
            await settle(app, pilot)
            assert isinstance(app.screen, LoginScreen)
            # Its 1-second timer, stopped, stays in asyncio's queue until it falls due,
            # with the screen in its context: freed within the second.
            for _ in range(300):
                gc.collect()
                if otp() is None:
                    break
                await pilot.pause(0.01)
            assert otp() is None, "the cancelled code screen is still alive"
        assert gc.isenabled() and gc.get_threshold() == before

    run(body)


def test_opening_a_pane_gives_its_main_widget_the_keyboard(make_app):
    """Issue 13, point 1: F1-F4 (from the menu or from inside another pane), the menu's
    Enter and the command palette put the focus on the pane's main widget, and the menu
    highlight follows; login, F3, PageDown shows the second page with no other key.
    (Before, the focus stayed on the menu: PageDown moved the menu cursor and a
    following Enter opened アカウント管理.)"""
    from portplus_tui.ui.panes.portplus import PortPlusPane

    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await login(app, pilot, ADMIN)
            menu = app.screen.query_one("#menu")
            assert app.focused is menu  # at login the menu has it
            await pilot.press("f3", "pagedown")  # one burst
            await settle(app, pilot)
            pane = app.screen.query_one(PortPlusPane)
            assert app.focused is pane.query_one("#pp-table")
            assert "11 ~ 20" in screen_text(app), screen_text(app)
            assert menu.highlighted == menu.get_option_index("portplus")
            for key, table, pane_id in (("f4", "#accounts-table", "accounts"),
                                        ("f3", "#pp-table", "portplus"),
                                        ("f2", "#options-table", "options"),
                                        ("f4", "#accounts-table", "accounts")):
                await pilot.press(key)
                await settle(app, pilot)
                assert app.focused is app.screen.query_one(table), (key, app.focused)
                assert menu.highlighted == menu.get_option_index(pane_id)
            # Esc goes back to the menu; its Enter opens the highlighted pane, focused.
            await pilot.press("escape", "up", "enter")
            await settle(app, pilot)
            assert app.focused is app.screen.query_one("#pp-table")
            # the command palette
            await pilot.press("f1", "ctrl+p")
            await settle(app, pilot)
            burst(app, "アカウント管理")
            await settle(app, pilot)
            await pilot.press("enter")
            await settle(app, pilot)
            assert app.focused is app.screen.query_one("#accounts-table")

    run(body)


def test_login_f3_pagedown_in_one_burst_after_the_palette(make_app):
    """The same through the palette's 「ポートプラス」: PageDown then pages the list."""
    from portplus_tui.ui.panes.portplus import PortPlusPane

    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await login(app, pilot, ADMIN)
            await pilot.press("ctrl+p")
            await settle(app, pilot)
            burst(app, "ポートプラス")
            await settle(app, pilot)
            await pilot.press("enter")
            await settle(app, pilot)
            pane = app.screen.query_one(PortPlusPane)
            await pilot.press("pagedown")
            await settle(app, pilot)
            assert app.focused is pane.query_one("#pp-table")
            assert "11 ~ 20" in screen_text(app), screen_text(app)

    run(body)


def test_only_the_heap_module_calls_the_garbage_collector():
    """Issue 14: the collector's policy lives in ui/heap.py (one documented contract);
    no other module of the app turns it on or off, collects, freezes or sets its
    thresholds."""
    import ast
    from pathlib import Path

    import portplus_tui

    root = Path(portplus_tui.__file__).parent
    callers = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "gc" and node.attr in {
                        "disable", "enable", "collect", "freeze", "unfreeze",
                        "set_threshold"}):
                callers.add(path.relative_to(root).as_posix())
    assert callers == {"ui/heap.py"}
