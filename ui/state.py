"""Every session-state key of the app and its default, in one place.

Pages call `init_state()` first thing; it is idempotent, so any page also works when it is the
first one a visitor opens. Keys are module constants so a typo is an AttributeError, not a
silently new key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from core.datasets import CLASS_NAMES
from core.model import SoftmaxRegression
from core.personal_set import PersonalSet
from core.train import RunStatus, TrainConfig
from ui.i18n import N_, _
from ui.loaders import shipped_model

# Which dataset the sidebar selected ("mnist" or "fashion-mnist").
DATASET = "dataset_name"
# name -> ModelEntry: the shipped default, runs of this session, uploads.
MODELS = "models"
# Name of the model the Weights and Draw pages use.
CURRENT_MODEL = "current_model"
# Finished runs of this session (RunRecord), newest last, at most MAX_RUNS_KEPT.
RUNS = "runs"
# Train form values (a dict shaped like TrainConfig.to_dict()): the last ones started with.
TRAIN_FORM = "train_form"
# Widget keys of the Train form's inputs, one per TrainConfig field ("train_input_lr", ...).
TRAIN_INPUT_PREFIX = "train_input_"
# The seed rule: each Start takes the seed the form shows, then the form shows the next one
# (NEXT_SEED, from FIRST_SEED: the shipped model is seed 0), unless the seed is pinned
# (SEED_PINNED, kept across pages: the toggle's own key is forgotten off the Train page).
NEXT_SEED = "train_next_seed"
FIRST_SEED = 1
SEED_PINNED = "train_seed_pinned"
# The Train page's pace control (a widget key): "full", "watchable" or "step".
PACE = "train_pace"
# Bumped to clear the Draw canvas (a new component key starts empty).
CANVAS_GENERATION = "canvas_generation"
# What the last upload did, shown above the uploader until the next one: None, or a dict with
# "outcome" ("loaded", "missing_partner" or "refused") and its facts (ui.sidebar._take_upload).
UPLOAD_OUTCOME = "upload_outcome"
# Bumped after each uploaded file, so the uploader starts empty again.
UPLOAD_GENERATION = "upload_generation"
# The visitor's own labelled drawings (core.personal_set.PersonalSet), their test set.
PERSONAL_SET = "personal_set"
# The Draw page's note after a drawing was labelled or a set uploaded ((kind, facts) or None).
PERSONAL_SET_NOTE = "personal_set_note"
# Set by a label click (inside the Draw page's drawing fragment): the whole page reruns once, so
# the set's own fragment below shows the new digit too.
PERSONAL_SET_CHANGED = "personal_set_changed"
# Bumped after each uploaded personal set, so its uploader starts empty again.
PERSONAL_UPLOAD_GENERATION = "personal_upload_generation"
# Why the last personal-set upload failed (core.personal_set's words), None after a good one.
PERSONAL_UPLOAD_ERROR = "personal_upload_error"
# The last "train on MNIST plus my digits" run: {"run": its name, "before": the model current
# when it began, "trained_from": how many digits the set had then}, or None.
FINE_TUNE = "fine_tune"
# MNIST test accuracy of models that do not carry one, by id(model), measured once a session.
MNIST_ACC_CACHE = "mnist_acc_cache"
# The Draw page's "Normalise the stroke width" toggle (a widget key; on unless turned off).
NORMALISE_STROKE = "draw_normalise_stroke"
# The Train page's "Live view" toggle (a widget key: on, its default, whenever the page opens).
LIVE_VIEW = "live_view"
# The Experiments page's experiments: the last queue of runs of each, with their results, by key
# (ui.experiments).
EXPERIMENTS = "experiments"
# The experiment picked on the Experiments page (a widget key).
EXPERIMENT_CHOICE = "experiment_choice"
# Whether each maths expander is open (widget keys; its content is drawn only while it is open,
# ui.expanders): Train's SGD step, epochs/steps/batch and options' rules, Weights' two.
MATHS_SGD_STEP = "maths_sgd_step"
MATHS_EPOCHS = "maths_epochs"
MATHS_UPDATE_RULES = "maths_update_rules"
MATHS_TEMPLATES = "maths_templates"
MATHS_INITIAL_WEIGHTS = "maths_initial_weights"

# A model's name is also its key in MODELS: kept in English, translated where drawn
# (display_model_name).
DEFAULT_MODEL_NAME = N_("Shipped default")
# Prefix of an uploaded model's name ("Uploaded: mine.npz").
UPLOADED_PREFIX = "Uploaded: "
# Where a model came from, as the sidebar says it (translate with _() where drawn).
ORIGIN_TEXT = {
    "shipped": N_("Shipped with the app"),
    "trained": N_("Trained here"),
    "uploaded": N_("Uploaded"),
}
MAX_RUNS_KEPT = 10
# Uploaded and trained models kept per session beyond the shipped default.
MAX_MODELS_KEPT = 12
# Only the newest trained models keep their per-epoch snapshots (up to 21 x 31 kB each); older
# ones keep their final weights. Bounds a session's weights to about 4 MB.
MAX_MODELS_WITH_SNAPSHOTS = 4


@dataclass
class ModelEntry:
    """A model the session can use, with where it came from."""

    name: str
    model: SoftmaxRegression
    dataset: str
    origin: str  # "shipped", "trained", "uploaded"
    test_acc: float | None = None
    # (epoch, W (D, C), b (C,)) per epoch of the run that made it, for the Weights page.
    snapshots: list = field(default_factory=list)

    @property
    def class_names(self) -> tuple[str, ...]:
        """The names the model file gives its classes, else those of its dataset, else 0..C-1."""
        n_classes = self.model.W.shape[1]
        for names in (self.model.classes, CLASS_NAMES.get(self.dataset)):
            if names and len(names) == n_classes:
                return tuple(names)
        return tuple(str(k) for k in range(n_classes))


def dataset_of(model: SoftmaxRegression) -> str:
    """The dataset whose classes the model names ("mnist" when it names none, as the notebook's
    W.npy + b.npy do not)."""
    classes = tuple(model.classes or ())
    return next((name for name, names in CLASS_NAMES.items() if names == classes), "mnist")


def fingerprint(model: SoftmaxRegression, dataset_name: str) -> str:
    """A key for everything computed from this model's weights on this dataset (the
    process-wide caches of its calibration and predictions)."""
    digest = hashlib.sha1(np.ascontiguousarray(model.W, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(model.b, dtype=np.float32).tobytes())
    digest.update(f"{model.preprocessing}|{dataset_name}".encode())
    return digest.hexdigest()


@dataclass
class RunRecord:
    """What a finished (or stopped, or diverged) run leaves behind, without its weights."""

    name: str
    config: dict
    history: list[dict] = field(default_factory=list)  # one dict per epoch
    step_losses: list[tuple[int, float]] = field(default_factory=list)
    outcome: RunStatus = RunStatus.FINISHED  # one of the final ones
    message: str = ""
    seconds: float = 0.0  # computing time (pauses, the watchable pace and waits excluded)
    dataset: str = "mnist"
    wall_seconds: float = 0.0  # on the clock from Start to the end: all of those included
    model_name: str = ""  # its model in the session's list; "" when no epoch finished


def default_train_form() -> dict:
    """The notebook's settings; the seed (the notebook's is unknown) is the first of the seed
    rule's."""
    return TrainConfig(seed=FIRST_SEED).to_dict()


def init_state() -> None:
    """Put every key in place with its default; leave existing values alone."""
    st.session_state.setdefault(DATASET, "mnist")
    if MODELS not in st.session_state:
        shipped = shipped_entry()
        st.session_state[MODELS] = {} if shipped is None else {DEFAULT_MODEL_NAME: shipped}
    st.session_state.setdefault(CURRENT_MODEL, next(iter(st.session_state[MODELS]), None))
    st.session_state.setdefault(RUNS, [])
    st.session_state.setdefault(TRAIN_FORM, default_train_form())
    st.session_state.setdefault(NEXT_SEED, FIRST_SEED)
    st.session_state.setdefault(SEED_PINNED, False)
    st.session_state.setdefault(PACE, "full")
    st.session_state.setdefault(CANVAS_GENERATION, 0)
    st.session_state.setdefault(UPLOAD_OUTCOME, None)
    st.session_state.setdefault(UPLOAD_GENERATION, 0)
    st.session_state.setdefault(EXPERIMENTS, {})
    st.session_state.setdefault(PERSONAL_SET, PersonalSet.empty())
    st.session_state.setdefault(PERSONAL_SET_NOTE, None)
    st.session_state.setdefault(PERSONAL_SET_CHANGED, False)
    st.session_state.setdefault(PERSONAL_UPLOAD_GENERATION, 0)
    st.session_state.setdefault(PERSONAL_UPLOAD_ERROR, None)
    st.session_state.setdefault(MNIST_ACC_CACHE, {})
    st.session_state.setdefault(FINE_TUNE, None)
    st.session_state.setdefault(NORMALISE_STROKE, True)


def shipped_entry() -> ModelEntry | None:
    """The model shipped with the app (read-only, shared by every session), None without one."""
    model = shipped_model()
    if model is None:
        return None
    test_acc = (model.metrics or {}).get("test_acc")
    return ModelEntry(DEFAULT_MODEL_NAME, model, "mnist", "shipped", test_acc)


def models() -> dict[str, ModelEntry]:
    return st.session_state[MODELS]


def current_model() -> ModelEntry | None:
    return models().get(st.session_state[CURRENT_MODEL])


def add_model(entry: ModelEntry, make_current: bool = True) -> None:
    """Keep `entry` (dropping the oldest non-shipped model past the cap) and maybe select it."""
    kept = models()
    kept[entry.name] = entry
    removable = [name for name, e in kept.items() if e.origin != "shipped"]
    while len(removable) > MAX_MODELS_KEPT:
        oldest = removable.pop(0)
        del kept[oldest]
        if st.session_state[CURRENT_MODEL] == oldest:
            st.session_state[CURRENT_MODEL] = entry.name
    with_snapshots = [e for e in kept.values() if e.snapshots]
    for older in with_snapshots[:-MAX_MODELS_WITH_SNAPSHOTS]:
        older.snapshots = []
    if make_current:
        st.session_state[CURRENT_MODEL] = entry.name


def add_run(record: RunRecord) -> None:
    runs = st.session_state[RUNS]
    runs.append(record)
    del runs[:-MAX_RUNS_KEPT]


def display_model_name(name: str) -> str:
    """A model's name (its key) as the visitor reads it: the shipped model's and an upload's
    prefix translated, any other name as it is."""
    if name == DEFAULT_MODEL_NAME:
        return _(DEFAULT_MODEL_NAME)
    if name.startswith(UPLOADED_PREFIX):
        return _("Uploaded: {file}").format(file=name.removeprefix(UPLOADED_PREFIX))
    return name


def unique_name(base: str) -> str:
    """`base`, or `base (2)`, `base (3)`, ... whichever is not a model name yet."""
    name, n = base, 1
    while name in models():
        n += 1
        name = f"{base} ({n})"
    return name
