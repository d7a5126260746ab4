"""FairScheduler: fair turns, turn length, no starvation, cancellation, the cap, env settings.

Fake work and a fake clock: grant orders are driven step by step through request()/release(),
threads only where blocking is the point, and every wait on a thread has a timeout that fails
the test instead of hanging it (no sleep is an assertion).
"""

from __future__ import annotations

import threading
import time

import pytest

from ui.scheduler import (
    SHORT_TURN_SECONDS,
    FairScheduler,
    capacity_from_env,
    max_run_steps_from_env,
    run_steps_message,
)

PATIENCE = 5.0  # seconds a thread gets to reach a state before the test fails


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def wait_until(condition, what: str) -> None:
    """Poll `condition` until true; fail after PATIENCE seconds (a hang is a failure)."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {what}")
        time.sleep(0.001)


def holder(scheduler: FairScheduler) -> str | None:
    """The key of the single run holding a turn (capacity 1 tests)."""
    keys = list(scheduler._holders)
    assert len(keys) <= 1
    return keys[0] if keys else None


def test_turns_go_round_in_the_order_runs_waited():
    scheduler = FairScheduler(capacity=1, clock=FakeClock())
    turns = {key: scheduler.request(key) for key in "ABC"}
    granted = []
    for _ in range(7):
        key = holder(scheduler)
        granted.append(key)
        # The holder hands its turn back and asks again at once: it must go behind the others.
        turns[key].release()
        turns[key] = scheduler.request(key)
    assert "".join(granted) == "ABCABCA"


def test_a_released_turn_goes_to_the_waiter_not_back_to_the_run_that_released_it():
    scheduler = FairScheduler(capacity=1, clock=FakeClock())
    a = scheduler.request("A")
    b = scheduler.request("B")
    a.release()
    a_again = scheduler.request("A")
    assert b.held and not a_again.held


def test_a_newcomer_behind_two_greedy_runs_gets_a_turn_within_one_round():
    scheduler = FairScheduler(capacity=1, clock=FakeClock())
    turns = {key: scheduler.request(key) for key in "AB"}
    for _ in range(5):  # the two greedy runs trade turns for a while
        key = holder(scheduler)
        turns[key].release()
        turns[key] = scheduler.request(key)
    newcomer = scheduler.request("new")
    others_served = 0
    while True:
        key = holder(scheduler)
        turns[key].release()
        turns[key] = scheduler.request(key)
        if newcomer.held:
            break
        others_served += 1
        # At most the run that was already waiting goes first.
        assert others_served <= 1, "the newcomer waits longer than one round"


def test_a_short_turn_goes_ahead_of_full_turns_but_behind_earlier_short_ones():
    scheduler = FairScheduler(capacity=1, turn_seconds=0.2, clock=FakeClock())
    turns = {"A": scheduler.request("A")}
    for key in ("B", "C"):
        turns[key] = scheduler.request(key)
    turns["one step"] = scheduler.request("one step", short=True)
    turns["another step"] = scheduler.request("another step", short=True)
    assert turns["one step"].seconds == SHORT_TURN_SECONDS < turns["B"].seconds == 0.2
    granted = []
    for _ in range(4):
        key = holder(scheduler)
        granted.append(key)
        turns[key].release()
    assert granted == ["A", "one step", "another step", "B"]
    # A short request withdrawn while waiting leaves the order of the others as it was.
    turns["third step"] = scheduler.request("third step", short=True)
    turns["fourth step"] = scheduler.request("fourth step", short=True)
    turns["third step"].release()
    turns["D"] = scheduler.request("D")
    granted = []
    while (key := holder(scheduler)) is not None:
        granted.append(key)
        turns[key].release()
    assert granted == ["C", "fourth step", "D"]


def test_a_turn_expires_after_turn_seconds_counted_from_its_grant():
    clock = FakeClock()
    scheduler = FairScheduler(capacity=1, turn_seconds=0.2, clock=clock)
    a = scheduler.request("A")
    b = scheduler.request("B")
    clock.advance(0.199)
    assert not a.expired() and a.remaining() == pytest.approx(0.001)
    clock.advance(0.001)
    assert a.expired()
    # B waited a whole second: its turn is still a full turn, timed from its grant.
    clock.advance(1.0)
    assert b.expired()  # waiting: no time to compute yet
    a.release()
    assert b.held and not b.expired() and b.waited_seconds == pytest.approx(1.2)
    clock.advance(0.2)
    assert b.expired()
    b.release()
    assert b.expired()  # released: over, whatever the clock says


def test_stop_while_waiting_returns_without_a_turn_and_leaves_nothing_behind():
    scheduler = FairScheduler(capacity=1)
    give_up = threading.Event()
    outcome = []
    with scheduler.turn("A") as a:

        def wait_for_b() -> None:
            with scheduler.turn("B", give_up=give_up) as b:
                outcome.append(b)

        thread = threading.Thread(target=wait_for_b)
        thread.start()
        wait_until(lambda: scheduler.waiting == 1, "B waits")
        give_up.set()
        thread.join(PATIENCE)
        assert not thread.is_alive() and outcome == [None]
        assert scheduler.waiting == 0 and a.held
    assert scheduler.active == 0 and scheduler.waiting == 0
    assert scheduler.request("C").held  # the turn A gave back was not handed to B


def test_stopped_before_asking_gets_no_turn_even_when_one_is_free():
    scheduler = FairScheduler(capacity=1)
    stopped = threading.Event()
    stopped.set()
    with scheduler.turn("A", give_up=stopped) as turn:
        assert turn is None
        assert scheduler.active == 0 and scheduler.waiting == 0


def test_a_run_that_raises_in_its_turn_hands_it_to_the_next_waiter():
    scheduler = FairScheduler(capacity=1, clock=FakeClock())
    with pytest.raises(RuntimeError, match="step failed"), scheduler.turn("A"):
        waiter = scheduler.request("B")
        raise RuntimeError("step failed")
    assert waiter.held and scheduler.active == 1
    waiter.release()
    assert scheduler.active == 0


def test_never_more_than_capacity_turns_at_once_and_free_turns_are_used():
    capacity, n_threads, turns_each = 3, 10, 4
    scheduler = FairScheduler(capacity=capacity)
    lock = threading.Lock()
    inside: set[int] = set()
    most_inside = 0
    finished = 0
    leave = threading.Semaphore(0)  # one permit = one holder may end its turn

    def run(index: int) -> None:
        nonlocal most_inside, finished
        for _ in range(turns_each):
            with scheduler.turn(index):
                with lock:
                    inside.add(index)
                    most_inside = max(most_inside, len(inside))
                assert leave.acquire(timeout=PATIENCE)
                with lock:
                    inside.discard(index)
        with lock:
            finished += 1

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for _ in range(n_threads * turns_each):
        # Settled: every unfinished thread holds a turn or waits for one.
        def settled() -> bool:
            with lock:
                return len(inside) + scheduler.waiting == n_threads - finished

        wait_until(settled, "every run holds or waits")
        with lock:
            assert len(inside) == min(capacity, n_threads - finished)
        leave.release()
    for thread in threads:
        thread.join(PATIENCE)
    assert most_inside == capacity
    assert scheduler.active == 0 and scheduler.waiting == 0


def test_paused_runs_do_not_count_as_sharing():
    scheduler = FairScheduler(capacity=1, clock=FakeClock())
    a = scheduler.request("A")
    # "B" is paused: it asks for nothing.
    assert scheduler.sharing_with("A") == 0 and scheduler.share("A") == 1.0
    assert scheduler.sharing_with("B") == 1 and scheduler.share("B") == 0.5  # if it resumed
    b = scheduler.request("B")
    assert scheduler.sharing_with("A") == 1 and scheduler.share("A") == 0.5
    assert scheduler.sharing_with("B") == 1 and scheduler.share("B") == 0.5
    b.release()  # paused again while waiting
    assert scheduler.sharing_with("A") == 0 and scheduler.share("A") == 1.0
    a.release()


def test_sharing_gives_the_others_and_the_share_of_one_moment():
    scheduler = FairScheduler(capacity=2, clock=FakeClock())
    for key in "ABC":
        scheduler.request(key)
    assert scheduler.sharing("A") == (2, pytest.approx(2 / 3))
    assert scheduler.sharing("paused") == (3, 0.5)  # what it would get by asking


def test_share_is_capacity_over_the_runs_that_want_turns():
    scheduler = FairScheduler(capacity=2, clock=FakeClock())
    for key in "ABC":
        scheduler.request(key)
    assert scheduler.active == 2 and scheduler.waiting == 1
    assert scheduler.share("A") == pytest.approx(2 / 3) == scheduler.share("C")
    assert scheduler.sharing_with("C") == 2


def test_a_run_may_not_ask_twice_at_once():
    scheduler = FairScheduler(capacity=1, clock=FakeClock())
    scheduler.request("A")
    with pytest.raises(ValueError, match="already"):
        scheduler.request("A")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 4), ("3", 3), ("1", 1), ("0", 4), ("-2", 4), ("two", 4), ("", 4)],
)
def test_capacity_comes_from_the_env_else_one_per_core(monkeypatch, value, expected):
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    environ = {} if value is None else {"MNIST_LAB_MAX_CONCURRENT_RUNS": value}
    assert capacity_from_env(environ) == expected


def test_capacity_is_at_least_one_when_the_cores_are_unknown(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: None)
    assert capacity_from_env({}) == 1
    assert FairScheduler().capacity >= 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("0", None), ("1000", 1000), ("lots", None), ("-5", None)],
)
def test_max_run_steps_comes_from_the_env_else_unlimited(value, expected):
    environ = {} if value is None else {"MNIST_LAB_MAX_RUN_STEPS": value}
    assert max_run_steps_from_env(environ) == expected


def test_the_default_step_limit_never_bites():
    limit = max_run_steps_from_env({})
    assert run_steps_message(20 * 469, 469, limit) is None  # the notebook's settings
    assert run_steps_message(100 * 60_000, 60_000, limit) is None  # the app's largest run


def test_a_biting_step_limit_says_what_fits():
    message = run_steps_message(20 * 469, 469, limit=1000)
    assert "9,380" in message and "1,000" in message and "at most 2 epochs" in message
    assert run_steps_message(1000, 469, limit=1000) is None
    assert "larger batch size" in run_steps_message(6_000_000, 60_000, limit=1000)
