"""Diffusion with no diffusion: iterated denoise-and-renoise sampling from pure noise.

An autoencoder ``O = D(E(a))`` that was only trained to copy is turned into a sampler by
alternating its output with fresh noise, the noise's share shrinking on a schedule:

    a_0 ~ N(mu, sigma^2)                                   (elementwise, image shaped)
    a_{n+1} = c_n * O(a_n) + d_n * eps_n,   eps_n ~ N(mu, sigma^2)   for n = 0 .. N-1
    sample  = O(a_N)

with the essay's linear schedule ``c_n = n / N``, ``d_n = 1 - n / N`` (:class:`LinearSchedule`)
and the essay's noise ``mu = 0.7``, ``sigma = 0.2``. At ``n = 0`` the model's output is
multiplied by zero, so ``a_1`` is pure noise again; at the last step 1/N of fresh noise is
left, and the returned sample is the model's output on that last mixture. Each image costs
``N + 1`` network evaluations (:attr:`Samples.evaluations`), one per ``O(a_n)``.

A schedule is any callable ``(n, N) -> (c_n, d_n)``.
The sampler refuses any ``c_n`` or ``d_n`` outside [0, 1]. The author's later scripts used
``c = n / 20`` over 30 or 60 steps, so that ``c`` passed 1 and ``d`` became negative (the output
amplified and noise *subtracted*) after step 20; the essay's text describes only the linear
schedule above, and that is what this module implements.

The model runs under ``torch.no_grad`` in *train* mode, so its batch norms normalise with the
statistics of the batch being sampled, as the essay insists; the running statistics that train
mode would update are set aside and the model's mode restored by the same context manager that
the manifold walk uses (:func:`aelib.batchnorm.batch_statistics`). Because batch
statistics couple the images of one batch, samples are drawn in fixed batches of
``batch_size`` chains.

The end of the module holds helpers around the sampler: a faster, numerically identical sliced
Wasserstein distance, the step cap of a model trained to a compute budget, the folded AUC of C16,
the difference of two folded AUCs against one reference (C31) and the three ordering conditions of C17.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch

from .batchnorm import batch_statistics
from .corruption import MU, SIGMA, noise_like

Schedule = Callable[[int, int], tuple[float, float]]


@dataclass(frozen=True)
class LinearSchedule:
    """The essay's schedule: ``c_n = n / N``, ``d_n = 1 - n / N``."""

    def __call__(self, n: int, N: int) -> tuple[float, float]:  # noqa: N803 (the essay's N)
        return n / N, 1.0 - n / N


@dataclass(frozen=True)
class SamplerConfig:
    # the sizes have no default here: the book's are the profile's (``diff``, ``bn``, ``mem``)
    steps: int                 # N: renoise steps (the essay: 30 in its figure, 200 in its video)
    n_samples: int             # images drawn; each is an independent chain with its own noise
    batch_size: int            # chains sharing batch-norm statistics (the training batch size)
    frame_every: int | None = None  # record O(a_n) at n = 0, k, 2k, ... and always the final O(a_N);
                               # None: the start and the final only
    mu: float = MU             # mean of the start and of the fresh noise (the essay's code: 0.7)
    sigma: float = SIGMA       # its standard deviation (the essay's code: 0.2)
    schedule: Schedule = field(default_factory=LinearSchedule)  # (n, N) -> (c_n, d_n)

    def __post_init__(self):
        for name in ("steps", "n_samples", "batch_size", "frame_every"):
            v = getattr(self, name)
            if v is None and name == "frame_every":
                continue
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"SamplerConfig.{name} must be a positive integer, got {v!r}")
        if not self.sigma >= 0:
            raise ValueError(f"SamplerConfig.sigma must be >= 0, got {self.sigma!r}")
        if not callable(self.schedule):
            raise ValueError(f"SamplerConfig.schedule must be callable (n, N) -> (c, d), got {self.schedule!r}")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["schedule"] = repr(self.schedule)
        return d


@dataclass
class Samples:
    """The record of one sampling run of ``B`` chains (tensors on the CPU)."""

    final: torch.Tensor        # (B, C, H, W): O(a_N), the samples
    start: torch.Tensor        # (B, C, H, W): a_0, the pure noise each chain started from
    frames: torch.Tensor       # (F, B, C, H, W): O(a_n) at the recorded steps; frames[-1] is final
    frame_steps: list[int]     # n of each frame (0, k, 2k, ..., N)
    coefficients: list[tuple[float, float]]  # (c_n, d_n) for n = 0 .. N-1
    evaluations: int           # network evaluations O(.) per image: N + 1
    cfg: SamplerConfig


def schedule_table(schedule: Schedule, N: int) -> list[tuple[float, float]]:  # noqa: N803
    """``[(c_n, d_n) for n in 0 .. N-1]``, checked: every value finite and within [0, 1]."""
    out = []
    for n in range(N):
        c, d = schedule(n, N)
        c, d = float(c), float(d)
        if not (0.0 <= c <= 1.0 and 0.0 <= d <= 1.0):
            raise ValueError(f"schedule gives c_{n} = {c:g}, d_{n} = {d:g} for N = {N}; both must lie in "
                             "[0, 1] (a signal weight above 1 or negative noise weight is not the essay's sampler)")
        out.append((c, d))
    return out


@torch.no_grad()
def sample(model, shape: tuple[int, int, int], cfg: SamplerConfig,
           generator: torch.Generator | None = None, device: str | torch.device = "cpu") -> Samples:
    """Draw ``cfg.n_samples`` images of ``shape`` (C, H, W) from ``model`` (anything callable as
    ``O(a)``, usually an :class:`aelib.models.Autoencoder`) with the denoise-and-renoise sampler.

    Chains are run in batches of ``cfg.batch_size`` one after the other, all drawing from
    ``generator`` (on ``device``): a seeded generator makes the run reproducible.
    """
    if len(shape) != 3:
        raise ValueError(f"shape must be (C, H, W), got {tuple(shape)}")
    N = cfg.steps  # noqa: N806
    coef = schedule_table(cfg.schedule, N)
    keep = sorted(set(range(0, N + 1, cfg.frame_every or N)) | {N})
    sizes = [min(cfg.batch_size, cfg.n_samples - i) for i in range(0, cfg.n_samples, cfg.batch_size)]
    starts, finals, frames = [], [], []
    module = model if isinstance(model, torch.nn.Module) else torch.nn.Module()
    with batch_statistics(module):
        for b in sizes:
            template = torch.empty((b, *shape), device=device)
            a = noise_like(template, cfg.mu, cfg.sigma, generator)
            starts.append(a.cpu())
            fr = []
            for n in range(N + 1):
                o = model(a)
                if n in keep:
                    fr.append(o.cpu())
                if n == N:
                    break
                c, d = coef[n]
                a = c * o + d * noise_like(template, cfg.mu, cfg.sigma, generator)
            finals.append(o.cpu())
            frames.append(torch.stack(fr))
    return Samples(final=torch.cat(finals), start=torch.cat(starts), frames=torch.cat(frames, dim=1),
                   frame_steps=keep, coefficients=coef, evaluations=N + 1, cfg=cfg)


# ------------------------------------------------------------------------------------------
# measures around the sampler: a fast sliced Wasserstein, compute budgets, C16, C31, C17

#: C17 and C18 put every model on one training-compute budget: the FLOPs of the base U-Net at
#: ``steps // BUDGET_FRACTION`` optimiser steps (``steps`` is the profile's cap for the book's U-Net).
#: The base U-Net's full run then has ``BUDGET_FRACTION`` times that budget (C18's larger budget).
BUDGET_FRACTION = 4
#: The smallest step cap a model trained to a compute budget gets (the stopping rule needs a doubling).
MIN_CAP = 4


@torch.no_grad()
def sliced_wasserstein(x: torch.Tensor, y: torch.Tensor, cfg=None) -> list[float]:
    """The numbers of :func:`aelib.metrics.sliced_wasserstein` (same pyramid, same patches, same
    projections: POT's torch backend seeds the global generator with ``cfg.seed`` and draws
    Gaussian directions from it), several times faster: with equal patch counts and uniform
    weights the 1-D Wasserstein-2 distance along a direction is the mean squared difference of
    the two sorted projections, and the projections are sorted along contiguous memory. Unlike
    the POT route it leaves the global random generator alone."""
    from .metrics import SWConfig, standardised_patch_sets

    cfg = cfg or SWConfig()
    out = []
    for a, b in standardised_patch_sets(x, y, cfg):
        proj = torch.randn(a.shape[1], cfg.n_projections, dtype=torch.float64,
                           generator=torch.Generator().manual_seed(cfg.seed))
        proj = proj / proj.norm(dim=0, keepdim=True)
        pa = (proj.T @ a.T).sort(dim=1).values
        pb = (proj.T @ b.T).sort(dim=1).values
        out.append(float((pa - pb).pow(2).mean().sqrt()))
    return out


def budget_steps(budget_flops: float, step_flops: float, minimum: int = MIN_CAP) -> int:
    """Optimiser steps that spend ``budget_flops`` at ``step_flops`` per step (rounded, at least
    ``minimum``): the step cap of a model trained to a compute budget (C17)."""
    if not (budget_flops > 0 and step_flops > 0):
        raise ValueError(f"budget and step FLOPs must be positive, got {budget_flops!r} and {step_flops!r}")
    return max(int(minimum), int(round(budget_flops / step_flops)))


def folded_auc(values_a, values_b) -> float:
    """``max(AUC, 1 - AUC)`` of one per-image statistic between two sets (:func:`aelib.metrics.separation`):
    0.5 for no separation, 1 for complete separation in either direction (C16)."""
    from .metrics import separation

    auc = separation(values_a, values_b)["auc"]
    return max(auc, 1.0 - auc)


def folded_auc_gap(values_a, values_b, reference) -> float:
    """How much nearer to ``reference`` set ``b`` is than set ``a`` in one per-image statistic:
    ``folded_auc(a, reference) - folded_auc(b, reference)`` (:func:`folded_auc`). Positive when
    ``b`` is the harder of the two to tell from the reference, in whichever direction each departs
    from it; at most 0.5 in size. C31 reads it with the base U-Net's samples as ``a``, the wide
    U-Net's as ``b`` and held-out images as the reference."""
    return folded_auc(values_a, reference) - folded_auc(values_b, reference)


def order_conditions(levels: dict[str, list[float]]) -> dict[str, bool]:
    """C17's three conditions from per-level distances to the data (finest level first, coarsest
    last) of the sample sets ``'base'``, ``'wide'`` and ``'wide + deep'``: more fine detail in the
    wide model (lower finest-level distance), less global order (higher coarsest-level distance),
    and order restored by the extra level (wide + deep's coarsest distance below wide's)."""
    missing = {"base", "wide", "wide + deep"} - set(levels)
    if missing:
        raise ValueError(f"order_conditions needs the sets {sorted(missing)}")
    fine = {k: float(v[0]) for k, v in levels.items()}
    coarse = {k: float(v[-1]) for k, v in levels.items()}
    return {"wide_finer_detail": fine["wide"] < fine["base"],
            "wide_less_global_order": coarse["wide"] > coarse["base"],
            "deep_restores_order": coarse["wide + deep"] < coarse["wide"]}
