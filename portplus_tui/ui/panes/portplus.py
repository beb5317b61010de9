"""ポートプラス (SPEC section 7, R-LST-1..5): the list of applications, laid out as the manual's
page, and its calendar view.

```
ポートプラス                                        [カレンダー] [ポートプラス新規申込]
[2021-02] [月検索]  [2021-02-21] - [2021-03-20] [期間検索]
表示数 [10] 件  [X] キャンセル済を表示  [検索]
 No.  申込番号    適用日              追加ポート数  申込者    申込日   キャンセル
 1    SO-03089-0  2021年3月17日(水)              1  様        ...      キャンセル
全 1 件中 1 ~ 1 件を表示                                   [キャンセル] [履歴] [CSV出力]
前へ  1  次へ
```

The table holds one page; the service pages in the database (keyset for next and
previous, the per-day counts for jumps). Keys: PageDown / PageUp the next / previous
page, Home / End the first / last page (outside text fields), Enter on a row its change
form, ``c`` or Delete its cancel dialog, ``h`` its history, ``n`` a new application,
``t`` cancelled rows shown / hidden, ``p`` the page size, ``v`` the calendar, ``e`` CSV
export, ``/`` the search fields, ``r`` reload.

Every service call runs in a thread worker (``app.run_service``); an answer that comes
after a newer request is dropped, so fast key presses never show an older page last.
"""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING, Callable

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.widgets import Button, Checkbox, ContentSwitcher, DataTable, Input, Select, Static

if TYPE_CHECKING:
    from textual.timer import Timer

from portplus_tui.core.calendar import parse_date, parse_month
from portplus_tui.core.errors import PortPlusError, ValidationError
from portplus_tui.ui.app_messages import PageRequested, RowAction
from portplus_tui.ui.host import host
from portplus_tui.ui.i18n import get_lang, t
from portplus_tui.ui.panes.base import MARK_SECONDS, Pane
from portplus_tui.ui.panes.portplus_common import (
    applied_day,
    cancel_cell,
    describe_day,
    fmt_applicant,
    fmt_date,
    why_not_modifiable,
)
from portplus_tui.ui.widgets.busy import hold_busy
from portplus_tui.ui.widgets.dates import DateInput, TextCheckbox
from portplus_tui.ui.widgets.month_calendar import MonthCalendar
from portplus_tui.ui.widgets.pager import Pager, update_line
from portplus_tui.ui.widgets.prose import Prose
from portplus_tui.ui.widgets.tables import ResultsTable

PAGE_SIZES = (10, 20, 50, 100)
#: a request that takes longer than this shows the loading indicator (seconds)
LOADING_DELAY = 0.15
#: columns of the table (catalogue keys)
COLUMNS = ("pp.col.no", "pp.col.number", "pp.col.apply_date", "pp.col.ports",
           "pp.col.applicant", "pp.col.applied", "pp.col.cancel")


class PortPlusPane(Pane):
    BINDINGS = [
        Binding("n", "new", "pp.key.new", key_display="N", id="portplus.new"),
        Binding("pagedown", "turn('next')", "pp.key.next", key_display="PgDn", id="portplus.next"),
        Binding("pageup", "turn('prev')", "pp.key.prev", key_display="PgUp", id="portplus.prev"),
        Binding("home", "turn('first')", "pp.key.first", key_display="Home", id="portplus.first"),
        Binding("end", "turn('last')", "pp.key.last", key_display="End", id="portplus.last"),
        Binding("t", "toggle_cancelled", "pp.key.toggle_cancelled", key_display="T",
                id="portplus.toggle_cancelled"),
        Binding("p", "cycle_page_size", "pp.key.page_size", key_display="P",
                id="portplus.page_size"),
        Binding("v", "toggle_view", "pp.key.calendar", key_display="V", id="portplus.calendar"),
        Binding("e", "export", "pp.key.export", key_display="E", id="portplus.export"),
        Binding("slash", "focus_search", "pp.key.search", key_display="/", id="portplus.search"),
        Binding("r", "reload", "pp.key.reload", key_display="R", id="portplus.reload"),
        Binding("escape", "back_to_list", "pp.key.back_to_list", key_display="Esc",
                id="portplus.back_to_list"),
    ]

    #: "list" (the table) or "calendar" (the month calendar); watch_view_mode shows it
    view_mode: var[str] = var("list", init=False)

    def __init__(self) -> None:
        super().__init__(id="pane-portplus")
        self.query_value = None  # services.applications.ListQuery of the list shown
        self.page = None  # services.applications.Page shown
        self.rows: list = []  # ApplicationView of the table's rows, in order
        self.company = None  # CompanyInfo (契約ポート数)
        self._seq = 0  # the latest list request; older answers are dropped
        self._answered = 0  # the latest request answered (or refused)
        # Live (issue 15): rows other sessions changed, marked until (monotonic time);
        # a change heard while a request of the user was on its way reads again after it
        self._marked: dict[int, float] = {}
        self._live_again = False
        self._keep_place = False  # the next page keeps the cursor's place, not row 0
        # Page keys pressed before the first page came (F3 PageDown in one burst): they
        # act, in order, once it has (R-UI-1).
        self._before_first: list[str] = []
        self._loading_timer: Timer | None = None
        self._release_busy: Callable[[], None] | None = None  # ends the busy look of the table or calendar
        self._pending_focus_id: int | None = None
        self._started = False
        self._size_wanted: int | None = None  # 表示数 asked for with p, until answered

    # ================================================================= layout
    def compose(self) -> ComposeResult:
        # Focus order is DOM order: the table comes first (Tab from the side menu lands
        # on it); the title bar and the search fields are docked on top, after it.
        with ContentSwitcher(initial="pp-list-view", id="pp-views"):
            with Vertical(id="pp-list-view"):
                table = ResultsTable(id="pp-table", cursor_type="row", zebra_stripes=True)
                for key in COLUMNS:
                    table.add_column(t(key), key=key)
                yield table
                yield Prose("", id="pp-summary", markup=False)
                with Horizontal(id="pp-statusbar"):
                    yield Pager("", id="pp-pager")
                    yield Button(t("pp.btn.cancel"), id="pp-cancel-btn", compact=True)
                    yield Button(t("pp.btn.history"), id="pp-history-btn", compact=True)
                    yield Button(t("pp.btn.export"), id="pp-export-btn", compact=True)
                with Vertical(id="pp-search"):
                    with Horizontal(classes="pp-bar", id="pp-bar-dates"):
                        yield DateInput(template="9999-99", id="pp-month", compact=True,
                                        placeholder="YYYY-MM")
                        yield Button(t("pp.btn.month_search"), id="pp-month-search",
                                     compact=True)
                        yield DateInput(id="pp-from", classes="pp-date", compact=True,
                                        placeholder="YYYY-MM-DD")
                        yield Prose("-", classes="pp-gap", markup=False)
                        yield DateInput(id="pp-to", classes="pp-date", compact=True,
                                        placeholder="YYYY-MM-DD")
                        yield Button(t("pp.btn.period_search"), id="pp-period-search",
                                     compact=True)
                    with Horizontal(classes="pp-bar", id="pp-bar-options"):
                        yield Prose(t("pp.page_size"), markup=False)
                        yield Select([(str(n), n) for n in PAGE_SIZES], value=10,
                                     allow_blank=False, id="pp-size", compact=True)
                        yield Prose(t("pp.page_size_unit"), markup=False)
                        yield TextCheckbox(t("pp.show_cancelled"), True,
                                           id="pp-show-cancelled", compact=True)
                        yield Button(t("pp.btn.search"), id="pp-search-btn", compact=True)
                    error = Prose("", id="pp-search-error", markup=False)
                    error.display = False
                    yield error
            with Vertical(id="pp-calendar-view"):
                yield MonthCalendar(id="pp-calendar")
                yield Prose("", id="pp-day", markup=False)
                yield Prose(t("pp.cal.legend"), id="pp-legend", markup=False)
        with Horizontal(id="pp-titlebar"):
            yield Prose(t("pp.title"), id="pp-title", markup=False)
            yield Button(t("pp.btn.calendar"), id="pp-calendar-btn", compact=True)
            yield Button(t("pp.btn.new"), id="pp-new", variant="primary", compact=True)

    def on_mount(self) -> None:
        self._last_focus = self.screen.focused
        self.watch(self.screen, "focused", self._focus_moved, init=False)

    def _focus_moved(self, focused) -> None:
        """Tab from outside the pane (the side menu) lands on the list, not on the first
        button above it (Textual orders focus by position); Shift+Tab from the list
        still reaches the search fields and buttons above it."""
        previous, self._last_focus = self._last_focus, focused
        if focused is None or previous is None or self.view_mode != "list":
            return
        inside = self in focused.ancestors
        came_from_outside = self not in previous.ancestors and previous is not self
        if inside and came_from_outside and focused.id == "pp-calendar-btn":
            self.query_one("#pp-table").focus()

    # ================================================================= pane protocol
    def refresh_data(self) -> None:
        """Each time the pane is shown: the first time the billing month of today,
        afterwards the current search again (others may have changed it)."""
        self.load_company()
        if not self._started:
            self._started = True
            self.open_initial()
        elif self.view_mode == "calendar":
            self.reload_calendar()
        else:
            self.action_reload()

    def run_command(self, action: str) -> None:
        if action == "new":
            self.action_new()

    def focus_target(self):
        return self.query_one("#pp-calendar" if self.view_mode == "calendar" else "#pp-table")

    # ================================================================= service plumbing
    def _call(self, call, done, *, failed=None, busy: bool = True) -> None:
        """Run a service call (ui/clients.py) in a worker; only the newest request's
        answer is shown."""
        self._seq += 1
        seq = self._seq
        if busy:
            self._start_loading()

        def on_done(result) -> None:
            if seq != self._seq:
                return
            self._answered = seq
            self._stop_loading()
            self._size_wanted = None
            done(result)
            self._live_after_request()

        def on_failed(exc: PortPlusError) -> None:
            if seq != self._seq:
                return
            self._answered = seq
            self._stop_loading()
            self._size_wanted = None
            (failed or self._show_search_error)(exc)
            self._live_after_request()

        host(self).run_service(self, call, done=on_done, failed=on_failed)

    def _start_loading(self) -> None:
        if self._loading_timer is not None:
            self._loading_timer.stop()
        self._loading_timer = self.set_timer(LOADING_DELAY, self._show_loading)

    def _show_loading(self) -> None:
        self._loading_timer = None
        if self._release_busy is not None:
            self._release_busy()
        target = "#pp-calendar" if self.view_mode == "calendar" else "#pp-table"
        self._release_busy = hold_busy(self.query_one(target))

    def _stop_loading(self) -> None:
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        if self._release_busy is not None:
            self._release_busy()
            self._release_busy = None

    def _show_search_error(self, exc: PortPlusError | str) -> None:
        text = exc if isinstance(exc, str) else exc.message(get_lang())
        field = {"start": "#pp-from", "end": "#pp-to", "month": "#pp-month"}.get(
            getattr(exc, "field", None) or "")
        if field is not None:  # (found by the service: the focus went to the list)
            self.query_one(field).focus()
        error = self.query_one("#pp-search-error", Static)
        if not text and not error.display:
            return  # nothing shown, nothing to clear (an update would lay out the screen)
        error.update(text)
        error.display = bool(text)

    def load_company(self) -> None:
        def done(info) -> None:
            self.company = info

        app = host(self)
        app.run_service(self, app.clients.company.info("portplus.company"), done=done,
                        failed=lambda exc: None)

    @property
    def contracted_ports(self) -> int | None:
        return self.company.ports if self.company is not None else None

    # ================================================================= searching
    def open_initial(self) -> None:
        def done(result) -> None:
            month, page = result
            self.query_one("#pp-month", Input).value = month
            self._show_page(page)

        self._call(self._calls.current_month(self._page_size()), done)

    @property
    def _calls(self):
        """The applications client (ui/clients.py)."""
        return host(self).clients.applications

    def _page_size(self) -> int:
        if self._size_wanted is not None:  # asked for with p, not shown yet
            return self._size_wanted
        value = self.query_one("#pp-size", Select).value
        return value if isinstance(value, int) else 10

    def _include_cancelled(self) -> bool:
        return self.query_one("#pp-show-cancelled", TextCheckbox).value

    SEARCH_IDS = frozenset({"pp-month", "pp-month-search", "pp-from", "pp-to",
                            "pp-period-search", "pp-size", "pp-show-cancelled", "pp-search-btn"})

    def _in_search(self) -> bool:
        """Whether the focus is in the search bar (月検索, 期間検索, 表示数, キャンセル済)."""
        focused = self.screen.focused
        return focused is not None and any(
            node.id in self.SEARCH_IDS for node in focused.ancestors_with_self)

    def _back_to_table(self) -> None:
        """After a search from the search bar, the list has the keyboard (issue 13,
        point 3): PageDown, Enter, c act on the rows found."""
        if self._in_search():
            self.query_one("#pp-table").focus()

    def search_month(self) -> None:
        text = self.query_one("#pp-month", Input).value.strip()
        try:
            parse_month(text)
        except ValidationError as exc:
            self._show_search_error(exc)
            self.query_one("#pp-month").focus()
            return
        self._back_to_table()
        self._call(self._calls.month(text, page_size=self._page_size(),
                                     include_cancelled=self._include_cancelled()),
                   self._show_page)

    def search_period(self) -> None:
        start = self.query_one("#pp-from", Input).value.strip()
        end = self.query_one("#pp-to", Input).value.strip()
        for widget_id, text, field in (("#pp-from", start, "start"), ("#pp-to", end, "end")):
            try:
                parse_date(text, field=field)
            except ValidationError as exc:
                self._show_search_error(exc)
                self.query_one(widget_id).focus()
                return
        self._back_to_table()
        size, include = self._page_size(), self._include_cancelled()
        self.run_query(lambda applications: applications.period_query(
            start, end, page_size=size, include_cancelled=include))

    def run_query(self, make_query, page: int = 1, focus_id: int | None = None) -> None:
        """List ``make_query(applications)`` (built in the worker) at page ``page``."""
        self._pending_focus_id = focus_id
        self._call(self._calls.list_page(make_query, page), self._show_page)

    def search_day(self, day: date) -> None:
        """The list of one 適用日 (from the calendar)."""
        self.query_one("#pp-from", Input).value = day.isoformat()
        self.query_one("#pp-to", Input).value = day.isoformat()
        self.search_period()

    # ================================================================= paging
    def action_turn(self, which: str) -> None:
        """PgDn, PgUp, Home, End (``which``: next, prev, first, last) and the pager's
        links. A key typed before the first page is kept and done after it."""
        page = self.page
        if self.view_mode != "list":
            return
        if page is None:
            self._before_first.append(which)
        elif which == "first":
            self.go_to_page(1)
        elif which == "last":
            self._call(self._calls.last_page(page.query), self._show_page)
        elif not (page.has_next if which == "next" else page.has_prev):
            self.app.bell()
        else:
            turn = self._calls.next_page if which == "next" else self._calls.prev_page
            self._call(turn(page), self._show_page)

    def go_to_page(self, number: int, query=None, focus_id: int | None = None) -> None:
        query = query or (self.page.query if self.page is not None else None)
        if query is None:
            return
        self._pending_focus_id = focus_id
        self._call(self._calls.page(query, number), self._show_page)

    def action_reload(self) -> None:
        if self.page is None:
            self.open_initial()
        else:
            self.go_to_page(self.page.page, focus_id=self._current_id())

    def set_page_size(self, size: int, *, always: bool = False) -> None:
        """A new 表示数: the page that holds the current first row (``always``: even if
        the page shown has that size, to supersede a request still on its way)."""
        page = self.page
        if page is None or page.query.page_size == size and not always:
            return
        first = page.first_index or 1
        number = (first - 1) // size + 1
        self.go_to_page(number, query=page.query.with_page_size(size))

    def action_cycle_page_size(self) -> None:
        current = self._page_size()
        size = PAGE_SIZES[(PAGE_SIZES.index(current) + 1) % len(PAGE_SIZES)] \
            if current in PAGE_SIZES else 10
        # The request starts now (not from the Select's Changed message), and the Select
        # shows the new size with the page (_show_page): changed now, it would be laid
        # out and painted alone first, and Textual's screen timer then waits 17-33 ms
        # more before the frame with the page. Until then _page_size() gives this one.
        pending = self._size_wanted is not None  # an earlier p still on its way
        self._size_wanted = size
        self.set_page_size(size, always=pending)

    def action_toggle_cancelled(self) -> None:
        box = self.query_one("#pp-show-cancelled", TextCheckbox)
        box.value = not box.value

    def _apply_cancelled_toggle(self, include: bool) -> None:
        page = self.page
        if page is None or page.query.include_cancelled == include:
            return
        from dataclasses import replace

        query = replace(page.query, include_cancelled=include)
        self.go_to_page(1, query=query)

    # ================================================================= showing
    def _show_page(self, page, *, live: bool = False) -> None:
        """Show ``page``. ``live``: read again for another session's change; the
        search fields keep what is being typed in them."""
        if not live:
            self._show_search_error("")
            self._show_query(page.query)
        self.page = page
        self.rows = list(page.rows)
        q = page.query
        table = self.query_one("#pp-table", ResultsTable)
        keep = self._pending_focus_id
        self._pending_focus_id = None
        cursor = min(table.cursor_row, len(self.rows) - 1)
        if keep is not None and not self._keep_place:
            cursor = 0
        self._keep_place = False
        marked = self._live_marks()
        table.clear()
        wide = self.size.width >= 100
        for index, view in enumerate(self.rows):
            applied = applied_day(view.applied_at)
            number = str(page.first_index + index)
            table.add_row(
                # a row another session changed: "*" (reads with NO_COLOR) and reversed
                Text(f"{t('live.changed_mark')}{number}", justify="right", style="reverse")
                if view.id in marked else Text(number, justify="right"),
                Text(view.number, style="underline" if view.can_modify else ""),
                Text(fmt_date(view.apply_date)),
                Text(str(view.ports), justify="right"),
                Text(fmt_applicant(view.applicant)),
                # As the manual (2021年2月26日(金)) where the pane is 100 columns wide;
                # narrower (120x36 with the side menu), 2021-02-26, or the キャンセル
                # column would no longer fit (README: choices).
                Text(fmt_date(applied) if wide else applied.isoformat()),
                cancel_cell(view),
                key=str(view.id),
            )
            if keep is not None and view.id == keep:
                cursor = index
        table.fit_columns()
        if self.rows:
            table.move_cursor(row=max(0, cursor), animate=False)
        if page.total:
            summary = t("pp.summary", total=page.total, first=page.first_index,
                        last=page.last_index)
        else:
            summary = t("pp.summary_empty")
        summary += "  " + t("pp.period", start=fmt_date(q.start), end=fmt_date(q.end))
        if not q.include_cancelled:
            summary += "  " + t("pp.cancelled_hidden")
        line = self.query_one("#pp-summary", Static)
        if marked & {view.id for view in self.rows}:
            # what the "*" means, where the line has room (at 80 columns it has not: the
            # line keeps its one row, and the row's "*" and reverse still show)
            note = "  " + t("live.changed_note")
            if cell_len(summary + note) < line.content_size.width:
                summary += note
        update_line(line, summary, summary)
        self.query_one("#pp-pager", Pager).show_page(page)
        pending, self._before_first = self._before_first, []
        if pending:
            # Page keys typed before the first page: the first one now (the next ones
            # after the page it loads, as if typed then).
            self._before_first = pending[1:]
            self.action_turn(pending[0])

    def _show_query(self, q) -> None:
        """The search fields, 表示数 and キャンセルも表示 as the query of the page."""
        for widget_id, value in (("#pp-from", q.start), ("#pp-to", q.end)):
            field = self.query_one(widget_id, Input)
            if field.value != value.isoformat():  # (a change restyles the field)
                field.value = value.isoformat()
        size = self.query_one("#pp-size", Select)
        if size.value != q.page_size:
            with size.prevent(Select.Changed):
                size.value = q.page_size
        box = self.query_one("#pp-show-cancelled", TextCheckbox)
        if box.value != q.include_cancelled:
            with box.prevent(TextCheckbox.Changed):
                box.value = q.include_cancelled

    # ================================================================= live (issue 15)
    LIVE_KINDS = frozenset({"application", "closed_day", "company"})

    def live_changed(self, changes: list) -> None:
        """Another session committed: the page (or month) on screen is read again,
        keeping the page, the cursor's row (its place, when the row left the page) and
        what is typed in the search fields; the applications it changed are marked for
        ``MARK_SECONDS``."""
        kinds = {change.kind for change in changes}
        if not kinds & (self.LIVE_KINDS | {"reset"}):
            return
        until = time.monotonic() + MARK_SECONDS
        for change in changes:
            if change.kind == "application" and change.item_id is not None:
                self._marked[change.item_id] = until
        if kinds & {"company", "reset"}:
            self.load_company()
        if self.view_mode == "calendar":
            self.reload_calendar()
        elif self.page is not None:
            if self._answered != self._seq:
                self._live_again = True  # after the request on its way (a key's)
            else:
                self._live_reload()
        if self._marked:
            self.set_timer(MARK_SECONDS + 0.1, self._unmark)

    def _live_after_request(self) -> None:
        if self._live_again and self._answered == self._seq:
            self._live_again = False
            self._live_reload()

    def _live_reload(self) -> None:
        page = self.page
        if page is None or self.view_mode != "list":
            return
        self._pending_focus_id = self._current_id()
        self._keep_place = True
        self._call(self._calls.page(page.query, page.page),
                   lambda fresh: self._show_page(fresh, live=True), busy=False)

    def _live_marks(self) -> set[int]:
        now = time.monotonic()
        self._marked = {key: until for key, until in self._marked.items() if until > now}
        return set(self._marked)

    def _unmark(self) -> None:
        """The marks are over: the rows again without them (not read again)."""
        if self.page is not None and self.view_mode == "list" and self._answered == self._seq:
            self._pending_focus_id = self._current_id()
            self._keep_place = True
            self._show_page(self.page, live=True)

    def _current_id(self) -> int | None:
        view = self.current_row()
        return view.id if view is not None else None

    def current_row(self):
        table = self.query_one("#pp-table", ResultsTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # ================================================================= rows
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "pp-table":
            return
        event.stop()
        self.row_action("change")

    def _copy(self, view, *, whole_row: bool) -> None:
        """The row's 申込番号 (``y``), or the whole row as tab-separated text in the
        export's format (``Shift+Y``), to the clipboard: OSC 52, which the terminal
        takes, over SSH too (and the browser, under textual-serve). Terminals that do
        not take OSC 52 ignore it; the notification says what was sent."""
        from portplus_tui.services.applications import export_cells

        if whole_row:
            text = "\t".join(str(cell) for cell in export_cells(view))
            message = t("pp.copied_row", number=view.number)
        else:
            text = view.number
            message = t("pp.copied", number=view.number)
        self.app.copy_to_clipboard(text)
        self.app.notify(message, markup=False, timeout=4)

    def on_row_action(self, message: RowAction) -> None:
        message.stop()
        self.row_action(message.action)

    def on_page_requested(self, message: PageRequested) -> None:
        message.stop()
        if message.which == "ahead":
            if self.page is not None:
                self.go_to_page(self.page.page + message.number)
        else:
            self.action_turn(message.which)

    def row_action(self, what: str) -> None:
        view = self.current_row()
        if view is None:
            self.app.notify(t("pp.no_row"), severity="warning", markup=False)
            return
        if what in ("copy", "copy_row"):
            self._copy(view, whole_row=what == "copy_row")
            return
        if what == "history":
            from portplus_tui.ui.screens.portplus_dialogs import HistoryModal

            self.app.push_screen(HistoryModal(view))
            return
        if not view.can_modify:
            self.app.notify(why_not_modifiable(view), severity="warning", markup=False, timeout=8)
            return
        if what == "cancel":
            from portplus_tui.ui.screens.portplus_dialogs import CancelModal

            self.app.push_screen(CancelModal(view, self.contracted_ports), self._after_cancel)
        elif what == "change":
            from portplus_tui.ui.screens.application_form import ApplicationFormScreen

            self.app.push_screen(ApplicationFormScreen(
                "change", view=view, contracted_ports=self.contracted_ports), self._after_form)

    def action_new(self, day: date | None = None) -> None:
        from portplus_tui.ui.screens.application_form import ApplicationFormScreen

        session = host(self).session
        self.app.push_screen(ApplicationFormScreen(
            "new", applicant=session.name if session else "", apply_date=day,
            contracted_ports=self.contracted_ports), self._after_form)

    def _after_cancel(self, result) -> None:
        if result is None:
            return
        focus = result.id if not isinstance(result, str) else self._current_id()
        if self.page is not None:
            self.go_to_page(self.page.page, focus_id=focus)

    def _after_form(self, saved) -> None:
        """Back from a form: show the saved application (its page, its search if the
        period shown does not hold it), or reload the page."""
        if self.view_mode == "calendar":
            self.reload_calendar()
            if saved is not None:
                self.query_one("#pp-calendar", MonthCalendar).go_to(saved.apply_date)
            return
        if saved is None:
            self.action_reload()
            return
        query = self.page.query if self.page is not None else None
        call = self._calls.page_with(saved, query, page_size=self._page_size(),
                                     include_cancelled=self._include_cancelled())

        def done(result) -> None:
            month, page = result
            if month:
                self.query_one("#pp-month", Input).value = month
            self._show_page(page)
            self.query_one("#pp-table").focus()

        self._pending_focus_id = saved.id
        self._call(call, done)

    # ================================================================= calendar
    def action_toggle_view(self) -> None:
        self.view_mode = "calendar" if self.view_mode == "list" else "list"

    def watch_view_mode(self, mode: str) -> None:
        """Show the list or the calendar, give it the keyboard and load it."""
        switcher = self.query_one("#pp-views", ContentSwitcher)
        if mode == "calendar":
            switcher.current = "pp-calendar-view"
            calendar = self.query_one("#pp-calendar", MonthCalendar)
            calendar.focus()
            target = self._calendar_start()
            if target is not None:
                calendar.go_to(target)
            self.reload_calendar()
        else:
            switcher.current = "pp-list-view"
            self.query_one("#pp-table").focus()
            self.action_reload()
        self.query_one("#pp-calendar-btn", Button).label = t(
            "pp.btn.list" if mode == "calendar" else "pp.btn.calendar")
        self.refresh_bindings()

    def action_back_to_list(self) -> None:
        if self._in_search():  # Esc in the search bar: back to the list, not the menu
            self.query_one("#pp-table").focus()
        elif self.view_mode == "calendar":
            self.action_toggle_view()

    def _calendar_start(self) -> date | None:
        view = self.current_row()
        if view is not None:
            return view.apply_date
        if self.page is not None:
            return self.page.query.start
        return None

    def reload_calendar(self) -> None:
        calendar = self.query_one("#pp-calendar", MonthCalendar)
        self._load_month(calendar.cursor.year, calendar.cursor.month)

    def on_month_calendar_month_requested(self, event: MonthCalendar.MonthRequested) -> None:
        event.stop()
        self._load_month(event.year, event.month)

    def _load_month(self, year: int, month: int) -> None:
        def done(view) -> None:
            calendar = self.query_one("#pp-calendar", MonthCalendar)
            calendar.show_month(view)
            self._describe_cursor()

        self._call(self._calls.month_view(year, month), done)

    def on_month_calendar_cursor_moved(self, event: MonthCalendar.CursorMoved) -> None:
        event.stop()
        self._describe_cursor()

    def _describe_cursor(self) -> None:
        calendar = self.query_one("#pp-calendar", MonthCalendar)
        info = calendar.day_info()
        text = ""
        if info is not None:
            text = describe_day(info, calendar.view.contracted_ports)
        self.query_one("#pp-day", Static).update(text)

    def on_month_calendar_day_chosen(self, event: MonthCalendar.DayChosen) -> None:
        event.stop()
        calendar = self.query_one("#pp-calendar", MonthCalendar)
        info = calendar.day_info(event.day)
        if event.new:
            if info is not None and not info.open:
                self.app.notify(t("pp.form.deadline_passed", date=fmt_date(event.day),
                                  deadline=fmt_date(info.deadline)),
                                severity="warning", markup=False, timeout=8)
                return
            self.action_new(event.day)
            return
        self.action_toggle_view()
        self.search_day(event.day)

    # ================================================================= export
    def action_export(self) -> None:
        if self.page is None:
            return
        from portplus_tui.services import exports
        from portplus_tui.ui.screens.portplus_dialogs import ExportModal

        app = self.app
        self.app.push_screen(ExportModal(self.page.query, exports.default_name(app.now()),
                                         exports.export_dir(app.settings), web=app.is_web))

    # ================================================================= widgets
    def action_focus_search(self) -> None:
        if self.view_mode == "calendar":
            self.action_toggle_view()
        self.query_one("#pp-month").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        handlers = {
            "pp-new": self.action_new,
            "pp-calendar-btn": self.action_toggle_view,
            "pp-month-search": self.search_month,
            "pp-period-search": self.search_period,
            "pp-search-btn": self.search_period,
            "pp-cancel-btn": lambda: self.row_action("cancel"),
            "pp-history-btn": lambda: self.row_action("history"),
            "pp-export-btn": self.action_export,
        }
        handler = handlers.get(event.button.id or "")
        if handler is not None:
            handler()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "pp-month":
            self.search_month()
        elif event.input.id in ("pp-from", "pp-to"):
            self.search_period()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "pp-size" and isinstance(event.value, int):
            self.set_page_size(event.value)
            self._back_to_table()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        if event.checkbox.id == "pp-show-cancelled":
            self._apply_cancelled_toggle(event.value)
            self._back_to_table()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back_to_list":
            # Esc in the calendar or the search bar: back to the list; in the list the
            # main screen's Esc (to the side menu) applies.
            return self.view_mode == "calendar" or self._in_search()
        if action in ("turn", "toggle_cancelled", "cycle_page_size", "export"):
            return self.view_mode == "list"
        return True
