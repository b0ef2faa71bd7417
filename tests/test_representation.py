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


def _bn_net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1, bias=False), torch.nn.BatchNorm2d(4),
                               torch.nn.ReLU(), torch.nn.Conv2d(4, 3, 1)).train()


def test_descent_restores_batchnorm_running_statistics():
    net = _bn_net()
    before = [b.clone() for b in net.buffers()]
    represent(net, torch.rand(4, 3, 8, 8), RepresentationConfig(steps=5))
    assert all(torch.equal(b, c) for b, c in zip(net.buffers(), before))


def test_tracked_descent_equals_plain_descent_and_keeps_snapshots():
    from aelib.representation import log_steps, represent_tracked

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 3, 1))
    a = torch.rand(2, 3, 8, 8)
    cfg = RepresentationConfig(steps=12)
    plain, losses = represent(net, a, cfg, record_every=1)
    tracked, losses2, snaps = represent_tracked(net, a, cfg, log_steps(12, 5) + [99])
    assert torch.allclose(plain, tracked) and losses == losses2 and len(losses) == 12
    assert sorted(snaps) == log_steps(12, 5) and 0 in snaps and 12 in snaps
    assert torch.allclose(snaps[12], tracked)
    assert torch.allclose(snaps[0], torch.randn(a.shape, generator=torch.Generator().manual_seed(cfg.seed))
                          * cfg.init_std + cfg.init_mean)


def test_offset_response_shows_train_mode_batchnorm_blind_to_batch_offsets():
    from aelib.representation import offset_response

    net = _bn_net()
    for _ in range(20):  # running statistics of plausible images, so eval mode is sensible
        net(torch.rand(8, 3, 8, 8))
    a = torch.rand(8, 3, 8, 8)
    blind = offset_response(net, a, [0.0, 0.4])
    per_image = offset_response(net, a, [0.4], per_image=True)
    seen = offset_response(net, a, [0.4], eval_mode=True)
    assert blind[0]["output_change"] < 1e-6
    assert blind[1]["output_change"] < 1e-4  # a bias-free 1x1 conv + train-mode BN subtracts the batch-wide shift
    assert per_image[0]["output_change"] > 3 * blind[1]["output_change"]
    assert seen[0]["output_change"] > 3 * blind[1]["output_change"]
    assert net.training
    # the identity moves exactly as much as its input
    ident = offset_response(torch.nn.Identity(), a, [0.3])
    assert abs(ident[0]["output_change"] - ident[0]["input_change"]) < 1e-4
    assert abs(ident[0]["input_change"] - 0.3) < 0.1


def test_nearer_than_input_affine_ignores_offset_and_gain():
    from aelib.representation import nearer_than_input

    torch.manual_seed(0)
    a = torch.rand(3, 3, 8, 8)
    a_hat = a + 0.1 * torch.randn_like(a)
    # a representation that is the clean image, but grey-shifted and at half contrast
    a_g = 0.5 * a + 0.3
    assert (nearer_than_input(a_g, a_hat, a) < 1e-4).all()
    assert (nearer_than_input(a_g, a_hat, a, affine=False) > 1).all()
    # the corrupted input itself: ratio 1 either way
    assert torch.allclose(nearer_than_input(a_hat, a_hat, a), torch.ones(3))


def test_errors_raw_and_affine():
    from aelib.representation import errors

    a = torch.rand(4, 3, 8, 8)
    e = errors(2 * a - 0.1, a)
    assert e["affine"] < 1e-4 < e["raw"]
