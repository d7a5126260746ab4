"""Fair turns at the CPU for training runs: a scheduler that grants short turns, not whole runs.

A run that wants to train asks for a *turn*; at most ``capacity`` turns are held at once (one per
core by default, so a small hosted machine is never oversubscribed). A turn lasts
``turn_seconds`` of wall time: the holder steps until ``turn.expired()``, then hands the turn
back and asks again. Waiting runs are served first come, first served, and a freed turn goes
straight to the longest waiter (it is handed over under the lock, so the run that just released
it cannot grab it back): a run that just had a turn lines up behind the runs that waited, and a
newcomer waits at most one turn of each run ahead of it. A run that is paused, waits between
paced steps or is not started simply does not ask: it holds nothing and costs no CPU.

Streamlit-free; one scheduler per process (the UI keeps it in a cached resource). Usage, the
way a background run's thread drives its trainer::

    scheduler = FairScheduler(capacity=2, turn_seconds=0.2)
    while run_wants_to_train():
        with scheduler.turn(run_key, give_up=stop_event) as turn:
            if turn is None:  # stop_event was set while waiting: no turn, nothing held
                break
            while not turn.expired() and run_wants_to_step():
                trainer.step()
    # between turns, a paused or paced run simply does not ask for a turn: it holds nothing

The turn is handed back when the ``with`` block ends, also when a step raises. The lower-level
``request()`` / ``Turn.wait()`` / ``Turn.release()`` are what ``turn()`` is made of. A single
step (the One step button) asks for a *short* turn, served ahead of the full ones.

For the page: ``sharing(run_key)`` gives ``others`` (how many other runs want turns right now)
and ``share`` (the fraction of wall time the run computes while that many want turns:
``capacity / wanting``, at most 1), so a time estimate at solo pace can be divided by it.

Operator settings, read from the environment:

* ``MNIST_LAB_MAX_CONCURRENT_RUNS``: turns held at once (``capacity_from_env``); default one per
  core, at least 1; a value that is not an integer >= 1 means the default.
* ``MNIST_LAB_MAX_RUN_STEPS``: the most minibatch steps one run may take
  (``max_run_steps_from_env``); unset or 0 means unlimited (the default: the app's largest run,
  batch 1 x 100 epochs x 60,000 images = 6,000,000 steps, always fits); a value that is not an
  integer >= 0 means the default. ``run_steps_message`` says why a run is refused.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import NamedTuple

from ui.i18n import _, ngettext, number

__all__ = [
    "CAPACITY_ENV",
    "DEFAULT_TURN_SECONDS",
    "MAX_RUN_STEPS_ENV",
    "SHORT_TURN_SECONDS",
    "FairScheduler",
    "Sharing",
    "Turn",
    "capacity_from_env",
    "max_run_steps_from_env",
    "run_steps_message",
]

CAPACITY_ENV = "MNIST_LAB_MAX_CONCURRENT_RUNS"
MAX_RUN_STEPS_ENV = "MNIST_LAB_MAX_RUN_STEPS"

# A few hundred milliseconds: long enough that handing turns over costs nothing measurable (a
# default step is ~1 ms), short enough that every waiting run trains several times a second.
DEFAULT_TURN_SECONDS = 0.2
# A turn for a single step (the One step button): served ahead of full turns, so a click shows
# its step at once however many runs wait, and handed back after that one step.
SHORT_TURN_SECONDS = 0.02
# How often a waiting run looks at its give_up event: a closed tab ends a queued run this fast.
GIVE_UP_POLL_SECONDS = 0.05


def capacity_from_env(environ: Mapping[str, str] = os.environ) -> int:
    """MNIST_LAB_MAX_CONCURRENT_RUNS: how many runs compute at the same moment.

    Default: one per core (``os.cpu_count()``, at least 1); also for a value that is not an
    integer >= 1 (a typo must not leave the server with no training at all)."""
    default = max(1, os.cpu_count() or 1)
    try:
        capacity = int(environ.get(CAPACITY_ENV, ""))
    except ValueError:
        return default
    return capacity if capacity >= 1 else default


def max_run_steps_from_env(environ: Mapping[str, str] = os.environ) -> int | None:
    """MNIST_LAB_MAX_RUN_STEPS: the most minibatch steps one run may take; None = unlimited.

    Unset, 0, or a value that is not an integer >= 0 mean unlimited, so the default never bites
    the notebook's settings (9,380 steps) nor the app's largest run (6,000,000 steps)."""
    try:
        limit = int(environ.get(MAX_RUN_STEPS_ENV, ""))
    except ValueError:
        return None
    return limit if limit > 0 else None


def run_steps_message(total_steps: int, steps_per_epoch: int, limit: int | None) -> str | None:
    """Why a run of ``total_steps`` steps may not start under ``limit``; None when it may."""
    if limit is None or total_steps <= limit:
        return None
    most_epochs = limit // steps_per_epoch
    if most_epochs >= 1:
        return ngettext(
            "This run needs {steps} training steps, but this server lets one run take at most "
            "{limit} (set by its operator, so that every visitor gets a turn). With this batch "
            "size, at most {n} epoch fit; a larger batch size takes fewer steps per epoch.",
            "This run needs {steps} training steps, but this server lets one run take at most "
            "{limit} (set by its operator, so that every visitor gets a turn). With this batch "
            "size, at most {n} epochs fit; a larger batch size takes fewer steps per epoch.",
            most_epochs,
        ).format(steps=number(total_steps), limit=number(limit), n=most_epochs)
    return _(
        "This run needs {steps} training steps, but this server lets one run take at most "
        "{limit} (set by its operator, so that every visitor gets a turn). Not even one epoch "
        "fits with this batch size: choose a larger batch size."
    ).format(steps=number(total_steps), limit=number(limit))


class Sharing(NamedTuple):
    """How a run shares the server at one moment (see FairScheduler.sharing)."""

    others: int  # other runs that want turns (hold or wait for one) right now
    share: float  # the fraction of wall time this run computes while that stays so


class Turn:
    """One request for a turn: waiting, then held for ``seconds``, then released.

    Made by ``FairScheduler.request``; ``release()`` hands it back (or withdraws it while it
    still waits) and may be called any number of times."""

    def __init__(
        self, scheduler: FairScheduler, run_key: Hashable, requested_at: float, seconds: float
    ):
        self.run_key = run_key
        self.requested_at = requested_at
        self.seconds = seconds  # how long the turn lasts once granted
        self.granted_at: float | None = None
        self.released = False
        self._scheduler = scheduler
        # Shares the scheduler's lock: a grant wakes this turn's waiter only, not every waiter.
        self._granted = threading.Condition(scheduler._lock)

    @property
    def held(self) -> bool:
        return self.granted_at is not None and not self.released

    @property
    def waited_seconds(self) -> float | None:
        """Clock seconds between the request and the grant (None before a grant)."""
        return None if self.granted_at is None else self.granted_at - self.requested_at

    def remaining(self) -> float:
        """Clock seconds left in this turn; 0 when it is not (or no longer) held."""
        if not self.held:
            return 0.0
        return max(0.0, self.granted_at + self.seconds - self._scheduler.clock())

    def expired(self) -> bool:
        """Whether the holder should stop stepping: the turn's time is up, or it is not held."""
        return self.remaining() <= 0.0

    def wait(self, give_up: threading.Event | None = None) -> bool:
        """Block until the turn is granted: True. False if ``give_up`` is set first (or was
        already): the request is then withdrawn, so nothing stays held or queued."""
        return self._scheduler._wait(self, give_up)

    def release(self) -> None:
        self._scheduler._release(self)

    def __repr__(self) -> str:
        state = "released" if self.released else "held" if self.held else "waiting"
        return f"Turn({self.run_key!r}, {state})"


class FairScheduler:
    """At most ``capacity`` turns held at once, granted first come, first served.

    ``clock`` (seconds, monotonic) times the turns; tests pass a fake one. Each run key has at
    most one request (waiting or held) at a time. The scheduler keeps nothing about a run
    between its turns, so runs that end leave no trace in it."""

    def __init__(
        self,
        capacity: int | None = None,
        turn_seconds: float = DEFAULT_TURN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        capacity = capacity_from_env() if capacity is None else capacity
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        if turn_seconds <= 0:
            raise ValueError(f"turn_seconds must be > 0, got {turn_seconds}")
        self.capacity = capacity
        self.turn_seconds = turn_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._holders: dict[Hashable, Turn] = {}
        self._waiting: deque[Turn] = deque()
        self._short_waiting = 0  # the first this many of _waiting are short turns

    # Asking for turns.
    def request(self, run_key: Hashable, short: bool = False) -> Turn:
        """Line up for a turn without blocking; the turn is granted at once if one is free.

        ``short``: a turn of SHORT_TURN_SECONDS for a single step, lined up ahead of the full
        turns (behind other short ones): it costs the runs behind it a few milliseconds."""
        with self._lock:
            if self._wants(run_key):
                raise ValueError(f"run {run_key!r} already has a turn or waits for one")
            seconds = min(SHORT_TURN_SECONDS, self.turn_seconds) if short else self.turn_seconds
            turn = Turn(self, run_key, self.clock(), seconds)
            if short:
                self._short_waiting += 1
                self._waiting.insert(self._short_waiting - 1, turn)
            else:
                self._waiting.append(turn)
            self._grant_free_turns()
            return turn

    @contextmanager
    def turn(
        self, run_key: Hashable, give_up: threading.Event | None = None, short: bool = False
    ) -> Iterator[Turn | None]:
        """Wait for a turn (``short``: see request) and hold it for the ``with`` block; handed
        back when the block ends, also by an exception. Gives None (and holds nothing) if
        ``give_up`` is set first."""
        turn = self.request(run_key, short)
        try:
            yield turn if turn.wait(give_up) else None
        finally:
            turn.release()

    # What the page shows.
    @property
    def active(self) -> int:
        """Runs holding a turn right now."""
        with self._lock:
            return len(self._holders)

    @property
    def waiting(self) -> int:
        """Runs waiting for a turn right now."""
        with self._lock:
            return len(self._waiting)

    def sharing(self, run_key: Hashable) -> Sharing:
        """``sharing_with`` and ``share`` of one moment (one look under the lock)."""
        with self._lock:
            wants = self._wants(run_key)
            wanting = self._wanting()
            return Sharing(wanting - wants, min(1.0, self.capacity / (wanting + (not wants))))

    def sharing_with(self, run_key: Hashable) -> int:
        """How many other runs want turns (hold or wait for one) right now; paused runs don't."""
        with self._lock:
            return self._wanting() - self._wants(run_key)

    def share(self, run_key: Hashable) -> float:
        """The fraction of wall time this run computes while the runs wanting turns stay as they
        are now: ``capacity / wanting``, at most 1. For a run that does not want a turn now
        (paused), the share it would get by asking."""
        with self._lock:
            wanting = self._wanting() + (not self._wants(run_key))
            return min(1.0, self.capacity / wanting)

    # Under the lock.
    def _wanting(self) -> int:
        return len(self._holders) + len(self._waiting)

    def _wants(self, run_key: Hashable) -> bool:
        return run_key in self._holders or any(t.run_key == run_key for t in self._waiting)

    def _grant_free_turns(self) -> None:
        while len(self._holders) < self.capacity and self._waiting:
            turn = self._waiting.popleft()
            if self._short_waiting:  # short turns are at the front: that was one
                self._short_waiting -= 1
            turn.granted_at = self.clock()
            self._holders[turn.run_key] = turn
            turn._granted.notify()

    def _wait(self, turn: Turn, give_up: threading.Event | None) -> bool:
        with self._lock:
            while True:
                # Checked before the grant: a run stopped while queued never starts a turn.
                if give_up is not None and give_up.is_set():
                    self._release_locked(turn)
                    return False
                if turn.released:
                    return False
                if turn.granted_at is not None:
                    return True
                # An Event cannot wake a Condition: look at give_up every few hundredths.
                turn._granted.wait(GIVE_UP_POLL_SECONDS if give_up is not None else None)

    def _release(self, turn: Turn) -> None:
        with self._lock:
            self._release_locked(turn)

    def _release_locked(self, turn: Turn) -> None:
        if turn.released:
            return
        turn.released = True
        if self._holders.get(turn.run_key) is turn:
            del self._holders[turn.run_key]
        else:
            if self._waiting.index(turn) < self._short_waiting:
                self._short_waiting -= 1
            self._waiting.remove(turn)
        self._grant_free_turns()
