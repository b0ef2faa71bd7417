"""Sliced Wasserstein distance between image sets, on Laplacian-pyramid patches."""

from __future__ import annotations

from dataclasses import dataclass

from . import per_seed, section


@section("sw", smoke=dict(n_projections=32, n_patches=256), paper=dict(n_projections=512, n_patches=16384))
@dataclass(frozen=True)
class SWConfig:
    levels: int | None = None  # pyramid levels; None: from the image side, at most 3 (32x32: 32, 16, 8)
    patch: int = 7             # patch side, as in Karras et al.
    n_patches: int = 4096      # patches drawn per image set and level
    n_projections: int = 256   # random directions
    seed: int = per_seed(0)    # patches and projections drawn (chapters set it for each seed)
