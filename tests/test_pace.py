"""The Pacer: steps fall due at the pace's rate, a run that fell behind does not rush, and a
paced run sleeps a tick's worth of steps at a time."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ui.pace import MAX_CATCH_UP_SECONDS, PACE_TICK_SECONDS, WATCHABLE_EPOCH_SECONDS, Pacer


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_notebooks_batch_at_the_watchable_pace_is_about_94_steps_a_second():
    pacer = Pacer(469, WATCHABLE_EPOCH_SECONDS)
    assert pacer.steps_per_second == pytest.approx(93.8)


def test_steps_fall_due_at_the_pace_and_a_late_run_does_not_rush():
    clock = FakeClock()
    pacer = Pacer(steps_per_epoch=100, epoch_seconds=2.0, clock=clock)  # 50 steps a second
    assert pacer.due(0) == 0
    clock.now += 0.1
    assert pacer.due(0) == 5
    assert pacer.due(5) == 0
    # Sleeping: a tick's worth (5 steps) from now.
    assert pacer.seconds_to_wait(5) == pytest.approx(PACE_TICK_SECONDS)
    # Ten seconds late (a busy server): at most a second's worth at once, then the pace again.
    clock.now += 10
    assert pacer.due(5) == 50 * MAX_CATCH_UP_SECONDS
    assert pacer.due(55) == 0
    clock.now += 0.2
    assert pacer.due(55) == 10


def test_restart_counts_from_the_step_it_is_given():
    clock = FakeClock()
    pacer = Pacer(steps_per_epoch=10, epoch_seconds=1.0, clock=clock)
    clock.now += 0.5  # paused meanwhile
    pacer.restart(3)
    assert pacer.due(3) == 0
    clock.now += 0.3
    assert pacer.due(3) == 3


@given(
    steps_per_epoch=st.integers(1, 60_000),
    epoch_seconds=st.floats(0.01, 100),
    waited=st.floats(0, 50),
)
def test_never_a_negative_count_nor_a_negative_wait(steps_per_epoch, epoch_seconds, waited):
    clock = FakeClock()
    pacer = Pacer(steps_per_epoch, epoch_seconds, clock=clock)
    clock.now += waited
    due = pacer.due(0)
    assert 0 <= due <= max(1, steps_per_epoch / epoch_seconds * MAX_CATCH_UP_SECONDS) + 1
    assert pacer.seconds_to_wait(due) >= 0


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("nan")])
def test_a_pace_needs_a_positive_time(seconds):
    with pytest.raises(ValueError):
        Pacer(10, seconds)
