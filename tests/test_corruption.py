import pytest
import torch

from aelib import corruption


def test_pure_noise_has_the_essays_statistics():
    a = torch.zeros(64, 3, 32, 32)
    n = corruption.corrupt(a, 0.0, generator=torch.Generator().manual_seed(0))
    assert float(n.mean()) == pytest.approx(0.7, abs=0.005)
    assert float(n.std()) == pytest.approx(0.2, abs=0.005)


def test_mixing_weights():
    a = torch.rand(8, 3, 16, 16)
    assert torch.equal(corruption.corrupt(a, 1.0), a)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    mixed = corruption.corrupt(a, 0.3, generator=g1)
    n = corruption.noise_like(a, generator=g2)
    assert torch.allclose(mixed, 0.3 * a + 0.7 * n, atol=1e-6)
    with pytest.raises(ValueError, match="alpha"):
        corruption.corrupt(a, 1.5)


def test_matched_gaussian_control_has_the_same_rms_and_zero_mean():
    a = torch.rand(16, 3, 32, 32)
    a_hat = corruption.corrupt(a, 0.5, generator=torch.Generator().manual_seed(1))
    c = corruption.matched_gaussian(a, a_hat, generator=torch.Generator().manual_seed(2))
    rms = lambda x: x.flatten(1).pow(2).mean(1).sqrt()  # noqa: E731
    assert torch.allclose(rms(c - a), rms(a_hat - a), rtol=1e-4)
    assert abs(float((c - a).mean())) < 0.01
