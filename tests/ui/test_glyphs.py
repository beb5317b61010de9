"""R-UI-3: no East-Asian ambiguous-width glyph on any screen. Terminals set to draw
them wide (CJK locales, PuTTY's option, iTerm's) shift every cell after one, so the box
lines, input edges, scrollbars, checkmarks and arrows Textual draws by default would
break the layout for exactly the operators this portal serves. Every screen is visited
with the keyboard, at 80x24 and 120x36, and what the terminal would show is scanned."""

from __future__ import annotations

import unicodedata

import pytest

from portplus_tui.ui.widgets.keybar import KeyBar

from .support import ADMIN, burst, login, run, screen_text, settle


def ambiguous(text: str) -> dict[str, str]:
    return {c: unicodedata.name(c, hex(ord(c))) for c in text
            if unicodedata.east_asian_width(c) == "A"}


# (name, keys pressed (text in one burst), whether to log in first, a text that proves
# the screen was reached)
VISITS = [
    ("login", (), False, "CompanyID"),
    ("login-error", ("M97-00339\tnobody@example.com\tx\r",), False, "正しくありません"),
    ("login-typed", ("M97-00339\tadmin@example.com\tsecret",), False, "******"),
    ("reset", ("f2",), False, "パスワード再設定"),
    ("company", ("f1",), True, "契約ポート数"),
    ("company-note", ("f1", "tab", "right", "right"), True, "Note"),
    ("options", ("f2",), True, "二段階認証"),
    ("portplus-list", ("f3"), True, "全 23 件中"),
    ("portplus-calendar", ("f3", "v"), True, "申込期限"),
    ("portplus-new", ("f3", "n"), True, "申込者"),
    ("portplus-cancel", ("f3", "pagedown", "c"), True, "キャンセル実行"),
    ("portplus-history", ("f3", "h"), True, "SO-"),
    ("portplus-export", ("f3", "e"), True, ".csv"),
    ("accounts", ("f4"), True, "admin@example.com"),
    ("accounts-new", ("f4", "n", "\t\t\tpass1\tpass2"), True, "*****"),
    ("accounts-audit", ("f4", "a"), True, "監査ログ"),
    ("palette", ("ctrl+p",), True, "画面を開く"),
]


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
@pytest.mark.parametrize("name,keys,log_in,marker", VISITS, ids=[v[0] for v in VISITS])
def test_no_ambiguous_width_glyph_on_screen(make_app, size, name, keys, log_in, marker):
    app = make_app()

    async def body():
        async with app.run_test(size=size) as pilot:
            if log_in:
                await login(app, pilot, ADMIN)
            await settle(app, pilot)
            for key in keys:
                if "\t" in key or "\r" in key:
                    burst(app, key)  # text typed in one go
                else:
                    await pilot.press(key)
                await settle(app, pilot)
            shown = screen_text(app)
            assert marker in shown, f"{name}: not reached\n{shown}"
            bad = ambiguous(shown)
            assert not bad, f"{name}: {bad}\n{shown}"
            # R-UI-4 / R-UI-2: every key of the screen is in the key bar, none cut off.
            if name == "accounts":  # R-UI-2: the six action buttons fit, none cut
                reset = "パスワード再設定メール送信" if size[0] >= 120 else "再設定メール"
                for label in ("アカウント新規登録", "ロック解除", reset, "監査ログ"):
                    assert label in shown, (label, shown)
            if name == "palette":
                return  # Textual's palette: its own hints, over the screen's key bar
            bar = app.screen.query_one(KeyBar)
            assert bar.keys and bar.hidden_count() == 0, (name, bar.keys)
            footer = "\n".join(shown.splitlines()[-bar.size.height:])
            for item in bar.keys:
                assert f"{item.display} {item.description}" in footer, (name, item, footer)

    run(body)


def test_unicode_glyphs_on_request(make_app):
    """``glyphs = "unicode"`` gives Textual's own box glyphs back (and the next app in
    "ascii", the default, takes them away again)."""
    async def show(app):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            return screen_text(app)

    fancy = run(lambda: show(make_app(glyphs="unicode")))
    assert ambiguous(fancy), fancy
    plain = run(lambda: show(make_app()))
    assert not ambiguous(plain) and "+---" in plain
