"""The training-length axis (issue 17): lengths the cache holds, the threshold test at each, and the
sentence that follows the numbers."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from aelib import claims, lengths, profiles  # noqa: E402
from aelib.reference import Reference  # noqa: E402


def test_steps_along_the_rule_and_the_longer_runs():
    assert lengths.steps_along(1500) == [375, 750, 1500]
    assert lengths.steps_along(1500, (1, 2)) == [375, 750, 1500, 3000]


def test_clears_needs_every_test():
    assert lengths.clears("C2", {"value": 0.9, "r_noise": 0.8}) is True
    assert lengths.clears("C2", {"value": 0.9, "r_noise": 1.2}) is False
    assert lengths.clears("C2", {"value": 0.9}) is None


def _crossing(s, k):
    """C6's SW ratio falling with training, seed 1 always a little higher: crosses 0.5 between lengths."""
    return {375: 0.8, 750: 0.6, 1500: 0.45, 3000: 0.4}[k] + 0.1 * s


def test_a_test_that_changes_along_the_axis_says_where():
    df = lengths.measure("C6", [0, 1, 2], [375, 750, 1500, 3000], _crossing)
    table = lengths.per_length(df, "C6", 1e9)
    assert list(table["test clears on"]) == [lengths.NONE, lengths.NONE, lengths.SOME, lengths.SOME]
    assert table.loc[1500, "seeds clearing"] == "1 of 3"
    assert table.loc[3000, "training FLOPs"] == pytest.approx(3e12)
    text = lengths.sentence("C6", table, 1500)
    assert "changes along the axis" in text and "no seed at 375 steps, then on some seeds at 1,500 steps" in text
    assert "at the build's cap of 1,500 steps: some seeds" in text


def test_a_steady_test_says_so():
    df = lengths.measure("C6", [0, 1, 2], [375, 750, 1500], lambda s, k: 0.9)
    text = lengths.sentence("C6", lengths.per_length(df, "C6", 1e9), 1500)
    assert "clears on no seed at any length" in text


def _ref(steps=6000, stale=False, base=None) -> Reference:
    prof = profiles.get("long").as_dict()
    if base:
        prof["unet"]["base"] = base
    prov = {"profile": prof, "claims": {c: claims.digest(c) for c in claims.REGISTRY}, "finished": "2026-11-30"}
    if stale:
        prov["claims"]["C6"] = "old"
    rec = {"id": "C6", "verdict": "holds", "seeds": [{"value": 0.3}, {"value": 0.35}, {"value": 0.32}]}
    return Reference("long", None, prov, {"C6": rec})


def test_reference_point_only_from_a_current_comparable_reference():
    cpu = profiles.get("cpu")
    p = lengths.reference_point("C6", [_ref()], "train.steps", cpu)
    assert p.steps == 6000 and p.verdict == "holds" and len(p.values) == 3
    assert lengths.reference_point("C6", [_ref(stale=True)], "train.steps", cpu) is None
    assert lengths.reference_point("C6", [_ref(base=32)], "train.steps", cpu) is None
    df = lengths.measure("C6", [0, 1, 2], [375, 750, 1500], _crossing)
    text = lengths.sentence("C6", lengths.per_length(df, "C6", 1e9), 1500, p)
    assert text.endswith("At the long reference (6,000 steps) the median is 0.32 and the verdict holds.")
    fig, ax = plt.subplots()
    lengths.plot(ax, df, "C6", 1e9, 1500, p)
    assert "long reference (holds)" in [h.get_label() for h in ax.get_lines()]
    plt.close(fig)


def test_figure_has_a_panel_and_a_sentence_per_claim():
    df = lengths.measure("C6", [0, 1, 2], [375, 750, 1500], _crossing)
    panels = {"C6": lengths.Panel(df, 1e9, 1500, "train.steps"),
              "C1": lengths.Panel(lengths.measure("C1", [0, 1, 2], [375, 750, 1500], lambda s, k: 0.9), 1e8, 1500,
                                  "fc.steps")}
    fig, said = lengths.figure(panels, profiles.get("cpu"), [_ref()])
    assert [ax.get_title() for ax in fig.axes] == ["C6: SW ratio < 0.5", "C1: min_alpha g >= 0.5"]
    assert said["C6"].endswith("the verdict holds.") and "clears on every seed at every length" in said["C1"]
    plt.close(fig)
