"""The manifold walk of chapter 04 (aelib.walk) and its display helpers (aelib.figures)."""

import pytest
import torch

from aelib import figures, models
from aelib.walk import Contraction, WalkConfig, draw_walkers, walk, walkers_per_seed


class Maps(models.Autoencoder):
    """E = identity; D chosen per test (no parameters)."""

    def __init__(self, decode):
        super().__init__()
        self.decode = decode

    def E(self, a):  # noqa: N802
        return a

    def D(self, h):  # noqa: N802
        return self.decode(h)


def images(n=6, size=8, seed=0):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed)) * 0.8 + 0.1


def test_shapes_and_frame_count():
    a = images(5)
    cfg = WalkConfig(steps=10, eps=0.1, frame_every=3, batch_size=2)
    w = walk(Maps(lambda h: h), a, cfg, torch.Generator().manual_seed(0))
    assert w.frame_steps == [0, 3, 6, 9, 10]           # every 3rd step, plus the last
    assert w.frames.shape == (5, 5, 3, 8, 8)
    assert w.change.shape == (10, 5) and w.from_start.shape == (11, 5)
    assert torch.equal(w.start, a) and torch.equal(w.frames[-1], w.last)
    assert torch.all(w.from_start[0] == 0)


def test_identity_without_noise_stops_and_with_noise_walks():
    a = images()
    still = walk(Maps(lambda h: h), a, WalkConfig(steps=5, eps=0.0, batch_size=4))
    assert still.fraction_walking() == 0.0
    assert torch.allclose(still.last, a)
    moving = walk(Maps(lambda h: h), a, WalkConfig(steps=5, eps=0.2, batch_size=4), torch.Generator().manual_seed(1))
    assert moving.fraction_walking() == 1.0
    assert float(moving.from_start[-1].median()) > float(moving.from_start[1].median())  # a random walk spreads


def test_contraction_settles_and_a_shift_keeps_walking():
    a = images()
    c = torch.full_like(a[:1], 0.5)
    settle = walk(Maps(lambda h: 0.5 * h + 0.5 * c), a, WalkConfig(steps=40, eps=0.0, tol=1e-3))
    assert settle.fraction_walking() == 0.0
    assert settle.fraction_walking(step=1) == 1.0        # the first re-encodings did change the images
    curve = settle.fraction_walking_curve()
    assert curve[0] == 1.0 and curve[-1] == 0.0 and torch.all(curve[1:] <= curve[:-1])
    shift = walk(Maps(lambda h: h.roll(1, dims=-1)), a, WalkConfig(steps=40, eps=0.0, tol=1e-3))
    assert shift.fraction_walking() == 1.0


def test_distance_and_move_ratio_of_a_steady_drift():
    a = images(4)
    step = torch.full_like(a[:1], 0.01)
    w = walk(Maps(lambda h: h + step), a, WalkConfig(steps=20, eps=0.0, batch_size=2))
    d1 = (step.flatten().norm() / a.flatten(1).norm(dim=1)).median()
    assert w.distance(0) == 0.0
    assert w.distance(1) == pytest.approx(float(d1), rel=1e-4)
    assert w.distance() == pytest.approx(20 * float(d1), rel=1e-4)     # a straight line: d_n = n d_1
    assert w.move_ratio() == pytest.approx(20.0, rel=1e-4)
    still = walk(Maps(lambda h: 0 * h + a[:2].mean(0)), a,
                 WalkConfig(steps=20, eps=0.0, batch_size=2))
    assert still.move_ratio() == pytest.approx(1.0, rel=1e-5)         # jumps once, then stays: no travel
    with pytest.raises(ValueError):
        w.distance(21)


def test_contraction_settles_on_its_centre():
    a = images(6)
    c = torch.full_like(a[:1], 0.4)
    w = walk(Contraction(c), a, WalkConfig(steps=300, eps=0.0, batch_size=3))
    assert w.fraction_walking() == 0.0 and w.fraction_walking(step=1) == 1.0
    assert torch.allclose(w.last, c.expand_as(a), atol=1e-6)
    assert torch.allclose(Contraction(c, 0.5)(a), 0.5 * (a + c))
    fast = walk(Contraction(c, 0.0), a, WalkConfig(steps=3, eps=0.0))
    assert fast.fraction_walking() == 0.0
    with pytest.raises(ValueError):
        Contraction(c, 1.0)                                       # the identity is not a contraction


def test_walkers_per_seed_and_their_draw():
    assert walkers_per_seed(64, 8) == 16                         # cpu: a quarter, two batches
    assert walkers_per_seed(8, 4) == 4                           # smoke: at least one batch
    assert walkers_per_seed(256, 8) == 64 and walkers_per_seed(100, 8) == 24
    with pytest.raises(ValueError):
        walkers_per_seed(0, 8)
    walkers, rest = draw_walkers(20, 6, torch.Generator().manual_seed(0))
    assert len(walkers) == 6 and len(rest) == 14
    assert sorted(torch.cat([walkers, rest]).tolist()) == list(range(20))   # disjoint, and cover the set
    again, _ = draw_walkers(20, 6, torch.Generator().manual_seed(0))
    other, _ = draw_walkers(20, 6, torch.Generator().manual_seed(1))
    assert torch.equal(walkers, again) and not torch.equal(walkers, other)
    with pytest.raises(ValueError):
        draw_walkers(5, 5)


def test_non_finite_images_count_as_walking():
    a = images(2)
    w = walk(Maps(lambda h: h * float("inf")), a, WalkConfig(steps=2, eps=0.0))
    assert w.walking().all()


def test_determinism_with_a_seeded_generator():
    torch.manual_seed(0)
    model = models.build(models.ModelConfig.of("unet", image_size=8, base=4, depth=1))
    a = images(4)
    cfg = WalkConfig(steps=4, eps=0.2, frame_every=2, batch_size=2)
    w1 = walk(model, a, cfg, torch.Generator().manual_seed(3))
    w2 = walk(model, a, cfg, torch.Generator().manual_seed(3))
    w3 = walk(model, a, cfg, torch.Generator().manual_seed(4))
    assert torch.equal(w1.frames, w2.frames) and torch.equal(w1.change, w2.change)
    assert not torch.equal(w1.frames, w3.frames)


def test_train_mode_batches_and_no_side_effects_on_the_model():
    torch.manual_seed(0)
    model = models.build(models.ModelConfig.of("unet", image_size=8, base=4, depth=1)).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    a = images(4)
    w = walk(model, a, WalkConfig(steps=1, eps=0.0, batch_size=2))
    assert not model.training                                  # mode restored
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # BN statistics untouched
    with torch.no_grad():
        model.train()
        expected = torch.cat([model(a[:2]), model(a[2:])])     # train mode, batch statistics per batch of 2
        model.load_state_dict(before)
        model.eval()
        assert not torch.allclose(expected, model(a), atol=1e-4)  # (eval mode would differ)
    assert torch.allclose(w.last, expected, atol=1e-6)


def test_noise_goes_to_the_bottleneck_of_a_tuple_latent():
    torch.manual_seed(0)
    model = models.build(models.ModelConfig.of("unet", image_size=8, base=4, depth=1, skips="concat"))
    w = walk(model, images(2), WalkConfig(steps=2, eps=0.1, batch_size=2), torch.Generator().manual_seed(0))
    assert w.frames.shape == (2, 2, 3, 8, 8)                  # frames at steps 0 and 2 (the last)


def test_config_rejects_nonsense():
    with pytest.raises(ValueError):
        WalkConfig(steps=0)
    with pytest.raises(ValueError):
        WalkConfig(eps=-0.1)
    with pytest.raises(ValueError):
        WalkConfig(tol=0)
    w = walk(Maps(lambda h: h), images(2), WalkConfig(steps=3, eps=0.0))
    with pytest.raises(ValueError):
        w.walking(step=4)


def test_gif_bytes():
    frames = torch.rand(4, 3, 3, 8, 8)
    data = figures.gif_bytes(frames, n=3, nrow=3, scale=2, fps=5)
    assert data[:4] == b"GIF8"
    import imageio.v3 as iio
    props = iio.improps(data, extension=".gif", index=None)
    assert props.n_images == 4
    assert props.shape[1:3] == (2 * (8 + 2), 2 * (3 * 9 + 1))  # one row of 3 tiles with 1 px padding, x2
    with pytest.raises(ValueError):
        figures.gif_bytes(frames[0])


def test_save_gif(tmp_path):
    data = figures.gif_bytes(torch.rand(2, 1, 3, 4, 4), n=1, nrow=1)
    path = figures.save_gif(data, tmp_path / "f", "walk")
    assert path.read_bytes() == data



def test_explorer_is_a_widget_for_readers(monkeypatch):
    ipywidgets = pytest.importorskip("ipywidgets")
    monkeypatch.delenv("AELIB_HEADLESS", raising=False)
    assert not figures.headless()
    frames = {0.0: torch.rand(3, 4, 3, 8, 8), 0.2: torch.rand(3, 4, 3, 8, 8)}
    view = figures.frame_explorer(frames, [0, 5, 10], n=4, nrow=4, scale=1)
    assert isinstance(view, ipywidgets.VBox)
    which, step, image = view.children
    first = image.value
    assert first[:4] == b"\x89PNG"
    step.value = 2
    assert image.value != first
    which.value = 0.2
    assert image.value != first
    monkeypatch.setenv("AELIB_HEADLESS", "0")                   # "0" counts as unset
    assert not figures.headless()
