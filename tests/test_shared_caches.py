"""ui.loaders.shared_figure / shared_html: built once per process for each key and language,
and what st.plotly_chart sends for a shared figure is what the built figure would send."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io

from ui import loaders


def _scatter() -> go.Figure:
    rng = np.random.default_rng(0)
    points = rng.normal(size=(500, 2)).astype(np.float32)
    fig = go.Figure(go.Scattergl(x=points[:, 0], y=points[:, 1], mode="markers", name="a"))
    fig.update_layout(title={"text": "t"}, height=300)
    return fig


def test_a_prepared_figure_serialises_as_the_figure_it_copies():
    built = _scatter()
    prepared = loaders.PreparedFigure(built)
    assert plotly.io.to_json(prepared) == plotly.io.to_json(built)
    assert prepared.to_dict() == json.loads(plotly.io.to_json(built))
    assert prepared.layout.height == 300 and len(prepared.data) == 1  # a full figure still


def test_shared_builds_once_per_key_and_language(monkeypatch):
    language = ["en"]
    monkeypatch.setattr(loaders, "current_language", lambda: language[0])
    builds = []

    def build() -> str:
        builds.append(language[0])
        return f"<p>{language[0]}</p>"

    key = ("test_shared", object().__hash__())  # a key no other test uses
    assert loaders.shared_html(key, build) == "<p>en</p>"
    assert loaders.shared_html(key, build) == "<p>en</p>"
    language[0] = "zh"
    assert loaders.shared_html(key, build) == "<p>zh</p>"
    assert builds == ["en", "zh"]
    figures = [loaders.shared_figure(key, _scatter) for _ in range(2)]
    assert figures[0] is figures[1] and isinstance(figures[0], loaders.PreparedFigure)
