"""The nearest-image search (aelib.nearest): by L2 distance and by pixel correlation."""

import pytest
import torch

from aelib.nearest import correlation, nearest

SHAPE = (3, 8, 8)


def test_correlation_is_pearson_over_pixels():
    x = torch.rand(4, 3, 8, 8)
    assert torch.allclose(correlation(x, x), torch.ones(4), atol=1e-6)
    assert torch.allclose(correlation(x, 1 - x), -torch.ones(4), atol=1e-6)
    assert torch.allclose(correlation(x, 0.5 * x + 0.2), torch.ones(4), atol=1e-6)  # contrast-blind
    const = torch.full_like(x, 0.7)
    assert torch.allclose(correlation(x, const), torch.zeros(4), atol=1e-6)
    with pytest.raises(ValueError, match="shapes differ"):
        correlation(x, x[:2])


def test_nearest_by_correlation_finds_the_source_across_chunks():
    pool = torch.rand(50, 3, 8, 8)
    x = pool[[7, 42, 3]] * 0.9 + 0.05  # a contrast change keeps correlation 1
    v, i = nearest(x, pool, by="correlation", chunk=16)
    assert i.tolist() == [7, 42, 3] and torch.all(v > 0.999)


def test_nearest_by_l2_finds_copies_in_chunks_and_uint8():
    g = torch.Generator().manual_seed(0)
    pool = torch.rand(50, *SHAPE, generator=g)
    x = pool[[7, 31, 49]] + 0.0
    for chunk in (4, 256):
        d, i = nearest(x, pool, chunk=chunk)
        assert i.tolist() == [7, 31, 49] and torch.allclose(d, torch.zeros(3), atol=1e-5)
    pool8 = (pool * 255).round().to(torch.uint8)
    d8, i8 = nearest(pool8[[3]].float() / 255, pool8, chunk=7)
    assert i8.tolist() == [3] and float(d8[0]) < 1e-5
    shifted = x[:1] + 0.1                                       # every pixel off by 0.1: |.| = 0.1 * sqrt(192)
    d, _ = nearest(shifted, x[:1])
    assert float(d[0]) == pytest.approx(0.1 * 192 ** 0.5, rel=1e-4)
    with pytest.raises(ValueError, match="one shape"):
        nearest(x, torch.rand(4, 3, 4, 4))
    with pytest.raises(ValueError, match="empty"):
        nearest(x, pool[:0])


def test_nearest_rejects_an_unknown_measure():
    with pytest.raises(ValueError, match="by must be"):
        nearest(torch.rand(2, *SHAPE), torch.rand(3, *SHAPE), by="cosine")


def test_visits_count_distinct_pool_images_passed_near():
    from aelib.nearest import nearest_quantile, visits

    pool = torch.stack([torch.full(SHAPE, v) for v in (0.0, 0.25, 0.5, 0.75)])  # 0.25 apart per pixel
    step = 0.25 * 192 ** 0.5                                                   # their L2 distance
    off = 0.01                                                                 # per pixel: L2 0.01 * sqrt(192)
    # walker 0 passes near images 0 and 1, walker 1 stays half-way between 2 and 3, walker 2 sits on 2 twice
    frames = torch.stack([
        torch.stack([pool[0] + off, pool[2] + 0.125, pool[2]]),
        torch.stack([pool[1] - off, pool[2] + 0.125, pool[2] - off]),
    ])  # (F=2, B=3, C, H, W)
    v = visits(frames, pool, level=step / 4)
    assert v.distance.shape == (2, 3) and v.index[:, 0].tolist() == [0, 1]
    assert v.counts().tolist() == [2, 0, 1]
    assert v.visited(0) == [0, 1] and v.visited(1) == []
    assert v.fraction(2) == pytest.approx(1 / 3) and v.fraction(1) == pytest.approx(2 / 3)
    assert v.counts(groups=["x", "x", "y", "y"]).tolist() == [1, 0, 1]       # images 0 and 1: one photo
    assert visits(frames, pool, level=step).counts().tolist() == [2, 1, 1]  # half-way is now near
    # the quantile of held-out distances: 10 images at L2 0, 1, ..., 9 (per pixel k / sqrt(192)) from image 0
    x = torch.stack([pool[0] + k / 192 ** 0.5 / 100 for k in range(10)])
    assert nearest_quantile(x, pool[:1], 0.1) == pytest.approx(0.009, rel=1e-3)  # 0.9 of the way from 0 to 0.01
    with pytest.raises(ValueError, match="F, B"):
        visits(frames[0], pool, 1.0)
