"""Home: what this lab is, and where to go."""

import streamlit as st

from ui.i18n import _, percent
from ui.nav import CONFIDENCE, DRAW, EXPERIMENTS, EXPLORE, HOME, TRAIN, WEIGHTS
from ui.page import start_page
from ui.state import current_model, display_model_name

start_page(HOME)

st.markdown(
    _(
        "See how the simplest neural classifier — **softmax regression**, one 784×10 weight "
        "matrix and a bias — learns to read handwritten digits. Everything runs on NumPy in this "
        "process: no deep-learning framework, no network."
    )
)

entry = current_model()
if entry is not None and entry.test_acc is not None:
    st.caption(
        _("Current model: {name} — {accuracy} on the 10,000 test digits.").format(
            name=display_model_name(entry.name), accuracy=percent(entry.test_acc)
        )
    )

# Short link labels with the explanation underneath: long labels are cut off in a link.
# Two rows: the notebook's path, then what goes beyond it.
for row in ((EXPLORE, TRAIN, WEIGHTS), (DRAW, CONFIDENCE, EXPERIMENTS)):
    for column, page in zip(st.columns(len(row)), row, strict=True):
        with column:
            st.page_link(page.path, label=f"**{_(page.title)}**", icon=page.icon)
            st.caption(_(page.blurb))

st.subheader(_("The model and one training step"))
# Comments above the lines, not beside them: a phone shows about 34 characters of code (17
# Chinese ones: the translation's comments are short).
st.code(
    _("""# minibatch X (B, 784), labels y
# (B,784) @ (784,10) -> (B,10)
Z = X @ W + b
# rows of ten probabilities, sum 1
P = softmax(Z)
# cross-entropy of the true digits
loss = mean(-log P[i, y_i])
# dloss/dZ, then one SGD step
G = (P - onehot(y)) / B
W -= lr * X.T @ G
b -= lr * G.sum(axis=0)"""),
    language="python",
    wrap_lines=True,
)
st.caption(
    _(
        "This is **multinomial logistic regression**: one template per class and a weighted sum "
        "of pixels. It has no notion of neighbouring pixels or of shapes, so one template must "
        "cover every way a digit is written: it stops near 92–93% test accuracy, and about 93% "
        "on the training images themselves (the limit is the model, not the data)."
    )
)
st.caption(
    _(
        "It grew out of a student's notebook: minibatch SGD, batch 128, learning rate 0.1, 20 "
        "epochs, about 92.4% test accuracy. The Train page reproduces it and lets you change "
        "every setting."
    )
)
with st.expander(_("About the data")):
    st.markdown(
        _(
            "MNIST: 60,000 training and 10,000 test images of 28×28 grey pixels, by Yann LeCun, "
            "Corinna Cortes and Christopher J.C. Burges, licensed CC BY-SA 3.0. The app ships a "
            "copy in `data/mnist/`. Fashion-MNIST (Zalando Research, MIT licence) can be picked "
            "in the sidebar where it is installed."
        )
    )
