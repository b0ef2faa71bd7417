"""One call per claim (Chapter.claim) and the texts, numbers and tables written from a verdict record."""

import math

import pytest

import aelib.chapter
from aelib import claims, report, verdict

C98 = claims.Claim("C98", "99_test", "a test claim", "a ratio", (claims.Test("value", "<", 1.0, "r"),),
                   "the identity map", ("model works",))
C99 = claims.Claim("C99", "99_test", "a two-condition claim", "two numbers",
                   (claims.Test("value", "<", 1.0), claims.Test("r_noise", "<", 1.0)), "the identity map", ())


@pytest.fixture(autouse=True)
def test_claims(monkeypatch):
    monkeypatch.setitem(claims.REGISTRY, "C98", C98)
    monkeypatch.setitem(claims.REGISTRY, "C99", C99)


def _measure(values, control=1.0, gate_value=0.5, details=None):
    m = verdict.Measurement("C98")
    for s, v in enumerate(values):
        m.add(s, v, control=control, gates=[verdict.check("model works", "m", gate_value)],
              details=(details or {}).get(s))
    return m


@pytest.fixture
def chapter(monkeypatch):
    ch = aelib.chapter.start("99_test", "smoke")
    glued = {}
    monkeypatch.setattr(ch, "glue", lambda key, value, display=False: glued.setdefault(key, value))
    return ch, glued


def test_claim_concludes_and_glues_the_standard_keys(chapter):
    ch, glued = chapter
    rec = ch.claim(_measure([0.8, 0.9, 0.95]), figure="fig")
    assert rec is ch.ledger.records["C98"] and rec["verdict"] == verdict.HOLDS and rec["figure"] == "fig"
    assert glued == {"c98_verdict": verdict.HOLDS, "c98_reason": "every seed clears the test and the control does not",
                     "c98_value": 0.9, "c98_range": "0.80 to 0.95", "c98_ctrl": 1.0, "c98_limit": 1.0}


def test_claim_record_is_the_one_conclude_writes(chapter):
    ch, _ = chapter
    a = ch.claim(_measure([0.8, 1.2, 0.95]))
    b = verdict.decide(_measure([0.8, 1.2, 0.95]))
    assert {k: a[k] for k in b} == b


def test_claim_without_control_glues_nan_and_the_reason(chapter):
    ch, glued = chapter
    rec = ch.claim(_measure([0.8, 0.9, 0.95], control=None))
    assert rec["verdict"] == verdict.INCONCLUSIVE
    assert math.isnan(glued["c98_ctrl"]) and glued["c98_reason"] == rec["reason"] != ""


def test_glue_median(chapter):
    ch, glued = chapter
    assert ch.glue_median("k", [3, 1, 2.5]) == 2.5 and glued["k"] == 2.5


def test_reason_names_the_conditions_of_a_claim_that_holds():
    m = verdict.Measurement("C99")
    for s in range(3):
        m.add(s, {"value": 0.5, "r_noise": 0.6}, control={"value": 1.0, "r_noise": 1.0})
    rec = verdict.decide(m)
    assert rec["verdict"] == verdict.HOLDS
    assert report.reason(rec) == "every seed clears both conditions and the control does not"


def test_texts_of_a_record():
    rec = verdict.decide(_measure([0.8, 1.2, 0.95]))
    assert rec["verdict"] == verdict.INCONCLUSIVE
    assert report.verdict_verb(rec) == "is inconclusive"
    assert report.reason(rec) == rec["reason"]
    held = verdict.decide(_measure([0.8, 0.9, 0.95]))
    assert report.verdict_verb(held) == "holds"
    assert report.failed_gate(held) is None
    failed = verdict.decide(_measure([0.8, 0.9, 0.95], gate_value=2.0))
    assert report.failed_gate(failed)["name"] == "model works"


def test_numbers_of_a_record():
    rec = verdict.decide(_measure([0.8, 1.2, 0.95], details={0: {"a": 3.0}, 1: {"a": 1.0}, 2: {"a": 2.0}}))
    assert report.seed_values(rec, "a") == [3.0, 1.0, 2.0]
    assert report.seed_median(rec, "a") == 2.0
    assert report.seed_median(rec, "value", "quantities") == rec["median"] == 0.95
    assert report.control_value(rec) == 1.0
    assert report.fmt(None) == "not measured" and report.fmt(0.123, ".1f") == "0.1"
    assert report.span([None, 0.5, 0.25]) == "0.25 to 0.50" and report.span([None]) == "not measured"
    assert report.median([3, 1]) == 2.0


def test_tables():
    html = report.show([{"seed": 0, "x": 0.12345}, {"seed": 1, "x": 0.5}], "seed").to_html()
    assert ">seed<" in html and "0.123" in html and "0.12345" not in html and "0.500" in html
    s = report.per_seed({0: {"x": 1.0, "y": 2.0}, 1: {"x": 3.0, "y": 4.0}})
    assert s.index.name == "seed" and list(s.index) == [0, 1] and s.loc[1, "y"] == 4.0
    g = report.gate_table(verdict.decide(_measure([0.8, 0.9, 0.95], gate_value=2.0)))
    assert list(g.columns) == ["gate", "subject", "needs", "worst over seeds", "passed"]
    assert g.loc[0, "gate"] == "model works" and not g.loc[0, "passed"]


def test_claims_table_shows_the_chapters_claims(chapter):
    ch, _ = chapter
    html = ch.claims_table().to_html()
    assert "C98" in html and "C99" in html and 'class="reading-table"' in html
    assert [r["claim"] for r in claims.thresholds_rows("99_test")] == ["C98", "C99"]


def test_a_failed_gate_names_the_model_as_a_reader_would():
    m = verdict.Measurement("C98")
    for s, v in enumerate([0.8, 0.9, 0.95]):
        m.add(s, v, control=1.0, gates=[verdict.check("model works", "unet_skips (seed 0)", 2.0)])
    reason = verdict.decide(m)["reason"]
    assert "failed for skip U-Net (seed 0)" in reason and "unet_skips" not in reason
    from aelib.names import readable
    assert readable("unet, 3000 steps; fc_w384 and fc") == \
        "no-skip U-Net, 3000 steps; FC autoencoder of width 384 and FC autoencoder"
    assert readable("unetx and my_fc stay") == "unetx and my_fc stay"  # whole identifiers only


def test_median_seed_is_the_seed_whose_value_is_the_median():
    rec = {"id": "C99", "seeds": [{"seed": 0, "value": 0.87}, {"seed": 1, "value": 0.95},
                                  {"seed": 2, "value": 0.74}, {"seed": 3, "value": None}]}
    assert report.median_seed(rec)["seed"] == 0          # 0.74 < 0.87 < 0.95; the unmeasured seed is left out
    rec["seeds"] = rec["seeds"][:2]
    assert report.median_seed(rec)["seed"] == 0          # two seeds: the lower middle
    with pytest.raises(ValueError):
        report.median_seed({"id": "C99", "seeds": [{"seed": 0, "value": None}]})
