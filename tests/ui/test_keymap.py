"""Issue 13, point 15: a [keymap] table in the config file remaps keys by binding id
(Textual's App.set_keymap); `portplus keys` lists every id; a wrong id or key is an
error naming it (exit 2)."""

from __future__ import annotations

import pytest

from portplus_tui.__main__ import main
from portplus_tui.config import ConfigError, load_settings
from portplus_tui.ui import keymap
from portplus_tui.ui.panes.portplus import PortPlusPane

from .support import ADMIN, SIZE, USER, footer_text, login, run, screen_text, settle


def test_a_remapped_key_works_and_the_key_bar_shows_it(make_app):
    app = make_app(keymap=(("portplus.next", "j"), ("pane.portplus", "f7")))

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await login(app, pilot, ADMIN)
            await pilot.press("f7")  # ポートプラス on F7 instead of F3
            await settle(app, pilot)
            pane = app.screen.query_one(PortPlusPane)
            assert pane.page is not None and pane.page.page == 1
            await pilot.press("pagedown")  # no longer bound
            await settle(app, pilot)
            assert pane.page.page == 1
            await pilot.press("j")
            await settle(app, pilot)
            assert pane.page.page == 2
            bar = screen_text(app).splitlines()[-3:]
            assert any("J 次へ" in line for line in bar), "\n".join(bar)
            assert not any("PgDn" in line for line in bar), bar

    run(body)


def test_every_binding_with_an_id_is_in_the_catalogue():
    entries = keymap.catalogue()
    ids = [entry.id for entry in entries]
    assert len(ids) == len(set(ids))
    for expected in ("portplus.next", "pane.portplus", "app.quit", "accounts.delete",
                     "login.enter", "portplus.cal.today"):
        assert expected in ids
    assert all(entry.keys and entry.where and entry.description for entry in entries)


def test_the_bindings_screens_have_at_run_time_are_in_the_catalogue(make_app):
    """Bindings a screen gets when it is made (the account form's Ctrl+S, labelled
    新規登録 or 更新) can be remapped too: `portplus keys` lists them."""
    from portplus_tui.ui.screens.account_form import AccountFormScreen

    ids = {entry.id for entry in keymap.catalogue()}
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            for screen in (AccountFormScreen(None, own_id=1, admin=True), app.screen):
                live = {b.id for items in screen._bindings.key_to_bindings.values()
                        for b in items if b.id}
                assert live and live <= ids, live - ids
            await pilot.pause()

    run(body)


def test_a_remapped_submit_key_saves_the_account_form(make_app, ctx):
    from .test_accounts import live_accounts, open_accounts

    app = make_app(keymap=(("account_form.submit", "ctrl+w"),))

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await login(app, pilot, USER)
            await open_accounts(app, pilot)
            await pilot.press("enter")
            await settle(app, pilot)
            assert "^W 更新" in footer_text(app)
            await pilot.press("end", "Q", "ctrl+w")
            await settle(app, pilot)
            from portplus_tui.ui.screens.main import MainScreen

            assert isinstance(app.screen, MainScreen)  # saved and closed

    run(body)
    assert live_accounts(ctx)["user@example.com"].name == "佐藤 花子Q"


@pytest.mark.parametrize("name, ok", [
    ("n", True), ("ctrl+n", True), ("f5", True), ("f24", True), ("pagedown", True),
    ("slash", True), ("question_mark", True), ("ctrl+shift+up", True), ("?", True),
    ("ctrl+banana", False), ("ctl+n", False), ("", False), ("f25", False),
    ("ctrl+ctrl+n", False), (" ", False),
])
def test_key_names(name, ok):
    assert keymap.known_key(name) is ok


def test_unknown_ids_and_keys_are_named(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "config.toml"
    for table, named in (('"portplus.nxt" = "n"', "portplus.nxt"),
                         ('"portplus.next" = "ctrl+banana"', "ctrl+banana")):
        path.write_text(f"[keymap]\n{table}\n", encoding="utf-8")
        for argv in (["--config", str(path), "keys"], ["--config", str(path)]):
            assert main(argv) == 2  # `portplus keys`, and the app itself, before it starts
            err = capsys.readouterr().err
            assert named in err and len(err.strip().splitlines()) == 1, err
    path.write_text('[keymap]\n"portplus.next" = 5\n', encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(path, env={})
    assert "keymap" in str(exc.value)


def test_portplus_keys_lists_id_keys_where_and_what(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\n"portplus.next" = "j,pagedown"\n', encoding="utf-8")
    assert main(["--config", str(path), "keys"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split("\t")[0]: line.split("\t") for line in lines}
    assert rows["portplus.next"][:4] == ["portplus.next", "pagedown", "ポートプラス list", "次へ"]
    assert rows["portplus.next"][4] == "(keymap: j,pagedown)"
    assert rows["pane.accounts"][1:3] == ["f4", "main screen"]
    assert all(len(row) >= 4 for row in rows.values())
