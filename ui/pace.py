"""How fast a background run steps: at full speed, or at a watchable pace of one epoch every few
seconds. Streamlit-free; ui/background.py's BackgroundRun asks a Pacer how many steps are due.

A paced run takes a turn from the scheduler (ui/scheduler.py) only for the steps that are due,
then hands it back and sleeps until the next tick: it holds no training slot while it waits, so
thirty paced runs need the CPU time of their steps, not thirty slots. The pace changes when the
steps happen, never what they compute: the same seed gives the same weights at any pace.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

# The watchable pace: one epoch every 5 s. At the notebook's batch 128 that is 469 steps in 5 s,
# about 94 a second: the loss curve (a point every 50 steps) gains a point about every 0.5 s,
# one or two per redraw of the live view (every 0.75 s), the ten templates change every 5 s, and
# the notebook's 20 epochs take 100 s, short enough to watch in class. Computing an epoch takes
# about 0.4 s of one core, so a paced run uses about 8% of a core.
WATCHABLE_EPOCH_SECONDS = 5.0
# A paced run wakes about this often and steps the steps that came due meanwhile (batch 128:
# about 9): one turn per tick instead of one per step, still far finer than a redraw.
PACE_TICK_SECONDS = 0.1
# A run that fell behind (a busy server, a batch too small to keep the pace) catches up at most
# this many seconds' worth of steps at once, then goes on from there.
MAX_CATCH_UP_SECONDS = 1.0


class Pacer:
    """When the steps of a paced run are due: ``steps_per_epoch`` steps every ``epoch_seconds``
    of ``clock`` time (seconds, monotonic; tests pass a fake one), counted from ``restart``."""

    def __init__(
        self,
        steps_per_epoch: int,
        epoch_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        if steps_per_epoch < 1 or not epoch_seconds > 0:
            raise ValueError(f"a pace needs steps >= 1 and seconds > 0, got {epoch_seconds!r}")
        self.steps_per_second = steps_per_epoch / epoch_seconds
        self.clock = clock
        self._origin_time = clock()
        self._origin_step = 0

    def restart(self, step: int) -> None:
        """Count from `step`, now (after a pause, or when the pace is chosen)."""
        self._origin_time, self._origin_step = self.clock(), step

    def due(self, step: int) -> int:
        """How many steps are due at `step` (0 when the run is ahead of its pace)."""
        elapsed = self.clock() - self._origin_time
        # (+1e-9: a step due at exactly this moment is not lost to rounding)
        due = self._origin_step + math.floor(elapsed * self.steps_per_second + 1e-9) - step
        most = max(1, math.ceil(MAX_CATCH_UP_SECONDS * self.steps_per_second))
        if due > most:  # fell behind: go on from here instead of rushing
            self._origin_time, self._origin_step = self.clock(), step + most
            due = most
        return max(0, due)

    def seconds_to_wait(self, step: int) -> float:
        """Seconds until a tick's worth of steps (at least one) is due at `step`."""
        batch = max(1, round(PACE_TICK_SECONDS * self.steps_per_second))
        due_at = self._origin_time + (step + batch - self._origin_step) / self.steps_per_second
        return max(0.0, due_at - self.clock())
