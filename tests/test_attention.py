"""Attention mechanisms and attention autoencoders of chapter 07 (aelib.attention)."""

import pytest
import torch
import torch.nn.functional as F

from aelib import attention as A
from aelib import cache, figures, models
from aelib.data import ImageSet
from aelib.models import ModelConfig, ModelError
from aelib.training import TrainConfig

SMALL = dict(heads=2, dim_head=8)
KIND_CFGS = [
    ModelConfig.of("attn_unet", image_size=16, base=8, depth=2, skips="concat", **SMALL),
    ModelConfig.of("attn_unet", image_size=16, base=8, depth=2, skips="self", **SMALL),
    ModelConfig.of("attn_unet_eff", image_size=16, base=8, depth=1, skips="self", **SMALL),
    ModelConfig.of("eff_attn_ae", image_size=8, maps=16, **SMALL),
    ModelConfig.of("dot_attn_ae", image_size=8, maps=16, batchnorm=False, **SMALL),
    ModelConfig.of("dot_attn_only", image_size=8, **SMALL),
]


@pytest.mark.parametrize("cfg", KIND_CFGS, ids=lambda c: f"{c.kind}-{getattr(c.params, 'skips', '')}")
def test_every_kind_builds_and_E_D_compose(cfg):
    torch.manual_seed(0)
    m = models.build(cfg).train()
    a = torch.rand(4, 3, cfg.image_size, cfg.image_size)
    torch.manual_seed(1)
    out = m(a)
    assert out.shape == a.shape and torch.isfinite(out).all()
    torch.manual_seed(1)                               # the same noise draws for the noisy U-Net
    assert torch.allclose(m.D(m.E(a)), out, atol=1e-5)


def test_attention_kinds_are_registered_here_with_heads_and_dim_head():
    for kind in ("attn_unet", "attn_unet_eff", "eff_attn_ae", "dot_attn_ae", "dot_attn_only"):
        k = models.lookup(kind)
        assert k.build.__module__ == "aelib.attention"
        assert {"heads", "dim_head"} <= set(k.param_names) and "n_hidden" not in k.param_names
    cfg = ModelConfig.of("attn_unet", image_size=16, base=8, depth=1, heads=2, dim_head=4)
    m = models.build(cfg)
    assert (m.mid_attn.attn.heads, m.mid_attn.attn.to_qkv.out_channels) == (2, 3 * 2 * 4)
    assert isinstance(m.mid_attn.attn, A.DotProductAttention)
    eff = models.build(ModelConfig.of("attn_unet_eff", image_size=16, base=8, depth=1, heads=2, dim_head=4))
    assert isinstance(eff.mid_attn.attn, A.EfficientAttention)


def test_parameter_counts_match_the_essays_models():
    # facts.md D6 (about 29.84 M) and D9 (1,539): the attention U-Net at dim 128, dim_mults (1, 2, 4),
    # 4 heads of 32, and dot-product attention alone on RGB
    assert models.n_params(A.AttentionUNet(128, 3, 128, 2, 4, 32, "concat", "dot")) == 29_840_403
    assert models.n_params(A.AttentionOnlyAutoencoder(3, 4, 32)) == 1_539


def _efficient_by_hand(x, m):
    """Efficient attention written out per head with explicit softmaxes and matrix products."""
    b, c, h, w = x.shape
    qkv = m.to_qkv(x).reshape(b, 3, m.heads, -1, h * w)
    out = []
    for i in range(b):
        heads = []
        for j in range(m.heads):
            q, k, v = qkv[i, 0, j], qkv[i, 1, j], qkv[i, 2, j]        # (d, n)
            q = torch.exp(q) / torch.exp(q).sum(0, keepdim=True) * q.shape[0] ** -0.5
            k = torch.exp(k) / torch.exp(k).sum(1, keepdim=True)
            heads.append((k @ v.T).T @ q)                             # context^T q
        out.append(torch.cat(heads, 0))
    return torch.stack(out).reshape(b, -1, h, w)


def _dot_by_hand(x, m):
    b, c, h, w = x.shape
    qkv = m.to_qkv(x).reshape(b, 3, m.heads, -1, h * w)
    out = []
    for i in range(b):
        heads = []
        for j in range(m.heads):
            q, k, v = qkv[i, 0, j], qkv[i, 1, j], qkv[i, 2, j]
            weights = torch.softmax(q.T @ k / q.shape[0] ** 0.5, dim=1)   # (n queries, n keys)
            heads.append(v @ weights.T)
        out.append(torch.cat(heads, 0))
    return torch.stack(out).reshape(b, -1, h, w)


def test_efficient_attention_matches_its_definition():
    torch.manual_seed(0)
    m = A.EfficientAttention(6, heads=3, dim_head=4)
    x = torch.randn(2, 6, 3, 5)
    assert torch.allclose(m.heads_out(x), _efficient_by_hand(x, m), atol=1e-5)


def test_dot_product_attention_matches_its_definition():
    torch.manual_seed(0)
    m = A.DotProductAttention(6, heads=2, dim_head=5, out_dim=3)
    x = torch.randn(2, 6, 4, 4)
    assert torch.allclose(m.heads_out(x), _dot_by_hand(x, m), atol=1e-5)
    assert m(x).shape == (2, 3, 4, 4)


def test_known_answers_with_uninformative_keys_or_queries():
    # efficient: keys all zero -> softmax over positions is uniform -> every position reads
    # scale * (mean of v over positions), because a query's softmax sums to 1
    torch.manual_seed(0)
    eff = A.EfficientAttention(4, heads=1, dim_head=3)
    with torch.no_grad():
        eff.to_qkv.weight[3:6] = 0
    x = torch.randn(1, 4, 5, 5)
    v = eff.to_qkv(x)[:, 6:9].flatten(2)
    expected = (3 ** -0.5) * v.mean(-1, keepdim=True).expand_as(v)
    assert torch.allclose(eff.heads_out(x).flatten(2), expected, atol=1e-5)
    # dot product: queries all zero -> uniform weights -> every position reads the mean of v
    dot = A.DotProductAttention(4, heads=1, dim_head=3)
    with torch.no_grad():
        dot.to_qkv.weight[0:3] = 0
    v = dot.to_qkv(x)[:, 6:9].flatten(2)
    assert torch.allclose(dot.heads_out(x).flatten(2), v.mean(-1, keepdim=True).expand_as(v), atol=1e-5)


@pytest.mark.parametrize("mechanism", ["efficient", "dot"])
def test_attention_is_equivariant_to_permuting_positions(mechanism):
    # no positional encoding: permuting the pixels permutes the output the same way
    torch.manual_seed(0)
    m = A.attention(mechanism, 5, heads=2, dim_head=4)
    x = torch.randn(2, 5, 4, 4)
    perm = torch.randperm(16)
    xp = x.flatten(2)[:, :, perm].reshape_as(x)
    assert torch.allclose(m(xp).flatten(2), m(x).flatten(2)[:, :, perm], atol=1e-5)


def test_residual_noise_makes_the_attention_unet_stochastic_and_reproducible():
    a = torch.rand(2, 3, 16, 16)
    noisy = A.AttentionUNet(16, 3, 8, 2, 1, 8, "concat", "dot")
    assert A.output_spread(noisy, a) > 0.01
    torch.manual_seed(5)
    o1 = noisy(a)
    torch.manual_seed(5)
    assert torch.equal(noisy(a), o1)
    quiet = A.AttentionUNet(16, 3, 8, 2, 1, 8, "concat", "dot", noise=0.0)
    assert A.output_spread(quiet, a) == 0.0
    assert A.output_spread(A.ConvAttentionAutoencoder(3, 8, "efficient", 1, 4), a) == 0.0


def test_skips_switch_changes_what_E_returns():
    a = torch.rand(2, 3, 16, 16)
    h, saved = A.AttentionUNet(16, 3, 8, 2, 1, 8, skips="concat").E(a)
    assert h.shape == (2, 32, 4, 4) and [s.shape[1] for s in saved] == [8, 16, 32]
    h = A.AttentionUNet(16, 3, 8, 2, 1, 8, skips="self").E(a)
    assert isinstance(h, torch.Tensor) and h.shape == (2, 32, 4, 4)


def test_attention_only_latent_is_the_merged_heads():
    m = A.AttentionOnlyAutoencoder(3, heads=4, dim_head=32)
    h = m.E(torch.rand(2, 3, 8, 8))
    assert h.shape == (2, 128, 8, 8)


@pytest.mark.parametrize("make", [
    lambda: A.AttentionUNet(16, 3, 8, 2, 1, 8, skips="none"),
    lambda: A.AttentionUNet(16, 3, 12, 2, 1, 8),                # GroupNorm(8) needs multiples of 8
    lambda: A.AttentionUNet(18, 3, 8, 2, 1, 8),                 # 18 is not divisible by 4
    lambda: A.AttentionUNet(16, 3, 8, 0, 1, 8),
    lambda: A.EfficientAttention(8, heads=0),
    lambda: A.attention("kernel", 8, 2, 4),
    lambda: ModelConfig.of("eff_attn_ae", 8, maps=8, heads=1, dim_head=4, hidden_mlp=(4,)),  # a U-Net parameter
    lambda: ModelConfig.of("attn_unet", 8, base=8, depth=1, n_hidden=2, width=8),  # the FC's names for heads, dim_head
    lambda: ModelConfig.of("attn_unet", 8, base=8, depth=1),                       # heads and dim_head left out
    lambda: ModelConfig("eff_attn_ae", 8, params=A.AttnUNetParams(base=8, depth=1, heads=1, dim_head=4)),
    lambda: models.build(ModelConfig.of("transformer", 8)),
])
def test_bad_configurations_raise_model_errors(make):
    with pytest.raises(ModelError):
        make()


def test_efficient_attention_autoencoder_learns_to_copy_one_batch():
    torch.manual_seed(0)
    m = A.ConvAttentionAutoencoder(3, 16, "efficient", 2, 8).train()
    a = torch.rand(8, 3, 8, 8)
    opt = torch.optim.Adam(m.parameters(), 3e-3)
    losses = []
    for _ in range(120):
        loss = F.mse_loss(m(a), a)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0] / 5


def test_attention_kinds_have_distinct_cache_keys_and_train_through_the_cache(tiny_images):
    data = ImageSet(tiny_images[:24], tiny_images[24:], source="tiny", fingerprint="tiny-v1")
    tc = TrainConfig(steps=2, batch_size=8)
    cfgs = [ModelConfig.of(k, image_size=16, maps=16, **SMALL) for k in ("eff_attn_ae", "dot_attn_ae")]
    assert len({cache.run_key(c, data, tc) for c in cfgs}) == 2
    run = cache.trained("eff", cfgs[0], data, tc)
    assert not run.hit and len(run.losses) == 2
    assert cache.trained("eff", cfgs[0], data, tc).hit


def test_ratio_curves_draws_one_panel_per_column():
    import pandas as pd

    t = pd.DataFrame({"r": [1.2, 0.8], "k": [0.9, 0.5]}, index=pd.Index([0.9, 0.5], name="alpha"))
    fig = figures.ratio_curves({"a": t, "b": t * 1.1}, columns=("r", "k"))
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 3   # two models and the line at 1
    assert fig.axes[0].get_yscale() == "log"
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_common_noise_removes_the_pass_to_pass_noise_and_leaves_the_rng_alone():
    a = torch.rand(2, 3, 16, 16)
    noisy = A.AttentionUNet(16, 3, 8, 2, 1, 8, "concat", "dot")
    O = A.CommonNoise(noisy, seed=3)
    torch.manual_seed(0)
    before = torch.random.get_rng_state()
    assert torch.equal(O(a), O(a))
    assert torch.equal(torch.random.get_rng_state(), before)
    det = A.ConvAttentionAutoencoder(3, 8, "efficient", 1, 4)
    assert torch.equal(A.CommonNoise(det)(a), det(a))


def test_common_noise_gives_the_representation_descent_one_fixed_map():
    """C32 represents the attention U-Net through CommonNoise: the target's pass and every descent
    step see the same residual noise. Started at the target itself, the first loss is then exactly 0
    (with fresh noise on every pass it is not), and two descents agree."""
    from aelib.representation import RepresentationConfig, represent

    a = torch.rand(2, 3, 16, 16)
    noisy = A.AttentionUNet(16, 3, 8, 2, 1, 8, "concat", "dot")
    cfg = RepresentationConfig(steps=3, seed=5)
    O = A.CommonNoise(noisy, seed=11)
    a_g, losses = represent(O, a, cfg, start=a, record_every=1)
    assert losses[0] == 0.0 and torch.equal(a_g, a)   # zero loss, zero gradient: the descent stays put
    _, fresh = represent(noisy, a, cfg, start=a, record_every=1)
    assert fresh[0] > 0.0
    b1, l1 = represent(O, a, cfg, record_every=1)
    b2, l2 = represent(O, a, cfg, record_every=1)
    assert torch.equal(b1, b2) and l1 == l2 and l1[-1] < l1[0]


def test_learning_rate_raises_only_the_noisy_attention_unets():
    assert A.learning_rate("attn_unet", 3e-4) == A.ATTN_UNET_LR
    assert A.learning_rate("attn_unet_eff", 3e-4) == A.ATTN_UNET_LR
    for kind in ("eff_attn_ae", "dot_attn_ae", "dot_attn_only", "unet"):
        assert A.learning_rate(kind, 3e-4) == 3e-4
    assert A.ATTN_UNET_LR > 3e-4



def test_heldout_error_of_a_noisy_model_does_not_depend_on_what_ran_before():
    """The attention U-Net draws noise in its forward pass; its held-out error (a gate's number)
    is the same whatever the random state (a model just trained or loaded from the cache), and
    the caller's random state is untouched."""
    from aelib import gates

    torch.manual_seed(0)
    model = A.AttentionUNet(16, 3, 8, 2, 1, 8, "concat", "dot").train()
    a = torch.rand(4, 3, 16, 16)
    torch.manual_seed(1)
    first = gates.heldout_error(model, a)
    after = torch.rand(3)
    torch.manual_seed(1)
    torch.rand(1000)                       # another history before the same measurement
    assert gates.heldout_error(model, a) == first
    torch.manual_seed(1)
    gates.heldout_error(model, a)
    assert torch.equal(torch.rand(3), after)  # the caller's stream continues as if nothing was drawn
