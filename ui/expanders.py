"""Expanders whose content is drawn only while they are open.

A collapsed `st.expander` still sends and renders all its content; the maths expanders hold many
KaTeX formulas, which made every visit of Train and Weights slower. Opening one reruns the page
(about 0.1-0.2 s of server time) and draws the content then.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st


def expander_drawn_when_open(label: str, key: str, draw: Callable[[], None]) -> None:
    """An expander labelled `label` that calls `draw` inside it only while it is open. `key` (a
    constant of ui/state.py) holds whether it is open; tests open it by setting that key."""
    box = st.expander(label, key=key, on_change="rerun")
    if box.open:
        with box:
            draw()
