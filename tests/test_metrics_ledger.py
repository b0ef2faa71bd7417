import pytest
import torch

from aelib import corruption, metrics


def test_ratios_of_the_identity_and_of_a_perfect_denoiser():
    a = torch.rand(16, 3, 16, 16)
    ident = metrics.ratios(lambda x: x, a, 0.5, torch.Generator().manual_seed(0))
    assert ident["g"] == pytest.approx(0, abs=1e-6) and ident["k"] == pytest.approx(1)
    assert ident["r"] == pytest.approx(1)
    assert ident["recon"] == pytest.approx(0, abs=1e-6)
    oracle = metrics.ratios(lambda x: a, a, 0.5, torch.Generator().manual_seed(0))  # always the clean batch
    assert oracle["r"] == pytest.approx(0, abs=1e-6) and oracle["g"] == pytest.approx(1) and oracle["k"] == 0


def test_representation_error():
    a = torch.full((2, 3, 4, 4), 0.5)
    assert metrics.representation_error(a, a) == 0
    assert metrics.representation_error(2 * a, a) == pytest.approx(1.0)


def test_sliced_wasserstein_separates_images_from_noise():
    g = torch.Generator().manual_seed(0)
    low = torch.rand(64, 3, 4, 4, generator=g)
    imgs = torch.nn.functional.interpolate(low, size=(16, 16), mode="bilinear", align_corners=False)
    cfg = metrics.SWConfig(levels=2, n_patches=512, n_projections=64)
    same = metrics.sw_distance(imgs[:32], imgs[32:], cfg)
    noise = metrics.sw_distance(corruption.noise_like(imgs[:32], generator=g), imgs[32:], cfg)
    assert noise > 3 * same
    assert metrics.sw_distance(imgs, imgs, cfg) < noise / 3  # patch sampling noise only


def test_the_ledger_does_not_import_torch():
    """The first page's tables are written without loading torch (the ledger finds its home in aelib.paths)."""
    import subprocess
    import sys
    from pathlib import Path

    code = "import sys, aelib.ledger; sys.exit('torch' in sys.modules)"
    repo = Path(__file__).resolve().parent.parent
    assert subprocess.run([sys.executable, "-c", code], cwd=repo, env={"PYTHONPATH": str(repo)}).returncode == 0


def test_ratio_inputs_are_the_inputs_the_ratio_table_scores():
    """A model that restores exactly the batch ratio_inputs shows (and copies anything else) has
    r = 0 in ratio_table at that alpha and seed, and r = 1 for another seed's draws."""
    a = torch.rand(6, 3, 8, 8)
    for alpha in (0.3, 0.1):
        shown = metrics.ratio_inputs(a, alpha, seed=3)
        assert not torch.equal(shown, metrics.ratio_inputs(a, alpha, seed=4))
        O = lambda x, shown=shown: a.clone() if torch.equal(x, shown) else x  # noqa: E731
        t = metrics.ratio_table(O, a, (alpha,), seed=3)
        assert t.loc[alpha, "r"] == 0 and t.loc[alpha, "r_control"] == pytest.approx(1)
        assert metrics.ratio_table(O, a, (alpha,), seed=4).loc[alpha, "r"] == pytest.approx(1)


def test_denoise_ratios_are_the_ratio_tables_r_and_feed_the_model_in_batches():
    from aelib.models import ModelConfig, build

    torch.manual_seed(0)
    model = build(ModelConfig.of("unet", image_size=8, base=4, depth=1)).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    a = torch.rand(10, 3, 8, 8)
    alphas = (0.5, 0.3)
    r = metrics.denoise_ratios(model, a, alphas, seed=2)
    t = metrics.ratio_table(model, a, alphas, seed=2)
    assert r == pytest.approx({x: t.loc[x, "r"] for x in alphas}, abs=1e-6)
    # in chunks of 4: each chunk's batch statistics, the median over all ten images
    rb = metrics.denoise_ratios(model, a, alphas, seed=2, batch=4)
    a_hat = metrics.ratio_inputs(a, 0.3, seed=2)
    with torch.no_grad():
        o = torch.cat([model(a_hat[:4]), model(a_hat[4:8]), model(a_hat[8:])])
    by_hand = ((o - a).flatten(1).norm(dim=1) / (a_hat - a).flatten(1).norm(dim=1)).median()
    assert rb[0.3] == pytest.approx(float(by_hand), abs=1e-6) and rb[0.3] != pytest.approx(r[0.3], abs=1e-6)
    model.load_state_dict(before)  # the hand computation above moved the running statistics
    metrics.denoise_ratios(model, a, alphas, seed=2, batch=4)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()) and model.training
