"""The autoencoders of the essay, each split into an encoder ``E`` and a decoder ``D``, ``O = D(E(a))``,
and the registry of model kinds that :func:`build` makes them from.

A model is named by a :class:`ModelConfig`: its ``kind``, the square image side and channels it
reads, and ``params``, the kind's own parameters (a small frozen dataclass the kind registered
with). A module that defines models registers each kind with its builder::

    @register("unet", UNetParams)
    def _unet(cfg: ModelConfig) -> UNet: ...

This module registers ``fc``, ``unet`` and ``mlp``; :mod:`aelib.attention` registers the attention
kinds and :mod:`aelib.diffusion` the noise-predicting U-Nets. This module imports neither: a kind
exists once the module that defines it is imported, and a :class:`ModelConfig` of a kind can only
be made (or unpickled, which imports its parameters' module) after that, so whatever holds a
configuration can build it.

- :class:`FCAutoencoder`  the overcomplete fully connected autoencoder. Every layer is registered
  with the module, so all of them train; the author's code kept five layers in a plain Python
  list, so they stayed at their random initialisation.
- :class:`UNet`           the U-Net of Ronneberger et al. with a ``skips`` switch: ``"self"``
  (default) is the essay's no-skip U-Net: each decoder block concatenates its upsampled tensor
  *with itself* where the original concatenated the encoder's feature map, exactly as the
  author's code did (it keeps the original parameter count; it is equivalent to one convolution
  with summed weights). ``"concat"`` keeps the encoder-to-decoder skips (the control of claim C3).
  ``hidden_mlp=(500, 100, 500)`` inserts the essay's restrictive linear MLP in the bottleneck
  (claim C8). ``batchnorm=False`` removes every BatchNorm and gives the convolutions biases.
- :class:`MLPAutoencoder` a simplified, undercomplete MLP with no normalisation: each encoder
  layer is narrower than its input, so input representations have free directions, and with no
  BatchNorm the rows of a batch never interact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn


class ModelError(ValueError):
    """An unknown model kind or parameter, or an impossible shape."""


# ------------------------------------------------------------------------------------------
# the registry of model kinds


@dataclass(frozen=True)
class Kind:
    """A registered model kind: the frozen dataclass of its own parameters and its builder,
    ``build(cfg) -> model`` for a :class:`ModelConfig` of this kind."""

    name: str
    params: type
    build: Callable[[ModelConfig], nn.Module]

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self.params))


_KINDS: dict[str, Kind] = {}


def register(kind: str, params: type):
    """Decorator: register the builder it decorates, ``f(cfg) -> model``, for ``kind``, whose own
    parameters are the frozen dataclass ``params``. A kind registered again by the same module (a
    reload of it) is replaced; one that another module registered is an error."""
    if not (isinstance(params, type) and dataclasses.is_dataclass(params) and params.__dataclass_params__.frozen):
        raise TypeError(f"the parameters of model kind {kind!r} must be a frozen dataclass, got {params!r}")

    def decorate(builder):
        old = _KINDS.get(kind)
        if old is not None and old.build.__module__ != builder.__module__:
            raise ModelError(f"model kind {kind!r} is already registered by {old.build.__module__}")
        _KINDS[kind] = Kind(kind, params, builder)
        return builder
    return decorate


def kinds() -> tuple[str, ...]:
    """The registered model kinds, in the order they were registered."""
    return tuple(_KINDS)


def lookup(name: str) -> Kind:
    """The registered kind ``name``."""
    try:
        return _KINDS[name]
    except KeyError:
        raise ModelError(f"unknown model kind {name!r}; registered: {', '.join(_KINDS)} (a module registers "
                         "its kinds when it is imported: import aelib.attention or aelib.diffusion for "
                         "theirs)") from None


@dataclass(frozen=True)
class ModelConfig:
    """What determines a model before training: its ``kind``, the square image side and the
    channels it reads, and ``params``, the kind's own parameters (an instance of the dataclass
    the kind registered with). All of it enters the cache key of a trained model
    (:func:`aelib.cache.run_key`), and no parameter of another kind does. ``ModelConfig.of`` takes
    the kind's parameters by name. Sizes have no defaults here: the book's are the profile's
    (``aelib.config``), so that a size is written once."""

    kind: str
    image_size: int                       # square input side
    channels: int = 3                     # RGB
    params: Any = None                    # the kind's parameters (e.g. UNetParams)

    def __post_init__(self):
        k = lookup(self.kind)
        if self.params is None:
            raise ModelError(f"model kind {self.kind!r} needs its parameters ({', '.join(k.param_names)}); "
                             f"use ModelConfig.of({self.kind!r}, image_size=..., ...)")
        if type(self.params) is not k.params:
            raise ModelError(f"model kind {self.kind!r} takes {k.params.__name__}, "
                             f"got {type(self.params).__name__}")

    @classmethod
    def of(cls, kind: str, image_size: int, channels: int = 3, **params) -> ModelConfig:
        """``ModelConfig.of("unet", image_size=16, base=8, depth=2, skips="concat")``: the named
        parameters of the kind set, its switches at their defaults; a name the kind does not have,
        or a size left out, is an error."""
        k = lookup(kind)
        unknown = [name for name in params if name not in k.param_names]
        if unknown:
            raise ModelError(f"model kind {kind!r} has no parameter {', '.join(map(repr, unknown))}; "
                             f"its parameters: {', '.join(k.param_names)}")
        missing = [f.name for f in dataclasses.fields(k.params)
                   if f.name not in params and f.default is dataclasses.MISSING]
        if missing:
            raise ModelError(f"model kind {kind!r} needs {', '.join(map(repr, missing))} (sizes have no default; "
                             "the book's are the profile's)")
        return cls(kind, image_size, channels, k.params(**params))

    def as_dict(self) -> dict:
        return {"kind": self.kind, "image_size": self.image_size, "channels": self.channels,
                "params": dataclasses.asdict(self.params)}


def build(cfg: ModelConfig) -> nn.Module:
    """A fresh model from its configuration, by its kind's builder (the caller seeds the
    initialisation)."""
    return lookup(cfg.kind).build(cfg)


class Autoencoder(nn.Module):
    """``O(a) = D(E(a))``; ``E`` maps an image batch to the latent ``h``, ``D`` maps it back."""

    def E(self, a: torch.Tensor):  # noqa: N802 (the essay's notation)
        raise NotImplementedError

    def D(self, h) -> torch.Tensor:  # noqa: N802
        raise NotImplementedError

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        return self.D(self.E(a))


# ------------------------------------------------------------------------------------------
# fully connected


class FCAutoencoder(Autoencoder):
    """flatten -> Linear(in, W) -> GELU -> BatchNorm1d(W) -> (n_hidden-1) x [Linear(W, W) -> GELU]
    -> Linear(W, in); ``h`` is the activation of the middle hidden layer."""

    def __init__(self, image_size: int, channels: int, width: int, n_hidden: int, batchnorm: bool = True):
        super().__init__()
        if n_hidden < 1:
            raise ModelError(f"n_hidden must be >= 1, got {n_hidden}")
        self.shape = (channels, image_size, image_size)
        d = channels * image_size * image_size
        first = [nn.Linear(d, width), nn.GELU()] + ([nn.BatchNorm1d(width)] if batchnorm else [])
        layers = [nn.Sequential(*first)] + [nn.Sequential(nn.Linear(width, width), nn.GELU())
                                            for _ in range(n_hidden - 1)]
        n_enc = (n_hidden + 1) // 2
        self.encoder = nn.Sequential(nn.Flatten(), *layers[:n_enc])
        self.decoder = nn.Sequential(*layers[n_enc:], nn.Linear(width, d))

    def E(self, a):  # noqa: N802
        return self.encoder(a)

    def D(self, h):  # noqa: N802
        return self.decoder(h).view(h.shape[0], *self.shape)


@dataclass(frozen=True)
class FCParams:
    width: int                            # hidden width; > 3*H*W makes it overcomplete (the essay: 4000)
    n_hidden: int                         # hidden layers (the essay: 5)
    batchnorm: bool = True                # the BatchNorm1d after the first layer


@register("fc", FCParams)
def _fc(cfg: ModelConfig) -> FCAutoencoder:
    p = cfg.params
    return FCAutoencoder(cfg.image_size, cfg.channels, p.width, p.n_hidden, p.batchnorm)


# ------------------------------------------------------------------------------------------
# U-Net


def double_conv(c_in: int, c_out: int, batchnorm: bool) -> nn.Sequential:
    """[conv3x3 -> BN -> ReLU] x 2 (biases only where there is no BatchNorm)."""
    def unit(i, o):
        return [nn.Conv2d(i, o, 3, padding=1, bias=not batchnorm)] + ([nn.BatchNorm2d(o)] if batchnorm else []) \
            + [nn.ReLU(inplace=True)]
    return nn.Sequential(*unit(c_in, c_out), *unit(c_out, c_out))


class UpBlock(nn.Module):
    """ConvT(c -> c/2, 2, stride 2), then concatenate (with itself, or with the encoder's map), then
    a double conv to ``c_out``. With ``skips='none'`` the ConvT keeps c channels and nothing is
    concatenated."""

    def __init__(self, c: int, c_out: int, skips: str, batchnorm: bool):
        super().__init__()
        self.skips = skips
        half = c if skips == "none" else c // 2
        self.up = nn.ConvTranspose2d(c, half, 2, stride=2)
        self.conv = double_conv(c, c_out, batchnorm)

    def forward(self, x, skip=None):
        x = self.up(x)
        if self.skips == "self":
            x = torch.cat([x, x], dim=1)
        elif self.skips == "concat":
            x = torch.cat([skip, x], dim=1)
        return self.conv(x)


class HiddenMLP(nn.Module):
    """The essay's restrictive bottleneck: Conv(C -> C/4, 4, s2, p1) -> flatten -> linear layers
    (no activations, no normalisation) -> reshape to (C, s/4, s/4) -> ConvT(C -> C, 4, s4)."""

    def __init__(self, c: int, s: int, widths: tuple[int, ...]):
        super().__init__()
        if s < 4 or s % 4:
            raise ModelError(f"the hidden MLP needs a bottleneck side divisible by 4, got {s}")
        self.c, self.s = c, s
        self.down = nn.Conv2d(c, c // 4, 4, stride=2, padding=1)
        dims = [(c // 4) * (s // 2) ** 2, *widths, c * (s // 4) ** 2]
        self.mlp = nn.Sequential(*[nn.Linear(i, o) for i, o in zip(dims[:-1], dims[1:])])
        self.up = nn.ConvTranspose2d(c, c, 4, stride=4)

    def forward(self, x):
        z = self.mlp(self.down(x).flatten(1))
        return self.up(z.view(x.shape[0], self.c, self.s // 4, self.s // 4))


class UNet(Autoencoder):
    """U-Net autoencoder; ``E`` returns the bottleneck ``h`` (and, with concat skips, the encoder
    maps as well: then ``h`` is a tuple and the model is not a pure encoder/decoder pair)."""

    def __init__(self, image_size: int, channels: int, base: int, depth: int,
                 skips: str = "self", hidden_mlp: tuple[int, ...] | None = None, batchnorm: bool = True):
        super().__init__()
        if skips not in ("self", "concat", "none"):
            raise ModelError(f"skips must be 'self', 'concat' or 'none', got {skips!r}")
        if image_size % (2 ** depth):
            raise ModelError(f"image size {image_size} is not divisible by 2**depth = {2 ** depth}")
        self.skips = skips
        widths = [base * 2 ** i for i in range(depth + 1)]
        self.inc = double_conv(channels, widths[0], batchnorm)
        self.downs = nn.ModuleList(nn.Sequential(nn.MaxPool2d(2), double_conv(i, o, batchnorm))
                                   for i, o in zip(widths[:-1], widths[1:]))
        self.hidden = HiddenMLP(widths[-1], image_size // 2 ** depth, tuple(hidden_mlp)) if hidden_mlp else None
        self.ups = nn.ModuleList(UpBlock(i, o, skips, batchnorm) for i, o in zip(widths[:0:-1], widths[-2::-1]))
        self.outc = nn.Conv2d(widths[0], channels, 1)

    def E(self, a):  # noqa: N802
        x = self.inc(a)
        feats = [x]
        for down in self.downs:
            x = down(x)
            feats.append(x)
        h = feats[-1]
        return (h, feats[:-1]) if self.skips == "concat" else h

    def D(self, h):  # noqa: N802
        h, feats = h if self.skips == "concat" else (h, None)
        x = self.hidden(h) if self.hidden is not None else h
        for i, up in enumerate(self.ups):
            x = up(x, feats[-1 - i] if feats is not None else None)
        return self.outc(x)


@dataclass(frozen=True)
class UNetParams:
    base: int                             # feature maps at the first level (essay: 64)
    depth: int                            # number of 2x down-samplings (essay: 4)
    skips: str = "self"                   # 'self' (essay's no-skip), 'concat' (control), 'none'
    hidden_mlp: tuple[int, ...] | None = None  # widths of the bottleneck MLP (essay: 500, 100, 500)
    batchnorm: bool = True                # False: every BatchNorm removed, conv biases on


@register("unet", UNetParams)
def _unet(cfg: ModelConfig) -> UNet:
    p = cfg.params
    return UNet(cfg.image_size, cfg.channels, p.base, p.depth, p.skips, p.hidden_mlp, p.batchnorm)


# ------------------------------------------------------------------------------------------
# simplified MLP


def mlp_widths(width: int, n_layers: int) -> tuple[int, ...]:
    """The encoder widths of :class:`MLPAutoencoder` built from :class:`MLPParams`:
    ``width, width // 4, width // 16, ...`` (``n_layers`` of them)."""
    if n_layers < 1:
        raise ModelError(f"the MLP needs at least one encoder layer, got {n_layers}")
    widths = tuple(width // 4 ** k for k in range(n_layers))
    if widths[-1] < 1:
        raise ModelError(f"width {width} is too small for {n_layers} layers that each divide it by 4")
    return widths


class MLPAutoencoder(Autoencoder):
    """flatten -> [Linear -> GELU] for each encoder width -> the same widths in reverse -> Linear
    back to the image. No normalisation of any kind: the rows of a batch are independent, so K
    input representations of one target can be found in one batch.

    With ``widths[0] < channels * image_size**2`` the first layer already maps ``n`` numbers to
    ``m < n`` and is not invertible; every later narrowing adds to that. ``h = E(a)`` is the
    activation of the narrowest layer.
    """

    def __init__(self, image_size: int, channels: int, widths: tuple[int, ...]):
        super().__init__()
        if not widths or min(widths) < 1:
            raise ModelError(f"MLP widths must be positive, got {widths}")
        self.shape = (channels, image_size, image_size)
        d = channels * image_size * image_size
        enc = [d, *widths]
        dec = [*widths[::-1]]
        self.encoder = nn.Sequential(nn.Flatten(), *[nn.Sequential(nn.Linear(i, o), nn.GELU())
                                                     for i, o in zip(enc[:-1], enc[1:])])
        self.decoder = nn.Sequential(*[nn.Sequential(nn.Linear(i, o), nn.GELU()) for i, o in zip(dec[:-1], dec[1:])],
                                     nn.Linear(dec[-1], d))

    def linears(self) -> list[nn.Linear]:
        """The linear layers in forward order (the first one is ``linears()[0]``)."""
        return [m for m in self.modules() if isinstance(m, nn.Linear)]

    def E(self, a):  # noqa: N802
        return self.encoder(a)

    def D(self, h):  # noqa: N802
        return self.decoder(h).view(h.shape[0], *self.shape)


@dataclass(frozen=True)
class MLPParams:
    width: int                            # the first encoder width
    n_layers: int                         # encoder layers, each a quarter of the previous (mlp_widths);
                                          # the decoder mirrors them


@register("mlp", MLPParams)
def _mlp(cfg: ModelConfig) -> MLPAutoencoder:
    return MLPAutoencoder(cfg.image_size, cfg.channels, mlp_widths(cfg.params.width, cfg.params.n_layers))


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
