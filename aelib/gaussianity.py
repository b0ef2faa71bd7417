"""How Gaussian is a sample, and does a sum of terms satisfy Lyapunov's condition?

Two groups of tools, for the noninvertibility measurements, where the "samples" are
many input representations of one target found from different random starts:

- **Normality of pooled deviations.** :func:`standardized_deviations` takes ``K`` samples of a
  vector (shape ``(K, ...)``), removes each coordinate's mean over the ``K`` samples, divides by
  its standard deviation and pools all coordinates. :func:`normality` returns the skewness, the
  excess kurtosis (both 0 for a normal law), the Kolmogorov-Smirnov distance to the standard
  normal and the Shapiro-Wilk ``W`` (1 for a perfect fit) of such a pooled sample, from
  ``scipy.stats``. With hundreds of thousands of values every p-value is tiny for the slightest
  departure, so the chapter reads the *statistics*; :func:`ks_null` gives the KS distance that
  a truly Gaussian array of the same shape shows after the same standardisation (the floor
  below which a KS distance means nothing).
- **Lyapunov's condition with delta = 1.** For independent terms ``X_1, X_2, ...`` with means
  ``mu_i`` and variances ``sigma_i^2``, ``s_n^2 = sum_{i<=n} sigma_i^2`` and

      L_n = sum_{i<=n} E|X_i - mu_i|^3 / s_n^3.

  If ``L_n -> 0`` the standardised sum ``(sum X_i - sum mu_i) / s_n`` tends to N(0, 1). For
  ``n`` comparable terms ``L_n`` falls like ``n^(-1/2)``; if a few terms dominate it stalls.
  :func:`term_moments` and :func:`weighted_term_moments` estimate the per-term moments from
  samples, :func:`lyapunov_ratio` accumulates them and :func:`loglog_slope` fits the decay;
  :func:`sum_variance_ratio` checks the independence the theorem assumes (the variance of the
  sum over the sum of the variances).

- **Starts and controls.** :func:`draw_starts` draws the descent's random starts, Gaussian (the
  essay's) or uniform with the same mean and standard deviation (excess kurtosis -1.2, the
  control that tells a shape inherited from the start from one made by summation);
  :func:`heavy_tailed_weights` gives Cauchy weights for a layer in which a few terms dominate
  every sum, the control on which Lyapunov's ratio must *not* fall; :func:`lyapunov_slope` is the
  whole measurement of claim C10 for one weight matrix and one set of samples.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import stats

# Each claim is measured on every seed of the profile; per seed the chapter draws this share of the
# profile's ``nonin.starts`` (at cpu: 3 seeds x 170 starts, as many in total as one seed x 512 had),
# to keep the chapter within its CPU budget. A chapter constant rather than a profile field.
SEED_STARTS_FRACTION = 1 / 3


def _numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


# ------------------------------------------------------------------------------------------
# normality of pooled deviations


def deviations(samples) -> np.ndarray:
    """``samples`` (K, ...) -> (K, P): each coordinate minus its mean over the K samples."""
    x = _numpy(samples).reshape(len(samples), -1)
    return x - x.mean(axis=0, keepdims=True)


def standardized_deviations(samples, min_std: float = 1e-12) -> np.ndarray:
    """Pooled per-coordinate z-scores over the samples (a flat array of up to K*P values).

    Each coordinate is centred on its mean over the K samples and divided by its standard
    deviation over them; coordinates that do not vary (std below ``min_std``) are dropped.
    """
    if len(samples) < 3:
        raise ValueError(f"need at least 3 samples per coordinate, got {len(samples)}")
    d = deviations(samples)
    sd = d.std(axis=0)
    keep = sd > min_std
    return (d[:, keep] / sd[keep]).ravel()


def normality(x, subsample: int = 5000, seed: int = 0) -> dict[str, float]:
    """Shape statistics of a 1-d sample against the normal law.

    ``skew`` and ``excess_kurtosis`` (``scipy.stats.skew``/``kurtosis``, Fisher's definition:
    0 for a normal law, -1.2 for a uniform one, 6 for an exponential one) use the whole sample;
    ``ks`` is the Kolmogorov-Smirnov distance between the sample, standardised by its own mean
    and standard deviation, and N(0, 1) (with estimated parameters its p-value is conservative;
    read the distance); ``shapiro_w`` is the Shapiro-Wilk statistic on a random subsample of
    ``subsample`` values (the test is defined up to 5000).
    """
    x = _numpy(x).ravel()
    x = x[np.isfinite(x)]
    if len(x) < 8:
        raise ValueError(f"need at least 8 finite values, got {len(x)}")
    z = (x - x.mean()) / max(x.std(), 1e-300)
    ks = stats.kstest(z, "norm")
    rng = np.random.default_rng(seed)
    sub = z if len(z) <= subsample else rng.choice(z, size=subsample, replace=False)
    sw = stats.shapiro(sub)
    return {"n": int(len(x)), "skew": float(stats.skew(x)), "excess_kurtosis": float(stats.kurtosis(x, fisher=True)),
            "ks": float(ks.statistic), "ks_p": float(ks.pvalue), "shapiro_w": float(sw.statistic),
            "shapiro_p": float(sw.pvalue)}


def ks_null(k: int, p: int, reps: int = 5, seed: int = 0) -> float:
    """The mean KS distance of ``reps`` iid N(0, 1) arrays of shape (k, p) put through
    :func:`standardized_deviations` and :func:`normality`: the sampling floor for that shape."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(reps):
        z = standardized_deviations(rng.standard_normal((k, p)))
        z = (z - z.mean()) / z.std()
        out.append(stats.kstest(z, "norm").statistic)
    return float(np.mean(out))


def qq_points(x, n_points: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """(normal quantiles, sample quantiles) of the standardised sample at ``n_points``
    probabilities spread evenly in (0, 1), for a Q-Q plot that stays light with large samples."""
    x = _numpy(x).ravel()
    z = (x - x.mean()) / max(x.std(), 1e-300)
    probs = (np.arange(n_points) + 0.5) / n_points
    return stats.norm.ppf(probs), np.quantile(z, probs)


def own_start_share(a_g, a_0) -> float:
    """Mean over coordinates of the squared correlation, across the K samples, between a
    coordinate of the result ``a_g`` and the same coordinate of its start ``a_0``: the part of
    each coordinate's spread that its own starting value explains (1: the deviation is the
    start's own noise carried through; near 0: it is made of other coordinates' noise)."""
    g, s = deviations(a_g), deviations(a_0)
    num = (g * s).mean(axis=0) ** 2
    den = g.var(axis=0) * s.var(axis=0)
    ok = den > 1e-300
    return float(np.mean(num[ok] / den[ok]))


# ------------------------------------------------------------------------------------------
# Lyapunov's condition


def term_moments(samples) -> tuple[np.ndarray, np.ndarray]:
    """Per-term ``E|X_i - mu_i|^3`` and ``Var X_i`` from samples of shape (K, n_terms)."""
    d = deviations(samples)
    return np.mean(np.abs(d) ** 3, axis=0), np.mean(d ** 2, axis=0)


def weighted_term_moments(weight, samples) -> tuple[np.ndarray, np.ndarray]:
    """Moments of the terms ``X_ji = W_ji * a_i`` of the pre-activations ``z_j = sum_i W_ji a_i``.

    ``weight`` is (units, n_terms); ``samples`` (K, n_terms) are K draws of the input ``a``. As
    ``W`` is fixed, ``E|X_ji - mu_ji|^3 = |W_ji|^3 E|a_i - mean a_i|^3`` and
    ``Var X_ji = W_ji^2 Var a_i``; both are returned with shape (units, n_terms).
    """
    w = _numpy(weight)
    m3, var = term_moments(samples)
    return np.abs(w) ** 3 * m3[None, :], w ** 2 * var[None, :]


def lyapunov_ratio(abs3, var, ns) -> np.ndarray:
    """``L_n = sum_{i<=n} abs3_i / (sum_{i<=n} var_i)^(3/2)`` for each ``n`` in ``ns``.

    ``abs3`` and ``var`` have the terms on their last axis (any leading axes, e.g. units, are
    kept): the result has shape (..., len(ns)). The terms are summed in the order given.
    """
    abs3, var = _numpy(abs3), _numpy(var)
    ns = np.asarray(ns, dtype=int)
    if ns.min() < 1 or ns.max() > abs3.shape[-1]:
        raise ValueError(f"n must lie in 1..{abs3.shape[-1]}, got {ns.min()}..{ns.max()}")
    c3, c2 = np.cumsum(abs3, axis=-1), np.cumsum(var, axis=-1)
    s2 = np.maximum(c2[..., ns - 1], 1e-300)
    return c3[..., ns - 1] / s2 ** 1.5


def log_spaced(n_max: int, count: int = 12, n_min: int = 2) -> np.ndarray:
    """About ``count`` distinct integers from ``n_min`` to ``n_max``, evenly spaced in log."""
    return np.unique(np.round(np.geomspace(n_min, n_max, count)).astype(int))


def loglog_slope(ns, values) -> tuple[float, float]:
    """Least-squares ``(slope, intercept)`` of ``log(values)`` against ``log(ns)``."""
    slope, intercept = np.polyfit(np.log(_numpy(ns)), np.log(_numpy(values)), 1)
    return float(slope), float(intercept)


def sum_variance_ratio(weight, samples) -> float:
    """Mean over units ``j`` of ``Var(sum_i W_ji a_i) / sum_i Var(W_ji a_i)`` from samples (K, n)
    of ``a``: 1 when the terms are uncorrelated (as the central limit theorem assumes), below 1
    when they partly cancel, above 1 when they reinforce each other."""
    w = _numpy(weight)
    d = deviations(samples)
    var_sum = ((d @ w.T) ** 2).mean(axis=0)
    sum_var = (w ** 2) @ (d ** 2).mean(axis=0)
    return float(np.mean(var_sum / np.maximum(sum_var, 1e-300)))


def largest_share(weight) -> float:
    """Mean over rows ``j`` of ``max_i W_ji^2 / sum_i W_ji^2``: how much of a unit's weight
    energy its single largest weight holds (``1/n`` for equal weights, 1 for one weight alone)."""
    w2 = _numpy(weight) ** 2
    return float(np.mean(w2.max(axis=1) / np.maximum(w2.sum(axis=1), 1e-300)))


# ------------------------------------------------------------------------------------------
# starts and controls


def draw_starts(shape, mean: float, std: float, kind: str = "gaussian",
                generator: torch.Generator | None = None, device: str = "cpu") -> torch.Tensor:
    """Random starts of a representation descent: ``'gaussian'`` N(mean, std^2) elementwise (the
    essay's), or ``'uniform'`` on ``mean +- std * sqrt(3)``, which has the same mean and standard
    deviation and excess kurtosis -1.2."""
    if kind == "gaussian":
        return torch.randn(shape, generator=generator, device=device) * std + mean
    if kind == "uniform":
        half = std * math.sqrt(3.0)
        return (torch.rand(shape, generator=generator, device=device) * 2 - 1) * half + mean
    raise ValueError(f"unknown start kind {kind!r}; choose 'gaussian' or 'uniform'")


def heavy_tailed_weights(shape, seed: int = 0, scale: float | None = None) -> np.ndarray:
    """Standard Cauchy weights (times ``scale``, default ``1/sqrt(n_terms)``) of a layer of shape
    (units, n_terms): a few weights of every unit are orders of magnitude larger than the rest, so a
    few terms dominate each sum and Lyapunov's ratio does not fall (the control of C10)."""
    rng = np.random.default_rng(seed)
    w = rng.standard_cauchy(size=tuple(shape))
    return w * (1.0 / math.sqrt(shape[-1]) if scale is None else scale)


def lyapunov_slope(weight, samples, ns) -> tuple[np.ndarray, float, float]:
    """Lyapunov's ratio (delta = 1) of the terms ``X_ji = W_ji a_i`` of every unit ``j``, the
    moments taken over the samples (K, n_terms) of ``a``, for each ``n`` in ``ns``; returns the mean
    over units of ``L_n``, and the ``(slope, intercept)`` of its log against ``log n``. The terms
    enter in the order of the columns."""
    abs3, var = weighted_term_moments(weight, samples)
    ratio = lyapunov_ratio(abs3, var, ns).mean(axis=0)
    return (ratio, *loglog_slope(ns, ratio))
