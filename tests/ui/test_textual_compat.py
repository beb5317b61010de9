"""The hooks into Textual's internals (ui/textual_compat.py): each still finds what it
relies on, and each still does its job (issue 13, point 10: Japanese text in front of a
widget's edge keeps every character)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from portplus_tui.ui import textual_compat
from portplus_tui.ui.screens.portplus_dialogs import CancelModal

from .support import ADMIN, app_test, run, screen_text, settle
from .test_portplus import first_modifiable, move_to, open_list

WIDE = "申込件数確認済"


def test_every_hook_finds_what_it_relies_on():
    assert textual_compat.check_hooks() == []
    assert set(textual_compat.HOOKS) == {"wide_char_chops", "border_glyphs", "instance_bindings",
                                         "drawn_text", "hover_cursor", "batch_end",
                                         "deferred_frame", "frame_requests", "dispatch_guard",
                                         "last_resort", "css_ahead", "fast_table",
                                         "screen_stack", "peeked_message"}


class Overlap(App):
    """Two widgets side by side (edges at columns 0, 11 and 30) and, on a layer in front,
    a line of Japanese text that starts at column ``x`` and so crosses the edge at 11."""

    CSS = """
    Screen { layers: base over; }
    #left { width: 11; height: 3; background: blue; }
    #right { width: 19; height: 3; background: green; }
    #over { layer: over; width: 20; height: 1; offset: 0 1; background: red; }
    """

    def __init__(self, x: int) -> None:
        super().__init__()
        self.x = x

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("left", id="left")
            yield Static("right", id="right")
        yield Static(WIDE, id="over")

    def on_mount(self) -> None:
        self.query_one("#over").styles.offset = (self.x, 1)


def test_text_in_front_of_an_edge_keeps_its_wide_characters():
    """Without the hook, the character across column 11 becomes two spaces whenever the
    text starts at an odd distance from it."""
    textual_compat.install()

    async def body():
        for x in range(0, 8):
            app = Overlap(x)
            async with app.run_test(size=(40, 5)) as pilot:
                await pilot.pause()
                line = screen_text(app).splitlines()[1]
                assert WIDE in line, (x, line)

    run(body)


def test_a_partial_update_inside_text_in_front_of_an_edge_is_written():
    """The pieces the hook merges stay writable by a partial update whose dirty span
    starts inside them (the ``ChopsUpdate`` took a piece's end from the next cut and
    skipped it: the change never reached the terminal)."""
    import re

    from textual.geometry import Region

    textual_compat.install()

    async def body():
        app = Overlap(3)  # the text at columns 3-16, across the edge at 11
        async with app.run_test(size=(40, 5)) as pilot:
            await pilot.pause()
            compositor = app.screen._compositor
            compositor._dirty_regions.clear()
            compositor._dirty_regions.add(Region(12, 1, 4, 1))  # inside the text
            update = compositor.render_update()
            written = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", update.render_segments(app.console))
            assert "数確" in written, repr(written)

    run(body)


def test_a_notification_over_a_dialog_keeps_every_character(make_app):
    """At 80x24 a notification overlaps the export dialog's right edge; its Japanese
    text, shifted by one cell at a time across that edge, is shown whole (「件」 was
    lost from 「27 件を … に出力しました」)."""
    app = make_app()
    wide = "件" * 14

    async def body():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await open_list(app, pilot, ADMIN)
            await pilot.press("e")
            await settle(app, pilot)
            for shift in range(8):
                app.clear_notifications()
                app.notify("x" * shift + wide, markup=False, timeout=30)
                await settle(app, pilot)
                assert wide in screen_text(app), (shift, screen_text(app))

    run(body)


@app_test(size=(120, 36))
async def test_the_cancel_dialog_covers_the_list(app, pilot) -> None:
    """A dialog hides the screen under it: no fragment of the list is glued to its
    border (the 「済」 of キャンセル済 was seen beside the cancel dialog)."""
    pane = await open_list(app, pilot, ADMIN)
    under = screen_text(app)
    await move_to(app, pilot, pane, first_modifiable(pane).id)
    await pilot.press("c")
    await settle(app, pilot)
    assert isinstance(app.screen, CancelModal)
    text = screen_text(app)
    for line in text.splitlines():
        box = line.strip()
        if box.startswith(("|", "+")):
            assert box.endswith(("|", "+")), line  # nothing beside the border
    assert "申込番号    適用日" in under and "申込番号    適用日" not in text


def test_preset_breakpoint_classes_are_the_ones_textual_sets(make_app):
    """ui/base.breakpoint_classes (public data, no private call) gives a new screen the
    classes Textual itself sets on the next Resize."""
    from portplus_tui.ui.base import breakpoint_classes

    async def body():
        for size in ((80, 24), (99, 29), (100, 30), (120, 36)):
            app = make_app()
            async with app.run_test(size=size) as pilot:
                await settle(app, pilot)
                expected = (breakpoint_classes(size[0], app.HORIZONTAL_BREAKPOINTS)
                            | breakpoint_classes(size[1], app.VERTICAL_BREAKPOINTS))
                assert len(expected) == 2
                assert expected <= set(app.screen.classes), (size, app.screen.classes)

    run(body)


def _frame_text(app, renderable) -> str:
    """The characters a frame writes to the terminal (escape sequences removed)."""
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", renderable.render_segments(app.console))


def _record_frames(monkeypatch, needle: str):
    """The text of every frame handed to the terminal (the app draws as if not
    headless), and an event set by the first frame that contains ``needle``."""
    import asyncio

    from textual.app import App

    frames: list[str] = []
    shown = asyncio.Event()
    textual_compat.install()
    real_display = textual_compat._originals["display"]

    def display(self, screen, renderable):
        real_display(self, screen, renderable)
        if renderable is not None and not self._batch_count:
            frames.append(_frame_text(self, renderable))
            if needle in frames[-1]:
                shown.set()

    monkeypatch.setitem(textual_compat._originals, "display", display)
    monkeypatch.setattr(App, "is_headless", property(lambda self: False))
    return frames, shown


def test_a_repaint_asked_for_during_a_batch_reaches_the_terminal(make_app, monkeypatch):
    """Hook ``batch_end`` (issue 13, defect 9): the list's answer arrived while Textual
    held a batch across an await (``ContentSwitcher.add_content`` mounting a pane); its
    repaint then waited for the next key. Here the next page is asked for inside a held
    batch; after the batch, a frame with the new rows must reach the terminal with no
    key and no Pilot pause (``Pilot.pause`` runs the screen's update itself)."""
    import asyncio

    frames, shown = _record_frames(monkeypatch, "11 ~ 20")
    app = make_app()

    async def body():
        async with app.run_test(size=(120, 36)) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            with app.batch_update():
                pane.action_turn("next")
                await settle(app, pilot)  # the answer is in; its repaint waits
                assert not shown.is_set()
            await asyncio.wait_for(shown.wait(), 10)
            assert "11 ~ 20" in screen_text(app)

    run(body)


def test_a_repaint_asked_for_before_a_deferred_frame_reaches_the_terminal(
        make_app, monkeypatch):
    """Hook ``deferred_frame`` (issue 13, defect 9, traced in tmux): the main screen
    draws a layout's frame a few loop turns later; a widget that asked for a repaint in
    between was forgotten by that frame (Textual's ``_compositor_refresh`` clears the
    dirty widgets), so the list stayed as first drawn until a key. Here the frame is
    held until the summary's repaint is pending, then drawn: that frame must carry the
    new text."""
    import asyncio

    from textual.widgets import Static

    frames, shown = _record_frames(monkeypatch, "999 件")
    app = make_app()

    async def body():
        async with app.run_test(size=(120, 36)) as pilot:
            pane = await open_list(app, pilot, ADMIN)
            screen = app.screen
            held: list = []
            monkeypatch.setattr(screen, "_soon", held.append)  # the frame waits here
            pane.query_one("#pp-title").refresh(layout=True)  # a layout, then its frame
            for _ in range(1000):
                if held:
                    break
                await asyncio.sleep(0)  # noqa: sleep - a turn of the event loop, no time
            assert held == [screen._draw_frame]
            summary = pane.query_one("#pp-summary", Static)
            summary.update("全 999 件")
            for _ in range(1000):
                if summary in screen._dirty_widgets:
                    break
                await asyncio.sleep(0)  # noqa: sleep - a turn of the event loop, no time
            assert summary in screen._dirty_widgets
            held.pop()()  # the deferred frame, before Textual's own update runs
            # That frame shows the new text (without the hook, the summary's repaint
            # was forgotten by it; a later layout could bring it back by chance only).
            assert shown.is_set(), frames[-1:]

    run(body)


def test_the_main_screen_css_is_parsed_ahead_and_added_alone(make_app):
    """Hook ``css_ahead``: a worker parses main.tcss ahead (screens/main.prepare, run by
    the two-step screen while the code is typed); the main screen adds it to the app's
    stylesheet with those very rules, so Textual does not parse every stylesheet again
    at login. The screen is styled by it."""
    from pathlib import Path

    from portplus_tui.ui.screens import main

    app = make_app()

    async def body():
        async with app.run_test(size=(120, 36)) as pilot:
            from .support import login

            await settle(app, pilot)
            main.prepare(app)
            await login(app, pilot, ADMIN)
            MainScreen = main.MainScreen
            assert isinstance(app.screen, MainScreen)
            path = str((Path(textual_compat.__file__).parent / "screens" / "main.tcss").resolve())
            key = (path, "")
            assert key in app.stylesheet.source
            css, _variables, rules = textual_compat._css_ahead[key]
            assert app.stylesheet._parse_cache[(css, key, False, 0, "")] is rules
            # main.tcss styles the screen: the side menu has the width it gives it.
            sidebar = app.screen.query_one("#sidebar")
            assert sidebar.styles.width is not None and sidebar.size.width > 0

    run(body)
