"""Copying, memorizing and generalizing: the data-size ladder, single examples, width maps, attractors."""

from __future__ import annotations

from dataclasses import dataclass

from . import rule, section


@section("mem", smoke=dict(image_size=8, ladder=(1, 4, 16), steps=6, samples=4, sample_steps=4, single_steps=6,
                           fc_widths=(64, 256), fc_steps=(3, 6), power_iters=5, iterate_steps=5, starts=8),
         long=dict(steps=1600, single_steps=6000, fc_steps=(400, 1200, 4000)),
         paper=dict(image_size=32, ladder=(1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 1 << 30), steps=20_000,
                    samples=64, single_steps=5000, fc_widths=(1024, 3072, 4000, 8192),
                    fc_steps=(10_000, 30_000, 100_000), power_iters=100, iterate_steps=1000, starts=64))
@dataclass(frozen=True)
class MemorizationConfig:
    image_size: int = 16      # side of every ladder model (photos and digits): the ladder trains 2 x len(ladder)
                              # U-Nets per data set, ~4x cheaper at 16 than at 32
    ladder: tuple[int, ...] = (1, 8, 64, 256, 1024)  # N, training images per model of the two-denoiser test; a
                              # rung above the smaller half of a data set is cut to that half (five rungs: 2 x 5
                              # models per data set is what ~2.5 minutes allow)
    steps: int = 400          # optimiser steps of every ladder model, the same for every N (train.batch_size
                              # images per step; below that many images, the N images are repeated); ~7 s each
    digits: bool = True       # run the ladder on the UCI digits (scikit-learn) too
    samples: int = 16         # seeds sampled per ladder pair; both models start from the same noise
    sample_steps: int = 30    # N of the denoise-and-renoise sampler for the ladder
    single_steps: int = 1500  # optimiser steps of the single-example models, both at fc.image_size: the U-Net's
                              # copying loss of its one image was still 0.016 after 500 steps (at 32x32), so it
                              # gets as many steps as the book's models (loss checked only)
    fc_widths: tuple[int, ...] = (384, 768, 1000, 1536)  # FC widths of the width map at fc.image_size: 3 x 16 x 16
                              # = 768 inputs, so 0.5x, 1x, 1.3x (the book's) and 2x complete (a step costs
                              # ~width^2: 2048 took 90 s for 1500 steps, over budget)
    fc_steps: tuple[int, ...] = (100, 300, 1000)  # training lengths of the width map; each longer run resumes from
                              # the shorter one, so a width costs its longest run only
    power_iters: int = rule(20, "an integer >= 2 (power iteration compares successive steps)", lambda v: v >= 2)
    # power-iteration steps estimating a Jacobian's spectral radius; the estimate is the geometric mean growth
    # over the last half
    iterate_steps: int = 100  # applications of O when iterating to an attractor
    starts: int = 16          # training images (and their noisy copies, and noise images) iterated
    conv_tol: float = 1e-3    # converged: |O(x) - x| / |x| below this after iterate_steps (the walk's tolerance,
                              # so that attractors and still walks compare like with like)
    retrieve_corr: float = rule(0.95, "a number in (0, 1] (a correlation)", lambda v: 0 < v <= 1)
    # retrieved: converged and correlation >= this with the nearest training image
