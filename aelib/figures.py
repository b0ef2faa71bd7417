"""Figures: one helper that saves each figure for the site and returns it for display, and
image grids. Used by every chapter (through :meth:`aelib.chapter.Chapter.figure`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torchvision.utils import make_grid


def save(fig, folder: Path, name: str, dpi: int = 110) -> Path:
    """Write ``fig`` as ``<folder>/<name>.png`` and return the path (the figure stays open so
    that the notebook displays it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def grid_image(images: torch.Tensor, nrow: int = 8, normalize: bool = False) -> torch.Tensor:
    """A batch (N, 3, H, W) as one HWC image for ``imshow``. Values are clipped to [0, 1] unless
    ``normalize`` (the essay's display rescaled each image to its own min..max; we do not by
    default, so that brightness and contrast errors stay visible)."""
    x = images.detach().float().cpu()
    if not normalize:
        x = x.clamp(0, 1)
    g = make_grid(x, nrow=nrow, padding=1, normalize=normalize, scale_each=normalize, pad_value=1.0)
    return g.permute(1, 2, 0).numpy()


def image_rows(rows: dict[str, torch.Tensor], n: int = 8, scale: float = 1.0):
    """One figure with a labelled row per entry of ``rows`` (each a batch; the first ``n`` shown)."""
    fig, axes = plt.subplots(len(rows), 1, figsize=(scale * n * 0.9, scale * 1.05 * len(rows)), squeeze=False)
    for ax, (label, batch) in zip(axes[:, 0], rows.items()):
        ax.imshow(grid_image(batch[:n], nrow=n), interpolation="nearest")
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def loss_curves(runs: dict[str, list[float]], window: int = 25):
    """Training-loss curves (running mean over ``window`` steps) on log axes, one line per run."""
    fig, ax = plt.subplots(figsize=(6, 3))
    for label, losses in runs.items():
        x = torch.tensor(losses, dtype=torch.float64)
        w = max(1, min(window, len(x)))
        smooth = torch.nn.functional.avg_pool1d(x[None, None], w, 1)[0, 0]
        ax.plot(torch.arange(len(smooth)) + w, smooth, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("optimiser step")
    ax.set_ylabel(f"training MSE (mean of {window} steps)")
    ax.legend()
    fig.tight_layout()
    return fig
