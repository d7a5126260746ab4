"""Dataset statistics for the Explore page: class means, pixel variance and histogram, PCA.

Shapes: N samples, D = 784 pixels, C classes (10). Images are (N, D) uint8 in 0..255 (as
``core.datasets`` stores them) or floating point already scaled to [0, 1]; results are always on
the [0, 1] scale. Large uint8 arrays are processed in chunks so no (60000, 784) float copy is
ever made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "PCAFit",
    "mean_images",
    "pca",
    "pca_2d",
    "pixel_histogram",
    "pixel_variance",
    "sample_indices",
]

CHUNK_ROWS = 8192  # 8192 x 784 float64 = 51 MB per chunk at most


def _as_2d_images(images) -> np.ndarray:
    """(N, ...) image array -> (N, D) view; rejects empty, non-numeric or non-finite input."""
    array = np.asarray(images)
    if array.ndim < 2 or array.shape[0] == 0 or array[0].size == 0:
        raise ValueError(f"images must have shape (N, D) with N, D > 0; got {array.shape}")
    if array.dtype.kind not in "uif":
        raise ValueError(f"images must be numeric; got dtype {array.dtype}")
    return array.reshape(array.shape[0], -1)


def _to_unit_float(chunk: np.ndarray, dtype=np.float32) -> np.ndarray:
    """Scale a chunk to [0, 1]: integer pixels are 0..255, floats are taken as already scaled."""
    if chunk.dtype.kind in "ui":
        return chunk.astype(dtype) * dtype(1 / 255)
    return chunk.astype(dtype, copy=False)


def mean_images(images, labels, n_classes: int) -> np.ndarray:
    """Mean image of each class.

    images: (N, D) uint8 (or float in [0, 1]); labels: (N,) ints in 0..C-1; n_classes: C.
    Returns (C, D) float32 in [0, 1]; a class without samples gets an all-zero row.
    """
    flat = _as_2d_images(images)
    labels = np.asarray(labels)
    if labels.shape != (flat.shape[0],):
        raise ValueError(f"labels must have shape ({flat.shape[0]},); got {labels.shape}")
    if labels.dtype.kind not in "ui":
        raise ValueError(f"labels must be integers; got dtype {labels.dtype}")
    if n_classes < 1 or labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(
            f"labels must lie in 0..{n_classes - 1}; got {labels.min()}..{labels.max()}"
        )
    sums = np.zeros((n_classes, flat.shape[1]), dtype=np.float64)
    for start in range(0, flat.shape[0], CHUNK_ROWS):
        chunk = flat[start : start + CHUNK_ROWS]
        chunk_labels = labels[start : start + CHUNK_ROWS]
        # One-hot (C, n) @ (n, D): one BLAS call per chunk instead of a Python loop over classes.
        onehot = (chunk_labels[None, :] == np.arange(n_classes)[:, None]).astype(np.float64)
        sums += onehot @ _to_unit_float(chunk, np.float64)
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    means = sums / np.maximum(counts, 1)[:, None]
    return means.astype(np.float32)


def pixel_variance(images) -> np.ndarray:
    """Per-pixel variance over the samples (population variance, ddof=0).

    images: (N, D) uint8 (or float in [0, 1]). Returns (D,) float32 on the [0, 1] scale.
    Chunks are merged with Chan et al.'s pairwise update, which avoids the cancellation of
    E[x^2] - E[x]^2 and never holds more than one float64 chunk.
    """
    flat = _as_2d_images(images)
    count = 0
    mean = np.zeros(flat.shape[1], dtype=np.float64)
    m2 = np.zeros(flat.shape[1], dtype=np.float64)  # sum of squared deviations from the mean
    for start in range(0, flat.shape[0], CHUNK_ROWS):
        chunk = _to_unit_float(flat[start : start + CHUNK_ROWS], np.float64)
        n_chunk = chunk.shape[0]
        chunk_mean = chunk.mean(axis=0)
        chunk_m2 = ((chunk - chunk_mean) ** 2).sum(axis=0)
        delta = chunk_mean - mean
        total = count + n_chunk
        mean += delta * (n_chunk / total)
        m2 += chunk_m2 + delta**2 * (count * n_chunk / total)
        count = total
    return (m2 / count).astype(np.float32)


def pixel_histogram(images, bins: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of all pixel values on the [0, 1] scale.

    images: (N, D) uint8 (or float in [0, 1]); bins: number of equal-width bins over [0, 1].
    Returns (counts (bins,) int64, edges (bins + 1,) float64); counts sum to N * D. The last
    bin includes 1.0. For uint8 input the 256 grey levels are counted exactly first.
    """
    if not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a positive integer; got {bins!r}")
    flat = _as_2d_images(images)
    edges = np.linspace(0.0, 1.0, bins + 1)
    if flat.dtype == np.uint8:
        # bincount casts to intp, so count chunk by chunk to keep that copy small.
        level_counts = np.zeros(256, dtype=np.int64)
        for start in range(0, flat.shape[0], CHUNK_ROWS):
            level_counts += np.bincount(flat[start : start + CHUNK_ROWS].ravel(), minlength=256)
        # Bin of grey level v: floor(v / 255 * bins), with 255 folded into the last bin.
        level_bin = np.minimum(np.arange(256) * bins // 255, bins - 1)
        counts = np.bincount(level_bin, weights=level_counts, minlength=bins)
        return counts.astype(np.int64), edges
    counts = np.zeros(bins, dtype=np.int64)
    for start in range(0, flat.shape[0], CHUNK_ROWS):
        chunk = _to_unit_float(flat[start : start + CHUNK_ROWS], np.float64)
        counts += np.histogram(chunk, bins=edges)[0]
    return counts, edges


def sample_indices(n_total: int, n_sample: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted (min(n_sample, n_total),) int64 row indices drawn without replacement."""
    if n_sample >= n_total:
        return np.arange(n_total, dtype=np.int64)
    return np.sort(rng.choice(n_total, size=n_sample, replace=False)).astype(np.int64)


@dataclass(frozen=True)
class PCAFit:
    """Principal components of an (N, D) sample.

    mean: (D,) float32; components: (k, D) float32 orthonormal rows, strongest first, each
    signed so its largest-magnitude loading is positive (deterministic orientation);
    explained_variance: (k,) float64 (sample variance, ddof=1, along each component);
    explained_variance_ratio: (k,) float64, share of the total variance, descending;
    projection: (N, k) float32 coordinates of the centred sample on the components.
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray
    explained_variance_ratio: np.ndarray
    projection: np.ndarray


def pca(images, n_components: int = 2) -> PCAFit:
    """PCA by thin SVD of the centred float32 sample (no covariance matrix is formed).

    images: (N, D) uint8 (or float in [0, 1]), N >= 2 — pass a sample (see ``sample_indices``):
    the SVD costs O(N D^2). n_components: k, 1 <= k <= min(N, D).
    A sample without any variance gets ratios of 0.
    """
    flat = _as_2d_images(images)
    n_samples, n_pixels = flat.shape
    if n_samples < 2:
        raise ValueError(f"PCA needs at least 2 images; got {n_samples}")
    if not 1 <= n_components <= min(n_samples, n_pixels):
        raise ValueError(
            f"n_components must be in 1..{min(n_samples, n_pixels)}; got {n_components}"
        )
    data = _to_unit_float(flat, np.float32)
    if not np.isfinite(data).all():
        raise ValueError("images contain NaN or infinite values")
    mean = data.mean(axis=0, dtype=np.float64).astype(np.float32)
    centred = data - mean
    _, singular_values, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:n_components]
    # Flip signs so the orientation does not depend on the LAPACK build.
    strongest = np.abs(components).argmax(axis=1)
    signs = np.sign(components[np.arange(n_components), strongest])
    components = components * signs[:, None]

    squared = singular_values.astype(np.float64) ** 2
    total = squared.sum()
    ratio = squared[:n_components] / total if total > 0 else np.zeros(n_components)
    return PCAFit(
        mean=mean,
        components=components.astype(np.float32),
        explained_variance=squared[:n_components] / (n_samples - 1),
        explained_variance_ratio=ratio,
        projection=(centred @ components.T).astype(np.float32),
    )


def pca_2d(
    images,
    sample: np.ndarray | np.random.Generator | None = None,
    *,
    n_components: int = 2,
    max_samples: int = 5000,
) -> tuple[np.ndarray, np.ndarray]:
    """Project images onto their first principal components, for a scatter plot.

    images: (N, D) uint8 (or float in [0, 1]).
    sample: which rows to use — None: all N rows; an index array (n,); or a Generator, which
        picks ``sample_indices(N, max_samples, rng)`` (call that yourself with the Generator if
        you need the indices, e.g. to colour points by label).
    Returns (projection (n, k) float32, explained_variance_ratio (k,) float64 descending),
    k = n_components (2 by default).
    """
    flat = _as_2d_images(images)
    if isinstance(sample, np.random.Generator):
        sample = sample_indices(flat.shape[0], max_samples, sample)
    if sample is not None:
        flat = flat[np.asarray(sample)]
    fit = pca(flat, n_components)
    return fit.projection, fit.explained_variance_ratio
