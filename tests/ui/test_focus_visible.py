"""Issue 13, point 4: the focused field is obvious without colour. Its edge is drawn
with other characters ("#===#", ui/glyphs.py FOCUS_EDGE) than every other field's
("+---+"); in the 24-row account form, where fields have no box, it has a "#" on its
left. Checked on the characters on screen only, so it holds in 16 colours and with
NO_COLOR whatever the palette."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from portplus_tui.ui.screens.account_form import AccountFormScreen

from .support import ADMIN, login, run, settle


def _box(app, widget) -> list[str]:
    """The characters of ``widget``'s region (its edge included), by cell: labels to
    its left hold double-width characters."""
    region = widget.region
    strips = app.screen._compositor.render_strips()  # as support.screen_text does
    return [strip.crop(region.x, region.right).text for strip in strips[region.y:region.bottom]]


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
def test_the_focused_login_field_has_its_own_edge(make_app, monkeypatch, size):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()

    async def body():
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            member, login_id = (app.screen.query_one(f"#{name}", Input)
                                for name in ("member_no", "login_id"))
            assert app.focused is member
            focused, other = _box(app, member), _box(app, login_id)
            assert focused[0].startswith("#=") and focused[0].endswith("=#"), focused
            assert other[0].startswith("+-") and "#" not in "".join(other), other
            await pilot.press("tab")
            await settle(app, pilot)
            assert _box(app, login_id)[0].startswith("#=")
            assert _box(app, member)[0].startswith("+-")

    run(body)


def test_the_focused_field_of_the_24_row_account_form_has_a_mark(make_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()

    async def body():
        async with app.run_test(size=(80, 24)) as pilot:
            await login(app, pilot, ADMIN)
            await pilot.press("f4", "n")
            await settle(app, pilot)
            form = app.screen
            assert isinstance(form, AccountFormScreen)
            fields = list(form.query(Input))
            focused = app.focused
            assert focused in fields
            marks = {field.id: _box(app, field)[0][:1] for field in fields
                     if field.region.height}
            assert marks[focused.id] == "#", marks
            assert all(mark != "#" for name, mark in marks.items() if name != focused.id), marks

    run(body)
