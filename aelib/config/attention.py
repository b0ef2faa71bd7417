"""Attention: the attention U-Net and the single-attention autoencoders."""

from __future__ import annotations

from dataclasses import dataclass

from . import section


@section("attn", smoke=dict(heads=1, dim_head=8, maps=16, small_size=8, steps=12, rep_targets=4),
         long=dict(steps=1200),
         paper=dict(unet_base=128, heads=4, dim_head=32, small_size=32, steps=100_000, rep_targets=64))
@dataclass(frozen=True)
class AttentionStudyConfig:
    unet_base: int = 8        # first-level maps of the attention U-Net (essay: 128). With 2 heads of 16, 8 gives
                              # ~130k parameters, near the 117k of the no-skip U-Net it is compared with
    unet_depth: int = 2       # its 2x down-samplings (essay: 2, i.e. levels of 1, 2, 4 times the first width)
    heads: int = 2            # heads of every attention layer (essay: 4)
    dim_head: int = 16        # features per head (essay: 32); 2 x 16 makes a dot-product step ~3x cheaper
    maps: int = 64            # maps of the input and output convolutions around one attention (essay: 64)
    small_size: int = 16      # resolution of the single-attention models (essay: 32x32 for dot product; the
                              # linear one unstated). Dot-product attention over 32x32 = 1024 positions costs
                              # ~2.4 s per training step on one CPU core; over 16x16, ~0.15 s
    steps: int = 300          # optimiser steps per attention model: what a 3-minute budget allows for five new
                              # models on 2 CPU cores (one step of either attention U-Net costs ~2x the U-Net's)
    rep_targets: int = 8      # held-out images represented per model (rep.steps each; 6 models)
