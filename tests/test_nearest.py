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
