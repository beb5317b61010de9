"""Stylesheets shared by more than one module: their paths, in one place.

A screen names its own ``.tcss`` in ``CSS_PATH`` (next to it, Textual's way). The
account pane (a widget: no ``CSS_PATH`` of its own) and its dialogs (the account form,
the delete question, the audit log) share ``panes/accounts.tcss``; the pane loads it with
``panes.accounts.ensure_styles``, the dialogs name it in ``CSS_PATH`` and Textual sees it
is loaded already.
"""

from __future__ import annotations

from pathlib import Path

ACCOUNTS_CSS = Path(__file__).parent / "panes" / "accounts.tcss"
