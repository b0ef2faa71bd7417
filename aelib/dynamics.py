"""The autoencoder as a dynamical system: iterates of ``O`` and the spectrum of its Jacobian.

Radhakrishnan, Belkin and Uhler (2020) showed that overparameterized autoencoders store training
images as *attractors*: iterate ``x <- O(x)`` from a nearby start and it converges to a training
image. A fixed point ``x* = O(x*)`` attracts its neighbourhood when every eigenvalue of the
Jacobian ``J = dO/dx`` at ``x*`` has modulus below 1, i.e. the spectral radius ``rho(J) < 1``.

- :func:`spectral_radius` estimates ``rho(J)`` of any map at a point by power iteration with
  Jacobian-vector products (``torch.func.jvp``): the dense Jacobian (``d x d`` for ``d`` pixels)
  is never formed. Growth factors ``|J v_k|`` are averaged geometrically over the second half of
  the iterations, which by Gelfand's formula converges to ``rho`` also when the dominant
  eigenvalues are a complex pair (where plain power iteration oscillates).
- :func:`radii` applies it to ``O`` in train mode over fixed batches: as everywhere in this book,
  BatchNorm uses the statistics of the batch it is given, so ``O`` maps a *batch* to a batch and
  the Jacobian is that of the whole batch map (images interact only through the statistics).
- :func:`iterate` iterates ``O`` with the manifold walk at zero noise
  (:func:`aelib.walk.walk`), so "converged" is exactly the walk's "stopped" criterion (C13).
- :func:`attractor_stats` gathers, for a batch of starts, convergence, retrieval of a training
  image and the spectral radius at the end point (claim X4), and :func:`agreement` compares two
  per-image verdicts (claim X5); :func:`shuffled_agreement` is its control, the agreement of the
  same two verdicts paired at random, which is as high as the real one whenever one verdict is
  (nearly) the same for every image, so that agreement cannot discriminate.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch

from .batchnorm import batch_statistics
from .nearest import nearest
from .seeding import stream
from .walk import Walk, WalkConfig, walk


@dataclass
class Radius:
    rho: float                 # the estimate: geometric mean growth over the second half
    growth: list[float]        # |J v_k| / |v_k| at each iteration k


def spectral_radius(f, x: torch.Tensor, iters: int = 40, generator: torch.Generator | None = None) -> Radius:
    """Spectral radius of the Jacobian of ``f`` at ``x`` (``f`` maps tensors of ``x``'s shape to
    the same shape) by ``iters`` Jacobian-vector products from a seeded random start."""
    if iters < 2:
        raise ValueError(f"power iteration needs at least 2 iterations, got {iters}")
    v = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    v = v / v.norm()
    growth = []
    for _ in range(iters):
        with warnings.catch_warnings():  # torch's own jvp set-up calls its deprecated torch.jit.script once
            warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=FutureWarning)
            _, jv = torch.func.jvp(f, (x,), (v,))
        jv = jv.detach()
        n = jv.norm()
        growth.append(float(n))
        if not torch.isfinite(n) or n == 0:
            break
        v = jv / n
    tail = torch.tensor(growth[len(growth) // 2:], dtype=torch.float64)
    rho = float(tail.clamp_min(1e-300).log().mean().exp()) if len(tail) else float("nan")
    return Radius(rho, growth)


def radii(model, x: torch.Tensor, batch_size: int, iters: int = 40, seed: int = 0) -> torch.Tensor:
    """(B,): the spectral radius of the batch map's Jacobian for each consecutive batch of
    ``batch_size`` images of ``x``, repeated for every image of that batch."""
    out = []
    with batch_statistics(model):
        for i, xb in enumerate(x.split(batch_size)):
            g = stream("power iteration", seed, i, device=x.device)
            out.append(torch.full((len(xb),), spectral_radius(model, xb, iters, g).rho))
    return torch.cat(out)


def iterate(model, x: torch.Tensor, steps: int, batch_size: int, tol: float, frame_every: int | None = None) -> Walk:
    """``steps`` applications of ``O`` to each batch of ``x`` (the noise-free manifold walk)."""
    return walk(model, x, WalkConfig(steps=steps, eps=0.0, frame_every=frame_every or steps,
                                     batch_size=batch_size, tol=tol))


@dataclass
class AttractorStats:
    converged: torch.Tensor      # (B,) bool: stopped moving (the walk's criterion)
    retrieved: torch.Tensor      # (B,) bool: converged and correlated >= retrieve_corr with a training image
    rho_end: torch.Tensor        # (B,): spectral radius of the batch map at the end point
    nearest_corr: torch.Tensor   # (B,): correlation of the end point with its nearest training image
    trajectory: Walk

    @property
    def attractor(self) -> torch.Tensor:
        """Converged to a fixed point whose Jacobian contracts (rho < 1)."""
        return self.converged & (self.rho_end < 1)

    def fractions(self) -> dict[str, float]:
        return {"converged": float(self.converged.float().mean()),
                "retrieved": float(self.retrieved.float().mean()),
                "attractor": float(self.attractor.float().mean()),
                "median rho at end": float(self.rho_end.median())}


def attractor_stats(model, starts: torch.Tensor, train_images: torch.Tensor, *, steps: int, batch_size: int,
                    tol: float, retrieve_corr: float, power_iters: int = 40, seed: int = 0,
                    frame_every: int | None = None) -> AttractorStats:
    """Iterate ``O`` from ``starts`` and classify each end point (claim X4)."""
    traj = iterate(model, starts, steps, batch_size, tol, frame_every)
    end = traj.last.to(starts.device)
    converged = ~traj.walking()
    corr, _ = nearest(end, train_images, by="correlation")
    rho = radii(model, end, batch_size, power_iters, seed)
    return AttractorStats(converged, converged & (corr >= retrieve_corr), rho, corr, traj)


def agreement(a: torch.Tensor, b: torch.Tensor) -> float:
    """The fraction of images on which two boolean verdicts agree (claim X5)."""
    if a.shape != b.shape:
        raise ValueError(f"verdicts of different shapes: {tuple(a.shape)} vs {tuple(b.shape)}")
    return float((a.bool() == b.bool()).float().mean())


def shuffled_agreement(a: torch.Tensor, b: torch.Tensor, n_perm: int = 200, seed: int = 0) -> float:
    """The mean of :func:`agreement` of ``a`` with ``b`` permuted at random, over ``n_perm`` seeded
    permutations: what pairing the two verdicts by chance gives (claim X5's control)."""
    if a.shape != b.shape:
        raise ValueError(f"verdicts of different shapes: {tuple(a.shape)} vs {tuple(b.shape)}")
    if n_perm < 1:
        raise ValueError(f"need at least one permutation, got {n_perm}")
    g = stream("random pairing", seed)
    a, b = a.bool().flatten().cpu(), b.bool().flatten().cpu()
    return float(sum(agreement(a, b[torch.randperm(len(b), generator=g)]) for _ in range(n_perm)) / n_perm)
