"""The sizes of the book's two autoencoders: the overcomplete FC model and the U-Net."""

from __future__ import annotations

from dataclasses import dataclass

from . import section


@section("fc", smoke=dict(image_size=8, width=256, steps=12),
         long=dict(steps=6000), paper=dict(image_size=32, width=4000, steps=100_000))
@dataclass(frozen=True)
class FCSizes:
    image_size: int = 16   # the FC model's resolution: at 32x32 it costs ~15x the U-Net per image on a CPU,
                           # so the cpu profile trains it on the same crops at 16x16
    width: int = 1000      # hidden width; 1000 > 3*16*16 = 768 keeps the essay's 1.3x overcompleteness
                           # (essay: 4000 for 3*32*32 = 3072)
    n_hidden: int = 5      # hidden layers (essay: "5 hidden layers")
    steps: int = 1500      # optimiser steps for the FC autoencoder


@section("unet", smoke=dict(base=8, hidden_mlp=(64, 16, 64)), paper=dict(base=64, depth=4))
@dataclass(frozen=True)
class UNetSizes:
    base: int = 16         # feature maps of the first U-Net level (essay: 64)
    depth: int = 2         # down-sampling levels (essay: 4). base 16, depth 2 keeps the essay's
                           # bottleneck/input ratio of 4/3 at any resolution
    hidden_mlp: tuple[int, ...] = (500, 100, 500)  # the essay's restrictive 3-layer bottleneck MLP
