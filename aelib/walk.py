"""The manifold walk: re-encode, perturb the latent, decode, repeat.

For an autoencoder ``O = D(E(a))`` the walk starts from real images ``g_0 = a`` and iterates

    h_n = E(g_{n-1}) + N(0, eps^2)        (the same noise scale on every latent coordinate)
    g_n = D(h_n)

for ``n = 1 .. steps``. With ``eps = 0`` it is the noise-free walk: plain iteration of ``O``.
Everything runs under ``torch.no_grad`` with the model in *train* mode, so BatchNorm normalises
with the statistics of the batch being walked, as the essay insists (eval mode would switch to
the stored running statistics). The running statistics that train mode would update are put
back afterwards, and so is the model's mode, so a walk leaves no trace on the model.

Because the batch statistics couple the images of one batch, the walkers are split into fixed
batches of ``batch_size`` (the essay's "7/8" suggests it walked batches of 8); each batch is an
independent chain.

*Still walking* (claims C13, C14): after the last step, the relative change between the last
two re-encodings, ``|g_K - g_{K-1}| / |g_K|``, is above a stated tolerance ``tol``. A walker
whose image has become non-finite is counted as still walking (its image keeps changing).

Each seed walks its own draw of held-out images (:func:`draw_walkers`), a share of
the profile's ``walk.walkers`` (:func:`walkers_per_seed`). The control of C13 is a map that is
known to settle, :class:`Contraction`, walked by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .batchnorm import batch_statistics
from .config.walk import WalkConfig


@dataclass
class Walk:
    """The record of one walk of ``B`` images (tensors on the CPU)."""

    frames: torch.Tensor      # (F, B, C, H, W): g at the recorded steps; frames[0] is the start a
    frame_steps: list[int]    # the step of each frame (0, k, 2k, ..., steps)
    change: torch.Tensor      # (steps, B): |g_n - g_{n-1}| / |g_n| for n = 1 .. steps
    from_start: torch.Tensor  # (steps + 1, B): |g_n - a| / |a| for n = 0 .. steps
    cfg: WalkConfig

    @property
    def start(self) -> torch.Tensor:
        return self.frames[0]

    @property
    def last(self) -> torch.Tensor:
        return self.frames[-1]

    def walking(self, tol: float | None = None, step: int | None = None) -> torch.Tensor:
        """Boolean (B,): still walking after ``step`` re-encodings (default: the last one), i.e.
        relative change between the last two re-encodings above ``tol`` (default ``cfg.tol``)."""
        tol = self.cfg.tol if tol is None else tol
        step = self.cfg.steps if step is None else step
        if not 1 <= step <= self.cfg.steps:
            raise ValueError(f"step must lie in 1..{self.cfg.steps}, got {step}")
        c = self.change[step - 1]
        return ~torch.isfinite(c) | (c > tol)

    def fraction_walking(self, tol: float | None = None, step: int | None = None) -> float:
        """The fraction of walkers still walking (see :meth:`walking`)."""
        return float(self.walking(tol, step).float().mean())

    def distance(self, step: int | None = None) -> float:
        """Median over walkers of ``|g_n - a| / |a|`` after ``step`` steps (default: the last)."""
        step = self.cfg.steps if step is None else step
        if not 0 <= step <= self.cfg.steps:
            raise ValueError(f"step must lie in 0..{self.cfg.steps}, got {step}")
        return float(self.from_start[step].median())

    def move_ratio(self) -> float:
        """``d_K / d_1``: median distance from the start after the last step over that after the
        first (which already holds the model's reconstruction error and one draw of noise)."""
        return self.distance() / max(self.distance(1), 1e-12)

    def fraction_walking_curve(self, tol: float | None = None) -> torch.Tensor:
        """(steps,): the fraction still walking after each number of re-encodings 1 .. steps."""
        tol = self.cfg.tol if tol is None else tol
        return (~torch.isfinite(self.change) | (self.change > tol)).float().mean(dim=1)


# Each seed walks walk.walkers // SEED_SHARE images (at least one batch): three seeds then walk
# about as many images in total as one seed did before seeds were repeated (cpu: 16 per seed).
SEED_SHARE = 4
# The rate of the contraction that serves as C13's control: a walker's distance to the centre
# shrinks by this factor per step, so after 300 steps its change is ~1e-14 of the first one.
CONTRACTION_RATE = 0.9


def walkers_per_seed(n_walkers: int, batch_size: int, share: int = SEED_SHARE) -> int:
    """``n_walkers // share`` rounded down to whole batches of ``batch_size``, at least one batch."""
    if n_walkers < 1 or batch_size < 1 or share < 1:
        raise ValueError(f"need positive counts, got n_walkers={n_walkers}, batch_size={batch_size}, share={share}")
    return max(batch_size, (n_walkers // share) // batch_size * batch_size)


def draw_walkers(n_images: int, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of ``n`` walkers drawn at random from ``n_images`` (sorted), and of the other images
    (the reference set for distribution distances: it never contains a walker's start)."""
    if not 0 < n < n_images:
        raise ValueError(f"need 0 < n < n_images, got n={n}, n_images={n_images}")
    perm = torch.randperm(n_images, generator=generator, device=generator.device if generator else "cpu").cpu()
    return perm[:n].sort().values, perm[n:].sort().values


class Contraction(torch.nn.Module):
    """``O(g) = c + rate (g - c)`` with ``E`` the identity: every noise-free walk settles on ``c``
    geometrically, so no walker may count as still walking after many steps (C13's control)."""

    def __init__(self, center: torch.Tensor, rate: float = CONTRACTION_RATE):
        super().__init__()
        if not 0 <= rate < 1:
            raise ValueError(f"a contraction needs 0 <= rate < 1, got {rate}")
        self.register_buffer("center", center.detach().clone())
        self.rate = float(rate)

    def E(self, a):  # noqa: N802
        return a

    def D(self, h):  # noqa: N802
        return self.center + self.rate * (h - self.center)

    def forward(self, a):
        return self.D(self.E(a))


def _norm(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(1).norm(dim=1)


def _perturb(h, eps: float, generator: torch.Generator | None):
    """``h + N(0, eps^2)``; for an encoder that returns a tuple (a U-Net with concatenation skips),
    only its first element, the bottleneck, is perturbed."""
    if eps == 0:
        return h
    if isinstance(h, (tuple, list)):
        return type(h)([_perturb(h[0], eps, generator), *h[1:]])
    return h + eps * torch.randn(h.shape, generator=generator, device=h.device, dtype=h.dtype)


@torch.no_grad()
def walk(model, a: torch.Tensor, cfg: WalkConfig = WalkConfig(), generator: torch.Generator | None = None) -> Walk:
    """Walk the images ``a`` (B, C, H, W) for ``cfg.steps`` steps with latent noise ``cfg.eps``.

    ``model`` is anything with ``E`` and ``D`` (an :class:`aelib.models.Autoencoder`). The batches
    of ``cfg.batch_size`` walkers are walked one after the other with the same ``generator``
    (on the model's device), so a seeded generator makes the walk reproducible.
    """
    if a.dim() != 4:
        raise ValueError(f"a must be a batch (B, C, H, W), got shape {tuple(a.shape)}")
    keep = sorted(set(range(0, cfg.steps + 1, cfg.frame_every)) | {cfg.steps})
    frames, change, from_start = [], [], []
    with batch_statistics(model):
        for a_b in a.split(cfg.batch_size):
            g = a_b
            a_norm = _norm(a_b).clamp_min(1e-12)
            fr, ch, fs = [g.cpu()], [], [torch.zeros(len(a_b))]
            for n in range(1, cfg.steps + 1):
                g_new = model.D(_perturb(model.E(g), cfg.eps, generator))
                ch.append((_norm(g_new - g) / _norm(g_new).clamp_min(1e-12)).cpu())
                fs.append((_norm(g_new - a_b) / a_norm).cpu())
                g = g_new
                if n in keep:
                    fr.append(g.cpu())
            frames.append(torch.stack(fr))
            change.append(torch.stack(ch))
            from_start.append(torch.stack(fs))
    return Walk(frames=torch.cat(frames, dim=1), frame_steps=keep, change=torch.cat(change, dim=1),
                from_start=torch.cat(from_start, dim=1), cfg=cfg)
