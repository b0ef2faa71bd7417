"""One trainer for every model of the book: MSE on copying, Adam, BatchNorm left in train mode.

The run is a pure function of (model initialisation, data, :class:`TrainConfig`): the data order
of epoch ``k`` comes from a generator seeded with ``(seed, k)``, so a run stopped at any step and
resumed from its checkpoint ends with the same weights as an uninterrupted one. Checkpoints are
written atomically (temporary file + rename) with a SHA-256 beside them; a checkpoint whose hash
does not match is refused with a message, and the run falls back to the previous good one.

Under ``torchrun`` the same function trains one DistributedDataParallel replica per process
(:mod:`aelib.distributed`): every rank takes its slice of each global batch, gradients are
averaged, the logged loss is the global mean, and only rank 0 writes checkpoints. On a GPU the
forward and backward passes run under bf16 autocast (``TrainConfig.amp``); the weights, the
optimiser and the loss stay in fp32.

Used by every chapter that trains, through :mod:`aelib.cache`, and by ``python -m aelib.train``.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import distributed
from .config.training import TrainConfig
from .seeding import stream


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, unhashed, truncated or corrupted. ``path`` is the file and
    ``reason`` says what is wrong without naming it, so that a caller can name the file its own way
    (the cache names it relative to ``$AELIB_HOME``, never by a local absolute path)."""

    def __init__(self, path: Path, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(f"checkpoint {path} {reason}")

    def __reduce__(self):  # picklable (worker processes), despite the two-argument constructor
        return type(self), (self.path, self.reason)


# ------------------------------------------------------------------------------------------
# checkpoints


def save_checkpoint(path: Path, state: dict) -> None:
    """Write ``state`` atomically, with ``<path>.sha256`` holding the hash of the bytes.

    Both files are written in full to temporary names first, then renamed into place. On any
    failure while writing (a full disk, an interrupt) the temporary files are removed and the
    error propagates with a note naming the checkpoint: the previous good pair stays as it was
    and nothing is left behind. (A kill between the two renames leaves a new file beside the old
    hash, which :func:`load_checkpoint` refuses; the cache then falls back to an earlier one.)"""
    buf = io.BytesIO()
    torch.save(state, buf)
    data = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    files = {path: data, path.with_name(path.name + ".sha256"): hashlib.sha256(data).hexdigest().encode()}
    tmps = {target: target.with_name(f"{target.name}.tmp{os.getpid()}") for target in files}
    try:
        for target, payload in files.items():
            with open(tmps[target], "wb") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
        for target, tmp in tmps.items():
            os.replace(tmp, target)
    except BaseException as err:
        for tmp in tmps.values():
            tmp.unlink(missing_ok=True)
        err.add_note(f"while writing checkpoint {path}; its temporary files were removed")
        raise


def load_checkpoint(path: Path) -> dict:
    """Read a checkpoint after checking its hash; ``weights_only=True`` (no pickled code).

    The hash is what catches silent damage: a flipped bit inside a tensor leaves a file that
    ``torch.load`` reads without complaint."""
    path = Path(path)
    sha_path = path.with_name(path.name + ".sha256")
    if not path.exists():
        raise CheckpointError(path, "does not exist")
    data = path.read_bytes()
    if not sha_path.exists():
        raise CheckpointError(path, f"has no hash file {sha_path.name}; refusing to trust it")
    if hashlib.sha256(data).hexdigest() != sha_path.read_text().strip():
        raise CheckpointError(path, f"is damaged (its SHA-256 does not match {sha_path.name})")
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling failure is a damaged file
        raise CheckpointError(path, f"is damaged (torch.load cannot read it: {err})") from None


# ------------------------------------------------------------------------------------------
# the loop


def epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The permutation of epoch ``epoch``: a function of (seed, epoch) only, so resumable."""
    return torch.randperm(n, generator=stream("data order", seed, epoch))


def progress_enabled() -> bool:
    """Progress bars on, unless AELIB_PROGRESS=0 (the papermill runner shows its own)."""
    return os.environ.get("AELIB_PROGRESS", "1") != "0"


@dataclass
class _Run:
    """One run in progress, as :func:`_set_up` makes it and each step advances it."""

    model: torch.nn.Module      # the model being trained (its state_dict is what is saved)
    net: Callable               # its forward pass: the model, possibly DDP-wrapped and/or compiled
    opt: torch.optim.Optimizer  # Adam over the model's parameters
    objective: Callable | None  # the model's own training_loss, or None: copy the batch (MSE)
    cfg: TrainConfig
    d: distributed.Dist         # this process's place in a torchrun job (or a single process)
    device: str
    fmt: torch.memory_format    # channels_last for convolutional models
    amp: bool                   # bf16 autocast (on a GPU, when cfg.amp)
    step: int                   # optimiser steps done
    losses: list[float]         # the loss of each step done

    def state(self) -> dict:
        """The checkpoint dict: model, optimiser, step, losses."""
        return {"model": self.model.state_dict(), "optimizer": self.opt.state_dict(), "step": self.step,
                "losses": self.losses}


def _set_up(model: torch.nn.Module, cfg: TrainConfig, start: dict | None, d: distributed.Dist, device: str,
            compile_model: bool) -> _Run:
    """Put ``model`` on ``device`` in train mode, make its optimiser, continue from ``start`` if given,
    then wrap it for DDP (which broadcasts rank 0's weights, so after resuming) and ``torch.compile``."""
    model.to(device).train()  # BatchNorm stays in train mode, always (the essay insists)
    conv = any(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    fmt = torch.channels_last if conv else torch.contiguous_format  # oneDNN/cuDNN prefer NHWC convolutions
    model.to(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    step, losses = _resume(model, opt, start)
    net = model
    if d.enabled:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model, device_ids=[d.local_rank] if device.startswith("cuda") else None)
    if compile_model:
        net = torch.compile(net)
    amp = cfg.amp and str(device).startswith("cuda")
    return _Run(model=model, net=net, opt=opt, objective=getattr(model, "training_loss", None), cfg=cfg, d=d,
                device=device, fmt=fmt, amp=amp, step=step, losses=losses)


def _resume(model: torch.nn.Module, opt: torch.optim.Optimizer, start: dict | None) -> tuple[int, list[float]]:
    """Load the checkpoint dict ``start`` into ``model`` and ``opt``; the step and losses to go on from."""
    if start is None:
        return 0, []
    model.load_state_dict(start["model"])
    opt.load_state_dict(start["optimizer"])
    return int(start["step"]), list(start["losses"])


def _batches(n: int, cfg: TrainConfig, step: int):
    """The global batch of image indices of each step from ``step`` to ``cfg.steps``: batch ``b`` of
    epoch ``k`` is slice ``b`` of :func:`epoch_order` ``(n, seed, k)`` (partial batches dropped)."""
    per_epoch = n // cfg.batch_size
    epoch, order = None, None
    for s in range(step, cfg.steps):
        k, b = divmod(s, per_epoch)
        if k != epoch:
            epoch, order = k, epoch_order(n, cfg.seed, k)
        yield order[b * cfg.batch_size:(b + 1) * cfg.batch_size]


def _optimise(run: _Run, images: torch.Tensor, batch: torch.Tensor) -> float:
    """One optimiser step on this rank's slice of ``batch``; the loss, averaged over the ranks."""
    idx = distributed.shard(batch, run.d).to(run.device)
    a = images.index_select(0, idx).float().div_(255.0).contiguous(memory_format=run.fmt)
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=run.amp):
        if run.objective is None:  # the book's objective everywhere: copy the batch (MSE)
            loss = F.mse_loss(run.net(a).float(), a)
        else:  # a model with its own objective (the noise-predicting DDPM baseline)
            loss = run.objective(run.net, a, step=run.step, seed=run.cfg.seed).float()
    run.opt.zero_grad(set_to_none=True)
    loss.backward()
    run.opt.step()
    return _global_mean(loss.detach(), run.d, run.device)


def _global_mean(loss: torch.Tensor, d: distributed.Dist, device: str) -> float:
    """The mean of ``loss`` over the ranks (itself when not distributed)."""
    if d.enabled:
        torch.distributed.all_reduce(loss, op=torch.distributed.ReduceOp.AVG if device.startswith("cuda")
                                     else torch.distributed.ReduceOp.SUM)
        if not device.startswith("cuda"):
            loss = loss / d.world
    return loss.item()


def _rotate_and_save(ckpt_dir: Path, state: dict) -> None:
    """Keep the current ``last.pt`` (and its hash) as ``prev.pt``, then write ``state`` as ``last.pt``."""
    last = ckpt_dir / "last.pt"
    if last.exists():
        os.replace(last, ckpt_dir / "prev.pt")
        os.replace(last.with_suffix(".pt.sha256"), ckpt_dir / "prev.pt.sha256")
    save_checkpoint(last, state)


def _finish(run: _Run, seconds: float) -> dict:
    """The final checkpoint dict, with ``seconds``; under DDP every rank ends with rank 0's buffers."""
    if run.d.enabled:  # BatchNorm running statistics are updated per rank: keep rank 0's, as saved
        for buf in run.model.buffers():
            torch.distributed.broadcast(buf, src=0)
    run.model.to(memory_format=torch.contiguous_format)
    out = run.state()
    out["seconds"] = seconds
    return out


def train(model: torch.nn.Module, images: torch.Tensor, cfg: TrainConfig, ckpt_dir: Path | None = None,
          *, start: dict | None = None, label: str = "train", device: str = "cpu",
          stop_after: int | None = None, compile_model: bool = False) -> dict:
    """Train ``model`` to copy ``images`` (uint8 NCHW) for ``cfg.steps`` optimiser steps.

    ``start`` is a checkpoint dict to continue from (model, optimiser, step, losses). Checkpoints
    go to ``ckpt_dir/last.pt`` every ``cfg.checkpoint_every`` steps (the previous one is kept as
    ``prev.pt``). ``stop_after`` ends the run early at that step without a final save (tests
    use it to simulate an interruption). A model that defines ``training_loss(net, a, *, step, seed)``
    is trained on that loss instead of copying (``net`` is the model, possibly wrapped for DDP or
    compiled; ``step`` and ``seed`` make any randomness it draws a function of the step, so a
    resumed run is identical to an uninterrupted one). ``compile_model`` runs the forward pass through
    ``torch.compile`` (same results within float tolerance; pays only on long runs). Returns the
    final checkpoint dict.
    """
    d = distributed.current()
    if d.enabled:
        device = d.device
    n = len(images)
    if n < cfg.batch_size:
        raise ValueError(f"{label}: {n} training images are fewer than one batch of {cfg.batch_size}")
    run = _set_up(model, cfg, start, d, device, compile_model)
    images = images.to(run.device)
    t0 = time.perf_counter()
    with tqdm(total=cfg.steps, initial=run.step, desc=label, disable=not (progress_enabled() and d.is_main),
              file=sys.stderr, mininterval=2.0, leave=False) as bar:
        for batch in _batches(n, cfg, run.step):
            run.losses.append(_optimise(run, images, batch))
            run.step += 1
            bar.update(1)
            if run.step % 25 == 0:
                bar.set_postfix(mse=f"{sum(run.losses[-25:]) / 25:.5f}")
            if stop_after is not None and run.step >= stop_after:
                return run.state()
            if ckpt_dir is not None and run.step % cfg.checkpoint_every == 0 and run.step < cfg.steps and d.is_main:
                _rotate_and_save(ckpt_dir, run.state())
    return _finish(run, time.perf_counter() - t0)
