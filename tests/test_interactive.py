"""Interactive use as the README types it (issue "a book people read", item 5).

A reader opens a chapter's ``book/NN_slug.py`` as a notebook, sets ``PROFILE`` and runs every cell
in a python3 kernel: the chapter must run and write its ledger without a run key, so the next build
re-executes it. And a reader's notebook at a chapter's build path (``jupytext --to notebook
book/NN_slug.py`` writes one there) is never overwritten: the build refuses, naming it, before it
executes anything; a notebook the build wrote is replaced as always."""

import json
import time
from pathlib import Path

import jupytext
import nbformat
import pytest
import test_run_state
from nbclient import NotebookClient
from test_run_state import run

from aelib import claims, execute, ledger

REPO = Path(__file__).resolve().parent.parent

# The chapter the kernel test opens: the fastest at smoke in a cold AELIB_HOME, its shared models
# trained inside the chapter, one thread (measured on the shared 2-core machine, two runs each:
# 02_denoising 42 s / 26 s, 07_attention 50 s / 32 s, 05_diffusion 52 s, 06_batchnorm 52 s).
KERNEL_CHAPTER = "02_denoising"


def reader_notebook(src: Path, profile: str) -> nbformat.NotebookNode:
    """The chapter as JupyterLab opens it from its .py, with ``PROFILE`` set in its parameters cell."""
    nb = jupytext.read(src)
    params = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "PROFILE =" in params[0].source, f"{src.name}: one parameters cell with PROFILE"
    params[0].source = f'PROFILE = "{profile}"'
    return nb


def stamp(path: Path):
    return path.stat().st_mtime_ns if path.exists() else None


@pytest.mark.slow
def test_a_chapter_opened_from_its_py_runs_in_a_kernel_and_writes_an_unkeyed_ledger(aelib_home, monkeypatch):
    src = REPO / "book" / f"{KERNEL_CHAPTER}.py"
    for k in ("AELIB_STAGE", "AELIB_STAGE_CHAPTER", "AELIB_RUN_KEY", "AELIB_HEADLESS", "AELIB_OVERRIDES"):
        monkeypatch.delenv(k, raising=False)  # a reader's kernel has none of the build's variables
    monkeypatch.setenv("AELIB_THREADS", "1")
    nb = reader_notebook(src, "smoke")
    build_product = stamp(src.with_suffix(".ipynb"))
    t0 = time.perf_counter()
    # cwd=book/, where JupyterLab starts a notebook's kernel; the kernel inherits AELIB_HOME (tmp)
    NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(src.parent)}}).execute()
    print(f"{KERNEL_CHAPTER} at smoke in a kernel: {time.perf_counter() - t0:.1f} s")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    lpath = ledger.path_of(KERNEL_CHAPTER, "smoke")
    assert lpath.is_relative_to(aelib_home) and lpath.exists()
    data = ledger.read_file(lpath)
    assert data["key"] is None  # an interactive run: the next build re-executes this chapter
    assert {r["id"] for r in data["records"]} == {c.id for c in claims.for_chapter(KERNEL_CHAPTER)}
    assert (aelib_home / "figures" / "smoke" / KERNEL_CHAPTER).is_dir()
    assert not (aelib_home / "staging").exists()  # the build's staging is not used
    assert stamp(src.with_suffix(".ipynb")) == build_product  # the build's notebook is not touched


# --- the build never overwrites a reader's notebook ---------------------------------------------
book = test_run_state.book  # the two-chapter book folder fixture



def readers_notebook(book: Path, stem: str = "01_first") -> bytes:
    """What ``jupytext --to notebook book/01_first.py`` writes: the chapter as an .ipynb at the build path."""
    out = book / f"{stem}.ipynb"
    jupytext.write(jupytext.read(book / f"{stem}.py"), out)
    return out.read_bytes()


def test_a_readers_notebook_at_the_build_path_is_refused_before_anything_executes(book, aelib_home):
    before = readers_notebook(book)
    rc, err = run(book)
    assert rc == 2, err
    assert "01_first.ipynb" in err and "reader's notebook" in err and "notebooks/" in err, err
    assert "executing" not in err and "Traceback" not in err, err
    assert (book / "01_first.ipynb").read_bytes() == before
    assert not (book / "02_second.ipynb").exists()  # nothing ran, not even the other chapter
    assert not (aelib_home / "staging").exists()
    # the same with two jobs (shared models first): refused before any training
    rc, err = run(book, "--jobs", "2")  # the later --jobs wins
    assert rc == 2 and "reader's notebook" in err and "shared models" not in err, err
    assert (book / "01_first.ipynb").read_bytes() == before
    # a chapter not selected is none of this run's business
    rc, err = run(book, "--only", "02")
    assert rc == 0, err
    assert (book / "01_first.ipynb").read_bytes() == before
    # rendering refuses too, naming it (not "no executed notebook")
    with pytest.raises(execute.StateError, match=r"01_first\.ipynb: not written by the build"):
        execute.build(book, profile="smoke")
    assert (book / "01_first.ipynb").read_bytes() == before


def test_a_notebook_saved_while_the_chapter_ran_is_not_overwritten(book, aelib_home, monkeypatch):
    """The check before executing cannot see a notebook saved during the run; publishing checks again."""
    import papermill

    real = papermill.execute_notebook

    def save_meanwhile(*a, **k):
        out = real(*a, **k)
        readers_notebook(book)
        return out

    monkeypatch.setattr(papermill, "execute_notebook", save_meanwhile)
    with pytest.raises(execute.StateError, match="reader's notebook"):
        execute.execute("smoke", book, only=["01"], jobs=1, progress=False)
    nb = json.loads((book / "01_first.ipynb").read_text())
    assert execute.KEY_FIELD not in nb["metadata"]
    assert not ledger.path_of("01_first", "smoke").exists()  # nothing of the run was published


def test_a_notebook_the_build_wrote_is_replaced(book):
    assert run(book)[0] == 0
    first = json.loads((book / "01_first.ipynb").read_text())["metadata"][execute.KEY_FIELD]
    rc, err = run(book, "--only", "01", env={"FAKE_VALUE": "7"})
    assert rc == 0 and "up to date" in err, err  # FAKE_VALUE is not part of the identity
    rc, err = run(book, "--only", "01", "--force", env={"FAKE_VALUE": "7"})
    assert rc == 0 and "executing 01_first" in err, err
    nb = json.loads((book / "01_first.ipynb").read_text())
    assert nb["metadata"][execute.KEY_FIELD]["key"] == first["key"]
    assert "value 7" in json.dumps(nb["cells"])  # the new run's outputs replaced the old
    assert execute.foreign_notebook(book / "01_first.py") is None


def test_a_notebook_the_build_wrote_and_a_reader_edited_is_not_overwritten(book):
    """Opening book/NN.ipynb itself in Jupyter and saving an edit keeps the run key: the recorded
    content hash tells the edit apart, and the build refuses as for any reader's notebook."""
    assert run(book, "--only", "01")[0] == 0
    path = book / "01_first.ipynb"
    nb = json.loads(path.read_text())
    assert execute.foreign_notebook(book / "01_first.py") is None
    path.write_text(json.dumps(nb, indent=2))  # saved again, reformatted, nothing changed: still the build's
    assert execute.foreign_notebook(book / "01_first.py") is None
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "my notes"})
    path.write_text(json.dumps(nb))
    edited = path.read_bytes()
    assert execute.foreign_notebook(book / "01_first.py") == path
    rc, err = run(book, "--only", "01", "--force")
    assert rc == 2 and "edited since" in err, err
    assert path.read_bytes() == edited


def test_jupyter_book_build_as_typed_names_a_readers_notebook(book, monkeypatch):
    """``jupyter-book build book`` runs aelib.sphinx_ext, which calls prepare: the same refusal."""
    from aelib import sphinx_ext

    before = readers_notebook(book, "02_second")
    monkeypatch.delenv("AELIB_SKIP_EXECUTE", raising=False)
    monkeypatch.setenv("AELIB_PROFILE", "smoke")

    class App:
        srcdir = str(book)

    with pytest.raises(execute.StateError, match=r"02_second\.ipynb: not written by the build.*reader's notebook"):
        sphinx_ext._prepare(App())
    assert (book / "02_second.ipynb").read_bytes() == before
    assert not (book / "01_first.ipynb").exists()


def test_the_repository_pairs_readers_notebooks_outside_the_book():
    """jupytext.toml: a chapter opened in JupyterLab saves its outputs to notebooks/, never to book/."""
    from jupytext.config import load_jupytext_config
    from jupytext.paired_paths import paired_paths

    src = REPO / "book" / "01_identity.py"
    config = load_jupytext_config(str(src))
    assert config is not None, "jupytext.toml is missing"
    pairs = [path for path, _ in paired_paths(str(src), "py:percent", config.default_formats(str(src)))]
    assert str(REPO / "notebooks" / "01_identity.ipynb") in pairs
    assert str(src.with_suffix(".ipynb")) not in pairs
    assert "notebooks/" in (REPO / ".gitignore").read_text().split()
