"""The per-chapter context: the profile, the data, the ledger and the figure folder in one object.

A chapter starts with ``ch = aelib.chapter.start("01_identity", PROFILE)`` and then calls
``ch.data``, ``ch.train(...)``, ``ch.record(...)``, ``ch.figure(...)`` and ``ch.glue(...)``.
Used by every chapter.
"""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import torch

from . import cache, data, figures, gates, identity, ledger, models, paths, profiles, verdict
from .models import ModelConfig
from .representation import RepresentationConfig
from .seeding import set_seed
from .training import TrainConfig


class SharedModel(NamedTuple):
    """A model several chapters share: its kind, the switches :meth:`Chapter.model_config` gets on
    top of the profile's sizes, and the profile field that caps its training steps."""

    kind: str
    switches: dict
    steps_field: str


# The models several chapters share, named once: chapters ask for them by name (Chapter.shared,
# Chapter.shared_config) and ``python -m aelib.train`` trains them, so one name is one model.
SHARED: dict[str, SharedModel] = {
    "fc": SharedModel("fc", {}, "fc_steps"),
    "unet": SharedModel("unet", {"skips": "self"}, "steps"),
    "unet_skips": SharedModel("unet", {"skips": "concat"}, "steps"),
    "unet_hidden": SharedModel("unet", {"skips": "self", "hidden_mlp": True}, "steps"),
}


def _page_warning(message, category, filename, lineno, line=None) -> str:
    """A warning as a chapter page shows it: its category and message, without the emitting
    source file's absolute path on the machine that ran the chapter."""
    return f"{category.__name__}: {message}\n"


class Chapter:
    def __init__(self, name: str, profile: str | profiles.Profile, record: bool = True, **overrides):
        self.name = name
        self.profile = profiles.get(profile, **overrides)
        # Executed by the main job (aelib.execute), the ledger and figures go to the chapter's staging
        # folder and are published only if the whole chapter succeeds; run interactively, they go
        # straight to the published places, without a run key (so the main job re-executes the chapter).
        stage = os.environ.get("AELIB_STAGE") if os.environ.get("AELIB_STAGE_CHAPTER") == name else None
        key = os.environ.get("AELIB_RUN_KEY") if stage else None
        # record=False: a context for training only (python -m aelib.train), no ledger file
        self.ledger = (ledger.ChapterLedger(name, self.profile.name, path=Path(stage) / "ledger.json" if stage else None,
                                            key=key) if record else None)
        self.figure_dir = (Path(stage) / "figures" if stage and record
                           else paths.home() / "figures" / self.profile.name / name)
        self.device = self.profile.device if (self.profile.device != "cuda" or torch.cuda.is_available()) else "cpu"
        self.t0 = time.perf_counter()
        self._datasets: dict[int, data.ImageSet] = {}
        self.rule_runs: dict[str, dict] = {}
        # warnings a page shows name no local file of the machine that ran it
        warnings.formatwarning = _page_warning
        # one thread unless AELIB_THREADS says otherwise: results (and cached models) depend on it
        torch.set_num_threads(identity.threads())
        set_seed(self.profile.seed)

    # --- data and models -----------------------------------------------------------------
    @cached_property
    def data(self) -> data.ImageSet:
        """The profile's data set at its working resolution."""
        return self.data_at(self.profile.image_size)

    def data_at(self, size: int) -> data.ImageSet:
        """The same crops and split at another resolution (the FC model's, for instance)."""
        if size not in self._datasets:
            self._datasets[size] = data.load(self.profile.with_overrides(image_size=size))
        return self._datasets[size]

    def eval_images(self, size: int | None = None) -> torch.Tensor:
        """The fixed held-out evaluation batch (``n_eval`` images, floats in [0, 1])."""
        return self.data_at(size or self.profile.image_size).eval_batch(self.profile.n_eval, self.device)

    def model_config(self, kind: str, **kw) -> ModelConfig:
        """A model of ``kind`` at the profile's sizes: the FC autoencoder at ``fc_image_size`` with
        ``fc_width`` and ``fc_hidden``; any other kind at ``image_size``, with the profile's U-Net
        ``unet_base`` and ``unet_depth`` if its parameters have a ``base`` and ``depth``. ``kw`` sets
        ``image_size``, ``channels`` or any parameter of the kind (``hidden_mlp=True``: the
        profile's bottleneck MLP); a parameter the kind does not have is an error."""
        p = self.profile
        if kind == "fc":
            base = dict(image_size=p.fc_image_size, width=p.fc_width, n_hidden=p.fc_hidden)
        else:
            names = models.lookup(kind).param_names
            base = dict(image_size=p.image_size) | {k: v for k, v in (("base", p.unet_base), ("depth", p.unet_depth))
                                                     if k in names}
        if kw.pop("hidden_mlp", False) is True:
            kw["hidden_mlp"] = p.hidden_mlp
        return ModelConfig.of(kind, **(base | kw))

    @property
    def seeds(self) -> tuple[int, ...]:
        """The profile's seeds: each retrains the models a claim rests on and redraws noise and starts."""
        return self.profile.seeds

    def train_config(self, steps: int | None = None, seed: int | None = None, **kw) -> TrainConfig:
        p = self.profile
        return TrainConfig(steps=p.steps if steps is None else steps, batch_size=p.batch_size, lr=p.lr,
                           seed=p.seed if seed is None else seed, checkpoint_every=p.checkpoint_every, **kw)

    def train(self, name: str, model_cfg: ModelConfig, train_cfg: TrainConfig | None = None) -> cache.Trained:
        """Trained model from the shared cache (trains and caches it on a miss), on the profile's
        data at the model's resolution."""
        return cache.trained(name, model_cfg, self.data_at(model_cfg.image_size), train_cfg or self.train_config(),
                             device=self.device)

    def representation_config(self, **kw) -> RepresentationConfig:
        p = self.profile
        return RepresentationConfig(**(dict(steps=p.rep_steps, lr=p.rep_lr, loss_scale=p.rep_scale) | kw))

    def sw_config(self, **kw):
        from .metrics import SWConfig

        p = self.profile
        levels = max(1, min(3, (p.image_size // 8).bit_length()))
        return SWConfig(**(dict(levels=levels, n_patches=p.sw_patches, n_projections=p.sw_projections,
                                seed=p.seed) | kw))

    def generator(self, offset: int = 0, seed: int | None = None) -> torch.Generator:
        """A private generator for one draw of one seed (``offset`` keeps draws apart)."""
        s = self.profile.seed if seed is None else seed
        return torch.Generator(device=self.device).manual_seed(s * 10_007 + offset)

    # --- the stopping rule and the shared models --------------------------------------------
    def train_rule(self, name: str, model_cfg: ModelConfig, seed: int, cap: int | None = None,
                   train_cfg: TrainConfig | None = None, error_of=None, data: "data.ImageSet | None" = None,
                   subject: str | None = None) -> gates.RuleRun:
        """Train ``name`` for ``seed`` to ``cap`` steps (default: the training config's, else the
        profile's ``steps``), measuring the held-out clean reconstruction error at cap/4, cap/2 and
        cap: by default the median over every held-out image at the model's resolution, the model in
        train mode, ``n_eval`` images per batch. ``run.gate()`` is the 'trained to rule' check (the
        last doubling improved that error by less than the gate's limit); ``run.curve`` the points.
        ``data`` trains on another image set than the profile's (its held-out images are used);
        ``subject`` names the run in gates and curves (default ``name``; e.g. a longer run of a shared model)."""
        base = train_cfg or self.train_config(seed=seed)
        base = dataclasses.replace(base, seed=seed)
        cap = base.steps if cap is None else cap
        d = data or self.data_at(model_cfg.image_size)
        if error_of is None:
            a = d.to_float(d.heldout).to(self.device)
            error_of = lambda m: gates.heldout_error(m, a, self.profile.n_eval)  # noqa: E731
        subject = subject or name
        train_at = (lambda s: cache.trained(name, model_cfg, d, dataclasses.replace(base, steps=s), device=self.device))
        run = gates.train_to_rule(train_at, error_of, cap, subject=subject, seed=seed)
        self.add_rule_run(run)
        return run

    def add_rule_run(self, run: gates.RuleRun) -> None:
        """Keep a rule run's curve with the chapter's others (written beside its figures)."""
        self.rule_runs[f"{run.subject} (seed {run.seed})"] = run.as_dict()
        self._write_rule_runs()

    def shared(self, name: str, seed: int) -> gates.RuleRun:
        """One of the models several chapters share (:data:`SHARED`), trained to the rule for ``seed``."""
        return self.train_rule(name, self.shared_config(name), seed, cap=self.shared_steps(name))

    def shared_config(self, name: str, **changes) -> ModelConfig:
        """The configuration of the shared model ``name`` (:data:`SHARED`) at the profile's sizes.
        ``changes`` (as :meth:`model_config` takes them) make a variant of it, a model of its own
        (for instance the same U-Net at another ``image_size``, or with ``batchnorm=False``)."""
        kind, switches, _ = _shared(name)
        return self.model_config(kind, **(switches | changes))

    def shared_steps(self, name: str) -> int:
        """The profile's cap on the training steps of the shared model ``name``."""
        return getattr(self.profile, _shared(name).steps_field)

    def model_works(self, subject: str, model, seed: int, size: int | None = None) -> verdict.GateCheck:
        """'model works' gate: held-out reconstruction error against the mean training image's."""
        d = self.data_at(size or self.profile.image_size)
        a = d.to_float(d.heldout).to(self.device)
        return gates.model_works(subject, model, a, d.train, seed, batch=self.profile.n_eval)

    def _write_rule_runs(self) -> None:
        import json

        self.figure_dir.mkdir(parents=True, exist_ok=True)
        path = self.figure_dir / "training_rule.json"
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(self.rule_runs, indent=1))
        os.replace(tmp, path)

    # --- verdicts ------------------------------------------------------------------------------
    def measurement(self, claim_id: str) -> verdict.Measurement:
        """An empty per-seed measurement of one registered claim (see :mod:`aelib.verdict`)."""
        return verdict.Measurement(claim_id)

    def conclude(self, m: verdict.Measurement, *, figure: str = "", details: dict | None = None) -> dict:
        """Decide the verdict of ``m`` and write it to the chapter's ledger; returns the record."""
        if self.ledger is None:
            raise RuntimeError(f"context {self.name!r} was opened with record=False")
        return self.ledger.add(verdict.decide(m), figure=figure, details=details)

    # --- outputs -------------------------------------------------------------------------
    def figure(self, fig, name: str):
        """Save ``fig`` for the site and glue it under ``name`` (so prose can place it); returns it."""
        figures.save(fig, self.figure_dir, name)
        self.glue(name, fig, display=False)
        return fig

    def glue(self, key: str, value, display: bool = False):
        """myst-nb glue when running in a kernel; a no-op in plain Python."""
        try:
            from myst_nb import glue
        except ImportError:  # pragma: no cover
            return value
        if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # numpy / torch scalars -> Python
            value = value.item()
        glue(key, value, display=display)
        return value

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0


def _shared(name: str) -> SharedModel:
    if name not in SHARED:
        raise ValueError(f"unknown shared model {name!r}; choose one of {', '.join(SHARED)}")
    return SHARED[name]


def start(name: str, profile: str, **overrides) -> Chapter:
    return Chapter(name, profile, **overrides)
