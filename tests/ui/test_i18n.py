"""The screen texts: both catalogues complete, every key used exists, no ambiguous-width
glyphs (R-UI-3)."""

from __future__ import annotations

import re
import string
import unicodedata
from pathlib import Path

import pytest

from portplus_tui.ui import i18n
from portplus_tui.ui.messages_en import MESSAGES as EN
from portplus_tui.ui.messages_ja import MESSAGES as JA

UI = Path(__file__).resolve().parents[2] / "portplus_tui" / "ui"


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogues_have_the_same_keys():
    assert set(JA) == set(EN)


def test_placeholders_match_between_languages():
    for key in JA:
        assert _fields(JA[key]) == _fields(EN[key]), key


@pytest.mark.parametrize("catalogue", [JA, EN], ids=["ja", "en"])
def test_no_east_asian_ambiguous_width_glyphs(catalogue):
    for key, text in catalogue.items():
        ambiguous = [c for c in text if unicodedata.east_asian_width(c) == "A"]
        assert not ambiguous, (key, ambiguous)


def test_every_key_the_code_uses_exists():
    used: set[str] = set()
    for path in UI.rglob("*.py"):
        if path.name.startswith("messages_"):
            continue
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_.]+)["']""", source))
        used |= set(re.findall(r"""["'](key\.[a-z_]+)["']""", source))
        used |= set(re.findall(r"""["']((?:menu|cmd)\.[a-z_.]+)["']""", source))
    assert used, "no keys found: the pattern is broken"
    missing = sorted(key for key in used if key not in JA)
    assert not missing


def test_t_fills_placeholders_and_switches_language():
    try:
        assert i18n.t("header.welcome", name="山田 太郎") == "ようこそ 山田 太郎 様"
        i18n.set_lang("en")
        assert i18n.t("header.welcome", name="山田 太郎") == "Welcome, 山田 太郎"
        with pytest.raises(KeyError):
            i18n.t("no.such.key")
        with pytest.raises(ValueError):
            i18n.set_lang("fr")
    finally:
        i18n.set_lang("ja")


def test_the_manual_wording_is_kept():
    assert JA["login.title"] == "ログイン情報を入力してください"
    assert JA["login.forgot"] == "パスワードをお忘れの場合はこちら"
    assert JA["otp.title"] == "メール送信完了"
    assert JA["otp.validity"].format(minutes=30) == "ワンタイムパスワードは発行後30分有効となります。"
    assert JA["session.idle_logout"] == "一定時間操作がなかったため、ログアウトしました。"
