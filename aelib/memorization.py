"""Copying, memorizing, generalizing: the protocols that tell them apart.

Words: a model *copies* when ``O(a) = a`` for any input (the
identity); it *memorizes* when its outputs are its training images whatever the input (Zhang et
al. 2020 call the constant map memorization; the essay uses the word for the identity); it
*generalizes* when it produces new images that belong to neither.

- similarity of images is the Pearson correlation of their pixels (:func:`aelib.nearest.correlation`,
  :func:`aelib.nearest.nearest` with ``by="correlation"``).
- :func:`single_example` (claim X1): trained on one image, is ``O`` the constant map (outputs
  the training image), the identity (outputs its input) or neither?
- :func:`disjoint_halves`, :func:`ladder_subsets` and :func:`two_denoiser` (claim X2): two
  identical models trained on disjoint subsets of ``N`` images (disjoint by source photo where
  the data say which photo an image came from), sampled from the same noise with the essay's
  sampler, over a ladder of ``N``. :func:`memorization_gap` scores a sample against its own
  model's training set *minus* against the other half's set of the same size, so that the size
  of the pool (a large pool holds a close match for anything) cancels.
- :func:`compact_batch` and :func:`train_rule_on`: a set of fewer images than a batch is trained
  on as one batch of exactly those images, which gives the same gradients as a batch of
  ``batch_size`` holding each of them equally often, at a fraction of the cost; every model is
  trained along the stopping rule of :mod:`aelib.gates`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from . import cache, data, gates
from .batchnorm import batch_statistics
from .models import ModelConfig
from .nearest import correlation, nearest
from .sampler import SamplerConfig, sample
from .seeding import stream
from .training import TrainConfig

# the regimes of the single-example test (X1): a median correlation at or above this, and above
# the other one, names the regime; fixed before the first run
REGIME_CORR = 0.9


# ------------------------------------------------------------------------------------------
# X1: the single-example test


def tile(images: torch.Tensor, at_least: int) -> torch.Tensor:
    """``images`` repeated whole until there are at least ``at_least`` of them (so that a subset
    smaller than one batch can be trained on: every batch then holds each image about equally often)."""
    reps = -(-at_least // len(images))
    return images.repeat(reps, *([1] * (images.dim() - 1)))


def compact_batch(n: int, batch_size: int) -> int:
    """The batch that trains ``n`` images exactly as a batch of ``batch_size`` holding each of them
    ``batch_size / n`` times would: the mean loss and every BatchNorm statistic of such a batch are
    those of the ``n`` images once (of two copies when ``n = 1``, since a one-image batch has no
    feature variance to normalise by). Returns ``batch_size`` when no such batch exists (``n`` does
    not divide it, or ``n >= batch_size``)."""
    if n < 1 or batch_size < 1:
        raise ValueError(f"need positive sizes, got n={n}, batch_size={batch_size}")
    if n >= batch_size or batch_size % n:
        return batch_size
    return max(2, n)


def train_on(name: str, model_cfg: ModelConfig, images: torch.Tensor, train_cfg: TrainConfig, source: str,
             device: str = "cpu", compact: bool = False) -> cache.Trained:
    """A model trained (or loaded from the shared cache) on exactly ``images`` (uint8 NCHW); fewer
    images than a batch are tiled to one batch (:func:`tile`). ``compact=True`` trains a set smaller
    than a batch with the equivalent smaller batch of :func:`compact_batch` (same gradients, less work)."""
    if compact:
        b = compact_batch(len(images), train_cfg.batch_size)
        train_cfg = dataclasses.replace(train_cfg, batch_size=b)
    x = tile(images, train_cfg.batch_size) if len(images) < train_cfg.batch_size else images
    return cache.trained(name, model_cfg, data.from_tensor(x, f"{source}:n={len(images)}"), train_cfg, device=device)


@torch.no_grad()
def heldout_error(model: torch.nn.Module, a: torch.Tensor) -> float:
    """Median ``|O(a) - a| / |a|`` with train-mode BatchNorm on the batch ``a``; unlike a bare call
    in train mode, the model's running statistics are left untouched (the eval-mode controls read them)."""
    with batch_statistics(model):
        out = model(a).float()
    return float(((out - a).flatten(1).norm(dim=1) / a.flatten(1).norm(dim=1).clamp_min(1e-12)).median())


def train_rule_on(name: str, model_cfg: ModelConfig, images: torch.Tensor, train_cfg: TrainConfig, source: str, *,
                  cap: int, error_of: Callable[[torch.nn.Module], float], subject: str, seed: int,
                  device: str = "cpu", compact: bool = True) -> gates.RuleRun:
    """:func:`train_on` along the stopping rule's doubling schedule up to ``cap`` steps
    (:func:`aelib.gates.train_to_rule`: cached shorter runs are resumed), recording ``error_of(model)``
    at each point; ``run.gate()`` is the 'trained to rule' check."""
    cfg = dataclasses.replace(train_cfg, seed=seed)
    return gates.train_to_rule(lambda s: train_on(name, model_cfg, images, dataclasses.replace(cfg, steps=s), source,
                                                  device, compact),
                               error_of, cap, subject=subject, seed=seed)


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


def memorization_gap(samples: torch.Tensor, own: torch.Tensor, other: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Per sample: ``(gap, c_own, c_other, nearest_own_index)`` with ``c_own`` the correlation with
    the nearest image of the model's own training set, ``c_other`` that with the nearest image of
    the other half's set, and ``gap = c_own - c_other``. Both sets should hold as many images: then a
    sample that is new (from neither set) has a gap near 0 whatever the pool size, and a copy of a
    training image has a large one."""
    c_own, i_own = nearest(samples, own, by="correlation")
    c_other, _ = nearest(samples, other, by="correlation")
    return c_own - c_other, c_own, c_other, i_own


@dataclass
class Rung:
    """One N of the two-denoiser test."""

    n: int
    cross: torch.Tensor          # (S,): corr(sample i of A, sample i of B), both from the same noise i
    cross_shifted: torch.Tensor  # (S,): corr(sample i of A, sample i+1 of B): different noise (control)
    memo_a: torch.Tensor         # (S,): corr of A's sample with its nearest image of subset A (own)
    memo_b: torch.Tensor         # (S,): the same for B
    other_a: torch.Tensor        # (S,): corr of A's sample with its nearest image of subset B (the other half)
    other_b: torch.Tensor        # (S,): corr of B's sample with its nearest image of subset A
    samples_a: torch.Tensor      # (S, C, H, W)
    samples_b: torch.Tensor
    nearest_a: torch.Tensor      # (S, C, H, W): each sample's nearest training image, own subset
    nearest_b: torch.Tensor
    losses: tuple[float, float]  # final training loss (mean of the last 25 steps) of A and B
    index_a: torch.Tensor        # (N,): the images of subset A (indices into the images given)
    index_b: torch.Tensor
    model_a: torch.nn.Module     # the two trained models (train mode), for later probes (X4)
    model_b: torch.nn.Module
    runs: tuple = ()             # the two gates.RuleRun when trained along the stopping rule
    half_a: torch.Tensor | None = None  # the whole halves the subsets are drawn from
    half_b: torch.Tensor | None = None

    def heldout(self, tag: str, n: int = 64) -> torch.Tensor:
        """Indices of images model ``tag`` ('A' or 'B') never saw: the first ``n`` of the other half
        (disjoint by photo), where its held-out error is measured."""
        return (self.half_b if tag == "A" else self.half_a)[:n]

    @property
    def cross_median(self) -> float:
        return float(self.cross.median())

    @property
    def cross_shifted_median(self) -> float:
        return float(self.cross_shifted.median())

    @property
    def memo_median(self) -> float:
        return float(torch.cat([self.memo_a, self.memo_b]).median())

    @property
    def other_median(self) -> float:
        return float(torch.cat([self.other_a, self.other_b]).median())

    @property
    def gap(self) -> torch.Tensor:
        """(2S,): the memorization gap of every sample of A and of B (:func:`memorization_gap`)."""
        return torch.cat([self.memo_a - self.other_a, self.memo_b - self.other_b])

    @property
    def gap_median(self) -> float:
        return float(self.gap.median())


@dataclass
class Ladder:
    source: str
    rungs: list[Rung] = field(default_factory=list)

    def table(self):
        import pandas as pd

        return pd.DataFrame([{"N": r.n, "c_AB same noise": r.cross_median,
                              "c_AB different noise": r.cross_shifted_median,
                              "c_own (nearest own image)": r.memo_median,
                              "c_other (nearest image of the other half)": r.other_median,
                              "gap = c_own - c_other": r.gap_median,
                              "final loss A": r.losses[0], "final loss B": r.losses[1]}
                             for r in self.rungs]).set_index("N")


def two_denoiser(images: torch.Tensor, groups: list[str], ladder, model_cfg: ModelConfig, train_cfg: TrainConfig,
                 sampler_cfg: SamplerConfig, *, name: str, seed: int = 0, device: str = "cpu",
                 rule: bool = False, n_heldout: int = 64, compact: bool = False) -> Ladder:
    """Claim X2 (Kadkhodaie et al. 2024's protocol with the essay's sampler). ``images``: uint8
    (M, C, H, W) with the group of each in ``groups``. ``seed`` draws the halves, initialises and
    orders the training of every model, and draws the sampler's noise. For each ``N`` of
    ``ladder``, trains the model of ``model_cfg`` on the first ``N`` images of each half
    (identically: same configuration, seed and steps), samples both with the same seeded noise and
    compares. With ``rule=True`` every model is trained along the stopping rule up to
    ``train_cfg.steps`` (:func:`train_rule_on`; the runs are kept in ``Rung.runs``), its held-out
    error measured on the first ``n_heldout`` images of the *other* half, which come from photos
    the model never saw (:meth:`Rung.heldout`)."""
    half_a, half_b = disjoint_halves(groups, seed)
    subsets = ladder_subsets(half_a, half_b, ladder)
    shape = tuple(images.shape[1:])
    out = Ladder(source=name)
    cfg = dataclasses.replace(train_cfg, seed=seed)
    held = {"A": data.ImageSet.to_float(images[half_b[:n_heldout]]).to(device),
            "B": data.ImageSet.to_float(images[half_a[:n_heldout]]).to(device)}
    for n, (ia, ib) in subsets.items():
        pair, runs, samples = [], [], []
        for tag, idx in (("A", ia), ("B", ib)):
            if not rule:
                t = train_on(f"{name}_{tag}{n}", model_cfg, images[idx], cfg, f"{name}{tag}", device, compact)
            else:
                run = train_rule_on(f"{name}_{tag}{n}", model_cfg, images[idx], cfg, f"{name}{tag}",
                                    cap=cfg.steps, error_of=lambda m, h=held[tag]: heldout_error(m, h),
                                    subject=f"{name} {tag}, N={n} (seed {seed})",
                                    seed=seed, device=device, compact=compact)
                runs.append(run)
                t = run.trained
            pair.append(t)
            g = stream("ladder chains", seed, device=device)  # the same noise for A and B
            samples.append(sample(t.model, shape, sampler_cfg, g, device).final.clamp(0, 1))
        pool_a = data.ImageSet.to_float(images[ia])
        pool_b = data.ImageSet.to_float(images[ib])
        _, memo_a, other_a, near_a = memorization_gap(samples[0], pool_a, pool_b)
        _, memo_b, other_b, near_b = memorization_gap(samples[1], pool_b, pool_a)
        out.rungs.append(Rung(n=n, cross=correlation(samples[0], samples[1]),
                              cross_shifted=correlation(samples[0], samples[1].roll(1, dims=0)),
                              memo_a=memo_a, memo_b=memo_b, other_a=other_a, other_b=other_b,
                              samples_a=samples[0], samples_b=samples[1],
                              nearest_a=pool_a[near_a], nearest_b=pool_b[near_b],
                              losses=tuple(float(np.mean(t.losses[-25:])) for t in pair),
                              index_a=ia, index_b=ib, model_a=pair[0].model, model_b=pair[1].model,
                              runs=tuple(runs), half_a=half_a, half_b=half_b))
    return out
