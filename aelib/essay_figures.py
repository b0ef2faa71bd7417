"""The essay's 31 figures and videos, and where this book shows the counterpart of each.

:data:`FIGURES` lists them in the essay's page order (our short descriptions; the essay's section
and the model it used are in the reference notes). A chapter names the essay figure that one of
its own figures stands for in the caption, in the form ``essay Fig. N``; :func:`counterparts`
reads those captions from the chapters' sources, so the table on the first page
(:func:`markdown`) cannot claim a counterpart that no caption names, and a test checks that every
essay figure has one.
"""

from __future__ import annotations

import re
from pathlib import Path

# number -> what the essay's figure shows (our words)
FIGURES: dict[int, str] = {
    1: "the fully connected autoencoder on clean and corrupted CIFAR images",
    2: "diagram of the U-Net with its skip connections removed",
    3: "the output layer's input representation, untrained against trained U-Net",
    4: "the no-skip U-Net denoising a 512² landscape",
    5: "denoising at 64² (churches)",
    6: "restoration from heavy corruption after longer training",
    7: "the output when the input is pure noise",
    8: "the representation of a corrupted input, less noisy than the input",
    9: "the hidden-MLP U-Net: good autoencoding, poor input representation",
    10: "video: a noisy walk on the learned manifold",
    11: "video: the walk on a model trained on 2,048 instead of 256 images",
    12: "video: the walk without noise (re-encoding only)",
    13: "samples of the 30-step denoise-and-renoise chain",
    14: "video: the same chain over 200 steps",
    15: "video: a manifold walk on the same model, for comparison",
    16: "samples after more compute and a larger model",
    17: "diagram of the U-Net with an MLP in its bottleneck",
    18: "the hidden-MLP U-Net's denoising, with painting-like changes",
    19: "samples of the hidden-MLP U-Net",
    20: "video: the hidden-MLP U-Net's chain over 200 iterations",
    21: "samples of the U-Net with twice the feature maps",
    22: "samples of the wide U-Net with one more level",
    23: "width and the painting-like artefacts of samples",
    24: "denoising with batch normalization removed",
    25: "denoising when trained and evaluated with batches of one",
    26: "the output layer's representation with and without batch normalization",
    27: "diagram of the attention U-Net",
    28: "the attention U-Net's denoising and its input representation",
    29: "one linear-attention layer between two convolutions: copying",
    30: "dot-product attention in its place: a less accurate representation",
    31: "dot-product attention alone: good representation, no denoising",
}

# a placed figure in a chapter's source: the glue:figure block, its :name: and its caption
_BLOCK = re.compile(r"```\{glue:figure\}\s*(?P<key>\S+)\s*\n(?P<body>.*?)```", re.S)
_NAME = re.compile(r"^:name:\s*(\S+)", re.M)
_ESSAY = re.compile(r"essay Fig\.\s*(\d+)")


def _markdown_text(src: str) -> str:
    """The text of a jupytext percent-format source's markdown cells, comment marks removed."""
    out, in_md = [], False
    for line in src.splitlines():
        if line.startswith("# %%"):
            in_md = "[markdown]" in line
            continue
        if in_md:
            out.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    return "\n".join(out)


def placed(src: str) -> list[tuple[str, list[int]]]:
    """Each figure placed in one chapter source: (its :name: label, the essay figures its caption
    names as ``essay Fig. N``), in page order. A block without a :name: has no label to link."""
    out = []
    for m in _BLOCK.finditer(_markdown_text(src)):
        name = _NAME.search(m.group("body"))
        out.append((name.group(1) if name else "", [int(n) for n in _ESSAY.findall(m.group("body"))]))
    return out


def counterparts(srcs: list[Path]) -> dict[int, list[str]]:
    """Essay figure number -> the labels of the book's figures whose captions name it (every
    number of :data:`FIGURES`, with an empty list where no caption names it). A caption naming a
    number the essay does not have is an error."""
    found: dict[int, list[str]] = {n: [] for n in FIGURES}
    for path in srcs:
        for label, numbers in placed(Path(path).read_text()):
            for n in numbers:
                if n not in found:
                    raise ValueError(f"{Path(path).name}: caption of {label or 'a figure'} names essay Fig. {n}, "
                                     f"but the essay has figures 1 to {max(FIGURES)}")
                if label and label not in found[n]:
                    found[n].append(label)
    return found


def missing(srcs: list[Path]) -> list[int]:
    """The essay figures no chapter caption names."""
    return [n for n, labels in counterparts(srcs).items() if not labels]


def markdown(srcs: list[Path]) -> str:
    """A table for the first page: each essay figure, what it shows, and links to its counterparts."""
    rows = ["| essay | what it shows | in this book |", "|---:|---|---|"]
    for n, labels in counterparts(srcs).items():
        where = ", ".join(f"{{numref}}`{label}`" for label in labels) or "no counterpart yet"
        rows.append(f"| Fig. {n} | {FIGURES[n]} | {where} |")
    return "\n".join(rows) + "\n"
