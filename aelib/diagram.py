"""Block diagrams of the U-Nets drawn from the built model, so that a diagram cannot drift from the code.

:func:`trace` reads a model's blocks from the module itself (a *reader* per model class lists its
stages: the encoder's levels, the bottleneck, the MLP, the attention, the decoder's levels) and runs
one forward pass ``D(E(a))`` of a dummy batch with hooks on them. The pass records each stage's output
shape, which stage's output is ``h = E(a)``, and, for a decoder stage, what its concatenation holds:
the module that reads the concatenated tensor is hooked, and its input is compared with the
encoder's recorded outputs (the wiring seen, not assumed). :func:`draw` lays the stages out as a U:
encoder on the left going down one row per halving of the resolution, decoder on the right going up.
:func:`model_diagram` does both.

Readers exist for :class:`aelib.models.UNet` (no-skip, skip and hidden-MLP variants) and
:class:`aelib.attention.AttentionUNet`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch
import torch.nn as nn

from . import attention, models
from .figures import PAGE_WIDTH_IN

CONCAT = "concat"          # the place of the concatenation among a decoder stage's parts
FONT_PT = 8.0              # every text of the diagram (the book's floor is 7.5 pt)
ARC = 0.25                 # the bend of a skip arrow that passes under boxes
COLORS = {"E": "#cfe3f5", "D": "#f7dcc4", "MLP": "#e2e2e2"}


@dataclass
class Stage:
    """One box: ``parts`` (modules, and :data:`CONCAT` where a decoder concatenates) in forward order;
    ``out`` the module whose output is the stage's, ``into`` (decoder stages) the one that reads the
    concatenation. :func:`trace` fills ``shape`` (the output's shape without the batch), ``concat``
    (``"self"``, the index of the encoder stage concatenated, or None) and ``latent``."""

    side: str                              # "enc", "mid", "dec" or "out"
    parts: list
    out: nn.Module
    into: nn.Module | None = None
    shape: tuple[int, ...] = ()
    concat: str | int | None = None
    latent: bool = False

    def lines(self) -> list[str]:
        """The box's text: each part's kind (repeats merged, ``res block ×2``), then its output."""
        kinds: list[str] = []
        for p in self.parts:
            if p is CONCAT:
                if self.concat is not None:
                    kinds.append("cat with itself" if self.concat == "self" else "cat with encoder")
                continue
            kinds += kind(p)
        merged: list[list] = []
        for k in kinds:
            if merged and merged[-1][0] == k:
                merged[-1][1] += 1
            else:
                merged.append([k, 1])
        out = [k if n == 1 else f"{k} ×{n}" for k, n in merged]
        c, *hw = self.shape
        return out + [f"{c} maps, {hw[0]}×{hw[1]}" if len(hw) == 2 else f"{c} features"]


def kind(m: nn.Module) -> list[str]:
    """What a block is, in words read from the module (one or more lines)."""
    if isinstance(m, models.HiddenMLP):
        dims = [m.mlp[0].in_features] + [lin.out_features for lin in m.mlp]
        return [f"conv ↓{m.down.stride[0]}, flatten", "MLP " + "-".join(map(str, dims)), f"up-conv ↑{m.up.stride[0]}"]
    if isinstance(m, attention.NoisyResidualAttention):
        return ["efficient attention" if isinstance(m.attn, attention.EfficientAttention) else "dot-product attention"]
    if isinstance(m, attention.NoisyResnetBlock):
        return ["res block"]
    if isinstance(m, nn.MaxPool2d):
        return [f"max pool ↓{m.kernel_size}"]
    if isinstance(m, nn.ConvTranspose2d):
        return [f"up-conv ↑{m.stride[0]}"]
    if isinstance(m, nn.Conv2d):
        k = f"{m.kernel_size[0]}×{m.kernel_size[1]} conv"
        return [k + (f" ↓{m.stride[0]}" if m.stride[0] > 1 else "")]
    convs = [c for c in m.modules() if isinstance(c, nn.Conv2d)]
    if isinstance(m, nn.Sequential) and len(convs) == 2 and all(c.kernel_size == (3, 3) for c in convs):
        return ["double conv 3×3"]
    return [type(m).__name__]


def _unet(m: models.UNet) -> list[Stage]:
    st = [Stage("enc", [m.inc], m.inc)] + [Stage("enc", list(d), d) for d in m.downs]
    if m.hidden is not None:
        st.append(Stage("mid", [m.hidden], m.hidden))
    st += [Stage("dec", [up.up, CONCAT, up.conv], up.conv, into=up.conv) for up in m.ups]
    return st + [Stage("out", [m.outc], m.outc)]


def _attention_unet(m: attention.AttentionUNet) -> list[Stage]:
    st = []
    for i, (block1, block2, attn, _) in enumerate(m.downs):
        st.append(Stage("enc", [m.init_conv if i == 0 else m.downs[i - 1][3], block1, block2, attn], attn))
    st.append(Stage("mid", [m.mid1, m.mid_attn, m.mid2], m.mid2))
    for i, (block1, block2, attn, _) in enumerate(m.ups):
        st.append(Stage("dec", ([m.ups[i - 1][3]] if i else []) + [CONCAT, block1, block2, attn], attn, into=block1))
    return st + [Stage("out", [m.ups[-1][3], *m.final], m.final)]


READERS: dict[type, Callable[[nn.Module], list[Stage]]] = {models.UNet: _unet, attention.AttentionUNet: _attention_unet}


def _reader(model: nn.Module):
    for cls, read in READERS.items():
        if isinstance(model, cls):
            return read
    raise TypeError(f"no diagram reader for {type(model).__name__}; readers: {', '.join(c.__name__ for c in READERS)}")


@torch.no_grad()
def trace(model: nn.Module, image_size: int, channels: int = 3, batch: int = 2) -> list[Stage]:
    """The model's stages with their output shapes, ``h = E(a)`` and the decoder's concatenations, from
    one pass ``D(E(a))`` of ``batch`` random images in eval mode (batch-norm statistics are not
    touched). Every module's train/eval mode and the caller's random streams are restored."""
    stages = _reader(model)(model)
    outs: dict[int, torch.Tensor] = {}
    ins: dict[int, torch.Tensor] = {}
    hooks = []
    for i, s in enumerate(stages):
        hooks.append(s.out.register_forward_hook(lambda _m, _a, y, i=i: outs.setdefault(i, y)))
        if s.into is not None:
            hooks.append(s.into.register_forward_pre_hook(lambda _m, a, i=i: ins.setdefault(i, a[0])))
    modes = {m: m.training for m in model.modules()}
    device = next(model.parameters()).device
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(0)
            model.eval()
            h = model.E(torch.rand(batch, channels, image_size, image_size, device=device))
            model.D(h)
    finally:
        for hook in hooks:
            hook.remove()
        for m, mode in modes.items():
            m.training = mode
    h = h[0] if isinstance(h, tuple) else h
    for i, s in enumerate(stages):
        s.shape, s.latent = tuple(outs[i].shape[1:]), outs[i] is h
        if i in ins:
            s.concat = _concatenated(ins[i], {j: outs[j] for j, e in enumerate(stages) if e.side == "enc"})
    return stages


def _concatenated(x: torch.Tensor, encoder: dict[int, torch.Tensor]) -> str | int | None:
    """``"self"`` when ``x`` is a tensor concatenated with itself along the maps, the index of the encoder
    output that fills its first or last maps, None when it holds neither."""
    c = x.shape[1]
    if c % 2 == 0 and torch.equal(x[:, : c // 2], x[:, c // 2:]):
        return "self"
    for j, e in encoder.items():
        k = e.shape[1]
        if e.shape[2:] == x.shape[2:] and k < c and (torch.equal(x[:, :k], e) or torch.equal(x[:, c - k:], e)):
            return j
    return None


def _text_width(s: str, bold: bool = False) -> float:
    """Inches that ``s`` takes at :data:`FONT_PT`."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    w, _, _ = TextToPath().get_text_width_height_descent(s, FontProperties(size=FONT_PT, weight="bold" if bold else
                                                                           "normal"), ismath=False)
    return w / 72


def _columns(w: list[float], row: list[int], step: float, gap: float) -> list[float]:
    """Box centres (inches): a box beside the previous one on its row, or ``step`` of their widths on
    from it on the next row, and never nearer than ``gap`` to an earlier box of its row."""
    x = [w[0] / 2]
    for i in range(1, len(w)):
        xi = x[-1] + (w[i - 1] / 2 + gap + w[i] / 2 if row[i] == row[i - 1] else step * (w[i - 1] + w[i]))
        for j in range(i - 1):
            if row[j] == row[i]:
                xi = max(xi, x[j] + (w[j] + w[i]) / 2 + gap)
        x.append(xi)
    return x


def draw(stages: list[Stage], image_size: int, channels: int = 3):
    """The traced ``stages`` as a U: one box per stage naming its blocks and its output (maps and
    resolution), one row per halving of the resolution, boxes of ``E`` blue and of ``D`` orange (the
    MLP grey), ``h = E(a)`` marked in its box, solid arrows in forward order and a dashed red arrow from
    each encoder stage a decoder stage concatenates."""
    from matplotlib.patches import FancyArrowPatch, Rectangle

    line_h, pad, gap, vgap = FONT_PT * 1.3 / 72, 0.07, 0.28, 0.32
    texts = [s.lines() + (["h = E(a)"] if s.latent else []) for s in stages]
    w = [max(_text_width(t, bold=True) for t in lines) + 2 * pad for lines in texts]
    h = [len(lines) * line_h + 2 * pad for lines in texts]
    row = [round(math.log2(image_size / s.shape[1])) if len(s.shape) == 3 else 0 for s in stages]
    latent = next((i for i, s in enumerate(stages) if s.latent), len(stages) - 1)
    for step in (0.3, 0.25, 0.2, 0.15):   # the widest U-Nets draw their rows closer to fit the page
        x = _columns(w, row, step, gap)
        if x[-1] + w[-1] / 2 + 0.2 <= PAGE_WIDTH_IN:
            break
    pitch = max(h) + vgap
    arcs = [abs(x[i] - x[s.concat]) for i, s in enumerate(stages)   # skips passing under boxes: their spans
            if isinstance(s.concat, int) and any(row[k] == row[i] for k in range(s.concat + 1, i))]
    top, bottom = 2 * line_h + 0.1, ARC * max(arcs, default=0) / 2 + 0.1
    width = x[-1] + w[-1] / 2 + 0.1
    height = top + max(row) * pitch + max(h) + bottom
    fig = plt.figure(figsize=(width + 0.1, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.05, width + 0.05)
    ax.set_ylim(-max(row) * pitch - max(h) / 2 - bottom, top + max(h) / 2)
    ax.axis("off")
    y = [-r * pitch for r in row]

    for i, (s, lines) in enumerate(zip(stages, texts)):
        color = COLORS["MLP"] if isinstance(s.parts[0], models.HiddenMLP) else COLORS["E" if i <= latent else "D"]
        ax.add_patch(Rectangle((x[i] - w[i] / 2, y[i] - h[i] / 2), w[i], h[i], fc=color, ec="k",
                               lw=1.8 if s.latent else 0.8))
        for k, t in enumerate(lines):
            bold = k >= len(lines) - (2 if s.latent else 1)
            red = t.startswith("cat with")
            ax.text(x[i], y[i] + h[i] / 2 - pad - (k + 0.5) * line_h, t, ha="center", va="center", fontsize=FONT_PT,
                    weight="bold" if bold else "normal", color="tab:red" if red else "k")

    def arrow(p, q, **kw):
        ax.add_patch(FancyArrowPatch(p, q, arrowstyle="-|>", mutation_scale=8, lw=0.9, shrinkA=0, shrinkB=0, **kw))

    for i in range(1, len(stages)):
        a, b = i - 1, i
        if row[a] == row[b]:
            arrow((x[a] + w[a] / 2, y[a]), (x[b] - w[b] / 2, y[b]))
        else:
            xm = (x[a] + x[b]) / 2
            down = row[b] > row[a]
            arrow((xm, y[a] - (h[a] if down else -h[a]) / 2), (xm, y[b] + (h[b] if down else -h[b]) / 2))
    for i, s in enumerate(stages):
        if isinstance(s.concat, int):
            j = s.concat
            between = any(row[k] == row[i] for k in range(j + 1, i))
            if between:   # boxes in the way on the bottom row: the arrow passes under them
                arrow((x[j], y[j] - h[j] / 2), (x[i], y[i] - h[i] / 2), color="tab:red", ls="--",
                      connectionstyle=f"arc3,rad={ARC}")
            else:
                arrow((x[j] + w[j] / 2, y[j]), (x[i] - w[i] / 2, y[i]), color="tab:red", ls="--")
    size = f"{image_size}×{image_size}"
    ax.text(x[0] - w[0] / 2, y[0] + h[0] / 2 + 0.04, f"E (encoder)\ninput a: {channels} maps, {size}", ha="left",
            va="bottom", fontsize=FONT_PT, linespacing=1.3)
    ax.text(x[-1] + w[-1] / 2, y[-1] + h[-1] / 2 + 0.04, "D (decoder)\noutput O(a) = D(E(a))", ha="right",
            va="bottom", fontsize=FONT_PT, linespacing=1.3)
    return fig


def model_diagram(model: nn.Module | models.ModelConfig, image_size: int | None = None, channels: int | None = None):
    """The block diagram of ``model`` (:func:`trace`, then :func:`draw`). ``model`` is a built module
    (give its ``image_size``; ``channels`` default 3) or a :class:`aelib.models.ModelConfig`, built here
    without touching the caller's random streams."""
    if isinstance(model, models.ModelConfig):
        image_size, channels = image_size or model.image_size, channels or model.channels
        with torch.random.fork_rng(devices=[]):
            model = models.build(model)
    if image_size is None:
        raise ValueError("model_diagram needs the image_size a built model reads")
    channels = channels or 3
    return draw(trace(model, image_size, channels), image_size, channels)
