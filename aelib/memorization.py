"""Copying, memorizing, generalizing: the protocols of chapter 08.

Words (chapter 08 states them once): a model *copies* when ``O(a) = a`` for any input (the
identity); it *memorizes* when its outputs are its training images whatever the input (Zhang et
al. 2020 call the constant map memorization; the essay uses the word for the identity); it
*generalizes* when it produces new images that belong to neither.

- :func:`correlation`, :func:`nearest_by_correlation`: similarity of images as the Pearson
  correlation of their pixels (the cosine of the mean-removed vectors, as in Kadkhodaie et al.
  2024: plain cosine of [0, 1] images is close to 1 for any two images).
- :func:`single_example` (claim X1): trained on one image, is ``O`` the constant map (outputs
  the training image), the identity (outputs its input) or neither?
- :func:`disjoint_halves`, :func:`ladder_subsets` and :func:`two_denoiser` (claim X2): two
  identical models trained on disjoint subsets of ``N`` images (disjoint by source photo where
  the data say which photo an image came from), sampled from the same noise with the chapter-05
  sampler, over a ladder of ``N``.

Used by chapter 08.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from . import cache, data
from .batchnorm import batch_statistics
from .models import ModelConfig
from .sampler import SamplerConfig, sample
from .training import TrainConfig

# the regimes of the single-example test (X1): a median correlation at or above this, and above
# the other one, names the regime; fixed in chapter 08 before its first run
REGIME_CORR = 0.9


def _centred(x: torch.Tensor) -> torch.Tensor:
    v = x.flatten(1).double()
    v = v - v.mean(dim=1, keepdim=True)
    return v / v.norm(dim=1, keepdim=True).clamp_min(1e-12)


def correlation(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(B,): the Pearson correlation of the pixels of ``x[i]`` and ``y[i]`` (a constant image
    correlates 0 with anything)."""
    if x.shape != y.shape:
        raise ValueError(f"shapes differ: {tuple(x.shape)} vs {tuple(y.shape)}")
    return (_centred(x) * _centred(y)).sum(dim=1).float()


def nearest_by_correlation(x: torch.Tensor, pool: torch.Tensor, chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """For each image of ``x``, the largest correlation with an image of ``pool`` (floats in
    [0, 1] or uint8) and that image's index: ``(values (B,), indices (B,))``."""
    xc = _centred(x.float())
    best_v = torch.full((len(x),), -2.0, dtype=torch.float64)
    best_i = torch.zeros(len(x), dtype=torch.long)
    for s in range(0, len(pool), chunk):
        c = xc @ _centred(pool[s:s + chunk].float()).T
        v, i = c.max(dim=1)
        better = v > best_v
        best_v[better], best_i[better] = v[better], i[better] + s
    return best_v.float(), best_i


# ------------------------------------------------------------------------------------------
# X1: the single-example test


def tile(images: torch.Tensor, at_least: int) -> torch.Tensor:
    """``images`` repeated whole until there are at least ``at_least`` of them (so that a subset
    smaller than one batch can be trained on: every batch then holds each image about equally often)."""
    reps = -(-at_least // len(images))
    return images.repeat(reps, *([1] * (images.dim() - 1)))


def train_on(name: str, model_cfg: ModelConfig, images: torch.Tensor, train_cfg: TrainConfig, source: str,
             device: str = "cpu") -> cache.Trained:
    """A model trained (or loaded from the shared cache) on exactly ``images`` (uint8 NCHW); fewer
    images than a batch are tiled to one batch (:func:`tile`)."""
    x = tile(images, train_cfg.batch_size) if len(images) < train_cfg.batch_size else images
    return cache.trained(name, model_cfg, data.from_tensor(x, f"{source}:n={len(images)}"), train_cfg, device=device)


@dataclass
class SingleExample:
    corr_to_train: float     # median over probes of corr(O(x), a_train)
    corr_to_input: float     # median over probes of corr(O(x), x)
    regime: str              # 'constant', 'identity' or 'neither'
    outputs: torch.Tensor    # O(x) for the probes (CPU)


def regime(corr_to_train: float, corr_to_input: float, level: float = REGIME_CORR) -> str:
    """'constant' (memorized the one image), 'identity' (copies any input) or 'neither'."""
    if corr_to_train >= level and corr_to_train > corr_to_input:
        return "constant"
    if corr_to_input >= level and corr_to_input > corr_to_train:
        return "identity"
    return "neither"


@torch.no_grad()
def single_example(O, a_train: torch.Tensor, probes: torch.Tensor) -> SingleExample:
    """Claim X1: ``O`` (trained on the single image ``a_train``, (C, H, W) in [0, 1]) applied to
    held-out ``probes`` in one batch (train-mode BatchNorm uses the probes' statistics, as
    everywhere in the book; the running statistics are left alone). Pass
    :class:`aelib.batchnorm.RunningStatistics` of the model for the eval-mode control."""
    if isinstance(O, torch.nn.Module):
        with batch_statistics(O):
            out = O(probes)
    else:
        out = O(probes)
    to_train = correlation(out, a_train.expand_as(out)).median().item()
    to_input = correlation(out, probes).median().item()
    return SingleExample(to_train, to_input, regime(to_train, to_input), out.cpu())


# ------------------------------------------------------------------------------------------
# X2: two denoisers on disjoint data


def disjoint_halves(groups: list[str], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Split image indices into two halves with no group in both (a photo's crops stay together;
    with one group per image this is a plain random halving). Groups are dealt alternately, largest
    first, so the halves hold about as many images; within a half the order is a seeded shuffle,
    so that its first ``N`` images span many groups."""
    if len(groups) < 2:
        raise ValueError(f"need at least two images to split, got {len(groups)}")
    rng = np.random.default_rng(seed)
    by_group: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        by_group.setdefault(g, []).append(i)
    names = sorted(by_group)
    names = [names[i] for i in rng.permutation(len(names))]
    if len(names) < 2:
        raise ValueError("all images come from one group: no split disjoint by group exists")
    names.sort(key=lambda g: -len(by_group[g]))  # stable: ties keep the shuffled order
    halves: tuple[list[int], list[int]] = ([], [])
    for g in names:
        smaller = 0 if len(halves[0]) <= len(halves[1]) else 1
        halves[smaller].extend(by_group[g])
    out = []
    for h in halves:
        h = np.asarray(h)
        out.append(torch.from_numpy(h[rng.permutation(len(h))]))
    return out[0], out[1]


def ladder_subsets(half_a: torch.Tensor, half_b: torch.Tensor, ladder) -> dict[int, tuple[torch.Tensor, torch.Tensor]]:
    """``N -> (first N of half A, first N of half B)``: nested subsets; rungs larger than the smaller
    half are cut to it (and repeated rungs dropped)."""
    cap = min(len(half_a), len(half_b))
    out = {}
    for n in ladder:
        n = min(int(n), cap)
        if n < 1:
            raise ValueError(f"ladder sizes must be positive, got {n}")
        out[n] = (half_a[:n], half_b[:n])
    return out


@dataclass
class Rung:
    """One N of the two-denoiser test."""

    n: int
    cross: torch.Tensor          # (S,): corr(sample of A, sample of B) from the same noise
    memo_a: torch.Tensor         # (S,): corr of A's sample with its nearest image of subset A
    memo_b: torch.Tensor         # (S,): the same for B
    other_a: torch.Tensor        # (S,): corr of A's sample with its nearest image of subset B (control)
    samples_a: torch.Tensor      # (S, C, H, W)
    samples_b: torch.Tensor
    nearest_a: torch.Tensor      # (S, C, H, W): each sample's nearest training image, own subset
    nearest_b: torch.Tensor
    losses: tuple[float, float]  # final training loss (mean of the last 25 steps) of A and B
    index_a: torch.Tensor        # (N,): the images of subset A (indices into the images given)
    index_b: torch.Tensor
    model_a: torch.nn.Module     # the two trained models (train mode), for later probes (chapter 08, X4)
    model_b: torch.nn.Module

    @property
    def cross_median(self) -> float:
        return float(self.cross.median())

    @property
    def memo_median(self) -> float:
        return float(torch.cat([self.memo_a, self.memo_b]).median())


@dataclass
class Ladder:
    source: str
    rungs: list[Rung] = field(default_factory=list)

    def table(self):
        import pandas as pd

        return pd.DataFrame([{"N": r.n, "corr(A, B) same noise": r.cross_median,
                              "corr(sample, nearest own training image)": r.memo_median,
                              "corr(A sample, nearest image of B's set)": float(r.other_a.median()),
                              "final loss A": r.losses[0], "final loss B": r.losses[1]}
                             for r in self.rungs]).set_index("N")

    def transition(self) -> int | None:
        """The smallest N at which the two models' samples agree with each other at least as well
        as each sample agrees with its nearest training image; None: not reached on this ladder."""
        for r in self.rungs:
            if r.cross_median >= r.memo_median:
                return r.n
        return None


def two_denoiser(images: torch.Tensor, groups: list[str], ladder, model_cfg: ModelConfig, train_cfg: TrainConfig,
                 sampler_cfg: SamplerConfig, *, name: str, seed: int = 0, device: str = "cpu") -> Ladder:
    """Claim X2 (Kadkhodaie et al. 2024's protocol with the essay's sampler). ``images``: uint8
    (M, C, H, W) with the group of each in ``groups``. For each ``N`` of ``ladder``, trains the
    model of ``model_cfg`` on the first ``N`` images of each half (identically: same
    configuration, seed and steps), samples both with the same seeded noise and compares."""
    half_a, half_b = disjoint_halves(groups, seed)
    subsets = ladder_subsets(half_a, half_b, ladder)
    shape = tuple(images.shape[1:])
    out = Ladder(source=name)
    for n, (ia, ib) in subsets.items():
        pair, samples = [], []
        for tag, idx in (("A", ia), ("B", ib)):
            t = train_on(f"{name}_{tag}{n}", model_cfg, images[idx], train_cfg, f"{name}{tag}", device)
            pair.append(t)
            g = torch.Generator(device=device).manual_seed(seed * 7_919 + 17)  # the same noise for A and B
            samples.append(sample(t.model, shape, sampler_cfg, g, device).final.clamp(0, 1))
        pool_a = data.ImageSet.to_float(images[ia])
        pool_b = data.ImageSet.to_float(images[ib])
        memo_a, near_a = nearest_by_correlation(samples[0], pool_a)
        memo_b, near_b = nearest_by_correlation(samples[1], pool_b)
        other_a, _ = nearest_by_correlation(samples[0], pool_b)
        out.rungs.append(Rung(n=n, cross=correlation(samples[0], samples[1]), memo_a=memo_a, memo_b=memo_b,
                              other_a=other_a, samples_a=samples[0], samples_b=samples[1],
                              nearest_a=pool_a[near_a], nearest_b=pool_b[near_b],
                              losses=tuple(float(np.mean(t.losses[-25:])) for t in pair),
                              index_a=ia, index_b=ib, model_a=pair[0].model, model_b=pair[1].model))
    return out
