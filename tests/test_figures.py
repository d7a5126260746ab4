"""ui.figures (Plotly heatmaps) and ui.charts' dataset charts: pure builders, checked on the
figure objects and the HTML (no Streamlit, no browser). The PNG pictures: test_pictures.py."""

import re

import numpy as np
import pytest

from ui import charts, figures, pictures

DIGITS = tuple(str(k) for k in range(10))


def _rng():
    return np.random.default_rng(0)


def _images(n, dtype=np.uint8):
    return _rng().integers(0, 256, size=(n, 784)).astype(dtype)


# -- tiling ------------------------------------------------------------------------------------


def test_grid_shape():
    assert figures.grid_shape(0, 10) == (0, 0)
    assert figures.grid_shape(7, 10) == (1, 7)
    assert figures.grid_shape(10, 10) == (1, 10)
    assert figures.grid_shape(11, 10) == (2, 10)
    assert figures.grid_shape(50, 10) == (5, 10)


def test_tile_layout_places_every_tile_below_its_title_band_without_overlap():
    band, gap = 6, 2
    grid = figures.TileLayout(13, 5, band, gap)
    rows, cols = 3, 5
    assert (grid.height, grid.width) == (rows * (28 + band), cols * (28 + gap) - gap)
    covered = np.zeros((grid.height, grid.width), dtype=int)
    for k in range(13):
        y, x = grid.origin(k)
        covered[y : y + 28, x : x + 28] += 1
    # Every tile lies on the canvas, none overlaps another: 13 tiles of 784 pixels each.
    assert covered.max() == 1 and covered.sum() == 13 * 784
    # The title band above the first row is empty.
    assert not covered[:band].any()


# -- templates ------------------------------------------------------------------------------------


def test_templates_figure_symmetric_scale_with_white_zero():
    W = _rng().normal(0, 0.1, (784, 10)).astype(np.float32)
    W[3, 2] = -0.9  # the largest magnitude is negative
    fig = figures.templates_figure(W, DIGITS)
    axis = fig.layout.coloraxis
    assert axis.cmid == 0
    assert axis.cmin == pytest.approx(-0.9) and axis.cmax == pytest.approx(0.9)
    scale = dict((round(pos, 6), colour) for pos, colour in axis.colorscale)
    assert scale[0.5] == "rgb(255,255,255)"
    assert axis.colorbar is not None


def test_templates_figure_one_tile_per_class_in_grid():
    W = _rng().normal(size=(784, 10))
    fig = figures.templates_figure(W, DIGITS, cols=5)
    assert len(fig.data) == 10
    assert [t.name for t in fig.data] == list(DIGITS)
    assert all(t.coloraxis == "coloraxis" for t in fig.data)
    for k, trace in enumerate(fig.data):
        np.testing.assert_allclose(np.asarray(trace.z), W[:, k].reshape(28, 28), rtol=1e-6)
        assert "weight" in trace.hovertemplate and "row" in trace.hovertemplate
    x0s = sorted({t.x0 for t in fig.data})
    y0s = sorted({t.y0 for t in fig.data})
    assert len(x0s) == 5 and len(y0s) == 2
    assert [a.text for a in fig.layout.annotations] == list(DIGITS)


def test_templates_figure_explicit_zmax_and_zero_weights():
    fig = figures.templates_figure(np.zeros((784, 10)), DIGITS)
    assert fig.layout.coloraxis.cmax == 1.0  # no division by zero, no NaN scale
    fig = figures.templates_figure(np.ones((784, 10)), DIGITS, zmax=3.0)
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (-3.0, 3.0)


def test_templates_figure_checks_shapes():
    with pytest.raises(ValueError, match="784"):
        figures.templates_figure(np.zeros((100, 10)), DIGITS)
    with pytest.raises(ValueError, match="class names"):
        figures.templates_figure(np.zeros((784, 10)), DIGITS[:9])


# -- confusion ------------------------------------------------------------------------------------


def test_confusion_figure_has_selectable_cell_centres():
    cm = np.arange(100).reshape(10, 10)
    fig = figures.confusion_figure(cm, DIGITS)
    heat, cells = fig.data
    assert heat.type == "heatmap" and cells.type == "scatter"
    np.testing.assert_array_equal(np.asarray(heat.text), cm)
    assert heat.hoverinfo == "skip"  # hover and clicks belong to the scatter
    assert len(cells.x) == 100
    # Point i sits at (predicted, true) and carries the count of that cell.
    for i in (0, 37, 99):
        t, p = int(cells.y[i]), int(cells.x[i])
        assert cells.customdata[i][2] == cm[t, p]
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]  # true class 0 on top
    assert list(fig.layout.xaxis.ticktext) == list(DIGITS)


def test_confusion_cell_from_selection():
    sel = {"points": [{"curve_number": 1, "x": 9, "y": 4, "point_index": 49}]}
    assert figures.confusion_cell_from_selection(sel) == (4, 9)
    assert figures.confusion_cell_from_selection({"points": []}) is None
    assert figures.confusion_cell_from_selection(None) is None


# -- charts ---------------------------------------------------------------------------------------


def test_pca_figure_one_webgl_trace_per_class():
    proj = _rng().normal(size=(300, 2)).astype(np.float32)
    labels = np.arange(300) % 10
    indices = np.arange(300) * 7
    fig = charts.pca_figure(proj, labels, DIGITS, indices=indices)
    assert len(fig.data) == 10
    assert all(t.type == "scattergl" for t in fig.data)
    assert sum(len(t.x) for t in fig.data) == 300
    np.testing.assert_array_equal(np.asarray(fig.data[3].customdata), indices[labels == 3])
    assert "class 3" in fig.data[3].hovertemplate
    with pytest.raises(ValueError):
        charts.pca_figure(proj[:, :1], labels, DIGITS)


def test_scatter_picture_puts_each_dot_in_its_colour_where_its_point_is():
    from ui.scatter_picture import scatter_rgb

    points = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0]])
    rgb = scatter_rgb(points, np.array([0, 1, 2]), ["#ff0000", "#00ff00", "#0000ff"], 100, 60)
    assert rgb.shape == (60, 100, 3) and rgb.dtype == np.uint8
    assert (rgb[30, 50] == 255).all()  # no point there: white
    # y points up: (0, 0) at the bottom left, (1, 1) at the top right, (1, 0) at the bottom
    # right; each blended 70% over white.
    low_left, top_right, low_right = rgb[57, 3], rgb[2, 96], rgb[57, 96]
    np.testing.assert_array_equal(low_left, [255, 76, 76])
    np.testing.assert_array_equal(top_right, [76, 255, 76])
    np.testing.assert_array_equal(low_right, [76, 76, 255])
    # All points equal (no spread): drawn, not a division by zero.
    same = scatter_rgb(np.ones((5, 2)), np.zeros(5, int), ["#000000"], 40, 40)
    assert (same < 255).any()
    with pytest.raises(ValueError):
        scatter_rgb(np.ones((5, 3)), np.zeros(5, int), ["#000000"], 40, 40)


def test_signed_bars_from_zero_coloured_by_sign_with_their_values():
    from ui.bars_html import NEGATIVE, PLOT_PX, POSITIVE, signed_bars_html

    b = np.array([1, -1, 0.5, -0.5, 0, 2, -2, 0.1, -0.1, 0.0])
    page = signed_bars_html(b, DIGITS, "Bias", "class {name}: bias {value}")
    bars = re.findall(r"top: ([\d.]+)px; height: ([\d.]+)px; background: (rgb\([\d,]+\))", page)
    assert len(bars) == 10
    colours = [colour for _top, _height, colour in bars]
    assert colours[0] == colours[2] == POSITIVE and colours[1] == colours[3] == NEGATIVE
    heights = np.array([float(h) for _top, h, _colour in bars])
    # Heights in proportion to |b| (the axis runs -2..2 over the plot's height).
    np.testing.assert_allclose(heights, np.abs(b) / 4 * PLOT_PX, atol=0.06)
    tops = np.array([float(t) for t, _h, _colour in bars])
    np.testing.assert_allclose(tops[[1, 4, 6]], PLOT_PX / 2, atol=0.06)  # <= 0 hangs from zero
    assert "<b>5</b>+2.00" in page and 'title="class 6: bias -2.0000"' in page
    with pytest.raises(ValueError):
        signed_bars_html(b[:9], DIGITS, "Bias", "{name} {value}")


def test_split_shares_are_two_bars_per_class_in_proportion_with_counts_in_the_tooltips():
    from ui.bars_html import PLOT_PX, SPLIT_COLOURS, split_shares_html

    train = np.full(10, 6000)
    test = np.arange(1, 11) * 100
    page = split_shares_html(train, test, DIGITS)
    bars = re.findall(
        r'title="([^"]*)" style="bottom: 0; height: ([\d.]+)px; background: (#\w+)', page
    )
    assert len(bars) == 20
    assert [colour for *_rest, colour in bars[:2]] == [
        SPLIT_COLOURS["train"],
        SPLIT_COLOURS["test"],
    ]
    heights = np.array([float(h) for _tip, h, _colour in bars]).reshape(10, 2)
    # The axis ends at the round tick above the largest share (test's 10/55 = 18.2%: 20%).
    np.testing.assert_allclose(heights[:, 0], 0.1 / 0.2 * PLOT_PX, atol=0.06)
    np.testing.assert_allclose(heights[:, 1], test / test.sum() / 0.2 * PLOT_PX, atol=0.06)
    assert bars[19][0] == "test: class 9, 1,000 images (18.18%)"
    assert "training (60,000 images)" in page and "test (5,500 images)" in page
    with pytest.raises(ValueError):
        split_shares_html(train[:9], test, DIGITS)


def test_the_histogram_is_log_scaled_with_no_bar_for_an_empty_bin():
    from ui.bars_html import PLOT_PX, histogram_html

    counts = np.array([100_000, 100, 0, 10])
    page = histogram_html(counts, np.linspace(0, 1, 5), "intensity", "pixels (log scale)")
    tops = [float(t) for t in re.findall(r'<div style="top: ([\d.]+)px; bottom: 0', page)]
    # Ticks 10^1 .. 10^5: each power of ten is a quarter of the plot's height.
    np.testing.assert_allclose(tops, [0.0, 0.75 * PLOT_PX, PLOT_PX], atol=0.06)
    assert page.count('class="col"') == 4 and "10⁵" in page and "10¹" in page
    assert 'title="intensity 0.50 to 0.75: 0 pixels (0.00%)"' in page
    assert 'title="intensity 0.00 to 0.25: 100,000 pixels (99.89%)"' in page
    with pytest.raises(ValueError, match="edges"):
        histogram_html(counts, np.linspace(0, 1, 4), "x", "y")


def test_the_pca_classes_have_ten_distinct_colours_and_a_readable_hover():
    assert len(set(pictures.CLASS_COLOURS)) == 10
    proj = _rng().normal(size=(100, 2))
    fig = charts.pca_figure(proj, np.arange(100) % 10, DIGITS)
    for trace, colour in zip(fig.data, pictures.CLASS_COLOURS, strict=True):
        assert trace.marker.color == colour
        assert trace.hoverlabel.bgcolor == "white" and trace.hoverlabel.bordercolor == colour
