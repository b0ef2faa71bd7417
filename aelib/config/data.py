"""The data set and the images every experiment sees."""

from __future__ import annotations

from dataclasses import dataclass

from . import rule, section

DATASETS = ("photos", "folder", "lsun", "cifar10")


@section("data", smoke=dict(image_size=16, max_train=128, n_eval=16),
         paper=dict(dataset="lsun", image_size=64, n_eval=512))
@dataclass(frozen=True)
class DataConfig:
    dataset: str = rule("photos", f"one of {', '.join(map(repr, DATASETS))}", lambda v: v in DATASETS)
    # 'photos' ships with the repo; 'folder', 'lsun', 'cifar10' need a path
    path: str | None = None   # folder / .npy / lmdb / CIFAR root for the non-shipped sets
    image_size: int = 32      # working resolution (the essay: 32 CIFAR, 64 churches, 128-512 landscapes)
    crop_size: int = 64       # square cut from a shipped photo (short side 320 px) before resizing
    max_train: int | None = None  # cap on training images (None: every crop of the training photos)
    n_eval: int = 64          # held-out images used for every metric
