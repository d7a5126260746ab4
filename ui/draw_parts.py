"""Parts of the Draw page: its choices and link parameters, the picture of a test image by
index, the preprocessing steps, and the headline's words."""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass

import numpy as np
import streamlit as st
from PIL import Image

from ui import links
from ui.bars_html import bar_chart_css, nice_step
from ui.i18n import N_, _, current_language, number, percent
from ui.images import GRID_STYLE, image_grid_html, png_data_uri
from ui.page import with_article
from ui.pictures import DIVERGING

CANVAS_PX = 280
SOURCE_DRAW, SOURCE_TEST = N_("Draw it myself"), N_("A test image by index")
# The MNIST split a test image comes from (the test set unless the visitor or a link picks).
SPLITS = {"test": N_("Test set"), "train": N_("Training set")}
# Widget keys (the link parameters ?index= and ?split= fill them).
SOURCE_KEY, SPLIT_KEY, INDEX_KEY = "draw_source", "draw_split", "draw_test_index"
BRUSH_KEY, BRUSH_DEFAULT = "draw_brush", 20
# core.preprocess's EmptyCanvasError texts, as the page says them.
EMPTY_CANVAS = {
    "the canvas is empty: draw a digit": N_("✍️ the canvas is empty: draw a digit"),
    "the canvas is completely filled: there is no background to tell a digit from; clear it "
    "and draw a digit": N_(
        "✍️ the canvas is completely filled: there is no background to tell a digit from; clear "
        "it and draw a digit"
    ),
}


def probability_text(p: float) -> str:
    """A probability as the Draw page writes it everywhere (headline and bars): one decimal, but
    never a rounded '100.0%' or '0.0%' that a softmax never means: '>99.9%', '<0.1%'."""
    if p >= 0.9995:
        return ">" + percent(0.999, 1)
    if p < 0.0005:
        return "<" + percent(0.001, 1)
    return percent(p, 1)


BAR_PX = 56  # the tallest bar (probability 1)
# The canvas's toolbar (shown on hover, always on touch screens) sits about 32 px above the
# canvas: the answer keeps that much room below it, so the bars' class names stay readable.
BARS_STYLE = """<style>
.prob-bars {display: flex; gap: 2px; align-items: flex-end; height: 96px; margin: 0;}
.prob-bars figure {flex: 1; margin: 0; min-width: 0; text-align: center; font-size: 10px;
  line-height: 1.2; display: flex; flex-direction: column; justify-content: flex-end;}
.prob-bars .bar {background: #1f77b4; margin: 1px 3px 2px; min-height: 1px;}
.prob-bars .top .bar {background: #d62728;}
.prob-bars .name {font-size: 14px; font-weight: 600;}
.prob-bars .top .name {color: #d62728;}
.st-key-draw_verdict {min-height: 5.5rem; justify-content: flex-end;}
.st-key-draw_answer {margin-bottom: 1.75rem;}
</style>"""


def probability_bars_html(probs: np.ndarray, class_names, top: int | None) -> str:
    """Ten small bars (an HTML picture, no chart to render) with their probability above each:
    the same numbers as the headline, by the same rule (``probability_text``). ``top`` is drawn
    in red; None (nothing drawn yet) draws every bar empty and no numbers."""
    bars = []
    for k, p in enumerate(probs):
        text = probability_text(float(p)) if top is not None else "&nbsp;"
        name = html.escape(str(class_names[k]))
        tip = html.escape(f"{class_names[k]}: {text}", quote=True) if top is not None else name
        bars.append(
            f'<figure class="{"top" if k == top else ""}" title="{tip}"><span>{text}</span>'
            f'<div class="bar" style="height: {round(float(p) * BAR_PX)}px"></div>'
            f'<span class="name">{name}</span></figure>'
        )
    return f'{BARS_STYLE}<div class="prob-bars">{"".join(bars)}</div>'


def named(name: str) -> str:
    """A class name in bold as a sentence names it: with its article in English ('an **8**'),
    bare in languages without articles."""
    return with_article(name, bold=True) if current_language() == "en" else f"**{name}**"


def tile(image: np.ndarray, size: int = 140) -> np.ndarray:
    """`image` (h, w) in [0, 1] as a crisp size x size tile: nearest-neighbour scaled so its longer
    side fills the tile, centred on grey, so the shape of a crop stays visible (and no browser
    blur or very tall strip for a thin stroke)."""
    h, w = image.shape
    scale = size / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    rows = np.minimum((np.arange(new_h) / scale).astype(int), h - 1)
    cols = np.minimum((np.arange(new_w) / scale).astype(int), w - 1)
    out = np.full((size, size), 0.35, dtype=np.float32)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    out[top : top + new_h, left : left + new_w] = np.clip(image[np.ix_(rows, cols)], 0.0, 1.0)
    return out


def apply_link(mnist) -> None:
    """Set the widgets from the link (?index=1242 opens that test image, ?split=train a training
    image) where it has values not applied yet; keep the radios' choices across languages."""
    split_labels = {"test": mnist.test_labels, "train": mnist.train_labels}
    # A radio's value is its label in Streamlit: read each choice with the labels the visitor saw
    # and set it again as an option, so a switch of language keeps it.
    for key in (SOURCE_KEY, SPLIT_KEY):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    if st.session_state.get(SPLIT_KEY) not in SPLITS:
        st.session_state[SPLIT_KEY] = "test"
    linked_split = links.bind_to_widget("split", links.choice(*SPLITS), SPLIT_KEY)
    n_images = len(split_labels[st.session_state[SPLIT_KEY]])
    if linked_split is not None:
        keep_index_within(n_images)
    linked_index = links.bind_to_widget("index", links.integer(0, n_images - 1), INDEX_KEY)
    if linked_split is not None or linked_index is not None:
        st.session_state[SOURCE_KEY] = SOURCE_TEST


def keep_index_within(n_images: int) -> None:
    """After a switch of split, an index of the bigger split becomes the last of the smaller."""
    if st.session_state.get(INDEX_KEY, 0) >= n_images:
        st.session_state[INDEX_KEY] = n_images - 1


@dataclass
class PickedImage:
    """A test (or training) image picked by index: image (28, 28) in [0, 1] and its label, both
    None when the index is outside the split."""

    split: str
    index: int
    image: np.ndarray | None
    label: int | None


def image_by_index(mnist, class_names) -> PickedImage:
    """The split and index pickers and the image they pick, shown with its label. An index
    outside the split gets the page's own message (the input has no bounds of its own, so
    Streamlit never answers with its message)."""
    split_images = {"test": mnist.test_images, "train": mnist.train_images}
    split_labels = {"test": mnist.test_labels, "train": mnist.train_labels}
    split = st.radio(
        _("Images from"),
        list(SPLITS),
        format_func={name: _(label) for name, label in SPLITS.items()}.get,
        horizontal=True,
        label_visibility="collapsed",
        key=SPLIT_KEY,
        on_change=lambda: keep_index_within(len(split_labels[st.session_state[SPLIT_KEY]])),
    )
    n_images = len(split_labels[split])
    if split == "test":
        label = _("Test image index")
        where = _("Any of the {count} MNIST test digits, to compare with your drawings.")
    else:
        label = _("Training image index")
        where = _("Any of the {count} MNIST training digits, to compare with your drawings.")
    index = int(
        st.number_input(label, step=1, help=where.format(count=number(n_images)), key=INDEX_KEY)
    )
    if not 0 <= index < n_images:
        st.warning(
            _("There is no image #{index} here: pick one from 0 to {last}.").format(
                index=index, last=number(n_images - 1)
            )
        )
        return PickedImage(split, index, None, None)
    image = split_images[split][index].reshape(28, 28).astype(np.float32) / 255.0
    true_label = int(split_labels[split][index])
    if split == "test":
        caption = _("Test image #{index}, labelled {label}")
    else:
        caption = _("Training image #{index}, labelled {label}")
    caption = caption.format(index=index, label=class_names[true_label])
    st.image(png_data_uri(tile(image, 252)), caption=caption)
    return PickedImage(split, index, image, true_label)


def preprocessing_grid(steps, normalised: bool, model_input: np.ndarray | None) -> None:
    """The pictures from canvas to MNIST digit in one grid: canvas, crop, the stroke width step
    (with the widths it measured), the 20 px box, the centred 28x28, and the deskewed input
    when the model expects one (``model_input``, else None)."""

    def size(picture: np.ndarray) -> dict[str, int]:
        return {"width": picture.shape[1], "height": picture.shape[0]}

    widths = {
        "before": percent(steps.stroke_width_before, 0),
        "after": percent(steps.stroke_width_after, 0),
    }
    if not normalised:
        stroke = _("stroke width step off (stroke {before} of the size)").format(**widths)
    elif steps.stroke_radius == 0:
        stroke = _("stroke {before} of the size: MNIST-like, kept").format(**widths)
    else:
        stroke = _("stroke {before} → {after} of the size").format(**widths)
    shown = [
        (steps.gray, _("canvas {width}×{height}").format(**size(steps.gray))),
        (steps.cropped, _("cropped to the ink, {width}×{height}").format(**size(steps.cropped))),
        (steps.stroke_normalised, stroke),
        (steps.resized, _("longer side to 20 px: {width}×{height}").format(**size(steps.resized))),
        (steps.centred, _("28×28, centre of mass in the middle")),
    ]
    if model_input is not None:
        shown.append((model_input, _("deskewed, as this model was trained")))
    # One grid, all steps in a row on any screen (columns would stack them full width on a phone).
    st.container(key="preprocessing_steps").html(
        image_grid_html(
            np.stack([tile(picture) for picture, _caption in shown]),
            [caption for _picture, caption in shown],
            tile_px=52,
            max_cols=len(shown),
            wrap_captions=True,
        )
    )


# DIVERGING as (stop, RGB) arrays, for colouring pixels without a chart.
_STOPS = np.array([stop for stop, _colour in DIVERGING], np.float32)
_COLOURS = np.array(
    [[int(c) for c in colour[4:-1].split(",")] for _stop, colour in DIVERGING], np.float32
)


def diverging_png_uri(values: np.ndarray, limit: float) -> str:
    """(28, 28) values on the Weights page's diverging scale (blue -limit, white 0, red +limit)
    as a PNG data URI: a picture, not a chart, so nothing to render but an image."""
    position = np.clip(values / (2 * limit) + 0.5, 0, 1).ravel()
    rgb = np.stack([np.interp(position, _STOPS, _COLOURS[:, c]) for c in range(3)], axis=1)
    pixels = np.round(rgb).astype(np.uint8).reshape(*values.shape, 3)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def evidence_maps_html(maps: list[np.ndarray], titles: list[str], limit: float) -> str:
    """Maps (28, 28) side by side on one shared diverging scale, with its legend below."""
    tiles = "".join(
        f'<figure><img src="{diverging_png_uri(values, limit)}" alt="{html.escape(title)}" '
        f'title="{html.escape(title)}"><figcaption>{html.escape(title)}</figcaption></figure>'
        for values, title in zip(maps, titles, strict=True)
    )
    gradient = ", ".join(f"{colour} {stop * 100:.0f}%" for stop, colour in DIVERGING)
    legend = (
        f'<div style="display: flex; gap: 6px; align-items: center; font-size: 12px;">'
        f'<span>−{limit:.2f}</span><div style="flex: 1; height: 10px; '
        f'background: linear-gradient(to right, {gradient});"></div><span>+{limit:.2f}</span>'
        f"</div>"
    )
    style = f"--tile: 96px; --cols: {len(maps)}"
    # Framed, so the white (zero) border of a map is told from the page; at most 720 px wide.
    return (
        f"{GRID_STYLE}<style>.evidence img {{outline: 1px solid #bbb;}}</style>"
        f'<div class="evidence" style="max-width: 720px"><div class="digit-grid" '
        f'style="{style}">{tiles}</div>{legend}</div>'
    )


# The logit chart as HTML boxes (no chart library to run in the browser on every stroke; st.html
# keeps HTML and CSS but not SVG).
LOGIT_COLOURS = {"pixels": "#1f77b4", "bias": "#ff7f0e"}
PLOT_PX = 170  # the plot area's height
LOGIT_STYLE = f"""<style>{bar_chart_css("logit-parts")}
.logit-parts .col .logit {{left: calc(50% - 6px); width: 10px; height: 10px; margin-top: -6px;
  background: #000; border: 1px solid #fff; transform: rotate(45deg);}}
.logit-parts .legend {{display: flex; gap: 14px; flex-wrap: wrap; margin-top: 4px;}}
.logit-parts .legend i {{display: inline-block; width: 10px; height: 10px; margin-right: 4px;}}
</style>"""


def _stacked(values: tuple[float, ...]) -> list[tuple[float, float]]:
    """Bars stacked as Plotly's 'relative' mode does: positives up from 0, negatives down."""
    up = down = 0.0
    spans = []
    for v in values:
        if v >= 0:
            spans.append((up, up + v))
            up += v
        else:
            spans.append((down + v, down))
            down += v
    return spans


def logit_parts_html(pixel_sum: np.ndarray, bias: np.ndarray, class_names) -> str:
    """How each logit is made, as HTML boxes: per class the pixel evidence x·W[:, k] (C,) and
    the bias b_k (C,) stacked, and the logit (their sum) as a diamond with its value written
    under the class name. Each column's tooltip spells out the sum."""
    logits = pixel_sum + bias
    spans = [_stacked((float(p), float(b))) for p, b in zip(pixel_sum, bias, strict=True)]
    ends = [0.0, *(x for pair in spans for span in pair for x in span), *map(float, logits)]
    step = nice_step(max(ends) - min(ends))
    low, high = np.floor(min(ends) / step) * step, np.ceil(max(ends) / step) * step

    def y(value: float) -> float:
        """Pixels from the plot's top."""
        return (high - value) / ((high - low) or 1.0) * PLOT_PX

    rows = [
        f'<p class="grid{" zero" if abs(tick) < step / 2 else ""}" style="top: {y(tick):.1f}px">'
        f"<span>{tick:g}</span></p>"
        for tick in np.arange(low, high + step / 2, step)
    ]
    columns, names = [], []
    for k, name in enumerate(class_names):
        facts = {
            "name": name,
            "pixels": f"{pixel_sum[k]:+.2f}",
            "bias": f"{bias[k]:+.2f}",
            "logit": f"{logits[k]:+.2f}",
        }
        tip = _("{name}: pixels {pixels} + bias {bias} = logit {logit}").format(**facts)
        tip = html.escape(tip, quote=True)
        bars = "".join(
            f'<div style="top: {y(top):.1f}px; height: {y(bottom) - y(top):.1f}px; '
            f'background: {LOGIT_COLOURS[part]}"></div>'
            for part, (bottom, top) in zip(("pixels", "bias"), spans[k], strict=True)
        )
        logit = f'<div class="logit" style="top: {y(float(logits[k])):.1f}px"></div>'
        columns.append(f'<span class="col" title="{tip}">{bars}{logit}</span>')
        names.append(f'<span title="{tip}"><b>{html.escape(str(name))}</b>{facts["logit"]}</span>')
    keys = [f'<i style="background: {LOGIT_COLOURS[part]}"></i>' for part in ("pixels", "bias")]
    legend = "".join(
        f"<span>{key}{html.escape(label)}</span>"
        for key, label in zip(
            [*keys, "◆ "], [_("pixels: x · W[:, k]"), _("bias b_k"), _("logit")], strict=True
        )
    )
    title = html.escape(_("Logit of each class = pixel evidence + bias"))
    return (
        f'{LOGIT_STYLE}<figure class="logit-parts"><figcaption><b>{title}</b></figcaption>'
        f'<div class="plot" style="height: {PLOT_PX}px">{"".join(rows)}{"".join(columns)}</div>'
        f'<div class="names">{"".join(names)}</div><div class="legend">{legend}</div></figure>'
    )
