"""Image data: the shipped photos, a folder of photos, LSUN church (64x64 .npy or lmdb), CIFAR-10.

Every loader returns an :class:`ImageSet`: training and held-out images as two preloaded
``uint8`` tensors of shape (N, 3, H, W) (decoded once, never per epoch), the split made by
*source photo group* so that overlapping crops of one photo never straddle it.

Chapters load their data through :func:`load`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .seeding import stream, stream_seed

REPO = Path(__file__).resolve().parent.parent
SHIPPED_PHOTOS = REPO / "data" / "photos"
SHIPPED_MANIFEST = REPO / "data" / "photos.csv"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
HELDOUT_FRACTION = 0.2   # share of the photo groups held out
LSUN_HELDOUT = 2048      # held-out LSUN images (at most a fifth of the set)


class DataError(ValueError):
    """A data path that is missing, empty, unreadable, or holds images of the wrong kind."""


@dataclass
class ImageSet:
    """Preloaded images in [0, 255] uint8, NCHW, plus where they came from."""

    train: torch.Tensor
    heldout: torch.Tensor
    source: str
    train_groups: list[str] = field(default_factory=list)
    heldout_groups: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)   # unreadable files skipped on request
    train_image_groups: list[str] = field(default_factory=list)    # the group of each training image
    heldout_image_groups: list[str] = field(default_factory=list)  # (photos: its source photo group)
    fingerprint: str = ""                              # hash of the pixels and the split

    @staticmethod
    def to_float(x: torch.Tensor) -> torch.Tensor:
        """uint8 [0, 255] -> float32 [0, 1] (the essay's only preprocessing: divide by 255)."""
        return x.float().div_(255.0)

    def eval_batch(self, n: int, device: str = "cpu") -> torch.Tensor:
        """The first ``n`` held-out images as floats: the fixed evaluation set of a chapter."""
        return self.to_float(self.heldout[:n]).to(device)

    def describe(self) -> str:
        kind, _, where = self.source.partition(":")
        source = f"{kind} (folder `{where}`)" if where else kind
        c, h, w = self.train.shape[1:]
        tg = f" from {len(self.train_groups)} photographs" if self.train_groups else ""
        hg = f" from {len(self.heldout_groups)} others" if self.heldout_groups else ""
        return (f"{source}: {len(self.train):,} training images{tg}, {len(self.heldout):,} held-out images{hg}, "
                f"each {c}×{h}×{w}")


# ------------------------------------------------------------------------------------------
# decoding


def _decode(path: Path) -> torch.Tensor:
    """One image file -> uint8 CHW RGB tensor; raises DataError naming the file."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            if im.mode not in ("RGB", "RGBA", "L", "P", "CMYK", "I;16", "LA"):
                raise DataError(f"{path}: unsupported image mode {im.mode!r}")
            arr = np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise DataError(f"{path}: not a readable image ({err.__class__.__name__}: {err})") from None
    except Image.DecompressionBombError as err:  # not an OSError: it would abort the whole load unnamed
        raise DataError(f"{path}: too large to decode ({err}); downscale it, or raise "
                        "PIL.Image.MAX_IMAGE_PIXELS if it is trusted") from None
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).contiguous()


def _resize(x: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 CHW or NCHW -> uint8 at size x size, antialiased (stated: the essay's code left it unset)."""
    batched = x.dim() == 4
    xf = x.float().unsqueeze(0) if not batched else x.float()
    if xf.shape[-1] != size or xf.shape[-2] != size:
        xf = F.interpolate(xf, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    out = xf.round().clamp_(0, 255).to(torch.uint8)
    return out if batched else out[0]


def center_square(x: torch.Tensor) -> torch.Tensor:
    """The largest centred square of a CHW image (the essay centre-cropped 728x728 from its photos)."""
    _, h, w = x.shape
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return x[:, top:top + s, left:left + s]


def _grid_origins(h: int, w: int, crop: int, seed: int) -> list[tuple[int, int]]:
    """Top-left corners of :func:`grid_crops`' squares in an ``h`` x ``w`` image (at least ``crop``
    on each side). How many there are depends only on the sizes, never on the seeded offset."""
    stride = max(1, int(round(0.55 * crop)))
    rng = np.random.default_rng(seed)
    oy = int(rng.integers(0, (h - crop) % stride + 1))
    ox = int(rng.integers(0, (w - crop) % stride + 1))
    return [(y, x) for y in range(oy, h - crop + 1, stride) for x in range(ox, w - crop + 1, stride)]


def grid_crops(x: torch.Tensor, crop: int, seed: int) -> list[torch.Tensor]:
    """Square crops on a grid with stride 0.55*crop (neighbours overlap by less than half),
    the whole grid shifted by a seeded random offset."""
    _, h, w = x.shape
    if h < crop or w < crop:
        return [center_square(x)]
    return [x[:, y:y + crop, xx:xx + crop] for y, xx in _grid_origins(h, w, crop, seed)]


def _n_crops(h: int, w: int, crop: int | None, seed: int) -> int:
    """How many squares :func:`load_photos` cuts from an ``h`` x ``w`` photo, without its pixels."""
    if crop is None or h < crop or w < crop:
        return 1
    return len(_grid_origins(h, w, crop, seed))


def _crop_seed(seed: int, index: int) -> int:
    """The grid seed of the ``index``-th readable photo of a set loaded with ``seed`` (its named stream)."""
    return stream_seed("crop grid", seed, index)


def _split_groups(groups: list[str], heldout_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    uniq = sorted(set(groups))
    if len(uniq) < 2:
        raise DataError(f"need at least two photo groups to split train/held-out, found {len(uniq)}")
    rng = np.random.default_rng(seed)
    order = [uniq[i] for i in rng.permutation(len(uniq))]
    n_out = min(len(uniq) - 1, max(1, math.ceil(heldout_fraction * len(uniq))))
    return sorted(order[n_out:]), sorted(order[:n_out])


def _fingerprint(*tensors: torch.Tensor, meta: dict) -> str:
    h = hashlib.sha256(json.dumps(meta, sort_keys=True, default=str).encode())
    for t in tensors:
        h.update(str(tuple(t.shape)).encode())
        h.update(t.contiguous().numpy().tobytes())
    return h.hexdigest()


# ------------------------------------------------------------------------------------------
# photos (shipped, or any folder)


def _photo_list(folder: Path, manifest: Path | None) -> list[tuple[Path, str]]:
    if not folder.exists():
        raise DataError(f"data folder {folder} does not exist")
    if not folder.is_dir():
        raise DataError(f"data path {folder} is not a folder")
    if manifest is not None and manifest.exists():
        with open(manifest, newline="") as f:
            rows = list(csv.DictReader(f))
        return [(folder / r["file"], r.get("group") or r["file"]) for r in rows]
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"data folder {folder} holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return [(p, p.stem) for p in files]


def load_photos(folder: str | Path = SHIPPED_PHOTOS, *, image_size: int = 32, crop_size: int | None = 64,
                heldout_fraction: float = HELDOUT_FRACTION, seed: int = 0, max_train: int | None = None,
                skip_corrupt: bool = False, manifest: str | Path | None = None) -> ImageSet:
    """Photos -> crops -> ``image_size`` squares, split by photo group.

    ``crop_size=None`` applies the essay's preprocessing: one centred square per photo, resized
    (for a folder of many photos). An integer cuts a seeded grid of ``crop_size`` crops from each
    photo (for the few shipped photos). A corrupt file raises :class:`DataError` naming every bad
    file, unless ``skip_corrupt`` is set, in which case they are skipped and listed in ``skipped``.
    """
    folder = Path(folder)
    if manifest is None and folder.resolve() == SHIPPED_PHOTOS.resolve():
        manifest = SHIPPED_MANIFEST
    entries = _photo_list(folder, Path(manifest) if manifest else None)
    decoded, bad = [], []
    min_side = image_size if crop_size is None else min(image_size, crop_size)
    for path, group in entries:
        try:
            img = _decode(path)
            if min(img.shape[1:]) < min_side:
                raise DataError(f"{path}: {img.shape[2]}x{img.shape[1]} pixels is smaller than the "
                                f"{min_side}x{min_side} needed (it would be upsampled, not photographed)")
            decoded.append((path, group, img))
        except DataError as err:
            bad.append(str(err))
    if bad and not skip_corrupt:
        raise DataError(f"{len(bad)} unusable image file(s) in {folder} (pass skip_corrupt=True to skip them):\n  "
                        + "\n  ".join(bad))
    if bad:
        warnings.warn(f"skipped {len(bad)} unusable image file(s): {'; '.join(bad)}", stacklevel=2)
    if not decoded:
        raise DataError(f"no readable images in {folder}")
    train_g, held_g = _split_groups([g for _, g, _ in decoded], heldout_fraction, seed)
    train, held, train_of, held_of = [], [], [], []
    for i, (_path, group, img) in enumerate(decoded):
        crops = [center_square(img)] if crop_size is None else grid_crops(img, crop_size, _crop_seed(seed, i))
        small = [_resize(c, image_size) for c in crops]
        (held if group in held_g else train).extend(small)
        (held_of if group in held_g else train_of).extend([group] * len(small))
    train_t = torch.stack(train)
    held_t = torch.stack(held)
    if max_train is not None and len(train_t) > max_train:
        pick = torch.randperm(len(train_t), generator=stream("max_train subset", seed))[:max_train].sort().values
        train_t, train_of = train_t[pick], [train_of[int(i)] for i in pick]
    # shuffle held-out once (fixed by seed) so that the first n_eval images span several photos
    perm = torch.randperm(len(held_t), generator=stream("held-out order", seed))
    held_t, held_of = held_t[perm], [held_of[int(i)] for i in perm]
    meta = dict(kind="photos", folder=folder.name, image_size=image_size, crop=crop_size, seed=seed,
                train_groups=train_g, heldout_groups=held_g)
    return ImageSet(train_t, held_t, source=f"photos:{folder.name}", train_groups=train_g,
                    heldout_groups=held_g, skipped=bad, fingerprint=_fingerprint(train_t, held_t, meta=meta),
                    train_image_groups=train_of, heldout_image_groups=held_of)


# ------------------------------------------------------------------------------------------
# handwritten digits that install with scikit-learn (a second, non-photographic data set)


def load_digits(*, image_size: int = 16, heldout_fraction: float = 0.2, seed: int = 0) -> ImageSet:
    """The UCI optical-recognition handwritten digits as shipped inside scikit-learn's wheel
    (``sklearn.datasets.load_digits``: 1797 greyscale 8x8 images, 17 grey levels, from 13 writers
    of the UCI test set; nothing is downloaded). Grey levels 0..16 -> uint8 0..255, one channel,
    resized to ``image_size``. The writers are not recorded, so every image is its own group and
    the held-out images are a seeded random fifth."""
    try:
        from sklearn.datasets import load_digits as sk_digits
    except ImportError:
        raise DataError("the digits data set ships with scikit-learn: pip install scikit-learn") from None
    arr = sk_digits().images  # (1797, 8, 8) floats 0..16
    x = torch.from_numpy(np.round(arr * (255.0 / 16.0)).astype(np.uint8)).unsqueeze(1)
    x = _resize(x, image_size) if image_size != x.shape[-1] else x
    perm = torch.randperm(len(x), generator=stream("digits split", seed))
    n_out = max(1, int(round(heldout_fraction * len(x))))
    held_i, train_i = perm[:n_out], perm[n_out:].sort().values
    train, held = x[train_i].contiguous(), x[held_i].contiguous()
    meta = dict(kind="digits", n=len(x), size=image_size, seed=seed, heldout=n_out)
    return ImageSet(train, held, source="sklearn_digits", fingerprint=_fingerprint(train, held, meta=meta),
                    train_image_groups=[f"digit{int(i)}" for i in train_i],
                    heldout_image_groups=[f"digit{int(i)}" for i in held_i])


def from_tensor(images: torch.Tensor, source: str, groups: list[str] | None = None) -> ImageSet:
    """An :class:`ImageSet` that trains on exactly ``images`` (uint8 NCHW), e.g. one rung of chapter
    08's ladder; the held-out part is the first image (unused) and the fingerprint hashes the pixels,
    so every subset caches its own models."""
    if images.dtype != torch.uint8 or images.dim() != 4 or len(images) < 1:
        raise DataError(f"{source}: expected a non-empty uint8 (N, C, H, W) tensor, got {images.dtype} "
                        f"{tuple(images.shape)}")
    images = images.contiguous()
    return ImageSet(images, images[:1].clone(), source=source, train_image_groups=list(groups or []),
                    fingerprint=_fingerprint(images, meta=dict(kind="tensor", source=source)))


def subset_by_group(groups: list[str], frac: float, seed: int = 0) -> torch.Tensor:
    """Sorted indices of about ``frac`` of the images, chosen by whole groups (a photo's crops come
    together or not at all; with one group per image, a plain random subset of ``round(frac * n)``).

    A random subset of crops would keep nearly every photo, since one photo's crops overlap: a
    smaller data set means fewer photos. The groups are visited in a seeded random order and each
    one is taken when it brings the number of images closer to ``frac * n``; if none does (every
    group is larger than twice that), the smallest is taken alone, and a subset that came out as
    every group gives back its last one. So the share comes out as near ``frac`` as the group sizes
    and the seeded order allow, and always holds at least one group and leaves at least one out."""
    if not 0 < frac < 1:
        raise ValueError(f"frac must lie strictly between 0 and 1, got {frac!r}")
    by_group: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        by_group.setdefault(g, []).append(i)
    if len(by_group) < 2:
        raise DataError(f"need images of at least two groups to take a subset by group, found {len(by_group)}")
    names = sorted(by_group)
    names = [names[i] for i in np.random.default_rng(seed).permutation(len(names))]
    target = frac * len(groups)
    chosen, n = [], 0
    for g in names:
        k = len(by_group[g])
        if abs(n + k - target) < abs(n - target):
            chosen.append(g)
            n += k
    if not chosen:
        chosen = [min(names, key=lambda g: len(by_group[g]))]
    elif len(chosen) == len(names):
        chosen.pop()
    return torch.tensor(sorted(i for g in chosen for i in by_group[g]), dtype=torch.long)


# ------------------------------------------------------------------------------------------
# LSUN church and CIFAR-10 (user-provided paths; nothing is downloaded)


def _heldout_count(n: int, heldout: int) -> int:
    """Held-out images of an array of ``n``: ``heldout``, at most a fifth of the set, at least one."""
    return min(heldout, n // 5 or 1)


def _split_array(images: torch.Tensor, heldout: int, seed: int, source: str, max_train: int | None) -> ImageSet:
    if len(images) < 2:
        raise DataError(f"{source}: need at least two images, found {len(images)}")
    heldout = _heldout_count(len(images), heldout)
    # LSUN images are distinct scenes, so an image is its own group; held-out = the last ones
    train, held = images[:-heldout], images[-heldout:]
    if max_train is not None:
        train = train[:max_train]
    meta = dict(kind=source, n=len(images), heldout=heldout, seed=seed)
    return ImageSet(train.contiguous(), held.contiguous(), source=source,
                    fingerprint=_fingerprint(train[:4096], held, meta=meta | {"n_train": len(train)}))


def load_lsun_npy(path: str | Path, *, image_size: int = 64, heldout: int = LSUN_HELDOUT, seed: int = 0,
                  max_train: int | None = None) -> ImageSet:
    """The essay's ``church_outdoor_train_lmdb_color_64.npy``: one uint8 array (N, 64, 64, 3).

    The author's loader transposed H and W and then rotated by 270 degrees, which amounts to a
    left-right mirror; we keep the images as stored (upright, unmirrored).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"LSUN array {path} does not exist")
    try:
        arr = np.load(path, mmap_mode="r")
    except (ValueError, OSError) as err:
        raise DataError(f"{path}: not a readable .npy array ({err})") from None
    if arr.dtype != np.uint8 or arr.ndim != 4 or arr.shape[-1] != 3:
        raise DataError(f"{path}: expected a uint8 array (N, H, W, 3), got {arr.dtype} {arr.shape}")
    x = torch.from_numpy(np.array(arr)).permute(0, 3, 1, 2)  # copy out of the memory map
    if x.shape[-1] != image_size:
        x = torch.cat([_resize(x[i:i + 1024], image_size) for i in range(0, len(x), 1024)])
    return _split_array(x.contiguous(), heldout, seed, "lsun_church_npy", max_train)


def load_lsun_lmdb(root: str | Path, *, category: str = "church_outdoor_train", image_size: int = 64,
                   heldout: int = LSUN_HELDOUT, seed: int = 0, max_train: int | None = None) -> ImageSet:
    """torchvision's LSUN layout (``<root>/church_outdoor_train_lmdb``); needs the ``lmdb`` package."""
    try:
        import lmdb  # noqa: F401
    except ImportError:
        raise DataError("reading LSUN lmdb needs the 'lmdb' package: pip install lmdb") from None
    from torchvision.datasets import LSUN

    root = Path(root)
    if not (root / f"{category}_lmdb").is_dir():
        raise DataError(f"no {category}_lmdb folder under {root}")
    ds = LSUN(str(root), classes=[category])
    n = len(ds) if max_train is None else min(len(ds), max_train + heldout)
    imgs = []
    for i in range(n):
        im, _ = ds[i]
        t = torch.from_numpy(np.asarray(im.convert("RGB"), dtype=np.uint8).copy()).permute(2, 0, 1)
        imgs.append(_resize(center_square(t), image_size))
    return _split_array(torch.stack(imgs), heldout, seed, "lsun_church_lmdb", max_train)


def load_cifar10(root: str | Path, *, image_size: int = 32, seed: int = 0, max_train: int | None = None) -> ImageSet:
    """CIFAR-10 from a local torchvision folder (``download=False``); held-out = the test split."""
    from torchvision.datasets import CIFAR10

    try:
        tr = CIFAR10(str(root), train=True, download=False)
        te = CIFAR10(str(root), train=False, download=False)
    except RuntimeError as err:
        raise DataError(f"CIFAR-10 not found under {root} ({err}); nothing is downloaded at run time") from None
    train = torch.from_numpy(tr.data).permute(0, 3, 1, 2).contiguous()
    held = torch.from_numpy(te.data).permute(0, 3, 1, 2).contiguous()
    if image_size != 32:
        train, held = _resize(train, image_size), _resize(held, image_size)
    if max_train is not None:
        train = train[:max_train]
    meta = dict(kind="cifar10", n=len(train), size=image_size)
    return ImageSet(train, held, source="cifar10", fingerprint=_fingerprint(train[:4096], held[:1024], meta=meta))


def load(profile) -> ImageSet:
    """The data set a profile names (chapters call only this)."""
    kind, path = profile.data.dataset, profile.data.path
    if kind == "photos":
        return load_photos(SHIPPED_PHOTOS, image_size=profile.data.image_size, crop_size=profile.data.crop_size,
                           seed=profile.seed, max_train=profile.data.max_train)
    if path is None:
        raise DataError(f"profile {profile.name!r} uses data set {kind!r}: give its path with the override data.path "
                        "or the AELIB_DATA environment variable")
    if kind == "folder":
        return load_photos(path, image_size=profile.data.image_size, crop_size=None, seed=profile.seed,
                           max_train=profile.data.max_train, skip_corrupt=True)
    if kind == "lsun":
        p = Path(path)
        load_lsun = load_lsun_npy if p.suffix == ".npy" else load_lsun_lmdb
        return load_lsun(p, image_size=profile.data.image_size, seed=profile.seed, max_train=profile.data.max_train)
    if kind == "cifar10":
        return load_cifar10(path, image_size=profile.data.image_size, seed=profile.seed,
                            max_train=profile.data.max_train)
    raise DataError(f"unknown data set {kind!r}; choose photos, folder, lsun or cifar10")


# ------------------------------------------------------------------------------------------
# what a profile's data set holds, without loading it


def heldout_size(profile) -> int | None:
    """How many held-out images :func:`load` gives for ``profile``, without decoding any image; None
    where that cannot be known cheaply: a folder (its unreadable files are skipped, which changes
    the split), an LSUN lmdb, CIFAR-10, or a path that does not open (:func:`load` names the problem).

    The shipped photos: each photo's size from its file header, then :func:`load_photos`' split
    and crop grid (a few milliseconds). An LSUN ``.npy`` array: its length from the array header.
    Used by :func:`aelib.profiles.check_data` before anything runs."""
    if profile.data.dataset == "photos":
        return _photos_heldout_size(SHIPPED_PHOTOS, SHIPPED_MANIFEST, profile.data.crop_size, profile.seed)
    if profile.data.dataset == "lsun" and profile.data.path and Path(profile.data.path).suffix == ".npy":
        try:
            n = len(np.load(profile.data.path, mmap_mode="r"))
        except (ValueError, OSError, TypeError):
            return None
        return _heldout_count(n, LSUN_HELDOUT) if n >= 2 else None
    return None


def _photos_heldout_size(folder: Path, manifest: Path | None, crop_size: int | None, seed: int) -> int | None:
    """:func:`load_photos`' held-out count from the photos' headers (None if one does not open)."""
    from PIL import Image

    sizes = []
    for path, group in _photo_list(folder, manifest):
        try:
            with Image.open(path) as im:
                w, h = im.size
        except (OSError, SyntaxError, Image.DecompressionBombError):
            return None
        sizes.append((group, h, w))
    _, held = _split_groups([g for g, _, _ in sizes], HELDOUT_FRACTION, seed)
    return sum(_n_crops(h, w, crop_size, _crop_seed(seed, i)) for i, (g, h, w) in enumerate(sizes) if g in held)
