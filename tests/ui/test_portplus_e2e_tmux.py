"""End to end in a real terminal (tmux, 120x36): demo -> login -> ポートプラス -> 新規申込
-> the new 申込番号 is in the list -> キャンセル -> the row shows キャンセル済.

The app runs on the machine's real clock, so the 適用日 is chosen 20 days ahead (Japan
time): always open, always within the 365 days allowed. Waiting is a bounded poll of
capture-pane (the Terminal helper of test_e2e_tmux); the app's stderr is not redirected.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest

from .test_e2e_tmux import PORTPLUS, Terminal


@pytest.fixture
def term(tmp_path) -> Iterator[Terminal]:
    terminal = Terminal(tmp_path / "data")
    try:
        terminal.start(f"{PORTPLUS} demo --no-launch > {tmp_path / 'demo.log'} 2>&1 && "
                       f"exec {PORTPLUS}")
        terminal.wait_for_text("ログイン情報を入力してください")
        yield terminal
        terminal.keys("C-q")
        terminal.wait_for(lambda text: "ポートプラス" not in text, "the app to end")
    finally:
        terminal.stop()


def _row(screen: str, number: str) -> str:
    return next((line for line in screen.splitlines() if number in line), "")


def test_new_application_then_cancel_it(term):
    day = (datetime.now(timezone(timedelta(hours=9))) + timedelta(days=20)).date()
    term.keys("M97-00339", "Tab", "user@example.com", "Tab", "demo-user-1", "Enter")
    term.wait_for_text("ようこそ 佐藤 花子 様")
    term.keys("F3")
    term.wait_for(lambda text: re.search(r"全 \d+ 件中", text) is not None, "the list")
    term.keys("n")
    term.wait_for_text("内容を確認", "YYYY-MM-DD")  # the form (not the list behind it)
    term.keys(day.strftime("%Y%m%d"))
    term.wait_for_text("申込期限: ")
    term.keys("Enter", "7", "Enter", "Enter")  # 追加ポート数 7, 申込者 as given: review
    term.wait_for_text("以下の内容で申し込みます")
    term.keys("Enter")  # 新規申込
    screen = term.wait_for_text("新規申込を受け付けました", "申込番号: SO-")
    number = re.search(r"申込番号: (SO-\d{5,}-0)", screen).group(1)
    term.keys("Enter")  # 閉じる: back to the list, on the new row
    screen = term.wait_for(lambda text: number in text and "キャンセル" in _row(text, number),
                           f"{number} in the list")
    row = _row(screen, number)
    assert f"{day.year}年{day.month}月{day.day}日" in row and "佐藤 花子 様" in row
    term.keys("c")
    screen = term.wait_for_text("ポートプラス申込キャンセル", "キャンセル実行")
    assert number in screen
    term.keys("Tab", "Enter")  # from 閉じる to キャンセル実行
    term.wait_for_text(f"{number} をキャンセルしました")
    term.keys("Escape")
    screen = term.wait_for(lambda text: "キャンセル済" in _row(text, number),
                           f"{number} shown as cancelled")
    assert "Traceback" not in screen


def test_live_two_terminals_on_one_database(term, tmp_path):
    """Issue 15 as a new user tries it: two terminals on the demo data; B makes an
    application on a day A's list shows; A shows it, marked "*", without a key."""
    jst_today = datetime.now(timezone(timedelta(hours=9))).date()
    day = jst_today + timedelta(days=7)
    while day.day != 21:  # the first day of a billing month (21st - 20th): page 1 of it
        day += timedelta(days=1)
    other = Terminal(tmp_path / "data")
    try:
        other.start(f"exec {PORTPLUS}")
        other.wait_for_text("ログイン情報を入力してください")
        # A: the admin, the list of that billing month
        term.keys("M97-00339", "Tab", "admin@example.com", "Tab", "demo-admin-1", "Enter")
        term.wait_for_text("ようこそ 山田 太郎 様")
        term.keys("F3")
        term.wait_for(lambda text: re.search(r"全 \d+ 件中", text) is not None, "the list")
        term.keys("/", day.strftime("%Y%m"), "Enter")  # 月検索: from the 21st of that month
        term.wait_for_text(f"{day.year}年{day.month}月{day.day}日")
        # B: the user makes an application on that day
        other.keys("M97-00339", "Tab", "user@example.com", "Tab", "demo-user-1", "Enter")
        other.wait_for_text("ようこそ 佐藤 花子 様")
        other.keys("F3")
        other.wait_for(lambda text: re.search(r"全 \d+ 件中", text) is not None, "the list")
        other.keys("n")
        other.wait_for_text("内容を確認", "YYYY-MM-DD")
        other.keys(day.strftime("%Y%m%d"))
        other.wait_for_text("申込期限: ")
        other.keys("Enter", "7", "Enter", "Enter")
        other.wait_for_text("以下の内容で申し込みます")
        other.keys("Enter")
        screen = other.wait_for_text("新規申込を受け付けました", "申込番号: SO-")
        number = re.search(r"申込番号: (SO-\d{5,}-0)", screen).group(1)
        # A, without a key: the new row, marked
        screen = term.wait_for(lambda text: number in text, f"{number} on A's screen")
        row = _row(screen, number)
        assert re.match(r"\s*\*\d+\s", row), row
        assert "他の方の変更" in screen and "佐藤 花子 様" in row
        term.wait_for(lambda text: "*" not in _row(text, number), "the mark to go")
        other.keys("Enter", "C-q")
    finally:
        other.stop()
