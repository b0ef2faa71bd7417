"""Generation by iterated denoise-and-renoise: sampling lengths and sample counts."""

from __future__ import annotations

from dataclasses import dataclass

from . import section


@section("diff", smoke=dict(steps=(4, 8), samples=8, batch=4, frame_every=2, compare_steps=4),
         paper=dict(samples=512, batch=64, compare_steps=200))
@dataclass(frozen=True)
class SamplingConfig:
    steps: tuple[int, ...] = (30, 200)  # N of the denoise-and-renoise sampler (the essay: 30 in its figure,
                              # 200 in its video); N + 1 network evaluations per sample
    samples: int = 64         # samples per model and N, each from its own noise (SW, spread, neighbours)
    batch: int = 32           # chains sampled together, sharing train-mode BatchNorm statistics (the training
                              # batch size, so the statistics are as in training)
    frame_every: int = 10     # sampler steps between recorded O(a_n) at the largest N: 21 GIF frames at N = 200;
                              # a smaller N records proportionally more often (every step at 30)
    compare_steps: int = 30   # N used to sample the variants (the wide models cost 3x per evaluation on a CPU)
