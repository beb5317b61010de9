"""Helpers for the Pilot tests of the terminal app (no sleeping: workers are awaited)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable

from textual import events
from textual.keys import _character_to_key

from portplus_tui.config import Settings
from portplus_tui.services.mail import read_outbox

SIZE = (120, 36)

# Monday 2026-03-02 10:00 JST: a business day away from holidays and year end.
START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)

ADMIN = ("M97-00339", "admin@example.com", "demo-admin-1")  # 山田 太郎
USER = ("M97-00339", "user@example.com", "demo-user-1")  # 佐藤 花子
TWO_FACTOR = ("M97-00340", "admin@example.com", "demo-admin-1")  # 鈴木 一郎


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(data_dir=tmp_path, bcrypt_rounds=4, mail_backend="file")
    values.update(overrides)
    return Settings(**values).validate()


def run(coro_fn: Callable[[], Awaitable[Any]]) -> Any:
    """Run an async test body (no pytest-asyncio needed)."""
    return asyncio.run(coro_fn())


def app_test(*, as_: Iterable[str] | None = None, size: tuple[int, int] = SIZE,
             **app_settings: Any) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Any]]:
    """The preamble of a Pilot test, once: ``make_app(**app_settings)``, ``run_test`` at
    ``size`` and, with ``as_``, the login. The test is ``async def test_x(app, pilot,
    <other fixtures>)``; pytest sees a plain test asking for ``make_app`` and the others.

        @app_test(as_=ADMIN)
        async def test_the_company_pane(app, pilot): ...
    """
    import functools
    import inspect

    def decorate(test: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        signature = inspect.signature(test)
        others = [param for name, param in signature.parameters.items()
                  if name not in ("app", "pilot")]
        wanted = others if "make_app" in signature.parameters else [
            inspect.Parameter("make_app", inspect.Parameter.POSITIONAL_OR_KEYWORD), *others]

        @functools.wraps(test)
        def wrapper(**fixtures: Any) -> Any:
            make_app = fixtures["make_app"]
            app = make_app(**app_settings)
            passed = {name: fixtures[name] for name in signature.parameters
                      if name not in ("app", "pilot")}

            async def body() -> Any:
                async with app.run_test(size=size) as pilot:
                    if as_ is not None:
                        await login(app, pilot, as_)
                    return await test(app=app, pilot=pilot, **passed)

            return run(body)

        wrapper.__signature__ = signature.replace(parameters=wanted)  # type: ignore[attr-defined]
        del wrapper.__wrapped__  # pytest reads __signature__, not the async original
        return wrapper

    return decorate


async def settle(app: Any, pilot: Any, rounds: int = 40) -> None:
    """Wait until no worker runs, every key typed has had its turn (ui/typeahead.py)
    and the screen has caught up (bounded)."""
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers) and inputs_done(app):
            await pilot.pause()
            if not any(worker.is_running for worker in app.workers) and inputs_done(app):
                return
    raise AssertionError("workers did not finish")


def inputs_done(app: Any) -> bool:
    """Every key, paste and click delivered has been handled (none waits its turn)."""
    turns = getattr(app, "_key_turns", None)
    return turns is None or turns.idle


def key_names(text: str) -> list[str]:
    """Characters to Pilot key names (Tab and Enter included)."""
    names = []
    for char in text:
        if char == "\t":
            names.append("tab")
        elif char in "\r\n":
            names.append("enter")
        else:
            names.append(char)
    return names


def burst(app: Any, text: str) -> None:
    """Deliver every key of ``text`` to the app at once, as a fast SSH link or a
    password manager's auto-type does: nothing is processed between the keys."""
    driver = app._driver
    for char in text:
        if char == "\t":
            event = events.Key("tab", "\t")
        elif char in "\r\n":
            event = events.Key("enter", "\r")
        else:
            event = events.Key(_character_to_key(char), char)
        event.set_sender(app)
        driver.send_message(event)


def burst_keys(app: Any, *keys: str) -> None:
    """Like ``burst``, with key names too: ``burst_keys(app, "down", "enter", "tab", *"abc")``."""
    driver = app._driver
    for key in keys:
        if len(key) == 1:
            event = events.Key(_character_to_key(key), key)
        else:
            event = events.Key(key, {"tab": "\t", "enter": "\r"}.get(key))
        event.set_sender(app)
        driver.send_message(event)


def screen_text(app: Any) -> str:
    """What the terminal shows (the current screen), as text lines."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def footer_text(app: Any) -> str:
    """The key bar's lines (it wraps onto several lines when the keys need them)."""
    from portplus_tui.ui.widgets.keybar import KeyBar

    height = app.screen.query_one(KeyBar).size.height
    return "\n".join(screen_text(app).splitlines()[-height:])


def text_of(widget: Any) -> str:
    return str(widget.render())


def notifications(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


def last_code(settings: Settings, pattern: str = r"^(\d{6})$") -> str:
    """The code in the newest message of the outbox."""
    mails = read_outbox(settings.outbox_dir, last=1)
    assert mails, "no mail in the outbox"
    found = re.search(pattern, mails[-1].body, re.MULTILINE)
    assert found, mails[-1].body
    return found.group(1)


def outbox_count(settings: Settings) -> int:
    return len(read_outbox(settings.outbox_dir, last=1000))


async def login(app: Any, pilot: Any, creds: Iterable[str]) -> None:
    """Type the three fields and Enter (as one burst: fast, and the way auto-type
    arrives); the focus must be on 会員番号."""
    member_no, login_id, password = creds
    await settle(app, pilot)
    burst(app, f"{member_no}\t{login_id}\t{password}\r")
    await settle(app, pilot)
