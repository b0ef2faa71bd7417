"""Batch normalisation's role: a batch-size-1 model, the blur test, sampling in train and eval mode."""

from __future__ import annotations

from dataclasses import dataclass

from . import section


@section("bn", smoke=dict(b1_steps=16, samples=8, sample_steps=4, sample_batch=4),
         long=dict(b1_steps=24_000),
         paper=dict(b1_steps=200_000, samples=512, sample_batch=64))
@dataclass(frozen=True)
class BatchNormStudyConfig:
    b1_steps: int = 6000      # optimiser steps of the U-Net trained with batch size 1; one image per step, so
                              # also the images it sees (~3.5 epochs; ~40 s on one CPU core)
    ref_batch: int = 8        # the batch size it is compared with (the essay: "8 or 16"); that model is trained
                              # on as many images: b1_steps // ref_batch steps
    blur_ref_size: int = 128  # side of the images the essay's blur test (GaussianBlur kernel 19, sigma 8) was
                              # run at; kernel and sigma are scaled by data.image_size / this
    samples: int = 64         # samples drawn per BatchNorm mode
    sample_steps: int = 30    # N, model calls per sample (the essay: 30 and 200)
    sample_batch: int = 32    # samples that share train-mode BatchNorm statistics (the training batch)
