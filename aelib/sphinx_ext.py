"""Sphinx hook so that ``jupyter-book build book`` works exactly as typed.

Before Sphinx reads any page, execute the chapters whose executed notebook is missing or stale
for the profile in ``$AELIB_PROFILE`` (default ``cpu``), and write the site's generated parts.
When the main job has just executed everything this costs only the hash checks.
Set ``AELIB_SKIP_EXECUTE=1`` to build from whatever executed notebooks exist.

When the config is read it also sets two theme options from the book itself: the banner every
page carries at a profile below ``cpu`` (:func:`aelib.site.banner`, the theme's ``announcement``,
inline HTML: nothing is fetched), and the repository button, on exactly when ``_config.yml``
names a repository (:func:`aelib.site.repository`).
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


def rendered_profile(book_dir: Path) -> str:
    """The profile a build renders: ``$AELIB_PROFILE`` (what :func:`aelib.execute.build` sets), else,
    when the build only renders, the profile the executed notebooks were run at, else ``cpu``
    (what :func:`_prepare` executes)."""
    from .execute import executed_profile

    env = os.environ.get("AELIB_PROFILE")
    if env:
        return env
    if os.environ.get("AELIB_SKIP_EXECUTE") == "1":
        return executed_profile(Path(book_dir)) or "cpu"
    return "cpu"


def theme_options(book_dir: Path, options: dict | None) -> dict:
    """The theme options with the profile banner and the repository button decided by the book."""
    from . import site

    opts = dict(options or {})
    text = site.banner(rendered_profile(book_dir))
    if text:
        opts["announcement"] = text
    url, branch = site.repository(book_dir)
    opts["use_repository_button"] = bool(url)
    if url:
        opts["repository_url"] = url
        opts["repository_branch"] = branch
    return opts


def _configure(app, config) -> None:
    config.html_theme_options = theme_options(Path(app.srcdir), config.html_theme_options)


def setup(app):
    app.connect("config-inited", _configure)
    app.connect("builder-inited", _prepare)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
