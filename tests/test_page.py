"""How a chapter reads on its page: the build's cell tags, what the page checks refuse, reading
tables, claim texts with numbers, and the offline player."""

import math
import re

import nbformat
import pandas as pd
import pytest
import torch
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from aelib import claims, figures, page, profiles, report


def _nb(*cells):
    return new_notebook(cells=list(cells))


def _glued_png(name):
    return new_output("display_data", data={page.GLUE_PREFIX + "image/png": "iVBOR", page.GLUE_PREFIX + "text/plain":
                                            "<Figure>"}, metadata={"scrapbook": {"name": name, "mime_prefix": ""}})


def test_build_folds_code_removes_parameters_and_keeps_chosen_tags():
    params = new_code_cell('PROFILE = "cpu"', metadata={"tags": ["parameters"]})
    injected = new_code_cell('PROFILE = "smoke"', metadata={"tags": ["injected-parameters"]})
    plain = new_code_cell("x = 1")
    shown = new_code_cell("y = 2", metadata={"tags": ["show-input"]})
    removed = new_code_cell("ch.glue('k', 1)", metadata={"tags": ["remove-cell"]})
    md = new_markdown_cell("text")
    nb = page.for_reading(_nb(params, injected, plain, shown, removed, md))
    tags = [c.metadata.get("tags") for c in nb.cells]
    assert tags[0] == ["parameters", "remove-cell"] and tags[1] == ["injected-parameters", "remove-cell"]
    assert tags[2] == ["hide-input"] and tags[3] == ["show-input"] and tags[4] == ["remove-cell"]
    assert tags[5] is None  # markdown is prose: untouched
    assert page.for_reading(nb).cells[2].metadata["tags"] == ["hide-input"]  # idempotent


def test_a_clean_page_has_no_problems():
    cell = new_code_cell("ch.figure(fig, 'walk')", metadata={"tags": ["hide-input"]}, outputs=[_glued_png("walk")])
    md = new_markdown_cell("```{glue:figure} walk\n:name: fig-walk\n\nA caption.\n```")
    assert page.problems(_nb(cell, md)) == []


@pytest.mark.parametrize("cell, expect", [
    (new_code_cell("print(1)", metadata={"tags": ["hide-input"]},
                   outputs=[new_output("stream", name="stdout", text="1\n")]), "prints text"),
    (new_code_cell("x", metadata={"tags": ["hide-input"]},
                   outputs=[new_output("execute_result", data={"text/plain": "0.3965315520763397"},
                                       execution_count=1)]), "echoes a bare value"),
    (new_code_cell("fig", metadata={"tags": ["hide-input"]},
                   outputs=[new_output("display_data", data={"image/png": "iVBOR", "text/plain": "<Figure>"})]),
     "no caption"),
    (new_code_cell("ch.figure(fig, 'lost')", metadata={"tags": ["hide-input"]}, outputs=[_glued_png("lost")]),
     "no {glue:figure} block places it"),
    (new_code_cell("ch.glue('k', 1)", metadata={"tags": ["show-input"]}), "bookkeeping call in code shown open"),
])
def test_page_problems_name_what_a_reader_would_meet(cell, expect):
    found = page.problems(_nb(cell))
    assert len(found) == 1 and expect in found[0], found


def test_a_table_output_or_a_removed_cell_is_not_a_problem():
    table = new_code_cell("report.show(df)", metadata={"tags": ["hide-input"]},
                          outputs=[new_output("execute_result", data={"text/html": "<table/>", "text/plain": "x"},
                                              execution_count=1)])
    gone = new_code_cell("print(1)", metadata={"tags": ["remove-cell"]},
                         outputs=[new_output("stream", name="stdout", text="1\n")])
    assert page.problems(_nb(table, gone)) == []


def test_numbers_read_as_numbers():
    assert [report.number(x) for x in (None, math.nan, True, False, 12345, 0, 0.0523, 2.31456, 123.4, 0.00012, 1.0,
                                        99.99)] == \
        ["", "", "yes", "no", "12,345", "0", "0.0523", "2.31", "123", "1.20e-04", "1.00", "100"]


def test_reading_table_has_no_row_numbers_blank_nan_and_yes_no():
    df = pd.DataFrame({"seed": [0, 1], "ratio": [1.23456, math.nan], "passed": [True, False]}).set_index("seed")
    html = report.show(df).to_html()
    assert "1.23" in html and "1.23456" not in html and "nan" not in html.lower()
    assert ">yes<" in html and ">no<" in html and ">seed<" in html
    assert 'class="reading-table"' in html
    assert not re.search(r'class="row_heading', html)  # the index is hidden, its name became a column


def test_claim_texts_name_numbers_not_settings():
    p = profiles.get("cpu")
    text = "descent of rep.steps from a start; K = walk.steps; e.g. the mean"
    out = claims.with_numbers(text, p)
    assert f"descent of {p.rep.steps} steps from" in out and f"K = {p.walk.steps} steps" in out and "e.g." in out
    assert claims.with_numbers("after rep.steps optimiser steps", p) == f"after {p.rep.steps} optimiser steps"
    assert "rep.steps" not in out and claims.with_numbers(text) == text
    rows = str(claims.thresholds_rows("04_manifold_walk", p))
    assert "walk.steps" not in rows and "walk.tol" not in rows and f"{p.walk.steps} steps" in rows


def test_player_is_self_contained_and_plays_every_kept_frame():
    frames = torch.rand(7, 3, 3, 8, 8)
    html = figures.player({0.0: frames, 0.2: frames}, list(range(0, 70, 10)), n=3, nrow=3, max_frames=5)
    assert "http://" not in html and "https://" not in html  # nothing fetched
    assert html.count("data:image/png;base64,") == 1 + 2 * 5  # the first frame shown, 5 kept per run
    assert 'max="4"' in html and "pause" in html and "eps = 0.2" in html and "step 60" in html
    with pytest.raises(ValueError, match="frames"):
        figures.player({0.0: frames}, list(range(3)))


def test_tagged_notebook_round_trips_through_nbformat(tmp_path):
    nb = page.for_reading(_nb(new_code_cell("x = 1")))
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    assert nbformat.read(path, as_version=4).cells[0].metadata["tags"] == ["hide-input"]
