"""Several processes, one training run: torchrun / DistributedDataParallel support for the trainer.

Launch with PyTorch's own launcher, one process per GPU (or several CPU processes with gloo)::

    torchrun --nproc_per_node=4 -m aelib.train --profile paper --model unet

:func:`setup` reads torchrun's environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``), picks the
backend (NCCL on GPUs, gloo on CPUs) and binds each process to its GPU. Every rank draws the
same global permutation of the data each epoch (it depends only on seed and epoch) and takes
its own contiguous slice of each global batch, so the global batch, and hence the run, is the
same whatever the number of processes, up to batch-norm statistics: these are computed per
process over its slice of the batch, as in the essay's author's DDP code (we do not convert
to SyncBatchNorm; with one process per GPU the per-GPU batch is what BatchNorm normalises
over, and the book states the per-GPU batch next to every paper-scale result). Only rank 0
writes checkpoints. Used by :mod:`aelib.training` and :mod:`aelib.train` (runs at the paper
profile).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Dist:
    rank: int = 0          # this process's rank in the job (0 when not distributed)
    world: int = 1         # number of processes
    local_rank: int = 0    # rank on this machine (selects the GPU)
    device: str = "cpu"    # the device this process trains on

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def from_env(prefer_cuda: bool = True) -> Dist:
    """The process group described by torchrun's environment, initialised if needed."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = prefer_cuda and torch.cuda.is_available()
    device = f"cuda:{local}" if cuda else "cpu"
    if cuda:
        torch.cuda.set_device(local)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    return Dist(rank=rank, world=world, local_rank=local, device=device)


def current() -> Dist:
    """The running process group (or a single process), without initialising anything."""
    if dist.is_available() and dist.is_initialized():
        local = int(os.environ.get("LOCAL_RANK", "0"))
        return Dist(rank=dist.get_rank(), world=dist.get_world_size(), local_rank=local,
                    device=f"cuda:{local}" if torch.cuda.is_available() and dist.get_backend() == "nccl" else "cpu")
    return Dist()


def shard(batch_idx: torch.Tensor, d: Dist) -> torch.Tensor:
    """This rank's contiguous slice of a global batch of indices."""
    if not d.enabled:
        return batch_idx
    if len(batch_idx) % d.world:
        raise ValueError(f"global batch {len(batch_idx)} is not divisible by {d.world} processes")
    per = len(batch_idx) // d.world
    return batch_idx[d.rank * per:(d.rank + 1) * per]


def barrier(d: Dist) -> None:
    if d.enabled:
        dist.barrier()


def teardown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
