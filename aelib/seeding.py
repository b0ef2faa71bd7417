"""Determinism, declared once: one ``set_seed`` for a process, and named random streams.

A named stream is a generator seeded with a hash of its name and keys (the seed of a repeat, a
step, an index): ``stream("corruption", seed)``. Two purposes with different names never share
draws by accident, the same name gives the same draws on purpose (a model and its control
corrupted alike), and no integer offset has to be chosen by hand to keep draws apart.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np
import torch


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and every GPU) with one integer."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def stream_seed(name: str, *keys: int | str) -> int:
    """The 63-bit seed of stream ``name`` at ``keys``: the first 8 bytes of SHA-256 of
    ``name/key/key...``, so that it is the same on every machine and in every Python process."""
    text = "/".join([name, *map(str, keys)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def stream(name: str, *keys: int | str, device: str | torch.device = "cpu") -> torch.Generator:
    """A private torch generator for stream ``name`` at ``keys`` (see :func:`stream_seed`)."""
    return torch.Generator(device=device).manual_seed(stream_seed(name, *keys))
