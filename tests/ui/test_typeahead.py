"""R-UI-1: keys of one burst are handled as if typed slowly, including keys that act
through bindings (arrows and Enter in an open Select) before a Tab."""

from __future__ import annotations

from textual.widgets import Input, Select

from portplus_tui.ui.screens.account_form import AccountFormScreen

from .support import ADMIN, burst_keys, login, run, settle

NARROW = (80, 24)


def test_a_select_chosen_in_a_burst_keeps_its_choice_and_the_next_field_gets_the_text(make_app):
    app = make_app()

    async def body():
        async with app.run_test(size=NARROW) as pilot:
            await login(app, pilot, ADMIN)
            for key in ("f4", "n"):
                await pilot.press(key)
                await settle(app, pilot)
            form = app.screen
            assert isinstance(form, AccountFormScreen)
            # 担当者名, Tab, Enter opens 権限, Down Down picks user, Enter, Tab, ログインID:
            # all in one burst, as a fast typist over SSH sends them
            burst_keys(app, *"Kimura", "tab", "enter", "down", "down", "enter", "tab",
                       *"kimura@example.com", "tab", *"Walk2026pass")
            await settle(app, pilot)
            assert form.query_one("#name", Input).value == "Kimura"
            assert form.query_one("#role", Select).value == "user"
            assert form.query_one("#login_id", Input).value == "kimura@example.com"
            assert form.query_one("#password", Input).value == "Walk2026pass"
            assert app.focused is form.query_one("#password", Input)

    run(body)


def test_a_widget_that_is_never_idle_holds_a_turn_only_until_it_expires(monkeypatch):
    """A widget that always has a message waiting (an animation posting to itself) kept
    the turn's settling loop of callbacks going for ever, also after the turn had
    expired: the event loop spun (a CI run hung in the command-palette fuzz test).
    KeyTurns is driven here by hand: a screen whose one widget is always busy, a clock
    that we move, and the callbacks run one by one."""
    import asyncio

    from portplus_tui.ui import typeahead

    now = [1000.0]
    monkeypatch.setattr(typeahead.time, "monotonic", lambda: now[0])
    queue: list = []
    timers: list = []

    def later(seconds: float) -> None:
        now[0] += seconds
        for timer in list(timers):  # every timer is due by then
            timer.fire()

    class Node:
        message_queue_size = 1  # never idle

        def call_later(self, callback, *args) -> bool:
            queue.append((callback, args))
            return True

    class Screen:
        def walk_children(self, with_self=False):
            return [Node()]

    class App:
        screen = Screen()
        focused = None

        def call_later(self, callback, *args) -> bool:
            queue.append((callback, args))
            return True

        def set_timer(self, delay, callback, name=None):
            class Timer:
                def stop(self) -> None:
                    if self in timers:
                        timers.remove(self)

                def fire(self) -> None:
                    timers.remove(self)
                    callback()

            timer = Timer()
            timers.append(timer)
            return timer

    dispatched: list = []

    async def dispatch(event) -> None:
        dispatched.append(event)
        turns.sent(event, None)

    turns = typeahead.KeyTurns(App(), dispatch)

    async def drive(steps: int) -> int:
        ran = 0
        while queue and ran < steps:
            callback, args = queue.pop(0)
            result = callback(*args)
            if asyncio.iscoroutine(result):
                await result
            ran += 1
        return ran

    async def body() -> None:
        turns.sent("first key", None)
        assert await drive(100) == 100  # busy: it keeps settling, within the turn
        assert not turns.idle
        assert turns.hold("second key")  # waits for its turn
        later(typeahead.EXPIRE + 0.1)
        await drive(100)
        assert dispatched == ["second key"]  # its turn came once the first expired
        later(typeahead.EXPIRE + 0.1)
        await drive(100)
        assert turns.idle  # nothing waits: the turn ended
        assert await drive(100) == 0, "the settling loop goes on after the turn ended"

    asyncio.run(body())
