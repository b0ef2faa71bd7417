"""The validity gates' measurements: does a model work, was it trained to the rule, did a descent move.

Each function returns a :class:`aelib.verdict.GateCheck` (its limit is in :data:`aelib.claims.GATES`).

- *model works*: held-out clean reconstruction error of the model over that of the mean training
  image, the median over images of ``|x - a| / |a|``; below 1 beats the trivial baseline.
- *trained to rule*: :func:`train_to_rule` trains to the profile's cap, measuring the held-out
  reconstruction error at cap/4, cap/2 and cap; the model is trained when the error fell by less
  than the gate's limit over the last doubling (cap/2 -> cap). Otherwise the cap, not a plateau,
  ended training: the gate fails, with the remaining improvement as its value. (An earlier stop at
  the first small doubling was rejected: on the cpu U-Net the held-out error fell 4 % from 375 to
  750 steps, 2 % to 1500 and 21 % to 3000, so a first small step is not a plateau.)
- *descent moved* / *descent converged*: a representation descent's error moved from its start
  value ``e0``, and its loss stopped changing over its last fifth of steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from . import claims
from .seeding import stream_seed
from .verdict import GateCheck, check


def _rel_err(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    return (x - a).flatten(1).norm(dim=1) / a.flatten(1).norm(dim=1).clamp_min(1e-12)


@torch.no_grad()
def heldout_error(model: torch.nn.Module, a: torch.Tensor, batch: int | None = None) -> float:
    """Median relative clean reconstruction error ``|O(a) - a| / |a|`` in the model's current mode,
    over ``a`` taken ``batch`` images at a time (train-mode BatchNorm normalises over each batch).
    A train-mode call leaves the BatchNorm running statistics untouched (they would otherwise move
    toward the held-out batch and contaminate later eval-mode numbers).

    A model that draws noise in its forward pass (the attention U-Net's noisy residuals) draws it
    from the named stream "held-out error", inside a forked random state: the error does not depend
    on what ran before (a model just trained and the same model loaded from the cache give the same
    number), and the caller's random state is left as it was."""
    from .batchnorm import batch_statistics

    batch = batch or len(a)
    errs = []
    with torch.random.fork_rng(devices=[a.device] if a.is_cuda else []):
        torch.manual_seed(stream_seed("held-out error"))
        for i in range(0, len(a), batch):
            x = a[i:i + batch]
            if isinstance(model, torch.nn.Module) and model.training:
                with batch_statistics(model):
                    y = model(x)
            else:
                y = model(x)
            errs.append(_rel_err(y.float(), x))
    return float(torch.cat(errs).median())


def mean_image_error(train_images: torch.Tensor, a: torch.Tensor) -> float:
    """The same error for the trivial baseline that outputs the mean training image."""
    mean = train_images.float().mean(0, keepdim=True)
    if mean.max() > 1.5:  # uint8 images
        mean = mean / 255.0
    return float(_rel_err(mean.to(a.device).expand_as(a), a).median())


def model_works(subject: str, model: torch.nn.Module, a: torch.Tensor, train_images: torch.Tensor,
                seed: int | None = None, batch: int | None = None) -> GateCheck:
    """Held-out reconstruction error of ``model`` over that of the mean training image."""
    return check("model works", subject,
                 heldout_error(model, a, batch) / max(mean_image_error(train_images, a), 1e-12), seed)


@dataclass
class RuleRun:
    """A model trained along the doubling schedule of the stopping rule."""
    trained: object                       # aelib.cache.Trained at the step where training stopped
    curve: list[tuple[int, float]]        # (steps, held-out error) at every point of the schedule reached
    reason: str                           # 'plateau' (last doubling improved < the gate's limit) or 'cap'
    improvement: float                    # relative fall of the held-out error over the last doubling
    subject: str = ""
    seed: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def model(self):
        return self.trained.model

    @property
    def steps(self) -> int:
        return self.trained.steps

    def gate(self) -> GateCheck:
        return check("trained to rule", self.subject, self.improvement, self.seed)

    def as_dict(self) -> dict:
        return {"subject": self.subject, "seed": self.seed, "steps": self.steps, "reason": self.reason,
                "improvement": self.improvement, "curve": [[s, e] for s, e in self.curve]}


def schedule(cap: int, doublings: int = 2) -> list[int]:
    """``cap / 2**doublings, ..., cap / 2, cap`` (distinct positive integers)."""
    pts = sorted({max(1, cap >> k) for k in range(doublings, -1, -1)})
    return pts


def train_to_rule(train_at: Callable[[int], object], error_of: Callable[[torch.nn.Module], float], cap: int, *,
                  subject: str = "", seed: int | None = None, doublings: int = 2) -> RuleRun:
    """Train with ``train_at(steps)`` (cached runs resume from the shorter one) to each point of
    :func:`schedule`, recording the held-out error ``error_of(model)``; the run ends at ``cap`` and
    reason is 'plateau' when the last doubling improved the error by less than the gate's limit,
    'cap' otherwise."""
    tol = claims.GATES["trained to rule"].limit
    curve: list[tuple[int, float]] = []
    run = None
    improvement = float("nan")
    reason = "cap"
    for steps in schedule(cap, doublings):
        run = train_at(steps)
        err = float(error_of(run.model))
        if curve:
            prev = curve[-1][1]
            improvement = (prev - err) / max(abs(prev), 1e-12)
        curve.append((steps, err))
    if len(curve) == 1:  # a schedule of one point (cap = 1): nothing to judge
        improvement = float("nan")
    elif improvement < tol:
        reason = "plateau"
    return RuleRun(run, curve, reason, improvement, subject, seed)


def descent(subject: str, e: float, e0: float, losses: list[float] | torch.Tensor | None = None,
            seed: int | None = None) -> list[GateCheck]:
    """'descent moved' (|e - e0| / e0) and, when the loss curve is given, 'descent converged'
    (relative change of the loss over its last fifth of steps)."""
    out = [check("descent moved", subject, abs(float(e) - float(e0)) / max(abs(float(e0)), 1e-12), seed)]
    if losses is not None:
        ls = [float(x) for x in (losses.tolist() if isinstance(losses, torch.Tensor) else losses)]
        if len(ls) >= 5:
            k = max(1, len(ls) // 5)
            a, b = ls[-k - 1], ls[-1]
            out.append(check("descent converged", subject, abs(a - b) / max(abs(a), 1e-12), seed))
        else:
            out.append(check("descent converged", subject, None, seed))
    return out
