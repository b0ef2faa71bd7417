"""The book itself: every chapter executes at the smoke profile under papermill, the claims
reach the ledger and the first page, a second run executes nothing, and the site builds with
warnings as errors. Runs on a copy of book/ so the user's executed notebooks are untouched."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aelib import claims, execute, ledger, page, verdict

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke_book(tmp_path_factory):
    """A copy of the book executed once at the smoke profile, shared by the tests below."""
    root = tmp_path_factory.mktemp("book")
    home = root / "home"
    book = root / "book"
    shutil.copytree(REPO / "book", book, symlinks=False,
                    ignore=shutil.ignore_patterns("_build", "*.ipynb", "_generated", ".ipynb_checkpoints"))
    shutil.copy(REPO / "DATA.md", root / "DATA.md")  # book/data.md includes ../DATA.md
    env = {"AELIB_HOME": str(home), "AELIB_PROFILE": "smoke", "AELIB_PROGRESS": "0"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        timings = execute.execute("smoke", book, progress=False, timeout=600)
        execute.write_generated("smoke", book)
        yield book, home, timings
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def expected_claims(chapter: str) -> list[str]:
    """The claims a chapter must record: those the claim registry places in it."""
    return [c.id for c in claims.for_chapter(chapter)]


def test_every_chapter_executes_at_smoke(smoke_book):
    book, _, timings = smoke_book
    chapters = [p.stem for p in execute.chapter_sources(book)]
    assert chapters[:2] == ["01_identity", "02_denoising"]
    orphans = [c for c in chapters if not expected_claims(c)]
    assert not orphans, f"register the claims of {orphans} in aelib/claims.py (its chapter field)"
    unplaced = {c.chapter for c in claims.REGISTRY.values()} - set(chapters)
    assert not unplaced, f"claims registered for chapters not in the book: {unplaced}"
    for c in chapters:
        nb = json.loads((book / f"{c}.ipynb").read_text())
        assert nb["metadata"]["aelib"]["profile"] == "smoke"
        errors = [o for cell in nb["cells"] for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors
        assert timings[c]["last_run"] == "executed"


def test_claims_reach_the_ledger_with_seeds_gates_controls_and_verdicts(smoke_book, monkeypatch):
    monkeypatch.setenv("AELIB_HOME", str(smoke_book[1]))
    recs = {r["id"]: r for r in ledger.load("smoke")}
    chapters = [p.stem for p in execute.chapter_sources(smoke_book[0])]
    for cid in (c for ch in chapters for c in expected_claims(ch)):
        assert cid in recs, f"{cid} not recorded"
        r = recs[cid]
        assert r["threshold"] == claims.get(cid).threshold  # the registry's, not the chapter's
        assert [s["seed"] for s in r["seeds"]] == [0, 1], cid  # every seed of the smoke profile
        assert r["verdict"] in verdict.VERDICTS and r["control"] and r["control"]["what"], cid
        assert all({"name", "value", "passed"} <= set(g) for g in r["gates"]), cid
        # two seeds cannot decide anything: smoke verdicts are inconclusive, with the reason
        assert r["verdict"] == verdict.INCONCLUSIVE and r["reason"], cid
    md = (smoke_book[0] / "_generated" / "claims.md").read_text()
    assert 'href="02_denoising.html#claim-c5">C5</a>' in md and "mean nothing" in md
    data = json.loads((smoke_book[0] / "_generated" / "claims.json").read_text())
    assert data["identity"]["profile"]["seeds"] == [0, 1] and len(data["claims"]) == len(recs)


def test_pages_show_prose_tables_and_captioned_figures_only(smoke_book):
    """No printed text, echoed values, uncaptioned or unplaced figures, or open bookkeeping code
    on any chapter's page (aelib.page.problems on the executed, tagged notebook)."""
    book = smoke_book[0]
    found = {s.stem: page.problems(json.loads((book / f"{s.stem}.ipynb").read_text()))
             for s in execute.chapter_sources(book)}
    assert not any(found.values()), {k: v for k, v in found.items() if v}


def test_same_seeds_give_the_same_records(smoke_book, tmp_path, monkeypatch):
    """A second, fresh run of chapters 01 and 03 (own cache and ledger) agrees on every value."""
    book, home, _ = smoke_book
    first = {r["id"]: r for r in ledger.read_file(home / "ledger" / "smoke" / "01_identity.json")["records"]
             + ledger.read_file(home / "ledger" / "smoke" / "03_noninvertibility.json")["records"]}
    other = tmp_path / "home2"
    monkeypatch.setenv("AELIB_HOME", str(other))
    book2 = tmp_path / "book2"
    shutil.copytree(book, book2, ignore=shutil.ignore_patterns("_build", "*.ipynb", "_generated", "sc"))
    execute.execute("smoke", book2, only=["01", "03"], progress=False)
    second = {r["id"]: r for r in ledger.load("smoke")}
    for cid, r in first.items():
        assert second[cid]["verdict"] == r["verdict"], cid
        assert [s["value"] for s in second[cid]["seeds"]] == [s["value"] for s in r["seeds"]], cid


def test_warm_run_executes_nothing(smoke_book, monkeypatch):
    book, home, _ = smoke_book
    monkeypatch.setenv("AELIB_HOME", str(home))
    assert execute.stale(book, "smoke") == []
    assert execute.stale(book, "cpu") != []  # another profile is another result
    timings = execute.execute("smoke", book, progress=False)
    assert all(t["last_run"] == "cached" for t in timings.values())


def test_site_builds_with_warnings_as_errors(smoke_book):
    book, home, _ = smoke_book
    env = dict(os.environ, AELIB_HOME=str(home), AELIB_PROFILE="smoke")
    exe = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(exe), "build", str(book), "-W", "-n", "--keep-going"], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    html = book / "_build" / "html"
    intro = (html / "intro.html").read_text()
    assert "C1" in intro and "inconclusive" in intro and "X6" in intro and "not yet measured" not in intro
    assert 'href="01_identity.html#claim-c1"' in intro  # each claim links to its own section
    for chapter, images in (("02_denoising", 5), ("08_memorization", 6), ("09_diffusion_baseline", 3)):
        body = (html / f"{chapter}.html").read_text()
        assert body.count("<img") >= images and "Traceback" not in body, chapter
    for chapter in execute.chapter_sources(book):  # every picture is in a numbered, captioned figure
        text = (html / f"{chapter.stem}.html").read_text()
        outside = re.sub(r"<figure\b.*?</figure>", "", text, flags=re.S)
        assert "<img" not in outside, f"{chapter.stem}: an image outside a captioned figure"
        assert text.count("<figcaption") == len(re.findall(r"<figure\b", text)), chapter.stem
    assert (html / "_static" / "mathjax" / "tex-chtml.js").exists()  # maths readable offline
    checker = REPO.parent / "shared" / "tools" / "site_check.py"
    if checker.exists():
        res = subprocess.run([sys.executable, str(checker), str(html), str(book / "sc"), "--no-shots"],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stdout[-3000:]


def test_unknown_profile_fails_before_executing(tmp_path):
    with pytest.raises(Exception, match="unknown profile"):
        execute.execute("laptop", tmp_path)
    assert execute.main(["execute", "--profile", "laptop", "--book", str(tmp_path)]) == 2


def test_paper_profile_without_data_fails_before_executing(tmp_path, monkeypatch):
    monkeypatch.delenv("AELIB_DATA", raising=False)
    monkeypatch.delenv("AELIB_OVERRIDES", raising=False)
    with pytest.raises(ValueError, match="set AELIB_DATA"):
        execute.execute("paper", tmp_path)
