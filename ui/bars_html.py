"""One number per class as HTML bars: a chart with nothing for the browser to run (a Plotly
bar chart cost Weights about 40 ms of every visit), read like one (grid lines with their values,
the zero line darker, each value written under its class)."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

from ui.i18n import _, number, percent
from ui.pictures import DIVERGING

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


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def x_axis_css(name: str) -> str:
    """CSS of an x axis under a plot: labels centred on their ticks, the last right-aligned."""
    return f"""
.{name} .axis {{position: relative; height: 1.3em; margin-left: 36px;}}
.{name} .axis span {{position: absolute; transform: translateX(-50%);}}
.{name} .axis span:last-child {{transform: translateX(-100%);}}"""


def x_axis_html(ticks: Sequence[float], labels: Sequence[str], start: float, end: float) -> str:
    """The labels of an x axis from `start` to `end`, each under its tick."""
    return "".join(
        f'<span style="left: {(tick - start) / (end - start) * 100:.1f}%">{label}</span>'
        for tick, label in zip(ticks, labels, strict=True)
    )


def log_axis(counts: np.ndarray, px: float) -> tuple[np.ndarray, str]:
    """Positive `counts` on a log axis `px` tall spanning whole powers of ten: each count's
    height in px above the axis's bottom, and the axis's grid lines labelled 10ⁿ."""
    logs = np.log10(np.asarray(counts, dtype=np.float64))
    low = int(np.floor(logs.min())) if len(logs) else 0
    high = max(int(np.ceil(logs.max())) if len(logs) else 1, low + 1)
    grid = "".join(
        f'<p class="grid" style="top: {(high - power) / (high - low) * px:.1f}px">'
        f"<span>10{str(power).translate(SUPERSCRIPT)}</span></p>"
        for power in range(low, high + 1)
    )
    return (logs - low) / (high - low) * px, grid


SPLIT_COLOURS = {"train": "#4C78A8", "test": "#F58518"}
SPLIT_STYLE = f"""<style>{bar_chart_css("split-bars")}
.split-bars .col div {{width: 30%;}}
.split-bars .col div + div {{left: 50%;}}
.split-bars .legend {{display: flex; gap: 1.5em; margin-top: 4px;}}
.split-bars .legend i {{display: inline-block; width: 10px; height: 10px; margin-right: 4px;}}
</style>"""


def split_shares_html(
    train_counts: np.ndarray, test_counts: np.ndarray, class_names: Sequence[str]
) -> str:
    """Each class's share of the training split and of the test split (counts (C,) each), two
    bars per class on a percent axis, a legend with each split's size, and each bar's count and
    share in its tooltip."""
    splits = {"train": np.asarray(train_counts), "test": np.asarray(test_counts)}
    if any(len(counts) != len(class_names) for counts in splits.values()):
        raise ValueError(f"need {len(class_names)} counts per split, one per class")
    shares = {name: counts / max(int(counts.sum()), 1) for name, counts in splits.items()}
    names = {"train": _("training"), "test": _("test")}
    high = max(float(s.max()) for s in shares.values())
    step = nice_step(high)
    top = np.ceil(high / step) * step or step
    grid = "".join(
        f'<p class="grid{" zero" if tick == 0 else ""}" '
        f'style="top: {(1 - tick / top) * PLOT_PX:.1f}px"><span>{percent(tick, 0)}</span></p>'
        for tick in np.arange(0.0, top + step / 2, step)
    )
    columns = []
    for k, name in enumerate(class_names):
        bars = []
        for split, counts in splits.items():
            share = float(shares[split][k])
            tip = _("{split}: class {name}, {count} images ({share})").format(
                split=names[split], name=name, count=number(int(counts[k])), share=percent(share, 2)
            )
            height = share / top * PLOT_PX
            bars.append(
                f'<div title="{html.escape(tip, quote=True)}" style="bottom: 0; '
                f'height: {height:.1f}px; background: {SPLIT_COLOURS[split]}"></div>'
            )
        columns.append(f'<span class="col">{"".join(bars)}</span>')
    labels = "".join(f"<span><b>{html.escape(str(name))}</b></span>" for name in class_names)
    legend = "".join(
        f'<span><i style="background: {SPLIT_COLOURS[split]}"></i>'
        + _("{split} ({count} images)").format(split=names[split], count=number(int(counts.sum())))
        + "</span>"
        for split, counts in splits.items()
    )
    return (
        f'{SPLIT_STYLE}<figure class="split-bars"><div class="legend">{legend}</div>'
        f'<div class="plot" style="height: {PLOT_PX}px">{grid}{"".join(columns)}</div>'
        f'<div class="names">{labels}</div></figure>'
    )


HISTOGRAM_STYLE = f"""<style>{bar_chart_css("histogram")}
.histogram .col div {{left: 4%; width: 92%;}}{x_axis_css("histogram")}
</style>"""


def histogram_html(counts: np.ndarray, edges: np.ndarray, x_title: str, y_title: str) -> str:
    """A histogram, counts (B,) over bins with edges (B + 1,) from 0 to 1, on a log axis (powers
    of ten; an empty bin has no bar), each bin's range, count and share in its tooltip."""
    counts = np.asarray(counts)
    edges = np.asarray(edges, dtype=np.float64)
    if edges.shape != (len(counts) + 1,):
        raise ValueError(f"need {len(counts) + 1} edges for {len(counts)} bins")
    filled = counts > 0
    heights, grid = log_axis(counts[filled], PLOT_PX)
    bar_px = np.zeros(len(counts))
    bar_px[filled] = heights
    total = max(int(counts.sum()), 1)
    columns = []
    for count, start, end, height in zip(counts, edges[:-1], edges[1:], bar_px, strict=True):
        tip = _("intensity {start} to {end}: {count} pixels ({share})").format(
            start=f"{start:.2f}",
            end=f"{end:.2f}",
            count=number(int(count)),
            share=percent(count / total, 2),
        )
        bar = (
            f'<div style="top: {PLOT_PX - height:.1f}px; bottom: 0; background: {SHARE}"></div>'
            if count > 0
            else ""
        )
        columns.append(f'<span class="col" title="{html.escape(tip, quote=True)}">{bar}</span>')
    ticks = (0.0, 0.25, 0.5, 0.75, 1.0)
    axis = x_axis_html(ticks, [f"{tick:g}" for tick in ticks], edges[0], edges[-1])
    return (
        f'{HISTOGRAM_STYLE}<figure class="histogram"><strong>{html.escape(y_title)}</strong>'
        f'<div class="plot" style="height: {PLOT_PX}px">{grid}{"".join(columns)}</div>'
        f'<div class="axis">{axis}</div><small>{html.escape(x_title)}</small></figure>'
    )
