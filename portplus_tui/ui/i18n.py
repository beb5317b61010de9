"""Screen texts: one catalogue per language (``messages_ja``, ``messages_en``).

``t(key, **params)`` looks the key up in the catalogue of the current language and
fills ``{name}`` placeholders with ``str.format``. Japanese is the default; the app
calls ``set_lang(settings.lang)`` when it starts. A key missing from the catalogue is a
bug: ``KeyError`` (a test checks that both catalogues have the same keys).

Binding descriptions are catalogue keys too (``key.…``); ``localize_bindings`` swaps them
for the text when a screen is built, so the Footer shows the current language.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import import_module
from typing import Any

LANGS = ("ja", "en")
DEFAULT_LANG = "ja"

_lang = DEFAULT_LANG
_catalogues: dict[str, dict[str, str]] = {}


def catalogue(lang: str) -> dict[str, str]:
    """The catalogue of ``lang`` (imported once)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    found = _catalogues.get(lang)
    if found is None:
        found = import_module(f"portplus_tui.ui.messages_{lang}").MESSAGES
        _catalogues[lang] = found
    return found


def set_lang(lang: str) -> None:
    global _lang
    catalogue(lang)  # validates
    _lang = lang


def get_lang() -> str:
    return _lang


def t(key: str, **params: Any) -> str:
    """The text of ``key`` in the current language, with ``params`` filled in."""
    text = catalogue(_lang)[key]
    return text.format(**params) if params else text


def t_in(lang: str, key: str, **params: Any) -> str:
    """Like ``t`` for a given language."""
    text = catalogue(lang)[key]
    return text.format(**params) if params else text


def has(key: str) -> bool:
    return key in catalogue(_lang)


def localize_bindings(node: Any) -> None:
    """Replace binding descriptions that are catalogue keys by their text (per instance:
    Textual copies the class bindings into each node on construction)."""
    from portplus_tui.ui.textual_compat import replace_bindings

    texts = catalogue(_lang)
    replace_bindings(node, lambda b: replace(b, description=texts[b.description])
                     if b.description in texts else b)


def relabel_binding(node: Any, binding_id: str, description: str) -> None:
    """Give the binding ``binding_id`` of ``node`` (this instance only) another text for
    the key bar: Ctrl+S reads 新規登録 or 更新 in the account form."""
    from portplus_tui.ui.textual_compat import replace_bindings

    replace_bindings(node, lambda b: replace(b, description=description)
                     if b.id == binding_id else b)
