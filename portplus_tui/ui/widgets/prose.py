"""Japanese text that wraps between words, not inside them (issue 13, point 13).

Textual wraps text at spaces only; a Japanese sentence has none, so it was folded at
whatever cell the width ended: 「監査ロ」/「グ」, 「パスワ」/「ード再設定」. ``wrap_ja``
breaks a line only

* at a space;
* before a new word: a run of kanji, katakana and Latin letters or digits, with the
  hiragana that follow it (okurigana, particles: 「更新します」, 「アカウントを」), is one
  unit; a line may break between units;
* never before closing punctuation or a small kana (。、」) ー ッ …), and never after an
  opening bracket (「 ( （), as Japanese typesetting (kinsoku) wants.

A unit wider than the whole line (a long path) is folded by character, as before.

``Prose`` is a ``Static`` that draws its text that way (``ProseVisual``, a Textual
``Visual``); the text is the same, only the line breaks move.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

from textual.content import Content
from textual.visual import Visual
from textual.widgets import Static

#: closing brackets: a word ends after them (but a particle stays: 「…」を)
_CLOSE_BRACKETS = set("」』）)］]】〉》〕”’")
#: punctuation that ends a word (a Latin word goes on after . , : ; as in example.com)
_CLOSE_PUNCT = set("、。，．,.!?！？:：;；…‥")
#: may not begin a line: the above, small kana, ー and iteration marks
_NO_START = _CLOSE_BRACKETS | _CLOSE_PUNCT | set(
    "・ー～〜々ゝゞヽヾぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ%％")
#: may not end a line: opening brackets
_NO_END = set("「『（(［[【〈《〔“‘")

_KANJI, _KATAKANA, _HIRAGANA, _LATIN, _SPACE, _OTHER = range(6)


def _kind(char: str) -> int:
    if char.isspace():
        return _SPACE
    code = ord(char)
    if 0x3041 <= code <= 0x309F:
        return _HIRAGANA
    if 0x30A0 <= code <= 0x30FF or 0xFF66 <= code <= 0xFF9F:
        return _KATAKANA
    if (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or char in "々〆〇"
            or 0xF900 <= code <= 0xFAFF):
        return _KANJI
    if code < 0x80 or 0xFF10 <= code <= 0xFF5A:
        return _LATIN
    return _OTHER


def _cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def units(text: str) -> list[str]:
    """Split one line of text into the pieces a line may break between (spaces stay at
    the end of the piece before them)."""
    out: list[str] = []
    current = ""
    prev = _SPACE  # the kind of the last character of ``current``
    hiragana_tail = False  # ``current`` already ends in its hiragana
    for char in text:
        kind = _kind(char)
        if not current:
            current, prev, hiragana_tail = char, kind, kind == _HIRAGANA
            continue
        last = current[-1]
        if kind == _SPACE:
            current += char
            prev = _SPACE
            continue
        joins: bool
        if prev == _SPACE:
            joins = False
        elif char in _NO_START or last in _NO_END:
            joins = True
        elif char in _NO_END:
            # an opening bracket right after a word opens a part of it: 4日(金)
            joins = char in "(（" and prev in (_KANJI, _KATAKANA, _LATIN) and not hiragana_tail
        elif last in _CLOSE_BRACKETS:
            joins = kind == _HIRAGANA  # 「キャンセル実行」を
        elif last in _CLOSE_PUNCT:
            joins = last in ".,:;" and kind == _LATIN and not hiragana_tail
        elif kind == _HIRAGANA:
            joins = True  # okurigana and particles stay with their word
        else:
            # kanji, katakana, Latin: one word until hiragana has ended it
            joins = not hiragana_tail and prev != _OTHER and kind != _OTHER
        if joins:
            current += char
            if kind == _HIRAGANA:
                hiragana_tail = True
        else:
            out.append(current)
            current = char
            hiragana_tail = kind == _HIRAGANA
        prev = kind
    if current:
        out.append(current)
    return out


def _fold(unit: str, width: int) -> list[str]:
    lines, line, used = [], "", 0
    for char in unit:
        cells = _cells(char)
        if line and used + cells > width:
            lines.append(line)
            line, used = "", 0
        line += char
        used += cells
    lines.append(line)
    return lines


@lru_cache(maxsize=512)
def _wrap_line(text: str, width: int) -> tuple[str, ...]:
    lines: list[str] = []
    line = ""
    for unit in units(text):
        if _cells((line + unit).rstrip()) <= width:
            line += unit
            continue
        if line.strip():
            lines.append(line.rstrip())
            line = ""
        if _cells(unit.rstrip()) <= width:
            line = unit
        else:  # wider than a whole line (a long path): folded by character
            word = unit.rstrip()
            *full, line = _fold(word, width)
            lines.extend(full)
            line += unit[len(word):]
    lines.append(line.rstrip())
    return tuple(lines)


def wrap_ja(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells, broken between words."""
    if width <= 0:
        return [text]
    out: list[str] = []
    for paragraph in text.split("\n"):
        out.extend(_wrap_line(paragraph, width))
    return out


def _breaks(text: str, width: int) -> list[tuple[int, int]]:
    """(start, end) character offsets of each wrapped line in ``text`` (the spaces at a
    break are left out)."""
    spans: list[tuple[int, int]] = []
    position = 0
    for line in wrap_ja(text, width):
        start = text.find(line, position) if line else position
        if start < 0:  # cannot happen: lines are pieces of the text
            start = position
        end = start + len(line)
        spans.append((start, end))
        position = end
        while position < len(text) and text[position] in " \n":
            position += 1
            if text[position - 1] == "\n":
                break
    return spans


class ProseVisual(Visual):
    """A Textual ``Content`` drawn with ``wrap_ja``'s line breaks (styles kept)."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self._by_width: dict[int, Content] = {}

    def __str__(self) -> str:
        return self.content.plain

    def _wrapped(self, width: int) -> Content:
        found = self._by_width.get(width)
        if found is None:
            plain = self.content.plain
            pieces = [self.content[start:end] for start, end in _breaks(plain, width)]
            found = Content("\n").join(pieces) if pieces else self.content
            if len(self._by_width) > 8:
                self._by_width.clear()
            self._by_width[width] = found
        return found

    def render_strips(self, width: int, height: int | None, style: Any, options: Any
                      ) -> list[Any]:
        pad = options.rules.get("line_pad", 0) * 2
        return self._wrapped(width - pad).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: Any, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_minimal_width(self, rules: Any) -> int:
        return max((_cells(u.rstrip()) for u in units(self.content.plain)), default=0)

    def get_height(self, rules: Any, width: int) -> int:
        pad = rules.get("line_pad", 0) * 2
        return self._wrapped(width - pad).get_height(rules, width)


class Prose(Static):
    """A ``Static`` whose text wraps between Japanese words (see the module docstring)."""

    _prose: tuple[Any, ProseVisual] | None = None

    @property
    def visual(self) -> Visual:
        visual = super().visual
        if not isinstance(visual, Content):
            return visual
        if self._prose is None or self._prose[0] is not visual:
            self._prose = (visual, ProseVisual(visual))
        return self._prose[1]
