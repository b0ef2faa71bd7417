"""Generation by iterated denoise-and-renoise: sampling lengths, sample counts, and the U-Net variants."""

from __future__ import annotations

from dataclasses import dataclass

from . import section


@section("diff", smoke=dict(steps=(4, 8), samples=8, batch=4, frame_every=2, variant_steps=6, small_steps=3,
                            compare_steps=4, sw_repeats=1),
         paper=dict(samples=512, batch=64, variant_steps=100_000, small_steps=50_000, compare_steps=200,
                    sw_repeats=5))
@dataclass(frozen=True)
class SamplingConfig:
    steps: tuple[int, ...] = (30, 200)  # N of the denoise-and-renoise sampler (the essay: 30 in its figure,
                              # 200 in its video); N + 1 network evaluations per sample
    samples: int = 64         # samples per model and N, each from its own noise (SW, spread, neighbours)
    batch: int = 32           # chains sampled together, sharing train-mode BatchNorm statistics (the training
                              # batch size, so the statistics are as in training)
    frame_every: int = 10     # sampler steps between recorded O(a_n) at the largest N: 21 GIF frames at N = 200;
                              # a smaller N records proportionally more often (every step at 30)
    variant_steps: int = 300  # optimiser steps of the base, wide and wide + deep U-Nets compared (same steps and
                              # images seen for all three; not compute matched: the wide model costs 4x, wide +
                              # deep 5.8x the base's FLOPs per step, ~50 s each on 2 CPU cores)
    small_steps: int = 150    # the small budget: the base U-Net at this many steps, against wide + deep at
                              # variant_steps (2x the steps, ~11x the FLOPs, like the essay's 1 RTX 3060 vs
                              # 4 V100 with a larger model)
    compare_steps: int = 30   # N used to sample the variants (the wide models cost 3x per evaluation on a CPU)
    sw_repeats: int = 3       # SW seeds (patch draws and projections) averaged per comparison of the variants;
                              # their spread is reported as the measurement's own noise
