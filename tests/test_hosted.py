"""The app as a public hosted demo, through AppTest: shared read-only data, bounded sessions,
training in turns under the process-wide cap, the step bound, sessions that end, hostile uploads,
extreme settings, odd canvases.

Every hostile input must give a clear message, leave the visitor's model and history alone, and
leave the app working (the next interaction succeeds). Real-server checks (upload size limit,
closing a tab) are in test_hosted_server.py.
"""

from __future__ import annotations

import gzip
import io
import tracemalloc
import zipfile
from pathlib import Path
from types import SimpleNamespace

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import numpy as np
import pytest
from streamlit.runtime.caching.cache_resource_api import clear_session_cache

from core.datasets import load_dataset
from core.model import MAX_MODEL_BYTES, SoftmaxRegression
from core.preprocess import digit_to_canvas
from core.train import MAX_EPOCHS, ConfigError, RunStatus, TrainConfig
from tests.apptest_helpers import (
    APPTEST_SESSION_ID,
    click,
    headline,
    progress_text,
    rerun_until,
    session_run,
    tiny_dataset,
    train_page,
    train_threads,
    wait_for_runs,
    wait_until,
)
from ui import state
from ui.background import BackgroundRun
from ui.loaders import load_shared_dataset
from ui.scheduler import MAX_RUN_STEPS_ENV, FairScheduler, capacity_from_env
from ui.sidebar import upload_limit_mb
from ui.training import training_scheduler

REPO = Path(__file__).resolve().parents[1]
QUEUED, RUNNING = RunStatus.QUEUED, RunStatus.RUNNING


@pytest.fixture(autouse=True)
def server_turns_free():
    """The scheduler is process-wide: a job an earlier test started (an optimum the Train form
    asked for, say) may still hold a turn. These tests count turns, so they start without any."""
    scheduler = training_scheduler()
    wait_until(
        lambda: scheduler.active == 0 and scheduler.waiting == 0,
        timeout=300,
        what="earlier tests' background jobs to end",
    )


def sidebar_errors(at) -> str:
    return " ".join(e.value for e in at.sidebar.error)


# ---------------------------------------------------------------------------------------------
# Server settings


def test_config_toml_has_the_public_deployment_settings():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == 2
    assert config["server"]["enableXsrfProtection"] is True
    assert "headless" not in config["server"]  # a laptop opens the browser; servers are headless
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["browser"]["gatherUsageStats"] is False
    # The limit the uploader states is the server's.
    assert upload_limit_mb() == config["server"]["maxUploadSize"]
    # A model file is ~32 kB: the loader's own bound is above the upload limit, so the upload
    # limit is what a visitor meets first.
    assert upload_limit_mb() * 1024 * 1024 <= MAX_MODEL_BYTES


# ---------------------------------------------------------------------------------------------
# Memory: one shared read-only dataset, bounded sessions


def test_dataset_is_loaded_once_shared_and_read_only(app):
    ds = load_shared_dataset("mnist")
    assert load_shared_dataset("mnist") is ds, "one copy per process"
    for name in ("train_images", "train_labels", "test_images", "test_labels"):
        array = getattr(ds, name)
        assert not array.flags.writeable, name
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1

    # A run trains on the shared arrays: setting one up allocates far less than a copy of them.
    tracemalloc.start()
    try:
        BackgroundRun("shared", TrainConfig(), ds, FairScheduler(capacity=1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < (ds.train_images.nbytes + ds.test_images.nbytes) / 2


def _session_array_bytes(at) -> int:
    """Bytes of the numpy arrays a session holds (models, their snapshots), shared ones excluded."""
    seen, total = set(), 0
    for entry in at.session_state[state.MODELS].values():
        if entry.origin == "shipped":
            continue
        arrays = [entry.model.W, entry.model.b]
        arrays += [a for _, W, b in entry.snapshots for a in (W, b)]
        for a in arrays:
            if id(a) not in seen:
                seen.add(id(a))
                total += a.nbytes
    return total


def test_a_session_that_uploads_many_models_stays_bounded(app):
    rng = np.random.default_rng(0)
    blob = SoftmaxRegression(
        rng.standard_normal((784, 10)).astype(np.float32), np.zeros(10)
    ).to_bytes()
    for i in range(state.MAX_MODELS_KEPT + 8):
        app.sidebar.file_uploader[0].upload(f"m{i}.npz", blob).run()
        assert not app.exception and not sidebar_errors(app)
    models = app.session_state[state.MODELS]
    assert len(models) == 1 + state.MAX_MODELS_KEPT
    assert state.DEFAULT_MODEL_NAME in models, "the shipped model is never dropped"
    assert app.session_state[state.CURRENT_MODEL] == f"Uploaded: m{state.MAX_MODELS_KEPT + 7}.npz"
    assert _session_array_bytes(app) < state.MAX_MODELS_KEPT * 32_000


def test_a_session_that_starts_many_runs_keeps_a_bounded_history(app):
    train_page(app, epochs=MAX_EPOCHS)
    for _ in range(state.MAX_RUNS_KEPT + 3):
        click(app, "Start training")
        click(app, "Stop")
        assert len(train_threads()) <= 1, "a new run replaces the old one"
    wait_for_runs(app, state.MAX_RUNS_KEPT)
    runs = app.session_state[state.RUNS]
    assert len(runs) == state.MAX_RUNS_KEPT
    assert runs[-1].name == f"Run {state.MAX_RUNS_KEPT + 3}"
    assert all(r.outcome == "stopped" for r in runs)


def test_trained_models_keep_snapshots_only_for_the_newest(monkeypatch):
    # state.add_model on a plain dict session (training 16 real runs would take too long).
    session = {state.CURRENT_MODEL: None, state.MODELS: {}}
    monkeypatch.setattr(state, "st", SimpleNamespace(session_state=session))
    W = np.zeros((784, 10), np.float32)
    for i in range(16):
        snaps = [(e, W.copy(), np.zeros(10, np.float32)) for e in range(1, 22)]
        model = SoftmaxRegression(W, np.zeros(10))
        state.add_model(state.ModelEntry(f"Run {i}", model, "mnist", "trained", 0.9, snaps))
    kept = session[state.MODELS]
    assert len(kept) == state.MAX_MODELS_KEPT
    with_snapshots = [name for name, e in kept.items() if e.snapshots]
    assert with_snapshots == [f"Run {i}" for i in range(16 - state.MAX_MODELS_WITH_SNAPSHOTS, 16)]
    assert session[state.CURRENT_MODEL] == "Run 15"
    total = sum(a.nbytes for e in kept.values() for _, W_, b_ in e.snapshots for a in (W_, b_))
    assert total < 3_000_000


def test_a_finished_run_does_not_keep_every_epoch_twice(app):
    train_page(app, epochs=3)
    click(app, "Start training")
    run = session_run()
    wait_for_runs(app, 1)
    entry = app.session_state[state.MODELS][app.session_state[state.CURRENT_MODEL]]
    assert [e for e, _, _ in entry.snapshots] == [1, 2, 3]
    kept_by_the_run = run.view(with_snapshots=True).snapshots
    assert all(
        W_entry is W_run and b_entry is b_run
        for (_, W_entry, b_entry), (_, W_run, b_run) in zip(
            entry.snapshots, kept_by_the_run, strict=True
        )
    ), "one copy of each epoch's weights"


# ---------------------------------------------------------------------------------------------
# CPU: turns under the process-wide cap, the epoch and step bounds, sessions that end


def test_three_long_runs_under_a_cap_of_two_all_train_and_end_with_nothing_held():
    scheduler = FairScheduler(capacity=2)
    data = tiny_dataset()
    config = TrainConfig(epochs=MAX_EPOCHS, batch_size=1)  # long: it never ends by itself
    runs = [BackgroundRun(f"cap-{i}", config, data, scheduler) for i in range(3)]
    try:
        for run in runs:
            run.start()
        # No run waits for another to end: each gets turns, and each sees the other two.
        wait_until(
            lambda: all(r.view().global_step > 100 for r in runs), timeout=30, what="all train"
        )
        wait_until(lambda: all(r.view().sharing_with == 2 for r in runs), what="three runs sharing")
        assert all(r.view().status == RUNNING for r in runs)
        assert scheduler.active <= 2
    finally:
        for run in runs:
            run.stop()
        for run in runs:
            run.join(5)
    assert scheduler.active == 0 and scheduler.waiting == 0
    assert not any(r.alive for r in runs)


def test_train_page_shows_queued_while_the_servers_turns_are_all_held(app):
    scheduler = training_scheduler()  # the process-wide instance the app uses
    held = [scheduler.request(f"another visitor {i}") for i in range(scheduler.capacity)]
    try:
        assert all(turn.held for turn in held)
        train_page(app, epochs=2)
        click(app, "Start training")
        run = session_run()
        assert run.view().status == QUEUED
        rerun_until(app, lambda at: at.info, what="the queue notice")
        infos = " ".join(i.value for i in app.info)
        assert "Queued: waiting for a turn" in infos
        assert f"Sharing the server with {scheduler.capacity} other run" in infos
        assert "Queued" in progress_text(app)
        held.pop().release()
        wait_until(lambda: run.view().status != QUEUED, what="a free turn")
        wait_for_runs(app, 1)
        assert app.session_state[state.RUNS][-1].outcome == "finished"
    finally:
        for turn in held:
            turn.release()


def test_train_page_says_when_the_run_shares_the_server(app):
    other = BackgroundRun(
        "another visitor", TrainConfig(epochs=MAX_EPOCHS, batch_size=1), tiny_dataset(),
        training_scheduler(),
    )  # fmt: skip
    try:
        other.start()
        train_page(app, epochs=MAX_EPOCHS, batch_size=1)
        click(app, "Start training")
        rerun_until(
            app,
            lambda at: (
                "Sharing the server with 1 other run: this run gets about"
                in " ".join(c.value for c in at.caption)
            ),
            what="the sharing line",
        )
        # Alone again, the line goes.
        other.stop()
        other.join(5)
        rerun_until(
            app,
            lambda at: not any("Sharing the server" in c.value for c in at.caption),
            what="the sharing line to go",
        )
        click(app, "Stop")
    finally:
        other.stop()
        other.join(5)


def test_the_apps_scheduler_takes_its_capacity_from_the_env():
    # The default (one turn per core) and odd values: tests/test_scheduler.py.
    assert training_scheduler().capacity == capacity_from_env()


def test_a_run_over_the_step_bound_is_refused_with_a_message_and_starts_nothing(app, monkeypatch):
    monkeypatch.setenv(MAX_RUN_STEPS_ENV, "1000")
    train_page(app, epochs=3)  # 3 x 469 = 1,407 steps
    click(app, "Start training")
    errors = " ".join(e.value for e in app.error)
    assert "1,407 training steps" in errors and "at most 1,000" in errors
    assert "at most 2 epochs fit" in errors
    assert session_run() is None and not train_threads()
    click(app, "One step")  # the same settings through One step: refused the same way
    assert "1,407 training steps" in " ".join(e.value for e in app.error)
    assert session_run() is None and not train_threads()
    # Within the bound, it starts.
    train_page(app, epochs=2)
    click(app, "Start training")
    assert not app.error and session_run() is not None
    wait_for_runs(app, 1)


def test_epochs_are_capped_in_the_widget_and_in_the_core(app):
    train_page(app)
    epochs = next(n for n in app.number_input if n.label == "Epochs")
    assert epochs.max == MAX_EPOCHS == 100
    assert TrainConfig(epochs=100).validate().epochs == 100
    with pytest.raises(ConfigError, match="epochs"):
        TrainConfig(epochs=101).validate()
    # The cap itself is accepted through the form.
    epochs.set_value(100)
    click(app, "Start training")
    assert session_run().config.epochs == 100
    assert "of 100" in progress_text(app)
    click(app, "Stop")


def test_epochs_over_the_cap_are_refused_by_the_widget(app):
    train_page(app, epochs=MAX_EPOCHS + 1)
    click(app, "Start training")
    # Streamlit refuses a value outside min/max: no run starts with 101 epochs.
    run = session_run()
    assert run is None or run.config.epochs <= MAX_EPOCHS


def test_ending_the_session_stops_its_run_and_thread(app):
    train_page(app, epochs=MAX_EPOCHS)
    click(app, "Start training")
    wait_until(lambda: len(train_threads()) == 1, what="the training thread")
    run = session_run()
    clear_session_cache(APPTEST_SESSION_ID)  # what Streamlit does when the tab goes away
    assert not run.alive, "on_release joined the thread"
    assert not train_threads()
    assert run.view().status == "stopped"
    scheduler = training_scheduler()
    assert scheduler.active == 0 and scheduler.waiting == 0, "it holds no turn"


# ---------------------------------------------------------------------------------------------
# Settings at their extremes through the Train form


def test_a_runaway_run_is_safety_stopped_and_keeps_model_and_history(app):
    train_page(app, epochs=1, seed=1)
    click(app, "Start training")
    wait_for_runs(app, 1)
    good_model = app.session_state[state.CURRENT_MODEL]
    assert good_model.startswith("Run 1")
    train_page(app, lr=1000.0, l2=1.0, epochs=3)
    click(app, "Start training")
    wait_for_runs(app, 2)
    runs = app.session_state[state.RUNS]
    assert [r.outcome for r in runs] == ["finished", "stopped"]
    assert "safety stop" in " ".join(w.value for w in app.warning)
    assert app.session_state[state.CURRENT_MODEL] == good_model, "the good model stays current"
    assert runs[0].history, "the earlier run's history is kept"
    # The app goes on: the next run works.
    train_page(app, lr=0.1, l2=0.0, epochs=1)
    click(app, "Start training")
    wait_for_runs(app, 3)
    assert app.session_state[state.RUNS][-1].outcome == "finished"


def test_batch_1_trains_sixty_thousand_steps_an_epoch_and_can_be_stopped(app):
    train_page(app, batch_size=1, epochs=1)
    click(app, "Start training")
    run = session_run()
    wait_until(lambda: run.view().global_step > 200, what="batch-1 steps")
    app.run()
    assert "of 60,000" in progress_text(app)
    click(app, "Stop")
    wait_for_runs(app, 1)
    record = app.session_state[state.RUNS][-1]
    assert record.outcome == "stopped" and record.config["batch_size"] == 1
    assert record.step_losses, "the minibatch losses so far are kept"
    assert app.session_state[state.CURRENT_MODEL] == state.DEFAULT_MODEL_NAME


def test_full_batch_60000_is_gradient_descent_one_step_an_epoch(app):
    train_page(app, batch_size=60000, epochs=2, lr=0.5)
    click(app, "Start training")
    run = session_run()
    wait_for_runs(app, 1)
    record = app.session_state[state.RUNS][-1]
    assert record.outcome == "finished"
    assert len(record.history) == 2
    assert run.view().total_steps == 2
    assert record.history[-1]["test_acc"] > 0.5


def test_huge_l2_has_a_clear_outcome_and_no_crash(app):
    train_page(app, l2=1000.0, epochs=1)
    click(app, "Start training")
    wait_for_runs(app, 1)
    record = app.session_state[state.RUNS][-1]
    # lr × l2 = 100: the weights' size is multiplied by 99 a step, the safety stop ends it.
    assert record.outcome == "stopped" and record.message.startswith("safety stop")
    assert "grow without limit" in " ".join(w.value for w in app.warning)
    assert app.session_state[state.CURRENT_MODEL] == state.DEFAULT_MODEL_NAME
    click(app, "Reset")  # and the page still answers


# ---------------------------------------------------------------------------------------------
# Hostile uploads


def _good_model_bytes() -> bytes:
    rng = np.random.default_rng(1)
    return SoftmaxRegression(
        rng.standard_normal((784, 10)).astype(np.float32), np.zeros(10)
    ).to_bytes()


def _huge_claim() -> bytes:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (784, 10**7)}
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("W.npy", header.getvalue() + bytes(64))
        zf.writestr("b.npy", header.getvalue())
    return out.getvalue()


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("W.npy", bytes(50_000_000))
    return out.getvalue()


class _WritesAFile:
    def __init__(self, target: Path):
        self.target = target

    def __reduce__(self):
        return (Path.write_text, (self.target, "unpickled!"))


HOSTILE_UPLOADS = {
    "truncated": lambda: _good_model_bytes()[:5000],
    "wrong magic": lambda: b"NOPE" + _good_model_bytes()[4:],
    "absurd size claim": _huge_claim,
    "gzip named .npz": lambda: gzip.compress(_good_model_bytes()),
    "one byte": lambda: b"P",
    "zip bomb": _zip_bomb,
    "idx file": lambda: bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]),
}


@pytest.mark.parametrize("case", list(HOSTILE_UPLOADS))
def test_hostile_upload_is_refused_and_keeps_model_and_history(app, case):
    # A visitor with a trained model and a run in the history ...
    train_page(app, epochs=1)
    click(app, "Start training")
    wait_for_runs(app, 1)
    current = app.session_state[state.CURRENT_MODEL]
    models = dict(app.session_state[state.MODELS])
    # ... uploads something hostile.
    app.sidebar.file_uploader[0].upload(f"{case}.npz", HOSTILE_UPLOADS[case]()).run()
    assert not app.exception
    assert f"{case}.npz" in sidebar_errors(app)
    assert app.session_state[state.CURRENT_MODEL] == current
    assert dict(app.session_state[state.MODELS]) == models
    assert len(app.session_state[state.RUNS]) == 1
    # The next interaction works: a good upload is taken and the error goes away.
    app.sidebar.file_uploader[0].upload("good.npz", _good_model_bytes()).run()
    assert not app.exception and not sidebar_errors(app)
    assert app.session_state[state.CURRENT_MODEL] == "Uploaded: good.npz"


def test_empty_upload_is_refused(app):
    app.sidebar.file_uploader[0].upload("empty.npz", b"").run()
    assert not app.exception
    assert "empty.npz" in sidebar_errors(app) and "empty" in sidebar_errors(app)
    assert app.session_state[state.CURRENT_MODEL] == state.DEFAULT_MODEL_NAME


def test_pickled_upload_is_never_unpickled(app, tmp_path):
    target = tmp_path / "pwned.txt"
    payload = io.BytesIO()
    np.savez(payload, W=np.array([_WritesAFile(target)], dtype=object), b=np.zeros(10))
    app.sidebar.file_uploader[0].upload("evil.npz", payload.getvalue()).run()
    assert not app.exception
    assert "pickle" in sidebar_errors(app)
    assert not target.exists(), "the pickle was unpickled"
    assert app.session_state[state.CURRENT_MODEL] == state.DEFAULT_MODEL_NAME
    # Guard the guard: this payload does write the file once unpickling is allowed.
    np.load(io.BytesIO(payload.getvalue()), allow_pickle=True)["W"]
    assert target.exists()


# ---------------------------------------------------------------------------------------------
# Odd canvases on the Draw page


def _rgba(fill: int = 0) -> np.ndarray:
    image = np.full((280, 280, 4), fill, dtype=np.uint8)
    image[..., 3] = 255
    return image


def _dot() -> np.ndarray:
    image = _rgba(0)
    image[100:103, 150:153, :3] = 255
    return image


def _transparent() -> np.ndarray:
    return np.zeros((280, 280, 4), dtype=np.uint8)


@pytest.mark.parametrize(
    ("case", "make", "kind"),
    [
        ("empty", lambda: _rgba(0), "info"),
        ("transparent", _transparent, "info"),
        ("all white", lambda: _rgba(255), "any"),
        ("single dot", _dot, "dot"),
        ("nothing yet", lambda: None, "info"),
    ],
)
def test_odd_canvases_give_a_message_and_the_page_goes_on(app, canvas, case, make, kind):
    canvas.image = make()
    app.switch_page("pages/draw.py").run()
    assert not app.exception, case
    messages = " ".join(m.value for m in [*app.info, *app.warning])
    if kind == "info":
        assert "draw" in messages.lower() and headline(app) == ""
    elif kind == "dot":  # said so, and no confident headline; the scores are still shown
        assert "a dot, not a digit" in messages and headline(app) == ""
        bodies = [h.proto.body for h in app.get("html")]
        assert any("prob-bars" in b for b in bodies), "the probabilities are shown"
        assert any('class="logit-parts' in b for b in bodies), "and how each logit is made"
    else:  # all white: a message, or at worst a prediction, never a crash
        assert messages or headline(app)
    # The next drawing is scored as usual.
    mnist = load_dataset("mnist")
    index = int(np.flatnonzero(mnist.test_labels == 7)[0])
    canvas.image = digit_to_canvas(mnist.test_images[index].reshape(28, 28), 120, 20, 140)
    app.run()
    assert not app.exception and "It's a **7**" in headline(app)
