"""Run by tests/test_distributed.py under ``torchrun --nproc_per_node=2`` (gloo, CPU).

Each rank trains the same tiny U-Net a few steps through the book's trainer and cache, then
saves its weights as ``<out>/rank<r>.pt`` so that the test can compare the ranks."""

import sys
from pathlib import Path

import torch

from aelib import cache, distributed
from aelib.data import ImageSet
from aelib.models import ModelConfig
from aelib.training import TrainConfig

out = Path(sys.argv[1])
d = distributed.from_env(prefer_cuda=False)
g = torch.Generator().manual_seed(0)
low = torch.rand(40, 3, 4, 4, generator=g)
imgs = (torch.nn.functional.interpolate(low, size=(16, 16), mode="bilinear") * 255).round().to(torch.uint8)
data = ImageSet(imgs[:32], imgs[32:], source="tiny", fingerprint="ddp-test")
run = cache.trained("ddp", ModelConfig.of("unet", image_size=16, base=4, depth=2), data,
                    TrainConfig(steps=6, batch_size=8, checkpoint_every=3))
torch.save({k: v.clone() for k, v in run.model.state_dict().items()} | {"_losses": torch.tensor(run.losses)},
           out / f"rank{d.rank}.pt")
distributed.teardown()
