"""Every figure of the essay has a counterpart in the book, named in its caption (issue 19)."""

from pathlib import Path

import pytest

from aelib import essay_figures, execute

REPO = Path(__file__).resolve().parent.parent

SRC = '''# %% [markdown]
# ```{glue:figure} walk
# :name: fig-04-walk
# :alt: a walk
#
# The walk (essay Fig. 10, essay Fig. 12).
# ```

# %%
x = "essay Fig. 5"  # code, not a caption

# %% [markdown]
# ```{glue:figure} other
# :name: fig-04-other
#
# No essay figure here.
# ```
'''


def test_captions_are_read_from_markdown_cells_only(tmp_path):
    assert essay_figures.placed(SRC) == [("fig-04-walk", [10, 12]), ("fig-04-other", [])]
    src = tmp_path / "04_x.py"
    src.write_text(SRC)
    found = essay_figures.counterparts([src])
    assert found[10] == ["fig-04-walk"] and found[12] == ["fig-04-walk"]
    assert found[5] == []  # named in code only
    assert 5 in essay_figures.missing([src]) and 10 not in essay_figures.missing([src])
    md = essay_figures.markdown([src])
    assert "| Fig. 10 |" in md and "{numref}`fig-04-walk`" in md and "no counterpart yet" in md


def test_a_caption_naming_a_figure_the_essay_lacks_is_an_error(tmp_path):
    src = tmp_path / "01_x.py"
    src.write_text(SRC.replace("essay Fig. 12", "essay Fig. 32"))
    with pytest.raises(ValueError, match="Fig. 32"):
        essay_figures.counterparts([src])


def test_the_list_has_the_essays_31_figures():
    assert sorted(essay_figures.FIGURES) == list(range(1, 32))


def test_every_essay_figure_has_a_counterpart_in_a_chapter():
    srcs = execute.chapter_sources(REPO / "book")
    assert essay_figures.missing(srcs) == []
