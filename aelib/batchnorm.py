"""Batch normalisation at work: which images share statistics, which statistics are used, and the
image statistics batch norm is said to impose on an autoencoder's outputs.

A ``BatchNorm2d`` layer in train mode normalises each feature map with the mean and variance taken
over every image of the batch *and* every position; in eval mode it uses the running averages it
collected during training instead. Both choices change what ``O = D(E(a))`` computes, so this
module makes them explicit:

- :class:`Grouped`       ``O`` in train mode, with the batch split into consecutive groups of a
  fixed size that share statistics (size 1: each image is normalised over its own positions
  only), and with the model's running statistics left exactly as they were
  (:func:`batch_statistics`);
- :class:`RunningStatistics` ``O`` in eval mode (BatchNorm uses the running averages collected
  in training) on a private copy, so that a shared, cached model is never switched or altered;
- :class:`Modes`         both of the above behind one switch (``train()`` / ``eval()``), the form
  :func:`aelib.metrics.ratio_table` needs for its eval-mode columns;
- :func:`offset_response` how far the output moves when a grey offset is added to the whole batch
  (train-mode BatchNorm after a bias-free convolution hardly lets it through), and
  :func:`set_channel_means` (the colour means of an image set: held-out against training photos);
- :func:`channel_stats`, :func:`channel_stat_distance` and :func:`colour_distance`: per-image
  statistics of outputs compared with the clean images (with :func:`aelib.metrics.high_frequency`);
- :class:`EssayBlur`     the essay's blur test (Gaussian kernel 19, sigma 8), scaled to another
  resolution.

:class:`Grouped` and :class:`RunningStatistics` are plain callables, not modules: handed to
:func:`aelib.sampler.sample`, they keep the statistics they stand for (the sampler switches only
an ``nn.Module`` to train mode).
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn as nn

from .modes import in_mode

_BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


class BatchNormError(ValueError):
    """A group size, step count or resolution that cannot be used."""


# ------------------------------------------------------------------------------------------
# which statistics BatchNorm uses


@contextmanager
def batch_statistics(model: torch.nn.Module):
    """Inside the block ``model`` is in train mode and every BatchNorm normalises with the statistics
    of the batch it is given, while its running statistics are neither used nor updated; afterwards
    the model's mode and buffers are exactly as before.

    The running statistics are taken out of the layers for the duration (not overwritten after the
    fact), so tensors that autograd saved inside the block stay valid: gradients can be taken after
    the block has closed. The manifold walk and the sampler use it too.
    """
    layers = [m for m in model.modules() if isinstance(m, _BN_TYPES)]
    saved = [(m.running_mean, m.running_var, m.num_batches_tracked) for m in layers]
    with in_mode(model, True):
        try:
            for m in layers:  # taken out, not mutated: also what torch.func transforms need
                m.running_mean, m.running_var, m.num_batches_tracked = None, None, None
            yield model
        finally:
            for m, (mean, var, count) in zip(layers, saved):
                m.running_mean, m.running_var, m.num_batches_tracked = mean, var, count


class Grouped:
    """``O(x)`` with ``x`` split into consecutive groups of ``size`` images, each group run through
    ``model`` in train mode on its own, so that BatchNorm normalises with that group's statistics.

    ``size=1`` is the essay's batch-1 setting (statistics over positions only); a size at least
    the batch size is the plain ``model(x)`` in train mode. Every call leaves the model's mode and
    running statistics as they were (a train-mode forward pass would otherwise update them).
    Gradients flow as usual; wrap calls in ``torch.no_grad()`` where none are needed.
    """

    def __init__(self, model: torch.nn.Module, size: int):
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise BatchNormError(f"group size must be a positive integer, got {size!r}")
        self.model, self.size = model, size

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        with batch_statistics(self.model):
            return torch.cat([self.model(part) for part in x.split(self.size)])

    def parameters(self):
        """The model's parameters (so that :func:`aelib.representation.represent` can freeze them)."""
        return self.model.parameters()


class RunningStatistics:
    """``O(x)`` in eval mode: every BatchNorm uses the running mean and variance it collected during
    training, so each image's output no longer depends on the rest of the batch.

    Runs on a deep copy taken at construction (gradients off), which is put in eval mode at every
    call; the model handed in keeps its mode, weights and statistics. Take the copy before any
    train-mode forward pass could have touched the running statistics.
    """

    def __init__(self, model: torch.nn.Module):
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.eval()(x)

    def parameters(self):
        return self.model.parameters()


# ------------------------------------------------------------------------------------------
# statistics of images


def _check_batch(x: torch.Tensor, name: str = "x") -> None:
    if x.dim() != 4:
        raise BatchNormError(f"{name} must be an image batch (B, C, H, W), got shape {tuple(x.shape)}")


def channel_stats(x: torch.Tensor) -> torch.Tensor:
    """(B, C, 2): the mean and the standard deviation over positions of each channel of each image."""
    _check_batch(x)
    flat = x.detach().float().flatten(2)
    return torch.stack([flat.mean(dim=2), flat.std(dim=2, unbiased=False)], dim=2)


def channel_stat_distance(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """(B,): for each image, the Euclidean distance between the 2C numbers of :func:`channel_stats`
    of ``x`` and those of its clean original ``a`` (same shape)."""
    if x.shape != a.shape:
        raise BatchNormError(f"shapes differ: {tuple(x.shape)} vs {tuple(a.shape)}")
    return (channel_stats(x) - channel_stats(a)).flatten(1).norm(dim=1)


def colour_distance(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """(B,): for each image, the mean over channels of the 1-D Wasserstein distance between the
    pixel values of ``x`` and those of ``a`` in that channel (``scipy.stats.wasserstein_distance``):
    how far the colour histograms are apart, in units of pixel value."""
    from scipy.stats import wasserstein_distance

    if x.shape != a.shape:
        raise BatchNormError(f"shapes differ: {tuple(x.shape)} vs {tuple(a.shape)}")
    _check_batch(x)
    xs, as_ = x.detach().float().flatten(2).cpu().numpy(), a.detach().float().flatten(2).cpu().numpy()
    out = [[wasserstein_distance(xs[i, c], as_[i, c]) for c in range(x.shape[1])] for i in range(len(x))]
    return torch.tensor(out, dtype=torch.float64).mean(dim=1)


# ------------------------------------------------------------------------------------------
# the essay's blur test


@dataclass(frozen=True)
class EssayBlur:
    kernel: int = 19         # torchvision GaussianBlur kernel size in the essay's code
    sigma: float = 8.0       # its standard deviation, in pixels
    ref_size: int = 128      # the resolution it was applied at (the landscapes' 128x128)

    def scaled(self, size: int) -> tuple[int, float]:
        """``(kernel, sigma)`` for images of side ``size``: both scaled by ``size / ref_size``, the
        kernel rounded to the nearest odd integer (at least 3), so the blur covers the same fraction
        of the image and is truncated at the same multiple of sigma."""
        if not isinstance(size, int) or size < 2:
            raise BatchNormError(f"image size must be an integer >= 2, got {size!r}")
        s = size / self.ref_size
        kernel = max(3, 2 * round((self.kernel * s - 1) / 2) + 1)
        return kernel, self.sigma * s

    def __call__(self, a: torch.Tensor) -> torch.Tensor:
        """``a`` (B, C, H, W) blurred with the kernel scaled to its side ``H``."""
        from torchvision.transforms import GaussianBlur

        _check_batch(a, "a")
        kernel, sigma = self.scaled(a.shape[-1])
        return GaussianBlur(kernel, sigma)(a)

    @torch.no_grad()
    def restoration_ratio(self, O, a: torch.Tensor) -> torch.Tensor:
        """(B,): ``|O(b(a)) - a| / |b(a) - a|`` with ``b`` this blur: the denoise ratio ``r`` with
        blurring as the corruption (below 1: the output is sharper, nearer the clean image)."""
        blurred = self(a)
        num = (O(blurred) - a).flatten(1).norm(dim=1)
        return num / (blurred - a).flatten(1).norm(dim=1).clamp_min(1e-12)


# ------------------------------------------------------------------------------------------
# both modes side by side, and what train-mode BatchNorm cannot see


class Modes:
    """One BatchNorm model in either mode, as :func:`aelib.metrics.ratio_table` (``eval_mode=True``)
    expects a module: callable, with ``training``, ``eval()`` and ``train()``.

    In train mode a call is :class:`Grouped` (groups of ``size`` images share statistics; running
    statistics neither used nor updated); in eval mode it is :class:`RunningStatistics`, a copy
    taken at construction. Switching modes changes only this wrapper's flag: the model handed in
    keeps its mode, weights and buffers (a bare train-mode module would update its running
    statistics at every call, so the eval-mode numbers measured after it would be contaminated by
    the evaluation batches).
    """

    def __init__(self, model: torch.nn.Module, size: int):
        self.grouped = Grouped(model, size)
        self.running = RunningStatistics(model)
        self.training = True

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.grouped(x) if self.training else self.running(x)

    def train(self, mode: bool = True) -> Modes:
        self.training = bool(mode)
        return self

    def eval(self) -> Modes:
        return self.train(False)

    def parameters(self):
        return self.grouped.parameters()


def set_channel_means(x: torch.Tensor) -> torch.Tensor:
    """(C,): the mean of each colour channel over a whole image set (floats, or uint8 scaled to [0, 1])."""
    _check_batch(x)
    x = x.float()
    if x.max() > 1.5:  # uint8 images
        x = x / 255.0
    return x.mean(dim=(0, 2, 3))


@torch.no_grad()
def offset_response(O, a: torch.Tensor, offsets) -> list[dict]:
    """How much ``O``'s output moves when the same grey offset ``d`` is added to every pixel of every
    image of the batch: for each ``d``, the medians over images of ``|d|`` relative to the input
    (``|a + d - a| / |a|``) and of ``|O(a + d) - O(a)| / |O(a)|``.

    An offset that every image of the batch shares is what train-mode BatchNorm after a bias-free
    convolution subtracts again: such a model's output hardly moves (a ratio output/input far
    below 1), while a model without BatchNorm or in eval mode answers it."""
    _check_batch(a, "a")
    base = O(a)
    base_norm = base.flatten(1).norm(dim=1).clamp_min(1e-12)
    a_norm = a.flatten(1).norm(dim=1).clamp_min(1e-12)
    out = []
    for d in offsets:
        shifted = a + float(d)
        moved = (O(shifted) - base).flatten(1).norm(dim=1) / base_norm
        out.append({"offset": float(d), "input_change": float(((shifted - a).flatten(1).norm(dim=1) / a_norm).median()),
                    "output_change": float(moved.median())})
    return out
