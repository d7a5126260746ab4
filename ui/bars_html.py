"""One number per class as HTML bars: a chart with nothing for the browser to run (a Plotly
bar chart cost Weights about 40 ms of every visit), read like one (grid lines with their values,
the zero line darker, each value written under its class)."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

from ui.figures import DIVERGING
from ui.i18n import percent

PLOT_PX = 150  # the plot area's height
# The templates' red and blue (their colour scale at +-80% of its range).
POSITIVE, NEGATIVE = dict(DIVERGING)[0.9], dict(DIVERGING)[0.1]
SHARE = "#1f77b4"


def bar_chart_css(name: str) -> str:
    """The CSS rules of an HTML bar chart in `<figure class="{name}">`: a plot area with grid
    lines and their values (the zero line darker), columns of bars, the class names below."""
    return f"""
.{name} {{max-width: 720px; margin: 0; font-size: 12px;}}
.{name} .plot {{position: relative; margin: 12px 0 4px 36px; display: flex;}}
.{name} .grid {{position: absolute; left: -36px; right: 0; margin: 0;
  border-top: 1px solid #e4e4e4;}}
.{name} .grid.zero {{border-top-color: #888;}}
.{name} .grid span {{position: absolute; left: 0; width: 30px; top: -8px; text-align: right;
  font-size: 12px; line-height: 1;}}
.{name} .col {{position: relative; flex: 1;}}
.{name} .col div {{position: absolute; left: 20%; width: 60%;}}
.{name} .names {{display: flex; margin-left: 36px; text-align: center; line-height: 1.3;}}
.{name} .names span {{flex: 1; min-width: 0; font-size: clamp(9px, 2.5vw, 12px);}}
.{name} .names b {{display: block; font-size: 14px;}}"""


def nice_step(span: float) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about four ticks over span."""
    raw = span / 4 or 1.0
    power = 10 ** np.floor(np.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


STYLE = f"<style>{bar_chart_css('value-bars')}</style>"


def signed_bars_html(values: np.ndarray, class_names: Sequence[str], title: str, tip: str) -> str:
    """values (C,): a bar per class from zero, red if positive, blue if negative, with its value
    (2 decimals) under the class name. `tip` is each column's tooltip, a template with {name}
    and {value} (4 decimals)."""
    return _bars_html(values, class_names, title, tip, shares=False)


def share_bars_html(values: np.ndarray, class_names: Sequence[str], title: str, tip: str) -> str:
    """values (C,) in [0, 1] (a share per class, such as its accuracy): blue bars on a 0-100%
    axis, each share (one decimal) under its class and in the tooltip `tip` ({name}, {value})."""
    return _bars_html(values, class_names, title, tip, shares=True)


def _bars_html(values, class_names: Sequence[str], title: str, tip: str, shares: bool) -> str:
    """The bars of signed_bars_html, or with `shares` those of share_bars_html."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if len(values) != len(class_names):
        raise ValueError(f"{len(values)} values for {len(class_names)} class names")
    step = nice_step(float(np.ptp(np.append(values, 0.0))))
    low = np.floor(min(values.min(), 0.0) / step) * step
    high = np.ceil(max(values.max(), 0.0) / step) * step

    def y(value: float) -> float:
        """Pixels from the plot's top."""
        return (high - value) / ((high - low) or 1.0) * PLOT_PX

    grid = "".join(
        f'<p class="grid{" zero" if abs(tick) < step / 2 else ""}" style="top: {y(tick):.1f}px">'
        f"<span>{percent(tick, 0) if shares else f'{tick:g}'}</span></p>"
        for tick in np.arange(low, high + step / 2, step)
    )
    columns, names = [], []
    for name, value in zip(class_names, values, strict=True):
        shown = percent(value, 1) if shares else f"{value:+.2f}"
        detail = shown if shares else f"{value:+.4f}"
        facts = html.escape(tip.format(name=name, value=detail), quote=True)
        top, bottom = y(max(value, 0.0)), y(min(value, 0.0))
        colour = SHARE if shares else POSITIVE if value >= 0 else NEGATIVE
        columns.append(
            f'<span class="col" title="{facts}"><div style="top: {top:.1f}px; '
            f'height: {bottom - top:.1f}px; background: {colour}"></div></span>'
        )
        names.append(f'<span title="{facts}"><b>{html.escape(str(name))}</b>{shown}</span>')
    return (
        f'{STYLE}<figure class="value-bars"><strong>{html.escape(title)}</strong>'
        f'<div class="plot" style="height: {PLOT_PX}px">{grid}{"".join(columns)}</div>'
        f'<div class="names">{"".join(names)}</div></figure>'
    )
