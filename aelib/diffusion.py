"""The standard diffusion baseline: a noise-level-conditioned U-Net trained to predict
the noise (Ho et al. 2020, "DDPM") and sampled with DDIM (Song et al. 2021), on the book's U-Net.

The network is ours: :class:`TimeUNet` is the no-skip U-Net of :class:`aelib.models.UNet` (same
``inc``, ``downs``, ``ups`` and ``outc``) plus a sinusoidal embedding of the noise level ``t``,
passed through a small MLP and added as a per-channel bias after ``inc``, after each down block
and after each up block. The schedules and the sampler are diffusers' (``DDPMScheduler`` for the
forward process, ``DDIMScheduler`` built from its configuration for sampling), constructed from
arguments only: nothing is fetched from any hub.

Training objective, with images ``a`` in [0, 1] mapped to ``x_0 = 2a - 1``::

    t ~ U{0, ..., T-1},  eps ~ N(0, I),  x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps
    loss = |eps_theta(x_t, t) - eps|^2   (mean over pixels and batch)

or, for ``kind="ddpm_unet_x0"``, the same network predicting the clean image instead,
``|x0_theta(x_t, t) - x_0|^2`` (diffusers' ``prediction_type="sample"``; Ho et al. discuss both).

It is the model's :meth:`TimeUNet.training_loss`, which the book's trainer
(:func:`aelib.training.train`) calls instead of its copying loss, so the model trains, caches
and resumes through :func:`aelib.cache.trained` like every other model (``kind="ddpm_unet"``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from diffusers import DDIMScheduler, DDPMScheduler

from . import distributed
from .models import ModelConfig, ModelError, UNet, register
from .modes import in_mode
from .seeding import stream


@dataclass(frozen=True)
class DDPMConfig:
    """The forward process and the sampler's settings (part of the model's ``repr``, hence of its cache key)."""

    train_steps: int = 1000            # T, noise levels of the forward process (Ho et al. 2020: 1000)
    beta_start: float = 1e-4           # variance added at the first level (Ho et al.: 1e-4)
    beta_end: float = 0.02             # ... and at the last (Ho et al.: 0.02); abar_T ~ 4e-5, pure noise
    beta_schedule: str = "linear"      # linear betas between the two (Ho et al.)
    clip_sample: bool = True           # clip the predicted x_0 to [-1, 1] at each sampling step (diffusers'
                                       # default, as in Ho et al.'s sampler)
    timestep_spacing: str = "leading"  # which T/S-spaced levels a DDIM run of S steps visits (diffusers'
                                       # default; the DDIM paper's uniform sub-sequence)
    prediction_type: str = "epsilon"   # the network's target: the noise eps (Ho et al.'s choice) or the clean
                                       # image x_0 ("sample"); the sampler converts either to x_0 and eps

    def scheduler(self) -> DDPMScheduler:
        """diffusers' DDPM scheduler with these settings (made from arguments, never downloaded)."""
        return DDPMScheduler(num_train_timesteps=self.train_steps, beta_start=self.beta_start,
                             beta_end=self.beta_end, beta_schedule=self.beta_schedule,
                             clip_sample=self.clip_sample, timestep_spacing=self.timestep_spacing,
                             prediction_type=self.prediction_type)


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features of the noise levels ``t`` (B,): ``[sin(t w_k), cos(t w_k)]`` with
    ``w_k = 10000^(-k / (dim/2))`` (the transformer's position code, as in Ho et al.). (B, dim)."""
    half = dim // 2
    w = torch.exp(-math.log(10_000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    arg = t.float()[:, None] * w[None, :]
    return torch.cat([arg.sin(), arg.cos()], dim=1)


class TimeBias(nn.Module):
    """t -> sinusoidal features (``dim``) -> Linear -> SiLU -> Linear -> SiLU -> Linear: one bias per
    channel of every conditioned block, returned as a list of (B, C_k, 1, 1) tensors."""

    def __init__(self, dim: int, channels: list[int]):
        super().__init__()
        self.dim, self.channels = dim, list(channels)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.SiLU(), nn.Linear(4 * dim, 4 * dim), nn.SiLU(),
                                 nn.Linear(4 * dim, sum(channels)))

    def forward(self, t: torch.Tensor) -> list[torch.Tensor]:
        b = self.mlp(timestep_embedding(t, self.dim))
        return [x[:, :, None, None] for x in b.split(self.channels, dim=1)]


class TimeUNet(UNet):
    """eps_theta(x_t, t): the book's U-Net with a per-channel bias from the noise level after ``inc``,
    after each down block and after each up block. ``skips`` as in :class:`aelib.models.UNet`
    (the baseline uses ``"self"``, the essay's no-skip U-Net); no hidden MLP. Normalisation: the
    baseline uses ``batchnorm=False`` (a batch mixes noise levels). It predicts noise, not a copy, so it has
    no ``O = D(E(a))``: :meth:`E` and :meth:`D` refuse."""

    def __init__(self, image_size: int, channels: int, base: int, depth: int,
                 skips: str = "self", batchnorm: bool = False, ddpm: DDPMConfig = DDPMConfig()):
        super().__init__(image_size, channels, base, depth, skips, None, batchnorm)
        widths = [base * 2 ** i for i in range(depth + 1)]
        self.time_bias = TimeBias(base, widths + widths[-2::-1])   # inc, downs, then ups
        self.ddpm = ddpm
        self.scheduler = ddpm.scheduler()

    def extra_repr(self) -> str:
        return f"ddpm={self.ddpm}"   # the forward process is part of the repr, so of the cache key

    def E(self, a):  # noqa: N802
        raise ModelError("TimeUNet predicts noise from (x_t, t); it has no encoder/decoder split O = D(E(a))")

    def D(self, h):  # noqa: N802
        raise ModelError("TimeUNet predicts noise from (x_t, t); it has no encoder/decoder split O = D(E(a))")

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The predicted noise for noisy images ``x`` (B, C, H, W, in the [-1, 1] scale) at levels ``t`` (B,)."""
        bias = iter(self.time_bias(t))
        x = self.inc(x) + next(bias)
        feats = [x]
        for down in self.downs:
            x = down(x) + next(bias)
            feats.append(x)
        for i, up in enumerate(self.ups):
            x = up(x, feats[-2 - i]) + next(bias)
        return self.outc(x)

    def training_loss(self, net: nn.Module, a: torch.Tensor, *, step: int, seed: int) -> torch.Tensor:
        """The eps-prediction (or x_0-prediction) loss on a batch ``a`` in [0, 1], called by the
        trainer. ``net`` is this model or its DDP / compiled wrapper. t and eps come from the named
        stream "DDPM training noise" at (seed, step, rank), so a resumed run draws exactly what an
        uninterrupted one did."""
        rank = distributed.current().rank
        g = stream("DDPM training noise", seed, step, rank, device=a.device)
        x0 = 2 * a - 1
        t = torch.randint(0, self.ddpm.train_steps, (len(a),), generator=g, device=a.device)
        eps = torch.randn(a.shape, generator=g, device=a.device, dtype=a.dtype)
        x_t, target = self.noised(x0, eps, t)
        return F.mse_loss(net(x_t, t).float(), target.float())

    def noised(self, x0: torch.Tensor, eps: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x_t, target)``: the forward process at levels ``t`` and what the network must predict
        there (``eps``, or ``x0`` for the x_0-predicting kind)."""
        target = eps if self.ddpm.prediction_type == "epsilon" else x0
        return self.scheduler.add_noise(x0, eps, t), target


KINDS = {
    "ddpm_unet": DDPMConfig(),                             # predicts the noise eps (Ho et al.)
    "ddpm_unet_x0": DDPMConfig(prediction_type="sample"),  # predicts the clean image x_0
}


@dataclass(frozen=True)
class TimeUNetParams:
    base: int                             # feature maps at the first level, as the U-Net's
    depth: int                            # number of 2x down-samplings
    skips: str = "self"                   # 'self' (the essay's no-skip U-Net), 'concat' or 'none'
    batchnorm: bool = False               # off by default: a batch mixes noise levels


@register("ddpm_unet_x0", TimeUNetParams)
@register("ddpm_unet", TimeUNetParams)
def _time_unet(cfg: ModelConfig) -> TimeUNet:
    """A :class:`TimeUNet` predicting the noise (``ddpm_unet``) or the clean image (``ddpm_unet_x0``),
    with the forward process ``KINDS[kind]``."""
    p = cfg.params
    return TimeUNet(cfg.image_size, cfg.channels, p.base, p.depth, p.skips, p.batchnorm, KINDS[cfg.kind])


def loss_fn(model: TimeUNet, a: torch.Tensor) -> torch.Tensor:
    """The training objective as ``loss_fn(model, a)`` for :func:`aelib.compute.step_cost`."""
    return model.training_loss(model, a, step=0, seed=0)


def _abar(model: TimeUNet, t: torch.Tensor) -> torch.Tensor:
    """``abar_t`` of the model's forward process at levels ``t`` (B,), shaped (B, 1, 1, 1)."""
    return model.scheduler.alphas_cumprod.to(device=t.device, dtype=torch.float32)[t.long()].view(-1, 1, 1, 1)


def predictions(model: TimeUNet, x_t: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x0_hat, eps_hat)``: the model's estimate of the clean image and of the noise at levels ``t``,
    whichever of the two it predicts. The other follows from ``x_t = sqrt(abar) x_0 + sqrt(1 - abar) eps``
    (the conversion DDIM makes at every step); for an x_0-predicting network the noise estimate
    ``(x_t - sqrt(abar) x0_hat) / sqrt(1 - abar)`` takes ``x_t`` itself through this arithmetic, a copy
    of the input that the network never has to make."""
    out = model(x_t, t)
    abar = _abar(model, t)
    if model.ddpm.prediction_type == "epsilon":
        return (x_t - (1 - abar).sqrt() * out) / abar.sqrt(), out
    return out, (x_t - abar.sqrt() * out) / (1 - abar).sqrt()


@torch.no_grad()
def loss_by_level(model: TimeUNet, a: torch.Tensor, levels, generator: torch.Generator | None = None) -> dict:
    """For each noise level ``t`` in ``levels``, on the images ``a`` (in [0, 1]; fresh noise per level
    from ``generator``), a dict of: ``own``, the model's loss on its own target; ``eps``, the MSE of
    its noise estimate (:func:`predictions`); ``x0``, the MSE of its clean-image estimate (in the
    [-1, 1] scale); and, for reference, ``copy``, the eps-loss of ``x_t / sqrt(1 - abar_t)``, which
    treats all of ``x_t`` as noise: it needs nothing but a copy of the input and is nearly exact at
    high levels. Model in eval mode, its mode restored."""
    out = {}
    with in_mode(model, False):
        x0 = 2 * a - 1
        for t in levels:
            eps = torch.randn(a.shape, generator=generator, device=a.device, dtype=a.dtype)
            tt = torch.full((len(a),), int(t), device=a.device, dtype=torch.long)
            x_t, target = model.noised(x0, eps, tt)
            x0_hat, eps_hat = predictions(model, x_t, tt)
            own = eps_hat if model.ddpm.prediction_type == "epsilon" else x0_hat
            abar = float(model.scheduler.alphas_cumprod[int(t)])
            out[int(t)] = {"own": F.mse_loss(own, target).item(), "eps": F.mse_loss(eps_hat, eps).item(),
                           "x0": F.mse_loss(x0_hat, x0).item(),
                           "copy": F.mse_loss(x_t / math.sqrt(1 - abar), eps).item()}
    return out


# The baseline's sizes that are not profile fields (candidates for the profile):
SEED_SAMPLE_DIVISOR = 2   # samples per sampler and seed = ddpm.samples // this: three seeds give 1.5x the
                          # profile's samples in all, at half the sampling and SW cost per seed
DIAGNOSTIC_DIVISOR = 4    # the eps-predicting diagnostic models are trained to steps // this (one seed): a
                          # mechanism shown at a quarter of the budget, outside the verdict


def samples_per_seed(profile_samples: int) -> int:
    """Samples per sampler and seed of the baseline comparison: ``profile_samples // SEED_SAMPLE_DIVISOR``, at least 2
    (a spread needs two)."""
    return max(2, int(profile_samples) // SEED_SAMPLE_DIVISOR)


HELDOUT_DRAWS = 4   # noise draws per held-out image in :func:`heldout_loss` (each image at a different level)


@torch.no_grad()
def heldout_loss(model: TimeUNet, a: torch.Tensor, seed: int = 0, draws: int = HELDOUT_DRAWS) -> float:
    """The model's own training objective on held-out images ``a`` (in [0, 1]) with a fixed draw of
    levels and noise, so that it is a deterministic function of the weights (the stopping rule's
    held-out error, ``error_of`` of :meth:`aelib.chapter.Chapter.train_rule`). In each of ``draws``
    draws the images get evenly spaced levels over ``0 .. T-1`` in an order shuffled by ``seed``, and
    fresh noise; the result is the mean squared error over draws. Model in eval mode (no BatchNorm
    in the baseline's diffusion models), mode restored."""
    if draws < 1 or len(a) < 1:
        raise ValueError(f"heldout_loss needs at least one draw and one image, got {draws} and {len(a)}")
    g = stream("loss by level", seed)
    T = model.ddpm.train_steps  # noqa: N806
    x0 = 2 * a - 1
    total = 0.0
    with in_mode(model, False):
        for _ in range(draws):
            levels = torch.linspace(0, T - 1, len(a)).round().long()[torch.randperm(len(a), generator=g)]
            eps = torch.randn(a.shape, generator=g).to(device=a.device, dtype=a.dtype)
            tt = levels.to(a.device)
            x_t, target = model.noised(x0, eps, tt)
            total += F.mse_loss(model(x_t, tt).float(), target.float()).item()
    return total / draws


class CleanReconstruction(nn.Module):
    """A diffusion model read as an autoencoder, ``O(a)``: its clean-image estimate for the image
    ``a`` itself (in [0, 1], mapped to [-1, 1] and back) given as ``x_t`` at level ``level`` (default
    0, the least noisy), with no noise added. For the 'model works' gate of an x_0-predicting
    model: its held-out clean reconstruction error against the mean training image's. (For an
    eps-predicting model at level 0 the estimate is ``x_t`` minus 1 % of the predicted noise, nearly
    the identity whatever the network does: the gate would tell nothing.) Eval mode."""

    def __init__(self, model: TimeUNet, level: int = 0):
        super().__init__()
        self.model, self.level = model, int(level)

    @torch.no_grad()
    def forward(self, a: torch.Tensor) -> torch.Tensor:
        t = torch.full((len(a),), self.level, device=a.device, dtype=torch.long)
        with in_mode(self.model, False):
            x0_hat, _ = predictions(self.model, 2 * a - 1, t)
        return ((x0_hat + 1) / 2).clamp(0, 1)


# ------------------------------------------------------------------------------------------
# sampling


@dataclass
class DiffusionSamples:
    """Samples of a noise-predicting model (tensors on the CPU)."""

    final: torch.Tensor     # (B, C, H, W) in [0, 1]
    start: torch.Tensor     # (B, C, H, W): x_T ~ N(0, I), each chain's starting noise
    evaluations: int        # network calls per sample (= DDIM steps)
    timesteps: list[int]    # the noise levels visited, first to last

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k in ("evaluations", "timesteps")}


@torch.no_grad()
def sample_ddim(model: TimeUNet, shape: tuple[int, int, int], steps: int, n_samples: int, batch_size: int,
                generator: torch.Generator | None = None, device: str | torch.device = "cpu") -> DiffusionSamples:
    """Deterministic DDIM sampling (eta = 0) in ``steps`` network calls per image: ``n_samples``
    chains of ``shape`` (C, H, W), ``batch_size`` at a time, each from its own x_T ~ N(0, I) drawn
    from ``generator``. diffusers' ``DDIMScheduler`` is made from the model's own DDPM
    configuration (offline). The model runs in eval mode (it has no BatchNorm; nothing changes)
    and its mode is restored. Returns images mapped back to [0, 1]."""
    if len(shape) != 3:
        raise ValueError(f"shape must be (C, H, W), got {tuple(shape)}")
    for name, v in (("steps", steps), ("n_samples", n_samples), ("batch_size", batch_size)):
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    sched = DDIMScheduler.from_config(model.scheduler.config)
    sched.set_timesteps(steps)
    starts, finals = [], []
    with in_mode(model, False):
        for i in range(0, n_samples, batch_size):
            b = min(batch_size, n_samples - i)
            x = torch.randn((b, *shape), generator=generator, device=device)
            starts.append(x.cpu())
            for t in sched.timesteps:
                eps = model(x, torch.full((b,), int(t), device=device, dtype=torch.long))
                x = sched.step(eps, t, x, eta=0.0).prev_sample
            finals.append(((x + 1) / 2).clamp(0, 1).cpu())
    return DiffusionSamples(final=torch.cat(finals), start=torch.cat(starts), evaluations=len(sched.timesteps),
                            timesteps=[int(t) for t in sched.timesteps])
