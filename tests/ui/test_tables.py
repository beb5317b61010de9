"""R-UI-2 at 80 columns: a table wider than the screen shows the rest of its rows with
one or two presses of Right (half the table's width a press), and Left brings it back.
DataTable's own row-cursor Right moved one cell a press."""

from __future__ import annotations

import pytest

from .support import ADMIN, login, run, screen_text, settle

NARROW = (80, 24)


@pytest.mark.parametrize("key,table_id,first,last", [
    ("f3", "pp-table", "申込番号", "キャンセル"),
    ("f4", "accounts-table", "担当者名", "状態"),
], ids=["portplus-list", "accounts"])
def test_right_shows_the_rest_of_a_wide_row_and_left_brings_it_back(make_app, key, table_id,
                                                                    first, last):
    app = make_app()

    def header() -> str:
        table = app.screen.query_one(f"#{table_id}")
        line = screen_text(app).splitlines()[table.region.y]
        return line[table.region.x:]

    async def body():
        async with app.run_test(size=NARROW) as pilot:
            await login(app, pilot, ADMIN)
            await pilot.press(key)  # the pane's table gets the keyboard
            await settle(app, pilot)
            table = app.screen.query_one(f"#{table_id}")
            assert app.focused is table
            assert table.virtual_size.width > table.scrollable_content_region.width
            assert first in header() and last not in header()
            presses = 0
            while last not in header():
                await pilot.press("right")
                await settle(app, pilot)
                presses += 1
                assert presses <= 2, header()
            assert table.scroll_x == table.max_scroll_x
            row = table.cursor_row
            for _ in range(presses):
                await pilot.press("left")
                await settle(app, pilot)
            assert table.scroll_x == 0 and first in header()
            assert table.cursor_row == row  # the row cursor stayed where it was

    run(body)
