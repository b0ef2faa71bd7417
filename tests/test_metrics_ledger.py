import json

import pytest
import torch

from aelib import corruption, ledger, metrics


def test_ratios_of_the_identity_and_of_a_perfect_denoiser():
    a = torch.rand(16, 3, 16, 16)
    ident = metrics.ratios(lambda x: x, a, 0.5, torch.Generator().manual_seed(0))
    assert ident["g"] == pytest.approx(0, abs=1e-6) and ident["k"] == pytest.approx(1) and ident["r"] == pytest.approx(1)
    assert ident["recon"] == pytest.approx(0, abs=1e-6)
    oracle = metrics.ratios(lambda x: a, a, 0.5, torch.Generator().manual_seed(0))  # always the clean batch
    assert oracle["r"] == pytest.approx(0, abs=1e-6) and oracle["g"] == pytest.approx(1) and oracle["k"] == 0


def test_psnr_and_representation_error():
    a = torch.full((2, 3, 4, 4), 0.5)
    assert metrics.psnr(a, a + 0.1) == pytest.approx(20.0, abs=1e-3)
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


def test_thresholds_and_verdicts():
    assert ledger.evaluate(0.5, "< 1") and not ledger.evaluate(1.0, "< 1") and ledger.evaluate(1.0, "<= 1")
    assert ledger.evaluate(3, ">= 2") and not ledger.evaluate(float("nan"), "< 1")
    with pytest.raises(ledger.LedgerError, match="threshold"):
        ledger.evaluate(1, "about 1")


def test_ledger_records_render_and_reset(aelib_home):
    ch = ledger.ChapterLedger("99_test", "smoke")
    ch.record("C2", 0.8, "< 1", figure="fig_a", measure="r")
    ch.record("C3", 1.2, ">= 2")
    recs = json.loads((aelib_home / "ledger" / "smoke" / "99_test.json").read_text())
    assert [(r["id"], r["verdict"]) for r in recs] == [("C2", True), ("C3", False)]
    md = ledger.render_markdown("smoke")
    assert "[C2](99_test.ipynb)" in md and "**holds**" in md and "**does not hold**" in md and "not yet measured" in md
    ledger.ChapterLedger("99_test", "smoke")  # a new run of the chapter starts from an empty file
    assert ledger.load("smoke") == []
    with pytest.raises(ledger.LedgerError, match="unknown claim"):
        ch.record("C99", 1, "< 1")


def test_extension_findings_have_no_verdict(aelib_home):
    ch = ledger.ChapterLedger("99_test", "smoke")
    ch.record("X3", 0.7, None, measure="min g over the map")
    ch.record("X2", None, None, measure="transition not reached")
    with pytest.raises(ledger.LedgerError, match="needs a threshold"):
        ch.record("C1", 0.9, None)
    with pytest.raises(ledger.LedgerError, match="cannot carry a verdict"):
        ch.record("X4", 0.9, None, verdict=True)
    recs = {r["id"]: r for r in ledger.load("smoke")}
    assert recs["X3"]["verdict"] is None and recs["X3"]["threshold"] == "" and recs["X2"]["value"] is None
    md = ledger.render_markdown("smoke")
    assert "| finding |" in md and "none stated" in md and "2 recorded as findings" in md
