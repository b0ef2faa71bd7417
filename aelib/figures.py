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


def unet_diagram(depth: int, base: int, image_size: int, skips: str = "self", hidden_mlp=None):
    """A block diagram of the U-Net autoencoder as built by :class:`aelib.models.UNet`: one box per
    level with its feature maps and resolution, the bottleneck ``h = E(a)`` at the bottom, and the
    decoder's concatenation drawn from itself (no skips) or from the encoder (skips). Chapter 01."""
    from matplotlib.patches import FancyArrowPatch, Rectangle

    fig, ax = plt.subplots(figsize=(1.35 * (2 * depth + 3), 0.9 * depth + 2.2))
    widths = [base * 2 ** i for i in range(depth + 1)]

    def box(x, level, label, color):
        y = -level * 0.9
        ax.add_patch(Rectangle((x - 0.4, y - 0.3), 0.8, 0.6, fc=color, ec="k", lw=0.8))
        ax.text(x, y, label, ha="center", va="center", fontsize=7.5)
        return x, y

    def arrow(p, q, **kw):
        ax.add_patch(FancyArrowPatch(p, q, arrowstyle="->", mutation_scale=9, **kw))

    enc = [box(l, l, f"{w} maps\n{image_size // 2 ** l}²", "#cfe3f5") for l, w in enumerate(widths)]
    ax.text(depth, -depth * 0.9 - 0.5, "h = E(a)", ha="center", fontsize=8, weight="bold")
    x_next = depth + 1
    last = enc[-1]
    if hidden_mlp:
        mlp = box(x_next, depth, "MLP\n" + "-".join(map(str, hidden_mlp)), "#e6e6e6")
        arrow((last[0] + 0.4, last[1]), (mlp[0] - 0.4, mlp[1]))
        last, x_next = mlp, x_next + 1
    dec = {}
    for l in range(depth - 1, -1, -1):
        dec[l] = box(x_next + (depth - 1 - l), l, f"{widths[l]} maps\n{image_size // 2 ** l}²", "#f7dcc4")
    arrow((last[0] + 0.3, last[1] + 0.3), (dec[depth - 1][0] - 0.2, dec[depth - 1][1] - 0.3))
    for l in range(depth - 1):
        arrow((dec[l + 1][0] + 0.2, dec[l + 1][1] + 0.3), (dec[l][0] - 0.2, dec[l][1] - 0.3))
    for l in range(depth - 1):
        arrow((enc[l][0] + 0.2, enc[l][1] - 0.3), (enc[l + 1][0] - 0.2, enc[l + 1][1] + 0.3))
    for l in range(depth):
        (xe, ye), (xd, yd) = enc[l], dec[l]
        if skips == "concat":
            arrow((xe + 0.4, ye), (xd - 0.4, yd), ls="--", color="tab:red")
        else:
            ax.text(xd, yd + 0.36, "cat(x, x)" if skips == "self" else "no concat", ha="center", fontsize=7,
                    color="tab:red")
    ax.text(0, 0.6, "E (encoder)", ha="center", fontsize=9)
    ax.text(dec[0][0], 0.6, "D (decoder)", ha="center", fontsize=9)
    ax.set_xlim(-0.6, dec[0][0] + 0.6)
    ax.set_ylim(-depth * 0.9 - 0.7, 0.9)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    return fig
