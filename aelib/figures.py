"""Figures: one helper that saves each figure for the site and returns it for display, image
grids, and the plots that several chapters share (training curves, frame explorers, a histogram
with its Q-Q plot, per-seed distances, sliced Wasserstein by pyramid level) and the U-Nets' block
diagrams, read from the built model (:mod:`aelib.diagram`). Every chapter saves through
:meth:`aelib.chapter.Chapter.figure`.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torchvision.utils import make_grid

# Text sizes for figures read on a page whose column is about 800 px wide (a figure is at most
# PAGE_WIDTH_IN inches wide there, so 10 pt stays at least about 10 px on screen).
BOOK_STYLE = {"font.size": 11, "axes.titlesize": 11, "axes.labelsize": 11, "xtick.labelsize": 10,
              "ytick.labelsize": 10, "legend.fontsize": 10, "figure.titlesize": 12}
PAGE_WIDTH_IN = 10.0


def book_style() -> None:
    """Set the book's figure text sizes for this process (every chapter starts with it)."""
    plt.rcParams.update(BOOK_STYLE)


def fit_page(fig) -> None:
    """Shrink a figure wider than :data:`PAGE_WIDTH_IN` to that width, keeping its aspect, so that
    its text is not scaled down below its point size on the page; the layout is redone."""
    import warnings

    w, h = fig.get_size_inches()
    if w <= PAGE_WIDTH_IN:
        return
    fig.set_size_inches(PAGE_WIDTH_IN, h * PAGE_WIDTH_IN / w)
    if fig.get_layout_engine() is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a layout that cannot be tightened stays as it is
            fig.tight_layout()


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


def image_rows(rows: dict[str, torch.Tensor], n: int = 8, scale: float = 1.0, min_width: float = 6.0):
    """One figure with a labelled row per entry of ``rows`` (each a batch; the first ``n`` shown),
    at least ``min_width`` inches wide so that the row labels fit beside a few images."""
    import warnings

    width = max(min_width, scale * n * 0.9)
    fig, axes = plt.subplots(len(rows), 1, figsize=(width, scale * 1.05 * len(rows)), squeeze=False)
    for ax, (label, batch) in zip(axes[:, 0], rows.items()):
        ax.imshow(grid_image(batch[:n], nrow=n), interpolation="nearest")
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=11)
        ax.set_xticks([])
        ax.set_yticks([])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # labels wider than the margins: the layout stays
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


# ------------------------------------------------------------------------------------------
# animations and an explorer over recorded frames


def headless() -> bool:
    """True when no interactive reader can be present: the papermill runner (and the site build)
    set ``AELIB_HEADLESS=1``; then chapters show static figures instead of widgets."""
    import os

    return os.environ.get("AELIB_HEADLESS", "") not in ("", "0")


def _frame_uint8(batch: torch.Tensor, nrow: int, scale: int):
    """One recorded frame (a batch) as an HWC uint8 grid, each pixel repeated ``scale`` times."""
    g = grid_image(batch, nrow=nrow)
    g = (g * 255).round().clip(0, 255).astype("uint8")
    return g.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else g


def gif_bytes(frames: torch.Tensor, n: int = 8, nrow: int = 8, scale: int = 2, fps: float = 10.0) -> bytes:
    """An animated GIF (looping) of recorded frames ``(F, B, C, H, W)``: each animation frame is a
    grid of the first ``n`` images, clipped to [0, 1] and enlarged ``scale`` times without
    smoothing. Returns the file's bytes (they start with ``b"GIF8"``)."""
    import imageio.v3 as iio
    import numpy as np

    if frames.dim() != 5:
        raise ValueError(f"frames must be (F, B, C, H, W), got shape {tuple(frames.shape)}")
    stack = np.stack([_frame_uint8(f[:n], nrow, scale) for f in frames])
    return iio.imwrite("<bytes>", stack, extension=".gif", duration=int(round(1000 / fps)), loop=0)


def save_gif(data: bytes, folder: Path, name: str) -> Path:
    """Write GIF bytes as ``<folder>/<name>.gif`` (beside the chapter's PNGs)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.gif"
    path.write_bytes(data)
    return path


def player(frames: dict, steps: list[int], n: int = 8, nrow: int = 4, label: str = "eps", slider: str = "step",
           fps: float = 8.0, width: int = 512, max_frames: int = 60) -> str:
    """A self-contained HTML and JavaScript player over recorded frames, for the static page: a
    slider over the recorded steps, a play/pause button and, when ``frames`` holds several runs
    (label -> ``(F, B, C, H, W)``, all recorded at ``steps``), buttons to choose one. Each frame
    is a grid of the first ``n`` images in ``nrow`` columns, embedded as a PNG data URI and
    enlarged to ``width`` pixels without smoothing; nothing is fetched (no CDN, no kernel). At
    most ``max_frames`` evenly spaced frames are kept (the first and last always)."""
    import base64
    import html
    import json
    import uuid

    import imageio.v3 as iio
    import numpy as np

    keys = list(frames)
    if not keys:
        raise ValueError("player needs at least one run of frames")
    n_frames = len(steps)
    keep = sorted(set(np.linspace(0, n_frames - 1, min(max_frames, n_frames)).round().astype(int).tolist()))
    uris = {}
    for k in keys:
        if len(frames[k]) != n_frames:
            raise ValueError(f"run {k!r} has {len(frames[k])} frames for {n_frames} recorded steps")
        uris[str(k)] = ["data:image/png;base64," + base64.b64encode(
            iio.imwrite("<bytes>", _frame_uint8(frames[k][i][:n], nrow, 1), extension=".png")).decode()
            for i in keep]
    uid = "player-" + uuid.uuid4().hex[:10]
    labels = [f"{slider} {steps[i]}" for i in keep]
    buttons = "".join(f'<button type="button" data-run="{html.escape(str(k))}">{html.escape(label)} = '
                      f'{html.escape(str(k))}</button>' for k in keys) if len(keys) > 1 else ""
    first = uris[str(keys[0])][0]
    return f"""<div class="aelib-player" id="{uid}">
<div class="aelib-player-runs">{buttons}</div>
<img src="{first}" alt="frame {html.escape(labels[0])}" width="{width}"
 style="image-rendering: pixelated; max-width: 100%;">
<div class="aelib-player-controls"><button type="button" class="aelib-play">play</button>
<input type="range" min="0" max="{len(keep) - 1}" value="0" step="1" aria-label="{html.escape(slider)}">
<span class="aelib-player-label">{html.escape(labels[0])}</span></div>
<script>(function() {{
  var root = document.getElementById("{uid}"), frames = {json.dumps(uris)}, labels = {json.dumps(labels)};
  var run = {json.dumps(str(keys[0]))}, img = root.querySelector("img"), range = root.querySelector("input");
  var label = root.querySelector(".aelib-player-label"), play = root.querySelector(".aelib-play"), timer = null;
  function show(i) {{ img.src = frames[run][i]; img.alt = "frame " + labels[i]; label.textContent = labels[i];
    range.value = i; }}
  range.addEventListener("input", function() {{ show(+range.value); }});
  play.addEventListener("click", function() {{
    if (timer) {{ clearInterval(timer); timer = null; play.textContent = "play"; return; }}
    play.textContent = "pause";
    timer = setInterval(function() {{ show((+range.value + 1) % labels.length); }}, {int(round(1000 / fps))});
  }});
  root.querySelectorAll("button[data-run]").forEach(function(b) {{
    b.addEventListener("click", function() {{ run = b.dataset.run; show(+range.value);
      root.querySelectorAll("button[data-run]").forEach(function(o) {{ o.classList.toggle("active", o === b); }}); }});
  }});
  var first = root.querySelector("button[data-run]"); if (first) first.classList.add("active");
}})();</script>
</div>"""


def frame_explorer(frames: dict, steps: list[int], n: int = 8, nrow: int = 8, scale: int = 3, label: str = "eps",
                   slider: str = "step"):
    """An ipywidgets explorer over recorded walks: a slider over the recorded step and, when
    ``frames`` holds several walks (label -> ``(F, B, C, H, W)``, all recorded at ``steps``),
    buttons to choose one: what an interactive reader gets beside :func:`player`, which is what the
    static page shows. ``slider`` names what the frames run over (e.g. the training-set size N)."""
    import imageio.v3 as iio
    import ipywidgets as widgets

    keys = list(frames)
    cache: dict = {}

    def png(key, i) -> bytes:
        if (key, i) not in cache:
            cache[key, i] = iio.imwrite("<bytes>", _frame_uint8(frames[key][i][:n], nrow, scale), extension=".png")
        return cache[key, i]

    step = widgets.SelectionSlider(options=[(str(s), i) for i, s in enumerate(steps)], value=0,
                                   description=slider, continuous_update=True,
                                   layout=widgets.Layout(width="480px"))
    which = widgets.ToggleButtons(options=[(f"{label} = {k}", k) for k in keys], value=keys[0],
                                  description=label if len(keys) > 1 else "")
    image = widgets.Image(value=png(keys[0], 0), format="png")

    def update(_=None):
        image.value = png(which.value, step.value)

    step.observe(update, names="value")
    which.observe(update, names="value")
    return widgets.VBox([which, step, image] if len(keys) > 1 else [step, image])


# ------------------------------------------------------------------------------------------
# training curves of runs with different batch sizes


def loss_curves_by_images(runs: dict[str, tuple[list[float], int]], window_images: int = 800):
    """Training-loss curves against the number of *images seen*, so that runs with different batch
    sizes can be compared: ``runs`` maps a label to ``(losses per step, batch size)``; each curve is a
    running mean over about ``window_images`` images (log axes)."""
    fig, ax = plt.subplots(figsize=(6.2, 3.2))
    for label, (losses, batch) in runs.items():
        if batch < 1:
            raise ValueError(f"batch size of {label!r} must be positive, got {batch}")
        x = torch.tensor(losses, dtype=torch.float64)
        w = max(1, min(window_images // batch, len(x) // 4))   # at least ~4 points per curve
        smooth = torch.nn.functional.avg_pool1d(x[None, None], w, 1)[0, 0]
        ax.plot((torch.arange(len(smooth)) + w) * batch, smooth, label=f"{label} (batch {batch})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training images seen")
    ax.set_ylabel(f"training MSE (mean of ~{window_images} images)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def ratio_curves(tables: dict, columns: tuple[str, ...] = ("r", "k")):
    """One panel per column of ratio tables (label -> DataFrame indexed by alpha, as returned by
    :func:`aelib.metrics.ratio_table`): the column against alpha, one line per model, and a
    dashed line at 1 (the identity's value of r and k), on a log scale so that models far above 1
    do not flatten the others."""
    names = {"r": "denoise ratio r", "k": "noise gain k", "g": "identity gap g"}
    fig, axes = plt.subplots(1, len(columns), figsize=(4.2 * len(columns), 3.2), squeeze=False)
    for ax, col in zip(axes[0], columns):
        for label, table in tables.items():
            ax.plot(table.index, table[col], marker="o", ms=3.5, label=label)
        ax.axhline(1.0, color="0.4", ls="--", lw=0.8)
        ax.set_yscale("log")
        ax.set_xlabel("alpha (1 = clean)")
        ax.set_ylabel(names.get(col, col))
        ax.invert_xaxis()
    axes[0, -1].legend(fontsize=7.5, loc="best")
    fig.tight_layout()
    return fig


def representation_loss(curves: dict[str, list[float]], every: int):
    """Input-representation loss curves (recorded every ``every`` steps) on log axes, one line
    per labelled run."""
    fig, ax = plt.subplots(figsize=(5.5, 3))
    for label, losses in curves.items():
        ax.plot(torch.arange(len(losses)) * every, losses, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("representation step")
    ax.set_ylabel("scaled L1 loss")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


@torch.no_grad()
def copying_rows(O, a: torch.Tensor, a_hat: torch.Tensor, a_g: torch.Tensor, alpha: float, n: int = 8):
    """Rows target a, O(a), a_hat, O(a_hat) and the representation a_g: does a model copy its input,
    and how well does its output layer represent it?"""
    return image_rows({"target a": a, "O(a)": O(a), f"a_hat (alpha={alpha})": a_hat, "O(a_hat)": O(a_hat),
                       "a_g": a_g}, n=n)


# ------------------------------------------------------------------------------------------
# is a sample Gaussian? histogram and Q-Q plot side by side


def hist_qq(samples: dict, title: str, styles: dict | None = None, lim: float = 4.5):
    """Two panels for sets of standardised values (``{label: array}``): their density histograms on
    a log scale against the standard normal density, and their normal Q-Q plots
    (:func:`aelib.gaussianity.qq_points`) against the line ``y = x``. ``styles`` maps a label to
    line keywords (``color``, ``ls``); a histogram takes only the colour."""
    import numpy as np
    from scipy import stats

    from .gaussianity import qq_points

    styles = styles or {}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    grid = np.linspace(-5, 5, 401)
    for label, z in samples.items():
        style = styles.get(label, {})
        ax1.hist(z, bins=np.linspace(-5, 5, 81), density=True, histtype="step", lw=1.4, label=label,
                 color=style.get("color"))
        th, emp = qq_points(z)
        ax2.plot(th, emp, label=label, lw=1.4, **style)
    ax1.plot(grid, stats.norm.pdf(grid), "k:", lw=1.2, label="N(0, 1)")
    ax1.set_yscale("log")
    ax1.set_ylim(1e-5, 1)
    ax1.set_xlabel("standardised deviation")
    ax1.set_ylabel("density (log scale)")
    ax1.legend(fontsize=8, loc="lower center")
    ax2.plot([-lim, lim], [-lim, lim], "k:", lw=1.2, label="y = x (normal)")
    ax2.set_xlim(-lim, lim)
    ax2.set_ylim(-lim, lim)
    ax2.set_xlabel("standard normal quantile")
    ax2.set_ylabel("sample quantile")
    ax2.legend(fontsize=8, loc="upper left")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------
# sliced Wasserstein distances over seeds and pyramid levels


def seed_dots(ax, sets: dict, xlabel: str, lines: dict | None = None):
    """On ``ax``, one row per set (``{label: per-seed values}``): a grey bar at the median and a dot
    per seed, first set at the top; ``lines`` adds labelled vertical reference lines
    (``{label: (x, keywords)}``), e.g. a threshold or the distance of pure noise."""
    for i, v in enumerate(sets.values()):
        ax.barh(i, sorted(v)[len(v) // 2], color="lightgrey")
        ax.scatter(v, [i] * len(v), color="tab:blue", zorder=3, s=18)
    ax.set_yticks(range(len(sets)))
    ax.set_yticklabels(list(sets))
    ax.invert_yaxis()
    for label, (x, kw) in (lines or {}).items():
        ax.axvline(x, label=label, **kw)
    ax.set_xlabel(xlabel)
    if lines:
        ax.legend(fontsize=8)
    return ax


def sw_by_level(ax, sets: dict, styles: dict | None = None, ylabel: str = "SW distance to held-out"):
    """On ``ax``, per set (``{label: per-seed lists of per-level distances, finest level first}``)
    the median over seeds at each pyramid level with the range over seeds as error bars; the
    levels are named finest, band 1, ..., coarsest. ``styles`` maps a label to ``errorbar``
    keywords (``marker``, ``ls``)."""
    n_levels = 0
    for label, per_seed in sets.items():
        t = torch.tensor(per_seed)
        mid_v, lo, hi = t.median(0).values, t.min(0).values, t.max(0).values
        ax.errorbar(range(t.shape[1]), mid_v, yerr=[mid_v - lo, hi - mid_v], capsize=3, label=label,
                    **(styles or {}).get(label, {}))
        n_levels = max(n_levels, t.shape[1])
    ax.set_xticks(range(n_levels))
    ax.set_xticklabels(["finest"] + [f"band {i}" for i in range(1, n_levels - 1)] + ["coarsest"])
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return ax
