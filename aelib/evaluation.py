"""One representation descent, measured and gated: the evaluation step that several chapters repeat.

A model's output ``O(a)`` (or a layer's) is represented from the random start ``a_0`` that the
configuration draws (:func:`aelib.representation.start_for`), by gradient descent on the input
(:func:`aelib.representation.represent`). The record holds the representation ``a_g``, the
start, every loss value, the errors ``e`` and ``e0`` of ``a_g`` and ``a_0`` (raw and after the
per-channel affine fit, :func:`aelib.representation.errors`) and the two descent gates
(:func:`aelib.gates.descent`: did ``e_aff`` move from its start, did the loss level off).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch

from . import gates
from .representation import RepresentationConfig, errors, represent, represent_tracked, start_for


def descent(subject: str, model: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
            cfg: RepresentationConfig, seed: int, *, target: torch.Tensor | None = None,
            at: Iterable[int] | None = None) -> dict:
    """Represent ``x`` through ``model`` with ``cfg`` and measure it against ``target`` (default
    ``x``): ``{"a_g", "a0", "losses", "x", "e", "e0", "gates"}``, with ``e`` and ``e0`` the
    :func:`aelib.representation.errors` dicts (``raw``, ``affine``) and ``gates`` the descent
    gates on ``e_aff`` (``subject`` and ``seed`` name them). ``at`` (step counts) also keeps a copy
    of the representation at those steps under ``"snaps"`` (:func:`aelib.representation.represent_tracked`)."""
    target = x if target is None else target
    a0 = start_for(x, cfg)
    out = {"a0": a0, "x": x}
    if at is None:
        out["a_g"], out["losses"] = represent(model, x, cfg, record_every=1)
    else:
        out["a_g"], out["losses"], out["snaps"] = represent_tracked(model, x, cfg, at)
    out["e"], out["e0"] = errors(out["a_g"], target), errors(a0, target)
    out["gates"] = gates.descent(subject, out["e"]["affine"], out["e0"]["affine"], out["losses"], seed)
    return out
