"""The identity of a run: everything that decides a chapter's numbers, hashed into one key.

A chapter's numbers depend on its source, the library's source, the resolved profile (every
field, after ``AELIB_OVERRIDES``), the data (the shipped photos' bytes, or the path, size and
modification time of a data set given with ``AELIB_DATA``), the torch thread count (results
change with it) and the torch version. :func:`run_identity` collects them once; :func:`chapter_key`
hashes them with one chapter's source. The key is written into the executed notebook's metadata,
the chapter's ledger header and its figure folder, and a chapter is up to date only when all
three carry the key the current identity gives (:mod:`aelib.execute`).

Used by :mod:`aelib.execute` and :mod:`aelib.ledger` (the run record shipped with the site).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import profiles
from .paths import REPO

SHIPPED_DATA = REPO / "data"


def library_fingerprint() -> str:
    """Hash of every module of ``aelib``: an edit anywhere in the library re-executes the book."""
    h = hashlib.sha256()
    for p in sorted((REPO / "aelib").glob("*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def references_fingerprint() -> str:
    """Hash of the committed reference results' ledgers and provenance (``benchmarks/reference/scales``,
    :mod:`aelib.reference`): every chapter quotes them in its section on other scales, so a new or
    changed reference re-executes the book. Their figures do not enter (only the first page shows them)."""
    h = hashlib.sha256()
    root = REPO / "benchmarks" / "reference" / "scales"
    for p in sorted(root.glob("*/*.json")) + sorted(root.glob("*/ledger/*.json")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _shipped_data_fingerprint() -> str:
    """Hash of the manifest and every shipped photo's bytes (800 kB: a swapped photo is a new book)."""
    h = hashlib.sha256()
    for p in sorted(q for q in SHIPPED_DATA.rglob("*") if q.is_file()):
        h.update(str(p.relative_to(SHIPPED_DATA)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _external_data_fingerprint(path: str) -> dict:
    """A data set given by path (too large to hash on every run): its files' names, sizes and times."""
    p = Path(path)
    if not p.exists():
        return {"path": path, "exists": False}
    files = [p] if p.is_file() else sorted(q for q in p.rglob("*") if q.is_file())
    h = hashlib.sha256()
    for q in files:
        st = q.stat()
        h.update(f"{q.relative_to(p) if q != p else q.name}|{st.st_size}|{st.st_mtime_ns}".encode())
    return {"path": str(p), "files": len(files), "stat": h.hexdigest()}


def threads() -> int:
    """The torch thread count the chapters run with: ``$AELIB_THREADS``, default 1 (the main job's)."""
    value = profiles.threads_from_env()
    return 1 if value is None else value


def overrides() -> dict:
    """The overrides given through ``AELIB_OVERRIDES`` (already validated by :func:`aelib.profiles.get`)."""
    return profiles.env_overrides()  # dotted names, whichever spelling was given


def run_identity(profile: str | profiles.Profile) -> dict:
    """What decides a chapter's numbers besides its own source, as a JSON-able dict."""
    import torch

    prof = profiles.get(profile)
    data = ({"shipped": _shipped_data_fingerprint()} if prof.data.dataset == "photos"
            else _external_data_fingerprint(prof.data.path or ""))
    return {"profile_name": prof.name, "profile": prof.as_dict(),
            "overrides": overrides(), "data": data, "threads": threads(), "torch": torch.__version__,
            "library": library_fingerprint(), "references": references_fingerprint()}


def nonstandard(identity: dict) -> list[str]:
    """Why a run is not the named profile as shipped (empty when it is): overrides, another thread count."""
    why = []
    if identity.get("overrides"):
        why.append(f"overrides {json.dumps(identity['overrides'], sort_keys=True)}")
    if identity.get("threads", 1) != 1:
        why.append(f"{identity['threads']} torch threads (the shipped runs use 1; results change with it)")
    return why


def chapter_key(src: str | Path, identity: dict) -> str:
    """The key of one chapter's run: its source and the run identity, hashed."""
    h = hashlib.sha256(Path(src).read_bytes())
    h.update(json.dumps(identity, sort_keys=True, default=str).encode())
    return h.hexdigest()
