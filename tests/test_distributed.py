"""Two CPU processes under torchrun (gloo) train one model: both ranks must end with identical
weights, the logged losses must agree, and only one checkpoint set is written."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from aelib import distributed

pytestmark = pytest.mark.slow


def test_two_process_torchrun_gives_identical_weights(tmp_path, aelib_home):
    torchrun = Path(sys.executable).with_name("torchrun")
    env = dict(os.environ, AELIB_HOME=str(aelib_home), OMP_NUM_THREADS="1", AELIB_PROGRESS="0")
    proc = subprocess.run([str(torchrun), "--standalone", "--nproc_per_node=2",
                           str(Path(__file__).with_name("ddp_worker.py")), str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert r0.keys() == r1.keys()
    for k in r0:
        assert torch.equal(r0[k], r1[k]), f"ranks differ in {k}"
    assert len(r0["_losses"]) == 6
    finals = list((aelib_home / "cache").glob("ddp-*/step_0000006.pt"))
    assert len(finals) == 1 and not list((aelib_home / "cache").glob("ddp-*/last.pt"))


def test_shard_splits_the_global_batch():
    idx = torch.arange(8)
    d0, d1 = distributed.Dist(rank=0, world=2), distributed.Dist(rank=1, world=2)
    assert torch.equal(torch.cat([distributed.shard(idx, d0), distributed.shard(idx, d1)]), idx)
    with pytest.raises(ValueError, match="divisible"):
        distributed.shard(torch.arange(7), d0)
    assert torch.equal(distributed.shard(idx, distributed.Dist()), idx)
