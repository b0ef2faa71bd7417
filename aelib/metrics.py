"""The book's measures: r, g, k, e, PSNR, and a distribution distance that needs no weights.

With ``a`` clean, ``a_hat`` corrupted and ``O`` the autoencoder (norms per image, L2 over pixels):

- denoise ratio   ``r = |O(a_hat) - a| / |a_hat - a|``      (< 1: output nearer the clean image)
- identity gap    ``g = |O(a_hat) - a_hat| / |a_hat - a|``  (~ 0: the model copies its input)
- noise gain      ``k = |O(a_hat) - O(a)| / |a_hat - a|``   (1: identity; 0: ignores the corruption)
- representation error ``e = |a_g - a| / |a|``

Each is computed per image; functions return the median over the batch (robust to the odd
outlier crop) unless asked for all values.

The distribution distance is the sliced Wasserstein distance between sets of 7x7 patches drawn
from the levels of a Laplacian pyramid (Karras et al., 2018), computed with POT's
``ot.sliced_wasserstein_distance``. It is not comparable with published FIDs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .config.metrics import SWConfig
from .corruption import corrupt, matched_gaussian
from .modes import in_mode
from .seeding import stream, stream_seed


def _norm(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(1).norm(dim=1)


@torch.no_grad()
def ratios(O, a: torch.Tensor, alpha: float, generator: torch.Generator | None = None,
           control: bool = False) -> dict[str, float]:
    """Median r, g, k at one alpha on the batch ``a`` (model called in its current mode).

    ``control=True`` replaces the essay's corruption by zero-mean Gaussian noise of the same RMS.
    Also returns ``recon``: the median relative clean reconstruction error |O(a) - a| / |a|, and
    ``corruption``: the median |a_hat - a| / |a|, so that every ratio can be read against them.
    """
    a_hat = corrupt(a, alpha, generator=generator)
    if control:
        a_hat = matched_gaussian(a, a_hat, generator=generator)
    O_hat, O_a = O(a_hat), O(a)
    dist = _norm(a_hat - a).clamp_min(1e-12)
    return {
        "alpha": alpha,
        "r": float((_norm(O_hat - a) / dist).median()),
        "g": float((_norm(O_hat - a_hat) / dist).median()),
        "k": float((_norm(O_hat - O_a) / dist).median()),
        "recon": float((_norm(O_a - a) / _norm(a)).median()),
        "corruption": float((dist / _norm(a)).median()),
    }


def _stats_kept(O):
    """For a module in train mode: batch statistics without touching its running statistics."""
    import contextlib

    if isinstance(O, torch.nn.Module) and O.training:
        from .batchnorm import batch_statistics

        return batch_statistics(O)
    return contextlib.nullcontext()


def _ratio_stream(seed: int, alpha: float, device) -> torch.Generator:
    """The noise stream :func:`ratio_table` draws its corruption at ``alpha`` from, for ``seed``."""
    return stream("corruption", seed, f"alpha {alpha:g}", device=device)


def ratio_inputs(a: torch.Tensor, alpha: float, seed: int = 0) -> torch.Tensor:
    """The corrupted batch (the essay's corruption of ``a`` at ``alpha``) that
    ``ratio_table(O, a, alphas, seed)`` scores at that ``alpha``, whatever the model: to show
    beside the numbers the very inputs they were measured on."""
    return corrupt(a, alpha, generator=_ratio_stream(seed, alpha, a.device))


@torch.no_grad()
def denoise_ratios(O, a: torch.Tensor, alphas, seed: int = 0, batch: int | None = None) -> dict[float, float]:
    """The median denoise ratio ``r`` at each alpha, on the very inputs :func:`ratio_table` scores
    for ``seed`` (:func:`ratio_inputs`), computing only ``O(a_hat)``: the ``r`` column of the table
    for a quarter of its model calls, so that several models can be compared on the same inputs.

    ``batch``: ``O`` is fed that many images at a time, in order (train-mode BatchNorm normalises
    over each chunk, as in :func:`aelib.gates.heldout_error`), and the median is over all of ``a``.
    A train-mode call leaves the running statistics untouched. Returns ``{alpha: r}``."""
    batch = batch or len(a)
    out = {}
    with _stats_kept(O):
        for alpha in alphas:
            a_hat = ratio_inputs(a, alpha, seed)
            o = torch.cat([O(a_hat[i:i + batch]) for i in range(0, len(a_hat), batch)])
            out[alpha] = float((_norm(o - a) / _norm(a_hat - a).clamp_min(1e-12)).median())
    return out


def ratio_table(O, a: torch.Tensor, alphas, seed: int = 0, eval_mode: bool = False):
    """:func:`ratios` at each alpha, for the essay's corruption and for its zero-mean Gaussian
    control (columns ``r_control``, ``k_control``), as a DataFrame indexed by alpha. The same
    noise draw (seeded by ``seed`` and the alpha's position) is used for both.

    ``eval_mode=True`` (for a ``torch.nn.Module`` with BatchNorm) adds the same numbers with the
    model in eval mode (running statistics) as columns ``r_eval``, ``k_eval``, ``recon_eval``,
    ``r_control_eval``; the model's mode is restored afterwards."""
    import pandas as pd

    rows = []
    for alpha in alphas:
        g1, g2 = _ratio_stream(seed, alpha, a.device), _ratio_stream(seed, alpha, a.device)
        with _stats_kept(O):  # a train-mode call must not move the running statistics
            row = ratios(O, a, alpha, g1)
            ctl = ratios(O, a, alpha, g2, control=True)
        row = row | {"r_control": ctl["r"], "k_control": ctl["k"]}
        if eval_mode:
            with in_mode(O, False):
                g1, g2 = _ratio_stream(seed, alpha, a.device), _ratio_stream(seed, alpha, a.device)
                ev = ratios(O, a, alpha, g1)
                evc = ratios(O, a, alpha, g2, control=True)
            row |= {"r_eval": ev["r"], "k_eval": ev["k"], "recon_eval": ev["recon"], "r_control_eval": evc["r"]}
        rows.append(row)
    return pd.DataFrame(rows).set_index("alpha")


def representation_error(a_g: torch.Tensor, a: torch.Tensor) -> float:
    """Median ``e = |a_g - a| / |a|`` over the batch."""
    return float((_norm(a_g - a) / _norm(a)).median())


def affine_fit(a_g: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """``a_g`` after the per-image, per-channel gain and offset that bring it closest to ``a``
    (least squares): what remains is what a model blind to such an offset and gain could see."""
    x = a_g.flatten(2)
    y = a.flatten(2)
    xm, ym = x.mean(-1, keepdim=True), y.mean(-1, keepdim=True)
    xc, yc = x - xm, y - ym
    gain = (xc * yc).sum(-1, keepdim=True) / (xc * xc).sum(-1, keepdim=True).clamp_min(1e-12)
    return (gain * xc + ym).view_as(a)


def representation_error_affine(a_g: torch.Tensor, a: torch.Tensor) -> float:
    """Median ``|fit(a_g) - a| / |a|`` with :func:`affine_fit`: the representation error that a
    per-channel offset and gain (which train-mode BatchNorm removes) cannot account for."""
    return representation_error(affine_fit(a_g, a), a)


# ------------------------------------------------------------------------------------------
# sliced Wasserstein on Laplacian-pyramid patches


def _blur_down(x: torch.Tensor) -> torch.Tensor:
    k1 = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], dtype=x.dtype, device=x.device) / 16
    k = (k1[:, None] * k1[None, :]).expand(x.shape[1], 1, 5, 5)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), k, groups=x.shape[1])[:, :, ::2, ::2]


def laplacian_pyramid(x: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """Band-pass levels (finest first) and the low-pass residual last."""
    out, cur = [], x
    for _ in range(levels - 1):
        down = _blur_down(cur)
        up = F.interpolate(down, size=cur.shape[-2:], mode="bilinear", align_corners=False)
        out.append(cur - up)
        cur = down
    out.append(cur)
    return out


def _patches(level: torch.Tensor, n: int, size: int, generator: torch.Generator) -> torch.Tensor:
    b, c, h, w = level.shape
    size = min(size, h, w)
    i = torch.randint(0, b, (n,), generator=generator)
    y = torch.randint(0, h - size + 1, (n,), generator=generator)
    x = torch.randint(0, w - size + 1, (n,), generator=generator)
    ar = torch.arange(size)
    rows = (y[:, None] + ar[None, :])[:, :, None].expand(n, size, size)
    cols = (x[:, None] + ar[None, :])[:, None, :].expand(n, size, size)
    p = level[i[:, None, None], :, rows, cols]          # (n, size, size, c)
    return p.reshape(n, -1)


def pyramid_levels(side: int) -> int:
    """The pyramid levels used for images of this side when none are given: one per halving down
    to 8 pixels, at most 3 (32x32: 32, 16, 8; 16x16: 16, 8)."""
    return max(1, min(3, (side // 8).bit_length()))


def standardised_patch_sets(x: torch.Tensor, y: torch.Tensor, cfg: SWConfig):
    """Per pyramid level (finest first), the pair of patch sets of ``x`` and ``y`` (float64) that
    sliced Wasserstein compares: drawn with one generator seeded by ``cfg.seed``, both standardised
    per coordinate with the statistics of ``y`` (the reference), so colour shifts still count."""
    g = torch.Generator().manual_seed(cfg.seed)
    levels = cfg.levels or pyramid_levels(x.shape[-1])
    px, py = laplacian_pyramid(x.float().cpu(), levels), laplacian_pyramid(y.float().cpu(), levels)
    for lx, ly in zip(px, py):
        a, b = _patches(lx, cfg.n_patches, cfg.patch, g), _patches(ly, cfg.n_patches, cfg.patch, g)
        mu, sd = b.mean(0, keepdim=True), b.std(0, keepdim=True).clamp_min(1e-6)
        yield ((a - mu) / sd).double(), ((b - mu) / sd).double()


@torch.no_grad()
def sliced_wasserstein(x: torch.Tensor, y: torch.Tensor, cfg: SWConfig = SWConfig()) -> list[float]:
    """Per pyramid level (finest first), the sliced Wasserstein distance between patch sets of
    ``x`` and ``y`` (image batches in [0,1]), standardised as :func:`standardised_patch_sets` says."""
    import ot

    return [float(ot.sliced_wasserstein_distance(a, b, n_projections=cfg.n_projections, seed=cfg.seed))
            for a, b in standardised_patch_sets(x, y, cfg)]


def sw_distance(x: torch.Tensor, y: torch.Tensor, cfg: SWConfig = SWConfig()) -> float:
    """The mean over pyramid levels of :func:`sliced_wasserstein` (one number per pair of sets)."""
    levels = sliced_wasserstein(x, y, cfg)
    return sum(levels) / len(levels)


# ------------------------------------------------------------------------------------------
# copying, diversity and texture of generated images


@torch.no_grad()
def spread(x: torch.Tensor) -> float:
    """The median L2 distance over pixels between two different images of ``x`` (all pairs):
    near 0 for a generator that always outputs the same image, whatever that image is. Compare
    it with the spread of real images."""
    if x.dim() < 2 or len(x) < 2:
        raise ValueError(f"spread needs at least two images, got shape {tuple(x.shape)}")
    f = x.detach().float().cpu().flatten(1).double()
    d = torch.cdist(f, f)
    i, j = torch.triu_indices(len(f), len(f), offset=1)
    return float(d[i, j].median())


@torch.no_grad()
def high_frequency(x: torch.Tensor, share: bool = True) -> torch.Tensor:
    """Per image (B,), the energy of the finest band ``L_0`` of its Laplacian pyramid
    (:func:`laplacian_pyramid`, the same bands as the sliced Wasserstein distance: the image minus
    its blurred, down- and up-sampled copy), over channels and pixels. A constant image gives 0.

    ``share=True``: the share of the image's variance in that band, ``sum(L_0^2) / sum((x - mean x)^2)``
    (computed on the CPU); fine texture and sharp edges raise it, smooth, painted-looking areas lower
    it, and it does not change with contrast. ``share=False``: the mean square of ``L_0`` (on the
    device of ``x``), pixel-scale detail and noise in units of squared pixel value."""
    if x.dim() != 4:
        raise ValueError(f"x must be an image batch (B, C, H, W), got shape {tuple(x.shape)}")
    x = x.detach().float()
    if not share:
        return laplacian_pyramid(x, 2)[0].pow(2).flatten(1).mean(dim=1)
    x = x.cpu()
    fine = laplacian_pyramid(x, 2)[0]
    total = (x - x.mean(dim=(1, 2, 3), keepdim=True)).pow(2).sum(dim=(1, 2, 3))
    return fine.pow(2).sum(dim=(1, 2, 3)) / total.clamp_min(1e-12)


def separation(values_a, values_b) -> dict[str, float]:
    """How well one per-image statistic tells two sets apart: the AUC, the probability that a
    value drawn from ``values_a`` exceeds one drawn from ``values_b`` (ties count half; 0.5 means
    no separation, 0 or 1 complete separation), from the Mann-Whitney U statistic
    (``scipy.stats.mannwhitneyu``), with its two-sided p-value and the two medians."""
    from scipy.stats import mannwhitneyu

    a = torch.as_tensor(values_a, dtype=torch.float64).flatten()
    b = torch.as_tensor(values_b, dtype=torch.float64).flatten()
    if len(a) == 0 or len(b) == 0:
        raise ValueError("separation needs at least one value in each set")
    res = mannwhitneyu(a.numpy(), b.numpy(), alternative="two-sided")
    return {"auc": float(res.statistic) / (len(a) * len(b)), "p_value": float(res.pvalue),
            "median_a": float(a.median()), "median_b": float(b.median())}


def sliced_wasserstein_repeated(x: torch.Tensor, y: torch.Tensor, cfg: SWConfig = SWConfig(),
                                repeats: int = 3) -> tuple[list[float], list[float]]:
    """:func:`sliced_wasserstein` with ``repeats`` seeds (``cfg.seed``, then the stream ``"SW repeat"`` of it: other
    patch draws and projections): per pyramid level (finest first) the mean over seeds and the
    standard deviation (0 for a single seed), the distance's own measurement noise."""
    import dataclasses

    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    runs = torch.tensor([sliced_wasserstein(x, y, dataclasses.replace(cfg, seed=stream_seed("SW repeat", cfg.seed, k)
                                                                      if k else cfg.seed))
                         for k in range(repeats)], dtype=torch.float64)
    sd = runs.std(dim=0) if repeats > 1 else torch.zeros(runs.shape[1], dtype=torch.float64)
    return runs.mean(dim=0).tolist(), sd.tolist()
