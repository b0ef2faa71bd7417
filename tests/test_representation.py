import torch

from aelib import metrics
from aelib.representation import RepresentationConfig, represent


def test_recovers_the_target_through_an_invertible_layer():
    torch.manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(48, 48))
    layer = lambda x: (x.flatten(1) @ q.T)  # noqa: E731  (orthogonal: invertible, well conditioned)
    a = torch.rand(6, 3, 4, 4)
    a_g, losses = represent(layer, a, RepresentationConfig(steps=400, lr=0.5, loss_scale=0.01), record_every=50)
    assert metrics.representation_error(a_g, a) < 0.05
    assert losses[-1] < losses[0] / 10


def test_non_invertible_layer_leaves_its_null_space_at_the_start():
    # a layer that sees only the mean of each image cannot recover anything else
    layer = lambda x: x.mean(dim=(1, 2, 3), keepdim=True)  # noqa: E731
    a = torch.rand(4, 3, 8, 8)
    a_g, _ = represent(layer, a, RepresentationConfig(steps=300, lr=50.0, loss_scale=0.01))
    assert torch.allclose(a_g.mean(dim=(1, 2, 3)), a.mean(dim=(1, 2, 3)), atol=0.01)
    assert metrics.representation_error(a_g, a) > 0.3


def test_batched_equals_one_at_a_time_without_batchnorm():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 3, 1))
    a = torch.rand(3, 3, 8, 8)
    cfg = RepresentationConfig(steps=20)
    batched, _ = represent(net, a, cfg)
    # one at a time, with the start values the batched call drew for that image
    a0 = torch.randn(a.shape, generator=torch.Generator().manual_seed(cfg.seed)) * cfg.init_std + cfg.init_mean
    for i in range(3):
        x = a0[i:i + 1].clone()
        target = net(a[i:i + 1]).detach()
        for _ in range(cfg.steps):
            x.requires_grad_(True)
            (grad,) = torch.autograd.grad(cfg.loss_scale * (target - net(x)).abs().sum(), x)
            x = (x - cfg.lr * grad).detach()
        assert torch.allclose(batched[i:i + 1], x, atol=1e-5)
    assert all(p.requires_grad for p in net.parameters())  # parameters untouched
