"""The app as a public hosted demo, through AppTest: shared read-only data, bounded sessions,
the process-wide training cap, sessions that end, hostile uploads, extreme settings, odd canvases.

Every hostile input must give a clear message, leave the visitor's model and history alone, and
leave the app working (the next interaction succeeds). Real-server checks (upload size limit,
closing a tab) are in test_hosted_server.py.
"""

from __future__ import annotations

import gzip
import io
import threading
import time
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
from ui.background import BackgroundRun, TrainingSlots, slot_capacity_from_env
from ui.loaders import load_shared_dataset
from ui.sidebar import upload_limit_mb
from ui.training import training_slots

REPO = Path(__file__).resolve().parents[1]
QUEUED, RUNNING = RunStatus.QUEUED, RunStatus.RUNNING


def sidebar_errors(at) -> str:
    return " ".join(e.value for e in at.sidebar.error)


# ---------------------------------------------------------------------------------------------
# Server settings


def test_config_toml_has_the_public_deployment_settings():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == 2
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["headless"] is True
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
        BackgroundRun("shared", TrainConfig(), ds, TrainingSlots(1))
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
# CPU: the process-wide cap, the epoch bound, sessions that end


def test_cap_two_third_run_queues_until_a_slot_frees():
    slots = TrainingSlots(2)
    data = tiny_dataset()
    config = TrainConfig(epochs=MAX_EPOCHS, batch_size=1)  # long enough to hold its slot
    runs = [BackgroundRun(f"cap-{i}", config, data, slots) for i in range(3)]
    try:
        for started, run in enumerate(runs[:2], start=1):
            run.start()
            wait_until(lambda n=started: slots.active == n, what="the run in its slot")
        runs[2].start()
        wait_until(lambda: runs[1].view().status == RUNNING, what="two runs training")
        time.sleep(0.5)  # time enough for the third run to take a slot, were there one
        assert [r.view().status for r in runs] == [RUNNING, RUNNING, QUEUED]
        assert runs[2].view().global_step == 0, "a queued run does not train"
        runs[0].stop()
        runs[0].join(5)
        wait_until(lambda: runs[2].view().status == RUNNING, what="the queued run to start")
        wait_until(lambda: runs[2].view().global_step > 0, what="the queued run to train")
        assert slots.active == 2
    finally:
        for run in runs:
            run.stop()
        for run in runs:
            run.join(5)
    assert slots.active == 0
    assert not any(r.alive for r in runs)


def test_a_queued_run_stopped_before_its_turn_never_takes_a_slot():
    slots = TrainingSlots(1)
    assert slots.acquire(threading.Event())
    run = BackgroundRun("cap-q", TrainConfig(epochs=1), tiny_dataset(), slots)
    run.start()
    time.sleep(0.3)  # time enough to take a slot, were there one
    assert run.view().status == QUEUED
    run.stop()
    run.join(5)
    assert not run.alive and run.view().status == "stopped"
    slots.release()
    assert slots.active == 0


def test_train_page_shows_queued_while_the_servers_slots_are_busy(app):
    slots = training_slots()  # the process-wide instance the app uses
    held = [threading.Event() for _ in range(slots.capacity)]
    for give_up in held:
        assert slots.acquire(give_up)
    try:
        train_page(app, epochs=2)
        click(app, "Start training")
        run = session_run()
        assert run.view().status == QUEUED
        rerun_until(app, lambda at: at.info, what="the queue notice")
        infos = " ".join(i.value for i in app.info)
        assert "Queued" in infos and f"{slots.capacity} of {slots.capacity}" in infos
        assert "Queued" in progress_text(app)
        slots.release()
        held.pop()
        wait_until(lambda: run.view().status != QUEUED, what="a free slot")
        wait_for_runs(app, 1)
        assert app.session_state[state.RUNS][-1].outcome == "finished"
    finally:
        for _ in held:
            slots.release()


def test_slot_capacity_comes_from_the_environment(monkeypatch):
    for raw, expected in (("3", 3), ("0", 1), ("-5", 1), ("lots", 2), ("", 2)):
        monkeypatch.setenv("MNIST_LAB_MAX_CONCURRENT_RUNS", raw)
        assert slot_capacity_from_env() == expected
    monkeypatch.delenv("MNIST_LAB_MAX_CONCURRENT_RUNS")
    assert slot_capacity_from_env() == 2


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
    assert training_slots().active == 0, "its slot is free again"


# ---------------------------------------------------------------------------------------------
# Settings at their extremes through the Train form


def test_lr_1e3_diverges_with_a_message_and_keeps_model_and_history(app):
    train_page(app, epochs=1, seed=1)
    click(app, "Start training")
    wait_for_runs(app, 1)
    good_model = app.session_state[state.CURRENT_MODEL]
    assert good_model.startswith("Run 1")
    train_page(app, lr=1000.0, epochs=3)
    click(app, "Start training")
    wait_for_runs(app, 2)
    runs = app.session_state[state.RUNS]
    assert [r.outcome for r in runs] == ["finished", "diverged"]
    assert "diverged" in " ".join(e.value for e in app.error)
    assert app.session_state[state.CURRENT_MODEL] == good_model, "the good model stays current"
    assert runs[0].history, "the earlier run's history is kept"
    # The app goes on: the next run works.
    train_page(app, lr=0.1, epochs=1)
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
    assert record.outcome in ("finished", "diverged")
    if record.outcome == "diverged":
        assert "diverged" in " ".join(e.value for e in app.error)
        assert app.session_state[state.CURRENT_MODEL] == state.DEFAULT_MODEL_NAME
    else:
        assert any(s.value == "Result of Run 1" for s in app.subheader)
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
        assert app.get("plotly_chart"), "the probabilities are shown"
    else:  # all white: a message, or at worst a prediction, never a crash
        assert messages or headline(app)
    # The next drawing is scored as usual.
    mnist = load_dataset("mnist")
    index = int(np.flatnonzero(mnist.test_labels == 7)[0])
    canvas.image = digit_to_canvas(mnist.test_images[index].reshape(28, 28), 120, 20, 140)
    app.run()
    assert not app.exception and "It's a **7**" in headline(app)
