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
    frame a few loop turns after their layout (``screens/otp.SteppedRefresh``, for the
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
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from rich.text import Text
from textual.widgets import Input  # on the way to the first paint anyway (the login)

HOOKS = ("wide_char_chops", "border_glyphs", "instance_bindings", "drawn_text",
         "hover_cursor", "batch_end", "deferred_frame", "frame_requests", "dispatch_guard",
         "last_resort", "css_ahead")
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
            super()._refresh_layout(*args, **kwargs)  # type: ignore[misc]
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
        draw_frame(self, super()._compositor_refresh)  # type: ignore[misc]


class GuardedDispatch:
    """Hook ``dispatch_guard``: a mixin for a Textual node (App, Screen, Widget)."""

    async def _dispatch_message(self, message: Any) -> Any:
        try:
            return await super()._dispatch_message(message)  # type: ignore[misc]
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
        super()._handle_exception(self.fatal_error(error))  # type: ignore[misc]

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


def install() -> None:
    """Install every hook (idempotent). Called once, when the app is made."""
    if "end_batch" not in _originals:
        from textual.app import App

        _originals["end_batch"] = App.__dict__["_end_batch"]
        _originals["display"] = App.__dict__["_display"]
        App._end_batch = _end_batch_waking_the_screen  # type: ignore[method-assign]
        App._display = _display_noting_drops  # type: ignore[method-assign]
    if "wide_char_chops" not in _originals:
        from textual._compositor import Compositor

        _originals["wide_char_chops"] = Compositor.__dict__.get("_render_chops")
        _originals["partial_update"] = Compositor.__dict__.get("render_partial_update")
        Compositor._render_chops = _chops_keeping_wide_chars  # type: ignore[method-assign]
        Compositor.render_partial_update = (  # type: ignore[method-assign]
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
    if "_dirty_widgets.clear()" not in inspect.getsource(Screen._compositor_refresh):
        broken.append("deferred_frame: Screen._compositor_refresh no longer forgets the "
                      "dirty widgets (the hook may be unneeded)")
    return broken
