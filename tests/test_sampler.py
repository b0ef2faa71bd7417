"""The denoise-and-renoise sampler of chapter 05 (aelib.sampler) and the chapter's measures of
copying, diversity and texture (the chapter-05 additions to aelib.metrics)."""

import pytest
import torch

from aelib import metrics, models, sampler
from aelib.sampler import LinearSchedule, SamplerConfig, sample, schedule_table

SHAPE = (3, 8, 8)


class Counting(torch.nn.Module):
    """O(a) = lam * a + beta, counting the images it has been applied to and its mode."""

    def __init__(self, lam=0.5, beta=0.1):
        super().__init__()
        self.lam, self.beta, self.images, self.modes = lam, beta, 0, set()

    def forward(self, a):
        self.images += len(a)
        self.modes.add(self.training)
        return self.lam * a + self.beta


def test_shapes_frames_and_evaluation_count():
    O = Counting()
    cfg = SamplerConfig(steps=7, n_samples=10, batch_size=4, frame_every=3)
    s = sample(O, SHAPE, cfg, torch.Generator().manual_seed(0))
    assert s.final.shape == (10, *SHAPE) and s.start.shape == (10, *SHAPE)
    assert s.frame_steps == [0, 3, 6, 7]                    # every 3rd step and always N
    assert s.frames.shape == (4, 10, *SHAPE)
    assert torch.equal(s.frames[-1], s.final)
    assert s.evaluations == 8 and O.images == 10 * 8        # N + 1 calls per image, batches 4 + 4 + 2
    assert len(s.coefficients) == 7


def test_linear_schedule_known_answer():
    assert schedule_table(LinearSchedule(), 4) == [(0.0, 1.0), (0.25, 0.75), (0.5, 0.5), (0.75, 0.25)]


def test_recurrence_known_answer_without_noise():
    """sigma = 0: every noise draw is mu, so the chain is deterministic and can be followed by hand."""
    lam, beta, mu, N = 0.5, 0.1, 0.7, 5
    s = sample(Counting(lam, beta), SHAPE, SamplerConfig(steps=N, n_samples=3, batch_size=2, sigma=0.0, mu=mu))
    a = mu
    for n in range(N):
        a = (n / N) * (lam * a + beta) + (1 - n / N) * mu
    assert torch.allclose(s.final, torch.full((3, *SHAPE), lam * a + beta))
    assert torch.allclose(s.start, torch.full((3, *SHAPE), mu))


def test_start_and_fresh_noise_have_the_essays_statistics():
    s = sample(lambda a: torch.zeros_like(a), (3, 16, 16), SamplerConfig(steps=2, n_samples=64, batch_size=64),
               torch.Generator().manual_seed(1))
    assert float(s.start.mean()) == pytest.approx(0.7, abs=0.01)
    assert float(s.start.std()) == pytest.approx(0.2, abs=0.01)


def test_determinism_and_seeds():
    O = Counting()
    cfg = SamplerConfig(steps=4, n_samples=6, batch_size=3)
    one = sample(O, SHAPE, cfg, torch.Generator().manual_seed(3)).final
    two = sample(O, SHAPE, cfg, torch.Generator().manual_seed(3)).final
    other = sample(O, SHAPE, cfg, torch.Generator().manual_seed(4)).final
    assert torch.equal(one, two) and not torch.equal(one, other)
    assert not torch.equal(one[0], one[1])                   # each chain has its own noise


def test_train_mode_inside_and_model_state_restored():
    O = Counting().eval()
    sample(O, SHAPE, SamplerConfig(steps=2, n_samples=2, batch_size=2))
    assert O.modes == {True} and O.training is False

    torch.manual_seed(0)
    unet = models.build(models.ModelConfig.of("unet", image_size=8, base=4, depth=1)).eval()
    before = {k: b.clone() for k, b in unet.state_dict().items()}
    s = sample(unet, SHAPE, SamplerConfig(steps=3, n_samples=4, batch_size=2), torch.Generator().manual_seed(0))
    assert torch.isfinite(s.final).all()
    assert unet.training is False
    for k, v in unet.state_dict().items():
        assert torch.equal(v, before[k]), k                  # running statistics put back


def test_batches_are_independent_chains():
    """A model whose output is its batch mean couples the chains of one batch only."""
    s = sample(lambda a: a.mean(dim=0, keepdim=True).expand_as(a), SHAPE,
               SamplerConfig(steps=3, n_samples=4, batch_size=2), torch.Generator().manual_seed(0))
    assert torch.equal(s.final[0], s.final[1]) and torch.equal(s.final[2], s.final[3])
    assert not torch.equal(s.final[0], s.final[2])


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="must lie in"):
        sample(Counting(), SHAPE, SamplerConfig(30, 4, 4, schedule=lambda n, N: (n / 20, 1 - n / 20)))
    with pytest.raises(ValueError, match="steps"):
        SamplerConfig(steps=0, n_samples=4, batch_size=4)
    with pytest.raises(ValueError, match="batch_size"):
        SamplerConfig(steps=2, n_samples=4, batch_size=0)
    with pytest.raises(ValueError, match="callable"):
        SamplerConfig(2, 4, 4, schedule=0.5)
    with pytest.raises(ValueError, match="shape"):
        sample(Counting(), (8, 8), SamplerConfig(2, 4, 4))
    with pytest.raises(TypeError, match="n_samples"):   # sizes have no default outside the profile
        SamplerConfig(steps=2)


# ------------------------------------------------------------------------------------------
# chapter-05 measures in aelib.metrics


def test_spread_is_zero_for_one_image_and_known_for_two():
    one = torch.rand(1, *SHAPE).expand(6, *SHAPE)
    assert metrics.spread(one) == pytest.approx(0.0, abs=1e-6)
    two = torch.stack([torch.zeros(SHAPE), torch.full(SHAPE, 0.5)])
    assert metrics.spread(two) == pytest.approx(0.5 * 192 ** 0.5, rel=1e-5)
    with pytest.raises(ValueError, match="two images"):
        metrics.spread(two[:1])


def test_high_frequency_share_orders_smooth_and_rough_images():
    g = torch.Generator().manual_seed(0)
    low = torch.rand(4, 3, 4, 4, generator=g)
    smooth = torch.nn.functional.interpolate(low, size=(32, 32), mode="bilinear", align_corners=False)
    rough = torch.rand(4, 3, 32, 32, generator=g)
    hs, hr = metrics.high_frequency(smooth), metrics.high_frequency(rough)
    assert hs.shape == (4,) and torch.all(hs < 0.1) and torch.all(hr > 0.4) and torch.all(hr <= 1.0)
    assert torch.all(metrics.high_frequency(torch.full((2, 3, 8, 8), 0.3)) == 0)
    # scale-free: the share does not change with contrast or brightness
    assert torch.allclose(metrics.high_frequency(0.5 * rough + 0.2), hr, atol=1e-5)
    with pytest.raises(ValueError, match="B, C, H, W"):
        metrics.high_frequency(rough[0])


def test_separation_auc():
    assert metrics.separation([3, 4, 5], [0, 1, 2])["auc"] == 1.0
    assert metrics.separation([0, 1, 2], [3, 4, 5])["auc"] == 0.0
    assert metrics.separation([1, 2, 3], [1, 2, 3])["auc"] == 0.5
    res = metrics.separation(torch.arange(20.0), torch.arange(20.0) + 100)
    assert res["p_value"] < 1e-6 and res["median_a"] < res["median_b"]
    with pytest.raises(ValueError, match="at least one"):
        metrics.separation([], [1.0])


def test_sliced_wasserstein_repeated():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(8, 3, 16, 16, generator=g), torch.rand(8, 3, 16, 16, generator=g)
    cfg = metrics.SWConfig(levels=2, n_patches=128, n_projections=16, seed=5)
    mean, sd = metrics.sliced_wasserstein_repeated(x, y, cfg, repeats=1)
    assert mean == pytest.approx(metrics.sliced_wasserstein(x, y, cfg)) and sd == [0.0, 0.0]
    mean3, sd3 = metrics.sliced_wasserstein_repeated(x, y, cfg, repeats=3)
    assert len(mean3) == 2 and all(s > 0 for s in sd3)
    with pytest.raises(ValueError, match="repeats"):
        metrics.sliced_wasserstein_repeated(x, y, cfg, repeats=0)


# ------------------------------------------------------------------------------------------
# chapter-05 helpers in aelib.sampler


def test_fast_sliced_wasserstein_gives_the_metrics_numbers():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(6, 3, 16, 16, generator=g), torch.rand(20, 3, 16, 16, generator=g) * 0.5 + 0.2
    for seed in (0, 7):
        cfg = metrics.SWConfig(levels=2, n_patches=300, n_projections=24, seed=seed)
        fast, ref = sampler.sliced_wasserstein(x, y, cfg), metrics.sliced_wasserstein(x, y, cfg)
        assert len(fast) == 2 and fast == pytest.approx(ref, rel=1e-9)
    assert sampler.sliced_wasserstein(y, y, cfg) == pytest.approx([0.0, 0.0], abs=0.3)  # same set: small
    assert sampler.sliced_wasserstein(x, y, cfg)[0] > 0.5


def test_budget_steps():
    assert sampler.budget_steps(1000.0, 10.0) == 100
    assert sampler.budget_steps(1000.0, 3.0) == 333
    assert sampler.budget_steps(10.0, 10.0) == sampler.MIN_CAP     # never below the rule's minimum
    assert sampler.budget_steps(10.0, 10.0, minimum=1) == 1
    with pytest.raises(ValueError, match="positive"):
        sampler.budget_steps(0.0, 1.0)


def test_folded_auc():
    assert sampler.folded_auc([3, 4, 5], [0, 1, 2]) == 1.0
    assert sampler.folded_auc([0, 1, 2], [3, 4, 5]) == 1.0          # either direction
    assert sampler.folded_auc([1, 2, 3], [1, 2, 3]) == 0.5
    assert sampler.folded_auc([0, 3], [1, 2]) == 0.5


def test_folded_auc_gap():
    ref = [0, 1, 2, 3]
    far, alike = [10, 11, 12, 13], [0, 1, 2, 3]
    assert sampler.folded_auc_gap(far, alike, ref) == 0.5      # 1 (fully apart) - 0.5 (no separation)
    assert sampler.folded_auc_gap(alike, far, ref) == -0.5
    assert sampler.folded_auc_gap([-13, -12, -11, -10], far, ref) == 0.0  # apart below or above: same distance
    assert sampler.folded_auc_gap([0, 1, 2, 13], alike, ref) == 1 / 32    # AUC 8.5/16 (ties half) against 1/2


def test_order_conditions():
    levels = {"base": [1.0, 0.5], "wide": [0.8, 0.7], "wide + deep": [0.9, 0.4]}
    assert sampler.order_conditions(levels) == {"wide_finer_detail": True, "wide_less_global_order": True,
                                                 "deep_restores_order": True}
    flipped = {"base": [0.8, 0.7], "wide": [1.0, 0.5], "wide + deep": [0.9, 0.6]}
    assert not any(sampler.order_conditions(flipped).values())
    mid = {"base": [1.0, 0.5, 0.5], "wide": [0.8, 9.0, 0.4], "wide + deep": [0.9, 0.0, 0.45]}
    assert sampler.order_conditions(mid) == {"wide_finer_detail": True, "wide_less_global_order": False,
                                              "deep_restores_order": False}   # middle band ignored
    with pytest.raises(ValueError, match="needs the sets"):
        sampler.order_conditions({"base": [1.0], "wide": [1.0]})
