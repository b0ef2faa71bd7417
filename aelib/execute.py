"""Run the book: execute every chapter with papermill at a profile, then build the site.

The chapters are jupytext percent files ``book/NN_slug.py``. Each is read with jupytext,
executed by papermill with ``PROFILE`` injected into its ``parameters`` cell, and published next to
its source as ``book/NN_slug.ipynb`` (a build product), which jupyter-book renders with execution
off.

One identity, one writer, nothing half-published:

- **Identity.** :func:`aelib.identity.run_identity` resolves the run once (profile with overrides,
  data fingerprint, thread count, torch and library versions); with the chapter's source it gives
  the chapter's key. A chapter is *up to date* only when its executed notebook, its ledger and its
  figure folder all exist and carry that key (and the notebook has outputs); anything else, a
  deleted ``AELIB_HOME`` included, re-executes it.
- **Staging.** A chapter executes into ``<home>/staging/<profile>/<chapter>/``: papermill writes its
  notebook there and the kernel writes its ledger and figures there. Only when the whole chapter
  succeeded are figures, ledger and notebook moved into place, the notebook last. A chapter that
  fails or is killed leaves the previous good notebook, ledger and figures as they were (the partly
  executed notebook stays in the staging folder, for reading).
- **One writer.** A lock per chapter and profile: a second process executing the same chapter waits,
  then reuses the result (or, with ``--force``, executes it again). Timings are updated under a lock
  and written atomically.
- **Validation first.** The resolved profile, the data set, ``AELIB_THREADS`` and the book folder are
  checked before any notebook is touched.

Command line (``python -m aelib --help``)::

    python -m aelib run --profile cpu      # execute what is stale, build the site
    python -m aelib execute --profile smoke --only 01_identity
    python -m aelib build --profile smoke  # render only; refuses if a chapter is not executed at that profile

Used by the main job, the tests and the Sphinx hook :mod:`aelib.sphinx_ext`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import essay_figures, identity, ledger, page, paths, profiles, reference, site
from .paths import home

REPO = paths.REPO
BOOK = REPO / "book"
KEY_FIELD = "aelib"


class ChapterFailed(RuntimeError):
    """A chapter raised while executing; the partly executed notebook is kept for reading."""


class StateError(RuntimeError):
    """The book's state does not allow what was asked (a chapter not executed at the profile to build)."""


# --- chapters and their state -------------------------------------------------------------
def chapter_sources(book_dir: Path = BOOK) -> list[Path]:
    return sorted(p for p in Path(book_dir).glob("[0-9][0-9]_*.py"))


def check_book(book_dir: Path) -> list[Path]:
    """The chapters of ``book_dir``; a clear error when the folder is missing or holds none."""
    book_dir = Path(book_dir)
    if not book_dir.is_dir():
        raise ValueError(f"book folder {book_dir} does not exist (--book names the folder holding the chapters "
                         f"NN_*.py and _toc.yml; default {BOOK})")
    srcs = chapter_sources(book_dir)
    if not srcs or not (book_dir / "_toc.yml").exists():
        raise ValueError(f"book folder {book_dir} has no chapters NN_*.py or no _toc.yml: is --book right?")
    return srcs


def _staging(profile: str, stem: str) -> Path:
    return home() / "staging" / profile / stem


def _figure_dir(profile: str, stem: str) -> Path:
    return home() / "figures" / profile / stem


def _read_json(path: Path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None


def _notebook_key(ipynb: Path) -> tuple[str | None, bool]:
    """The run key in an executed notebook's metadata, and whether any cell has outputs."""
    nb = _read_json(ipynb)
    if not isinstance(nb, dict):
        return None, False
    meta = nb.get("metadata", {}).get(KEY_FIELD, {}) or {}
    has_outputs = any(c.get("outputs") for c in nb.get("cells", []) if c.get("cell_type") == "code")
    return meta.get("key"), has_outputs


def foreign_notebook(src: Path) -> Path | None:
    """The notebook at ``src``'s build path when the build did not write it, else ``None``.

    Every notebook the build publishes carries its run key in ``metadata.aelib``; a notebook at
    that path without one (``jupytext --to notebook book/NN_x.py``, a copy saved from Jupyter) is a
    reader's, and publishing would silently replace it."""
    out = Path(src).with_suffix(".ipynb")
    if not out.exists():
        return None
    nb = _read_json(out)
    meta = nb.get("metadata") if isinstance(nb, dict) else None
    mark = meta.get(KEY_FIELD) if isinstance(meta, dict) else None
    if not (isinstance(mark, dict) and mark.get("key")):
        return out
    # written by the build, then edited (a reader opened book/NN_x.ipynb itself and saved it): theirs now
    written = mark.get("content")
    return out if written is not None and written != content_hash(nb) else None


def content_hash(nb: dict) -> str:
    """A hash of what a notebook's cells say and show (their sources and outputs, not their metadata
    or the file's formatting): the build records it when it publishes, so an edit is noticed."""
    import hashlib

    def joined(x):  # a file keeps multi-line strings as lists of lines, a notebook in memory as strings
        if isinstance(x, list):
            return "".join(x) if all(isinstance(v, str) for v in x) else [joined(v) for v in x]
        return {k: joined(v) for k, v in x.items()} if isinstance(x, dict) else x

    cells = [(c.get("cell_type"), joined(c.get("source", "")), joined(c.get("outputs", [])))
             for c in nb.get("cells", [])]
    return hashlib.sha256(json.dumps(cells, sort_keys=True, default=str).encode()).hexdigest()


def refuse_foreign_notebooks(srcs: list[Path]) -> None:
    """:class:`StateError` naming every notebook at a build path that the build did not write."""
    found = [nb for s in srcs if (nb := foreign_notebook(s))]
    if found:
        names = ", ".join(str(p) for p in found)
        dest = found[0].parent.parent / "notebooks"  # where jupytext.toml pairs a chapter opened in Jupyter
        raise StateError(f"{names}: not written by the build, or edited since (no '{KEY_FIELD}' run key in its "
                         f"metadata, or cells that differ from what the build wrote), so it looks like a reader's "
                         f"notebook, and the build writes its executed chapter to that path. "
                         f"Nothing was executed or overwritten. Move it out of the book folder (e.g. "
                         f"mkdir -p {dest} && mv {found[0]} {dest}/) or delete it, then run again. A chapter "
                         f"opened from its .py in JupyterLab saves its outputs to notebooks/ (jupytext.toml).")


def chapter_state(src: Path, profile: str, key: str) -> str:
    """``""`` when the chapter is up to date for ``key``, else why it is not (one phrase)."""
    nb_key, has_outputs = _notebook_key(Path(src).with_suffix(".ipynb"))
    if nb_key is None:
        return "no executed notebook"
    if nb_key != key:
        return "its source, the library, the profile or the data changed"
    if not has_outputs:
        return "the executed notebook has no outputs"
    lpath = ledger.path_of(src.stem, profile)
    if not lpath.exists():
        return f"its ledger {lpath} is missing"
    try:
        if ledger.read_file(lpath).get("key") != key:
            return "its ledger comes from another run"
    except ledger.LedgerDamaged as err:
        return str(err).split(";")[0]
    stamp = _read_json(_figure_dir(profile, src.stem) / "identity.json")
    if not isinstance(stamp, dict) or stamp.get("key") != key:
        return "its figures are missing or come from another run"
    return ""


def stale(book_dir: Path, profile: str) -> list[Path]:
    """The chapters of ``book_dir`` that are not up to date at ``profile``."""
    ident = identity.run_identity(profile)
    return [s for s in chapter_sources(book_dir) if chapter_state(s, profile, identity.chapter_key(s, ident))]


def _warn(message: str) -> None:
    """A warning for the person at the command line (state that costs nothing but deserves a word)."""
    print(f"[aelib] warning: {message}", file=sys.stderr)


# --- timings ------------------------------------------------------------------------------
def _timings_path(profile: str) -> Path:
    return home() / "timings" / f"{profile}.json"


def read_timings(profile: str) -> dict:
    """The recorded per-chapter times; a damaged file is reported and ignored (times are not results)."""
    path = _timings_path(profile)
    if not path.exists():
        return {}
    data = _read_json(path)
    if not isinstance(data, dict):
        _warn(f"{path} is damaged (not a JSON object); ignoring it, it will be rewritten")
        return {}
    return data


def _update_timings(profile: str, entries: dict[str, dict]) -> None:
    """Merge ``entries`` into the timings file under a lock; written only when something changed.
    A home that cannot be written (read-only) costs the times, not the run."""
    path = _timings_path(profile)
    try:
        with paths.locked(home() / "locks" / f"timings-{profile}.lock"):
            old = read_timings(profile)
            new = {**old, **{k: {**old.get(k, {}), **v} for k, v in entries.items()}}
            if new != old:
                _write_json_atomic(path, new)
    except OSError as err:
        _warn(f"could not record chapter times in {path} ({err})")


def _write_json_atomic(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(json.dumps(obj, indent=1))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# --- validation ------------------------------------------------------------------------------
def _select(profile: str, book_dir: Path, only: list[str] | None) -> list[Path]:
    """The chapters to consider, after checking the book folder, the resolved profile (every field),
    the data set and ``AELIB_THREADS``: one clear error before any notebook is touched."""
    prof = profiles.get(profile)  # validates every field, overrides included
    profiles.threads_from_env()
    if prof.data.dataset != "photos" and not prof.data.path:
        raise ValueError(f"profile {profile!r} reads the {prof.data.dataset!r} data set: set AELIB_DATA to its path "
                         "(nothing is downloaded), or AELIB_OVERRIDES='{\"data.dataset\": \"photos\"}' for the shipped "
                         "photos")
    profiles.check_data(prof)
    srcs = check_book(book_dir)
    if only:
        unknown = [o for o in only if not any(s.stem == o or s.stem.startswith(o) for s in srcs)]
        if unknown:
            raise ValueError(f"unknown chapter(s) {unknown}; have {[s.stem for s in srcs]}")
        srcs = [s for s in srcs if any(s.stem == o or s.stem.startswith(o) for o in only)]
    refuse_foreign_notebooks(srcs)  # before any training or execution, not at publishing time
    return srcs


# --- executing -----------------------------------------------------------------------------
def default_jobs() -> int:
    """Chapters executed side by side: ``$AELIB_JOBS``, else 2 on a machine with at least 2 cores.
    Each process then runs single-threaded (measured on the 2-core machine: two single-thread
    processes side by side finish 1.4x sooner than one two-thread process after the other)."""
    env = os.environ.get("AELIB_JOBS")
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ValueError(f"AELIB_JOBS must be a positive integer, got {env!r}")
        return int(env)
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def _run_pool(cmds: list[tuple[str, list[str]]], jobs: int, env: dict, desc: str = "",
              progress: bool = True) -> dict[str, int]:
    """Run ``(label, argv)`` commands, at most ``jobs`` at a time, with one progress bar over
    them; their exit codes by label."""
    from tqdm import tqdm

    pending, running, codes = list(cmds), {}, {}
    bar = tqdm(total=len(cmds), desc=desc, unit="job", disable=not progress, file=sys.stderr)
    t0 = {}
    while pending or running:
        while pending and len(running) < jobs:
            label, argv = pending.pop(0)
            running[label] = subprocess.Popen(argv, env=env)
            t0[label] = time.perf_counter()
        time.sleep(0.5)
        for label, proc in list(running.items()):
            if proc.poll() is not None:
                codes[label] = proc.returncode
                del running[label]
                state = "done" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
                bar.write(f"[aelib] {label}: {state} in {time.perf_counter() - t0[label]:.1f} s")
                bar.update(1)
                bar.set_postfix_str(", ".join(running) or "")
    bar.close()
    return codes


def pretrain(profile: str, jobs: int, progress: bool = True) -> None:
    """Train the shared models (fc, U-Nets) of every seed ahead of the chapters, ``jobs`` single-thread
    processes side by side, through the same cache and stopping rule the chapters use."""
    from .chapter import SHARED

    prof = profiles.get(profile)
    env = dict(os.environ, AELIB_PROGRESS="0")  # AELIB_THREADS as the chapters get it (execute sets it)
    cmds = [(f"{name} seed {seed}", [sys.executable, "-m", "aelib.train", "--profile", profile, "--model", name,
                                     "--seed", str(seed)])
            for seed in prof.seeds for name in SHARED]
    # the longer runs of the U-Net that C14 compares resume from the shared one: queued after it
    cmds += [(f"unet x{m} seed {seed}", [sys.executable, "-m", "aelib.train", "--profile", profile, "--model", "unet",
                                         "--seed", str(seed), "--steps", str(m * prof.train.steps)])
             for m in prof.walk.train_mults if m > 1 for seed in prof.seeds]
    t0 = time.perf_counter()
    codes = _run_pool(cmds, jobs, env, desc="shared models", progress=progress)
    bad = [k for k, v in codes.items() if v]
    if bad:
        raise ChapterFailed(f"training the shared models failed for {bad} (see the messages above)")
    print(f"[aelib] shared models of {len(prof.seeds)} seeds ready in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr)


def execute(profile: str = "cpu", book_dir: Path = BOOK, only: list[str] | None = None, force: bool = False,
            progress: bool = True, timeout: int | None = None, jobs: int | None = None) -> dict[str, dict]:
    """Execute the stale chapters (all with ``force``) at ``profile``; return per-chapter timings.

    With ``jobs`` > 1 (default :func:`default_jobs`) the shared models are trained first and the
    chapters then run ``jobs`` at a time, each in its own single-threaded process; a model two
    chapters need is trained once (the cache holds a lock per model)."""
    paths.absolutize_env()
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"--jobs must be a positive integer, got {jobs}")
    book_dir = Path(book_dir)
    srcs = _select(profile, book_dir, only)
    # one thread unless told otherwise, whatever the number of jobs; every process started below (shared
    # models, chapters) inherits it, so all compute the same identity and model cache keys
    os.environ.setdefault("AELIB_THREADS", "1")
    ident = identity.run_identity(profile)
    todo = [s for s in srcs if force or chapter_state(s, profile, identity.chapter_key(s, ident))]
    if jobs <= 1 or len(todo) <= 1:
        runs = {src.stem: _execute_one(src, profile, book_dir, force=force, progress=progress, timeout=timeout)
                for src in srcs}
        return _with_last_run(profile, runs)
    pretrain(profile, jobs, progress)
    timings = read_timings(profile)
    # longest chapters first (by their last recorded time), so the two queues end together
    todo.sort(key=lambda s: -float(timings.get(s.stem, {}).get("seconds", 0) or 0))
    env = dict(os.environ)
    cmds = [(s.stem, [sys.executable, "-m", "aelib", "execute", "--profile", profile, "--book", str(book_dir),
                      "--only", s.stem, "--jobs", "1", "--no-generated", "--no-progress"]
                     + (["--force"] if force else []) + (["--timeout", str(timeout)] if timeout else []))
            for s in todo]
    print(f"[aelib] executing {len(todo)} chapter(s) at profile {profile!r}, {jobs} at a time", file=sys.stderr)
    codes = _run_pool(cmds, jobs, env, desc="chapters", progress=progress)
    bad = [k for k, v in codes.items() if v]
    if bad:
        raise ChapterFailed(f"chapter(s) {bad} failed at profile {profile!r} (messages above); their previous "
                            "notebooks, ledgers and figures are unchanged")
    return _with_last_run(profile, {s.stem: "executed" if s in todo else "cached" for s in srcs})


def _with_last_run(profile: str, runs: dict[str, str]) -> dict[str, dict]:
    """The recorded times of the chapters in ``runs``, each with what this call did (executed / cached)."""
    timings = read_timings(profile)
    return {stem: {**timings.get(stem, {}), "last_run": what} for stem, what in runs.items()}


def _execute_one(src: Path, profile: str, book_dir: Path, *, force: bool, progress: bool,
                 timeout: int | None) -> str:
    """Execute one chapter into its staging folder and publish it, holding the chapter's lock;
    ``"executed"``, or ``"cached"`` when it was up to date (nothing is written then)."""
    import jupytext
    import papermill as pm

    ident = identity.run_identity(profile)
    key = identity.chapter_key(src, ident)
    if not force and not chapter_state(src, profile, key):  # the warm path takes no lock, writes nothing
        print(f"[aelib] {src.stem}: up to date at profile {profile!r}", file=sys.stderr)
        return "cached"
    with paths.locked(home() / "locks" / profile / f"{src.stem}.lock"):
        why = chapter_state(src, profile, key)  # again: another process may have just executed it
        if not force and not why:
            print(f"[aelib] {src.stem}: up to date at profile {profile!r}", file=sys.stderr)
            return "cached"
        print(f"[aelib] executing {src.stem} at profile {profile!r}" + (f" ({why})" if why else ""), file=sys.stderr)
        stage = _staging(profile, src.stem)
        shutil.rmtree(stage, ignore_errors=True)  # leftovers of a killed run: we hold the lock
        (stage / "figures").mkdir(parents=True)
        env = {"AELIB_STAGE": str(stage), "AELIB_STAGE_CHAPTER": src.stem, "AELIB_RUN_KEY": key,
               "AELIB_HEADLESS": "1", "AELIB_PROGRESS": os.environ.get("AELIB_PROGRESS", "0")}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # the kernel inherits them
        t0 = time.perf_counter()
        try:
            pm.execute_notebook(jupytext.read(src), str(stage / "notebook.ipynb"), parameters={"PROFILE": profile},
                                kernel_name="python3", cwd=str(book_dir), progress_bar=progress,
                                execution_timeout=timeout, report_mode=False)
        except Exception as err:  # a cell raised, the kernel died, a timeout: nothing is published
            what = f"{err.ename}: {err.evalue}" if isinstance(err, pm.PapermillExecutionError) else repr(err)
            raise ChapterFailed(f"chapter {src.stem} failed at profile {profile!r}: {what}\n(the previous notebook, "
                                f"ledger and figures are unchanged; the partly executed notebook is "
                                f"{stage / 'notebook.ipynb'})") from None
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        seconds = round(time.perf_counter() - t0, 1)
        _publish(src, profile, key, ident, stage, seconds)
    _update_timings(profile, {src.stem: {"seconds": seconds, "at": time.strftime("%Y-%m-%dT%H:%M:%S")}})
    print(f"[aelib] {src.stem}: {seconds:.1f} s", file=sys.stderr)
    return "executed"


def _publish(src: Path, profile: str, key: str, ident: dict, stage: Path, seconds: float) -> None:
    """Move a succeeded chapter's figures, ledger and notebook into place, the notebook last: a run
    killed in between leaves a notebook whose key no longer matches its ledger, so it re-executes."""
    import nbformat

    refuse_foreign_notebooks([src])  # checked before executing too; a reader may have saved one since
    nb = page.for_reading(nbformat.read(stage / "notebook.ipynb", as_version=4))
    nb.metadata[KEY_FIELD] = {"key": key, "profile": profile, "seconds": seconds, "identity": ident,
                              "content": content_hash(nb)}
    staged_ledger = stage / "ledger.json"
    if not staged_ledger.exists() or ledger.read_file(staged_ledger).get("key") != key:
        raise ChapterFailed(f"chapter {src.stem} ran but wrote no ledger for this run (does it call "
                            f"aelib.chapter.start({src.stem!r}, PROFILE)?); nothing was published")
    _write_json_atomic(stage / "figures" / "identity.json", {"key": key, "chapter": src.stem, "profile": profile})
    figs = _figure_dir(profile, src.stem)
    figs.parent.mkdir(parents=True, exist_ok=True)
    if figs.exists():
        os.rename(figs, stage / "figures.old")
    os.rename(stage / "figures", figs)
    lpath = ledger.path_of(src.stem, profile)
    lpath.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged_ledger, lpath)
    out = src.with_suffix(".ipynb")
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")  # the book folder may be on another file system
    try:
        nbformat.write(nb, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    shutil.rmtree(stage, ignore_errors=True)


# --- the site -------------------------------------------------------------------------------
def write_generated(profile: str, book_dir: Path = BOOK) -> Path:
    """The site's generated parts: the claims tables, the ledger as JSON, the run record (first page);
    the chapter-to-module table and the repository's whereabouts (the page on running the book); the
    essay's figures with links to their counterparts (first page)."""
    gen = Path(book_dir) / "_generated"
    gen.mkdir(parents=True, exist_ok=True)
    ident = identity.run_identity(profile)
    marker = identity.nonstandard(ident)
    head = ""
    if marker:
        head = (":::{warning}\nThis build is **not** the shipped `" + profile + "` profile: " + "; ".join(marker)
                + ". Its numbers differ from the standard build's.\n:::\n\n")
    (gen / "claims.md").write_text(ledger.render_markdown(profile))
    (gen / "changelog.md").write_text(ledger.render_changelog())
    (gen / "summary.md").write_text(head + ledger.render_summary(profile))
    ledger.write_json(profile, gen / "claims.json")
    srcs = chapter_sources(book_dir)
    (gen / "timings.md").write_text(site.build_record_markdown(profile, read_timings(profile), [s.stem for s in srcs]))
    url, branch = site.repository(book_dir)
    (gen / "code_map.md").write_text(site.code_map_markdown(srcs, url, branch))
    (gen / "repository.md").write_text(site.repository_markdown(book_dir))
    (gen / "essay_figures.md").write_text(essay_figures.markdown(srcs))
    (gen / "scales.md").write_text(reference.scales_markdown(profile))
    (gen / "paper_cost.md").write_text(reference.paper_cost_markdown())
    (gen / "scale_figures.md").write_text(reference.figures_markdown(profile, paths.home() / "figures" / profile,
                                                                     book_dir))
    return gen


def prepare(profile: str | None = None, book_dir: Path = BOOK) -> None:
    """Make the book buildable: execute stale chapters, then write the generated pages."""
    profile = profile or os.environ.get("AELIB_PROFILE", "cpu")
    execute(profile, book_dir)
    write_generated(profile, book_dir)


def executed_profile(book_dir: Path = BOOK) -> str | None:
    """The profile every executed notebook of ``book_dir`` was run at, when they agree."""
    found = set()
    for s in chapter_sources(book_dir):
        nb = _read_json(s.with_suffix(".ipynb"))
        if isinstance(nb, dict):
            found.add((nb.get("metadata", {}).get(KEY_FIELD) or {}).get("profile"))
    found.discard(None)
    return found.pop() if len(found) == 1 else None


def build(book_dir: Path = BOOK, strict: bool = True, profile: str | None = None) -> int:
    """``jupyter-book build <book_dir>`` (warnings are errors when ``strict``); returns its exit code.

    It only renders, and only a consistent book: every chapter must be up to date at ``profile``
    (default: the profile the executed notebooks were run at, else ``$AELIB_PROFILE``, else cpu),
    else :class:`StateError` says which and how to execute them. A failed build forgets Sphinx's
    saved environment, so the next build reads every page again and fails again until fixed."""
    paths.absolutize_env()
    check_book(book_dir)
    profile = profile or executed_profile(book_dir) or os.environ.get("AELIB_PROFILE", "cpu")
    profiles.get(profile)
    refuse_foreign_notebooks(chapter_sources(book_dir))
    ident = identity.run_identity(profile)
    bad = {s.stem: why for s in chapter_sources(book_dir)
           if (why := chapter_state(s, profile, identity.chapter_key(s, ident)))}
    if bad:
        listing = "; ".join(f"{k}: {v}" for k, v in bad.items())
        raise StateError(f"not building the site: {len(bad)} chapter(s) are not executed at profile {profile!r} "
                         f"for this run ({listing}). Execute them with: python -m aelib run --profile {profile}")
    write_generated(profile, book_dir)
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(book_dir)]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    rc = subprocess.call(cmd, env=dict(os.environ, AELIB_SKIP_EXECUTE="1", AELIB_PROFILE=profile))
    if rc:
        shutil.rmtree(Path(book_dir) / "_build" / ".doctrees", ignore_errors=True)
    return rc


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m aelib", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("run", "execute", "build"):
        p = sub.add_parser(name)
        p.add_argument("--book", default=str(BOOK), help="book folder (default: the repository's book/)")
        p.add_argument("--profile", default=None,
                       help=f"one of {', '.join(profiles.PROFILES)} (default: $AELIB_PROFILE, else cpu"
                       + ("; for build, the profile the chapters were executed at)" if name == "build" else ")"))
        if name != "build":
            p.add_argument("--only", nargs="*", help="chapter names or number prefixes, e.g. 01 02_denoising")
            p.add_argument("--force", action="store_true", help="execute even chapters that are up to date")
            p.add_argument("--jobs", type=int, default=None, help="chapters executed side by side "
                           "(default: $AELIB_JOBS, else 2 on a machine with 2 or more cores)")
            p.add_argument("--timeout", type=int, default=None, help=argparse.SUPPRESS)
            p.add_argument("--no-generated", action="store_true", help=argparse.SUPPRESS)
            p.add_argument("--no-progress", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    paths.absolutize_env()
    book_dir = Path(args.book).absolute()
    try:
        if args.cmd in ("run", "execute"):
            profile = args.profile or os.environ.get("AELIB_PROFILE", "cpu")
            os.environ["AELIB_PROFILE"] = profile
            t0 = time.perf_counter()
            if args.no_generated:  # one chapter of a parallel run: the parent builds the pages
                execute(profile, book_dir, only=args.only, force=args.force, jobs=1, timeout=args.timeout,
                        progress=not args.no_progress)
            else:
                execute(profile, book_dir, only=args.only, force=args.force, jobs=args.jobs, timeout=args.timeout)
                write_generated(profile, book_dir)
            print(f"[aelib] chapters done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        else:
            profile = args.profile
        if args.cmd in ("run", "build"):
            rc = build(book_dir, profile=profile)
            if rc:
                print(f"[aelib] site build failed (exit {rc}); every rerun fails until it is fixed", file=sys.stderr)
                return rc
            print(f"[aelib] site: {book_dir / '_build' / 'html' / 'index.html'}", file=sys.stderr)
    except (ChapterFailed, StateError, ValueError) as err:  # ProfileError, LedgerDamaged are ValueErrors
        print(f"[aelib] error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"[aelib] error: {err} (is AELIB_HOME={home()} writable, and is there space left?)", file=sys.stderr)
        return 2
    return 0
