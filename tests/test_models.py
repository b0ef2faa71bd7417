import dataclasses

import pytest
import torch
import torch.nn.functional as F

from aelib import models
from aelib.models import ModelConfig, ModelError


@pytest.mark.parametrize("kw", [dict(kind="fc", image_size=8, width=256, n_hidden=5),
                                dict(kind="unet", image_size=16, base=8, depth=2),
                                dict(kind="unet", image_size=16, base=8, depth=2, skips="concat"),
                                dict(kind="unet", image_size=16, base=8, depth=2, skips="none"),
                                dict(kind="unet", image_size=16, base=8, depth=2, hidden_mlp=(32, 8, 32)),
                                dict(kind="unet", image_size=16, base=8, depth=2, batchnorm=False)])
def test_shapes_and_E_D_compose(kw):
    torch.manual_seed(0)
    m = models.build(ModelConfig.of(**kw)).train()
    a = torch.rand(4, 3, kw["image_size"], kw["image_size"])
    out = m(a)
    assert out.shape == a.shape
    torch.manual_seed(1)
    h = m.E(a)
    assert torch.allclose(m.D(h), out, atol=1e-5)  # train-mode BN: same batch, same statistics


def test_parameter_counts_match_the_essay():
    # the essay's no-skip U-Net (31,037,763), its hidden-MLP U-Net at 128^2 (56,211,759) and the
    # FC autoencoder with all six hidden activations registered (104,611,072), per facts.md
    assert models.n_params(models.UNet(64, 3, 64, 4, "self")) == 31_037_763
    assert models.n_params(models.UNet(128, 3, 64, 4, "self", (500, 100, 500))) == 56_211_759
    assert models.n_params(models.FCAutoencoder(32, 3, 4000, 6)) == 104_611_072


def test_fc_layers_are_all_registered_and_trained():
    m = models.FCAutoencoder(8, 3, 64, n_hidden=5)
    linears = [mod for mod in m.modules() if isinstance(mod, torch.nn.Linear)]
    assert len(linears) == 6  # input layer, 4 hidden-to-hidden, output layer
    opt = torch.optim.Adam(m.parameters(), 1e-2)
    before = [l.weight.detach().clone() for l in linears]
    a = torch.rand(8, 3, 8, 8)
    F.mse_loss(m(a), a).backward()
    opt.step()
    assert all(not torch.equal(b, l.weight) for b, l in zip(before, linears))


def test_unet_bottleneck_is_overcomplete_at_the_cpu_profile():
    m = models.UNet(32, 3, 16, 2)
    h = m.E(torch.rand(2, 3, 32, 32))
    assert h[0].numel() / (3 * 32 * 32) == pytest.approx(4 / 3)


def test_one_batch_overfit():
    torch.manual_seed(0)
    m = models.UNet(16, 3, 8, 2).train()
    a = torch.rand(8, 3, 16, 16)
    opt = torch.optim.Adam(m.parameters(), 3e-3)
    first = None
    for _ in range(150):
        loss = F.mse_loss(m(a), a)
        first = first if first is not None else float(loss.detach())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < first / 10


def test_bad_model_configs_raise_clear_errors():
    with pytest.raises(ModelError, match="unknown model kind"):
        models.build(ModelConfig.of("transformer", 8))
    with pytest.raises(ModelError, match="divisible"):
        models.UNet(18, 3, 8, 2)
    with pytest.raises(ModelError, match="skips"):
        models.UNet(16, 3, 8, 2, skips="residual")


def test_a_config_holds_its_kind_and_only_that_kinds_parameters():
    # every field of ModelConfig enters the cache key; the kind's parameters live in ``params``
    assert [f.name for f in dataclasses.fields(ModelConfig)] == ["kind", "image_size", "channels", "params"]
    own = {"fc": ["width", "n_hidden", "batchnorm"], "unet": ["base", "depth", "skips", "hidden_mlp", "batchnorm"],
           "mlp": ["width", "n_layers"]}
    sizes = {"fc": dict(width=8, n_hidden=2), "unet": dict(base=4, depth=1), "mlp": dict(width=8, n_layers=1)}
    for kind, names in own.items():
        assert list(models.lookup(kind).param_names) == names
        d = ModelConfig.of(kind, 8, **sizes[kind]).as_dict()
        assert list(d) == ["kind", "image_size", "channels", "params"] and list(d["params"]) == names
    cfg = ModelConfig.of("unet", image_size=16, base=8, depth=2, skips="concat")
    assert cfg.params == models.UNetParams(base=8, depth=2, skips="concat")
    assert cfg == ModelConfig("unet", 16, 3, cfg.params)
    # sizes have no default outside the profile: a config without them is refused, naming them
    with pytest.raises(ModelError, match="needs its parameters"):
        ModelConfig("fc", 8)
    with pytest.raises(ModelError, match="needs 'depth'"):
        ModelConfig.of("unet", image_size=8, base=4)


@pytest.mark.parametrize("make, match", [
    (lambda: ModelConfig.of("unet", 8, width=64), "no parameter 'width'"),       # another kind's parameter
    (lambda: ModelConfig.of("fc", 8, base=8, depth=2), "no parameter 'base', 'depth'"),
    (lambda: ModelConfig("unet", 8, params=models.FCParams(width=8, n_hidden=1)), "takes UNetParams"),
    (lambda: ModelConfig.of("transformer", 8), "unknown model kind 'transformer'"),
])
def test_a_parameter_of_another_kind_is_an_error_not_ignored(make, match):
    with pytest.raises(ModelError, match=match):
        make()


def test_register_adds_a_kind_and_refuses_to_take_over_another_modules(monkeypatch):
    monkeypatch.setattr(models, "_KINDS", dict(models._KINDS))

    @dataclasses.dataclass(frozen=True)
    class TinyParams:
        width: int = 4

    @models.register("tiny", TinyParams)
    def tiny(cfg):
        return torch.nn.Linear(cfg.params.width, cfg.params.width)

    assert "tiny" in models.kinds() and models.lookup("tiny").params is TinyParams
    assert models.build(ModelConfig.of("tiny", 8, width=3)).in_features == 3
    models.register("tiny", TinyParams)(tiny)  # the same module again (a reload): replaced
    with pytest.raises(ModelError, match="already registered by aelib.models"):
        models.register("unet", TinyParams)(tiny)
    with pytest.raises(TypeError, match="frozen dataclass"):
        models.register("loose", dataclasses.make_dataclass("Loose", [("w", int, 1)]))
