"""Sphinx hook so that ``jupyter-book build book`` works exactly as typed.

Before Sphinx reads any page, execute the chapters whose executed notebook is missing or stale
for the profile in ``$AELIB_PROFILE`` (default ``cpu``), and write the generated parts of the
first page. When the main job has just executed everything this costs only the hash checks.
Set ``AELIB_SKIP_EXECUTE=1`` to build from whatever executed notebooks exist.
"""

from __future__ import annotations

import os
from pathlib import Path


def _prepare(app) -> None:
    from .execute import prepare, write_generated

    book_dir = Path(app.srcdir)
    profile = os.environ.get("AELIB_PROFILE", "cpu")
    if os.environ.get("AELIB_SKIP_EXECUTE") == "1":
        write_generated(profile, book_dir)
    else:
        prepare(profile, book_dir)


def setup(app):
    app.connect("builder-inited", _prepare)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
