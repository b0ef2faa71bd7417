"""Non-invertible layers: the simplified MLP whose input representations are tested for Gaussianity."""

from __future__ import annotations

from dataclasses import dataclass

from . import section


@section("nonin", smoke=dict(width=64, steps=12, starts=64, rep_steps=20),
         long=dict(steps=12_000),
         paper=dict(width=1024, steps=20_000, starts=2048, rep_steps=2000))
@dataclass(frozen=True)
class NoninvertibilityConfig:
    width: int = 256          # first encoder width of the simplified MLP at fc.image_size: 3*16*16 = 768 numbers
                              # -> 256, so the first layer is not invertible; then 256 -> 64
    layers: int = 2           # encoder layers, each a quarter as wide as the one before, mirrored by the decoder
    steps: int = 3000         # optimiser steps training the MLP to copy images; ~5 s on a CPU
    starts: int = 512         # K random starts for one target, one batch: 512 x 768 pooled deviations
                              # (per-pixel skew and kurtosis have standard errors ~0.11 and ~0.22)
    rep_steps: int = 1000     # representation steps. The untrained MLP's output hardly depends on its input:
    rep_lr: float = 1.0       # at the essay's lr 0.1 the loss is still at 60% of its start after 500 steps; at
                              # lr 1.0 and 1000 steps it falls >= 20x both before and after training (checked on
                              # losses alone, before any statistic)
