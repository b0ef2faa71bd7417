"""Copying, memorizing, generalizing: the single-example regimes, the two-denoiser ladder, and
the digits that ship with scikit-learn."""

import pytest
import torch

from aelib import data, memorization, nearest
from aelib.models import ModelConfig
from aelib.sampler import SamplerConfig
from aelib.training import TrainConfig


def test_regimes_of_the_single_example_test():
    assert memorization.regime(0.95, 0.2) == "constant"
    assert memorization.regime(0.3, 0.97) == "identity"
    assert memorization.regime(0.6, 0.7) == "neither"
    a_train = torch.rand(3, 8, 8)
    probes = torch.rand(16, 3, 8, 8)
    assert memorization.single_example(lambda x: x.clone(), a_train, probes).regime == "identity"
    const = memorization.single_example(lambda x: a_train.expand_as(x).clone(), a_train, probes)
    assert const.regime == "constant" and const.corr_to_train > 0.999


def test_tile_fills_a_batch_with_whole_copies():
    x = torch.arange(3).view(3, 1, 1, 1)
    t = memorization.tile(x, 8)
    assert len(t) == 9 and t.flatten().tolist() == [0, 1, 2] * 3


def test_halves_are_disjoint_by_photo_on_the_shipped_data():
    ds = data.load_photos(image_size=8)
    images = torch.cat([ds.train, ds.heldout])
    groups = ds.train_image_groups + ds.heldout_image_groups
    assert len(groups) == len(images) and len(set(groups)) == 22
    a, b = memorization.disjoint_halves(groups, seed=0)
    ga, gb = {groups[i] for i in a.tolist()}, {groups[i] for i in b.tolist()}
    assert not ga & gb, "a photo contributes crops to both halves"
    assert len(a) + len(b) == len(images) and not set(a.tolist()) & set(b.tolist())
    assert abs(len(a) - len(b)) <= 130  # one photo's crops at most
    assert len({groups[i] for i in a[:16].tolist()}) >= 4  # the first N images span several photos
    subsets = memorization.ladder_subsets(a, b, (1, 4, 10_000))
    assert list(subsets) == [1, 4, min(len(a), len(b))]
    assert torch.equal(subsets[4][0][:1], subsets[1][0])  # nested
    a2, b2 = memorization.disjoint_halves(groups, seed=0)
    assert torch.equal(a, a2) and torch.equal(b, b2)


def test_one_group_cannot_be_split():
    with pytest.raises(ValueError, match="one group"):
        memorization.disjoint_halves(["x"] * 5)


def test_digits_install_with_scikit_learn():
    d = data.load_digits(image_size=16)
    assert d.train.dtype == torch.uint8 and d.train.shape[1:] == (1, 16, 16)
    assert len(d.train) + len(d.heldout) == 1797 and d.train.max() == 255
    assert not set(d.train_image_groups) & set(d.heldout_image_groups)
    assert data.load_digits(image_size=16).fingerprint == d.fingerprint


def test_from_tensor_refuses_bad_input():
    with pytest.raises(data.DataError, match="uint8"):
        data.from_tensor(torch.rand(2, 3, 8, 8), "x")
    a = data.from_tensor(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), "x")
    b = data.from_tensor(torch.ones(2, 3, 8, 8, dtype=torch.uint8), "x")
    assert a.fingerprint != b.fingerprint


def test_two_denoiser_ladder_runs_and_caches(tiny_images):
    images = (torch.rand(24, 3, 8, 8) * 255).to(torch.uint8)
    groups = [f"g{i // 3}" for i in range(24)]  # 8 photos of 3 crops
    cfg = ModelConfig.of("unet", image_size=8, base=4, depth=1)
    tc = TrainConfig(steps=2, batch_size=4, lr=1e-3, checkpoint_every=1)
    sc = SamplerConfig(steps=2, n_samples=3, batch_size=3, frame_every=2)
    lad = memorization.two_denoiser(images, groups, (1, 5), cfg, tc, sc, name="t")
    assert [r.n for r in lad.rungs] == [1, 5]
    r = lad.rungs[1]
    assert r.cross.shape == (3,) and r.samples_a.shape == (3, 3, 8, 8) and r.nearest_b.shape == (3, 3, 8, 8)
    assert torch.all(r.memo_a <= 1 + 1e-5) and r.gap.shape == (6,) and r.cross_shifted.shape == (3,)
    assert torch.allclose(r.cross_shifted, nearest.correlation(r.samples_a, r.samples_b.roll(1, 0)))
    assert list(lad.table().index) == [1, 5] and "gap = c_own - c_other" in lad.table().columns
    assert not {groups[i] for i in r.index_a.tolist()} & {groups[i] for i in r.index_b.tolist()}  # disjoint by photo
    assert torch.equal(lad.rungs[0].index_a, r.index_a[:1]) and r.model_a is not r.model_b
    assert not set(r.heldout("A").tolist()) & set(r.index_a.tolist())  # held out from A: B's half
    again = memorization.two_denoiser(images, groups, (5,), cfg, tc, sc, name="t")
    assert torch.equal(again.rungs[0].samples_a, r.samples_a)  # cached models, same noise: same samples


def test_ladder_along_the_stopping_rule_keeps_its_runs(tiny_images):
    images = (torch.rand(24, 3, 8, 8) * 255).to(torch.uint8)
    groups = [f"g{i // 3}" for i in range(24)]
    cfg = ModelConfig.of("unet", image_size=8, base=4, depth=1)
    tc = TrainConfig(steps=8, batch_size=4, lr=1e-3, checkpoint_every=2)
    sc = SamplerConfig(steps=2, n_samples=3, batch_size=3, frame_every=2)
    lad = memorization.two_denoiser(images, groups, (2, 5), cfg, tc, sc, name="tr", seed=1, rule=True, compact=True)
    for r in lad.rungs:
        assert len(r.runs) == 2 and [s for s, _ in r.runs[0].curve] == [2, 4, 8]
        assert r.runs[0].gate().gate == "trained to rule" and "seed 1" in r.runs[0].subject
    assert lad.rungs[0].runs[0].trained.folder != lad.rungs[0].runs[1].trained.folder


def test_memorization_gap_separates_copies_from_new_images():
    own, other = torch.rand(20, 3, 8, 8), torch.rand(20, 3, 8, 8)
    gap, c_own, c_other, i = memorization.memorization_gap(own[[3, 7]], own, other)
    assert torch.allclose(c_own, torch.ones(2), atol=1e-5) and i.tolist() == [3, 7] and torch.all(gap > 0.5)
    new = torch.rand(200, 3, 8, 8)  # from neither set: no preference on average
    gap_new, *_ = memorization.memorization_gap(new, own, other)
    assert abs(float(gap_new.median())) < 0.05
    swapped, *_ = memorization.memorization_gap(own[[3, 7]], other, own)  # the other half's copy
    assert torch.all(swapped < -0.5)


def test_compact_batch_is_the_equivalent_smaller_batch():
    assert memorization.compact_batch(8, 32) == 8 and memorization.compact_batch(1, 32) == 2
    assert memorization.compact_batch(5, 32) == 32 and memorization.compact_batch(64, 32) == 32
    with pytest.raises(ValueError):
        memorization.compact_batch(0, 32)


@pytest.mark.parametrize("kind, params", [("unet", dict(base=4, depth=1)), ("fc", dict(width=32, n_hidden=2))])
def test_compact_batch_gives_the_same_gradient(kind, params):
    from aelib import models

    cfg = ModelConfig.of(kind, image_size=8, **params)
    x = torch.rand(4, 3, 8, 8) if kind == "unet" else torch.rand(1, 3, 8, 8)
    grads = []
    for batch in (memorization.tile(x, 16)[:16], memorization.tile(x, memorization.compact_batch(len(x), 16))):
        torch.manual_seed(0)
        m = models.build(cfg).train()
        ((m(batch) - batch) ** 2).mean().backward()
        grads.append(torch.cat([p.grad.flatten() for p in m.parameters()]))
    assert torch.allclose(grads[0], grads[1], rtol=1e-4, atol=1e-6)
    assert len(memorization.tile(x, memorization.compact_batch(len(x), 16))) < 16


def test_heldout_error_leaves_running_statistics_alone():
    from aelib import models

    m = models.build(ModelConfig.of("unet", image_size=8, base=4, depth=1)).train()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    a = torch.rand(4, 3, 8, 8)
    e = memorization.heldout_error(m, a)
    assert e > 0 and all(torch.equal(before[k], v) for k, v in m.state_dict().items())


def test_slider_over_n_swaps_the_sample_pair_grid(monkeypatch):
    ipywidgets = pytest.importorskip("ipywidgets")
    from aelib import figures

    monkeypatch.delenv("AELIB_HEADLESS", raising=False)
    rungs = torch.rand(3, 4, 1, 8, 8)  # 3 values of N, 2 samples of A above 2 of B, one channel (digits)
    view = figures.frame_explorer({"digits": rungs}, [1, 8, 64], n=4, nrow=2, scale=1, label="data", slider="N")
    assert isinstance(view, ipywidgets.VBox)
    slider, image = view.children
    assert slider.description == "N" and [o[0] for o in slider.options] == ["1", "8", "64"]
    first = image.value
    slider.value = 2
    assert image.value != first and image.value[:4] == b"\x89PNG"
