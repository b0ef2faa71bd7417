"""Batch-norm groupings and modes, output image statistics, the scaled blur and the local sampler
of chapter 06 (aelib.batchnorm)."""

import pytest
import torch

from aelib import figures, models
from aelib.batchnorm import (
    BatchNormError,
    EssayBlur,
    Grouped,
    RunningStatistics,
    batch_statistics,
    channel_stat_distance,
    channel_stats,
    colour_distance,
)
from aelib.metrics import high_frequency
from aelib.sampler import SamplerConfig, sample


def unet(batchnorm=True, seed=0):
    torch.manual_seed(seed)
    return models.UNet(16, 3, 4, 2, batchnorm=batchnorm).train()


def images(n=6, size=16, seed=0):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


# --- Grouped ---------------------------------------------------------------------------------


@torch.no_grad()
def test_group_of_one_is_each_image_on_its_own_and_whole_batch_is_plain_call():
    m, a = unet(), images(5)
    one_by_one = torch.cat([m(x[None]) for x in a])
    assert torch.allclose(Grouped(m, 1)(a), one_by_one, atol=1e-5)
    assert torch.allclose(Grouped(m, 5)(a), m(a), atol=1e-5)
    assert torch.allclose(Grouped(m, 64)(a), m(a), atol=1e-5)
    assert not torch.allclose(Grouped(m, 1)(a), m(a), atol=1e-3)   # batch statistics do matter


@torch.no_grad()
def test_groups_split_consecutively_with_a_short_last_group():
    m, a = unet(), images(5)
    expected = torch.cat([m(a[:2]), m(a[2:4]), m(a[4:])])
    assert torch.allclose(Grouped(m, 2)(a), expected, atol=1e-5)


@torch.no_grad()
def test_without_batchnorm_grouping_changes_nothing():
    m, a = unet(batchnorm=False), images(5)
    assert torch.allclose(Grouped(m, 1)(a), m(a), atol=1e-5)


def test_running_statistics_and_mode_are_left_alone():
    m = unet()
    m.eval()
    before = {k: b.clone() for k, b in m.named_buffers()}
    with torch.no_grad():
        Grouped(m, 2)(images(4))
    assert not m.training
    assert all(torch.equal(before[k], b) for k, b in m.named_buffers())


def test_gradients_flow_through_grouped_calls():
    m, a = unet(), images(3).requires_grad_(True)
    Grouped(m, 1)(a).sum().backward()
    assert a.grad is not None and a.grad.abs().sum() > 0
    assert len(list(Grouped(m, 1).parameters())) == len(list(m.parameters()))


def test_batch_statistics_matches_train_mode_and_touches_no_buffer():
    m, a = unet(), images(4)
    m.eval()
    before = {k: b.clone() for k, b in m.named_buffers()}
    ids = {k: id(b) for k, b in m.named_buffers()}
    x = a.clone().requires_grad_(True)
    with batch_statistics(m):
        assert m.training
        out = m(x)
    out.sum().backward()                          # the graph survives the block
    assert not m.training
    assert {k: id(b) for k, b in m.named_buffers()} == ids
    assert all(torch.equal(before[k], b) for k, b in m.named_buffers())
    m.train()
    with torch.no_grad():
        assert torch.allclose(out, m(a), atol=1e-5)  # the same as an ordinary train-mode call


@pytest.mark.parametrize("size", [0, -1, 1.5, True])
def test_bad_group_size_raises(size):
    with pytest.raises(BatchNormError, match="group size"):
        Grouped(unet(), size)


# --- RunningStatistics ----------------------------------------------------------------------------


def test_running_statistics_runs_an_independent_eval_copy():
    m = unet()
    with torch.no_grad():
        m(images(8, seed=1))                      # give the running statistics non-default values
    before = {k: b.clone() for k, b in m.named_buffers()}
    O = RunningStatistics(m)                      # noqa: N806
    assert m.training and not O.model.training
    assert not any(p.requires_grad for p in O.parameters())
    a = images(3, seed=2)
    with torch.no_grad():
        out = O(a)
        assert torch.allclose(out[:1], O(a[:1]), atol=1e-5)   # no dependence on the rest of the batch
        m.eval()
        assert torch.allclose(out, m(a), atol=1e-5)           # the same as the model in eval mode
        m.train()
        O.model.train()                                       # even if someone switches the copy ...
        assert torch.allclose(O(a), out, atol=1e-5)           # ... each call runs in eval mode
        for b in O.model.buffers():
            if b.dtype.is_floating_point:
                b.add_(1.0)
    assert all(torch.equal(before[k], b) for k, b in m.named_buffers())   # the original is untouched


# --- with the chapter-05 sampler ---------------------------------------------------------------------


def test_sampler_keeps_the_statistics_each_wrapper_stands_for():
    m = unet()
    with torch.no_grad():
        m(images(8, seed=1))
    before = {k: b.clone() for k, b in m.named_buffers()}
    cfg = SamplerConfig(steps=3, n_samples=4, batch_size=2, frame_every=1)
    seen = []

    class Spy(RunningStatistics):
        def __call__(self, x):
            seen.append(self.model.training)
            return super().__call__(x)

    out_eval = sample(Spy(m), (3, 16, 16), cfg, torch.Generator().manual_seed(0)).final
    assert seen and not any(seen)                 # the sampler did not switch the eval copy to train mode
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    out_grouped = sample(Grouped(m, 2), (3, 16, 16), cfg, g1).final
    out_plain = sample(m, (3, 16, 16), cfg, g2).final   # the sampler's own train mode, batches of 2
    assert torch.allclose(out_grouped, out_plain, atol=1e-5)
    assert not torch.allclose(out_eval, out_grouped, atol=1e-3)
    assert all(torch.equal(before[k], b) for k, b in m.named_buffers())


# --- statistics --------------------------------------------------------------------------------


def test_channel_stats_known_answers():
    x = torch.zeros(2, 3, 4, 4)
    x[:, 0] = 0.25
    x[1, 1, :, :2] = 1.0                          # half the pixels at 1: mean 0.5, std 0.5
    s = channel_stats(x)
    assert s.shape == (2, 3, 2)
    assert torch.allclose(s[0, 0], torch.tensor([0.25, 0.0]))
    assert torch.allclose(s[1, 1], torch.tensor([0.5, 0.5]))


def test_channel_stat_distance_of_a_shift_and_of_itself():
    a = images(4)
    assert torch.allclose(channel_stat_distance(a, a), torch.zeros(4))
    # a shift of every channel by d moves the three means by d and no std: distance sqrt(3) d
    assert torch.allclose(channel_stat_distance(a + 0.1, a), torch.full((4,), 0.1 * 3 ** 0.5), atol=1e-5)


def test_colour_distance_of_a_shift_and_of_a_permutation():
    a = images(3)
    assert torch.allclose(colour_distance(a + 0.2, a), torch.full((3,), 0.2, dtype=torch.float64), atol=1e-6)
    shuffled = a.flatten(2)[:, :, torch.randperm(256, generator=torch.Generator().manual_seed(0))].view_as(a)
    assert torch.allclose(colour_distance(shuffled, a), torch.zeros(3, dtype=torch.float64), atol=1e-9)
    assert channel_stat_distance(shuffled, a).max() < 1e-5      # same histogram, same statistics


def test_high_frequency_energy_orders_flat_smooth_and_checkerboard():
    flat = torch.full((1, 3, 16, 16), 0.6)
    ramp = torch.linspace(0, 1, 16).view(1, 1, 1, 16).expand(1, 3, 16, 16)
    checker = ((torch.arange(16)[:, None] + torch.arange(16)[None, :]) % 2).float().expand(1, 3, 16, 16)
    e = [float(high_frequency(x, share=False)) for x in (flat, ramp, checker)]
    assert e[0] < 1e-12 and e[1] < e[2]
    assert float(high_frequency(EssayBlur()(checker * 1.0), share=False)) < e[2]


def test_statistics_refuse_a_single_image_without_batch_axis():
    with pytest.raises(BatchNormError, match="image batch"):
        channel_stats(torch.rand(3, 8, 8))
    with pytest.raises(ValueError, match="image batch"):
        high_frequency(torch.rand(3, 8, 8), share=False)


def test_distances_refuse_mismatched_shapes():
    with pytest.raises(BatchNormError, match="shapes differ"):
        channel_stat_distance(images(2), images(3))
    with pytest.raises(BatchNormError, match="shapes differ"):
        colour_distance(images(2), images(2, size=8))


# --- blur ----------------------------------------------------------------------------------------


def test_blur_scaling_known_values():
    b = EssayBlur()
    assert b.scaled(128) == (19, 8.0)             # the essay's own setting
    assert b.scaled(32) == (5, 2.0)               # cpu profile
    assert b.scaled(16) == (3, 1.0)               # smoke profile (never below 3)
    assert b.scaled(64) == (9, 4.0)
    with pytest.raises(BatchNormError):
        b.scaled(1)


def test_blur_keeps_shape_and_mean_and_smooths():
    a = images(2)
    out = EssayBlur()(a)
    assert out.shape == a.shape
    assert float((out - a).abs().mean()) > 0
    assert float(high_frequency(out, share=False).max()) < float(high_frequency(a, share=False).min())


def test_blur_restoration_ratio_is_one_for_the_identity_and_zero_for_a_perfect_deblurrer():
    a, b = images(3), EssayBlur()
    assert torch.allclose(b.restoration_ratio(lambda x: x, a), torch.ones(3))
    assert torch.allclose(b.restoration_ratio(lambda x: a, a), torch.zeros(3))


# --- figure ------------------------------------------------------------------------------------------


def test_loss_curves_by_images_puts_runs_on_an_images_axis():
    import matplotlib.pyplot as plt

    fig = figures.loss_curves_by_images({"b1": ([1.0] * 80, 1), "b8": ([0.5] * 10, 8)}, window_images=8)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2
    assert lines[0].get_xdata()[-1] == 80 and lines[1].get_xdata()[-1] == 80   # same images seen
    plt.close(fig)
    with pytest.raises(ValueError, match="batch size"):
        figures.loss_curves_by_images({"bad": ([1.0], 0)})


# --- Modes, set means, offset response -------------------------------------------------------------


def test_modes_switch_between_grouped_train_mode_and_an_eval_copy():
    from aelib.batchnorm import Modes

    m = unet()
    with torch.no_grad():
        m(images(8, seed=1))                      # running statistics away from their defaults
    before = {k: b.clone() for k, b in m.named_buffers()}
    O, a = Modes(m, 2), images(4, seed=3)         # noqa: N806
    with torch.no_grad():
        assert O.training and torch.allclose(O(a), Grouped(m, 2)(a), atol=1e-5)
        assert O.eval() is O and not O.training
        m.eval()
        assert torch.allclose(O(a), m(a), atol=1e-5)
        m.train()
        O.train()
        assert O.training
    assert m.training                             # the wrapped model's own mode is never switched
    assert all(torch.equal(before[k], b) for k, b in m.named_buffers())


def test_ratio_table_in_both_modes_leaves_the_running_statistics_alone():
    from aelib import metrics
    from aelib.batchnorm import Modes

    m = unet()
    with torch.no_grad():
        m(images(8, seed=1))
    before = {k: b.clone() for k, b in m.named_buffers()}
    a = images(6, seed=4)
    t = metrics.ratio_table(Modes(m, 3), a, (0.5,), seed=1, eval_mode=True)
    assert all(torch.equal(before[k], b) for k, b in m.named_buffers())
    assert {"r", "r_eval", "recon_eval", "r_control_eval"} <= set(t.columns)
    assert t.loc[0.5, "r"] != t.loc[0.5, "r_eval"]


def test_set_channel_means_known_values_and_uint8():
    from aelib.batchnorm import set_channel_means

    x = torch.zeros(2, 3, 4, 4)
    x[:, 1] = 0.5
    x[0, 2] = 1.0
    assert torch.allclose(set_channel_means(x), torch.tensor([0.0, 0.5, 0.5]))
    assert torch.allclose(set_channel_means((x * 255).to(torch.uint8)), torch.tensor([0.0, 0.5, 0.5]), atol=3e-3)
    with pytest.raises(BatchNormError, match="image batch"):
        set_channel_means(torch.rand(3, 4, 4))


def test_offset_response_of_identity_constant_and_train_mode_batchnorm():
    from aelib.batchnorm import offset_response

    a = images(4, seed=5)
    ident = offset_response(lambda x: x, a, (0.1, 0.3))
    assert [r["offset"] for r in ident] == [0.1, 0.3]
    for r in ident:                               # the identity passes the offset on unchanged
        assert abs(r["output_change"] - r["input_change"]) < 1e-5 and r["input_change"] > 0
    assert ident[1]["input_change"] > ident[0]["input_change"]
    expected = float((0.1 * a[0].numel() ** 0.5 / a.flatten(1).norm(dim=1)).median())   # |d| over |a|, per image
    assert ident[0]["input_change"] == pytest.approx(expected, rel=1e-5)
    const = offset_response(lambda x: torch.ones_like(x), a, (0.2,))
    assert const[0]["output_change"] == 0.0      # a constant map ignores it
    torch.manual_seed(0)                          # bias-free 1x1 convolution, then BatchNorm: the offset is
    m = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1, bias=False), torch.nn.BatchNorm2d(4),  # uniform per channel
                            torch.nn.Conv2d(4, 3, 1)).train()
    train = offset_response(Grouped(m, 4), a, (0.3,))[0]["output_change"]
    ev = offset_response(RunningStatistics(m), a, (0.3,))[0]["output_change"]
    assert train < 1e-4 < ev                      # batch statistics remove a batch-wide offset, running ones do not
    assert offset_response(Grouped(m, 1), a, (0.3,))[0]["output_change"] < 1e-4   # ... and so do one image's
