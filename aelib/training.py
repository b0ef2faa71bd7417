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
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import distributed
from .config.training import TrainConfig


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
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch))


def progress_enabled() -> bool:
    """Progress bars on, unless AELIB_PROGRESS=0 (the papermill runner shows its own)."""
    return os.environ.get("AELIB_PROGRESS", "1") != "0"


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
    model.to(device).train()  # BatchNorm stays in train mode, always (the essay insists)
    conv = any(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    fmt = torch.channels_last if conv else torch.contiguous_format  # oneDNN/cuDNN prefer NHWC convolutions
    model.to(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    step, losses = 0, []
    if start is not None:
        model.load_state_dict(start["model"])
        opt.load_state_dict(start["optimizer"])
        step, losses = int(start["step"]), list(start["losses"])
    objective = getattr(model, "training_loss", None)
    net = model
    if d.enabled:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model, device_ids=[d.local_rank] if device.startswith("cuda") else None)
    if compile_model:
        net = torch.compile(net)
    amp = cfg.amp and str(device).startswith("cuda")
    per_epoch = n // cfg.batch_size
    images = images.to(device)
    bar = tqdm(total=cfg.steps, initial=step, desc=label, disable=not (progress_enabled() and d.is_main),
               file=sys.stderr, mininterval=2.0, leave=False)
    t0 = time.perf_counter()

    def state() -> dict:
        return {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step, "losses": losses}

    while step < cfg.steps:
        epoch, pos = divmod(step, per_epoch)
        order = epoch_order(n, cfg.seed, epoch)
        for b in range(pos, per_epoch):
            if step >= cfg.steps:
                break
            idx = distributed.shard(order[b * cfg.batch_size:(b + 1) * cfg.batch_size], d).to(device)
            a = images.index_select(0, idx).float().div_(255.0).contiguous(memory_format=fmt)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
                if objective is None:  # the book's objective everywhere: copy the batch (MSE)
                    loss = F.mse_loss(net(a).float(), a)
                else:  # a model with its own objective (chapter 09's noise-predicting baseline)
                    loss = objective(net, a, step=step, seed=cfg.seed).float()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss = loss.detach()
            if d.enabled:
                torch.distributed.all_reduce(loss, op=torch.distributed.ReduceOp.AVG if device.startswith("cuda")
                                             else torch.distributed.ReduceOp.SUM)
                if not device.startswith("cuda"):
                    loss = loss / d.world
            step += 1
            losses.append(loss.item())
            bar.update(1)
            if step % 25 == 0:
                bar.set_postfix(mse=f"{sum(losses[-25:]) / 25:.5f}")
            if stop_after is not None and step >= stop_after:
                bar.close()
                return state()
            if ckpt_dir is not None and step % cfg.checkpoint_every == 0 and step < cfg.steps and d.is_main:
                last = ckpt_dir / "last.pt"
                if last.exists():
                    os.replace(last, ckpt_dir / "prev.pt")
                    os.replace(last.with_suffix(".pt.sha256"), ckpt_dir / "prev.pt.sha256")
                save_checkpoint(last, state())
    bar.close()
    if d.enabled:  # BatchNorm running statistics are updated per rank: keep rank 0's, as saved
        for buf in model.buffers():
            torch.distributed.broadcast(buf, src=0)
    model.to(memory_format=torch.contiguous_format)
    out = state()
    out["seconds"] = time.perf_counter() - t0
    return out
