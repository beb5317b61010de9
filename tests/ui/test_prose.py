"""Japanese text wraps between words (issue 13, point 13): 「パスワ」/「ード再設定」 and
「監査ロ」/「グ」 were seen at 80 columns. ``ui/widgets/prose.py``: ``wrap_ja`` and the ``Prose``
widget; then the screens at 80x24 and the framed 表示数 list."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.content import Content
from textual.widgets import Select

from portplus_tui.ui.widgets.prose import ProseVisual, units, wrap_ja

from .support import ADMIN, USER, app_test, screen_text, settle
from .test_accounts import open_accounts
from .test_portplus import open_list

WORDS = ("パスワード", "監査ログ", "アカウント", "キャンセル", "ポートプラス", "ログイン",
         "メール", "再設定", "admin@example.com", "2026年12月4日(金)")


def cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def broken_words(text: str) -> list[str]:
    """Words of WORDS that a line break cuts: a line ends with the start of the word and
    the next line begins with its rest."""
    lines = [line.strip() for line in text.splitlines()]
    found = []
    for first, second in zip(lines, lines[1:]):
        for word in WORDS:
            for cut in range(1, len(word)):
                if first.endswith(word[:cut]) and second.startswith(word[cut:]):
                    found.append(f"{word[:cut]}/{word[cut:]}")
    return found


def test_words_stay_whole():
    text = ("Enterで選択したアカウントを更新します。キーの一覧は画面下にあります(Aで監査ログ)。"
            "パスワード再設定メールを admin@example.com に送信しますか?")
    longest = max(cells(unit.rstrip()) for unit in units(text))  # パスワード再設定メールを
    assert longest == 24
    for width in range(longest, 90):
        lines = wrap_ja(text, width)
        assert all(cells(line) <= width for line in lines), (width, lines)
        assert not broken_words("\n".join(lines)), (width, lines)


def test_units_follow_japanese_line_breaking_rules():
    assert units("Enterで選択したアカウントを更新します。") == [
        "Enterで", "選択した", "アカウントを", "更新します。"]
    # no line starts with 。、」) or a small kana, no line ends with 「 (
    assert units("「キャンセル実行」を押してください。") == ["「キャンセル実行」を", "押してください。"]
    assert units("申込期限 2026年12月4日(金) を過ぎています") == [
        "申込期限 ", "2026年12月4日(金) ", "を", "過ぎています"]
    assert units("ドメイン example.com です") == ["ドメイン ", "example.com ", "です"]


def test_a_word_wider_than_the_line_is_folded():
    path = "/srv/portplus/exports/portplus-20261204-052925.csv"
    lines = wrap_ja(f"25 件を {path} に出力しました。", 20)
    assert all(cells(line) <= 20 for line in lines)
    assert "".join(lines).replace(" ", "") == f"25件を{path}に出力しました。"


JAPANESE = st.text(alphabet=st.sampled_from(
    list("あいうえおかきくけこをにはのでしますアイウエオカキクケコーッャ漢字申込期限監査")
    + list("abcXYZ019-.@/ 、。「」()")), max_size=120)


@settings(max_examples=300, deadline=None)
@given(JAPANESE, st.integers(min_value=2, max_value=60))
def test_wrapping_keeps_every_character_and_fits(text, width):
    lines = wrap_ja(text, width)
    assert all(cells(line) <= width for line in lines), lines
    # only the spaces at a break are dropped
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_the_visual_keeps_styles_and_reports_its_text():
    content = Content.from_markup("[b]監査ログ[/b]の記録は新しい順に表示されます。")
    visual = ProseVisual(content)
    assert str(visual) == content.plain
    wrapped = visual._wrapped(12)
    assert wrapped.plain.split("\n")[0] == "監査ログの"
    assert any(span.style == "b" for span in wrapped.spans)


@app_test(size=(80, 24))
async def test_the_account_hint_does_not_break_a_word_at_80_columns(app, pilot) -> None:
    from .support import login

    await login(app, pilot, ADMIN)
    await open_accounts(app, pilot)
    text = screen_text(app)
    assert "監査ログ)。" in text
    assert not broken_words(text), broken_words(text)
    await pilot.press("down", "r")  # the reset mail question
    await settle(app, pilot)
    text = screen_text(app)
    assert "パスワード再設定メールを送信しますか" in text
    assert not broken_words(text), broken_words(text)


@app_test(size=(120, 36))
async def test_the_page_size_list_has_a_frame(app, pilot) -> None:
    pane = await open_list(app, pilot, USER)
    size = pane.query_one("#pp-size", Select)
    size.focus()
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    assert size.expanded
    strips = app.screen._compositor.render_strips()
    region = size.query_one("SelectOverlay").region

    def cut(y: int, x1: int, x2: int) -> str:  # by cells: wide text on the left
        return strips[y].crop(x1, x2).text

    top = cut(region.y, region.x, region.right)
    assert top == "+" + "-" * (region.width - 2) + "+", top
    assert cut(region.y + 1, region.x, region.x + 4) == "|10 "
