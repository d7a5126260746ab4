"""The Train page's settings: the form's fields, the form, its values checked into a TrainConfig,
and Reset."""

from __future__ import annotations

import math
from typing import NamedTuple

import streamlit as st

from core.train import MAX_EPOCHS, ConfigError, TrainConfig
from ui import links, state, train_options
from ui.i18n import N_, _, ngettext, number
from ui.scheduler import max_run_steps_from_env, run_steps_message
from ui.training import forget_live_run


class FormField(NamedTuple):
    """One input of the form. Integer bounds make an integer input, float bounds a float one."""

    key: str  # the TrainConfig field
    label: str
    low: int | float
    high: int | float | None  # None: the training set's size
    help: str


FORM_FIELDS = (
    FormField(
        "lr",
        N_("Learning rate"),
        1e-6,
        1e3,
        N_(
            "η: step size. The notebook uses 0.1. Try 1: faster at first, noisier later "
            "(91.6% vs 92.2% after 20 epochs). Try 300: the weights grow far larger and the model "
            "becomes extremely overconfident: the loss is huge (30 to 100) and test accuracy "
            "jumps between about 75% and 92% from epoch to epoch, yet it keeps learning. With "
            "L2 > 0, keep learning rate × L2 below 1."
        ),
    ),
    FormField(
        "batch_size",
        N_("Batch size"),
        1,
        None,
        N_(
            "Images per gradient step B; one epoch is ⌈60,000 / B⌉ steps (batch 128: 469). "
            "1 = pure SGD, 60000 = full-batch gradient descent."
        ),
    ),
    FormField(
        "epochs",
        N_("Epochs"),
        1,
        MAX_EPOCHS,
        N_("Passes over the training set (at most {max_epochs})."),
    ),
    FormField(
        "init_scale",
        N_("Init scale"),
        0.0,
        10.0,
        N_(
            "Weights start as randn(784, 10) × this. 0 works as well (the loss is convex); a "
            "large start only slows training (see the Weights page)."
        ),
    ),
    FormField(
        "l2",
        N_("L2 weight decay"),
        0.0,
        1e3,
        N_(
            r"λ: adds $\frac{\lambda}{2}\lVert W\rVert_F^2$ to the loss, pulling the weights "
            r"towards zero (the bias is not penalised); 0 in the notebook. Each step multiplies "
            r"$W$ by $1-\eta\lambda$: keep $\eta\lambda$ below 1; above 2 the weights grow "
            r"without limit."
        ),
    ),
    FormField(
        "seed",
        N_("Seed"),
        0,
        2**32 - 1,
        N_(
            "Picks the initial weights and the order of the minibatches. Same seed and settings, "
            "same run, number for number."
        ),
    ),
)
# The "Pin the seed" toggle's widget key (its value is kept in state.SEED_PINNED on Start).
PIN_INPUT = "train_pin_seed"
SEED_RULE = N_(
    "Off: each run takes the seed shown and the next run the next seed, so every run is a new "
    "experiment with its own starting weights and shuffles. On: every run takes this seed and "
    "repeats the last one exactly, number for number."
)
# TrainConfig field -> the label of its input (English; the form shows it translated).
LABELS = {field.key: field.label for field in FORM_FIELDS}


def field_help(field: FormField) -> str:
    """The input's tooltip in the session's language (the Epochs one names the limit; the others
    hold LaTeX braces, so only it is formatted)."""
    if field.key == "epochs":
        return _(field.help).format(max_epochs=MAX_EPOCHS)
    return _(field.help)


# TrainConfig field -> its name in a link to the Train page (train?lr=5&batch=128&epochs=3).
LINK_NAMES = {
    "lr": "lr",
    "batch_size": "batch",
    "epochs": "epochs",
    "init_scale": "init",
    "l2": "l2",
    "seed": "seed",
}


def link_parser(field: FormField, n_train: int) -> links.Parser:
    """The link value's parser: the input's own bounds (the batch size's: the training set)."""
    high = n_train if field.high is None else field.high
    if isinstance(field.low, int):
        return links.integer(field.low, high)
    return links.number(field.low, high)


def fill_form_from_link(n_train: int) -> None:
    """Put a link's settings (train?lr=5&epochs=3) into the form's inputs, before the form is
    drawn; nothing starts. A value that cannot be used is ignored, with the page's note. A seed
    from a link is pinned: the link is there to repeat a run."""
    for field in FORM_FIELDS:
        value = links.bind_to_widget(
            LINK_NAMES[field.key],
            link_parser(field, n_train),
            state.TRAIN_INPUT_PREFIX + field.key,
        )
        if field.key == "seed" and value is not None:
            st.session_state[state.SEED_PINNED] = st.session_state[PIN_INPUT] = True
    train_options.fill_from_link()


def publish_form() -> None:
    """The form's settings into the address bar, those that differ from the notebook's, and
    the seed when it is pinned (an automatic seed is not part of the settings)."""
    defaults = state.default_train_form()
    values = {}
    for field in FORM_FIELDS:
        value = st.session_state.get(state.TRAIN_INPUT_PREFIX + field.key)
        values[LINK_NAMES[field.key]] = None if value == defaults[field.key] else value
    pinned = st.session_state.get(PIN_INPUT, st.session_state[state.SEED_PINNED])
    values["seed"] = st.session_state.get(state.TRAIN_INPUT_PREFIX + "seed") if pinned else None
    links.publish(values | train_options.link_values())


def decay_warning(lr: float, l2: float) -> str | None:
    """Why settings with lr × l2 >= 1 cannot learn, from the update W <- (1 - lr*l2) W - lr * grad;
    None below 1."""
    decay = lr * l2
    if decay < 1:
        return None
    values = {"decay": f"{decay:.3g}", "factor": f"{1 - decay:.3g}"}
    if decay > 2:
        return _(
            r"⚠️ Learning rate × L2 = {decay} > 2. Each step multiplies $W$ by "
            r"$1 - \eta\lambda = {factor}$ before the gradient step, more than 1 in size: the "
            "weights grow without limit, and the demo's safety stop will end the run within a few "
            "steps. Keep learning rate × L2 below 1."
        ).format(**values)
    return _(
        r"⚠️ Learning rate × L2 = {decay} ≥ 1. Each step multiplies $W$ by "
        r"$1 - \eta\lambda = {factor}$ before the gradient step, so the weights are wiped out "
        "or flip sign every step and the model learns nothing (on MNIST: 10–18% test accuracy). "
        "Keep learning rate × L2 below 1."
    ).format(**values)


def adam_warning(optimizer: str, lr: float) -> str | None:
    """Adam moves every weight by about the learning rate per step, whatever its gradient: the
    notebook's 0.1 is far too large for it."""
    if optimizer != "adam" or lr < 0.01:
        return None
    return _(
        "Adam moves every weight by about the learning rate at each step, so the notebook's 0.1 "
        "is far too large for it: try 0.001 (measured on MNIST over 20 epochs: 92.70% at 0.001, "
        "89.94% at 0.1)."
    )


def checked_config(values: dict, error_slot, n_train: int) -> TrainConfig | None:
    """`values` as a validated TrainConfig for a training set of `n_train` images; where they
    cannot be used, or the run would take more steps than this server lets one run take
    (MNIST_LAB_MAX_RUN_STEPS), say why in `error_slot` (an st.empty) and return None."""
    try:
        config = TrainConfig(**values).validate()
    except (ConfigError, TypeError) as err:
        error_slot.error(_("These settings cannot be used: {error}").format(error=err))
        return None
    steps_per_epoch = math.ceil(n_train / config.batch_size)
    refusal = run_steps_message(
        config.epochs * steps_per_epoch, steps_per_epoch, max_run_steps_from_env()
    )
    if refusal is not None:
        error_slot.error(refusal)
        return None
    return config


def notebook_inputs(form: dict, n_train: int) -> dict:
    """The notebook's six settings, in two rows of three (six inputs in one row are cut off on a
    1024 px projector), and the seed's pin; returns their values. Call it inside the form."""
    values = {}
    cells = [cell for _ in range(2) for cell in st.columns(3)]
    for cell, field in zip(cells, FORM_FIELDS, strict=True):
        kind = type(field.low)
        # Keyed, so Reset can set them (in its callback); Streamlit forgets a widget's key on a
        # page that does not draw it, so they start from the last values started with (the seed:
        # from the next one, unless pinned).
        widget_key = state.TRAIN_INPUT_PREFIX + field.key
        start_value = form[field.key]
        if field.key == "seed" and not st.session_state[state.SEED_PINNED]:
            start_value = st.session_state[state.NEXT_SEED]
        st.session_state.setdefault(widget_key, kind(start_value))
        values[field.key] = cell.number_input(
            _(field.label),
            min_value=field.low,
            max_value=n_train if field.high is None else field.high,
            step=1 if kind is int else None,
            format="%g" if kind is float else "%d",
            help=field_help(field),
            key=widget_key,
        )
    st.session_state.setdefault(PIN_INPUT, st.session_state[state.SEED_PINNED])
    pin, rule = st.columns([1, 3], vertical_alignment="center")
    pin.toggle(_("📌 Pin the seed"), key=PIN_INPUT)
    rule.caption(_(SEED_RULE))
    return values


def settings_form(n_train: int) -> tuple[TrainConfig | None, object]:
    """Draw the settings form. Returns the config when Start was pressed with valid values (else
    None), and the slot under the form where a problem with the settings is shown.

    Each group of inputs is one call inside the form that returns its values (a dict of
    TrainConfig fields): another group is one more `values.update(...)` line."""
    form = st.session_state[state.TRAIN_FORM]
    values = dict(form)
    with st.form("train_settings", border=True):
        values.update(notebook_inputs(form, n_train))
        values.update(train_options.option_inputs(form))
        started = st.form_submit_button(_("▶️ Start training"), type="primary")
    error_slot = st.empty()  # always here: the page keeps one shape while it follows a run
    if started:
        st.session_state[state.TRAIN_FORM] = values
        st.session_state[state.SEED_PINNED] = st.session_state[PIN_INPUT]
    # The form sends its values on Start, so the warning is about the settings last started.
    last = st.session_state[state.TRAIN_FORM]
    warning = decay_warning(last["lr"], last["l2"]) or adam_warning(
        last.get("optimizer", "sgd"), last["lr"]
    )
    if warning:
        error_slot.warning(warning)
    if not started:
        return None, error_slot
    return checked_config(values, error_slot, n_train), error_slot


def next_run_values() -> dict:
    """The settings a run started without the form (One step) takes: those last started with,
    and the seed rule's seed."""
    values = dict(st.session_state[state.TRAIN_FORM])
    if not st.session_state[state.SEED_PINNED]:
        values["seed"] = st.session_state[state.NEXT_SEED]
    return values


def seed_used(seed: int) -> None:
    """A run started with `seed`: unless the seed is pinned, the form shows the next one from
    the next script run on (a drawn input cannot change in the run that drew it)."""
    if not st.session_state[state.SEED_PINNED]:
        st.session_state[state.NEXT_SEED] = (seed + 1) % 2**32
        # Forgotten on purpose: the input starts again from NEXT_SEED where it is drawn next.
        st.session_state.pop(state.TRAIN_INPUT_PREFIX + "seed", None)


def run_summary(config: TrainConfig) -> str:
    """The settings of a live run in one line, e.g. "Learning rate 0.1 · batch 128 · 20 epochs ·
    seed 3" (the folded form)."""
    return ngettext(
        "⚙️ Learning rate {lr} · batch {batch} · {n} epoch · seed {seed}",
        "⚙️ Learning rate {lr} · batch {batch} · {n} epochs · seed {seed}",
        config.epochs,
    ).format(
        lr=f"{config.lr:g}", batch=number(config.batch_size), n=config.epochs, seed=config.seed
    )


def warning_slot(config: TrainConfig):
    """Under the folded form (a live run's summary line): the warning about its settings, if
    any. Returns the slot, where a problem with the settings is shown."""
    error_slot = st.empty()
    warning = decay_warning(config.lr, config.l2) or adam_warning(config.optimizer, config.lr)
    if warning:
        error_slot.warning(warning)
    return error_slot


def reset() -> None:
    """Reset's callback (it runs before the page, while the form's inputs can still be set):
    stop any run, keeping its record, clear the live view, restore the notebook's settings. The
    seed is not the notebook's (unknown) but the next one, unpinned."""
    forget_live_run()
    defaults = state.default_train_form()
    st.session_state[state.TRAIN_FORM] = defaults
    for field in FORM_FIELDS:
        st.session_state[state.TRAIN_INPUT_PREFIX + field.key] = defaults[field.key]
    st.session_state[state.TRAIN_INPUT_PREFIX + "seed"] = st.session_state[state.NEXT_SEED]
    st.session_state[state.SEED_PINNED] = st.session_state[PIN_INPUT] = False
    train_options.reset_inputs(defaults)
