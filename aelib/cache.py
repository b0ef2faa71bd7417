"""Trained models cached under a hash of what determines them, shared by every chapter.

The key hashes the model configuration (its kind, image size, channels and that kind's own
parameters: :meth:`aelib.models.ModelConfig.as_dict`), the data fingerprint, the training
configuration *without its step count* (plus, on a CPU, torch's thread count, which changes the
numbers), the package version and the source of the code that defines a model and its training.
A run folder ``<home>/cache/<name>-<key>/`` holds the configuration, a checkpoint per finished
length ``step_<n>.pt`` (so a longer run of the same model resumes from the longest shorter one)
and the in-progress ``last.pt``/``prev.pt`` of an interrupted run, which the next call resumes.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import warnings
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch

from . import __version__, distributed, paths, training
from .data import ImageSet
from .models import Autoencoder, ModelConfig, build
from .paths import home  # noqa: F401  (re-exported: cache.home)
from .seeding import set_seed
from .training import CheckpointError, TrainConfig, load_checkpoint, save_checkpoint, train

REPO = Path(__file__).resolve().parent.parent


def _atomic_text(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file, then rename it; on failure remove the temporary file."""
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def code_fingerprint(model_cfg: ModelConfig) -> str:
    """Hash of the code that determines a trained model: the trainer's source, the model's
    layer structure (``repr``) and the source of every aelib class in its module tree. Adding an
    unrelated model to :mod:`aelib.models` leaves existing caches valid; editing one does not."""
    h = hashlib.sha256(inspect.getsource(training).encode())
    model = build(model_cfg)
    h.update(repr(model).encode())
    for cls in sorted({type(m) for m in model.modules() if type(m).__module__.startswith("aelib")},
                      key=lambda c: c.__qualname__):
        h.update(inspect.getsource(cls).encode())
    return h.hexdigest()


def run_key(model_cfg: ModelConfig, data: ImageSet, train_cfg: TrainConfig, device: str = "cpu") -> str:
    """The cache key of a run: everything that decides the trained weights except the step count.

    Training on a CPU gives different numbers with a different torch thread count (reductions
    split differently), so there the key holds ``torch.get_num_threads()``; on a GPU the thread
    count does not enter the arithmetic and is left out, so the key does not depend on the host."""
    train = {k: v for k, v in train_cfg.as_dict().items() if k not in ("steps", "checkpoint_every")}
    if torch.device(device).type == "cpu":
        train["threads"] = torch.get_num_threads()
    spec = {"model": model_cfg.as_dict(), "data": data.fingerprint, "train": train,
            "version": __version__, "code": code_fingerprint(model_cfg)}
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class Trained:
    model: Autoencoder          # in train mode (BatchNorm uses batch statistics)
    losses: list[float]         # training MSE per step, from step 1
    steps: int
    hit: bool                   # True: loaded from the cache, nothing trained
    resumed_from: int           # step the training started from (0: from scratch)
    folder: Path


def _step_files(folder: Path) -> dict[int, Path]:
    out = {}
    for p in folder.glob("step_*.pt"):
        m = re.fullmatch(r"step_(\d+)\.pt", p.name)
        if m:
            out[int(m.group(1))] = p
    return out


def display_path(path: Path) -> str:
    """``path`` as a message names it: relative to ``$AELIB_HOME`` (e.g. ``cache/unet-<key>/last.pt``),
    so messages that end up on the published pages carry no local absolute path."""
    try:
        return Path(path).relative_to(home()).as_posix()
    except ValueError:
        return Path(path).name


def _try_load(path: Path) -> dict | None:
    try:
        return load_checkpoint(path)
    except CheckpointError as err:
        warnings.warn(f"{display_path(path)} {err.reason}; falling back to an earlier checkpoint; "
                      "delete that file to silence this", stacklevel=3)
        return None


def _remove_leftovers(folder: Path) -> None:
    """Remove the temporary files (``*.tmp<pid>``) that a writer killed mid-save left behind.
    Called only while holding the folder's lock, when no live writer can own one."""
    for p in folder.glob("*.tmp*"):
        p.unlink(missing_ok=True)


def trained(name: str, model_cfg: ModelConfig, data: ImageSet, train_cfg: TrainConfig, *,
            device: str = "cpu") -> Trained:
    """The model trained on ``data.train`` for ``train_cfg.steps`` steps: from the cache if there,
    else resumed from the longest valid shorter or interrupted run, else trained from scratch.
    Two processes asking for the same run at once train it once (a file lock per cached model;
    not under torchrun, whose ranks train together)."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"run name {name!r} may use letters, digits, '_', '-', '.' only")
    d = distributed.current()
    key = run_key(model_cfg, data, train_cfg, d.device if d.enabled else device)  # train() uses d.device then
    folder = home() / "cache" / f"{name}-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    # one writer per cached model: a second process asking for the same run waits, then loads it
    with (paths.locked(folder / ".lock") if not d.enabled else nullcontext()):
        if not d.enabled:  # under torchrun there is no lock, so a temporary file may be live
            _remove_leftovers(folder)
        return _trained(name, folder, model_cfg, data, train_cfg, device, d)


def _trained(name, folder, model_cfg, data, train_cfg, device, d) -> Trained:
    if d.is_main:
        _atomic_text(folder / "config.json", json.dumps(
            {"name": name, "model": model_cfg.as_dict(), "train": train_cfg.as_dict(), "data": data.source,
             "data_fingerprint": data.fingerprint, "version": __version__}, indent=1, default=str))
    set_seed(train_cfg.seed)
    model = build(model_cfg).to(device)
    target = folder / f"step_{train_cfg.steps:07d}.pt"
    if target.exists():
        ck = _try_load(target)
        if ck is not None:
            model.load_state_dict(ck["model"])
            return Trained(model.train(), ck["losses"], train_cfg.steps, True, train_cfg.steps, folder)
    paths = [p for s, p in sorted(_step_files(folder).items()) if s < train_cfg.steps]
    paths += [folder / "prev.pt", folder / "last.pt"]
    start = None
    for path in paths:
        ck = _try_load(path) if path.exists() else None
        if ck is not None and ck["step"] < train_cfg.steps and (start is None or ck["step"] > start["step"]):
            start = ck
    out = train(model, data.train, train_cfg, folder, start=start, label=name, device=device)
    if d.is_main:  # one writer; the other ranks hold identical weights
        save_checkpoint(target, {k: out[k] for k in ("model", "optimizer", "step", "losses")})
        for extra in ("last.pt", "prev.pt"):
            for p in (folder / extra, folder / f"{extra}.sha256"):
                p.unlink(missing_ok=True)
    distributed.barrier(d)
    return Trained(model.train(), out["losses"], train_cfg.steps, False, 0 if start is None else start["step"], folder)
