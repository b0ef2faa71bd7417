"""The run's identity and its state on disk (issue: the published book is never wrong or empty).

These tests drive :mod:`aelib.execute` on a tiny two-chapter book whose chapters train nothing
(each opens a chapter context, saves a figure and prints), so every scenario costs a kernel start,
not a training run: deleted homes, overrides, swapped photos, cleared outputs, failing and killed
chapters, two processes at once, damaged ledgers and timings, relative paths, ``build`` without
executed chapters, and a strict build failure that must persist."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aelib import execute, identity, ledger

REPO = Path(__file__).resolve().parent.parent

HEADER = """# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
"""

CHAPTER = HEADER + """
# %% [markdown]
# # {title}

# %% tags=["parameters"]
PROFILE = "smoke"

# %%
import os
import time
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from aelib import chapter, paths
ch = chapter.start("{stem}", PROFILE)
(paths.home() / "kernels_saw_this_home").mkdir(parents=True, exist_ok=True)
fig, ax = plt.subplots()
ax.plot([0, 1], [int(os.environ.get("FAKE_VALUE", "1")), 0])
ch.figure(fig, "line")
if os.environ.get("FAKE_SLEEP"):
    time.sleep(float(os.environ["FAKE_SLEEP"]))
if os.environ.get("FAKE_FAIL") == "{stem}":
    raise RuntimeError("this chapter was told to fail")
print("value", os.environ.get("FAKE_VALUE", "1"))
"""


@pytest.fixture
def book(tmp_path):
    """A two-chapter book folder (no intro page: enough for executing, not for a site build)."""
    b = tmp_path / "book"
    b.mkdir()
    for stem in ("01_first", "02_second"):
        (b / f"{stem}.py").write_text(CHAPTER.format(stem=stem, title=stem))
    (b / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: 01_first\n  - file: 02_second\n")
    return b


def run(book, *more, env=None, cwd=None):
    """``python -m aelib execute --profile smoke`` in a fresh process; its exit code and stderr."""
    e = dict(os.environ, AELIB_PROGRESS="0", **(env or {}))
    proc = subprocess.run([sys.executable, "-m", "aelib", "execute", "--profile", "smoke", "--book", str(book),
                           "--jobs", "1", *more], env=e, cwd=cwd or REPO, capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stderr


def test_fresh_run_then_warm_run_executes_nothing(book):
    rc, err = run(book)
    assert rc == 0, err
    assert execute.stale(book, "smoke") == []
    rc, err = run(book)
    assert rc == 0 and err.count("up to date") == 2 and "executing" not in err, err


def test_deleted_home_reexecutes_every_chapter(book, aelib_home):
    assert run(book)[0] == 0
    import shutil
    shutil.rmtree(aelib_home)
    assert [s.stem for s in execute.stale(book, "smoke")] == ["01_first", "02_second"]
    rc, err = run(book)
    assert rc == 0 and err.count("executing") == 2, err
    assert ledger.path_of("01_first", "smoke").exists()


def test_overrides_and_threads_are_part_of_the_identity(book, monkeypatch):
    assert run(book)[0] == 0
    monkeypatch.setenv("AELIB_OVERRIDES", '{"train.steps": 20}')
    assert len(execute.stale(book, "smoke")) == 2
    assert identity.nonstandard(identity.run_identity("smoke"))
    monkeypatch.delenv("AELIB_OVERRIDES")
    monkeypatch.setenv("AELIB_THREADS", "2")
    assert len(execute.stale(book, "smoke")) == 2
    monkeypatch.delenv("AELIB_THREADS")
    assert execute.stale(book, "smoke") == []


def test_a_run_with_overrides_does_not_pass_for_the_plain_profile(book):
    assert run(book, env={"AELIB_OVERRIDES": '{"train.steps": 20}'})[0] == 0
    rc, err = run(book)
    assert rc == 0 and err.count("executing") == 2, err  # the plain run re-executes
    assert "overrides" not in json.dumps(ledger.read_file(ledger.path_of("01_first", "smoke")))


def test_swapping_a_photos_bytes_changes_the_identity(tmp_path, monkeypatch):
    import shutil
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    monkeypatch.setattr(identity, "SHIPPED_DATA", data)
    before = identity.run_identity("smoke")["data"]
    photo = sorted((data / "photos").iterdir())[0]
    raw = bytearray(photo.read_bytes())
    raw[-10] ^= 0xFF
    photo.write_bytes(bytes(raw))
    assert identity.run_identity("smoke")["data"] != before


def test_cleared_outputs_make_a_chapter_stale(book):
    assert run(book)[0] == 0
    nb_path = book / "01_first.ipynb"
    nb = json.loads(nb_path.read_text())
    for c in nb["cells"]:
        c["outputs"] = [] if c["cell_type"] == "code" else c.get("outputs")
        if c["cell_type"] != "code":
            c.pop("outputs", None)
    nb_path.write_text(json.dumps(nb))
    assert [s.stem for s in execute.stale(book, "smoke")] == ["01_first"]


def test_a_ledger_or_figures_from_another_run_make_a_chapter_stale(book, aelib_home):
    assert run(book)[0] == 0
    path = ledger.path_of("01_first", "smoke")
    data = ledger.read_file(path)
    path.write_text(json.dumps(data | {"key": "another run"}))
    assert [s.stem for s in execute.stale(book, "smoke")] == ["01_first"]
    path.write_text(json.dumps(data))
    assert execute.stale(book, "smoke") == []
    (aelib_home / "figures" / "smoke" / "02_second" / "identity.json").unlink()
    assert [s.stem for s in execute.stale(book, "smoke")] == ["02_second"]


def test_a_failing_chapter_leaves_the_previous_good_one_in_place(book, aelib_home):
    assert run(book, env={"FAKE_VALUE": "7"})[0] == 0
    nb_before = (book / "01_first.ipynb").read_bytes()
    ledger_before = ledger.path_of("01_first", "smoke").read_bytes()
    fig = aelib_home / "figures" / "smoke" / "01_first" / "line.png"
    fig_before = fig.read_bytes()
    rc, err = run(book, "--only", "01", "--force", env={"FAKE_VALUE": "3", "FAKE_FAIL": "01_first"})
    assert rc == 2 and "told to fail" in err and "unchanged" in err, err
    assert (book / "01_first.ipynb").read_bytes() == nb_before
    assert ledger.path_of("01_first", "smoke").read_bytes() == ledger_before
    assert fig.read_bytes() == fig_before
    assert execute.stale(book, "smoke") == []  # the previous good run still stands
    partial = aelib_home / "staging" / "smoke" / "01_first" / "notebook.ipynb"
    assert partial.exists() and str(partial) in err


def test_a_killed_chapter_resumes_cleanly(book, aelib_home):
    assert run(book)[0] == 0
    before = (book / "01_first.ipynb").read_bytes()
    e = dict(os.environ, AELIB_PROGRESS="0", FAKE_SLEEP="60")
    proc = subprocess.Popen([sys.executable, "-m", "aelib", "execute", "--profile", "smoke", "--book", str(book),
                             "--only", "01", "--force", "--jobs", "1"], env=e, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    stage = aelib_home / "staging" / "smoke" / "01_first" / "ledger.json"
    for _ in range(120):
        if stage.exists():
            break
        time.sleep(0.5)
    assert stage.exists()
    os.killpg(proc.pid, signal.SIGKILL)  # the executor and its kernel
    proc.wait()
    assert (book / "01_first.ipynb").read_bytes() == before and execute.stale(book, "smoke") == []
    rc, err = run(book, "--only", "01", "--force")
    assert rc == 0, err
    assert not (aelib_home / "staging" / "smoke" / "01_first").exists()


def test_two_processes_executing_one_chapter_at_once_both_succeed(book):
    e = dict(os.environ, AELIB_PROGRESS="0")
    argv = [sys.executable, "-m", "aelib", "execute", "--profile", "smoke", "--book", str(book), "--only", "01",
            "--jobs", "1"]
    procs = [subprocess.Popen(argv, env=e, cwd=REPO, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    assert sum(e.count("executing 01_first") for e in errs) == 1, errs  # the second waited and reused it
    assert "01_first" not in [s.stem for s in execute.stale(book, "smoke")]


def test_a_damaged_ledger_is_named_and_the_chapter_reexecuted(book):
    assert run(book)[0] == 0
    path = ledger.path_of("01_first", "smoke")
    path.write_text('{"key": "abc", "records": [{"id": "C1", "verd')
    with pytest.raises(ledger.LedgerDamaged, match="01_first.json is damaged .* delete it"):
        ledger.load("smoke")
    assert [s.stem for s in execute.stale(book, "smoke")] == ["01_first"]
    rc, err = run(book)
    assert rc == 0 and "01_first.json is damaged (" in err and err.count("executing") == 1, err
    ledger.load("smoke")


def test_an_empty_timings_file_is_ignored_and_rewritten(book, aelib_home):
    t = aelib_home / "timings" / "smoke.json"
    t.parent.mkdir(parents=True)
    t.write_text("")
    rc, err = run(book)
    assert rc == 0 and "smoke.json is damaged (" in err, err
    assert set(json.loads(t.read_text())) == {"01_first", "02_second"}


def test_a_warm_run_writes_nothing_so_a_read_only_home_works(book, aelib_home):
    """Files are compared, not permissions (the tests may run as root, who ignores them)."""
    assert run(book)[0] == 0
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in aelib_home.rglob("*") if p.is_file()}
    rc, err = run(book)
    assert rc == 0, err
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in aelib_home.rglob("*") if p.is_file()}
    assert after == before


def test_times_that_cannot_be_written_cost_a_warning_not_the_run(aelib_home, monkeypatch, capsys):
    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(execute, "_write_json_atomic", refuse)
    execute._update_timings("smoke", {"01_first": {"seconds": 1.0}})
    assert "[aelib] warning: could not record chapter times" in capsys.readouterr().err


def test_relative_home_resolves_against_the_typed_directory(book, tmp_path):
    where = tmp_path / "typed_here"
    where.mkdir()
    rc, err = run(book, "--only", "01", env={"AELIB_HOME": "relhome"}, cwd=where)
    assert rc == 0, err
    assert (where / "relhome" / "ledger" / "smoke" / "01_first.json").exists()
    assert (where / "relhome" / "figures" / "smoke" / "01_first" / "line.png").exists()
    assert (where / "relhome" / "kernels_saw_this_home").is_dir()  # the kernel (run in book/) too
    assert not (book / "relhome").exists() and not (REPO / "relhome").exists()


def test_bad_input_is_refused_before_any_notebook_is_touched(book):
    assert run(book)[0] == 0
    before = (book / "01_first.ipynb").read_bytes()
    for env in ({"AELIB_OVERRIDES": '{"train.batch_size": 0}'}, {"AELIB_OVERRIDES": '{"train.steps": true}'},
                {"AELIB_OVERRIDES": '{"data.image_size": 17}'}, {"AELIB_THREADS": "two"}):
        rc, err = run(book, "--force", env=env)
        assert rc == 2 and "error" in err and "Traceback" not in err and "executing" not in err, (env, err)
    assert (book / "01_first.ipynb").read_bytes() == before


def test_a_mistyped_book_folder_fails_at_once(tmp_path):
    rc, err = run(tmp_path / "bok")
    assert rc == 2 and "does not exist" in err and "bok" in err, err


def test_build_never_executes_and_names_the_chapters_it_lacks(book):
    assert run(book, "--only", "01")[0] == 0
    with pytest.raises(execute.StateError, match="02_second: no executed notebook.*aelib run --profile smoke"):
        execute.build(book, profile="smoke")
    assert not (book / "02_second.ipynb").exists()
    assert execute.executed_profile(book) == "smoke"  # what `build` without --profile uses
    rc = execute.main(["build", "--book", str(book)])
    assert rc == 2 and not (book / "02_second.ipynb").exists()


def test_a_failed_strict_build_fails_every_rerun(book, monkeypatch):
    """Sphinx re-reads only changed pages; a failed build must forget what it read, or a rerun with
    nothing changed succeeds and publishes the broken page."""
    assert run(book)[0] == 0
    doctrees = book / "_build" / ".doctrees"
    doctrees.mkdir(parents=True)
    (doctrees / "environment.pickle").write_bytes(b"saved")
    monkeypatch.setattr(execute.subprocess, "call", lambda *a, **k: 1)
    monkeypatch.setattr(execute, "write_generated", lambda *a, **k: None)
    assert execute.build(book, profile="smoke") == 1
    assert not doctrees.exists()
