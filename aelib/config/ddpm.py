"""The DDPM baseline trained at the same cost, sampled with DDIM."""

from __future__ import annotations

from dataclasses import dataclass

from . import section


@section("ddpm", smoke=dict(steps=(4, 8), samples=8), paper=dict(samples=512))
@dataclass(frozen=True)
class DDPMStudyConfig:
    steps: tuple[int, ...] = (30, 200)  # sampling lengths compared: the essay's sampler with N steps (N + 1 network
                              # calls per sample) against DDIM with as many steps (one call each) on the baseline
    samples: int = 64         # samples per sampler and length, each from its own noise (as diff.samples); both
                              # samplers run them in batches of diff.batch
