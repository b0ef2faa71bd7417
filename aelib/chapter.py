"""The per-chapter context: the profile, the data, the ledger and the figure folder in one object.

A chapter starts with ``ch = aelib.chapter.start("01_identity", PROFILE)`` and then calls
``ch.data``, ``ch.train(...)``, ``ch.claim(...)``, ``ch.figure(...)`` and ``ch.glue(...)``.
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

from . import cache, claims, data, figures, gates, identity, ledger, models, paths, profiles, report, verdict
from .config.metrics import SWConfig
from .config.representation import RepresentationConfig
from .config.training import TrainConfig
from .metrics import pyramid_levels
from .models import ModelConfig
from .seeding import set_seed, stream, stream_seed


class SharedModel(NamedTuple):
    """A model several chapters share: its kind, the switches :meth:`Chapter.model_config` gets on
    top of the profile's sizes, and the profile field that caps its training steps."""

    kind: str
    switches: dict
    steps_field: str


# The models several chapters share, named once: chapters ask for them by name (Chapter.shared,
# Chapter.shared_config) and ``python -m aelib.train`` trains them, so one name is one model.
SHARED: dict[str, SharedModel] = {
    "fc": SharedModel("fc", {}, "fc.steps"),
    "unet": SharedModel("unet", {"skips": "self"}, "train.steps"),
    "unet_skips": SharedModel("unet", {"skips": "concat"}, "train.steps"),
    "unet_hidden": SharedModel("unet", {"skips": "self", "hidden_mlp": True}, "train.steps"),
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
        staged = Path(stage) / "ledger.json" if stage else None
        self.ledger = ledger.ChapterLedger(name, self.profile.name, path=staged, key=key) if record else None
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
        figures.book_style()

    # --- data and models -----------------------------------------------------------------
    @cached_property
    def data(self) -> data.ImageSet:
        """The profile's data set at its working resolution."""
        return self.data_at(self.profile.data.image_size)

    def data_at(self, size: int) -> data.ImageSet:
        """The same crops and split at another resolution (the FC model's, for instance)."""
        if size not in self._datasets:
            self._datasets[size] = data.load(self.profile.with_overrides(**{"data.image_size": size}))
        return self._datasets[size]

    def eval_images(self, size: int | None = None) -> torch.Tensor:
        """The fixed held-out evaluation batch (``data.n_eval`` images, floats in [0, 1])."""
        return self.data_at(size or self.profile.data.image_size).eval_batch(self.profile.data.n_eval, self.device)

    def model_config(self, kind: str, **kw) -> ModelConfig:
        """A model of ``kind`` at the profile's sizes: the FC autoencoder at ``fc.image_size`` with
        ``fc.width`` and ``fc.n_hidden``; any other kind at ``data.image_size``, with the profile's
        ``unet.base`` and ``unet.depth`` if its parameters have a ``base`` and ``depth``. ``kw`` sets
        ``image_size``, ``channels`` or any parameter of the kind (``hidden_mlp=True``: the
        profile's bottleneck MLP); a parameter the kind does not have is an error."""
        p = self.profile
        if kind == "fc":
            base = dict(image_size=p.fc.image_size, width=p.fc.width, n_hidden=p.fc.n_hidden)
        else:
            names = models.lookup(kind).param_names
            sizes = (("base", p.unet.base), ("depth", p.unet.depth))
            base = dict(image_size=p.data.image_size) | {k: v for k, v in sizes if k in names}
        if kw.pop("hidden_mlp", False) is True:
            kw["hidden_mlp"] = p.unet.hidden_mlp
        return ModelConfig.of(kind, **(base | kw))

    @property
    def seeds(self) -> tuple[int, ...]:
        """The profile's seeds: each retrains the models a claim rests on and redraws noise and starts."""
        return self.profile.seeds

    def train_config(self, steps: int | None = None, seed: int | None = None, **kw) -> TrainConfig:
        """The profile's training settings (``train``), for ``seed`` (default: the profile's) and
        ``steps`` (default: ``train.steps``), with any other field changed by keyword."""
        p = self.profile
        return dataclasses.replace(p.train, steps=p.train.steps if steps is None else steps,
                                   seed=p.seed if seed is None else seed, **kw)

    def train(self, name: str, model_cfg: ModelConfig, train_cfg: TrainConfig | None = None) -> cache.Trained:
        """Trained model from the shared cache (trains and caches it on a miss), on the profile's
        data at the model's resolution."""
        return cache.trained(name, model_cfg, self.data_at(model_cfg.image_size), train_cfg or self.train_config(),
                             device=self.device)

    def representation_config(self, **kw) -> RepresentationConfig:
        """The profile's representation settings (``rep``), with fields changed by keyword."""
        return dataclasses.replace(self.profile.rep, **kw)

    def sw_config(self, **kw) -> SWConfig:
        """The profile's sliced-Wasserstein settings (``sw``) for images of the working resolution,
        seeded with the profile's seed, with fields changed by keyword."""
        p = self.profile
        return dataclasses.replace(p.sw, **(dict(levels=p.sw.levels or pyramid_levels(p.data.image_size),
                                                 seed=p.seed) | kw))

    def rng(self, name: str, seed: int | None = None, *keys: int | str, device: str | None = None) -> torch.Generator:
        """The named random stream ``name`` for ``seed`` (default: the profile's) and any further
        ``keys`` (an index, a level), on ``device`` (default: the chapter's; see :func:`aelib.seeding.stream`)."""
        return stream(name, self.profile.seed if seed is None else seed, *keys, device=device or self.device)

    def seed_of(self, name: str, seed: int | None = None, *keys: int | str) -> int:
        """The integer seed of the named stream ``name`` (for library calls that take a seed)."""
        return stream_seed(name, self.profile.seed if seed is None else seed, *keys)

    # --- the stopping rule and the shared models --------------------------------------------
    def train_rule(self, name: str, model_cfg: ModelConfig, seed: int, cap: int | None = None,
                   train_cfg: TrainConfig | None = None, error_of=None, data: data.ImageSet | None = None,
                   subject: str | None = None) -> gates.RuleRun:
        """Train ``name`` for ``seed`` to ``cap`` steps (default: the training config's, else the
        profile's ``train.steps``), measuring the held-out clean reconstruction error at cap/4, cap/2
        and cap: by default the median over every held-out image at the model's resolution, the model
        in train mode, ``data.n_eval`` images per batch. ``run.gate()`` is the 'trained to rule' check (the
        last doubling improved that error by less than the gate's limit); ``run.curve`` the points.
        ``data`` trains on another image set than the profile's (its held-out images are used);
        ``subject`` names the run in gates and curves (default ``name``; e.g. a longer run of a shared model)."""
        base = train_cfg or self.train_config(seed=seed)
        base = dataclasses.replace(base, seed=seed)
        cap = base.steps if cap is None else cap
        d = data or self.data_at(model_cfg.image_size)
        if error_of is None:
            a = d.to_float(d.heldout).to(self.device)
            error_of = lambda m: gates.heldout_error(m, a, self.profile.data.n_eval)  # noqa: E731
        subject = subject or name

        def train_at(s: int) -> cache.Trained:
            return cache.trained(name, model_cfg, d, dataclasses.replace(base, steps=s), device=self.device)

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

    def longer_run(self, name: str, seed: int, mult: int) -> gates.RuleRun:
        """The shared model ``name`` of ``seed`` trained on to ``mult`` times its cap
        (:meth:`shared_steps`), along the rule's doubling schedule: the same run, continued from the
        shared model's cache with the batches it would have seen in one go (the longer lengths that
        ``aelib.execute.pretrain`` trains ahead, and chapter 04's C14 compares). It is gated and
        recorded under a subject of its own, ``"<name>, <steps> steps"``, so the shared model's own
        rule record (``rule_runs["<name> (seed <seed>)"]``) is left as it was."""
        if not isinstance(mult, int) or mult < 1:
            raise ValueError(f"mult must be a positive integer, got {mult!r}")
        steps = self.shared_steps(name) * mult
        return self.train_rule(name, self.shared_config(name), seed, cap=steps, subject=f"{name}, {steps} steps")

    def shared_config(self, name: str, **changes) -> ModelConfig:
        """The configuration of the shared model ``name`` (:data:`SHARED`) at the profile's sizes.
        ``changes`` (as :meth:`model_config` takes them) make a variant of it, a model of its own
        (for instance the same U-Net at another ``image_size``, or with ``batchnorm=False``)."""
        kind, switches, _ = _shared(name)
        return self.model_config(kind, **(switches | changes))

    def shared_steps(self, name: str) -> int:
        """The profile's cap on the training steps of the shared model ``name``."""
        return self.profile.value(_shared(name).steps_field)

    def model_works(self, subject: str, model, seed: int, size: int | None = None) -> verdict.GateCheck:
        """'model works' gate: held-out reconstruction error against the mean training image's."""
        d = self.data_at(size or self.profile.data.image_size)
        a = d.to_float(d.heldout).to(self.device)
        return gates.model_works(subject, model, a, d.train, seed, batch=self.profile.data.n_eval)

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

    def claim(self, m: verdict.Measurement, *, figure: str = "", details: dict | None = None) -> dict:
        """Conclude ``m`` (:meth:`conclude`) and glue the claim's standard keys, each ``<id>_...``
        with ``<id>`` the claim's id in lower case (``c15``, ``x1``): ``_verdict`` (holds / does not
        hold / inconclusive), ``_reason`` (:func:`aelib.report.reason`), ``_value`` (the median over
        seeds), ``_range`` (lowest to highest seed value), ``_ctrl`` (the control's value, NaN when
        not measured) and ``_limit`` (the limit of the claim's first test). Returns the record."""
        rec = self.conclude(m, figure=figure, details=details)
        key = rec["id"].lower()
        self.glue(f"{key}_verdict", rec["verdict"])
        self.glue(f"{key}_reason", report.reason(rec))
        self.glue(f"{key}_value", rec["median"])
        self.glue(f"{key}_range", report.span([s["value"] for s in rec["seeds"]]))
        self.glue(f"{key}_ctrl", report.control_value(rec))
        self.glue(f"{key}_limit", m.claim.test().limit)
        _display_html(report.claim_box(rec, self.profile))
        return rec

    def other_scales(self) -> str:
        """Glue ``other_scales``: which of this chapter's verdicts differ at the committed reference
        scales (:mod:`aelib.reference`), which way and why, from the records; call it after the
        chapter's last claim. Returns the text."""
        from . import reference

        text = reference.chapter_text(self.name, self.ledger.records if self.ledger else {}, self.profile.name)
        self.glue("other_scales", text)
        return text

    def glue_median(self, key: str, values):
        """Glue the median of ``values`` (one per seed, say) under ``key``; returns it."""
        value = report.median(values)
        self.glue(key, value)
        return value

    # --- outputs -------------------------------------------------------------------------
    def claims_table(self):
        """The thresholds, controls and gates of the claims this chapter measures, as a table to show."""
        return report.show(claims.thresholds_rows(self.name, self.profile))

    def show_data(self, data_set: data.ImageSet | None = None) -> None:
        """Show, as a line of prose, the data this chapter runs on and the profile it runs at."""
        from IPython.display import Markdown, display

        d = data_set or self.data
        p = self.profile
        display(Markdown(f"**Data.** {d.describe()}. Profile `{p.name}`, seeds {', '.join(map(str, p.seeds))}."))

    def figure(self, fig, name: str) -> None:
        """Save ``fig`` for the site and glue it under ``name``, to be placed, numbered and captioned
        by a ``{glue:figure}`` block in the prose that follows. The figure is closed; a reader running
        the chapter interactively sees it in the cell as well."""
        import matplotlib.pyplot as plt

        figures.fit_page(fig)
        figures.save(fig, self.figure_dir, name)
        self.glue(name, fig, display=False)
        if not figures.headless():
            from IPython.display import display

            display(fig)
        plt.close(fig)

    def player(self, name: str, frames: dict, steps: list[int], *, n: int = 8, nrow: int = 4, label: str = "eps",
               slider: str = "step", fps: float = 8.0) -> None:
        """A recorded run as a player for the page (:func:`aelib.figures.player`: slider, play/pause,
        a choice of run; self-contained HTML, nothing fetched), glued under ``name`` for a
        ``{glue:figure}`` block; its first run is also saved as ``<name>.gif`` beside the figures.
        Run interactively, the live ipywidgets explorer shows in the cell too."""
        from IPython.display import HTML

        page = figures.player(frames, steps, n=n, nrow=nrow, label=label, slider=slider, fps=fps)
        self.figure_dir.mkdir(parents=True, exist_ok=True)
        (self.figure_dir / f"{name}.html").write_text(page)
        first = next(iter(frames.values()))
        figures.save_gif(figures.gif_bytes(first, n=n, nrow=nrow, scale=2, fps=fps), self.figure_dir, name)
        self.glue(name, HTML(page), display=False)
        if not figures.headless():
            from IPython.display import display

            display(figures.frame_explorer(frames, steps, n=n, nrow=nrow, label=label, slider=slider))

    def glue(self, key: str, value, display: bool = False) -> None:
        """myst-nb glue when running in a kernel; a no-op in plain Python. Returns nothing, so that a
        cell ending in a glue shows no stray value."""
        try:
            from myst_nb import glue
        except ImportError:  # pragma: no cover
            return
        if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # numpy / torch scalars -> Python
            value = value.item()
        glue(key, value, display=display)

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0


def _display_html(text: str) -> None:
    try:
        from IPython.display import HTML, display
    except ImportError:  # pragma: no cover
        return
    display(HTML(text))


def _shared(name: str) -> SharedModel:
    if name not in SHARED:
        raise ValueError(f"unknown shared model {name!r}; choose one of {', '.join(SHARED)}")
    return SHARED[name]


def start(name: str, profile: str, **overrides) -> Chapter:
    return Chapter(name, profile, **overrides)
