"""Chapter 03's tools: normality statistics, Lyapunov's ratio, the simplified MLP and the
many-starts representation it relies on."""

import numpy as np
import pytest
import torch

from aelib import gaussianity as G
from aelib import models
from aelib.models import ModelConfig, ModelError
from aelib.representation import RepresentationConfig, represent

# --- normality ---------------------------------------------------------------------------


def test_normality_of_a_gaussian_sample_is_near_zero():
    x = np.random.default_rng(0).standard_normal(200_000)
    s = G.normality(x)
    assert abs(s["skew"]) < 0.03 and abs(s["excess_kurtosis"]) < 0.06
    assert s["ks"] < 0.006 and s["shapiro_w"] > 0.999
    assert s["n"] == 200_000


@pytest.mark.parametrize("draw, skew, kurt", [("exponential", 2.0, 6.0), ("uniform", 0.0, -1.2)])
def test_normality_detects_non_gaussian_samples(draw, skew, kurt):
    x = getattr(np.random.default_rng(1), draw)(size=200_000)
    s = G.normality(x)
    assert s["skew"] == pytest.approx(skew, abs=0.15)
    assert s["excess_kurtosis"] == pytest.approx(kurt, abs=0.6)
    assert s["ks"] > 0.05 and s["shapiro_w"] < 0.99


def test_standardized_deviations_are_per_coordinate_z_scores_and_drop_constants():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((50, 3, 4)) * np.arange(1, 13).reshape(3, 4) + 5.0
    x[:, 0, 0] = 7.0  # a coordinate that never varies
    z = G.standardized_deviations(torch.tensor(x)).reshape(50, -1)
    assert z.shape == (50, 11)
    assert np.allclose(z.mean(axis=0), 0, atol=1e-12) and np.allclose(z.std(axis=0), 1)
    with pytest.raises(ValueError, match="at least 3"):
        G.standardized_deviations(x[:2])


def test_ks_null_is_the_floor_of_a_gaussian_array_and_shrinks_with_size():
    small, large = G.ks_null(32, 64), G.ks_null(256, 512)
    assert large < small < 0.03
    x = np.random.default_rng(3).standard_normal((256, 512))
    assert G.normality(G.standardized_deviations(x))["ks"] < 3 * large


def test_qq_points_lie_on_the_diagonal_for_a_gaussian_sample():
    th, emp = G.qq_points(np.random.default_rng(4).standard_normal(100_000), n_points=50)
    assert np.allclose(th, emp, atol=0.06)


def test_own_start_share_separates_carried_from_mixed_noise():
    rng = np.random.default_rng(5)
    a0 = rng.standard_normal((2000, 64))
    assert G.own_start_share(0.5 * a0 + 3, a0) == pytest.approx(1.0)
    mix = a0 @ np.roll(np.eye(64), 1, axis=1)  # each coordinate is another coordinate's start
    assert G.own_start_share(mix, a0) < 0.01


# --- Lyapunov's ratio ----------------------------------------------------------------------


def test_lyapunov_ratio_of_iid_terms_falls_with_slope_minus_one_half():
    x = np.random.default_rng(6).exponential(size=(4000, 512))
    abs3, var = G.term_moments(x)
    ns = G.log_spaced(512, 10)
    slope, _ = G.loglog_slope(ns, G.lyapunov_ratio(abs3, var, ns))
    assert slope == pytest.approx(-0.5, abs=0.05)


def test_lyapunov_ratio_of_one_term_is_its_standardised_third_moment():
    x = np.random.default_rng(7).standard_normal((200_000, 3))
    abs3, var = G.term_moments(x)
    assert G.lyapunov_ratio(abs3, var, [1])[0] == pytest.approx(2 * np.sqrt(2 / np.pi), rel=0.02)
    with pytest.raises(ValueError, match="n must lie"):
        G.lyapunov_ratio(abs3, var, [0, 4])


def test_lyapunov_ratio_stalls_when_one_term_dominates():
    rng = np.random.default_rng(8)
    a = rng.standard_normal((2000, 256))
    w = np.full((4, 256), 1e-3)
    w[:, 0] = 1.0  # one weight carries the whole sum
    abs3, var = G.weighted_term_moments(w, a)
    ns = G.log_spaced(256, 8)
    ratio = G.lyapunov_ratio(abs3, var, ns).mean(axis=0)
    assert G.loglog_slope(ns, ratio)[0] > -0.05
    assert G.largest_share(w) > 0.9
    assert G.largest_share(np.ones((3, 100))) == pytest.approx(0.01)


def test_weighted_term_moments_match_the_terms_computed_directly():
    rng = np.random.default_rng(9)
    a = rng.exponential(size=(500, 20))
    w = rng.standard_normal((3, 20))
    abs3, var = G.weighted_term_moments(torch.tensor(w), a)
    for j in range(3):
        d3, dv = G.term_moments(a * w[j])
        assert np.allclose(abs3[j], d3) and np.allclose(var[j], dv)


def test_sum_variance_ratio_is_one_for_independent_terms_and_zero_when_they_cancel():
    rng = np.random.default_rng(10)
    a = rng.standard_normal((20_000, 64))
    w = rng.uniform(-1, 1, size=(8, 64))
    assert G.sum_variance_ratio(w, a) == pytest.approx(1.0, abs=0.05)
    b = np.concatenate([a[:, :32], -a[:, :32]], axis=1)  # the second half undoes the first
    assert G.sum_variance_ratio(np.ones((2, 64)), b) < 1e-12


def test_log_spaced_is_increasing_and_spans_the_range():
    ns = G.log_spaced(768, 12)
    assert ns[0] == 2 and ns[-1] == 768 and np.all(np.diff(ns) > 0)


# --- the simplified MLP --------------------------------------------------------------------


def test_mlp_shapes_widths_and_E_D_compose():
    cfg = ModelConfig.of("mlp", image_size=8, width=64, n_layers=2)
    torch.manual_seed(0)
    m = models.build(cfg)
    assert isinstance(m, models.MLPAutoencoder)
    a = torch.rand(5, 3, 8, 8)
    h = m.E(a)
    assert h.shape == (5, 16) and m(a).shape == a.shape
    assert torch.equal(m.D(h), m(a))
    dims = [(l.in_features, l.out_features) for l in m.linears()]
    assert dims == [(192, 64), (64, 16), (16, 64), (64, 192)]
    assert dims[0][1] < dims[0][0]  # the first layer is not invertible
    assert not any(isinstance(x, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) for x in m.modules())
    assert models.mlp_widths(256, 3) == (256, 64, 16)
    with pytest.raises(ModelError):
        models.mlp_widths(2, 2)
    with pytest.raises(ModelError):
        models.mlp_widths(64, 0)


def test_mlp_rows_do_not_interact():
    torch.manual_seed(0)
    m = models.MLPAutoencoder(8, 3, (32, 8))
    a = torch.rand(6, 3, 8, 8)
    assert torch.allclose(m(a)[2:3], m(a[2:3]), atol=1e-6)


# --- many starts of one target ----------------------------------------------------------


def test_one_target_repeated_gets_one_start_per_row_and_rows_match_single_runs():
    torch.manual_seed(0)
    m = models.MLPAutoencoder(4, 3, (16, 4))
    target = torch.rand(1, 3, 4, 4)
    batch = target.expand(6, -1, -1, -1).contiguous()
    cfg = RepresentationConfig(steps=30, lr=1.0)
    a_g, _ = represent(m, batch, cfg)
    dev = (a_g - a_g.mean(0)).flatten(1).norm(dim=1)
    assert torch.all(dev > 1e-3)  # every row found a different representation
    a0 = torch.randn(batch.shape, generator=torch.Generator().manual_seed(cfg.seed)) * cfg.init_std + cfg.init_mean
    assert not torch.allclose(a0[0], a0[1])
    single, _ = represent(m, target, cfg, start=a0[3:4])
    assert torch.allclose(single, a_g[3:4], atol=1e-5)
    same, _ = represent(m, batch, cfg, start=a0)
    assert torch.allclose(same, a_g, atol=1e-6)
    with pytest.raises(ValueError, match="start has shape"):
        represent(m, batch, cfg, start=a0[:2])


# --- starts and controls of chapter 03 ----------------------------------------------------


def test_draw_starts_match_mean_and_spread_and_differ_in_shape():
    g = torch.Generator().manual_seed(0)
    gs = G.draw_starts((400, 500), 0.7, 0.05, "gaussian", g)
    us = G.draw_starts((400, 500), 0.7, 0.05, "uniform", g)
    for x in (gs, us):
        assert float(x.mean()) == pytest.approx(0.7, abs=1e-3) and float(x.std()) == pytest.approx(0.05, rel=0.01)
    assert G.normality(gs)["excess_kurtosis"] == pytest.approx(0.0, abs=0.05)
    assert G.normality(us)["excess_kurtosis"] == pytest.approx(-1.2, abs=0.05)
    assert float(us.max()) <= 0.7 + 0.05 * np.sqrt(3) + 1e-6
    with pytest.raises(ValueError, match="unknown start kind"):
        G.draw_starts((2, 2), 0.7, 0.05, "laplace")


def test_lyapunov_slope_falls_for_comparable_weights_and_not_for_heavy_tailed_ones():
    rng = np.random.default_rng(11)
    a = rng.standard_normal((512, 768))
    ns = G.log_spaced(768, 12)
    w = rng.uniform(-1, 1, size=(64, 768)) / np.sqrt(768)
    ratio, slope, _ = G.lyapunov_slope(w, a, ns)
    assert ratio.shape == ns.shape and slope == pytest.approx(-0.5, abs=0.05)
    wc = G.heavy_tailed_weights((64, 768), seed=3)
    assert G.largest_share(wc) > 0.3 > 10 * G.largest_share(w)
    assert G.lyapunov_slope(wc, a, ns)[1] > -0.2
    assert np.array_equal(wc, G.heavy_tailed_weights((64, 768), seed=3))
