"""Compute budgets: floating-point operations of a training run and of a sampling run.

FLOPs are counted by PyTorch's own :class:`torch.utils.flop_counter.FlopCounterMode` on one
real forward (and backward) pass: convolutions, transposed convolutions and matrix products,
counted as 2 FLOPs per multiply-add; normalisation, activations, pooling and the optimiser
update are not counted (they are a few per cent of a U-Net's work). A training budget is then

    training FLOPs = (FLOPs of one forward + backward pass on a batch) x optimiser steps

and a sampling budget ``evaluations x forward FLOPs per image``. This puts models of different
sizes (base, wide, wide + deep U-Nets) on one compute axis, and counts a model trained on another
objective (a noise-predicting diffusion model) on the same axis:
``step_cost`` takes the training loss as ``loss_fn(model, x)``, by default the copying MSE.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from .modes import in_mode


@dataclass(frozen=True)
class StepCost:
    """FLOPs of one model at one input shape."""

    forward_per_image: float   # one forward pass of one image
    train_step: float          # one forward + backward pass of a batch of ``batch_size`` images
    batch_size: int

    def training(self, steps: int) -> float:
        """FLOPs of ``steps`` optimiser steps."""
        return self.train_step * steps

    def sampling(self, evaluations: int, n_images: int = 1) -> float:
        """FLOPs of ``evaluations`` network evaluations on each of ``n_images`` images."""
        return self.forward_per_image * evaluations * n_images


def copy_loss(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The book's training objective: the MSE of copying the batch, ``|O(x) - x|^2``."""
    return torch.nn.functional.mse_loss(model(x), x)


def step_cost(model: torch.nn.Module, shape: tuple[int, int, int], batch_size: int,
              device: str | torch.device = "cpu",
              loss_fn: Callable[[torch.nn.Module, torch.Tensor], torch.Tensor] = copy_loss) -> StepCost:
    """Count the FLOPs of ``model`` on random inputs of ``shape`` (C, H, W) in [0, 1]: the forward
    pass of ``loss_fn(model, x)`` on a batch (without gradients: one network evaluation per image,
    since the loss itself costs no counted FLOPs), then the same forward pass with its backward.
    ``loss_fn`` defaults to the copying MSE; a diffusion model passes its noise-prediction loss.
    The model's parameters, gradients, running statistics and mode are left as they were."""
    if len(shape) != 3:
        raise ValueError(f"shape must be (C, H, W), got {tuple(shape)}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    buffers = {k: b.detach().clone() for k, b in model.named_buffers()}
    grads = {k: (None if p.grad is None else p.grad.detach().clone()) for k, p in model.named_parameters()}
    x = torch.rand((batch_size, *shape), device=device, generator=torch.Generator(device=device).manual_seed(0))
    try:
        with in_mode(model, True):
            with FlopCounterMode(display=False) as fwd:
                with torch.no_grad():
                    loss_fn(model, x)
            with FlopCounterMode(display=False) as step:
                loss = loss_fn(model, x)
                loss.backward()
    finally:
        with torch.no_grad():
            for k, b in model.named_buffers():
                b.copy_(buffers[k])
            for k, p in model.named_parameters():
                p.grad = grads[k]
    return StepCost(forward_per_image=fwd.get_total_flops() / batch_size, train_step=float(step.get_total_flops()),
                    batch_size=batch_size)
