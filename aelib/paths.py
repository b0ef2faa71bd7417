"""Where the book keeps its state, and the environment variables that move it.

``$AELIB_HOME`` (default ``<repo>/_artifacts``) holds the model cache, the ledgers, the figures,
the timings and the locks; ``$AELIB_DATA`` points at a data set that does not ship with the repo.
A relative path in either means relative to where the command was typed: every command line entry
point calls :func:`absolutize_env` first, so kernels (which run in ``book/``) and worker processes
inherit absolute paths. Used by every module that reads or writes state.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PATH_VARIABLES = ("AELIB_HOME", "AELIB_DATA")


def home() -> Path:
    """Where caches, ledgers and figures live: ``$AELIB_HOME`` or ``<repo>/_artifacts``."""
    return Path(os.environ.get("AELIB_HOME") or REPO / "_artifacts").absolute()


def absolutize_env(cwd: str | Path | None = None) -> None:
    """Make ``$AELIB_HOME`` and ``$AELIB_DATA`` absolute against ``cwd`` (default: the current
    directory), so a relative path means the same thing in every process this one starts."""
    base = Path(cwd or os.getcwd())
    for var in PATH_VARIABLES:
        value = os.environ.get(var)
        if value and not os.path.isabs(os.path.expanduser(value)):
            os.environ[var] = str((base / value).absolute())
        elif value:
            os.environ[var] = os.path.expanduser(value)


@contextmanager
def locked(path: Path):
    """Hold an exclusive advisory lock on the file ``path`` (created if needed) for the ``with`` block:
    one writer at a time for a cached model, a chapter or the timings. The lock dies with its process,
    so a killed writer never leaves it held."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
