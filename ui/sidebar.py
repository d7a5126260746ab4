"""The sidebar every page shares: dataset in use, current model, model files, run status."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import streamlit as st

from core.datasets import (
    DATASET_NAMES,
    DATASET_TITLES,
    DatasetError,
    dataset_available,
    how_to_get,
)
from core.metrics import evaluate
from core.model import N_CLASSES, N_PIXELS, ModelFileError, SoftmaxRegression
from core.model_file import MissingPartnerError, order_notebook_pair
from core.run import RunStatus
from ui import i18n, links, state
from ui.background import RunView
from ui.i18n import N_, _, ngettext
from ui.loaders import load_shared_dataset
from ui.training import (
    becomes_current,
    collect_finished_run,
    live_run_view,
    session_runs,
    status_word,
)

# The first bytes of every .npy file.
NPY_MAGIC = b"\x93NUMPY"
# The dataset picker's options (translate with _() where drawn).
DATASET_LABELS = {"mnist": N_("MNIST digits (shipped)"), "fashion-mnist": N_("Fashion-MNIST")}
# The link parameter naming the dataset: ?dataset=fashion-mnist.
DATASET_PARAMETER = "dataset"
# The toast when a run has ended, one sentence per way of ending.
ENDED_TEXT = {
    RunStatus.FINISHED: N_("{name} finished."),
    RunStatus.STOPPED: N_("{name} stopped."),
    RunStatus.DIVERGED: N_("{name} diverged."),
    RunStatus.FAILED: N_("{name} failed."),
}
# Added to the toast when the run's model became the current one (see becomes_current).
NOW_CURRENT_TEXT = N_(
    "{ended} Its model is now the current one: Weights, Draw and Confidence use it."
)


def upload_limit_mb() -> int:
    """The server's upload limit (server.maxUploadSize in .streamlit/config.toml), in MB."""
    return int(st.get_option("server.maxUploadSize"))


def render_sidebar(live_run_status: bool = True) -> None:
    """The shared sidebar; `live_run_status=False` where the page shows the live run itself."""
    collected = collect_finished_run()
    with st.sidebar:
        _language_picker()
        _dataset_picker()
        st.divider()
        _model_picker()
        if live_run_status:
            sidebar_run_status()
        if collected is not None:
            st.toast(_ended_text(collected), icon="🏁")


def _ended_text(view: RunView) -> str:
    status = view.status
    ended = _(ENDED_TEXT[status]).format(name=view.name) if status in ENDED_TEXT else status
    return _(NOW_CURRENT_TEXT).format(ended=ended) if becomes_current(view) else ended


def _persistent_selectbox(label: str, options: list[str], state_key: str, **kwargs) -> None:
    """A selectbox whose choice lives in st.session_state[state_key] across page switches.

    Each page draws the sidebar, so its widgets are new widgets on every page, and Streamlit drops
    a widget's key on a run that does not draw it. So the choice is kept under a plain key and
    the widget gets none: it starts from the kept choice and writes back what the visitor picks.
    """
    kept = st.session_state[state_key]
    index = options.index(kept) if kept in options else 0
    st.session_state[state_key] = st.selectbox(label, options, index=index, **kwargs)


def _language_picker() -> None:
    """Two buttons, English and 中文. The widget has no key: its default is the language in
    use, so after a switch it is a new widget showing the new language."""
    in_use = i18n.current_language()
    picked = st.segmented_control(
        "🌐 Language / 语言",
        list(i18n.LANGUAGES),
        default=in_use,
        format_func=i18n.LANGUAGES.get,
        label_visibility="collapsed",
    )
    if picked and picked != in_use:
        i18n.pick_language(picked)
        st.rerun()  # the router's titles and everything above were drawn in the old language


def _dataset_picker() -> None:
    """The dataset every page uses; a link's valid `?dataset=` picks it (once), and a dataset
    other than MNIST stays in the address bar."""
    options = [name for name in DATASET_NAMES if dataset_available(name)]
    wanted = links.read_once(DATASET_PARAMETER, links.choice(*DATASET_NAMES))
    if wanted is not None:
        if wanted in options:
            st.session_state[state.DATASET] = wanted
        else:
            links.note_ignored(DATASET_PARAMETER)
    _persistent_selectbox(
        _("Dataset"),
        options,
        state.DATASET,
        # Labels translated now, in this run's language (AppTest calls format_func later).
        format_func={name: _(DATASET_LABELS[name]) for name in options}.get,
        help=_(
            "Explore shows this dataset and Train trains on it. Weights and Draw show the current "
            "model below, with images of the dataset that model was trained on."
        ),
    )
    shown = st.session_state[state.DATASET]
    links.publish({DATASET_PARAMETER: None if shown == DATASET_NAMES[0] else shown})
    for name in DATASET_NAMES:
        if name not in options:
            st.caption(
                _("{dataset} is not installed here: {how}").format(
                    dataset=_(DATASET_LABELS[name]), how=how_to_get(name)
                )
            )


def _model_picker() -> None:
    models = state.models()
    if not models:
        st.warning(_("No model yet: train one on the Train page or upload one below."))
    else:
        _persistent_selectbox(
            _("Current model"),
            list(models),
            state.CURRENT_MODEL,
            format_func={name: state.display_model_name(name) for name in models}.get,
            help=_(
                "Weights and Draw show this model, and Train its confusion matrix. Models you "
                "train or upload are added to this list."
            ),
        )
        entry = state.current_model()
        acc = _("not measured") if entry.test_acc is None else i18n.percent(entry.test_acc)
        title = DATASET_TITLES[entry.dataset]
        st.caption(
            _("{origin} · {dataset} · test accuracy {accuracy}").format(
                origin=_(state.ORIGIN_TEXT[entry.origin]), dataset=title, accuracy=acc
            )
        )
        if entry.dataset != st.session_state[state.DATASET]:
            st.caption(
                _("⚠️ This model was trained on {dataset}, not on the dataset shown.").format(
                    dataset=title
                )
            )
        _downloads(entry)
    _upload()


def _downloads(entry: state.ModelEntry) -> None:
    # Callables: the bytes are built only when the button is clicked, not on every rerun.
    stem = "model"
    left, right = st.columns(2)
    left.download_button(
        "model.npz",
        entry.model.to_bytes,
        f"{stem}.npz",
        "application/octet-stream",
        on_click="ignore",
        help=_("Weights, bias, training settings and metrics in one file."),
    )
    right.download_button(
        "W.npy + b.npy",
        lambda: notebook_zip(entry.model),
        f"{stem}-notebook.zip",
        "application/zip",
        on_click="ignore",
        help=_("The notebook's two files: W (784, 10) and b (1, 10), zipped."),
    )


def notebook_zip(model: SoftmaxRegression) -> bytes:
    """The notebook's W.npy (784, 10) and b.npy (1, 10), zipped; the uploader takes it back."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, array in (("W.npy", model.W), ("b.npy", model.b.reshape(1, -1))):
            buffer = io.BytesIO()
            np.save(buffer, array)
            archive.writestr(name, buffer.getvalue())
    return out.getvalue()


def _upload() -> None:
    # A new key after each upload gives an empty uploader again, instead of a growing list of the
    # files already taken (or refused).
    key = f"model_upload_{st.session_state[state.UPLOAD_GENERATION]}"
    with st.expander(_("Upload a model")):
        # Above the uploader, where the eye is after dropping a file (below it, the message can
        # fall under the sidebar's fold).
        _upload_outcome()
        # Any file type: the loader's own message says what is wrong with a file, where the
        # uploader would only mark a refused one.
        st.file_uploader(
            _(
                "A model.npz from this app or `python -m core.train`, or the notebook's W.npy and "
                "b.npy: select both at once (up to {limit} MB)"
            ).format(limit=upload_limit_mb()),
            key=key,
            accept_multiple_files=True,
            on_change=_take_upload,
            args=(key,),
        )


def _upload_outcome() -> None:
    outcome = st.session_state[state.UPLOAD_OUTCOME]
    if outcome is None:
        return
    if outcome["outcome"] == "loaded":
        st.success(
            _(
                "Loaded {files}: now the current model ({dataset} classes, test accuracy {acc})."
            ).format(
                files=outcome["files"],
                dataset=DATASET_TITLES[outcome["dataset"]],
                acc=_("not measured") if outcome["acc"] is None else i18n.percent(outcome["acc"]),
            )
        )
    elif outcome["outcome"] == "missing_partner":
        st.warning(
            _(
                "{file} is the notebook's {have}.npy alone: select it together with "
                "{missing}.npy (hold Ctrl, or ⌘ on a Mac, to pick both). The current model stays."
            ).format(file=outcome["file"], have=outcome["have"], missing=outcome["missing"])
        )
    else:
        # The loader's own reason (it names the file) is in English: after a translated lead.
        st.error(
            _("Not loaded, the current model stays. {reason}").format(reason=outcome["reason"])
        )


def load_uploaded(files: list) -> SoftmaxRegression:
    """A model from what the visitor selected: one model file (.npz, or the W.npy + b.npy zip),
    or the notebook's two .npy files. ModelFileError (MissingPartnerError for a lone .npy)."""
    if len(files) == 1 and not files[0].getvalue().startswith(NPY_MAGIC):
        return SoftmaxRegression.load(files[0])
    if len(files) > 2 or not all(f.getvalue().startswith(NPY_MAGIC) for f in files):
        raise ModelFileError(
            f"{' + '.join(f.name for f in files)}: select one model file, or the notebook's "
            "W.npy and b.npy together"
        )
    W_file, b_file = order_notebook_pair(files, N_PIXELS, N_CLASSES)
    return SoftmaxRegression.from_notebook(W_file, b_file)


def _take_upload(key: str) -> None:
    """on_change callback: validate the files; keep the current model unless they make one."""
    files = st.session_state.get(key) or []
    st.session_state[state.UPLOAD_OUTCOME] = None
    if not files:
        return
    st.session_state[state.UPLOAD_GENERATION] += 1
    try:
        model = load_uploaded(files)
    except MissingPartnerError as err:
        facts = {"file": err.label, "have": err.have, "missing": err.missing}
        st.session_state[state.UPLOAD_OUTCOME] = {"outcome": "missing_partner", **facts}
        return
    except ModelFileError as err:
        st.session_state[state.UPLOAD_OUTCOME] = {"outcome": "refused", "reason": str(err)}
        return
    names = " + ".join(f.name for f in sorted(files, key=lambda f: f.name))
    dataset = state.dataset_of(model)
    acc = (model.metrics or {}).get("test_acc")
    if acc is None:  # the notebook's W.npy + b.npy carry no metrics: measure them (about 30 ms)
        acc = measured_test_accuracy(model, dataset)
    state.add_model(
        state.ModelEntry(
            state.unique_name(f"{state.UPLOADED_PREFIX}{names}"), model, dataset, "uploaded", acc
        )
    )
    st.session_state[state.UPLOAD_OUTCOME] = {
        "outcome": "loaded",
        "files": names,
        "dataset": dataset,
        "acc": acc,
    }
    st.toast(_("Model loaded: {files}").format(files=names), icon="✅")


def measured_test_accuracy(model: SoftmaxRegression, dataset_name: str) -> float | None:
    """The model's accuracy on the test set of `dataset_name`; None where that dataset cannot
    be loaded here."""
    try:
        dataset = load_shared_dataset(dataset_name)
    except DatasetError:
        return None
    images = model.preprocess(dataset.test_images)
    return evaluate(model, images, dataset.test_labels)[1]


def sidebar_run_status() -> None:
    """The live run's status in the sidebar, polled about once a second; nothing without one."""
    if session_runs().live is None:
        return
    with st.sidebar:
        _live_status()


@st.fragment(run_every=1.0)
def _live_status() -> None:
    view = live_run_view()
    if view is None:
        return
    status = status_word(view.status)
    facts = {
        "name": view.name,
        "status": status,
        "epoch": min(view.epoch + 1, view.config.epochs),
        "epochs": view.config.epochs,
        "n": view.sharing_with,
    }
    if view.status == RunStatus.RUNNING and view.sharing_with > 0:
        line = ngettext(
            "{name}: {status}, epoch {epoch}/{epochs}, sharing the server with {n} other run",
            "{name}: {status}, epoch {epoch}/{epochs}, sharing the server with {n} other runs",
            view.sharing_with,
        )
    else:
        line = _("{name}: {status}, epoch {epoch}/{epochs}")
    st.caption(line.format(**facts))
    st.progress(view.fraction_done)
