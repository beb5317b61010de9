"""The message catalogue (issue 14, point 5): every sentence of the core rules, the
services and the command line lives in core/messages.py; errors carry its key and
parameters and render by key in the language asked for."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from portplus_tui.cli.base import CliError
from portplus_tui.core.calendar import parse_date
from portplus_tui.core.errors import ValidationError
from portplus_tui.core.messages import CATALOGUE, render, texts

ROOT = Path(__file__).resolve().parents[2] / "portplus_tui"
BELOW_THE_UI = [ROOT / "config.py", ROOT / "ssh_session.py"] + [
    path for folder in ("core", "services", "store", "cli", "web")
    for path in sorted((ROOT / folder).rglob("*.py")) if path.name != "messages.py"]


def _fields(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def test_every_entry_has_both_languages_and_well_formed_fields():
    assert len(CATALOGUE) > 150
    for key, (ja, en) in CATALOGUE.items():
        assert ja.strip() and en.strip(), key
        _fields(ja), _fields(en)  # raises ValueError on a malformed template


def test_an_error_carries_its_key_and_renders_in_the_language_asked_for():
    with pytest.raises(ValidationError) as caught:
        parse_date("2026-02-30", field="apply_date")
    error = caught.value
    assert error.key == "calendar.parse_date.3" and error.params == {"s": "2026-02-30"}
    assert error.message("ja") == "2026-02-30 は存在しない日付です。"
    assert error.message("en") == "2026-02-30 is not a real date."
    assert error.field == "apply_date"


def test_a_changed_template_changes_every_message_built_from_it(monkeypatch):
    """One place to translate: the catalogue, read when the message is shown."""
    monkeypatch.setitem(CATALOGUE, "calendar.parse_date", ("日付の形。", "Date shape."))
    error = ValidationError(*texts("calendar.parse_date"), field="x")
    assert (error.message("ja"), error.message("en")) == ("日付の形。", "Date shape.")
    cli = CliError(*texts("calendar.parse_date"))
    assert cli.message("en") == "Date shape."
    assert render("calendar.parse_date", "ja", {}) == "日付の形。"


def _japanese(source: str) -> bool:
    """Mostly Japanese: at least a fifth of its characters (spaces aside) are."""
    chars = [ch for ch in source if not ch.isspace()]
    return bool(chars) and sum(ord(ch) > 0x3000 for ch in chars) >= len(chars) / 5


def _inline_pairs(path: Path) -> list[str]:
    """Calls whose first two arguments are a Japanese and an English text written in
    place (the way messages were written before the catalogue)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and len(node.args) >= 2:
            first, second = node.args[0], node.args[1]
            texts_ = [arg for arg in (first, second) if isinstance(arg, (ast.Constant, ast.JoinedStr))
                      and (not isinstance(arg, ast.Constant) or isinstance(arg.value, str))]
            # either order (config.py wrote English first); a Japanese sentence, not an
            # English help text naming a Japanese term (「companies (会員)」)
            if len(texts_) == 2 and any(_japanese(ast.unparse(arg)) for arg in (first, second)):
                found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_message_is_written_in_place_below_the_ui():
    found = [hit for path in BELOW_THE_UI for hit in _inline_pairs(path)]
    assert found == []


def test_the_check_finds_a_message_written_in_place(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('raise ValidationError("日付が違います。", "Wrong date.", field="d")\n',
                      encoding="utf-8")
    assert _inline_pairs(sample) == ["sample.py:1"]
    english_first = tmp_path / "english_first.py"  # how config.py wrote its errors
    english_first.write_text('raise ConfigError("closing_day must be 1-28", '
                             '"closing_day は 1~28 の範囲にしてください。")\n', encoding="utf-8")
    assert _inline_pairs(english_first) == ["english_first.py:1"]
