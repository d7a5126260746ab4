"""The Train form's choices beyond the notebook: the update rule (SGD, momentum, Adam), the
learning-rate schedule, deskewing; their link parameters; the expander with each rule's maths.

The defaults are the notebook's (plain SGD, a constant rate, the images as they are), so a form
left alone trains exactly as before. Widget keys follow the form's (state.TRAIN_INPUT_PREFIX +
the TrainConfig field), so Reset and links treat them like the other inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.optimizers import OPTIMIZERS, SCHEDULES
from core.train import TrainConfig
from ui import links, state
from ui.expanders import expander_drawn_when_open
from ui.i18n import N_, _, percent

OPTIMIZER_NAMES = {
    "sgd": N_("SGD (the notebook)"),
    "momentum": N_("SGD with momentum"),
    "adam": N_("Adam"),
}
SCHEDULE_NAMES = {
    "constant": N_("constant (the notebook)"),
    "step": N_("step decay"),
    "cosine": N_("cosine"),
}
# The TrainConfig fields these inputs set.
OPTION_FIELDS = ("optimizer", "momentum", "schedule", "deskew")
MOMENTUM_MAX = 0.999

OPTIMIZER_HELP = N_(
    "How a step uses the gradient. SGD moves against this minibatch's gradient only; momentum "
    "keeps a running sum of past steps, Adam scales each weight's step by its own gradient "
    "history (see the update rules below). On MNIST, 20 epochs at the notebook's other "
    "settings: SGD {sgd}; momentum 0.9 {momentum} (at learning rate 0.01 it steps like SGD at "
    "0.1: {momentum_slow}); Adam {adam_fast} at learning rate 0.1, too large for it, and "
    "{adam_slow} at 0.001 (test accuracy)."
)
SCHEDULE_HELP = N_(
    "How the learning rate changes during the run. Step decay multiplies it by 0.1 at half and "
    "again at three quarters of the steps; cosine lowers it smoothly to 0 at the end. On MNIST "
    "with the notebook's other settings they change little (test accuracy: constant "
    "{constant}, step {step}, cosine {cosine}; seeds alone move it by 0.3 points)."
)
MOMENTUM_HELP = N_(
    "μ of SGD with momentum: the share of the last step kept in the next one (0.9 is usual; "
    "the other rules ignore it)."
)
DESKEW_HELP = N_(
    "Shear each image along its rows until its ink stands upright, before training and before "
    "every prediction; the model remembers it. Same model, better input: with the notebook's "
    "settings {plain} → {deskewed} test accuracy on MNIST."
)
# Test accuracy of `python -m core.train` with the notebook's settings and seed 0, changing only
# what the name says: --optimizer momentum (--lr 0.01 for momentum_slow), --optimizer adam
# (--lr 0.001 for adam_slow), --schedule step / cosine, --deskew.
MEASURED = {
    "sgd": 0.9223,
    "momentum": 0.9250,
    "momentum_slow": 0.9223,
    "adam_fast": 0.8994,
    "adam_slow": 0.9270,
    "constant": 0.9223,
    "step": 0.9213,
    "cosine": 0.9210,
    "plain": 0.9223,
    "deskewed": 0.9465,
}


@dataclass(frozen=True)
class Choice:
    """A selectbox of the form: its label, options, their names and help (all N_-marked)."""

    label: str
    options: tuple[str, ...]
    names: dict[str, str]
    help: str


CHOICES = {
    "optimizer": Choice(N_("Update rule"), OPTIMIZERS, OPTIMIZER_NAMES, OPTIMIZER_HELP),
    "schedule": Choice(N_("Learning-rate schedule"), SCHEDULES, SCHEDULE_NAMES, SCHEDULE_HELP),
}
# Their link parameters (train?optimizer=adam).
LINK_PARSERS = {field: links.choice(*choice.options) for field, choice in CHOICES.items()} | {
    "deskew": links.choice("0", "1")
}


def _measured() -> dict[str, str]:
    return {name: percent(accuracy) for name, accuracy in MEASURED.items()}


def _key(field: str) -> str:
    return state.TRAIN_INPUT_PREFIX + field


def _choice_input(column, field: str, choice: Choice) -> str:
    # The names translated in this run: Streamlit may format an option after the run, outside
    # the session.
    names = {name: _(text) for name, text in choice.names.items()}
    return column.selectbox(
        _(choice.label),
        choice.options,
        format_func=names.get,
        help=_(choice.help).format(**_measured()),
        key=_key(field),
    )


def option_inputs(form: dict) -> dict:
    """Draw the choices (inside the settings form) and return their values as TrainConfig fields.
    `form`: the values last started with (they fill inputs the visitor has not touched)."""
    for field in OPTION_FIELDS:
        st.session_state.setdefault(_key(field), form.get(field, getattr(TrainConfig, field)))
    *choice_columns, momentum_column = st.columns(len(CHOICES) + 1)
    values = {
        field: _choice_input(column, field, choice)
        for column, (field, choice) in zip(choice_columns, CHOICES.items(), strict=True)
    }
    values["momentum"] = momentum_column.number_input(
        _("Momentum μ"),
        min_value=0.0,
        max_value=MOMENTUM_MAX,
        format="%g",
        help=_(MOMENTUM_HELP),
        key=_key("momentum"),
    )
    values["deskew"] = st.toggle(
        _("Deskew the images"), help=_(DESKEW_HELP).format(**_measured()), key=_key("deskew")
    )
    update_rules_expander()
    return values


def reset_inputs(defaults: dict) -> None:
    """Put the notebook's choices back into the inputs (Reset's callback)."""
    for field in OPTION_FIELDS:
        st.session_state[_key(field)] = defaults[field]


def fill_from_link() -> None:
    """train?optimizer=adam&schedule=cosine&deskew=1 fill the inputs once (before the form)."""
    for field in CHOICES:
        links.bind_to_widget(field, LINK_PARSERS[field], _key(field))
    links.bind_to_widget(
        "deskew", LINK_PARSERS["deskew"], _key("deskew"), convert=lambda v: v == "1"
    )


def link_values() -> dict:
    """The choices for the address bar: None where they are the notebook's."""
    defaults = TrainConfig()
    values = {name: st.session_state.get(_key(name)) for name in CHOICES}
    values = {name: None if v == getattr(defaults, name) else v for name, v in values.items()}
    values["deskew"] = "1" if st.session_state.get(_key("deskew")) else None
    return values


UPDATE_RULES = N_(
    r"""
Each step has the minibatch's gradients $g_W = \nabla_W L$ $(784, 10)$ and $g_b = \nabla_b L$
$(10,)$, L2 included, and the learning rate $\eta_t$ of step $t$. The same rule updates $b$
with $g_b$; every state array has the shape of its parameter and starts at 0.

- **SGD (the notebook)**: $W \leftarrow W - \eta_t\, g_W$. No state.
- **SGD with momentum**: $V \leftarrow \mu V - \eta_t\, g_W$, then $W \leftarrow W + V$;
  the velocity $V$ is $(784, 10)$.
- **Adam**: $M \leftarrow \beta_1 M + (1-\beta_1)\, g_W$ and
  $S \leftarrow \beta_2 S + (1-\beta_2)\, g_W^2$, then
  $W \leftarrow W - \eta_t\, \hat M / (\sqrt{\hat S} + \epsilon)$ with
  $\hat M = M / (1-\beta_1^t)$, $\hat S = S / (1-\beta_2^t)$; $M$ and $S$ are $(784, 10)$,
  $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\epsilon = 10^{-8}$. Squares, roots and the division
  are entry by entry, so every weight moves by about $\eta_t$ whatever the size of its
  gradient: Adam wants a far smaller learning rate than SGD.

Schedules, for step $t = 0, \dots, T-1$ of $T$:

- **constant (the notebook)**: $\eta_t = \eta$.
- **step decay**: $\eta$, then $0.1\,\eta$ from $t = T/2$ and $0.01\,\eta$ from $t = 3T/4$.
- **cosine**: $\eta_t = \eta\,(1 + \cos(\pi t / T)) / 2$.

**Deskewing** changes the input, not the rule: each image is sheared along its rows by
$\alpha = \mathrm{cov}(r, c) / \mathrm{var}(r)$ of its ink, so that the ink's row/column
covariance becomes 0 (the centre of mass stays put).
"""
)


def update_rules_expander() -> None:
    """Each choice's update rule, with shapes (the code is core/optimizers.py)."""
    expander_drawn_when_open(
        _("Maths of the options: SGD, momentum, Adam, schedules, deskewing"),
        state.MATHS_UPDATE_RULES,
        lambda: st.markdown(_(UPDATE_RULES)),
    )
