"""The book's three scales. Chapters name a profile; every size lives here.

- ``smoke``: seconds per chapter; what the tests run. Numbers are meaningless, code paths are real.
- ``cpu``:   the default main job: the whole book in minutes on a 2-core laptop.
- ``paper``: the essay's data sizes, resolutions and model widths; a GPU job.

Used by every chapter (``PROFILE`` in each chapter's ``parameters`` cell).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field


class ProfileError(ValueError):
    """An unknown profile name or an unknown / ill-typed override."""


@dataclass(frozen=True)
class Profile:
    name: str
    # --- data -------------------------------------------------------------------------------
    dataset: str = "photos"          # 'photos' ships with the repo; 'folder', 'lsun', 'cifar10' need a path
    data_path: str | None = None     # folder / .npy / lmdb / CIFAR root for the non-shipped sets
    image_size: int = 32             # working resolution (the essay: 32 CIFAR, 64 churches, 128-512 landscapes)
    crop_size: int = 64              # square cut from a shipped photo (short side 320 px) before resizing
    max_train: int | None = None     # cap on training images (None: every crop of the training photos)
    n_eval: int = 64                 # held-out images used for every metric
    # --- models -----------------------------------------------------------------------------
    fc_image_size: int = 16          # the FC model's resolution: at 32x32 it costs ~15x the U-Net per image
                                     # on a CPU, so the cpu profile trains it on the same crops at 16x16
    fc_width: int = 1000             # hidden width; 1000 > 3*16*16 = 768 keeps the essay's 1.3x overcompleteness
                                     # (essay: 4000 for 3*32*32 = 3072)
    fc_hidden: int = 5               # hidden layers of the FC autoencoder (essay: "5 hidden layers")
    unet_base: int = 16              # feature maps of the first U-Net level (essay: 64)
    unet_depth: int = 2              # down-sampling levels (essay: 4). base 16, depth 2 keeps the
                                     # essay's bottleneck/input ratio of 4/3 at any resolution
    hidden_mlp: tuple[int, ...] = (500, 100, 500)  # the essay's restrictive 3-layer bottleneck MLP
    # --- training ---------------------------------------------------------------------------
    batch_size: int = 32             # essay: 16 (landscapes) to 512 (CIFAR); 32 is a CPU compromise
    steps: int = 1500                # optimiser steps per model
    fc_steps: int = 1500             # optimiser steps for the FC autoencoder
    lr: float = 3e-4                 # essay: 1e-4. Chosen among 1e-4, 3e-4, 1e-3, 3e-3 by held-out clean
                                     # reconstruction error alone (FC and no-skip U-Net, 1500 steps)
    checkpoint_every: int = 250      # optimiser steps between atomic checkpoints (resume granularity)
    # --- input representation ---------------------------------------------------------------
    rep_steps: int = 500             # essay: 500-1000 iterations
    rep_lr: float = 0.1              # essay: 0.1, constant
    rep_scale: float = 0.01          # s in s * sum|y_hat - O(a)| (essay: 0.005-0.02)
    rep_targets: int = 16            # targets represented at once (one batch)
    # --- metrics ----------------------------------------------------------------------------
    sw_projections: int = 256        # random directions for sliced Wasserstein
    sw_patches: int = 4096           # pyramid patches drawn per image set and level
    # --- misc -------------------------------------------------------------------------------
    seed: int = 0                    # every experiment derives its seeds from this one
    device: str = "cpu"              # 'cuda' for paper runs
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def with_overrides(self, **overrides) -> "Profile":
        """A copy with some fields changed; unknown names or wrong types raise ProfileError."""
        known = {f.name: f for f in dataclasses.fields(self)}
        for key, value in overrides.items():
            if key not in known or key in ("name", "extra"):
                raise ProfileError(
                    f"unknown profile parameter {key!r}; known: {', '.join(sorted(k for k in known if k not in ('name', 'extra')))}"
                )
            current = getattr(self, key)
            if current is not None and value is not None and not isinstance(value, type(current)):
                if not (isinstance(current, float) and isinstance(value, int)):
                    raise ProfileError(f"profile parameter {key!r} must be {type(current).__name__}, got {value!r}")
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                raise ProfileError(f"profile parameter {key!r} must not be negative, got {value}")
        return dataclasses.replace(self, **overrides)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke", image_size=16, crop_size=64, max_train=128, n_eval=16,
        fc_image_size=8, fc_width=256, fc_hidden=5, unet_base=8, unet_depth=2, hidden_mlp=(64, 16, 64),
        batch_size=16, steps=12, fc_steps=12, checkpoint_every=5,
        rep_steps=10, rep_targets=4, sw_projections=32, sw_patches=256,
    ),
    "cpu": Profile(name="cpu"),
    "paper": Profile(
        name="paper", dataset="lsun", image_size=64, max_train=None, n_eval=512,
        fc_image_size=32, fc_width=4000, fc_hidden=5, unet_base=64, unet_depth=4,
        batch_size=64, steps=200_000, fc_steps=100_000, lr=1e-4, checkpoint_every=2000,
        rep_steps=1000, rep_targets=64, sw_projections=512, sw_patches=16384, device="cuda",
    ),
}


def get(name: str | Profile, **overrides) -> Profile:
    """The named profile, with optional field overrides (clear error on anything unknown)."""
    if isinstance(name, Profile):
        return name.with_overrides(**overrides) if overrides else name
    if name not in PROFILES:
        raise ProfileError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    prof = PROFILES[name]
    env_path = os.environ.get("AELIB_DATA")
    if env_path and prof.dataset != "photos":
        prof = dataclasses.replace(prof, data_path=env_path)
    return prof.with_overrides(**overrides) if overrides else prof
