"""The DDPM baseline of chapter 09 (aelib.diffusion) and the loss-aware FLOP count (aelib.compute)."""

import socket

import pytest
import torch
import torch.nn as nn

from aelib import cache, compute, diffusion, models
from aelib.data import ImageSet
from aelib.models import ModelConfig, ModelError
from aelib.training import TrainConfig

CFG = ModelConfig.of("ddpm_unet", image_size=16, base=4, depth=1, batchnorm=False)


def _tiny(image_size=8, base=4, depth=1, seed=0) -> diffusion.TimeUNet:
    torch.manual_seed(seed)
    return models.build(ModelConfig.of("ddpm_unet", image_size=image_size, base=base, depth=depth,
                                       batchnorm=False))


def test_time_unet_shape_and_t_matters():
    m = _tiny(image_size=16, depth=2)
    assert isinstance(m, diffusion.TimeUNet) and not any(isinstance(x, nn.BatchNorm2d) for x in m.modules())
    x = torch.randn(3, 3, 16, 16)
    out0 = m(x, torch.zeros(3, dtype=torch.long))
    out1 = m(x, torch.full((3,), 500, dtype=torch.long))
    assert out0.shape == x.shape
    assert (out0 - out1).abs().max() > 1e-4            # the noise level changes the prediction
    with pytest.raises(ModelError):
        m.E(x)
    with pytest.raises(ModelError, match="no parameter 'hidden_mlp'"):   # the ddpm U-Nets have no hidden MLP
        ModelConfig.of("ddpm_unet", image_size=16, base=4, depth=1, hidden_mlp=(8, 4, 8))
    assert models.lookup("ddpm_unet").build.__module__ == "aelib.diffusion"
    assert ModelConfig.of("ddpm_unet", 8, base=4, depth=1).params == diffusion.TimeUNetParams(4, 1, batchnorm=False)


def test_x0_kind_predicts_the_clean_image():
    m = models.build(ModelConfig.of("ddpm_unet_x0", image_size=8, base=4, depth=1, batchnorm=False))
    assert m.ddpm.prediction_type == "sample" and m.scheduler.config.prediction_type == "sample"
    a = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    # a network that outputs x_0 exactly has zero loss: check the target through a stand-in net
    x0 = 2 * a - 1
    assert m.training_loss(lambda x_t, t: x0, a, step=0, seed=0).item() == 0.0
    assert m.training_loss(lambda x_t, t: torch.zeros_like(x0), a, step=0, seed=0).item() == \
        pytest.approx(x0.pow(2).mean().item())
    s = diffusion.sample_ddim(m, (3, 8, 8), steps=3, n_samples=2, batch_size=2)
    assert torch.isfinite(s.final).all()
    with pytest.raises(ModelError, match="unknown model kind"):
        models.build(ModelConfig.of("ddpm_nothing", image_size=8))


def test_loss_by_level_reference_is_exact_at_the_top():
    m = _tiny()
    a = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(3))
    out = diffusion.loss_by_level(m.train(), a, (0, 999), torch.Generator().manual_seed(0))
    assert set(out) == {0, 999} and m.training
    assert out[999]["copy"] < 1e-3 < out[0]["copy"]     # copying x_t names the noise at t = T-1 only
    assert out[999]["own"] == pytest.approx(out[999]["eps"])   # an eps model's own loss is its eps-loss


def _x0_model():
    return models.build(ModelConfig.of("ddpm_unet_x0", image_size=8, base=4, depth=1, batchnorm=False))


def test_predictions_convert_between_parameterisations():
    a = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(4))
    x0 = 2 * a - 1
    eps = torch.randn(a.shape, generator=torch.Generator().manual_seed(5))
    t = torch.tensor([0, 10, 500, 999])
    for m in (_tiny(), _x0_model()):
        x_t, _ = m.noised(x0, eps, t)
        truth = x0 if m.ddpm.prediction_type == "sample" else eps
        m.forward = lambda x, tt, truth=truth: truth      # a perfect network of either kind
        x0_hat, eps_hat = diffusion.predictions(m, x_t, t)
        assert torch.allclose(x0_hat[1:], x0[1:], atol=1e-3) and torch.allclose(eps_hat[:3], eps[:3], atol=1e-3)
    # the x0 model's noise estimate passes x_t through: a network that answers zero still names the
    # noise at the top level, where x_t is almost all noise
    m = _x0_model()
    m.forward = lambda x, tt: torch.zeros_like(x)
    x_t, _ = m.noised(x0, eps, t)
    _, eps_hat = diffusion.predictions(m, x_t, t)
    assert (eps_hat[3] - eps[3]).pow(2).mean() < 1e-3 < (eps_hat[0] - eps[0]).pow(2).mean()
    out = diffusion.loss_by_level(m, a, (999,), torch.Generator().manual_seed(0))
    assert out[999]["eps"] < 1e-3 and out[999]["own"] == pytest.approx(out[999]["x0"])


def test_heldout_loss_is_deterministic_and_reads_the_model():
    m = _x0_model()
    a = torch.rand(6, 3, 8, 8, generator=torch.Generator().manual_seed(6))
    l1 = diffusion.heldout_loss(m.train(), a, seed=0)
    assert l1 == diffusion.heldout_loss(m, a, seed=0) and m.training       # fixed draws; mode restored
    assert l1 != diffusion.heldout_loss(m, a, seed=1)
    m.forward = lambda x, tt: 2 * a - 1                                     # the perfect x0 network
    assert diffusion.heldout_loss(m, a) == 0.0
    m.forward = lambda x, tt: torch.zeros_like(x)
    assert diffusion.heldout_loss(m, a) == pytest.approx((2 * a - 1).pow(2).mean().item(), rel=1e-6)
    with pytest.raises(ValueError):
        diffusion.heldout_loss(m, a, draws=0)


def test_clean_reconstruction_reads_the_x0_estimate_at_the_lowest_level():
    m = _x0_model().train()
    a = torch.rand(3, 3, 8, 8, generator=torch.Generator().manual_seed(7))
    seen = []
    m.forward = lambda x, tt: seen.append((x.clone(), tt.clone())) or torch.full_like(x, 0.5)
    out = diffusion.CleanReconstruction(m)(a)
    x, tt = seen[0]
    assert torch.allclose(x, 2 * a - 1) and (tt == 0).all()                 # the clean image at level 0
    assert torch.allclose(out, torch.full_like(a, 0.75)) and m.training    # mapped back to [0, 1]
    assert diffusion.samples_per_seed(64) == 32 and diffusion.samples_per_seed(3) == 2


def test_training_loss_is_a_function_of_seed_and_step():
    m = _tiny()
    a = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    l1 = m.training_loss(m, a, step=5, seed=0)
    l2 = m.training_loss(m, a, step=5, seed=0)
    assert torch.equal(l1, l2)
    assert not torch.equal(l1, m.training_loss(m, a, step=6, seed=0))
    assert not torch.equal(l1, m.training_loss(m, a, step=5, seed=1))
    assert 0.3 < l1.item() < 3.0                        # an untrained net: about the variance of eps, 1


def test_one_batch_overfit():
    m = _tiny(image_size=8, base=16)
    a = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    losses = []
    for _ in range(60):                                 # the same (t, eps) draw every time: step=0
        loss = m.training_loss(m, a, step=0, seed=0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 5, (losses[0], losses[-1])


def test_ddim_sampler_runs_offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    m = _tiny().train()
    calls = []
    forward = m.forward
    monkeypatch.setattr(m, "forward", lambda x, t: calls.append(len(x)) or forward(x, t))
    s = diffusion.sample_ddim(m, (3, 8, 8), steps=5, n_samples=3, batch_size=2,
                              generator=torch.Generator().manual_seed(0))
    assert s.final.shape == (3, 3, 8, 8) and s.start.shape == (3, 3, 8, 8)
    assert torch.isfinite(s.final).all() and s.final.min() >= 0 and s.final.max() <= 1
    assert s.evaluations == 5 and len(s.timesteps) == 5
    assert calls == [2] * 5 + [1] * 5                   # steps calls per chain, batches of 2 then 1
    assert s.timesteps == sorted(s.timesteps, reverse=True)
    assert m.training                                   # mode restored
    again = diffusion.sample_ddim(m, (3, 8, 8), steps=5, n_samples=3, batch_size=2,
                                  generator=torch.Generator().manual_seed(0))
    assert torch.equal(s.final, again.final)            # eta = 0: deterministic given x_T


def test_training_flops_match_a_hand_count():
    d, h, b = 12, 5, 3
    net = nn.Sequential(nn.Flatten(), nn.Linear(d, h), nn.ReLU(), nn.Linear(h, d), nn.Unflatten(1, (3, 2, 2)))
    mac = b * d * h                                     # multiply-adds of either layer on a batch
    cost = compute.step_cost(net, (3, 2, 2), batch_size=b)
    assert cost.forward_per_image == 2 * 2 * mac / b    # two layers, 2 FLOPs per multiply-add
    # backward: layer 2 needs weight and input gradients, layer 1 only its weight gradient (the input
    # does not require one): 3 more products of the same size
    assert cost.train_step == 2 * (2 + 3) * mac
    # another loss with the same network calls costs the same
    other = compute.step_cost(net, (3, 2, 2), batch_size=b, loss_fn=lambda m, x: m(x).abs().mean())
    assert other.train_step == cost.train_step


def test_ddpm_training_flops_match_the_copying_unet():
    torch.manual_seed(0)
    unet = models.build(ModelConfig.of("unet", image_size=16, base=4, depth=2))
    ddpm = _tiny(image_size=16, base=4, depth=2)
    c_u = compute.step_cost(unet, (3, 16, 16), batch_size=4)
    c_d = compute.step_cost(ddpm, (3, 16, 16), batch_size=4, loss_fn=diffusion.loss_fn)
    # the time MLP on a batch of 4: forward 2*4*(4*16 + 16*16 + 16*28) FLOPs, backward twice that less
    # the first layer's input gradient
    mlp = 4 * 16 + 16 * 16 + 16 * (4 + 8 + 16 + 8 + 4)
    assert c_d.train_step - c_u.train_step == 2 * 4 * (3 * mlp - 4 * 16)
    assert 1.0 < c_d.train_step / c_u.train_step < 1.02


def _data(images):
    return ImageSet(images[:24], images[24:], source="tiny", fingerprint="tiny-v1")


def test_ddpm_trains_through_the_cache_and_resumes(tiny_images, tmp_path, monkeypatch):
    data = _data(tiny_images)
    first = cache.trained("ddpm", CFG, data, TrainConfig(steps=3, batch_size=8))
    again = cache.trained("ddpm", CFG, data, TrainConfig(steps=3, batch_size=8))
    assert not first.hit and again.hit and again.folder == first.folder
    assert isinstance(again.model, diffusion.TimeUNet)
    longer = cache.trained("ddpm", CFG, data, TrainConfig(steps=6, batch_size=8))
    assert longer.resumed_from == 3 and len(longer.losses) == 6
    monkeypatch.setenv("AELIB_HOME", str(tmp_path / "fresh"))
    fresh = cache.trained("ddpm", CFG, data, TrainConfig(steps=6, batch_size=8))
    assert fresh.resumed_from == 0
    assert fresh.losses == pytest.approx(longer.losses)
    for k, v in fresh.model.state_dict().items():
        assert torch.equal(v, longer.model.state_dict()[k]), k
    # the key differs from the copying U-Net's with the same fields
    plain = ModelConfig.of("unet", image_size=16, base=4, depth=1, batchnorm=False)
    assert cache.run_key(plain, data, TrainConfig(steps=6, batch_size=8)) != \
        cache.run_key(CFG, data, TrainConfig(steps=6, batch_size=8))
