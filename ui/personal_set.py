"""The visitor's own test set on the Draw page: label a drawing with one click, see the set with
the model's answers, its accuracy next to MNIST's, evaluate any model, download and upload."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.metrics import confusion_matrix, evaluate
from core.personal_set import (
    HOLD_OUT_EVERY,
    PersonalSet,
    PersonalSetError,
    held_out,
    read_zip,
    with_digits,
    write_zip,
)
from core.train import TrainConfig
from ui import state
from ui.i18n import _, ngettext, percent
from ui.images import image_grid_html
from ui.state import ModelEntry, display_model_name
from ui.training import start_run

# A confusion matrix of a handful of digits says little: shown from this many on.
CONFUSION_FROM = 20
MODEL_KEY = "personal_set_model"
ZIP_NAME = "my-digits-mnist-format.zip"
# Fine-tuning needs a few digits to train on and a few held out to test on.
FINE_TUNE_FROM = 10


def label_buttons(image: np.ndarray, class_names) -> None:
    """'It was a …': ten small buttons; one click adds `image` (28, 28) to the set."""
    st.caption(_("It was a … (one click adds this drawing to your own test set below)"))
    row = st.container(horizontal=True, gap="small", key="label_buttons")
    for k, name in enumerate(class_names):
        row.button(str(name), key=f"label_as_{k}", on_click=add_drawing, args=(image, k))


def add_drawing(image: np.ndarray, label: int) -> None:
    try:
        st.session_state[state.PERSONAL_SET] = st.session_state[state.PERSONAL_SET].add(
            image, label
        )
    except PersonalSetError:
        st.session_state[state.PERSONAL_SET_NOTE] = ("full", {})
        return
    count = len(st.session_state[state.PERSONAL_SET])
    st.session_state[state.PERSONAL_SET_NOTE] = ("added", {"label": label, "count": count})
    st.session_state[state.CANVAS_GENERATION] += 1  # a clean canvas for the next digit
    st.session_state[state.PERSONAL_SET_CHANGED] = True


def rerun_page_if_changed() -> None:
    """After a label click the drawing fragment reruns: rerun the whole page instead, once, so
    the set's panel (its own fragment, not redrawn by a stroke) shows the new digit."""
    if st.session_state[state.PERSONAL_SET_CHANGED]:
        st.session_state[state.PERSONAL_SET_CHANGED] = False
        st.rerun(scope="app")


def show_note() -> bool:
    """The note left by the last labelling (shown once, where the verdict was); False if none."""
    note = st.session_state[state.PERSONAL_SET_NOTE]
    st.session_state[state.PERSONAL_SET_NOTE] = None
    if note is None:
        return False
    kind, facts = note
    if kind == "added":
        st.success(
            ngettext(
                "Added as a {label}: your set has {count} digit. Draw the next one.",
                "Added as a {label}: your set has {count} digits. Draw the next one.",
                facts["count"],
            ).format(**facts)
        )
    else:
        st.warning(_("Your set is full: download it, or clear it to start a new one."))
    return True


def mnist_models() -> dict[str, ModelEntry]:
    """The session's models that read 28x28 digits (shipped, trained, uploaded)."""
    return {
        name: entry
        for name, entry in state.models().items()
        if entry.dataset == "mnist" and entry.model.W.shape == (784, 10)
    }


def mnist_test_accuracy(entry: ModelEntry, mnist) -> float:
    """The model's accuracy on MNIST's 10,000 test digits: what it carries, else measured once."""
    if entry.test_acc is not None:
        return entry.test_acc
    cache = st.session_state[state.MNIST_ACC_CACHE]
    if id(entry.model) not in cache:
        images = entry.model.preprocess(mnist.test_images)
        cache[id(entry.model)] = evaluate(entry.model, images, mnist.test_labels)[1]
    return cache[id(entry.model)]


def panel(class_names, mnist) -> None:
    """The set in its own fragment: a stroke does not redraw it, its widgets rerun only it, and
    while a fine-tuning run trains it looks every 2 seconds for the result."""
    st.fragment(panel_body, run_every=2 if fine_tune_pending() else None)(class_names, mnist)


def panel_body(class_names, mnist) -> None:
    """The set: explanation, model choice, accuracies, grid, confusion matrix, file actions."""
    st.subheader(_("Your own test set"))
    st.caption(
        _(
            "Label your drawings above and they collect here: does a model read *your* "
            "handwriting, and how often? An honest number needs digits the model never learned "
            "from: if you ever train on your digits, keep a separate part for testing (for "
            "example every fifth digit)."
        )
    )
    digits = st.session_state[state.PERSONAL_SET]
    if len(digits):
        evaluated(digits, class_names, mnist)
    else:
        st.info(_("No digits yet: draw one, then click its digit under the canvas."))
    file_actions(digits)
    fine_tune(digits, mnist)


def pick_model() -> ModelEntry | None:
    choices = mnist_models()
    if not choices:
        return None
    names = list(choices)
    current = st.session_state[state.CURRENT_MODEL]
    if st.session_state.get(MODEL_KEY) not in names:
        st.session_state[MODEL_KEY] = current if current in names else names[0]
    name = st.selectbox(
        _("Model to evaluate on your digits"),
        names,
        format_func=display_model_name,
        key=MODEL_KEY,
        help=_("Any MNIST model of this session: shipped, trained here or uploaded."),
    )
    return choices[name]


def evaluated(digits, class_names, mnist) -> None:
    entry = pick_model()
    if entry is None:
        st.info(_("There is no MNIST model to evaluate with yet."))
        return
    predicted = entry.model.predict(entry.model.preprocess(digits.as_floats()))
    right = predicted == digits.labels
    left, middle = st.columns(2)
    left.metric(
        ngettext("Accuracy on your {n} digit", "Accuracy on your {n} digits", len(digits)).format(
            n=len(digits)
        ),
        percent(float(right.mean()), 1),
    )
    middle.metric(
        _("Accuracy on MNIST's 10,000 test digits"),
        percent(mnist_test_accuracy(entry, mnist), 1),
    )
    captions = [
        f"{'✅' if ok else '❌'} {class_names[t]}→{class_names[p]}"
        for ok, t, p in zip(right, digits.labels, predicted, strict=True)
    ]
    tips = [
        _("You said {truth}; the model read {predicted}").format(
            truth=class_names[t], predicted=class_names[p]
        )
        for t, p in zip(digits.labels, predicted, strict=True)
    ]
    st.container(key="personal_set_grid").html(
        image_grid_html(digits.images, captions, tooltips=tips, tile_px=48)
    )
    if len(digits) >= CONFUSION_FROM:
        # Imported on demand: the Plotly modules import pandas, half a second on a fresh server.
        from ui.charts import NO_TOOLBAR
        from ui.figures import confusion_figure

        cm = confusion_matrix(digits.labels, predicted, len(class_names))
        st.plotly_chart(
            confusion_figure(cm, class_names, height=420),
            key="personal_confusion",
            config=NO_TOOLBAR,
        )
    else:
        st.caption(_("A confusion matrix appears from {n} digits on.").format(n=CONFUSION_FROM))


def file_actions(digits) -> None:
    """Download as MNIST-format IDX files (zipped), upload such a zip again, clear."""
    row = st.container(horizontal=True, vertical_alignment="bottom")
    if len(digits):
        row.download_button(
            _("⬇️ Download (MNIST format)"),
            data=write_zip(digits),
            file_name=ZIP_NAME,
            mime="application/zip",
            on_click="ignore",
            help=_(
                "A zip of two IDX files, images-idx3-ubyte and labels-idx1-ubyte: the format "
                "MNIST itself comes in, readable by the notebook's loader."
            ),
        )
        row.button(_("🗑️ Clear your set"), on_click=clear_set, key="personal_set_clear")
    generation = st.session_state[state.PERSONAL_UPLOAD_GENERATION]
    st.file_uploader(
        _("Upload a set (a zip as downloaded here; it replaces the current set)"),
        type=["zip"],
        key=f"personal_upload_{generation}",
        on_change=load_upload,
        args=(f"personal_upload_{generation}",),
    )
    error = st.session_state[state.PERSONAL_UPLOAD_ERROR]
    if error:
        st.error(_("That file is not a set of digits: {problem}").format(problem=error))


def clear_set() -> None:
    st.session_state[state.PERSONAL_SET] = PersonalSet.empty()


def load_upload(key: str) -> None:
    uploaded = st.session_state.get(key)
    if uploaded is None:
        return
    try:
        digits = read_zip(uploaded.getvalue())
    except PersonalSetError as err:
        st.session_state[state.PERSONAL_UPLOAD_ERROR] = str(err)
        return
    st.session_state[state.PERSONAL_UPLOAD_ERROR] = None
    st.session_state[state.PERSONAL_SET] = digits
    st.session_state[state.PERSONAL_UPLOAD_GENERATION] += 1


def fine_tune(digits, mnist) -> None:
    """'Train on MNIST plus my digits': a normal run on a mix, then before/after on the digits it
    never saw."""
    st.markdown(_("**Train on MNIST plus your digits**"))
    st.caption(
        _(
            "Starts a normal run (the Train page's settings) on MNIST's 60,000 training digits "
            "plus yours, repeated to make about 2% of them, except every fifth of your digits: "
            "those are kept out, so the comparison below tests on digits the run never saw."
        )
    )
    if st.button(
        _("🏋️ Train on MNIST plus my digits"),
        key="fine_tune_start",
        disabled=len(digits) < FINE_TUNE_FROM,
        help=_("Needs at least {n} of your digits.").format(n=FINE_TUNE_FROM),
    ):
        config = TrainConfig(**st.session_state[state.TRAIN_FORM]).validate()
        run = start_run(config, with_digits(mnist, digits))
        st.session_state[state.FINE_TUNE] = {
            "run": run.name,
            "before": st.session_state[state.CURRENT_MODEL],
            "trained_from": len(digits),
        }
    if st.session_state[state.FINE_TUNE]:
        before_and_after(digits, st.session_state[state.FINE_TUNE])


def tuned_model(tuned: dict) -> ModelEntry | None:
    """The model a fine-tuning run made, None while it trains."""
    models = state.models()
    return next((e for name, e in models.items() if name.startswith(f"{tuned['run']} (")), None)


def fine_tune_pending() -> bool:
    tuned = st.session_state[state.FINE_TUNE]
    return bool(tuned) and tuned_model(tuned) is None


def before_and_after(digits, tuned: dict) -> None:
    models = state.models()
    after = tuned_model(tuned)
    before = models.get(tuned["before"])
    if after is None or before is None:
        st.info(
            _(
                "{run} is training on MNIST plus your digits; its result appears here when it ends."
            ).format(run=tuned["run"])
        )
        return
    kept_out = held_out(len(digits), tuned["trained_from"])
    if not kept_out.any():
        st.caption(_("None of your digits was kept out yet: draw more to test on."))
        return
    images, labels = digits.as_floats()[kept_out], digits.labels[kept_out]

    def accuracy(entry) -> str:
        predicted = entry.model.predict(entry.model.preprocess(images))
        return percent(float((predicted == labels).mean()), 1)

    st.markdown(
        ngettext(
            "On the {n} digit of yours that the run never saw: {before} {before_acc} → "
            "{after} {after_acc}.",
            "On the {n} digits of yours that the run never saw: {before} {before_acc} → "
            "{after} {after_acc}.",
            int(kept_out.sum()),
        ).format(
            n=int(kept_out.sum()),
            before=display_model_name(before.name),
            before_acc=accuracy(before),
            after=display_model_name(after.name),
            after_acc=accuracy(after),
        )
    )
    st.caption(
        _(
            "Every {every}th digit is kept out (and every digit added since). A handful of test "
            "digits makes a rough number: one digit more or less right moves it a lot."
        ).format(every=HOLD_OUT_EVERY)
    )
