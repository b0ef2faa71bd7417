"""The nearest image: for each image of a batch, the most similar image of a pool, and how similar.

Two measures of similarity, one search:

- ``by="l2"``: the L2 distance over pixels (a sample at distance ~0 from a training image is a
  copy of it); the smallest distance wins.
- ``by="correlation"``: the Pearson correlation of the pixels (:func:`correlation`, the cosine of
  the mean-removed vectors, as in Kadkhodaie et al. 2024: plain cosine of [0, 1] images is close
  to 1 for any two images); the largest correlation wins.

The pool is scanned a chunk at a time, so a large training set (uint8) never has to sit in memory
as floats.

Along a trajectory (the frames of a manifold walk, claim C30), :func:`visits` finds the pool
images each walker passes near: a frame is *near* its nearest pool image when their L2 distance
is below a level, typically :func:`nearest_quantile` of held-out images (how close an image the
model never saw comes to the pool by itself).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

_CHUNK = {"l2": 256, "correlation": 1024}


def _centred(x: torch.Tensor) -> torch.Tensor:
    v = x.flatten(1).double()
    v = v - v.mean(dim=1, keepdim=True)
    return v / v.norm(dim=1, keepdim=True).clamp_min(1e-12)


def correlation(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(B,): the Pearson correlation of the pixels of ``x[i]`` and ``y[i]`` (a constant image
    correlates 0 with anything)."""
    if x.shape != y.shape:
        raise ValueError(f"shapes differ: {tuple(x.shape)} vs {tuple(y.shape)}")
    return (_centred(x) * _centred(y)).sum(dim=1).float()


def _by_l2(x: torch.Tensor, pool: torch.Tensor, chunk: int) -> tuple[torch.Tensor, torch.Tensor]:
    q = x.detach().float().cpu().flatten(1).double()
    best = torch.full((len(q),), float("inf"), dtype=torch.float64)
    idx = torch.zeros(len(q), dtype=torch.long)
    for start in range(0, len(pool), chunk):
        p = pool[start:start + chunk].cpu()
        p = (p.double() / 255.0 if p.dtype == torch.uint8 else p.double()).flatten(1)
        m, j = torch.cdist(q, p).min(dim=1)
        better = m < best
        best[better], idx[better] = m[better], j[better] + start
    return best.float(), idx


def _by_correlation(x: torch.Tensor, pool: torch.Tensor, chunk: int) -> tuple[torch.Tensor, torch.Tensor]:
    xc = _centred(x.float())
    best = torch.full((len(x),), -2.0, dtype=torch.float64)
    idx = torch.zeros(len(x), dtype=torch.long)
    for start in range(0, len(pool), chunk):
        v, j = (xc @ _centred(pool[start:start + chunk].float()).T).max(dim=1)
        better = v > best
        best[better], idx[better] = v[better], j[better] + start
    return best.float(), idx


@torch.no_grad()
def nearest(x: torch.Tensor, pool: torch.Tensor, by: str = "l2",
            chunk: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """For each image of ``x`` (B, C, H, W), its nearest image in ``pool`` (M, C, H, W; floats in
    [0, 1], or uint8 in [0, 255]) and that image's index: ``(values (B,), indices (B,))``.

    ``by="l2"``: values are L2 distances over pixels (uint8 divided by 255), computed in float64
    on the CPU. ``by="correlation"``: values are Pearson correlations (:func:`correlation`; a
    uint8 pool needs no scaling). ``pool`` is scanned ``chunk`` images at a time (default 256 for
    L2, 1024 for correlation)."""
    if by not in _CHUNK:
        raise ValueError(f"by must be one of {sorted(_CHUNK)}, got {by!r}")
    if x.dim() != 4 or pool.dim() != 4 or x.shape[1:] != pool.shape[1:]:
        raise ValueError(f"x {tuple(x.shape)} and pool {tuple(pool.shape)} must be image batches of one shape")
    if len(pool) == 0:
        raise ValueError("the pool of candidate neighbours is empty")
    search = _by_l2 if by == "l2" else _by_correlation
    return search(x, pool, chunk or _CHUNK[by])


def nearest_quantile(x: torch.Tensor, pool: torch.Tensor, q: float) -> float:
    """The ``q``-quantile (0 < q < 1) over the images of ``x`` of their L2 distance to the nearest
    image of ``pool`` (e.g. ``q = 0.1``: a distance that only a tenth of held-out images get under)."""
    if not 0 < q < 1:
        raise ValueError(f"q must lie strictly between 0 and 1, got {q!r}")
    d, _ = nearest(x, pool)
    return float(torch.quantile(d.double(), q))


@dataclass
class Visits:
    """The nearest pool image of every frame of ``B`` trajectories, and which ones count as passed near."""

    distance: torch.Tensor  # (F, B): L2 distance of frame f of walker b to its nearest pool image
    index: torch.Tensor     # (F, B): that image's index in the pool
    level: float            # near: distance below this

    @property
    def near(self) -> torch.Tensor:
        """(F, B) boolean: the frame lies closer than ``level`` to its nearest pool image."""
        return self.distance < self.level

    def visited(self, b: int) -> list[int]:
        """The distinct pool images walker ``b`` passed near, in the order first reached."""
        return list(dict.fromkeys(self.index[self.near[:, b], b].tolist()))

    def counts(self, groups: list[str] | None = None) -> torch.Tensor:
        """(B,): how many distinct pool images each walker passed near; with ``groups`` (the group of
        each pool image, e.g. its photo), how many distinct groups."""
        out = []
        for b in range(self.distance.shape[1]):
            seen = self.visited(b)
            out.append(len({groups[i] for i in seen}) if groups is not None else len(seen))
        return torch.tensor(out, dtype=torch.long)

    def fraction(self, at_least: int = 1, groups: list[str] | None = None) -> float:
        """The fraction of walkers that passed near ``at_least`` distinct pool images (or groups)."""
        return float((self.counts(groups) >= at_least).float().mean())


def visits(frames: torch.Tensor, pool: torch.Tensor, level: float, chunk: int | None = None) -> Visits:
    """For trajectories ``frames`` (F, B, C, H, W), the nearest image of ``pool`` (L2, see
    :func:`nearest`) of every frame, and ``level``, below which a frame counts as near it."""
    if frames.dim() != 5:
        raise ValueError(f"frames must be (F, B, C, H, W), got shape {tuple(frames.shape)}")
    f, b = frames.shape[:2]
    d, i = nearest(frames.flatten(0, 1), pool, by="l2", chunk=chunk)
    return Visits(distance=d.view(f, b), index=i.view(f, b), level=float(level))
