"""The book's three scales. Chapters name a profile; every size lives here.

- ``smoke``: seconds per chapter; what the tests run. Numbers are meaningless, code paths are real.
- ``cpu``:   the default main job: the whole book in minutes on a 2-core laptop.
- ``paper``: the essay's data sizes, resolutions and model widths; a GPU job.

Used by every chapter (``PROFILE`` in each chapter's ``parameters`` cell).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field


class ProfileError(ValueError):
    """An unknown profile name, an unknown override, or a field of the wrong type, out of range or
    inconsistent with another (see :meth:`Profile.validate`)."""


DATASETS = ("photos", "folder", "lsun", "cifar10")
DEVICES = ("cpu", "cuda")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)  # isinstance(True, int) holds in Python


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# A field's type (its annotation, as written in Profile) -> (what it must be, test). Every field's
# type is here (a test checks it); JSON lists from AELIB_OVERRIDES arrive as tuples.
TYPE_RULES = {
    "int": ("int (a whole number; true and false are not integers)", _is_int),
    "int | None": ("int or null", lambda v: v is None or _is_int(v)),
    "float": ("a number (true and false are not numbers)", _is_number),
    "bool": ("bool (true or false)", lambda v: isinstance(v, bool)),
    "str": ("str", lambda v: isinstance(v, str)),
    "str | None": ("str or null", lambda v: v is None or isinstance(v, str)),
    "tuple[int, ...]": ("a list of int", lambda v: isinstance(v, tuple) and all(map(_is_int, v))),
    "tuple[float, ...]": ("a list of numbers", lambda v: isinstance(v, tuple) and all(map(_is_number, v))),
    "dict": ("dict", lambda v: isinstance(v, dict)),
}

# The range of a field of each numeric type: sizes, counts and steps are positive, and so are the
# learning rates, scales and tolerances; a list is non-empty.
_POSITIVE = ("a positive integer (it must not be negative or zero)", lambda v: v > 0)
RANGE_BY_TYPE = {
    "int": _POSITIVE,
    "int | None": ("null (no cap) or a positive integer (it must not be negative or zero)", lambda v: v > 0),
    "float": ("a positive finite number", lambda v: math.isfinite(v) and v > 0),
    "tuple[int, ...]": ("a non-empty list of positive integers", lambda v: len(v) > 0 and min(v) > 0),
}
# ... and the fields whose range differs from their type's
RANGE_RULES = {
    "seed": ("a non-negative integer", lambda v: v >= 0),
    "seeds": ("a non-empty list of distinct non-negative integers",
              lambda v: len(v) > 0 and min(v) >= 0 and len(set(v)) == len(v)),
    "walk_eps": ("a finite number >= 0 (a noise level)", lambda v: math.isfinite(v) and v >= 0),
    "walk_eps_list": ("a non-empty list of finite numbers >= 0 (noise levels)",
                      lambda v: len(v) > 0 and all(math.isfinite(x) and x >= 0 for x in v)),
    "mem_retrieve_corr": ("a number in (0, 1] (a correlation)", lambda v: 0 < v <= 1),
    "mem_power_iters": ("an integer >= 2 (power iteration compares successive steps)", lambda v: v >= 2),
}
CHOICES = {"dataset": ("data set", DATASETS), "device": ("device", DEVICES)}


def _field_error(name: str, value, requirement: str, fix) -> "ProfileError":
    """The one message of a bad field: its name, what it must be, the bad value and a setting that works."""
    return ProfileError(f"profile field {name!r} must be {requirement}, got {value!r} "
                        f"(set it with AELIB_OVERRIDES='{json.dumps({name: fix})}')")


def _shipped(prof: "Profile", name: str):
    """Field ``name`` of the shipped profile called like ``prof`` (the cpu profile's for another name):
    the value a message suggests as the fix."""
    return getattr(PROFILES.get(prof.name) or PROFILES["cpu"], name)


def _check_field(prof: "Profile", name: str, value) -> None:
    """Type, then range (or choice) of one field's value; raises ProfileError suggesting the shipped value."""
    fix = _shipped(prof, name)
    kind = _FIELD_TYPES[name]
    what, ok = TYPE_RULES[kind]
    if not ok(value):
        raise _field_error(name, value, what, fix)
    if value is None:
        return
    if name in CHOICES:
        noun, options = CHOICES[name]
        if value not in options:
            raise ProfileError(f"profile field {name!r} names an unknown {noun} {value!r}; it must be one of "
                               f"{', '.join(map(repr, options))} "
                               f"(set it with AELIB_OVERRIDES='{json.dumps({name: fix})}')")
        return
    rule = RANGE_RULES.get(name) or RANGE_BY_TYPE.get(kind)
    if rule is not None and not rule[1](value):
        raise _field_error(name, value, rule[0], fix)


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
    # --- chapter 04: manifold walk ------------------------------------------------------------
    walk_steps: int = 300            # re-encodings per walk (the essay's video: 300)
    walk_eps: float = 0.2            # std of the noise added to the U-Net bottleneck h per step (essay: 0.2)
    walk_eps_list: tuple[float, ...] = (0.0, 0.2)  # noise levels walked and shown in the explorer
                                     # (0: the noise-free walk of C13, reused; 0.2: the walk of C12, reused)
    walk_walkers: int = 64           # held-out images walked; fractions have a resolution of 1/64
    walk_batch: int = 8              # walkers sharing BatchNorm statistics (the essay's "7/8" suggests 8)
    walk_frame_every: int = 10       # steps between recorded frames: 31 frames, a 4 s video at 8 fps (~0.7 MB)
    walk_tol: float = 1e-3           # still walking: |g_K - g_{K-1}| / |g_K| above this (round-off ~1e-7)
    walk_train_mults: tuple[int, ...] = (1, 2)  # training lengths compared (C14), in units of `steps`;
                                     # each longer run resumes from the cached shorter one
    walk_sw_points: int = 5          # recorded frames (evenly spaced, start and end included) scored by SW
    # --- chapter 03: noninvertibility ---------------------------------------------------------
    nonin_width: int = 256           # first encoder width of the simplified MLP at fc_image_size: 3*16*16 = 768
                                     # numbers -> 256, so the first layer is not invertible; then 256 -> 64
    nonin_layers: int = 2            # encoder layers, each a quarter as wide as the one before, mirrored by
                                     # the decoder (ModelConfig kind='mlp': width, n_hidden)
    nonin_steps: int = 3000          # optimiser steps training the MLP to copy images (C11); ~5 s on a CPU
    nonin_starts: int = 512          # K random starts for one target, one batch: 512 x 768 pooled deviations
                                     # (per-pixel skew and kurtosis have standard errors ~0.11 and ~0.22)
    nonin_rep_steps: int = 1000      # representation steps. The untrained MLP's output hardly depends on its
    nonin_rep_lr: float = 1.0        # input: at the essay's lr 0.1 the loss is still at 60% of its start
                                     # after 500 steps; at lr 1.0 and 1000 steps it falls >= 20x both before
                                     # and after training (checked on losses alone, before any statistic)
    # --- chapter 06: batchnorm ---------------------------------------------------------------
    bn_b1_steps: int = 6000          # optimiser steps of the U-Net trained with batch size 1 (C21); one image per
                                     # step, so also the images it sees (~3.5 epochs; ~40 s on one CPU core)
    bn_ref_batch: int = 8            # the batch size it is compared with (the essay: "8 or 16"); that model is
                                     # trained on as many images: bn_b1_steps // bn_ref_batch steps
    bn_blur_ref_size: int = 128      # side of the images the essay's blur test (GaussianBlur kernel 19, sigma 8)
                                     # was run at; kernel and sigma are scaled by image_size / this
    bn_samples: int = 64             # samples drawn with aelib.sampler per BatchNorm mode (C23)
    bn_sample_steps: int = 30        # N, model calls per sample (the essay: 30 and 200)
    bn_sample_batch: int = 32        # samples that share train-mode BatchNorm statistics (the training batch)
    # --- chapter 05: diffusion ---------------------------------------------------------------
    diff_steps: tuple[int, ...] = (30, 200)  # N of the denoise-and-renoise sampler (the essay: 30 in its
                                     # figure, 200 in its video); N + 1 network evaluations per sample
    diff_samples: int = 64           # samples per model and N, each from its own noise (SW, spread, neighbours)
    diff_batch: int = 32             # chains sampled together, sharing train-mode BatchNorm statistics
                                     # (the training batch size, so the statistics are as in training)
    diff_frame_every: int = 10       # sampler steps between recorded O(a_n) at the largest N: 21 GIF frames at
                                     # N = 200; a smaller N records proportionally more often (every step at 30)
    diff_variant_steps: int = 300    # optimiser steps of base, wide and wide + deep U-Nets compared in C17
                                     # (same steps and images seen for all three; not compute matched: the wide
                                     # model costs 4x, wide + deep 5.8x the base's FLOPs per step, ~50 s each
                                     # on 2 CPU cores; 300 is what the chapter's 3.5-minute budget allows)
    diff_small_steps: int = 150      # the small budget of C18: the base U-Net at this many steps, against
                                     # wide + deep at diff_variant_steps (2x the steps, ~11x the FLOPs, like
                                     # the essay's 1 RTX 3060 vs 4 V100 with a larger model)
    diff_compare_steps: int = 30     # N used to sample the variants of C17 and C18 (the wide models cost 3x
                                     # per evaluation on a CPU); C15 and C16 use every N of diff_steps
    diff_sw_repeats: int = 3         # SW seeds (patch draws and projections) averaged per comparison of C17,
                                     # C18; their spread is reported as the measurement's own noise
    # --- chapter 07: attention ---------------------------------------------------------------
    attn_unet_base: int = 8          # first-level maps of the attention U-Net (essay: 128). With 2 heads of 16, 8
                                     # gives ~130k parameters, near the 117k of the no-skip U-Net it is compared
                                     # with; it runs at image_size on the same data, attn_unet_depth 2x down-samplings
    attn_unet_depth: int = 2         # (essay: 2, i.e. levels of 1, 2, 4 times the first width)
    attn_heads: int = 2              # heads of every attention layer of chapter 07 (essay: 4)
    attn_dim_head: int = 16          # features per head (essay: 32); 2 x 16 makes a dot-product step ~3x cheaper
    attn_maps: int = 64              # maps of the input and output convolutions around one attention (essay: 64)
    attn_small_size: int = 16        # resolution of the single-attention models (essay: 32x32 for dot product; the
                                     # linear one unstated). Dot-product attention over 32x32 = 1024 positions costs
                                     # ~2.4 s per training step on one CPU core; over 16x16, ~0.15 s
    attn_steps: int = 300            # optimiser steps per attention model (the U-Net had `steps`): what the
                                     # chapter's 3-minute budget allows for five new models on 2 CPU cores
                                     # (one step of either attention U-Net costs ~2x the U-Net's)
    attn_rep_targets: int = 8        # held-out images represented per model (rep_steps each; 6 models)
    # --- chapter 08: copying, memorizing, generalizing ----------------------------------------
    mem_image_size: int = 16         # side of every ladder model of X2/X4 (photos and digits): the ladder trains
                                     # 2 x len(mem_ladder) U-Nets per data set, ~4x cheaper at 16 than at 32
    mem_ladder: tuple[int, ...] = (1, 8, 64, 256, 1024)  # N, training images per model of the two-denoiser test
                                     # (X2); a rung above the smaller half of a data set is cut to that half
                                     # (five rungs: 2 x 5 models per data set is what ~2.5 minutes allow)
    mem_steps: int = 400             # optimiser steps of every ladder model, the same for every N (batch_size
                                     # images per step; below batch_size images, the N images are repeated);
                                     # ~7 s per model on 2 CPU cores
    mem_digits: bool = True          # run the ladder on the UCI digits (scikit-learn) too
    mem_samples: int = 16            # seeds sampled per ladder pair; both models start from the same noise
    mem_sample_steps: int = 30       # N of the chapter-05 sampler for the ladder (its figure's value)
    mem_single_steps: int = 1500     # optimiser steps of the single-example models (X1), both at fc_image_size:
                                     # the U-Net's copying loss of its one image was still 0.016 after 500 steps
                                     # (at 32x32), so it gets as many steps as the book's models (loss checked only)
    mem_fc_widths: tuple[int, ...] = (384, 768, 1000, 1536)  # FC widths of the X3 map at fc_image_size:
                                     # 3 x 16 x 16 = 768 inputs, so 0.5x, 1x, 1.3x (the book's) and 2x complete
                                     # (a step costs ~width^2: 2048 took 90 s for 1500 steps, over budget)
    mem_fc_steps: tuple[int, ...] = (100, 300, 1000)  # training lengths of the X3 map; each longer run resumes
                                     # from the shorter one, so a width costs its longest run only
    mem_power_iters: int = 20        # power-iteration steps estimating a Jacobian's spectral radius (X4); the
                                     # estimate is the geometric mean growth over the last half
    mem_iterate_steps: int = 100     # applications of O when iterating to an attractor (X4)
    mem_starts: int = 16             # training images (and their noisy copies, and noise images) iterated (X4)
    mem_conv_tol: float = 1e-3       # converged: |O(x) - x| / |x| below this after mem_iterate_steps (the walk's
                                     # tolerance of C13, so that X5 compares like with like)
    mem_retrieve_corr: float = 0.95  # retrieved: converged and correlation >= this with the nearest training image
    # --- chapter 09: a diffusion model at the same cost ----------------------------------------
    ddpm_steps: tuple[int, ...] = (30, 200)  # sampling lengths compared: the essay's sampler with N steps
                                     # (N + 1 network calls per sample) against DDIM with as many steps (one call
                                     # each) on the DDPM baseline; the essay's 30 and 200, X6 at the largest
    ddpm_samples: int = 64           # samples per sampler and length, each from its own noise (as diff_samples);
                                     # the essay's sampler runs them in batches of diff_batch, DDIM too
    ddpm_sw_repeats: int = 3         # SW seeds (patch draws, projections) averaged per sample set; their standard
                                     # deviation is reported as the measurement's own noise
    # --- misc -------------------------------------------------------------------------------
    seed: int = 0                    # the data crops and split, and anything not repeated per seed
    seeds: tuple[int, ...] = (0, 1, 2)  # independent repeats of every claim: each retrains the models the
                                     # claim rests on and redraws its noise, starts and patches (verdicts
                                     # need at least 3: aelib.claims.MIN_SEEDS)
    device: str = "cpu"              # 'cuda' for paper runs
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def with_overrides(self, **overrides) -> "Profile":
        """A copy with some fields changed (lists become tuples). An unknown name, or a value of the
        wrong type or out of its field's range, raises ProfileError. Each changed field is checked
        alone: how fields must agree (the sizes the models are built at) is left to :meth:`validate`,
        which :func:`get` calls, because a chapter asks for its data at another resolution through
        this method (``image_size=fc_image_size``) without building the profile's U-Nets there."""
        known = {f.name for f in dataclasses.fields(self)} - {"name", "extra"}
        changed = {}
        for key, value in overrides.items():
            if key not in known:
                raise ProfileError(f"unknown profile parameter {key!r}; known: {', '.join(sorted(known))}")
            changed[key] = tuple(value) if isinstance(value, list) else value
            _check_field(self, key, changed[key])
        return dataclasses.replace(self, **changed)

    def validate(self) -> "Profile":
        """Check every field, then the sizes the chapters build their models at; returns ``self``.

        Runs before anything else (:func:`get` calls it on every resolved profile), so that a bad
        value fails at once with one message naming the field, the value and a value that works,
        instead of minutes later deep inside a kernel (``image_size`` 17 once failed in a U-Net's
        convolution with "Expected 3D or 4D tensor"). Raises :class:`ProfileError`."""
        for f in dataclasses.fields(self):
            _check_field(self, f.name, getattr(self, f.name))
        self._check_model_sizes()
        return self

    def _check_model_sizes(self) -> None:
        """The sizes at which the chapters build models with down-sampling (read off their
        ``model_config`` calls), and nothing stricter:

        - the U-Net at ``image_size`` halves it ``unet_depth`` times (chapters 01-06 and 09; chapter
          05's wide + deep variant ``unet_depth + 1`` times), and the hidden-MLP U-Net of chapters 02
          and 05 needs a bottleneck side divisible by 4: ``image_size`` divisible by 2**(unet_depth + 2);
        - chapter 08 builds U-Nets of depth ``unet_depth`` at ``fc_image_size`` and ``mem_image_size``;
        - chapter 07's attention U-Net halves ``image_size`` ``attn_unet_depth`` times and normalises
          ``attn_unet_base`` maps with GroupNorm(8);
        - chapter 03's MLP has ``nonin_layers`` encoder layers, each a quarter as wide as the last.

        The FC and MLP models at ``fc_image_size`` and chapter 07's single-attention models at
        ``attn_small_size`` do not down-sample: any positive size builds them."""
        d = self.unet_depth
        self._require_divisible("image_size", 2 ** (d + 2),
                                f"2**(unet_depth + 2) = {2 ** (d + 2)} (the U-Nets halve it unet_depth = {d} "
                                "times, and the hidden-MLP U-Net of chapters 02 and 05 needs a bottleneck side "
                                "divisible by 4)")
        self._require_divisible("fc_image_size", 2 ** d,
                                f"2**unet_depth = {2 ** d} (chapter 08 trains U-Nets at this size)")
        self._require_divisible("mem_image_size", 2 ** d,
                                f"2**unet_depth = {2 ** d} (chapter 08's ladder of U-Nets runs at this size)")
        self._require_divisible("attn_unet_base", 8, "8 (chapter 07's attention U-Net uses GroupNorm(8))")
        if self.image_size % 2 ** self.attn_unet_depth:
            deepest = max((k for k in range(1, self.attn_unet_depth) if self.image_size % 2 ** k == 0), default=1)
            raise _field_error("attn_unet_depth", self.attn_unet_depth,
                               f"at most {deepest} at image_size {self.image_size} (chapter 07's attention "
                               "U-Net halves image_size attn_unet_depth times)",
                               min(deepest, _shipped(self, "attn_unet_depth")))
        if self.nonin_width // 4 ** (self.nonin_layers - 1) < 1:
            most = max((k for k in range(1, self.nonin_layers) if self.nonin_width // 4 ** (k - 1) >= 1), default=1)
            raise _field_error("nonin_layers", self.nonin_layers,
                               f"at most {most} at nonin_width {self.nonin_width} (chapter 03's MLP makes each "
                               "encoder layer a quarter as wide as the one before)",
                               min(most, _shipped(self, "nonin_layers")))

    def _require_divisible(self, name: str, divisor: int, why: str) -> None:
        value = getattr(self, name)
        if value % divisor:
            raise _field_error(name, value, f"divisible by {why}", divisor * max(1, round(value / divisor)))


_FIELD_TYPES = {f.name: f.type for f in dataclasses.fields(Profile)}  # name -> annotation (a TYPE_RULES key)

PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke", seeds=(0, 1), image_size=16, crop_size=64, max_train=128, n_eval=16,
        fc_image_size=8, fc_width=256, fc_hidden=5, unet_base=8, unet_depth=2, hidden_mlp=(64, 16, 64),
        batch_size=16, steps=12, fc_steps=12, checkpoint_every=5,
        rep_steps=10, rep_targets=4, sw_projections=32, sw_patches=256,
        walk_steps=12, walk_walkers=8, walk_batch=4, walk_frame_every=3, walk_sw_points=3,
        nonin_width=64, nonin_steps=12, nonin_starts=64, nonin_rep_steps=20,
        bn_b1_steps=16, bn_samples=8, bn_sample_steps=4, bn_sample_batch=4,
        diff_steps=(4, 8), diff_samples=8, diff_batch=4, diff_frame_every=2, diff_variant_steps=6,
        diff_small_steps=3, diff_compare_steps=4, diff_sw_repeats=1,
        attn_heads=1, attn_dim_head=8, attn_maps=16, attn_small_size=8, attn_steps=12, attn_rep_targets=4,
        mem_image_size=8, mem_ladder=(1, 4, 16), mem_steps=6, mem_samples=4, mem_sample_steps=4, mem_single_steps=6,
        mem_fc_widths=(64, 256), mem_fc_steps=(3, 6), mem_power_iters=5, mem_iterate_steps=5, mem_starts=8,
        ddpm_steps=(4, 8), ddpm_samples=8, ddpm_sw_repeats=1,
    ),
    "cpu": Profile(name="cpu"),
    "paper": Profile(
        name="paper", dataset="lsun", image_size=64, max_train=None, n_eval=512,
        fc_image_size=32, fc_width=4000, fc_hidden=5, unet_base=64, unet_depth=4,
        batch_size=64, steps=200_000, fc_steps=100_000, lr=1e-4, checkpoint_every=2000,
        rep_steps=1000, rep_targets=64, sw_projections=512, sw_patches=16384, device="cuda",
        walk_walkers=256, walk_eps_list=(0.0, 0.2, 0.5), walk_sw_points=7,
        nonin_width=1024, nonin_steps=20_000, nonin_starts=2048, nonin_rep_steps=2000,
        bn_b1_steps=200_000, bn_samples=512, bn_sample_batch=64,
        diff_samples=512, diff_batch=64, diff_variant_steps=100_000, diff_small_steps=50_000,
        diff_compare_steps=200, diff_sw_repeats=5,
        attn_unet_base=128, attn_heads=4, attn_dim_head=32, attn_small_size=32, attn_steps=100_000,
        attn_rep_targets=64,
        mem_image_size=32, mem_ladder=(1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 1 << 30), mem_steps=20_000,
        mem_samples=64, mem_single_steps=5000, mem_fc_widths=(1024, 3072, 4000, 8192),
        mem_fc_steps=(10_000, 30_000, 100_000), mem_power_iters=100, mem_iterate_steps=1000, mem_starts=64,
        ddpm_samples=512, ddpm_sw_repeats=5,
    ),
}


def _env_overrides() -> dict:
    """The fields set with ``$AELIB_OVERRIDES``, a JSON object (e.g. ``'{"dataset": "photos", "steps": 3000}'``
    for a short paper run); empty when unset."""
    env = os.environ.get("AELIB_OVERRIDES")
    if not env:
        return {}
    try:
        extra = json.loads(env)
    except json.JSONDecodeError as err:
        raise ProfileError(f"AELIB_OVERRIDES is not a JSON object: {err}") from None
    if not isinstance(extra, dict):
        raise ProfileError("AELIB_OVERRIDES must be a JSON object of profile fields")
    return extra


def get(name: str | Profile, **overrides) -> Profile:
    """The named profile, then ``$AELIB_OVERRIDES``, then keyword ``overrides``, then ``$AELIB_DATA``;
    validated (:meth:`Profile.validate`), so a bad field fails here, before anything runs.

    ``$AELIB_DATA`` is the path of whichever data set the *resolved* profile names, so it is applied
    last: ``AELIB_OVERRIDES='{"dataset": "folder"}'`` or ``python -m aelib.train --dataset folder``
    finds its folder there. It is not applied to the shipped photos, nor where a ``data_path`` was
    given explicitly (keyword or ``$AELIB_OVERRIDES``). A :class:`Profile` passed in is taken as
    already resolved: only ``overrides`` apply to it before it is validated."""
    if isinstance(name, Profile):
        return (name.with_overrides(**overrides) if overrides else name).validate()
    if name not in PROFILES:
        raise ProfileError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    env_overrides = _env_overrides()
    prof = PROFILES[name].with_overrides(**env_overrides).with_overrides(**overrides)
    env_path = os.environ.get("AELIB_DATA")
    if env_path and prof.dataset != "photos" and "data_path" not in env_overrides and "data_path" not in overrides:
        prof = dataclasses.replace(prof, data_path=env_path)
    return prof.validate()


def threads_from_env() -> int | None:
    """The torch thread count asked for with ``$AELIB_THREADS``: None when unset (or empty), else a
    positive integer. Anything else raises ProfileError, so that a typo is refused before a run
    starts rather than in ``int()`` inside a chapter's kernel."""
    value = os.environ.get("AELIB_THREADS")
    if value is None or not value.strip():
        return None
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ProfileError(f"AELIB_THREADS must be a positive integer, got {value!r}")
    return n


def check_data(prof: Profile) -> int | None:
    """The checks of a profile that need its data set; returns the held-out count (None where it cannot
    be known cheaply: see :func:`aelib.data.heldout_size`, which reads image headers, not pixels).

    ``n_eval`` (the held-out images every metric uses) must not exceed the held-out set: slicing
    ``heldout[:n_eval]`` would silently evaluate on fewer. Raises ProfileError; a missing shipped
    photo raises :class:`aelib.data.DataError`."""
    from . import data  # imports torch; importing profiles stays light

    n = data.heldout_size(prof)
    if n is not None and prof.n_eval > n:
        raise ProfileError(f"profile field 'n_eval' must be at most the {n} held-out images of data set "
                           f"{prof.dataset!r} at profile {prof.name!r}, got {prof.n_eval} "
                           f"(set it with AELIB_OVERRIDES='{json.dumps({'n_eval': n})}')")
    return n
