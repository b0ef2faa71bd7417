"""Sliced Wasserstein distance between image sets, on Laplacian-pyramid patches."""

from __future__ import annotations

from dataclasses import dataclass

from . import NON_NEGATIVE, rule, section


@section("sw", smoke=dict(n_projections=32, n_patches=256), paper=dict(n_projections=512, n_patches=16384))
@dataclass(frozen=True)
class SWConfig:
    levels: int | None = None  # pyramid levels; None: from the image side, at most 3 (32x32: 32, 16, 8)
    patch: int = 7             # patch side, as in Karras et al.
    n_patches: int = 4096      # patches drawn per image set and level
    n_projections: int = 256   # random directions
    seed: int = rule(0, *NON_NEGATIVE)
