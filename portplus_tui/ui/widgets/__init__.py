"""Reusable widgets: what a screen or pane is built from, holding no product rule.

``keybar`` (the key bar), ``tables`` (RowTable, the fast ResultsTable), ``pager``,
``inputs`` (password, date, select, checkbox), ``form_button``, ``busy`` (hold_busy,
BusyIndicator), ``month_calendar`` (the Port Plus calendar), ``prose`` (Japanese text
wrapped between words). They tell their parents with Messages (ui/app_messages.py and
their own), never by calling them.
"""
