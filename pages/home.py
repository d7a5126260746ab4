"""Home: what this lab is, and where to go."""

import streamlit as st

from ui.nav import APP_ICON, APP_TITLE, DRAW, EXPLORE, TRAIN, WEIGHTS
from ui.page import start_page
from ui.state import current_model

start_page()

st.title(f"{APP_ICON} {APP_TITLE}")
st.markdown(
    "See how the simplest neural classifier — **softmax regression**, one 784×10 weight matrix "
    "and a bias — learns to read handwritten digits. Everything runs on NumPy in this process: "
    "no deep-learning framework, no network."
)

entry = current_model()
if entry is not None and entry.test_acc is not None:
    st.caption(f"Current model: {entry.name} — {entry.test_acc:.2%} on the 10,000 test digits.")

# Short link labels with the explanation underneath: long labels are cut off in a link.
LINKED = (EXPLORE, TRAIN, WEIGHTS, DRAW)
for column, page in zip(st.columns(len(LINKED)), LINKED, strict=True):
    with column:
        st.page_link(page.path, label=f"**{page.title}**", icon=page.icon)
        st.caption(page.blurb)

st.subheader("The model in four lines")
# Comments above the lines, not beside them: a phone shows about 34 characters of code.
st.code(
    """# (N, 784) @ (784, 10) -> (N, 10)
Z = X @ W + b
# rows of ten probabilities, sum 1
P = softmax(Z)
# cross-entropy of the true digits
loss = -mean(log P[i, y_i])
# gradient step (b: column sums)
W -= lr * X.T @ (P - onehot) / N""",
    language="python",
    wrap_lines=True,
)
st.caption(
    "It grew out of a student's notebook: minibatch SGD, batch 128, learning rate 0.1, 20 epochs, "
    "about 92.4% test accuracy. The Train page reproduces it and lets you change every setting."
)
with st.expander("About the data"):
    st.markdown(
        "MNIST: 60,000 training and 10,000 test images of 28×28 grey pixels, by Yann LeCun, "
        "Corinna Cortes and Christopher J.C. Burges, licensed CC BY-SA 3.0. The app ships a copy "
        "in `data/mnist/`. Fashion-MNIST (Zalando Research, MIT licence) can be picked in the "
        "sidebar where it is installed."
    )
