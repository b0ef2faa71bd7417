"""Block diagrams read from the built model (aelib.diagram): the boxes follow the module, not numbers
passed by hand."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from aelib import diagram, figures, models  # noqa: E402
from aelib.attention import AttentionUNet  # noqa: E402
from aelib.models import ModelConfig  # noqa: E402


def texts(fig) -> list[str]:
    out = [t.get_text() for t in fig.axes[0].texts]
    plt.close(fig)
    return out


def boxes(model, size):
    """(side, lines, concat, latent) per stage of the traced model."""
    return [(s.side, s.lines(), s.concat, s.latent) for s in diagram.trace(model, size)]


def test_unet_boxes_read_maps_and_resolutions_from_the_model():
    got = boxes(models.UNet(16, 3, base=8, depth=2), 16)
    assert got == [
        ("enc", ["double conv 3×3", "8 maps, 16×16"], None, False),
        ("enc", ["max pool ↓2", "double conv 3×3", "16 maps, 8×8"], None, False),
        ("enc", ["max pool ↓2", "double conv 3×3", "32 maps, 4×4"], None, True),      # h = E(a)
        ("dec", ["up-conv ↑2", "cat with itself", "double conv 3×3", "16 maps, 8×8"], "self", False),
        ("dec", ["up-conv ↑2", "cat with itself", "double conv 3×3", "8 maps, 16×16"], "self", False),
        ("out", ["1×1 conv", "3 maps, 16×16"], None, False)]


def test_the_labels_change_with_the_size_the_unet_is_built_at():
    small = texts(diagram.model_diagram(ModelConfig.of("unet", 16, base=8, depth=2)))
    other = texts(diagram.model_diagram(ModelConfig.of("unet", 32, base=4, depth=3)))
    assert {"8 maps, 16×16", "16 maps, 8×8", "32 maps, 4×4", "h = E(a)"} <= set(small)
    assert {"4 maps, 32×32", "8 maps, 16×16", "16 maps, 8×8", "32 maps, 4×4"} <= set(other)
    assert "4 maps, 32×32" not in small and "16 maps, 4×4" not in small
    assert other.count("cat with itself") == 3 and small.count("cat with itself") == 2
    assert other.count("max pool ↓2") == 3


def test_skip_unet_concatenates_the_encoder_level_of_the_same_resolution():
    stages = diagram.trace(models.UNet(16, 3, base=8, depth=2, skips="concat"), 16)
    dec = [s for s in stages if s.side == "dec"]
    assert [d.concat for d in dec] == [1, 0]                      # feats[-1 - i]: levels 1, then 0
    assert all(stages[d.concat].shape[1:] == d.shape[1:] for d in dec)  # the map of the decoder's resolution
    assert all("cat with encoder" in d.lines() for d in dec)
    none = diagram.trace(models.UNet(16, 3, base=8, depth=2, skips="none"), 16)
    assert [s.concat for s in none if s.side == "dec"] == [None, None]
    assert not any(line.startswith("cat") for s in none for line in s.lines())
    fig = diagram.model_diagram(ModelConfig.of("unet", 16, base=8, depth=2, skips="concat"))
    red = [p for p in fig.axes[0].patches if p.get_linestyle() == "--"]
    plt.close(fig)
    assert len(red) == 2                                          # one dashed arrow per concatenation


def test_hidden_mlp_box_has_its_widths():
    got = texts(diagram.model_diagram(ModelConfig.of("unet", 16, base=8, depth=2, hidden_mlp=(64, 16, 64))))
    # 32 maps at 4x4 -> conv to 8 maps at 2x2 = 32 numbers -> 64 -> 16 -> 64 -> 32 x 1 x 1
    assert "MLP 32-64-16-64-32" in got and "up-conv ↑4" in got
    wider = texts(diagram.model_diagram(ModelConfig.of("unet", 16, base=8, depth=2, hidden_mlp=(100, 10, 100))))
    assert "MLP 32-100-10-100-32" in wider and "MLP 32-64-16-64-32" not in wider
    stages = diagram.trace(models.UNet(16, 3, base=8, depth=2, hidden_mlp=(64, 16, 64)), 16)
    assert [s.side for s in stages].index("mid") == 3 and stages[2].latent   # the MLP is D's: h comes before it


def test_attention_unet_has_its_attention_blocks_and_encoder_skips():
    stages = diagram.trace(AttentionUNet(16, 3, dim=8, depth=2, heads=1, dim_head=8), 16)
    lines = [s.lines() for s in stages]
    assert sum("efficient attention" in x for x in lines) == 5     # every level, both ways
    mid = next(s for s in stages if s.side == "mid")
    assert mid.latent and mid.lines() == ["res block", "dot-product attention", "res block", "32 maps, 4×4"]
    assert [s.concat for s in stages if s.side == "dec"] == [2, 1]  # the code never reads level 0's map
    assert lines[0] == ["7×7 conv", "res block ×2", "efficient attention", "8 maps, 16×16"]
    assert lines[1][0] == "4×4 conv ↓2" and lines[-1] == ["up-conv ↑2", "res block", "1×1 conv", "3 maps, 16×16"]
    eff = texts(diagram.model_diagram(ModelConfig.of("attn_unet_eff", 16, base=8, depth=2, heads=1, dim_head=8,
                                                     skips="self")))
    assert "dot-product attention" not in eff and eff.count("efficient attention") == 6
    assert eff.count("cat with itself") == 2 and "cat with encoder" not in eff


def test_a_changed_model_changes_its_diagram():
    m = models.UNet(16, 3, base=8, depth=2)
    before = texts(diagram.model_diagram(m, 16))
    m.inc = models.double_conv(3, 12, True)                         # a first level of 12 maps
    m.downs[0][1] = models.double_conv(12, 16, True)
    after = texts(diagram.model_diagram(m, 16))
    assert "8 maps, 16×16" in before and "12 maps, 16×16" in after
    assert after.count("8 maps, 16×16") == 1                       # the decoder still ends at 8
    m.downs[1][0] = torch.nn.AvgPool2d(2)
    assert "AvgPool2d" in texts(diagram.model_diagram(m, 16))


def test_trace_leaves_the_model_and_the_random_streams_as_they_were():
    torch.manual_seed(3)
    m = AttentionUNet(16, 3, dim=8, depth=1, heads=1, dim_head=8).train()
    u = models.UNet(16, 3, base=8, depth=2).train()
    u.outc.eval()
    bn = next(x for x in u.modules() if isinstance(x, torch.nn.BatchNorm2d))
    stats = bn.running_mean.clone(), bn.num_batches_tracked.clone()
    state = torch.random.get_rng_state()
    diagram.trace(m, 16)
    diagram.trace(u, 16)
    assert torch.equal(torch.random.get_rng_state(), state)        # the attention U-Net's noise drew nothing
    assert m.training and u.training and not u.outc.training         # every module's own mode back
    assert torch.equal(bn.running_mean, stats[0]) and torch.equal(bn.num_batches_tracked, stats[1])


def test_diagrams_fit_the_page_with_readable_text():
    for cfg in (ModelConfig.of("unet", 64, base=64, depth=4, hidden_mlp=(500, 100, 500)),
                ModelConfig.of("attn_unet", 32, base=8, depth=3, heads=1, dim_head=8)):
        fig = diagram.model_diagram(cfg)
        assert fig.get_size_inches()[0] <= figures.PAGE_WIDTH_IN
        assert min(t.get_fontsize() for t in fig.axes[0].texts) >= 7.5
        plt.close(fig)


def test_a_model_without_a_reader_is_refused():
    with pytest.raises(TypeError, match="no diagram reader for MLPAutoencoder"):
        diagram.trace(models.MLPAutoencoder(8, 3, (16,)), 8)
    with pytest.raises(ValueError, match="image_size"):
        diagram.model_diagram(models.UNet(16, 3, base=8, depth=2))
