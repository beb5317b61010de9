"""The pager under a list (「前へ 1 2 ... 次へ」): its page links post ``PageRequested``
to the list that holds it; ``update_line`` updates a one-line text without a layout."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual.widgets import Static

from portplus_tui.ui.app_messages import PageRequested
from portplus_tui.ui.i18n import t


def update_line(widget: Static, content: Any, plain: str) -> None:
    """``widget.update(content)`` (``plain``: its text without markup), laying out the
    screen only when its height may change. A one-line text that fits the widget's
    width before and after keeps the height of one line, and a layout pass costs 5-30
    ms with the table on screen (bench/tui_paging.py)."""
    width = widget.content_size.width
    before: str | None = getattr(widget, "_pp_plain", None)
    same_height = (before is not None and width > 0 and "\n" not in plain
                   and "\n" not in before and cell_len(plain) < width
                   and cell_len(before) < width)
    widget._pp_plain = plain  # type: ignore[attr-defined]
    widget.update(content, layout=not same_height)


class Pager(Static):
    """「前へ 1 2 ... 次へ」: the page numbers around the current one (clickable)."""

    def show_page(self, page) -> None:
        if page is None:
            update_line(self, "", "")
            return
        parts: list[str] = []
        plain: list[str] = []  # the same without markup (update_line measures it)
        prev_label, next_label = t("pp.prev"), t("pp.next")
        parts.append(f"[@click=page('prev')]{prev_label}[/]" if page.has_prev else f"[dim]{prev_label}[/]")
        plain.append(prev_label)
        for item in page_numbers(page.page, page.page_count):
            if item is None:
                parts.append("...")
                plain.append("...")
            elif item == page.page:
                parts.append(f"[b reverse] {item} [/]")
                plain.append(f" {item} ")
            else:
                # Actions that do not name the page: each distinct action is a style,
                # and Textual and Rich keep thousands of styles in their caches (with
                # go(<number>) a session over 100,000 pages filled them: bench/memory.py).
                step = item - page.page
                action = ("page('first')" if item == 1
                          else "page('last')" if item == page.page_count
                          else f"page('ahead', {step})" if step > 0
                          else f"page('back', {-step})")
                parts.append(f"[@click={action}]{item}[/]")
                plain.append(str(item))
        parts.append(f"[@click=page('next')]{next_label}[/]" if page.has_next else f"[dim]{next_label}[/]")
        plain.append(next_label)
        update_line(self, "  ".join(parts), "  ".join(plain))

    # The page links (markup actions of the text above) ask the pane for a page:
    # page('prev'), page('next'), page('first'), page('last'), and page('ahead', n) /
    # page('back', n) for the page n after / before the current one (markup takes no
    # negative number).
    def action_page(self, which: str, pages: int = 0) -> None:
        if which == "back":
            which, pages = "ahead", -pages
        self.post_message(PageRequested(which, pages))


def page_numbers(current: int, count: int, around: int = 2) -> list[int | None]:
    """1, the pages within ``around`` of ``current``, and the last; None marks a gap."""
    wanted = {1, count} | set(range(max(1, current - around), min(count, current + around) + 1))
    out: list[int | None] = []
    last = 0
    for n in sorted(wanted):
        if n - last > 1:
            out.append(None)
        out.append(n)
        last = n
    return out
