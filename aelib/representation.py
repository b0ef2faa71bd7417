"""Input representation: the input ``a_g`` a layer "sees" when it sees a target.

Gradient descent on the input (the essay's method, re-implemented from its description): start
from ``a_0 ~ N(0.7, 0.05)`` in image shape, and step ``a <- a - lr * grad`` of the loss
``s * sum |y_hat - layer(a)|`` where ``y_hat = layer(a_target)`` is held fixed. Constant learning
rate, no blur, no clamping, as in the essay's autoencoder figures.

Batched: a whole batch of targets is represented at once (one forward/backward per step). The
model stays in train mode, so BatchNorm normalises with the statistics of the batch being
represented, both for ``y_hat`` and during descent; the per-target gradients are otherwise
independent. (The essay represented one image at a time, where BatchNorm uses that image's
spatial statistics alone.)

Used by chapters 02 and 03 (and chapters 06, 07 of later issues).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch


@dataclass(frozen=True)
class RepresentationConfig:
    steps: int = 500           # gradient steps (essay: 500 to 1000)
    lr: float = 0.1            # constant step size (essay: 0.1)
    loss_scale: float = 0.01   # s in s * sum|y_hat - layer(a)| (essay: 0.005 to 0.02)
    init_mean: float = 0.7     # a_0 ~ N(0.7, 0.05), as in the essay
    init_std: float = 0.05
    seed: int = 999            # the essay's representation seed


def start_for(a_target: torch.Tensor, cfg: RepresentationConfig = RepresentationConfig()) -> torch.Tensor:
    """The random start ``a_0`` that :func:`represent` draws for these targets (to measure e at the start)."""
    g = torch.Generator(device=a_target.device).manual_seed(cfg.seed)
    return torch.randn(a_target.shape, generator=g, device=a_target.device) * cfg.init_std + cfg.init_mean


def represent(layer: Callable[[torch.Tensor], torch.Tensor], a_target: torch.Tensor,
              cfg: RepresentationConfig = RepresentationConfig(), *, y_hat: torch.Tensor | None = None,
              record_every: int = 0, start: torch.Tensor | None = None) -> tuple[torch.Tensor, list[float]]:
    """Return ``(a_g, losses)`` for a batch of targets; ``losses`` is the L1 loss per step.

    ``y_hat`` overrides the target output (default ``layer(a_target)``); ``record_every>0``
    keeps only every k-th loss value. ``start`` replaces the random start ``a_0`` (same shape
    as ``a_target``; chapter 03 uses it for a start distribution other than the Gaussian).
    The start is drawn in the shape of the whole batch, so every row gets its own start, even
    when the rows of ``a_target`` are copies of one image.
    """
    if cfg.steps < 0:
        raise ValueError(f"representation steps must be >= 0, got {cfg.steps}")
    with torch.no_grad():
        target = layer(a_target) if y_hat is None else y_hat
    target = target.detach()
    if start is not None:
        if start.shape != a_target.shape:
            raise ValueError(f"start has shape {tuple(start.shape)}, the targets {tuple(a_target.shape)}")
        a = start.detach().to(a_target.device, a_target.dtype).clone()
    else:
        a = start_for(a_target, cfg)
    losses: list[float] = []
    params = [p for p in getattr(layer, "parameters", lambda: [])()]
    flags = [p.requires_grad for p in params]
    for p in params:  # gradients w.r.t. the input only
        p.requires_grad_(False)
    try:
        for i in range(cfg.steps):
            a.requires_grad_(True)
            loss = cfg.loss_scale * (target - layer(a)).abs().sum()
            (grad,) = torch.autograd.grad(loss, a)
            with torch.no_grad():
                a = a - cfg.lr * grad
            if record_every and i % record_every == 0:
                losses.append(float(loss.detach()))
    finally:
        for p, f in zip(params, flags):
            p.requires_grad_(f)
    return a.detach(), losses
