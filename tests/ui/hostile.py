"""Hostile text for the Pilot tests (tests/ui/test_hostile_input.py).

* ``HOSTILE``: a Hypothesis strategy of the text a careless paste, a confused terminal
  or a curious user produces: control characters, terminal escape sequences (CSI, OSC,
  DCS, the bracketed-paste markers, C1 controls), NUL, emoji and ZWJ sequences,
  full-width digits and letters, combining marks, right-to-left text and bidi controls,
  zero-width and format characters, Rich/Textual markup, format strings, SQL, paths,
  and strings of up to 10,000 characters.
* ``entry`` / ``mixed_form``: how a field is filled in, ``(mode, text)``: ``paste`` (an
  ``events.Paste`` posted to the app as the driver posts a bracketed paste; the field
  takes the first line) or ``keys`` (the printable characters, at most 30, as key
  events in one burst), into the emptied field or (``over-``) over its text selected
  with Home, Shift+End, as Tab into a filled field selects it.
* ``fuzz``: Hypothesis drives an app that is already running. Starting an app costs
  about a second, so one app serves every example of a test: the ``@given`` function
  runs in a thread and hands each example to the app's event loop (``settle`` waits
  without Pilot's idle detection, which costs 20 ms to 1 s a call). The app keeps its
  state from one example to the next, so a shrunk failure may replay as "flaky"; the
  first failing example is reported too.
* ``assert_sane``, ``assert_db``: the checks after every example: the app runs, no
  exception was reported (``app.unexpected_errors``, ERROR records of the ``portplus``
  loggers), the screen shows no traceback and no raw control character, and the
  database is as before except for what ``Allowed`` names.

The examples are random; the seed is printed when a test fails and
``PORTPLUS_FUZZ_SEED=<seed>`` replays it. ``PORTPLUS_FUZZ_EXAMPLES=<n>`` changes the
number of examples of every test (the defaults keep the file around two minutes on two
cores); ``pytest -s`` prints how the examples ended (refused, saved, ...).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable

import hypothesis
from hypothesis import HealthCheck, given, note, seed, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from textual import events
from textual.keys import _character_to_key
from textual.widgets import Input

from portplus_tui.store import models as m

from .support import inputs_done, screen_text

# ----------------------------------------------------------------------------- text
ESCAPES = [
    "\x1b[31m", "\x1b[0m", "\x1b]0;x\x07", "\x1b]0;title\x1b\\", "\x1b[2J", "\x1b[H",
    "\x1b[?1049l", "\x1b[?1000h", "\x1b[?25l", "\x1b[6n", "\x1b[201~", "\x1b[200~",
    "\x1bP+q544e\x1b\\", "\x1b]52;c;aGVsbG8=\x07", "\x1b]8;;https://example.com\x1b\\link",
    "\x9b31m", "\x9d0;x\x9c", "\x1b", "\x1bc", "\x1b[A", "\x1bOP",
]
CONTROLS = ["\x00", "\x07", "\x08", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x7f", "\x85",
            "\x1a", "\x03", "\x04", "\x11"]
MARKUP = ["[bold]", "[/]", "[red", "[/bold]x", "[@click=app.quit]q[/]",
          "[link=https://example.com]y[/link]", "\\[b]", "[b][i]", "$accent", "{0}", "{name}",
          "%s", "%(x)s", "{}{}", "}{"]
UNICODE = [
    "😀", "👨‍👩‍👧‍👦", "🇯🇵", "❤️", "🏳️‍🌈", "\U0001f9d1\U0001f3fd\u200d\U0001f4bb",
    "０１２３４５６７８９", "ＡＢＣｘｙｚ", "Ｍ９７－００３３９", "ａｄｍｉｎ＠ｅｘａｍｐｌｅ．ｃｏｍ",
    "e\u0301", "\u0301\u0302\u0303", "Z\u0334\u0321\u031ba\u0336l\u0337g\u0338o",
    "\u202eabc\u202c", "\u200f", "\u061c", "مرحبا بالعالم", "שלום", "\u200b", "\u200d",
    "\ufeff", "\u00ad", "\u2028", "\u2029", "\u3000", "\uffff", "\ufffd", "\U0010ffff",
    "\ue000", "ｱｲｳｴｵﾞ", "㍻", "①", "■", "Ⅻ", "ß", "İ", "ﬁ", "𝟙𝟚𝟛", "٣", "१२",
    "山田\u3000太郎", "髙橋", "𠮷野家",
]
WORDS = [
    "", " ", "   ", "-1", "0", "1e3", "0x10", "９９９", "1000", "NaN", "inf", "None", "null",
    "'; DROP TABLE account; --", "' OR '1'='1", "\\", "../../etc/passwd", "~", "%00",
    "2026-02-30", "2026-13-01", "0000-00-00", "9999-12-31", "2026/03/06", "20260306",
    "２０２６－０３－０６", "2026-3-6", "M97-00339", "admin@example.com", "a@b", "@", "a" * 300,
    "<script>alert(1)</script>", "&amp;", "true", "999999999999999999999",
]
PIECES = ESCAPES + CONTROLS + MARKUP + UNICODE + WORDS

_piece = st.sampled_from(PIECES)
_odd_char = st.characters(categories=["Cc", "Cf", "Mn", "Me", "Zs", "Zl", "Zp", "Co", "Cn",
                                      "So", "Lo", "Nd", "Nl"]).filter(lambda c: c not in "\t")
_mixed = st.lists(st.one_of(_piece, st.text(max_size=6), _odd_char), max_size=8).map("".join)


def _long(piece: str, length: int) -> str:
    if not piece:
        piece = "x"
    return (piece * (length // len(piece) + 1))[:length]


#: up to 10,000 characters (Hypothesis cannot draw that many one by one)
LONG = st.builds(_long, st.one_of(_piece, st.text(min_size=1, max_size=4)),
                 st.sampled_from([10_000, 10_000, 4_097, 1_025, 256, 101, 51]))

HOSTILE = st.one_of(
    _mixed,
    st.text(),  # any code point but lone surrogates (a terminal cannot send those)
    _piece,
    LONG,
)

#: paste / keys: into the emptied field; over-paste / over-keys: over the field's text,
#: selected first with Home, Shift+End (as Tab into a filled field selects it)
MODES = ("paste", "keys", "over-paste", "over-keys")


def entry(plausible: Iterable[str] = (), hostile: st.SearchStrategy[str] = HOSTILE
          ) -> st.SearchStrategy[tuple[str, str]]:
    """One field: ``(mode, text)``; the text is hostile or, now and then, plausible."""
    plausible = list(plausible)
    text = st.one_of(hostile, st.sampled_from(plausible)) if plausible else hostile
    return st.tuples(st.sampled_from(MODES), text)


def form(**fields: st.SearchStrategy[tuple[str, str]]) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(fields)


def _texts(values: Any) -> st.SearchStrategy[str]:
    return values if isinstance(values, st.SearchStrategy) else st.sampled_from(list(values))


def valid(values: Any) -> st.SearchStrategy[tuple[str, str]]:
    """One field filled with one of ``values`` (a list, or a strategy of texts)."""
    return st.tuples(st.sampled_from(MODES), _texts(values))


def mixed_form(**fields: tuple[Any, list[str]]) -> st.SearchStrategy[dict]:
    """A whole form: ``name=(valid values, other plausible values)``. A third of the
    examples each: every field hostile or plausible; one field hostile and the others
    valid (the hostile text is what the screen and the service decide on); every field
    valid, which includes odd but valid text (emoji, markup, full-width) that must get
    through to the database and back onto the screen intact."""
    everything = form(**{
        name: st.tuples(st.sampled_from(MODES), st.one_of(HOSTILE, _texts(good), _texts(other)))
        if other else st.tuples(st.sampled_from(MODES), st.one_of(HOSTILE, _texts(good)))
        for name, (good, other) in fields.items()})
    all_valid = form(**{name: valid(good) for name, (good, _other) in fields.items()})

    def one_hostile(chosen: str) -> st.SearchStrategy[dict]:
        return form(**{name: entry() if name == chosen else valid(good)
                       for name, (good, _other) in fields.items()})

    return st.one_of(everything, st.sampled_from(list(fields)).flatmap(one_hostile), all_valid)


def confirmed(strategy: st.SearchStrategy[dict], field_: str, confirm: str
              ) -> st.SearchStrategy[dict]:
    """Mostly, the confirmation field repeats the field (else the screen stops there)."""
    return st.tuples(strategy, st.integers(0, 3)).map(
        lambda pair: {**pair[0], confirm: pair[0][field_]} if pair[1] else pair[0])


def keys_of(text: str) -> str:
    """What typing ``text`` on a keyboard can give: printable characters, at most 30."""
    return "".join(ch for ch in text if ch.isprintable())[:30]


def without_controls(text: str) -> str:
    """A paste as the app should pass it on: C0/C1 controls dropped (line breaks and
    tabs kept); see ``FIELDS_MAY_ECHO_CONTROLS``."""
    return "".join(ch for ch in text if ch in "\t\n\r" or unicodedata.category(ch) != "Cc")


def typed(mode: str, text: str) -> str:
    """What reaches the field: the keys, or the pasted text's first line."""
    if mode.endswith("keys"):
        return keys_of(text)
    if not FIELDS_MAY_ECHO_CONTROLS:
        text = without_controls(text)
    lines = text.splitlines()
    return lines[0] if lines else ""


def expected_value(mode: str, text: str, old: str = "") -> str:
    """What a plain Input holds after ``mode``/``text`` (no restriction, no limit);
    ``old``: its text before (no key, or nothing pasted, over a selection keeps it)."""
    if mode == "over-keys":
        return keys_of(text) or old
    if mode == "over-paste" and not (text if FIELDS_MAY_ECHO_CONTROLS
                                     else without_controls(text)):
        return old  # nothing left to paste (the app drops control characters)
    return typed(mode, text)


def shown(entry_: tuple[str, str]) -> str:
    """An example as it appears in a failure report (long strings shortened)."""
    mode, text = entry_
    return f"{mode}:{text[:80]!r}{'...' if len(text) > 80 else ''}({len(text)})"


# ----------------------------------------------------------------------------- typing
def _post(app: Any, event: events.Event) -> None:
    """Into the app's queue at once (the driver's ``send_message`` schedules it for later,
    which would let a focus change queued after it overtake it)."""
    event.set_sender(app)
    app.post_message(event)


def paste(app: Any, text: str) -> None:
    """A bracketed paste, as the driver delivers one (the app forwards it to the focus)."""
    _post(app, events.Paste(text))


def type_keys(app: Any, text: str) -> None:
    """One key event per character, all queued at once (a burst)."""
    for char in text:
        _post(app, events.Key(_character_to_key(char), char))


async def settle(app: Any, pilot: Any, rounds: int = 200) -> None:
    """Until no worker runs, every key typed has had its turn and every queued message
    of the screen is handled (bounded).

    Like ``support.settle`` but without Pilot's idle wait (which waits for the process's
    CPU time to stand still: 20 ms to 1 s a round): hundreds of examples per test."""
    quiet = 0
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause(0)  # the app's and the screen's queues, then a screen update
        if any(worker.is_running for worker in app.workers) or not inputs_done(app):
            quiet = 0
            continue
        quiet += 1
        if quiet == 3:
            return
    raise AssertionError("the app did not settle")


def press(app: Any, *keys: str) -> None:
    """Keys by name (``enter``, ``escape``), queued at once like ``type_keys``."""
    for key in keys:
        _post(app, events.Key(key, {"enter": "\r", "escape": "\x1b"}.get(key)))


def put(app: Any, widget: Any, value: tuple[str, str]) -> str:
    """Fill ``widget`` the way a user would: a paste or typed keys, into the emptied
    field or over its selected text. Returns the text the field held before.

    Nothing is awaited. Settle before the next ``put`` into another field: keys typed
    in a burst take their turns (ui/typeahead.py), and ``focus()``, which is not input,
    would overtake the ones still waiting."""
    mode, text = value
    old = widget.value
    widget.focus()
    if mode.startswith("over"):
        press(app, "home", "shift+end")
    else:
        widget.value = ""
    new = typed(mode, text)
    if mode.endswith("keys"):
        type_keys(app, new)
    elif text:
        paste(app, text)
    return old


# ----------------------------------------------------------------------------- checks
#: what must never be on the screen: a traceback, Python exception names
TRACEBACK = re.compile(
    r"Traceback|Error in |File \"|line \d+, in |\b[A-Z][A-Za-z]*(?:Error|Exception)\b"
    r"|NoMatches|MarkupError|exit_on_error"
)


class ErrorRecords(logging.Handler):
    """Collects ERROR (and worse) records of the ``portplus`` loggers."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass(frozen=True)
class Allowed:
    """What a flow may write (a refusal: usually nothing).

    ``columns``: per model, the columns its existing rows may change (e.g. the failure
    counters of ``Account``); ``rows``: models that may gain rows (e.g. ``ResetToken``);
    ``audit``: the audit actions that may be added.
    """

    columns: dict[str, frozenset[str]] = field(default_factory=dict)
    rows: frozenset[str] = frozenset()
    audit: frozenset[str] = frozenset()

    def __or__(self, other: "Allowed") -> "Allowed":
        columns = dict(self.columns)
        for name, cols in other.columns.items():
            columns[name] = columns.get(name, frozenset()) | cols
        return Allowed(columns, self.rows | other.rows, self.audit | other.audit)


def allowed(columns: dict[str, Iterable[str]] | None = None, rows: Iterable[str] = (),
            audit: Iterable[str] = ()) -> Allowed:
    return Allowed({k: frozenset(v) for k, v in (columns or {}).items()}, frozenset(rows),
                   frozenset(audit))


#: login failures count towards the lockout (and are audited) by design; a lock is told
#: to the company's other sessions through the change feed (a ChangeLog row: kind, id)
FAILURE_COUNTERS = allowed({"Account": ("failed_count", "locked_until")},
                           rows=("ChangeLog",), audit=("login.failure", "login.locked"))

Snapshot = dict[str, dict[Any, dict[str, Any]]]


def _key_fields(model: type) -> list[str]:
    pk = model._meta.primary_key
    names = getattr(pk, "field_names", None)
    return list(names) if names else [pk.name]


def snapshot() -> Snapshot:
    """Every row of every table, by primary key (the seeded database is small)."""
    state: Snapshot = {}
    for model in m.ALL_MODELS:
        keys = _key_fields(model)
        rows = {}
        for row in model.select().dicts():
            rows[tuple(row[k] for k in keys)] = row
        state[model.__name__] = rows
    return state


def changes(before: Snapshot, after: Snapshot, rule: Allowed) -> list[str]:
    """What changed between the two snapshots beyond ``rule`` (empty: nothing)."""
    problems = []
    for name, old_rows in before.items():
        new_rows = after[name]
        for key in old_rows.keys() - new_rows.keys():
            problems.append(f"{name} {key} deleted")
        for key in new_rows.keys() - old_rows.keys():
            if name == "AuditLog":
                if new_rows[key]["action"] not in rule.audit:
                    problems.append(f"audit {new_rows[key]['action']!r} added")
            elif name not in rule.rows:
                problems.append(f"{name} {key} added")
        may = rule.columns.get(name, frozenset())
        for key in old_rows.keys() & new_rows.keys():
            changed = {col for col, value in old_rows[key].items() if new_rows[key][col] != value}
            if changed - may:
                problems.append(f"{name} {key}: {sorted(changed - may)} changed")
    return problems


def assert_db(before: Snapshot, rule: Allowed, what: str) -> Snapshot:
    """The database is as ``before`` except for what ``rule`` allows; the new state."""
    after = snapshot()
    problems = changes(before, after, rule)
    assert not problems, f"{what}: the database changed: {problems}"
    return after


def new_audit(before: Snapshot, after: Snapshot) -> list[str]:
    old = before["AuditLog"]
    return [row["action"] for key, row in sorted(after["AuditLog"].items()) if key not in old]


def added(before: Snapshot, after: Snapshot, model: str) -> list[dict[str, Any]]:
    return [row for key, row in after[model].items() if key not in before[model]]


def changed(before: Snapshot, after: Snapshot, model: str) -> list[Any]:
    return [key for key, row in after[model].items()
            if key in before[model] and before[model][key] != row]


#: how the examples ended, per test (printed at the end: ``pytest -s`` shows it)
OUTCOMES: dict[str, Counter] = {}


def outcome(test: str, what: str) -> None:
    OUTCOMES.setdefault(test, Counter())[what] += 1


def assert_sane(app: Any, screens: tuple[type, ...], errors: ErrorRecords, what: str) -> None:
    """The app runs, reported nothing unexpected and shows no traceback."""
    assert app.is_running and app._exception is None, f"{what}: the app ended"
    assert not app.unexpected_errors, f"{what}: {app.unexpected_errors!r}"
    assert not errors.records, f"{what}: {[r.getMessage() for r in errors.records]}"
    text = screen_text(app)
    found = TRACEBACK.search(text)
    assert found is None, f"{what}: {found.group(0)!r} on the screen:\n{text}"
    assert isinstance(app.screen, screens), f"{what}: on {type(app.screen).__name__}"
    raw = raw_controls(app)
    assert not raw, f"{what}: raw control characters on the screen: {raw[:5]}\n{text}"


#: Textual draws a field's text as it is, so control characters pasted into a field
#: (ESC sequences, NUL) would be written raw to the user's terminal (seen: ``\x1b[2J``
#: clears it). ``PortPlusApp.on_event`` drops them from every paste
#: (``ui.base.without_controls``), so the fields are checked like the rest of the screen.
FIELDS_MAY_ECHO_CONTROLS = False


def raw_controls(app: Any) -> list[str]:
    """Control characters (C0, C1, DEL) the screen would send to the terminal as they
    are. No message, label or table may repeat typed text raw (an ESC sequence there is
    written to the user's terminal); see ``FIELDS_MAY_ECHO_CONTROLS`` for the fields."""
    fields = [w.region for w in app.screen.query(Input)
              if FIELDS_MAY_ECHO_CONTROLS and w.display and w.region.area]
    found = []
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        x = 0
        for segment in strip:
            for char in segment.text:
                if (unicodedata.category(char) == "Cc"
                        and not any(region.contains(x, y) for region in fields)):
                    found.append(f"{char!r} at {x},{y}")
                x += cell_len(char)
    return found


def log_errors(log_dir: os.PathLike | str) -> list[str]:
    """ERROR lines in the app's log files (there are none when nothing was logged)."""
    lines = []
    for root, _dirs, files in os.walk(log_dir):
        for name in files:
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as handle:
                lines += [line for line in handle if " ERROR " in line or "Traceback" in line]
    return lines


# ----------------------------------------------------------------------------- driving
def fuzz_seed() -> int:
    value = os.environ.get("PORTPLUS_FUZZ_SEED", "")
    return int(value) if value.strip() else random.randrange(2**32)


def examples(default: int) -> int:
    value = os.environ.get("PORTPLUS_FUZZ_EXAMPLES", "")
    return int(value) if value.strip() else default


#: one example may take this long (a hang is a failure too)
EXAMPLE_TIMEOUT = 60.0


async def fuzz(strategy: st.SearchStrategy, check: Callable[[Any], Awaitable[None]], *,
               max_examples: int, name: str, explicit: Iterable[Any] = ()) -> None:
    """Run ``check(example)`` on the running app's loop for Hypothesis examples of
    ``strategy`` (``explicit`` ones first: regressions); a failure names the seed and
    the (shrunk) example."""
    loop = asyncio.get_running_loop()
    chosen = fuzz_seed()

    @settings(max_examples=examples(max_examples), deadline=None, database=None,
              derandomize=False, print_blob=False, report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck))
    @seed(chosen)
    @given(strategy)
    def prop(example: Any) -> None:
        note(f"seed {chosen}")
        future = asyncio.run_coroutine_threadsafe(check(example), loop)
        try:
            future.result(timeout=EXAMPLE_TIMEOUT)
        except TimeoutError:
            future.cancel()
            raise AssertionError(f"{name}: no answer within {EXAMPLE_TIMEOUT} s (a hang)") from None

    for known in reversed(list(explicit)):
        prop = hypothesis.example(known)(prop)
    OUTCOMES.pop(name, None)
    try:
        await asyncio.to_thread(prop)
    except BaseException as exc:
        if hasattr(exc, "add_note"):
            exc.add_note(f"{name}: replay with PORTPLUS_FUZZ_SEED={chosen}")
        raise
    print(f"{name}: seed {chosen}, outcomes {dict(OUTCOMES.get(name, {}))}")
