"""Issue 13, point 16: three themes (dark, light, high contrast), every text / background
pair the screens use at WCAG AA (4.5:1) in true colour and in 256 colours; the theme
chosen in the palette is remembered (config key ``theme`` gives the first one)."""

from __future__ import annotations

import os
import stat

import pytest

from portplus_tui import config
from portplus_tui.ui import themes

from .support import SIZE, run, settle


@pytest.mark.parametrize("theme", themes.THEMES, ids=lambda theme: theme.name)
def test_every_pair_meets_wcag_aa_in_true_colour_and_256_colours(theme):
    pairs = list(themes.contrast_pairs(theme))
    assert len(pairs) == len(themes.PAIRS)
    weak = [(text, back, round(true, 2), round(eight_bit, 2))
            for text, back, true, eight_bit in pairs if min(true, eight_bit) < 4.5]
    assert weak == []


def test_the_contrast_formula():
    from textual.color import Color

    assert themes.contrast(Color(0, 0, 0), Color(255, 255, 255)) == pytest.approx(21.0)
    assert themes.contrast(Color(119, 119, 119), Color(255, 255, 255)) == pytest.approx(4.48, 0.01)


def test_the_settings_know_the_same_themes():
    assert config.THEME_NAMES == themes.NAMES


def test_the_setting_starts_the_app_in_its_theme(make_app):
    app = make_app(theme=themes.HIGH_CONTRAST)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert app.theme == themes.HIGH_CONTRAST
            assert sorted(app.available_themes) == sorted(themes.NAMES)

    run(body)


def test_the_theme_chosen_in_the_palette_is_remembered(make_app, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app = make_app()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert app.theme == themes.DARK
            # 「テーマ変更」 is in the palette, and it offers our three themes only ...
            assert "テーマ変更" in [command.title for command in app.get_system_commands(app.screen)]
            assert sorted(app.available_themes) == sorted(themes.NAMES)
            # ... and choosing one there sets App.theme (Textual's theme palette does; it
            # is not driven here: its search worker outlives Pilot's idle waits).
            app.theme = themes.HIGH_CONTRAST
            await settle(app, pilot)

    run(body)
    path = themes.state_file()
    assert path.parent == tmp_path / "state" / "portplus"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert themes.remembered() == themes.HIGH_CONTRAST
    again = make_app()

    async def second():
        async with again.run_test(size=SIZE) as pilot:
            await settle(again, pilot)
            assert again.theme == themes.HIGH_CONTRAST

    run(second)


def test_a_bad_theme_setting_is_refused():
    with pytest.raises(config.ConfigError) as exc:
        config.load_settings(env={"PORTPLUS_THEME": "textual-dark"})
    assert "theme" in str(exc.value)
