"""The site's front: the claims table (links to where each claim is decided, a verdict class per
row), the banner of a build whose numbers mean nothing, the chapter-to-module map parsed from the
chapters' imports, the repository's whereabouts, the build record, and the numbered contents."""

import json
import re
from pathlib import Path

import yaml

from aelib import claims, execute, ledger, site, verdict
from aelib.sphinx_ext import rendered_profile, theme_options

REPO = Path(__file__).resolve().parent.parent


def _write_ledger(home: Path, profile: str, records: dict[str, str]) -> None:
    """Ledger files with one minimal record per claim id (its verdict given), grouped by chapter."""
    by_chapter: dict[str, list] = {}
    for cid, v in records.items():
        by_chapter.setdefault(claims.REGISTRY[cid].chapter, []).append(
            {"id": cid, "verdict": v, "median": 0.42, "range": [0.4, 0.45], "seeds": [{"seed": 0}, {"seed": 1}],
             "reason": "seeds disagree" if v == verdict.INCONCLUSIVE else "", "anchor": claims.REGISTRY[cid].anchor})
    for chapter, recs in by_chapter.items():
        path = home / "ledger" / profile / f"{chapter}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"key": None, "profile": profile, "chapter": chapter, "records": recs}))


def test_each_measured_claim_links_to_where_its_chapter_decides_it(aelib_home):
    measured = {"C1": verdict.HOLDS, "C5": verdict.FAILS, "C15": verdict.INCONCLUSIVE, "X1": verdict.HOLDS}
    _write_ledger(aelib_home, "cpu", measured)
    md = ledger.render_markdown("cpu")
    rows = {re.search(r">([CX]\d+)</a>", r).group(1): r for r in re.findall(r'<tr class="claim-row [^"]*">.*?</tr>',
                                                                           md, re.S)}
    assert set(rows) == set(claims.REGISTRY)  # every claim has a row, measured or not
    for cid, v in measured.items():
        href = f'{claims.REGISTRY[cid].chapter}.html#claim-{cid.lower()}'
        assert re.fullmatch(r"\d\d_\w+\.html#claim-[cx]\d+", href)
        assert f'href="{href}">{cid}</a>' in rows[cid], cid
        assert f"claim-{ledger.VERDICT_CLASS[v]}" in rows[cid].split(">", 1)[0], cid  # the row's colour
        assert f'class="verdict verdict-{ledger.VERDICT_CLASS[v]}"' in rows[cid], cid  # the badge
    assert 'href="05_diffusion.html#claim-c15">C15</a>' in md
    assert "claim-unmeasured" in rows["C2"] and "not yet measured" in rows["C2"]
    assert "Why inconclusive: seeds disagree" in rows["C15"]  # the reason is there, folded under the statement
    # the summary above the tables links the same places
    assert 'href="01_identity.html#claim-c1">C1</a>' in ledger.render_summary("cpu")


def test_the_summary_names_too_few_seeds_as_the_reason(aelib_home):
    _write_ledger(aelib_home, "smoke", {"C1": verdict.INCONCLUSIVE})
    path = aelib_home / "ledger" / "smoke" / "01_identity.json"
    data = json.loads(path.read_text())
    data["records"][0]["reason"] = "only 2 seed(s); a verdict needs at least 3"
    path.write_text(json.dumps(data))
    assert "too few seeds ran for a verdict (1)" in ledger.render_summary("smoke")


def test_a_smoke_build_carries_the_banner_and_cpu_or_paper_do_not(monkeypatch, tmp_path):
    assert "mean nothing" in site.banner("smoke")
    assert site.banner("cpu") is None and site.banner("paper") is None
    (tmp_path / "_config.yml").write_text("title: t\n")
    for profile, shown in (("smoke", True), ("cpu", False), ("paper", False)):
        monkeypatch.setenv("AELIB_PROFILE", profile)
        assert rendered_profile(tmp_path) == profile
        opts = theme_options(tmp_path, {"home_page_in_navbar": True})
        assert ("announcement" in opts) is shown, profile
        assert opts["home_page_in_navbar"] is True  # the book's own options are kept
    monkeypatch.delenv("AELIB_PROFILE")
    assert rendered_profile(tmp_path) == "cpu"  # what sphinx_ext executes when nothing is set


def test_the_code_map_lists_the_modules_a_chapter_imports(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "01_first.py").write_text(
        "# %% [markdown]\n# # A chapter\n\n# %%\nimport numpy as np\nimport aelib.walk\n"
        "from aelib import metrics, claims as C\nfrom aelib.sampler import sample\n"
        "from aelib.config.walk import WalkConfig\n"
        "from aelib import set_seed\nfrom . import nothing\n\n# %%\ndef f():\n    from aelib.nearest import nearest\n")
    (book / "02_second.py").write_text("from aelib import claims, walk\n")
    assert site.chapter_modules(book / "01_first.py") == ["claims", "config.walk", "metrics", "nearest", "sampler",
                                                           "walk", "aelib"]
    md = site.code_map_markdown(execute.chapter_sources(book))
    assert "Every chapter imports `aelib/claims.py`, `aelib/walk.py`" in md
    first = next(line for line in md.splitlines() if "01_first" in line)
    for path in ("aelib/metrics.py", "aelib/sampler.py", "aelib/nearest.py", "aelib/config/walk.py"):
        assert f"`{path}`" in first, path
    assert "numpy" not in first and "aelib/claims.py" not in first  # common modules are named once, above
    linked = site.code_map_markdown(execute.chapter_sources(book), "https://example.org/r", "dev")
    assert "(https://example.org/r/blob/dev/aelib/metrics.py)" in linked


def test_the_code_map_covers_every_chapter_of_the_book():
    md = site.code_map_markdown(execute.chapter_sources(REPO / "book"))
    for src in execute.chapter_sources(REPO / "book"):
        assert f"{{doc}}`{src.stem}`" in md, src.stem


def test_the_repository_link_and_button_follow_config(tmp_path, monkeypatch):
    monkeypatch.setenv("AELIB_PROFILE", "cpu")
    (tmp_path / "_config.yml").write_text("title: t\nrepository:\n  url: ''\n")
    assert site.repository(tmp_path) == ("", "main")
    assert "README.md" in site.repository_markdown(tmp_path) and "built from" in site.repository_markdown(tmp_path)
    assert theme_options(tmp_path, {})["use_repository_button"] is False
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://example.org/book\n  branch: dev\n")
    assert "https://example.org/book" in site.repository_markdown(tmp_path)
    opts = theme_options(tmp_path, {})
    assert opts["use_repository_button"] is True and opts["repository_url"] == "https://example.org/book"


def test_the_build_record_names_date_machine_versions_and_times():
    md = site.build_record_markdown("cpu", {"01_a": {"seconds": 60.0, "at": "2026-01-02T03:04:05"},
                                            "old_chapter": {"seconds": 999}}, ["01_a", "02_b"])
    for word in ("python", "torch", "jupyter-book", "myst-nb", "sphinx", "numpy", "cores", "Page generated"):
        assert word in md, word
    assert "60 s" in md and "1 of 2 chapters recorded" in md and "999" not in md
    assert "| 01_a | 60.0 | 2026-01-02 03:04:05 |" in md


def test_the_contents_number_chapters_1_to_9_and_list_the_reader_pages():
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    assert (REPO / "book" / "_toc.yml").resolve() == (REPO / "_toc.yml").resolve()
    chapters, pages = toc["parts"]
    assert chapters.get("numbered") and not pages.get("numbered")  # one numbered part: no restart at 1
    stems = [p.stem for p in execute.chapter_sources(REPO / "book")]
    assert [c["file"] for c in chapters["chapters"]] == stems and len(stems) == 9
    assert [c["file"] for c in pages["chapters"]] == ["running", "data", "contributing"]
    for page in ("running", "data", "contributing"):
        assert (REPO / "book" / f"{page}.md").exists(), page
    assert "../DATA.md" in (REPO / "book" / "data.md").read_text()
