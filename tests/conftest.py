"""Shared fixtures: every test gets its own AELIB_HOME, so no test sees another's cache or ledger."""

import os

import pytest
import torch

os.environ.setdefault("AELIB_PROGRESS", "0")
torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture(autouse=True)
def aelib_home(tmp_path, monkeypatch):
    home = tmp_path / "aelib_home"
    monkeypatch.setenv("AELIB_HOME", str(home))
    return home


@pytest.fixture
def tiny_images():
    """32 random-but-smooth uint8 images (3x16x16): enough structure to learn, cheap to train on."""
    g = torch.Generator().manual_seed(0)
    low = torch.rand(32, 3, 4, 4, generator=g)
    x = torch.nn.functional.interpolate(low, size=(16, 16), mode="bilinear", align_corners=False)
    return (x * 255).round().to(torch.uint8)
