"""Training runs in threads of their own, with no Streamlit in them: one run controllable between
steps that trains in turns granted by the process-wide ui.scheduler.FairScheduler
(BackgroundRun), the consistent copy a page draws (RunView), and what one browser session owns
(SessionRuns).

The Streamlit side (caching these per process and per session, redrawing a live run, moving a
finished run into the session) is ui/training.py.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np

from core.datasets import Dataset
from core.train import DoneEvent, EpochEvent, RunStatus, StepEvent, TrainConfig, Trainer
from ui.pace import Pacer
from ui.scheduler import FairScheduler, Sharing, Turn

# Bounds on what one run keeps in memory (a hosted demo serves many sessions).
MAX_STEP_POINTS = 2000
MAX_SNAPSHOTS = 21


class Stopwatch:
    """Seconds spent between start() and stop(), over any number of such stretches."""

    def __init__(self):
        self._total = 0.0
        self._since: float | None = None

    def start(self) -> None:
        if self._since is None:
            self._since = time.perf_counter()

    def stop(self) -> None:
        if self._since is not None:
            self._total += time.perf_counter() - self._since
            self._since = None

    @property
    def seconds(self) -> float:
        running = 0.0 if self._since is None else time.perf_counter() - self._since
        return self._total + running


@dataclass
class RunView:
    """A copy of a run's progress, safe to render while the thread goes on.

    Time: ``elapsed`` counts the seconds the run computed (turns held), not the time it was
    paused or waited for a turn, so ``elapsed / global_step`` is the run's pace when it has a
    core to itself, steady whoever else trains. ``steps_per_sec`` is what the visitor sees
    happen: steps per second of wall time over the last half second, waits for turns
    included. ``eta_seconds`` divides the remaining steps at that solo pace by ``share``, the
    fraction of the time the run gets to compute now, so the estimate follows the other runs
    as they come, pause or go.
    """

    name: str
    config: TrainConfig
    dataset: str
    status: RunStatus
    message: str
    global_step: int
    total_steps: int
    epoch: int
    elapsed: float  # seconds spent computing (pauses and waits for a turn excluded)
    last_batch_loss: float | None
    steps_per_sec: float
    step_losses: list[tuple[int, float]]
    step_accs: list[tuple[int, float]]
    history: list[dict]
    latest_W: np.ndarray | None
    snapshots: list[tuple[int, np.ndarray, np.ndarray]] = field(default_factory=list)
    sharing_with: int = 0  # other runs that want turns on this server right now
    share: float = 1.0  # the fraction of wall time this run computes while that stays so
    paced_steps_per_sec: float | None = None  # the watchable pace's steps a second; None: full
    wall_seconds: float = 0.0  # on the clock since Start: pauses, pace and waits for turns included
    latest_W_step: int = 0  # the step latest_W is from: an epoch's last, or one stepped by hand

    @property
    def fraction_done(self) -> float:
        return min(1.0, self.global_step / max(1, self.total_steps))

    @property
    def eta_seconds(self) -> float | None:
        """Wall seconds left: the run's average computing pace so far (epoch-end evaluations
        included; the speed of the last half second jumps around too much, with small batches
        above all) at its current share of the server. In its first second of computing, the
        last window's wall-clock speed (which already shows the share) is all there is."""
        if self.status != RunStatus.RUNNING:
            return None
        left = self.total_steps - self.global_step
        # A paced run takes at least its pace's time, however fast it could compute.
        paced = left / self.paced_steps_per_sec if self.paced_steps_per_sec else 0.0
        if self.global_step > 0 and self.elapsed >= 1.0:
            return max(paced, left * self.elapsed / self.global_step / max(self.share, 1e-6))
        if self.steps_per_sec > 0:
            return max(paced, left / self.steps_per_sec)
        return paced or None

    @property
    def is_final(self) -> bool:
        return self.status.is_final


class BackgroundRun:
    """One training run in its own daemon thread, controllable between steps.

    The thread trains in turns from ``scheduler``: it asks for a turn, steps until the turn
    expires, hands it back and asks again. Paused, it asks for nothing and sleeps until a
    control wakes it; pausing or stopping while it waits for a turn withdraws the request.
    A single step while paused asks for a short turn. A paced run (``set_pace``) asks for a turn
    only when steps are due and takes only those, then sleeps holding nothing. Status: QUEUED
    until its first turn, then RUNNING (also between turns), PAUSED while paused, then the
    trainer's final status.

    view() never waits for a step: the trainer's numbers come from its progress() (one moment
    between two steps), this run's own (status, step-loss samples) from under a short lock."""

    def __init__(self, name: str, config: TrainConfig, dataset: Dataset, scheduler: FairScheduler):
        self.name = name
        self.config = config
        self.dataset_name = dataset.name
        self.started_at = time.monotonic()
        self.first_turn_at: float | None = None  # time.monotonic() of its first turn
        self.ended_at: float | None = None  # time.monotonic() when the thread ended
        self._trainer = Trainer(config, dataset, keep_snapshots=MAX_SNAPSHOTS)
        self._scheduler = scheduler
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._unpaused = threading.Event()
        self._unpaused.set()
        # Set by pause and stop: a request for a turn is withdrawn.
        self._leave_queue = threading.Event()
        # Set by the controls: a paused thread looks at what it should do.
        self._nudge = threading.Event()
        self._holding = threading.Event()  # set while paused, between steps, holding no turn
        self._single_steps = 0
        self._pacer: Pacer | None = None  # None: full speed
        self._status = RunStatus.QUEUED
        self._message = ""
        self._step_losses: list[tuple[int, float]] = []
        self._step_accs: list[tuple[int, float]] = []
        self._latest_W: np.ndarray | None = None
        self._latest_W_step = 0  # the step _latest_W is from
        self._clock = Stopwatch()  # computing time: turns held
        self._rate = 0.0
        self._window_start, self._window_steps = time.perf_counter(), 0
        self._thread = threading.Thread(target=self._work, name=f"train-{name}", daemon=True)

    # Controls, called from the script thread.
    def start(self, paused: bool = False) -> None:
        if paused:
            self._unpaused.clear()
        self._thread.start()

    def set_pace(self, epoch_seconds: float | None) -> None:
        """Train at most one epoch every `epoch_seconds` (None: at full speed), from now on."""
        with self._lock:
            if epoch_seconds is None:
                self._pacer = None
            else:
                self._pacer = Pacer(self._trainer.steps_per_epoch, epoch_seconds)
                self._pacer.restart(self._trainer.progress().global_step)
        self._nudge.set()

    def pause(self, wait: float = 1.0) -> None:
        """Pause between two steps; wait up to `wait` s for the thread to get there (its turn,
        or its place in the queue, handed back), so the page drawn next shows the step it
        stopped at (a paced run is not redrawn)."""
        self._unpaused.clear()
        self._leave_queue.set()
        self._nudge.set()  # a paced run sleeping until its next step looks now
        with self._lock:
            live = not self._status.is_final
        if live and self.alive:
            self._holding.wait(wait)

    def resume(self) -> None:
        self._unpaused.set()
        self._nudge.set()

    def step_once(self, wait: float = 2.0) -> None:
        """While paused, train exactly one more minibatch; wait up to `wait` s for it, so the
        page drawn next shows it (a paused run is not redrawn until the next click)."""
        with self._lock:
            self._single_steps += 1
            target = self._trainer.progress().global_step + self._single_steps
        self._nudge.set()
        deadline = time.monotonic() + wait
        while (
            self.alive
            and self._trainer.progress().global_step < target
            and time.monotonic() < deadline
        ):
            time.sleep(0.005)

    def stop(self) -> None:
        self._stop.set()
        self._leave_queue.set()
        self._nudge.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def model(self):
        """The trainer's model: the weights of the last finished epoch, with its metrics."""
        return self._trainer.model

    def sharing(self) -> Sharing:
        """How this run shares the server now (see FairScheduler.sharing)."""
        return self._scheduler.sharing(self)

    def view(self, with_snapshots: bool = False) -> RunView:
        others, share = self.sharing()
        with self._lock:
            progress = self._trainer.progress(with_snapshots)
            status = self._status
            if not status.is_final and not self._unpaused.is_set():
                status = RunStatus.PAUSED
            return RunView(
                name=self.name,
                config=self.config,
                dataset=self.dataset_name,
                status=status,
                message=self._message,
                global_step=progress.global_step,
                total_steps=progress.total_steps,
                epoch=progress.epoch,
                elapsed=self._clock.seconds,
                wall_seconds=(self.ended_at or time.monotonic()) - self.started_at,
                last_batch_loss=progress.last_batch_loss,
                steps_per_sec=self._rate,
                step_losses=list(self._step_losses),
                step_accs=list(self._step_accs),
                history=list(progress.history),
                latest_W=self._latest_W,
                latest_W_step=self._latest_W_step,
                snapshots=list(progress.snapshots),
                sharing_with=others,
                share=share,
                paced_steps_per_sec=self._pacer.steps_per_second if self._pacer else None,
            )

    # The thread.
    def _work(self) -> None:
        try:
            self._train()
        except Exception as err:  # noqa: BLE001 - the UI shows it; the thread must not die silently
            self._finish(RunStatus.FAILED, f"Training failed: {err}")
        finally:
            self._clock.stop()
            self.ended_at = time.monotonic()
            self._holding.set()

    def _train(self) -> None:
        """Turns until the run ends: none while paused, a short one per single step."""
        while True:
            # Cleared before looking, so a control that comes after the look is not missed.
            self._leave_queue.clear()
            self._nudge.clear()
            if self._stop.is_set():
                self._end_stopped()
                return
            single = not self._unpaused.is_set() and self._take_single_step()
            if not self._unpaused.is_set() and not single:
                self._holding.set()
                self._nudge.wait()
                self._window_start, self._window_steps = time.perf_counter(), 0
                self._restart_pace()
                continue
            if not single and (wait := self._seconds_to_next_paced_step()) > 0:
                self._nudge.wait(wait)  # no turn is held nor asked for meanwhile
                continue
            self._holding.clear()
            # A single step is withdrawn only by Stop; a full turn's request also by Pause.
            give_up = self._stop if single else self._leave_queue
            with self._scheduler.turn(self, give_up=give_up, short=single) as turn:
                if turn is not None and self._use_turn(turn, single):
                    return

    def _restart_pace(self) -> None:
        with self._lock:
            if self._pacer is not None:
                self._pacer.restart(self._trainer.global_step)

    def _seconds_to_next_paced_step(self) -> float:
        """0 at full speed or when a paced step is due, else the seconds to sleep."""
        with self._lock:
            pacer, step = self._pacer, self._trainer.global_step
        if pacer is None or pacer.due(step) > 0:
            return 0.0
        return pacer.seconds_to_wait(step)

    def _paced_step_due(self) -> bool:
        with self._lock:
            pacer, step = self._pacer, self._trainer.global_step
        return pacer is None or pacer.due(step) > 0

    def _take_single_step(self) -> bool:
        with self._lock:
            if self._single_steps == 0:
                return False
            self._single_steps -= 1
            return True

    def _use_turn(self, turn: Turn, single: bool) -> bool:
        """Step while the turn lasts and the run is not paused or stopped (one step for a single
        step); True when the run is over."""
        with self._lock:
            if self._status == RunStatus.QUEUED:
                self._status = RunStatus.RUNNING
                self.first_turn_at = time.monotonic()
                if self._pacer is not None:
                    # The pace counts from the first turn: the time queued is not owed in a
                    # burst of steps (the curve would jump at the start).
                    self._pacer.restart(self._trainer.global_step)
        self._clock.start()
        try:
            if single:
                return self._step(single=True)
            while (
                not turn.expired()
                and self._unpaused.is_set()
                and not self._stop.is_set()
                and self._paced_step_due()
            ):
                if self._step(single=False):
                    return True
                self._window_steps += 1
                now = time.perf_counter()
                if now - self._window_start >= 0.5:
                    self._rate = self._window_steps / (now - self._window_start)
                    self._window_start, self._window_steps = now, 0
            return False
        finally:
            self._clock.stop()

    def _end_stopped(self) -> None:
        self._trainer.stop()  # its model then says "stopped", not "running"
        self._finish(RunStatus.STOPPED, "Stopped by you")

    def _step(self, single: bool) -> bool:
        """One trainer step, its events recorded; True when the run is over."""
        events = self._trainer.step()
        with self._lock:
            return self._record(events, single)

    def _record(self, events: list, single: bool) -> bool:
        if single:  # stepping by hand: every step's templates (a copy: W changes in place)
            self._latest_W, self._latest_W_step = self._trainer.W.copy(), self._trainer.global_step
            if not any(isinstance(e, StepEvent) for e in events):  # and loss, not every k-th
                self._step_losses.append(
                    (self._trainer.global_step, float(self._trainer.last_batch_loss))
                )
        for event in events:
            if isinstance(event, StepEvent):
                self._step_losses.append((event.step, float(event.loss)))
                self._step_accs.append((event.step, float(event.running_acc)))
                if len(self._step_losses) > MAX_STEP_POINTS:
                    # Halve the resolution rather than drop the start of the curve.
                    self._step_losses = self._step_losses[::2]
                    self._step_accs = self._step_accs[::2]
            elif isinstance(event, EpochEvent):
                self._latest_W, self._latest_W_step = event.W, self._trainer.global_step
            elif isinstance(event, DoneEvent):
                self._status, self._message = event.reason, event.message
                return True
        return False

    def _finish(self, status: RunStatus, message: str) -> None:
        with self._lock:
            if not self._status.is_final:
                self._status, self._message = status, message


# A second Start within this many seconds, same settings, keeps the run that the first began
# (a restart with the same settings and seed would only replay that run).
REPEAT_START_SECONDS = 2.0


class SessionRuns:
    """What one browser session owns: at most one live run, plus whether it was collected."""

    def __init__(self):
        self.current: BackgroundRun | None = None
        self.collected = False
        self.counter = 0

    def start(
        self,
        config: TrainConfig,
        dataset: Dataset,
        scheduler: FairScheduler,
        paused: bool = False,
        epoch_seconds: float | None = None,
    ) -> BackgroundRun:
        """Stop the live run, if any, and start a new one (numbered once it exists), at full
        speed or at most one epoch every `epoch_seconds`."""
        self.shutdown()
        run = BackgroundRun(f"Run {self.counter + 1}", config, dataset, scheduler)
        self.counter += 1
        self.current, self.collected = run, False
        if epoch_seconds is not None:
            run.set_pace(epoch_seconds)
        run.start(paused=paused)
        return run

    @property
    def live(self) -> BackgroundRun | None:
        """The run that has not been collected into the session yet, else None."""
        return None if self.collected else self.current

    def is_repeat_start(
        self, config: TrainConfig, dataset: Dataset, seed_moves_on: bool = False
    ) -> bool:
        """Whether a Start with these settings is the second click of a double click: the live
        run goes on (not paused), has the same settings (with `seed_moves_on`, the seed rule's,
        also with the next seed, which the form shows after the first click) and dataset and
        began under
        REPEAT_START_SECONDS ago. Restarting would replay that very run or start a second one,
        and leave a stopped run of 0 epochs behind."""
        run = self.current
        return (
            run is not None
            and not self.collected
            and run.view().status in (RunStatus.QUEUED, RunStatus.RUNNING)
            and config in (run.config, replace(run.config, seed=run.config.seed + seed_moves_on))
            and run.dataset_name == dataset.name
            and time.monotonic() - run.started_at < REPEAT_START_SECONDS
        )

    def shutdown(self) -> None:
        if self.current is not None:
            self.current.stop()
            self.current.join(timeout=5)
