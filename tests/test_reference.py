"""Reference results at other scales (issue 17): saved with provenance, read back, marked stale when the
claim registry changed, compared with this build's records in words, and shown on the first page."""

import json
from pathlib import Path

import pytest
from PIL import Image

from aelib import claims, profiles, reference, verdict

CHAPTERS = sorted(reference.KEY_FIGURES)


def _record(cid: str, v: str, values=(0.4, 0.5, 0.6), reason: str = "") -> dict:
    return {"id": cid, "verdict": v, "median": sorted(values)[len(values) // 2], "range": [min(values), max(values)],
            "seeds": [{"seed": i, "value": x} for i, x in enumerate(values)], "reason": reason}


def _fake_run(home: Path, profile: str = "long", v: str = verdict.HOLDS, skip: str | None = None) -> Path:
    """A finished run's home: one ledger per chapter (every claim with verdict v), one key figure."""
    led = home / "ledger" / profile
    led.mkdir(parents=True)
    for ch in CHAPTERS:
        if ch == skip:
            continue
        recs = [_record(c.id, v) for c in claims.for_chapter(ch)]
        (led / f"{ch}.json").write_text(json.dumps({"key": None, "profile": profile, "chapter": ch, "records": recs}))
    fig = home / "figures" / profile / "02_denoising" / "pure_noise.png"
    fig.parent.mkdir(parents=True)
    Image.new("RGB", (1800, 600), (200, 30, 30)).save(fig)
    return home


def _save(tmp_path, **kw) -> reference.Reference:
    home = _fake_run(tmp_path / "home", **kw)
    dest = reference.save("long", home=home, dest=tmp_path / "refs" / "long", commit="HEAD",
                          started="2026-11-30T11:00Z",
                          finished="2026-11-30T12:30Z", wall_s=5400.0, note="four times the training")
    return reference.read(dest)


def test_save_then_read_keeps_records_provenance_and_a_downscaled_figure(tmp_path):
    ref = _save(tmp_path)
    p = ref.provenance
    assert p["commit"] == "HEAD" and p["wall_s"] == 5400.0 and p["profile"]["train"]["steps"] == 6000
    assert p["profile"]["name"] == "long" and p["torch"] and p["machine"]
    assert set(ref.records) == set(claims.REGISTRY)
    assert ref.label == "long, 2026-11-30"
    with Image.open(ref.figure("02_denoising", "pure_noise")) as im:
        assert im.width == reference.FIGURE_WIDTH
    assert ref.figure("01_identity", "fc_denoising") is None  # not made by the run: not invented


def test_registry_at_head_is_the_current_registry(tmp_path):
    """The fingerprints saved are those of the commit's registry (here HEAD, the code under test)."""
    ref = _save(tmp_path)
    assert not ref.stale and not any(ref.stale_claim(c) for c in claims.REGISTRY)


def test_a_changed_registry_or_claim_is_stale(tmp_path):
    ref = _save(tmp_path)
    ref.provenance["claims"]["C5"] = "another definition"
    assert ref.stale_claim("C5") and not ref.stale_claim("C6")
    ref.provenance["registry"] = "older"
    assert ref.stale
    md = reference.scales_markdown("cpu", [ref])
    assert "(stale)" in md and "Stale" in md


def test_a_partial_run_is_refused_and_nothing_written(tmp_path):
    home = _fake_run(tmp_path / "home", skip="06_batchnorm")
    dest = tmp_path / "refs" / "long"
    with pytest.raises(reference.ReferenceError, match="06_batchnorm"):
        reference.save("long", home=home, dest=dest, commit="HEAD", started="a", finished="b", wall_s=1.0)
    assert not dest.exists()


def test_damaged_files_name_themselves(tmp_path):
    ref = _save(tmp_path)
    (ref.folder / "ledger" / "03_noninvertibility.json").write_text("{not json")
    with pytest.raises(reference.ReferenceError, match="03_noninvertibility"):
        reference.read(ref.folder)
    (ref.folder / "provenance.json").write_text("[]")
    with pytest.raises(reference.ReferenceError, match="provenance"):
        reference.read(ref.folder)


def test_chapter_text_says_which_way_and_why(tmp_path):
    ref = _save(tmp_path)
    here = {c.id: _record(c.id, verdict.HOLDS) for c in claims.for_chapter("02_denoising")}
    here["C5"] = _record("C5", verdict.INCONCLUSIVE, (1.5, 1.6, 1.7), reason="gate 'trained to rule' failed")
    text = reference.chapter_text("02_denoising", here, "cpu", [ref])
    assert text.startswith("C5 is inconclusive at cpu but holds at long")
    assert "gate 'trained to rule' failed" in text and "1.6" in text and "0.5" in text
    assert "C6" in text.split("other claims compared")[1]  # the rest named as agreeing
    same = reference.chapter_text("02_denoising", {c.id: _record(c.id, verdict.HOLDS)
                                                   for c in claims.for_chapter("02_denoising")}, "cpu", [ref])
    assert same.startswith("Every claim of this chapter compared (C4, C5, C6, C7, C8, C28)")
    ref.provenance["claims"]["C5"] = "changed"  # judged by another definition: not compared
    text = reference.chapter_text("02_denoising", here, "cpu", [ref])
    assert not text.startswith("C5")
    assert text.endswith("C5 was judged there by an older definition and is not compared.")


def test_scales_table_has_every_claim_and_a_column_per_scale(tmp_path):
    ref = _save(tmp_path)
    md = reference.scales_markdown("cpu", [ref])
    assert md.count('<tr class="claim-row">') == len(claims.REGISTRY)
    assert "<th>this build (cpu)</th>" in md and "<th>long, 2026-11-30</th>" in md
    assert "90 min wall" in md and "4x the training steps, same data and sizes" in md
    assert "No reference run" in reference.scales_markdown("cpu", [])


def test_figures_pair_this_build_with_the_reference(tmp_path):
    ref = _save(tmp_path)
    build = tmp_path / "build_figs"
    (build / "02_denoising").mkdir(parents=True)
    Image.new("RGB", (300, 100)).save(build / "02_denoising" / "pure_noise.png")
    book = tmp_path / "book"
    md = reference.figures_markdown("cpu", build, book, [ref])
    assert "_generated/scales/this_build/02_denoising/pure_noise.png" in md
    assert "_generated/scales/long/02_denoising/pure_noise.png" in md
    assert (book / "_generated" / "scales" / "long" / "02_denoising" / "pure_noise.png").is_file()
    assert "Chapter 01" not in md  # no pair there: no section


def test_long_differs_from_cpu_only_in_training_budgets():
    cpu, long = profiles.get("cpu").as_dict(), profiles.get("long").as_dict()
    differ = {f"{k}.{f}" for k, sec in cpu.items() if isinstance(sec, dict) for f in sec if sec[f] != long[k][f]}
    assert differ == set(reference.TRAINING_BUDGETS)
    assert profiles.get("long").train.steps == 4 * profiles.get("cpu").train.steps


def test_comparable_only_on_the_same_data_and_sizes(tmp_path):
    ref = _save(tmp_path)
    assert reference.comparable(ref, profiles.get("cpu"))
    assert not reference.comparable(ref, profiles.get("smoke"))
    assert not reference.comparable(ref, profiles.get("cpu", **{"unet.base": 32}))


def test_committed_references_read_with_complete_provenance():
    for ref in reference.load_all():
        assert ref.records and ref.provenance["wall_s"] > 0, ref.name
        assert all(k in ref.provenance for k in ("commit", "profile", "torch", "machine", "started", "finished"))


def test_paper_cost_from_the_measured_throughput(tmp_path):
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps({"machine": {"gpu": "Test GPU"}, "training": [
        {"model": "unet", "params": 31e6, "img/s (book)": 2560.0, "GFLOP/step": 1000.0},
        {"model": "not shared", "params": 1, "img/s (book)": 1.0, "GFLOP/step": 1.0}]}))
    md = reference.paper_cost_markdown(bench)
    p = profiles.get("paper")
    hours = p.train.steps * p.train.batch_size / 2560 / 3600
    assert f"| `unet` | 31.0 M | 2,560 | {p.train.steps:,} | 2.0e+17 | {hours:.1f} |" in md
    assert "not shared" not in md and "one Test GPU" in md
    assert "No paper-size GPU benchmark" in reference.paper_cost_markdown(tmp_path / "missing.json")


def test_a_changed_reference_re_executes_the_chapters(tmp_path, monkeypatch):
    """Chapters quote the references, so their ledgers and provenance enter the run identity; figures do not."""
    from aelib import identity

    monkeypatch.setattr(identity, "REPO", tmp_path)
    ref = tmp_path / "benchmarks" / "reference" / "scales" / "long"
    (ref / "ledger").mkdir(parents=True)
    (ref / "figures").mkdir()
    (ref / "provenance.json").write_text("{}")
    (ref / "ledger" / "02_denoising.json").write_text("{}")
    before = identity.references_fingerprint()
    (ref / "figures" / "a.png").write_bytes(b"png")
    assert identity.references_fingerprint() == before
    (ref / "ledger" / "02_denoising.json").write_text('{"records": []}')
    assert identity.references_fingerprint() != before
    assert "references" in identity.run_identity("smoke")


def test_every_chapter_says_what_its_claims_are_at_other_scales():
    for src in sorted((Path(__file__).resolve().parent.parent / "book").glob("0*.py")):
        text = src.read_text()
        assert "ch.other_scales()" in text and "# ## At other scales" in text and "`other_scales`" in text, src.name


def test_the_first_page_counts_the_verdicts_that_change(tmp_path):
    ref = _save(tmp_path)
    here = {c: _record(c, verdict.HOLDS) for c in claims.REGISTRY}
    n = len(claims.REGISTRY)
    assert reference._changes(here, ref) == f"All {n} claims compared have the same verdict as in this build."
    here["C6"] = _record("C6", verdict.INCONCLUSIVE)
    ref.provenance["claims"]["C1"] = "old"
    assert reference._changes(here, ref) == (f"1 of the {len(claims.REGISTRY) - 1} claims compared change verdict: "
                                             "C6 inconclusive here, holds there.")


def test_a_gate_that_turns_between_scales_is_the_reason_given():
    gate = {"name": "trained to rule", "subject": "unet", "limit": "< 0.1"}
    here = _record("C5", verdict.FAILS, (2.2, 2.3, 2.4)) | {"gates": [gate | {"passed": True, "value": 0.08}]}
    there = _record("C5", verdict.INCONCLUSIVE, (1.5, 1.6, 1.7), reason="gate failed") | {
        "gates": [gate | {"passed": False, "value": 0.2}]}
    why = reference._why(here, there, "at long", "at cpu")
    assert why.startswith("gate 'trained to rule' for the no-skip U-Net passed at cpu (0.080) but failed at long "
                          "(0.200, needs < 0.1): the model was still improving with more training")
    assert "it is open because" not in why and "from 2.300 (at cpu) to 1.600 (at long)" in why
    back = reference._why(there, here, "at cpu", "at long")
    assert "had stopped improving only with the longer training" in back
