"""Where the styles are: every style is in a ``.tcss`` file, loaded one way.

Each file is named in the ``CSS_PATH`` of the app or of the screen that shows what it
styles (Textual's way; no ``DEFAULT_CSS`` strings, no stylesheet loaded by hand):

- ``app.tcss``: ``PortPlusApp``; every screen (forms, cards, focus);
- ``widgets/widgets.tcss``: ``PortPlusApp``, before app.tcss; the reusable widgets;
- ``screens/main.tcss``: ``MainScreen``; the shell (header, side menu);
- ``panes/portplus.tcss``: ``MainScreen``; the ポートプラス pane;
- ``panes/accounts.tcss``: ``MainScreen`` (the account pane) and the account form, the
  audit log and its entry dialog;
- ``screens/application_form.tcss``: ``ApplicationFormScreen``;
- ``screens/portplus_dialogs.tcss``: the Port Plus dialogs (cancel, history, export).

A file named by two screens is loaded once (Textual keeps one copy per path). The main
screen's files are parsed ahead, in a worker, while bcrypt runs at login
(``screens.main.prepare``; ui/textual_compat.parse_css_ahead).
"""

from __future__ import annotations

from pathlib import Path

_UI = Path(__file__).resolve().parent

APP_CSS = _UI / "app.tcss"
WIDGETS_CSS = _UI / "widgets" / "widgets.tcss"
MAIN_CSS = _UI / "screens" / "main.tcss"
PORTPLUS_CSS = _UI / "panes" / "portplus.tcss"
ACCOUNTS_CSS = _UI / "panes" / "accounts.tcss"
APPLICATION_FORM_CSS = _UI / "screens" / "application_form.tcss"
PORTPLUS_DIALOGS_CSS = _UI / "screens" / "portplus_dialogs.tcss"

#: the main screen's stylesheets (its shell and its panes)
MAIN_SCREEN_CSS = (PORTPLUS_CSS, MAIN_CSS, ACCOUNTS_CSS)
