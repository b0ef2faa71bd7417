"""The manifold walk: re-encoding with noise on the bottleneck, and what is measured along it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from . import rule, section


@section("walk", smoke=dict(steps=12, walkers=8, batch_size=4, frame_every=3, sw_points=3),
         paper=dict(walkers=256, eps_list=(0.0, 0.2, 0.5), sw_points=7))
@dataclass(frozen=True)
class WalkConfig:
    steps: int = 300          # re-encodings per walk (the essay's video: 300)
    eps: float = rule(0.2, "a finite number >= 0 (a noise level)", lambda v: math.isfinite(v) and v >= 0)
    # std of the Gaussian added to every coordinate of the bottleneck h per step (essay: 0.2; 0 = noise-free)
    frame_every: int = 10     # keep g_n for n = 0, k, 2k, ... (and always the last step): 31 frames at 300 steps,
                              # a 4 s video at 8 fps
    batch_size: int = 8       # walkers sharing BatchNorm statistics (the essay's "7/8" suggests 8)
    tol: float = 1e-3         # still walking: |g_K - g_{K-1}| / |g_K| above this (float32 round-off is ~1e-7)
    eps_list: tuple[float, ...] = rule((0.0, 0.2), "a non-empty list of finite numbers >= 0 (noise levels)",
                                       lambda v: len(v) > 0 and all(math.isfinite(x) and x >= 0 for x in v))
    # noise levels walked and shown in the explorer (0: the noise-free walk; 0.2: the essay's)
    walkers: int = 64         # held-out images walked; fractions have a resolution of 1/64
    train_mults: tuple[int, ...] = (1, 2)  # training lengths compared, in units of train.steps; each longer
                              # run resumes from the cached shorter one
    sw_points: int = 5        # recorded frames (evenly spaced, start and end included) scored by SW
    small_frac: float = rule(0.125, "a number strictly between 0 and 1 (a share of the training photos)",
                             lambda v: 0 < v < 1)
    # share of the training set, chosen by whole photos, that the smaller-data U-Net of C29 and C30 is trained
    # on (the essay's Fig. 11 against Fig. 10: 2,048 against 256 images)

    def __post_init__(self):
        for name in ("steps", "frame_every", "batch_size"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"WalkConfig.{name} must be a positive integer, got {v!r}")
        if not self.eps >= 0:
            raise ValueError(f"WalkConfig.eps must be >= 0, got {self.eps!r}")
        if not self.tol > 0:
            raise ValueError(f"WalkConfig.tol must be > 0, got {self.tol!r}")

    def as_dict(self) -> dict:
        return asdict(self)
