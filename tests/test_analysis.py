"""Tests for core.analysis: class means, pixel statistics and PCA."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import analysis
from core.analysis import (
    mean_images,
    pca,
    pca_2d,
    pixel_histogram,
    pixel_variance,
    sample_indices,
)


def random_images(rng: np.random.Generator, n: int, d: int = 784) -> np.ndarray:
    return rng.integers(0, 256, size=(n, d), dtype=np.uint8)


# --- mean_images ----------------------------------------------------------------------------


def test_mean_images_match_a_direct_computation():
    rng = np.random.default_rng(0)
    images = random_images(rng, 500)
    labels = rng.integers(0, 10, size=500).astype(np.uint8)
    means = mean_images(images, labels, 10)
    assert means.shape == (10, 784) and means.dtype == np.float32
    for c in range(10):
        expected = images[labels == c].astype(np.float64).mean(axis=0) / 255
        np.testing.assert_allclose(means[c], expected, rtol=1e-6, atol=1e-7)
    assert means.min() >= 0 and means.max() <= 1


def test_mean_images_across_chunks_and_empty_class(monkeypatch):
    monkeypatch.setattr(analysis, "CHUNK_ROWS", 7)  # force several chunks
    rng = np.random.default_rng(1)
    images = random_images(rng, 50, 12)
    labels = rng.integers(0, 3, size=50)  # class 3 never appears
    means = mean_images(images, labels, 4)
    for c in range(3):
        np.testing.assert_allclose(means[c], images[labels == c].mean(axis=0) / 255, rtol=1e-6)
    np.testing.assert_array_equal(means[3], 0)


def test_mean_images_accepts_float_images_and_28x28_layout():
    rng = np.random.default_rng(2)
    images = random_images(rng, 40).reshape(40, 28, 28)
    labels = rng.integers(0, 10, size=40)
    from_uint8 = mean_images(images, labels, 10)
    from_float = mean_images(images.astype(np.float32) / 255, labels, 10)
    np.testing.assert_allclose(from_uint8, from_float, atol=1e-6)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (np.array([0, 1, 10]), "0..9"),
        (np.array([0, -1, 2]), "0..9"),
        (np.array([0, 1]), "shape"),
        (np.array([0.0, 1.0, 2.0]), "integers"),
    ],
)
def test_mean_images_rejects_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        mean_images(np.zeros((3, 784), np.uint8), labels, 10)


# --- pixel_variance / pixel_histogram -------------------------------------------------------


def test_pixel_variance_matches_numpy_across_chunks(monkeypatch):
    rng = np.random.default_rng(3)
    images = random_images(rng, 1000)
    expected = (images / 255).var(axis=0)
    np.testing.assert_allclose(pixel_variance(images), expected, rtol=1e-5)
    monkeypatch.setattr(analysis, "CHUNK_ROWS", 33)  # uneven chunks: the merge must be exact
    result = pixel_variance(images)
    assert result.shape == (784,) and result.dtype == np.float32
    np.testing.assert_allclose(result, expected, rtol=1e-5)


def test_pixel_variance_of_constant_pixels_is_zero():
    images = np.full((100, 784), 200, dtype=np.uint8)
    np.testing.assert_allclose(pixel_variance(images), 0, atol=1e-12)
    assert pixel_variance(images[:1]).shape == (784,)


@given(st.integers(1, 64), st.integers(1, 300), st.integers(0, 2**32))
@settings(max_examples=50, deadline=None)
def test_pixel_histogram_matches_numpy(bins, n, seed):
    images = random_images(np.random.default_rng(seed), n, 20)
    counts, edges = pixel_histogram(images, bins)
    np.testing.assert_allclose(edges, np.linspace(0, 1, bins + 1))
    assert counts.dtype == np.int64 and counts.sum() == images.size
    # Grey level v belongs to bin floor(v * bins / 255), computed exactly in integers (float
    # edges can misplace levels that sit exactly on an edge); 255 goes to the last bin.
    exact = np.minimum(images.astype(np.int64) * bins // 255, bins - 1)
    np.testing.assert_array_equal(counts, np.bincount(exact.ravel(), minlength=bins))
    # Float images go through np.histogram; it may differ only for levels on an edge.
    float_counts, _ = pixel_histogram(images / 255, bins)
    np.testing.assert_array_equal(float_counts, np.histogram(images / 255, bins=edges)[0])
    on_edge = np.count_nonzero(images.astype(np.int64) * bins % 255 == 0)
    assert np.abs(float_counts - counts).sum() <= 2 * on_edge


@pytest.mark.parametrize("bins", [0, -3, 2.5, "10"])
def test_pixel_histogram_rejects_bad_bins(bins):
    with pytest.raises(ValueError, match="bins"):
        pixel_histogram(np.zeros((2, 784), np.uint8), bins)


@pytest.mark.parametrize(
    "images",
    [np.zeros((0, 784), np.uint8), np.zeros(784, np.uint8), np.zeros((3, 0)), np.array([["a"]])],
)
def test_statistics_reject_bad_images(images):
    for function in (pixel_variance, pixel_histogram):
        with pytest.raises(ValueError, match="images"):
            function(images)


# --- PCA ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def correlated_sample():
    """(300, 784) uint8 images with a few strong directions, like digits have."""
    rng = np.random.default_rng(4)
    factors = rng.normal(size=(300, 5)) * np.array([40, 25, 15, 8, 4])
    loadings = rng.normal(size=(5, 784))
    pixels = 128 + factors @ loadings / np.sqrt(784) * 3 + rng.normal(size=(300, 784)) * 5
    return np.clip(np.round(pixels), 0, 255).astype(np.uint8)


def test_pca_components_are_orthonormal(correlated_sample):
    fit = pca(correlated_sample, n_components=5)
    assert fit.components.shape == (5, 784) and fit.components.dtype == np.float32
    np.testing.assert_allclose(fit.components @ fit.components.T, np.eye(5), atol=1e-5)


def test_pca_projection_is_the_centred_data_on_the_components(correlated_sample):
    fit = pca(correlated_sample, n_components=2)
    data = correlated_sample.astype(np.float64) / 255
    np.testing.assert_allclose(fit.mean, data.mean(axis=0), atol=1e-6)
    expected = (data - data.mean(axis=0)) @ fit.components.T.astype(np.float64)
    assert fit.projection.shape == (300, 2) and fit.projection.dtype == np.float32
    np.testing.assert_allclose(fit.projection, expected, atol=1e-4)
    np.testing.assert_allclose(fit.projection.mean(axis=0), 0, atol=1e-5)
    # Variance along each component is its explained variance.
    np.testing.assert_allclose(
        fit.projection.var(axis=0, ddof=1), fit.explained_variance, rtol=1e-4
    )


def test_explained_ratio_is_in_unit_interval_and_descending(correlated_sample):
    _, ratio = pca_2d(correlated_sample)
    assert ratio.shape == (2,)
    assert np.all(ratio > 0) and np.all(ratio <= 1) and ratio.sum() <= 1 + 1e-9
    assert ratio[0] >= ratio[1]
    full = pca(correlated_sample, n_components=300)
    assert np.all(np.diff(full.explained_variance_ratio) <= 1e-12)
    assert full.explained_variance_ratio.sum() == pytest.approx(1.0)


@given(st.integers(3, 40), st.integers(2, 12), st.integers(0, 2**32))
@settings(max_examples=40, deadline=None)
def test_pca_matches_the_covariance_eigendecomposition(n, d, seed):
    rng = np.random.default_rng(seed)
    images = random_images(rng, n, d)
    k = min(2, n, d)
    fit = pca(images, n_components=k)
    data = images / 255
    covariance = np.cov(data, rowvar=False)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    np.testing.assert_allclose(fit.explained_variance, eigenvalues[:k], rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(
        fit.explained_variance_ratio, eigenvalues[:k] / eigenvalues.sum(), rtol=1e-3, atol=1e-6
    )
    # Same directions up to sign, where the eigenvalue is well separated from the next one.
    for i in range(k):
        gap = eigenvalues[i] - eigenvalues[i + 1] if i + 1 < d else eigenvalues[i]
        if gap > 1e-3 * eigenvalues[0]:
            alignment = abs(float(fit.components[i] @ eigenvectors[:, i]))
            assert alignment == pytest.approx(1.0, abs=1e-3)


def test_pca_signs_are_deterministic(correlated_sample):
    fit = pca(correlated_sample, n_components=3)
    strongest = np.abs(fit.components).argmax(axis=1)
    assert np.all(fit.components[np.arange(3), strongest] > 0)


def test_pca_2d_sampling_with_indices_or_generator(correlated_sample):
    indices = sample_indices(300, 120, np.random.default_rng(7))
    assert indices.shape == (120,) and np.all(np.diff(indices) > 0)
    by_indices, ratio_a = pca_2d(correlated_sample, indices)
    by_rng, ratio_b = pca_2d(correlated_sample, np.random.default_rng(7), max_samples=120)
    assert by_indices.shape == (120, 2) and by_indices.dtype == np.float32
    np.testing.assert_array_equal(by_indices, by_rng)
    np.testing.assert_array_equal(ratio_a, ratio_b)
    assert pca_2d(correlated_sample, np.random.default_rng(0))[0].shape == (300, 2)  # N < max


def test_pca_on_constant_images_has_zero_ratio():
    projection, ratio = pca_2d(np.full((5, 784), 7, dtype=np.uint8))
    np.testing.assert_array_equal(ratio, 0)
    np.testing.assert_array_equal(projection, 0)


@pytest.mark.parametrize(
    ("images", "n_components", "message"),
    [
        (np.zeros((1, 784), np.uint8), 2, "at least 2"),
        (np.zeros((5, 784), np.uint8), 0, "n_components"),
        (np.zeros((5, 784), np.uint8), 6, "n_components"),
        (np.full((5, 784), np.nan), 2, "NaN"),
    ],
)
def test_pca_rejects_bad_input(images, n_components, message):
    with pytest.raises(ValueError, match=message):
        pca(images, n_components)


def test_real_mnist_means_and_pca_look_sane(mnist):
    means = mean_images(mnist.test_images, mnist.test_labels, mnist.n_classes)
    # Class means are distinct blurry digits: each test image's nearest class mean is usually
    # its own class (a classic ~80% "nearest centroid" baseline).
    images = mnist.test_images[:2000].astype(np.float32) / 255
    distances = ((images[:, None, :] - means[None]) ** 2).sum(axis=2)
    accuracy = (distances.argmin(axis=1) == mnist.test_labels[:2000]).mean()
    assert accuracy > 0.75
    _, ratio = pca_2d(mnist.test_images, np.random.default_rng(0), max_samples=2000)
    assert 0.05 < ratio[1] <= ratio[0] < 0.2  # MNIST: ~10% and ~7%
