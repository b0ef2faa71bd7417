"""Input representation: the input ``a_g`` a layer "sees" when it sees a target.

Gradient descent on the input (the essay's method, re-implemented from its description): start
from ``a_0 ~ N(0.7, 0.05)`` in image shape, and step ``a <- a - lr * grad`` of the loss
``s * sum |y_hat - layer(a)|`` where ``y_hat = layer(a_target)`` is held fixed. Constant learning
rate, no blur, no clamping, as in the essay's autoencoder figures.

Batched: a whole batch of targets is represented at once (one forward/backward per step). The
model stays in train mode, so BatchNorm normalises with the statistics of the batch being
represented, both for ``y_hat`` and during descent; the per-target gradients are otherwise
independent. (The essay represented one image at a time, where BatchNorm uses that image's
spatial statistics alone.) The model's buffers (BatchNorm running statistics) are restored
after the descent, so that eval-mode numbers measured afterwards are those of the trained model,
not of the descent's inputs.

Train-mode BatchNorm after a bias-free convolution removes a batch-wide per-channel offset and
gain: :func:`offset_response` measures how little the output moves when the whole batch is
shifted, which is why a descent cannot correct its start's grey level.
:func:`represent_tracked` records the representation at chosen steps, to see whether the error
``e`` has stopped moving while the loss still falls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import contextmanager

import torch

from .config.representation import RepresentationConfig
from .modes import in_mode


def start_for(a_target: torch.Tensor, cfg: RepresentationConfig = RepresentationConfig()) -> torch.Tensor:
    """The random start ``a_0`` that :func:`represent` draws for these targets (to measure e at the start)."""
    g = torch.Generator(device=a_target.device).manual_seed(cfg.seed)
    return torch.randn(a_target.shape, generator=g, device=a_target.device) * cfg.init_std + cfg.init_mean


@contextmanager
def kept_buffers(layer):
    """Restore ``layer``'s buffers (BatchNorm running statistics, batch counters) on exit: a
    train-mode forward pass updates them, and a descent makes hundreds of such passes."""
    buffers = list(getattr(layer, "buffers", lambda: [])())
    saved = [b.detach().clone() for b in buffers]
    try:
        yield
    finally:
        with torch.no_grad():
            for b, s in zip(buffers, saved):
                b.copy_(s)


def _descend(layer, a_target, cfg, y_hat, start, record_every, on_step):
    if cfg.steps < 0:
        raise ValueError(f"representation steps must be >= 0, got {cfg.steps}")
    with kept_buffers(layer):
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
            if on_step is not None:
                on_step(0, a)
            for i in range(cfg.steps):
                a.requires_grad_(True)
                loss = cfg.loss_scale * (target - layer(a)).abs().sum()
                (grad,) = torch.autograd.grad(loss, a)
                with torch.no_grad():
                    a = a - cfg.lr * grad
                if record_every and i % record_every == 0:
                    losses.append(float(loss.detach()))
                if on_step is not None:
                    on_step(i + 1, a)
        finally:
            for p, f in zip(params, flags):
                p.requires_grad_(f)
    return a.detach(), losses


def represent(layer: Callable[[torch.Tensor], torch.Tensor], a_target: torch.Tensor,
              cfg: RepresentationConfig = RepresentationConfig(), *, y_hat: torch.Tensor | None = None,
              record_every: int = 0, start: torch.Tensor | None = None) -> tuple[torch.Tensor, list[float]]:
    """Return ``(a_g, losses)`` for a batch of targets; ``losses`` is the L1 loss per step.

    ``y_hat`` overrides the target output (default ``layer(a_target)``); ``record_every>0``
    keeps only every k-th loss value. ``start`` replaces the random start ``a_0`` (same shape
    as ``a_target``, e.g. for a start distribution other than the Gaussian).
    The start is drawn in the shape of the whole batch, so every row gets its own start, even
    when the rows of ``a_target`` are copies of one image. The layer's buffers are restored.
    """
    return _descend(layer, a_target, cfg, y_hat, start, record_every, None)


def represent_tracked(layer: Callable[[torch.Tensor], torch.Tensor], a_target: torch.Tensor,
                      cfg: RepresentationConfig = RepresentationConfig(), at: Iterable[int] = (), *,
                      y_hat: torch.Tensor | None = None, start: torch.Tensor | None = None
                      ) -> tuple[torch.Tensor, list[float], dict[int, torch.Tensor]]:
    """:func:`represent` with every loss value (``record_every=1``) and a copy of the
    representation after each step count in ``at`` (0 is the start; counts above ``cfg.steps``
    are ignored): ``(a_g, losses, {steps: a})``, so that ``e`` can be read along the descent."""
    want = {int(s) for s in at if 0 <= int(s) <= cfg.steps}
    snaps: dict[int, torch.Tensor] = {}

    def keep(i, a):
        if i in want:
            snaps[i] = a.detach().clone()

    a_g, losses = _descend(layer, a_target, cfg, y_hat, start, 1, keep)
    return a_g, losses, snaps


def log_steps(steps: int, n: int = 8) -> list[int]:
    """About ``n`` step counts from 0 to ``steps``, spaced evenly on a log scale (0 and ``steps`` included)."""
    if steps <= 0:
        return [0]
    pts = {0, steps}
    for k in range(n - 1):
        pts.add(int(round(steps ** (k / max(1, n - 2)))))
    return sorted(p for p in pts if p <= steps)


@torch.no_grad()
def offset_response(model: torch.nn.Module, a: torch.Tensor, sizes: Iterable[float], *, per_image: bool = False,
                    eval_mode: bool = False, seed: int = 0) -> list[dict[str, float]]:
    """How far the output moves when the input is shifted by a per-channel offset.

    For each size ``d``, a random offset per channel (one for the whole batch, or one per image
    with ``per_image=True``), scaled so that ``|shift| / |a|`` is ``d`` (per image; for a batch-wide
    offset, for the batch's mean norm), is added to ``a``. Returns, per size, the median over
    images of ``|O(a + shift) - O(a)| / |O(a)|`` beside the median input change ``|shift| / |a|``.
    Train-mode BatchNorm after a bias-free convolution removes a batch-wide per-channel offset
    (output change near 0); in eval mode, or per image, it cannot.
    The model's mode and buffers are restored."""
    g = torch.Generator(device=a.device).manual_seed(seed)
    rows = []
    with in_mode(model, not eval_mode):
        with kept_buffers(model):
            base = model(a)
            bn = base.flatten(1).norm(dim=1).clamp_min(1e-12)
            an = a.flatten(1).norm(dim=1)
            shape = (len(a) if per_image else 1, a.shape[1]) + (1,) * (a.dim() - 2)
            direction = torch.randn(shape, generator=g, device=a.device, dtype=a.dtype).expand_as(a)
            unit = direction.flatten(1).norm(dim=1)  # per image: |direction broadcast over pixels|
            # one scale for the whole batch (else a batch-wide offset would differ between images)
            scale = (an / unit.clamp_min(1e-12) if per_image
                     else (an.mean() / unit.mean().clamp_min(1e-12)).expand_as(an))
            for d in sizes:
                shift = direction * (float(d) * scale).view(-1, *([1] * (a.dim() - 1)))
                out = model(a + shift)
                rows.append({"input_change": float((shift.flatten(1).norm(dim=1) / an.clamp_min(1e-12)).median()),
                             "output_change": float(((out - base).flatten(1).norm(dim=1) / bn).median())})
    return rows


def nearer_than_input(a_g: torch.Tensor, a_hat: torch.Tensor, a: torch.Tensor, affine: bool = True) -> torch.Tensor:
    """Per image, ``|a_g - a| / |a_hat - a|``: is the representation ``a_g`` of a corrupted input
    ``a_hat`` nearer the clean image ``a`` than the input itself? With ``affine=True`` both
    ``a_g`` and ``a_hat`` first get the per-image, per-channel gain and offset that bring them
    closest to ``a`` (:func:`aelib.metrics.affine_fit`), so neither the start's grey level (which
    a train-mode BatchNorm model cannot see) nor the corruption's shift of mean and contrast
    counts: what is compared is what remains beyond an affine map of each channel."""
    from .metrics import affine_fit

    if affine:
        a_g, a_hat = affine_fit(a_g, a), affine_fit(a_hat, a)
    num = (a_g - a).flatten(1).norm(dim=1)
    return num / (a_hat - a).flatten(1).norm(dim=1).clamp_min(1e-12)


def errors(a_g: torch.Tensor, a: torch.Tensor) -> dict[str, float]:
    """The median representation error both ways: ``raw`` (the essay's ``|a_g - a| / |a|``) and
    ``affine`` (after :func:`aelib.metrics.affine_fit`)."""
    from .metrics import representation_error, representation_error_affine

    return {"raw": representation_error(a_g, a), "affine": representation_error_affine(a_g, a)}
