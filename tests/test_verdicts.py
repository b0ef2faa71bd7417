"""Three-valued verdicts, validity gates that trip on cases built to trip them, the registry as the
only home of thresholds, and the ledger / first page that render them."""

import json
import re
from pathlib import Path

import pytest
import torch

from aelib import cache, claims, gates, ledger, metrics, representation, verdict
from aelib.data import ImageSet
from aelib.models import ModelConfig, build
from aelib.training import TrainConfig

REPO = Path(__file__).resolve().parent.parent
OK = [verdict.check("model works", "m", 0.5)]

# Test claims of our own (the real ones change with the chapters): C98 one condition, C99 three.
C98 = claims.Claim("C98", "99_test", "a test claim", "a ratio", (claims.Test("value", "<", 1.0, "r"),),
                   "the identity map", ("model works",))
C99 = claims.Claim("C99", "99_test", "a three-condition claim", "three numbers",
                   (claims.Test("value", ">=", 2.0), claims.Test("recon_ratio", "<=", 1.5), claims.Test("r", "<", 1.0)),
                   "the model against itself", ())


@pytest.fixture(autouse=True)
def test_claims(monkeypatch):
    monkeypatch.setitem(claims.REGISTRY, "C98", C98)
    monkeypatch.setitem(claims.REGISTRY, "C99", C99)


def _measure(cid, values, control, gate_checks=OK):
    m = verdict.Measurement(cid)
    for s, v in enumerate(values):
        m.add(s, v, control=control, gates=[verdict.GateCheck(g.gate, g.subject, g.value) for g in gate_checks])
    return verdict.decide(m)


# --- the rule -------------------------------------------------------------------------------------

def test_every_seed_clears_holds_none_fails_mixed_is_inconclusive():
    assert _measure("C98", [0.8, 0.9, 0.95], 1.0)["verdict"] == verdict.HOLDS
    rec = _measure("C98", [1.1, 1.2, 1.05], 1.0)
    assert rec["verdict"] == verdict.FAILS and "no seed clears" in rec["reason"]
    rec = _measure("C98", [0.8, 1.1, 0.95], 1.0)
    assert rec["verdict"] == verdict.INCONCLUSIVE and "2 of 3" in rec["reason"]
    assert rec["median"] == pytest.approx(0.95) and rec["range"] == [0.8, 1.1]
    assert [s["value"] for s in rec["seeds"]] == [0.8, 1.1, 0.95]


def test_fewer_seeds_than_the_minimum_cannot_decide():
    rec = _measure("C98", [0.5, 0.6], 1.0)
    assert rec["verdict"] == verdict.INCONCLUSIVE and f"at least {claims.MIN_SEEDS}" in rec["reason"]


def test_a_failed_gate_makes_a_clear_result_inconclusive():
    rec = _measure("C98", [0.5, 0.6, 0.7], 1.0, [verdict.check("model works", "fc", 1.3)])
    assert rec["verdict"] == verdict.INCONCLUSIVE and "model works" in rec["reason"]
    assert "FC autoencoder" in rec["reason"]
    g = rec["gates"][0]
    assert g["name"] == "model works" and g["value"] == pytest.approx(1.3) and g["passed"] is False


def test_a_registered_gate_that_was_not_measured_cannot_be_skipped():
    rec = _measure("C98", [0.5, 0.6, 0.7], 1.0, [])
    assert rec["verdict"] == verdict.INCONCLUSIVE
    assert "'model works'" in rec["reason"] and "not measured" in rec["reason"]


def test_a_control_that_clears_too_cannot_discriminate():
    rec = _measure("C98", [0.5, 0.6, 0.7], 0.9)  # the control also has r < 1
    assert rec["verdict"] == verdict.INCONCLUSIVE and "cannot discriminate" in rec["reason"]
    assert rec["control"]["value"] == pytest.approx(0.9) and rec["control"]["discriminates"] is False
    rec = _measure("C98", [0.5, 0.6, 0.7], None)
    assert rec["verdict"] == verdict.INCONCLUSIVE and "control" in rec["reason"]


def test_a_missing_value_leaves_the_seed_undecided():
    rec = _measure("C98", [0.5, float("nan"), 0.7], 1.0)
    assert rec["verdict"] == verdict.INCONCLUSIVE and "not measured" in rec["reason"]


def test_multi_condition_claims_need_every_quantity():
    good = {"value": 3.0, "recon_ratio": 1.0, "r": 0.5}
    ctrl = {"value": 1.0, "recon_ratio": 1.0, "r": 0.5}
    assert _measure("C99", [good] * 3, ctrl)["verdict"] == verdict.HOLDS
    assert _measure("C99", [good | {"r": 1.2}] * 3, ctrl)["verdict"] == verdict.FAILS
    with pytest.raises(claims.RegistryError, match="lacks"):
        verdict.Measurement("C99").add(0, {"value": 3.0})
    with pytest.raises(claims.RegistryError, match="unknown gate"):
        verdict.check("model is nice", "m", 0.1)
    with pytest.raises(claims.RegistryError, match="twice"):
        verdict.Measurement("C98").add(0, 0.5).add(0, 0.6)


def test_between_threshold():
    t = claims.Test("value", "between", (0.5, 2.0))
    assert t.passes(1.0) and not t.passes(3.0) and t.passes(None) is None
    assert t.text() == "0.5 <= value <= 2"


# --- gates that trip on cases built to trip them -------------------------------------------------

def _tiny(tiny_images):
    return ImageSet(tiny_images[:24], tiny_images[24:], source="tiny", fingerprint="tiny-v1")


def test_model_works_gate_trips_on_an_untrained_model_and_passes_a_trained_one(tiny_images):
    data = _tiny(tiny_images)
    cfg = ModelConfig.of("unet", image_size=16, base=8, depth=2)
    a = data.to_float(data.heldout)
    torch.manual_seed(0)
    untrained = build(cfg).train()
    assert not gates.model_works("untrained", untrained, a, data.train).passed
    run = cache.trained("m", cfg, data, TrainConfig(steps=300, batch_size=8, lr=3e-3))
    check = gates.model_works("trained", run.model, a, data.train)
    assert check.passed, check.value
    assert gates.model_works("mean image", lambda x: data.to_float(data.train).mean(0, keepdim=True).expand_as(x),
                             a, data.train).value == pytest.approx(1.0)


def test_trained_to_rule_separates_a_plateau_from_a_curve_still_falling():
    class Run:
        def __init__(self, steps):
            self.steps, self.model = steps, steps

    still_falling = gates.train_to_rule(Run, lambda s: 1.0 / s, cap=400, subject="falling")
    assert [s for s, _ in still_falling.curve] == [100, 200, 400]
    assert still_falling.reason == "cap" and not still_falling.gate().passed
    assert still_falling.improvement == pytest.approx(0.5)
    flat = gates.train_to_rule(Run, lambda s: 1.0 + 1.0 / s, cap=400, subject="flat")
    assert flat.reason == "plateau" and flat.gate().passed and flat.steps == 400


def test_descent_gates_trip_on_a_descent_that_never_moves():
    a = torch.rand(4, 3, 8, 8)
    cfg = representation.RepresentationConfig(steps=0)
    a_g, losses = representation.represent(lambda x: x, a, cfg)
    e0 = metrics.representation_error(representation.start_for(a, cfg), a)
    moved, conv = gates.descent("frozen", metrics.representation_error(a_g, a), e0, losses)
    assert not moved.passed and moved.value == pytest.approx(0.0)
    assert not conv.passed  # no loss curve: convergence not shown
    cfg = representation.RepresentationConfig(steps=300, lr=0.5, loss_scale=0.01)
    a_g, losses = representation.represent(lambda x: x, a, cfg, record_every=1)
    moved, conv = gates.descent("identity", metrics.representation_error(a_g, a), e0, losses)
    assert moved.passed and conv.passed, (moved.value, conv.value)


def test_affine_representation_error_ignores_offset_and_gain_only():
    a = torch.rand(4, 3, 8, 8)
    assert metrics.representation_error_affine(0.3 * a + 0.4, a) == pytest.approx(0, abs=1e-5)
    assert metrics.representation_error(0.3 * a + 0.4, a) > 0.2
    noise = torch.rand(4, 3, 8, 8)
    assert metrics.representation_error_affine(noise, a) > 0.2


# --- one registry --------------------------------------------------------------------------------

THRESHOLD_LITERAL = re.compile(r"""(["'])\s*(<=|>=|<|>)\s*-?[0-9][0-9.eE+-]*\s*\1""")


def test_thresholds_live_only_in_the_registry():
    offenders = []
    for src in sorted((REPO / "book").glob("[0-9][0-9]_*.py")):
        text = src.read_text()
        for i, line in enumerate(text.splitlines(), 1):
            if re.search(r"\b[A-Z0-9_]*THRESHOLD\s*=", line) or THRESHOLD_LITERAL.search(line) or "ch.record(" in line:
                offenders.append(f"{src.name}:{i}: {line.strip()}")
    assert not offenders, "thresholds belong in aelib/claims.py:\n" + "\n".join(offenders)


def test_every_claim_is_complete_and_measured_by_an_existing_chapter():
    chapters = {p.stem for p in (REPO / "book").glob("[0-9][0-9]_*.py")}
    real = [c for c in claims.REGISTRY.values() if c.id not in ("C98", "C99")]
    assert len(real) == 38
    for c in real:
        assert c.chapter in chapters, c.id
        assert c.statement and c.measure and c.tests and c.control, c.id
        assert c.tests[0].quantity == c.headline
        assert all(g in claims.GATES for g in c.gates), c.id
        src = (REPO / "book" / f"{c.chapter}.py").read_text()
        assert f"({c.anchor})=" in src, f"{c.chapter} lacks the label ({c.anchor})= of {c.id}'s section"


def test_changelog_is_dated_and_names_registered_claims():
    for ch in claims.CHANGELOG:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", ch.date) and ch.old and ch.new and ch.why
        assert ch.claim == "all" or all(c.strip() in claims.REGISTRY for c in ch.claim.split(","))
    assert "| date | claim |" in ledger.render_changelog()


# --- ledger and first page -----------------------------------------------------------------------

def test_ledger_keeps_decided_records_and_the_first_page_shows_them(aelib_home, monkeypatch):
    monkeypatch.setitem(claims.REGISTRY, "C97", claims.Claim("C97", "99_test", "another", "a ratio",
                                                             (claims.Test("value", ">=", 2.0),), "a control"))
    led = ledger.ChapterLedger("99_test", "cpu")
    led.add(_measure("C98", [0.8, 0.9, 0.95], 1.0), figure="fig")
    led.add(_measure("C97", [1.1, 2.5, 2.2], 1.0))
    recs = json.loads((aelib_home / "ledger" / "cpu" / "99_test.json").read_text())["records"]
    assert [(r["id"], r["verdict"]) for r in recs] == [("C97", "inconclusive"), ("C98", "holds")] or \
        sorted((r["id"], r["verdict"]) for r in recs) == [("C97", "inconclusive"), ("C98", "holds")]
    c98 = next(r for r in recs if r["id"] == "C98")
    assert c98["anchor"] == "claim-c98" and c98["control"]["what"] == "the identity map"
    md = ledger.render_markdown("cpu")
    assert 'href="99_test.html#claim-c98">C98</a>' in md and 'verdict-holds' in md and 'verdict-inconclusive' in md
    assert "seeds disagree" in md and "not yet measured" in md and "0.900 [0.800, 0.950]" in md
    assert ledger.summary("cpu")["C"]["holds"] == 1
    with pytest.raises(ledger.LedgerError, match="unknown claim"):
        led.add({"id": "C96", "verdict": "holds"})
    with pytest.raises(ledger.LedgerError, match="belongs to chapter"):
        ledger.ChapterLedger("01_identity", "cpu").add(_measure("C98", [0.5, 0.5, 0.5], 1.0))
    with pytest.raises(ledger.LedgerError, match="is not one of"):
        led.add(_measure("C98", [0.5, 0.5, 0.5], 1.0) | {"verdict": True})
    ledger.ChapterLedger("99_test", "cpu")  # a new run of the chapter starts from an empty file
    ledger.ChapterLedger("01_identity", "cpu")
    assert ledger.load("cpu") == []


def test_smoke_page_warns_that_its_numbers_mean_nothing(aelib_home):
    assert "mean nothing" in ledger.render_markdown("smoke")
    assert "mean nothing" not in ledger.render_markdown("cpu")


def test_gate_and_ratio_measurements_leave_batchnorm_running_statistics_alone():
    torch.manual_seed(0)
    model = build(ModelConfig.of("unet", image_size=16, base=4, depth=2)).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    a = torch.rand(8, 3, 16, 16)
    gates.heldout_error(model, a, batch=4)
    gates.model_works("m", model, a, (a * 255).to(torch.uint8))
    metrics.ratio_table(model, a, (0.5,), eval_mode=True)
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before) and model.training


def test_first_page_summary_is_written_from_the_verdicts(aelib_home, monkeypatch):
    monkeypatch.setitem(claims.REGISTRY, "C97", claims.Claim("C97", "99_test", "another", "a ratio",
                                                             (claims.Test("value", ">=", 2.0),), "a control",
                                                             ("model works",)))
    led = ledger.ChapterLedger("99_test", "cpu")
    led.add(_measure("C98", [0.8, 0.9, 0.95], 1.0))
    led.add(_measure("C97", [2.5, 2.5, 2.5], 1.0, [verdict.check("model works", "m", 2.0)]))
    text = ledger.render_summary("cpu")
    assert '**Hold on every seed** (1): <a class="claim-link" href="99_test.html#claim-c98">C98</a>' in text
    assert "another validity gate failed" in text and "C97" in text
    led.add(_measure("C98", [1.8, 1.9, 1.95], 1.0))  # a different result changes the sentence
    assert "**Hold on every seed** (0)" in ledger.render_summary("cpu")
