"""The one place that touches Textual's internals (ARCHITECTURE.md).

Each hook here works around a Textual behaviour that the public API cannot change, names
the Textual version it was written against, and has a test in
``tests/ui/test_textual_compat.py`` that fails, naming the hook, when Textual no longer
has what it relies on (``check_hooks``).

Hooks
-----
``wide_char_chops`` (Textual 8.2.8, upstream Textualize/textual#6357, open)
    The compositor cuts every screen line at the left and right edge of every widget on
    that line, and divides each widget's line at all of those cuts, also where the cut
    comes from a widget *underneath* it. A double-width character (Japanese) across such a
    cut is replaced by two spaces. So a notification over the list lost the 「件」 of
    「27 件を … に出力しました」, and text over a dialog's edge lost characters.
    The hook divides a widget's line only where another widget's content begins: the
    cells a widget wins one after another stay one piece, so no character of the widget
    in front is ever split. The buckets merged into a piece hold an empty strip, which
    keeps the widgets behind from claiming them. The pieces have the same total width,
    so full updates join them as before. A partial update (``ChopsUpdate``) skips a
    piece whose end lies before the dirty span, and took each piece's end from the next
    cut: ``_partial_update_with_piece_ends`` gives it each piece's real end, so a dirty
    span that starts inside a merged piece still writes it.
``batch_end`` (Textual 8.2.8)
    While ``App.batch_update`` is held, a screen ignores its idle turns (its repaint timer
    stays paused) and ``App._display`` throws a frame away after it was rendered (its
    dirty regions are gone with it). A batch held across an ``await`` (Textual's
    ``ContentSwitcher.add_content`` mounting a pane, ``Widget.batch``) therefore strands
    every repaint asked for meanwhile: when it ends, Textual wakes only the App, not the
    screen, so the widgets stay as first drawn until the next key (issue 13, defect 9:
    the list opened by F3 kept its placeholders). The hook, when the last batch ends,
    wakes the screen (``check_idle``), repaints it whole if a frame was thrown away, and
    runs the callbacks given to ``when_unbatched``.
``deferred_frame`` (Textual 8.2.8)
    ``Screen._compositor_refresh`` renders the compositor's dirty regions and then
    forgets the screen's dirty widgets: Textual calls it right after it moved those
    widgets' repaints into the compositor (``_on_timer_update``). The screens that draw a
    frame a few loop turns after their layout (``screens/stepped.SteppedRefresh``, for the
    login's stall figures) called it later, when more widgets had asked to be repainted
    meanwhile: their repaints were forgotten, and the list opened by F3 at login stayed
    as first drawn until a key (issue 13, defect 9). ``draw_frame`` moves the pending
    repaints into the compositor first, as Textual's own update does.
``frame_requests`` (Textual 8.2.8)
    Textual asks a screen for a frame by calling ``Screen._compositor_refresh`` (after a
    layout in ``Screen._refresh_layout``, or after moving repaints into the compositor).
    ``FrameControl`` routes that call to ``frame_requested(in_layout)``, a public-named
    method a screen overrides to choose when the frame is drawn (``draw_frame_now``):
    the login screen waits for the end of Textual's start-up batch, the main and
    two-step screens draw a layout's frame a few loop turns later (login stall figures).

``dispatch_guard`` (Textual 8.2.8)
    ``GuardedDispatch`` wraps ``MessagePump._dispatch_message``: an exception from any
    handler of the node goes to ``dispatch_failed(error, message)`` (``ui/base.Guarded``
    reports it and the app goes on) instead of ending the app.

``last_resort`` (Textual 8.2.8)
    ``LastResort`` wraps ``App._handle_exception`` (an error outside our handlers, in
    Textual itself): ``fatal_error(error)`` logs it and returns the error Textual shows
    as it ends the app (a message only: Rich's traceback would show local variables,
    and so what was typed into a password field).
``css_ahead`` (Textual 8.2.8)
    Textual loads a screen's ``CSS_PATH`` when the screen is first shown: it parses the
    whole stylesheet again (every widget's DEFAULT_CSS, app.tcss, then the screen's
    file) with an empty cache and restyles every widget of the app, 40-60 ms in one
    step at login (bench/login_lag.py: the worst stall of the first login went from
    ~40 to 50 ms when the main screen's CSS was loaded the ordinary way, issue 14).
    ``parse_css_ahead`` parses the file in a worker thread before the screen is made;
    ``add_screen_css`` adds it to the app's stylesheet as a source of the same name
    (Textual then finds it loaded), with the rules parsed ahead in the stylesheet's
    parse cache: only that file is parsed, or nothing. Its rules match nothing outside
    the screen, so the widgets already styled stay right.
``fast_table`` (Textual 8.2.8, DataTable)
    ``FastTableRendering``, a DataTable mixin for the list of applications: DataTable
    measures every new cell with Rich (~30 us a cell) and draws every cell through Rich's
    layout engine (~0.3 ms a cell): 20+ ms each for a page of 100. For one-line,
    single-style Text cells the mixin measures by cell length and writes the segments
    itself (the same segments: a test compares both renderers line by line), looks the
    row styles up once a frame, and unlinks the render caches' rings before clearing
    them (freed at once, not by a 35-60 ms full collection every few pages). Anything
    else (row labels, fixed rows or columns, multi-line or styled-span cells) goes to
    DataTable's own code.
``screen_stack`` (Textual 8.2.8)
    At login and logout one screen replaces all: ``replace_stack`` pushes it, then
    takes the screens under it out of the stack and removes them without resuming them
    (popping them one by one would resume, lay out and draw each on the way: the login
    screen under the OTP screen, a 60-100 ms stall). The first screen is also a child of
    the app itself and its "compose screen": it is unlinked from both, or it would stay
    alive for the app's life. The public way, a mode per session (``add_mode``,
    ``switch_mode``, ``remove_mode``), was tried for issue 14: ``switch_mode`` holds
    frames back 50 ms (``delay_update``) and resumes a new mode's screen twice (a second
    full restyle), and bench/login_lag.py went from a worst stall of ~40 ms to 140 ms
    (login median 27 -> 74 ms); a PageDown typed with the login was lost. Kept here.
``peeked_message`` (Textual 8.2.8)
    A message pump that peeked at its next message (to merge it with the one before)
    holds it outside its queue: ``message_queue_size`` does not count it.
    ``has_peeked_message`` tells the type-ahead (``ui/typeahead.py``) that such a node
    still has work, so the next key waits for it.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.widgets import Input  # on the way to the first paint anyway (the login)

HOOKS = ("wide_char_chops", "border_glyphs", "instance_bindings", "drawn_text",
         "hover_cursor", "batch_end", "deferred_frame", "frame_requests", "dispatch_guard",
         "last_resort", "css_ahead", "fast_table", "screen_stack", "peeked_message")
#: hook -> the Textual function it replaced
_originals: dict[str, Any] = {}


def _chops_keeping_wide_chars(self: Any, crop: Any, is_rendered_line: Callable[[int], bool]
                              ) -> list[dict[int, Any]]:
    """``Compositor._render_chops`` that never splits the characters of the widget in
    front (see the module docstring). Same contract as Textual 8.2.8's: one dict per line,
    cut -> Strip, painted front to back (the first render to claim a bucket wins)."""
    from textual.strip import Strip

    empty = Strip([], 0)
    cuts = self.cuts
    chops: list[dict[int, Any]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
    for region, clip, strips in self._get_renders(crop):
        render_region = region.intersection(clip)
        render_x = render_region.x
        first_cut, last_cut = render_region.column_span
        for y, strip in zip(render_region.line_range, strips):
            if not is_rendered_line(y):
                continue
            line = chops[y]
            final_cuts = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
            buckets = final_cuts[:-1]
            if not buckets:
                continue
            wins = [line.get(cut) is None for cut in buckets]
            if not any(wins):
                continue
            # runs of buckets with the same owner: divide only between runs
            starts = [i for i in range(len(buckets)) if i == 0 or wins[i] != wins[i - 1]]
            ends = starts[1:] + [len(buckets)]
            bounds = [final_cuts[end] - render_x for end in ends]
            for start, end, piece in zip(starts, ends, strip.divide(bounds)):
                if not wins[start]:
                    continue
                line[buckets[start]] = piece
                for index in range(start + 1, end):
                    line[buckets[index]] = empty
    return chops


def border_tables() -> tuple[dict[str, Any], dict[str, Any]]:
    """Hook ``border_glyphs``: Textual's border characters and their locations, by
    border style (changed in place by ``ui/glyphs.py``; call ``refresh_borders`` after)."""
    from textual import _border

    return _border.BORDER_CHARS, _border.BORDER_LOCATIONS


def refresh_borders() -> None:
    """Hook ``border_glyphs``: forget the boxes Textual drew with the old tables."""
    from textual import _border

    _border.get_box.cache_clear()


def replace_bindings(node: Any, change: Callable[[Any], Any]) -> None:
    """Hook ``instance_bindings``: every binding ``b`` of this node (only) becomes
    ``change(b)``."""
    bindings = node._bindings
    bindings.key_to_bindings = {
        key: [change(b) for b in items] for key, items in bindings.key_to_bindings.items()
    }


def add_binding(node: Any, binding: Any) -> None:
    """Hook ``instance_bindings``: bind one more key on this node only."""
    node._bindings._add_binding(binding)


class StarPasswordInput(Input):
    """Hook ``drawn_text``: an Input that draws a password as ``*``."""

    @property
    def _value(self) -> Text:  # Textual 8.2.8: the text the field draws
        if self.password:
            return Text("*" * len(self.value), no_wrap=True, overflow="ignore", end="")
        return super()._value


def _mark_checkbox() -> type:
    """``MarkCheckbox``, made on first use: Checkbox stays off the first paint's path."""
    from textual.content import Content
    from textual.widgets import Checkbox

    class MarkCheckbox(Checkbox):
        """Hook ``drawn_text``: ``[X] label`` when on, ``[ ] label`` when off."""

        @property
        def _button(self) -> Content:  # Textual 8.2.8: the toggle's box
            style = self.get_visual_style("toggle--button")
            return Content.assemble(("[", style), ("X" if self.value else " ", style),
                                    ("]", style))

    return MarkCheckbox


def __getattr__(name: str) -> Any:
    if name == "MarkCheckbox":
        cls = _mark_checkbox()
        globals()[name] = cls
        return cls
    raise AttributeError(name)


def hide_hover_cursor(table: Any) -> None:
    """Hook ``hover_cursor``: no hover highlight until the mouse moves again."""
    table._set_hover_cursor(False)


def _partial_update_with_piece_ends(self: Any) -> Any:
    """``Compositor.render_partial_update`` whose chop ends are where each piece ends
    (a merged piece ends past the next cut; an empty placeholder ends where it starts)."""
    update = _originals["partial_update"](self)
    if update is None:
        return None
    for y, line in enumerate(update.chops):
        ends = update.chop_ends[y]
        update.chop_ends[y] = [
            x + strip.cell_length if strip is not None else end
            for end, (x, strip) in zip(ends, line.items())
        ]
    return update


def batching(app: Any) -> bool:
    """Hook ``batch_end``: is an ``App.batch_update`` held (frames would be thrown away)?"""
    return bool(getattr(app, "_batch_count", 0))


def when_unbatched(app: Any, callback: Callable[[], Any]) -> None:
    """Hook ``batch_end``: ``callback()`` once no batch is held (at once if none is)."""
    if not batching(app):
        callback()
        return
    app.__dict__.setdefault("_compat_unbatched", []).append(callback)


def _display_noting_drops(self: Any, screen: Any, renderable: Any) -> None:
    if renderable is not None and self._batch_count:
        self.__dict__["_compat_dropped_frame"] = True
    _originals["display"](self, screen, renderable)


def _end_batch_waking_the_screen(self: Any) -> None:
    _originals["end_batch"](self)
    if self._batch_count:
        return
    callbacks = self.__dict__.pop("_compat_unbatched", ())
    dropped = self.__dict__.pop("_compat_dropped_frame", False)
    try:
        screen = self.screen
    except Exception:  # noqa: BLE001 - no screen (the app is starting or ending)
        screen = None
    if screen is not None and screen.is_attached:
        if dropped:
            screen.refresh()
        screen.check_idle()  # its repaints asked for during the batch
    for callback in callbacks:
        try:
            callback()
        except Exception as exc:  # noqa: BLE001 - reported as any unexpected error
            report = getattr(self, "report_unexpected", None)
            if report is None:
                raise
            report(exc, where=getattr(callback, "__qualname__", repr(callback)))


def draw_frame(screen: Any, render: Callable[[], Any]) -> None:
    """Hook ``deferred_frame``: ``render()`` (Textual's ``Screen._compositor_refresh``)
    after the repaints widgets asked for since the last update are in the compositor."""
    dirty = screen._dirty_widgets
    if dirty:
        screen._compositor.update_widgets(dirty)
    render()


class FrameControl:
    """Hook ``frame_requests``: a Screen mixin (before ``Screen`` in the bases) through
    which every frame Textual asks for passes; override ``frame_requested``."""

    _in_layout = False

    def _refresh_layout(self, *args: Any, **kwargs: Any) -> None:
        self._in_layout = True
        try:
            super()._refresh_layout(*args, **kwargs)
        finally:
            self._in_layout = False

    def _compositor_refresh(self) -> None:
        self.frame_requested(self._in_layout)

    def frame_requested(self, in_layout: bool) -> None:
        """Textual asks for a frame (``in_layout``: right after laying the screen out).
        The default draws it at once, as Textual does."""
        self.draw_frame_now()

    def draw_frame_now(self) -> None:
        """Render what changed and hand it to the terminal (with the repaints widgets
        asked for since the last update: hook ``deferred_frame``)."""
        draw_frame(self, super()._compositor_refresh)


class GuardedDispatch:
    """Hook ``dispatch_guard``: a mixin for a Textual node (App, Screen, Widget)."""

    async def _dispatch_message(self, message: Any) -> Any:
        try:
            return await super()._dispatch_message(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - handed to dispatch_failed
            self.dispatch_failed(exc, message)
            return None

    def dispatch_failed(self, error: Exception, message: Any) -> None:
        """A handler of this node raised ``error`` for ``message``. Re-raises by default."""
        raise error


class LastResort:
    """Hook ``last_resort``: a mixin for the App."""

    def _handle_exception(self, error: Exception) -> None:
        super()._handle_exception(self.fatal_error(error))

    def fatal_error(self, error: Exception) -> Exception:
        """The error Textual shows as it ends the app, for ``error``."""
        return error


#: the CSS files parsed by ``parse_css_ahead``: location -> (text, variables, rules)
_css_ahead: dict[tuple[str, str], tuple[str, dict, list]] = {}


def parse_css_ahead(app: Any, path: Any) -> None:
    """Hook ``css_ahead``: parse the CSS file ``path`` with the app's theme variables
    now (call it from a worker thread), for ``add_screen_css``."""
    from pathlib import Path

    from textual.css.stylesheet import Stylesheet

    key = (str(path), "")
    variables = app.stylesheet._variables
    css = Path(path).read_text(encoding="utf-8")
    ahead = _css_ahead.get(key)
    if ahead is not None and ahead[:2] == (css, variables):
        return
    variables = dict(variables)
    _css_ahead[key] = (css, variables, Stylesheet(variables=variables)._parse_rules(css, key))


def add_screen_css(screen: Any) -> None:
    """Hook ``css_ahead``: give the app's stylesheet the screen's ``CSS_PATH`` files,
    each parsed alone (from ``parse_css_ahead`` when it did so with the same text and
    variables)."""
    from pathlib import Path

    from textual.css.stylesheet import CssSource

    stylesheet = screen.app.stylesheet
    for path in screen.css_path:
        key = (str(path), "")
        if key in stylesheet.source:
            continue
        css = Path(path).read_text(encoding="utf-8")
        ahead = _css_ahead.get(key)
        if ahead is not None and ahead[:2] == (css, stylesheet._variables):
            # the cache key of Stylesheet._parse_rules (css, location, defaults,
            # tie-breaker, scope); rules depend only on the text and the variables
            stylesheet._parse_cache[(css, key, False, 0, "")] = ahead[2]
        stylesheet.source[key] = CssSource(css, False, 0, "")
        stylesheet._require_parse = True
        stylesheet._rules_map = None


def unlink_lru(cache: Any) -> None:
    """Break the links of a textual.cache.LRUCache's entries (``[prev, next, key,
    value]`` lists in a ring) so that clearing it leaves no reference cycle."""
    entries = getattr(cache, "_cache", None)
    if isinstance(entries, dict):
        for entry in entries.values():
            if isinstance(entry, list):
                entry.clear()


def fit_columns(table: Any) -> None:
    """Hook ``fast_table``: the column widths of any DataTable for the rows now in it,
    at once. DataTable measures new rows at its next idle; a frame (or a test's look at
    the screen) before that idle showed every column at its header's width."""
    table._update_dimensions(list(table.rows))


class FastTableRendering:
    """Hook ``fast_table``: a mixin for a ``DataTable`` subclass (before it in the bases)."""

    def _clear_caches(self) -> None:
        """DataTable's render caches are Textual LRUCaches: rings of linked lists, which
        ``clear()`` drops whole, as reference cycles. Every page (table.clear()) left its
        rows, cells and lines (~5,000 objects a page of 100) for Python's full garbage
        collection, which then ran every few pages and took 35-60 ms (bench/tui_paging.py).
        Unlinked first, they are freed at once."""
        for cache in (self._row_render_cache, self._cell_render_cache,
                      self._row_renderable_cache, self._line_cache, self._offset_cache,
                      self._ordered_row_cache):
            unlink_lru(cache)
        super()._clear_caches()

    # ------------------------------------------------------------- rendering
    # DataTable asks for its own style and the header / zebra-row component styles on
    # every line (about 50 us each, three or four a line: ~5 ms a frame of 23 lines).
    # Within one render_lines call they cannot change, so they are looked up once.
    _frame_styles: dict[str, Style] | None = None

    def render_lines(self, crop):
        self._frame_styles = {}
        try:
            return super().render_lines(crop)
        finally:
            self._frame_styles = None

    def _frame_style(self, name: str) -> Style:
        """``get_component_styles(name).rich_style`` (``""``: the widget's ``rich_style``),
        once per render_lines call."""
        memo = self._frame_styles
        style = memo.get(name) if memo is not None else None
        if style is None:
            style = self.get_component_styles(name).rich_style if name else self.rich_style
            if memo is not None:
                memo[name] = style
        return style

    def render_line(self, y: int):
        """DataTable.render_line, with the widget's style looked up once a frame."""
        if self.fixed_rows:
            return super().render_line(y)
        scroll_x, scroll_y = self.scroll_offset
        if y >= (self.get_row_height(self._header_row_key) if self.show_header else 0):
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + self.size.width, self._frame_style(""))

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        if row_index == -1:
            return self._frame_style("datatable--header")
        if row_index < self.fixed_rows:
            return self._frame_style("datatable--fixed")
        if self.zebra_stripes:
            return self._frame_style("datatable--odd-row" if row_index % 2
                                     else "datatable--even-row")
        return base_style

    def _render_line_in_row(self, row_key, line_no: int, base_style: Style, cursor_location,
                            hover_location):
        """DataTable._render_line_in_row for a row cursor without row labels or fixed
        columns (this table): the same segments, without the per-line style lookups it
        does for labels and fixed columns. Anything else goes to DataTable's code."""
        if (self.cursor_type != "row" or self.fixed_columns
                or (self._labelled_row_exists and self.show_row_labels)):
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location,
                                               hover_location)
        cache_key = (row_key, line_no, base_style, cursor_location, hover_location,
                     self.cursor_type, self.show_cursor, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)
        cached = self._row_render_cache.get(cache_key)
        if cached is not None:
            return cached
        row_index = self._row_locations.get(row_key) if row_key in self._row_locations else -1
        row_style = self._get_row_style(row_index, base_style)
        cursor = cursor_location.row == row_index
        hover = hover_location.row == row_index
        scrollable_row = []
        table_width = self._row_label_column_width
        for column_index, column in enumerate(self.ordered_columns):
            width = column.get_render_width(self)
            table_width += width
            scrollable_row.append(self._render_cell(row_index, column_index, row_style, width,
                                                    cursor=cursor, hover=hover)[line_no])
        extend_style, _ = self._get_styles_to_render_cell(
            row_index == -1, False, False, hover, cursor, self.show_cursor,
            self._show_hover_cursor, False, False)
        extend_style = row_style + extend_style + Style.from_meta(
            {"row": row_index, "column": 0, "out_of_bounds": True})
        scrollable_row.append([Segment(" " * max(0, self.size.width - table_width),
                                       extend_style)])
        row_pair = ([], scrollable_row)
        self._row_render_cache[cache_key] = row_pair
        return row_pair

    def fit_columns(self) -> None:
        """Column widths for the rows now in the table, at once (``fit_columns``):
        「SO-00008」 was shown for SO-00008-0 before DataTable's next idle."""
        fit_columns(self)

    def _update_dimensions(self, new_rows) -> None:
        """DataTable's column widths and virtual size after rows were added, measuring
        our one-line Text cells by their cell length (Rich's measure costs ~30 us a cell:
        20+ ms for a page of 100). Anything else goes to DataTable's own code."""
        indexes = []
        for row_key in new_rows:
            row_index = self._row_locations.get(row_key)
            if row_index is None:
                continue
            row = self.rows.get(row_key)
            if row is None or row.label is not None or row.auto_height:
                super()._update_dimensions(new_rows)
                return
            indexes.append(row_index)
        measured: list[tuple[Any, int]] = []
        for row_index in indexes:
            for column, cell in zip(self.ordered_columns, self._get_row_renderables(row_index)[1]):
                if not isinstance(cell, Text) or "\n" in cell.plain or "\t" in cell.plain:
                    super()._update_dimensions(new_rows)
                    return
                measured.append((column, cell_len(cell.plain)))
        for column, width in measured:
            if width > column.content_width:
                column.content_width = width
        data_cells_width = sum(column.get_render_width(self) for column in self.columns.values())
        header_height = self.header_height if self.show_header else 0
        self.virtual_size = Size(data_cells_width + self._row_label_column_width,
                                 self._total_row_height + header_height)
        # Decide the scrollbars now, not in the coming layout pass: there a new one (a
        # page of 50 after one of 20) would ask for a second layout and a second frame.
        self._refresh_scrollbars()

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False):
        """DataTable's cell renderer without Rich's layout engine, for our one-line
        cells (a Text with one style, no spans): the same segments, about ten times
        faster (Rich's render_lines costs ~0.3 ms a cell: 20+ ms a page).

        Relies on DataTable internals of Textual 8.2 (pinned); anything unusual (row
        labels, multi-line or styled-span cells) goes to DataTable's own renderer, and a
        test compares both renderers line by line."""
        if column_index < 0 or row_index >= 0 and self.fixed_rows + self.fixed_columns:
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)
        is_header = row_index == -1
        row_key = (self._header_row_key if is_header
                   else self._row_locations.get_key(row_index))
        column_key = self._column_locations.get_key(column_index)
        cache_key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)
        cached = self._cell_render_cache.get(cache_key)
        if cached is not None:
            return cached
        if is_header:
            cell = self.ordered_columns[column_index].label
            height = self.header_height
        else:
            row = self.rows[row_key]
            height = row.height
            cell = self._get_row_renderables(row_index)[1][column_index]
        if not isinstance(cell, Text) or height != 1 or cell.spans or "\n" in cell.plain:
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)
        component_style, post_style = self._get_styles_to_render_cell(
            is_header, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        pre = base_style + Style.from_meta({"row": row_index, "column": column_index}) \
            + component_style
        text_style = cell.style if isinstance(cell.style, Style) else Style.parse(
            cell.style or "none")
        pad = self.cell_padding
        inner = max(0, width - 2 * pad)
        plain = cell.plain
        used = cell_len(plain)
        if used > inner:
            plain = set_cell_size(plain, inner)
            used = inner
        gap = inner - used
        left = gap if cell.justify == "right" else gap // 2 if cell.justify == "center" else 0
        blank = pre + post_style
        segments = [Segment(" " * (pad + left), blank),
                    Segment(plain, pre + text_style + post_style),
                    Segment(" " * (gap - left + pad), blank)]
        lines = [[segment for segment in segments if segment.text]]
        self._cell_render_cache[cache_key] = lines
        return lines


def replace_stack(app: Any, screen: Any) -> None:
    """Hook ``screen_stack``: ``screen`` becomes the only screen of the app's stack."""
    stack = app._screen_stack  # the current mode's stack
    under = list(stack)
    app.push_screen(screen)
    del stack[:-1]
    for old in reversed(under):
        if old._result_callbacks:
            old._pop_result_callback()
        app.call_later(app._replace_screen, old)
        if old is app._compose_screen:
            app._nodes._remove(old)
            app._compose_screen = None


def has_peeked_message(node: Any) -> bool:
    """Hook ``peeked_message``: does ``node`` hold a message it peeked at?"""
    return getattr(node, "_pending_message", None) is not None


def install() -> None:
    """Install every hook (idempotent). Called once, when the app is made."""
    if "end_batch" not in _originals:
        from textual.app import App

        _originals["end_batch"] = App.__dict__["_end_batch"]
        _originals["display"] = App.__dict__["_display"]
        App._end_batch = _end_batch_waking_the_screen
        App._display = _display_noting_drops
    if "wide_char_chops" not in _originals:
        from textual._compositor import Compositor

        _originals["wide_char_chops"] = Compositor.__dict__.get("_render_chops")
        _originals["partial_update"] = Compositor.__dict__.get("render_partial_update")
        Compositor._render_chops = _chops_keeping_wide_chars
        Compositor.render_partial_update = (
            _partial_update_with_piece_ends)


def check_hooks() -> list[str]:
    """The hooks whose Textual internals are missing or changed shape: [] when all hold."""
    import inspect

    broken: list[str] = []
    try:
        from textual._compositor import Compositor

        original = _originals.get("wide_char_chops", Compositor.__dict__.get("_render_chops"))
        params = list(inspect.signature(original).parameters) if original else []
        if params != ["self", "crop", "is_rendered_line"]:
            broken.append("wide_char_chops: Compositor._render_chops(self, crop, "
                          f"is_rendered_line) expected, found {params}")
        for name in ("cuts", "_get_renders", "render_partial_update"):
            if not hasattr(Compositor, name):
                broken.append(f"wide_char_chops: Compositor.{name} is gone")
        from textual._compositor import ChopsUpdate

        params = list(inspect.signature(ChopsUpdate.__init__).parameters)
        if params != ["self", "chops", "spans", "chop_ends"]:
            broken.append(f"wide_char_chops: ChopsUpdate(chops, spans, chop_ends) expected, "
                          f"found {params}")
    except ImportError as exc:
        broken.append(f"wide_char_chops: {exc}")
    try:
        from textual import _border

        chars, locations = _border.BORDER_CHARS, _border.BORDER_LOCATIONS
        for name in ("ascii", "double", "thick", "tall", "round"):
            if name not in chars or name not in locations:
                broken.append(f"border_glyphs: no border style {name!r} in textual._border")
        rows = chars.get("ascii", ())
        if len(rows) != 3 or any(len(row) != 3 for row in rows):
            broken.append("border_glyphs: BORDER_CHARS rows are no longer 3 x 3")
        if not callable(getattr(_border.get_box, "cache_clear", None)):
            broken.append("border_glyphs: textual._border.get_box has no cache_clear")
    except (ImportError, AttributeError) as exc:
        broken.append(f"border_glyphs: {exc}")
    try:
        from textual.binding import Binding
        from textual.widget import Widget

        class _Probe(Widget):
            BINDINGS = [Binding("x", "probe", "probe", id="probe")]

        probe = _Probe()
        replace_bindings(probe, lambda b: b)
        add_binding(probe, Binding("y", "probe", "probe"))
        keys = set(probe._bindings.key_to_bindings)
        if keys != {"x", "y"}:
            broken.append(f"instance_bindings: the node's bindings hold {keys}")
    except Exception as exc:  # noqa: BLE001 - any change of shape is a broken hook
        broken.append(f"instance_bindings: {type(exc).__name__}: {exc}")
    from textual.widgets import Checkbox, DataTable

    for cls, name in ((Input, "_value"), (Checkbox, "_button")):
        member = next((vars(base).get(name) for base in cls.__mro__ if name in vars(base)), None)
        if not isinstance(member, property):
            broken.append(f"drawn_text: {cls.__name__}.{name} is no longer a property")
    if not callable(getattr(DataTable, "_set_hover_cursor", None)):
        broken.append("hover_cursor: DataTable._set_hover_cursor is gone")
    from textual.app import App
    from textual.screen import Screen

    end_batch = _originals.get("end_batch", App.__dict__.get("_end_batch"))
    display = _originals.get("display", App.__dict__.get("_display"))
    if end_batch is None or list(inspect.signature(end_batch).parameters) != ["self"]:
        broken.append("batch_end: App._end_batch(self) is gone or changed")
    if display is None or list(inspect.signature(display).parameters) != [
            "self", "screen", "renderable"]:
        broken.append("batch_end: App._display(self, screen, renderable) is gone or changed")
    if "self._batch_count += 1" not in inspect.getsource(App._begin_batch):
        broken.append("batch_end: App._batch_count is no longer the batch counter")
    if "_batch_count" not in inspect.getsource(Screen._on_idle):
        broken.append("batch_end: Screen._on_idle no longer skips its turn in a batch "
                      "(the hook may be unneeded)")
    from textual._compositor import Compositor as _Compositor

    if not isinstance(getattr(Screen(), "_dirty_widgets", None), set):
        broken.append("deferred_frame: Screen._dirty_widgets is no longer a set")
    if not callable(getattr(_Compositor, "update_widgets", None)):
        broken.append("deferred_frame: Compositor.update_widgets is gone")
    for cls, name, params in (
            (Screen, "_refresh_layout", ["self", "size", "scroll"]),
            (Screen, "_compositor_refresh", ["self"])):
        method = getattr(cls, name, None)
        if method is None or list(inspect.signature(method).parameters) != params:
            broken.append(f"frame_requests: {cls.__name__}.{name}({', '.join(params)}) "
                          "is gone or changed")
    if "_compositor_refresh()" not in inspect.getsource(Screen._refresh_layout):
        broken.append("frame_requests: Screen._refresh_layout no longer asks for its frame "
                      "through _compositor_refresh")
    from textual.message_pump import MessagePump

    dispatch = getattr(MessagePump, "_dispatch_message", None)
    if dispatch is None or list(inspect.signature(dispatch).parameters) != ["self", "message"]:
        broken.append("dispatch_guard: MessagePump._dispatch_message(self, message) is gone "
                      "or changed")
    handle = getattr(App, "_handle_exception", None)
    if handle is None or list(inspect.signature(handle).parameters) != ["self", "error"]:
        broken.append("last_resort: App._handle_exception(self, error) is gone or changed")
    from textual.css.stylesheet import CssSource, Stylesheet

    sheet = Stylesheet()
    parse = getattr(sheet, "_parse_rules", None)
    if parse is None or list(inspect.signature(parse).parameters)[:2] != ["css", "read_from"]:
        broken.append("css_ahead: Stylesheet._parse_rules(css, read_from, ...) is gone or "
                      "changed")
    for name, kind in (("_parse_cache", None), ("source", dict), ("_variables", dict),
                       ("_require_parse", bool)):
        if not hasattr(sheet, name) or (kind is not None
                                        and not isinstance(getattr(sheet, name), kind)):
            broken.append(f"css_ahead: Stylesheet.{name} is gone or changed")
    if "_rules_map" not in vars(sheet):
        broken.append("css_ahead: Stylesheet._rules_map is gone")
    if list(getattr(CssSource, "_fields", ())) != ["content", "is_defaults", "tie_breaker",
                                                     "scope"]:
        broken.append("css_ahead: CssSource(content, is_defaults, tie_breaker, scope) changed")
    if "_parse_cache" in vars(sheet) and "(css, read_from, is_default_rules, tie_breaker, " \
            "scope)" not in inspect.getsource(Stylesheet._parse_rules).replace("\n", " "):
        broken.append("css_ahead: Stylesheet._parse_rules no longer caches by "
                      "(css, read_from, is_default_rules, tie_breaker, scope)")
    from textual.screen import Screen as _Screen

    app_init = inspect.getsource(App.__init__)
    for name in ("_compose_screen", "_nodes"):
        if f"self.{name}" not in app_init and f"self.{name}" not in inspect.getsource(App):
            broken.append(f"screen_stack: App.{name} is gone")
    if not isinstance(getattr(App, "_screen_stack", None), property):
        broken.append("screen_stack: App._screen_stack is no longer a property")
    from textual._node_list import NodeList

    if not callable(getattr(NodeList, "_remove", None)):
        broken.append("screen_stack: NodeList._remove is gone")
    replace = getattr(App, "_replace_screen", None)
    if replace is None or list(inspect.signature(replace).parameters) != ["self", "screen"]:
        broken.append("screen_stack: App._replace_screen(self, screen) is gone or changed")
    probe_screen = _Screen()
    if not isinstance(getattr(probe_screen, "_result_callbacks", None), list) or not callable(
            getattr(probe_screen, "_pop_result_callback", None)):
        broken.append("screen_stack: Screen._result_callbacks / _pop_result_callback changed")
    from textual.message_pump import MessagePump as _Pump

    if "self._pending_message" not in inspect.getsource(_Pump.__init__) or \
            "self._pending_message" not in inspect.getsource(_Pump._peek_message):
        broken.append("peeked_message: MessagePump._pending_message is gone")
    table_methods = {
        "_clear_caches": ["self"],
        "_render_line": ["self", "y", "x1", "x2", "base_style"],
        "_get_row_style": ["self", "row_index", "base_style"],
        "_render_line_in_row": ["self", "row_key", "line_no", "base_style", "cursor_location",
                                "hover_location"],
        "_update_dimensions": ["self", "new_rows"],
        "_render_cell": ["self", "row_index", "column_index", "base_style", "width", "cursor",
                         "hover"],
        "_get_styles_to_render_cell": [
            "self", "is_header_cell", "is_row_label_cell", "is_fixed_style_cell", "hover",
            "cursor", "show_cursor", "show_hover_cursor", "has_css_foreground_priority",
            "has_css_background_priority"],
        "_get_row_renderables": ["self", "row_index"],
        "_refresh_scrollbars": ["self"],
    }
    for name, params in table_methods.items():
        method = getattr(DataTable, name, None)
        if method is None or list(inspect.signature(method).parameters) != params:
            broken.append(f"fast_table: DataTable.{name}({', '.join(params[1:])}) is gone or "
                          "changed")
    try:
        probe_table = DataTable()
        for name in ("_row_render_cache", "_cell_render_cache", "_row_renderable_cache",
                     "_line_cache", "_offset_cache", "_ordered_row_cache"):
            if not isinstance(getattr(getattr(probe_table, name, None), "_cache", None), dict):
                broken.append(f"fast_table: DataTable.{name} is no longer an LRUCache")
        for name in ("_row_locations", "_column_locations", "_header_row_key",
                     "_labelled_row_exists", "_show_hover_cursor", "_update_count",
                     "_pseudo_class_state", "_row_label_column_width", "_total_row_height"):
            if not hasattr(probe_table, name):
                broken.append(f"fast_table: DataTable.{name} is gone")
    except Exception as exc:  # noqa: BLE001 - any change of shape is a broken hook
        broken.append(f"fast_table: {type(exc).__name__}: {exc}")
    if "_dirty_widgets.clear()" not in inspect.getsource(Screen._compositor_refresh):
        broken.append("deferred_frame: Screen._compositor_refresh no longer forgets the "
                      "dirty widgets (the hook may be unneeded)")
    return broken
