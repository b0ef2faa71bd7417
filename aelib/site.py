"""The site's generated parts that are not results: where each chapter's code lives, where the
repository is, how this build ran, and the banner every page carries at a profile below ``cpu``.

Everything here is read from the sources or the machine at build time, so it cannot drift from
them: the chapter-to-module table is parsed from the chapters' own ``import`` statements, the
repository link from ``_config.yml``, the versions from the installed packages. Used by
:func:`aelib.execute.write_generated` (the pages) and :mod:`aelib.sphinx_ext` (the banner and the
repository button).
"""

from __future__ import annotations

import ast
import html
import importlib.metadata
import os
import platform
import time
from pathlib import Path

PACKAGE = "aelib"
VERSIONED = ("torch", "numpy", "jupyter-book", "myst-nb", "sphinx")
# profiles whose numbers say nothing about the essay: every page of such a build carries a banner
BANNER_PROFILES = ("smoke",)
BANNER = ("This site was built at the <code>{profile}</code> profile: it exercises the code, and its "
          "numbers mean nothing. Build at <code>cpu</code> or <code>paper</code> for results.")


# --- where each chapter's code lives ----------------------------------------------------------
def chapter_modules(src: Path, package_dir: Path | None = None) -> list[str]:
    """The modules of ``aelib`` a chapter source imports, by dotted name under the package, sorted.

    ``import aelib.walk``, ``from aelib import walk, data`` and ``from aelib.walk import x`` all count;
    a name taken from the package itself (``from aelib import set_seed``) counts as ``aelib``."""
    package_dir = Path(package_dir) if package_dir else Path(__file__).resolve().parent
    found: set[str] = set()

    def is_module(dotted: str) -> bool:
        p = package_dir.joinpath(*dotted.split("."))
        return p.with_suffix(".py").exists() or (p / "__init__.py").exists()

    for node in ast.walk(ast.parse(Path(src).read_text(), filename=str(src))):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == PACKAGE:
                    found.add(PACKAGE)
                elif a.name.startswith(PACKAGE + "."):
                    found.add(a.name[len(PACKAGE) + 1:])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == PACKAGE:
                for a in node.names:
                    found.add(a.name if is_module(a.name) else PACKAGE)
            elif node.module.startswith(PACKAGE + "."):
                found.add(node.module[len(PACKAGE) + 1:])
    return sorted(found, key=lambda m: (m == PACKAGE, m))


def _module_path(dotted: str, package_dir: Path) -> str:
    """The file that holds a module, relative to the repository: ``aelib/walk.py``, ``aelib/config/``."""
    if dotted == PACKAGE:
        return f"{PACKAGE}/__init__.py"
    p = package_dir.joinpath(*dotted.split("."))
    rel = "/".join([PACKAGE, *dotted.split(".")])
    return rel + ".py" if p.with_suffix(".py").exists() else rel + "/"


def code_map_markdown(srcs: list[Path], repo_url: str = "", branch: str = "main",
                      package_dir: Path | None = None) -> str:
    """The modules of ``aelib`` each chapter source of ``srcs`` imports: those every chapter imports
    once, in a sentence, then a table of the rest per chapter."""
    package_dir = Path(package_dir) if package_dir else Path(__file__).resolve().parent

    def ref(m: str) -> str:
        path = _module_path(m, package_dir)
        return f"[`{path}`]({repo_url.rstrip('/')}/blob/{branch}/{path})" if repo_url else f"`{path}`"

    srcs = [Path(s) for s in srcs]
    used = {src: chapter_modules(src, package_dir) for src in srcs}
    common = [m for m in (used[srcs[0]] if srcs else []) if all(m in v for v in used.values())] if len(srcs) > 1 \
        else []
    lines = []
    if common:
        lines += [f"Every chapter imports {', '.join(ref(m) for m in common)}; beyond those:", ""]
    lines += ["| chapter (source `book/NN_*.py`) | `aelib` modules it imports |", "|---|---|"]
    for src in srcs:
        mods = [ref(m) for m in used[src] if m not in common]
        number = src.stem.split("_", 1)[0]
        lines.append(f"| {int(number)}. {{doc}}`{src.stem}` | {', '.join(mods) or 'no others'} |")
    return "\n".join(lines) + "\n"


# --- the repository --------------------------------------------------------------------------
def book_config(book_dir: Path) -> dict:
    """The book's ``_config.yml`` as a dict (empty when it is missing or unreadable)."""
    import yaml

    try:
        data = yaml.safe_load((Path(book_dir) / "_config.yml").read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def repository(book_dir: Path) -> tuple[str, str]:
    """``(url, branch)`` of jupyter-book's ``repository:`` section; url ``""`` when none is configured.
    (jupyter-book's own default points at jupyter-book's repository, so only the file counts.)"""
    repo = book_config(book_dir).get("repository") or {}
    if not isinstance(repo, dict):
        return "", "main"
    return str(repo.get("url") or "").strip(), str(repo.get("branch") or "main").strip()


def repository_markdown(book_dir: Path) -> str:
    """Where the code is: the configured repository, or the one this site was built from."""
    url, branch = repository(book_dir)
    if url:
        return (f"The code is in the repository [{url}]({url}) (branch `{branch}`); its `README.md` has the two "
                "commands below, and the repository button at the top of each page leads there.\n")
    return ("The code is in the repository this site was built from (no public address is configured in "
            "`_config.yml`); start with its `README.md`, which has the two commands below.\n")


# --- the banner ------------------------------------------------------------------------------
def banner(profile: str) -> str | None:
    """The HTML of the banner on every page of a build at ``profile``; ``None`` at cpu and paper."""
    if profile not in BANNER_PROFILES:
        return None
    return BANNER.format(profile=html.escape(profile))


# --- how this build ran ------------------------------------------------------------------------
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _gpus() -> list[str]:
    try:
        import torch

        if torch.cuda.is_available():
            return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # noqa: BLE001 - a broken driver costs the line, not the build
        pass
    return []


def machine() -> str:
    """The machine in words: CPU model and cores, GPUs if any."""
    gpus = _gpus()
    gpu = ", ".join(gpus) if gpus else "no GPU"
    return f"{_cpu_model()}, {os.cpu_count() or '?'} cores, {gpu} ({platform.system()} {platform.machine()})"


def versions() -> dict[str, str]:
    """Python's and the main packages' versions, as installed where the site is built."""
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def build_record_markdown(profile: str, timings: dict, chapters: list[str]) -> str:
    """Date, machine, package versions and the chapters' times: the "How this build ran" section."""
    times = {c: timings.get(c, {}) for c in chapters}
    known = [float(v["seconds"]) for v in times.values() if isinstance(v.get("seconds"), (int, float))]
    total = f"{sum(known):.0f} s ({sum(known) / 60:.1f} min)" if known else "not recorded"
    if known and len(known) < len(chapters):
        total += f", {len(known)} of {len(chapters)} chapters recorded"
    vers = ", ".join(f"{k} {v}" for k, v in versions().items())
    lines = [f"- **Profile**: `{profile}`.",
             f"- **Page generated**: {time.strftime('%Y-%m-%d %H:%M %Z')}, on {machine()}.",
             f"- **Software**: {vers}.",
             f"- **Chapters**: {total} in total, the sum of each chapter's last execution time at this profile "
             "(chapters executed side by side finish sooner).", "",
             "| chapter | seconds | executed at |", "|---|---|---|"]
    for c in chapters:
        v = times[c]
        lines.append(f"| {c} | {v.get('seconds', 'n/a')} | {str(v.get('at', 'n/a')).replace('T', ' ')} |")
    return "\n".join(lines) + "\n"
