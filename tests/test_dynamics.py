"""Chapter 08's dynamics: power iteration for a Jacobian's spectral radius, and attractors."""

import math

import pytest
import torch

from aelib import dynamics, models


def _linear(eigs_block: torch.Tensor, seed: int = 0) -> torch.Tensor:
    q, _ = torch.linalg.qr(torch.randn(len(eigs_block), len(eigs_block), generator=torch.Generator().manual_seed(seed)))
    return q @ eigs_block @ q.T


def test_power_iteration_recovers_a_known_real_radius():
    a = _linear(torch.diag(torch.tensor([0.8, -0.5, 0.3, 0.1, 0.05])))
    r = dynamics.spectral_radius(lambda x: x @ a.T, torch.randn(5), 60, torch.Generator().manual_seed(1))
    assert r.rho == pytest.approx(0.8, rel=1e-3)


def test_power_iteration_handles_a_complex_dominant_pair():
    th = 0.7
    block = torch.zeros(5, 5)
    block[:2, :2] = 1.3 * torch.tensor([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    block[2, 2], block[3, 3], block[4, 4] = 0.9, -0.4, 0.2
    a = _linear(block, seed=3)
    assert max(abs(torch.linalg.eigvals(a))).item() == pytest.approx(1.3, rel=1e-5)
    r = dynamics.spectral_radius(lambda x: x @ a.T, torch.randn(5), 200, torch.Generator().manual_seed(2))
    assert r.rho == pytest.approx(1.3, rel=0.02)


def test_jacobian_of_a_nonlinear_map_at_a_point():
    a = _linear(torch.diag(torch.tensor([0.6, 0.2, -0.1])))
    f = lambda x: torch.tanh(x @ a.T)  # noqa: E731 - J at 0 is a itself
    assert dynamics.spectral_radius(f, torch.zeros(3), 60).rho == pytest.approx(0.6, rel=1e-3)


def test_power_iteration_needs_two_steps():
    with pytest.raises(ValueError, match="at least 2"):
        dynamics.spectral_radius(lambda x: x, torch.zeros(2), 1)


class Contract(models.Autoencoder):
    """O(x) = p + c (x - p): every start converges to p; the Jacobian is c times the identity."""

    def __init__(self, p: torch.Tensor, c: float):
        super().__init__()
        self.p, self.c = p, c
        self.bn = torch.nn.BatchNorm2d(3)  # present so that batch_statistics has something to set aside

    def E(self, a):  # noqa: N802
        return a

    def D(self, h):  # noqa: N802
        return self.p + self.c * (h - self.p)


def test_attractor_stats_on_a_known_contraction():
    p = torch.rand(1, 3, 8, 8)
    train = torch.cat([p, torch.rand(3, 3, 8, 8)])
    starts = torch.rand(8, 3, 8, 8)
    st = dynamics.attractor_stats(Contract(p, 0.5), starts, train, steps=40, batch_size=4, tol=1e-3,
                                  retrieve_corr=0.95, power_iters=10)
    assert st.converged.all() and st.retrieved.all() and st.attractor.all()
    assert torch.allclose(st.rho_end, torch.full((8,), 0.5), rtol=1e-4)
    away = dynamics.attractor_stats(Contract(p, 1.05), starts, train, steps=40, batch_size=4, tol=1e-3,
                                    retrieve_corr=0.95, power_iters=10)
    assert not away.converged.any() and not away.attractor.any() and away.rho_end.min() > 1
    assert dynamics.agreement(st.converged, ~away.converged) == 1.0


def test_radii_on_a_unet_leave_the_model_untouched():
    m = models.build(models.ModelConfig.of("unet", image_size=8, base=4, depth=1))
    before = {k: v.clone() for k, v in m.state_dict().items()}
    m.eval()
    rho = dynamics.radii(m, torch.rand(6, 3, 8, 8), batch_size=3, iters=4)
    assert rho.shape == (6,) and torch.isfinite(rho).all() and rho[0] == rho[2] and not m.training
    assert all(torch.equal(before[k], v) for k, v in m.state_dict().items())


def test_agreement_needs_equal_shapes():
    with pytest.raises(ValueError, match="shapes"):
        dynamics.agreement(torch.ones(3, dtype=torch.bool), torch.ones(2, dtype=torch.bool))


def test_shuffled_agreement_is_the_chance_level():
    walking = torch.tensor([True] * 8 + [False] * 8)
    assert dynamics.agreement(walking, walking) == 1.0
    chance = dynamics.shuffled_agreement(walking, walking, n_perm=400, seed=0)
    assert 0.4 < chance < 0.6  # balanced verdicts: random pairing agrees about half the time
    everyone = torch.ones(16, dtype=torch.bool)  # every walker walks, none converges: vacuous
    assert dynamics.agreement(everyone, everyone) == dynamics.shuffled_agreement(everyone, everyone) == 1.0
    with pytest.raises(ValueError, match="shapes"):
        dynamics.shuffled_agreement(walking, walking[:3])
