"""Run the book: execute every chapter with papermill at a profile, then build the site.

The chapters are jupytext percent files ``book/NN_slug.py``. Each is read with jupytext,
executed by papermill with ``PROFILE`` injected into its ``parameters`` cell, and written next to
its source as ``book/NN_slug.ipynb`` (a build product), which jupyter-book renders with
execution off. An executed notebook carries a key: the hash of its source, of the library's
source, of the shipped data manifest and of the profile; a chapter whose key still matches is
not executed again (the warm run), while any edit to the chapter or to ``aelib`` re-executes it.

Command line (``python -m aelib --help``)::

    python -m aelib run --profile cpu      # execute what is stale, write the claims table, build the site
    python -m aelib execute --profile smoke --only 01_identity
    python -m aelib build

Used by the main job, the tests and the Sphinx hook :mod:`aelib.sphinx_ext`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import ledger, profiles
from .paths import home

REPO = Path(__file__).resolve().parent.parent
BOOK = REPO / "book"
KEY_FIELD = "aelib"


class ChapterFailed(RuntimeError):
    """A chapter raised while executing; the partly executed notebook is kept for reading."""


def chapter_sources(book_dir: Path = BOOK) -> list[Path]:
    return sorted(p for p in Path(book_dir).glob("[0-9][0-9]_*.py"))


def library_fingerprint() -> str:
    h = hashlib.sha256()
    for p in sorted((REPO / "aelib").glob("*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    manifest = REPO / "data" / "photos.csv"
    if manifest.exists():
        h.update(manifest.read_bytes())
    return h.hexdigest()


def run_identity(profile: str) -> dict:
    """What decides a chapter's numbers besides its source and the library: the resolved profile
    (every field, overrides from AELIB_OVERRIDES included, the seeds), the data path and the
    thread count (results change with it)."""
    import dataclasses

    import torch

    prof = profiles.get(profile)
    return {"profile": {k: v for k, v in dataclasses.asdict(prof).items() if k != "extra"},
            "data": os.environ.get("AELIB_DATA", ""), "threads": os.environ.get("AELIB_THREADS", "1"),
            "torch": torch.__version__}


def chapter_key(src: Path, profile: str, lib: str | None = None) -> str:
    h = hashlib.sha256(Path(src).read_bytes())
    h.update((lib or library_fingerprint()).encode())
    h.update(json.dumps(run_identity(profile), sort_keys=True, default=str).encode())
    return h.hexdigest()


def _ledger_exists(src: Path, profile: str) -> bool:
    return (home() / "ledger" / profile / f"{src.stem}.json").exists()


def _stored_key(ipynb: Path) -> str | None:
    if not ipynb.exists():
        return None
    try:
        meta = json.loads(ipynb.read_text()).get("metadata", {}).get(KEY_FIELD, {})
    except (json.JSONDecodeError, OSError):
        return None
    return meta.get("key")


def stale(book_dir: Path, profile: str) -> list[Path]:
    lib = library_fingerprint()
    return [s for s in chapter_sources(book_dir)
            if _stored_key(s.with_suffix(".ipynb")) != chapter_key(s, profile, lib) or not _ledger_exists(s, profile)]


def _timings_path(profile: str) -> Path:
    return home() / "timings" / f"{profile}.json"


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
    env = dict(os.environ, AELIB_THREADS="1", AELIB_PROGRESS="0")
    cmds = [(f"{name} seed {seed}", [sys.executable, "-m", "aelib.train", "--profile", profile, "--model", name,
                                     "--seed", str(seed)])
            for seed in prof.seeds for name in SHARED]
    # chapter 04's longer runs of the U-Net (C14) resume from the shared one: queued after it
    cmds += [(f"unet x{m} seed {seed}", [sys.executable, "-m", "aelib.train", "--profile", profile, "--model", "unet",
                                         "--seed", str(seed), "--steps", str(m * prof.steps)])
             for m in prof.walk_train_mults if m > 1 for seed in prof.seeds]
    t0 = time.perf_counter()
    codes = _run_pool(cmds, jobs, env, desc="shared models", progress=progress)
    bad = [k for k, v in codes.items() if v]
    if bad:
        raise ChapterFailed(f"training the shared models failed for {bad} (see the messages above)")
    print(f"[aelib] shared models of {len(prof.seeds)} seeds ready in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr)


def _select(profile: str, book_dir: Path, only: list[str] | None) -> list[Path]:
    """The chapters to consider, after checking the profile and data set (clear errors before anything runs)."""
    prof = profiles.get(profile)
    if prof.dataset != "photos" and not prof.data_path:
        raise ValueError(f"profile {profile!r} reads the {prof.dataset!r} data set: set AELIB_DATA to its path "
                         "(nothing is downloaded), or AELIB_OVERRIDES='{\"dataset\": \"photos\"}' for the shipped photos")
    srcs = chapter_sources(book_dir)
    if only:
        unknown = [o for o in only if not any(s.stem == o or s.stem.startswith(o) for s in srcs)]
        if unknown:
            raise ValueError(f"unknown chapter(s) {unknown}; have {[s.stem for s in srcs]}")
        srcs = [s for s in srcs if any(s.stem == o or s.stem.startswith(o) for o in only)]
    return srcs


def execute(profile: str = "cpu", book_dir: Path = BOOK, only: list[str] | None = None, force: bool = False,
            progress: bool = True, timeout: int | None = None, jobs: int | None = None) -> dict[str, dict]:
    """Execute the stale chapters (all with ``force``) at ``profile``; return per-chapter timings.

    With ``jobs`` > 1 (default :func:`default_jobs`) the shared models are trained first and the
    chapters then run ``jobs`` at a time, each in its own single-threaded process; a model two
    chapters need is trained once (the cache holds a lock per model)."""
    jobs = default_jobs() if jobs is None else jobs
    book_dir = Path(book_dir)
    srcs = _select(profile, book_dir, only)
    lib = library_fingerprint()
    todo = [s for s in srcs if force or _stored_key(s.with_suffix(".ipynb")) != chapter_key(s, profile, lib)
            or not _ledger_exists(s, profile)]
    if jobs <= 1 or len(todo) <= 1:
        if jobs > 1 or os.environ.get("AELIB_THREADS") is None:
            os.environ["AELIB_THREADS"] = "1"  # the same thread count whatever the number of jobs
        return _execute_serial(profile, book_dir, [s.stem for s in srcs], force, progress, timeout)
    pretrain(profile, jobs, progress)
    tpath = _timings_path(profile)
    timings = json.loads(tpath.read_text()) if tpath.exists() else {}
    # longest chapters first (by their last recorded time), so the two queues end together
    todo.sort(key=lambda s: -float(timings.get(s.stem, {}).get("seconds", 0) or 0))
    env = dict(os.environ, AELIB_THREADS="1")
    cmds = [(s.stem, [sys.executable, "-m", "aelib", "execute", "--profile", profile, "--book", str(book_dir),
                      "--only", s.stem, "--force", "--jobs", "1", "--no-generated", "--no-progress"]
                     + (["--timeout", str(timeout)] if timeout else [])) for s in todo]
    print(f"[aelib] executing {len(todo)} chapter(s) at profile {profile!r}, {jobs} at a time", file=sys.stderr)
    codes = _run_pool(cmds, jobs, env, desc="chapters", progress=progress)
    import nbformat

    for s in srcs:
        out = s.with_suffix(".ipynb")
        if s in todo:
            meta = nbformat.read(out, as_version=4).metadata.get(KEY_FIELD, {}) if out.exists() else {}
            if codes.get(s.stem) == 0 and meta.get("key"):
                timings[s.stem] = {"seconds": meta.get("seconds"), "last_run": "executed",
                                   "at": time.strftime("%Y-%m-%dT%H:%M:%S")}
        else:
            timings.setdefault(s.stem, {})["last_run"] = "cached"
    _write_json_atomic(tpath, timings)
    bad = [k for k, v in codes.items() if v]
    if bad:
        raise ChapterFailed(f"chapter(s) {bad} failed at profile {profile!r} (messages above)")
    return timings


def _write_json_atomic(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=1))
    os.replace(tmp, path)


def _execute_serial(profile: str = "cpu", book_dir: Path = BOOK, only: list[str] | None = None, force: bool = False,
                    progress: bool = True, timeout: int | None = None, write_timings: bool = True) -> dict[str, dict]:
    """Execute the stale chapters (all with ``force``) at ``profile`` one after another in this process."""
    import jupytext
    import nbformat
    import papermill as pm

    book_dir = Path(book_dir)
    srcs = _select(profile, book_dir, only)
    lib = library_fingerprint()
    os.environ.setdefault("AELIB_PROGRESS", "0")  # the kernels inherit it: no bars inside pages
    os.environ["AELIB_HEADLESS"] = "1"            # chapters show static figures instead of widgets
    tpath = _timings_path(profile)
    timings = json.loads(tpath.read_text()) if tpath.exists() else {}
    for src in srcs:
        out = src.with_suffix(".ipynb")
        key = chapter_key(src, profile, lib)
        if not force and _stored_key(out) == key and _ledger_exists(src, profile):
            timings.setdefault(src.stem, {})["last_run"] = "cached"
            print(f"[aelib] {src.stem}: up to date at profile {profile!r}", file=sys.stderr)
            continue
        print(f"[aelib] executing {src.stem} at profile {profile!r}", file=sys.stderr)
        nb = jupytext.read(src)
        t0 = time.perf_counter()
        try:
            pm.execute_notebook(nb, str(out), parameters={"PROFILE": profile}, kernel_name="python3",
                                cwd=str(book_dir), progress_bar=progress, execution_timeout=timeout,
                                report_mode=False)
        except pm.PapermillExecutionError as err:
            raise ChapterFailed(f"chapter {src.stem} failed at profile {profile!r}: {err.ename}: {err.evalue}\n"
                                f"(the partly executed notebook is {out})") from None
        seconds = time.perf_counter() - t0
        done = nbformat.read(out, as_version=4)
        done.metadata[KEY_FIELD] = {"key": key, "profile": profile, "seconds": round(seconds, 1)}
        nbformat.write(done, out)
        timings[src.stem] = {"seconds": round(seconds, 1), "last_run": "executed",
                             "at": time.strftime("%Y-%m-%dT%H:%M:%S")}
        if write_timings:
            _write_json_atomic(tpath, timings)
        print(f"[aelib] {src.stem}: {seconds:.1f} s", file=sys.stderr)
    if write_timings:
        _write_json_atomic(tpath, timings)
    return timings


def write_generated(profile: str, book_dir: Path = BOOK) -> Path:
    """The first page's generated parts: the claims tables, the ledger as JSON, the run record."""
    gen = Path(book_dir) / "_generated"
    gen.mkdir(parents=True, exist_ok=True)
    (gen / "claims.md").write_text(ledger.render_markdown(profile))
    (gen / "changelog.md").write_text(ledger.render_changelog())
    (gen / "summary.md").write_text(ledger.render_summary(profile))
    ledger.write_json(profile, gen / "claims.json")
    tpath = _timings_path(profile)
    timings = json.loads(tpath.read_text()) if tpath.exists() else {}
    rows = ["| chapter | wall time of its last execution (s) |", "|---|---|"]
    rows += [f"| {k} | {v.get('seconds', 'n/a')} |" for k, v in sorted(timings.items())]
    (gen / "timings.md").write_text(f"Profile `{profile}`.\n\n" + "\n".join(rows) + "\n")
    return gen


def prepare(profile: str | None = None, book_dir: Path = BOOK) -> None:
    """Make the book buildable: execute stale chapters, then write the generated pages."""
    profile = profile or os.environ.get("AELIB_PROFILE", "cpu")
    execute(profile, book_dir)
    write_generated(profile, book_dir)


def build(book_dir: Path = BOOK, strict: bool = True) -> int:
    """``jupyter-book build <book_dir>`` (warnings are errors when ``strict``); returns its exit code.
    It only renders: the Sphinx hook is told not to execute chapters (``python -m aelib run`` has
    just executed what was stale, and ``build`` alone must never start a long execution)."""
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(book_dir)]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    return subprocess.call(cmd, env=dict(os.environ, AELIB_SKIP_EXECUTE="1"))


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m aelib", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("run", "execute", "build"):
        p = sub.add_parser(name)
        p.add_argument("--book", default=str(BOOK), help="book folder (default: the repository's book/)")
        if name != "build":
            p.add_argument("--profile", default=os.environ.get("AELIB_PROFILE", "cpu"),
                           help=f"one of {', '.join(profiles.PROFILES)} (default cpu)")
            p.add_argument("--only", nargs="*", help="chapter names or number prefixes, e.g. 01 02_denoising")
            p.add_argument("--force", action="store_true", help="execute even chapters that are up to date")
            p.add_argument("--jobs", type=int, default=None, help="chapters executed side by side "
                           "(default: $AELIB_JOBS, else 2 on a machine with 2 or more cores)")
            p.add_argument("--timeout", type=int, default=None, help=argparse.SUPPRESS)
            p.add_argument("--no-generated", action="store_true", help=argparse.SUPPRESS)
            p.add_argument("--no-progress", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    book_dir = Path(args.book)
    try:
        if args.cmd in ("run", "execute"):
            os.environ["AELIB_PROFILE"] = args.profile
            t0 = time.perf_counter()
            if args.jobs is not None and args.jobs < 1:
                raise ValueError(f"--jobs must be a positive integer, got {args.jobs}")
            if args.no_generated:  # one chapter of a parallel run: the parent writes timings and pages
                _execute_serial(args.profile, book_dir, only=args.only, force=args.force, timeout=args.timeout,
                                write_timings=False, progress=not args.no_progress)
            else:
                execute(args.profile, book_dir, only=args.only, force=args.force, jobs=args.jobs)
                write_generated(args.profile, book_dir)
            print(f"[aelib] chapters done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        if args.cmd in ("run", "build"):
            rc = build(book_dir)
            if rc:
                print(f"[aelib] site build failed (exit {rc})", file=sys.stderr)
                return rc
            print(f"[aelib] site: {book_dir / '_build' / 'html' / 'index.html'}", file=sys.stderr)
    except (ChapterFailed, profiles.ProfileError, ValueError) as err:
        print(f"[aelib] error: {err}", file=sys.stderr)
        return 2
    return 0
