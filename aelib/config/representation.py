"""Input representation: gradient descent on an input until a layer's output matches a target's."""

from __future__ import annotations

from dataclasses import dataclass

from . import NON_NEGATIVE, rule, section


@section("rep", smoke=dict(steps=10, targets=4), paper=dict(steps=1000, targets=64))
@dataclass(frozen=True)
class RepresentationConfig:
    steps: int = 500           # gradient steps (essay: 500 to 1000)
    lr: float = 0.1            # constant step size (essay: 0.1)
    loss_scale: float = 0.01   # s in s * sum|y_hat - layer(a)| (essay: 0.005 to 0.02)
    init_mean: float = 0.7     # a_0 ~ N(0.7, 0.05), as in the essay
    init_std: float = 0.05
    seed: int = rule(999, *NON_NEGATIVE)  # the essay's representation seed
    targets: int = 16          # targets represented at once (one batch)
